"""The read side of scoring: a score worked out without writing it, explanations a large
rescore did not store, a worker's ranked caseload, trends and score series."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import parse_date
from hotspots.model import rules, scoring
from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import scores as sql
from hotspots.storage.rescoring import facts


def score_of(
    db: sqlite_utils.Database, case_id: int, settings: Mapping[str, Any], as_of: date
) -> scoring.Score | None:
    """The pure model's score for the case on ``as_of`` (nothing is written)."""
    found = facts.case_facts(db, case_id)
    if found is None:
        return None
    return scoring.score_case(found[1], settings["scoring"], as_of)


def contributions_for(
    db: sqlite_utils.Database,
    scored: Mapping[int, Mapping[str, Any]],
    settings: Mapping[str, Any],
) -> dict[int, list[dict[str, Any]]]:
    """Each scored case's contributions, keyed like ``scored`` (case id -> its scores row,
    with at least ``score``, ``contributions`` and ``as_of``): as stored with the score or,
    where a large authority's full rescore stored none (bulk.STORE_CONTRIBUTIONS_UP_TO),
    worked out now by the pure model for the score's day, reading what feeds all those
    cases in four statements. A case without a score has none."""
    result: dict[int, list[dict[str, Any]]] = {}
    missing: dict[int, date] = {}
    for case_id, row in scored.items():
        stored = json.loads(row.get("contributions") or "[]")
        if stored or not row.get("score"):
            result[case_id] = stored
        else:
            missing[case_id] = parse_date(row["as_of"])
    if not missing:
        return result
    model = settings["scoring"]
    version = scoring.model_version(model)
    for row, case in facts.facts_by_case(db, missing).values():
        score = scoring.score_case(case, model, missing[row["id"]], version)
        result[row["id"]] = [c.as_dict() for c in score.contributions]
    return result


def trend(db: sqlite_utils.Database, case_id: int, as_of: date) -> float | None:
    """The case's trend on ``as_of`` (``hotspots.model.rules.trend``)."""
    params = {"case_id": case_id, "trend_day": rules.trend_day(as_of).isoformat()}
    found = db.execute(sql.SELECT_TREND_SQL, params)
    row = found.fetchone()
    return None if row is None else rules.trend(row[0], row[1])


def score_series(
    db: sqlite_utils.Database, case_id: int, as_of: date, days: int = 30
) -> list[tuple[str, float]]:
    """The case's daily scores for the ``days`` days ending on ``as_of`` (a sparkline's data),
    oldest first, as (day, score); days without a history row are absent."""
    since = as_of - timedelta(days=days - 1)
    rows = db.execute(
        sql.SELECT_SERIES_SQL,
        {"case_id": case_id, "since": since.isoformat(), "as_of": as_of.isoformat()},
    )
    return [(day, score) for day, score in rows.fetchall()]


def band_counts(db: sqlite_utils.Database) -> dict[str, int]:
    counts = dict.fromkeys(scoring.BANDS, 0)
    counts.update(dict(db.execute(sql.COUNT_BANDS_SQL).fetchall()))
    return counts


def history_band_counts(db: sqlite_utils.Database, day: date) -> dict[str, int]:
    """How many cases each band held in the score history of ``day``."""
    counts = dict.fromkeys(scoring.BANDS, 0)
    counts.update(dict(db.execute(sql.COUNT_HISTORY_BANDS_SQL, {"day": day.isoformat()})))
    return counts


def find_staff(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    return fetch_one(db, sql.SELECT_STAFF_BY_EMAIL_SQL, {"email": email.strip()})


def read_caseload(
    db: sqlite_utils.Database,
    worker_id: int,
    settings: Mapping[str, Any],
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """The worker's open caseload from the latest scores, rank order: rank, case_ref,
    initials, score, band, trend (``hotspots.model.rules.trend`` against the trend day of ``as_of``,
    by default the score's day), reasons (``hotspots.model.rules.reasons`` in words), practice
    gaps, contributions, as_of, model_version."""
    caseload = []
    trend_day = rules.trend_day(as_of).isoformat() if as_of else None
    params = {"worker_id": worker_id, "trend_day": trend_day}
    rows = fetch_all(db, sql.SELECT_CASELOAD_SQL, params)
    explained = contributions_for(db, {row["case_id"]: row for row in rows}, settings)
    for row in rows:
        contributions = explained[row["case_id"]]
        caseload.append(
            {
                "rank": row["rank"],
                "case_ref": row["case_ref"],
                "initials": row["initials"],
                "score": row["score"],
                "band": row["band"],
                "trend": rules.trend(row["score"], row["score_then"]),
                "reasons": scoring.reasons(contributions),
                "practice_gaps": rules.gap_codes(row["practice_gaps"]),
                "contributions": contributions,
                "as_of": row["as_of"],
                "model_version": row["model_version"],
            }
        )
    return caseload
