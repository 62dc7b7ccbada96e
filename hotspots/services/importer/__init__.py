"""Getting a local authority's data in: one module per kind of file, all of one shape.

``base`` holds what every kind shares (the error list, the report, the all-or-nothing
runner); ``csvfile`` what the four CSV kinds share. A new format is one new module with an
``ImportKind`` subclass, added to ``KIND_CLASSES`` below.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from hotspots.services.importer import (
    annex_a,
    cases,
    cin_census,
    enquiries,
    incidents,
    observations,
    staff,
)
from hotspots.services.importer.base import (
    MAX_ERRORS_LISTED,
    ImportKind,
    ImportRejected,
    ImportReport,
    run_import,
    stored_report,
)
from hotspots.services.importer.csvfile import ImportResult, result_of

# Every kind, in the order a new authority loads them.
KIND_CLASSES: dict[str, type[ImportKind]] = {
    kind.name: kind
    for kind in (
        staff.Staff,
        cases.Cases,
        observations.Observations,
        enquiries.Enquiries,
        annex_a.AnnexA,
        cin_census.CinCensus,
        incidents.Incidents,
    )
}
KINDS = tuple(KIND_CLASSES)
CSV_KINDS = ("staff", "cases", "observations", "enquiries")

__all__ = [
    "CSV_KINDS",
    "KINDS",
    "KIND_CLASSES",
    "MAX_ERRORS_LISTED",
    "ImportKind",
    "ImportRejected",
    "ImportReport",
    "ImportResult",
    "import_csv",
    "import_file",
    "result_of",
    "stored_report",
]


def import_file(
    db: sqlite_utils.Database,
    settings: dict[str, Any],
    kind: str,
    path: str | Path,
    *,
    as_of: date,
    now: datetime,
    **options: Any,
) -> ImportReport:
    """Import one file of ``kind`` (a name in KINDS); see ``base.run_import`` for the options
    (``dry_run``, ``rescore``, ``actor``, ``file_name``). Raises ImportRejected."""
    if kind not in KIND_CLASSES:
        raise ValueError(f"unknown import kind {kind!r}")
    return run_import(db, settings, KIND_CLASSES[kind], path, as_of=as_of, now=now, **options)


def import_csv(
    db: sqlite_utils.Database,
    settings: dict[str, Any],
    kind: str,
    path: str | Path,
    *,
    as_of: date,
    now: datetime,
    rescore: bool = True,
) -> ImportResult:
    """Import one CSV file of ``kind`` whole, or raise ImportRejected and change nothing.

    Dates after ``as_of`` are errors. Every case whose data changes is marked for rescoring
    in the import's transaction (by the database's triggers); after the commit,
    ``hotspots.services.rescoring.rescore_changed`` rescores them (unless ``rescore`` is false). One
    audit_log row records the import.
    """
    if kind not in CSV_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = import_file(db, settings, kind, path, as_of=as_of, now=now, rescore=rescore)
    return result_of(report)
