"""The fairness audit: rates per group, the four-fifths flag, and small opt-in groups hidden."""

from __future__ import annotations

from matching_factory import apply, person, programme

from rm_plugin.matching.fairness import SMALL, audit, level_band
from rm_plugin.store import Database
from rm_plugin.store.models import Pair


def test_groups_below_four_fifths_of_the_best_rate_are_flagged(db: Database) -> None:
    with db.transaction() as s:
        prog = programme(s)
        boss = person(s, "BOSS", 9)
        juniors = [person(s, f"J{i}", 2, "BOSS") for i in range(10)]
        for i, dept in enumerate(["Sales"] * 5 + ["Tech"] * 5):
            senior = person(s, f"S{i}", 7, None, department=dept, location="London")
            apply(s, prog, senior, "mentee", demographics={"gender": "f" if i % 2 else "m"} if i < 3 else {})
            # Sales: 5 of 5 proposed, 4 approved; Tech: 3 of 5 proposed, 3 approved
            if dept == "Sales" or i < 8:
                status = "active" if i != 4 else "proposed"
                s.add(Pair(programme_id=prog.id, mentee_id=senior.id, mentor_id=juniors[i].id, status=status))
        assert boss
    rows = {(r.dimension, r.role, r.group): r for r in audit(db, "rm-2026")}
    sales, tech = rows[("department", "mentee", "Sales")], rows[("department", "mentee", "Tech")]
    assert (sales.applied, sales.proposed, sales.approved) == (5, 5, 4)
    assert (tech.applied, tech.proposed, tech.approved) == (5, 3, 3)
    assert sales.flags == ()
    assert tech.flags == ("proposal rate 60% is below 80% of the best group's 100%",)
    assert rows[("location", "mentee", "London")].flags == ()
    assert rows[("level_band", "mentee", "7-8")].applied == 10
    # three people gave an opt-in attribute: too few to show per value
    assert ("opt-in:gender", "mentee", "f") not in rows
    assert rows[("opt-in:gender", "mentee", SMALL)].applied == 3
    assert rows[("opt-in:gender", "mentee", SMALL)].flags == ()


def test_level_bands() -> None:
    assert [level_band(n) for n in (1, 2, 3, 8, None)] == ["1-2", "1-2", "3-4", "7-8", "unknown"]
