"""Scheduler jobs: the rescore jobs with a fixed clock, their schedule, and the locks that keep
a second scheduler (or a second run of the same job) from running at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotspots.base.dates import stamp
from hotspots.jobs import rescore
from hotspots.jobs.scheduler import (
    JOB_MODULES,
    SchedulerLocked,
    build_scheduler,
    job_lock,
    lock_path,
    scheduler_lock,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=LONDON)


@pytest.fixture
def cases(db):
    team = db["teams"].insert({"name": "Diss"}).last_pk
    worker = (
        db["staff"]
        .insert({"email": "w@example.org", "name": "W", "role": "worker", "team_id": team})
        .last_pk
    )
    ids = []
    for n in range(3):
        row = {
            "case_ref": f"C{n}",
            "initials": "AB",
            "date_of_birth": "2026-01-01",
            "team_id": team,
            "worker_id": worker,
            "opened_on": "2026-06-01",
            "visit_every_days": 14,
            "status": "open",
        }
        ids.append(db["cases"].insert(row).last_pk)
    return ids


def test_the_nightly_job_rescores_every_open_case_as_of_the_day_it_is_given(app, db, cases):
    assert rescore.run_full_rescore(app, now=NOW) == 3
    rows = list(db["scores"].rows)
    assert {r["as_of"] for r in rows} == {"2026-11-25"}
    assert {r["computed_at"] for r in rows} == {stamp(NOW)}


def test_the_jobs_accept_plain_settings_too(settings, db, cases):
    assert rescore.run_full_rescore(settings, now=NOW) == 3


def test_the_sweep_job_rescores_only_what_changed_since(app, db, cases):
    rescore.run_full_rescore(app, now=NOW)
    assert rescore.run_sweep(app, now=NOW.replace(minute=5)) == 0
    db["cases"].update(cases[0], {"visit_every_days": 3})
    assert rescore.run_sweep(app, now=NOW.replace(minute=10)) == 1
    assert db["scores"].get(cases[0])["computed_at"] == stamp(NOW.replace(minute=10))


def test_a_rescore_already_running_elsewhere_makes_the_job_skip(app, settings, db, cases):
    with job_lock(settings, rescore.LOCK) as held:
        assert held
        assert rescore.run_full_rescore(app, now=NOW) is None
        assert rescore.run_sweep(app, now=NOW) is None
    assert db["scores"].count == 0
    assert rescore.run_full_rescore(app, now=NOW) == 3  # released: runs again


def test_a_second_scheduler_for_the_same_database_is_refused(settings):
    with scheduler_lock(settings):
        with pytest.raises(SchedulerLocked, match="another scheduler .* is already running"):
            with scheduler_lock(settings):
                pass  # pragma: no cover
    with scheduler_lock(settings):  # free again once the first one stops
        pass


def test_the_locks_sit_beside_the_database(settings, db_path):
    assert lock_path(settings, "scheduler") == Path(f"{db_path}.scheduler.lock")


def test_the_scheduler_runs_the_nightly_rescore_and_the_sweep_with_deliberate_misfires(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    nightly, sweep = jobs["full_rescore"], jobs["rescore_sweep"]
    assert nightly.misfire_grace_time == 3600 and nightly.coalesce and nightly.max_instances == 1
    assert sweep.misfire_grace_time == 5 * 60 and sweep.coalesce and sweep.max_instances == 1
    assert nightly.args == (app,) and nightly.func is rescore.run_full_rescore
    # 02:00 London time, across the clock changes.
    spring = nightly.trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, tzinfo=LONDON))
    assert spring.isoformat() == "2026-03-29T02:00:00+01:00"
    autumn = nightly.trigger.get_next_fire_time(None, datetime(2026, 10, 24, 12, tzinfo=LONDON))
    assert autumn.isoformat() == "2026-10-25T02:00:00+00:00"
    assert sweep.trigger.interval.total_seconds() == 300


def test_every_job_module_adds_its_jobs(app):
    assert JOB_MODULES == (
        "hotspots.jobs.rescore",
        "hotspots.jobs.digest",
        "hotspots.jobs.retention",
        "hotspots.jobs.backup",
    )
    ids = {job.id for job in build_scheduler(app).get_jobs()}
    # No nightly backup by default: [backup] dir is empty.
    assert ids == {
        "full_rescore",
        "rescore_sweep",
        "daily_digest",
        "daily_digest_retry",
        "nightly_retention",
    }


def test_a_second_scheduler_process_stops_with_a_clear_message(db_path, tmp_path):
    hotspots = str(Path(sys.executable).with_name("hotspots"))
    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(db_path)}
    first = subprocess.Popen(
        [hotspots, "scheduler"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        line = first.stdout.readline()
        assert line.startswith("Scheduler running"), line
        second = subprocess.run(
            [hotspots, "scheduler"], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert second.returncode == 1
        assert f"another scheduler (process {first.pid}) is already running" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None  # the first one carries on
    finally:
        first.terminate()
        first.wait(timeout=30)
    # The lock died with the process: a new scheduler may start.
    with scheduler_lock({"database": {"path": str(db_path)}}):
        pass


def test_a_symlinked_or_relative_database_path_finds_the_same_scheduler_lock(
    settings, db_path, tmp_path, monkeypatch
):
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    link.symlink_to(db_path)
    monkeypatch.chdir(link.parent)
    by_link = {"database": {"path": str(link)}}
    relative = {"database": {"path": f"../{db_path.name}"}}
    with scheduler_lock(settings):
        for other in (by_link, relative):
            with pytest.raises(SchedulerLocked):
                with scheduler_lock(other):
                    pass  # pragma: no cover
