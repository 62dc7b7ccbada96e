"""Benchmark: partners' notifications at a steady rate through POST /api/v1/observations
while signed-in people use the pages.

Serves the real app with gunicorn (gthread workers; with ``--api-workers N``, the API from N
workers of its own on a second port, as a reverse proxy sending /api/ to a second upstream
would) on loopback, registers partner systems with ``hotspots partners add``, signs in demo
workers through the login form, then runs two phases of equal length:

1. **pages alone**: each user opens their /caseload and a case page in turn, pausing 0.5 to
   1.5 s between requests like a person reading;
2. **pages under load**: the same, while the partners send ``--rate`` notifications a second
   in batches of ``--batch``, paced on a fixed schedule, every partner on the same one (a
   burst each interval: the worst case; a late batch is sent at once, not skipped, so the
   rate is what was asked). Items name open cases of the demo (a few name no case and go to
   the unmatched queue, and a few are re-sends of earlier items, which change nothing);
   every accepted request is committed, audited and its cases rescored.

Any non-200 answer is an error and fails the run. Prints notifications a second achieved,
the API's latency, and the pages' p50/p95/p99 in each phase.

Usage:

    .venv/bin/python bench/bench_api.py bench/data/api.db [--cases 20000] [--rate 200]
        [--batch 50] [--partners 4] [--users 20] [--seconds 60] [--workers 2×CPUs+1]
        [--threads 1] [--worker-class gthread|sync] [--api-workers 0]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from bench_web import (
    BIN,
    ROOT,
    User,
    _percentile,
    ensure_database,
    free_port,
    gunicorn_command,
    wait_for,
)

WORKERS_SQL = """
SELECT s.email, min(c.case_ref) AS case_ref
FROM staff s JOIN cases c ON c.worker_id = s.id AND c.status = 'open'
WHERE s.role = 'worker'
GROUP BY s.id ORDER BY s.id LIMIT :users
"""
OPEN_CASES_SQL = "SELECT case_ref FROM cases WHERE status = 'open'"
COUNTS_SQL = "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM observations)"
INDICATORS = ("ppn_low", "ppn_medium", "ppn_high", "unscheduled_care", "domestic_abuse")
UNKNOWN_SHARE = 0.03  # items about a child no case matches
RESEND_SHARE = 0.05  # items sent again unchanged


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.items = 0

    def add(self, ms: float, status: int, what: str, items: int = 0) -> None:
        with self.lock:
            self.latencies.append(ms)
            self.items += items
            if status != 200:
                self.errors.append(f"{what}: {status}")

    def summary(self) -> dict:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "requests": len(self.latencies),
            "p50": _percentile(ordered, 50),
            "p95": _percentile(ordered, 95),
            "p99": _percentile(ordered, 99),
            "max": ordered[-1],
        }


def browse(user: User, stop_at: list[float], stats: Stats, started: threading.Event) -> None:
    pause = random.Random(user.email)
    paths = ["/caseload", f"/cases/{user.case_ref}"]
    started.wait()
    n = 0
    while time.perf_counter() < stop_at[0]:
        path = paths[n % 2]
        n += 1
        t0 = time.perf_counter()
        try:
            status, _ = user.request("GET", path)
        except Exception as e:  # counted as an error, the run goes on
            status = repr(e)
        stats.add((time.perf_counter() - t0) * 1000, status, path)
        time.sleep(pause.uniform(0.5, 1.5))


def send(
    port: int,
    token: str,
    name: str,
    rate: float,
    batch: int,
    case_refs: list[str],
    stop_at: list[float],
    stats: Stats,
    started: threading.Event,
) -> None:
    """One partner: a batch every batch/rate seconds on a fixed schedule."""
    rng = random.Random(name)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    today = date.today()
    sent: list[dict] = []
    serial = 0
    interval = batch / rate
    started.wait()
    next_at = time.perf_counter()
    while next_at < stop_at[0]:
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        items = []
        for _ in range(batch):
            if sent and rng.random() < RESEND_SHARE:
                items.append(rng.choice(sent))
                continue
            serial += 1
            ref = f"UNKNOWN-{serial}" if rng.random() < UNKNOWN_SHARE else rng.choice(case_refs)
            item = {
                "id": f"{name}-{serial}",
                "case_ref": ref,
                "indicator": rng.choice(INDICATORS),
                "observed_on": (today - timedelta(days=rng.randrange(30))).isoformat(),
            }
            items.append(item)
            sent.append(item)
        # One id once per request (a repeat would be refused as ambiguous).
        unique = list({i["id"]: i for i in items}.values())
        body = json.dumps(unique)
        t0 = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/observations", body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            status = response.status
            if status != 200:
                status = f"{status} {text[:200]}"
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
            conn.close()
            status = repr(e)
        stats.add((time.perf_counter() - t0) * 1000, status, "POST", len(unique))
        next_at += interval


def run_phase(users, senders, seconds: float) -> tuple[Stats, Stats, float]:
    pages, api = Stats(), Stats()
    stop_at = [time.perf_counter() + 3600]
    started = threading.Event()
    threads = [threading.Thread(target=browse, args=(u, stop_at, pages, started)) for u in users]
    threads += [threading.Thread(target=s, args=(stop_at, api, started)) for s in senders]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    started.set()
    for t in threads:
        t.join()
    return pages, api, time.perf_counter() - began


def serve(
    port: int, workers: int, args: argparse.Namespace, env: dict, nice: int = 0
) -> subprocess.Popen:
    """The app under gunicorn on loopback ``port``, at CPU priority ``nice`` (0: as usual)."""
    return subprocess.Popen(
        [
            *(["nice", "-n", str(nice)] if nice else []),
            *gunicorn_command(ROOT, port, workers, args.threads, args.worker_class),
            "hotspots:create_app()",
        ],
        env=env,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="demo database (created if missing)")
    parser.add_argument("--cases", type=int, default=20_000, help="cases when creating it")
    parser.add_argument("--rate", type=float, default=200.0, help="notifications a second")
    parser.add_argument("--batch", type=int, default=50, help="notifications a request")
    parser.add_argument("--partners", type=int, default=4, help="partner systems sending")
    parser.add_argument("--users", type=int, default=20, help="people using the pages")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--api-nice",
        type=int,
        default=0,
        help="with --api-workers: the API's workers at this CPU priority (nice), e.g. 10",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--worker-class", default="gthread", choices=("gthread", "sync"), help="gunicorn's"
    )
    parser.add_argument(
        "--api-workers", type=int, default=0, help="serve the API from this many workers of its own"
    )
    args = parser.parse_args()

    db = args.db.resolve()
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(db)}
    ensure_database(db, args.cases, env)
    subprocess.run([BIN / "hotspots", "init-db"], env=env, check=True, stdout=subprocess.DEVNULL)
    # Rescored under the current catalogue first, so the run measures the API, not a
    # model-version change's whole-authority rescore.
    subprocess.run([BIN / "hotspots", "score"], env=env, check=True, stdout=subprocess.DEVNULL)
    conn = sqlite3.connect(db)
    cases, observations = conn.execute(COUNTS_SQL).fetchone()
    people = conn.execute(WORKERS_SQL, {"users": args.users}).fetchall()
    case_refs = [r[0] for r in conn.execute(OPEN_CASES_SQL)]
    conn.close()

    tokens = {}
    stamp = int(time.time())
    for n in range(args.partners):
        name = f"bench-{stamp}-{n}"
        out = subprocess.run(
            [BIN / "hotspots", "partners", "add", name, "--source", "police"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        tokens[name] = out.rstrip("\n").splitlines()[-1]

    port = free_port()
    servers = [serve(port, args.workers, args, env)]
    # With --api-workers, the partners' API has gunicorn workers of its own (as a reverse
    # proxy sending /api/ to another upstream would give it), so a burst of notifications
    # never queues a person's page behind it.
    api_port = free_port() if args.api_workers else port
    if args.api_workers:
        servers.append(serve(api_port, args.api_workers, args, env, nice=args.api_nice))
    try:
        for p, server in zip((port, api_port), servers, strict=False):
            wait_for(p, server)
        users = [User(port, email, ref) for email, ref in people]
        for user in users:
            user.sign_in()
        print(
            f"bench: {cases:,} cases, {observations:,} observations; {len(users)} page users; "
            f"{args.partners} partners sending {args.rate:g} notifications/s in batches of "
            f"{args.batch}; {args.seconds:g} s a phase; gunicorn {args.worker_class} "
            f"{args.workers} workers × {args.threads} thread{'s' if args.threads > 1 else ''}"
            + (f" (and {args.api_workers} for the API alone)" if args.api_workers else "")
            + (f", the API's at nice {args.api_nice}" if args.api_workers and args.api_nice else "")
            + f"; {os.cpu_count()} CPUs shared with the load generator",
            flush=True,
        )
        alone, _, _ = run_phase(users, [], args.seconds)
        per_partner = args.rate / args.partners
        senders = [
            (
                lambda stop_at, stats, started, name=name, token=token: send(
                    api_port,
                    token,
                    name,
                    per_partner,
                    args.batch,
                    case_refs,
                    stop_at,
                    stats,
                    started,
                )
            )
            for name, token in tokens.items()
        ]
        loaded, api, elapsed = run_phase(users, senders, args.seconds)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    errors = alone.errors + loaded.errors + api.errors
    a, p, s = alone.summary(), loaded.summary(), api.summary()
    print()
    print(f"notifications sent: {api.items:,} in {elapsed:.1f} s = {api.items / elapsed:.0f}/s")
    print("| what | requests | p50 ms | p95 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, r in (
        ("pages alone", a),
        ("pages while partners send", p),
        (f"POST /api/v1/observations ({args.batch} a request)", s),
    ):
        print(
            f"| {label} | {r['requests']:,} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {r['max']:.0f} |"
        )
    print(f"errors: {len(errors)}" + (f", e.g. {errors[0]}" if errors else ""))
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
