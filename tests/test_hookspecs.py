"""The hook contract documents itself: every hook has a full docstring (as datasette checks)."""

from __future__ import annotations

import inspect

import pytest

from rm_plugin import hookspecs

HOOKS = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("rm_") and callable(obj))


def test_the_contract_declares_the_hooks_the_product_needs() -> None:
    needed = {
        "rm_fetch_people",
        "rm_resolve_accounts",
        "rm_check_health",
        "rm_prepare_programme",
        "rm_enrol_pair",
        "rm_record_milestone",
        "rm_award",
        "rm_put_calendar_event",
        "rm_send_notification",
        "rm_match_score_terms",
        "rm_veto_pairs",
        "rm_pair_approved",
        "rm_agreement_signed",
        "rm_meeting_logged",
        "rm_milestone_reached",
        "rm_programme_closed",
    }
    assert needed <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.splitlines()) >= 3, f"{name} needs a docstring saying when it is called"
    for param in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f":param {param}:" in doc, f"{name} does not document its argument {param!r}"
    assert "return" in doc.lower(), f"{name} must say what it returns"


@pytest.mark.parametrize("name", HOOKS)
def test_firstresult_hooks_say_so(name: str) -> None:
    spec_opts = getattr(hookspecs, name).rm_plugin_spec
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    if spec_opts.get("firstresult"):
        assert "First result wins" in doc
