"""Rescoring a few cases with the pure model: one case at once (a change made on its page),
or every case the schema's triggers marked (the sweep, the partners' API and an import after
its commit).

The marked cases are rescored a few to a write transaction (``CASES_PER_TRANSACTION``), each
reading what feeds their scores in one statement per table: SQLite has one write lock, and a
page writing its audit row while partners' notifications are rescored waits for one short
transaction, not for the whole batch."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots import rules, scoring
from hotspots.dates import stamp
from hotspots.rescoring import bulk, facts
from hotspots.storage import fetch_one, write_transaction
from hotspots.storage import incremental as batch_sql
from hotspots.storage import scores as sql

# Above this many marked cases, the sweep rescores the whole authority set-based instead.
BULK_RESCORE_ABOVE = 2000
# Marked cases rescored in one write transaction: about 3 ms of holding the write lock on
# the development machine (docs/benchmarks.md, "Partners' API").
CASES_PER_TRANSACTION = 10


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
        db.execute(sql.CLEAR_MARK_SQL, {"case_id": case_id})
        _rescore(db, [case_id], settings, as_of, now, scoring.model_version(settings["scoring"]))
        return fetch_one(db, sql.SELECT_SCORE_SQL, {"case_id": case_id})


def rescore_changed(
    db: sqlite_utils.Database, settings: Mapping[str, Any], *, as_of: date, now: datetime
) -> int:
    """Rescore every case marked when it is called (the schema's triggers mark a case in the
    transaction of any write that can change its score), drop closed cases from the ranking,
    and consume exactly the marks it rescored; returns how many cases it rescored.

    The cases go CASES_PER_TRANSACTION to a write transaction, in case order. Each transaction
    consumes the marks of its cases that are still marked when it takes the write lock and
    rescores those cases from what is committed then, so a write committed between two
    transactions is either in the score or leaves its mark for the next call; a case whose
    mark another rescore consumed meanwhile is left to that rescore (it saw the change).
    Other writers (a page's audit row) commit between the transactions.

    When the stored ranking was made by another model version, or more than
    BULK_RESCORE_ABOVE cases are marked, rescores everything set-based instead (in one
    transaction). Reads only the marks and the ranking's state: with nothing marked it does
    no other work."""
    version = scoring.model_version(settings["scoring"])
    # Decided before the write transaction, so a whole-authority run can tune the connection.
    state = fetch_one(db, sql.SELECT_SCORING_STATE_SQL, {})
    stale = state is None or state["model_version"] != version
    if stale or db.execute(sql.COUNT_MARKED_CASES_SQL).fetchone()[0] > BULK_RESCORE_ABOVE:
        return bulk.rescore_all(db, settings, as_of=as_of, now=now)
    marked = [r[0] for r in db.execute(sql.SELECT_MARKED_CASES_SQL).fetchall()]
    rescored = 0
    for start in range(0, len(marked), CASES_PER_TRANSACTION):
        with write_transaction(db):
            consumed = _consume_marks(db, marked[start : start + CASES_PER_TRANSACTION])
            _rescore(db, consumed, settings, as_of, now, version)
        rescored += len(consumed)
    return rescored


def _consume_marks(db: sqlite_utils.Database, case_ids: Iterable[int]) -> list[int]:
    """Remove the cases' marks; return the cases that were still marked."""
    return [
        case_id
        for case_id in case_ids
        if db.execute(sql.CLEAR_MARK_SQL, {"case_id": case_id}).rowcount
    ]


def _rescore(
    db: sqlite_utils.Database,
    case_ids: Sequence[int],
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
    version: str,
) -> None:
    """Write the cases' scores and today's history rows (removing closed or unknown cases'
    scores), then re-rank every caseload they are in or left, each worker once."""
    if not case_ids:
        return
    model = settings["scoring"]
    ids = {"case_ids": json.dumps(list(case_ids))}
    workers = {r[1] for r in db.execute(batch_sql.SELECT_PREVIOUS_WORKERS_SQL, ids)}
    found = facts.facts_by_case(db, case_ids)
    computed_at, day = stamp(now), as_of.isoformat()
    scores, history, gone = [], [], []
    for case_id in case_ids:
        row, case = found.get(case_id, (None, None))
        if row is None or row["status"] != "open":
            gone.append({"case_id": case_id})
            continue
        score = scoring.score_case(case, model, as_of, version)
        scores.append(
            {
                "case_id": case_id,
                "as_of": day,
                "score": score.score,
                "band": score.band,
                "worker_id": row["worker_id"],
                "contributions": score.contributions_json(),
                "model_version": score.model_version,
                "computed_at": computed_at,
                "practice_gaps": rules.gap_mask(
                    code for code, _ in scoring.gaps_of(case, model, as_of)
                ),
                "current_concerns": len(
                    scoring.current_indicators(case.observations, model, as_of)
                ),
            }
        )
        history.append(
            {
                "case_id": case_id,
                "day": day,
                "score": score.score,
                "band": score.band,
                "model_version": score.model_version,
            }
        )
        if row["worker_id"] is not None:
            workers.add(row["worker_id"])
    db.conn.executemany(sql.DELETE_SCORE_SQL, gone)
    db.conn.executemany(sql.UPSERT_SCORE_SQL, scores)
    db.conn.executemany(sql.UPSERT_HISTORY_SQL, history)
    db.conn.executemany(sql.RERANK_WORKER_SQL, [{"worker_id": w} for w in sorted(workers)])
