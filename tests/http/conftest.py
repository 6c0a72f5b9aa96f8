"""Fakes shared by the HTTP foundation tests: no test sleeps, every jitter is reproducible."""

from __future__ import annotations

import random

import pytest
import requests

from rm_plugin.http import HttpClient, RetryPolicy

BASE = "https://moodle.example.org"
CLOCK = 1_780_000_000.0  # a fixed "now" for HTTP-date Retry-After


class FakeSleep:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def policy(sleep: FakeSleep) -> RetryPolicy:
    return RetryPolicy(sleep=sleep, rng=random.Random(7), clock=lambda: CLOCK)


@pytest.fixture
def client(policy: RetryPolicy):
    with HttpClient("moodle-main", BASE, session=requests.Session(), retry=policy) as http:
        yield http
