"""One configured Moodle connection: every host hook the product routes to Moodle.

Writes Moodle makes idempotent (enrolment, cohort and group membership, completion override)
are sent as they are; the others are guarded: a delivery with a previous receipt makes no call,
a pair's group is looked up by its ID number before it is created, a pair's calendar events
are read and brought to the schedule delivered (the sync engine never delivers a schedule a
later signature replaced), a retried message is looked for among the messages already sent,
and an award reads the participant's badges first.

What a sync run reads once (the course and its activities, who has no account, the course's
groups) is shared by the worker threads and kept for the run (:mod:`.memo`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from rm_plugin import hookimpl
from rm_plugin.connections import Connection, ConnectionContext
from rm_plugin.connectors.moodle.accounts import AccountBook
from rm_plugin.connectors.moodle.calendar import (
    CREATE_EVENTS,
    delete_events,
    pair_events,
    pair_tag,
    plan_events,
    read_events,
)
from rm_plugin.connectors.moodle.checks import check_setup
from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.course import CourseSetup, read_course_setup
from rm_plugin.connectors.moodle.coverage import award_hint, gap_lines, milestone_hint
from rm_plugin.connectors.moodle.errors import (
    MoodleConfigGap,
    MoodleError,
    MoodleInvalidRequest,
    MoodlePermissionDenied,
    MoodleSetupError,
    for_connection_line,
    grant,
)
from rm_plugin.connectors.moodle.groups import PairGroups
from rm_plugin.connectors.moodle.meetings import event_duration, occurrence_times
from rm_plugin.connectors.moodle.memo import RunMemo
from rm_plugin.connectors.moodle.notes import Notes, Refusals
from rm_plugin.domain.records import Delivery, HealthReport, PersonRecord, ProgrammeInfo, Receipt
from rm_plugin.http import HostError, RetryPolicy

SITE_INFO = "core_webservice_get_site_info"
ENROL = "enrol_manual_enrol_users"
COHORT_ADD = "core_cohort_add_cohort_members"
OVERRIDE = "core_completion_override_activity_completion_status"
USER_BADGES = "core_badges_get_user_badges"
SEND_MESSAGES = "core_message_send_instant_messages"
GET_MESSAGES = "core_message_get_messages"
#: Messages read back per recipient when a retried delivery checks what an earlier try sent.
RECENT_MESSAGES = 20

FORMAT_PLAIN = 2
COHORT_ALREADY_MEMBER = "3"


class BadgePending(MoodleError):
    """The badge is not among the participant's public badges yet; retry later.

    Either its criterion is not met yet (e.g. the course is not complete), or Moodle issued it
    and the participant keeps it private: ``core_badges_get_user_badges`` shows another user's
    public badges only, so only the participant can let the award be read back.
    """

    default_retryable = True


def reference(key: str) -> str:
    """A short, stable tag for a delivery, written into what Moodle stores so a repeat can find it."""
    return "rm-" + hashlib.sha256(key.encode()).hexdigest()[:20]


class MoodleConnection(Connection):
    """Talks to one Moodle site; safe to share between threads of one sync worker."""

    def __init__(
        self,
        context: ConnectionContext,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(context, config)
        self.client = MoodleClient(
            context.name,
            config["url"],
            config["token"],
            session=session,
            retry=retry,
            timeout=(10.0, float(config["timeout"])),
        )
        self.accounts = AccountBook(
            self.client,
            context.name,
            match_by=config["match_by"],
            batch_size=config["batch_size"],
            directory=context.accounts,
        )
        self.groups = PairGroups(self.client, context.state)
        self.event_notes = Notes(context.state, "pair_group_events")  # group id -> an event in it
        self.refusals = Refusals(context.state)
        self._courses: RunMemo[str, CourseSetup] = RunMemo()
        self._token_user: int | None = None
        self._locks: dict[str, threading.Lock] = {}  # per pair and per person
        self._lock = threading.Lock()

    # -- shared steps ------------------------------------------------------------------------

    def course_ref(self, programme: str) -> str:
        return str(self.config["courses"].get(programme, self.config["course"]))

    def course_setup(
        self, programme: str, milestones: Sequence[str] = (), awards: Sequence[str] = ()
    ) -> CourseSetup:
        """The programme course and its activities, read from Moodle once per sync run.

        A read maps every configured milestone and award activity, and every worker thread
        waits for that one read; only the problems of the course itself and of ``milestones``
        and ``awards`` fail the call, so one misconfigured milestone fails only its own rows.
        """
        ref = self.course_ref(programme)
        setup = self._courses.get(
            ref,
            lambda: read_course_setup(
                self.client,
                field_name=self.config["course_field"],
                course_ref=ref,
                milestone_map=self.config["milestones"],
                awards=self.config["awards"],
            ),
        )
        return setup.require(milestones, awards)

    def _skip(self, delivery: Delivery) -> Receipt | None:
        previous = delivery.previous_receipt
        if previous is None:
            return None
        return Receipt(
            host_ref=str(previous.get("host_ref", "")),
            data=dict(previous.get("data", previous)),
            skipped=True,
        )

    # -- people ------------------------------------------------------------------------------

    @hookimpl
    def rm_resolve_accounts(
        self, connection: str, people: Sequence[PersonRecord]
    ) -> Mapping[str, str] | None:
        if connection != self.name:
            return None
        result = self.accounts.resolve(people)
        return {hr_id: str(user_id) for hr_id, user_id in result.found.items()}

    # -- health and setup --------------------------------------------------------------------

    @property
    def config_file(self) -> str:
        """The connector file as an admin finds it in the site, e.g. ``connectors/moodle.toml``."""
        path = self.context.config_file
        try:
            return path.relative_to(self.context.site_root).as_posix()
        except ValueError:
            return str(path)

    def explain(self, error: HostError) -> str:
        """``error`` for a line that already starts with this connection's name."""
        return for_connection_line(error, url=self.client.base_url, config_file=self.config_file)

    def programme_gaps(self, programmes: Sequence[ProgrammeInfo]) -> list[str]:
        """Problem lines for milestones and awards of ``programmes`` this config lacks."""
        return gap_lines(
            [(p.slug, p.definitions) for p in programmes],
            self.name,
            self.config["milestones"],
            self.config["awards"],
            self.config_file,
        )

    @hookimpl
    def rm_check_health(
        self, connection: str | None, programmes: Sequence[ProgrammeInfo] = ()
    ) -> HealthReport | None:
        if not self.owns(connection):
            return None
        return check_setup(self, programmes)

    @hookimpl
    def rm_prepare_programme(self, connection: str, programme: ProgrammeInfo) -> Receipt | None:
        if connection != self.name:
            return None
        self._courses.forget(self.course_ref(programme.slug))  # an admin may just have fixed the course
        setup = self.course_setup(programme.slug, programme.milestones)
        return Receipt(
            host_ref=f"course {setup.course_id}",
            data={
                "course_id": setup.course_id,
                "shortname": setup.shortname,
                "activities": {m: setup.activities[m] for m in programme.milestones},
            },
            skipped=True,  # Moodle structures are made by an admin; preparing only checks them
        )

    # -- deliveries ----------------------------------------------------------------------------

    def _enrolments(self, setup: CourseSetup, users: Mapping[str, int], **extra: Any) -> list[dict[str, Any]]:
        return [
            {"roleid": self.config["role_id"], "userid": uid, "courseid": setup.course_id, **extra}
            for uid in users.values()
        ]

    @hookimpl
    def rm_enrol_pair(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        setup = self.course_setup(payload["programme"])
        users = self.accounts.require([payload["mentee"], payload["mentor"]])
        extra: dict[str, Any] = {}
        if payload.get("start"):
            start = dt.date.fromisoformat(str(payload["start"])[:10])
            extra["timestart"] = int(dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC).timestamp())
        self._write(ENROL, {"enrolments": self._enrolments(setup, users, **extra)})
        if self.config["cohorts"]:
            self._add_to_cohorts(self.config["cohorts"], users.values())
        data: dict[str, Any] = {
            "course_id": setup.course_id,
            "users": users,
            "cohorts": list(self.config["cohorts"]),
        }
        if self._pair_groups(payload):
            # members must be enrolled first: Moodle refuses a group member who is not
            data["group_id"], data["group_created"] = self.groups.ensure(
                setup.course_id, payload["pair_id"], users.values(), recheck=delivery.attempt > 1
            )
        return Receipt(host_ref=f"course {setup.course_id}", data=data)

    def _write(self, function: str, arguments: Mapping[str, Any]) -> Any:
        """Call a write that has no read-only probe, noting a refusal for ``check`` (and clearing it)."""
        try:
            answer = self.client.call(function, arguments)
        except MoodlePermissionDenied as exc:
            self.refusals.record(function, self.explain(exc))
            raise
        self.refusals.clear(function)
        return answer

    def _pair_groups(self, payload: Mapping[str, Any]) -> bool:
        return bool(self.config["groups"]) and payload.get("pair_id") not in (None, "")

    def _add_to_cohorts(self, cohorts: Sequence[str], user_ids: Any) -> None:
        members = [
            {"cohorttype": {"type": "idnumber", "value": cohort}, "usertype": {"type": "id", "value": uid}}
            for cohort in cohorts
            for uid in user_ids
        ]
        answer = self._write(COHORT_ADD, {"members": members}) or {}
        failed = [
            w for w in answer.get("warnings") or [] if str(w.get("warningcode")) != COHORT_ALREADY_MEMBER
        ]
        if failed:
            reasons = "; ".join(str(w.get("message", "")) for w in failed)
            raise MoodleSetupError(
                f"could not add to cohort(s) {', '.join(cohorts)}: {reasons} (create the cohort with that "
                "idnumber in Site administration › Users › Cohorts)",
                host=self.name,
                call=COHORT_ADD,
                code="cohortwarning",
            )

    @hookimpl
    def rm_close_pair(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if self.config["on_close"] == "keep":
            return Receipt(data={"on_close": "keep"}, skipped=True)
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        setup = self.course_setup(payload["programme"])
        users = self.accounts.require([payload["mentee"], payload["mentor"]])
        self.client.call(ENROL, {"enrolments": self._enrolments(setup, users, suspend=1)})
        return Receipt(host_ref=f"course {setup.course_id}", data={"suspended": users})

    @hookimpl
    def rm_record_milestone(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        milestone = str(payload["milestone"])
        if milestone not in self.config["milestones"]:
            raise MoodleConfigGap(
                f"milestone {milestone!r} has no activity: {milestone_hint(milestone, self.config_file)}, "
                "then retry the delivery (`rm-plugin sync retry <id>`)",
                host=self.name,
                call=OVERRIDE,
                code="nomilestone",
            )
        setup = self.course_setup(payload["programme"], [milestone])
        cmid = setup.activities[milestone]
        uid = self.accounts.require([payload["person"]])[payload["person"]]
        answer = self._complete(cmid, uid)
        return Receipt(
            host_ref=f"cm {cmid} user {uid}",
            data={"cmid": cmid, "userid": uid, "timecompleted": answer.get("timecompleted")},
        )

    def _complete(self, cmid: int, uid: int) -> Mapping[str, Any]:
        # One person's completions one at a time: Moodle aggregates the course completion inside
        # each call, and two at once for one person (seen on 4.4) both miss it until cron runs.
        with self._keyed_lock(f"user:{uid}"):
            answer = self.client.call(OVERRIDE, {"userid": uid, "cmid": cmid, "newstate": 1}) or {}
        if int(answer.get("state", -1)) != 1:
            raise MoodleInvalidRequest(
                f"activity {cmid} for user {uid} is in completion state "
                f"{answer.get('state')!r}, not complete",
                host=self.name,
                call=OVERRIDE,
            )
        return answer

    @hookimpl
    def rm_award(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        name = str(payload["award"])
        award = self.config["awards"].get(name)
        if award is None:
            raise MoodleConfigGap(
                f"award {name!r} has no route: {award_hint(name, self.config_file)}, "
                "then retry the delivery (`rm-plugin sync retry <id>`)",
                host=self.name,
                call=USER_BADGES,
                code="noaward",
            )
        setup = self.course_setup(payload["programme"], awards=[name])
        uid = self.accounts.require([payload["person"]])[payload["person"]]
        badge = self._find_badge(uid, award["badge"])
        if badge is not None:
            return self._badge_receipt(badge, uid, skipped=True)
        if award["route"] != "course_completion":  # the milestones complete the course themselves
            if award["route"] == "cohort":
                self._add_to_cohorts([award["cohort"]], [uid])
            else:
                self._complete(setup.award_activities[name], uid)
            badge = self._find_badge(uid, award["badge"])
        if badge is None:
            why = {
                "course_completion": f"the course (id {setup.course_id}) is not complete for user {uid} yet",
                "activity": "the badge's other criteria are not met yet",
                "cohort": "the badge's other criteria are not met yet",
            }[award["route"]]
            raise BadgePending(
                f"badge {award['badge']!r} is not among user {uid}'s public badges: {why}; "
                "check that the badge is enabled and its criteria. Moodle shows the integration user "
                "only public badges: if the badge's Recipients page (Badges › Manage badges) lists "
                "this user, the badge is issued but private, and the participant must make it public "
                "(Preferences › Badges › Manage badges: Make public; Badge preferences › 'Automatically show "
                "badges I earn on my profile page' keeps later ones public) before rm-plugin can record it. "
                "The delivery is retried",
                host=self.name,
                call=USER_BADGES,
                code="badgepending",
            )
        return self._badge_receipt(badge, uid, skipped=False)

    def _find_badge(self, uid: int, ref: int | str) -> Mapping[str, Any] | None:
        answer = self.client.call(USER_BADGES, {"userid": uid}) or {}
        for badge in answer.get("badges") or []:
            if (isinstance(ref, int) and int(badge.get("id", 0)) == ref) or badge.get("name") == ref:
                return badge
        return None

    def _badge_receipt(self, badge: Mapping[str, Any], uid: int, *, skipped: bool) -> Receipt:
        unique = str(badge.get("uniquehash") or "")
        link = f"{self.client.base_url}/badges/assertion.php?b={unique}" if unique else ""
        # The assertion is Open Badges 2 JSON for verifiers; a person is shown the badge's page.
        page = f"{self.client.base_url}/badges/badge.php?hash={unique}" if unique else ""
        return Receipt(
            host_ref=link,
            data={
                "badge_id": badge.get("id"),
                "badge": badge.get("name"),
                "userid": uid,
                "uniquehash": unique,
                "dateissued": badge.get("dateissued"),
                "assertion": link,
                "page": page,
            },
            skipped=skipped,
        )

    @hookimpl
    def rm_put_calendar_event(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if not self.config["calendar"]:
            return Receipt(data={"calendar": "off in the connector config"}, skipped=True)
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        pair_id = payload["pair_id"]
        setup = self.course_setup(payload["programme"])
        times = occurrence_times(payload.get("occurrences") or [])
        if not times:
            raise MoodleInvalidRequest(
                "the delivery has no occurrences to put in the calendar", host=self.name, call=CREATE_EVENTS
            )
        members = [str(payload[role]) for role in ("mentee", "mentor") if payload.get(role)]
        if members:
            # a member without an account is never enrolled, so the pair never gets its group:
            # say so once (parked) instead of waiting for the group again and again
            self.accounts.require(members)
        group_id = self.groups.require(setup.course_id, pair_id) if self._pair_groups(payload) else 0
        duration = event_duration(str(payload.get("ics") or ""))

        def pair_event_ids() -> list[int]:
            read = read_events(self.client, setup.course_id, group_id)
            return [int(e["id"]) for e in pair_events(read, pair_id, group_id)]

        with self._keyed_lock(f"pair:{pair_id}"):  # two versions of one pair's schedule never interleave
            existing = pair_events(read_events(self.client, setup.course_id, group_id), pair_id, group_id)
            plan = plan_events(existing, times, duration)
            ids = dict(plan.keep)
            created = self._create_events(setup.course_id, group_id, pair_id, payload, plan.create, duration)
            ids.update(created)
            if group_id and created:
                self.event_notes.add(setup.course_id, group_id, next(iter(created.values())))
            # created before deleting: a failure in between leaves the pair a meeting too many, never none
            deleted = delete_events(self.client, plan.delete, pair_event_ids)
        event_ids = [ids[t] for t in times if t in ids]
        return Receipt(
            host_ref="events " + ",".join(str(i) for i in event_ids),
            data={
                "course_id": setup.course_id,
                "group_id": group_id or None,
                "event_ids": event_ids,
                "created": len(plan.create),
                "deleted": deleted,
                "reference": pair_tag(pair_id),
            },
            skipped=not plan.writes,
        )

    def _create_events(
        self,
        course_id: int,
        group_id: int,
        pair_id: Any,
        payload: Mapping[str, Any],
        starts: Sequence[int],
        duration: int,
    ) -> dict[int, int]:
        if not starts:
            return {}
        summary = str(payload.get("summary") or "Reverse mentoring meeting")
        # a group event reaches only the pair; a course event everyone in the course
        audience = {"eventtype": "group", "groupid": group_id} if group_id else {"eventtype": "course"}
        new = [
            {
                "name": summary,
                "description": f"{summary}\n\nAgreed reverse-mentoring meeting {pair_tag(pair_id)}",
                "format": FORMAT_PLAIN,
                "courseid": course_id,
                **audience,
                "timestart": when,
                "timeduration": duration,
            }
            for when in starts
        ]
        answer = self.client.call(CREATE_EVENTS, {"events": new}) or {}
        refused = list(answer.get("warnings") or [])
        if refused and not answer.get("events"):
            reasons = "; ".join(str(w.get("message") or w.get("warningcode")) for w in refused)
            raise MoodleSetupError(
                f"Moodle refused the {audience['eventtype']} events: {reasons} "
                f"({grant('moodle/calendar:manageentries')}; managegroupentries is not enough)",
                host=self.name,
                call=CREATE_EVENTS,
                code="nopermissions",
            )
        return {int(e["timestart"]): int(e["id"]) for e in answer.get("events") or []}

    def _keyed_lock(self, key: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    @hookimpl
    def rm_send_notification(self, delivery: Delivery) -> Receipt | None:
        if delivery.connection != self.name:
            return None
        if not self.config["messages"]:
            return Receipt(data={"messages": "off in the connector config"}, skipped=True)
        if (skipped := self._skip(delivery)) is not None:
            return skipped
        payload = delivery.payload
        audience = [str(h) for h in payload.get("audience") or []]
        resolution = self.accounts.resolve_hr_ids(audience)
        failed: dict[str, str] = dict(resolution.missing)
        sent: dict[str, int] = {}
        tag = reference(delivery.key)
        # the reference is what a retry looks for among the messages already sent
        text = f"{payload.get('subject', '')}\n\n{payload.get('body', '')}".strip() + f"\n\n[{tag}]"
        recipients = [(h, resolution.found[h]) for h in audience if h in resolution.found]
        found_before: dict[str, int] = {}
        if delivery.attempt > 1 and recipients:
            found_before = self._sent_before(recipients, tag)
            sent.update(found_before)
            recipients = [(h, uid) for h, uid in recipients if h not in found_before]
        if recipients:
            messages = [
                {"touserid": uid, "text": text, "textformat": FORMAT_PLAIN, "clientmsgid": f"{tag}-{i}"}
                for i, (_, uid) in enumerate(recipients)
            ]
            answer = self.client.call(SEND_MESSAGES, {"messages": messages}) or []
            by_client = {str(m.get("clientmsgid")): m for m in answer}
            for i, (hr_id, _uid) in enumerate(recipients):
                result = by_client.get(f"{tag}-{i}") or (answer[i] if i < len(answer) else {})
                msgid = int(result.get("msgid", -1))
                if msgid == -1:
                    failed[hr_id] = str(result.get("errormessage") or "Moodle did not send it")
                else:
                    sent[hr_id] = msgid
        if not sent:
            who = "; ".join(f"{h}: {why}" for h, why in failed.items()) or "the audience is empty"
            raise MoodleInvalidRequest(f"no recipient was reached: {who}", host=self.name, call=SEND_MESSAGES)
        return Receipt(
            host_ref="messages " + ",".join(str(m) for m in sent.values()),
            data={"sent": sent, "failed": failed, "reference": tag, "found_on_moodle": sorted(found_before)},
            skipped=not recipients,
        )

    def token_user(self) -> int:
        """The integration user's Moodle id (the sender of every message), read once."""
        if self._token_user is None:
            info = self.client.call(SITE_INFO) or {}
            self._token_user = int(info.get("userid") or 0)
        return self._token_user

    def _sent_before(self, recipients: Sequence[tuple[str, int]], tag: str) -> dict[str, int]:
        """Recipients an earlier try already reached: their newest messages from us carry ``tag``."""
        me = self.token_user()
        found: dict[str, int] = {}
        if not me:
            return found
        for hr_id, uid in recipients:
            answer = (
                self.client.call(
                    GET_MESSAGES,
                    {
                        "useridto": uid,
                        "useridfrom": me,
                        "type": "conversations",
                        "read": 2,  # read and unread
                        "newestfirst": True,
                        "limitfrom": 0,
                        "limitnum": RECENT_MESSAGES,
                    },
                )
                or {}
            )
            for message in answer.get("messages") or []:
                texts = (message.get(f) or "" for f in ("fullmessage", "smallmessage", "text"))
                if any(f"[{tag}]" in str(t) for t in texts):
                    found[hr_id] = int(message["id"])
                    break
        return found
