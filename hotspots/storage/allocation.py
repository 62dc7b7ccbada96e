"""Who holds which case: a team's caseloads, and moving cases between its workers by hand
(allocating, reallocating one case or several, a whole caseload when someone leaves or is off,
or leaving a leaver's cases visibly unallocated).

Every move is one conditional update per case (it moves only from the worker the person saw,
so two managers moving the same case at once cannot both move it) and a row in
``allocations`` with the reason; the caller audits it and rescores the moved cases (the
schema's triggers have marked them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import rules as rule_sql

# Each member of the team (a disabled one too, while they still hold cases: marked, so their
# cases are moved) with their open caseload, its hotspots, the hotspots awaiting a review, the
# children not seen on time, and the open actions they own past their due date; who carries
# the most first.
CASELOADS_SQL = f"""
SELECT st.id, st.name, st.role, st.disabled_at,
       count(c.id) AS open_cases,
       coalesce(sum({rule_sql.HOTSPOT}), 0) AS hotspots,
       coalesce(sum({rule_sql.AWAITING_REVIEW}), 0) AS awaiting_review,
       coalesce(sum({rule_sql.VISIT_OVERDUE}), 0) AS visits_overdue,
       (SELECT count(*) FROM actions a JOIN cases ac ON ac.id = a.case_id
        WHERE a.owner_id = st.id AND a.state = 'open' AND a.due_on < :today
          AND ac.status = 'open') AS actions_overdue
FROM staff st
LEFT JOIN cases c ON c.worker_id = st.id AND c.status = 'open'
LEFT JOIN scores s ON s.case_id = c.id
WHERE st.team_id = :team_id AND st.role IN ('worker', 'manager')
GROUP BY st.id
HAVING st.disabled_at IS NULL OR count(c.id) > 0
ORDER BY st.disabled_at IS NOT NULL DESC, hotspots DESC, open_cases DESC, st.name
"""  # noqa: S608 (constant fragments, no values)

# A worker's open cases, highest score first, with what a person moving them needs to see.
OPEN_CASES_OF_SQL = """
SELECT c.id, c.case_ref, c.initials, c.team_id, s.score, s.band
FROM cases c LEFT JOIN scores s ON s.case_id = c.id
WHERE c.worker_id = :worker_id AND c.status = 'open'
ORDER BY s.score IS NULL, s.score DESC, c.case_ref
"""

# The team's active workers and managers: who may own an action or be given a case.
TEAM_MEMBERS_SQL = """
SELECT id, name, role FROM staff
WHERE team_id = :team_id AND role IN ('worker', 'manager') AND disabled_at IS NULL
ORDER BY role = 'manager', name
"""

STAFF_MEMBER_SQL = """
SELECT id, name, email, role, team_id, disabled_at FROM staff WHERE id = :id
"""

# Moves one open case from the worker it was seen with (NULL: unallocated) to another (NULL:
# leaves it unallocated). Nothing moves when someone else moved it first.
MOVE_CASE_SQL = """
UPDATE cases SET worker_id = :to_worker_id
WHERE id = :case_id AND status = 'open' AND worker_id IS :from_worker_id
"""

INSERT_ALLOCATION_SQL = """
INSERT INTO allocations (case_id, from_worker_id, to_worker_id, reason, made_by_id, made_at)
VALUES (:case_id, :from_worker_id, :to_worker_id, :reason, :made_by_id, :made_at)
"""

CASE_ALLOCATIONS_SQL = """
SELECT al.made_at, al.reason, f.name AS from_name, t.name AS to_name, m.name AS made_by
FROM allocations al
LEFT JOIN staff f ON f.id = al.from_worker_id
LEFT JOIN staff t ON t.id = al.to_worker_id
LEFT JOIN staff m ON m.id = al.made_by_id
WHERE al.case_id = :case_id
ORDER BY al.made_at DESC, al.id DESC
"""

# The cases among :case_ids that the worker holds open (what a form may ask to move).
HELD_CASES_SQL = """
SELECT id, case_ref FROM cases
WHERE worker_id = :worker_id AND status = 'open'
  AND id IN (SELECT value FROM json_each(:case_ids))
ORDER BY case_ref
"""


def caseloads(
    db: sqlite_utils.Database, team_id: int, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The team's members and their loads (``params``: the rule fragments' parameters for
    today, ``hotspots.storage.rules.parameters``); disabled members who still hold cases
    first, marked, then who carries the most."""
    return fetch_all(db, CASELOADS_SQL, {**params, "team_id": team_id})


def receivers(
    db: sqlite_utils.Database,
    team_id: int | None,
    params: Mapping[str, Any],
    *,
    excluding: int | None,
) -> list[dict[str, Any]]:
    """Who in the team may be given cases (its active members, with their loads), apart from
    ``excluding`` (whoever holds them now); none for no team."""
    if team_id is None:
        return []
    return [m for m in caseloads(db, team_id, params) if can_hold_cases(m) and m["id"] != excluding]


def can_hold_cases(member: Mapping[str, Any]) -> bool:
    """Offered for allocation: an active member of the team (never a disabled one)."""
    return not member.get("disabled_at")


def team_members(db: sqlite_utils.Database, team_id: int) -> list[dict[str, Any]]:
    """The team's active workers, then its managers, by name."""
    return fetch_all(db, TEAM_MEMBERS_SQL, {"team_id": team_id})


def staff_member(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    return fetch_one(db, STAFF_MEMBER_SQL, {"id": staff_id})


def open_cases_of(db: sqlite_utils.Database, worker_id: int) -> list[dict[str, Any]]:
    """The worker's open cases, highest score first."""
    return fetch_all(db, OPEN_CASES_OF_SQL, {"worker_id": worker_id})


def held_cases(
    db: sqlite_utils.Database, worker_id: int, case_ids: Iterable[int]
) -> list[dict[str, Any]]:
    """Those of ``case_ids`` the worker holds open."""
    params = {"worker_id": worker_id, "case_ids": json.dumps(sorted(set(case_ids)))}
    return fetch_all(db, HELD_CASES_SQL, params)


def move_cases(
    db: sqlite_utils.Database,
    case_ids: Iterable[int],
    *,
    from_worker_id: int | None,
    to_worker_id: int | None,
    reason: str,
    made_by_id: int | None,
    at: str,
) -> list[int]:
    """Move the open cases from ``from_worker_id`` to ``to_worker_id`` (None: leave them
    unallocated), each recorded with the reason; returns the ids moved (a case moved by
    someone else meanwhile is not). Call inside a transaction."""
    moved = []
    for case_id in case_ids:
        params = {
            "case_id": case_id,
            "from_worker_id": from_worker_id,
            "to_worker_id": to_worker_id,
        }
        if db.execute(MOVE_CASE_SQL, params).rowcount == 1:
            db.execute(
                INSERT_ALLOCATION_SQL,
                {**params, "reason": reason, "made_by_id": made_by_id, "made_at": at},
            )
            moved.append(case_id)
    return moved


def case_allocations(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The case's moves by hand, newest first: from and to whom, why, by whom, when."""
    return fetch_all(db, CASE_ALLOCATIONS_SQL, {"case_id": case_id})
