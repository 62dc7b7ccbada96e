"""Calibration: judging the scoring settings before they are used.

Against outside references: the reference vignettes (``hotspots/reference/vignettes.toml``,
cases written from the thematic review and from ordinary practice) and children drawn from the
review's own pattern (``hotspots.model.review_sampler``), both kept apart from the demo generator.
Against the alert budget (``[alert_budget]``): the band shares and the hotspots a caseload
holds, on the council's own open cases (or the demo's population, which follows the DfE's
published figures). And how much each weight and half-life matters (``sensitivity``).

Pure: no database, no clock (``as_of`` is an argument); the caller scores the open cases.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hotspots.base.resources import REFERENCE_DIR
from hotspots.model import review_sampler, scoring

VIGNETTES_PATH = REFERENCE_DIR / "vignettes.toml"
EXPECTATIONS = ("red", "amber", "green", "not red")
# Children of the review's pattern that must be hotspots (the share of PATTERN_DRAWS).
PATTERN_MIN_RATE = 0.97
PATTERN_DRAWS = 2000
# Each review vignette's score (its own points, the pattern's row left out) must be at least
# this many times the red line, so that a few weeks' fading cannot take it out of red.
VIGNETTE_MARGIN = 1.10
# The sensitivity check: each weight by ±25% and each half-life by ±30%, one at a time; the
# pattern must stay at least this red, and red at most this share of open cases.
WEIGHT_CHANGE = 0.25
HALF_LIFE_CHANGE = 0.30
SENSITIVITY_PATTERN_MIN_RATE = 0.90
SENSITIVITY_MAX_RED_SHARE = 0.12
SENSITIVITY_DRAWS = 1000


@dataclass(frozen=True)
class Vignette:
    id: str
    title: str
    group: str  # review | practice
    expect: str
    facts: scoring.CaseFacts


@dataclass(frozen=True)
class VignetteResult:
    vignette: Vignette
    score: scoring.Score

    @property
    def as_expected(self) -> bool:
        expect = self.vignette.expect
        if expect == "not red":
            return self.score.band != "red"
        return self.score.band == expect


def load_vignettes(as_of: date, path: Path = VIGNETTES_PATH) -> list[Vignette]:
    """The vignettes as case facts on ``as_of`` (every date in the file is days back from it)."""
    data = tomllib.loads(path.read_text())
    result = []
    for n, raw in enumerate(data.get("vignette", []), start=1):
        where = f"{path.name}: vignette {raw.get('id', n)}"
        if raw.get("expect") not in EXPECTATIONS:
            raise ValueError(f"{where}: expect must be one of {', '.join(EXPECTATIONS)}")

        def back(days: int) -> date:
            return as_of - timedelta(days=int(days))

        observations = tuple(
            scoring.Observation(
                id=i,
                indicator=o["indicator"],
                observed_on=back(o["days_ago"]),
                status=o.get("status", "current"),
                source=o["source"],
            )
            for i, o in enumerate(raw.get("observations", []), start=1)
        )
        enquiries = tuple(
            scoring.Enquiry(e["topic"], back(e["days_ago"]), e["outcome"])
            for e in raw.get("enquiries", [])
        )
        last_visit = raw.get("last_visit_days_ago")
        facts = scoring.CaseFacts(
            date_of_birth=back(raw["age_days"]),
            opened_on=back(raw["opened_days_ago"]),
            allocated=bool(raw.get("allocated", True)),
            visit_every_days=int(raw["visit_every_days"]),
            last_visit_on=back(last_visit) if last_visit is not None else None,
            observations=observations,
            enquiries=enquiries,
        )
        result.append(Vignette(raw["id"], raw["title"], raw["group"], raw["expect"], facts))
    return result


def score_vignettes(
    vignettes: Sequence[Vignette], settings: Mapping[str, Any], as_of: date
) -> list[VignetteResult]:
    model = settings["scoring"]
    version = scoring.model_version(model)
    return [
        VignetteResult(v, scoring.score_case(v.facts, model, as_of, version)) for v in vignettes
    ]


def band_shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Each band's share of the scored open cases (0 when there are none)."""
    total = sum(counts.values())
    return {band: (counts.get(band, 0) / total if total else 0.0) for band in scoring.BANDS}


def histogram(scores: Sequence[float], *, bins: int = 10, width: int = 40) -> list[str]:
    """The score distribution as text: one line per bin, ``[lo, hi)  count  ####``."""
    if not scores:
        return ["(no scored cases)"]
    low, high = min(scores), max(scores)
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in scores:
        counts[min(bins - 1, int((value - low) / step))] += 1
    top = max(counts)
    lines = []
    for n, count in enumerate(counts):
        bar = "#" * (round(count / top * width) if count else 0)
        lines.append(f"{low + n * step:6.1f} to {low + (n + 1) * step:6.1f}  {count:8,}  {bar}")
    return lines


def points_alone(score: scoring.Score) -> float:
    """A score without the review pattern's row: what its own points come to."""
    return sum(c.points for c in score.contributions if c.kind != "pattern")


def vignette_margin(result: VignetteResult, model: Mapping[str, Any]) -> float:
    """A vignette's own points as a multiple of the red line."""
    red = float(model["red_threshold"])
    return points_alone(result.score) / red if red else math.inf


def band_counts(scores: Iterable[float], model: Mapping[str, Any]) -> dict[str, int]:
    counts = dict.fromkeys(scoring.BANDS, 0)
    for value in scores:
        counts[scoring.band_for(value, model)] += 1
    return counts


def caseload_hotspots(
    scored: Iterable[tuple[int | None, float]], model: Mapping[str, Any], percentile: float
) -> int:
    """The hotspots a worker's caseload holds at the ``percentile`` (nearest rank, over every
    worker with an open case), from (worker id or None, score) pairs: unallocated cases are
    in no caseload."""
    red = float(model["red_threshold"])
    per_worker: Counter[int] = Counter()
    for worker, score in scored:
        if worker is not None:
            per_worker[worker] += score >= red
    counts = sorted(per_worker.values())
    if not counts:
        return 0
    rank = max(1, math.ceil(percentile / 100 * len(counts)))
    return counts[rank - 1]


@dataclass(frozen=True)
class Judgement:
    """What calibrate reports on one set of settings."""

    counts: dict[str, int]
    shares: dict[str, float]
    caseload_hotspots: int
    pattern: review_sampler.PatternRate


def judge(
    settings: Mapping[str, Any],
    scored: Sequence[tuple[int | None, float]],
    as_of: date,
    *,
    draws: int = PATTERN_DRAWS,
) -> Judgement:
    """Band shares and the caseload percentile of the open cases ``scored`` under
    ``settings``, and the hotspot rate of ``draws`` children of the review's pattern."""
    model = settings["scoring"]
    counts = band_counts((score for _, score in scored), model)
    return Judgement(
        counts=counts,
        shares=band_shares(counts),
        caseload_hotspots=caseload_hotspots(
            scored, model, settings["alert_budget"]["caseload_percentile"]
        ),
        pattern=review_sampler.pattern_rate(model, as_of, draws=draws),
    )


def warnings(
    results: Sequence[VignetteResult], judgement: Judgement, settings: Mapping[str, Any]
) -> list[str]:
    """What a council officer retuning the weights must know: a review vignette below red or
    less than VIGNETTE_MARGIN above it on its own points, an ordinary one outside its expected
    band, the review's pattern red less than PATTERN_MIN_RATE of the time, and red or the
    hotspots in a caseload past the alert budget."""
    model, budget = settings["scoring"], settings["alert_budget"]
    found = []
    for r in results:
        if not r.as_expected:
            found.append(
                f"vignette {r.vignette.id} scores {r.score.score:.1f} ({r.score.band}); "
                f"it should be {r.vignette.expect}"
            )
        elif r.vignette.group == "review" and vignette_margin(r, model) < VIGNETTE_MARGIN:
            found.append(
                f"vignette {r.vignette.id} scores {points_alone(r.score):.1f} on its own points, "
                f"{vignette_margin(r, model):.2f} times the red line: every review vignette "
                f"should be at least {VIGNETTE_MARGIN:.2f} times it"
            )
    rate = judgement.pattern
    if rate.hotspot_rate < PATTERN_MIN_RATE:
        found.append(
            f"{rate.hotspot_rate:.1%} of {rate.draws:,} children drawn from the review's "
            f"pattern are hotspots ({rate.green:,} green); at least {PATTERN_MIN_RATE:.0%} "
            "should be"
        )
    if judgement.shares.get("red", 0.0) > budget["red_share"]:
        found.append(
            f"red is {judgement.shares['red']:.1%} of open cases, above the alert budget's "
            f"{budget['red_share']:.0%} ([alert_budget] red_share)"
        )
    if judgement.caseload_hotspots > budget["caseload_hotspots"]:
        found.append(
            f"at the {budget['caseload_percentile']:g}th percentile a caseload holds "
            f"{judgement.caseload_hotspots} hotspots, above the alert budget's "
            f"{budget['caseload_hotspots']} ([alert_budget] caseload_hotspots)"
        )
    return found


@dataclass(frozen=True)
class Variant:
    """One change of the sensitivity check and how the settings fare under it."""

    setting: str  # e.g. "domestic_abuse weight", "new_partner half-life"
    change: str  # e.g. "+25%", "-30%"
    value: float
    pattern_rate: float
    points_alone_rate: float
    red_share: float

    @property
    def within_bounds(self) -> bool:
        return (
            self.pattern_rate >= SENSITIVITY_PATTERN_MIN_RATE
            and self.red_share <= SENSITIVITY_MAX_RED_SHARE
        )


def sensitivity_variants(model: Mapping[str, Any]) -> list[tuple[str, str, float, dict[str, Any]]]:
    """Each weight by ±WEIGHT_CHANGE and each half-life that fades by ±HALF_LIFE_CHANGE (whole
    days), one at a time: (setting, change, new value, the changed [scoring] settings)."""
    found = []
    for code, spec in model["indicators"].items():
        for sign in (-1, 1):
            changed = copy.deepcopy(dict(model))
            weight = spec["weight"] * (1 + sign * WEIGHT_CHANGE)
            changed["indicators"][code]["weight"] = weight
            found.append((f"{code} weight", f"{sign * WEIGHT_CHANGE:+.0%}", weight, changed))
        if spec["half_life_days"]:
            for sign in (-1, 1):
                changed = copy.deepcopy(dict(model))
                days = max(1, round(spec["half_life_days"] * (1 + sign * HALF_LIFE_CHANGE)))
                changed["indicators"][code]["half_life_days"] = days
                found.append(
                    (f"{code} half-life", f"{sign * HALF_LIFE_CHANGE:+.0%}", float(days), changed)
                )
    return found


def sensitivity(
    settings: Mapping[str, Any],
    score_open_cases: Callable[[Mapping[str, Any]], Sequence[float]],
    as_of: date,
    *,
    draws: int = SENSITIVITY_DRAWS,
) -> list[Variant]:
    """Every variant of ``sensitivity_variants``: the review pattern's hotspot rate (with the
    pattern rule, and on points alone), and the red share of the open cases, scored by
    ``score_open_cases(settings)``."""
    results = []
    for setting, change, value, model in sensitivity_variants(settings["scoring"]):
        changed = {**settings, "scoring": model}
        scores = score_open_cases(changed)
        red = sum(score >= model["red_threshold"] for score in scores)
        off = copy.deepcopy(model)
        off["review_pattern"]["min_features"] = 0
        results.append(
            Variant(
                setting=setting,
                change=change,
                value=value,
                pattern_rate=review_sampler.pattern_rate(model, as_of, draws=draws).hotspot_rate,
                points_alone_rate=review_sampler.pattern_rate(off, as_of, draws=draws).hotspot_rate,
                red_share=red / len(scores) if scores else 0.0,
            )
        )
    return results
