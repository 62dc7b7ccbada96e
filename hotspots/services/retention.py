"""Retention: what the service removes once it no longer needs it (``[retention]``).

The case system of record keeps a child's file for as long as the law requires; this service
holds a working copy to rank open caseloads, so it keeps less:

- a **closed case** and everything under it (observations, enquiries, adjustments, reviews
  with their actions, allocations, scores) ``closed_case_days`` after it closed; an audit
  row records each removal. A case a serious incident names is kept, with everything under
  it (the partnership's look-back);
- **score history** older than ``score_history_days`` (the pages show 30 days, the digest
  14); a serious incident's own copy of the history (``incident_score_history``) stays;
- **outbox** files (sent digests) older than ``outbox_days``;
- **audit rows** older than ``audit_days``;
- records of **sessions** that ended more than ``session_days`` ago;
- partners' notifications for **children not yet known** (the unmatched queue) once attached
  to a case or dismissed more than ``unmatched_days`` ago (the open ones stay until someone
  acts); one attached to a closed case goes with the case;
- **uploaded files** an admin never confirmed or cancelled, once older than ``[import.upload]
  keep_minutes`` (the import page also clears them, but only when someone next uploads).

``apply_retention`` does it all in one transaction; with ``dry_run`` it does the same work
and rolls it back, so the counts it reports are exactly what a real run would remove.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from hotspots.base.files import files_older_than, upload_folder
from hotspots.services import audit, sessions
from hotspots.storage import retention as store


class RetentionError(Exception):
    """Retention cannot run safely (the message says why); nothing was removed."""


@dataclass
class RetentionReport:
    """What a retention run removed (or, for a dry run, would remove)."""

    dry_run: bool
    cases: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    score_history: int = 0
    audit_rows: int = 0
    sessions: int = 0
    unmatched: int = 0
    outbox_files: list[Path] = field(default_factory=list)
    upload_files: list[Path] = field(default_factory=list)
    closed_without_date: int = 0
    kept_for_incidents: int = 0

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        under = ", ".join(f"{n} {table}" for table, n in self.rows.items() if n)
        found = [
            f"closed cases: {verb} {len(self.cases)}" + (f" (with {under})" if under else ""),
            f"score history rows: {verb} {self.score_history}",
            f"outbox files: {verb} {len(self.outbox_files)}",
            f"uploaded files never imported: {verb} {len(self.upload_files)}",
            f"audit rows: {verb} {self.audit_rows}",
            f"ended sessions: {verb} {self.sessions}",
            f"resolved notifications for children not yet known: {verb} {self.unmatched}",
        ]
        if self.kept_for_incidents:
            found.append(
                f"{self.kept_for_incidents} closed cases past their time are kept because a "
                "serious incident names them (the partnership's look-back reads them)"
            )
        if self.closed_without_date:
            found.append(
                f"{self.closed_without_date} closed cases have no closing date and are kept "
                "(import them again with their status to date them)"
            )
        return found


def apply_retention(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    now: datetime,
    dry_run: bool = False,
    instance_path: str | Path | None = None,
) -> RetentionReport:
    """Remove what ``[retention]`` says is past its time, as of ``now``; all or nothing.
    ``instance_path``: the app's instance folder, where uploads wait (none: not looked at)."""
    keep = settings["retention"]
    today = now.date()
    for parent, unknown in store.unknown_referring_tables(db).items():
        raise RetentionError(
            f"table(s) {', '.join(unknown)} refer to {parent} but retention does "
            "not know them: add them to hotspots/storage/retention.py; nothing was removed"
        )
    report = RetentionReport(dry_run=dry_run)
    with store.retention_run(db, dry_run=dry_run):
        if keep["closed_case_days"]:
            _remove_closed_cases(db, report, today - timedelta(days=keep["closed_case_days"]), now)
        if keep["score_history_days"]:
            report.score_history = store.remove_score_history_before(
                db, today - timedelta(days=keep["score_history_days"])
            )
        if keep["audit_days"]:
            report.audit_rows = store.remove_audit_before(
                db, today - timedelta(days=keep["audit_days"])
            )
        if keep["session_days"]:
            report.sessions = sessions.forget_old_sessions(
                db, before=now - timedelta(days=keep["session_days"])
            )
        if keep["unmatched_days"]:
            report.unmatched = store.remove_resolved_unmatched_before(
                db, now - timedelta(days=keep["unmatched_days"])
            )
        report.closed_without_date = store.closed_without_date(db)
        if keep["outbox_days"]:
            report.outbox_files = _old_outbox_files(settings, now, keep["outbox_days"])
        if instance_path is not None:
            report.upload_files = _stale_uploads(settings, now, instance_path)
        if not dry_run:
            audit.record(
                db,
                at=now,
                action="retention",
                detail=json.dumps(
                    {
                        "cases": len(report.cases),
                        "score_history": report.score_history,
                        "audit_rows": report.audit_rows,
                        "sessions": report.sessions,
                        "unmatched": report.unmatched,
                        "outbox_files": len(report.outbox_files),
                        "upload_files": len(report.upload_files),
                    }
                ),
            )
    if not dry_run:
        # Files last, once the database's removals are safely committed.
        for path in report.outbox_files + report.upload_files:
            path.unlink(missing_ok=True)
    return report


def _remove_closed_cases(db, report: RetentionReport, closed_before, now: datetime) -> None:
    report.kept_for_incidents, expired, report.rows = store.remove_closed_cases(db, closed_before)
    for case in expired:
        audit.record(
            db,
            at=now,
            action="retention_remove_case",
            case_ref=case["case_ref"],
            detail=f"closed on {case['closed_on']}; removed with everything under it",
        )
    report.cases = [case["case_ref"] for case in expired]


def _stale_uploads(settings: Mapping[str, Any], now: datetime, instance_path) -> list[Path]:
    keep = timedelta(minutes=settings["import"]["upload"]["keep_minutes"])
    return files_older_than(upload_folder(instance_path, settings), (now - keep).timestamp())


def _old_outbox_files(settings: Mapping[str, Any], now: datetime, days: int) -> list[Path]:
    cutoff = (now - timedelta(days=days)).timestamp()
    return files_older_than(settings["mail"]["outbox_dir"], cutoff, "*.eml")
