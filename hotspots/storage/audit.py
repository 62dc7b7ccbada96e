"""SQL for the audit log."""

from __future__ import annotations

from typing import Any

import sqlite_utils

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


def insert(db: sqlite_utils.Database, **row: Any) -> None:
    """Write one audit row: at, actor_id, actor_email, action, case_ref, detail."""
    db.execute(INSERT_AUDIT_SQL, row)
