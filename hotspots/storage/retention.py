"""SQL for retention: what is removed once its time is up (``hotspots.services.retention``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.storage import fetch_all

# The closed cases due for removal, gathered once so every statement below removes the
# same set. A case a serious incident names is kept (CASES_KEPT_BY): the partnership's
# look-back reads its records for as long as the incident is kept.
CREATE_EXPIRED_CASES_SQL = """
CREATE TEMP TABLE expired_cases AS
SELECT id, case_ref, closed_on FROM cases
WHERE status = 'closed' AND closed_on IS NOT NULL AND closed_on < :closed_before
  AND id NOT IN (SELECT case_id FROM incident_children)
"""

# Tables that refer to cases and keep them: CREATE_EXPIRED_CASES_SQL leaves out every case
# they name, so nothing under such a case is removed.
CASES_KEPT_BY = ("incident_children",)

# Closed cases past their time that a serious incident keeps (counted in the report).
KEPT_FOR_INCIDENTS_SQL = """
SELECT count(*) FROM cases
WHERE status = 'closed' AND closed_on IS NOT NULL AND closed_on < :closed_before
  AND id IN (SELECT case_id FROM incident_children)
"""

DROP_EXPIRED_CASES_SQL = "DROP TABLE IF EXISTS temp.expired_cases"

EXPIRED_CASES_SQL = "SELECT case_ref, closed_on FROM temp.expired_cases ORDER BY case_ref"

# Closed cases with no closing date: retention cannot age them (they are counted, not removed).
CLOSED_WITHOUT_DATE_SQL = """
SELECT count(*) FROM cases WHERE status = 'closed' AND closed_on IS NULL
"""

# Everything under an expired case, then the case (children first, for the foreign keys).
# Each table that refers to cases, observations or reviews must be here: ``apply_retention``
# checks.
DELETE_UNDER_EXPIRED_CASES_SQL = {
    # A partner's notification attached to the case: the queue's copy goes with the case.
    "unmatched_observations": """
DELETE FROM unmatched_observations WHERE observation_id IN (
    SELECT id FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    # A family's disputes of the case's records go with the records.
    "disputes": """
DELETE FROM disputes WHERE observation_id IN (
    SELECT id FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    "observations": "DELETE FROM observations WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "child_characteristics": (
        "DELETE FROM child_characteristics WHERE case_id IN (SELECT id FROM temp.expired_cases)"
    ),
    "enquiries": "DELETE FROM enquiries WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "adjustments": "DELETE FROM adjustments WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    # What hangs off a review goes before it: its score's contributions, its actions.
    "review_contributions": """
DELETE FROM review_contributions WHERE review_id IN (
    SELECT id FROM reviews WHERE case_id IN (SELECT id FROM temp.expired_cases)
)
""",
    "actions": "DELETE FROM actions WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "allocations": "DELETE FROM allocations WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "reviews": "DELETE FROM reviews WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "visits": "DELETE FROM visits WHERE case_id IN (SELECT id FROM temp.expired_cases)",
    "score_history": (
        "DELETE FROM score_history WHERE case_id IN (SELECT id FROM temp.expired_cases)"
    ),
    "scores": "DELETE FROM scores WHERE case_id IN (SELECT id FROM temp.expired_cases)",
}

DELETE_EXPIRED_CASES_SQL = "DELETE FROM cases WHERE id IN (SELECT id FROM temp.expired_cases)"

# The triggers mark a case whose observations are deleted; a removed case needs no rescore.
UNMARK_EXPIRED_CASES_SQL = """
DELETE FROM rescore_queue WHERE case_id IN (SELECT id FROM temp.expired_cases)
"""

TABLES_REFERRING_TO_CASES_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'cases'
ORDER BY m.name
"""
TABLES_REFERRING_TO_REVIEWS_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'reviews'
ORDER BY m.name
"""
TABLES_REFERRING_TO_OBSERVATIONS_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'observations'
ORDER BY m.name
"""

# Partners' notifications for children not yet known, once someone attached or dismissed
# them (``at`` a UTC instant): the open ones stay until someone acts.
DELETE_OLD_RESOLVED_UNMATCHED_SQL = """
DELETE FROM unmatched_observations
WHERE state IN ('attached', 'dismissed') AND resolved_at < :before
"""

DELETE_OLD_SCORE_HISTORY_SQL = "DELETE FROM score_history WHERE day < :before"

# ``at`` is a UTC instant (dates.stamp). What hangs off an audit row goes with it: each
# table that refers to audit_log must be here (``tables_referring_to_audit`` checks).
DELETE_UNDER_OLD_AUDIT_SQL = {
    "import_reports": """
DELETE FROM import_reports WHERE audit_id IN (SELECT id FROM audit_log WHERE at < :before)
""",
}

DELETE_OLD_AUDIT_SQL = "DELETE FROM audit_log WHERE at < :before"

TABLES_REFERRING_TO_AUDIT_SQL = """
SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND f."table" = 'audit_log'
ORDER BY m.name
"""


# --- functions -----------------------------------------------------------------------------

_TABLES_REFERRING_SQL = {
    "cases": TABLES_REFERRING_TO_CASES_SQL,
    "observations": TABLES_REFERRING_TO_OBSERVATIONS_SQL,
    "reviews": TABLES_REFERRING_TO_REVIEWS_SQL,
    "audit_log": TABLES_REFERRING_TO_AUDIT_SQL,
}
# The tables retention knows refer to each parent it removes from.
_KNOWN_REFERRING = {
    "cases": (*DELETE_UNDER_EXPIRED_CASES_SQL, *CASES_KEPT_BY),
    "observations": tuple(DELETE_UNDER_EXPIRED_CASES_SQL),
    "reviews": tuple(DELETE_UNDER_EXPIRED_CASES_SQL),
    "audit_log": tuple(DELETE_UNDER_OLD_AUDIT_SQL),
}


def unknown_referring_tables(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Tables that refer to a table retention removes from (cases, observations, reviews, the
    audit log) but that retention does not know: parent -> their names, sorted. Empty when
    every removal can take what refers to it too."""
    unknown = {}
    for parent, sql in _TABLES_REFERRING_SQL.items():
        referring = {r["name"] for r in fetch_all(db, sql, {})}
        if referring - set(_KNOWN_REFERRING[parent]):
            unknown[parent] = sorted(referring - set(_KNOWN_REFERRING[parent]))
    return unknown


@contextlib.contextmanager
def retention_run(db: sqlite_utils.Database, *, dry_run: bool) -> Iterator[None]:
    """One retention run's transaction, taking the write lock first: committed at the end of
    the block, or (``dry_run``, or an error) rolled back, so a dry run counts exactly what a
    real one would remove. Its scratch table is dropped before and after."""
    db.execute(DROP_EXPIRED_CASES_SQL)
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        db.execute(DROP_EXPIRED_CASES_SQL)
        raise
    db.execute("ROLLBACK" if dry_run else "COMMIT")
    db.execute(DROP_EXPIRED_CASES_SQL)


def remove_closed_cases(
    db: sqlite_utils.Database, closed_before: date
) -> tuple[int, list[dict[str, Any]], dict[str, int]]:
    """Remove the cases closed before ``closed_before`` with everything under them, except
    those a serious incident names. Returns how many were kept for an incident, the removed
    cases (case_ref, closed_on, by case_ref) and the rows removed under them by table."""
    before = {"closed_before": closed_before.isoformat()}
    kept_for_incidents = db.execute(KEPT_FOR_INCIDENTS_SQL, before).fetchone()[0]
    db.execute(CREATE_EXPIRED_CASES_SQL, before)
    expired = fetch_all(db, EXPIRED_CASES_SQL, {})
    rows: dict[str, int] = {}
    if not expired:
        return kept_for_incidents, expired, rows
    for table, statement in DELETE_UNDER_EXPIRED_CASES_SQL.items():
        rows[table] = db.execute(statement).rowcount
    db.execute(DELETE_EXPIRED_CASES_SQL)
    db.execute(UNMARK_EXPIRED_CASES_SQL)
    return kept_for_incidents, expired, rows


def remove_score_history_before(db: sqlite_utils.Database, before: date) -> int:
    """Remove the score history of days before ``before``; how many rows."""
    return db.execute(DELETE_OLD_SCORE_HISTORY_SQL, {"before": before.isoformat()}).rowcount


def remove_audit_before(db: sqlite_utils.Database, before: date) -> int:
    """Remove the audit rows written before ``before`` (and what refers to them); how many."""
    params = {"before": before.isoformat()}
    for statement in DELETE_UNDER_OLD_AUDIT_SQL.values():
        db.execute(statement, params)
    return db.execute(DELETE_OLD_AUDIT_SQL, params).rowcount


def remove_resolved_unmatched_before(db: sqlite_utils.Database, before: datetime) -> int:
    """Remove the partners' items about unknown children resolved before ``before``; how many."""
    return db.execute(DELETE_OLD_RESOLVED_UNMATCHED_SQL, {"before": stamp(before)}).rowcount


def closed_without_date(db: sqlite_utils.Database) -> int:
    """How many closed cases have no closing date (kept: retention cannot date them)."""
    return db.execute(CLOSED_WITHOUT_DATE_SQL).fetchone()[0]
