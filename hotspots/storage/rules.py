"""The SQL twins of the rules in ``hotspots.rules``, for the lists and the digest that filter
or sort on a rule in the database. Each is a constant fragment over fixed aliases (``c`` the
case, ``s`` its scores row) and named parameters; ``tests/test_rules.py`` checks each against
its pure function case by case. Only these fragments, never values, are formatted into SQL.
"""

from datetime import date, timedelta

from hotspots import rules

# The score on the trend day (:trend_day, hotspots.rules.trend_day): the latest history row on
# or before it. The trend is the score minus this (hotspots.rules.trend).
SCORE_THEN = """
(SELECT h.score FROM score_history AS h
 WHERE h.case_id = c.id AND h.day <= :trend_day ORDER BY h.day DESC LIMIT 1)
"""

# The first day of the case's current unbroken run of red days up to :today
# (hotspots.rules.red_since), or the score's own day when history does not show it.
RED_SINCE = f"""
coalesce(
    (SELECT min(h.day) FROM score_history AS h
     WHERE h.case_id = c.id AND h.band = '{rules.HOTSPOT_BAND}' AND h.day <= :today
       AND h.day > coalesce(
           (SELECT max(n.day) FROM score_history AS n
            WHERE n.case_id = c.id AND n.band <> '{rules.HOTSPOT_BAND}' AND n.day <= :today),
           '')),
    s.as_of)
"""  # noqa: S608 (a constant, no values)

# The day of the case's latest review on or before :today. (Reviews marked as entered in
# error are kept but are no reviews: every rule reads the view valid_reviews, migration m061.)
LAST_REVIEWED_ON = """
(SELECT max(substr(v.reviewed_at, 1, 10)) FROM valid_reviews AS v
 WHERE v.case_id = c.id AND substr(v.reviewed_at, 1, 10) <= :today)
"""

# Reviewed (hotspots.rules.is_reviewed): a review on or after :reviewed_since (today minus
# [digest] unreviewed_after_days) and on or before :today.
REVIEWED = """
EXISTS (SELECT 1 FROM valid_reviews AS v
        WHERE v.case_id = c.id AND substr(v.reviewed_at, 1, 10) >= :reviewed_since
          AND substr(v.reviewed_at, 1, 10) <= :today)
"""

# A hotspot (hotspots.rules.is_hotspot).
HOTSPOT = f"s.band = '{rules.HOTSPOT_BAND}'"

# A hotspot left unreviewed (hotspots.rules.is_unreviewed_hotspot): red since before
# :red_before (today minus N days) and not reviewed within the last N days.
UNREVIEWED_HOTSPOT = f"""
({HOTSPOT} AND {RED_SINCE} < :red_before AND NOT {REVIEWED})
"""


# The case's rank in its worker's caseload (hotspots.rules.caseload_ranks): NULL when the
# score is unallocated, else 1 + the caseload's scores ranked above it (a higher score, or
# the same score and a lower case id). Worked out when read, never stored: each count reads
# one range of the index scores_worker (worker_id, score, case_id), so a rank costs a walk
# over the cases above it in one caseload, and nothing on a rescore.
RANK = """
(CASE WHEN s.worker_id IS NULL THEN NULL ELSE 1
    + (SELECT count(*) FROM scores AS above INDEXED BY scores_worker
       WHERE above.worker_id = s.worker_id AND above.score > s.score)
    + (SELECT count(*) FROM scores AS above INDEXED BY scores_worker
       WHERE above.worker_id = s.worker_id AND above.score = s.score
         AND above.case_id < s.case_id)
END)
"""

# Rank order within one caseload: ordering its scores by this numbers them as RANK does.
RANK_ORDER = "s.score DESC, s.case_id"


def gap(code: str) -> str:
    """The case has the practice gap ``code`` (hotspots.rules.practice_gaps), as stored with
    its score in ``scores.practice_gaps``."""
    return f"(coalesce(s.practice_gaps, 0) & {rules.GAP_BITS[code]})"


def parameters(today: date, within_days: int) -> dict[str, str]:
    """The named parameters the fragments take, for ``today`` and ``[digest]
    unreviewed_after_days``."""
    since = (today - timedelta(days=within_days)).isoformat()
    return {
        "today": today.isoformat(),
        "trend_day": rules.trend_day(today).isoformat(),
        "reviewed_since": since,
        "red_before": since,
    }
