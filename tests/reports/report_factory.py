"""A small hand-made programme, written straight through the models with the dates each test needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rm_plugin.store import Database
from rm_plugin.store.models import (
    Agreement,
    AgreementSignature,
    AgreementVersion,
    Application,
    Meeting,
    MilestoneReached,
    Pair,
    PairStatusChange,
    Person,
    SurveyResponse,
)

START = dt.date(2026, 1, 5)
END = dt.date(2026, 7, 3)
SLUG = "rm-2026"


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


@dataclass
class Org:
    """People, applications and pairs of one programme, made with explicit dates."""

    db: Database
    ids: dict[str, int] = field(default_factory=dict)
    programme_id: int = 0

    def person(self, hr_id: str, level: int = 3, **extra: Any) -> int:
        with self.db.transaction() as s:
            person = Person(
                hr_id=hr_id,
                email=f"{hr_id.lower()}@example.com",
                given_name=extra.pop("given_name", hr_id.title()),
                family_name=extra.pop("family_name", "Test"),
                job_level=level,
                hire_date=extra.pop("hire_date", dt.date(2020, 1, 1)),
                **extra,
            )
            s.add(person)
            s.flush()
            self.ids[hr_id] = person.id
            return person.id

    def apply(self, hr_id: str, role: str, on: dt.date, **extra: Any) -> None:
        with self.db.transaction() as s:
            s.add(
                Application(
                    programme_id=self.programme_id,
                    person_id=self.ids[hr_id],
                    role=role,
                    skills_offered=["generative AI"] if role == "mentor" else [],
                    skills_wanted={"generative AI": 3} if role == "mentee" else {},
                    submitted_at=at(on),
                    **extra,
                )
            )

    def pair(
        self, mentee: str, mentor: str, status: str = "active", activated: dt.date | None = None, **extra: Any
    ) -> int:
        with self.db.transaction() as s:
            pair = Pair(
                programme_id=self.programme_id,
                mentee_id=self.ids[mentee],
                mentor_id=self.ids[mentor],
                status=status,
                score=0.5,
                **extra,
            )
            s.add(pair)
            s.flush()
            s.add(PairStatusChange(pair_id=pair.id, from_status=None, to_status="proposed", at=at(START)))
            if activated is not None:
                s.add(
                    PairStatusChange(
                        pair_id=pair.id, from_status="proposed", to_status="active", at=at(activated)
                    )
                )
            return pair.id

    def close(self, pair_id: int, on: dt.date) -> None:
        with self.db.transaction() as s:
            s.get(Pair, pair_id).status = "closed"
            s.add(PairStatusChange(pair_id=pair_id, from_status="active", to_status="closed", at=at(on)))

    def agreement(
        self, pair_id: int, signed: list[tuple[int, str, dt.datetime]], cadence: int | None = None
    ) -> None:
        """An agreement whose versions are signed as ``(version, hr_id, when)`` says."""
        with self.db.transaction() as s:
            versions = sorted({v for v, _, _ in signed} | {1})
            agreement = Agreement(pair_id=pair_id, current_version=max(versions))
            s.add(agreement)
            s.flush()
            for version in versions:
                body = {"schedule": {"cadence_days": cadence}} if cadence else {}
                s.add(AgreementVersion(agreement_id=agreement.id, version=version, body=body))
            for version, hr_id, when in signed:
                s.add(
                    AgreementSignature(
                        agreement_id=agreement.id, version=version, person_id=self.ids[hr_id], signed_at=when
                    )
                )
            pair = s.get(Pair, pair_id)
            done = [
                v
                for v in versions
                if {pair.mentee_id, pair.mentor_id} <= {self.ids[h] for vv, h, _ in signed if vv == v}
            ]
            if done:
                agreement.signed_version = max(done)
                agreement.status = "active"

    def meetings(self, pair_id: int, days: list[dt.date], note: str = "") -> list[int]:
        with self.db.transaction() as s:
            pair = s.get(Pair, pair_id)
            made = []
            for day in days:
                meeting = Meeting(
                    pair_id=pair_id,
                    held_on=day,
                    minutes=45,
                    mode="video",
                    topics=["tools"],
                    private_note=note,
                    logged_by_id=pair.mentee_id,
                    confirmed_by_id=pair.mentor_id,
                    confirmed_at=at(day),
                )
                s.add(meeting)
                s.flush()
                made.append(meeting.id)
            return made

    def answer(
        self, pair_id: int, hr_id: str, kind: str, answers: dict[str, Any], meeting_id: int | None = None
    ) -> None:
        with self.db.transaction() as s:
            s.add(
                SurveyResponse(
                    pair_id=pair_id,
                    person_id=self.ids[hr_id],
                    kind=kind,
                    meeting_id=meeting_id,
                    answers=answers,
                )
            )

    def reach(self, pair_id: int, milestone: str, hr_ids: list[str], on: dt.date) -> None:
        with self.db.transaction() as s:
            for hr_id in hr_ids:
                s.add(
                    MilestoneReached(
                        pair_id=pair_id, milestone=milestone, person_id=self.ids[hr_id], reached_on=on
                    )
                )
