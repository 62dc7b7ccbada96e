"""Children drawn from the review's own pattern, to judge the model on a distribution rather than
on six hand-written cases (``docs/scoring.md``, *The review's pattern as a distribution*).

Written from the review's description alone (``domain.md``; the newspaper report of the review),
apart from the demo generator and sharing none of its code: the model is judged on this, never
on the population it is calibrated against. Pure: no database, no clock; everything comes from
the ``random.Random`` passed in and ``as_of``.

A **pattern child** is drawn as the review describes its six children:

- aged three months to three years (91 days to the day before the fourth birthday);
- conflict in the parents' relationship always; each other feature with the review's own
  frequency: a parent's adverse childhood 5 in 6; domestic abuse, a stressful or traumatic
  birth, feeding difficulties, and cannabis or alcohol use 4 in 6 each; the mother's new
  partner 2 in 6; only children with at least ``min_features`` features (4) are kept, as the
  review's six each had four or more;
- each record ``min_record_days`` to ``max_record_days`` old (one to eight months), as records
  stand before an injury, except a stressful birth, dated at the birth (within a few days);
  feeding difficulties never before the first week of life;
- each seen by an agency that would see it, two or more agencies in all;
- the questions about domestic abuse and the parents' own childhood never asked (the case open
  for one to eight months, so the domestic-abuse question is overdue);
- allocated, and visited on time.

An **ordinary child** is a child in need as the DfE's *Characteristics of children in need*
describes them (age bands and the factors identified at the end of assessment, with the
questions mostly asked): a check that what lifts the pattern does not lift everyone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from hotspots.model import scoring

# The review's features and how many of its six children had each (conflict: all six).
REVIEW_FEATURES = {
    "parental_conflict": 6,
    "parental_ace": 5,
    "domestic_abuse": 4,
    "stressful_birth": 4,
    "feeding_difficulties": 4,
    "substance_misuse": 4,
    "new_partner": 2,
}
# Who would have seen each feature.
AGENCIES = {
    "parental_conflict": ("police", "health_visiting", "early_help", "social_care", "housing"),
    "parental_ace": ("social_care", "midwifery", "health_visiting", "early_help"),
    "domestic_abuse": ("police", "health_visiting", "midwifery", "social_care"),
    "stressful_birth": ("midwifery", "hospital"),
    "feeding_difficulties": ("health_visiting", "midwifery", "gp"),
    "substance_misuse": ("police", "gp", "health_visiting", "probation", "social_care"),
    "new_partner": ("social_care", "health_visiting", "police", "early_help", "school"),
}
MIN_AGE_DAYS = 91  # three months
MAX_AGE_DAYS = 4 * 365  # up to the day before the fourth birthday (aged three)
VISIT_EVERY_DAYS = (10, 14, 20, 28)

# Ordinary children in need: the DfE's age bands (share of children in need) and factors
# identified at the end of assessment (share of children in need), as docs/scoring.md cites.
ORDINARY_AGE_BANDS = (  # (share, youngest day, oldest day)
    (0.05, 0, 364),
    (0.18, 365, 1824),
    (0.25, 1825, 3649),
    (0.35, 3650, 5839),
    (0.17, 5840, 6569),
)
ORDINARY_FACTORS = {  # indicator code: (share of children in need, agencies)
    "domestic_abuse": (0.50, ("police", "social_care", "health_visiting", "school")),
    "parental_mental_health": (0.30, ("gp", "health_visiting", "social_care")),
    "substance_misuse": (0.25, ("police", "gp", "probation", "social_care")),
    "police_callout": (0.15, ("police",)),
    "missed_appointments": (0.15, ("health_visiting", "gp", "hospital")),
    "parental_conflict": (0.15, ("social_care", "early_help", "school")),
    "previous_injury": (0.05, ("hospital", "gp")),
}


@dataclass(frozen=True)
class Drawn:
    """One drawn child: its case facts and the review features it was drawn with."""

    facts: scoring.CaseFacts
    features: tuple[str, ...]


def draw_pattern_child(
    rng: random.Random,
    as_of: date,
    *,
    min_features: int = 4,
    min_record_days: int = 30,
    max_record_days: int = 243,
) -> Drawn:
    """A child of the review's pattern on ``as_of`` (see the module's docstring)."""
    while True:
        features = [code for code, of_six in REVIEW_FEATURES.items() if rng.random() < of_six / 6]
        if len(features) >= min_features:
            break
    age = rng.randint(MIN_AGE_DAYS, MAX_AGE_DAYS - 1)
    born = as_of - timedelta(days=age)
    while True:
        observations = []
        for n, code in enumerate(features, start=1):
            if code == "stressful_birth":
                back = max(0, age - rng.randint(0, 3))
            elif code == "feeding_difficulties":
                back = rng.randint(min(min_record_days, age - 7), min(max_record_days, age - 7))
            else:
                back = rng.randint(min_record_days, max_record_days)
            source = rng.choice(AGENCIES[code])
            observations.append(
                scoring.Observation(n, code, as_of - timedelta(days=back), "current", source)
            )
        if len({o.source for o in observations}) >= 2:
            break
    every = rng.choice(VISIT_EVERY_DAYS)
    facts = scoring.CaseFacts(
        date_of_birth=born,
        opened_on=as_of - timedelta(days=rng.randint(30, 243)),
        allocated=True,
        visit_every_days=every,
        last_visit_on=as_of - timedelta(days=rng.randint(0, every - 1)),
        observations=tuple(observations),
        enquiries=(),
    )
    return Drawn(facts, tuple(features))


def draw_ordinary_child(rng: random.Random, as_of: date) -> Drawn:
    """A child in need drawn from the DfE's published shares (see ORDINARY_FACTORS): its
    factors recorded one to twelve months ago, the questions asked on most cases."""
    ((low, high),) = rng.choices(
        [(low, high) for _, low, high in ORDINARY_AGE_BANDS],
        weights=[share for share, _, _ in ORDINARY_AGE_BANDS],
    )
    age = rng.randint(low, high)
    observations = []
    for code, (share, agencies) in ORDINARY_FACTORS.items():
        if rng.random() < share:
            back = rng.randint(30, 365)
            observations.append(
                scoring.Observation(
                    len(observations) + 1,
                    code,
                    as_of - timedelta(days=back),
                    "current",
                    rng.choice(agencies),
                )
            )
    opened = rng.randint(14, 400)
    enquiries = []
    if rng.random() < 0.8:
        enquiries.append(scoring.Enquiry("domestic_abuse", as_of - timedelta(days=opened // 2)))
    if rng.random() < 0.6:
        enquiries.append(scoring.Enquiry("parental_childhood", as_of - timedelta(days=opened // 2)))
    every = rng.choice(VISIT_EVERY_DAYS)
    facts = scoring.CaseFacts(
        date_of_birth=as_of - timedelta(days=age),
        opened_on=as_of - timedelta(days=opened),
        allocated=True,
        visit_every_days=every,
        last_visit_on=as_of - timedelta(days=rng.randint(0, every + every // 2)),
        observations=tuple(observations),
        enquiries=tuple(enquiries),
    )
    return Drawn(facts, ())


@dataclass(frozen=True)
class PatternRate:
    """How a model bands ``draws`` children of the review's pattern."""

    draws: int
    red: int
    amber: int
    green: int

    @property
    def hotspot_rate(self) -> float:
        return self.red / self.draws if self.draws else 0.0


def pattern_rate(
    model: Mapping[str, object], as_of: date, *, draws: int = 2000, seed: int = 2020, **options
) -> PatternRate:
    """Score ``draws`` pattern children (seeded) under ``model`` (``settings["scoring"]``) and
    count their bands; ``options`` go to ``draw_pattern_child`` (a variation of the pattern)."""
    rng = random.Random(seed)
    version = scoring.model_version(model)
    bands = {"red": 0, "amber": 0, "green": 0}
    for _ in range(draws):
        drawn = draw_pattern_child(rng, as_of, **options)
        bands[scoring.score_case(drawn.facts, model, as_of, version).band] += 1
    return PatternRate(draws, bands["red"], bands["amber"], bands["green"])
