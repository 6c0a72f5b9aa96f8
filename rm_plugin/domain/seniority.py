"""The reversal rule: in every pair the mentor is junior to the mentee (DESIGN.md §2 rule 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SeniorityRule:
    """A programme's seniority measure.

    The mentee's job level must exceed the mentor's by at least ``min_level_gap``. With
    ``tenure_tiebreak`` and a gap of 0 allowed, equal levels are decided by tenure: the
    mentor must have joined later. ``mentor_max_level`` / ``mentee_min_level`` bound who
    may apply in each role at all.
    """

    min_level_gap: int = 2
    tenure_tiebreak: bool = False
    mentor_max_level: int | None = None
    mentee_min_level: int | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SeniorityRule:
        return cls(
            min_level_gap=int(values.get("min_level_gap", 2)),
            tenure_tiebreak=bool(values.get("tenure_tiebreak", False)),
            mentor_max_level=values.get("mentor_max_level"),
            mentee_min_level=values.get("mentee_min_level"),
        )

    def reversal_holds(
        self,
        mentee_level: int | None,
        mentor_level: int | None,
        mentee_hired: dt.date | None = None,
        mentor_hired: dt.date | None = None,
    ) -> bool:
        if mentee_level is None or mentor_level is None:
            return False
        gap = mentee_level - mentor_level
        if gap < self.min_level_gap or gap < 0:
            return False
        if gap > 0:
            return True
        # equal levels: only tenure can make the mentor the junior one
        return (
            self.tenure_tiebreak
            and mentee_hired is not None
            and mentor_hired is not None
            and mentor_hired > mentee_hired
        )

    def why_not_mentor(self, level: int | None, top_level: int | None) -> str | None:
        """The reason a person cannot mentor anyone in an organisation whose top level is given."""
        if level is None:
            return "no job level known"
        if self.mentor_max_level is not None and level > self.mentor_max_level:
            return f"level {level} is above the programme's mentor maximum {self.mentor_max_level}"
        if top_level is not None and level + self.min_level_gap > top_level:
            return f"nobody is {self.min_level_gap} or more levels above level {level}"
        return None

    def why_not_mentee(self, level: int | None, bottom_level: int | None) -> str | None:
        """The reason a person cannot be a mentee in an organisation whose lowest level is given."""
        if level is None:
            return "no job level known"
        if self.mentee_min_level is not None and level < self.mentee_min_level:
            return f"level {level} is below the programme's mentee minimum {self.mentee_min_level}"
        if bottom_level is not None and level - self.min_level_gap < bottom_level:
            return f"nobody is {self.min_level_gap} or more levels below level {level}"
        return None
