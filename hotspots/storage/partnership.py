"""SQL for the partnership's figures over the whole authority: the review's table from live
data, the practice the review found missing by team and month, and the load on the
workforce. Set-based, one statement per figure, so each takes seconds at 400,000 cases
(docs/benchmarks.md).

Functions are named for what they return; ``hotspots.services.partnership.report`` calls them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlite_utils

from hotspots.model import rules
from hotspots.storage import fetch_all, fetch_one

# --- the review's table ------------------------------------------------------------------

# Open cases of children under the age asked (born after :born_after, see ``born_after``),
# and how many of them matched the review's pattern on their scoring day (scores.review_pattern,
# stored by the rescore with the rule in hotspots.model.scoring).
YOUNG_CASES_SQL = """
SELECT count(*) AS cases, coalesce(sum(s.review_pattern), 0) AS pattern,
       count(s.case_id) AS scored, min(s.as_of) AS scored_from, max(s.as_of) AS scored_to
FROM cases AS c LEFT JOIN scores AS s ON s.case_id = c.id
WHERE c.status = 'open' AND c.date_of_birth > :born_after
"""

# How many of those cases have each of the review's features recorded on :as_of_day: a
# current observation (not resolved or refuted) dated on or before it, however old, as the
# pattern rule counts them (hotspots.model.rules.counts_on). Read from the covering index.
YOUNG_FEATURES_SQL = """
SELECT o.indicator, count(DISTINCT o.case_id) AS cases
FROM cases AS c
CROSS JOIN observations AS o INDEXED BY observations_case
WHERE c.status = 'open' AND c.date_of_birth > :born_after
  AND o.case_id = c.id
  AND o.indicator IN (SELECT value FROM json_each(:features))
  AND o.status = 'current' AND o.observed_day <= :as_of_day
GROUP BY o.indicator
"""

# --- practice ----------------------------------------------------------------------------

# For each team and each month's last day (:end_0 … :end_N-1, ascending; the month still
# running ends on the report's day): the cases open that day that had been open longer than
# the domestic-abuse enquiry is due in ([scoring.practice_gaps] domestic_abuse_enquiry_due_days,
# hotspots.model.rules.domestic_abuse_enquiry_due), and how many of them had the domestic-abuse
# question asked, and the parents' childhood explored, by then (an outcome in :asked, as
# hotspots.model.rules.asked). A closed case counts up to its closing day; one closed with no
# closing day is left out (when it closed is not known).
#
# Each case is read once: its days become positions among the month ends ({first}: the first
# month end after the enquiry was due, {stop}: the first on or after it closed, {da} and
# {pc}: the first on or after each question was asked), and the cases are counted by team
# and positions; ``practice`` adds them up month by month. (Joining every case to every
# month took twice as long at 400,000 cases.)
PRACTICE_SQL = """
WITH asked AS MATERIALIZED (
    SELECT case_id,
           min(CASE WHEN topic = 'domestic_abuse' THEN asked_on END) AS domestic_abuse,
           min(CASE WHEN topic = 'parental_childhood' THEN asked_on END) AS parental_childhood
    FROM valid_enquiries
    WHERE outcome IN (SELECT value FROM json_each(:asked))
    GROUP BY case_id
),
counted AS MATERIALIZED (
    SELECT c.team_id, date(c.opened_on, :due_days) AS due, c.closed_on,
           a.domestic_abuse, a.parental_childhood
    FROM cases AS c LEFT JOIN asked AS a ON a.case_id = c.id
    WHERE c.status = 'open' OR c.closed_on IS NOT NULL
),
spans AS MATERIALIZED (
    SELECT team_id, {first} AS first,
           CASE WHEN closed_on IS NULL THEN :months ELSE {stop} END AS stop,
           CASE WHEN domestic_abuse IS NULL THEN :months ELSE {da} END AS da,
           CASE WHEN parental_childhood IS NULL THEN :months ELSE {pc} END AS pc
    FROM counted
)
SELECT team_id, first, stop, max(first, da) AS da, max(first, pc) AS pc, count(*) AS cases
FROM spans WHERE first < stop
GROUP BY 1, 2, 3, 4, 5
"""


def _ends_before(column: str, months: int, *, on_or_before: bool) -> str:
    """SQL for how many of the month ends :end_0 … are before ``column`` (or on or before
    it): a CASE over the ascending ends, so an old day is decided by the first test. Only
    column and parameter names are formatted in; every value is a bound parameter."""
    test = "<" if on_or_before else "<="
    whens = " ".join(f"WHEN {column} {test} :end_{n} THEN {n}" for n in range(months))
    return f"CASE {whens} ELSE :months END"


def practice_sql(months: int) -> str:
    """PRACTICE_SQL for ``months`` month ends."""
    return (
        PRACTICE_SQL.replace("{first}", _ends_before("due", months, on_or_before=True))
        .replace("{stop}", _ends_before("closed_on", months, on_or_before=False))
        .replace("{da}", _ends_before("domestic_abuse", months, on_or_before=False))
        .replace("{pc}", _ends_before("parental_childhood", months, on_or_before=False))
    )


TEAMS_SQL = "SELECT id, name FROM teams ORDER BY name"

# --- the workforce -----------------------------------------------------------------------

# Everyone who can hold a caseload, and anyone else holding open cases (a disabled leaver's
# cases stay with them until reallocated), with their team.
CASELOAD_HOLDERS_SQL = """
SELECT st.id, st.name, st.role, st.team_id, t.name AS team_name, st.disabled_at
FROM staff AS st LEFT JOIN teams AS t ON t.id = st.team_id
WHERE (st.role IN ('worker', 'manager') AND st.disabled_at IS NULL)
   OR st.id IN (SELECT worker_id FROM cases WHERE status = 'open' AND worker_id IS NOT NULL)
ORDER BY st.id
"""

# Open cases by team and worker (NULL: unallocated), in one pass over the cases.
OPEN_CASES_SQL = """
SELECT team_id, worker_id, count(*) AS cases FROM cases
WHERE status = 'open'
GROUP BY team_id, worker_id
"""

# The hotspots held now (the stored ranking's band, hotspots.model.rules.HOTSPOT_BAND), by the
# case's team and the caseload it is in, in one pass over the scores.
HOTSPOTS_SQL = """
SELECT c.team_id, s.worker_id, count(*) AS hotspots
FROM scores AS s JOIN cases AS c ON c.id = s.case_id
WHERE s.band = :hotspot
GROUP BY c.team_id, s.worker_id
"""

# For each worker and each of the weeks up to :as_of (week 0 is the seven days ending on it,
# week 1 the seven before, and so on), the most hotspots they held on any one day, from the
# score history's red rows (each says whose caseload the case was in that day: m122).
HOTSPOT_WEEKS_SQL = """
SELECT worker_id, CAST(julianday(:as_of) - julianday(day) AS INTEGER) / 7 AS week,
       max(hotspots) AS most
FROM (
    SELECT day, worker_id, count(*) AS hotspots
    FROM score_history INDEXED BY score_history_red
    WHERE band = 'red' AND day > :since AND day <= :as_of AND worker_id IS NOT NULL
    GROUP BY day, worker_id
)
GROUP BY worker_id, week
"""

# The first day the kept score history holds a hotspot (read from the red rows' index): how
# far back the weeks can be counted.
FIRST_HOTSPOT_DAY_SQL = "SELECT min(day) AS day FROM score_history WHERE band = 'red'"


def born_after(as_of: date, under_years: int) -> str:
    """The date of birth after which a child is under ``under_years`` on ``as_of``, as text
    to compare with ``cases.date_of_birth`` (hotspots.base.dates.age_in_years < under_years
    exactly: the same month and day ``under_years`` years earlier, even 29 February)."""
    return f"{as_of.year - under_years:04d}-{as_of.month:02d}-{as_of.day:02d}"


def young_cases(db: sqlite_utils.Database, as_of: date, under_years: int) -> dict[str, Any]:
    """How many open cases are of children under ``under_years``, how many of them matched
    the review's pattern when last scored, how many are scored and the days they were."""
    return fetch_one(db, YOUNG_CASES_SQL, {"born_after": born_after(as_of, under_years)})


def young_features(
    db: sqlite_utils.Database, as_of: date, under_years: int, features: Sequence[str]
) -> dict[str, int]:
    """For each of ``features``, how many open cases of children under ``under_years`` have
    it recorded on ``as_of``."""
    params = {
        "born_after": born_after(as_of, under_years),
        "features": json.dumps(list(features)),
        "as_of_day": (as_of - date(1970, 1, 1)).days,
    }
    found = {row["indicator"]: row["cases"] for row in fetch_all(db, YOUNG_FEATURES_SQL, params)}
    return {code: found.get(code, 0) for code in features}


def practice(
    db: sqlite_utils.Database, month_ends: Iterable[date], due_days: int
) -> list[dict[str, Any]]:
    """Per team and month's last day with any such case: cases open longer than
    ``due_days`` days, and how many had the domestic-abuse question asked and the parents'
    childhood explored by then."""
    ends = sorted(month_ends)
    params: dict[str, Any] = {f"end_{n}": day.isoformat() for n, day in enumerate(ends)}
    params |= {
        "months": len(ends),
        "due_days": f"+{int(due_days)} days",
        "asked": json.dumps(list(rules.ASKED_OUTCOMES)),
    }
    # Counted from position to position: +n where a span starts, −n where it stops.
    changes: dict[int, list[list[int]]] = {}
    for row in fetch_all(db, practice_sql(len(ends)), params):
        counts = changes.setdefault(row["team_id"], [[0] * (len(ends) + 1) for _ in range(3)])
        for kind, start in enumerate((row["first"], row["da"], row["pc"])):
            if start < row["stop"]:
                counts[kind][start] += row["cases"]
                counts[kind][row["stop"]] -= row["cases"]
    found = []
    for team_id, counts in changes.items():
        running = [0, 0, 0]
        for n, day in enumerate(ends):
            running = [total + counts[kind][n] for kind, total in enumerate(running)]
            if running[0]:
                found.append(
                    {
                        "team_id": team_id,
                        "month_end": day.isoformat(),
                        "cases": running[0],
                        "domestic_abuse": running[1],
                        "parental_childhood": running[2],
                    }
                )
    return found


def teams(db: sqlite_utils.Database) -> dict[int, str]:
    """Every team's name by id."""
    return {row["id"]: row["name"] for row in fetch_all(db, TEAMS_SQL, {})}


def caseload_holders(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Workers and managers (and anyone else holding open cases), with their team."""
    return fetch_all(db, CASELOAD_HOLDERS_SQL, {})


def open_cases(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Open cases counted by team and worker (``worker_id`` None: unallocated)."""
    return fetch_all(db, OPEN_CASES_SQL, {})


def hotspots(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The hotspots held now, counted by the case's team and the caseload it is in."""
    return fetch_all(db, HOTSPOTS_SQL, {"hotspot": rules.HOTSPOT_BAND})


def hotspot_weeks(db: sqlite_utils.Database, as_of: date, weeks: int) -> dict[int, dict[int, int]]:
    """For each worker, {week: the most hotspots they held on one day of it} over the
    ``weeks`` weeks ending on ``as_of`` (week 0 the latest); weeks without a hotspot are
    absent."""
    since = date.fromordinal(as_of.toordinal() - 7 * weeks)
    params = {"as_of": as_of.isoformat(), "since": since.isoformat()}
    found: dict[int, dict[int, int]] = {}
    for row in fetch_all(db, HOTSPOT_WEEKS_SQL, params):
        found.setdefault(row["worker_id"], {})[row["week"]] = row["most"]
    return found


def first_hotspot_day(db: sqlite_utils.Database) -> date | None:
    """The first day the score history holds a hotspot, or None."""
    row = fetch_one(db, FIRST_HOTSPOT_DAY_SQL, {})
    return date.fromisoformat(row["day"]) if row and row["day"] else None
