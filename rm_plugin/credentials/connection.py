"""The ``badges`` connection type: Open Badges 3.0 credentials as a host like any other, fed by
the outbox through ``rm_award``; the receipt holds the credential's id.

It lives with the credentials rather than in ``rm_plugin/connectors/``: the credentials it issues
and the keys it signs with are the site's own tables (as the LTI gradebook's are the portal's).

``connectors/badges.toml``: see :mod:`rm_plugin.credentials.settings`. A site may enable it
instead of Moodle's badges or next to them; each award row of a milestone reached goes to every
enabled progress connection, so both get it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rm_plugin import hookimpl
from rm_plugin.config import ConfigError
from rm_plugin.connections import ConnectionContext, ConnectorType
from rm_plugin.credentials.issuing import CannotIssue, issue
from rm_plugin.credentials.keys import CredentialKeys
from rm_plugin.credentials.settings import CONNECTOR_TYPE, BadgesConfig, BadgeSettings
from rm_plugin.domain.records import Delivery, HealthReport, ProgrammeInfo, Receipt
from rm_plugin.http import HostError
from rm_plugin.lti.keys import ToolKeyError
from rm_plugin.lti.own_tables import OwnTablesConnection
from rm_plugin.store.models import IssuedCredential

#: Two workers may take the same next bit of the status list; the loser tries again this often.
ATTEMPTS = 5


class NotIssued(HostError):
    """What no retry can fix (no key, no [web] settings, an unknown person); parked with the reason."""


class BadgesConnection(OwnTablesConnection):
    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        super().__init__(context, config)
        #: Injectable for tests: the clock.
        self.clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def settings(self) -> BadgeSettings:
        from rm_plugin.site import read_site_config

        try:
            root = self.context.site_root
            return BadgeSettings.from_config(root, read_site_config(root), self.config)
        except ConfigError as exc:
            raise NotIssued("; ".join(exc.lines()), host=self.name, call="read [web]") from None

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        settings = self.settings()
        keys = CredentialKeys(settings.secret, clock=self.clock)
        payload = delivery.payload
        pair_id = payload.get("pair_id")
        for attempt in range(ATTEMPTS):
            try:
                with self.database.transaction() as session:
                    issued = issue(
                        session,
                        settings,
                        keys,
                        delivery_key=delivery.key,
                        programme_slug=str(payload.get("programme", "")),
                        award=str(payload.get("award", "")),
                        hr_id=str(payload.get("person", "")),
                        pair_id=int(pair_id) if pair_id else None,
                        now=self.clock(),
                    )
                break
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
            except (CannotIssue, ToolKeyError) as exc:
                raise NotIssued(str(exc), host=self.name, call="issue credential") from None
        return Receipt(
            host_ref=issued.url,
            data={"credential": issued.uuid, "status_index": issued.status_index},
            skipped=not issued.fresh,
        )

    def _nothing(self, delivery: Delivery) -> Receipt | None:
        return self.decline(delivery, f"credentials are issued for awards, not {delivery.action}")

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: ProgrammeInfo) -> Receipt | None:
        if not self.owns(connection):
            return None
        return Receipt(skipped=True, data={"reason": "achievements are published by the portal"})

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        problems: list[str] = []
        issued = 0
        try:
            settings = self.settings()
            with self.database.transaction() as session:
                CredentialKeys(settings.secret).signing_key(session)
                issued = session.scalar(select(func.count(IssuedCredential.id))) or 0
            for award in settings.achievements:
                image = settings.image_file(award)
                if image is not None and not image.is_file():
                    problems.append(f"achievements.{award}.image: no file {image}")
        except NotIssued as exc:
            problems.append(exc.message)
        except ToolKeyError as exc:
            problems.append(str(exc))
        return HealthReport(self.name, summary=f"({issued} credential(s) issued)", problems=tuple(problems))


def make_connection(context: ConnectionContext, config: Mapping[str, Any]) -> BadgesConnection:
    return BadgesConnection(context, config)


@hookimpl
def rm_register_connector_types(register: Callable[[ConnectorType], None]) -> None:
    register(
        ConnectorType(
            CONNECTOR_TYPE,
            BadgesConfig,
            make_connection,
            "Open Badges 3.0 credentials anyone can verify, issued for awards",
            roles=("progress",),
            actions=("award",),
        )
    )
