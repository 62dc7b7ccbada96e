"""Benchmark: the safeguarding partnership's report on a 400,000-case authority.

Builds (or reuses) a demo database with ``hotspots demo --cases N --history-days H`` (a
history of H nightly rescores, so the workforce's weeks and the look-backs have days behind
them), records serious incidents on some of its cases (half of them hotspots on the day), and
times, in one run on the same rows:

1. recording one incident (the write, its audit row and the copy of the child's history);
2. the whole report (``partnership.partnership_report``), then each of its parts alone: the
   incidents with every child's look-back and hindsight, the review's table, the practice by
   team and month, the workforce;
3. ``hotspots report partnership --json`` as a person runs it (a new process: start-up,
   migrations check, the report and the JSON);
4. the partnership's page and its largest CSV download through the app (signed in as the
   demo's partnership member), rendering included;
5. what the partnership's schema costs the nightly rescore: the whole-authority rescore of a
   past day (history only, as the demo writes its history) with and without the partial index
   on red history rows (``score_history_red``), and the upgrade's back-fill of
   ``score_history.worker_id`` for red rows (m122), rolled back.

Usage:

    .venv/bin/python bench/bench_partnership.py [--db bench/data/partnership.db]
        [--cases 400000] [--history-days 90] [--incidents 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotspots import create_app, storage  # noqa: E402
from hotspots.base.config import load_config  # noqa: E402
from hotspots.services import partnership, rescoring  # noqa: E402
from hotspots.storage.schema import HISTORY_CASELOAD_SQL, statements  # noqa: E402

LONDON = ZoneInfo("Europe/London")
DEMO_PASSWORD = "demo-password-1"
COUNTS_SQL = """
SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM observations),
       (SELECT max(day) FROM score_history WHERE band = 'red')
"""
HISTORY_ROWS_SQL = "SELECT count(*) FROM score_history"
# Cases to plant incidents on: open, half red on the last day and half not.
CASES_SQL = """
SELECT c.case_ref FROM cases AS c JOIN scores AS s ON s.case_id = c.id
WHERE c.status = 'open' AND (s.band = 'red') = :red
ORDER BY c.id LIMIT :n
"""
PARTNERSHIP_USER_SQL = "SELECT id, email FROM staff WHERE role = 'partnership' LIMIT 1"


class Actor:
    def __init__(self, staff_id: int, email: str) -> None:
        self.id = staff_id
        self.email = email


def build(path: Path, cases: int, history_days: int) -> None:
    """Create the demo database with the real commands unless it already has cases."""
    if path.exists():
        db = storage.connect(path)
        try:
            if db.execute("SELECT count(*) FROM cases").fetchone()[0]:
                return
        finally:
            db.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(path)}
    hotspots = str(Path(sys.executable).with_name("hotspots"))
    started = time.perf_counter()
    subprocess.run([hotspots, "init-db"], env=env, check=True)
    subprocess.run(
        [hotspots, "demo", "--cases", str(cases), "--history-days", str(history_days)],
        env=env,
        check=True,
    )
    print(f"built {path} with hotspots demo in {time.perf_counter() - started:.0f} s")


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "data" / "partnership.db")
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--history-days", type=int, default=90)
    parser.add_argument("--incidents", type=int, default=20)
    args = parser.parse_args()
    build(args.db, args.cases, args.history_days)

    os.environ["HOTSPOTS_DATABASE__PATH"] = str(args.db)
    settings = load_config()
    db = storage.connect(args.db, settings["database"]["busy_timeout_ms"])
    from hotspots.storage.schema import migrate

    applied = migrate(db)
    if applied:
        print(f"migrated: {', '.join(applied)}")
    cases, observations, last_day = db.execute(COUNTS_SQL).fetchone()
    history = db.execute(HISTORY_ROWS_SQL).fetchone()[0]
    as_of = date.fromisoformat(last_day)
    now = datetime.combine(as_of, clock_time(12), tzinfo=LONDON)
    print(
        f"{cases:,} cases, {observations:,} observations, {history:,} score history rows, "
        f"report day {as_of}"
    )

    # 1. Recording incidents (the day before the report day, known on the day).
    staff_id, email = db.execute(PARTNERSHIP_USER_SQL).fetchone()
    actor = Actor(staff_id, email)
    planted = db.execute("SELECT count(*) FROM serious_incidents").fetchone()[0]
    recordings = []
    if not planted:
        half = args.incidents // 2
        refs = [r[0] for r in db.execute(CASES_SQL, {"red": 1, "n": half})]
        refs += [r[0] for r in db.execute(CASES_SQL, {"red": 0, "n": args.incidents - half})]
        for ref in refs:
            new = partnership.NewIncident(
                ref, as_of - timedelta(days=1), as_of, "serious_harm", "suspected"
            )
            seconds, _ = timed(
                lambda new=new: partnership.record_incident(db, new, actor=actor, now=now)
            )
            recordings.append(seconds)
        print(
            f"recording an incident: median {statistics.median(recordings) * 1000:.1f} ms, "
            f"slowest {max(recordings) * 1000:.1f} ms ({len(recordings)} incidents)"
        )
    kept = db.execute("SELECT count(*) FROM incident_score_history").fetchone()[0]
    print(f"kept history rows: {kept:,}")

    # 2. The report, whole and by part.
    seconds, report = timed(lambda: partnership.partnership_report(db, settings, as_of=as_of))
    print(
        f"whole report: {seconds:.2f} s ({len(report['incidents'])} children of incidents, "
        f"{report['review_table']['open_cases']:,} young children, "
        f"{len(report['practice']['teams']):,} team-months, "
        f"{len(report['workforce']['workers']):,} workers, "
        f"{report['workforce']['weeks_counted']} weeks counted)"
    )
    for part in ("incidents", "review_table", "practice", "workforce"):
        seconds, _ = timed(
            lambda part=part: partnership.partnership_report(
                db, settings, as_of=as_of, parts=(part,)
            )
        )
        print(f"  {part}: {seconds:.2f} s")
    print(f"  recall: {report['recall']['sentence']}")

    # 3. The command, as a person runs it.
    hotspots = str(Path(sys.executable).with_name("hotspots"))
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(args.db)}
    seconds, done = timed(
        lambda: subprocess.run(
            [hotspots, "report", "partnership", "--json", "--as-of", as_of.isoformat()],
            env=env,
            capture_output=True,
            check=True,
        )
    )
    print(f"hotspots report partnership --json: {seconds:.2f} s ({len(done.stdout):,} bytes)")

    # 4. The page and a download, through the app.
    app = create_app(
        {"TESTING": True, "WTF_CSRF_ENABLED": False, "HOTSPOTS_NOW": now, "SECRET_KEY": "bench"}
    )
    client = app.test_client()
    client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    for path in ("/partnership", "/partnership/workforce-workers.csv", "/workforce"):
        seconds, response = timed(lambda path=path: client.get(path))
        assert response.status_code == 200, (path, response.status_code)
        print(f"GET {path}: {seconds:.2f} s ({len(response.data):,} bytes)")

    # 5. What the partnership's schema costs the nightly rescore and the upgrade.
    day = as_of - timedelta(days=3)

    def rescore_past_day() -> float:
        return timed(
            lambda: rescoring.rescore_all(db, settings, as_of=day, now=now, history_only=True)
        )[0]

    with_index = min(rescore_past_day() for _ in range(2))
    index_sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'score_history_red'"
    ).fetchone()[0]
    db.execute("DROP INDEX score_history_red")
    without_index = min(rescore_past_day() for _ in range(2))
    seconds_index, _ = timed(lambda: db.execute(index_sql))
    print(
        f"rescore of a past day (history only): {with_index:.2f} s with the red-history index, "
        f"{without_index:.2f} s without ({with_index / without_index:.2f}x); "
        f"building the index: {seconds_index:.2f} s"
    )
    backfill = next(s for s in statements(HISTORY_CASELOAD_SQL) if s.startswith("UPDATE"))
    db.execute("BEGIN IMMEDIATE")
    seconds, cursor = timed(lambda: db.execute(backfill))
    db.execute("ROLLBACK")
    print(f"m122's back-fill of red history rows: {seconds:.2f} s ({cursor.rowcount:,} rows)")
    db.close()


if __name__ == "__main__":
    main()
