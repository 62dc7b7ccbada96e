"""Benchmark the children in need census import: a census of 100,000 children, as councils'
tools write it (one to three assessments each with one to four factor codes, some written with
their label, "2B - Drug misuse parent"; some unborn children with an expected date of birth;
some birth dates that differ from the case's; ids written through a float, "7000123.0"), and
the 100,000 cases it names (a cases CSV, imported first), written into a temporary folder.
Then the whole import through the real ``import_file`` into a fresh database: a dry run, the
import with its rescoring, and the same census again.

    .venv/bin/python bench/bench_cin_census.py                    # 100,000 children
    .venv/bin/python bench/bench_cin_census.py --children 10000
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

from bench_annex_a import timed  # the benchmarks' one timer (this script's folder is on the path)

from hotspots import storage
from hotspots.base.config import load_config
from hotspots.services.importer import import_csv, import_file
from hotspots.storage.schema import migrate

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))
CHILDREN_PER_WORKER = 18
CODES = ["1B", "2B", "3B", "4B", "6B", "16A", "17A", "18C", "21", "10A", "3C", "1C", "2C", "4C"]
LABELS = {"2B": "2B - Drug misuse parent", "3B": "3B - Domestic violence parent"}


def write_files(folder: Path, children: int) -> dict[str, Path]:
    """The staff and cases CSVs and the census XML, written with a fixed seed."""
    rng = random.Random(3)
    workers = max(1, children // CHILDREN_PER_WORKER)
    paths = {
        "staff": folder / "staff.csv",
        "cases": folder / "cases.csv",
        "census": folder / "census.xml",
    }
    with open(paths["staff"], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "role", "team"])
        for w in range(workers):
            out.writerow([f"w{w}@example.org", f"Worker {w}", "worker", f"Team {w % 50}"])
    births = {}
    with open(paths["cases"], "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["case_ref", "initials", "date_of_birth", "team", "worker_email",
                      "opened_on", "visit_every_days", "last_visit_on", "status"])  # fmt: skip
        for c in range(children):
            w = c % workers
            born = AS_OF - timedelta(days=rng.randrange(30, 6000))
            births[c] = born
            opened = AS_OF - timedelta(days=rng.randrange(1, 700))
            out.writerow([7_000_000 + c, "AB", born.isoformat(), f"Team {w % 50}",
                          f"w{w}@example.org", opened.isoformat(), 28, "", "open"])  # fmt: skip
    with open(paths["census"], "w") as f:
        f.write(
            '<?xml version="1.0" encoding="utf-8"?><Message><Header><CollectionDetails>'
            "<Collection>CIN</Collection><Year>2027</Year></CollectionDetails></Header>"
            "<Children>"
        )
        for c in range(children):
            child_id = f"{7_000_000 + c}.0" if c % 25 == 0 else str(7_000_000 + c)
            if c % 200 == 0:
                birth = (
                    "<ExpectedPersonBirthDate>"
                    f"{(AS_OF + timedelta(days=rng.randrange(1, 250))).isoformat()}"
                    "</ExpectedPersonBirthDate>"
                )
            else:
                born = births[c] + timedelta(days=1 if c % 150 == 1 else 0)
                birth = f"<PersonBirthDate>{born.isoformat()}</PersonBirthDate>"
            assessments = []
            for _ in range(rng.randrange(1, 4)):
                start = (AS_OF - timedelta(days=rng.randrange(30, 700))).isoformat()
                factors = "".join(
                    f"<AssessmentFactors>{LABELS.get(code, code)}</AssessmentFactors>"
                    for code in rng.sample(CODES, rng.randrange(1, 5))
                )
                assessments.append(
                    f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>"
                    f"<AssessmentAuthorisationDate>{start}</AssessmentAuthorisationDate>"
                    f"<FactorsIdentifiedAtAssessment>{factors}</FactorsIdentifiedAtAssessment>"
                    "</Assessments>"
                )
            f.write(
                f"<Child><ChildIdentifiers><LAchildID>{child_id}</LAchildID>{birth}"
                "<Sex>F</Sex></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI"
                "</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-01-01"
                f"</CINreferralDate>{''.join(assessments)}</CINdetails></Child>"
            )
        f.write("</Children></Message>")
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000, help="children in the census")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    settings = load_config()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        paths = write_files(folder, args.children)
        size = paths["census"].stat().st_size / 1e6
        print(
            f"Wrote a census of {args.children:,} children ({size:.0f} MB) and their cases"
            f" in {time.perf_counter() - started:.1f} s"
        )
        db = storage.connect(folder / "bench.db")
        migrate(db)
        for kind in ("staff", "cases"):
            import_csv(db, settings, kind, paths[kind], as_of=AS_OF, now=NOW, rescore=False)

        def run(**options):
            return import_file(
                db, settings, "cin-census", paths["census"], as_of=AS_OF, now=NOW, **options
            )

        print("Importing the census (the cases already loaded):")
        report = timed("dry run (checks, applies, rolls back)", lambda: run(dry_run=True))
        report = timed("import, rescoring included", run)
        print("  " + "; ".join(report.lines()[1:3]) + f"; rescored {report.rescored}")
        print("  decided: " + "; ".join(f"{k}: {n:,}" for k, n in report.decided.items()))
        print(f"  warnings: {report.warning_total:,}")
        report = timed("the same census again (nothing changes)", run)
        print("  " + report.lines()[2])
        db.close()


if __name__ == "__main__":
    sys.exit(main())
