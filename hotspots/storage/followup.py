"""Follow-through on a case: the decision each review records, the score it was made about, and
the actions agreed, each tracked to done.

Functions here are named for what they return or do; the pages, the digest and the demo call
them rather than the SQL beside them. Instants are stored UTC stamps (``dates.stamp``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one

# --- reviews -------------------------------------------------------------------------------

INSERT_REVIEW_SQL = """
INSERT INTO reviews (case_id, reviewed_by_id, reviewed_at, plan, decision, disagree_reason,
                     score, band, model_version)
VALUES (:case_id, :reviewed_by_id, :reviewed_at, :plan, :decision, :disagree_reason,
        :score, :band, :model_version)
"""

INSERT_REVIEW_CONTRIBUTION_SQL = """
INSERT INTO review_contributions (review_id, code, kind, label, points, disagreed)
VALUES (:review_id, :code, :kind, :label, :points, :disagreed)
"""

CASE_REVIEWS_SQL = """
SELECT v.id, v.reviewed_at, v.plan, v.decision, v.disagree_reason, v.score, v.band,
       v.model_version, r.name AS reviewed_by,
       v.entered_in_error_at, v.entered_in_error_reason, x.name AS entered_in_error_by,
       (SELECT json_group_array(rc.label) FROM review_contributions rc
        WHERE rc.review_id = v.id AND rc.disagreed = 1) AS disagreed_with
FROM reviews v
JOIN staff r ON r.id = v.reviewed_by_id
LEFT JOIN staff x ON x.id = v.entered_in_error_by_id
WHERE v.case_id = :case_id
ORDER BY v.reviewed_at DESC, v.id DESC
"""

# Per contribution code, over the hotspot reviews (the case red when reviewed) not entered in
# error since :since: how many it counted in, how many of those disagreed with the score, and
# how many named this contribution as what they disagreed with.
DISAGREEMENT_BY_CONTRIBUTION_SQL = """
SELECT rc.code, max(rc.label) AS label, max(rc.kind) AS kind,
       count(*) AS reviews,
       sum(v.decision = 'disagree') AS disagreed_with_score,
       sum(rc.disagreed) AS disagreed_with_this
FROM review_contributions rc
JOIN valid_reviews v ON v.id = rc.review_id
WHERE v.band = 'red' AND v.decision IS NOT NULL AND v.reviewed_at >= :since
  AND (:until IS NULL OR v.reviewed_at < :until)
GROUP BY rc.code
ORDER BY sum(rc.disagreed) * 1.0 / count(*) DESC, count(*) DESC, rc.code
"""

HOTSPOT_REVIEW_COUNTS_SQL = """
SELECT count(*) AS reviews, coalesce(sum(v.decision = 'disagree'), 0) AS disagreed
FROM valid_reviews v
WHERE v.band = 'red' AND v.decision IS NOT NULL AND v.reviewed_at >= :since
  AND (:until IS NULL OR v.reviewed_at < :until)
"""

# --- actions -------------------------------------------------------------------------------

INSERT_ACTION_SQL = """
INSERT INTO actions (case_id, review_id, kind, description, owner_id, due_on, created_by_id,
                     created_at)
VALUES (:case_id, :review_id, :kind, :description, :owner_id, :due_on, :created_by_id,
        :created_at)
"""

_ACTION_COLUMNS = """
a.id, a.case_id, a.review_id, a.kind, a.description, a.owner_id, o.name AS owner_name,
a.due_on, a.created_at, cb.name AS created_by, a.state, a.closed_at, xb.name AS closed_by,
a.outcome
"""

CASE_ACTIONS_SQL = f"""
SELECT {_ACTION_COLUMNS}
FROM actions a
JOIN staff o ON o.id = a.owner_id
JOIN staff cb ON cb.id = a.created_by_id
LEFT JOIN staff xb ON xb.id = a.closed_by_id
WHERE a.case_id = :case_id
ORDER BY a.state <> 'open', a.due_on, a.id
"""  # noqa: S608 (a constant fragment, no values)

ACTION_SQL = f"""
SELECT {_ACTION_COLUMNS}
FROM actions a
JOIN staff o ON o.id = a.owner_id
JOIN staff cb ON cb.id = a.created_by_id
LEFT JOIN staff xb ON xb.id = a.closed_by_id
WHERE a.id = :id AND a.case_id = :case_id
"""  # noqa: S608

CLOSE_ACTION_SQL = """
UPDATE actions SET state = :state, outcome = :outcome, closed_at = :at, closed_by_id = :by_id
WHERE id = :id AND case_id = :case_id AND state = 'open'
"""

CLOSE_REVIEW_ACTIONS_SQL = """
UPDATE actions SET state = 'not_done', outcome = :outcome, closed_at = :at, closed_by_id = :by_id
WHERE review_id = :review_id AND state = 'open'
"""

# The open actions a person owns, on open cases, soonest due first.
OWNER_OPEN_ACTIONS_SQL = """
SELECT a.id, a.kind, a.description, a.due_on, c.case_ref, c.initials
FROM actions a JOIN cases c ON c.id = a.case_id
WHERE a.owner_id = :owner_id AND a.state = 'open' AND c.status = 'open'
ORDER BY a.due_on, a.id
"""

# Each open case's open actions: how many, and the soonest due (for a caseload's rows).
OPEN_ACTIONS_BY_CASE_SQL = """
SELECT a.case_id, count(*) AS open_actions, min(a.due_on) AS next_due_on
FROM actions a
WHERE a.state = 'open' AND a.case_id IN (SELECT value FROM json_each(:case_ids))
GROUP BY a.case_id
"""

# Open actions past their due date on the team's open cases, the longest overdue first.
TEAM_OVERDUE_ACTIONS_SQL = """
SELECT a.id, a.case_id, a.kind, a.due_on, a.owner_id, o.name AS owner_name,
       c.case_ref, c.initials, c.worker_id
FROM actions a
JOIN cases c ON c.id = a.case_id
JOIN staff o ON o.id = a.owner_id
WHERE c.team_id = :team_id AND c.status = 'open' AND a.state = 'open' AND a.due_on < :today
ORDER BY a.due_on, c.case_ref, a.id
"""


# --- functions -----------------------------------------------------------------------------


def record_review(
    db: sqlite_utils.Database,
    *,
    case_id: int,
    reviewer_id: int,
    at: str,
    decision: str,
    disagree_reason: str | None,
    plan: str,
    score: Mapping[str, Any] | None,
    contributions: Iterable[Mapping[str, Any]],
    disagreed: Iterable[str],
    actions: Iterable[Mapping[str, Any]],
) -> int:
    """Record a review: its decision, the score as the reviewer saw it (``score``: its
    ``score``, ``band`` and ``model_version``, or None for a case not scored), every
    contribution of that score with whether the reviewer disagreed with it (``disagreed``:
    codes), and the actions agreed. Returns the review's id. Call inside a transaction."""
    score = score or {}
    review_id = db.execute(
        INSERT_REVIEW_SQL,
        {
            "case_id": case_id,
            "reviewed_by_id": reviewer_id,
            "reviewed_at": at,
            "plan": plan,
            "decision": decision,
            "disagree_reason": disagree_reason,
            "score": score.get("score"),
            "band": score.get("band"),
            "model_version": score.get("model_version"),
        },
    ).lastrowid
    disagreed = set(disagreed)
    for c in contributions:
        db.execute(
            INSERT_REVIEW_CONTRIBUTION_SQL,
            {
                "review_id": review_id,
                "code": c["code"],
                "kind": c.get("kind") or "",
                "label": c.get("label") or c["code"],
                "points": float(c.get("points") or 0),
                "disagreed": int(c["code"] in disagreed),
            },
        )
    for action in actions:
        add_action(
            db, case_id=case_id, review_id=review_id, created_by_id=reviewer_id, at=at, **action
        )
    return review_id


def case_reviews(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The case's reviews, newest first, with the decision, the score reviewed, who reviewed
    it, the labels of what the reviewer disagreed with, and any entered-in-error mark."""
    rows = fetch_all(db, CASE_REVIEWS_SQL, {"case_id": case_id})
    for row in rows:
        row["disagreed_with"] = json.loads(row["disagreed_with"] or "[]")
    return rows


def disagreement_by_contribution(
    db: sqlite_utils.Database, since: str, until: str | None = None
) -> dict[str, Any]:
    """Where workers disagree with the model: over the hotspot reviews since ``since`` (and
    before ``until``, if given: UTC stamps; reviews that recorded a decision, not entered in
    error), how many there were and how many disagreed, and per contribution code how many
    reviews it counted in, how many of those disagreed with the score, and how many named it."""
    params = {"since": since, "until": until}
    totals = fetch_one(db, HOTSPOT_REVIEW_COUNTS_SQL, params)
    return {
        **totals,
        "by_contribution": fetch_all(db, DISAGREEMENT_BY_CONTRIBUTION_SQL, params),
    }


def add_action(
    db: sqlite_utils.Database,
    *,
    case_id: int,
    review_id: int | None,
    kind: str,
    description: str,
    owner_id: int,
    due_on: str,
    created_by_id: int,
    at: str,
) -> int:
    """Add an open action about a case (agreed at review ``review_id``, or later); its id."""
    return db.execute(
        INSERT_ACTION_SQL,
        {
            "case_id": case_id,
            "review_id": review_id,
            "kind": kind,
            "description": description,
            "owner_id": owner_id,
            "due_on": due_on,
            "created_by_id": created_by_id,
            "created_at": at,
        },
    ).lastrowid


def case_actions(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every action about the case: the open ones first (soonest due first), then the closed."""
    return fetch_all(db, CASE_ACTIONS_SQL, {"case_id": case_id})


def action(db: sqlite_utils.Database, action_id: int, case_id: int) -> dict[str, Any] | None:
    """One action of the case, or None."""
    return fetch_one(db, ACTION_SQL, {"id": action_id, "case_id": case_id})


def close_action(
    db: sqlite_utils.Database,
    action_id: int,
    case_id: int,
    *,
    state: str,
    outcome: str,
    by_id: int,
    at: str,
) -> bool:
    """Close an open action as ``done`` or ``not_done`` with what happened; False when it
    was already closed (someone else closed it first: theirs stands)."""
    params = {
        "id": action_id,
        "case_id": case_id,
        "state": state,
        "outcome": outcome,
        "by_id": by_id,
        "at": at,
    }
    return db.execute(CLOSE_ACTION_SQL, params).rowcount == 1


def close_review_actions(
    db: sqlite_utils.Database, review_id: int, *, outcome: str, by_id: int, at: str
) -> int:
    """Close the open actions agreed at a review (one entered in error) as not done; how many."""
    params = {"review_id": review_id, "outcome": outcome, "by_id": by_id, "at": at}
    return db.execute(CLOSE_REVIEW_ACTIONS_SQL, params).rowcount


def owner_open_actions(db: sqlite_utils.Database, owner_id: int) -> list[dict[str, Any]]:
    """The open actions a member of staff owns on open cases, soonest due first."""
    return fetch_all(db, OWNER_OPEN_ACTIONS_SQL, {"owner_id": owner_id})


def open_actions_by_case(
    db: sqlite_utils.Database, case_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """For each of the cases with open actions: how many, and the soonest due day."""
    rows = fetch_all(db, OPEN_ACTIONS_BY_CASE_SQL, {"case_ids": json.dumps(list(case_ids))})
    return {row["case_id"]: row for row in rows}


def team_overdue_actions(
    db: sqlite_utils.Database, team_id: int, today: str
) -> list[dict[str, Any]]:
    """Open actions past their due date on the team's open cases, the longest overdue first."""
    return fetch_all(db, TEAM_OVERDUE_ACTIONS_SQL, {"team_id": team_id, "today": today})


# The demo's hotspots with their worker, team manager and stored score
# (hotspots.services.demo_followup).
DEMO_HOTSPOTS_SQL = """
SELECT c.id, c.worker_id, s.score, s.band, s.model_version, s.contributions,
       (SELECT m.id FROM staff m WHERE m.team_id = c.team_id AND m.role = 'manager'
        ORDER BY m.id LIMIT 1) AS manager_id
FROM cases c JOIN scores s ON s.case_id = c.id
WHERE c.status = 'open' AND s.band = 'red' AND c.worker_id IS NOT NULL
ORDER BY c.id
"""


def demo_hotspots(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every open, allocated hotspot with its worker, its team's manager (or None) and its
    stored score, band, model version and contributions, by case id (the demo's follow-up)."""
    return fetch_all(db, DEMO_HOTSPOTS_SQL, {})
