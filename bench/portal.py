"""Benchmark: 50 participants at once against the portal under gunicorn on 127.0.0.1.

Usage: python bench/portal.py [--participants 50] [--rounds 8] [--think 1.0] [--workers 2]
                               [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

With ``--postgres SERVER_URL`` the site's database is a new database on that server (dropped
at the end); without it, a SQLite file.

Each simulated participant, in rounds: launches from the fake platform (login initiation, the
signed id_token's launch, the landing, the home page: one "launch"), opens their pair page,
their agreement page, and logs a meeting (a form POST; a new date each round), reading each page
for a while (``--think`` seconds on average, uniformly 0.5x to 1.5x; 0 sends the next request at
once, a stress test rather than people). They arrive within the first two think times. Like a
browser, a client sends a request again when the server had just closed the kept-alive
connection it was reusing. A static file
served by the same gunicorn in the same run is the baseline. Prints p50/p95 per page and each
p95's ratio to the static file's, with the machine's load (``uptime``). Target: p95 < 100 ms.
The launch rate limit is lifted in the bench's site (every participant comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests" / "web"), str(HERE.parent)]

from platform_server import PlatformServer  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from rm_plugin.enrolment import apply as applying  # noqa: E402
from rm_plugin.enrolment.programmes import create_programme  # noqa: E402
from rm_plugin.lti import claims as c  # noqa: E402
from rm_plugin.lti.keys import ToolKeys  # noqa: E402
from rm_plugin.lti.platforms import PlatformValues, save_platform  # noqa: E402
from rm_plugin.lti.settings import WebSettings  # noqa: E402
from rm_plugin.matching.review import approve_pair  # noqa: E402
from rm_plugin.matching.service import propose  # noqa: E402
from rm_plugin.programme import agreements  # noqa: E402
from rm_plugin.site import Site, create_site  # noqa: E402
from rm_plugin.store.models import Pair, Person  # noqa: E402
from rm_plugin.unit_of_work import unit_of_work  # noqa: E402

SLUG = "bench"
COOKIE = "rm_portal_session"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(root: Path, url: str, database_url: str | None, participants: int) -> Site:
    """A site with ``participants`` people in active pairs whose agreements both signed."""
    create_site(root)
    config = root / "rm-plugin.toml"
    text = config.read_text(encoding="utf-8")
    if database_url:
        text = text.replace('url = "sqlite:///rm-plugin.sqlite3"', f'url = "{database_url}"')
    (root / "secrets").mkdir(exist_ok=True)
    (root / "secrets" / "web-secret").write_text("bench-web-secret-" + "x" * 40 + "\n", encoding="utf-8")
    text += (
        f'\n[web]\npublic_url = "{url}"\nsecret_key_file = "secrets/web-secret"\n'
        "[web.rate_limit]\nlaunches_per_minute = 100000\n"
    )
    config.write_text(text, encoding="utf-8")
    site = Site.load(root, load_entrypoints=False)
    site.database.upgrade()
    today = dt.date.today()
    pairs = participants // 2
    with site.database.transaction() as s:
        for i in range(pairs):
            s.add(
                Person(
                    hr_id=f"S{i:03d}",
                    email=f"s{i}@bench.example",
                    given_name="Senior",
                    family_name=str(i),
                    job_level=9,
                    department=f"D{i % 5}",
                    time_zone="Europe/London",
                    languages=["en"],
                )
            )
            s.add(
                Person(
                    hr_id=f"J{i:03d}",
                    email=f"j{i}@bench.example",
                    given_name="Junior",
                    family_name=str(i),
                    job_level=2,
                    department=f"D{(i + 1) % 5}",
                    time_zone="Europe/London",
                    languages=["en"],
                )
            )
        s.add(Person(hr_id="R001", email="r@bench.example", job_level=6, department="People"))
    with unit_of_work(site) as work:
        create_programme(
            work.session,
            slug=SLUG,
            name="Bench programme",
            defaults=site.programme_defaults,
            starts_on=today - dt.timedelta(days=60),
            ends_on=today + dt.timedelta(days=120),
            reviewers_required=1,
        )
    for i in range(pairs):
        with unit_of_work(site) as work:
            applying.apply(
                work,
                f"S{i:03d}",
                SLUG,
                applying.Answers(
                    role="mentee", skills_wanted={"data": 3}, availability=["mon-09", "mon-10"], consent=True
                ),
            )
            applying.apply(
                work,
                f"J{i:03d}",
                SLUG,
                applying.Answers(
                    role="mentor", skills_offered=["data"], availability=["mon-09", "mon-10"], consent=True
                ),
            )
    result = propose(site.database, site.pm, SLUG, actor="bench")
    for proposal in result.proposed:
        with unit_of_work(site) as work:
            approve_pair(work, proposal.pair_id, "R001")
            pair = work.session.get(Pair, proposal.pair_id)
            assert pair is not None
            pair.starts_on = today - dt.timedelta(days=60)  # room for a meeting a day
    for proposal in result.proposed:
        for hr_id in (proposal.mentee, proposal.mentor):
            with unit_of_work(site) as work:
                agreements.show_to_member(work, hr_id, pair_id=proposal.pair_id)
                agreements.sign_as_member(work, hr_id, pair_id=proposal.pair_id)
    return site


def browser_like() -> requests.Session:
    """A session that, like a browser, resends a request refused by a just-closed kept-alive
    connection (nothing was processed then); every other failure surfaces."""
    http = requests.Session()
    retry = Retry(total=2, connect=2, read=0, status=0, other=0, allowed_methods=None, raise_on_status=False)
    http.mount("http://", HTTPAdapter(max_retries=retry))
    return http


class Participant:
    """One browser: its own session cookie, sent by hand (requests keeps Secure cookies off http)."""

    def __init__(self, hr_id: str, uid: str, base: str, platform: PlatformServer, index: int) -> None:
        self.hr_id, self.uid, self.base, self.platform, self.index = hr_id, uid, base, platform, index
        self.http = browser_like()
        self.cookie = ""
        self.pair_id = 0
        self.parts: dict[str, float] = {}

    def _get(self, path: str) -> requests.Response:
        answer = self.http.get(
            self.base + path, headers={"Cookie": self.cookie}, allow_redirects=False, timeout=30
        )
        answer.raise_for_status()
        return answer

    def launch(self) -> None:
        p = self.platform.platform
        began = time.perf_counter()
        login = self.http.post(
            self.base + "/lti/login",
            data={
                "iss": p.issuer,
                "login_hint": self.uid,
                "target_link_uri": f"{self.base}/lti/launch",
                "client_id": p.client_id,
                "lti_deployment_id": p.deployment_id,
            },
            allow_redirects=False,
            timeout=30,
        )
        # The login first checks the browser keeps its cookies (a probe and a redirect to itself),
        # then sets the cookie that binds the launch to this browser; carry both by hand, since
        # they are Secure and this runs on plain http.
        cookies = dict(login.cookies)
        assert login.status_code == 303, login.status_code
        checked = self.http.get(
            urljoin(self.base + "/lti/login", login.headers["Location"]),
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            allow_redirects=False,
            timeout=30,
        )
        assert checked.status_code == 302, checked.status_code
        cookies.update(checked.cookies)
        sent = {k: v[0] for k, v in parse_qs(urlsplit(checked.headers["Location"]).query).items()}
        token = p.id_token(
            sent["nonce"],
            sub=self.uid,
            **{c.LIS: {"person_sourcedid": self.hr_id}, c.TARGET_LINK_URI: f"{self.base}/lti/launch"},
        )
        signed = time.perf_counter()
        landed = self.http.post(
            self.base + "/lti/launch",
            data={"id_token": token, "state": sent["state"]},
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            allow_redirects=False,
            timeout=30,
        )
        assert landed.status_code == 303, landed.status_code
        posted = time.perf_counter()
        self.cookie = f"{COOKIE}={landed.cookies.get(COOKIE)}"
        assert (
            self._get(
                urlsplit(landed.headers["Location"]).path + "?" + urlsplit(landed.headers["Location"]).query
            ).status_code
            == 302
        )
        home = self._get("/portal/").text
        self.pair_id = int(re.search(r"/portal/pairs/(\d+)/", home).group(1))  # type: ignore[union-attr]
        self.parts = {
            "  login (+ sign)": (signed - began) * 1000,
            "  id_token post": (posted - signed) * 1000,
            "  landing + home": (time.perf_counter() - posted) * 1000,
        }

    def pair(self) -> None:
        self._get(f"/portal/pairs/{self.pair_id}/")

    def agreement(self) -> None:
        self._get(f"/portal/pairs/{self.pair_id}/agreement")

    def log_meeting(self, round_no: int) -> None:
        page = self._get(f"/portal/pairs/{self.pair_id}/meetings").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        # mentees take even days back, mentors odd: a new day for the pair every time
        day = dt.date.today() - dt.timedelta(days=2 * round_no + (self.index % 2))
        answer = self.http.post(
            f"{self.base}/portal/pairs/{self.pair_id}/meetings",
            data={"csrf_token": token, "held_on": day.isoformat(), "minutes": "45", "mode": "video"},
            headers={"Cookie": self.cookie},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303 and "logged=" in answer.headers["Location"], answer.headers.get(
            "Location"
        )


def timed(
    samples: dict[str, list[float]], lock: threading.Lock, name: str, action: Callable[[], object]
) -> None:
    began = time.perf_counter()
    action()
    elapsed = (time.perf_counter() - began) * 1000
    with lock:
        samples.setdefault(name, []).append(elapsed)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a participant reads a page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to make the site's database on")
    args = parser.parse_args()
    if args.postgres:
        with temporary_postgres(args.postgres) as url:
            run_bench(args, url)
    else:
        run_bench(args, None)


@contextlib.contextmanager
def temporary_postgres(server_url: str) -> Iterator[str]:
    name = f"rm_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_bench(args: argparse.Namespace, database_url: str | None) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="rm-bench-portal-") as tmp, PlatformServer(base) as platform:
        root = Path(tmp) / "site"
        print(
            f"building {args.participants} participants in {args.participants // 2} signed pairs ...",
            flush=True,
        )
        site = build_site(root, base, database_url, args.participants)
        with site.database.transaction() as s:
            p = platform.platform
            save_platform(
                s,
                PlatformValues(
                    issuer=p.issuer,
                    client_id=p.client_id,
                    auth_url=p.auth_url,
                    jwks_url=p.jwks_url,
                    token_url=p.token_url,
                    deployment_ids=(p.deployment_id,),
                ),
            )
            ToolKeys(WebSettings.from_site(site).secret_key).ensure(s)
        log = (Path(tmp) / "gunicorn.log").open("wb")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:rm_plugin.web.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--access-logfile",
                "/dev/null",
                f"rm_plugin.web.wsgi:create('{root}')",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        try:
            while server.poll() is None:
                try:
                    with urllib.request.urlopen(base + "/healthz") as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            people = [f"S{i:03d}" for i in range(args.participants // 2)] + [
                f"J{i:03d}" for i in range(args.participants // 2)
            ]
            clients = [Participant(hr, platform.user(hr), base, platform, i) for i, hr in enumerate(people)]
            samples: dict[str, list[float]] = {}
            lock = threading.Lock()
            start = threading.Barrier(len(clients))
            errors: list[str] = []

            def run(who: Participant) -> None:
                static = browser_like()
                rng = random.Random(who.index)

                def read() -> None:
                    if args.think > 0:
                        time.sleep(args.think * rng.uniform(0.5, 1.5))

                def css() -> None:
                    static.get(base + "/static/portal.css", timeout=30).raise_for_status()

                try:
                    start.wait()
                    time.sleep(rng.uniform(0, 2 * args.think))  # arrivals spread, not one instant
                    for round_no in range(args.rounds):
                        steps: list[tuple[str, Callable[[], object]]] = [
                            ("launch", who.launch),
                            ("pair page", who.pair),
                            ("agreement page", who.agreement),
                            ("meeting log", lambda r=round_no: who.log_meeting(r)),
                            ("static file", css),
                        ]
                        for name, step in steps:
                            timed(samples, lock, name, step)
                            if name == "launch":
                                with lock:
                                    for part, ms in who.parts.items():
                                        samples.setdefault(part, []).append(ms)
                            read()
                except Exception as exc:  # report, do not hide
                    errors.append(f"{who.hr_id}: {type(exc).__name__}: {exc}")

            began = time.perf_counter()
            threads = [threading.Thread(target=run, args=(who,)) for who in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait()
            site.close()
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(
            f"database: {site.database.dialect}; gunicorn {args.workers} worker(s) x 4 threads; "
            f"{len(clients)} participants x {args.rounds} rounds, think {args.think} s, in {wall:.1f} s"
        )
        if errors:
            print(f"{len(errors)} participant(s) failed, e.g. {errors[0]}")
            log.close()
            said = (Path(tmp) / "gunicorn.log").read_text(encoding="utf-8", errors="replace").splitlines()
            notable = [line for line in said if "rm_plugin" not in line and "alembic" not in line]
            print("gunicorn said:", *notable[-10:], sep="\n  ")
        static_p95 = pct(samples["static file"], 0.95)
        print(f"{'page':16} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p95/static':>11}")
        names = ("launch", "  login (+ sign)", "  id_token post", "  landing + home")
        for name in (*names, "pair page", "agreement page", "meeting log", "static file"):
            values = samples.get(name, [])
            if not values:
                continue
            p50, p95 = statistics.median(values), pct(values, 0.95)
            print(f"{name:16} {len(values):5d} {p50:8.1f} {p95:8.1f} {p95 / static_p95:11.1f}")
        print(f"uptime: {uptime}")
        print(
            "launch = login initiation + id_token post + landing + home; "
            "meeting log = the form page + its POST"
        )


if __name__ == "__main__":
    main()
