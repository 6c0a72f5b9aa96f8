"""A connector for the stand-in host, written like a real one: on the shared HTTP foundation.

It is self-contained so a test can drop it into a site's ``hooks/`` folder. The host's writes
are not idempotent, so before repeating one it looks at the stored receipt, and on any
attempt after the first (an earlier try may have reached the host) it asks the host. What is
transient and what is permanent is the foundation's call, as for every real connector.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import requests
from marshmallow import Schema, fields

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext, ConnectorType
from rm_plugin.domain.records import Delivery, ProgrammeInfo, Receipt
from rm_plugin.http import HostError, HttpClient, RetryPolicy

CALL = "/deliveries"


class StandinConfig(Schema):
    url = fields.String(required=True)
    timeout = fields.Float(load_default=10.0)


class StandinClient(HttpClient):
    """A 404 from a look-up means "not there", not an error."""

    def error_for_response(self, response: requests.Response, call: str) -> HostError | None:
        if response.status_code == 404 and response.request.method == "GET":
            return None
        return super().error_for_response(response, call)


class StandinConnection(Connection):
    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        super().__init__(context, config)
        self.client = StandinClient(
            context.name,
            config["url"],
            headers={"X-Worker": str(os.getpid())},
            timeout=float(config["timeout"]),
            retry=RetryPolicy(max_attempts=1),  # the sync engine retries, with its own backoff
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        response = self.client.request(method, CALL, call_name=f"{method} {CALL}", **kwargs)
        if response.status_code == 404:
            return None
        return self.client.decode_json(response, f"{method} {CALL}", empty_ok=False)

    def _deliver(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        if delivery.previous_receipt:
            return Receipt(host_ref=str(delivery.previous_receipt.get("host_ref", "")), skipped=True)
        if delivery.attempt > 1:
            found = self._call("GET", params={"key": delivery.key})
            if found is not None:
                return Receipt(host_ref=found["id"], skipped=True)
        body = {"key": delivery.key, "action": delivery.action, "payload": dict(delivery.payload)}
        made = self._call("POST", json=body)
        return Receipt(host_ref=made["id"])

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
        found = self._call("GET", params={"key": key})
        if found is not None:
            return Receipt(host_ref=found["id"], skipped=True)
        made = self._call("POST", json={"key": key, "action": "prepare", "payload": {"name": programme.name}})
        return Receipt(host_ref=made["id"])


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            "standin",
            StandinConfig,
            StandinConnection,
            "the HTTP stand-in host used by sync tests and the benchmark",
            roles=("progress", "notify", "calendar"),
        )
    )
