"""The sampler of the review's pattern: it draws what the review describes, at the review's
frequencies, as records stand before an injury."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest

from hotspots.base.dates import age_in_years
from hotspots.model import review_sampler

AS_OF = date(2026, 11, 26)


@pytest.fixture(scope="module")
def drawn():
    rng = random.Random(1)
    return [review_sampler.draw_pattern_child(rng, AS_OF) for _ in range(4000)]


def expected_shares(min_features: int = 4) -> dict[str, float]:
    """Each feature's share among children with at least ``min_features`` features, worked
    out exactly from the review's frequencies (each feature drawn on its own)."""
    features = review_sampler.REVIEW_FEATURES
    total, found = 0.0, dict.fromkeys(features, 0.0)
    for present in itertools.product((False, True), repeat=len(features)):
        if sum(present) < min_features:
            continue
        p = 1.0
        for (_, of_six), here in zip(features.items(), present, strict=True):
            p *= of_six / 6 if here else 1 - of_six / 6
        total += p
        for code, here in zip(features, present, strict=True):
            found[code] += p if here else 0.0
    return {code: value / total for code, value in found.items()}


def test_each_feature_comes_at_the_reviews_frequency_among_children_with_four_or_more(drawn):
    shares = {
        code: sum(code in d.features for d in drawn) / len(drawn)
        for code in review_sampler.REVIEW_FEATURES
    }
    expected = expected_shares()
    assert shares["parental_conflict"] == 1.0  # in all six of the review's cases
    for code, share in expected.items():
        assert shares[code] == pytest.approx(share, abs=0.03), code
    assert all(len(d.features) >= 4 for d in drawn)
    assert any(len(d.features) == 7 for d in drawn) and any(len(d.features) == 4 for d in drawn)


def test_records_stand_as_they_would_before_an_injury(drawn):
    """Each record one to eight months old, a stressful birth dated at the birth, feeding
    difficulties never before the first week; two agencies or more; nothing asked; allocated
    and visited on time; aged three months to three years."""
    for d in drawn:
        facts = d.facts
        age = (AS_OF - facts.date_of_birth).days
        assert 91 <= age < 4 * 365
        assert age_in_years(facts.date_of_birth, AS_OF) <= 3
        for o in facts.observations:
            back = (AS_OF - o.observed_on).days
            if o.indicator == "stressful_birth":
                assert age - 3 <= back <= age
            else:
                assert 30 <= back <= 243, o
            if o.indicator == "feeding_difficulties":
                assert o.observed_on >= facts.date_of_birth + timedelta(days=7)
            assert o.source in review_sampler.AGENCIES[o.indicator]
            assert o.status == "current"
        assert len({o.source for o in facts.observations}) >= 2
        assert facts.enquiries == () and facts.allocated
        assert facts.last_visit_on + timedelta(days=facts.visit_every_days) >= AS_OF
        assert (AS_OF - facts.opened_on).days >= 30  # the domestic-abuse question is overdue


def test_the_same_seed_draws_the_same_children_and_options_vary_the_pattern():
    first = [review_sampler.draw_pattern_child(random.Random(5), AS_OF) for _ in range(3)]
    again = [review_sampler.draw_pattern_child(random.Random(5), AS_OF) for _ in range(3)]
    assert first == again
    rng = random.Random(6)
    older = [
        review_sampler.draw_pattern_child(rng, AS_OF, min_record_days=180, max_record_days=365)
        for _ in range(200)
    ]
    ages = [(AS_OF - o.observed_on).days for d in older for o in d.facts.observations
            if o.indicator not in ("stressful_birth", "feeding_difficulties")]  # fmt: skip
    assert min(ages) >= 180 and max(ages) <= 365
    fewer = [review_sampler.draw_pattern_child(rng, AS_OF, min_features=3) for _ in range(400)]
    assert any(len(d.features) == 3 for d in fewer)


def test_ordinary_children_come_in_the_dfes_age_bands_with_its_factors():
    rng = random.Random(2)
    children = [review_sampler.draw_ordinary_child(rng, AS_OF) for _ in range(4000)]
    under_one = sum((AS_OF - c.facts.date_of_birth).days < 365 for c in children) / len(children)
    assert under_one == pytest.approx(0.05, abs=0.015)
    abuse = sum(
        any(o.indicator == "domestic_abuse" for o in c.facts.observations) for c in children
    ) / len(children)
    assert abuse == pytest.approx(0.50, abs=0.03)
