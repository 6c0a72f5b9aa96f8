"""Fixtures for sync tests: a stand-in host on 127.0.0.1 and a site wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_factory import load_site, make_site_dir
from sync_standin_host import Served, StandinHost

from rm_plugin.site import Site


@pytest.fixture
def host() -> Iterator[Served]:
    with Served(StandinHost()) as served:
        yield served


@pytest.fixture
def site(tmp_path: Path, db_url: str, host: Served) -> Iterator[Site]:
    loaded = load_site(make_site_dir(tmp_path / "site", db_url, host.url, concurrency=3))
    yield loaded
    loaded.close()
