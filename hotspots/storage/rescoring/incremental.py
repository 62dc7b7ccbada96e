"""Rescoring a few cases with the pure model: one case at once (a change made on its page),
the marked ones among given cases (the partners' API, after its commit), or every case the
schema's triggers marked (the sweep, and an import after its commit).

SQLite has one write lock, and every page a person opens writes its audit row under it. So
the marked cases are rescored a few at a time (``CASES_PER_TRANSACTION``), the model worked
out *before* taking the write lock on the facts read then. Inside a short write transaction
the marks are consumed and a score is written as worked out only if its facts are unchanged
(if anyone else committed meanwhile they are read again, and a changed case is worked out
again there). A page's audit row waits for one such transaction at most, and a write made
between them is never lost: it is in the score, or its mark stays for the next rescore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.model import rules, scoring
from hotspots.storage import fetch_one, write_transaction
from hotspots.storage import scores as sql
from hotspots.storage.rescoring import bulk, facts

# Above this many marked cases, the sweep rescores the whole authority set-based instead.
BULK_RESCORE_ABOVE = 2000
# Marked cases rescored in one write transaction (docs/benchmarks.md, "Partners' API").
CASES_PER_TRANSACTION = 10

Facts = tuple[dict, scoring.CaseFacts]


def rescore_case(
    db: sqlite_utils.Database,
    case_id: int,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
) -> dict[str, Any] | None:
    """Rescore one case now with the pure model, write its ``scores`` row (contributions
    included) and today's ``score_history`` row, and consume its mark. Returns the new scores
    row with the case's rank in its caseload (ranks are worked out when read, so every rank in
    its caseload, and in the one it left if it was reallocated, follows at once); None for a
    closed or unknown case (a closed case's scores row is removed)."""
    version = scoring.model_version(settings["scoring"])
    with write_transaction(db):
        db.execute(sql.CLEAR_MARK_SQL, {"case_id": case_id})
        found = facts.facts_by_case(db, [case_id])
        _write_scores(db, [case_id], found, {}, settings, as_of, now, version)
        bulk.refresh_marked_sums(db, settings["scoring"], [case_id], as_of=as_of)
        return fetch_one(db, sql.SELECT_SCORE_SQL, {"case_id": case_id})


def rescore_marked(
    db: sqlite_utils.Database,
    case_ids: Iterable[int],
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
) -> int:
    """Rescore those of the given cases that are marked, as ``rescore_changed`` does (a few
    to a write transaction, consuming exactly their marks), leaving every other mark to its
    writer or the sweep; returns how many it rescored. For a writer that knows which cases it
    changed (the partners' API): two of them committing together then do not work out each
    other's cases side by side. A case among them whose mark another rescore consumed
    meanwhile is left to that rescore, which saw the change. Never a whole-authority rescore
    (as ``rescore_case``, even when the ranking's model version is out of date)."""
    version = scoring.model_version(settings["scoring"])
    return _rescore_in_chunks(db, sorted(set(case_ids)), settings, as_of, now, version)


def rescore_changed(
    db: sqlite_utils.Database, settings: Mapping[str, Any], *, as_of: date, now: datetime
) -> int:
    """Rescore every case marked when it is called (the schema's triggers mark a case in the
    transaction of any write that can change its score), drop closed cases from the ranking,
    and consume exactly the marks it rescored; returns how many cases it rescored.

    The cases go CASES_PER_TRANSACTION to a write transaction, in case order, each consuming
    the marks of its cases still marked when it takes the write lock and scoring those cases
    from what is committed then; a case whose mark another rescore consumed meanwhile is left
    to it. Other writers (a page's audit row) commit between the transactions.

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
    return _rescore_in_chunks(db, marked, settings, as_of, now, version)


def _rescore_in_chunks(
    db: sqlite_utils.Database,
    case_ids: Sequence[int],
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
    version: str,
) -> int:
    rescored = 0
    for start in range(0, len(case_ids), CASES_PER_TRANSACTION):
        chunk = case_ids[start : start + CASES_PER_TRANSACTION]
        rescored += _rescore_marked(db, chunk, settings, as_of, now, version)
    return rescored


def _rescore_marked(
    db: sqlite_utils.Database,
    case_ids: Sequence[int],
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
    version: str,
) -> int:
    """Rescore those of the cases still marked; return how many. The model runs before the
    write transaction, and again inside it only for a case whose facts changed meanwhile
    (read again only if anyone else committed anything meanwhile)."""
    data_version = db.execute(sql.DATA_VERSION_SQL).fetchone()[0]
    before = facts.facts_by_case(db, case_ids)
    worked = {
        case_id: _score_row(case_id, found, settings, as_of, now, version)
        for case_id, found in before.items()
        if found[0]["status"] == "open"
    }
    with write_transaction(db):
        consumed = [
            case_id
            for case_id in case_ids
            if db.execute(sql.CLEAR_MARK_SQL, {"case_id": case_id}).rowcount
        ]
        if db.execute(sql.DATA_VERSION_SQL).fetchone()[0] == data_version:
            found = before
        else:
            found = facts.facts_by_case(db, consumed)
        unchanged = {
            case_id: row
            for case_id, row in worked.items()
            if case_id in found and found[case_id] == before[case_id]
        }
        _write_scores(db, consumed, found, unchanged, settings, as_of, now, version)
        bulk.refresh_marked_sums(db, settings["scoring"], consumed, as_of=as_of)
    return len(consumed)


def _score_row(
    case_id: int,
    found: Facts,
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
    version: str,
) -> dict[str, Any]:
    """The open case's ``scores`` row by the pure model."""
    row, case = found
    model = settings["scoring"]
    score = scoring.score_case(case, model, as_of, version)
    return {
        "case_id": case_id,
        "as_of": as_of.isoformat(),
        "score": score.score,
        "band": score.band,
        "worker_id": row["worker_id"],
        "contributions": score.contributions_json(),
        "model_version": score.model_version,
        "computed_at": stamp(now),
        "practice_gaps": rules.gap_mask(code for code, _ in scoring.gaps_of(case, model, as_of)),
        "current_concerns": scoring.current_concerns(case, model, as_of),
        "review_pattern": int(score.matches_review_pattern),
    }


def _write_scores(
    db: sqlite_utils.Database,
    case_ids: Sequence[int],
    found: Mapping[int, Facts],
    worked: Mapping[int, dict[str, Any]],
    settings: Mapping[str, Any],
    as_of: date,
    now: datetime,
    version: str,
) -> None:
    """Write the cases' scores (``worked`` holds rows already worked out from the same facts)
    and today's history rows, and remove closed or unknown cases' scores. No caseload is
    re-ranked: ranks are worked out when read."""
    if not case_ids:
        return
    scores, gone = [], []
    for case_id in case_ids:
        if case_id not in found or found[case_id][0]["status"] != "open":
            gone.append({"case_id": case_id})
            continue
        row = worked.get(case_id) or _score_row(
            case_id, found[case_id], settings, as_of, now, version
        )
        scores.append(row)
    history = [
        {
            "case_id": r["case_id"],
            "day": r["as_of"],
            "score": r["score"],
            "band": r["band"],
            "model_version": r["model_version"],
            "worker_id": r["worker_id"],
        }
        for r in scores
    ]
    db.conn.executemany(sql.DELETE_SCORE_SQL, gone)
    db.conn.executemany(sql.UPSERT_SCORE_SQL, scores)
    db.conn.executemany(sql.UPSERT_HISTORY_SQL, history)
