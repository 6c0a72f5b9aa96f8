"""Every hook in the contract is called by the core (datasette's self-test), and lifecycle hooks
only after commit.

One site runs a programme's whole life through the services the doors call, with a plugin
that implements every hook and writes down each call (``hook_probe``). A hook added to
``hookspecs.py`` that nothing calls fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import hook_probe
import pytest
from click.testing import CliRunner

from rm_plugin import health, hookspecs
from rm_plugin.cli import build_cli
from rm_plugin.enrolment.programmes import create_programme
from rm_plugin.matching.review import approve_pair
from rm_plugin.matching.service import propose
from rm_plugin.outbox import enqueue
from rm_plugin.people.accounts import StoredAccounts
from rm_plugin.people.roster_import import sync_people
from rm_plugin.programme import agreements, meetings, recruitment
from rm_plugin.programme.closing import close_programme
from rm_plugin.site import Site, create_site
from rm_plugin.store.models import Application, Person, Programme
from rm_plugin.sync.worker import run_sync
from rm_plugin.unit_of_work import unit_of_work

HOOKS = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("rm_") and callable(obj))
LIFECYCLE = ("rm_pair_approved", "rm_agreement_signed", "rm_meeting_logged", "rm_milestone_reached")
LIFECYCLE += ("rm_programme_closed", "rm_pair_closed")
PACKAGE = Path(__file__).resolve().parent.parent / "rm_plugin"
SLUG = "rm-probe"


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list]]:
    """Run a programme's life on a probe site once; the calls each hook got, by hook name."""
    root = tmp_path_factory.mktemp("probe") / "site"
    create_site(root)
    for path in (root / "connectors").glob("*.toml"):
        path.unlink()
    (root / "connectors" / "probe.toml").write_text('type = "probe"\n')
    (root / "hooks" / "probe.py").write_text("from hook_probe import *  # noqa: F403\n")
    hook_probe.CALLS.clear()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RM_PLUGIN_SITE", str(root))
        env.delenv("RM_PLUGIN_DATABASE_URL", raising=False)
        result = CliRunner().invoke(build_cli(), ["--help"])
        assert result.exit_code == 0, result.output
        site = Site.load(root, load_entrypoints=False)
        try:
            _live(site)
        finally:
            site.close()
    found: dict[str, list] = {}
    for name, seen in hook_probe.CALLS:
        found.setdefault(name, []).append(seen)
    yield found


def _live(site: Site) -> None:
    today = dt.date.today()
    sync_people(site)
    with unit_of_work(site) as work:
        create_programme(
            work.session,
            slug=SLUG,
            name="Probe",
            defaults=site.programme_defaults,
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=150),
            enrolment="invite",
            milestones=[
                {
                    "key": "agreement_signed",
                    "rule": "agreement_signed",
                    "records": [
                        {"connection": "*", "action": "completion"},
                        {"connection": "*", "action": "award", "award": "probe-badge"},
                    ],
                }
            ],
        )
        ids = {p.hr_id: p.id for p in work.session.query(Person)}
        programme_id = work.session.query(Programme).one().id
        work.session.add_all(
            [
                Application(programme_id=programme_id, person_id=ids["SEN-A"], role="mentee"),
                Application(programme_id=programme_id, person_id=ids["JUN-B1"], role="mentor"),
            ]
        )
        recruitment.invite(work.session, work.ctx, SLUG, hr_ids=["REV-3"])
    list(health.check(site))
    pair_id = propose(site.database, site.pm, SLUG).proposed[0].pair_id
    for reviewer in ("REV-1", "REV-2"):
        with unit_of_work(site) as work:
            approve_pair(work, pair_id, reviewer)
    for member in ("SEN-A", "JUN-B1"):
        with unit_of_work(site) as work:
            agreements.show_to_member(work, member)
            agreements.sign_as_member(work, member)
    with unit_of_work(site) as work:
        logged = meetings.log_as_member(work, "SEN-A", held_on=today, minutes=45, mode="video")
    with unit_of_work(site) as work:
        meetings.confirm_as_member(work, "JUN-B1", logged.meeting_id)
    with unit_of_work(site) as work:
        close_programme(work, SLUG)
        # nothing in the product queues a prepare row yet; the engine delivers one all the same
        payload = {"id": programme_id, "slug": SLUG, "name": "Probe"}
        enqueue(
            work.session, key=f"prepare:{SLUG}:probe", connection="probe", action="prepare", payload=payload
        )
    summary = run_sync(site)
    assert summary.parked == 0 and summary.retry_later == 0, summary
    assert StoredAccounts(lambda: site.database).person_for("probe", "probe-SEN-A") == "SEN-A"


def test_the_probe_implements_every_hook_of_the_contract() -> None:
    implemented = {name for name in dir(hook_probe) if name.startswith("rm_")}
    implemented |= {name for name in dir(hook_probe.ProbeConnection) if name.startswith("rm_")}
    assert implemented == set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_the_core_calls_every_hook(name: str, calls: dict[str, list]) -> None:
    assert name in calls, f"nothing in the product calls {name}"


def test_what_the_hooks_were_told(calls: dict[str, list]) -> None:
    assert calls["rm_check_health"] == [(SLUG,)]  # every host gets the live programmes
    assert calls["rm_pair_approved"] == [("SEN-A", "JUN-B1", ("REV-1", "REV-2"))]
    assert calls["rm_resolve_accounts"] == [("SEN-A", "JUN-B1")]  # once, before enrolling
    assert calls["rm_milestone_reached"] == [("agreement_signed", ("SEN-A", "JUN-B1"))]
    pair_id = calls["rm_agreement_signed"][0][0]
    assert calls["rm_agreement_signed"] == [(pair_id, 1)]
    assert calls["rm_meeting_logged"] == [(pair_id, False), (pair_id, True)]  # logged, then confirmed
    assert calls["rm_programme_closed"] == [(SLUG, 1)]
    assert calls["rm_pair_closed"] == [("SEN-A", "JUN-B1", "programme closed")]


def lifecycle_calls(tree: ast.AST) -> list[int]:
    """Lines that call a lifecycle hook directly (``x.rm_pair_approved(...)``)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LIFECYCLE
    ]


def test_lifecycle_hooks_fire_only_through_the_after_commit_path() -> None:
    direct = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if path.name != "hookspecs.py"
        and (lines := lifecycle_calls(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert direct == {}, f"call lifecycle hooks with unit_of_work.fire_after_commit: {direct}"
    assert lifecycle_calls(ast.parse("site.hook.rm_programme_closed(programme=p, summary={})")) == [1]
