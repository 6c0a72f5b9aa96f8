"""The programme course on Moodle: it exists, tracks completion, and has each milestone's activity.

Read once (two calls, every configured milestone and award activity at once) and kept with what
is wrong with each part, so a delivery asks only about the parts it needs: one misconfigured
milestone fails its own deliveries, not the others, and is not read again for every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rm_plugin.connectors.moodle.client import MoodleClient
from rm_plugin.connectors.moodle.errors import MoodleSetupError, grant

COURSES = "core_course_get_courses_by_field"
CONTENTS = "core_course_get_contents"
TRACKING = {0: "no completion tracking", 1: "manual completion", 2: "automatic completion"}
HIDDEN_ACTIVITY = "if it is hidden, make it visible or " + grant("moodle/course:viewhiddenactivities")


@dataclass(frozen=True)
class CourseSetup:
    course_id: int
    shortname: str
    host: str = ""
    #: milestone key -> course-module id
    activities: Mapping[str, int] = field(default_factory=dict)
    #: award name -> course-module id, for awards whose badge criterion is an activity's completion
    award_activities: Mapping[str, int] = field(default_factory=dict)
    #: what is wrong with the course itself, each milestone and each award ("" = the course)
    problems: Mapping[str, str] = field(default_factory=dict)
    award_problems: Mapping[str, str] = field(default_factory=dict)

    def require(self, milestones: Iterable[str] = (), awards: Iterable[str] = ()) -> CourseSetup:
        """This setup, or one error naming everything wrong with the course and the parts asked for."""
        problems = [self.problems[""]] if "" in self.problems else []
        for key in dict.fromkeys(milestones):
            if key in self.problems:
                problems.append(self.problems[key])
            elif key not in self.activities:
                problems.append(
                    f"milestone {key!r} has no activity: "
                    f"add `{key} = <course-module id or name>` under [milestones]"
                )
        problems += [self.award_problems[a] for a in dict.fromkeys(awards) if a in self.award_problems]
        if problems:
            raise MoodleSetupError("; ".join(problems), host=self.host, call=CONTENTS, code="notprepared")
        return self


def read_course_setup(
    client: MoodleClient,
    *,
    field_name: str,
    course_ref: str,
    milestone_map: Mapping[str, int | str],
    awards: Mapping[str, Mapping[str, Any]],
) -> CourseSetup:
    """Read the course and every activity the config names; problems are kept, not raised.

    Only a course that cannot be found or opened at all raises (nothing else can be checked).
    """
    answer = client.call(COURSES, {"field": field_name, "value": course_ref}) or {}
    courses = answer.get("courses") or []
    if not courses:
        setting = "Course ID number" if field_name == "idnumber" else "Course short name"
        raise MoodleSetupError(
            f"no course has {field_name} {course_ref!r} that the integration user can see: set it in the "
            f"programme course's settings (Course settings › {setting}) or fix `course` in the connector "
            "config; if the course is hidden, make it visible or " + grant("moodle/course:viewhiddencourses"),
            host=client.name,
            call=COURSES,
            code="nocourse",
        )
    course = courses[0]
    course_id = int(course["id"])
    label = f"course {course.get('shortname') or course_ref!r} (id {course_id})"
    if "enablecompletion" not in course:
        # Moodle gave only the public summary: validate_context refused the course to this user
        raise MoodleSetupError(
            f"the integration user cannot open {label}: " + grant("moodle/course:view"),
            host=client.name,
            call=COURSES,
            code="nocourseaccess",
        )
    problems: dict[str, str] = {}
    if not course.get("enablecompletion"):
        problems[""] = (
            f"{label} does not track completion: "
            "Course settings › Completion › Enable completion tracking = Yes"
        )

    sections = client.call(
        CONTENTS, {"courseid": course_id, "options": [{"name": "excludecontents", "value": True}]}
    )
    modules = [m for section in sections or [] for m in section.get("modules") or []]

    activities: dict[str, int] = {}
    for key, ref in milestone_map.items():
        found = _milestone_activity(key, ref, modules, label)
        if isinstance(found, int):
            activities[key] = found
        else:
            problems[key] = found

    award_activities: dict[str, int] = {}
    award_problems: dict[str, str] = {}
    for name, award in awards.items():
        if award.get("route") != "activity":
            continue
        module, problem = _find(modules, award["activity"], label)
        if module is None:
            award_problems[name] = f"award {name!r}: {problem}"
        elif not int(module.get("completion") or 0):
            award_problems[name] = (
                f"award {name!r}: activity {module.get('name')!r} (id {module['id']}) "
                "has no completion tracking"
            )
        else:
            award_activities[name] = int(module["id"])
    return CourseSetup(
        course_id,
        str(course.get("shortname") or ""),
        client.name,
        activities,
        award_activities,
        problems,
        award_problems,
    )


def _milestone_activity(key: str, ref: int | str, modules: list[Mapping[str, Any]], label: str) -> int | str:
    """The milestone's course-module id, or what is wrong with its activity."""
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
        return None, f"{label} has no activity with course-module id {ref} ({HIDDEN_ACTIVITY})"
    named = [m for m in modules if str(m.get("name", "")) == ref]
    if not named:
        return None, f"{label} has no activity named {ref!r} ({HIDDEN_ACTIVITY})"
    if len(named) > 1:
        ids = ", ".join(str(m["id"]) for m in named)
        return None, f"{label} has {len(named)} activities named {ref!r} (ids {ids}); give the id instead"
    return named[0], ""
