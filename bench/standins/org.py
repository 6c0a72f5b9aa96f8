"""The people the stand-ins serve: the bundled sample organisation, or a synthetic one of any size."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from importlib import resources


@dataclass
class Employee:
    id: int
    number: str
    first: str
    last: str
    email: str
    level: int
    title: str
    department: str
    team: str
    location: str
    manager: int | None
    hired: str
    terminated: str = ""
    changed: dt.datetime = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    languages: str = ""
    time_zone: str = ""


def sample() -> list[Employee]:
    """The bundled sample organisation (rm_plugin/sample/people.csv) with numeric host ids."""
    path = resources.files("rm_plugin") / "sample" / "people.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    ids = {row["hr_id"]: 1 + i for i, row in enumerate(rows)}
    return [
        Employee(
            ids[row["hr_id"]],
            row["hr_id"],
            row["given_name"],
            row["family_name"],
            row["email"],
            int(row["job_level"]),
            row["title"],
            row["department"],
            row["team"],
            row["location"],
            ids.get(row["manager_hr_id"]),
            row["hire_date"],
            row["termination_date"],
            languages=row["languages"],
            time_zone=row["time_zone"],
        )
        for row in rows
    ]


def synthetic(size: int, seed: int = 7) -> list[Employee]:
    """``size`` people in a tree of about eight reports per manager, levels falling with depth."""
    rng = random.Random(seed)
    people: list[Employee] = []
    for i in range(size):
        number = i + 1
        manager = None if i == 0 else 1 + (i - 1) // 8
        depth = 0 if manager is None else 1 + (people[manager - 1].level and 10 - people[manager - 1].level)
        level = max(1, 10 - depth)
        people.append(
            Employee(
                number,
                f"E{100000 + number}",
                f"Given{number}",
                f"Family{number}",
                f"person{number}@example.com",
                level,
                f"Level {level} role",
                rng.choice(["Engineering", "Sales", "Finance", "People", "Operations"]),
                f"Team {manager or 0}",
                rng.choice(["London", "Berlin", "New York", "Singapore"]),
                manager,
                f"{rng.randint(2005, 2025)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "2026-01-31" if rng.random() < 0.02 and i > 0 else "",
            )
        )
    return people


def touch(people: list[Employee], share: float, seed: int = 11) -> list[Employee]:
    """Change ``share`` of the people now (a new title), as an HR admin's day would."""
    rng = random.Random(seed)
    chosen = rng.sample(people[1:], max(1, int(len(people) * share)))
    now = dt.datetime.now(dt.UTC)
    for person in chosen:
        person.title = f"{person.title} (updated)"
        person.changed = now
    return chosen
