"""The credentials tests' fixture; its helpers live in ``badge_world`` (see tests/web/conftest.py)."""

from badge_world import world

__all__ = ["world"]
