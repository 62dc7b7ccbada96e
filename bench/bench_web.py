"""Benchmark: /caseload and /cases/<ref> under 50 concurrent signed-in users, against a
trivial Flask route served by the same server.

Serves the real app with gunicorn (gthread workers) on loopback, signs in 50 different demo
workers through the login form (CSRF token and all), then runs three phases of equal length,
one route each: the trivial route, the worker's own /caseload, and a case page from their
caseload (which also writes its ``view_case`` audit row, as in real use). Each user is a
thread with a keep-alive connection, pausing a random 0.5 to 1.5 seconds between requests
like a person reading (``--think``; 0 sends back to back, to find the saturation
throughput); a latency includes any queueing for the server's workers. Prints p50, p95,
p99 and requests a second per route, and each route's p95 as a multiple of the trivial
route's.

The database is a ``hotspots demo`` database with a month of nightly score history behind it
(``--history-days``, 30 by default, as a live service has: the caseload's sparklines and the
case page's history read it); it is created if missing (100,000 cases with a month of history
take several minutes of both CPUs: build it once outside the repository and reuse it). A
database with no score history is refused, since it would measure pages lighter than a live
service's.

Usage:

    .venv/bin/python bench/bench_web.py /tmp/bench/web.db [--cases 100000] [--history-days 30]
        [--users 50] [--seconds 20] [--think 1.0] [--workers 2×CPUs+1] [--threads 1]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DEMO_PASSWORD = "demo-password-1"
TRIVIAL_PATH = "/bench/trivial"

WORKERS_SQL = """
SELECT s.email, min(c.case_ref) AS case_ref, count(*) AS open_cases
FROM staff s JOIN cases c ON c.worker_id = s.id AND c.status = 'open'
WHERE s.role = 'worker'
GROUP BY s.id
ORDER BY s.id
LIMIT :users
"""
COUNTS_SQL = """
SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM observations),
       (SELECT count(*) FROM score_history), (SELECT count(DISTINCT day) FROM score_history)
"""


def bench_app():
    """The service's app plus one trivial route (gunicorn's ``bench_web:bench_app()``)."""
    sys.path.insert(0, str(ROOT))
    from hotspots import create_app

    app = create_app()

    @app.route(TRIVIAL_PATH)
    def trivial():
        return "ok"

    return app


# --- the load generator ---------------------------------------------------------------------


class User:
    """One signed-in person: a keep-alive connection and the session cookie."""

    def __init__(self, port: int, email: str, case_ref: str):
        self.port = port
        self.email = email
        self.case_ref = case_ref
        self.cookie = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection: open a new one, once.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urlencode({"csrf_token": token, "email": self.email, "password": DEMO_PASSWORD})
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            raise SystemExit(f"bench: {self.email} could not sign in (status {status})")


def run_phase(users: list[User], path_of, seconds: float, think: float) -> dict:
    """Every user requests ``path_of(user)`` for ``seconds``, pausing between requests for a
    random 0.5 to 1.5 times ``think`` seconds (0: back to back); latencies in ms."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(users) + 1)
    stop_at = [0.0]

    def loop(user: User) -> None:
        mine = []
        pause = random.Random(user.email)
        path = path_of(user)
        try:
            for _ in range(3):  # warm up: templates compiled, connections open
                user.request("GET", path)
            start.wait(timeout=120)
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                status, _ = user.request("GET", path)
                mine.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    with lock:
                        errors.append(f"{path}: {status}")
                if think:
                    time.sleep(think * pause.uniform(0.5, 1.5))
        except Exception as e:  # reported below; a dead thread must not hang the barrier
            start.abort()
            with lock:
                errors.append(f"{path}: {e!r}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(u,)) for u in users]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600
    try:
        start.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"bench: {len(errors)} failed requests, e.g. {errors[0]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": _percentile(latencies, 50),
        "p95": _percentile(latencies, 95),
        "p99": _percentile(latencies, 99),
        "mean": statistics.fmean(latencies),
    }


def _percentile(ordered: list[float], p: float) -> float:
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- set-up ---------------------------------------------------------------------------------


def ensure_database(db: Path, cases: int, history_days: int, env: dict) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"bench: building a demo database of {cases:,} cases with {history_days} days of score "
        f"history at {db} (this takes a while)"
    )
    t0 = time.perf_counter()
    subprocess.run([BIN / "hotspots", "init-db"], env=env, check=True)
    demo = ["demo", "--cases", str(cases), "--history-days", str(history_days)]
    subprocess.run([BIN / "hotspots", *demo], env=env, check=True)
    print(f"bench: built in {time.perf_counter() - t0:.0f} s")


def gunicorn_command(
    chdir: Path, port: int, workers: int, threads: int, worker_class: str = "gthread"
) -> list:
    """gunicorn on loopback ``port`` as the benchmarks run it (the app named after it)."""
    return [
        BIN / "gunicorn",
        "--chdir",
        str(chdir),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        worker_class,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--backlog",
        "256",
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("bench: gunicorn exited; see its output above")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("bench: gunicorn did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="demo database (created if missing)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases when creating it")
    parser.add_argument(
        "--history-days",
        type=int,
        default=30,
        help="days of score history when creating it (a live service's month)",
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent signed-in users")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a user pauses between requests (0: back to back, to saturate)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        # gunicorn's own advice for sync-style workers: 2 × CPUs + 1 (5 on this machine).
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn worker processes (default 2 × CPUs + 1)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    args = parser.parse_args()

    db = args.db.resolve()
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(db)}
    ensure_database(db, args.cases, args.history_days, env)
    # Brings the schema up to date and makes sure the instance folder has a secret key.
    subprocess.run([BIN / "hotspots", "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
    conn = sqlite3.connect(db)
    cases, observations, history_rows, history_days = conn.execute(COUNTS_SQL).fetchone()
    people = conn.execute(WORKERS_SQL, {"users": args.users}).fetchall()
    conn.close()
    if len(people) < args.users:
        raise SystemExit(f"bench: only {len(people)} workers with open cases in {db}")
    if not history_rows:
        raise SystemExit(
            f"bench: {db} has no score history, so its pages are lighter than a live "
            "service's; build it with `hotspots demo --history-days 30`"
        )

    port = free_port()
    access_log = Path(tempfile.mkdtemp()) / "access.log"
    server = subprocess.Popen(
        [
            *gunicorn_command(ROOT / "bench", port, args.workers, args.threads),
            # Each request's time inside the server (from gunicorn starting on it to the end
            # of the response), to tell the server's own time from queueing and the client.
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(U)s %(D)s",
            "bench_web:bench_app()",
        ],
        env=env,
    )
    try:
        wait_for(port, server)
        users = [User(port, email, case_ref) for email, case_ref, _ in people]
        for user in users:
            user.sign_in()
        print(
            f"bench: {cases:,} cases, {observations:,} observations, {history_rows:,} score "
            f"history rows over {history_days} days; {len(users)} users; "
            f"gunicorn gthread {args.workers} workers × {args.threads} threads; "
            f"{args.seconds:g} s a route; think time {args.think:g} s; "
            f"{os.cpu_count()} CPUs shared with the load generator"
        )
        phases = {
            TRIVIAL_PATH: lambda u: TRIVIAL_PATH,
            "/caseload": lambda u: "/caseload",
            "/cases/<ref>": lambda u: f"/cases/{u.case_ref}",
        }
        results = {
            name: run_phase(users, path, args.seconds, args.think) for name, path in phases.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)

    server_times = _server_times(access_log)
    trivial = results[TRIVIAL_PATH]["p95"]
    print()
    print(
        "| route | requests | req/s | p50 ms | p95 ms | p99 ms | p95 ÷ trivial p95 "
        "| in the server: p50 ms | p95 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        inside = sorted(server_times.get(name, [0.0]))
        print(
            f"| `{name}` | {r['requests']:,} | {r['rps']:.0f} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['p95'] / trivial:.1f}× | "
            f"{_percentile(inside, 50):.1f} | {_percentile(inside, 95):.1f} |"
        )


def _server_times(access_log: Path) -> dict[str, list[float]]:
    """Milliseconds each request spent in the server, by route, from gunicorn's access log
    (sign-in and warm-up requests excluded)."""
    times: dict[str, list[float]] = {}
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    for line in lines:
        path, micros = line.rsplit(" ", 1)
        route = "/cases/<ref>" if path.startswith("/cases/") else path
        times.setdefault(route, []).append(int(micros) / 1000)
    return times


if __name__ == "__main__":
    main()
