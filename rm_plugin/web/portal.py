"""What every view of one app shares: the site, its settings and the services built from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests
from flask import current_app

from rm_plugin.lti.keys import ToolKeys
from rm_plugin.lti.platform_keys import PlatformKeys
from rm_plugin.lti.settings import WebSettings
from rm_plugin.store import Database
from rm_plugin.store.web_sessions import SessionStore
from rm_plugin.web.headers import PlatformOrigins

if TYPE_CHECKING:
    from rm_plugin.site import Site


@dataclass
class Portal:
    site: Site
    settings: WebSettings
    database: Database
    tool_keys: ToolKeys
    platform_keys: PlatformKeys
    sessions: SessionStore
    origins: PlatformOrigins
    clock: Callable[[], dt.datetime]
    #: The transport for calls to platforms (tests pass one; None: a new requests session per call).
    http_session: requests.Session | None = None

    def now(self) -> dt.datetime:
        return self.clock()


def portal() -> Portal:
    found = current_app.extensions["rm_portal"]
    assert isinstance(found, Portal)
    return found
