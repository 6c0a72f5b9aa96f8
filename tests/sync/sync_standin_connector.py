"""A connector for the stand-in host, written like a real one (requests, timeouts, error tree).

It is self-contained so a test can drop it into a site's ``hooks/`` folder. The host's writes
are not idempotent, so before repeating one it looks at the stored receipt, and on any
attempt after the first (an earlier try may have reached the host) it asks the host.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import requests
from marshmallow import Schema, fields

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext, ConnectorType
from rm_plugin.domain.records import Delivery, ProgrammeInfo, Receipt


class StandinConfig(Schema):
    url = fields.String(required=True)
    timeout = fields.Float(load_default=10.0)


class HostRefused(Exception):
    """The host said no; ``retryable`` and ``retry_after`` as the HTTP foundation's HostError has them."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class StandinConnection(Connection):
    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        super().__init__(context, config)
        self._local = threading.local()

    @property
    def http(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers["X-Worker"] = str(os.getpid())
        return self._local.session

    def _call(self, method: str, **kwargs: Any) -> requests.Response:
        url = f"{self.config['url']}/deliveries"
        try:
            response = self.http.request(method, url, timeout=self.config["timeout"], **kwargs)
        except requests.RequestException as exc:
            raise HostRefused(f"{method} {url}: {type(exc).__name__}", retryable=True) from exc
        if response.status_code in (429, 502, 503, 504):
            after = response.headers.get("Retry-After")
            raise HostRefused(
                f"{method} /deliveries: HTTP {response.status_code}",
                retryable=True,
                retry_after=float(after) if after else None,
            )
        if response.status_code >= 400 and response.status_code != 404:
            raise HostRefused(f"{method} /deliveries: HTTP {response.status_code} refused", retryable=False)
        return response

    def _deliver(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        if delivery.previous_receipt:
            return Receipt(host_ref=str(delivery.previous_receipt.get("host_ref", "")), skipped=True)
        if delivery.attempt > 1:
            found = self._call("GET", params={"key": delivery.key})
            if found.status_code == 200:
                return Receipt(host_ref=found.json()["id"], skipped=True)
        body = {"key": delivery.key, "action": delivery.action, "payload": dict(delivery.payload)}
        made = self._call("POST", json=body)
        return Receipt(host_ref=made.json()["id"])

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
        if found.status_code == 200:
            return Receipt(host_ref=found.json()["id"], skipped=True)
        made = self._call("POST", json={"key": key, "action": "prepare", "payload": {"name": programme.name}})
        return Receipt(host_ref=made.json()["id"])


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
