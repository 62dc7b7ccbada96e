"""SQL for the fairness report (``hotspots.fairness``): set-based, a few statements over every
open case, so a 400,000-case authority's report takes seconds (bench/bench_fairness.py).

One temporary table holds each scored case once with everything the report groups by (team,
sex, ethnicity's major group, disability, age band) and what it counts (hotspot, score, the
stored practice gaps and review-pattern match); a second the indicators recorded on each of
those cases. Every figure is then a GROUP BY over them. This is the one place that joins a
case's score to its characteristics; nothing that makes a score reads them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlite_utils

from hotspots import characteristics, fairness, rules
from hotspots.storage import fetch_all, fetch_one, schema

# The columns of temp.fairness_cases the report groups by, by dimension (hotspots.fairness).
# Only these names are ever formatted into a statement, never a value.
GROUPED_BY = {
    "sex": "sex",
    "age": "age_band",
    "ethnicity": "ethnic_group",
    "disability": "disability",
    "team": "team",
}

CREATE_TABLES_SQL = """
DROP TABLE IF EXISTS temp.fairness_cases;
DROP TABLE IF EXISTS temp.fairness_indicators;
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
    review_pattern INTEGER
);
CREATE TEMP TABLE fairness_indicators (
    case_id INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    PRIMARY KEY (case_id, indicator)
) WITHOUT ROWID;
"""
DROP_TABLES_SQL = """
DROP TABLE IF EXISTS temp.fairness_cases;
DROP TABLE IF EXISTS temp.fairness_indicators;
"""


# A child's age band on :day (the SQL twin of hotspots.characteristics.age_band, for a case
# aliased c): an unborn child is under 1.
def _age_years(day: str) -> str:
    return f"""
(CAST(substr({day}, 1, 4) AS INTEGER) - CAST(substr(c.date_of_birth, 1, 4) AS INTEGER)
    - (substr({day}, 6, 5) < substr(c.date_of_birth, 6, 5)))
"""


_YEARS = _age_years(":day")
AGE_BAND = f"""
(CASE WHEN c.birth_status != 'born' THEN 'under_1'
      WHEN {_YEARS} < 1 THEN 'under_1'
      WHEN {_YEARS} < 5 THEN '1_to_4'
      WHEN {_YEARS} < 10 THEN '5_to_9'
      WHEN {_YEARS} < 16 THEN '10_to_15'
      ELSE '16_plus' END)
"""  # noqa: S608 (constant fragments, no values)

# The major group of a case's ethnicity code (k aliased), from :ethnic_groups, a JSON object
# of code -> group (hotspots.characteristics.ETHNICITIES).
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
# it; hotspots.rules.counts_on), read from the covering index observations_case, case by case.
FILL_INDICATORS_SQL = """
INSERT INTO temp.fairness_indicators (case_id, indicator)
SELECT f.case_id, o.indicator
FROM temp.fairness_cases AS f
CROSS JOIN observations AS o INDEXED BY observations_case
WHERE o.case_id = f.case_id AND o.status = 'current' AND o.observed_day <= :day_number
GROUP BY f.case_id, o.indicator
"""

LATEST_SCORES_DAY_SQL = "SELECT max(as_of) AS day, count(*) AS cases FROM scores"
HISTORY_DAY_SQL = "SELECT count(*) AS cases FROM score_history WHERE day = :day"

TOTALS_SQL = """
SELECT count(*) AS cases, coalesce(sum(hotspot), 0) AS hotspots, total(score) AS score_sum
FROM temp.fairness_cases
"""

# Per group of one dimension: open cases, hotspots, the sum of scores, and how many have each
# practice gap (:gap_<code> its bit) and match the review's pattern.
_GROUPS_SQL = """
SELECT {column} AS grp, count(*) AS cases, sum(hotspot) AS hotspots, total(score) AS score_sum,
       sum(practice_gaps & :gap_no_domestic_abuse_enquiry > 0) AS no_domestic_abuse_enquiry,
       sum(practice_gaps & :gap_parental_childhood_not_explored > 0)
           AS parental_childhood_not_explored,
       sum(practice_gaps & :gap_visit_overdue > 0) AS visit_overdue,
       sum(practice_gaps & :gap_unallocated > 0) AS unallocated,
       sum(review_pattern) AS review_pattern
FROM temp.fairness_cases GROUP BY {column}
"""
GROUPS_SQL = {dimension: _GROUPS_SQL.format(column=c) for dimension, c in GROUPED_BY.items()}

_GROUP_INDICATORS_SQL = """
SELECT f.{column} AS grp, i.indicator, count(*) AS cases
FROM temp.fairness_indicators AS i JOIN temp.fairness_cases AS f ON f.case_id = i.case_id
GROUP BY f.{column}, i.indicator
"""
GROUP_INDICATORS_SQL = {
    dimension: _GROUP_INDICATORS_SQL.format(column=c) for dimension, c in GROUPED_BY.items()
}
# The same over everyone (for "everyone else": all minus the group).
INDICATOR_TOTALS_SQL = """
SELECT indicator, count(*) AS cases FROM temp.fairness_indicators GROUP BY indicator
"""
GAP_TOTALS_SQL = """
SELECT sum(practice_gaps & :gap_no_domestic_abuse_enquiry > 0) AS no_domestic_abuse_enquiry,
       sum(practice_gaps & :gap_parental_childhood_not_explored > 0)
           AS parental_childhood_not_explored,
       sum(practice_gaps & :gap_visit_overdue > 0) AS visit_overdue,
       sum(practice_gaps & :gap_unallocated > 0) AS unallocated,
       sum(review_pattern) AS review_pattern
FROM temp.fairness_cases
"""

# Stored with the latest scores only: counted for the groups when the report reads them.
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
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Every figure the report needs, counted set-based: {"totals", "groups": {dimension:
    [rows]}, "indicators": {dimension: [rows]}, "indicator_totals": {code: cases},
    "stored_totals": {gap or review_pattern: cases} or None on a past day}. The temporary
    tables are dropped again before it returns. ``timings``, if given, receives the seconds
    each step took."""
    clock = _Laps(timings)
    params = {
        "day": day,
        "day_number": day_number,
        "hotspot_band": rules.HOTSPOT_BAND,
        "ethnic_groups": json.dumps(
            {code: group for code, (_, group) in characteristics.ETHNICITIES.items()}
        ),
    }
    gap_bits = {f"gap_{code}": bit for code, bit in rules.GAP_BITS.items()}
    for statement in schema.statements(CREATE_TABLES_SQL):
        db.execute(statement)
    try:
        db.execute(FILL_FROM_HISTORY_SQL if from_history else FILL_FROM_SCORES_SQL, params)
        clock.lap("each case's groups and score")
        db.execute(FILL_INDICATORS_SQL, params)
        clock.lap("each case's recorded indicators")
        figures = {
            "totals": fetch_one(db, TOTALS_SQL, {}),
            "groups": {d: fetch_all(db, sql, gap_bits) for d, sql in GROUPS_SQL.items()},
            "indicators": {d: fetch_all(db, sql, {}) for d, sql in GROUP_INDICATORS_SQL.items()},
            "indicator_totals": {
                r["indicator"]: r["cases"] for r in fetch_all(db, INDICATOR_TOTALS_SQL, {})
            },
            "stored_totals": None if from_history else fetch_one(db, GAP_TOTALS_SQL, gap_bits),
        }
        clock.lap("counts per group")
    finally:
        for statement in schema.statements(DROP_TABLES_SQL):
            db.execute(statement)
    return figures


class _Laps:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[step] = now - self.last
            self.last = now


class NoFigures(Exception):
    """There are no scores to report on (the message says why and what to do)."""


def fairness_report(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """The fairness report (``hotspots.fairness.build_report``) on what the service shows:
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
    )
    return fairness.build_report(figures, settings, day=day, source=source)


_EPOCH = date(1970, 1, 1).toordinal()


def _long(day: str) -> str:
    found = date.fromisoformat(day[:10])
    return f"{found.day} {found:%B %Y}"
