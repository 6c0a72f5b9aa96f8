"""One ``lti_grades`` connection: where scores go, and posting them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import func, select

from rm_plugin import hookimpl
from rm_plugin.config import ConfigError
from rm_plugin.connections import ConnectionContext
from rm_plugin.domain.records import Delivery, HealthReport, ProgrammeInfo, Receipt
from rm_plugin.http import HostError
from rm_plugin.lti import claims as c
from rm_plugin.lti.ags import AgsClient, PlatformGrant, Score, next_timestamp
from rm_plugin.lti.deep_linking import PROGRESS_TAG
from rm_plugin.lti.keys import ToolKeyError, ToolKeys
from rm_plugin.lti.own_tables import OwnTablesConnection
from rm_plugin.secret import Secret
from rm_plugin.store.models import LtiGradeTarget, LtiPlatform, MilestoneReached, Person, Programme

DEFAULT_LABEL = "Reverse mentoring: progress"


class LtiGradesConfig(Schema):
    platform = fields.String(load_default=None, allow_none=True)
    label = fields.String(load_default=DEFAULT_LABEL)


class NotDeliverable(HostError):
    """What no retry can fix (no signing key, no web secret); parked with the reason."""


class LtiGradesConnection(OwnTablesConnection):
    """The grade targets and the tool's keys are the portal's own tables."""

    def __init__(self, context: ConnectionContext, config: Mapping[str, Any]) -> None:
        super().__init__(context, config)
        self._clients: dict[int, AgsClient] = {}
        self._lock = threading.Lock()
        # One score at a time per grade target in this process: two rows of one person posted
        # in parallel would carry the same second, and the platform would refuse the second.
        self._target_locks: dict[int, threading.Lock] = {}
        #: Injectable for tests: the transport, the clock.
        self.http_session: Any = None
        self.clock = lambda: dt.datetime.now(dt.UTC)

    def _secret(self) -> Secret:
        from rm_plugin.site import read_site_config

        try:
            secret = read_site_config(self.context.site_root)["web"].get("secret_key")
        except ConfigError as exc:
            raise NotDeliverable(str(exc), host=self.name, call="read [web] secret_key") from None
        if not isinstance(secret, Secret):
            raise NotDeliverable(
                "rm-plugin.toml has no [web] secret_key: the tool's signing key cannot be used",
                host=self.name,
                call="read [web] secret_key",
            )
        return secret

    def _client(self, platform: LtiPlatform) -> AgsClient:
        with self._lock:
            client = self._clients.get(platform.id)
            if client is None:
                keys = ToolKeys(self._secret())

                def sign(claims: dict[str, Any]) -> str:
                    try:
                        with self.database.transaction() as session:
                            return keys.sign(session, claims)
                    except ToolKeyError as exc:
                        raise NotDeliverable(str(exc), host=self.name, call="sign client assertion") from None

                grant = PlatformGrant(
                    f"{self.name} ({platform.name or platform.issuer})",
                    platform.client_id,
                    platform.token_url,
                )
                client = AgsClient(grant, sign, session=self.http_session, clock=self.clock)
                self._clients[platform.id] = client
            return client

    # --- the delivery -----------------------------------------------------------------------

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        if not self.owns(delivery.connection):
            return None
        hr_id = str(delivery.payload.get("person", ""))
        slug = str(delivery.payload.get("programme", ""))
        with self.database.transaction() as session:
            person = session.scalar(select(Person).where(Person.hr_id == hr_id))
            programme = session.scalar(select(Programme).where(Programme.slug == slug))
            if person is None or programme is None:
                raise NotDeliverable(
                    f"no person {hr_id!r} or programme {slug!r}", host=self.name, call="progress"
                )
            total = len(programme.milestones or [])
            reached = (
                session.scalar(
                    select(func.count(func.distinct(MilestoneReached.milestone))).where(
                        MilestoneReached.pair_id == int(delivery.payload.get("pair_id", 0)),
                        MilestoneReached.person_id == person.id,
                    )
                )
                or 0
            )
            query = select(LtiGradeTarget, LtiPlatform).join(
                LtiPlatform, LtiPlatform.id == LtiGradeTarget.platform_id
            )
            query = query.where(LtiGradeTarget.person_id == person.id)
            if self.config.get("platform"):
                query = query.where(LtiPlatform.issuer == self.config["platform"])
            targets = [(t.id, p) for t, p in session.execute(query)]
        if total == 0:
            return Receipt(skipped=True, data={"reason": "the programme has no milestones"})
        if not targets:
            return Receipt(
                skipped=True, data={"reason": "the person has not opened the portal from a graded course yet"}
            )
        score_for = {"given": min(reached, total), "maximum": total}
        posted = [self._post(target_id, platform, progress=score_for) for target_id, platform in targets]
        done = [p for p in posted if p]
        if not done:
            return Receipt(
                skipped=True, data={"reason": "no link of the person has a grade column or may make one"}
            )
        return Receipt(
            host_ref=done[0], data={"score": score_for["given"], "maximum": total, "line_items": done}
        )

    def _post(self, target_id: int, platform: LtiPlatform, *, progress: Mapping[str, int]) -> str:
        with self._lock:
            lock = self._target_locks.setdefault(target_id, threading.Lock())
        with lock:
            return self._post_locked(target_id, platform, progress=progress)

    def _post_locked(self, target_id: int, platform: LtiPlatform, *, progress: Mapping[str, int]) -> str:
        client = self._client(platform)
        with self.database.transaction() as session:
            target = session.get(LtiGradeTarget, target_id)
            assert target is not None
            lineitem, lineitems, scopes, sub, link = (
                target.lineitem_url,
                target.lineitems_url,
                list(target.scopes or []),
                target.sub,
                target.resource_link_id,
            )
            last = target.last_score_at
        if not lineitem:
            if not lineitems or c.AGS_SCOPE_LINEITEM not in scopes:
                return ""
            item = client.ensure_line_item(
                lineitems,
                label=str(self.config.get("label") or DEFAULT_LABEL),
                score_maximum=progress["maximum"],
                tag=PROGRESS_TAG,
                resource_link_id=link or None,
            )
            lineitem = str(item["id"])
        if c.AGS_SCOPE_SCORE not in scopes:
            return ""
        given, maximum = progress["given"], progress["maximum"]
        score = Score(
            user_id=sub,
            score_given=given,
            score_maximum=maximum,
            activity_progress="Completed" if given >= maximum else "InProgress",
        )
        stamp = next_timestamp(self.clock(), last)
        client.post_score(lineitem, score, stamp)
        with self.database.transaction() as session:
            target = session.get(LtiGradeTarget, target_id)
            if target is not None:
                target.lineitem_url = lineitem
                target.last_score_at = stamp
        return lineitem

    # --- the other progress rows: nothing to do in a gradebook ------------------------------

    def _nothing(self, delivery: Delivery) -> Receipt | None:
        return self.decline(delivery, f"a gradebook has no {delivery.action}")

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        return self._nothing(delivery)

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: ProgrammeInfo) -> Receipt | None:
        if not self.owns(connection):
            return None
        return Receipt(skipped=True, data={"reason": "line items are made on the first score"})

    @hookimpl
    def rm_check_health(self, connection: str | None) -> HealthReport | None:
        if not self.owns(connection):
            return None
        problems = []
        try:
            keys = ToolKeys(self._secret())
            with self.database.transaction() as session:
                keys.signing_key(session)
        except (NotDeliverable, ToolKeyError) as exc:
            problems.append(str(exc.message if isinstance(exc, HostError) else exc))
        with self.database.transaction() as session:
            query = select(func.count(LtiPlatform.id)).where(LtiPlatform.token_url != "")
            if self.config.get("platform"):
                query = query.where(LtiPlatform.issuer == self.config["platform"])
            platforms = session.scalar(query) or 0
            targets = session.scalar(select(func.count(LtiGradeTarget.id))) or 0
        if not platforms:
            problems.append(
                "no registered platform has an access token URL (see `rm-plugin lti platform list`)"
            )
        return HealthReport(
            self.name,
            summary=f"({platforms} platform(s), {targets} graded link(s))",
            problems=tuple(problems),
        )
