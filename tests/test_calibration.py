"""Calibration against an outside reference: the reference vignettes (written from the review
and ordinary practice, never from the demo generator), the red share on the demo, and
``hotspots calibrate``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hotspots import calibration, rescoring, scoring
from hotspots.config import load_config
from hotspots.demo import load_demo

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def defaults():
    return load_config(environ={})


@pytest.fixture(scope="module")
def results(defaults):
    return calibration.score_vignettes(calibration.load_vignettes(AS_OF), defaults, AS_OF)


def test_there_are_six_review_vignettes_and_ordinary_cases_beside_them(results):
    groups = [r.vignette.group for r in results]
    assert groups.count("review") == 6
    assert groups.count("practice") >= 6


def test_with_the_default_settings_every_review_vignette_is_a_hotspot(results):
    below = [(r.vignette.id, round(r.score.score, 1)) for r in results if r.score.band != "red"
             and r.vignette.group == "review"]  # fmt: skip
    assert below == []


def test_with_the_default_settings_every_ordinary_case_is_in_its_expected_band(results):
    wrong = [(r.vignette.id, r.score.band, r.vignette.expect) for r in results if not r.as_expected]
    assert wrong == []


def test_the_baby_at_the_emergency_department_is_red_only_because_the_model_reads_the_signs(
    results, defaults
):
    """Two attendances of a four-month-old and a third low-graded police notice: with the
    derived indicators the baby is a hotspot; scored as the raw codes alone, it is not."""
    (baby,) = [r for r in results if r.vignette.id == "practice-baby-at-emergency-department"]
    codes = {c.code for c in baby.score.contributions}
    assert {"unscheduled_care_injury", "ppn_escalating"} <= codes
    assert baby.score.band == "red"
    off = {code: {**rule, "from": ""} for code, rule in defaults["scoring"]["derived"].items()}
    without = dict(defaults["scoring"], derived=off)
    assert scoring.score_case(baby.vignette.facts, without, AS_OF).band != "red"


def test_the_review_vignettes_hold_records_as_they_really_stand(results):
    """Observations one to eight months old, questions unasked, children three months to
    three years: no vignette is calibrated with fresher data than real records would hold."""
    for r in results:
        if r.vignette.group != "review":
            continue
        facts = r.vignette.facts
        ages = [(AS_OF - o.observed_on).days for o in facts.observations
                if o.indicator != "stressful_birth"]  # fmt: skip
        assert min(ages) >= 30 and max(ages) <= 245, r.vignette.id
        assert facts.enquiries == ()
        assert 90 <= (AS_OF - facts.date_of_birth).days <= 3 * 366 + 30


def test_the_review_pattern_reaches_red_through_its_breadth_not_a_single_heavy_indicator(
    results, defaults
):
    """Without the accumulation rule most review vignettes fall below red: the model must
    see several moderate signals from different agencies around a very young child."""
    without = dict(defaults["scoring"], accumulation={**defaults["scoring"]["accumulation"],
                                                      "points_per_concern": 0.0})  # fmt: skip
    below = [
        r.vignette.id
        for r in results
        if r.vignette.group == "review"
        and scoring.band_for(scoring.score_case(r.vignette.facts, without, AS_OF).score,
                             without) != "red"
    ]  # fmt: skip
    assert len(below) >= 4
    for r in results:
        if r.vignette.group == "review":
            codes = {c.code for c in r.score.contributions}
            assert "accumulation" in codes and "no_domestic_abuse_enquiry" in codes


def test_a_vignette_with_an_unknown_expectation_is_refused(tmp_path):
    path = tmp_path / "vignettes.toml"
    path.write_text(
        '[[vignette]]\nid = "x"\ntitle = "x"\ngroup = "review"\nexpect = "purple"\n'
        "age_days = 100\nopened_days_ago = 50\nvisit_every_days = 14\n"
    )
    with pytest.raises(ValueError, match="vignette x: expect must be one of"):
        calibration.load_vignettes(AS_OF, path)


def test_red_stays_within_its_share_of_open_cases_on_a_3000_case_demo(db, defaults):
    load_demo(db, defaults, cases=3000, seed=2020, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=False)  # fmt: skip
    scores = rescoring.scratch_scores(db, defaults, as_of=AS_OF)
    red = sum(s >= defaults["scoring"]["red_threshold"] for s in scores)
    assert len(scores) > 2500
    assert red / len(scores) <= calibration.MAX_RED_SHARE
    # Worked out as the nightly rescore would, and nothing was written.
    assert db["scores"].count == 0 and db["score_history"].count == 0


def test_the_histogram_counts_every_score_once():
    lines = calibration.histogram([0.0, 1.0, 2.0, 9.9, 10.0], bins=2, width=4)
    counts = [int(re.search(r"to\s+[\d.]+\s+([\d,]+)", line).group(1)) for line in lines]
    assert counts == [3, 2]  # 0, 1 and 2 below 5; 9.9 and the top value 10 in the last bin
    assert calibration.histogram([]) == ["(no scored cases)"]


def test_calibrate_prints_shares_a_histogram_and_every_vignette(app, db, runner, defaults):
    app.config["HOTSPOTS_NOW"] = NOW
    load_demo(db, defaults, cases=300, seed=3, as_of=AS_OF, now=NOW, password_hash="x")
    before = db.execute("SELECT count(*), total(score) FROM scores").fetchone()
    result = runner.invoke(args=["calibrate"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Calibration as of 2026-11-26" in out
    assert re.search(r"red\s+[\d,]+\s+\d+\.\d%", out)
    assert "Score distribution" in out
    for vignette in calibration.load_vignettes(AS_OF):
        assert vignette.id in out
    assert "No warnings." in out
    assert db.execute("SELECT count(*), total(score) FROM scores").fetchone() == before


def test_calibrate_warns_and_fails_when_a_review_vignette_falls_below_red(tmp_path, db_path):
    from hotspots import create_app, storage
    from hotspots.storage.schema import migrate

    storage_db = storage.connect(db_path)
    migrate(storage_db)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "HOTSPOTS_NOW": NOW,
            "database": {"path": str(db_path)},
            "scoring": {"red_threshold": 60.0, "amber_threshold": 18.0},
        }
    )
    result = app.test_cli_runner().invoke(args=["calibrate", "--as-of", "2026-11-20"])
    assert result.exit_code == 1
    assert "Warning: vignette review-1 scores" in result.output
    assert "it should be red" in result.output
    assert "Calibration as of 2026-11-20" in result.output


def test_the_vignettes_live_apart_from_the_demo_generator():
    source = Path(calibration.__file__).read_text()
    assert "demo" not in source.replace("the demo", "")
    assert calibration.VIGNETTES_PATH.exists()
