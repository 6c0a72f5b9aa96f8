"""The programme setup form of the admin pages: create a programme, or edit one, from the text an
admin typed, through the same checks as ``rm-plugin programme create`` and ``programme set``.

Every bad value is named at once, keyed by its form field (:class:`FieldProblems`), and nothing
is written when any is bad. Who may create a programme: someone who already runs one (a
programme's ``admin_hr_id``), or an HR id the site lists in ``[web] programme_creators``; the
creator becomes the new programme's admin. Who may edit one: its admin only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from rm_plugin.domain.programme_rules import DEFAULT_WEIGHTS, RULE_KEYS
from rm_plugin.enrolment.programmes import RULE_FIELDS, NewProgramme, creation_problems, new_programme
from rm_plugin.errors import FieldProblems, NotPermitted, ProgrammeError
from rm_plugin.programme import lookups
from rm_plugin.programme import settings as programme_settings
from rm_plugin.programme.admin_rights import administered, programme_for_admin
from rm_plugin.store.models import Programme
from rm_plugin.unit_of_work import UnitOfWork

#: The programme's own columns the form shows, in the form's order.
COLUMN_FIELDS = (
    "name", "starts_on", "ends_on", "objectives", "enrolment", "min_level_gap", "tenure_tiebreak",
    "mentor_max_level", "mentee_min_level", "reviewers_required", "cadence_days", "mentor_capacity",
    "allow_mutual", "admin_hr_id",
)  # fmt: skip
FLAGS = ("tenure_tiebreak", "allow_mutual")
SETTING_FIELDS = tuple(programme_settings.SETTINGS)
RULE_FIELDS_SHOWN = tuple(f"rules.{key}" for key in RULE_KEYS)
WEIGHT_FIELDS = tuple(f"weights.{term}" for term in DEFAULT_WEIGHTS)
BOOL_RULES = tuple(key for key, kind in RULE_KEYS.items() if kind is bool)


@dataclass(frozen=True)
class SetupForm:
    """The form's fields as text (``"on"`` for a ticked box), and a hint for each, for one
    programme (``slug``) or a new one (``slug`` is None)."""

    slug: str | None
    values: dict[str, str]
    hints: dict[str, str]
    default_weights: dict[str, float]


def _hints() -> dict[str, str]:
    return {key: text for key, (_, text) in programme_settings.KNOWN.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def may_create(work: UnitOfWork, hr_id: str, creators: Collection[str]) -> bool:
    """Whether ``hr_id`` may create a programme: listed by the site, or already running one."""
    return hr_id in creators or bool(administered(work, hr_id))


def blank_form(defaults: Mapping[str, Any]) -> SetupForm:
    """A new programme's form, its rules filled from the site's ``[programme_defaults]``."""
    values = {key: "" for key in (*COLUMN_FIELDS, *SETTING_FIELDS, *RULE_FIELDS_SHOWN, *WEIGHT_FIELDS)}
    values.update({key: _text(defaults[key]) for key in RULE_FIELDS if key in defaults})
    values.update({"slug": "", "enrolment": "open", "milestones": ""})
    return SetupForm(None, values, _hints(), dict(DEFAULT_WEIGHTS))


def setup_form(work: UnitOfWork, hr_id: str, slug: str) -> SetupForm:
    """Programme ``slug``'s form as it stands, for its admin (NotPermitted for anyone else)."""
    programme_for_admin(work, hr_id, slug)
    return SetupForm(slug, _current(lookups.programme(work.session, slug)), _hints(), dict(DEFAULT_WEIGHTS))


def _current(programme: Programme) -> dict[str, str]:
    values = {key: _text(getattr(programme, key)) for key in COLUMN_FIELDS}
    stored = programme.settings or {}
    values.update({key: _text(stored.get(key)) for key in SETTING_FIELDS})
    rules, weights = programme.rules or {}, programme.weights or {}
    values.update({f"rules.{key}": _text(rules.get(key)) for key in RULE_KEYS})
    values.update({f"weights.{term}": _text(weights.get(term)) for term in DEFAULT_WEIGHTS})
    values["milestones"] = json.dumps(programme.milestones or [], indent=2)
    values["slug"] = programme.slug
    return values


def _number_or_text(text: str) -> Any:
    """A number as typed, or the text itself so the check names it."""
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def _rules_and_weights(form: Mapping[str, str], current: Mapping[str, str]) -> tuple[dict, dict]:
    """The rules and weights the form changes (``None``: back to unset or the default)."""
    rules: dict[str, Any] = {}
    for key in RULE_KEYS:
        name = f"rules.{key}"
        if name not in form and key not in BOOL_RULES:
            continue
        text = form.get(name, "").strip()
        if key in BOOL_RULES:
            text = "on" if text else ""
        if text == current.get(name, ""):
            continue
        rules[key] = (True if key in BOOL_RULES else _number_or_text(text)) if text else None
    weights: dict[str, Any] = {}
    for term in DEFAULT_WEIGHTS:
        name = f"weights.{term}"
        if name not in form:
            continue
        text = form.get(name, "").strip()
        if text != current.get(name, ""):
            weights[term] = _number_or_text(text) if text else None
    return rules, weights


def _milestones(text: str) -> tuple[Any, list[tuple[str, str]]]:
    try:
        return programme_settings.milestones_from_text(text, "json", "milestones"), []
    except ProgrammeError as exc:
        return None, [("milestones", str(exc))]


def save_form(work: UnitOfWork, hr_id: str, slug: str, form: Mapping[str, str]) -> list[str]:
    """Save what the admin changed on programme ``slug``'s form; returns the names changed.

    Raises FieldProblems naming every bad value (nothing is saved), NotPermitted for anyone
    but the programme's admin.
    """
    programme_for_admin(work, hr_id, slug)
    programme = lookups.programme(work.session, slug)
    current = _current(programme)
    values: dict[str, Any] = {}
    for key in (*COLUMN_FIELDS, *SETTING_FIELDS):
        if key not in form and key not in FLAGS:
            continue  # a field the form did not send stays as it is; an unticked box is not sent
        text = form.get(key, "").strip()
        if key in FLAGS:
            text = "on" if text else ""
        if text != current[key]:
            values[key] = ("true" if text else "false") if key in FLAGS else text
    rules, weights = _rules_and_weights(form, current)
    milestone_list, problems = None, []
    text = form.get("milestones", "").strip()
    if text and text != current["milestones"].strip():
        milestone_list, problems = _milestones(text)
        if milestone_list == programme.milestones:
            milestone_list = None
    problems = (
        programme_settings.change_problems(work.session, programme, values, milestone_list, rules, weights)
        + problems
    )
    if problems:
        raise FieldProblems(problems)
    programme_settings.update_programme(
        work.session, work.ctx, slug, settings=values, milestone_list=milestone_list, rules=rules,
        weights=weights, today=work.today, actor=hr_id,
    )  # fmt: skip
    changed = [*values, *(f"rules.{k}" for k in rules), *(f"weights.{t}" for t in weights)]
    return changed + (["milestones"] if milestone_list is not None else [])


def create_from_form(
    work: UnitOfWork,
    hr_id: str,
    form: Mapping[str, str],
    defaults: Mapping[str, Any],
    creators: Collection[str],
) -> NewProgramme:
    """Create a programme from the form, run by ``hr_id``; every bad value named at once."""
    if not may_create(work, hr_id, creators):
        raise NotPermitted(
            f"{hr_id} may not create programmes: they run none and the site does not list them"
        )
    blank = blank_form(defaults).values
    texts: dict[str, str] = {}
    for key in (*COLUMN_FIELDS, *SETTING_FIELDS):
        text = form.get(key, "").strip()
        if key in FLAGS:
            texts[key] = "true" if text else "false"
        elif text and key not in ("name", "admin_hr_id"):
            texts[key] = text
    typed, problems = programme_settings.parse_values(texts)
    rules, weights = _rules_and_weights(form, {k: "" for k in blank})
    milestone_list = None
    if form.get("milestones", "").strip():
        milestone_list, bad = _milestones(form["milestones"])
        problems += bad
    overrides: dict[str, Any] = {key: typed[key] for key in RULE_FIELDS if key in typed}
    overrides["settings"] = {key: typed[key] for key in SETTING_FIELDS if key in typed} or None
    overrides["rules"] = {k: v for k, v in rules.items() if v is not None}
    overrides["weights"] = {k: v for k, v in weights.items() if v is not None}
    if milestone_list is not None:
        overrides["milestones"] = milestone_list
    slug, name = form.get("slug", "").strip(), form.get("name", "")
    enrolment = typed.get("enrolment", "open")
    problems += creation_problems(
        work.session, slug=slug, name=name, enrolment=enrolment, starts_on=typed.get("starts_on"),
        ends_on=typed.get("ends_on"), overrides=overrides,
    )  # fmt: skip
    if problems:
        raise FieldProblems(problems)
    return new_programme(
        work, slug=slug, name=name, defaults=defaults, starts_on=typed.get("starts_on"),
        ends_on=typed.get("ends_on"), enrolment=enrolment, objectives=tuple(typed.get("objectives", ())),
        admin_hr_id=hr_id, actor=hr_id, **overrides,
    )  # fmt: skip
