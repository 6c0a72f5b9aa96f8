"""Reading a roster CSV into person records; each unusable row becomes a problem with its line."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rm_plugin.domain.csv_records import records
from rm_plugin.domain.records import PERSON_FIELDS, PersonRecord, RowProblem
from rm_plugin.domain.roster import Located
from rm_plugin.errors import RowError

COLUMNS = PERSON_FIELDS
LEFT_STATUSES = {"left", "terminated", "inactive", "former"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RosterRead:
    """What a roster file gave: the rows it could read, a problem per row it could not, and
    whether the file as a whole was usable (an unreadable file or header is not a roster)."""

    def __init__(self, rows: list[Located], problems: list[RowProblem], usable: bool) -> None:
        self.rows = rows
        self.problems = problems
        self.usable = usable


def read_roster(
    path: Path,
    *,
    source: str,
    columns: Mapping[str, str],
    date_formats: Sequence[str],
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    languages_separator: str = ";",
    level_range: tuple[int, int] = (1, 20),
    today: dt.date | None = None,
) -> RosterRead:
    today = today or dt.date.today()
    rows: list[Located] = []
    problems: list[RowProblem] = []
    line = 1
    try:
        with path.open(newline="", encoding=encoding) as fh:
            reader = csv.DictReader(fh, delimiter=delimiter)
            fieldnames = reader.fieldnames or []
            if not fieldnames:
                reason = "the file is empty: a roster starts with a header line, e.g. hr_id,email,…"
                return RosterRead([], [RowProblem(source, "line 1", reason)], usable=False)
            missing = header_problems(fieldnames, columns, delimiter)
            if missing:
                problems = [RowProblem(source, "line 1", reason) for reason in missing]
                return RosterRead([], problems, usable=False)
            usable = True
            for found in records(reader):
                line = found.last_line
                raw = found.values
                hr_id = (raw.get(columns.get("hr_id", "hr_id")) or "").strip()
                if found.problem:
                    problems.append(RowProblem(source, found.where, found.problem, hr_id or None))
                    usable = usable and not found.hides_rows
                    continue
                try:
                    record = _record(
                        raw, columns, source, date_formats, languages_separator, level_range, today
                    )
                except RowError as exc:
                    problems.append(RowProblem(source, found.where, str(exc), hr_id or None))
                    continue
                rows.append(Located(record, found.where))
    except OSError as exc:
        return RosterRead(
            [], [RowProblem(source, str(path), f"cannot read the roster: {exc.strerror}")], False
        )
    except UnicodeDecodeError as exc:
        # The text layer decodes ahead in blocks, so the line read last is not where the bad
        # byte is: find it in the bytes.
        bad_line, byte = _undecodable_line(path, encoding, fallback=line + 1)
        reason = (
            f"not readable as {encoding} ({exc.reason}: byte {byte}); set `encoding` in the connector "
            "file to the one the file was saved in (e.g. cp1252 or latin-1), or save it as UTF-8"
        )
        return RosterRead([], [RowProblem(source, f"line {bad_line}", reason)], usable=False)
    except csv.Error as exc:
        return RosterRead([], [RowProblem(source, f"line {line + 1}", f"not valid CSV: {exc}")], usable=False)
    # A record that swallowed lines may hide people: such a roster cannot say who left.
    return RosterRead(rows, problems, usable=usable)


#: Columns a roster must have: who people are, and what the rules stand on (the seniority rule
#: reads the level, the management-chain rule the manager). A file without one would clear that
#: field for everybody, and rule 2 could not be checked for anyone.
REQUIRED = ("hr_id", "email", "job_level", "manager_hr_id")


def header_problems(fieldnames: Sequence[str], columns: Mapping[str, str], delimiter: str) -> list[str]:
    """Every column the header lacks: the required ones, and any mapped under [columns]."""
    header = set(fieldnames)
    wanted = dict.fromkeys(REQUIRED) | dict.fromkeys(columns)
    named = {field: columns.get(field, field) for field in wanted}
    absent = [(field, name) for field, name in named.items() if name not in header]
    if not absent:
        return []
    shown = delimiter.join(fieldnames)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    others = [d for d in (";", ",", "\t", "|") if d != delimiter and d in shown]
    if len(fieldnames) == 1 and others:
        return [
            f"the header read was {shown!r}, one column: is the file separated by {others[0]!r}? "
            "set `delimiter` in connectors/csv.toml accordingly"
        ]
    return [
        f"the header has no column {name!r} ({field}, "
        + ("as mapped under [columns]" if field in columns else "required")
        + f"); the header read was {shown!r}; map it under [columns] in connectors/csv.toml"
        for field, name in absent
    ]


def read_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """The roster's header line alone, for ``check``; raises OSError, UnicodeDecodeError, csv.Error."""
    with path.open(newline="", encoding=encoding) as fh:
        return next(csv.reader(fh, delimiter=delimiter), [])


def _undecodable_line(path: Path, encoding: str, fallback: int) -> tuple[int, str]:
    """The line and the hex of the first byte ``encoding`` cannot decode."""
    try:
        data = path.read_bytes()
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1, f"0x{data[exc.start]:02x}"
    except (OSError, LookupError):
        pass
    return fallback, "?"


def _record(
    raw: Mapping[str, str | None],
    columns: Mapping[str, str],
    source: str,
    date_formats: Sequence[str],
    languages_separator: str,
    level_range: tuple[int, int],
    today: dt.date,
) -> PersonRecord:
    def get(name: str) -> str:
        return (raw.get(columns.get(name, name)) or "").strip()

    hr_id = get("hr_id")
    if not hr_id:
        raise RowError("missing HR id")
    email = get("email")
    if not email:
        raise RowError("missing email")
    if not _EMAIL.match(email):
        raise RowError(f"email {email!r} is not an email address")
    level_text = get("job_level")
    level: int | None = None
    if level_text:
        try:
            level = int(level_text)
        except ValueError:
            raise RowError(f"job level {level_text!r} is not a whole number") from None
        low, high = level_range
        if not low <= level <= high:
            raise RowError(
                f"job level {level} is outside {low}-{high} (set min_level/max_level if yours differ)"
            )
    time_zone = get("time_zone")
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RowError(f"time zone {time_zone!r} is not an IANA time zone (e.g. Europe/London)") from None
    hire_date = _date(get("hire_date"), "hire date", date_formats)
    termination_date = _date(get("termination_date"), "termination date", date_formats)
    status_text = get("status").lower()
    left = status_text in LEFT_STATUSES or (termination_date is not None and termination_date <= today)
    languages = tuple(x.strip().lower() for x in get("languages").split(languages_separator) if x.strip())
    return PersonRecord(
        hr_id=hr_id,
        email=email,
        given_name=get("given_name"),
        family_name=get("family_name"),
        job_level=level,
        title=get("title"),
        department=get("department"),
        team=get("team"),
        manager_hr_id=get("manager_hr_id") or None,
        location=get("location"),
        time_zone=time_zone,
        languages=languages,
        hire_date=hire_date,
        termination_date=termination_date,
        status="left" if left else "active",
        source=source,
    )


def _date(text: str, what: str, formats: Sequence[str]) -> dt.date | None:
    if not text:
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(f"{what} {text!r} does not match the date format(s) {', '.join(formats)}")
