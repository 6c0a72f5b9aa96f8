"""RetryPolicy: Retry-After first, then capped exponential backoff with jitter, then give up."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from rm_plugin.http import AuthenticationError, HostUnavailable, RateLimited, RetryPolicy

CLOCK = 1_780_000_000.0


class FixedRandom(random.Random):
    """A random source stuck at one value, to pin jitter to an end of its range."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def unavailable() -> HostUnavailable:
    return HostUnavailable("down", host="h", call="GET /x", status=503)


@pytest.mark.parametrize(("value", "expected"), [(0.0, [0.25, 0.5, 1.0]), (1.0, [0.5, 1.0, 2.0])])
def test_backoff_doubles_from_half_a_second_with_jitter_in_the_upper_half(value, expected) -> None:
    policy = RetryPolicy(rng=FixedRandom(value))
    assert [policy.delay_for(n, unavailable()) for n in (1, 2, 3)] == expected


def test_seeded_jitter_is_reproducible_and_stays_in_range() -> None:
    first = RetryPolicy(max_attempts=10, max_total_wait=1e9, rng=random.Random(42))
    second = RetryPolicy(max_attempts=10, max_total_wait=1e9, rng=random.Random(42))
    delays = [first.delay_for(n, unavailable()) for n in range(1, 10)]
    assert delays == [second.delay_for(n, unavailable()) for n in range(1, 10)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(30.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jitter really varies


def test_each_wait_is_capped() -> None:
    policy = RetryPolicy(max_attempts=100, max_total_wait=1e9, rng=FixedRandom(1.0))
    assert policy.delay_for(60, unavailable()) == 30.0


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    policy = RetryPolicy(rng=FixedRandom(1.0))
    assert policy.delay_for(1, RateLimited("slow", host="h", call="c", retry_after=7)) == 7
    assert policy.delay_for(1, RateLimited("slow", host="h", call="c", retry_after=3600)) == 30.0


def test_gives_up_when_attempts_run_out_or_the_error_is_permanent() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.delay_for(2, unavailable()) is not None
    assert policy.delay_for(3, unavailable()) is None
    assert policy.delay_for(1, AuthenticationError("bad token", host="h", call="c")) is None


def test_gives_up_rather_than_exceed_the_total_wait() -> None:
    policy = RetryPolicy(max_total_wait=10, rng=FixedRandom(1.0))
    limited = RateLimited("slow", host="h", call="c", retry_after=6)
    assert policy.delay_for(1, limited, waited=4) == 6
    assert policy.delay_for(2, limited, waited=6) is None


def test_retry_after_reads_seconds_and_http_dates() -> None:
    policy = RetryPolicy(clock=lambda: CLOCK)
    in_90_s = format_datetime(datetime.fromtimestamp(CLOCK + 90, UTC), usegmt=True)
    past = format_datetime(datetime.fromtimestamp(CLOCK - 90, UTC), usegmt=True)
    assert policy.parse_retry_after("120") == 120
    assert policy.parse_retry_after(in_90_s) == 90
    assert policy.parse_retry_after(past) == 0
    assert policy.parse_retry_after("soon") is None
    assert policy.parse_retry_after(None) is None


def test_only_idempotent_methods_or_named_calls_are_retried() -> None:
    policy = RetryPolicy(retryable_calls=frozenset({"core_user_get_users_by_field"}))
    assert policy.may_retry("get", "GET /x")
    assert policy.may_retry("PUT", "PUT /x")
    assert not policy.may_retry("POST", "POST /x")
    assert policy.may_retry("POST", "core_user_get_users_by_field")
    assert policy.may_retry("POST", "Put_Mentorship", idempotent=True)
    assert not policy.may_retry("GET", "GET /x", idempotent=False)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="backoff"):
        RetryPolicy(backoff=0.5)
