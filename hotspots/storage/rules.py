"""The SQL twins of the rules in ``hotspots.model.rules``, for the lists and the digest that filter
or sort on a rule in the database. Each is a constant fragment over fixed aliases (``c`` the
case, ``s`` its scores row) and named parameters; ``tests/test_rules.py`` checks each against
its pure function case by case. Only these fragments, never values, are formatted into SQL.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from hotspots.base.dates import stamp
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

# The child not seen on time (hotspots.model.rules.visit_overdue_days > 0, the visit gap of
# hotspots.model.rules.practice_gaps): the next visit was due (the last visit where the child was
# seen, or the opening, plus the case's visit interval) before :as_of_day, in day numbers
# (days since 1970-01-01; parameters() gives it for :today).
VISIT_OVERDUE = """
(unixepoch(coalesce(c.last_visit_on, c.opened_on)) / 86400 + c.visit_every_days < :as_of_day)
"""

# The case's practice gaps on :as_of_day as a mask (the bits of hotspots.model.rules.GAP_BITS):
# the one SQL twin of hotspots.model.rules.practice_gaps, for the whole-authority rescore, which
# stores it in scores.practice_gaps (read back by gap()). c is the case, a what was asked of
# it by then (columns domestic_abuse and parental_childhood, NULL when nothing was).
PRACTICE_GAPS = f"""
(CASE WHEN :as_of_day > unixepoch(c.opened_on) / 86400 + :domestic_abuse_enquiry_due_days
        AND coalesce(a.domestic_abuse, 0) = 0 THEN :gap_no_domestic_abuse_enquiry ELSE 0 END
 | CASE WHEN coalesce(a.parental_childhood, 0) = 0
        THEN :gap_parental_childhood_not_explored ELSE 0 END
 | CASE WHEN {VISIT_OVERDUE} THEN :gap_visit_overdue ELSE 0 END
 | CASE WHEN c.worker_id IS NULL THEN :gap_unallocated ELSE 0 END)
"""

# The band of the score s.score (hotspots.model.scoring.band_for): red from :red_threshold, amber
# from :amber_threshold, green below. band_parameters() gives the two numbers.
BAND = """
(CASE WHEN s.score >= :red_threshold THEN 'red'
      WHEN s.score >= :amber_threshold THEN 'amber' ELSE 'green' END)
"""

# A digest's claim whose lease has run out (hotspots.model.digest.lease_has_run_out): claimed
# before :stale_before, that is now minus the lease (lease_parameters()). d is the digests
# row. Instants compare as stored text (hotspots.base.dates.stamp: UTC, to the microsecond).
LEASE_RUN_OUT = "d.claimed_at < :stale_before"

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
        "as_of_day": day_number(today),
        "trend_day": rules.trend_day(today).isoformat(),
        "reviewed_since": (today - timedelta(days=within_days)).isoformat(),
    }


def day_number(day: date) -> int:
    """Days since 1970-01-01: the day numbers the fragments compare (``unixepoch(d) / 86400``,
    ``observations.observed_day``)."""
    return (day - date(1970, 1, 1)).days


def practice_gap_parameters(model: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """The named parameters PRACTICE_GAPS takes, for ``[scoring]`` and ``as_of``."""
    gaps = model["practice_gaps"]
    params: dict[str, Any] = {
        "as_of_day": day_number(as_of),
        "domestic_abuse_enquiry_due_days": int(gaps["domestic_abuse_enquiry_due_days"]),
    }
    for code in rules.GAP_CODES:
        params[f"gap_{code}"] = rules.GAP_BITS[code]
    return params


def band_parameters(model: Mapping[str, Any]) -> dict[str, float]:
    """The named parameters BAND takes, from ``[scoring]``."""
    return {
        "red_threshold": float(model["red_threshold"]),
        "amber_threshold": float(model["amber_threshold"]),
    }


def lease_parameters(now: datetime, lease: timedelta) -> dict[str, str]:
    """The named parameter LEASE_RUN_OUT takes, for ``now`` and ``[digest]
    claim_lease_minutes``."""
    return {"stale_before": stamp(now - lease)}
