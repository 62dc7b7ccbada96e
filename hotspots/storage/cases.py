"""SQL for one case: finding it, what its page lists (observations, enquiries, adjustments,
visits, its score history) and the changes a worker makes to it.

Functions here are named for what they return or do; the views call them rather than the
constants. Every change marks the case for rescoring through the schema's triggers, in the
caller's transaction. Instants are passed stamped (``hotspots.base.dates.stamp``), days as ISO text.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import rules as rule_sql

# --- one case --------------------------------------------------------------------------

CASE_BY_REF_SQL = f"""
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.team_id,
       c.worker_id, c.opened_on, c.closed_on, c.visit_every_days, c.last_visit_on, c.status,
       t.name AS team_name, w.name AS worker_name,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.model_version, s.as_of,
       s.computed_at, s.practice_gaps
FROM cases c
JOIN teams t ON t.id = c.team_id
LEFT JOIN staff w ON w.id = c.worker_id
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.case_ref = :case_ref
"""  # noqa: S608 (a constant fragment, no values)

OBSERVATIONS_FOR_CASE_SQL = """
SELECT o.id, o.indicator, o.observed_on, o.source, o.status, o.note, o.recorded_at,
       o.status_reason, o.status_changed_at,
       r.name AS recorded_by, x.name AS status_changed_by
FROM observations o
LEFT JOIN staff r ON r.id = o.recorded_by_id
LEFT JOIN staff x ON x.id = o.status_changed_by_id
WHERE o.case_id = :case_id
ORDER BY o.observed_on DESC, o.id DESC
"""

ENQUIRIES_FOR_CASE_SQL = """
SELECT e.id, e.topic, e.asked_on, e.outcome, e.recorded_at, r.name AS recorded_by,
       e.entered_in_error_at, e.entered_in_error_reason, x.name AS entered_in_error_by
FROM enquiries e
LEFT JOIN staff r ON r.id = e.recorded_by_id
LEFT JOIN staff x ON x.id = e.entered_in_error_by_id
WHERE e.case_id = :case_id
ORDER BY e.asked_on DESC, e.id DESC
"""

ADJUSTMENTS_FOR_CASE_SQL = """
SELECT a.id, a.points, a.reason, a.expires_on, a.made_at, r.name AS made_by,
       a.withdrawn_at, a.withdrawn_reason, a.expires_on_as_made, x.name AS withdrawn_by
FROM adjustments a
JOIN staff r ON r.id = a.made_by_id
LEFT JOIN staff x ON x.id = a.withdrawn_by_id
WHERE a.case_id = :case_id
ORDER BY a.made_at DESC, a.id DESC
"""

HISTORY_FOR_CASE_SQL = """
SELECT case_id, day, score, band FROM score_history
WHERE case_id = :case_id AND day > :since AND day <= :as_of
ORDER BY day
"""

# --- changes to a case (each marks the case for rescoring, through the schema's triggers) --

INSERT_OBSERVATION_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source,
                          recorded_by_id, status, note, recorded_at)
VALUES (:external_id, :case_id, :indicator, :observed_on, :source,
        :recorded_by_id, 'current', :note, :recorded_at)
"""

CHANGE_OBSERVATION_STATUS_SQL = """
UPDATE observations
SET status = :status, status_reason = :reason, status_changed_at = :changed_at,
    status_changed_by_id = :changed_by_id
WHERE id = :id AND case_id = :case_id AND status = 'current'
"""

OBSERVATION_INDICATOR_SQL = """
SELECT indicator, status, observed_on, source, note FROM observations
WHERE id = :id AND case_id = :case_id
"""

INSERT_ENQUIRY_SQL = """
INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_by_id, recorded_at)
VALUES (:case_id, :topic, :asked_on, :outcome, :recorded_by_id, :recorded_at)
"""

ENQUIRY_BY_ID_SQL = """
SELECT id, topic, asked_on, outcome, entered_in_error_at FROM enquiries
WHERE id = :id AND case_id = :case_id
"""

MARK_ENQUIRY_IN_ERROR_SQL = """
UPDATE enquiries
SET entered_in_error_at = :at, entered_in_error_by_id = :by_id, entered_in_error_reason = :reason
WHERE id = :id AND case_id = :case_id AND entered_in_error_at IS NULL
"""

ENQUIRY_EXISTS_SQL = """
SELECT 1 FROM valid_enquiries
WHERE case_id = :case_id AND topic = :topic AND asked_on = :asked_on
"""

INSERT_ADJUSTMENT_SQL = """
INSERT INTO adjustments (case_id, points, reason, expires_on, made_by_id, made_at)
VALUES (:case_id, :points, :reason, :expires_on, :made_by_id, :made_at)
"""

# The adjustments counting today (made on or before today, expiring today or later).
ADJUSTMENTS_IN_FORCE_SQL = """
SELECT id, points, reason, expires_on, made_at FROM adjustments
WHERE case_id = :case_id AND substr(made_at, 1, 10) <= :today AND expires_on >= :today
ORDER BY made_at DESC, id DESC
"""

# Withdrawn adjustments stop counting from :today: their expiry becomes yesterday.
WITHDRAW_ADJUSTMENT_SQL = """
UPDATE adjustments
SET expires_on_as_made = expires_on, expires_on = :yesterday, withdrawn_at = :at,
    withdrawn_by_id = :by_id, withdrawn_reason = :reason
WHERE id = :id AND case_id = :case_id AND withdrawn_at IS NULL
"""

REVIEW_BY_ID_SQL = """
SELECT id, reviewed_at, entered_in_error_at FROM reviews WHERE id = :id AND case_id = :case_id
"""

MARK_REVIEW_IN_ERROR_SQL = """
UPDATE reviews
SET entered_in_error_at = :at, entered_in_error_by_id = :by_id, entered_in_error_reason = :reason
WHERE id = :id AND case_id = :case_id AND entered_in_error_at IS NULL
"""

INSERT_VISIT_SQL = """
INSERT INTO visits (case_id, visited_on, child_seen, seen_alone, note, recorded_by_id,
                    recorded_at)
VALUES (:case_id, :visited_on, :child_seen, :seen_alone, :note, :recorded_by_id, :recorded_at)
"""

# A visit where the child was seen is the case's last visit, unless a later one is recorded.
UPDATE_LAST_VISIT_SQL = """
UPDATE cases SET last_visit_on = :visited_on
WHERE id = :case_id AND (last_visit_on IS NULL OR last_visit_on < :visited_on)
"""

VISITS_FOR_CASE_SQL = """
SELECT v.id, v.visited_on, v.child_seen, v.seen_alone, v.note, v.recorded_at,
       r.name AS recorded_by
FROM visits v
JOIN staff r ON r.id = v.recorded_by_id
WHERE v.case_id = :case_id
ORDER BY v.visited_on DESC, v.id DESC
"""

# --- finding a case ------------------------------------------------------------------------

# Cases whose reference is the query (as typed, or in capitals) or whose initials are it (in
# capitals), open first, with what a results list shows. Who may see each is decided by
# hotspots.web.auth.can_see_case on these rows, so the rule stays in one place.
CASE_SEARCH_SQL = """
SELECT c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.team_id,
       c.worker_id, c.status, c.opened_on, w.name AS worker_name, t.name AS team_name,
       s.score, s.band
FROM cases c
JOIN teams t ON t.id = c.team_id
LEFT JOIN staff w ON w.id = c.worker_id
LEFT JOIN scores s ON s.case_id = c.id
WHERE c.case_ref IN (:query, upper(:query)) OR c.initials = upper(:query)
ORDER BY c.status = 'closed', s.score IS NULL, s.score DESC, c.case_ref
LIMIT :limit
"""


# --- the questions -------------------------------------------------------------------------


def find(db: sqlite_utils.Database, case_ref: str) -> dict[str, Any] | None:
    """The case with reference ``case_ref`` (open or closed), with its team's and worker's
    names and its score and rank, or None."""
    return fetch_one(db, CASE_BY_REF_SQL, {"case_ref": case_ref})


def search(db: sqlite_utils.Database, query: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` cases whose reference or initials are ``query``, open first, highest
    score first (who may see each is for ``hotspots.web.auth.can_see_case``)."""
    return fetch_all(db, CASE_SEARCH_SQL, {"query": query, "limit": limit})


def observations(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every observation of the case, newest first, with who recorded or changed it."""
    return fetch_all(db, OBSERVATIONS_FOR_CASE_SQL, {"case_id": case_id})


def enquiries(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every enquiry of the case, entered in error or not, newest first."""
    return fetch_all(db, ENQUIRIES_FOR_CASE_SQL, {"case_id": case_id})


def adjustments(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every adjustment ever made to the case's score, newest first."""
    return fetch_all(db, ADJUSTMENTS_FOR_CASE_SQL, {"case_id": case_id})


def adjustments_in_force(db: sqlite_utils.Database, case_id: int, today: str) -> list[dict]:
    """The adjustments counting on ``today``: made on or before it, expiring on or after."""
    return fetch_all(db, ADJUSTMENTS_IN_FORCE_SQL, {"case_id": case_id, "today": today})


def visits(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every visit recorded for the case, latest first, with who recorded it."""
    return fetch_all(db, VISITS_FOR_CASE_SQL, {"case_id": case_id})


def score_history(
    db: sqlite_utils.Database, case_id: int, since: str, as_of: str
) -> list[dict[str, Any]]:
    """The case's nightly scores after ``since`` up to ``as_of``, oldest first."""
    return fetch_all(db, HISTORY_FOR_CASE_SQL, {"case_id": case_id, "since": since, "as_of": as_of})


def observation(db: sqlite_utils.Database, observation_id: int, case_id: int) -> dict | None:
    """The case's observation ``observation_id`` (indicator, status, day, source, note), or
    None if the case has no such observation."""
    return fetch_one(db, OBSERVATION_INDICATOR_SQL, {"id": observation_id, "case_id": case_id})


def enquiry(db: sqlite_utils.Database, enquiry_id: int, case_id: int) -> dict | None:
    """The case's enquiry ``enquiry_id``, or None."""
    return fetch_one(db, ENQUIRY_BY_ID_SQL, {"id": enquiry_id, "case_id": case_id})


def review(db: sqlite_utils.Database, review_id: int, case_id: int) -> dict | None:
    """The case's review ``review_id`` (when, and whether entered in error), or None."""
    return fetch_one(db, REVIEW_BY_ID_SQL, {"id": review_id, "case_id": case_id})


def enquiry_recorded(db: sqlite_utils.Database, case_id: int, topic: str, asked_on: str) -> bool:
    """Whether the case already has a valid enquiry on ``topic`` asked on ``asked_on``."""
    params = {"case_id": case_id, "topic": topic, "asked_on": asked_on}
    return fetch_one(db, ENQUIRY_EXISTS_SQL, params) is not None


# --- the changes -----------------------------------------------------------------------------


def record_visit(
    db: sqlite_utils.Database,
    case_id: int,
    *,
    visited_on: str,
    child_seen: bool,
    seen_alone: bool | None,
    note: str,
    recorded_by_id: int,
    now: str,
) -> None:
    """Record a visit; one where the child was seen becomes the case's last visit, unless a
    later one is recorded."""
    db.execute(
        INSERT_VISIT_SQL,
        {
            "case_id": case_id,
            "visited_on": visited_on,
            "child_seen": int(child_seen),
            "seen_alone": None if seen_alone is None else int(seen_alone),
            "note": note,
            "recorded_by_id": recorded_by_id,
            "recorded_at": now,
        },
    )
    if child_seen:
        db.execute(UPDATE_LAST_VISIT_SQL, {"case_id": case_id, "visited_on": visited_on})


def record_observation(
    db: sqlite_utils.Database,
    case_id: int,
    *,
    external_id: str,
    indicator: str,
    observed_on: str,
    source: str,
    note: str,
    recorded_by_id: int,
    now: str,
) -> None:
    """Record a current observation of ``indicator`` on the case."""
    db.execute(
        INSERT_OBSERVATION_SQL,
        {
            "external_id": external_id,
            "case_id": case_id,
            "indicator": indicator,
            "observed_on": observed_on,
            "source": source,
            "recorded_by_id": recorded_by_id,
            "note": note,
            "recorded_at": now,
        },
    )


def change_observation_status(
    db: sqlite_utils.Database,
    observation_id: int,
    case_id: int,
    *,
    status: str,
    reason: str,
    changed_by_id: int,
    now: str,
) -> bool:
    """Resolve or refute (``status``) a current observation; False if it was no longer
    current (someone else changed it first), and nothing is written."""
    changed = db.execute(
        CHANGE_OBSERVATION_STATUS_SQL,
        {
            "id": observation_id,
            "case_id": case_id,
            "status": status,
            "reason": reason,
            "changed_at": now,
            "changed_by_id": changed_by_id,
        },
    ).rowcount
    return changed == 1


def record_enquiry(
    db: sqlite_utils.Database,
    case_id: int,
    *,
    topic: str,
    asked_on: str,
    outcome: str,
    recorded_by_id: int,
    now: str,
) -> None:
    """Record a screening question asked and its outcome (the table refuses a second valid
    one of the same topic on the same day: ``sqlite3.IntegrityError``)."""
    db.execute(
        INSERT_ENQUIRY_SQL,
        {
            "case_id": case_id,
            "topic": topic,
            "asked_on": asked_on,
            "outcome": outcome,
            "recorded_by_id": recorded_by_id,
            "recorded_at": now,
        },
    )


def add_adjustment(
    db: sqlite_utils.Database,
    case_id: int,
    *,
    points: float,
    reason: str,
    expires_on: str,
    made_by_id: int,
    now: str,
) -> None:
    """Add an adjustment of ``points`` to the case's score until ``expires_on``."""
    db.execute(
        INSERT_ADJUSTMENT_SQL,
        {
            "case_id": case_id,
            "points": points,
            "reason": reason,
            "expires_on": expires_on,
            "made_by_id": made_by_id,
            "made_at": now,
        },
    )


def withdraw_adjustment(
    db: sqlite_utils.Database,
    adjustment_id: int,
    case_id: int,
    *,
    yesterday: str,
    reason: str,
    by_id: int,
    now: str,
) -> None:
    """Withdraw an adjustment: it stops counting from today (its expiry becomes
    ``yesterday``, the one it was made with kept)."""
    db.execute(
        WITHDRAW_ADJUSTMENT_SQL,
        {
            "id": adjustment_id,
            "case_id": case_id,
            "yesterday": yesterday,
            "at": now,
            "by_id": by_id,
            "reason": reason,
        },
    )


def mark_enquiry_in_error(
    db: sqlite_utils.Database, enquiry_id: int, case_id: int, *, reason: str, by_id: int, now: str
) -> None:
    """Mark an enquiry as entered in error: it stays in the history and stops counting."""
    params = {"id": enquiry_id, "case_id": case_id, "at": now, "by_id": by_id, "reason": reason}
    db.execute(MARK_ENQUIRY_IN_ERROR_SQL, params)


def mark_review_in_error(
    db: sqlite_utils.Database, review_id: int, case_id: int, *, reason: str, by_id: int, now: str
) -> None:
    """Mark a review as entered in error: it stays in the history and no longer counts."""
    params = {"id": review_id, "case_id": case_id, "at": now, "by_id": by_id, "reason": reason}
    db.execute(MARK_REVIEW_IN_ERROR_SQL, params)
