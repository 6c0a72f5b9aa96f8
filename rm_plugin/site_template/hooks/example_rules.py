"""An example of a site's own rules, loaded at start like pytest's conftest.py.

Every ``hooks/*.py`` file is a plugin: implement any hook of ``rm_plugin.hookspecs``.
This one adds a small score term for pairs in the same location and lets people opt out
by HR id. Delete it or edit it; `rm-plugin plugins` shows what is loaded.
"""

from __future__ import annotations

from rm_plugin import hookimpl

# HR ids of people who asked never to be paired (e.g. on leave, a conflict of interest).
OPT_OUT: frozenset[str] = frozenset()


@hookimpl
def rm_match_score_terms(programme, pairs):
    """1.0 when mentee and mentor work in the same location (in-person meetings are easier)."""
    return {"same_location": [1.0 if a.location and a.location == b.location else 0.0 for a, b in pairs]}


@hookimpl
def rm_veto_pairs(programme, pairs):
    return {i: "opted out of pairing" for i, (a, b) in enumerate(pairs) if {a.hr_id, b.hr_id} & OPT_OUT}
