"""The domain's rules, each defined once: what is *current*, which *practice gaps* a case has,
a score's *reasons*, its *trend*, whether a hotspot is *reviewed* or *awaits a review*, when a
child is *not seen on time*, what a *hotspot* is, and a case's *rank* in its caseload.

Pure functions over plain data (no Flask, no database, no clock). The scoring model, the web
pages, the digest and the CLI all call these; where the set-based rescore or a list page needs
a rule in SQL, its one SQL twin lives in ``hotspots.storage.rules`` and
``tests/test_rules.py`` checks that every user agrees case by case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

# A hotspot is a case in the red band.
HOTSPOT_BAND = "red"
# The kind of contribution that records a match with the review's pattern (hotspots.model.scoring).
PATTERN_KIND = "pattern"
# The words for each band, the same on every page and in every digest.
BAND_WORDS = {"red": "Hotspot", "amber": "Amber", "green": "Green"}
# A score's trend compares it with the score this many days earlier.
TREND_DAYS = 7
# Enquiry outcomes that count as the question asked (``unable_to_ask`` is still unasked).
ASKED_OUTCOMES = ("disclosed", "not_disclosed")
# The practice gaps, in the order they are explained, each with a bit for the stored mask
# (``scores.practice_gaps``) that the lists and the digest filter on.
GAP_CODES = (
    "no_domestic_abuse_enquiry",
    "parental_childhood_not_explored",
    "visit_overdue",
    "unallocated",
)
GAP_BITS = {code: 1 << n for n, code in enumerate(GAP_CODES)}


class _Observed(Protocol):
    indicator: str
    observed_on: date
    status: str


class _Asked(Protocol):
    topic: str
    asked_on: date
    outcome: str


def is_hotspot(band: str | None) -> bool:
    return band == HOTSPOT_BAND


def band_words(band: str | None) -> str:
    """ "Hotspot", "Amber", "Green", or "Not scored" for a case with no score yet."""
    return BAND_WORDS.get(band or "", "Not scored")


def counts_on(observation: _Observed, as_of: date) -> bool:
    """An observation counts towards a score on ``as_of``: still current (not resolved or
    refuted) and observed on or before that day."""
    return observation.status == "current" and observation.observed_on <= as_of


def is_current(observation: _Observed, half_life_days: int, as_of: date) -> bool:
    """A *current* concern: it counts, and it is no older than its indicator's half-life (still
    worth at least half its weight); an indicator that does not fade stays current."""
    if not counts_on(observation, as_of):
        return False
    return half_life_days <= 0 or (as_of - observation.observed_on).days <= half_life_days


def current_indicators(
    observations: Iterable[_Observed], catalogue: Mapping[str, Mapping[str, Any]], as_of: date
) -> set[str]:
    """The catalogue codes with a current observation on ``as_of``."""
    return {
        o.indicator
        for o in observations
        if o.indicator in catalogue
        and is_current(o, int(catalogue[o.indicator]["half_life_days"]), as_of)
    }


def asked(enquiries: Iterable[_Asked], topic: str, as_of: date) -> bool:
    """The question on ``topic`` was asked (an outcome other than unable_to_ask) by ``as_of``."""
    return any(
        e.topic == topic and e.asked_on <= as_of and e.outcome in ASKED_OUTCOMES for e in enquiries
    )


def domestic_abuse_enquiry_due(opened_on: date, gaps: Mapping[str, Any]) -> date:
    """The last day a domestic-abuse enquiry may be recorded before it is a practice gap."""
    return opened_on + timedelta(days=int(gaps["domestic_abuse_enquiry_due_days"]))


def next_visit_due(last_visit_on: date | None, opened_on: date, visit_every_days: int) -> date:
    """The day by which the next visit is due: the last visit (or the opening) plus the case's
    visit interval. A visit is overdue the day after."""
    return (last_visit_on or opened_on) + timedelta(days=visit_every_days)


def practice_gaps(
    *,
    opened_on: date,
    allocated: bool,
    visit_every_days: int,
    last_visit_on: date | None,
    enquiries: Iterable[_Asked],
    gaps: Mapping[str, Any],
    as_of: date,
) -> list[tuple[str, str]]:
    """The case's practice gaps on ``as_of`` as (code, detail), in GAP_CODES order:

    - no domestic-abuse enquiry asked once ``domestic_abuse_enquiry_due_days`` have passed
      since opening (on day 28 of 28 it is not yet a gap; on day 29 it is);
    - the parents' own childhood not explored (no such enquiry asked);
    - visit overdue: the day after the next visit was due;
    - unallocated: no worker holds the case.
    """
    enquiries = list(enquiries)
    found = []
    due = domestic_abuse_enquiry_due(opened_on, gaps)
    if as_of > due and not asked(enquiries, "domestic_abuse", as_of):
        found.append(("no_domestic_abuse_enquiry", f"none asked; it was due by {due.isoformat()}"))
    if not asked(enquiries, "parental_childhood", as_of):
        found.append(("parental_childhood_not_explored", "no parental-childhood enquiry recorded"))
    if next_visit_due(last_visit_on, opened_on, visit_every_days) < as_of:
        if last_visit_on is not None:
            detail = f"last visit {last_visit_on.isoformat()}, due every {visit_every_days} days"
        else:
            detail = f"no visit recorded since opening on {opened_on.isoformat()}"
        found.append(("visit_overdue", detail))
    if not allocated:
        found.append(("unallocated", "no allocated worker"))
    return found


def gap_mask(codes: Iterable[str]) -> int:
    mask = 0
    for code in codes:
        mask |= GAP_BITS[code]
    return mask


def gap_codes(mask: int | None) -> list[str]:
    return [code for code in GAP_CODES if (mask or 0) & GAP_BITS[code]]


def reasons(contributions: Iterable[Mapping[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """Why a case scores what it does: the ``limit`` contributions that add the most points,
    largest first, as {code, label, points}. A match with the review's pattern comes first
    whatever it adds (it is why the case is a hotspot). The child's age row only scales the
    indicators above it, and a contribution that lowers the score is no reason a case is hot:
    both are left out (they stay in the full breakdown)."""
    rows = [
        dict(c)
        for c in contributions
        if c.get("kind") == PATTERN_KIND or (c.get("kind") != "age" and c.get("points", 0) > 0)
    ]
    rows.sort(key=lambda c: (c.get("kind") != PATTERN_KIND, -c["points"], c.get("label", "")))
    return [
        {
            "code": c.get("code", ""),
            "label": c.get("label") or c.get("code", ""),
            "points": round(c["points"], 1),
        }
        for c in rows[:limit]
    ]


def reason_text(reason: Mapping[str, Any]) -> str:
    """``Domestic abuse … (+4.6)``; a reason that adds nothing (the review's pattern matched
    by a case already above the red line) is its words alone."""
    if not round(reason["points"], 1):
        return str(reason["label"])
    return f"{reason['label']} ({reason['points']:+.1f})"


def trend_day(as_of: date) -> date:
    """The day a score on ``as_of`` is compared with."""
    return as_of - timedelta(days=TREND_DAYS)


def trend(score: float | None, score_then: float | None) -> float | None:
    """The score minus the score on the trend day (the latest history row on or before it);
    None when either is unknown (a new case has no trend, it is *new*)."""
    if score is None or score_then is None:
        return None
    return score - score_then


def is_reviewed(last_reviewed_on: date | None, as_of: date, within_days: int) -> bool:
    """Reviewed: the latest review was made within the last ``within_days`` days (``[digest]
    unreviewed_after_days``), so a long-running hotspot is looked at again every so often."""
    return last_reviewed_on is not None and 0 <= (as_of - last_reviewed_on).days <= within_days


# What a review decides (reviews.decision): the score is advice, the person decides.
DECISIONS = {
    "act": "Agree: the case needs action now",
    "disagree": "Disagree with the score",
}
# The actions agreed at a review, by kind (actions.kind): what Rapid Safety Feedback's reviews
# agree most (safety planning, home visits, supervision) and the review's unasked questions.
# The words are what the digest shows, never the free-text description (it may hold names).
ACTION_KINDS = {
    "ask_domestic_abuse": "Ask about domestic abuse",
    "ask_parents_childhood": "Ask about the parents' own childhood",
    "visit_child": "Visit and see the child",
    "joint_visit_health_visitor": "Joint visit with the health visitor",
    "strategy_discussion": "Strategy discussion",
    "refer_marac": "Refer to MARAC (the domestic abuse risk conference)",
    "safety_plan": "Agree or update the safety plan",
    "supervision": "Discuss in supervision",
    "other": "Another action",
}
# How an action ends (actions.state): done, or not done, always with what happened.
ACTION_OUTCOMES = {"done": "Done", "not_done": "Not done"}


def actions_done_since_review(
    last_reviewed_at: str | None, last_action_closed_at: str | None
) -> bool:
    """An action was closed (done or not) after the latest review: what was agreed has run
    its course and the case is reviewed again. Both are stored UTC instants (``dates.stamp``),
    which compare as text."""
    if last_action_closed_at is None:
        return False
    return last_reviewed_at is None or last_action_closed_at > last_reviewed_at


def awaits_review(
    band: str | None,
    *,
    last_reviewed_on: date | None,
    open_actions: int,
    actions_done_since_review: bool,
    as_of: date,
    within_days: int,
) -> bool:
    """A hotspot awaits a review unless one is in hand: its agreed actions are still open (an
    action past its due date is flagged on its own), or it was reviewed within ``within_days``
    days and nothing agreed then has closed since. So a case stops needing a review when its
    actions are done and it is reviewed again, or when it is no longer a hotspot. Only the
    case's own records count: never how long the service has held its scores."""
    if not is_hotspot(band) or open_actions > 0:
        return False
    if actions_done_since_review:
        return True
    return not is_reviewed(last_reviewed_on, as_of, within_days)


def visit_overdue_days(
    last_visit_on: date | None, opened_on: date, visit_every_days: int, as_of: date
) -> int:
    """How many days ago the child should have been seen (the next visit's due day, from the
    last visit where the child was seen, or the opening): 0 when not yet overdue."""
    return max(0, (as_of - next_visit_due(last_visit_on, opened_on, visit_every_days)).days)


def is_action_overdue(state: str, due_on: date, as_of: date) -> bool:
    """An open action is past its due date the day after it was due."""
    return state == "open" and due_on < as_of


def caseload_ranks(scores: Iterable[tuple[int, int | None, float]]) -> dict[int, int | None]:
    """Each scored case's rank in its worker's caseload, from (case_id, worker_id, score)
    rows: 1 for the highest score, ties ranked by the lower case id first; None for an
    unallocated case (no caseload ranks it)."""
    ranks: dict[int, int | None] = {}
    caseloads: dict[int, list[tuple[float, int]]] = {}
    for case_id, worker_id, score in scores:
        if worker_id is None:
            ranks[case_id] = None
        else:
            caseloads.setdefault(worker_id, []).append((score, case_id))
    for caseload in caseloads.values():
        for rank, (_score, case_id) in enumerate(sorted(caseload, key=_rank_key), start=1):
            ranks[case_id] = rank
    return ranks


def _rank_key(scored: tuple[float, int]) -> tuple[float, int]:
    score, case_id = scored
    return (-score, case_id)
