"""The SQL twins of the rules in ``hotspots.model.rules``, for the lists and the digest that filter
or sort on a rule in the database. Each is a constant fragment over fixed aliases (``c`` the
case, ``s`` its scores row) and named parameters; ``tests/test_rules.py`` checks each against
its pure function case by case. Only these fragments, never values, are formatted into SQL.
"""

from datetime import date, timedelta

from hotspots.model import rules

# The score on the trend day (:trend_day, hotspots.model.rules.trend_day): the latest history row on
# or before it. The trend is the score minus this (hotspots.model.rules.trend).
SCORE_THEN = """
(SELECT h.score FROM score_history AS h
 WHERE h.case_id = c.id AND h.day <= :trend_day ORDER BY h.day DESC LIMIT 1)
"""

# The day of the case's latest review on or before :today. (Reviews marked as entered in
# error are kept but are no reviews: every rule reads the view valid_reviews, migration m061.)
LAST_REVIEWED_ON = """
(SELECT max(substr(v.reviewed_at, 1, 10)) FROM valid_reviews AS v
 WHERE v.case_id = c.id AND substr(v.reviewed_at, 1, 10) <= :today)
"""

# Reviewed (hotspots.model.rules.is_reviewed): a review on or after :reviewed_since (today minus
# [digest] unreviewed_after_days) and on or before :today.
REVIEWED = """
EXISTS (SELECT 1 FROM valid_reviews AS v
        WHERE v.case_id = c.id AND substr(v.reviewed_at, 1, 10) >= :reviewed_since
          AND substr(v.reviewed_at, 1, 10) <= :today)
"""

# A hotspot (hotspots.model.rules.is_hotspot).
HOTSPOT = f"s.band = '{rules.HOTSPOT_BAND}'"

# The child not seen on time (hotspots.model.rules.visit_overdue_days > 0): the day after the next
# visit was due (the last visit where the child was seen, or the opening, plus the case's
# visit interval), from the case's own records on :today.
VISIT_OVERDUE = """
(date(coalesce(c.last_visit_on, c.opened_on), '+' || c.visit_every_days || ' days') < :today)
"""

# The case's open actions (hotspots.model.rules.awaits_review: a review in hand).
OPEN_ACTIONS = """
(SELECT count(*) FROM actions AS a WHERE a.case_id = c.id AND a.state = 'open')
"""

# The day the case's soonest open action is due, or NULL.
NEXT_ACTION_DUE = """
(SELECT min(a.due_on) FROM actions AS a WHERE a.case_id = c.id AND a.state = 'open')
"""

# When the case's latest action was closed, done or not (a UTC instant), or NULL.
LAST_ACTION_CLOSED_AT = """
(SELECT max(a.closed_at) FROM actions AS a WHERE a.case_id = c.id AND a.state <> 'open')
"""

# The case's latest review, as a UTC instant (hotspots.model.rules.actions_done_since_review).
LAST_REVIEWED_AT = """
(SELECT max(v.reviewed_at) FROM valid_reviews AS v WHERE v.case_id = c.id)
"""

# A hotspot awaiting a review (hotspots.model.rules.awaits_review): no action of it open, and an
# action closed since its latest review or no review within the last N days.
AWAITING_REVIEW = f"""
({HOTSPOT} AND {OPEN_ACTIONS} = 0
 AND (coalesce({LAST_ACTION_CLOSED_AT} > coalesce({LAST_REVIEWED_AT}, ''), 0)
      OR NOT {REVIEWED}))
"""  # noqa: S608 (constant fragments, no values)


# The case's rank in its worker's caseload (hotspots.model.rules.caseload_ranks): NULL when the
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
    """The case has the practice gap ``code`` (hotspots.model.rules.practice_gaps), as stored with
    its score in ``scores.practice_gaps``."""
    return f"(coalesce(s.practice_gaps, 0) & {rules.GAP_BITS[code]})"


def parameters(today: date, within_days: int) -> dict[str, str]:
    """The named parameters the fragments take, for ``today`` and ``[digest]
    unreviewed_after_days``."""
    return {
        "today": today.isoformat(),
        "trend_day": rules.trend_day(today).isoformat(),
        "reviewed_since": (today - timedelta(days=within_days)).isoformat(),
    }
