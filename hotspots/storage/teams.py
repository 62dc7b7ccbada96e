"""SQL for a team's page: the teams, a team's counts and its lists (hotspots, hotspots
awaiting a review, unallocated cases, cases with no domestic-abuse enquiry), each narrowed to
one worker or not.

The lists' rules come from ``hotspots.storage.rules`` (the SQL twins of ``hotspots.model.rules``),
whose ``parameters(today, …)`` every function here takes as ``rule_params``. Functions are
named for what they return; the pages call them rather than the constants.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import rules as rule_sql

# --- a team ------------------------------------------------------------------------------

TEAMS_SQL = """
SELECT id, name FROM teams ORDER BY name
"""

TEAM_BY_ID_SQL = """
SELECT id, name FROM teams WHERE id = :team_id
"""

# A team list narrowed to one worker's cases (:worker_id), or not (NULL).
_OF_WORKER = "(:worker_id IS NULL OR c.worker_id = :worker_id)"

TEAM_COUNTS_SQL = f"""
SELECT count(*) AS open_cases,
       coalesce(sum({rule_sql.HOTSPOT}), 0) AS hotspots,
       coalesce(sum(c.worker_id IS NULL), 0) AS unallocated,
       coalesce(sum({rule_sql.AWAITING_REVIEW}), 0) AS awaiting_review,
       coalesce(sum({rule_sql.VISIT_OVERDUE}), 0) AS visits_overdue
FROM cases c LEFT JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
"""  # noqa: S608

# The columns every team list shows, so one template renders them all.
_TEAM_CASE_COLUMNS = f"""
       c.id, c.case_ref, c.initials, c.date_of_birth, c.birth_status, c.opened_on,
       c.last_visit_on, c.visit_every_days, c.worker_id, w.name AS worker_name,
       s.score, s.band, {rule_sql.RANK} AS rank, s.contributions, s.as_of, s.practice_gaps,
       {rule_sql.LAST_REVIEWED_AT} AS last_reviewed_at,
       {rule_sql.SCORE_THEN} AS score_week_ago,
       {rule_sql.OPEN_ACTIONS} AS open_actions,
       {rule_sql.NEXT_ACTION_DUE} AS next_action_due,
       {rule_sql.LAST_ACTION_CLOSED_AT} AS last_action_closed_at
"""  # noqa: S608 (a constant fragment, no values)

TEAM_HOTSPOTS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER} AND {rule_sql.HOTSPOT}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608 (a constant fragment, no values)

TEAM_AWAITING_REVIEW_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {rule_sql.AWAITING_REVIEW}
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

TEAM_UNALLOCATED_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
LEFT JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER} AND c.worker_id IS NULL
ORDER BY s.score DESC, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

# Open cases with the practice gap "no domestic-abuse enquiry" (hotspots.model.rules, as stored
# with each score): the question the review found was "rarely asked".
_NO_DOMESTIC_ABUSE_ENQUIRY = rule_sql.gap("no_domestic_abuse_enquiry")

TEAM_PRACTICE_GAPS_SQL = f"""
SELECT {_TEAM_CASE_COLUMNS}
FROM cases c
JOIN scores s ON s.case_id = c.id
LEFT JOIN staff w ON w.id = c.worker_id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
ORDER BY c.opened_on, c.case_ref
LIMIT :limit OFFSET :offset
"""  # noqa: S608

TEAM_PRACTICE_GAP_COUNT_SQL = f"""
SELECT count(*) FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.team_id = :team_id AND c.status = 'open' AND {_OF_WORKER}
  AND {_NO_DOMESTIC_ABUSE_ENQUIRY}
"""  # noqa: S608


def every_team(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every team's id and name, by name."""
    return fetch_all(db, TEAMS_SQL, {})


def find(db: sqlite_utils.Database, team_id: int) -> dict[str, Any] | None:
    """The team with id ``team_id`` (id and name), or None."""
    return fetch_one(db, TEAM_BY_ID_SQL, {"team_id": team_id})


def counts(
    db: sqlite_utils.Database, team_id: int, worker_id: int | None, rule_params: dict[str, Any]
) -> dict[str, int]:
    """The team's open cases, hotspots, unallocated cases, hotspots awaiting a review, visits
    overdue and practice gaps (no domestic-abuse enquiry), of one worker's cases or all."""
    params = {"team_id": team_id, "worker_id": worker_id} | rule_params
    found = dict(fetch_one(db, TEAM_COUNTS_SQL, params))
    found["practice_gaps"] = db.execute(TEAM_PRACTICE_GAP_COUNT_SQL, params).fetchone()[0]
    return found


def hotspots(
    db: sqlite_utils.Database, team_id: int, worker_id: int | None, rule_params: dict, **page
) -> list[dict[str, Any]]:
    """A page (``limit``, ``offset``) of the team's open hotspots, of one worker or all,
    highest score first."""
    return _page(db, TEAM_HOTSPOTS_SQL, team_id, worker_id, rule_params, **page)


def awaiting_review(
    db: sqlite_utils.Database, team_id: int, worker_id: int | None, rule_params: dict, **page
) -> list[dict[str, Any]]:
    """A page of the team's hotspots awaiting a review, highest score first."""
    return _page(db, TEAM_AWAITING_REVIEW_SQL, team_id, worker_id, rule_params, **page)


def unallocated(
    db: sqlite_utils.Database, team_id: int, worker_id: int | None, rule_params: dict, **page
) -> list[dict[str, Any]]:
    """A page of the team's open cases with no worker, highest score first."""
    return _page(db, TEAM_UNALLOCATED_SQL, team_id, worker_id, rule_params, **page)


def without_domestic_abuse_enquiry(
    db: sqlite_utils.Database, team_id: int, worker_id: int | None, rule_params: dict, **page
) -> list[dict[str, Any]]:
    """A page of the team's open cases with the practice gap "no domestic-abuse enquiry",
    longest open first."""
    return _page(db, TEAM_PRACTICE_GAPS_SQL, team_id, worker_id, rule_params, **page)


def _page(db, sql, team_id, worker_id, rule_params, *, limit: int, offset: int) -> list[dict]:
    params = {"team_id": team_id, "worker_id": worker_id, "limit": limit, "offset": offset}
    return fetch_all(db, sql, params | rule_params)
