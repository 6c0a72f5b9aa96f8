"""The portal's fixtures; the helpers tests import by name live in ``portal_helpers``.

Test modules import helpers from ``portal_helpers`` rather than from ``conftest``: several test
folders have a ``conftest.py``, and a bare ``import conftest`` takes whichever came first.
"""

from portal_helpers import app, client, mock, platform, site

__all__ = ["app", "client", "mock", "platform", "site"]
