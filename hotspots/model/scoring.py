"""The scoring model: a transparent weighted sum a worker can check by hand.

Pure functions over plain data: no Flask, no database, no clock (``as_of`` is an argument).
``settings["scoring"]`` (config.toml's ``[scoring]``) supplies every number.

A case's score is the sum of its **contributions**, each a named row with a weight, a decay
factor and points:

- ``indicator`` — one row per indicator code with current observations dated on or before
  ``as_of``. One observation's points are ``weight × 0.5^(age_days / half_life_days)``
  (half-life 0: no fade). Several observations of the same indicator: the strongest (the most
  recent) counts in full and each repeat adds ``repeat_fraction`` of its own points, up to
  ``repeat_cap`` times the weight in all, so the row is
  ``weight × min(repeat_cap, strongest + repeat_fraction × (sum − strongest))`` over the decay
  factors (the cap keeps a case with fifty police call-outs from drowning out everything).
  Resolved and refuted observations count nothing; observations dated after ``as_of`` are
  ignored.
- ``derived`` indicators (``[scoring.derived]``) are worked out by the model from the case's
  own observations, never sent or recorded: a current observation of a rule's ``from``
  indicator counts as well as an observation of the derived indicator (same day, agency and
  id) when it is at least the ``at_least``-th current ``from`` observation within
  ``within_days`` days ending on its day (same-day observations included), and the child was
  under ``child_under_years`` on its day (a condition set to 0 does not apply; ``from = ""``
  switches the rule off). Three low-graded police notices within three months are an
  escalating concern; an attendance at unscheduled care of a child under 2 is a possible
  injury. From there a derived observation counts like any other, in every row below.
- ``age`` — the child's age multiplies the indicator points. So that the score stays the sum
  of its rows, the multiplier is its own row worth ``(multiplier − 1) × the indicator rows'
  points`` (under 1 year ×1.5, 1 to 3 years inclusive ×1.25, older ×1 and no row).
  Combinations, practice gaps and adjustments are not multiplied.
- ``combination`` — the toxic trio (domestic abuse, substance misuse, parental mental health)
  and parental conflict with a new partner, when every part is *current*
  (``hotspots.model.rules.is_current``: a current observation no older than its half-life).
- ``accumulation`` — several moderate concerns from different agencies around a very young
  child, the review's pattern: for a child aged ``max_age_years`` or under, when at least
  ``min_concerns`` distinct indicators are current and the current observations come from at
  least ``min_agencies`` agencies, ``points_per_concern`` for each current indicator
  (``[scoring.accumulation]``). Not multiplied by age (it is already about the youngest).
- ``pattern`` — the pattern the review found, as a rule (``[scoring.review_pattern]``): a
  child aged ``max_age_years`` or under (an unborn child included) with at least
  ``min_features`` of the review's ``features`` recorded (counting observations, however
  old), one of them a ``core_features`` one, is a hotspot whatever its points: the row raises
  the score so far (every row above and the practice gaps) to ``red_threshold``, and is worth
  0 when the score is there already. It is shown whenever the case matches, so the case page
  and the digest say "matches the pattern the review found". Adjustments come after it: a
  practitioner who disagrees can still lower the score, with a reason.
- ``practice_gap`` — the rules in ``hotspots.model.rules.practice_gaps``: no domestic-abuse enquiry
  asked once ``domestic_abuse_enquiry_due_days`` have passed since opening; the parents'
  childhood not explored; visit overdue; unallocated. A question that could not be asked is
  still unasked.
- ``adjustment`` — a practitioner's points (positive or negative) with a reason, counted from
  the day it was made until its expiry date inclusive; an expired adjustment counts nothing.

Adding a current observation never lowers a score, an older observation counts less than a
newer one of the same kind, and the same facts and ``as_of`` always give the same score.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hotspots.base.config import derived_rules
from hotspots.base.dates import age_in_years
from hotspots.model import rules

# The formula's own version: change it with any change to how the model computes, so that
# scores made by different code never pass for the same model (see model_version).
FORMULA_VERSION = 4

BANDS = ("red", "amber", "green")

# Which current indicators make each combination in [scoring.combinations].
COMBINATIONS: dict[str, tuple[str, ...]] = {
    "toxic_trio": ("domestic_abuse", "substance_misuse", "parental_mental_health"),
    "conflict_and_new_partner": ("parental_conflict", "new_partner"),
}
COMBINATION_LABELS = {
    "toxic_trio": "Toxic trio: domestic abuse, substance misuse and parental mental health",
    "conflict_and_new_partner": "Parental conflict with a new partner in the household",
}
GAP_LABELS = {
    "no_domestic_abuse_enquiry": "No domestic-abuse enquiry recorded",
    "parental_childhood_not_explored": "Parents' own childhood not explored",
    "visit_overdue": "Visit overdue",
    "unallocated": "Case unallocated",
}
AGE_LABEL = "Child's age"
ADJUSTMENT_LABEL = "Practitioner adjustment"
ACCUMULATION_LABEL = "Several concerns from different agencies around a very young child"
PATTERN_LABEL = "Matches the pattern the review found"


@dataclass(frozen=True)
class Observation:
    id: int
    indicator: str
    observed_on: date
    status: str = "current"
    source: str = ""


@dataclass(frozen=True)
class Enquiry:
    topic: str
    asked_on: date
    outcome: str = "not_disclosed"


@dataclass(frozen=True)
class Adjustment:
    id: int
    points: float
    reason: str
    expires_on: date
    made_on: date | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything that feeds one case's score."""

    date_of_birth: date
    opened_on: date
    allocated: bool
    visit_every_days: int
    last_visit_on: date | None = None
    observations: tuple[Observation, ...] = ()
    enquiries: tuple[Enquiry, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class Contribution:
    code: str
    label: str
    kind: str  # indicator | age | combination | accumulation | practice_gap | pattern | adjustment
    weight: float
    decay: float
    points: float
    observation_ids: tuple[int, ...] = ()
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "kind": self.kind,
            "weight": self.weight,
            "decay": self.decay,
            "points": self.points,
            "observation_ids": list(self.observation_ids),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Score:
    score: float
    band: str
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)
    model_version: str = ""

    @property
    def matches_review_pattern(self) -> bool:
        """The case matched the review's pattern (stored as ``scores.review_pattern``)."""
        return any(c.kind == rules.PATTERN_KIND for c in self.contributions)

    def contributions_json(self) -> str:
        return json.dumps([c.as_dict() for c in self.contributions], separators=(",", ":"))


def decay_factor(age_days: int, half_life_days: int) -> float:
    """0.5^(age / half-life); 1 when the half-life is 0 (the indicator does not fade)."""
    if half_life_days <= 0:
        return 1.0
    return 0.5 ** (age_days / half_life_days)


def model_version(scoring: Mapping[str, Any]) -> str:
    """A short hash of the formula's version and the effective [scoring] settings
    (catalogue, combinations, accumulation, gaps, multipliers, repeats, thresholds): a change
    to a number, or to the code's FORMULA_VERSION, changes it."""
    text = json.dumps(
        {"formula": FORMULA_VERSION, "settings": scoring},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def band_for(score: float, scoring: Mapping[str, Any]) -> str:
    if score >= scoring["red_threshold"]:
        return "red"
    if score >= scoring["amber_threshold"]:
        return "amber"
    return "green"


def age_multiplier(date_of_birth: date, as_of: date, scoring: Mapping[str, Any]) -> float:
    """×1.5 under 1 year, ×1.25 from 1 to 3 years inclusive (under 4), else ×1 (by default)."""
    years = age_in_years(date_of_birth, as_of)
    if years < 1:
        return float(scoring["age_multiplier_under_1"])
    if years <= 3:
        return float(scoring["age_multiplier_1_to_3"])
    return float(scoring["age_multiplier_older"])


def derived_observations(case: CaseFacts, scoring: Mapping[str, Any]) -> list[Observation]:
    """The observations the model works out from the case's own (``[scoring.derived]``): for
    each rule, every current observation of its ``from`` indicator that meets the rule's
    conditions, as an observation of the derived indicator with the same id, day and source."""
    derived = []
    for code, rule in derived_rules(scoring).items():
        found = sorted(
            (o for o in case.observations if o.indicator == rule["from"] and o.status == "current"),
            key=lambda o: (o.observed_on, o.id),
        )
        for obs in found:
            if rule["at_least"]:
                since = obs.observed_on - timedelta(days=rule["within_days"] - 1)
                within = sum(1 for o in found if since <= o.observed_on <= obs.observed_on)
                if within < rule["at_least"]:
                    continue
            under = rule["child_under_years"]
            if under and age_in_years(case.date_of_birth, obs.observed_on) >= under:
                continue
            derived.append(
                Observation(obs.id, code, obs.observed_on, "current", obs.source),
            )
    return derived


def scored_observations(case: CaseFacts, scoring: Mapping[str, Any]) -> tuple[Observation, ...]:
    """The case's observations and those the model derives from them: what every row of the
    score reads."""
    return case.observations + tuple(derived_observations(case, scoring))


def derived_text(code: str, scoring: Mapping[str, Any]) -> str:
    """How a derived indicator is worked out, in words (empty for an ordinary indicator)."""
    rule = derived_rules(scoring).get(code)
    if not rule:
        return ""
    source = scoring["indicators"].get(rule["from"], {}).get("label", rule["from"])
    return f"worked out from “{source}” ({_conditions(rule)})"


def not_recordable(code: str, scoring: Mapping[str, Any]) -> str:
    """Why a derived indicator cannot be sent or recorded, in words a person can act on."""
    rule = scoring["derived"][code]
    return (
        f"{code} is worked out by the service from {rule['from']} observations "
        f"({_conditions(rule)}): send or record those instead"
    )


def _conditions(rule: Mapping[str, Any]) -> str:
    conditions = []
    if rule["at_least"]:
        conditions.append(f"{rule['at_least']} or more within {rule['within_days']} days")
    if rule["child_under_years"]:
        conditions.append(f"child under {rule['child_under_years']} on the day")
    return ", ".join(conditions)


def current_concerns(case: CaseFacts, scoring: Mapping[str, Any], as_of: date) -> int:
    """How many distinct indicators are current on ``as_of``, derived ones included (stored
    with each score as ``current_concerns``)."""
    return len(current_indicators(scored_observations(case, scoring), scoring, as_of))


def indicator_contributions(
    observations: Iterable[Observation], scoring: Mapping[str, Any], as_of: date
) -> list[Contribution]:
    """One row per indicator with counting observations, in catalogue order."""
    catalogue = scoring["indicators"]
    fraction = float(scoring["repeat_fraction"])
    cap = float(scoring["repeat_cap"])
    by_code: dict[str, list[Observation]] = {}
    for obs in observations:
        if obs.indicator in catalogue and rules.counts_on(obs, as_of):
            by_code.setdefault(obs.indicator, []).append(obs)
    rows = []
    for code, spec in catalogue.items():
        found = by_code.get(code)
        if not found:
            continue
        found.sort(key=lambda o: (o.observed_on, o.id), reverse=True)
        half_life = int(spec["half_life_days"])
        decays = [decay_factor((as_of - o.observed_on).days, half_life) for o in found]
        strongest, total = decays[0], math.fsum(decays)
        weight = float(spec["weight"])
        points = weight * min(cap, strongest + fraction * (total - strongest))
        latest = found[0].observed_on.isoformat()
        if len(found) == 1:
            detail = f"observed {latest}"
        else:
            detail = (
                f"{len(found)} observations, latest {latest}: the latest counts in full, "
                f"each earlier one adds {fraction:g} of its points, "
                f"up to {cap:g} × the weight in all"
            )
        if half_life:
            detail += f"; half-life {half_life} days"
        else:
            detail += "; does not fade"
        if how := derived_text(code, scoring):
            detail += f"; {how}"
        rows.append(
            Contribution(
                code=code,
                label=spec["label"],
                kind="indicator",
                weight=weight,
                decay=strongest,
                points=points,
                observation_ids=tuple(o.id for o in found),
                detail=detail,
            )
        )
    return rows


def current_indicators(
    observations: Iterable[Observation], scoring: Mapping[str, Any], as_of: date
) -> set[str]:
    """Indicator codes with a current observation (``hotspots.model.rules.is_current``)."""
    return rules.current_indicators(observations, scoring["indicators"], as_of)


def combination_contributions(
    observations: Iterable[Observation], scoring: Mapping[str, Any], as_of: date
) -> list[Contribution]:
    observations = list(observations)
    current = current_indicators(observations, scoring, as_of)
    rows = []
    for code, points in scoring["combinations"].items():
        parts = COMBINATIONS.get(code, ())
        if not parts or not all(p in current for p in parts) or not points:
            continue
        ids = tuple(
            dict.fromkeys(
                o.id
                for o in sorted(observations, key=lambda o: (o.observed_on, o.id), reverse=True)
                if o.indicator in parts and rules.counts_on(o, as_of)
            )
        )
        rows.append(
            Contribution(
                code=code,
                label=COMBINATION_LABELS.get(code, code),
                kind="combination",
                weight=float(points),
                decay=1.0,
                points=float(points),
                observation_ids=ids,
                detail="all current: " + ", ".join(parts),
            )
        )
    return rows


def accumulation_contribution(
    case: CaseFacts,
    scoring: Mapping[str, Any],
    as_of: date,
    observations: Iterable[Observation],
) -> list[Contribution]:
    """Several moderate concerns from different agencies around a very young child (the
    review's pattern, which single heavy indicators miss): ``points_per_concern`` for each
    distinct current indicator, when the child is ``max_age_years`` or younger, at least
    ``min_concerns`` indicators are current and their current observations come from at least
    ``min_agencies`` agencies. ``observations``: the case's scored observations
    (``scored_observations``)."""
    settings = scoring.get("accumulation") or {}
    per_concern = float(settings.get("points_per_concern", 0))
    if not per_concern:
        return []
    if age_in_years(case.date_of_birth, as_of) > int(settings["max_age_years"]):
        return []
    catalogue = scoring["indicators"]
    current = [
        o
        for o in observations
        if o.indicator in catalogue
        and rules.is_current(o, int(catalogue[o.indicator]["half_life_days"]), as_of)
    ]
    concerns = sorted({o.indicator for o in current}, key=list(catalogue).index)
    agencies = sorted({o.source for o in current})
    if len(concerns) < int(settings["min_concerns"]) or len(agencies) < int(
        settings["min_agencies"]
    ):
        return []
    points = per_concern * len(concerns)
    return [
        Contribution(
            code="accumulation",
            label=ACCUMULATION_LABEL,
            kind="accumulation",
            weight=per_concern,
            decay=1.0,
            points=points,
            observation_ids=tuple(dict.fromkeys(o.id for o in current)),
            detail=(
                f"{len(concerns)} current concerns from {len(agencies)} agencies "
                f"({', '.join(a.replace('_', ' ') for a in agencies)}), "
                f"child aged {settings['max_age_years']} or under"
            ),
        )
    ]


def review_pattern_features(
    case: CaseFacts, scoring: Mapping[str, Any], as_of: date, observations: Iterable[Observation]
) -> tuple[str, ...]:
    """The review's features recorded on the case when it matches the review's pattern on
    ``as_of`` (``[scoring.review_pattern]``), in the order the settings list them; empty when
    it does not match. ``observations``: the case's scored observations."""
    pattern = scoring["review_pattern"]
    minimum = int(pattern["min_features"])
    if not minimum or age_in_years(case.date_of_birth, as_of) > int(pattern["max_age_years"]):
        return ()
    recorded = {o.indicator for o in observations if rules.counts_on(o, as_of)}
    found = tuple(code for code in pattern["features"] if code in recorded)
    if len(found) < minimum or not recorded.intersection(pattern["core_features"]):
        return ()
    return found


def pattern_contribution(
    features: Sequence[str], points_so_far: float, scoring: Mapping[str, Any]
) -> list[Contribution]:
    """The review pattern's row for a case whose recorded ``features`` match it: the points
    that raise ``points_so_far`` to ``red_threshold`` (0 when it is there already)."""
    if not features:
        return []
    red = float(scoring["red_threshold"])
    labels = ", ".join(
        scoring["indicators"][code]["label"].lower() if code in scoring["indicators"] else code
        for code in features
    )
    pattern = scoring["review_pattern"]
    return [
        Contribution(
            code="review_pattern",
            label=f"{PATTERN_LABEL}: {labels}",
            kind=rules.PATTERN_KIND,
            weight=red,
            decay=1.0,
            points=max(0.0, red - points_so_far),
            detail=(
                f"{len(features)} of the review's {len(pattern['features'])} features recorded, "
                f"child aged {pattern['max_age_years']} or under: a hotspot whatever its points, "
                f"so the score before adjustments is at least the red line, {red:g}"
            ),
        )
    ]


def practice_gaps(case: CaseFacts, scoring: Mapping[str, Any], as_of: date) -> list[Contribution]:
    """The questions the review found unasked, and the case's own upkeep
    (``hotspots.model.rules.practice_gaps``), as contributions."""
    gaps = scoring["practice_gaps"]
    return [
        Contribution(
            code=code,
            label=GAP_LABELS[code],
            kind="practice_gap",
            weight=float(gaps[code]),
            decay=1.0,
            points=float(gaps[code]),
            detail=detail,
        )
        for code, detail in gaps_of(case, scoring, as_of)
        if float(gaps[code])
    ]


def gaps_of(case: CaseFacts, scoring: Mapping[str, Any], as_of: date) -> list[tuple[str, str]]:
    """The case's practice gaps as (code, detail), whatever points they carry."""
    return rules.practice_gaps(
        opened_on=case.opened_on,
        allocated=case.allocated,
        visit_every_days=case.visit_every_days,
        last_visit_on=case.last_visit_on,
        enquiries=case.enquiries,
        gaps=scoring["practice_gaps"],
        as_of=as_of,
    )


def age_contribution(
    date_of_birth: date, indicator_points: float, scoring: Mapping[str, Any], as_of: date
) -> list[Contribution]:
    multiplier = age_multiplier(date_of_birth, as_of, scoring)
    points = (multiplier - 1.0) * indicator_points
    if not points:
        return []
    years = age_in_years(date_of_birth, as_of)
    if date_of_birth > as_of:  # an unborn child's expected date of birth
        words = "unborn"
    else:
        words = "under 1 year" if years < 1 else f"aged {years}"
    return [
        Contribution(
            code="child_age",
            label=AGE_LABEL,
            kind="age",
            weight=multiplier,
            decay=1.0,
            points=points,
            detail=f"{words}: indicator points ×{multiplier:g}",
        )
    ]


def adjustment_contributions(adjustments: Iterable[Adjustment], as_of: date) -> list[Contribution]:
    rows = []
    for adj in sorted(adjustments, key=lambda a: a.id):
        if adj.expires_on < as_of or (adj.made_on is not None and adj.made_on > as_of):
            continue
        rows.append(
            Contribution(
                code="adjustment",
                label=ADJUSTMENT_LABEL,
                kind="adjustment",
                weight=float(adj.points),
                decay=1.0,
                points=float(adj.points),
                detail=f"{adj.reason} (until {adj.expires_on.isoformat()})",
            )
        )
    return rows


def score_case(
    case: CaseFacts, scoring: Mapping[str, Any], as_of: date, version: str | None = None
) -> Score:
    """The case's score on ``as_of``: its contributions, their sum, its band and the model
    version that made it (``version``, when the caller has computed it already)."""
    observations = scored_observations(case, scoring)
    indicators = indicator_contributions(observations, scoring, as_of)
    indicator_points = sum(c.points for c in indicators)
    rows = (
        indicators
        + age_contribution(case.date_of_birth, indicator_points, scoring, as_of)
        + combination_contributions(observations, scoring, as_of)
        + accumulation_contribution(case, scoring, as_of, observations)
        + practice_gaps(case, scoring, as_of)
    )
    so_far = sum(c.points for c in rows)
    features = review_pattern_features(case, scoring, as_of, observations)
    pattern = pattern_contribution(features, so_far, scoring)
    adjustments = adjustment_contributions(case.adjustments, as_of)
    # Raised to the red line exactly (not so_far plus the difference, which rounding could
    # leave a hair below it), as the set-based rescore does.
    if pattern and pattern[0].points:
        so_far = float(scoring["red_threshold"])
    total = so_far + sum(c.points for c in adjustments)
    return Score(
        score=total,
        band=band_for(total, scoring),
        contributions=tuple(rows + pattern + adjustments),
        model_version=version or model_version(scoring),
    )


def reasons(contributions: Iterable[Contribution | Mapping[str, Any]], limit: int = 3) -> list[str]:
    """The top reasons in words (``hotspots.model.rules.reasons``): ``"Domestic abuse …
    (+4.6)"``."""
    rows = [c.as_dict() if isinstance(c, Contribution) else c for c in contributions]
    return [rules.reason_text(r) for r in rules.reasons(rows, limit)]
