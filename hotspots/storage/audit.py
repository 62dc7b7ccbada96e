"""SQL for the audit log."""

from __future__ import annotations

from collections.abc import Iterator

import sqlite_utils

from hotspots.storage import fetch_all

INSERT_AUDIT_SQL = """
INSERT INTO audit_log (at, actor_id, actor_email, action, case_ref, detail)
VALUES (:at, :actor_id, :actor_email, :action, :case_ref, :detail)
"""

# The audit page's filters, each a constant condition with its own parameter; only the
# conditions a filter is set for are joined (no value is ever formatted into the SQL).
AUDIT_FILTERS = {
    "actor": "actor_email = :actor",
    "case_ref": "case_ref = :case_ref",
    "action": "action = :action",
    # ``at`` is a UTC instant (dates.stamp); the view turns days into local midnights.
    "date_from": "at >= :date_from",
    "date_to": "at < :date_to_next",
}

AUDIT_COLUMNS_SQL = "SELECT id, at, actor_email, action, case_ref, detail FROM audit_log"

AUDIT_ACTIONS_SQL = """
SELECT DISTINCT action FROM audit_log ORDER BY action
"""


def audit_query(filters: dict, *, paged: bool) -> str:
    """The audit log query for the filters that are set (keys of ``AUDIT_FILTERS``), newest
    first; ``paged`` adds ``LIMIT :limit OFFSET :offset``."""
    conditions = [AUDIT_FILTERS[name] for name in AUDIT_FILTERS if filters.get(name)]
    sql = AUDIT_COLUMNS_SQL
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    sql += " ORDER BY id DESC"
    if paged:
        sql += " LIMIT :limit OFFSET :offset"
    return sql


def actions(db: sqlite_utils.Database) -> list[str]:
    """Every action the audit log holds, in alphabetical order (the filter's choices)."""
    return [row[0] for row in db.execute(AUDIT_ACTIONS_SQL).fetchall()]


def entries(
    db: sqlite_utils.Database, filters: dict, values: dict, *, limit: int, offset: int
) -> list[dict]:
    """A page of the audit log's entries for the filters that are set (``values`` their
    parameters), newest first."""
    sql = audit_query(filters, paged=True)
    return fetch_all(db, sql, {**values, "limit": limit, "offset": offset})


def every_entry(db: sqlite_utils.Database, filters: dict, values: dict) -> Iterator[tuple]:
    """Every audit log entry for the filters that are set, newest first, as tuples (id, at,
    actor_email, action, case_ref, detail), read as they are iterated (the export)."""
    yield from db.execute(audit_query(filters, paged=False), values)


def add_entry(
    db: sqlite_utils.Database,
    *,
    at: str,
    actor_id: int | None,
    actor_email: str | None,
    action: str,
    case_ref: str | None,
    detail: str | None,
) -> None:
    """Write one audit log entry (``hotspots.services.audit.record`` says what goes in it)."""
    params = {"at": at, "actor_id": actor_id, "actor_email": actor_email}
    db.execute(
        INSERT_AUDIT_SQL, params | {"action": action, "case_ref": case_ref, "detail": detail}
    )
