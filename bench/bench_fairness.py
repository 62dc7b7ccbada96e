"""Benchmark: the fairness report (``hotspots report fairness``) on a 400,000-case authority.

Builds (or reuses) a demo database of 400,000 cases with ``hotspots demo`` (every child with
the DfE's shares of sex, ethnicity and disability), scores it, then times the report on the
latest scores (best of N, with each step) and on a past day's score history, beside the full
rescore of the same authority for scale.

Usage:

    .venv/bin/python bench/bench_fairness.py [--db bench/data/fairness.db] [--cases 400000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_score import build  # noqa: E402 (the same demo database, built the same way)

from hotspots import storage  # noqa: E402
from hotspots.base.config import load_config  # noqa: E402
from hotspots.services import rescoring  # noqa: E402
from hotspots.storage.fairness import fairness_report  # noqa: E402

COUNT_SQL = {
    "cases": "SELECT count(*) FROM cases",
    "observations": "SELECT count(*) FROM observations",
    "characteristics": "SELECT count(*) FROM child_characteristics",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "bench" / "data" / "fairness.db"))
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=3, help="reports to time (best)")
    args = parser.parse_args()
    path = Path(args.db)
    build(path, args.cases)
    settings = load_config(overrides={"database": {"path": str(path)}})
    now = datetime.now(ZoneInfo(settings["app"]["timezone"]))
    db = storage.connect(path)
    counts = {name: db.execute(sql).fetchone()[0] for name, sql in COUNT_SQL.items()}
    print(f"database {path}: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))

    started = time.perf_counter()
    rescoring.rescore_all(db, settings, as_of=now.date() - timedelta(days=1), now=now,
                          history_only=True)  # fmt: skip
    scored = rescoring.rescore_all(db, settings, as_of=now.date(), now=now)
    print(f"scored {scored:,} open cases (today and yesterday's history) in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    rescoring.rescore_all(db, settings, as_of=now.date(), now=now)
    rescore = time.perf_counter() - started

    times, best = [], {}
    for _ in range(args.repeat):
        steps: dict[str, float] = {}
        started = time.perf_counter()
        report = fairness_report(db, settings, timings=steps)
        times.append(time.perf_counter() - started)
        if times[-1] == min(times):
            best = steps
    print(f"fairness report on the latest scores: best {min(times):.2f} s of "
          + ", ".join(f"{t:.2f}" for t in times) + " s")  # fmt: skip
    for step, seconds in best.items():
        print(f"    {step:<40} {seconds:6.2f} s")
    print(f"    ({report['flagged']} groups flagged of "
          f"{sum(len(d['groups']) for d in report['dimensions'])})")  # fmt: skip
    started = time.perf_counter()
    fairness_report(db, settings, as_of=now.date() - timedelta(days=1))
    print(f"fairness report on yesterday's score history: {time.perf_counter() - started:.2f} s")
    print(f"full rescore of the same authority, for scale: {rescore:.2f} s")
    db.close()


if __name__ == "__main__":
    main()
