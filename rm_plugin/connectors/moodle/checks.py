"""``rm-plugin check`` for Moodle: prove the setup with read-only probes, not only the function list.

Moodle 4.4 often says nothing when a capability is missing: an account whose ID number the caller
may not see is simply not found, a group visible to its members only is left out of the list.
So each probe asks a question whose answer differs when the capability is missing, and a
problem names the capability and where to grant it:

- the service's functions (``core_webservice_get_site_info``) and the release;
- the programme course opened, completion on, every milestone and award activity found;
- accounts: the guest account (id 1, enrolled nowhere) is shown only with ``moodle/user:viewdetails``
  (an enrolled participant may be shown through the course without it, a new one is not); accounts
  matched before are shown with their ``match_by`` field only with ``viewalldetails`` (ID number) or
  ``viewuseridentity`` (email); people without an account are a warning;
- pair groups: the groups this connection created are in the course's group list;
- calendar: ``core_calendar_get_calendar_access_information`` says whether the integration user may
  manage the course's events (in the course and in the system context, where Moodle decides
  whether it may read group events);
- completion: an override of the integration user's own completion to "not complete", which
  it always is: Moodle checks ``moodle/course:overridecompletion`` first and then writes nothing;
- badges: a participant's badges read (``moodle/badges:viewotherbadges``);
- messages: ``core_message_get_member_info`` says whether the integration user may message a
  participant.

Enrolling (``enrol/manual:enrol``, ``moodle/role:assign``) and cohort membership
(``moodle/cohort:assign``) have no read-only probe in Moodle 4.4: the last refusal of each (noted
by the deliveries in the connection's state) is reported until a later call goes through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rm_plugin.connectors.moodle.accounts import LOOKUP
from rm_plugin.connectors.moodle.calendar import read_events
from rm_plugin.connectors.moodle.course import CourseSetup, read_course_setup
from rm_plugin.connectors.moodle.errors import grant
from rm_plugin.connectors.moodle.functions import required_functions
from rm_plugin.connectors.moodle.groups import HIDDEN_GROUPS
from rm_plugin.domain.records import HealthReport, PersonRecord, ProgrammeInfo
from rm_plugin.http import HostError

if TYPE_CHECKING:
    from rm_plugin.connectors.moodle.connection import MoodleConnection

SITE_INFO = "core_webservice_get_site_info"
CALENDAR_ACCESS = "core_calendar_get_calendar_access_information"
MEMBER_INFO = "core_message_get_member_info"
OVERRIDE = "core_completion_override_activity_completion_status"
USER_BADGES = "core_badges_get_user_badges"

#: Moodle 4.4.0's version number: the oldest release the connector is built and checked against.
OLDEST_VERSION = 2024042200
#: Accounts matched before that are read again by id to see that Moodle still shows their field.
SAMPLE = 5
#: Moodle's guest account: created first by every install ($CFG->siteguest), never enrolled.
GUEST = 1
VISIBLE_FIELD = {"idnumber": "moodle/user:viewalldetails", "email": "moodle/site:viewuseridentity"}


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # for the summary line

    def probe(self, explain: Callable[[HostError], str], run: Callable[[], Any]) -> Any:
        """Run one probe; a host error becomes a problem line and the probe's answer is None."""
        try:
            return run()
        except HostError as exc:
            self.problems.append(explain(exc))
            return None


def check_setup(conn: MoodleConnection, programmes: Sequence[ProgrammeInfo]) -> HealthReport:
    """Every problem with the connection's Moodle setup, one line each, and what works."""
    found = Findings(problems=conn.programme_gaps(programmes))
    client = conn.client
    try:
        info = client.call(SITE_INFO) or {}
    except HostError as exc:
        return HealthReport(conn.name, problems=(*found.problems, conn.explain(exc)))
    granted = {f.get("name") for f in info.get("functions") or []}
    missing = [name for name in required_functions(conn.config) if name not in granted]
    release = str(info.get("release") or "?")
    summary = f"{info.get('sitename') or '?'}, Moodle {release}, as {info.get('username') or '?'}"
    if missing:
        found.problems.append(
            f"the token's external service lacks {len(missing)} function(s): {', '.join(missing)} "
            "(Site administration › Server › Web services › External services › Functions; "
            "`rm-plugin moodle functions` lists them all)"
        )
    try:
        version = int(str(info.get("version") or "0").split(".")[0])
    except ValueError:
        version = 0
    if version < OLDEST_VERSION:
        found.problems.append(f"Moodle {release} is older than 4.4, which this connector needs")
    if missing:  # the probes would only repeat that the service lacks functions
        return _report(conn, found, summary)

    for function, refusal in sorted(conn.refusals.all().items()):
        # no read-only probe exists for these writes: the last refusal stands until one goes through
        found.problems.append(
            f"Moodle refused {function} on {refusal.get('at')}: {refusal.get('error')} "
            "(rows it parked: `rm-plugin sync status`; after the fix, `rm-plugin sync retry`)"
        )
    me = int(info.get("userid") or 0)
    setup: CourseSetup | None = found.probe(conn.explain, lambda: _course(conn, found))
    participant = _accounts(conn, found)
    if setup is not None:
        if conn.config["groups"]:
            found.probe(conn.explain, lambda: _groups(conn, setup, found))
        if conn.config["calendar"]:
            found.probe(conn.explain, lambda: _calendar(conn, setup, found))
        if setup.activities and me:
            cmid = next(iter(setup.activities.values()))
            # the integration user's own completion is always "not complete": nothing is written
            found.probe(
                conn.explain, lambda: client.call(OVERRIDE, {"userid": me, "cmid": cmid, "newstate": 0})
            )
    if participant is not None:
        found.probe(conn.explain, lambda: client.call(USER_BADGES, {"userid": participant}))
        if conn.config["messages"] and me:
            found.probe(conn.explain, lambda: _messages(conn, me, participant, found))
    return _report(conn, found, summary)


def _report(conn: MoodleConnection, found: Findings, summary: str) -> HealthReport:
    text = "; ".join([summary, *found.facts])
    return HealthReport(
        conn.name, summary=f"({text})", problems=tuple(found.problems), warnings=tuple(found.warnings)
    )


def _course(conn: MoodleConnection, found: Findings) -> CourseSetup:
    config = conn.config
    setup = read_course_setup(
        conn.client,
        field_name=config["course_field"],
        course_ref=config["course"],
        milestone_map=config["milestones"],
        awards=config["awards"],
    )
    found.problems += [p for p in (setup.problems.get(""),) if p]
    found.problems += [p for key, p in setup.problems.items() if key]
    found.problems += list(setup.award_problems.values())
    found.facts.append(
        f"course {setup.shortname or config['course']} (id {setup.course_id}), "
        f"{len(setup.activities)} milestone activit{'y' if len(setup.activities) == 1 else 'ies'}"
    )
    return setup


def _accounts(conn: MoodleConnection, found: Findings) -> int | None:
    """Probe account visibility; returns one participant's Moodle id for the probes that need one."""
    # Moodle's guest account (id 1 on every site) is enrolled nowhere: only viewdetails shows it
    guest = found.probe(conn.explain, lambda: conn.client.call(LOOKUP, {"field": "id", "values": [GUEST]}))
    if guest is not None and not guest:
        found.problems.append(
            "Moodle shows the integration user no account but its own (not even the guest account, "
            f"id {GUEST}), so it finds no participant who is not enrolled yet: "
            + grant("moodle/user:viewdetails")
        )
        return None
    directory = conn.context.accounts
    people: list[PersonRecord] = directory.active_people() if directory is not None else []
    if directory is None or not people:
        return None
    match_by = conn.config["match_by"]
    label = conn.accounts.field_label
    capability = VISIBLE_FIELD[match_by]
    linked = directory.accounts(conn.name, [p.hr_id for p in people])
    result = found.probe(conn.explain, lambda: conn.accounts.resolve(people))
    if result is None:
        return None
    sample = sorted({int(a) for a in linked.values()})[:SAMPLE]
    if sample:
        users = found.probe(conn.explain, lambda: conn.client.call(LOOKUP, {"field": "id", "values": sample}))
        if users and not any(u.get(match_by) for u in users):
            found.problems.append(
                f"Moodle shows the accounts rm-plugin matched before without their {label}, so it finds "
                f"nobody by {label} (an empty answer, not an error): {grant(capability)}"
            )
            return None
    elif not result.found:
        found.problems.append(
            f"none of the {len(people)} active people has a Moodle account the integration user can find "
            f"by {label}: Moodle answers with no account, not an error, when the integration role lacks "
            f"moodle/user:viewdetails or {capability}: {grant('moodle/user:viewdetails', capability)}; "
            f"if it has both, give the accounts the people's {_their(match_by)}s as {label} "
            "(`rm-plugin moodle accounts` lists who has none)"
        )
        return None
    found.facts.append(f"{len(result.found)} of {len(people)} people have accounts")
    if result.missing:
        found.warnings.append(
            f"{len(result.missing)} of {len(people)} active people have no Moodle account with their "
            f"{_their(match_by)} as {label}; their deliveries are parked "
            "until they have one (`rm-plugin moodle accounts` lists them)"
        )
    return next(iter(result.found.values()), None)


def _their(match_by: str) -> str:
    return "HR id" if match_by == "idnumber" else "work email"


def _groups(conn: MoodleConnection, setup: CourseSetup, found: Findings) -> None:
    listing = conn.groups.listing(setup.course_id)
    listed = {int(g["id"]) for g in listing}
    hidden_seen = any(int(g.get("visibility") or 0) != 0 for g in listing)
    unseen = sorted(
        idnumber for idnumber, gid in conn.groups.notes.get(setup.course_id).items() if gid not in listed
    )
    if unseen and not hidden_seen:
        found.problems.append(
            f"the group list of course id {setup.course_id} lacks the pair groups {', '.join(unseen)} "
            f"that rm-plugin created (visible to their members only), so pairs' groups are never found: "
            f"{HIDDEN_GROUPS}"
        )
    pairs = sum(1 for g in listing if str(g.get("idnumber") or "").startswith("rm-pair-"))
    found.facts.append(f"{pairs} pair group(s)")


def _calendar(conn: MoodleConnection, setup: CourseSetup, found: Findings) -> None:
    for courseid, where in ((setup.course_id, f"course id {setup.course_id}"), (0, "the system context")):
        access: Mapping[str, Any] = conn.client.call(CALENDAR_ACCESS, {"courseid": courseid}) or {}
        if not access.get("canmanageentries"):
            found.problems.append(
                f"the integration user may not manage calendar entries in {where}, so the pairs' meetings "
                f"cannot be put in, read back from and removed from their calendars: "
                f"{grant('moodle/calendar:manageentries')} (a system role; managegroupentries is not enough)"
            )
            return
    if not conn.config["groups"]:
        return
    # an event this connection made in a pair group: read by id it is there, read by group it must be too
    for group, event in conn.event_notes.get(setup.course_id).items():

        def has_it(events: Sequence[Mapping[str, Any]], wanted: int = event) -> bool:
            return any(int(e["id"]) == wanted for e in events)

        if not has_it(read_events(conn.client, setup.course_id, 0, event_ids=[event])):
            continue  # deleted since (the pair's schedule changed): try the next one
        if not has_it(read_events(conn.client, setup.course_id, int(group))):
            found.problems.append(
                f"Moodle does not return the events of pair groups to the integration user (event {event} "
                f"of group id {group} is missing from its group's events), so re-signed schedules would be "
                f"added next to the old ones: {grant('moodle/site:accessallgroups')}"
            )
        return


def _messages(conn: MoodleConnection, me: int, participant: int, found: Findings) -> None:
    answer = conn.client.call(
        MEMBER_INFO, {"referenceuserid": me, "userids": [participant], "includeprivacyinfo": True}
    )
    member = (answer or [{}])[0]
    if member.get("canmessage") is False:
        found.problems.append(
            f"Moodle says the integration user may not message participants (checked with user id "
            f"{participant}): {grant('moodle/site:sendmessage', 'moodle/site:readallmessages')}"
        )
