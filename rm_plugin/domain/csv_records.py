"""Reading CSV records with their physical line numbers, refusing the shapes that lose rows.

An unterminated quote makes Python's csv module read every following line into one field,
silently; a row with more or fewer fields than the header shifts values into the wrong
columns. Neither is ever legitimate in a roster or an application file, so each becomes a
problem naming the lines, and the caller learns that rows may be hidden inside it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CsvRecord:
    first_line: int
    last_line: int
    values: dict[str, str]
    problem: str | None = None  # why the record cannot be trusted as a row
    hides_rows: bool = False  # it swallowed following lines, so rows may be missing

    @property
    def where(self) -> str:
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


def records(reader: csv.DictReader[str]) -> Iterator[CsvRecord]:
    """Each record of ``reader`` with the lines it spans and, for a malformed one, the reason."""
    last = reader.line_num
    for raw in reader:
        first, last = last + 1, reader.line_num
        values = {k: v for k, v in raw.items() if k is not None}
        problem = None
        hides = False
        if any(isinstance(v, str) and ("\n" in v or "\r" in v) for v in values.values()):
            problem = (
                f"a quoted field runs over lines {first}-{last} (an unterminated quote?); "
                "the rows inside it were not read"
            )
            hides = True
        elif raw.get(None):  # type: ignore[call-overload]
            problem = f"has {len(values) + len(raw[None])} fields, the header has {len(values)}"  # type: ignore[index]
        elif any(v is None for v in values.values()):
            given = sum(v is not None for v in values.values())
            problem = f"has {given} fields, the header has {len(values)}"
        yield CsvRecord(first, last, values, problem, hides)
