"""Retention (hotspots.services.retention, hotspots retention, the nightly job)."""

from __future__ import annotations

import os
from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, TODAY, audit_rows, count

from hotspots.base.dates import stamp
from hotspots.base.files import upload_folder
from hotspots.jobs import retention as retention_job
from hotspots.services import retention


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def close(db, ref, days_ago):
    db.execute(
        "UPDATE cases SET status = 'closed', closed_on = ? WHERE case_ref = ?",
        [(TODAY - timedelta(days=days_ago)).isoformat(), ref],
    )


def rows_of(db, table, case_id):
    return db.execute(
        f"SELECT count(*) FROM {table} WHERE case_id = ?",  # noqa: S608 (a table name of ours)
        [case_id],
    ).fetchone()[0]


def test_a_case_closed_longer_than_the_period_goes_with_everything_under_it(db, settings, ids):
    close(db, "N-0001", 366)
    close(db, "N-0002", 364)
    db["reviews"].insert(
        {"case_id": ids["cases"]["N-0001"], "reviewed_by_id": 1, "reviewed_at": "x", "plan": "p"}
    )
    case_id = ids["cases"]["N-0001"]
    kept = ("indicator_sums", "agency_days")  # derived from its observations
    assert all(rows_of(db, table, case_id) for table in kept)
    report = retention.apply_retention(db, settings, now=NOW)
    assert report.cases == ["N-0001"]
    assert report.rows["observations"] == 3 and report.rows["reviews"] == 1
    refs = {r[0] for r in db.execute("SELECT case_ref FROM cases")}
    assert "N-0001" not in refs and "N-0002" in refs
    for table in ("observations", "enquiries", "scores", "score_history", "rescore_queue", *kept):
        assert rows_of(db, table, case_id) == 0, table
    assert audit_rows(db, "retention_remove_case") == [
        {
            "actor_email": None,
            "action": "retention_remove_case",
            "case_ref": "N-0001",
            "detail": f"closed on {(TODAY - timedelta(days=366)).isoformat()}; "
            "removed with everything under it",
        }
    ]


def test_a_dry_run_reports_exactly_what_a_real_run_removes_and_removes_nothing(
    db, settings, ids, tmp_path
):
    close(db, "N-0003", 400)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    old = outbox / "digest-old.eml"
    old.write_text("x")
    stamp = (NOW - timedelta(days=31)).timestamp()
    os.utime(old, (stamp, stamp))
    (outbox / "digest-new.eml").write_text("y")
    before = {t: count(db, t) for t in ("cases", "score_history", "audit_log")}

    dry = retention.apply_retention(db, settings, now=NOW, dry_run=True)

    assert {t: count(db, t) for t in ("cases", "score_history", "audit_log")} == before
    assert old.exists()
    real = retention.apply_retention(db, settings, now=NOW)

    def counts(report):
        return (report.rows, report.score_history, report.audit_rows, report.outbox_files)

    assert counts(dry) == counts(real)
    assert dry.lines()[0].startswith("closed cases: would remove 1")
    assert dry.cases == real.cases == ["N-0003"]
    assert [p.name for p in real.outbox_files] == ["digest-old.eml"]
    assert not old.exists() and (outbox / "digest-new.eml").exists()


def test_old_score_history_and_audit_rows_go(db, settings, ids):
    db["score_history"].insert(
        {
            "case_id": ids["cases"]["N-0002"],
            "day": (TODAY - timedelta(days=91)).isoformat(),
            "score": 1.0,
            "band": "green",
            "model_version": "x",
        }
    )
    db["audit_log"].insert({"at": "2019-01-01T10:00:00+00:00", "action": "view_case"})
    report = retention.apply_retention(db, settings, now=NOW)
    assert report.score_history == 1
    assert report.audit_rows == 1
    assert audit_rows(db, "retention")[0]["detail"].startswith('{"cases": 0')


def test_zero_keeps_for_ever(db, settings, ids):
    close(db, "N-0003", 4000)
    forever = {
        **settings,
        "retention": {**settings["retention"], "closed_case_days": 0, "audit_days": 0},
    }
    assert retention.apply_retention(db, forever, now=NOW).cases == []


def test_an_unknown_table_referring_to_cases_stops_retention_before_it_removes_anything(
    db, settings, ids
):
    close(db, "N-0003", 400)
    db.execute("CREATE TABLE case_letters (id INTEGER PRIMARY KEY, case_id REFERENCES cases(id))")
    with pytest.raises(retention.RetentionError, match="case_letters refer to cases"):
        retention.apply_retention(db, settings, now=NOW)
    assert count(db, "cases") == len(world.CASES)


def test_the_command_dry_run_prints_counts(app, runner, db, ids):
    close(db, "N-0003", 400)
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was removed." in result.output
    assert "closed cases: would remove 1" in result.output
    assert count(db, "cases") == len(world.CASES)


def test_the_nightly_job_applies_retention(app, db, ids):
    close(db, "N-0003", 400)
    report = retention_job.run_retention(app, now=NOW)
    assert report.cases == ["N-0003"]


def test_an_old_import_report_goes_with_its_audit_row(db, settings, ids):
    audit_id = (
        db["audit_log"]
        .insert({"at": "2019-01-01T10:00:00.000000+00:00", "action": "import"})
        .last_pk
    )
    db["import_reports"].insert(
        {
            "audit_id": audit_id,
            "kind": "cases",
            "file_name": "old.csv",
            "outcome": "imported",
            "report": "{}",
        }
    )
    report = retention.apply_retention(db, settings, now=NOW)
    assert report.audit_rows == 1
    assert count(db, "import_reports") == 0


def partner_item(db, ref, *, state, resolved_days_ago=None, observation_id=None):
    """A partner's notification in the unmatched queue, in the given state."""
    if not db["partners"].count:
        db["partners"].insert({"name": "Police", "source": "police", "created_at": "x"})
    resolved = None
    if resolved_days_ago is not None:
        resolved = stamp(NOW - timedelta(days=resolved_days_ago))
    db["unmatched_observations"].insert(
        {
            "partner_id": 1,
            "partner_ref": ref,
            "nhs_number": "9434765919",
            "indicator": "ppn_low",
            "observed_on": "2026-01-01",
            "status": "current",
            "received_at": stamp(NOW - timedelta(days=200)),
            "why": "no case with this NHS number",
            "state": state,
            "resolved_at": resolved,
            "observation_id": observation_id,
        }
    )


def test_resolved_notifications_for_unknown_children_go_after_the_period_open_ones_stay(
    db, settings, ids
):
    partner_item(db, "OPEN", state="open")
    partner_item(db, "DISMISSED-OLD", state="dismissed", resolved_days_ago=91)
    partner_item(db, "DISMISSED-NEW", state="dismissed", resolved_days_ago=89)
    observation = db.execute("SELECT min(id) FROM observations").fetchone()[0]
    partner_item(db, "ATTACHED-OLD", state="attached", resolved_days_ago=120,
                 observation_id=observation)  # fmt: skip
    report = retention.apply_retention(db, settings, now=NOW)
    left = {r[0] for r in db.execute("SELECT partner_ref FROM unmatched_observations")}
    assert left == {"OPEN", "DISMISSED-NEW"}
    assert report.unmatched == 2
    assert "resolved notifications for children not yet known: removed 2" in report.lines()
    assert (
        db.execute("SELECT count(*) FROM observations WHERE id = ?", [observation]).fetchone()[0]
        == 1
    )  # the observation itself stays with its case


def test_a_notification_attached_to_a_case_that_expires_goes_with_the_case(db, settings, ids):
    settings["retention"]["unmatched_days"] = 0  # kept for ever, but not past its case
    case_id = ids["cases"]["N-0001"]
    observation = db.execute(
        "SELECT min(id) FROM observations WHERE case_id = ?", [case_id]
    ).fetchone()[0]
    partner_item(db, "ATTACHED", state="attached", resolved_days_ago=400,
                 observation_id=observation)  # fmt: skip
    close(db, "N-0001", 366)
    report = retention.apply_retention(db, settings, now=NOW)
    assert report.cases == ["N-0001"]
    assert report.rows["unmatched_observations"] == 1
    assert count(db, "unmatched_observations") == 0


def test_the_nightly_job_removes_uploads_nobody_confirmed_and_keeps_one_still_waiting(app, db, ids):
    keep = app.config["SETTINGS"]["import"]["upload"]["keep_minutes"]
    folder = upload_folder(app.instance_path, app.config["SETTINGS"])
    folder.mkdir(parents=True, exist_ok=True)
    stale, waiting = folder / "stale.csv", folder / "waiting.csv"
    for path, minutes in ((stale, keep + 1), (waiting, keep - 1)):
        path.write_text("case_ref,initials\n")
        moment = (NOW - timedelta(minutes=minutes)).timestamp()
        os.utime(path, (moment, moment))
    dry = retention.apply_retention(
        db, app.config["SETTINGS"], now=NOW, dry_run=True, instance_path=app.instance_path
    )
    assert dry.upload_files == [stale] and stale.exists()
    report = retention_job.run_retention(app, now=NOW)
    assert report.upload_files == [stale]
    assert not stale.exists() and waiting.exists()
    assert "uploaded files never imported: removed 1" in report.lines()


def test_a_removed_case_takes_its_childs_characteristics_and_its_records_disputes(
    db, settings, ids
):
    from hotspots.storage import characteristics, disputes

    case_id = ids["cases"]["N-0001"]
    characteristics.create_staging(db)
    characteristics.stage(db, [("N-0001", "female", "BAFR", "no"), ("N-0002", "male", None, None)])
    characteristics.apply_staged(db, kind="cases", now=stamp(NOW))
    observation = db.execute("SELECT id FROM observations WHERE case_id = ?", [case_id]).fetchone()
    disputes.record_dispute(
        db, observation_id=observation[0], case_ref="N-0001", kind="record",
        disputed_by="other", what="Not us", received_on=TODAY.isoformat(), staff_id=1,
        now=stamp(NOW),
    )  # fmt: skip
    close(db, "N-0001", 400)

    report = retention.apply_retention(db, settings, now=NOW)

    assert report.rows["disputes"] == 1 and report.rows["child_characteristics"] == 1
    assert rows_of(db, "child_characteristics", case_id) == 0
    assert count(db, "disputes") == 0
    assert rows_of(db, "child_characteristics", ids["cases"]["N-0002"]) == 1
