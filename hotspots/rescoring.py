"""Rescoring: the database side of the scoring model.

- ``rescore_all`` scores every open case with set-based SQL (hotspots.storage.scores) that
  does the same arithmetic as the pure model in hotspots.scoring, in one transaction.
- ``rescore_case`` scores one case with the pure model and re-ranks its caseload.
- ``rescore_changed`` (the sweep, and the importer after a commit) rescores the cases changed
  since they were scored.

Closed cases have no ``scores`` row (they leave every ranking); their ``score_history`` stays.
Every run writes the case's ``score_history`` row for the day (one row per case per day: a
second run the same day replaces it).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from hotspots import scoring
from hotspots.dates import parse_date
from hotspots.storage import fetch_all, fetch_one, schema, write_transaction
from hotspots.storage import scores as sql

EPOCH = date(1970, 1, 1)
# Above this many changed cases, the sweep rescores the whole authority set-based instead.
BULK_RESCORE_ABOVE = 2000
# A full rescore stores every case's contributions (computed by the pure model) up to this
# many open cases; above it they are left empty ('[]') and computed when a case is read
# (contributions_for), which keeps the nightly run of a large authority short.
STORE_CONTRIBUTIONS_UP_TO = 20_000
# Page cache for a full rescore, in KiB (negative: SQLite's unit); the default 2 MB thrashes.
BULK_CACHE_KIB = 262_144
# Memory-mapped reads for a full rescore, in bytes (SQLite caps it at its compile-time limit).
BULK_MMAP_BYTES = 4 * 1024**3


def day_number(day: date) -> int:
    """Days since 1970-01-01, as ``observations.observed_day``."""
    return (day - EPOCH).days


# --- reading one case ----------------------------------------------------------------------


def case_facts(db: sqlite_utils.Database, case_id: int) -> tuple[dict, scoring.CaseFacts] | None:
    """The case's row and everything that feeds its score, or None if there is no such case."""
    row = fetch_one(db, sql.SELECT_CASE_SQL, {"case_id": case_id})
    if row is None:
        return None
    params = {"case_id": case_id}
    observations = tuple(
        scoring.Observation(r["id"], r["indicator"], parse_date(r["observed_on"]), r["status"])
        for r in fetch_all(db, sql.SELECT_CASE_OBSERVATIONS_SQL, params)
    )
    enquiries = tuple(
        scoring.Enquiry(r["topic"], parse_date(r["asked_on"]), r["outcome"])
        for r in fetch_all(db, sql.SELECT_CASE_ENQUIRIES_SQL, params)
    )
    adjustments = tuple(
        scoring.Adjustment(
            r["id"],
            r["points"],
            r["reason"],
            parse_date(r["expires_on"]),
            parse_date(r["made_on"]) if r["made_on"] else None,
        )
        for r in fetch_all(db, sql.SELECT_CASE_ADJUSTMENTS_SQL, params)
    )
    return row, _facts(row, observations, enquiries, adjustments)


def _facts(row: Mapping[str, Any], observations, enquiries, adjustments) -> scoring.CaseFacts:
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


def score_of(
    db: sqlite_utils.Database, case_id: int, settings: Mapping[str, Any], as_of: date
) -> scoring.Score | None:
    """The pure model's score for the case on ``as_of`` (nothing is written)."""
    found = case_facts(db, case_id)
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
    where a large authority's full rescore stored none (see STORE_CONTRIBUTIONS_UP_TO),
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
    params = {"case_ids": json.dumps(list(missing))}
    observations: dict[int, list] = defaultdict(list)
    for case_id, obs_id, indicator, observed_on, status in db.execute(
        sql.SELECT_CASES_OBSERVATIONS_SQL, params
    ).fetchall():
        observations[case_id].append(
            scoring.Observation(obs_id, indicator, parse_date(observed_on), status)
        )
    enquiries: dict[int, list] = defaultdict(list)
    for case_id, topic, asked_on, outcome in db.execute(
        sql.SELECT_CASES_ENQUIRIES_SQL, params
    ).fetchall():
        enquiries[case_id].append(scoring.Enquiry(topic, parse_date(asked_on), outcome))
    adjustments: dict[int, list] = defaultdict(list)
    for case_id, adj_id, points, reason, expires_on, made_on in db.execute(
        sql.SELECT_CASES_ADJUSTMENTS_SQL, params
    ).fetchall():
        adjustments[case_id].append(
            scoring.Adjustment(
                adj_id, points, reason, parse_date(expires_on),
                parse_date(made_on) if made_on else None,
            )
        )  # fmt: skip
    model = settings["scoring"]
    version = scoring.model_version(model)
    for row in fetch_all(db, sql.SELECT_CASES_FOR_FACTS_SQL, params):
        case_id = row["id"]
        facts = _facts(row, observations[case_id], enquiries[case_id], adjustments[case_id])
        score = scoring.score_case(facts, model, missing[case_id], version)
        result[case_id] = [c.as_dict() for c in score.contributions]
    return result


# --- writing scores --------------------------------------------------------------------------


def rescore_case(
    db: sqlite_utils.Database,
    case_id: int,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
) -> dict[str, Any] | None:
    """Rescore one case now with the pure model, write its ``scores`` row (contributions
    included) and today's ``score_history`` row, and re-rank its caseload (and its previous
    caseload if it was reallocated). Returns the new scores row; None for a closed or unknown
    case (a closed case's scores row is removed)."""
    with write_transaction(db):
        worker_ids = _rescore_one(db, case_id, settings, as_of, now)
        _rerank(db, worker_ids)
        return fetch_one(db, sql.SELECT_SCORE_SQL, {"case_id": case_id})


def rescore_changed(
    db: sqlite_utils.Database, settings: Mapping[str, Any], *, as_of: date, now: datetime
) -> int:
    """Rescore every case marked since it was last scored (the schema's triggers mark a case
    in the transaction of any write that can change its score), drop closed cases from the
    ranking, and remove exactly those marks; returns how many cases were touched. When the
    stored ranking was made by another model version, or more than BULK_RESCORE_ABOVE cases
    are marked, rescores everything set-based instead. Reads only the marks: with nothing
    marked it does no other work."""
    version = scoring.model_version(settings["scoring"])
    # Decided before the write transaction, so a whole-authority run can tune the connection.
    state = fetch_one(db, sql.SELECT_SCORING_STATE_SQL, {})
    stale = state is None or state["model_version"] != version
    if stale or db.execute(sql.COUNT_MARKED_CASES_SQL).fetchone()[0] > BULK_RESCORE_ABOVE:
        return rescore_all(db, settings, as_of=as_of, now=now)
    with write_transaction(db):
        marked = _marked_cases(db)  # again, inside the lock: others may have written since
        workers: set[int] = set()
        for case_id in marked:
            workers |= _rescore_one(db, case_id, settings, as_of, now)
        _rerank(db, workers)
    return len(marked)


def rescore_all(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
    timings: dict[str, float] | None = None,
) -> int:
    """Score every open case on ``as_of`` in one transaction: scores (band, rank within the
    worker's caseload, model version, contributions) and the day's score_history rows; closed
    cases leave ``scores``. Returns the number of open cases scored. ``timings``, if given,
    receives the seconds each step took (for the benchmark)."""
    model = settings["scoring"]
    version = scoring.model_version(model)
    as_of_day = day_number(as_of)
    gaps = model["practice_gaps"]
    clock = _Stopwatch(timings)
    with _bulk_connection(db), write_transaction(db):
        _run_script(db, sql.CREATE_RESCORE_TABLES_SQL)
        _run_script(db, sql.CLEAR_RESCORE_TABLES_SQL)
        bits = _combination_bits(model)
        for combination, points in model["combinations"].items():
            parts = scoring.COMBINATIONS.get(combination, ())
            if points and parts and all(p in bits for p in parts):
                db.execute(
                    sql.INSERT_COMBINATION_SQL,
                    {
                        "combination": combination,
                        "mask": sum(bits[p] for p in parts),
                        "points": float(points),
                    },
                )
        params: dict[str, Any] = {
            "as_of_day": as_of_day,
            "repeat_fraction": float(model["repeat_fraction"]),
            "repeat_cap": float(model["repeat_cap"]),
        }
        for n, (code, spec) in enumerate(model["indicators"].items()):
            half_life = int(spec["half_life_days"])
            params[f"indicator_{n}"] = code
            params[f"weight_{n}"] = float(spec["weight"])
            params[f"ln_half_per_day_{n}"] = math.log(0.5) / half_life if half_life else 0.0
            params[f"current_since_day_{n}"] = as_of_day - half_life if half_life else -(2**62)
            params[f"bit_{n}"] = bits.get(code, 0)
        db.execute(sql.insert_totals_sql(len(model["indicators"])), params)
        clock.lap("indicator points per case")
        db.execute(sql.INSERT_ASKED_SQL, {"as_of": as_of.isoformat()})
        db.execute(sql.INSERT_ADJUSTED_SQL, {"as_of": as_of.isoformat()})
        clock.lap("enquiries and adjustments")
        db.execute(
            sql.INSERT_SCORES_SQL,
            {
                "as_of": as_of.isoformat(),
                "as_of_day": as_of_day,
                "age_multiplier_under_1": float(model["age_multiplier_under_1"]),
                "age_multiplier_1_to_3": float(model["age_multiplier_1_to_3"]),
                "age_multiplier_older": float(model["age_multiplier_older"]),
                "domestic_abuse_enquiry_due_days": int(gaps["domestic_abuse_enquiry_due_days"]),
                "no_domestic_abuse_enquiry": float(gaps["no_domestic_abuse_enquiry"]),
                "parental_childhood_not_explored": float(gaps["parental_childhood_not_explored"]),
                "visit_overdue": float(gaps["visit_overdue"]),
                "unallocated": float(gaps["unallocated"]),
            },
        )
        db.execute(sql.INSERT_RANKS_SQL)
        clock.lap("case scores and ranks")
        db.execute(sql.DELETE_ALL_SCORES_SQL)
        db.execute(
            sql.INSERT_ALL_SCORES_SQL,
            {
                "as_of": as_of.isoformat(),
                "red_threshold": float(model["red_threshold"]),
                "amber_threshold": float(model["amber_threshold"]),
                "model_version": version,
                "computed_at": now.isoformat(),
            },
        )
        clock.lap("scores written")
        db.execute(sql.UPSERT_ALL_HISTORY_SQL)
        clock.lap("history written")
        count = db.execute(sql.COUNT_RESCORED_SQL).fetchone()[0]
        _run_script(db, sql.CLEAR_RESCORE_TABLES_SQL)
        db.execute(sql.CLEAR_ALL_MARKS_SQL)
        db.execute(
            sql.UPSERT_SCORING_STATE_SQL,
            {"model_version": version, "as_of": as_of.isoformat(), "computed_at": now.isoformat()},
        )
        if count <= STORE_CONTRIBUTIONS_UP_TO:
            store_contributions(db, settings, as_of)
            clock.lap("contributions stored")
    clock.lap("commit")
    return count


class _Stopwatch:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[step] = now - self.last
            self.last = now


def store_contributions(db: sqlite_utils.Database, settings: Mapping[str, Any], as_of: date) -> int:
    """Write every open case's contributions (the pure model's, on ``as_of``) into its scores
    row; returns how many. Reads each table once, grouped by case in Python."""
    observations: dict[int, list[scoring.Observation]] = {}
    for case_id, obs_id, indicator, observed_on, status in db.execute(
        sql.SELECT_OPEN_OBSERVATIONS_SQL
    ).fetchall():
        observations.setdefault(case_id, []).append(
            scoring.Observation(obs_id, indicator, parse_date(observed_on), status)
        )
    enquiries: dict[int, list[scoring.Enquiry]] = {}
    for case_id, topic, asked_on, outcome in db.execute(sql.SELECT_OPEN_ENQUIRIES_SQL).fetchall():
        enquiries.setdefault(case_id, []).append(
            scoring.Enquiry(topic, parse_date(asked_on), outcome)
        )
    adjustments: dict[int, list[scoring.Adjustment]] = {}
    for case_id, adj_id, points, reason, expires_on, made_on in db.execute(
        sql.SELECT_OPEN_ADJUSTMENTS_SQL
    ).fetchall():
        adjustments.setdefault(case_id, []).append(
            scoring.Adjustment(adj_id, points, reason, parse_date(expires_on), parse_date(made_on))
        )
    version = scoring.model_version(settings["scoring"])
    updates = []
    for row in fetch_all(db, sql.SELECT_OPEN_CASES_SQL, {}):
        case_id = row["id"]
        facts = _facts(
            row,
            observations.get(case_id, ()),
            enquiries.get(case_id, ()),
            adjustments.get(case_id, ()),
        )
        score = scoring.score_case(facts, settings["scoring"], as_of, version)
        updates.append({"case_id": case_id, "contributions": score.contributions_json()})
    db.conn.executemany(sql.UPDATE_CONTRIBUTIONS_SQL, updates)
    return len(updates)


@contextlib.contextmanager
def _bulk_connection(db: sqlite_utils.Database) -> Iterator[None]:
    """Tune the connection for a whole-authority run, then put it back.

    Foreign keys are switched off for the run (only possible outside a transaction): every
    row it writes is derived from ``cases``, so the checks could never fail, and without them
    SQLite empties ``scores`` in one step instead of row by row. A large page cache and
    in-memory temporary tables keep the B-tree work in memory, and memory-mapped reads let
    the scan of the observations index read the operating system's cached pages in place."""
    if db.conn.in_transaction:
        yield
        return
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    mmap = db.execute("PRAGMA mmap_size").fetchone()
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    db.execute(f"PRAGMA mmap_size = {BULK_MMAP_BYTES}")
    db.execute("PRAGMA temp_store = MEMORY")
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
        db.execute(f"PRAGMA mmap_size = {int(mmap[0]) if mmap else 0}")
        db.execute(f"PRAGMA cache_size = {int(cache)}")


def _combination_bits(model: Mapping[str, Any]) -> dict[str, int]:
    """A bit for each catalogue indicator that is part of a combination."""
    parts = sorted({p for ps in scoring.COMBINATIONS.values() for p in ps})
    present = [p for p in parts if p in model["indicators"]]
    return {p: 1 << i for i, p in enumerate(present)}


def band_counts(db: sqlite_utils.Database) -> dict[str, int]:
    counts = dict.fromkeys(scoring.BANDS, 0)
    counts.update(dict(db.execute(sql.COUNT_BANDS_SQL).fetchall()))
    return counts


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
    found = case_facts(db, case_id)
    if found is None or found[0]["status"] != "open":
        db.execute(sql.DELETE_SCORE_SQL, {"case_id": case_id})
        return workers
    row, facts = found
    score = scoring.score_case(facts, settings["scoring"], as_of)
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
            "computed_at": now.isoformat(),
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


def _marked_cases(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.execute(sql.SELECT_MARKED_CASES_SQL).fetchall()]


def _rerank(db: sqlite_utils.Database, worker_ids: Iterable[int]) -> None:
    for worker_id in sorted(worker_ids):
        db.execute(sql.RERANK_WORKER_SQL, {"worker_id": worker_id})


# --- reading scores --------------------------------------------------------------------------


def trend(db: sqlite_utils.Database, case_id: int, as_of: date) -> float | None:
    """The case's score minus its score 7 days before ``as_of`` (the latest history row on or
    before that day); None when there is no score or no history that old."""
    row = db.execute(sql.SELECT_TREND_SQL, {"case_id": case_id, "as_of": as_of.isoformat()})
    found = row.fetchone()
    return None if found is None else found[0]


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


def find_staff(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    return fetch_one(db, sql.SELECT_STAFF_BY_EMAIL_SQL, {"email": email.strip()})


def read_caseload(
    db: sqlite_utils.Database,
    worker_id: int,
    settings: Mapping[str, Any],
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """The worker's open caseload from the latest scores, rank order: rank, case_ref,
    initials, score, band, trend (against 7 days before ``as_of``, by default the score's
    day; None without that history), reasons (the top contributions in words),
    contributions, as_of, model_version. Contributions a large full rescore left empty are
    computed here, on read."""
    caseload = []
    params = {"worker_id": worker_id, "as_of": as_of.isoformat() if as_of else None}
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
                "trend": row["trend"],
                "reasons": scoring.reasons(contributions),
                "contributions": contributions,
                "as_of": row["as_of"],
                "model_version": row["model_version"],
            }
        )
    return caseload


# --- helpers ---------------------------------------------------------------------------------


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    for statement in schema.statements(script):
        db.execute(statement)
