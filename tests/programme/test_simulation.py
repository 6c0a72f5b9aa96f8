"""The demo's simulation: the whole life of a programme, deterministic from a seed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from rm_plugin.programme import agreements
from rm_plugin.programme.simulation import simulate_programme
from rm_plugin.store.models import MilestoneReached, OutboxItem, Programme


def add_programme(world, slug: str, people: list[tuple[str, str]]) -> None:
    with world.db.transaction() as s:
        template = s.scalar(select(Programme).where(Programme.slug == "rm-2026"))
        s.add(
            Programme(
                slug=slug,
                name=f"Programme {slug}",
                starts_on=template.starts_on,
                ends_on=template.ends_on,
                cadence_days=14,
                admin_hr_id="ADMIN",
                milestones=template.milestones,
            )
        )
    previous = world.programme_slug
    world.programme_slug = slug
    for mentee, mentor in people:
        world.person(mentee, 9)
        world.person(mentor, 2)
        world.pair(mentee, mentor)
    world.programme_slug = previous


def test_a_simulated_programme_reaches_its_milestones_and_is_deterministic(world, ctx) -> None:
    add_programme(world, "a", [(f"AM{i}", f"AJ{i}") for i in range(6)])
    add_programme(world, "b", [(f"BM{i}", f"BJ{i}") for i in range(6)])
    start = dt.date(2026, 3, 2)
    with world.db.transaction() as s:
        first = simulate_programme(s, ctx, "a", seed=11, start=start, months=4)
    with world.db.transaction() as s:
        second = simulate_programme(s, ctx, "b", seed=11, start=start, months=4)
    assert first == second  # same seed, same shape of programme: same life
    assert first.pairs == 6 and first.agreements_signed == 6
    assert first.meetings_logged == first.meetings_confirmed > 6 * 3
    assert first.pulse_answers == 2 * first.meetings_confirmed
    assert first.retrospectives >= 2 * 6  # midpoint for all, final for those who did not drift
    with world.db.transaction() as s:
        reached = dict(
            s.execute(
                select(MilestoneReached.milestone, func.count()).group_by(MilestoneReached.milestone)
            ).all()
        )
        outbox = s.scalar(select(func.count(OutboxItem.id)))
        for pair_id in world.pairs:
            assert agreements.is_active(agreements.get_agreement(s, pair_id))
    assert reached["agreement_signed"] == 2 * 12 and reached["first_meeting"] == 2 * 12
    assert reached.get("programme_completed", 0) >= 2
    assert first.milestones_reached + second.milestones_reached == sum(reached.values())
    assert first.outbox_rows_added + second.outbox_rows_added == outbox
    with world.db.transaction() as s:
        other = simulate_programme(s, ctx, "rm-2026", seed=11, start=start)
    assert other.pairs == 0  # the template programme has no pairs: nothing happens


def test_a_different_seed_gives_a_different_life(world, ctx) -> None:
    add_programme(world, "a", [(f"AM{i}", f"AJ{i}") for i in range(6)])
    add_programme(world, "b", [(f"BM{i}", f"BJ{i}") for i in range(6)])
    with world.db.transaction() as s:
        first = simulate_programme(s, ctx, "a", seed=1, start=dt.date(2026, 3, 2))
        second = simulate_programme(s, ctx, "b", seed=2, start=dt.date(2026, 3, 2))
    assert first != second
