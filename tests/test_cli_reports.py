"""``hotspots report partnership``: the report as text and as JSON, for a day, audited."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.services import partnership
from hotspots.services.partnership import NewIncident


class Lead:
    id = None
    email = "lead@example.org"


@pytest.fixture
def app(app):
    app.config["HOTSPOTS_NOW"] = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/London"))
    return app


@pytest.fixture
def incident(db, ids):
    new = NewIncident("N-0001", date(2026, 2, 25), date(2026, 2, 26), "serious_harm", "known")
    now = datetime(2026, 2, 27, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    return partnership.record_incident(db, new, actor=Lead(), now=now)


def test_the_json_report_has_the_shape_the_issue_gives(runner, db, incident):
    result = runner.invoke(args=["report", "partnership", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"incidents", "review_table", "practice", "workforce"}
    assert report["as_of"] == "2026-03-02"
    (entry,) = report["incidents"]
    assert {k: entry[k] for k in ("case_ref", "occurred_on", "known_on")} == {
        "case_ref": "N-0001",
        "occurred_on": "2026-02-25",
        "known_on": "2026-02-26",
    }
    assert entry["notify_panel_by"] == "2026-03-05"
    assert entry["rapid_review_by"] == "2026-03-26"
    assert "first_red_on" in entry
    assert report["review_table"]["features"][0]["code"] == "parental_conflict"
    assert len(report["practice"]["months"]) == 12
    assert {w["name"] for w in report["workforce"]["workers"]} >= {"Ann Worker"}


def test_the_report_for_an_earlier_day_leaves_out_what_was_not_known_then(runner, incident):
    result = runner.invoke(args=["report", "partnership", "--json", "--as-of", "2026-02-25"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["as_of"] == "2026-02-25" and report["incidents"] == []
    assert report["practice"]["months"][0]["month_end"] == "2026-02-25"


def test_the_text_report_prints_each_part_and_cuts_long_lists(runner, app, incident):
    app.config["SETTINGS"]["partnership"]["page_rows"] = 2
    result = runner.invoke(args=["report", "partnership"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "The safeguarding partnership's report for 2026-03-02" in text
    assert "Serious incidents: 1 child" in text
    assert "N-0001" in text and "2026-03-05 due" in text
    assert "Recall: Of 1 incident to children under 3 in the last 2 years" in text
    assert "The review's table:" in text and "(the review: 6 of 6)" in text
    assert "Practice: cases open longer than 28 days" in text
    assert "Workforce: caseload limit 20 open cases" in text
    assert "more (--json for all)" in text


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-03-03", "2026-03-03 is in the future"),
        ("2026-02-30", "2026-02-30 is not a real date"),
    ],
)
def test_a_day_that_cannot_be_reported_on_is_refused(runner, db, ids, as_of, message):
    result = runner.invoke(args=["report", "partnership", "--as-of", as_of])
    assert result.exit_code == 2
    assert message in result.output


def test_the_report_is_audited_as_a_view_of_the_incidents(runner, db, incident):
    runner.invoke(args=["report", "partnership", "--json"])
    row = db.execute(
        "SELECT actor_email, detail FROM audit_log WHERE action = 'cli_report_partnership'"
    ).fetchone()
    assert row == (None, "as_of=2026-03-02 incidents=1")
