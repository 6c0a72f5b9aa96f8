"""One configured BambooHR connection: roster pulls, training-record deliveries, health checks."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import requests

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext
from rm_plugin.connectors.bamboohr.client import LIST_FIELDS, MAX_PAGE, BambooApi, BambooHttp
from rm_plugin.connectors.bamboohr.roster import (
    DEFAULT_FIELDS,
    REPORT_FIELDS,
    FieldMap,
    RecordError,
    employee_id,
    to_record,
)
from rm_plugin.domain.records import Delivery, HealthReport, PeopleBatch, PersonRecord, Receipt, RowProblem
from rm_plugin.domain.roster import Located, check_roster
from rm_plugin.http import AuthenticationError, HostError, NotFound, RetryPolicy
from rm_plugin.secret import Secret

log = logging.getLogger(__name__)

#: A full pull's cursor starts this far before the pull began, so a change made while the
#: pages were read is fetched again next time rather than lost (a repeat is harmless).
CURSOR_OVERLAP = dt.timedelta(minutes=5)
#: Employee ids per custom-report request when only some employees are wanted.
REPORT_IDS = 1000


class BambooHRConnection(Connection):
    """One ``connectors/<name>.toml`` of type ``bamboohr``; one HTTP client, created on first use."""

    def __init__(
        self,
        context: ConnectionContext,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(context, config)
        self._session = session
        self._retry = retry
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._api: BambooApi | None = None
        self._level_key: str | None = None
        self._type_ids: dict[str, str] = {}
        self._employee_ids: dict[str, str] | None = None

    # --- the client ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.config.get("base_url") or f"https://{self.config['company']}.bamboohr.com"

    @property
    def api(self) -> BambooApi:
        if self._api is None:
            api_key: Secret | None = self.config.get("api_key")
            token: Secret | None = self.config.get("access_token")
            headers: dict[str, str | Secret] = {"Accept": "application/json"}
            if token is not None:
                headers["Authorization"] = Secret(f"Bearer {token.reveal()}")
            http = BambooHttp(
                self.name,
                self.base_url,
                session=self._session,
                # The API key is the Basic user name; BambooHR ignores the password.
                auth=(api_key, "x") if api_key is not None else None,
                headers=headers,
                secrets=[s for s in (api_key, token) if s is not None],
                retry=self._retry,
                timeout=(10.0, float(self.config.get("timeout", 60.0))),
                log=log,
            )
            self._api = BambooApi(http)
        return self._api

    @property
    def roster_route(self) -> str:
        """How the roster is read, by credential: ``report`` with an API key, ``employees`` with OAuth.

        ``GET /api/v1/employees`` (cursor-paged) accepts only OAuth tokens; an API key reads the
        whole roster with one custom report (``POST /api/v1/reports/custom``).
        """
        return "employees" if self.config.get("access_token") is not None else "report"

    @property
    def _credential_key(self) -> str:
        return "access_token" if self.roster_route == "employees" else "api_key"

    def _employees(
        self, fields: Sequence[str], *, ids: Sequence[str] | None = None, only_active: bool = False
    ) -> list[Mapping[str, Any]]:
        """Employees with ``fields`` (all, or those in ``ids``) over the route the credential allows."""
        if self.roster_route == "employees":
            return self._listed_employees(fields, ids=ids, only_active=only_active)
        raws = self._reported(fields, ids=ids)
        if only_active:
            status = self.field_map_fields()["status"]
            raws = [raw for raw in raws if str(raw.get(status) or "").lower() == "active"]
        return raws

    def _reported(
        self, fields: Sequence[str], *, ids: Sequence[str] | None = None
    ) -> list[Mapping[str, Any]]:
        """The custom report's rows for ``fields`` (get-employee names), everyone or ``ids``."""
        wanted = list(dict.fromkeys("id" if f == "employeeId" else f for f in fields))
        if ids is None:
            return list(self.api.report(wanted).employees)
        return [
            raw for chunk in _chunks(ids, REPORT_IDS) for raw in self.api.report(wanted, ids=chunk).employees
        ]

    def _listed_employees(
        self, fields: Sequence[str], *, ids: Sequence[str] | None, only_active: bool
    ) -> list[Mapping[str, Any]]:
        """``GET /api/v1/employees`` for the fields it offers, the custom report for the others.

        The list returns only its fixed fields and those of ``EmployeeOptionalField`` (and
        ignores any other name without an error), so termination dates, employee numbers and
        custom fields such as the job level come from one custom report (OAuth scope
        ``report``), joined on the employee id.
        """
        size = int(self.config.get("page_size", MAX_PAGE))
        listed = [f for f in fields if f in LIST_FIELDS]
        if ids is None:
            raws = list(self.api.employees(listed, only_active=only_active, page_size=size))
        else:
            raws = [
                raw
                for chunk in _chunks(ids, size)
                for raw in self.api.employees(listed, ids=chunk, page_size=size)
            ]
        extra = unlisted(fields)
        if not extra or not raws:
            return raws
        # The whole roster in one report; only the changed employees' rows for an increment.
        rows = self._reported(extra, ids=None if ids is None else [employee_id(r) for r in raws])
        by_id = {str(row.get("id")): row for row in rows}
        return [{**raw, **_only(by_id.get(employee_id(raw), {}), extra)} for raw in raws]

    def field_map_fields(self) -> dict[str, str]:
        defaults = REPORT_FIELDS if self.roster_route == "report" else DEFAULT_FIELDS
        return {**defaults, **self.config.get("fields_", {})}

    def field_map(self) -> FieldMap:
        return FieldMap(
            fields=self.field_map_fields(),
            hr_id=self.config.get("hr_id", "employeeId"),
            job_level_key=self.job_level_key(),
            job_levels=self.config.get("job_levels", {}),
        )

    def job_level_key(self) -> str | None:
        """The key the configured job-level custom field arrives under, found via meta/fields."""
        wanted = self.config.get("job_level_field")
        if not wanted:
            return None
        if self._level_key is None:
            fields = self.api.meta_fields()
            for field in fields:
                names = {str(field.get("name", "")), str(field.get("alias") or ""), str(field.get("id", ""))}
                if wanted in names:
                    self._level_key = str(field.get("alias") or field.get("id"))
                    break
            else:
                raise NotFound(
                    f"the custom field {wanted!r} (job_level_field in {self._file}) does not exist; "
                    "create it in BambooHR (Settings > Employee Fields) or name an existing field",
                    host=self.name,
                    call="GET /api/v1/meta/fields",
                )
        return self._level_key

    @property
    def _file(self) -> str:
        return f"connectors/{self.name}.toml"

    # --- the roster ----------------------------------------------------------------------

    def fetch(self, since: str | None, today: dt.date | None = None) -> PeopleBatch:
        """A full roster (``since`` None) or the employees changed since the cursor ``since``."""
        today = today or self._clock().date()
        mapping = self.field_map()
        problems: list[RowProblem] = []
        if since is None:
            cursor = (self._clock() - CURSOR_OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
            only_active = not self.config.get("include_inactive", True)
            raws = self._employees(mapping.request_fields(), only_active=only_active)
        else:
            latest, actions = self.api.changed(since)
            cursor = latest or since
            changed = [i for i, action in actions.items() if action.lower() != "deleted"]
            for deleted in sorted(set(actions) - set(changed)):
                problems.append(
                    RowProblem(
                        self.name,
                        f"employee {deleted}",
                        "deleted in BambooHR; run a full sync (people sync --full) to mark them as left",
                    )
                )
            raws = self._employees(mapping.request_fields(), ids=changed) if changed else []
        managers = self._manager_ids(raws, mapping)
        rows: list[Located] = []
        for raw in raws:
            where = f"employee {employee_id(raw) or '?'}"
            manager = raw.get(mapping.fields["manager"])
            try:
                record = to_record(
                    raw,
                    mapping,
                    source=self.name,
                    manager_hr_id=managers.get(str(manager)) if manager not in (None, "") else None,
                    today=today,
                )
            except RecordError as exc:
                problems.append(RowProblem(self.name, where, str(exc), employee_id(raw) or None))
                continue
            rows.append(Located(record, where))
        if since is None:
            rows, roster_problems = check_roster(rows)
            problems += roster_problems
        return PeopleBatch(
            source=self.name,
            records=tuple(row.record for row in rows),
            problems=tuple(problems),
            complete=since is None,
            cursor=cursor,
        )

    def _manager_ids(self, raws: Sequence[Mapping[str, Any]], mapping: FieldMap) -> dict[str, str]:
        """BambooHR employee id -> the manager's HR id in the configured id space."""
        manager_ids = {str(raw.get(mapping.fields["manager"])) for raw in raws} - {"None", ""}
        if mapping.hr_id == "employeeId":
            return {m: m for m in manager_ids}
        known = {employee_id(raw): str(raw.get(mapping.hr_id) or "") for raw in raws}
        missing = sorted(manager_ids - set(known))
        if missing:
            for raw in self._employees(["employeeId", mapping.hr_id], ids=missing):
                known[employee_id(raw)] = str(raw.get(mapping.hr_id) or "")
        return {m: known[m] for m in manager_ids if known.get(m)}

    @hookimpl
    def rm_fetch_people(self, connection: str | None, since: str | None) -> PeopleBatch | None:
        if not self.owns(connection):
            return None
        return self.fetch(since)

    # --- accounts ------------------------------------------------------------------------

    def employee_id_for(self, hr_id: str) -> str:
        """The BambooHR employee id of an HR id (the same unless hr_id = "employeeNumber")."""
        field = self.config.get("hr_id", "employeeId")
        if field == "employeeId":
            return hr_id
        if self._employee_ids is None:
            self._employee_ids = {
                str(raw.get(field)): employee_id(raw)
                for raw in self._employees(["employeeId", field])
                if raw.get(field)
            }
        try:
            return self._employee_ids[hr_id]
        except KeyError:
            raise NotFound(
                f"no employee has {field} {hr_id!r}", host=self.name, call=self._roster_call
            ) from None

    @hookimpl
    def rm_resolve_accounts(
        self, connection: str, people: Sequence[PersonRecord]
    ) -> Mapping[str, str] | None:
        if not self.owns(connection):
            return None
        found: dict[str, str] = {}
        for person in people:
            try:
                found[person.hr_id] = self.employee_id_for(person.hr_id)
            except NotFound:
                continue
        return found

    # --- progress back: training records -------------------------------------------------

    def training_type_id(self, name: str) -> str | None:
        """The training type for a milestone or award: configured by id, or found/created by name."""
        configured = self.config.get("training_types", {}).get(name)
        if configured is not None:
            return str(configured)
        if name not in self.config.get("create_training_types", []):
            return None
        if name not in self._type_ids:
            title = training_type_name(self.config.get("training_category", "Reverse mentoring"), name)
            existing = {str(t.get("name")): str(t.get("id")) for t in self.api.training_types().values()}
            if title in existing:
                self._type_ids[name] = existing[title]
            else:
                created = self.api.create_training_type(
                    title,
                    self.config.get("training_category"),
                    f"Recorded by rm-plugin when a reverse-mentoring participant reaches '{name}'.",
                )
                self._type_ids[name] = str(created["id"])
        return self._type_ids[name]

    def write_training(self, delivery: Delivery, name: str, completed: str) -> Receipt:
        """List the person's records of the type first; update ours or add it once."""
        payload = delivery.payload
        type_id = self.training_type_id(name)
        if type_id is None:
            return Receipt(
                skipped=True,
                data={
                    "reason": f"{name!r} is in neither training_types nor "
                    f"create_training_types of {self._file}"
                },
            )
        employee = self.employee_id_for(str(payload["person"]))
        marker = f"rm-plugin {payload.get('programme', '')}/{payload.get('pair_id', '')}/{name}"
        notes = f"Reverse mentoring: {name.replace('_', ' ')} ({marker})"
        if payload.get("evidence_url"):
            notes += f" {payload['evidence_url']}"
        record = {"completed": completed, "type": int(type_id), "notes": notes}
        for record_id, existing in self.api.training_records(employee, type_id).items():
            if marker not in str(existing.get("notes") or ""):
                continue
            data = {"employee": employee, "record": record_id, "type": type_id}
            if str(existing.get("completed")) == completed and existing.get("notes") == notes:
                return Receipt(host_ref=f"training record {record_id}", data=data, skipped=True)
            self.api.update_training_record(record_id, record)
            return Receipt(host_ref=f"training record {record_id}", data={**data, "updated": True})
        created = self.api.add_training_record(employee, record)
        record_id = str(created.get("id", ""))
        return Receipt(
            host_ref=f"training record {record_id}",
            data={"employee": employee, "record": record_id, "type": type_id},
        )

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        payload = delivery.payload
        return self.write_training(
            delivery, str(payload["milestone"]), _day(payload.get("reached_on"), self._clock)
        )

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        payload = delivery.payload
        when = payload.get("awarded_on") or payload.get("reached_on")
        return self.write_training(delivery, str(payload["award"]), _day(when, self._clock))

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        return Receipt(
            skipped=True, data={"reason": "BambooHR has no enrolment; milestones arrive as training records"}
        )

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        return self.rm_enrol_pair(delivery)

    # --- health --------------------------------------------------------------------------

    def health(self) -> HealthReport:
        problems: list[str] = []
        try:
            if self.roster_route == "employees":
                list(itertools.islice(self.api.employees(["employeeId"], page_size=1), 1))
        except AuthenticationError as exc:
            return HealthReport(self.name, problems=(f"{exc}; check {self._credential_key} in {self._file}",))
        except HostError as exc:
            problems.append(f"cannot list employees: {exc}")
        try:
            self._level_key = None
            self.job_level_key()
        except AuthenticationError as exc:
            return HealthReport(self.name, problems=(f"{exc}; check {self._credential_key} in {self._file}",))
        except HostError as exc:
            problems.append(str(exc))
        problems += self._check_fields()
        configured = self.config.get("training_types", {})
        if configured or self.config.get("create_training_types"):
            try:
                types = self.api.training_types()
            except HostError as exc:
                problems.append(
                    f"cannot read training types (the API user needs training settings access): {exc}"
                )
            else:
                for name, type_id in configured.items():
                    if str(type_id) not in types:
                        problems.append(
                            f"training_types.{name} = {type_id}: no such training type in BambooHR"
                        )
        return HealthReport(
            self.name, summary=f"(BambooHR {self.config['company']})", problems=tuple(problems)
        )

    @property
    def _roster_call(self) -> str:
        return "GET /api/v1/employees" if self.roster_route == "employees" else "POST /api/v1/reports/custom"

    def _check_fields(self) -> list[str]:
        """Every field the roster asks for arrives: name each one the route cannot deliver.

        BambooHR drops fields it does not know (or the user may not see) without an error: the
        custom report answers which it kept, and ``GET /api/v1/employees`` ignores any name
        outside its list. So the custom report is asked for every field (API key) or for those the
        list does not offer (OAuth), filtered to changes from now on: (almost) no employees.
        """
        # The level field's key as health() just found it (None when it does not exist).
        mapping = FieldMap(
            self.field_map_fields(), self.config.get("hr_id", "employeeId"), self._level_key, {}
        )
        oauth = self.roster_route == "employees"
        if oauth:
            wanted = unlisted(mapping.request_fields())
            if not wanted:
                return []
            why = f"GET /api/v1/employees does not offer {', '.join(wanted)}, so they are read from "
        else:
            wanted = ["id" if f == "employeeId" else f for f in mapping.request_fields()]
            why = ""
        now = self._clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            answer = self.api.report(wanted, changed_since=now)
        except AuthenticationError as exc:
            if not oauth:
                return [f"{exc}; check api_key in {self._file}"]
            return [f"{why}the custom report, which refused the access token ({exc})"]
        except HostError as exc:
            if not oauth:
                return [f"cannot read the roster report: {exc}"]
            return [f"{why}the custom report, which needs the token's OAuth scope 'report': {exc}"]
        if not answer.fields:
            return []
        dropped = [f for f in wanted if f != "id" and f not in answer.fields]
        if not dropped:
            return []
        who = "the access token's user" if oauth else "the API key's user"
        return [
            f"the custom report left out {', '.join(dropped)}: BambooHR does not know these fields or "
            f"{who} may not see them; name the right fields in [fields] of {self._file} "
            "or give the user access"
            + ("" if not oauth else " (GET /api/v1/employees does not offer them either)")
        ]

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        return self.health()


def training_type_name(category: str, name: str) -> str:
    return f"{category}: {name.replace('_', ' ')}"


def _day(value: Any, clock: Callable[[], dt.datetime]) -> str:
    if not value:
        return clock().date().isoformat()
    return str(value)[:10]


def unlisted(fields: Iterable[str]) -> list[str]:
    """The fields ``GET /api/v1/employees`` cannot return, which the custom report supplies."""
    return [f for f in dict.fromkeys(fields) if f not in LIST_FIELDS]


def _only(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {f: row[f] for f in fields if f in row}


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
