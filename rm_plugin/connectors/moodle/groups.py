"""One private Moodle group per pair, found by its ID number before it is ever created.

``core_group_create_groups`` makes a new group each time it is called, so a crash between
creating a group and storing the receipt must not lead to a second one: the course's groups
are listed first (``core_group_get_course_groups``) and matched on the group's ``idnumber``,
``rm-pair-<pair id>``. Adding members is safe to repeat (Moodle keeps an existing member).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleError

GET_GROUPS = "core_group_get_course_groups"
CREATE_GROUPS = "core_group_create_groups"
ADD_MEMBERS = "core_group_add_group_members"

#: Group visibility "Visible to members" (Moodle 4.2+): nobody outside the pair sees the group.
VISIBLE_TO_MEMBERS = 1
FORMAT_PLAIN = 2


class GroupMissing(MoodleError):
    """The pair's group is not on Moodle yet (it is made when the pair is enrolled); retry later."""

    default_retryable = True


def group_idnumber(pair_id: int | str) -> str:
    """The ID number that ties a Moodle group to one pair, for look-ups that survive a crash."""
    return f"rm-pair-{pair_id}"


class PairGroups:
    """Finds, creates and fills pair groups for one connection; thread-safe, ids kept in memory."""

    def __init__(self, client: MoodleClient) -> None:
        self.client = client
        self._known: dict[tuple[int, str], int] = {}
        self._listed: set[int] = set()  # courses whose groups this process has listed
        self._lock = threading.Lock()

    def find(self, course_id: int, pair_id: int | str) -> int | None:
        """The group id of the pair's group in the course, listing the course's groups if needed."""
        key = (course_id, group_idnumber(pair_id))
        with self._lock:
            if key in self._known:
                return self._known[key]
        self._read(course_id)
        with self._lock:
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

        The course's groups are listed once per process (a crashed run's groups are seen by the
        next run) and again when ``recheck`` is set, for a retried delivery whose earlier try may
        have created the group in another process.
        """
        with self._lock:  # one creator at a time, so two threads never both miss and create
            key = (course_id, group_idnumber(pair_id))
            group_id = self._known.get(key)
            if group_id is None and (recheck or course_id not in self._listed):
                self._read(course_id, locked=True)
                group_id = self._known.get(key)
            created = group_id is None
            if group_id is None:
                group_id = self._create(course_id, pair_id)
                self._known[key] = group_id
        members = [{"groupid": group_id, "userid": uid} for uid in user_ids]
        if members:
            self.client.call(ADD_MEMBERS, {"members": members})
        return group_id, created

    def _read(self, course_id: int, *, locked: bool = False) -> None:
        groups = self.client.call(GET_GROUPS, {"courseid": course_id}) or []
        found = {
            (course_id, str(g.get("idnumber") or "")): int(g["id"])
            for g in groups
            if str(g.get("idnumber") or "").startswith("rm-pair-")
        }
        if locked:
            self._known.update(found)
            self._listed.add(course_id)
        else:
            with self._lock:
                self._known.update(found)
                self._listed.add(course_id)

    def _create(self, course_id: int, pair_id: int | str) -> int:
        group: Mapping[str, Any] = {
            "courseid": course_id,
            "name": f"Reverse mentoring pair {pair_id}",
            "description": "The two members of one reverse-mentoring pair, for their own calendar events.",
            "descriptionformat": FORMAT_PLAIN,
            "idnumber": group_idnumber(pair_id),
            "visibility": VISIBLE_TO_MEMBERS,
        }
        answer = self.client.call(CREATE_GROUPS, {"groups": [group]}) or []
        if not answer or "id" not in answer[0]:
            raise MoodleError(
                f"Moodle created no group for pair {pair_id} and gave no reason",
                host=self.client.name,
                call=CREATE_GROUPS,
                code="nogroup",
            )
        return int(answer[0]["id"])
