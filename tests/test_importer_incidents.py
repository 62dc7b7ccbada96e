"""The serious incidents CSV (hotspots.services.importer.incidents): all or nothing, every error
naming
its row, column and value, the same plausibility as every import, siblings by reference, a
second import changing nothing, each child's history kept, and ``hotspots import incidents``."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.services import partnership
from hotspots.services.importer import ImportRejected, import_file

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Europe/London"))
HEADER = "case_ref,occurred_on,known_on,harm,abuse_or_neglect"
GOOD = f"""{HEADER},summary,incident
N-0001,2026-02-25,2026-02-26,serious_harm,suspected,Skull fracture found at A&E,SI-7
N-0004,2026-02-25,2026-02-26,died,suspected,,SI-7
S-0001,2026-01-05,2026-01-05,serious_harm,known,,
"""


def run(db, settings, tmp_path, text, *, name="incidents.csv", dry_run=False):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_file(db, settings, "incidents", path, as_of=NOW.date(), now=NOW, dry_run=dry_run)


def rejected(db, settings, tmp_path, text) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, tmp_path, text)
    return caught.value.errors


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (tests)
        for table in ("serious_incidents", "incident_children", "incident_score_history")
    )


def test_siblings_sharing_a_reference_are_one_incident_notified_once(db, settings, ids, tmp_path):
    report = run(db, settings, tmp_path, GOOD)
    assert report.outcome == "imported"
    assert report.counts == {
        "incidents recorded": 2,
        "children recorded": 3,
        "updated": 0,
        "unchanged": 0,
    }
    found = partnership.all_incidents(db, settings, as_of=NOW.date())
    by_ref = {c.case_ref: i for i in found for c in i.children}
    assert by_ref["N-0001"].id == by_ref["N-0004"].id != by_ref["S-0001"].id
    assert by_ref["N-0001"].row["reference"] == "SI-7"
    assert by_ref["N-0001"].row["summary"] == "Skull fracture found at A&E"
    assert by_ref["S-0001"].row["reference"] is None
    assert by_ref["N-0004"].notify_panel.due == date(2026, 3, 5)  # 5 working days after 26th
    harms = {c.case_ref: c.row["harm"] for i in found for c in i.children}
    assert harms == {"N-0001": "serious_harm", "N-0004": "died", "S-0001": "serious_harm"}


def test_each_child_keeps_the_history_the_service_held_up_to_the_incident(
    db, settings, ids, tmp_path
):
    run(db, settings, tmp_path, GOOD)
    kept = dict(
        db.execute(
            "SELECT c.case_ref, count(*) FROM incident_score_history h "
            "JOIN incident_children ch ON ch.id = h.child_id JOIN cases c ON c.id = ch.case_id "
            "GROUP BY c.case_ref"
        ).fetchall()
    )
    # The world is scored on 23 February and 2 March: the first is before the siblings'
    # incident on the 25th; S-0001's on 5 January comes before any score.
    assert kept == {"N-0001": 1, "N-0004": 1}
    rows = db.execute(
        "SELECT action, case_ref, detail FROM audit_log WHERE action = 'record_incident'"
    ).fetchall()
    assert sorted(ref for _, ref, _ in rows) == ["N-0001", "N-0004", "S-0001"]
    assert all(json.loads(detail)["by"] == "import" for _, _, detail in rows)


def test_importing_the_same_file_again_changes_nothing(db, settings, ids, tmp_path):
    run(db, settings, tmp_path, GOOD)
    before = counts(db)
    report = run(db, settings, tmp_path, GOOD)
    assert report.counts == {
        "incidents recorded": 0,
        "children recorded": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert counts(db) == before


def test_a_row_for_a_child_already_recorded_that_day_updates_the_incident(
    db, settings, ids, tmp_path
):
    run(db, settings, tmp_path, GOOD)
    corrected = f"""{HEADER},panel_notified_on
S-0001,2026-01-05,2026-01-06,Died,Known,2026-01-09
"""
    report = run(db, settings, tmp_path, corrected)
    assert report.counts["updated"] == 1 and report.counts["children recorded"] == 0
    incident = next(
        i
        for i in partnership.all_incidents(db, settings, as_of=NOW.date())
        if i.children[0].case_ref == "S-0001"
    )
    assert (incident.row["known_on"], incident.row["panel_notified_on"]) == (
        "2026-01-06",
        "2026-01-09",
    )
    assert incident.children[0].row["harm"] == "died"
    assert incident.notify_panel.state == "done"


def test_a_dry_run_checks_and_counts_and_records_nothing(db, settings, ids, tmp_path):
    report = run(db, settings, tmp_path, GOOD, dry_run=True)
    assert report.outcome == "dry_run" and report.counts["children recorded"] == 3
    assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (
            "N-0001,2026-03-03,2026-03-03,died,known",
            "row 2, column occurred_on: 2026-03-03 is in the future",
        ),
        (
            "N-0001,2026-02-20,2026-02-19,died,known",
            "row 2, column known_on: 2026-02-19 is before the incident (2026-02-20)",
        ),
        (
            "N-0001,2026-02-30,2026-03-01,died,known",
            "row 2, column occurred_on: 2026-02-30 is not a real date",
        ),
        ("N-0001,20/02/2026,2026-03-01,died,known", "row 2, column occurred_on:"),
        ("X-9,2026-02-20,2026-02-21,died,known", "row 2, column case_ref: unknown case_ref 'X-9'"),
        ("N-0001,2026-02-20,2026-02-21,hurt,known", "row 2, column harm: unknown harm 'hurt'"),
        (
            "N-0001,2026-02-20,2026-02-21,died,maybe",
            "row 2, column abuse_or_neglect: unknown abuse_or_neglect 'maybe'",
        ),
        ("N-0001,2026-02-20,2026-02-21,died,", "row 2, column abuse_or_neglect: is empty"),
        (
            "N-0001,1990-02-20,1990-02-21,died,known",
            "row 2, column occurred_on: 1990-02-20 is before the child's date of birth",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_its_row_column_and_value(
    db, settings, ids, tmp_path, row, error
):
    errors = rejected(db, settings, tmp_path, f"{HEADER}\n{row}\n")
    assert any(e.startswith(error) for e in errors), errors
    assert counts(db) == (0, 0, 0)


def test_one_bad_row_imports_nothing_and_every_error_is_listed(db, settings, ids, tmp_path):
    text = (
        GOOD + "N-0002,2026-02-01,2026-01-31,died,known,,\nN-0003,2026-02-01,2026-02-02,x,known,,\n"
    )
    errors = rejected(db, settings, tmp_path, text)
    assert [e.split(":")[0] for e in errors] == ["row 5, column known_on", "row 6, column harm"]
    assert counts(db) == (0, 0, 0)


def test_rows_of_one_incident_must_agree_and_a_child_appears_once_a_day(
    db, settings, ids, tmp_path
):
    text = f"""{HEADER},incident
N-0001,2026-02-20,2026-02-21,died,known,SI-8
N-0004,2026-02-20,2026-02-22,died,suspected,SI-8
N-0001,2026-02-20,2026-02-21,died,known,
"""
    errors = rejected(db, settings, tmp_path, text)
    assert errors[0].startswith(
        "row 3, column known_on: 2026-02-22 differs from 2026-02-21 in row 2"
    )
    assert errors[1].startswith("row 3, column abuse_or_neglect: suspected differs from known")
    assert (
        errors[2]
        == "row 4, column occurred_on: N-0001 on 2026-02-20 appears again (first on row 2)"
    )


def test_a_row_joining_an_incident_already_recorded_must_agree_with_it(db, settings, ids, tmp_path):
    run(db, settings, tmp_path, GOOD)
    errors = rejected(
        db,
        settings,
        tmp_path,
        f"{HEADER},incident\nN-0002,2026-02-24,2026-02-26,died,suspected,SI-7\n",
    )
    assert errors[0].startswith(
        "row 2, column occurred_on: 2026-02-24 differs from 2026-02-25 in the incident "
        "already recorded for incident SI-7"
    )
    joined = run(
        db,
        settings,
        tmp_path,
        f"{HEADER},incident\nN-0002,2026-02-25,2026-02-26,died,suspected,SI-7\n",
    )
    assert joined.counts["children recorded"] == 1 and joined.counts["incidents recorded"] == 0


def test_the_days_each_deadline_was_met_are_checked_like_the_page_checks_them(
    db, settings, ids, tmp_path
):
    text = f"""{HEADER},panel_notified_on,rapid_review_on
N-0001,2026-02-20,2026-02-21,died,known,2026-02-20,
N-0004,2026-02-20,2026-02-21,died,known,2026-02-23,2026-02-22
"""
    errors = rejected(db, settings, tmp_path, text)
    assert errors[0].startswith(
        "row 2, column panel_notified_on: 2026-02-20 is before the authority"
    )
    assert errors[1].startswith("row 3, column rapid_review_on: 2026-02-22 is before the Panel")


def test_unambiguous_spellings_of_harm_and_abuse_are_read(db, settings, ids, tmp_path):
    text = (
        f"{HEADER}\nN-0001,2026-02-20,2026-02-21,Serious harm,Suspected\n"
        "N-0004,2026-02-20,2026-02-21,seriously-harmed,KNOWN\n"
    )
    run(db, settings, tmp_path, text)
    assert sorted(r[0] for r in db.execute("SELECT harm FROM incident_children")) == [
        "serious_harm",
        "serious_harm",
    ]


def test_a_missing_column_or_an_unknown_one_is_named(db, settings, ids, tmp_path):
    errors = rejected(db, settings, tmp_path, "case_ref,occurred_on,harm,colour\n")
    assert any("column known_on: missing from the header" in e for e in errors)
    assert any("column colour: unexpected column" in e for e in errors)


def test_hotspots_import_incidents_reports_what_it_recorded(runner, db, ids, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["import", "incidents", str(path)])
    assert result.exit_code == 0, result.output
    assert "Serious incidents (CSV): incidents.csv: imported" in result.output
    assert "2 incidents recorded, 3 children recorded" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nN-0001,2026-02-20,2026-02-19,died,known\n", encoding="utf-8")
    result = runner.invoke(args=["import", "incidents", str(bad)])
    assert result.exit_code == 1
    assert "row 2, column known_on: 2026-02-19 is before the incident" in result.output
