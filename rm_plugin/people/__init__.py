"""People, the first stage: the roster imported from HR sources, and their host accounts.

:mod:`.roster_import` asks the HR sources and applies the roster (:mod:`.roster_apply`);
:mod:`.profiles` reads people back for the doors; :mod:`.accounts` maps each person to their
account on each host connection. The whole-roster checks are pure rules, in
:mod:`rm_plugin.domain.roster`.
"""
