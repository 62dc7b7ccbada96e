"""SQL for a worker's caseload: their open cases in rank order, the count in each band and
the cases' recent score history (the sparklines).

Lists join ``cases`` to ``scores`` (one row per case) and read ``score_history`` only for
the cases on the page. A case's rank is worked out for the rows shown
(``hotspots.storage.rules.RANK``), never stored. Functions here are named for what they
return; the pages call them rather than the constants.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all
from hotspots.storage import rules as rule_sql

# --- a caseload --------------------------------------------------------------------------

# One row per open case of the worker, in rank order (the cases not ranked yet last): the
# score, its rank (worked out here), the score a week ago (the latest history day on or before
# :trend_day) and the last review.
CASELOAD_SQL = f"""
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.opened_on,
       c.last_visit_on, c.visit_every_days, c.worker_id,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.as_of, s.practice_gaps,
       s.computed_at,
       {rule_sql.LAST_REVIEWED_AT} AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago,
       {rule_sql.OPEN_ACTIONS} AS open_actions,
       {rule_sql.NEXT_ACTION_DUE} AS next_action_due,
       {rule_sql.LAST_ACTION_CLOSED_AT} AS last_action_closed_at
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open' AND (:band = '' OR s.band = :band)
ORDER BY s.worker_id IS NULL, {rule_sql.RANK_ORDER}, c.case_ref
"""  # noqa: S608 (constant fragments, no values)

CASELOAD_BAND_COUNTS_SQL = """
SELECT s.band, count(*) AS cases
FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open'
GROUP BY s.band
"""

CASELOAD_HISTORY_SQL = """
SELECT h.case_id, h.day, h.score
FROM cases c JOIN score_history h ON h.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open' AND h.day > :since AND h.day <= :as_of
ORDER BY h.case_id, h.day
"""


def ranked(
    db: sqlite_utils.Database, worker_id: int, *, band: str, trend_day: str
) -> list[dict[str, Any]]:
    """The worker's open cases in rank order (not yet scored last), each with its score, rank,
    the score on ``trend_day`` and what its review rule needs; only band ``band`` unless it
    is empty."""
    params = {"worker_id": worker_id, "band": band, "trend_day": trend_day}
    return fetch_all(db, CASELOAD_SQL, params)


def band_counts(db: sqlite_utils.Database, worker_id: int) -> dict[str, int]:
    """How many of the worker's open, scored cases are in each band (bands with none left
    out)."""
    rows = fetch_all(db, CASELOAD_BAND_COUNTS_SQL, {"worker_id": worker_id})
    return {r["band"]: r["cases"] for r in rows}


def score_history(
    db: sqlite_utils.Database, worker_id: int, *, since: str, as_of: str
) -> dict[int, list[tuple[str, float]]]:
    """Each of the worker's open cases' nightly (day, score) after ``since`` up to ``as_of``,
    oldest first, by case id (a case with no history is absent)."""
    history: dict[int, list[tuple[str, float]]] = {}
    params = {"worker_id": worker_id, "since": since, "as_of": as_of}
    # Tuples, not a dict a row: a month of a caseload's history is ~500 rows.
    for case_id, day, score in db.execute(CASELOAD_HISTORY_SQL, params).fetchall():
        history.setdefault(case_id, []).append((day, score))
    return history
