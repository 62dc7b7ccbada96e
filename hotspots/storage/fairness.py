"""SQL for the fairness report (``hotspots.model.fairness``): set-based, a few statements over every
open case, so a 400,000-case authority's report takes seconds (bench/bench_fairness.py).

One temporary table holds each scored case once with everything the report groups by (team,
sex, ethnicity's major group, disability, age band) and what it counts (hotspot, score, the
stored practice gaps and review-pattern match, and a mask of the indicators recorded on it).
Two GROUP BYs count them: one by the combination of the characteristics (a few hundred rows,
which Python adds up into each dimension's groups) and one by team. This is the one place
that joins a case's score to its characteristics; nothing that makes a score reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.model import characteristics, fairness, rules
from hotspots.storage import Stopwatch, fetch_all, fetch_one, followup, schema
from hotspots.storage.scores import age_years_on

# The characteristics the report groups by: each case's (sex, ethnic group, disability, age
# band) is counted once in a "cube" of at most a few hundred rows, from which each dimension's
# groups are added up; teams are counted on their own. Only these names are ever formatted into
# a statement, never a value.
CUBE_COLUMNS = {"sex": "sex", "ethnicity": "ethnic_group", "disability": "disability",
                "age": "age_band"}  # fmt: skip

CREATE_TABLES_SQL = """
DROP TABLE IF EXISTS temp.fairness_cases;
DROP TABLE IF EXISTS temp.fairness_bits;
CREATE TEMP TABLE fairness_cases (
    case_id INTEGER PRIMARY KEY,
    team TEXT NOT NULL,
    sex TEXT,
    ethnic_group TEXT,
    disability TEXT,
    age_band TEXT NOT NULL,
    hotspot INTEGER NOT NULL,
    score REAL NOT NULL,
    practice_gaps INTEGER,
    review_pattern INTEGER,
    -- the recorded indicators, one bit each (temp.fairness_bits)
    indicators INTEGER NOT NULL DEFAULT 0
);
CREATE TEMP TABLE fairness_bits (
    indicator TEXT PRIMARY KEY,
    bit INTEGER NOT NULL
);
"""
DROP_TABLES_SQL = """
DROP TABLE IF EXISTS temp.fairness_cases;
DROP TABLE IF EXISTS temp.fairness_bits;
"""
INSERT_BIT_SQL = "INSERT INTO temp.fairness_bits (indicator, bit) VALUES (:indicator, :bit)"
# A bit per catalogue indicator; a signed 64-bit integer holds this many.
MAX_INDICATOR_BITS = 62


# A child's age band on :day (the SQL twin of hotspots.model.characteristics.age_band, for a case
# aliased c): an unborn child is under 1.
_YEARS = age_years_on(":day")
AGE_BAND = f"""
(CASE WHEN c.birth_status != 'born' THEN 'under_1'
      WHEN {_YEARS} < 1 THEN 'under_1'
      WHEN {_YEARS} < 5 THEN '1_to_4'
      WHEN {_YEARS} < 10 THEN '5_to_9'
      WHEN {_YEARS} < 16 THEN '10_to_15'
      ELSE '16_plus' END)
"""  # noqa: S608 (constant fragments, no values)

# The major group of a case's ethnicity code (k aliased), from :ethnic_groups, a JSON object
# of code -> group (hotspots.model.characteristics.ETHNICITIES).
_ETHNIC_GROUP = "json_extract(:ethnic_groups, '$.' || k.ethnicity)"

# What the service shows now: each open case's stored score (the latest rescore's, or a page's
# rescore of one case since), its band, and its stored gaps and review-pattern match.
FILL_FROM_SCORES_SQL = f"""
INSERT INTO temp.fairness_cases
    (case_id, team, sex, ethnic_group, disability, age_band, hotspot, score, practice_gaps,
     review_pattern)
SELECT c.id, t.name, k.sex, {_ETHNIC_GROUP}, k.disability, {AGE_BAND},
       s.band = :hotspot_band, s.score, s.practice_gaps, s.review_pattern
FROM scores AS s
JOIN cases AS c ON c.id = s.case_id
JOIN teams AS t ON t.id = c.team_id
LEFT JOIN child_characteristics AS k ON k.case_id = c.id
"""  # noqa: S608 (constant fragments, no values)

# What the service showed on a past :day: the score history row of each case scored that day
# (it was open then). The gaps and the pattern are stored with the latest scores only.
FILL_FROM_HISTORY_SQL = f"""
INSERT INTO temp.fairness_cases
    (case_id, team, sex, ethnic_group, disability, age_band, hotspot, score, practice_gaps,
     review_pattern)
SELECT c.id, t.name, k.sex, {_ETHNIC_GROUP}, k.disability, {AGE_BAND},
       h.band = :hotspot_band, h.score, NULL, NULL
FROM score_history AS h
JOIN cases AS c ON c.id = h.case_id
JOIN teams AS t ON t.id = c.team_id
LEFT JOIN child_characteristics AS k ON k.case_id = c.id
WHERE h.day = :day
"""  # noqa: S608 (constant fragments, no values)

# The indicators recorded on each case and counting on :day (current, observed on or before
# it; hotspots.model.rules.counts_on) as a mask of their bits, read from the covering index
# observations_case, case by case.
FILL_INDICATORS_SQL = """
UPDATE temp.fairness_cases AS f SET indicators = m.mask
FROM (
    SELECT x.case_id, sum(b.bit) AS mask
    FROM (
        SELECT c.case_id, o.indicator
        FROM temp.fairness_cases AS c
        CROSS JOIN observations AS o INDEXED BY observations_case
        WHERE o.case_id = c.case_id AND o.status = 'current' AND o.observed_day <= :day_number
        GROUP BY c.case_id, o.indicator
    ) AS x
    JOIN temp.fairness_bits AS b ON b.indicator = x.indicator
    GROUP BY x.case_id
) AS m
WHERE f.case_id = m.case_id
"""

LATEST_SCORES_DAY_SQL = "SELECT max(as_of) AS day, count(*) AS cases FROM scores"
HISTORY_DAY_SQL = "SELECT count(*) AS cases FROM score_history WHERE day = :day"

# What is counted for every group: open cases, hotspots, the sum of scores, and how many of its
# cases have each practice gap (:gap_<code> its bit), match the review's pattern, and have each
# indicator recorded (:bit_<n>, its bit in the mask).
_COUNTED = """
count(*) AS cases, coalesce(sum(hotspot), 0) AS hotspots, total(score) AS score_sum,
sum((practice_gaps & :gap_no_domestic_abuse_enquiry) != 0) AS no_domestic_abuse_enquiry,
sum((practice_gaps & :gap_parental_childhood_not_explored) != 0)
    AS parental_childhood_not_explored,
sum((practice_gaps & :gap_visit_overdue) != 0) AS visit_overdue,
sum((practice_gaps & :gap_unallocated) != 0) AS unallocated,
sum(review_pattern) AS review_pattern
"""
_INDICATOR_COUNT = "sum((indicators & :bit_{n}) != 0) AS indicator_{n}"


def _counted(indicators: int) -> str:
    return ", ".join([_COUNTED, *(_INDICATOR_COUNT.format(n=n) for n in range(indicators))])


def cube_sql(indicators: int) -> str:
    """The counts per combination of the characteristics (``indicators`` mask bits)."""
    columns = ", ".join(CUBE_COLUMNS.values())
    return f"SELECT {columns}, {_counted(indicators)} FROM temp.fairness_cases GROUP BY {columns}"  # noqa: S608


def teams_sql(indicators: int) -> str:
    """The counts per team."""
    return f"SELECT team, {_counted(indicators)} FROM temp.fairness_cases GROUP BY team"  # noqa: S608


# Counted for every group as they are stored with the latest scores (None on a past day).
STORED_FLAGS = (*rules.GAP_CODES, "review_pattern")


def latest_scores_day(db: sqlite_utils.Database) -> tuple[str | None, int]:
    """(the latest day scores were stored for, how many open cases are scored)."""
    row = fetch_one(db, LATEST_SCORES_DAY_SQL, {})
    return row["day"], row["cases"]


def history_cases(db: sqlite_utils.Database, day: str) -> int:
    """How many cases have a score history row on ``day``."""
    return fetch_one(db, HISTORY_DAY_SQL, {"day": day})["cases"]


def group_figures(
    db: sqlite_utils.Database,
    *,
    day: str,
    day_number: int,
    from_history: bool,
    indicators: list[str],
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Every count the report needs, set-based: {"totals": {cases, hotspots, score_sum},
    "groups": {dimension: [{grp, cases, hotspots, score_sum, flags}]}, "everyone": flags},
    where flags are {indicator, gap or "review_pattern": how many cases have it} (gaps and the
    pattern only for the latest scores: they are stored with them). ``indicators``: the
    catalogue's codes, the first MAX_INDICATOR_BITS of which are counted. The temporary
    tables are dropped again before it returns. ``timings``, if given, receives the seconds
    each step took."""
    clock = Stopwatch(timings)
    counted = indicators[:MAX_INDICATOR_BITS]
    params = {
        "day": day,
        "day_number": day_number,
        "hotspot_band": rules.HOTSPOT_BAND,
        "ethnic_groups": json.dumps(
            {code: group for code, (_, group) in characteristics.ETHNICITIES.items()}
        ),
    }
    counts = {f"gap_{code}": bit for code, bit in rules.GAP_BITS.items()}
    counts |= {f"bit_{n}": 1 << n for n in range(len(counted))}
    for statement in schema.statements(CREATE_TABLES_SQL):
        db.execute(statement)
    try:
        db.conn.executemany(
            INSERT_BIT_SQL, [{"indicator": c, "bit": 1 << n} for n, c in enumerate(counted)]
        )
        db.execute(FILL_FROM_HISTORY_SQL if from_history else FILL_FROM_SCORES_SQL, params)
        clock.lap("each case's groups and score")
        db.execute(FILL_INDICATORS_SQL, params)
        clock.lap("each case's recorded indicators")
        cube = fetch_all(db, cube_sql(len(counted)), counts)
        teams = fetch_all(db, teams_sql(len(counted)), counts)
        clock.lap("counts per group")
    finally:
        for statement in schema.statements(DROP_TABLES_SQL):
            db.execute(statement)
    groups = {
        dimension: _add_up(cube, column, counted) for dimension, column in CUBE_COLUMNS.items()
    }
    groups["team"] = [_counts(row, row["team"], counted) for row in teams]
    everyone = _add_up(cube, None, counted)
    totals = everyone[0] if everyone else {"cases": 0, "hotspots": 0, "score_sum": 0.0, "flags": {}}
    return {
        "totals": {k: totals[k] for k in ("cases", "hotspots", "score_sum")},
        "groups": groups,
        "everyone": totals["flags"],
    }


def _counts(row: Mapping[str, Any], group: Any, indicators: list[str]) -> dict[str, Any]:
    flags = {code: row[f"indicator_{n}"] for n, code in enumerate(indicators)}
    flags |= {code: row[code] for code in STORED_FLAGS if row[code] is not None}
    return {
        "grp": group,
        "cases": row["cases"],
        "hotspots": row["hotspots"],
        "score_sum": row["score_sum"],
        "flags": flags,
    }


def _add_up(cube: list[dict], column: str | None, indicators: list[str]) -> list[dict[str, Any]]:
    """The cube's rows added up by one of its columns (None: all of them together)."""
    found: dict[Any, dict[str, Any]] = {}
    for row in cube:
        counts = _counts(row, row[column] if column else None, indicators)
        held = found.get(counts["grp"])
        if held is None:
            found[counts["grp"]] = counts
            continue
        for key in ("cases", "hotspots", "score_sum"):
            held[key] += counts[key]
        for code, n in counts["flags"].items():
            held["flags"][code] = held["flags"].get(code, 0) + n
    return list(found.values())


class NoFigures(Exception):
    """There are no scores to report on (the message says why and what to do)."""


def fairness_report(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The fairness report (``hotspots.model.fairness.build_report``) on what the service shows:
    the latest stored scores, or, for ``as_of`` a day before them, that day's score history
    (what the service showed then). Raises NoFigures when there is nothing to count."""
    latest, scored = latest_scores_day(db)
    if not scored:
        raise NoFigures("no open case has a score yet: run `hotspots score` first")
    if as_of is None or as_of.isoformat() >= latest:
        day, from_history = latest, False
        source = f"the latest scores, of {_long(latest)}"
    else:
        day, from_history = as_of.isoformat(), True
        if not history_cases(db, day):
            keep = settings["retention"]["score_history_days"]
            raise NoFigures(
                f"no scores are kept for {day}: the score history holds the days scores were "
                f"made on, for {keep} days ([retention] score_history_days)"
            )
        source = f"the scores the service showed on {_long(day)}"
    figures = group_figures(
        db,
        day=day,
        day_number=date.fromisoformat(day).toordinal() - _EPOCH,
        from_history=from_history,
        indicators=list(settings["scoring"]["indicators"]),
        timings=timings,
    )
    # The hotspot reviews of the year to the day (hotspots.storage.followup, the one definition).
    end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), tzinfo=UTC)
    figures["disagreement"] = followup.disagreement_by_contribution(
        db, stamp(end - timedelta(days=fairness.DISAGREEMENT_DAYS)), stamp(end)
    )
    return fairness.build_report(figures, settings, day=day, source=source)


_EPOCH = date(1970, 1, 1).toordinal()


def _long(day: str) -> str:
    found = date.fromisoformat(day[:10])
    return f"{found.day} {found:%B %Y}"
