"""The fairness report: on a generated authority with a planted disparity (found, flagged and
explained by its drivers) and a small group (suppressed); the set-based counts against the
same counts made case by case; a past day from the score history; `hotspots report fairness`."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from hotspots import storage
from hotspots.base.config import load_config
from hotspots.base.dates import parse_date
from hotspots.model import characteristics, fairness, rules
from hotspots.services import rescoring
from hotspots.services.demo import load_demo
from hotspots.storage.fairness import NoFigures, fairness_report
from hotspots.storage.schema import migrate

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def plant(db):
    """The disparity: every open case of a disabled child gets a recent previous injury and a
    domestic-abuse report from the police; four children's sex becomes 'other' (a small group)."""
    disabled = [
        r[0]
        for r in db.execute(
            "SELECT c.id FROM cases AS c JOIN child_characteristics AS k ON k.case_id = c.id "
            "WHERE c.status = 'open' AND k.disability = 'yes' ORDER BY c.id"
        )
    ]
    rows = []
    for case_id in disabled:
        for code, source, back in (
            ("previous_injury", "hospital", 5),
            ("domestic_abuse", "police", 9),
        ):
            day = (AS_OF - timedelta(days=back)).isoformat()
            rows.append(
                (f"planted:{case_id}:{code}", case_id, code, day, source, "current",
                 "2026-11-20T09:00:00+00:00")
            )  # fmt: skip
    db.conn.executemany(
        "INSERT INTO observations (external_id, case_id, indicator, observed_on, source, status, "
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute(
        "UPDATE child_characteristics SET sex = 'other' WHERE case_id IN ("
        "SELECT case_id FROM scores ORDER BY case_id LIMIT 4)"
    )
    return disabled


@pytest.fixture(scope="module")
def defaults():
    return load_config(environ={})


@pytest.fixture(scope="module")
def authority(tmp_path_factory, defaults):
    """A 3,000-case authority drawn as the demo draws it, with the disparity planted, scored
    today and two days before (the score history)."""
    db = storage.connect(tmp_path_factory.mktemp("fairness") / "fairness.db")
    migrate(db)
    load_demo(db, defaults, cases=3000, seed=2021, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=False)  # fmt: skip
    rescoring.rescore_all(db, defaults, as_of=AS_OF - timedelta(days=2), now=NOW)
    disabled = plant(db)
    rescoring.rescore_all(db, defaults, as_of=AS_OF, now=NOW)
    yield db, disabled
    db.close()


def group_of(report, dimension, group):
    (found,) = [
        g
        for d in report["dimensions"]
        if d["code"] == dimension
        for g in d["groups"]
        if g["group"] == group
    ]
    return found


def test_the_planted_disparity_is_found_flagged_and_explained(authority, defaults):
    db, disabled = authority

    report = fairness_report(db, defaults)

    found = group_of(report, "disability", "yes")
    assert found["cases"] == len(disabled) > 100
    assert found["flag"] == "higher" and found["ratio"] > 3
    assert [d["code"] for d in found["drivers"][:2]] == ["previous_injury", "domestic_abuse"]
    injury = found["drivers"][0]
    assert injury["group_share"] == 1.0 and injury["others_share"] < 0.1
    assert injury["label"] == "Previous injury or unexplained bruising"
    others = group_of(report, "disability", "no")
    assert others["flag"] == "lower"
    assert [d["code"] for d in others["drivers"][:2]] == ["previous_injury", "domestic_abuse"]
    # Sex and ethnicity were drawn apart from everything (the demo): none of them is flagged
    # by more than chance and the planted disparity's echo, and their ratios stay near 1.
    for sex in ("male", "female"):
        assert 0.8 <= group_of(report, "sex", sex)["ratio"] <= 1.25


def test_a_group_of_fewer_than_ten_shows_fewer_than_ten_and_nothing_more(authority, defaults):
    db, _ = authority

    report = fairness_report(db, defaults)

    small = group_of(report, "sex", "other")
    assert small["suppressed"] and small["words"] == "Neither or indeterminate"
    assert (small["cases"], small["hotspot_rate"], small["mean_score"], small["ratio"]) == (
        None,
        None,
        None,
        None,
    )
    assert small["flag"] is None and small["drivers"] == []
    (row,) = [r for r in fairness.csv_rows(report) if r[1] == "Neither or indeterminate"]
    assert row[2:] == ["fewer than 10", "", "", "", "", "", ""]
    (line,) = [line for line in fairness.group_lines(report) if "Neither" in line]
    assert line.split() == ["Neither", "or", "indeterminate", "fewer", "than", "10"]


def test_the_set_based_counts_are_the_counts_made_case_by_case(authority, defaults):
    """Every group's open cases, hotspots and score sum, and every driver's count, worked out
    again in Python from the rows (the age band by hotspots.model.characteristics.age_band)."""
    db, _ = authority
    report = fairness_report(db, defaults)
    rows = db.query(
        "SELECT s.case_id, s.score, s.band, s.practice_gaps, s.review_pattern, c.date_of_birth, "
        "c.birth_status, t.name AS team, k.sex, k.ethnicity, k.disability FROM scores AS s "
        "JOIN cases AS c ON c.id = s.case_id JOIN teams AS t ON t.id = c.team_id "
        "LEFT JOIN child_characteristics AS k ON k.case_id = c.id"
    )
    recorded = defaultdict(set)
    for case_id, code, observed_on, status in db.execute(
        "SELECT case_id, indicator, observed_on, status FROM observations"
    ):
        if status == "current" and parse_date(observed_on) <= AS_OF:
            recorded[case_id].add(code)
    cases, hotspots, scores, drivers = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        keys = {
            "sex": r["sex"],
            "age": characteristics.age_band(
                parse_date(r["date_of_birth"]), r["birth_status"], AS_OF
            ),
            "ethnicity": characteristics.ETHNICITIES[r["ethnicity"]][1] if r["ethnicity"] else None,
            "disability": r["disability"],
            "team": r["team"],
        }  # fmt: skip
        held = recorded[r["case_id"]] | set(rules.gap_codes(r["practice_gaps"]))
        held |= {"review_pattern"} if r["review_pattern"] else set()
        for dimension, key in keys.items():
            cases[dimension, key] += 1
            hotspots[dimension, key] += rules.is_hotspot(r["band"])
            scores[dimension, key] += r["score"]
            for code in held:
                drivers[dimension, key, code] += 1
    total = sum(c for (d, _), c in cases.items() if d == "team")
    total_hotspots = sum(c for (d, _), c in hotspots.items() if d == "team")
    assert report["totals"]["cases"] == total
    checked = 0
    for dimension in report["dimensions"]:
        for g in dimension["groups"]:
            key = (dimension["code"], g["group"])
            if g["suppressed"]:
                assert cases[key] < 10
                continue
            assert g["cases"] == cases[key]
            assert g["hotspot_rate"] == pytest.approx(hotspots[key] / cases[key])
            assert g["mean_score"] == pytest.approx(scores[key] / cases[key])
            others_rate = (total_hotspots - hotspots[key]) / (total - cases[key])
            if g["ratio"] is not None:
                assert g["ratio"] == pytest.approx(g["hotspot_rate"] / others_rate)
            for d in g["drivers"]:
                assert d["group_share"] == pytest.approx(drivers[(*key, d["code"])] / cases[key])
            checked += 1
    assert checked > 20


def test_the_sql_age_bands_are_the_pure_rules_on_every_day_around_the_birthdays(db, settings):
    from hotspots.storage import fairness as sql

    db.execute("INSERT INTO teams (id, name) VALUES (1, 'T')")
    born = [date(2010, 2, 28), date(2012, 2, 29), date(2021, 11, 26), date(2025, 11, 27),
            date(2016, 11, 26), date(2026, 3, 1)]  # fmt: skip
    for n, day in enumerate(born):
        db.execute(
            "INSERT INTO cases (case_ref, initials, date_of_birth, birth_status, team_id, "
            "opened_on, visit_every_days, status) VALUES (?, 'AB', ?, ?, 1, '2026-01-01', 28, "
            "'open')",
            [f"C{n}", day.isoformat(), "due" if n == 5 else "born"],
        )
    for on in [AS_OF + timedelta(days=d) for d in range(-400, 400, 7)] + [date(2028, 2, 28)]:
        found = dict(
            db.execute(
                f"SELECT c.case_ref, {sql.AGE_BAND} FROM cases AS c",  # noqa: S608
                {"day": on.isoformat()},
            ).fetchall()
        )
        rows = db.query("SELECT case_ref, date_of_birth, birth_status FROM cases")
        expected = {
            r["case_ref"]: characteristics.age_band(
                parse_date(r["date_of_birth"]), r["birth_status"], on
            )
            for r in rows
        }
        assert found == expected, on


def test_a_past_day_reports_what_the_service_showed_then(authority, defaults):
    db, disabled = authority
    before = AS_OF - timedelta(days=2)

    report = fairness_report(db, defaults, as_of=before)

    assert report["day"] == before.isoformat()
    assert report["source"] == "the scores the service showed on 24 November 2026"
    shown = db.execute(
        "SELECT count(*), sum(band = 'red') FROM score_history WHERE day = ?", [before.isoformat()]
    ).fetchone()
    assert (report["totals"]["cases"], report["totals"]["hotspots"]) == tuple(shown)
    # Then, before the planted records, disabled children were not flagged for an injury.
    assert group_of(report, "disability", "yes")["flag"] is None
    assert any("stored with the latest scores only" in note for note in report["notes"])


def test_a_day_with_no_kept_scores_or_no_scores_at_all_says_what_to_do(authority, defaults, db):
    scored, _ = authority
    with pytest.raises(NoFigures, match=r"no scores are kept for 2026-01-01: .* 90 days"):
        fairness_report(scored, defaults, as_of=date(2026, 1, 1))
    with pytest.raises(NoFigures, match="run `hotspots score` first"):
        fairness_report(db, defaults)


def test_a_day_after_the_latest_scores_reports_the_latest_scores(authority, defaults):
    db, _ = authority
    assert fairness_report(db, defaults, as_of=AS_OF + timedelta(days=3))["day"] == "2026-11-26"


def test_the_ratio_bounds_and_the_suppression_are_settings(authority, defaults):
    db, _ = authority
    wide = {
        **defaults,
        "fairness": {**defaults["fairness"], "ratio_low": 0.0, "ratio_high": 1000.0},
    }
    assert fairness_report(db, wide)["flagged"] == 0
    strict = {**defaults, "fairness": {**defaults["fairness"], "suppress_below": 10_000}}
    report = fairness_report(db, strict)
    assert all(g["suppressed"] for d in report["dimensions"] for g in d["groups"])


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def scored_app(app, db, settings):
    load_demo(db, settings, cases=300, seed=5, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=True)  # fmt: skip
    app.config["HOTSPOTS_NOW"] = NOW
    return app


def test_the_command_prints_every_dimension_and_audits_the_report(scored_app, db, runner):
    result = runner.invoke(args=["report", "fairness"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Fairness report, the latest scores, of 26 November 2026")
    for heading in ("Sex", "Age band", "Ethnicity (the DfE's major groups)", "Disability", "Team"):
        assert f"\n{heading}\n" in result.output
    (row,) = db.execute(
        "SELECT detail FROM audit_log WHERE action = 'cli_report_fairness'"
    ).fetchall()
    assert row[0].startswith("day=2026-11-26 cases=")


def test_the_command_writes_csv_with_a_row_a_group(scored_app, runner):
    result = runner.invoke(args=["report", "fairness", "--csv"])

    rows = list(csv.reader(io.StringIO(result.output)))
    groups, disagreement = rows[: rows.index([])], rows[rows.index([]) + 1 :]
    assert groups[0] == list(fairness.CSV_COLUMNS)
    assert {r[0] for r in groups[1:]} == {heading for _, heading in fairness.DIMENSIONS}
    assert any(r[2] == "fewer than 10" for r in groups[1:])  # 300 cases: some groups are small
    assert disagreement[0] == list(fairness.DISAGREEMENT_CSV_COLUMNS)


def test_the_command_refuses_a_future_day_and_a_database_with_no_scores(runner, app):
    app.config["HOTSPOTS_NOW"] = NOW
    future = runner.invoke(args=["report", "fairness", "--as-of", "2026-12-01"])
    empty = runner.invoke(args=["report", "fairness"])

    assert future.exit_code == 2 and "2026-12-01 is in the future" in future.output
    assert empty.exit_code == 1
    assert "Error: no open case has a score yet: run `hotspots score` first" in empty.output


# --- where workers disagreed with hotspot scores -----------------------------------------------


def review(db, case_id, *, decision, named=(), at):
    """A review of the case's stored score as the follow-through pages record one."""
    from hotspots.storage import followup

    score = db.execute(
        "SELECT score, band, model_version, contributions FROM scores WHERE case_id = ?",
        [case_id],
    ).fetchone()
    followup.record_review(
        db, case_id=case_id, reviewer_id=1, at=at, decision=decision,
        disagree_reason="Known to us: managed" if decision == "disagree" else None,
        plan="Visit", score={"score": score[0], "band": score[1], "model_version": score[2]},
        contributions=json.loads(score[3]), disagreed=named, actions=[],
    )  # fmt: skip


def test_the_share_of_hotspot_reviews_that_disagreed_is_counted_by_part_of_the_score(
    tmp_path, defaults
):
    """Hotspot reviews in the year to the day count; a part of the score in fewer than 10 of
    them is suppressed; reviews of cases that were not hotspots, and reviews after the day,
    do not count."""
    from hotspots.base.dates import stamp

    db = storage.connect(tmp_path / "reviews.db")
    migrate(db)
    load_demo(db, defaults, cases=3000, seed=2021, as_of=AS_OF, now=NOW, password_hash="x",
              rescore=False)  # fmt: skip
    disabled = plant(db)
    rescoring.rescore_all(db, defaults, as_of=AS_OF, now=NOW)
    red = [r[0] for r in db.execute("SELECT case_id FROM scores WHERE band = 'red' ORDER BY 1")]
    injured = [c for c in red if c in set(disabled)]
    assert len(injured) >= 40
    at = stamp(NOW - timedelta(days=3))
    with storage.write_transaction(db):
        for n, case_id in enumerate(injured[:40]):
            # A quarter disagree, naming the injury; the rest agree.
            disagree = n % 4 == 0
            review(db, case_id, decision="disagree" if disagree else "act",
                   named=("previous_injury",) if disagree else (), at=at)  # fmt: skip
        green = db.execute("SELECT case_id FROM scores WHERE band = 'green' LIMIT 5").fetchall()
        for (case_id,) in green:  # not hotspots: not counted
            review(db, case_id, decision="disagree", at=at)
        review(db, injured[0], decision="disagree", named=("previous_injury",),
               at=stamp(NOW + timedelta(days=2)))  # after the day: not counted  # fmt: skip

    report = fairness_report(db, defaults)

    found = report["disagreement"]
    assert (found["reviews"], found["disagreed_share"]) == (40, 0.25)
    parts = {p["code"]: p for p in found["parts"]}
    injury = parts["previous_injury"]
    assert (injury["reviews"], injury["disagreed_share"], injury["named_share"]) == (40, 0.25, 0.25)
    assert parts["domestic_abuse"]["named_share"] == 0
    assert found["parts"][0]["kind"] == "indicator"
    small = [p for p in found["parts"] if p["suppressed"]]
    assert small and all(p["reviews"] is None and p["disagreed_share"] is None for p in small)
    lines = fairness.group_lines(report)
    assert "  40 hotspot reviews, 25.0% disagreed with the score" in lines
    (row,) = [r for r in fairness.disagreement_csv_rows(report) if r[0] == injury["label"]]
    assert row == [injury["label"], "indicator", 40, "25.0", "25.0"]
    db.close()
