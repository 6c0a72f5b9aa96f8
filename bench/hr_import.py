"""Benchmark: a 10,000-employee import from local stand-ins of BambooHR and Workday.

Prints requests made and wall time for a full import, then for an incremental import after 1% of
people changed, and the incremental run's share of the full one (the target: requests in proportion
to the change, plus a constant). BambooHR is measured on both roster routes: an API key's custom
report and an OAuth token's cursor-paged list. Run: ``python bench/hr_import.py [--size 10000]
[--share 0.01]``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE / "standins"), str(HERE.parent)]

from bamboohr import BambooStandIn  # noqa: E402
from org import synthetic, touch  # noqa: E402
from workday import WorkdayStandIn  # noqa: E402

from rm_plugin.config.secret import Secret  # noqa: E402
from rm_plugin.connections import ConnectionContext  # noqa: E402
from rm_plugin.connectors.bamboohr import BambooHRConfig, BambooHRConnection  # noqa: E402
from rm_plugin.connectors.workday import WorkdayConfig, WorkdayConnection  # noqa: E402


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def serve(app: Any) -> tuple[str, Any]:
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def run(label: str, app: Any, connection: Any, since: str | None) -> tuple[Any, int, float]:
    before = app.requests
    started = time.perf_counter()
    batch = connection.fetch(since)
    elapsed = time.perf_counter() - started
    made = app.requests - before
    print(
        f"  {label:<28} {made:>5} requests  {elapsed:7.2f} s  "
        f"{len(batch.records):>6} records  {len(batch.problems):>3} problems"
    )
    return batch, made, elapsed


def bench(name: str, app: Any, connection: Any, people: list, share: float) -> None:
    print(f"{name}:")
    full, full_requests, full_time = run("full import", app, connection, None)
    changed = touch(people, share)
    _, inc_requests, inc_time = run(f"incremental ({len(changed)} changed)", app, connection, full.cursor)
    print(
        f"  incremental / full: {inc_requests / full_requests:.3f} of the requests, "
        f"{inc_time / full_time:.3f} of the time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument(
        "--share", type=float, default=0.01, help="share of people changed before the increment"
    )
    args = parser.parse_args()
    tmp = Path("/tmp") if Path("/tmp").is_dir() else HERE
    context = lambda name: ConnectionContext(name, tmp / f"{name}.toml", tmp, tmp)  # noqa: E731

    for credential, label in (
        ("api_key", "API key: one custom report"),
        ("access_token", "OAuth: cursor-paged /employees (page size 100) and one report"),
    ):
        people = synthetic(args.size)
        app = BambooStandIn(people)
        base, _ = serve(app)
        config = BambooHRConfig().load(
            {
                "company": "standin",
                "base_url": base,
                credential: "bench",
                "job_level_field": "Job Level",
                "page_size": 100,
            }
        )
        bench(
            f"BambooHR, {label} ({args.size} employees)",
            app,
            BambooHRConnection(context("bamboohr"), config),
            people,
            args.share,
        )

    people = synthetic(args.size)
    app = WorkdayStandIn(people)
    base, _ = serve(app)
    config = WorkdayConfig().load(
        {"host": base, "tenant": "standin", "roster": "soap", "soap_user": "ISU", "soap_password": "bench"}
    )
    bench(
        f"Workday SOAP Get_Workers ({args.size} workers, Count 999)",
        app,
        WorkdayConnection(context("workday"), config),
        people,
        args.share,
    )
    config = WorkdayConfig().load(
        {
            "host": base,
            "tenant": "standin",
            "roster": "raas",
            "raas_owner": "ISU",
            "raas_report": "RM_Workers",
            "raas_user": "ISU",
            "raas_password": Secret("bench"),
            "mentorships": False,
        }
    )
    print("Workday RaaS report (unpaged, always a full pull):")
    run("full import", app, WorkdayConnection(context("workday-raas"), config), None)


if __name__ == "__main__":
    main()
