"""Rescoring against a real SQLite file: the set-based full rescore agrees with the pure model,
ranks, history, trends, single-case and changed-case rescores."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from hotspots import storage
from hotspots.base.dates import stamp
from hotspots.model import rules, scoring
from hotspots.services import audit, rescoring
from hotspots.services.demo import load_demo
from hotspots.storage import rescoring as in_storage
from hotspots.storage import rules as rule_sql
from hotspots.storage import scores as scores_sql

AS_OF = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


class World:
    """A small authority built row by row: one team, two workers."""

    def __init__(self, db):
        self.db = db
        self.team = db["teams"].insert({"name": "Broadland"}).last_pk
        self.ann = self.staff("ann@example.org")
        self.bob = self.staff("bob@example.org")
        self.cases = 0
        self.observations = 0

    def staff(self, email):
        row = {"email": email, "name": email.split("@")[0], "role": "worker", "team_id": self.team}
        return self.db["staff"].insert(row).last_pk

    def case(self, worker, *, born=date(2026, 3, 1), opened=date(2026, 9, 1), **extra):
        self.cases += 1
        row = {
            "case_ref": f"C{self.cases:04d}",
            "initials": "AB",
            "date_of_birth": born.isoformat(),
            "team_id": self.team,
            "worker_id": worker,
            "opened_on": opened.isoformat(),
            "visit_every_days": 14,
            "last_visit_on": (AS_OF - timedelta(days=2)).isoformat(),
            "status": "open",
        }
        row.update(extra)
        return self.db["cases"].insert(row).last_pk

    def observe(
        self, case_id, indicator, observed_on=AS_OF, status="current", source="police", via=None
    ):
        """Record an observation (through the connection ``via``, if given)."""
        self.observations += 1
        row = {
            "external_id": f"O{self.observations}",
            "case_id": case_id,
            "indicator": indicator,
            "observed_on": observed_on.isoformat(),
            "source": source,
            "status": status,
            "recorded_at": NOW.isoformat(),
        }
        return (via or self.db)["observations"].insert(row).last_pk

    def ask(self, case_id, topic, asked_on, outcome="not_disclosed"):
        row = {
            "case_id": case_id,
            "topic": topic,
            "asked_on": asked_on.isoformat(),
            "outcome": outcome,
            "recorded_at": NOW.isoformat(),
        }
        self.db["enquiries"].insert(row)

    def adjust(self, case_id, points, expires_on, made_at=NOW):
        row = {
            "case_id": case_id,
            "points": points,
            "reason": "Practitioner's judgement",
            "expires_on": expires_on.isoformat(),
            "made_by_id": self.ann,
            "made_at": made_at.isoformat(),
        }
        self.db["adjustments"].insert(row)

    def change(self, case_id, **values):
        self.db["cases"].update(case_id, values)


@pytest.fixture
def world(db):
    return World(db)


def rank_of(db, case_id):
    """The case's rank in its caseload, read as the product reads it (with its scores row)."""
    return storage.fetch_one(db, scores_sql.SELECT_SCORE_SQL, {"case_id": case_id})["rank"]


def ranked(db, settings, worker_id):
    """The worker's caseload as (rank, case id), in the order the product lists it."""
    ids = {r["case_ref"]: r["id"] for r in db["cases"].rows}
    return [
        (row["rank"], ids[row["case_ref"]])
        for row in rescoring.read_caseload(db, worker_id, settings)
    ]


def random_cases(world, rng, count, *, after_as_of=True):
    """Cases with everything the model reads: resolved, refuted and (unless not
    ``after_as_of``) future observations, enquiries of every outcome (some after as_of), live,
    expired and future adjustments."""
    codes = list(scoring.COMBINATIONS["toxic_trio"]) + ["parental_conflict", "new_partner"]
    codes += ["parental_ace", "previous_injury", "missed_appointments", "young_parent"]
    for _ in range(count):
        born = AS_OF - timedelta(days=rng.randint(0, 3000))
        opened = AS_OF - timedelta(days=rng.randint(0, 400))
        last = rng.choice([None, AS_OF - timedelta(days=rng.randint(0, 60))])
        case_id = world.case(
            rng.choice([world.ann, world.bob, None]),
            born=born,
            opened=opened,
            last_visit_on=last and last.isoformat(),
            visit_every_days=rng.choice([7, 14, 28]),
            status=rng.choice(["open"] * 9 + ["closed"]),
        )
        for _ in range(rng.randint(0, 12)):
            world.observe(
                case_id,
                rng.choice(codes),
                AS_OF - timedelta(days=rng.randint(-5 if after_as_of else 0, 800)),
                rng.choice(["current"] * 6 + ["resolved", "refuted"]),
                source=rng.choice(["police", "police", "health_visiting", "gp"]),
            )
        for topic in ("domestic_abuse", "parental_childhood"):
            if rng.random() < 0.6:
                outcome = rng.choice(["disclosed", "not_disclosed", "unable_to_ask"])
                world.ask(case_id, topic, AS_OF - timedelta(days=rng.randint(-5, 300)), outcome)
        if rng.random() < 0.3:
            world.adjust(
                case_id,
                rng.uniform(-5, 5),
                AS_OF + timedelta(days=rng.randint(-10, 10)),
                made_at=NOW + timedelta(days=rng.choice([-3, 0, 2])),
            )


def pattern_cases(world, rng, count, *, after_as_of=True):
    """Children either side of the review pattern's bounds: from unborn to four and a half,
    with two to six of the review's features (some resolved, refuted or, unless not
    ``after_as_of``, dated after the scoring day), the questions sometimes asked, and some
    adjustments up and down."""
    features = ["parental_conflict", "parental_ace", "domestic_abuse", "stressful_birth"]
    features += ["feeding_difficulties", "substance_misuse", "new_partner", "previous_injury"]
    for _ in range(count):
        born = AS_OF - timedelta(days=rng.randint(-60, 1650))
        case_id = world.case(rng.choice([world.ann, world.bob]), born=born)
        for code in rng.sample(features, rng.randint(2, 6)):
            world.observe(
                case_id,
                code,
                AS_OF - timedelta(days=rng.randint(0, 900)),
                rng.choice(["current"] * 8 + ["resolved", "refuted"]),
                source=rng.choice(["police", "health_visiting", "midwifery"]),
            )
        if after_as_of and rng.random() < 0.1:  # not yet known on the scoring day
            world.observe(case_id, rng.choice(features), AS_OF + timedelta(days=2))
        if rng.random() < 0.4:
            world.ask(case_id, "domestic_abuse", AS_OF - timedelta(days=rng.randint(0, 60)))
        if rng.random() < 0.3:
            world.adjust(case_id, rng.choice([-12.0, -3.0, 4.0]), AS_OF + timedelta(days=5))


def assert_sql_agrees_with_the_model(db, settings, *, patterns=False):
    """Score, band, model version, practice gaps, current concerns and the review pattern, case
    by case; and the accumulation rule (several concerns from different agencies) is among what
    was compared, and (with ``patterns``) the review pattern both raising a score to red and
    matching a case already above it."""
    rows = db.execute(
        "SELECT case_id, score, band, model_version, practice_gaps, current_concerns,"
        " review_pattern FROM scores"
    ).fetchall()
    assert rows
    model_settings = settings["scoring"]
    version = scoring.model_version(model_settings)
    accumulated = raised = matched_above = 0
    for case_id, score, band, model, gaps, concerns, pattern in rows:
        _, case = rescoring.case_facts(db, case_id)
        expected = scoring.score_case(case, model_settings, AS_OF)
        assert score == pytest.approx(expected.score, abs=1e-6), f"case {case_id}"
        assert band == expected.band
        assert model == version
        assert rules.gap_codes(gaps) == [c for c, _ in scoring.gaps_of(case, model_settings, AS_OF)]
        assert concerns == scoring.current_concerns(case, model_settings, AS_OF)
        assert bool(pattern) == expected.matches_review_pattern, f"case {case_id}"
        accumulated += any(c.kind == "accumulation" for c in expected.contributions)
        lift = [c.points for c in expected.contributions if c.kind == "pattern"]
        raised += bool(lift and lift[0] > 0)
        matched_above += bool(lift and lift[0] == 0)
    assert accumulated > 0
    if patterns:
        assert raised > 0 and matched_above > 0, (raised, matched_above)


def test_a_full_rescore_of_demo_data_equals_the_pure_model_for_every_case(db, settings):
    load_demo(
        db, settings, cases=400, seed=11, as_of=AS_OF, now=NOW, password_hash="x", rescore=False
    )
    open_cases = db.execute("SELECT count(*) FROM cases WHERE status = 'open'").fetchone()[0]
    assert rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW) == open_cases
    assert_sql_agrees_with_the_model(db, settings, patterns=True)


def partner_cases(world, rng, count, *, after_as_of=True):
    """Cases with what partners send in clusters: low-graded police notices days to months
    apart (some refuted, some after as_of unless not ``after_as_of``), and attendances at
    unscheduled care of children either side of their second birthday, beside ordinary
    concerns from other agencies."""
    for _ in range(count):
        born = AS_OF - timedelta(days=rng.randint(300, 1200))
        case_id = world.case(world.ann, born=born, opened=AS_OF - timedelta(days=200))
        day = rng.randint(-10 if after_as_of else 0, 300)
        for _ in range(rng.randint(0, 6)):
            day += rng.choice([0, 1, 20, 45, 90, 91, 120])
            status = rng.choice(["current"] * 5 + ["refuted"])
            world.observe(case_id, "ppn_low", AS_OF - timedelta(days=day), status, source="police")
        for _ in range(rng.randint(0, 3)):
            world.observe(
                case_id,
                "unscheduled_care",
                AS_OF - timedelta(days=rng.randint(-5 if after_as_of else 0, 700)),
                source="hospital",
            )
        for code in rng.sample(["feeding_difficulties", "missed_appointments", "new_partner"], 2):
            world.observe(
                case_id, code, AS_OF - timedelta(days=rng.randint(0, 200)), source="health_visiting"
            )


@pytest.mark.parametrize(("seed", "after_as_of"), [(1, True), (2, True), (3, False)])
def test_a_full_rescore_derives_escalations_and_possible_injuries_as_the_pure_model_does(
    world, db, settings, seed, after_as_of
):
    """With records dated after the scoring day the run reads every observation; without,
    the kept sums (the derived indicators are still worked out from their rows)."""
    partner_cases(world, random.Random(seed), 150, after_as_of=after_as_of)
    steps = {}
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW, timings=steps)
    assert (FROM_OBSERVATIONS if after_as_of else FROM_SUMS) in steps
    assert_sql_agrees_with_the_model(db, settings)
    derived = set()
    for (case_id,) in db.execute("SELECT case_id FROM scores").fetchall():
        _, case = rescoring.case_facts(db, case_id)
        codes = {c.code for c in scoring.score_case(case, settings["scoring"], AS_OF).contributions}
        derived |= codes & {"ppn_escalating", "unscheduled_care_injury"}
    assert derived == {"ppn_escalating", "unscheduled_care_injury"}


@pytest.mark.parametrize("after_as_of", [True, False])
def test_a_full_rescore_matches_the_review_pattern_as_the_pure_model_does(
    world, db, settings, after_as_of
):
    """Young children with several of the review's features, from the observations and from
    the kept sums: the pattern raises some scores to red and matches others already above it,
    with adjustments after it, case by case as the pure model does."""
    pattern_cases(world, random.Random(21), 150, after_as_of=after_as_of)
    random_cases(world, random.Random(22), 40, after_as_of=after_as_of)
    steps = {}
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW, timings=steps)
    assert (FROM_OBSERVATIONS if after_as_of else FROM_SUMS) in steps
    assert_sql_agrees_with_the_model(db, settings, patterns=True)


@pytest.mark.parametrize("after_as_of", [True, False])
def test_a_derived_indicator_may_be_one_of_the_review_patterns_features(
    world, db, settings, after_as_of
):
    """A council that counts a possible injury (worked out from attendances) as the review's
    previous injury: the derived rows count towards the pattern on both paths."""
    pattern = settings["scoring"]["review_pattern"]
    pattern["features"] = [*pattern["features"], "unscheduled_care_injury", "ppn_escalating"]
    pattern["core_features"] = [*pattern["core_features"], "ppn_escalating"]
    partner_cases(world, random.Random(5), 150, after_as_of=after_as_of)
    for case_id in range(1, 151, 3):  # conflict (a core feature) beside the partners' notices
        world.observe(case_id, "parental_conflict", AS_OF - timedelta(days=40), source="gp")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert_sql_agrees_with_the_model(db, settings, patterns=True)


@pytest.mark.parametrize("after_as_of", [True, False])
@pytest.mark.parametrize("min_agencies", [1, 3])
def test_a_full_rescore_equals_the_pure_model_whatever_number_of_agencies_accumulation_asks_for(
    world, db, settings, min_agencies, after_as_of
):
    """The set-based rescore stops reading a case's sources (or its kept agency days) at the
    number the rule asks for; with one agency, or with all three the random cases use, it
    still agrees case by case."""
    settings["scoring"]["accumulation"]["min_agencies"] = min_agencies
    random_cases(world, random.Random(7), 120, after_as_of=after_as_of)
    steps = {}
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW, timings=steps)
    assert (FROM_OBSERVATIONS if after_as_of else FROM_SUMS) in steps
    assert_sql_agrees_with_the_model(db, settings)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_full_rescore_equals_the_pure_model_with_adjustments_and_rows_after_as_of(
    world, db, settings, seed
):
    random_cases(world, random.Random(seed), 80)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert_sql_agrees_with_the_model(db, settings)


def test_unborn_childrens_cases_are_scored_as_under_one_by_the_set_based_rescore_too(
    world, db, settings
):
    """A pre-birth case's date_of_birth holds the expected date (birth_status 'due', or the
    day it was first read as unborn for 'due_unknown'): the set-based rescore gives it the
    under-one multiplier, the accumulation rule and the derived age test, as the model does."""
    cases = [
        world.case(world.ann, born=AS_OF + timedelta(days=days), birth_status=status)
        for days, status in ((120, "due"), (1, "due"), (-15, "due"), (0, "due_unknown"))
    ]
    for case_id in cases:
        world.observe(case_id, "domestic_abuse", AS_OF - timedelta(days=3), source="police")
        world.observe(case_id, "substance_misuse", AS_OF - timedelta(days=9), source="midwifery")
        world.observe(case_id, "new_partner", AS_OF - timedelta(days=20), source="police")
        world.observe(case_id, "unscheduled_care", AS_OF - timedelta(days=2), source="hospital")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert_sql_agrees_with_the_model(db, settings)
    for case_id in cases:
        contributions = json.loads(
            db.execute("SELECT contributions FROM scores WHERE case_id = ?", [case_id]).fetchone()[
                0
            ]
        )
        kinds = {(c["kind"], c["code"]): c for c in contributions}
        assert (
            kinds[("age", "child_age")]["weight"] == settings["scoring"]["age_multiplier_under_1"]
        )
        assert ("accumulation", "accumulation") in kinds
        assert ("indicator", "unscheduled_care_injury") in kinds


def test_a_full_rescore_stores_contributions_that_sum_to_each_score(world, db, settings):
    random_cases(world, random.Random(4), 40)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    for score, contributions in db.execute("SELECT score, contributions FROM scores"):
        items = json.loads(contributions)
        assert sum(c["points"] for c in items) == pytest.approx(score, abs=1e-9)
        assert all(
            set(c)
            == {"code", "label", "kind", "weight", "decay", "points", "observation_ids"}
            | {"detail"}
            for c in items
        )


def test_a_large_authority_gets_its_explanations_when_a_case_is_read(
    world, db, settings, monkeypatch
):
    monkeypatch.setattr(in_storage.bulk, "STORE_CONTRIBUTIONS_UP_TO", 0)
    case_id = world.case(world.ann)
    world.observe(case_id, "domestic_abuse")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert db["scores"].get(case_id)["contributions"] == "[]"
    (row,) = rescoring.read_caseload(db, world.ann, settings)
    assert row["contributions"][0]["code"] == "domestic_abuse"
    assert sum(c["points"] for c in row["contributions"]) == pytest.approx(row["score"])
    assert row["reasons"][0].startswith("Domestic abuse")


def test_explanations_worked_out_on_read_equal_the_stored_ones(world, db, settings):
    cases = [world.case(world.ann) for _ in range(3)]
    world.observe(cases[0], "domestic_abuse")
    world.observe(cases[1], "previous_injury")
    world.observe(cases[1], "parental_conflict")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    stored = {r["case_id"]: dict(r) for r in db["scores"].rows_where("case_id in (?, ?, ?)", cases)}
    assert all(row["contributions"] != "[]" for row in stored.values())
    emptied = {i: {**row, "contributions": "[]"} for i, row in stored.items()}

    explained = rescoring.contributions_for(db, emptied, settings)

    assert explained == {i: json.loads(row["contributions"]) for i, row in stored.items()}


def test_ranks_run_from_one_in_each_workers_caseload_and_unallocated_cases_have_none(
    world, db, settings
):
    quiet = world.case(world.ann)
    busy = world.case(world.ann)
    world.observe(busy, "previous_injury")
    other = world.case(world.bob)
    nobody = world.case(None)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    ranks = {r["case_id"]: (rank_of(db, r["case_id"]), r["worker_id"]) for r in db["scores"].rows}
    assert ranks == {
        busy: (1, world.ann),
        quiet: (2, world.ann),
        other: (1, world.bob),
        nobody: (None, None),
    }
    assert ranked(db, settings, world.ann) == [(1, busy), (2, quiet)]
    assert ranked(db, settings, world.bob) == [(1, other)]


def test_equal_scores_in_a_caseload_are_ranked_by_the_lower_case_id_first(world, db, settings):
    tied = [world.case(world.ann) for _ in range(3)]
    higher = world.case(world.ann)
    world.observe(higher, "domestic_abuse")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    scores = {db["scores"].get(case_id)["score"] for case_id in tied}
    assert len(scores) == 1  # the same facts, so the same score
    assert ranked(db, settings, world.ann) == [
        (1, higher),
        (2, tied[0]),
        (3, tied[1]),
        (4, tied[2]),
    ]
    assert [rank_of(db, case_id) for case_id in tied] == [2, 3, 4]
    # A later case that ties with the leader ranks below it, and above the lower scores.
    level = world.case(world.ann)
    world.observe(level, "domestic_abuse")
    rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1))
    assert db["scores"].get(level)["score"] == db["scores"].get(higher)["score"]
    assert ranked(db, settings, world.ann) == [
        (1, higher),
        (2, level),
        (3, tied[0]),
        (4, tied[1]),
        (5, tied[2]),
    ]


def test_an_unallocated_case_has_no_rank_until_it_is_allocated(world, db, settings):
    held = world.case(world.ann)
    nobody = world.case(None)
    world.observe(nobody, "previous_injury")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert rank_of(db, nobody) is None
    assert ranked(db, settings, world.ann) == [(1, held)]
    world.change(nobody, worker_id=world.ann)
    row = rescoring.rescore_case(db, nobody, settings, as_of=AS_OF, now=later(1))
    assert row["rank"] == 1
    assert ranked(db, settings, world.ann) == [(1, nobody), (2, held)]


def test_closed_cases_leave_the_ranking_and_keep_their_history(world, db, settings):
    staying = world.case(world.ann)
    closing = world.case(world.ann)
    world.observe(closing, "domestic_abuse")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.change(closing, status="closed", closed_on=AS_OF.isoformat())
    rescoring.rescore_all(db, settings, as_of=AS_OF + timedelta(days=1), now=later(60 * 24))
    assert [r["case_id"] for r in db["scores"].rows] == [staying]
    assert rank_of(db, staying) == 1
    assert db.execute("SELECT day FROM score_history WHERE case_id = ?", [closing]).fetchall() == [
        (AS_OF.isoformat(),)
    ]


def test_history_keeps_one_row_per_case_per_day(world, db, settings):
    case_id = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.observe(case_id, "police_callout")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=later(5))
    rescoring.rescore_case(db, case_id, settings, as_of=AS_OF, now=later(6))
    rescoring.rescore_all(db, settings, as_of=AS_OF + timedelta(days=1), now=later(60 * 24))
    history = db.execute(
        "SELECT day, score FROM score_history WHERE case_id = ? ORDER BY day", [case_id]
    ).fetchall()
    assert [day for day, _ in history] == ["2026-11-25", "2026-11-26"]
    # The day's row holds the latest run of that day: the call-out counts (3 × 1.5 for a baby).
    assert history[0][1] == pytest.approx(db["scores"].get(case_id)["score"], abs=0.1)


def test_the_trend_is_the_change_against_seven_days_before(world, db, settings):
    case_id = world.case(world.ann)
    week_ago = AS_OF - timedelta(days=7)
    rescoring.rescore_all(db, settings, as_of=week_ago, now=NOW - timedelta(days=7))
    before = db["scores"].get(case_id)["score"]
    world.observe(case_id, "domestic_abuse", AS_OF - timedelta(days=1))
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    after = db["scores"].get(case_id)["score"]
    assert after > before
    assert rescoring.trend(db, case_id, AS_OF) == pytest.approx(after - before)
    assert rescoring.trend(db, case_id, AS_OF - timedelta(days=3)) is None  # no older history
    (row,) = rescoring.read_caseload(db, world.ann, settings)
    assert row["trend"] == pytest.approx(after - before)
    series = rescoring.score_series(db, case_id, AS_OF)
    assert series == [(week_ago.isoformat(), before), (AS_OF.isoformat(), after)]
    assert rescoring.score_series(db, case_id, AS_OF, days=7) == [(AS_OF.isoformat(), after)]


def test_rescoring_one_case_writes_its_score_history_and_reranks_its_caseload(world, db, settings):
    first = world.case(world.ann)
    world.observe(first, "police_callout")
    second = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert ranked(db, settings, world.ann) == [(1, first), (2, second)]
    world.observe(second, "previous_injury")
    row = rescoring.rescore_case(db, second, settings, as_of=AS_OF, now=later(2))
    assert row["rank"] == 1
    assert rank_of(db, first) == 2
    assert ranked(db, settings, world.ann) == [(1, second), (2, first)]
    assert row["score"] == pytest.approx(rescoring.score_of(db, second, settings, AS_OF).score)
    assert row["computed_at"] == stamp(later(2))
    contributions = json.loads(row["contributions"])
    assert "previous_injury" in {c["code"] for c in contributions}
    assert sum(c["points"] for c in contributions) == pytest.approx(row["score"])
    history = db.execute("SELECT score FROM score_history WHERE case_id = ?", [second])
    assert history.fetchall() == [(row["score"],)]
    explained = rescoring.score_of(db, second, settings, AS_OF).contributions
    assert [c.as_dict() for c in explained] == contributions


def test_a_reallocated_case_leaves_its_old_workers_ranking(world, db, settings):
    moving = world.case(world.ann)
    world.observe(moving, "previous_injury")
    staying = world.case(world.ann)
    bobs = world.case(world.bob)
    world.observe(bobs, "domestic_abuse")
    world.observe(bobs, "previous_injury")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert ranked(db, settings, world.ann) == [(1, moving), (2, staying)]
    world.change(moving, worker_id=world.bob)
    rescoring.rescore_case(db, moving, settings, as_of=AS_OF, now=later(2))
    assert rank_of(db, staying) == 1
    assert ranked(db, settings, world.ann) == [(1, staying)]
    assert (rank_of(db, moving), db["scores"].get(moving)["worker_id"]) == (2, world.bob)
    assert ranked(db, settings, world.bob) == [(1, bobs), (2, moving)]


def test_the_sweep_changes_the_ranks_the_rest_of_the_caseload_sees(world, db, settings):
    cases = [world.case(world.ann) for _ in range(3)]
    world.observe(cases[0], "domestic_abuse")
    world.observe(cases[1], "police_callout")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert ranked(db, settings, world.ann) == [(1, cases[0]), (2, cases[1]), (3, cases[2])]
    world.observe(cases[2], "previous_injury")
    world.observe(cases[2], "domestic_abuse")
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 1
    assert ranked(db, settings, world.ann) == [(1, cases[2]), (2, cases[0]), (3, cases[1])]
    assert [rank_of(db, case_id) for case_id in cases] == [2, 3, 1]


def test_rescoring_a_closed_case_removes_its_score(world, db, settings):
    case_id = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.change(case_id, status="closed")
    assert rescoring.rescore_case(db, case_id, settings, as_of=AS_OF, now=later(2)) is None
    assert db["scores"].count == 0


def test_the_sweep_rescores_only_cases_changed_since_they_were_scored(world, db, settings):
    changed = world.case(world.ann)
    untouched = world.case(world.ann)
    closing = world.case(world.bob)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 0
    world.observe(changed, "domestic_abuse")
    world.change(closing, status="closed")
    new = world.case(world.bob)  # never scored
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(3)) == 3
    assert db["scores"].get(changed)["computed_at"] == stamp(later(3))
    assert db["scores"].get(untouched)["computed_at"] == stamp(NOW)
    assert {r["case_id"] for r in db["scores"].rows} == {changed, untouched, new}
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(4)) == 0


def test_the_sweep_rescores_everything_when_the_weights_change(world, db, settings):
    for _ in range(3):
        world.observe(world.case(world.ann), "domestic_abuse")
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    heavier = json.loads(json.dumps(settings))
    heavier["scoring"]["indicators"]["domestic_abuse"]["weight"] = 9.0
    assert rescoring.rescore_changed(db, heavier, as_of=AS_OF, now=later(1)) == 3
    version = scoring.model_version(heavier["scoring"])
    assert {r["model_version"] for r in db["scores"].rows} == {version}


def test_the_sweep_rescores_everything_set_based_when_many_cases_changed(
    world, db, settings, monkeypatch
):
    ids = [world.case(world.ann) for _ in range(4)]
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    monkeypatch.setattr(in_storage.incremental, "BULK_RESCORE_ABOVE", 2)
    for case_id in ids[:3]:
        world.change(case_id, visit_every_days=3)
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(2)) == 4
    assert {r["computed_at"] for r in db["scores"].rows} == {stamp(later(2))}


def test_a_failed_full_rescore_leaves_the_previous_scores_whole(world, db, settings, monkeypatch):
    case_id = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    before = db["scores"].get(case_id)
    world.observe(case_id, "domestic_abuse")
    monkeypatch.setattr(scores_sql, "UPSERT_ALL_HISTORY_SQL", "SELECT no_such_column")
    with pytest.raises(Exception, match="no_such_column"):
        rescoring.rescore_all(db, settings, as_of=AS_OF, now=later(1))
    assert db["scores"].get(case_id) == before
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_change_in_the_same_instant_as_the_last_rescore_is_still_rescored(world, db, settings):
    case_id = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.observe(case_id, "domestic_abuse")  # no clock involved: the write marks the case
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=NOW) == 1
    assert db["scores"].get(case_id)["score"] == pytest.approx(
        rescoring.score_of(db, case_id, settings, AS_OF).score
    )
    assert db["rescore_queue"].count == 0


def test_a_write_committed_after_a_full_rescore_started_is_rescored_by_the_next_sweep(
    world, db, settings
):
    """The import read its clock (NOW) before the full rescore (later) committed: compared as
    times, its change looked older than the score and was missed."""
    case_id = world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=later(10))
    world.observe(case_id, "previous_injury")  # committed after the rescore, stamped earlier
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(11)) == 1
    codes = {c["code"] for c in json.loads(db["scores"].get(case_id)["contributions"])}
    assert "previous_injury" in codes


def test_a_rescore_removes_only_the_marks_it_consumed(world, db, settings, monkeypatch):
    first, second = world.case(world.ann), world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.observe(first, "domestic_abuse")
    real = in_storage.incremental._write_scores

    def write_scores_while_someone_writes(db, case_ids, *args):
        # A write inside the sweep's transaction (as a trigger would make it) after the
        # sweep read its marks: it must survive the sweep.
        if first in case_ids:
            world.observe(second, "police_callout")
        return real(db, case_ids, *args)

    monkeypatch.setattr(in_storage.incremental, "_write_scores", write_scores_while_someone_writes)
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 1
    assert [r["case_id"] for r in db["rescore_queue"].rows] == [second]


@contextlib.contextmanager
def statements_run(db):
    """The SQL statements the connection runs inside the block, as SQLite traces them."""
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        db.conn.set_trace_callback(None)


def test_with_nothing_marked_the_sweep_reads_only_the_marks(world, db, settings):
    for _ in range(3):
        world.case(world.ann)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    with statements_run(db) as statements:
        assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 0
    touched = " ".join(statements)
    assert "rescore_queue" in touched and "scoring_state" in touched
    assert "FROM scores" not in touched and "FROM cases" not in touched


def test_an_enquiry_entered_in_error_no_longer_closes_its_practice_gap(world, db, settings):
    case_id = world.case(world.ann, opened=date(2026, 9, 1))
    world.ask(case_id, "domestic_abuse", date(2026, 9, 10))
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert (
        not rules.GAP_BITS["no_domestic_abuse_enquiry"] & db["scores"].get(case_id)["practice_gaps"]
    )
    (enquiry_id,) = [r["id"] for r in db["enquiries"].rows_where("case_id = ?", [case_id])]
    db["enquiries"].update(
        enquiry_id, {"entered_in_error_at": NOW.isoformat(), "entered_in_error_reason": "wrong"}
    )
    assert [r["case_id"] for r in db["rescore_queue"].rows] == [case_id]  # marked
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 1
    gaps = db["scores"].get(case_id)["practice_gaps"]
    assert gaps & rules.GAP_BITS["no_domestic_abuse_enquiry"]
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=later(2))  # the set-based path too
    assert db["scores"].get(case_id)["practice_gaps"] == gaps
    assert_sql_agrees_with_the_model_on(db, settings, case_id)


def assert_sql_agrees_with_the_model_on(db, settings, case_id):
    _, case = rescoring.case_facts(db, case_id)
    expected = scoring.score_case(case, settings["scoring"], AS_OF)
    assert db["scores"].get(case_id)["score"] == pytest.approx(expected.score, abs=1e-6)


def test_many_cases_facts_read_at_once_equal_each_cases_own(world, db, settings):
    random_cases(world, random.Random(7), 60)
    ids = [r["id"] for r in db["cases"].rows]
    found = in_storage.facts.facts_by_case(db, [*ids, 999_999])
    assert sorted(found) == sorted(ids)  # the unknown case is left out
    assert {r["status"] for r, _ in found.values()} == {"open", "closed"}

    def in_order(case):  # the same facts, whatever order the rows came in
        return dataclasses.replace(
            case,
            observations=sorted(case.observations, key=repr),
            enquiries=sorted(case.enquiries, key=repr),
            adjustments=sorted(case.adjustments, key=repr),
        )

    for case_id in ids:
        row, case = rescoring.case_facts(db, case_id)
        assert found[case_id][0] == row
        assert in_order(found[case_id][1]) == in_order(case)


RANKED_SQL = f"""
SELECT s.case_id, s.score, s.band, {rule_sql.RANK} AS rank, s.worker_id, s.practice_gaps,
       s.current_concerns
FROM scores AS s ORDER BY s.case_id
"""  # noqa: S608 (a constant fragment, no values)


def test_the_sweep_rescores_many_marked_cases_as_the_model_and_the_full_rescore_do(
    world, db, settings
):
    random_cases(world, random.Random(8), 45)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    for row in list(db["cases"].rows):  # closes some, reopens others, reallocates some
        world.change(
            row["id"],
            status="open"
            if row["status"] == "closed"
            else random.Random(row["id"]).choice(["open", "open", "closed"]),
            worker_id=world.bob if row["worker_id"] == world.ann else world.ann,
        )
    assert db["rescore_queue"].count == 45
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 45
    assert db["rescore_queue"].count == 0
    assert_sql_agrees_with_the_model(db, settings)
    incremental = db.execute(RANKED_SQL).fetchall()
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=later(2))
    full = db.execute(RANKED_SQL).fetchall()
    assert [(r[0], round(r[1], 6), *r[2:]) for r in incremental] == [
        (r[0], round(r[1], 6), *r[2:]) for r in full
    ]


def before_each_later_transaction(db, action):
    """Run ``action(n)`` just before the connection starts its n-th write transaction (n from
    2): between two of a rescore's transactions, when it holds no lock."""
    begun = []

    def trace(statement):
        if statement.startswith("BEGIN IMMEDIATE"):
            begun.append(statement)
            if len(begun) > 1:
                try:
                    action(len(begun))
                except Exception as e:  # sqlite3 would swallow it
                    begun.append(e)

    db.conn.set_trace_callback(trace)
    return begun


def test_a_page_writes_its_audit_row_between_two_transactions_of_a_long_rescore(
    world, db, db_path, settings
):
    ids = [world.case(world.ann) for _ in range(25)]
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    for case_id in ids:
        world.observe(case_id, "domestic_abuse")
    # The page's connection does not wait at all: its write fails if the lock is held.
    page = storage.connect(db_path, busy_timeout_ms=0)
    written = []

    def view_case(n):
        try:
            audit.record(page, at=later(2), action="view_case", case_ref=f"C{n}")
            written.append(n)
        except sqlite3.OperationalError as e:
            written.append(str(e))

    try:
        begun = before_each_later_transaction(db, view_case)
        assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 25
    finally:
        db.conn.set_trace_callback(None)
        page.close()
    assert len(begun) == 3  # 10 + 10 + 5 cases
    assert written == [2, 3]
    assert db["audit_log"].count_where("action = 'view_case'") == 2
    assert {r["computed_at"] for r in db["scores"].rows} == {stamp(later(1))}


def test_writes_between_a_rescores_transactions_are_scored_or_stay_marked(
    world, db, db_path, settings
):
    ids = [world.case(world.ann) for _ in range(25)]
    untouched = world.case(world.bob)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    for case_id in ids:
        world.observe(case_id, "domestic_abuse")
    done, unmarked, read, waiting = ids[0], ids[12], ids[15], ids[20]
    other = storage.connect(db_path)

    def someone_writes(n):
        if n == 2:  # the first 10 cases are rescored; the next 10 worked out, not written
            world.observe(done, "previous_injury", via=other)  # rescored: stays marked
            world.observe(read, "previous_injury", via=other)  # worked out again: in its score
            world.observe(waiting, "previous_injury", via=other)  # not read yet: in its score
            world.observe(untouched, "previous_injury", via=other)  # not listed: stays marked
            # Another rescore takes one of the waiting cases (and its mark) first.
            rescoring.rescore_case(other, unmarked, settings, as_of=AS_OF, now=later(5))

    try:
        begun = before_each_later_transaction(db, someone_writes)
        rescored = rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1))
    finally:
        db.conn.set_trace_callback(None)
        other.close()
    assert begun == ["BEGIN IMMEDIATE"] * 3
    assert rescored == 24
    assert sorted(r["case_id"] for r in db["rescore_queue"].rows) == [done, untouched]
    assert "previous_injury" in db["scores"].get(read)["contributions"]
    assert "previous_injury" in db["scores"].get(waiting)["contributions"]
    assert "previous_injury" not in db["scores"].get(done)["contributions"]
    assert db["scores"].get(unmarked)["computed_at"] == stamp(later(5))
    assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(6)) == 2
    assert "previous_injury" in db["scores"].get(done)["contributions"]
    assert db["rescore_queue"].count == 0


def test_with_no_other_writer_each_cases_facts_are_read_once(world, db, settings):
    ids = [world.case(world.ann) for _ in range(25)]
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    for case_id in ids:
        world.observe(case_id, "domestic_abuse")
    with statements_run(db) as statements:
        assert rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(1)) == 25
    # the batch read of the cases' observations (the trace shows its values bound)
    facts_read = " ".join(scores_sql.SELECT_CASES_OBSERVATIONS_SQL.split()).split(":")[0]
    reads = [s for s in statements if " ".join(s.split()).startswith(facts_read)]
    assert len(reads) == 3  # one read a transaction
    for case_id in ids:
        assert_sql_agrees_with_the_model_on(db, settings, case_id)


def test_rescoring_the_marked_among_given_cases_leaves_every_other_mark(world, db, settings):
    changed, closing, other = (world.case(world.ann) for _ in range(3))
    unmarked = world.case(world.bob)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    world.observe(changed, "domestic_abuse")
    world.change(closing, status="closed")
    world.observe(other, "domestic_abuse")
    given = [changed, closing, unmarked, 999_999, changed]
    assert rescoring.rescore_marked(db, given, settings, as_of=AS_OF, now=later(1)) == 2
    assert [r["case_id"] for r in db["rescore_queue"].rows] == [other]
    assert db["scores"].get(changed)["computed_at"] == stamp(later(1))
    assert db["scores"].get(unmarked)["computed_at"] == stamp(NOW)
    assert closing not in {r["case_id"] for r in db["scores"].rows}
    assert_sql_agrees_with_the_model_on(db, settings, changed)


# --- the kept indicator sums (indicator_sums) ------------------------------------------------

FROM_SUMS = "indicator points per case, from the kept sums"
FROM_OBSERVATIONS = "indicator points per case, from the observations"


def rescore_all_timed(db, settings, *, as_of=AS_OF, now=NOW, **extra):
    steps = {}
    rescoring.rescore_all(db, settings, as_of=as_of, now=now, timings=steps, **extra)
    return steps


def kept_sums(db):
    return {
        (case_id, indicator): (last_day, decay_sum)
        for case_id, indicator, last_day, decay_sum in db.execute(
            "SELECT case_id, indicator, last_day, decay_sum FROM indicator_sums"
        )
    }


def kept_agency_days(db):
    return db.execute("SELECT * FROM agency_days ORDER BY case_id, source").fetchall()


class RolledBack(Exception):
    """Raised to roll a write transaction back."""


def sums_worked_out_afresh(db, settings):
    """What the kept sums and agency days would be if every one were worked out now (in a
    transaction that is rolled back)."""
    with pytest.raises(RolledBack), storage.write_transaction(db):
        db.execute("DELETE FROM indicator_sums_half_lives")
        rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
        fresh = kept_sums(db), kept_agency_days(db)
        raise RolledBack
    return fresh


def assert_same_sums(db, settings):
    kept, agency_days = kept_sums(db), kept_agency_days(db)
    fresh, fresh_agency_days = sums_worked_out_afresh(db, settings)
    assert agency_days == fresh_agency_days
    assert kept.keys() == fresh.keys()
    for key, (last_day, decay_sum) in fresh.items():
        assert kept[key][0] == last_day, key
        assert kept[key][1] == pytest.approx(decay_sum, rel=1e-12), key


def test_the_first_full_rescore_builds_the_sums_and_scores_from_them_as_the_pure_model(
    world, db, settings
):
    random_cases(world, random.Random(21), 120, after_as_of=False)
    assert db.execute("SELECT count(*) FROM indicator_sums").fetchone() == (0,)
    assert FROM_SUMS in rescore_all_timed(db, settings)
    assert_sql_agrees_with_the_model(db, settings)
    current = db.execute(
        "SELECT count(DISTINCT case_id || ' ' || indicator) FROM observations "
        "WHERE status = 'current'"
    ).fetchone()[0]
    assert len(kept_sums(db)) == current > 0
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone() == (0,)


def test_the_kept_sums_follow_every_kind_of_write_to_observations(world, db, settings):
    """New observations, a status changed either way, a day, an indicator, an agency or a case
    changed, an observation deleted: after the next full rescore the kept sums and agency days
    are those worked out afresh, and the scores those of the pure model."""
    rng = random.Random(22)
    random_cases(world, rng, 100, after_as_of=False)
    rescore_all_timed(db, settings)
    ids = [r[0] for r in db.execute("SELECT id FROM observations ORDER BY id")]
    cases = [r[0] for r in db.execute("SELECT id FROM cases")]
    with db.conn:
        for case_id in rng.sample(cases, 10):
            world.observe(case_id, "domestic_abuse", AS_OF - timedelta(days=rng.randint(0, 90)))
        for observation_id in rng.sample(ids, 40):
            change = rng.choice(["status", "day", "indicator", "source", "case", "delete"])
            if change == "status":
                status = rng.choice(["current", "resolved", "refuted"])
                db.execute(
                    "UPDATE observations SET status = ? WHERE id = ?", [status, observation_id]
                )
            elif change == "day":
                day = (AS_OF - timedelta(days=rng.randint(0, 400))).isoformat()
                db.execute(
                    "UPDATE observations SET observed_on = ? WHERE id = ?", [day, observation_id]
                )
            elif change == "indicator":
                db.execute(
                    "UPDATE observations SET indicator = 'new_partner' WHERE id = ?",
                    [observation_id],
                )
            elif change == "source":
                db.execute(
                    "UPDATE observations SET source = 'school' WHERE id = ?", [observation_id]
                )
            elif change == "case":
                db.execute(
                    "UPDATE observations SET case_id = ? WHERE id = ?",
                    [rng.choice(cases), observation_id],
                )
            else:
                db.execute("DELETE FROM observations WHERE id = ?", [observation_id])
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone()[0] > 0
    assert FROM_SUMS in rescore_all_timed(db, settings, now=later(5))
    assert_sql_agrees_with_the_model(db, settings)
    assert_same_sums(db, settings)


def test_a_write_that_cannot_change_a_sum_marks_nothing(world, db, settings):
    case_id = world.case(world.ann)
    world.observe(case_id, "domestic_abuse")
    resolved = world.observe(case_id, "new_partner", status="resolved")
    rescore_all_timed(db, settings)
    with db.conn:
        world.observe(case_id, "parental_conflict", status="refuted")
        db.execute("UPDATE observations SET note = 'seen again' WHERE id = ?", [resolved])
        db.execute("UPDATE observations SET status = 'refuted' WHERE id = ?", [resolved])
        db.execute("DELETE FROM observations WHERE id = ?", [resolved])
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone() == (0,)


def test_a_new_half_life_rebuilds_every_sum(world, db, settings):
    random_cases(world, random.Random(23), 60, after_as_of=False)
    rescore_all_timed(db, settings)
    before = kept_sums(db)
    settings["scoring"]["indicators"]["domestic_abuse"]["half_life_days"] = 30
    assert FROM_SUMS in rescore_all_timed(db, settings, now=later(5))
    assert_sql_agrees_with_the_model(db, settings)
    after = kept_sums(db)
    assert any(after[k][1] != before[k][1] for k in after if k[1] == "domestic_abuse")
    assert all(after[k] == before[k] for k in after if k[1] == "new_partner")
    assert dict(db.execute("SELECT * FROM indicator_sums_half_lives"))["domestic_abuse"] == 30


def test_an_observation_after_the_scoring_day_is_scored_from_the_observations(world, db, settings):
    """The sums run from each indicator's latest day, so they cannot give the points of a day
    before it: a past day's rescore, or a record dated after the day, reads the observations."""
    random_cases(world, random.Random(24), 60, after_as_of=False)
    assert FROM_SUMS in rescore_all_timed(db, settings)
    week_ago = AS_OF - timedelta(days=7)
    steps = rescore_all_timed(db, settings, as_of=week_ago, now=later(5), history_only=True)
    assert FROM_OBSERVATIONS in steps
    case_id = world.case(world.bob)
    with db.conn:
        world.observe(case_id, "domestic_abuse", AS_OF + timedelta(days=1))
    assert FROM_OBSERVATIONS in rescore_all_timed(db, settings, now=later(10))
    assert_sql_agrees_with_the_model(db, settings)


def test_calibrate_uses_the_sums_only_when_no_case_is_marked(world, db, settings):
    """``scratch_scores`` writes nothing, so it cannot bring marked sums up to date: it reads
    the observations instead, and either way gives what the observations give."""
    random_cases(world, random.Random(25), 80, after_as_of=False)
    rescore_all_timed(db, settings)
    from_observations = rescoring.scratch_scores(db, settings, as_of=AS_OF, from_observations=True)
    assert rescoring.scratch_scores(db, settings, as_of=AS_OF) == pytest.approx(from_observations)
    case_id = db.execute("SELECT min(id) FROM cases WHERE status = 'open'").fetchone()[0]
    with db.conn:
        world.observe(case_id, "previous_injury")
    from_observations = rescoring.scratch_scores(db, settings, as_of=AS_OF, from_observations=True)
    assert rescoring.scratch_scores(db, settings, as_of=AS_OF) == pytest.approx(from_observations)
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone() == (1,)


def test_a_removed_case_takes_its_sums_and_its_mark_with_it(world, db, settings):
    case_id = world.case(world.ann)
    world.observe(case_id, "domestic_abuse")
    rescore_all_timed(db, settings)
    assert kept_sums(db)
    assert kept_agency_days(db)
    with db.conn:
        world.observe(case_id, "new_partner")
        for table in ("observations", "score_history", "scores", "rescore_queue"):
            db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])  # noqa: S608
        db.execute("DELETE FROM cases WHERE id = ?", [case_id])
    assert kept_sums(db) == {}
    assert kept_agency_days(db) == []
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone() == (0,)


def test_sums_far_from_the_scoring_day_are_worked_out_from_their_own_latest_day(
    world, db, settings
):
    """With a half-life of one day, a record 1,000 days old is 1,000 half-lives away: too far
    to sum from the scoring day, so its group is summed from its own latest day."""
    settings["scoring"]["indicators"]["young_parent"]["half_life_days"] = 1
    old_and_new = world.case(world.ann)
    world.observe(old_and_new, "young_parent", AS_OF - timedelta(days=1000))
    world.observe(old_and_new, "young_parent", AS_OF - timedelta(days=2))
    only_old = world.case(world.ann)
    world.observe(only_old, "young_parent", AS_OF - timedelta(days=1000))
    world.observe(only_old, "young_parent", AS_OF - timedelta(days=1001))
    random_cases(world, random.Random(26), 60, after_as_of=False)
    assert FROM_SUMS in rescore_all_timed(db, settings)
    sums = kept_sums(db)
    assert sums[(old_and_new, "young_parent")][1] == pytest.approx(1.0)
    assert sums[(only_old, "young_parent")][1] == pytest.approx(1.5)
    assert_sql_agrees_with_the_model(db, settings)


@pytest.mark.parametrize("after_as_of", [True, False])
def test_an_agency_counts_for_accumulation_until_the_last_day_its_observation_is_current(
    world, db, settings, after_as_of
):
    """Three concerns from the police and an older domestic-abuse report from health
    visiting: on the half-life's last day (365 days) health visiting is a second agency, the
    day after it is not, whether the run reads the observations or the kept agency days."""
    cases = {}
    for age_days in (365, 366):
        case_id = cases[age_days] = world.case(world.ann, born=date(2025, 6, 1))
        for code in ("domestic_abuse", "new_partner", "substance_misuse"):
            world.observe(case_id, code, AS_OF - timedelta(days=3))
        world.observe(
            case_id, "domestic_abuse", AS_OF - timedelta(days=age_days), source="health_visiting"
        )
    if after_as_of:
        world.observe(world.case(world.bob), "new_partner", AS_OF + timedelta(days=1))
    random_cases(world, random.Random(27), 40, after_as_of=False)
    steps = rescore_all_timed(db, settings)
    assert (FROM_OBSERVATIONS if after_as_of else FROM_SUMS) in steps
    assert_sql_agrees_with_the_model(db, settings)
    accumulated = dict(
        db.execute(
            "SELECT case_id, score FROM scores WHERE case_id IN (?, ?)", list(cases.values())
        ).fetchall()
    )
    points = settings["scoring"]["accumulation"]["points_per_concern"] * 3
    assert accumulated[cases[365]] - accumulated[cases[366]] == pytest.approx(points, abs=0.1)


def stale_sums(db):
    return {r[0] for r in db.execute("SELECT case_id FROM indicator_sums_stale")}


def test_rescoring_a_few_cases_brings_their_kept_sums_up_to_date_too(world, db, settings):
    """The sweep, a page's rescore of one case and the API's rescore of the cases it changed
    each work out the kept sums of the marked cases they rescore, in the same transaction,
    so the nightly run finds only the marks made since; other cases' marks stay."""
    random_cases(world, random.Random(28), 60, after_as_of=False)
    rescore_all_timed(db, settings)
    cases = [r[0] for r in db.execute("SELECT id FROM cases WHERE status = 'open' LIMIT 6")]
    with db.conn:
        for case_id in cases:
            world.observe(case_id, "police_callout", AS_OF - timedelta(days=4), source="police")
    assert stale_sums(db) == set(cases)
    rescoring.rescore_case(db, cases[0], settings, as_of=AS_OF, now=later(1))
    assert stale_sums(db) == set(cases[1:])
    rescoring.rescore_marked(db, cases[1:3], settings, as_of=AS_OF, now=later(2))
    assert stale_sums(db) == set(cases[3:])
    rescoring.rescore_changed(db, settings, as_of=AS_OF, now=later(3))
    assert stale_sums(db) == set()
    assert_same_sums(db, settings)
    assert FROM_SUMS in rescore_all_timed(db, settings, now=later(4))
    assert_sql_agrees_with_the_model(db, settings)


def test_with_new_half_lives_a_few_cases_rescored_leave_the_sums_to_the_full_rescore(
    world, db, settings
):
    random_cases(world, random.Random(29), 30, after_as_of=False)
    rescore_all_timed(db, settings)
    before = kept_sums(db)
    case_id = db.execute("SELECT min(id) FROM cases WHERE status = 'open'").fetchone()[0]
    with db.conn:
        world.observe(case_id, "domestic_abuse", AS_OF - timedelta(days=1))
    settings["scoring"]["indicators"]["domestic_abuse"]["half_life_days"] = 30
    rescoring.rescore_case(db, case_id, settings, as_of=AS_OF, now=later(1))
    assert stale_sums(db) == {case_id}
    assert kept_sums(db) == before


def test_a_disputed_record_counts_in_neither_path_nor_the_kept_sums_until_it_is_upheld(
    world, db, settings
):
    """A family's dispute (hotspots.storage.disputes) makes a record count towards no score:
    after disputes on a tenth of the current observations (the review's pattern among them),
    the set-based rescore from the kept sums, the one from the observations and the pure model
    agree case by case, and the kept sums are those worked out afresh; again once half are
    upheld (counting as before) and half corrected (refuted)."""
    from hotspots.storage import disputes

    rng = random.Random(31)
    random_cases(world, rng, 120, after_as_of=False)
    pattern_cases(world, rng, 30, after_as_of=False)
    rescore_all_timed(db, settings)
    before = dict(db.execute("SELECT case_id, score FROM scores").fetchall())
    staff = world.ann
    current = db.execute(
        "SELECT o.id, c.case_ref FROM observations AS o JOIN cases AS c ON c.id = o.case_id "
        "WHERE o.status = 'current' ORDER BY o.id"
    ).fetchall()
    chosen = rng.sample(current, len(current) // 10)
    with storage.write_transaction(db):
        opened = [
            disputes.record_dispute(
                db,
                observation_id=obs_id,
                case_ref=ref,
                kind="record",
                disputed_by="other",
                what="Not us",
                received_on=AS_OF.isoformat(),
                staff_id=staff,
                now=stamp(NOW),
            )  # fmt: skip
            for obs_id, ref in chosen
        ]
    assert None not in opened
    assert db.execute("SELECT count(*) FROM indicator_sums_stale").fetchone()[0] > 0

    assert FROM_SUMS in rescore_all_timed(db, settings, now=later(5))
    assert_sql_agrees_with_the_model(db, settings)
    assert_same_sums(db, settings)
    scores = dict(db.execute("SELECT case_id, score FROM scores").fetchall())
    scratch = sorted(rescoring.scratch_scores(db, settings, as_of=AS_OF, from_observations=True))
    assert scratch == pytest.approx(sorted(scores.values()), abs=1e-6)
    assert any(scores[c] < before[c] for c in scores)  # disputed records stopped counting

    with storage.write_transaction(db):
        for n, dispute_id in enumerate(opened):
            dispute = db.execute("SELECT * FROM disputes WHERE id = ?", [dispute_id])
            row = dict(zip([d[0] for d in dispute.description], dispute.fetchone(), strict=True))
            decide = disputes.uphold if n % 2 else disputes.correct
            assert decide(db, row, reason="Checked", staff_id=staff, now=stamp(later(6)))
    assert db.execute("SELECT count(*) FROM observations WHERE status = 'disputed'").fetchone() == (
        0,
    )
    assert FROM_SUMS in rescore_all_timed(db, settings, now=later(10))
    assert_sql_agrees_with_the_model(db, settings)
    assert_same_sums(db, settings)
    upheld_only = {r[0] for r in db.execute(
        "SELECT o.case_id FROM disputes AS d JOIN observations AS o ON o.id = d.observation_id "
        "GROUP BY o.case_id HAVING min(d.decision) = 'upheld'"
    )}  # fmt: skip
    after = dict(db.execute("SELECT case_id, score FROM scores").fetchall())
    upheld_only &= set(after)  # open cases
    assert upheld_only and all(after[c] == pytest.approx(before[c]) for c in upheld_only)


def test_a_score_exactly_on_the_red_threshold_is_red_in_scores_and_in_history(world, db, settings):
    case = world.case(world.ann)
    world.observe(case, "domestic_abuse")
    world.observe(case, "parental_conflict", observed_on=AS_OF - timedelta(days=3))
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    score = db.execute("SELECT score FROM scores WHERE case_id = ?", [case]).fetchone()[0]
    on_it = copy.deepcopy(settings)
    on_it["scoring"]["red_threshold"] = score
    on_it["scoring"]["amber_threshold"] = score
    assert scoring.band_for(score, on_it["scoring"]) == "red"
    rescoring.rescore_all(db, on_it, as_of=AS_OF, now=NOW)
    earlier = AS_OF - timedelta(days=1)
    rescoring.rescore_all(db, on_it, as_of=earlier, now=NOW, history_only=True)
    then = db.execute("SELECT score FROM score_history WHERE day = ?", [earlier.isoformat()])
    on_it["scoring"]["red_threshold"] = then.fetchone()[0]
    rescoring.rescore_all(db, on_it, as_of=earlier, now=NOW, history_only=True)
    assert db.execute("SELECT band FROM scores").fetchall() == [("red",)]
    assert db.execute("SELECT day, band FROM score_history ORDER BY day").fetchall() == [
        (earlier.isoformat(), "red"),
        (AS_OF.isoformat(), "red"),
    ]
    # Just above the score it is amber (the amber threshold is still on it).
    on_it["scoring"]["red_threshold"] = score + 1e-9
    rescoring.rescore_all(db, on_it, as_of=AS_OF, now=NOW)
    assert db.execute("SELECT band FROM scores").fetchall() == [("amber",)]
