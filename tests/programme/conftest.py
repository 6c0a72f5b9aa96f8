"""Fixtures of this folder; helpers that tests import by name are in ``programme_world``.

A bare ``from conftest import`` would take whichever folder's conftest came first.
"""

from programme_world import attach, ctx, recorder, rm, site, world

__all__ = ["attach", "ctx", "recorder", "rm", "site", "world"]
