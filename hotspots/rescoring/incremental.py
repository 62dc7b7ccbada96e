"""Rescoring a few cases with the pure model: one case at once (a change made on its page),
or every case the schema's triggers marked (the sweep, and an import after its commit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots import rules, scoring
from hotspots.dates import stamp
from hotspots.rescoring import bulk, facts
from hotspots.storage import fetch_one, write_transaction
from hotspots.storage import scores as sql

# Above this many marked cases, the sweep rescores the whole authority set-based instead.
BULK_RESCORE_ABOVE = 2000


def rescore_case(
    db: sqlite_utils.Database,
    case_id: int,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
) -> dict[str, Any] | None:
    """Rescore one case now with the pure model, write its ``scores`` row (contributions
    included) and today's ``score_history`` row, consume its mark, and re-rank its caseload
    (and its previous caseload if it was reallocated). Returns the new scores row; None for a
    closed or unknown case (a closed case's scores row is removed)."""
    with write_transaction(db):
        worker_ids = _rescore_one(db, case_id, settings, as_of, now)
        _rerank(db, worker_ids)
        return fetch_one(db, sql.SELECT_SCORE_SQL, {"case_id": case_id})


def rescore_changed(
    db: sqlite_utils.Database, settings: Mapping[str, Any], *, as_of: date, now: datetime
) -> int:
    """Rescore every case marked since it was last scored (the schema's triggers mark a case
    in the transaction of any write that can change its score), drop closed cases from the
    ranking, and consume exactly those marks; returns how many cases were touched. When the
    stored ranking was made by another model version, or more than BULK_RESCORE_ABOVE cases
    are marked, rescores everything set-based instead. Reads only the marks and the ranking's
    state: with nothing marked it does no other work."""
    version = scoring.model_version(settings["scoring"])
    # Decided before the write transaction, so a whole-authority run can tune the connection.
    state = fetch_one(db, sql.SELECT_SCORING_STATE_SQL, {})
    stale = state is None or state["model_version"] != version
    if stale or db.execute(sql.COUNT_MARKED_CASES_SQL).fetchone()[0] > BULK_RESCORE_ABOVE:
        return bulk.rescore_all(db, settings, as_of=as_of, now=now)
    with write_transaction(db):
        marked = [r[0] for r in db.execute(sql.SELECT_MARKED_CASES_SQL).fetchall()]
        workers: set[int] = set()
        for case_id in marked:
            workers |= _rescore_one(db, case_id, settings, as_of, now)
        _rerank(db, workers)
    return len(marked)


def _rescore_one(
    db: sqlite_utils.Database,
    case_id: int,
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
) -> set[int]:
    """Write one case's score and consume its mark; return the worker ids whose caseload
    ranks need redoing."""
    db.execute(sql.CLEAR_MARK_SQL, {"case_id": case_id})
    previous = fetch_one(db, sql.SELECT_SCORE_SQL, {"case_id": case_id})
    workers = {previous["worker_id"]} if previous and previous["worker_id"] else set()
    found = facts.case_facts(db, case_id)
    if found is None or found[0]["status"] != "open":
        db.execute(sql.DELETE_SCORE_SQL, {"case_id": case_id})
        return workers
    row, case = found
    model = settings["scoring"]
    score = scoring.score_case(case, model, as_of)
    db.execute(
        sql.UPSERT_SCORE_SQL,
        {
            "case_id": case_id,
            "as_of": as_of.isoformat(),
            "score": score.score,
            "band": score.band,
            "worker_id": row["worker_id"],
            "contributions": score.contributions_json(),
            "model_version": score.model_version,
            "computed_at": stamp(now),
            "practice_gaps": rules.gap_mask(
                code for code, _ in scoring.gaps_of(case, model, as_of)
            ),
            "current_concerns": scoring.current_concerns(case, model, as_of),
        },
    )
    db.execute(
        sql.UPSERT_HISTORY_SQL,
        {
            "case_id": case_id,
            "day": as_of.isoformat(),
            "score": score.score,
            "band": score.band,
            "model_version": score.model_version,
        },
    )
    if row["worker_id"] is not None:
        workers.add(row["worker_id"])
    return workers


def _rerank(db: sqlite_utils.Database, worker_ids: Iterable[int]) -> None:
    for worker_id in sorted(worker_ids):
        db.execute(sql.RERANK_WORKER_SQL, {"worker_id": worker_id})
