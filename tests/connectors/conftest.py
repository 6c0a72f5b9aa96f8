"""Fixtures for every connector test: the vendors' own contracts, where they are at hand."""

from __future__ import annotations

import pytest
from bamboo_contract import BambooContract, load, missing_reason


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "off_contract(why): the test's host answers against its published contract on purpose"
    )


@pytest.fixture(scope="session")
def bamboo_spec() -> BambooContract:
    """BambooHR's published OpenAPI spec, or a skip naming where it was looked for."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    return load()
