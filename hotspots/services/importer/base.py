"""What every import kind shares: the shape of a kind, the error list, the report, and the
one runner that makes an import whole or nothing.

An import kind is one module with one subclass of ``ImportKind``, in four parts:

1. **what the file holds** — columns for a table, sheets and headers for a workbook,
   elements for XML (``stage`` reads it);
2. **checks** — every record is checked, and every problem is added to ``errors`` in words a
   person can act on (``List 7, row 12, column …: '31/02/2026' is not a date``);
3. **mapping** — the file's values turned into the service's (codes, staff, teams, cases),
   from lookups loaded once and from ``config.toml``; good records go to TEMP staging tables;
4. **apply** — set-based SQL from the staging tables, inside the import's write transaction.

``run_import`` does the rest the same way for every kind: nothing is written when there is a
single error; a dry run applies and then rolls back, so its counts are exact; one audit row
records what happened; the cases the import changed are rescored after the commit.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from hotspots.base import faults
from hotspots.base.dates import stamp
from hotspots.services import audit, rescoring
from hotspots.storage import imports as sql
from hotspots.storage import write_transaction
from hotspots.storage.imports import bulk_load_cache

log = logging.getLogger(__name__)

# Enough to fix a file by; a million bad rows must not bury the first ones.
MAX_ERRORS_LISTED = 100
# Warnings (what was imported but needs a person's eye) listed before "and N more".
MAX_WARNINGS_LISTED = 50
# The heading of what an import decided about values that were not errors.
DECIDED = "Decided (counted, not errors)"


@dataclass
class Errors:
    """Every problem found in a file: the first ``limit`` in words, and how many in all."""

    limit: int = MAX_ERRORS_LISTED
    listed: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, column: str | None, reason: str) -> None:
        """A problem on a CSV row: ``row 7, column observed_on: reason``."""
        self.at(f"row {row}, column {column}" if column else f"row {row}", reason)

    def at(self, where: str, reason: str) -> None:
        """A problem at ``where`` (``List 7, row 12, column X``; empty for the whole file)."""
        self.total += 1
        if len(self.listed) < self.limit:
            self.listed.append(f"{where}: {reason}" if where else reason)


@dataclass
class ImportReport:
    """What an import read, did (or, in a dry run, would do), skipped and could not map.

    Every count is keyed by words a person reads (``cases created``), in the order the kind
    added them; ``outcome`` is ``imported``, ``dry_run`` or ``rejected``. ``decided`` counts
    what the importer decided about values that were not errors (rows merged as duplicates,
    values read as not known, placeholder workers read as unallocated, unborn children);
    ``warnings`` lists what was imported but needs a person's eye (a birth date that differs
    from the case's, a team with no manager), the first MAX_WARNINGS_LISTED of
    ``warning_total``.
    """

    kind: str
    title: str
    file_name: str
    dry_run: bool = False
    outcome: str = ""
    read: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    unmatched_workers: Counter[str] = field(default_factory=Counter)
    decided: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    warning_total: int = 0
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_total: int = 0
    rescored: int | None = None
    audit_id: int | None = None

    def warn(self, text: str) -> None:
        """Something imported that a person should check (listed up to a budget, all counted)."""
        self.warning_total += 1
        if len(self.warnings) < MAX_WARNINGS_LISTED:
            self.warnings.append(text)

    def headline(self) -> str:
        if self.outcome == "rejected":
            noun = "error" if self.error_total == 1 else "errors"
            return f"{self.file_name}: nothing imported, {self.error_total} {noun}"
        if self.outcome == "dry_run":
            return f"{self.file_name}: checked, no errors (dry run: nothing was changed)"
        return f"{self.file_name}: imported"

    def lines(self) -> list[str]:
        """The report as plain lines, the same on the command line, the page and the audit."""
        lines = [f"{self.title}: {self.headline()}"]
        if self.read:
            lines.append("Read: " + _counted(self.read))
        if self.counts:
            verb = "Would change" if self.dry_run else "Changed"
            lines.append(f"{verb}: " + _counted(self.counts))
        for heading, counter in (
            ("Skipped", self.skipped),
            ("Not mapped to an indicator (counted, not errors)", self.unmapped),
            ("Worker names not matched to staff", self.unmatched_workers),
        ):
            if counter:
                lines.append(f"{heading}:")
                lines += [f"  {key}: {n}" for key, n in sorted(counter.items())]
        if self.decided:
            lines.append(f"{DECIDED}:")
            lines += [f"  {key}: {n:,}" for key, n in self.decided.items()]
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  {warning}" for warning in self.warnings]
            if self.warning_total > len(self.warnings):
                lines.append(f"  and {self.warning_total - len(self.warnings)} more")
        lines += self.notes
        if self.errors:
            lines.append("Errors:")
            lines += [f"  {error}" for error in self.errors]
            if self.error_total > len(self.errors):
                lines.append(f"  and {self.error_total - len(self.errors)} more")
        if self.rescored is not None:
            lines.append(f"Rescored {self.rescored} changed cases")
        return lines

    def text(self) -> str:
        return "\n".join(self.lines())

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data: kept with the import's audit record."""
        return {
            "kind": self.kind,
            "title": self.title,
            "file": self.file_name,
            "outcome": self.outcome,
            "dry_run": self.dry_run,
            "read": self.read,
            "counts": self.counts,
            "skipped": dict(self.skipped),
            "unmapped": dict(self.unmapped),
            "unmatched_workers": dict(self.unmatched_workers),
            "decided": dict(self.decided),
            "warnings": self.warnings,
            "warning_total": self.warning_total,
            "notes": self.notes,
            "errors": self.errors,
            "error_total": self.error_total,
        }


SINGULAR = {
    "rows": "row",
    "children": "child",
    "assessments": "assessment",
    "factors": "factor",
    "cases": "case",
    "observations": "observation",
    "teams": "team",
}


def stored_report(db: sqlite_utils.Database, audit_id: int) -> dict[str, Any] | None:
    """The report kept with audit row ``audit_id``, with who ran the import and when:
    ``{"report": ImportReport, "at": …, "actor_email": …}``, or None when that row has none."""
    row = sql.stored_report(db, audit_id)
    if row is None:
        return None
    at, actor_email, kind, file_name = row["at"], row["actor_email"], row["kind"], row["file_name"]
    outcome, text = row["outcome"], row["report"]
    data = json.loads(text)
    report = ImportReport(
        kind,
        data.get("title") or kind,
        file_name,
        dry_run=data["dry_run"],
        outcome=outcome,
        read=data["read"],
        counts=data["counts"],
        skipped=Counter(data["skipped"]),
        unmapped=Counter(data["unmapped"]),
        unmatched_workers=Counter(data["unmatched_workers"]),
        # Reports kept before these were counted have none.
        decided=Counter(data.get("decided", {})),
        warnings=data.get("warnings", []),
        warning_total=data.get("warning_total", 0),
        notes=data["notes"],
        errors=data["errors"],
        error_total=data["error_total"],
        audit_id=audit_id,
    )
    return {"report": report, "at": at, "actor_email": actor_email}


def _counted(counts: dict[str, int]) -> str:
    """``62,500 rows, 1 child, 2 cases created``."""
    return ", ".join(f"{n:,} {_singular(what) if n == 1 else what}" for what, n in counts.items())


def _singular(what: str) -> str:
    return " ".join(SINGULAR.get(word, word) for word in what.split(" "))


class ImportRejected(Exception):
    """The file has errors and nothing was imported. ``errors`` holds the first
    MAX_ERRORS_LISTED messages, ``total`` how many there were in all; ``report`` the whole
    report (what was read before the errors stopped it)."""

    def __init__(
        self,
        file_name: str,
        errors: list[str],
        total: int,
        report: ImportReport | None = None,
    ) -> None:
        self.file_name = file_name
        self.errors = errors
        self.total = total
        self.report = report
        super().__init__(str(self))

    def __str__(self) -> str:
        noun = "error" if self.total == 1 else "errors"
        lines = [f"{self.file_name}: nothing imported, {self.total} {noun}:"]
        lines += [f"  {error}" for error in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  and {self.total - len(self.errors)} more")
        return "\n".join(lines)


class ImportKind:
    """One format the service imports (see the module docstring for the four parts).

    A subclass names itself (``name``, as typed after ``hotspots import``), says what it is in
    words (``title``, ``summary``) and which file names it expects (``suffixes``), and implements
    ``create_staging``, ``stage``, ``apply`` and ``drop_staging``.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]  # one sentence for the Import data page
    suffixes: ClassVar[tuple[str, ...]]
    # Whether the kind creates teams or moves cases or staff between them: then the report
    # warns of every team left without a manager (and so without a digest).
    changes_teams: ClassVar[bool] = False

    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: dict[str, Any],
        *,
        as_of: date,
        now: datetime,
        errors: Errors,
        report: ImportReport,
    ) -> None:
        self.db = db
        self.settings = settings
        self.as_of = as_of
        self.now = now
        self.errors = errors
        self.report = report

    def create_staging(self) -> None:
        """Create the TEMP tables the good records are staged in."""
        raise NotImplementedError

    def drop_staging(self) -> None:
        """Drop them (always called, whatever happened)."""
        raise NotImplementedError

    def stage(self, path: Path) -> None:
        """Read the file, check every record (adding to ``errors``), stage the good ones and
        count what was read in ``report``."""
        raise NotImplementedError

    def apply(self, params: dict[str, str]) -> None:
        """Write the staged records, set-based (inside the write transaction), and count what
        changed in ``report``. ``params`` holds ``as_of`` and ``now`` as stored text."""
        raise NotImplementedError

    def audit_detail(self) -> dict[str, Any]:
        """The audit row's detail: the kind, the file and the counts (no personal data)."""
        return {"kind": self.name, "file": self.report.file_name, **self.report.counts}


class _DryRun(Exception):
    """Raised inside the write transaction of a dry run, to roll it back."""


def run_import(
    db: sqlite_utils.Database,
    settings: dict[str, Any],
    kind: type[ImportKind],
    path: str | Path,
    *,
    as_of: date,
    now: datetime,
    dry_run: bool = False,
    rescore: bool = True,
    actor: audit.Actor | None = None,
    file_name: str | None = None,
) -> ImportReport:
    """Import one file of ``kind`` whole, or raise ImportRejected and change nothing.

    ``file_name`` is the name the user knows the file by (an uploaded file is kept under
    another); dates after ``as_of`` are errors. With ``dry_run`` everything is checked and
    applied, counted, then rolled back. After a real import commits, the cases it changed are
    rescored (unless ``rescore`` is false).
    """
    path = Path(path)
    report = ImportReport(kind.name, kind.title, file_name or path.name, dry_run=dry_run)
    errors = Errors()
    importer = kind(db, settings, as_of=as_of, now=now, errors=errors, report=report)
    try:
        with bulk_load_cache(db):
            importer.create_staging()
            try:
                importer.stage(path)
                if errors.total:
                    _reject(report, errors)
                params = {"as_of": as_of.isoformat(), "now": stamp(now)}
                try:
                    with write_transaction(db):
                        importer.apply(params)
                        if kind.changes_teams:
                            warn_of_teams_without_manager(db, report)
                        if dry_run:
                            raise _DryRun
                        report.outcome = "imported"
                        _record(db, report, importer.audit_detail(), now=now, actor=actor)
                except _DryRun:
                    report.outcome = "dry_run"
                except sqlite3.IntegrityError as e:
                    # Only when someone changed the same data between the checks and the write.
                    errors.at("", f"the database changed during the import ({e}); run it again")
                    _reject(report, errors)
            finally:
                importer.drop_staging()
    except ImportRejected:
        with write_transaction(db):
            detail = {"kind": kind.name, "file": report.file_name, "errors": report.error_total}
            _record(db, report, detail, now=now, actor=actor)
        raise
    except (sqlite3.Error, OSError) as e:
        # A full disk or a read-only database stopped it: nothing was imported, and the
        # refusal is audited like any other (when the database can still take one row).
        fault = faults.fault_of(e)
        if fault is None or fault.kind == "busy":
            raise  # a bug, or a lock to wait out: nothing to say in the audit log
        _record_fault(db, report, fault, now=now, actor=actor)
        raise
    if report.outcome == "dry_run":
        with write_transaction(db):
            _record(db, report, importer.audit_detail(), now=now, actor=actor)
    elif rescore:
        report.rescored = rescoring.rescore_changed(db, settings, as_of=as_of, now=now)
    return report


# Teams named in the report before "and N more teams".
TEAMS_NAMED = 10


def warn_of_teams_without_manager(db: sqlite_utils.Database, report: ImportReport) -> None:
    """A warning for each team in use that has no manager: nobody receives its digest, so its
    hotspots and unallocated cases reach no one's inbox (counted once the import is applied,
    so a dry run warns of what the import would leave)."""
    teams = sql.teams_without_manager(db)
    for team in teams[:TEAMS_NAMED]:
        cases = team["open_cases"]
        holding = f"its {cases:,} open case{'' if cases == 1 else 's'}" if cases else "it"
        report.warn(
            f"Team {team['name']!r} has no manager, so no digest goes out for {holding}: "
            f"add one (a staff import with role manager and team {team['name']!r}, or "
            "Add a person on the People page, /admin/people/new)"
        )
    if len(teams) > TEAMS_NAMED:
        report.warn(f"and {len(teams) - TEAMS_NAMED} more teams without a manager")


AUDIT_ACTIONS = {"imported": "import", "dry_run": "import_dry_run", "rejected": "import_rejected"}


def _record(
    db: sqlite_utils.Database,
    report: ImportReport,
    detail: dict[str, Any],
    *,
    now: datetime,
    actor: audit.Actor | None,
) -> None:
    """One audit row for the import, and its report kept with it."""
    action = AUDIT_ACTIONS[report.outcome]
    audit.record(db, at=now, action=action, actor=actor, detail=json.dumps(detail))
    report.audit_id = sql.keep_report(
        db,
        kind=report.kind,
        file_name=report.file_name,
        outcome=report.outcome,
        report=json.dumps(report.as_dict()),
    )


def _record_fault(
    db: sqlite_utils.Database,
    report: ImportReport,
    fault: faults.Fault,
    *,
    now: datetime,
    actor: audit.Actor | None,
) -> None:
    """Audit an import a fault of the machine refused, if the database can still be written;
    the caller raises the fault either way."""
    report.outcome = "rejected"
    report.errors, report.error_total = [fault.words()], 1
    detail = {"kind": report.kind, "file": report.file_name, "errors": 1, "fault": fault.what}
    try:
        with write_transaction(db):
            _record(db, report, detail, now=now, actor=actor)
    except (sqlite3.Error, OSError):
        log.error("an import refused by a fault could not be audited either: %s", fault.what)


def _reject(report: ImportReport, errors: Errors) -> None:
    report.outcome = "rejected"
    report.errors, report.error_total = errors.listed, errors.total
    raise ImportRejected(report.file_name, errors.listed, errors.total, report)
