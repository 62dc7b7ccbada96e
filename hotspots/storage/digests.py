"""SQL for the daily digest: what a manager's digest is built from, and the claim on each
(manager, date) that makes sending happen once."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.model import rules
from hotspots.storage import fetch_all, fetch_one, write_transaction
from hotspots.storage import rules as rule_sql

# Managers who get a digest: those with a team. :email (or NULL for all) narrows to one.
MANAGERS_SQL = """
SELECT staff.id, staff.email, staff.name, staff.team_id, teams.name AS team_name
FROM staff
LEFT JOIN teams ON teams.id = staff.team_id
WHERE staff.role = 'manager'
  AND (:email IS NULL OR staff.email = :email)
ORDER BY teams.name, staff.email
"""

MANAGER_SQL = """
SELECT staff.id, staff.email, staff.name, staff.role, staff.team_id, teams.name AS team_name
FROM staff
LEFT JOIN teams ON teams.id = staff.team_id
WHERE staff.id = :manager_id
"""

TEAM_WORKERS_SQL = """
SELECT id, name FROM staff
WHERE team_id = :team_id AND role = 'worker' AND disabled_at IS NULL
ORDER BY name
"""

# The team's open cases with their current score and what the digest needs to say about
# them, through the same rule fragments as the pages (hotspots.storage.rules; :today is the
# digest's date). Deliberately no date_of_birth: the digest never carries it.
TEAM_CASES_SQL = f"""
SELECT
    c.id, c.case_ref, c.initials, c.worker_id, w.name AS worker_name,
    c.opened_on, c.last_visit_on, c.visit_every_days,
    s.score, s.band, s.contributions, s.as_of AS scored_on, s.practice_gaps,
    s.current_concerns,
    {rule_sql.SCORE_THEN} AS score_then,
    {rule_sql.LAST_REVIEWED_ON} AS last_reviewed_on,
    {rule_sql.LAST_REVIEWED_AT} AS last_reviewed_at,
    {rule_sql.OPEN_ACTIONS} AS open_actions,
    {rule_sql.LAST_ACTION_CLOSED_AT} AS last_action_closed_at
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open'
ORDER BY c.case_ref
"""  # noqa: S608 (constant fragments, no values)

# Score history of the team's open cases between :since and :date (inclusive).
TEAM_HISTORY_SQL = """
SELECT h.case_id, h.day, h.score, h.band
FROM score_history h
JOIN cases c ON c.id = h.case_id
WHERE c.team_id = :team_id AND c.status = 'open' AND h.day BETWEEN :since AND :date
ORDER BY h.case_id, h.day
"""

PREVIOUS_SENT_DIGEST_SQL = """
SELECT MAX(digest_date) FROM digests
WHERE manager_id = :manager_id AND status = 'sent' AND digest_date < :digest_date
"""

PREVIOUS_TEAM_DIGEST_SQL = """
SELECT MAX(d.digest_date) FROM digests d JOIN staff m ON m.id = d.manager_id
WHERE m.team_id = :team_id AND d.status = 'sent' AND d.digest_date < :digest_date
"""

# The claim. Only one of any number of concurrent senders inserts the row; the UNIQUE
# (manager_id, digest_date) constraint decides.
CLAIM_DIGEST_SQL = """
INSERT OR IGNORE INTO digests (manager_id, digest_date, status, claimed_at, claimed_by, attempts)
VALUES (:manager_id, :digest_date, 'claimed', :now, :claimed_by, 0)
"""

# A claim whose sender crashed before sending (or before recording the outcome) is taken
# over once its lease has run out; the conditional update lets only one sender do so.
RECLAIM_STALE_DIGEST_SQL = f"""
UPDATE digests AS d SET claimed_at = :now, claimed_by = :claimed_by
WHERE d.manager_id = :manager_id AND d.digest_date = :digest_date
  AND d.status = 'claimed' AND {rule_sql.LEASE_RUN_OUT}
"""  # noqa: S608 (a constant fragment, no values)

# A person released a claim whose sender has stopped (`hotspots digest --release-stuck`):
# taken over from that sender only, so two releases cannot both win.
RELEASE_STUCK_DIGEST_SQL = """
UPDATE digests SET claimed_at = :now, claimed_by = :claimed_by
WHERE manager_id = :manager_id AND digest_date = :digest_date
  AND status = 'claimed' AND claimed_by = :stuck
"""

# A person asked to try a failed digest again (`hotspots digest --retry-failed`).
RECLAIM_FAILED_DIGEST_SQL = """
UPDATE digests SET status = 'claimed', claimed_at = :now, claimed_by = :claimed_by
WHERE manager_id = :manager_id AND digest_date = :digest_date AND status = 'failed'
"""

DIGEST_SQL = """
SELECT * FROM digests WHERE manager_id = :manager_id AND digest_date = :digest_date
"""

# Guards: every write after the claim only succeeds while this sender still holds it.
COUNT_ATTEMPT_SQL = """
UPDATE digests SET attempts = attempts + 1
WHERE id = :id AND status = 'claimed' AND claimed_by = :claimed_by
"""

MARK_SENT_SQL = """
UPDATE digests
SET status = 'sent', sent_at = :now, subject = :subject, message_id = :message_id,
    last_error = NULL
WHERE id = :id AND status = 'claimed' AND claimed_by = :claimed_by
"""

MARK_FAILED_SQL = """
UPDATE digests
SET status = 'failed', last_error = :error, subject = :subject, message_id = :message_id
WHERE id = :id AND status = 'claimed' AND claimed_by = :claimed_by
"""

# Digests sent to one manager, newest first (the "digests sent to me" page).
SENT_TO_MANAGER_SQL = """
SELECT id, digest_date, sent_at, subject, message_id
FROM digests
WHERE manager_id = :manager_id AND status = 'sent'
ORDER BY digest_date DESC
LIMIT :limit
"""

SENT_DIGEST_SQL = """
SELECT id, manager_id, digest_date, sent_at, subject, message_id
FROM digests
WHERE id = :id AND status = 'sent'
"""

# Failed digests for admins, newest first, and claims that look stuck.
PROBLEM_DIGESTS_SQL = f"""
SELECT d.id, d.digest_date, d.status, d.claimed_at, d.claimed_by, d.attempts, d.last_error,
       d.subject, staff.email AS manager_email, teams.name AS team_name
FROM digests d
JOIN staff ON staff.id = d.manager_id
LEFT JOIN teams ON teams.id = staff.team_id
WHERE d.status = 'failed' OR (d.status = 'claimed' AND {rule_sql.LEASE_RUN_OUT})
ORDER BY d.digest_date DESC, staff.email
LIMIT :limit
"""  # noqa: S608 (a constant fragment, no values)

# Managers an admin may preview a digest for.
MANAGERS_WITH_TEAMS_SQL = """
SELECT staff.id, staff.email, staff.name, teams.name AS team_name
FROM staff JOIN teams ON teams.id = staff.team_id
WHERE staff.role = 'manager'
ORDER BY teams.name, staff.name
"""


# --- functions -----------------------------------------------------------------------------


def previous_sent_digest_date(
    db: sqlite_utils.Database, manager_id: int, before: date
) -> date | None:
    """The date of the manager's latest digest sent before ``before``, or None."""
    found = db.execute(
        PREVIOUS_SENT_DIGEST_SQL, {"manager_id": manager_id, "digest_date": before.isoformat()}
    ).fetchone()[0]
    return date.fromisoformat(found) if found else None


def previous_team_digest_date(db: sqlite_utils.Database, team_id: int, before: date) -> date | None:
    """The date of the latest digest sent to any manager of the team before ``before`` (what
    the team page calls a hotspot new since), or None."""
    found = db.execute(
        PREVIOUS_TEAM_DIGEST_SQL, {"team_id": team_id, "digest_date": before.isoformat()}
    ).fetchone()[0]
    return date.fromisoformat(found) if found else None


def team_cases(db: sqlite_utils.Database, team_id: int, day: date) -> list[dict[str, Any]]:
    """The team's open cases as the digest builder takes them (``hotspots.model.digest``), on
    ``day``."""
    params = {
        "team_id": team_id,
        "today": day.isoformat(),
        "trend_day": rules.trend_day(day).isoformat(),
    }
    return fetch_all(db, TEAM_CASES_SQL, params)


def team_history(
    db: sqlite_utils.Database, team_id: int, since: date, day: date
) -> dict[int, list[tuple[str, float, str]]]:
    """The score history of the team's open cases from ``since`` to ``day``: case id ->
    [(day, score, band)] in day order."""
    history: dict[int, list[tuple[str, float, str]]] = defaultdict(list)
    params = {"team_id": team_id, "since": since.isoformat(), "date": day.isoformat()}
    for row in fetch_all(db, TEAM_HISTORY_SQL, params):
        history[row["case_id"]].append((row["day"], row["score"], row["band"]))
    return history


def team_workers(db: sqlite_utils.Database, team_id: int) -> list[dict[str, Any]]:
    """The team's workers who can hold cases (not disabled), by name."""
    return fetch_all(db, TEAM_WORKERS_SQL, {"team_id": team_id})


# --- sending: managers, the claim and its outcome ------------------------------------------


def managers(db: sqlite_utils.Database, email: str | None = None) -> list[dict[str, Any]]:
    """Every manager (or the one with ``email``), with their team's id and name, by team."""
    return fetch_all(db, MANAGERS_SQL, {"email": email})


def manager(db: sqlite_utils.Database, manager_id: int) -> dict[str, Any] | None:
    """The manager (any staff member) with that id, with their team, or None."""
    return fetch_one(db, MANAGER_SQL, {"manager_id": manager_id})


def digest_row(db: sqlite_utils.Database, manager_id: int, digest_date: date) -> dict | None:
    """The digests row of (manager, date), or None."""
    return fetch_one(
        db, DIGEST_SQL, {"manager_id": manager_id, "digest_date": digest_date.isoformat()}
    )


def claim(
    db: sqlite_utils.Database,
    *,
    manager_id: int,
    digest_date: date,
    now: datetime,
    claimed_by: str,
    lease: timedelta,
    retry_failed: bool = False,
) -> dict[str, Any] | None:
    """Claim (manager, date) for ``claimed_by`` in one transaction: a new claim, or one whose
    lease has run out (hotspots.model.digest.lease_has_run_out), or with ``retry_failed`` a failed
    one. The digests row when this caller now holds the claim, else None."""
    params = {
        "manager_id": manager_id,
        "digest_date": digest_date.isoformat(),
        "now": stamp(now),
        "claimed_by": claimed_by,
    } | rule_sql.lease_parameters(now, lease)
    with write_transaction(db):
        won = db.execute(CLAIM_DIGEST_SQL, params).rowcount == 1
        if not won:
            won = db.execute(RECLAIM_STALE_DIGEST_SQL, params).rowcount == 1
        if not won and retry_failed:
            won = db.execute(RECLAIM_FAILED_DIGEST_SQL, params).rowcount == 1
        if not won:
            return None
        return fetch_one(db, DIGEST_SQL, params)


def take_over_stuck_claim(
    db: sqlite_utils.Database,
    *,
    manager_id: int,
    digest_date: date,
    now: datetime,
    claimed_by: str,
    stuck: str,
) -> bool:
    """Take (manager, date)'s claim over from the sender ``stuck``, whatever its lease;
    whether this caller won it (two releases cannot both win)."""
    params = {
        "manager_id": manager_id,
        "digest_date": digest_date.isoformat(),
        "now": stamp(now),
        "claimed_by": claimed_by,
        "stuck": stuck,
    }
    return db.execute(RELEASE_STUCK_DIGEST_SQL, params).rowcount == 1


def count_attempt(db: sqlite_utils.Database, digest_id: int, claimed_by: str) -> bool:
    """Count one more sending attempt, if ``claimed_by`` still holds the claim; whether it does."""
    guard = {"id": digest_id, "claimed_by": claimed_by}
    return db.execute(COUNT_ATTEMPT_SQL, guard).rowcount == 1


def mark_sent(
    db: sqlite_utils.Database,
    digest_id: int,
    claimed_by: str,
    *,
    now: datetime,
    subject: str | None,
    message_id: str | None,
) -> bool:
    """Record the digest as sent, if ``claimed_by`` still holds the claim; whether it did."""
    params = {
        "id": digest_id,
        "claimed_by": claimed_by,
        "now": stamp(now),
        "subject": subject,
        "message_id": message_id,
    }
    return db.execute(MARK_SENT_SQL, params).rowcount == 1


def mark_failed(
    db: sqlite_utils.Database,
    digest_id: int,
    claimed_by: str,
    *,
    error: str,
    subject: str | None,
    message_id: str | None,
) -> bool:
    """Record the digest as failed with ``error``, if ``claimed_by`` still holds the claim."""
    params = {
        "id": digest_id,
        "claimed_by": claimed_by,
        "error": error,
        "subject": subject,
        "message_id": message_id,
    }
    return db.execute(MARK_FAILED_SQL, params).rowcount == 1


# --- the digest pages' questions (views/digests.py) ----------------------------------------


def managers_with_teams(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every manager with a team, whose digest an admin may preview."""
    return fetch_all(db, MANAGERS_WITH_TEAMS_SQL, {})


def digest_for_day(
    db: sqlite_utils.Database, manager_id: int, digest_date: str
) -> dict[str, Any] | None:
    """The manager's digest of ``digest_date`` (claimed, sent or failed), or None."""
    rows = fetch_all(db, DIGEST_SQL, {"manager_id": manager_id, "digest_date": digest_date})
    return rows[0] if rows else None


def sent_to_manager(db: sqlite_utils.Database, manager_id: int, limit: int) -> list[dict]:
    """The latest ``limit`` digests sent to the manager, newest first."""
    return fetch_all(db, SENT_TO_MANAGER_SQL, {"manager_id": manager_id, "limit": limit})


def sent_digest(db: sqlite_utils.Database, digest_id: int) -> dict[str, Any] | None:
    """The sent digest ``digest_id`` (with its manager's id, to check it is theirs), or None."""
    rows = fetch_all(db, SENT_DIGEST_SQL, {"id": digest_id})
    return rows[0] if rows else None


def problem_digests(db: sqlite_utils.Database, stale_before: str, limit: int) -> list[dict]:
    """The latest ``limit`` digests that failed, or whose claim is older than
    ``stale_before`` and looks stuck, newest first."""
    return fetch_all(db, PROBLEM_DIGESTS_SQL, {"stale_before": stale_before, "limit": limit})
