"""Moving cases between workers by hand, the one way the team page, the People page and
``hotspots users disable`` all do it: each case moved only from the worker who holds it,
recorded with its reason (``hotspots.storage.allocation``), audited (``allocate_case`` or
``reallocate_case``: from and to, never the reason), then rescored so its rank follows in both
caseloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.services import audit, rescoring
from hotspots.storage import allocation


def record_moves(
    db: sqlite_utils.Database,
    cases: Iterable[Mapping[str, Any]],
    *,
    from_worker_id: int | None,
    to_worker_id: int | None,
    reason: str,
    actor: audit.Actor | None,
    now: datetime,
) -> list[int]:
    """Move the ``cases`` ({id, case_ref}) from ``from_worker_id`` (None: unallocated) to
    ``to_worker_id`` (None: leave them unallocated) and audit each move; the ids moved (a case
    someone else moved meanwhile is not). Call inside a write transaction."""
    refs = {case["id"]: case["case_ref"] for case in cases}
    moved = allocation.move_cases(
        db,
        list(refs),
        from_worker_id=from_worker_id,
        to_worker_id=to_worker_id,
        reason=reason,
        made_by_id=actor.id if actor is not None else None,
        at=stamp(now),
    )
    for case_id in moved:
        audit.record(
            db,
            at=now,
            action="allocate_case" if from_worker_id is None else "reallocate_case",
            actor=actor,
            case_ref=refs[case_id],
            detail=f"from_worker={from_worker_id or 'none'} to_worker={to_worker_id or 'none'}",
        )
    return moved


def rescore_moved(
    db: sqlite_utils.Database, moved: Iterable[int], settings: Mapping[str, Any], *, now: datetime
) -> dict[int, Any]:
    """Rescore each moved case (after the moves committed): its new scores row, by case id."""
    return {
        case_id: rescoring.rescore_case(db, case_id, settings, as_of=now.date(), now=now)
        for case_id in moved
    }
