"""Calibration against an outside reference: the reference vignettes and the band shares.

The vignettes (``hotspots/reference/vignettes.toml``) are cases written from the thematic
review and from ordinary practice, kept apart from the demo generator: the model is judged on
them, never on data it generated. Pure: no database, no clock (``as_of`` is an argument).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hotspots import scoring

VIGNETTES_PATH = Path(__file__).resolve().parent / "reference" / "vignettes.toml"
EXPECTATIONS = ("red", "amber", "green", "not red")
# Red above this share of open cases is alert overload (Illinois' Rapid Safety Feedback
# scored 4,100 children at 90%+ and was ended): `hotspots calibrate` warns past it.
MAX_RED_SHARE = 0.15


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


def warnings(
    results: Sequence[VignetteResult], shares: Mapping[str, float], max_red_share: float
) -> list[str]:
    """What a council officer retuning the weights must know: a review vignette below red,
    an ordinary one outside its expected band, red above its configured share."""
    found = []
    for r in results:
        if not r.as_expected:
            found.append(
                f"vignette {r.vignette.id} scores {r.score.score:.1f} ({r.score.band}); "
                f"it should be {r.vignette.expect}"
            )
    if shares.get("red", 0.0) > max_red_share:
        found.append(
            f"red is {shares['red']:.1%} of open cases, above the {max_red_share:.0%} a red "
            "band must stay within to keep its meaning"
        )
    return found
