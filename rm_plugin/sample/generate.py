"""Generate the bundled sample organisation and its programme applications, deterministically.

Run ``python -m rm_plugin.sample.generate`` to rewrite ``people.csv`` and
``applications.csv`` beside this file; the same seed always gives the same bytes, so the
committed CSVs can be checked against the generator (a test does).

The organisation: a CEO at level 10, a VP per department at 9, directors at 8, senior
managers at 7, managers at 6, team leads at 5 and individual contributors at 1-4, in five
offices across time zones, with hire dates that grow older with seniority and a few leavers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from rm_plugin.domain.records import PERSON_FIELDS

SEED = 20260401
HERE = Path(__file__).parent

DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Operations",
    "Customer Success",
    "Legal",
]
OFFICES = [
    ("London", "Europe/London", ("en",)),
    ("Berlin", "Europe/Berlin", ("de", "en")),
    ("New York", "America/New_York", ("en", "es")),
    ("Toronto", "America/Toronto", ("en", "fr")),
    ("Singapore", "Asia/Singapore", ("en", "zh")),
]
GIVEN = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Xena",
    "Yusuf",
    "Zoe",
    "Aisha",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Esme",
    "Felix",
    "Gita",
    "Hugo",
    "Ines",
    "Jae",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
]
FAMILY = [
    "Adeyemi",
    "Becker",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Wang",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Andersen",
    "Bauer",
    "Costa",
    "Diaz",
    "Eze",
    "Fontaine",
    "Gupta",
    "Hansen",
]
TITLES = {
    10: "Chief Executive Officer",
    9: "Vice President, {d}",
    8: "Director, {d}",
    7: "Senior Manager, {d}",
    6: "Manager, {d}",
    5: "Team Lead, {d}",
    4: "Senior Specialist, {d}",
    3: "Specialist, {d}",
    2: "Associate, {d}",
    1: "Graduate, {d}",
}
JUNIOR_SKILLS = [
    "generative ai",
    "social media",
    "short-form video",
    "data visualisation",
    "gen z workplace expectations",
    "inclusive language",
    "remote collaboration tools",
    "sustainability practice",
    "mobile-first design",
    "no-code automation",
    "cybersecurity hygiene",
    "accessibility",
]
SKILL_POPULARITY = [10, 8, 4, 5, 7, 6, 5, 3, 2, 4, 3, 3]  # skewed: some skills everyone wants
SENIOR_TOPICS = ["company history", "strategy", "stakeholder management", "budgeting", "career navigation"]
STYLES = ["hands-on", "discussion", "reading", "visual"]
INTERESTS = [
    "running",
    "music",
    "photography",
    "gaming",
    "cooking",
    "volunteering",
    "travel",
    "chess",
    "film",
]
DAYS = ["mon", "tue", "wed", "thu", "fri"]


@dataclass
class Employee:
    hr_id: str
    given: str
    family: str
    level: int
    department: str
    team: str
    manager: str | None
    office: tuple[str, str, tuple[str, ...]]
    hired: dt.date
    terminated: dt.date | None = None
    email: str = ""
    reports: list[str] = field(default_factory=list)


def build_organisation(seed: int = SEED) -> list[Employee]:
    rng = random.Random(seed)
    people: list[Employee] = []
    used_emails: set[str] = set()

    def hire(level: int, department: str, team: str, manager: str | None, office: tuple) -> Employee:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        years = max(0.2, rng.gauss(1.6 * level, 2.0))
        hired = dt.date(2026, 3, 1) - dt.timedelta(days=int(years * 365))
        person = Employee(
            f"E{1000 + len(people)}", given, family, level, department, team, manager, office, hired
        )
        base = f"{given}.{family}".lower()
        email, n = f"{base}@example.com", 1
        while email in used_emails:
            n += 1
            email = f"{base}{n}@example.com"
        used_emails.add(email)
        person.email = email
        people.append(person)
        if manager is not None:
            next(p for p in people if p.hr_id == manager).reports.append(person.hr_id)
        return person

    ceo = hire(10, "Executive", "Executive", None, OFFICES[0])
    for d_index, department in enumerate(DEPARTMENTS):
        home = OFFICES[d_index % len(OFFICES)]
        vp = hire(9, department, f"{department} leadership", ceo.hr_id, home)
        for _ in range(2):
            director = hire(8, department, f"{department} leadership", vp.hr_id, home)
            for _ in range(rng.randint(1, 2)):
                office = rng.choice(OFFICES) if rng.random() < 0.3 else home
                senior = hire(7, department, f"{department} {office[0]}", director.hr_id, office)
                for _ in range(rng.randint(1, 2)):
                    manager = hire(6, department, senior.team, senior.hr_id, office)
                    for t in range(rng.randint(1, 2)):
                        team = f"{department} {office[0]} {chr(65 + t)}"
                        lead = hire(5, department, team, manager.hr_id, office)
                        for _ in range(rng.randint(2, 4)):
                            hire(rng.choice([1, 2, 2, 3, 3, 4]), department, team, lead.hr_id, office)
    # A few leavers, spread over levels; nobody with reports leaves in the sample.
    candidates = [p for p in people if not p.reports and p.level <= 6]
    for person in rng.sample(candidates, 8):
        person.terminated = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 60))
    return people


def people_csv(people: list[Employee]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PERSON_FIELDS)
    for p in people:
        writer.writerow(
            [
                p.hr_id,
                p.email,
                p.given,
                p.family,
                p.level,
                TITLES[p.level].format(d=p.department),
                p.department,
                p.team,
                p.manager or "",
                p.office[0],
                p.office[1],
                ";".join(p.office[2]),
                p.hired.isoformat(),
                p.terminated.isoformat() if p.terminated else "",
                "left" if p.terminated else "active",
            ]
        )
    return out.getvalue()


def _availability(rng: random.Random) -> str:
    slots = []
    for day in sorted(rng.sample(DAYS, rng.randint(2, 3)), key=DAYS.index):
        start = rng.choice([8, 9, 10, 13, 14, 15, 16])
        length = rng.choice([1, 1.5, 2])
        end_h, end_m = int(start + length), int((length % 1) * 60)
        slots.append(f"{day} {start:02d}:00-{end_h:02d}:{end_m:02d}")
    return ";".join(slots)


def applications_csv(people: list[Employee], seed: int = SEED) -> str:
    rng = random.Random(seed + 1)
    active = [p for p in people if p.terminated is None]
    seniors = [p for p in active if 7 <= p.level <= 9]
    juniors = [p for p in active if p.level <= 4]
    mentees = rng.sample(seniors, min(36, len(seniors)))
    mentors = rng.sample(juniors, min(60, len(juniors)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "hr_id",
            "role",
            "skills_offered",
            "skills_wanted",
            "topics_offered",
            "topics_wanted",
            "learning_style",
            "interests",
            "availability",
            "meeting_mode",
            "capacity",
            "goals",
            "consent",
            "demographics",
        ]
    )
    for p in sorted(mentees, key=lambda e: e.hr_id):
        wanted = rng.choices(JUNIOR_SKILLS, weights=SKILL_POPULARITY, k=4)
        priorities = {skill: rng.randint(1, 3) for skill in dict.fromkeys(wanted)}
        writer.writerow(
            [
                p.hr_id,
                "mentee",
                "",
                ";".join(f"{s}:{n}" for s, n in priorities.items()),
                ";".join(rng.sample(SENIOR_TOPICS, 2)),
                "",
                rng.choice(STYLES),
                ";".join(rng.sample(INTERESTS, 2)),
                _availability(rng),
                rng.choice(["remote", "either", "either", "in_person"]),
                "",
                f"Understand how {next(iter(priorities))} changes how my team works",
                "yes",
                _demographics(rng),
            ]
        )
    for p in sorted(mentors, key=lambda e: e.hr_id):
        offered = rng.sample(JUNIOR_SKILLS, rng.randint(2, 4))
        writer.writerow(
            [
                p.hr_id,
                "mentor",
                ";".join(offered),
                "",
                "",
                ";".join(rng.sample(SENIOR_TOPICS, 1)),
                rng.choice(STYLES),
                ";".join(rng.sample(INTERESTS, 2)),
                _availability(rng),
                rng.choice(["remote", "either", "either", "in_person"]),
                rng.choice(["1", "1", "2"]),
                "Learn how decisions are made at the top and share how my generation works",
                "yes",
                _demographics(rng),
            ]
        )
    return out.getvalue()


def _demographics(rng: random.Random) -> str:
    if rng.random() > 0.4:  # opt-in: most people share nothing
        return ""
    return f"generation={rng.choice(['gen z', 'millennial', 'gen x', 'boomer'])}"


def main() -> None:
    people = build_organisation()
    (HERE / "people.csv").write_text(people_csv(people), encoding="utf-8")
    (HERE / "applications.csv").write_text(applications_csv(people), encoding="utf-8")
    print(f"wrote {len(people)} people and their applications to {HERE}")


if __name__ == "__main__":
    main()
