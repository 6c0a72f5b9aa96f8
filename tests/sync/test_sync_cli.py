"""`rm-plugin sync`, `sync status` and `sync retry` as an admin uses them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sync_factory import add_milestones
from sync_standin_host import Served

from rm_plugin.cli import build_cli
from rm_plugin.site import Site


def run(site: Site, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--site", str(site.root), *args])
    return result.exit_code, result.output


def test_sync_then_status_then_retry(site: Site, host: Served) -> None:
    keys = add_milestones(site.database, 4)
    host.host.fail(keys[2], (422, None))
    code, out = run(site, "sync")
    assert code == 0
    assert "sync: 3 delivered, 0 already there, 0 to retry later, 1 parked" in out
    assert "rm-plugin sync status" in out

    code, out = run(site, "sync", "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "connection",
        "pending",
        "in",
        "flight",
        "waiting",
        "done",
        "skipped",
        "held",
        "parked",
    ]
    assert lines[1].split() == ["standin", "0", "0", "0", "3", "0", "0", "1"]
    assert (
        f'{keys[2]} (attempts 1): standin: POST /deliveries failed: Error: {{"error": "scripted 422"}}' in out
    )

    code, out = run(site, "sync", "retry")
    assert code == 2 and "say which rows to retry" in out
    code, out = run(site, "sync", "retry", "9999")
    assert code == 1 and "#9999: no such row; nothing was changed" in out
    code, out = run(site, "sync", "retry", "--all")
    assert code == 0 and "requeued 1 row(s)" in out
    code, out = run(site, "sync")
    assert "sync: 1 delivered" in out
    code, out = run(site, "sync")
    assert "sync: 0 delivered, 0 already there, 0 to retry later, 0 parked" in out
    assert host.host.writes == dict.fromkeys(keys, 1)


def test_an_empty_outbox_says_so(site: Site) -> None:
    assert run(site, "sync", "status") == (0, "the outbox is empty\n")


def test_a_bad_concurrency_key_names_the_file_and_key(site: Site) -> None:
    add_milestones(site.database, 1)
    config = Path(site.root) / "connectors" / "standin.toml"
    config.write_text(config.read_text().replace("concurrency = 3", "concurrency = 0"))
    code, out = run(site, "sync")
    assert code == 2
    assert "error: connectors/standin.toml: concurrency: Must be greater than or equal to 1" in out
