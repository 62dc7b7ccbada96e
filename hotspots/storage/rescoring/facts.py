"""Loading what feeds a score: one case's facts, or many cases' at once, as the pure model's
``CaseFacts``. The one place rows become model objects."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from hotspots.base.dates import parse_date
from hotspots.model import scoring
from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import scores as sql


def observation(row: Iterable[Any]) -> tuple[int, scoring.Observation]:
    """(case id, Observation) from a row of case_id, id, indicator, observed_on, status,
    source."""
    case_id, obs_id, indicator, observed_on, status, source = row
    return case_id, scoring.Observation(obs_id, indicator, parse_date(observed_on), status, source)


def enquiry(row: Iterable[Any]) -> tuple[int, scoring.Enquiry]:
    case_id, topic, asked_on, outcome = row
    return case_id, scoring.Enquiry(topic, parse_date(asked_on), outcome)


def adjustment(row: Iterable[Any]) -> tuple[int, scoring.Adjustment]:
    case_id, adj_id, points, reason, expires_on, made_on = row
    return case_id, scoring.Adjustment(
        adj_id, points, reason, parse_date(expires_on), parse_date(made_on) if made_on else None
    )


def build(row: Mapping[str, Any], observations, enquiries, adjustments) -> scoring.CaseFacts:
    """A case's facts from its ``cases`` row and what was loaded for it."""
    return scoring.CaseFacts(
        date_of_birth=parse_date(row["date_of_birth"]),
        opened_on=parse_date(row["opened_on"]),
        allocated=row["worker_id"] is not None,
        visit_every_days=row["visit_every_days"],
        last_visit_on=parse_date(row["last_visit_on"]) if row["last_visit_on"] else None,
        observations=tuple(observations),
        enquiries=tuple(enquiries),
        adjustments=tuple(adjustments),
    )


def case_facts(db: sqlite_utils.Database, case_id: int) -> tuple[dict, scoring.CaseFacts] | None:
    """The case's row and everything that feeds its score, or None if there is no such case."""
    row = fetch_one(db, sql.SELECT_CASE_SQL, {"case_id": case_id})
    if row is None:
        return None
    params = {"case_id": case_id}
    observations = [observation(r)[1] for r in db.execute(sql.SELECT_CASE_OBSERVATIONS_SQL, params)]
    enquiries = [
        enquiry((case_id, *r))[1] for r in db.execute(sql.SELECT_CASE_ENQUIRIES_SQL, params)
    ]
    adjustments = [
        adjustment((case_id, *r))[1] for r in db.execute(sql.SELECT_CASE_ADJUSTMENTS_SQL, params)
    ]
    return row, build(row, observations, enquiries, adjustments)


def grouped(
    db: sqlite_utils.Database,
    cases_sql: str,
    observations_sql: str,
    enquiries_sql: str,
    adjustments_sql: str,
    params: Mapping[str, Any],
) -> list[tuple[dict, scoring.CaseFacts]]:
    """Many cases' rows and facts, reading each table once (four statements), grouped by case
    in Python: for a page of cases, or every open case."""
    observations: dict[int, list] = defaultdict(list)
    for r in db.execute(observations_sql, params):
        case_id, found = observation(r)
        observations[case_id].append(found)
    enquiries: dict[int, list] = defaultdict(list)
    for r in db.execute(enquiries_sql, params):
        case_id, found = enquiry(r)
        enquiries[case_id].append(found)
    adjustments: dict[int, list] = defaultdict(list)
    for r in db.execute(adjustments_sql, params):
        case_id, found = adjustment(r)
        adjustments[case_id].append(found)
    return [
        (row, build(row, observations[row["id"]], enquiries[row["id"]], adjustments[row["id"]]))
        for row in fetch_all(db, cases_sql, params)
    ]


def facts_by_case(
    db: sqlite_utils.Database, case_ids: Iterable[int]
) -> dict[int, tuple[dict, scoring.CaseFacts]]:
    """What ``case_facts`` gives for each of the given cases (status and every observation
    included), read in one statement per table, keyed by case id; a case that does not exist
    is left out."""
    found = grouped(
        db,
        sql.SELECT_CASES_FOR_FACTS_SQL,
        sql.SELECT_CASES_OBSERVATIONS_SQL,
        sql.SELECT_CASES_ENQUIRIES_SQL,
        sql.SELECT_CASES_ADJUSTMENTS_SQL,
        {"case_ids": json.dumps(list(case_ids))},
    )
    return {row["id"]: (row, case) for row, case in found}


def open_case_facts(db: sqlite_utils.Database) -> list[tuple[dict, scoring.CaseFacts]]:
    """The rows and facts of every open case, in case order."""
    return grouped(
        db,
        sql.SELECT_OPEN_CASES_SQL,
        sql.SELECT_OPEN_OBSERVATIONS_SQL,
        sql.SELECT_OPEN_ENQUIRIES_SQL,
        sql.SELECT_OPEN_ADJUSTMENTS_SQL,
        {},
    )
