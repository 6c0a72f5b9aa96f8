"""Fixtures of this folder; helpers that tests import by name are in ``moodle_helpers``.

A bare ``from conftest import`` would take whichever folder's conftest came first.
"""

from moodle_helpers import expect, make_connection, mock, people

__all__ = ["expect", "make_connection", "mock", "people"]
