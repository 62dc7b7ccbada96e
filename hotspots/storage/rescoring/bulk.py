"""The whole-authority rescore: every open case scored with set-based SQL
(``hotspots.storage.scores``) that does the pure model's arithmetic, in one transaction."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

import sqlite_utils

from hotspots.base.config import derived_rules
from hotspots.base.dates import stamp
from hotspots.model import rules, scoring
from hotspots.storage import Stopwatch, schema, write_transaction
from hotspots.storage import rules as rule_sql
from hotspots.storage import scores as sql
from hotspots.storage.rescoring import facts
from hotspots.storage.rules import day_number

# How a run may use the kept indicator sums (_sums_usable).
SumsUse = Literal["refresh", "if_fresh", "never"]
# A full rescore stores every case's contributions (computed by the pure model) up to this
# many open cases; above it they are left empty ('[]') and computed when a case is read
# (read.contributions_for), which keeps a large authority's nightly run short.
STORE_CONTRIBUTIONS_UP_TO = 20_000
# Page cache for a full rescore, in KiB (negative: SQLite's unit); the default 2 MB thrashes.
BULK_CACHE_KIB = 262_144
# Memory-mapped reads for a full rescore, in bytes (SQLite caps it at its compile-time limit).
BULK_MMAP_BYTES = 4 * 1024**3


def rescore_all(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    now: datetime,
    history_only: bool = False,
    timings: dict[str, float] | None = None,
) -> int:
    """Score every open case on ``as_of`` in one transaction: scores (band, worker, model
    version, practice gaps, contributions; ranks are worked out when read) and the day's
    score_history rows; closed cases leave ``scores``; every mark in ``rescore_queue`` is
    consumed. With ``history_only`` (a past day), only that day's score_history rows are
    written: today's ranking, its marks and its state are left as they are. Returns the number
    of open cases scored. ``timings``, if given, receives the seconds each step took."""
    model = settings["scoring"]
    version = scoring.model_version(model)
    clock = Stopwatch(timings)
    with _bulk_connection(db), write_transaction(db):
        _score_into_scratch(db, model, as_of, clock, sums="refresh")
        count = db.execute(sql.COUNT_RESCORED_SQL).fetchone()[0]
        banding = {"as_of": as_of.isoformat(), "model_version": version}
        banding |= rule_sql.band_parameters(model)
        if history_only:
            db.execute(sql.UPSERT_HISTORY_FROM_RESCORE_SQL, banding)
            clock.lap("history written")
            _run_script(db, sql.CLEAR_RESCORE_TABLES_SQL)
            return count
        clock.lap("case scores")
        db.execute(sql.DELETE_ALL_SCORES_SQL)
        db.execute(sql.INSERT_ALL_SCORES_SQL, banding | {"computed_at": stamp(now)})
        clock.lap("scores written")
        db.execute(sql.UPSERT_ALL_HISTORY_SQL)
        clock.lap("history written")
        _run_script(db, sql.CLEAR_RESCORE_TABLES_SQL)
        db.execute(sql.CLEAR_ALL_MARKS_SQL)
        db.execute(
            sql.UPSERT_SCORING_STATE_SQL,
            {"model_version": version, "as_of": as_of.isoformat(), "computed_at": stamp(now)},
        )
        if count <= STORE_CONTRIBUTIONS_UP_TO:
            store_contributions(db, settings, as_of)
            clock.lap("contributions stored")
    clock.lap("commit")
    return count


def scratch_scores(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    from_observations: bool = False,
) -> list[float]:
    """Every open case's score on ``as_of`` under ``settings``, worked out set-based as the
    whole-authority rescore does but written nowhere: for judging settings before they are
    used (``hotspots calibrate``). Takes no write lock, so it uses the kept indicator sums
    only when they are up to date, and never with ``from_observations``."""
    return [
        score
        for _, score in scratch_caseload_scores(
            db, settings, as_of=as_of, from_observations=from_observations
        )
    ]


def scratch_caseload_scores(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    from_observations: bool = False,
) -> list[tuple[int | None, float]]:
    """``scratch_scores`` with the caseload each score is in: (worker id or None, score)."""
    with _bulk_connection(db):
        db.execute("BEGIN")  # temporary tables only: the database itself is not written
        try:
            _score_into_scratch(
                db,
                settings["scoring"],
                as_of,
                Stopwatch(None),
                sums="never" if from_observations else "if_fresh",
            )
            scores = [(r[0], r[1]) for r in db.execute(sql.SELECT_SCRATCH_SCORES_SQL)]
            _run_script(db, sql.CLEAR_RESCORE_TABLES_SQL)
        finally:
            db.execute("ROLLBACK")
    return scores


def _score_into_scratch(
    db: sqlite_utils.Database,
    model: Mapping[str, Any],
    as_of: date,
    clock: Stopwatch,
    *,
    sums: SumsUse,
) -> None:
    """Fill temp.rescore_scores with every open case's score, practice gaps and current
    concerns on ``as_of``: the set-based twin of hotspots.model.scoring.score_case. The indicator
    points come from the kept indicator sums when they hold for the day (``sums``: see
    _sums_usable), otherwise from the observations themselves."""
    params = _parameters(model, as_of)
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
    for code, rule in derived_rules(model).items():
        db.execute(
            sql.INSERT_DERIVED_SQL,
            {
                "derived": code,
                "from": rule["from"],
                "at_least": int(rule["at_least"]),
                "within_preceding": max(int(rule["within_days"]) - 1, 0),
                "child_under_years": int(rule["child_under_years"]),
                "as_of_day": params["as_of_day"],
            },
        )
    totals = {"as_of_day": params["as_of_day"]}
    totals |= {"repeat_fraction": params["repeat_fraction"]}
    totals |= {"repeat_cap": params["repeat_cap"]}
    catalogue = _fill_catalogue(db, model, params["as_of_day"])
    for n, indicator in enumerate(catalogue):
        totals |= {f"{name}_{n}": indicator[name] for name in _PART_PARAMETERS}
    derived_parts = frozenset(n for n, indicator in enumerate(catalogue) if indicator["derived"])
    kept = _sums_usable(db, model, params["as_of_day"], sums, clock)
    if kept:
        db.execute(sql.INSERT_TOTALS_FROM_SUMS_SQL, totals)
        if derived_parts:
            db.execute(sql.upsert_derived_totals_sql(derived_parts), totals)
        clock.lap("indicator points per case, from the kept sums")
    else:
        db.execute(sql.insert_totals_sql(len(model["indicators"]), derived_parts), totals)
        clock.lap("indicator points per case, from the observations")
    db.execute(sql.INSERT_AGENCIES_FROM_SUMS_SQL if kept else sql.INSERT_AGENCIES_SQL, params)
    db.execute(sql.INSERT_ASKED_SQL, {"as_of": as_of.isoformat()})
    db.execute(sql.INSERT_ADJUSTED_SQL, {"as_of": as_of.isoformat()})
    clock.lap("agencies, enquiries and adjustments")
    db.execute(sql.INSERT_SCORES_SQL, params)


# What each part of INSERT_TOTALS_SQL takes, numbered by the indicator's place in the catalogue.
_PART_PARAMETERS = (
    "indicator",
    "weight",
    "ln_half_per_day",
    "current_since_day",
    "bit",
    "pattern_feature",
    "pattern_core",
)


def refresh_marked_sums(
    db: sqlite_utils.Database,
    model: Mapping[str, Any],
    case_ids: Sequence[int],
    *,
    as_of: date,
) -> None:
    """Work out again the kept indicator sums and agency days of those of ``case_ids`` that are
    marked out of date, and consume their marks: inside the caller's write transaction (a
    rescore of a few cases), so that the nightly run finds only the marks made since the
    last sweep. Does nothing when none is marked, or when the sums were worked out with other
    half-lives (the next whole-authority rescore rebuilds them all, and the marks stay)."""
    among = {"case_ids": json.dumps(list(case_ids))}
    if not db.execute(sql.ANY_MARKED_SUMS_AMONG_SQL, among).fetchone()[0]:
        return
    if dict(db.execute(sql.SELECT_SUMS_HALF_LIVES_SQL).fetchall()) != _half_lives(model):
        return
    _run_script(db, sql.CREATE_SUMS_TABLES_SQL)
    as_of_day = day_number(as_of)
    _fill_catalogue(db, model, as_of_day)
    db.execute(sql.TAKE_MARKED_SUMS_AMONG_SQL, among)
    _refresh_taken_sums(db, as_of_day)


def _refresh_taken_sums(db: sqlite_utils.Database, as_of_day: int) -> None:
    """Work out the sums of the cases in temp.rescore_sums_cases again (sql.REFRESH_SUMS_SQL)."""
    for statement in schema.statements(sql.REFRESH_SUMS_SQL):
        db.execute(statement, {"anchor_day": as_of_day} if ":anchor_day" in statement else {})


def _fill_catalogue(
    db: sqlite_utils.Database, model: Mapping[str, Any], as_of_day: int
) -> list[dict[str, Any]]:
    """Write the catalogue into temp.rescore_indicators as the statements read it on
    ``as_of_day``, and return its rows in catalogue order."""
    bits = _combination_bits(model)
    derived = derived_rules(model)
    pattern = model["review_pattern"]
    rows = []
    for code, spec in model["indicators"].items():
        half_life = int(spec["half_life_days"])
        rows.append(
            {
                "indicator": code,
                "half_life_days": half_life,
                "ln_half_per_day": math.log(0.5) / half_life if half_life else 0.0,
                "weight": float(spec["weight"]),
                "current_since_day": as_of_day - half_life if half_life else -(2**62),
                "bit": bits.get(code, 0),
                "derived": code in derived,
                "pattern_feature": int(code in pattern["features"]),
                "pattern_core": int(code in pattern["core_features"]),
            }
        )
    db.execute(sql.CLEAR_INDICATORS_SQL)
    db.conn.executemany(sql.INSERT_INDICATOR_SQL, rows)
    return rows


def _half_lives(model: Mapping[str, Any]) -> dict[str, int]:
    return {code: int(spec["half_life_days"]) for code, spec in model["indicators"].items()}


def _sums_usable(
    db: sqlite_utils.Database,
    model: Mapping[str, Any],
    as_of_day: int,
    sums: SumsUse,
    clock: Stopwatch,
) -> bool:
    """Whether the kept indicator sums give the indicator points on ``as_of_day``: they were
    worked out with the catalogue's half-lives, no case's are marked out of date, and no
    current observation is dated after the day. With ``sums="refresh"`` (only inside a write
    transaction) out-of-date sums are first worked out again, all of them when the half-lives
    changed; with ``"if_fresh"`` nothing is written; with ``"never"`` the answer is no."""
    if sums == "never":
        return False
    wanted = _half_lives(model)
    recorded = dict(db.execute(sql.SELECT_SUMS_HALF_LIVES_SQL).fetchall())
    stale = db.execute(sql.COUNT_STALE_SUMS_SQL).fetchone()[0]
    if sums == "refresh":
        if recorded != wanted:
            _run_script(db, sql.RESET_SUMS_SQL)
            stale = 1
        if stale:
            db.execute(sql.TAKE_ALL_MARKED_SUMS_SQL)
            _refresh_taken_sums(db, as_of_day)
            clock.lap("kept sums of marked cases worked out again")
    elif recorded != wanted or stale:
        return False
    latest = db.execute(sql.LATEST_SUM_DAY_SQL).fetchone()[0]
    return latest is None or latest <= as_of_day


def _parameters(model: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """Every number the rescore's statements take, by name."""
    gaps = model["practice_gaps"]
    accumulation = model.get("accumulation") or {}
    pattern = model["review_pattern"]
    params: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "repeat_fraction": float(model["repeat_fraction"]),
        "repeat_cap": float(model["repeat_cap"]),
        "age_multiplier_under_1": float(model["age_multiplier_under_1"]),
        "age_multiplier_1_to_3": float(model["age_multiplier_1_to_3"]),
        "age_multiplier_older": float(model["age_multiplier_older"]),
        "min_concerns": int(accumulation.get("min_concerns", 0)),
        "min_agencies": int(accumulation.get("min_agencies", 0)),
        "max_age_years": int(accumulation.get("max_age_years", -1)),
        "points_per_concern": float(accumulation.get("points_per_concern", 0)),
        "red_threshold": float(model["red_threshold"]),
        "pattern_min_features": int(pattern["min_features"]),
        "pattern_max_age_years": int(pattern["max_age_years"]),
    }
    for code in rules.GAP_CODES:
        params[code] = float(gaps[code])
    return params | rule_sql.practice_gap_parameters(model, as_of)


def store_contributions(db: sqlite_utils.Database, settings: Mapping[str, Any], as_of: date) -> int:
    """Write every open case's contributions (the pure model's, on ``as_of``) into its scores
    row; returns how many. Reads each table once, grouped by case in Python."""
    model = settings["scoring"]
    version = scoring.model_version(model)
    updates = [
        {
            "case_id": row["id"],
            "contributions": scoring.score_case(case, model, as_of, version).contributions_json(),
        }
        for row, case in facts.open_case_facts(db)
    ]
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


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    for statement in schema.statements(script):
        db.execute(statement)
