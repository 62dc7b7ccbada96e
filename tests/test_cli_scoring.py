"""The scoring commands: hotspots score and hotspots caseload."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots import create_app

TODAY = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Europe/London"))
WORKER = "ann@example.org"


@pytest.fixture(autouse=True)
def fixed_clock(app):
    """The commands' clock: the morning of 25 November 2026 in London."""
    app.config["HOTSPOTS_NOW"] = TODAY


@pytest.fixture
def caseload(db):
    """Ann's two cases (one with a previous injury) and an unallocated one."""
    team = db["teams"].insert({"name": "Holt"}).last_pk
    ann = (
        db["staff"]
        .insert({"email": WORKER, "name": "Ann", "role": "worker", "team_id": team})
        .last_pk
    )
    refs = []
    for ref, worker in (("C0001", ann), ("C0002", ann), ("C0003", None)):
        row = {
            "case_ref": ref,
            "initials": "AB",
            "date_of_birth": "2026-03-01",
            "team_id": team,
            "worker_id": worker,
            "opened_on": "2026-09-01",
            "visit_every_days": 14,
            "last_visit_on": "2026-11-20",
            "status": "open",
        }
        refs.append(db["cases"].insert(row).last_pk)
    db["observations"].insert(
        {
            "external_id": "O1",
            "case_id": refs[1],
            "indicator": "previous_injury",
            "observed_on": "2026-11-20",
            "source": "hospital",
            "status": "current",
            "recorded_at": "2026-11-20T10:00:00+00:00",
        }
    )
    return refs


def test_score_rescores_the_authority_and_reports_the_bands(runner, db, caseload):
    result = runner.invoke(args=["score", "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Scored 3 open cases as of 2026-11-25 in ")
    assert "0 red, 1 amber, 2 green" in result.output
    assert db["scores"].count == 3


def test_score_of_a_past_day_writes_that_days_history_and_keeps_todays_ranking(
    runner, db, caseload
):
    runner.invoke(args=["score"])
    scores = sorted(
        (r["case_id"], r["as_of"], r["score"], r["worker_id"]) for r in db["scores"].rows
    )
    listed = runner.invoke(args=["caseload", WORKER, "--json"]).output
    ranking = [(c["rank"], c["case_ref"], c["as_of"]) for c in json.loads(listed)]
    assert ranking == [(1, "C0002", "2026-11-25"), (2, "C0001", "2026-11-25")]
    result = runner.invoke(args=["score", "--as-of", "2026-11-18"])
    assert result.exit_code == 0, result.output
    assert "Wrote the score history of 3 open cases for 2026-11-18" in result.output
    assert "today's ranking is unchanged" in result.output
    assert (
        sorted((r["case_id"], r["as_of"], r["score"], r["worker_id"]) for r in db["scores"].rows)
        == scores
    )
    listed = runner.invoke(args=["caseload", WORKER, "--json"]).output
    assert [(c["rank"], c["case_ref"], c["as_of"]) for c in json.loads(listed)] == ranking
    days = db.execute("SELECT DISTINCT day FROM score_history ORDER BY day").fetchall()
    assert days == [("2026-11-18",), ("2026-11-25",)]


def test_score_refuses_a_future_day(runner, db, caseload):
    result = runner.invoke(args=["score", "--as-of", "2026-11-26"])
    assert result.exit_code == 2
    assert "2026-11-26 is in the future" in result.output
    assert db["scores"].count == 0


def test_score_refuses_a_date_that_is_not_a_date(runner):
    result = runner.invoke(args=["score", "--as-of", "2026-02-30"])
    assert result.exit_code == 2
    assert "2026-02-30 is not a real date" in result.output


def test_caseload_json_lists_the_workers_cases_in_rank_order_with_reasons(runner, caseload):
    runner.invoke(args=["score", "--as-of", "2026-11-25"])
    result = runner.invoke(args=["caseload", WORKER, "--json"])
    assert result.exit_code == 0, result.output
    cases = json.loads(result.output)
    assert [(c["rank"], c["case_ref"]) for c in cases] == [(1, "C0002"), (2, "C0001")]
    top = cases[0]
    assert top["band"] == "amber"
    assert top["trend"] is None  # no score 7 days ago yet
    assert top["reasons"][0].startswith("Previous injury or unexplained bruising (+")
    assert {"code", "label", "points"} <= set(top["contributions"][0])
    assert sum(c["points"] for c in top["contributions"]) == pytest.approx(top["score"])


def test_caseload_measures_the_trend_against_seven_days_before(runner, caseload):
    runner.invoke(args=["score", "--as-of", "2026-11-18"])
    runner.invoke(args=["score", "--as-of", "2026-11-25"])
    cases = json.loads(runner.invoke(args=["caseload", WORKER, "--json"]).output)
    # Both weeks each case has the two enquiry gaps, 5 + 2 = 7. C0002's injury was observed
    # on 2026-11-20, after the first run: 8 × 0.5^(5/730) × 1.5 (a baby) = 11.94 more now.
    assert [c["trend"] for c in cases] == [pytest.approx(cases[0]["score"] - 7.0), 0.0]
    assert cases[0]["trend"] == pytest.approx(8 * 0.5 ** (5 / 730) * 1.5)
    earlier = runner.invoke(args=["caseload", WORKER, "--json", "--as-of", "2026-11-20"])
    assert [c["trend"] for c in json.loads(earlier.output)] == [None, None]


def test_caseload_prints_a_readable_table(runner, caseload):
    runner.invoke(args=["score", "--as-of", "2026-11-25"])
    result = runner.invoke(args=["caseload", WORKER])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"Caseload of {WORKER}: 2 open cases"
    # 11.94 (injury, baby) + 5 (no domestic-abuse enquiry) + 2 (childhood not explored)
    assert lines[2].split()[:4] == ["1", "C0002", "18.9", "amber"]


def test_a_caseload_listing_is_audited(runner, db, caseload):
    runner.invoke(args=["score", "--as-of", "2026-11-25"])
    runner.invoke(args=["caseload", WORKER])
    rows = db.execute("SELECT action, detail FROM audit_log WHERE action = 'cli_caseload'")
    assert list(rows) == [("cli_caseload", f"worker={WORKER} cases=2")]


def test_caseload_of_an_unknown_email_is_a_clear_error(runner, caseload):
    result = runner.invoke(args=["caseload", "nobody@example.org"])
    assert result.exit_code == 1
    assert "no staff member has the email nobody@example.org" in result.output
    assert "Traceback" not in result.output


def test_score_on_a_database_without_tables_says_to_run_init_db(tmp_path):
    app = create_app(
        {"TESTING": True, "database": {"path": str(tmp_path / "empty.db")}},
        require_secret_key=False,
    )
    result = app.test_cli_runner().invoke(args=["score"])
    assert result.exit_code == 1
    assert "run `hotspots init-db`" in result.output
    assert "Traceback" not in result.output
