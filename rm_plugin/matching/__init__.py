"""Matching: hard rules, an explainable score, an exact assignment, a reviewer panel, a fairness audit.

The engine (:mod:`.engine`) is pure and works on :class:`.applicants.Applicant` values, so the
benchmark and the tests drive it without a database; :mod:`.service` loads a programme from
the store (:mod:`.state`), runs the engine and records proposals; :mod:`.review` turns proposals into active
pairs; :mod:`.fairness` audits the rates per group.
"""
