"""One private Moodle group per pair, found by its ID number before it is ever created.

``core_group_create_groups`` makes a new group each time it is called, so a crash between
creating a group and storing the receipt must not lead to a second one: the course's groups
are listed first (``core_group_get_course_groups``) and matched on the group's ``idnumber``,
``rm-pair-<pair id>``. Adding members is safe to repeat (Moodle keeps an existing member).

Both only hold when the integration user can see the pair groups: Moodle 4.4 leaves a group
"Visible to members" out of every list for a user without ``moodle/course:viewhiddengroups``,
and then fails a repeated add with ``dml_write_exception`` instead of keeping the member. A
few of the groups this connection made are noted in its state, so ``check`` can tell a group
list that hides them from a course that has none yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rm_plugin.connections import StateStore
from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleError, MoodleSetupError, MoodleUnavailable, grant
from rm_plugin.connectors.moodle.memo import RUN_SECONDS
from rm_plugin.connectors.moodle.notes import Notes

GET_GROUPS = "core_group_get_course_groups"
CREATE_GROUPS = "core_group_create_groups"
ADD_MEMBERS = "core_group_add_group_members"

#: Group visibility "Visible to members" (Moodle 4.2+): nobody outside the pair sees the group.
VISIBLE_TO_MEMBERS = 1
FORMAT_PLAIN = 2
HIDDEN_GROUPS = grant("moodle/course:viewhiddengroups")


class GroupMissing(MoodleError):
    """The pair's group is not on Moodle yet (it is made when the pair is enrolled); retry later."""

    default_retryable = True


def group_idnumber(pair_id: int | str) -> str:
    """The ID number that ties a Moodle group to one pair, for look-ups that survive a crash."""
    return f"rm-pair-{pair_id}"


class PairGroups:
    """Finds, creates and fills pair groups for one connection; thread-safe, ids kept in memory."""

    def __init__(
        self,
        client: MoodleClient,
        state: StateStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.notes = Notes(state, "pair_groups")
        self.clock = clock
        self._known: dict[tuple[int, str], int] = {}
        self._listed: dict[int, float] = {}  # course -> when this process last listed its groups
        self._lock = threading.Lock()

    def find(self, course_id: int, pair_id: int | str) -> int | None:
        """The group id of the pair's group in the course, listing the course's groups if needed."""
        key = (course_id, group_idnumber(pair_id))
        with self._lock:
            if key in self._known:
                return self._known[key]
            if not self._listed_lately(course_id):
                self._read(course_id)
            return self._known.get(key)

    def require(self, course_id: int, pair_id: int | str) -> int:
        """Like :meth:`find`, but a missing group is an error the sync engine retries later."""
        group_id = self.find(course_id, pair_id)
        if group_id is None:
            raise GroupMissing(
                f"the group {group_idnumber(pair_id)!r} of pair {pair_id} is not in course {course_id} yet; "
                "it is created when the pair is enrolled, so this delivery is retried after that",
                host=self.client.name,
                call=GET_GROUPS,
                code="nogroup",
            )
        return group_id

    def ensure(
        self, course_id: int, pair_id: int | str, user_ids: Iterable[int], *, recheck: bool = False
    ) -> tuple[int, bool]:
        """The pair's group with ``user_ids`` in it, created if absent; returns (id, created).

        The course's groups are listed once per sync run (a crashed run's groups are seen by the
        next run) and again when ``recheck`` is set, for a retried delivery whose earlier try may
        have created the group in another process.
        """
        with self._lock:  # one creator at a time, so two threads never both miss and create
            key = (course_id, group_idnumber(pair_id))
            group_id = self._known.get(key)
            if group_id is None and (recheck or not self._listed_lately(course_id)):
                self._read(course_id)
                group_id = self._known.get(key)
            created = False
            if group_id is None:
                group_id, created = self._create(course_id, pair_id)
                self._known[key] = group_id
        if created:
            self.notes.add(course_id, key[1], group_id)
        members = [{"groupid": group_id, "userid": uid} for uid in user_ids]
        if members:
            try:
                self.client.call(ADD_MEMBERS, {"members": members})
            except MoodleUnavailable as exc:
                if exc.code != "dmlwriteexception":
                    raise
                # Moodle 4.4 writes a member it cannot see again, and the database refuses it
                raise MoodleSetupError(
                    f"Moodle could not add the members of pair {pair_id} to its group (id {group_id}) again: "
                    f"it cannot see that they are members already; {HIDDEN_GROUPS}, "
                    "then `rm-plugin sync retry <id>`",
                    host=self.client.name,
                    call=ADD_MEMBERS,
                    code="hiddengroups",
                ) from exc
        return group_id, created

    def listing(self, course_id: int) -> list[Mapping[str, Any]]:
        """The course's groups as the integration user sees them (and remembered)."""
        groups = list(self.client.call(GET_GROUPS, {"courseid": course_id}) or [])
        self._remember(course_id, groups)
        return groups

    def _listed_lately(self, course_id: int) -> bool:
        listed = self._listed.get(course_id)
        return listed is not None and self.clock() - listed <= RUN_SECONDS

    def _read(self, course_id: int) -> None:
        """List the course's groups; call with the lock held."""
        groups = self.client.call(GET_GROUPS, {"courseid": course_id}) or []
        self._remember(course_id, groups, locked=True)

    def _remember(self, course_id: int, groups: Iterable[Mapping[str, Any]], *, locked: bool = False) -> None:
        found = {
            (course_id, str(g.get("idnumber") or "")): int(g["id"])
            for g in groups
            if str(g.get("idnumber") or "").startswith("rm-pair-")
        }
        if not locked:
            with self._lock:
                self._known.update(found)
                self._listed[course_id] = self.clock()
            return
        self._known.update(found)
        self._listed[course_id] = self.clock()

    def _create(self, course_id: int, pair_id: int | str) -> tuple[int, bool]:
        """Create the pair's group, or find the one Moodle says exists; (id, created). Hold the lock."""
        group: Mapping[str, Any] = {
            "courseid": course_id,
            "name": f"Reverse mentoring pair {pair_id}",
            "description": "The two members of one reverse-mentoring pair, for their own calendar events.",
            "descriptionformat": FORMAT_PLAIN,
            "idnumber": group_idnumber(pair_id),
            "visibility": VISIBLE_TO_MEMBERS,
        }
        try:
            answer = self.client.call(CREATE_GROUPS, {"groups": [group]}) or []
        except MoodleError as exc:
            # the ID number (idnumbertaken) or the name (invalidparameter, said only when debugging)
            # is taken: the group exists, made since the list was read or hidden from the integration user
            if exc.code not in ("idnumbertaken", "invalidparameter"):
                raise
            self._read(course_id)
            found = self._known.get((course_id, group_idnumber(pair_id)))
            if found is not None:
                return found, False
            raise MoodleSetupError(
                f"Moodle refused to create the group {group_idnumber(pair_id)!r} of pair {pair_id} in course "
                f"id {course_id} ({exc.code}: {exc.message}) and does not list such a group: it exists, "
                f"hidden from the integration user; {HIDDEN_GROUPS}, then `rm-plugin sync retry <id>`",
                host=self.client.name,
                call=CREATE_GROUPS,
                code="hiddengroups",
            ) from exc
        if not answer or "id" not in answer[0]:
            raise MoodleError(
                f"Moodle created no group for pair {pair_id} and gave no reason",
                host=self.client.name,
                call=CREATE_GROUPS,
                code="nogroup",
            )
        return int(answer[0]["id"]), True
