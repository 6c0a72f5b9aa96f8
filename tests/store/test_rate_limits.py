"""The shared rate limit counts a sliding minute: no double burst across a window's edge."""

from __future__ import annotations

from rm_plugin.store import Database
from rm_plugin.store.rate_limits import hit


def test_a_burst_at_the_end_of_a_window_still_counts_at_the_start_of_the_next(db: Database) -> None:
    def at(second: float) -> bool:
        with db.transaction() as s:
            return hit(s, "launch:203.0.113.9", 10, clock=lambda: 6000 + second).allowed

    assert all(at(59) for _ in range(10))  # ten in the last second of one window
    assert not at(61)  # a fixed window would allow ten more here: 10 x 59/60 + 1 > 10
    assert not at(66)  # 10 x 54/60 + 2
    assert at(90)  # half a minute on, half of the burst still counts: 10 x 30/60 + 3
    with db.transaction() as s:  # another client is not affected
        assert hit(s, "launch:198.51.100.7", 10, clock=lambda: 6061).allowed
    assert at(175)  # the earlier window has slid out of the last minute


def test_counts_of_windows_gone_by_are_swept(db: Database) -> None:
    from sqlalchemy import select

    from rm_plugin.store.models import WebRateCounter

    for second in (0, 60, 120, 180):
        with db.transaction() as s:
            hit(s, "login:203.0.113.9", 5, clock=lambda second=second: 6000 + second)
    with db.transaction() as s:
        assert sorted(s.scalars(select(WebRateCounter.window))) == [6120, 6180]
