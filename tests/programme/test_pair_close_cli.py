"""``match close`` ends one active pair the way a leaver's pair ends, so a member can be erased.

The hosts get a ``close`` delivery, ``rm_pair_closed`` fires, and both members are told the pair
ended (never why: the reason stays in the pair's history). ``people erase`` checks before it asks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from programme_world import World
from sqlalchemy import select

from rm_plugin.cli import build_cli
from rm_plugin.store.models import AuditEntry, Pair, PairStatusChange, Person

HOOK = """
import json, pathlib
from rm_plugin import hookimpl

@hookimpl
def rm_pair_closed(pair, reason):
    out = pathlib.Path(__file__).with_name("closed.jsonl")
    with out.open("a") as fh:
        fh.write(json.dumps([pair.id, pair.mentee_hr_id, pair.mentor_hr_id, reason]) + "\\n")
"""


def test_match_close_ends_one_pair_and_tells_the_hosts_and_both_members(
    site: Path, world: World, rm: Callable[..., str]
) -> None:
    (site / "hooks" / "closed_probe.py").write_text(HOOK)
    closing, staying = world.pair("SENIOR", "JUNIOR"), world.pair("SENIOR2", "JUNIOR2")

    out = rm("match", "close", "rm-2026", str(closing), "--reason", "private health reason", "--by", "ADMIN")

    assert f"pair {closing} (SENIOR with JUNIOR) closed on " in out
    assert "1 close delivery(ies) and 2 message(s) queued: `rm-plugin sync` delivers them" in out
    with world.db.transaction() as s:
        assert s.get(Pair, closing).status == "closed" and s.get(Pair, staying).status == "active"
        change = s.scalars(select(PairStatusChange).where(PairStatusChange.pair_id == closing)).one()
        assert (change.to_status, change.actor, change.reason) == ("closed", "ADMIN", "private health reason")
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.action == "pair.close")).all() == [
            "pair.close"
        ]
    (close,) = world.outbox("close")
    assert (close.payload["pair_id"], close.payload["reason"]) == (closing, "private health reason")
    told = {tuple(row.payload["audience"]): row.payload for row in world.outbox("notify")}
    assert set(told) == {("SENIOR",), ("JUNIOR",)}
    for message in told.values():
        assert message["kind"] == "pair_closed" and "has been closed" in message["body"]
        assert "health" not in message["body"] + message["subject"]
    assert (site / "hooks" / "closed.jsonl").read_text().count("\n") == 1


def test_match_close_refuses_what_it_cannot_close_and_says_what_to_do(
    site: Path, world: World, rm: Callable[..., str]
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")
    with world.db.transaction() as s:
        s.get(Pair, pair_id).status = "proposed"

    out = rm("match", "close", "rm-2026", str(pair_id), "--reason", "x", "--by", "ADMIN", code=1)
    assert f"rm-plugin match reject rm-2026 {pair_id} --reviewer HR_ID --reason TEXT" in out
    assert f"no pair {pair_id + 99} in programme 'rm-2026'" in rm(
        "match", "close", "rm-2026", str(pair_id + 99), "--reason", "x", "--by", "ADMIN", code=1
    )
    both = rm("match", "close", "rm-2026", str(pair_id), "--reason", " ", "--by", "", code=1)
    assert "--reason" in both and "--by" in both  # every problem at once
    assert world.outbox() == []


def test_erase_is_checked_before_it_asks_and_names_the_command_that_frees_the_person(
    site: Path, world: World, rm: Callable[..., str]
) -> None:
    pair_id = world.pair("SENIOR", "JUNIOR")

    refused = CliRunner().invoke(build_cli(), ["people", "erase", "JUNIOR", "--by", "ADMIN"], input="y\n")
    assert refused.exit_code == 1
    assert "Erase JUNIOR?" not in refused.output  # nobody is asked to confirm what is then refused
    assert f"rm-plugin match close rm-2026 {pair_id} --reason TEXT --by HR_ID" in refused.output

    rm("match", "close", "rm-2026", str(pair_id), "--reason", "erasure requested", "--by", "ADMIN")
    erased = CliRunner().invoke(build_cli(), ["people", "erase", "JUNIOR", "--by", "ADMIN"], input="y\n")
    assert erased.exit_code == 0, erased.output
    assert "Erase JUNIOR? This cannot be undone" in erased.output and "erased JUNIOR" in erased.output
    with world.db.transaction() as s:
        assert s.scalar(select(Person.id).where(Person.hr_id == "JUNIOR")) is None
