"""The programme course on Moodle: it exists, tracks completion, and has each milestone's activity.

Read once per course and connection (two read calls, every configured milestone at once), then
kept, so a milestone costs one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleSetupError

COURSES = "core_course_get_courses_by_field"
CONTENTS = "core_course_get_contents"
TRACKING = {0: "no completion tracking", 1: "manual completion", 2: "automatic completion"}


@dataclass(frozen=True)
class CourseSetup:
    course_id: int
    shortname: str
    #: milestone key -> course-module id
    activities: Mapping[str, int] = field(default_factory=dict)
    #: award name -> course-module id, for awards whose badge criterion is an activity's completion
    award_activities: Mapping[str, int] = field(default_factory=dict)


def read_course_setup(
    client: MoodleClient,
    *,
    field_name: str,
    course_ref: str,
    milestones: Iterable[str],
    milestone_map: Mapping[str, int | str],
    awards: Mapping[str, Mapping[str, Any]],
    optional: Iterable[str] = (),
) -> CourseSetup:
    """Check the course and every activity it needs; one error lists everything missing.

    Milestones in ``optional`` are mapped too when their activity is fine, but a problem with
    one of them is left out of the error: the caller reads them ahead, so one misconfigured
    milestone does not stop deliveries that need only the others.
    """
    answer = client.call(COURSES, {"field": field_name, "value": course_ref}) or {}
    courses = answer.get("courses") or []
    if not courses:
        raise MoodleSetupError(
            f"no course has {field_name} {course_ref!r}: set it in the programme course's settings "
            f"(Course settings › {'Course ID number' if field_name == 'idnumber' else 'Course short name'}) "
            "or fix `course` in the connector config",
            host=client.name,
            call=COURSES,
            code="nocourse",
        )
    course = courses[0]
    course_id = int(course["id"])
    label = f"course {course.get('shortname') or course_ref!r} (id {course_id})"
    problems: list[str] = []
    if not course.get("enablecompletion"):
        problems.append(
            f"{label} does not track completion: "
            "Course settings › Completion › Enable completion tracking = Yes"
        )

    sections = client.call(
        CONTENTS, {"courseid": course_id, "options": [{"name": "excludecontents", "value": True}]}
    )
    modules = [m for section in sections or [] for m in section.get("modules") or []]

    activities: dict[str, int] = {}
    required = list(milestones)
    for key in [*required, *(k for k in optional if k not in required)]:
        found = _milestone_activity(key, milestone_map.get(key), modules, label)
        if isinstance(found, int):
            activities[key] = found
        elif key in required:
            problems.append(found)

    award_activities: dict[str, int] = {}
    for name, award in awards.items():
        if award.get("route") != "activity":
            continue
        module, problem = _find(modules, award["activity"], label)
        if problem:
            problems.append(f"award {name!r}: {problem}")
        elif module is not None:
            if not int(module.get("completion") or 0):
                problems.append(
                    f"award {name!r}: activity {module.get('name')!r} (id {module['id']}) "
                    "has no completion tracking"
                )
            else:
                award_activities[name] = int(module["id"])
    if problems:
        raise MoodleSetupError("; ".join(problems), host=client.name, call=CONTENTS, code="notprepared")
    return CourseSetup(course_id, str(course.get("shortname") or ""), activities, award_activities)


def _milestone_activity(
    key: str, ref: int | str | None, modules: list[Mapping[str, Any]], label: str
) -> int | str:
    """The milestone's course-module id, or what is wrong with its activity."""
    if ref is None:
        return (
            f"milestone {key!r} has no activity: add `{key} = <course-module id or name>` under [milestones]"
        )
    module, problem = _find(modules, ref, label)
    if module is None:
        return f"milestone {key!r}: {problem}"
    tracking = int(module.get("completion") or 0)
    if tracking != 1:
        return (
            f"milestone {key!r}: activity {module.get('name')!r} (id {module['id']}) uses "
            f"{TRACKING.get(tracking, f'completion {tracking}')}; set Activity completion to "
            "'Students must manually mark the activity as done'"
        )
    return int(module["id"])


def _find(
    modules: list[Mapping[str, Any]], ref: int | str, label: str
) -> tuple[Mapping[str, Any] | None, str]:
    if isinstance(ref, int):
        for module in modules:
            if int(module.get("id", 0)) == ref:
                return module, ""
        return None, f"{label} has no activity with course-module id {ref}"
    named = [m for m in modules if str(m.get("name", "")) == ref]
    if not named:
        return None, f"{label} has no activity named {ref!r}"
    if len(named) > 1:
        ids = ", ".join(str(m["id"]) for m in named)
        return None, f"{label} has {len(named)} activities named {ref!r} (ids {ids}); give the id instead"
    return named[0], ""
