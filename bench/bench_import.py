"""Benchmark the CSV import: a 1M-row observations file (and the staff and cases it refers to),
imported through the real ``import_csv`` into a fresh SQLite file, then imported again.

    .venv/bin/python bench/bench_import.py            # 1,000,000 observations
    .venv/bin/python bench/bench_import.py --rows 200000 --cases 10000

Prints rows per second for each step. Rescoring is left out (it is the scoring benchmark's).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hotspots import storage
from hotspots.base.config import load_config, recordable_indicators
from hotspots.services.importer import import_csv
from hotspots.storage.schema import migrate

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def write_files(folder: Path, rows: int, cases: int, settings: dict) -> dict[str, Path]:
    rng = random.Random(1)
    indicators = sorted(recordable_indicators(settings))
    sources = settings["import"]["sources"]
    workers = max(1, cases // 22)
    teams = max(1, workers // 8)
    days = [(AS_OF - timedelta(days=n)).isoformat() for n in range(730)]
    paths = {kind: folder / f"{kind}.csv" for kind in ("staff", "cases", "observations")}
    with open(paths["staff"], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "role", "team"])
        for w in range(workers):
            out.writerow([f"worker{w}@example.org", f"Worker {w}", "worker", f"Team {w % teams}"])
    with open(paths["cases"], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            "case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,"
            "last_visit_on,status".split(",")
        )
        for c in range(cases):
            w = c % workers
            out.writerow(
                [f"C{c:07d}", "AB", days[rng.randrange(730)], f"Team {w % teams}"]
                + [f"worker{w}@example.org", days[rng.randrange(365)], 14, days[3], "open"]
            )
    with open(paths["observations"], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow("id,case_ref,indicator,observed_on,source,recorded_by,status,note".split(","))
        for n in range(rows):
            c = rng.randrange(cases)
            out.writerow(
                [
                    f"OBS{n:09d}",
                    f"C{c:07d}",
                    rng.choice(indicators),
                    days[rng.randrange(730)],
                    rng.choice(sources),
                    f"worker{c % workers}@example.org" if n % 3 == 0 else "",
                    "current" if n % 10 else "resolved",
                    "Seen on a home visit" if n % 5 == 0 else "",
                ]
            )
    return paths


def timed_import(db, settings, kind: str, path: Path) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    result = import_csv(db, settings, kind, path, as_of=AS_OF, now=NOW, rescore=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"  {result.summary()}: {seconds:.1f} s ({cpu:.1f} s CPU),"
        f" {result.rows / seconds:,.0f} rows/s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="observations to import")
    parser.add_argument("--cases", type=int, default=50_000, help="cases they refer to")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    settings = load_config()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        paths = write_files(folder, args.rows, args.cases, settings)
        size = paths["observations"].stat().st_size / 1e6
        print(
            f"Wrote {args.rows:,} observations ({size:.0f} MB) for {args.cases:,} cases"
            f" in {time.perf_counter() - started:.1f} s"
        )
        db = storage.connect(folder / "bench.db")
        migrate(db)
        print("First import (empty database):")
        for kind in ("staff", "cases", "observations"):
            timed_import(db, settings, kind, paths[kind])
        print("The same observations file again (every row unchanged):")
        timed_import(db, settings, "observations", paths["observations"])
        db.close()


if __name__ == "__main__":
    sys.exit(main())
