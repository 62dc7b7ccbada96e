"""Benchmark: the whole-authority rescore and a single-case rescore against the floor.

Builds (or reuses) a demo database of 400,000 cases (about 1.1 million observations) with
``hotspots demo``, then times, in the same run and on the same rows:

1. the full rescore (``rescoring.rescore_all``: scores, bands, history): once building
   every kept indicator sum from nothing, then best of N with the sums up to date, then best
   of N after a day's changes (10,000 cases' sums marked), with the time of each step;
2. a single-case rescore (``rescoring.rescore_case``), median and 95th percentile of 200, and
   the same for cases whose kept sums are marked (which it brings up to date);
3. the sweep with nothing marked (``rescoring.rescore_changed``), median and 95th percentile
   of 200, and the scoring of every case that ``hotspots calibrate`` does
   (``rescoring.scratch_scores``);
4. the floor: the fastest bare SQLite aggregate of weight × decay per case over the same
   number of observation rows, written to a table — integer day numbers, weight and decay
   rate on the row, a covering index, one GROUP BY (in a scratch database beside it).

Usage:

    .venv/bin/python bench/bench_score.py [--db bench/data/score.db] [--cases 400000]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotspots import storage  # noqa: E402
from hotspots.base.config import load_config  # noqa: E402
from hotspots.services import rescoring  # noqa: E402

FLOOR_TABLES_SQL = """
DROP TABLE IF EXISTS floor.catalogue;
DROP TABLE IF EXISTS floor.observations;
DROP TABLE IF EXISTS floor.points;
CREATE TABLE floor.catalogue (code TEXT PRIMARY KEY, weight REAL, rate REAL);
CREATE TABLE floor.observations (case_id INTEGER, day INTEGER, weight REAL, rate REAL);
CREATE TABLE floor.points (case_id INTEGER PRIMARY KEY, points REAL);
"""
FLOOR_CATALOGUE_SQL = "INSERT INTO floor.catalogue VALUES (:code, :weight, :rate)"
FLOOR_FILL_SQL = """
INSERT INTO floor.observations (case_id, day, weight, rate)
SELECT o.case_id, o.observed_day, c.weight, c.rate
FROM main.observations AS o JOIN floor.catalogue AS c ON c.code = o.indicator
ORDER BY o.case_id
"""
FLOOR_INDEX_SQL = "CREATE INDEX floor.covering ON observations (case_id, day, weight, rate)"
FLOOR_CLEAR_SQL = "DELETE FROM floor.points"
FLOOR_AGGREGATE_SQL = """
INSERT INTO floor.points (case_id, points)
SELECT case_id, sum(weight * exp(rate * (:as_of_day - day)))
FROM floor.observations
GROUP BY case_id
"""
COUNT_OBSERVATIONS_SQL = "SELECT count(*) FROM observations"
COUNT_CASES_SQL = "SELECT count(*) FROM cases"
OPEN_CASE_IDS_SQL = "SELECT id FROM cases WHERE status = 'open' ORDER BY id"
FORGET_SUMS_SQL = "DELETE FROM indicator_sums_half_lives"
MARK_SUMS_SQL = """
INSERT OR IGNORE INTO indicator_sums_stale (case_id)
SELECT id FROM cases WHERE status = 'open' ORDER BY random() LIMIT :cases
"""
DAY_MARKS = 10_000
MARK_CASE_SUMS_SQL = "INSERT OR IGNORE INTO indicator_sums_stale (case_id) VALUES (:case_id)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "data" / "score.db"))
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3, help="full rescores to time (best)")
    args = parser.parse_args()
    path = Path(args.db)
    build(path, args.cases)

    settings = load_config(overrides={"database": {"path": str(path)}})
    now = datetime.now(ZoneInfo(settings["app"]["timezone"]))
    as_of = now.date()
    db = storage.connect(path)
    cases = db.execute(COUNT_CASES_SQL).fetchone()[0]
    observations = db.execute(COUNT_OBSERVATIONS_SQL).fetchone()[0]
    print(f"database {path}: {cases} cases, {observations} observations; as of {as_of}")

    # The kept indicator sums built from nothing (as on the first rescore after migration
    # m081, or after a half-life changed), so every timed run below starts from them.
    with db.conn:
        db.execute(FORGET_SUMS_SQL)
    steps = {}
    started = time.perf_counter()
    rescoring.rescore_all(db, settings, as_of=as_of, now=now, timings=steps)
    print(f"first full rescore, building every kept sum: {time.perf_counter() - started:.2f} s")
    print_steps(steps)

    full, best_steps = [], {}
    for _ in range(args.repeat):
        steps: dict[str, float] = {}
        started = time.perf_counter()
        scored = rescoring.rescore_all(db, settings, as_of=as_of, now=now, timings=steps)
        full.append(time.perf_counter() - started)
        if full[-1] == min(full):
            best_steps = steps
    print(f"full rescore of {scored} open cases: best {min(full):.2f} s of {fmt(full)}")
    print_steps(best_steps)

    # The nightly run after a day's changes: a day's 10,000 new observations mark at most
    # 10,000 cases, whose kept sums the run works out again.
    day = []
    for _ in range(args.repeat):
        with db.conn:
            db.execute(MARK_SUMS_SQL, {"cases": DAY_MARKS})
        steps = {}
        started = time.perf_counter()
        rescoring.rescore_all(db, settings, as_of=as_of, now=now, timings=steps)
        day.append(time.perf_counter() - started)
        if day[-1] == min(day):
            best_steps = steps
    print(f"full rescore with {DAY_MARKS} cases' sums marked: best {min(day):.2f} s of {fmt(day)}")
    print_steps(best_steps)

    ids = [r[0] for r in db.execute(OPEN_CASE_IDS_SQL).fetchall()]
    single = []
    for case_id in random.Random(1).sample(ids, min(200, len(ids))):
        started = time.perf_counter()
        rescoring.rescore_case(db, case_id, settings, as_of=as_of, now=now)
        single.append((time.perf_counter() - started) * 1000)
    single.sort()
    p95 = single[int(len(single) * 0.95) - 1]
    print(f"single-case rescore: median {statistics.median(single):.2f} ms, p95 {p95:.2f} ms")
    # ...and of a case whose kept sums are marked (a new observation), which it brings up to date
    marked = []
    for case_id in random.Random(2).sample(ids, min(200, len(ids))):
        with db.conn:
            db.execute(MARK_CASE_SUMS_SQL, {"case_id": case_id})
        started = time.perf_counter()
        rescoring.rescore_case(db, case_id, settings, as_of=as_of, now=now)
        marked.append((time.perf_counter() - started) * 1000)
    marked.sort()
    p95 = marked[int(len(marked) * 0.95) - 1]
    print(
        f"single-case rescore, its sums marked: median {statistics.median(marked):.2f} ms,"
        f" p95 {p95:.2f} ms"
    )

    sweeps = []
    for _ in range(200):
        started = time.perf_counter()
        assert rescoring.rescore_changed(db, settings, as_of=as_of, now=now) == 0
        sweeps.append((time.perf_counter() - started) * 1000)
    sweeps.sort()
    print(
        f"sweep with nothing marked: median {statistics.median(sweeps):.2f} ms, "
        f"p95 {sweeps[int(len(sweeps) * 0.95) - 1]:.2f} ms"
    )
    started = time.perf_counter()
    rescoring.scratch_scores(db, settings, as_of=as_of)
    print(f"calibrate's scoring of every open case: {time.perf_counter() - started:.2f} s")

    floor = time_floor(db, path, settings, as_of)
    print(f"floor (bare aggregate of weight × decay per case, {observations} rows):")
    print(f"    best {min(floor):.2f} s of {fmt(floor)}")
    print(f"ratio full rescore / floor: {min(full) / min(floor):.1f}x (target 3x)")
    print(f"    with a day's marks: {min(day) / min(floor):.1f}x")
    db.close()


def build(path: Path, cases: int) -> None:
    """Create the demo database with the real commands unless it already has cases."""
    if path.exists():
        db = storage.connect(path)
        try:
            if db.execute(COUNT_CASES_SQL).fetchone()[0]:
                return
        except sqlite3.OperationalError:
            pass
        finally:
            db.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(path)}
    hotspots = str(Path(sys.executable).with_name("hotspots"))
    started = time.perf_counter()
    subprocess.run([hotspots, "init-db"], env=env, check=True)
    subprocess.run(
        [hotspots, "demo", "--cases", str(cases), "--history-days", "0"], env=env, check=True
    )
    print(f"built {path} with hotspots demo in {time.perf_counter() - started:.0f} s")


def time_floor(db, path: Path, settings, as_of, repeat: int = 3) -> list[float]:
    """Copy every observation into a scratch database as (case_id, day, weight, rate) with a
    covering index, then time the bare aggregate into a table."""
    scratch = path.with_name(path.name + ".floor.db")
    db.execute("ATTACH DATABASE ? AS floor", [str(scratch)])
    # The same connection settings the rescore gets
    # (hotspots.storage.rescoring.bulk._bulk_connection).
    db.execute("PRAGMA cache_size = -262144")
    db.execute(f"PRAGMA mmap_size = {4 * 1024**3}")
    db.execute("PRAGMA temp_store = MEMORY")
    for statement in FLOOR_TABLES_SQL.strip().split(";\n"):
        if statement.strip():
            db.execute(statement)
    for code, spec in settings["scoring"]["indicators"].items():
        half_life = spec["half_life_days"]
        db.execute(
            FLOOR_CATALOGUE_SQL,
            {
                "code": code,
                "weight": spec["weight"],
                "rate": math.log(0.5) / half_life if half_life else 0.0,
            },
        )
    db.execute(FLOOR_FILL_SQL)
    db.execute(FLOOR_INDEX_SQL)
    as_of_day = rescoring.day_number(as_of)
    times = []
    for _ in range(repeat):
        db.execute("BEGIN")
        db.execute(FLOOR_CLEAR_SQL)
        started = time.perf_counter()
        db.execute(FLOOR_AGGREGATE_SQL, {"as_of_day": as_of_day})
        db.execute("COMMIT")
        times.append(time.perf_counter() - started)
    db.execute("DETACH DATABASE floor")
    return times


def print_steps(steps: dict[str, float]) -> None:
    for step, seconds in steps.items():
        print(f"    {step:<48} {seconds:6.2f} s")


def fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + " s"


if __name__ == "__main__":
    main()
