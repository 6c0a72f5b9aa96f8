"""The ``files`` host: deliveries written as JSON lines in the output folder.

It implements the same delivery hooks as the Moodle connector, so the embedded default path
exercises the whole machinery; admins can read what a real host would have received.

``connectors/files.toml``::

    dir = "files-host"   # under the site's output folder unless absolute
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext, ConnectorType
from rm_plugin.connectors.files.journal import Journal
from rm_plugin.domain.records import Delivery, HealthReport, PersonRecord, ProgrammeInfo, Receipt

JOURNALS = {
    "enrol": "enrolments.jsonl",
    "close": "closures.jsonl",
    "completion": "completions.jsonl",
    "award": "awards.jsonl",
    "calendar": "calendar.jsonl",
    "notify": "notifications.jsonl",
    "prepare": "programmes.jsonl",
}


class FilesConfig(Schema):
    dir = fields.String(load_default="files-host")


class FilesHost(Connection):
    """One output folder acting as a host; every write is keyed and happens at most once."""

    @property
    def directory(self) -> Path:
        path = Path(self.config["dir"]).expanduser()
        return path if path.is_absolute() else self.context.output_dir / path

    def journal(self, action: str) -> Journal:
        return Journal(self.directory / JOURNALS[action])

    def _deliver(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        entry = {
            "action": delivery.action,
            "payload": dict(delivery.payload),
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        written, line = self.journal(delivery.action).append_once(delivery.key, entry)
        ref = f"{JOURNALS[delivery.action]}:{line}"
        return Receipt(
            host_ref=ref, data={"file": JOURNALS[delivery.action], "line": line}, skipped=not written
        )

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_put_calendar_event(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_send_notification(self, delivery: Delivery) -> Receipt | None:
        return self._deliver(delivery)

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: ProgrammeInfo) -> Receipt | None:
        if not self.owns(connection):
            return None
        key = f"prepare:{programme.slug}"
        entry = {"action": "prepare", "payload": {"programme": programme.slug, "name": programme.name}}
        written, line = self.journal("prepare").append_once(key, entry)
        return Receipt(host_ref=f"{JOURNALS['prepare']}:{line}", skipped=not written)

    @hookimpl
    def rm_resolve_accounts(
        self, connection: str, people: Sequence[PersonRecord]
    ) -> Mapping[str, str] | None:
        if not self.owns(connection):
            return None
        return {person.hr_id: person.hr_id for person in people}

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / ".write-check"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            return HealthReport(self.name, problems=(f"cannot write to {self.directory}: {exc.strerror}",))
        return HealthReport(self.name, summary=f"(writes to {self.directory})")


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> FilesHost:
    return FilesHost(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "files",
            FilesConfig,
            make_connection,
            "deliveries written as JSON lines in the output folder",
            roles=("progress", "notify", "calendar"),
        )
    )
