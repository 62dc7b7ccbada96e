"""SQL for scoring: the whole-authority rescore (set-based, through temporary tables), one
case's facts and its score row, history, trends and caseload reads. Ranks are not stored:
they are worked out when read (``hotspots.storage.rules.RANK``).

Day numbers are days since 1970-01-01 (``unixepoch(date) / 86400``), the same numbers as
``observations.observed_day``. A decay factor is ``exp(:ln_half_per_day × age_days)`` with
``ln_half_per_day = ln(0.5) / half_life_days`` (0 when the indicator does not fade), which
equals the model's ``0.5^(age / half-life)``.
"""

from collections.abc import Iterable

import sqlite_utils

from hotspots.model import rules
from hotspots.storage import rules as rule_sql

# The trend day of a score's own day, when no day is asked for.
_OWN_TREND_DAY = f"coalesce(:trend_day, date(s.as_of, '-{rules.TREND_DAYS} days'))"

# --- whole-authority rescore -------------------------------------------------------------

# The scratch tables the kept sums are worked out with, private to the connection: the
# catalogue as the statements read it, and the cases whose sums a run works out again.
CREATE_SUMS_TABLES_SQL = """
CREATE TEMP TABLE IF NOT EXISTS rescore_indicators (
    indicator TEXT PRIMARY KEY,
    half_life_days INTEGER NOT NULL,
    ln_half_per_day REAL NOT NULL,
    weight REAL NOT NULL,
    current_since_day INTEGER NOT NULL,
    bit INTEGER NOT NULL,
    derived INTEGER NOT NULL,
    pattern_feature INTEGER NOT NULL,
    pattern_core INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_sums_cases (
    case_id INTEGER PRIMARY KEY
);
"""
CLEAR_INDICATORS_SQL = "DELETE FROM temp.rescore_indicators"

# Scratch tables, private to the connection; emptied at the start and end of every run.
CREATE_RESCORE_TABLES_SQL = (
    CREATE_SUMS_TABLES_SQL
    + """
CREATE TEMP TABLE IF NOT EXISTS rescore_combinations (
    combination TEXT PRIMARY KEY,
    mask INTEGER NOT NULL,
    points REAL NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_totals (
    case_id INTEGER PRIMARY KEY,
    indicator_points REAL NOT NULL,
    current_mask INTEGER NOT NULL,
    current_concerns INTEGER NOT NULL,
    pattern_features INTEGER NOT NULL,
    pattern_core INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_agencies (
    case_id INTEGER PRIMARY KEY,
    agencies INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_asked (
    case_id INTEGER PRIMARY KEY,
    domestic_abuse INTEGER NOT NULL,
    parental_childhood INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_adjusted (
    case_id INTEGER PRIMARY KEY,
    points REAL NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_scores (
    case_id INTEGER PRIMARY KEY,
    worker_id INTEGER,
    score REAL NOT NULL,
    practice_gaps INTEGER NOT NULL,
    current_concerns INTEGER NOT NULL,
    review_pattern INTEGER NOT NULL
);
CREATE TEMP TABLE IF NOT EXISTS rescore_derived (
    case_id INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    observed_day INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS temp.rescore_derived_indicator
    ON rescore_derived (indicator, case_id, observed_day);
CREATE INDEX IF NOT EXISTS temp.rescore_derived_case ON rescore_derived (case_id, indicator);
"""
)
CLEAR_RESCORE_TABLES_SQL = """
DELETE FROM temp.rescore_combinations;
DELETE FROM temp.rescore_totals;
DELETE FROM temp.rescore_indicators;
DELETE FROM temp.rescore_sums_cases;
DELETE FROM temp.rescore_agencies;
DELETE FROM temp.rescore_asked;
DELETE FROM temp.rescore_adjusted;
DELETE FROM temp.rescore_scores;
DELETE FROM temp.rescore_derived;
"""

# A combination and the bits (one per part indicator) that must all be current.
INSERT_COMBINATION_SQL = """
INSERT INTO temp.rescore_combinations (combination, mask, points)
VALUES (:combination, :mask, :points)
"""


# A child's whole years of age on a day (hotspots.base.dates.age_in_years), for a case row aliased c
# and a day given as SQL text ('YYYY-MM-DD').
def age_years_on(day: str) -> str:
    return f"""
(CAST(substr({day}, 1, 4) AS INTEGER) - CAST(substr(c.date_of_birth, 1, 4) AS INTEGER)
    - (substr({day}, 6, 5) < substr(c.date_of_birth, 6, 5)))
"""


# A child's whole years of age on :as_of.
_AGE_YEARS = age_years_on(":as_of")

# The observations one [scoring.derived] rule works out
# (hotspots.model.scoring.derived_observations):
# each current observation of :from dated on or before the scoring day that is at least the
# :at_least-th within :within_days days ending on its day (same-day ones included), when the
# child was under :child_under_years on that day; a condition set to 0 does not apply.
INSERT_DERIVED_SQL = f"""
INSERT INTO temp.rescore_derived (case_id, indicator, observed_day, source)
SELECT o.case_id, :derived, o.observed_day, o.source
FROM (
    SELECT
        case_id, observed_on, observed_day, source,
        count(*) OVER (
            PARTITION BY case_id ORDER BY observed_day
            RANGE BETWEEN :within_preceding PRECEDING AND CURRENT ROW
        ) AS within
    FROM observations
    WHERE indicator = :from AND status = 'current' AND observed_day <= :as_of_day
) AS o
JOIN cases AS c ON c.id = o.case_id
WHERE (:at_least = 0 OR o.within >= :at_least)
  AND (:child_under_years = 0 OR {age_years_on("o.observed_on")} < :child_under_years)
"""  # noqa: S608 (a constant fragment, no values)

# Each indicator's points per case, one part per catalogue indicator, so its weight and
# decay rate are parameters (":weight_3") rather than a join per row: each part reads one
# contiguous range of the observations_scoring index in case order. A part's points are
# weight × min(repeat_cap, strongest + repeat_fraction × (sum − strongest)); the strongest is
# the latest (one half-life per indicator), so its decay comes from max(observed_day). An
# indicator seen within its half-life contributes its bit (for the combinations). A part exists
# for a case only when the indicator has counting rows, so it also says whether the indicator
# is one of the review pattern's features recorded on the case (and a core one).
INDICATOR_PART_SQL = """
SELECT
    case_id,
    :weight_{n} * min(
        :repeat_cap,
        exp(:ln_half_per_day_{n} * (:as_of_day - max(observed_day)))
        + :repeat_fraction * (
            sum(exp(:ln_half_per_day_{n} * (:as_of_day - observed_day)))
            - exp(:ln_half_per_day_{n} * (:as_of_day - max(observed_day)))
        )
    ) AS points,
    CASE WHEN max(observed_day) >= :current_since_day_{n} THEN :bit_{n} ELSE 0 END AS bit,
    max(observed_day) >= :current_since_day_{n} AS is_current,
    :pattern_feature_{n} AS pattern_feature,
    :pattern_core_{n} AS pattern_core
FROM ({rows})
GROUP BY case_id
"""
# An indicator's counting rows: one contiguous range of the covering index.
INDICATOR_ROWS_SQL = """
SELECT case_id, observed_day FROM observations INDEXED BY observations_scoring
WHERE indicator = :indicator_{n} AND status = 'current' AND observed_day <= :as_of_day
"""
# A derived indicator's rows: any recorded directly (before it was derived), and the derived.
DERIVED_ROWS_SQL = (
    INDICATOR_ROWS_SQL
    + """UNION ALL
SELECT case_id, observed_day FROM temp.rescore_derived WHERE indicator = :indicator_{n}
"""
)

# Per case: the indicator points, the bits of its current indicators (each indicator
# gives one row per case with its own bit, so the sum is their bitwise OR) and how many
# indicators are current (hotspots.model.rules.is_current), and how many of the review pattern's
# features (and core features) are recorded. One statement over all the parts sorts their rows
# once, in memory, instead of storing them first.
INSERT_TOTALS_SQL = """
INSERT INTO temp.rescore_totals
    (case_id, indicator_points, current_mask, current_concerns, pattern_features, pattern_core)
SELECT case_id, sum(points), sum(bit), sum(is_current), sum(pattern_feature), sum(pattern_core)
FROM ({parts}) GROUP BY case_id
"""


def insert_totals_sql(indicators: int, derived: frozenset[int] = frozenset()) -> str:
    """INSERT_TOTALS_SQL over ``indicators`` parts, parameters numbered 0 to indicators − 1;
    the parts numbered in ``derived`` also read temp.rescore_derived (only parameter names are
    formatted in; every value stays a bound parameter)."""
    return INSERT_TOTALS_SQL.replace("{parts}", _parts(range(indicators), derived))


def _parts(numbers: Iterable[int], derived: frozenset[int]) -> str:
    return " UNION ALL ".join(
        INDICATOR_PART_SQL.replace(
            "{rows}", DERIVED_ROWS_SQL if n in derived else INDICATOR_ROWS_SQL
        ).replace("{n}", str(n))
        for n in numbers
    )


# --- the same totals from the kept sums (indicator_sums, migration m081) ------------------

# Which marked cases' sums a run works out again: every one (the whole-authority rescore) or
# those among a few it rescores (:case_ids, a JSON array: the sweep, a page, the API).
TAKE_ALL_MARKED_SUMS_SQL = """
INSERT INTO temp.rescore_sums_cases (case_id) SELECT case_id FROM indicator_sums_stale
"""
ANY_MARKED_SUMS_AMONG_SQL = """
SELECT EXISTS (
    SELECT 1 FROM indicator_sums_stale WHERE case_id IN (SELECT value FROM json_each(:case_ids))
)
"""
TAKE_MARKED_SUMS_AMONG_SQL = """
INSERT INTO temp.rescore_sums_cases (case_id)
SELECT case_id FROM indicator_sums_stale
WHERE case_id IN (SELECT value FROM json_each(:case_ids))
"""
# Those cases' sums worked out again from their current observations, in one pass over the
# covering index observations_case (which yields them in case and indicator order, so
# nothing is sorted), and their agency days in another; then exactly their marks go. Run
# inside the rescore's write transaction, so no mark can be made in between.
#
# One pass cannot know a group's latest day before it has read the group, so the decay
# factors are summed from :anchor_day (the scoring day) and divided by the latest one's:
# sum(e^(r(A - d))) / e^(r(A - last_day)) = sum(e^(r(last_day - d))), exact to rounding
# while the latest is within 600 natural-log units of the anchor (about 865 half-lives:
# centuries at the catalogue's half-lives), where no term can overflow and one that
# underflows is worth less than 1e-40 of the latest. A group further away (a half-life of a
# day or two, a record dated years ahead) gets -1 and is then summed from its own latest
# day, one group at a time.
REFRESH_SUMS_SQL = """
DELETE FROM indicator_sums WHERE case_id IN (SELECT case_id FROM temp.rescore_sums_cases);
INSERT INTO indicator_sums (case_id, indicator, last_day, decay_sum)
SELECT
    k.case_id, o.indicator, max(o.observed_day),
    CASE WHEN abs(i.ln_half_per_day * (:anchor_day - max(o.observed_day))) <= 600
        THEN sum(exp(i.ln_half_per_day * (:anchor_day - o.observed_day)))
             / exp(i.ln_half_per_day * (:anchor_day - max(o.observed_day)))
        ELSE -1 END
FROM temp.rescore_sums_cases AS k
CROSS JOIN observations AS o INDEXED BY observations_case
CROSS JOIN temp.rescore_indicators AS i
WHERE o.case_id = k.case_id AND o.status = 'current' AND i.indicator = o.indicator
GROUP BY k.case_id, o.indicator;
DELETE FROM agency_days WHERE case_id IN (SELECT case_id FROM temp.rescore_sums_cases);
INSERT INTO agency_days (case_id, source, current_until)
SELECT k.case_id, o.source, max(
    CASE WHEN i.half_life_days = 0 THEN 9223372036854775807
         ELSE o.observed_day + i.half_life_days END
)
FROM temp.rescore_sums_cases AS k
CROSS JOIN observations AS o INDEXED BY observations_case
CROSS JOIN temp.rescore_indicators AS i
WHERE o.case_id = k.case_id AND o.status = 'current' AND i.indicator = o.indicator
GROUP BY k.case_id, o.source;
UPDATE indicator_sums AS s SET decay_sum = (
    SELECT total(exp(i.ln_half_per_day * (s.last_day - o.observed_day)))
    FROM observations AS o INDEXED BY observations_case
    CROSS JOIN temp.rescore_indicators AS i
    WHERE o.case_id = s.case_id AND o.indicator = s.indicator AND o.status = 'current'
      AND i.indicator = o.indicator
)
WHERE s.decay_sum < 0 AND s.case_id IN (SELECT case_id FROM temp.rescore_sums_cases);
DELETE FROM indicator_sums_stale WHERE case_id IN (SELECT case_id FROM temp.rescore_sums_cases);
DELETE FROM temp.rescore_sums_cases;
"""
COUNT_STALE_SUMS_SQL = "SELECT count(*) FROM indicator_sums_stale"
# The half-lives the kept sums were worked out with.
SELECT_SUMS_HALF_LIVES_SQL = "SELECT indicator, half_life_days FROM indicator_sums_half_lives"
# When the catalogue's half-lives are not those the sums were worked out with, every sum is
# in doubt: all go, every case is marked, and the half-lives now in use are recorded.
RESET_SUMS_SQL = """
DELETE FROM indicator_sums;
DELETE FROM agency_days;
INSERT OR IGNORE INTO indicator_sums_stale (case_id) SELECT id FROM cases;
DELETE FROM indicator_sums_half_lives;
INSERT INTO indicator_sums_half_lives (indicator, half_life_days)
SELECT indicator, half_life_days FROM temp.rescore_indicators;
"""
# The latest day any sum starts from: the sums give a scoring day's points only when no
# current observation is dated after it (otherwise the run reads the observations).
LATEST_SUM_DAY_SQL = "SELECT max(last_day) FROM indicator_sums"

# INSERT_TOTALS_SQL's totals for every indicator the model does not work out, read from the
# kept sums, in case order (no sort): with E = the decay from last_day to the scoring day,
# the strongest observation is worth E and the sum of all of them E × decay_sum, so an
# indicator's points are weight × min(repeat_cap, E × (1 + repeat_fraction × (decay_sum − 1))),
# INDICATOR_PART_SQL's arithmetic. CROSS JOIN keeps the sums as the outer loop.
INSERT_TOTALS_FROM_SUMS_SQL = """
INSERT INTO temp.rescore_totals
    (case_id, indicator_points, current_mask, current_concerns, pattern_features, pattern_core)
SELECT
    s.case_id,
    sum(i.weight * min(
        :repeat_cap,
        exp(i.ln_half_per_day * (:as_of_day - s.last_day))
        * (1 + :repeat_fraction * (s.decay_sum - 1))
    )),
    sum(CASE WHEN s.last_day >= i.current_since_day THEN i.bit ELSE 0 END),
    sum(s.last_day >= i.current_since_day),
    sum(i.pattern_feature),
    sum(i.pattern_core)
FROM indicator_sums AS s
CROSS JOIN temp.rescore_indicators AS i
WHERE i.indicator = s.indicator AND NOT i.derived
GROUP BY s.case_id
"""
# ...and the indicators the model works out ([scoring.derived]), from their rows as
# INSERT_TOTALS_SQL reads them, added to each case's totals (each indicator appears in one of
# the two statements only, so adding the bits is still their bitwise OR).
UPSERT_DERIVED_TOTALS_SQL = """
INSERT INTO temp.rescore_totals
    (case_id, indicator_points, current_mask, current_concerns, pattern_features, pattern_core)
SELECT case_id, sum(points), sum(bit), sum(is_current), sum(pattern_feature), sum(pattern_core)
FROM ({parts}) GROUP BY case_id
ON CONFLICT (case_id) DO UPDATE SET
    indicator_points = indicator_points + excluded.indicator_points,
    current_mask = current_mask + excluded.current_mask,
    current_concerns = current_concerns + excluded.current_concerns,
    pattern_features = pattern_features + excluded.pattern_features,
    pattern_core = pattern_core + excluded.pattern_core
"""


def upsert_derived_totals_sql(derived: frozenset[int]) -> str:
    """UPSERT_DERIVED_TOTALS_SQL over the parts numbered in ``derived`` (parameters numbered as
    insert_totals_sql's)."""
    return UPSERT_DERIVED_TOTALS_SQL.replace("{parts}", _parts(sorted(derived), derived))


# The catalogue as the run's statements read it: each indicator's half-life, decay rate per
# day, weight, first day it counts as current (hotspots.model.rules.is_current), combination bit,
# and
# whether the model works it out ([scoring.derived]), and whether it is one of the review
# pattern's features (and a core one: [scoring.review_pattern]).
INSERT_INDICATOR_SQL = """
INSERT INTO temp.rescore_indicators
    (indicator, half_life_days, ln_half_per_day, weight, current_since_day, bit, derived,
     pattern_feature, pattern_core)
VALUES
    (:indicator, :half_life_days, :ln_half_per_day, :weight, :current_since_day, :bit, :derived,
     :pattern_feature, :pattern_core)
"""

# A case's current observations' agencies (for a row aliased t), read from the covering index
# observations_case (no table rows).
_RECORDED_AGENCIES = """
SELECT o.source
FROM observations AS o INDEXED BY observations_case
JOIN temp.rescore_indicators AS h ON h.indicator = o.indicator
WHERE o.case_id = t.case_id AND o.status = 'current' AND o.observed_day <= :as_of_day
  AND (h.half_life_days = 0 OR o.observed_day >= :as_of_day - h.half_life_days)
"""
# ...and those of its current derived observations (temp.rescore_derived).
_DERIVED_AGENCIES = """
SELECT d.source
FROM temp.rescore_derived AS d
JOIN temp.rescore_indicators AS h ON h.indicator = d.indicator
WHERE d.case_id = t.case_id
  AND (h.half_life_days = 0 OR d.observed_day >= :as_of_day - h.half_life_days)
"""

# ...and, from the kept sums, its agency days (agency_days) still current on the day.
_KEPT_AGENCIES = """
SELECT 1 FROM agency_days AS a
WHERE a.case_id = t.case_id AND a.current_until >= :as_of_day
LIMIT :min_agencies
"""

# How many agencies (up to :min_agencies, all the rule asks) reported the current observations
# of each case the accumulation rule could apply to (a young child with enough current
# concerns). The read of a case's distinct agencies stops at the :min_agencies-th: most such
# cases show two agencies within their first few rows, so this reads a fraction of their
# observations. A UNION would read every row, so the derived observations' agencies are added
# only for the few cases that have any; the other cases' agencies come from their observations
# or, when the run uses the kept sums, from the kept agency days.
_INSERT_AGENCIES_SQL = f"""
INSERT INTO temp.rescore_agencies (case_id, agencies)
SELECT t.case_id, CASE
    WHEN EXISTS (SELECT 1 FROM temp.rescore_derived AS x WHERE x.case_id = t.case_id)
    THEN (
        SELECT count(*) FROM ({_RECORDED_AGENCIES} UNION {_DERIVED_AGENCIES}
                              LIMIT :min_agencies)
    )
    ELSE (SELECT count(*) FROM ({{others}}))
END
FROM temp.rescore_totals AS t
CROSS JOIN cases AS c
WHERE t.current_concerns >= :min_concerns
  AND c.id = t.case_id AND c.status = 'open' AND {_AGE_YEARS} <= :max_age_years
"""  # noqa: S608 (constant fragments, no values)
INSERT_AGENCIES_SQL = _INSERT_AGENCIES_SQL.replace(
    "{others}",
    f"SELECT DISTINCT * FROM ({_RECORDED_AGENCIES}) LIMIT :min_agencies",  # noqa: S608
)
INSERT_AGENCIES_FROM_SUMS_SQL = _INSERT_AGENCIES_SQL.replace("{others}", _KEPT_AGENCIES)

# Which screening questions have been asked (an outcome other than unable_to_ask) by as_of.
INSERT_ASKED_SQL = """
INSERT INTO temp.rescore_asked (case_id, domestic_abuse, parental_childhood)
SELECT case_id, max(topic = 'domestic_abuse'), max(topic = 'parental_childhood')
FROM valid_enquiries
WHERE asked_on <= :as_of AND outcome IN ('disclosed', 'not_disclosed')
GROUP BY case_id
"""

# Adjustments in force on as_of: made on or before it, expiring on or after it.
INSERT_ADJUSTED_SQL = """
INSERT INTO temp.rescore_adjusted (case_id, points)
SELECT case_id, sum(points)
FROM adjustments
WHERE expires_on >= :as_of AND substr(made_at, 1, 10) <= :as_of
GROUP BY case_id
"""

# The score of every open case: indicators × age multiplier, combinations, accumulation,
# practice gaps, raised to :red_threshold when the case matches the review's pattern, then
# adjustments — the same arithmetic as hotspots.model.scoring.score_case. Each case's facts are
# MATERIALIZED first: inlined into the sum, the practice-gaps expression (with its two date
# parses) would be worked out again for each of the five places that read it.
INSERT_SCORES_SQL = f"""
WITH per_case AS MATERIALIZED (
    SELECT
        c.id AS case_id,
        c.worker_id,
        coalesce(t.indicator_points, 0) AS indicator_points,
        CASE
            WHEN {_AGE_YEARS} < 1 THEN :age_multiplier_under_1
            WHEN {_AGE_YEARS} <= 3 THEN :age_multiplier_1_to_3
            ELSE :age_multiplier_older
        END AS age_multiplier,
        coalesce((
            SELECT total(m.points) FROM temp.rescore_combinations AS m
            WHERE t.current_mask & m.mask = m.mask
        ), 0) AS combination_points,
        CASE WHEN g.case_id IS NOT NULL AND g.agencies >= :min_agencies
            THEN :points_per_concern * t.current_concerns ELSE 0 END AS accumulation_points,
        {rule_sql.PRACTICE_GAPS} AS gaps,
        coalesce(t.current_concerns, 0) AS current_concerns,
        (:pattern_min_features > 0 AND {_AGE_YEARS} <= :pattern_max_age_years
         AND coalesce(t.pattern_features, 0) >= :pattern_min_features
         AND coalesce(t.pattern_core, 0) > 0) AS review_pattern,
        coalesce(j.points, 0) AS adjusted
    FROM cases AS c
    LEFT JOIN temp.rescore_totals AS t ON t.case_id = c.id
    LEFT JOIN temp.rescore_agencies AS g ON g.case_id = c.id
    LEFT JOIN temp.rescore_asked AS a ON a.case_id = c.id
    LEFT JOIN temp.rescore_adjusted AS j ON j.case_id = c.id
    WHERE c.status = 'open'
)
INSERT INTO temp.rescore_scores
    (case_id, worker_id, score, practice_gaps, current_concerns, review_pattern)
SELECT
    case_id, worker_id,
    CASE WHEN review_pattern AND points_so_far < :red_threshold
        THEN :red_threshold ELSE points_so_far END
    + adjusted,
    gaps,
    current_concerns,
    review_pattern
FROM (
    SELECT
        *,
        indicator_points * age_multiplier + combination_points + accumulation_points
        + (CASE WHEN gaps & :gap_no_domestic_abuse_enquiry
                THEN :no_domestic_abuse_enquiry ELSE 0 END)
        + (CASE WHEN gaps & :gap_parental_childhood_not_explored
                THEN :parental_childhood_not_explored ELSE 0 END)
        + (CASE WHEN gaps & :gap_visit_overdue THEN :visit_overdue ELSE 0 END)
        + (CASE WHEN gaps & :gap_unallocated THEN :unallocated ELSE 0 END) AS points_so_far
    FROM per_case
)
"""  # noqa: S608 (constant fragments, no values)

# Closed cases leave the ranking: their scores row goes (their history stays).
DELETE_ALL_SCORES_SQL = "DELETE FROM scores"
COUNT_RESCORED_SQL = "SELECT count(*) FROM temp.rescore_scores"
SELECT_SCRATCH_SCORES_SQL = "SELECT worker_id, score FROM temp.rescore_scores"

# Written in case order (appending to the table rather than inserting at random).
INSERT_ALL_SCORES_SQL = f"""
INSERT INTO scores
    (case_id, as_of, score, band, worker_id, contributions, model_version, computed_at,
     practice_gaps, current_concerns, review_pattern)
SELECT
    s.case_id,
    :as_of,
    s.score,
    {rule_sql.BAND},
    s.worker_id,
    '[]',
    :model_version,
    :computed_at,
    s.practice_gaps,
    s.current_concerns,
    s.review_pattern
FROM temp.rescore_scores AS s
ORDER BY s.case_id
"""  # noqa: S608 (constant fragments, no values)

# Every history row says whose caseload the case was in that day (m122).
UPSERT_ALL_HISTORY_SQL = """
INSERT INTO score_history (case_id, day, score, band, model_version, worker_id)
SELECT case_id, as_of, score, band, model_version, worker_id FROM scores WHERE true
ON CONFLICT (case_id, day) DO UPDATE SET
    score = excluded.score, band = excluded.band, model_version = excluded.model_version,
    worker_id = excluded.worker_id
"""

# A past day's rescore writes only that day's history, straight from the scratch table:
# today's ranking stays as it is. A day already held keeps whose caseload the case was in
# then (the case may have moved since).
UPSERT_HISTORY_FROM_RESCORE_SQL = f"""
INSERT INTO score_history (case_id, day, score, band, model_version, worker_id)
SELECT s.case_id, :as_of, s.score, {rule_sql.BAND}, :model_version, s.worker_id
FROM temp.rescore_scores AS s WHERE true
ON CONFLICT (case_id, day) DO UPDATE SET
    score = excluded.score, band = excluded.band, model_version = excluded.model_version,
    worker_id = coalesce(score_history.worker_id, excluded.worker_id)
"""  # noqa: S608 (constant fragments, no values)

# Every open case's facts, in case order, for storing explanations after a full rescore.
SELECT_OPEN_CASES_SQL = """
SELECT id, case_ref, date_of_birth, opened_on, worker_id, visit_every_days, last_visit_on,
       status
FROM cases WHERE status = 'open' ORDER BY id
"""
SELECT_OPEN_OBSERVATIONS_SQL = """
SELECT o.case_id, o.id, o.indicator, o.observed_on, o.status, o.source
FROM observations AS o JOIN cases AS c ON c.id = o.case_id
WHERE c.status = 'open'
"""
SELECT_OPEN_ENQUIRIES_SQL = """
SELECT e.case_id, e.topic, e.asked_on, e.outcome
FROM valid_enquiries AS e JOIN cases AS c ON c.id = e.case_id
WHERE c.status = 'open'
"""
SELECT_OPEN_ADJUSTMENTS_SQL = """
SELECT a.case_id, a.id, a.points, a.reason, a.expires_on, substr(a.made_at, 1, 10) AS made_on
FROM adjustments AS a JOIN cases AS c ON c.id = a.case_id
WHERE c.status = 'open'
"""
UPDATE_CONTRIBUTIONS_SQL = """
UPDATE scores SET contributions = :contributions WHERE case_id = :case_id
"""

COUNT_BANDS_SQL = "SELECT band, count(*) FROM scores GROUP BY band"
COUNT_HISTORY_BANDS_SQL = "SELECT band, count(*) FROM score_history WHERE day = :day GROUP BY band"
SELECT_SCORES_SQL = "SELECT score FROM scores"

# --- one case ----------------------------------------------------------------------------

SELECT_CASE_SQL = """
SELECT id, case_ref, date_of_birth, opened_on, worker_id, visit_every_days, last_visit_on,
       status
FROM cases WHERE id = :case_id
"""
SELECT_CASE_OBSERVATIONS_SQL = """
SELECT case_id, id, indicator, observed_on, status, source
FROM observations WHERE case_id = :case_id
"""
SELECT_CASE_ENQUIRIES_SQL = """
SELECT topic, asked_on, outcome FROM valid_enquiries WHERE case_id = :case_id
"""
SELECT_CASE_ADJUSTMENTS_SQL = """
SELECT id, points, reason, expires_on, substr(made_at, 1, 10) AS made_on
FROM adjustments WHERE case_id = :case_id
"""
# What feeds the scores of many cases at once (:case_ids is a JSON array), read in one
# statement per table: for rescoring a batch of cases, and for explaining scores stored
# without their contributions. The cases' rows as SELECT_CASE_SQL reads one (status
# included: a closed case leaves the ranking), and every observation whatever its status, as
# SELECT_CASE_OBSERVATIONS_SQL: the model decides what counts.
SELECT_CASES_FOR_FACTS_SQL = """
SELECT id, case_ref, date_of_birth, opened_on, worker_id, visit_every_days, last_visit_on,
       status
FROM cases WHERE id IN (SELECT value FROM json_each(:case_ids))
"""
SELECT_CASES_OBSERVATIONS_SQL = """
SELECT case_id, id, indicator, observed_on, status, source FROM observations
WHERE case_id IN (SELECT value FROM json_each(:case_ids))
"""
SELECT_CASES_ENQUIRIES_SQL = """
SELECT case_id, topic, asked_on, outcome FROM valid_enquiries
WHERE case_id IN (SELECT value FROM json_each(:case_ids))
"""
SELECT_CASES_ADJUSTMENTS_SQL = """
SELECT case_id, id, points, reason, expires_on, substr(made_at, 1, 10) AS made_on
FROM adjustments
WHERE case_id IN (SELECT value FROM json_each(:case_ids))
"""
# A case's scores row with its rank in its caseload.
SELECT_SCORE_SQL = f"""
SELECT s.*, {rule_sql.RANK} AS rank FROM scores AS s WHERE s.case_id = :case_id
"""  # noqa: S608 (a constant fragment, no values)

UPSERT_SCORE_SQL = """
INSERT INTO scores
    (case_id, as_of, score, band, worker_id, contributions, model_version, computed_at,
     practice_gaps, current_concerns, review_pattern)
VALUES
    (:case_id, :as_of, :score, :band, :worker_id, :contributions, :model_version,
     :computed_at, :practice_gaps, :current_concerns, :review_pattern)
ON CONFLICT (case_id) DO UPDATE SET
    as_of = excluded.as_of, score = excluded.score, band = excluded.band,
    worker_id = excluded.worker_id, contributions = excluded.contributions,
    model_version = excluded.model_version, computed_at = excluded.computed_at,
    practice_gaps = excluded.practice_gaps, current_concerns = excluded.current_concerns,
    review_pattern = excluded.review_pattern
"""
DELETE_SCORE_SQL = "DELETE FROM scores WHERE case_id = :case_id"

UPSERT_HISTORY_SQL = """
INSERT INTO score_history (case_id, day, score, band, model_version, worker_id)
VALUES (:case_id, :day, :score, :band, :model_version, :worker_id)
ON CONFLICT (case_id, day) DO UPDATE SET
    score = excluded.score, band = excluded.band, model_version = excluded.model_version,
    worker_id = excluded.worker_id
"""

# --- the sweep ---------------------------------------------------------------------------

# Changes whenever another connection commits to the database (SQLite's own counter, per
# connection): the same value twice means nothing was written by anyone else in between.
DATA_VERSION_SQL = "PRAGMA data_version"

# Cases marked by the schema's triggers since they were last scored (the marks are made in
# the writers' transactions, so nothing depends on comparing clocks).
SELECT_MARKED_CASES_SQL = "SELECT case_id FROM rescore_queue ORDER BY case_id"
COUNT_MARKED_CASES_SQL = "SELECT count(*) FROM rescore_queue"
# Rescoring a case consumes its mark (in the rescore's transaction).
CLEAR_MARK_SQL = "DELETE FROM rescore_queue WHERE case_id = :case_id"
# A whole-authority rescore consumes every mark: it holds the write lock from reading to
# committing, so no mark can be made in between.
CLEAR_ALL_MARKS_SQL = "DELETE FROM rescore_queue"
# The model version and day of the stored ranking, written by every whole-authority rescore.
SELECT_SCORING_STATE_SQL = "SELECT model_version, as_of, computed_at FROM scoring_state"
UPSERT_SCORING_STATE_SQL = """
INSERT INTO scoring_state (id, model_version, as_of, computed_at)
VALUES (1, :model_version, :as_of, :computed_at)
ON CONFLICT (id) DO UPDATE SET
    model_version = excluded.model_version, as_of = excluded.as_of,
    computed_at = excluded.computed_at
"""

# --- reading scores ----------------------------------------------------------------------

SELECT_STAFF_BY_EMAIL_SQL = "SELECT id, email, name, role FROM staff WHERE email = :email"

# A worker's ranked caseload in rank order, each case's rank worked out here, with the score
# on the trend day (hotspots.model.rules.trend_day of :as_of, or of the score's own day when
# :trend_day is NULL).
SELECT_CASELOAD_SQL = f"""
SELECT
    s.case_id, c.case_ref, c.initials, {rule_sql.RANK} AS rank, s.score, s.band, s.as_of,
    s.contributions, s.model_version, s.computed_at, s.practice_gaps,
    {rule_sql.SCORE_THEN.replace(":trend_day", _OWN_TREND_DAY)} AS score_then
FROM scores AS s JOIN cases AS c ON c.id = s.case_id
WHERE s.worker_id = :worker_id
ORDER BY {rule_sql.RANK_ORDER}
"""  # noqa: S608 (constant fragments, no values)

# The score now and on the trend day (:trend_day).
SELECT_TREND_SQL = f"""
SELECT s.score, {rule_sql.SCORE_THEN} AS score_then
FROM scores AS s JOIN cases AS c ON c.id = s.case_id WHERE s.case_id = :case_id
"""  # noqa: S608

# One case's daily scores for the days from :since to :as_of (for a sparkline).
SELECT_SERIES_SQL = """
SELECT day, score FROM score_history
WHERE case_id = :case_id AND day BETWEEN :since AND :as_of
ORDER BY day
"""


def caseload_scores(db: sqlite_utils.Database) -> list[tuple[int | None, float]]:
    """Every stored score with the caseload it is in: (worker id or None, score)."""
    return [(row[0], row[1]) for row in db.execute("SELECT worker_id, score FROM scores")]
