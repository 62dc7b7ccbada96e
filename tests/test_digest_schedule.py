"""The digest schedule: 07:30 London on working days, across the clock changes, skipping bank
holidays, catching up after a restart; and the job itself with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from test_sending import two_teams

from hotspots.jobs.digest import (
    JOB_ID,
    RETRY_JOB_ID,
    digest_trigger,
    first_run_time,
    retry_failed_digests_job,
    retry_trigger,
    schedule,
    send_digests_job,
)
from hotspots.services.sending import bank_holidays

LONDON = ZoneInfo("Europe/London")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def fire_times(trigger, start, count):
    """The next ``count`` fire times after ``start``, as the scheduler would walk them."""
    times, previous = [], None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        times.append(fire.astimezone(UTC))
        previous, now = fire, fire
    return times


def test_it_fires_at_07_30_london_across_the_march_clock_change(settings):
    trigger = digest_trigger(settings)
    # Clocks go forward on Sunday 29 March 2026: 07:30 GMT on Friday, 06:30Z from Monday.
    assert fire_times(trigger, utc(2026, 3, 26, 12, 0), 3) == [
        utc(2026, 3, 27, 7, 30),  # Friday, GMT
        utc(2026, 3, 30, 6, 30),  # Monday, BST
        utc(2026, 3, 31, 6, 30),
    ]


def test_it_fires_at_07_30_london_across_the_october_clock_change(settings):
    trigger = digest_trigger(settings)
    # Clocks go back on Sunday 25 October 2026.
    assert fire_times(trigger, utc(2026, 10, 22, 12, 0), 3) == [
        utc(2026, 10, 23, 6, 30),  # Friday, BST
        utc(2026, 10, 26, 7, 30),  # Monday, GMT
        utc(2026, 10, 27, 7, 30),
    ]
    fire = trigger.get_next_fire_time(None, utc(2026, 10, 25, 12, 0))
    assert (fire.hour, fire.minute, fire.tzinfo.key) == (7, 30, "Europe/London")


def test_it_skips_weekends_and_the_christmas_bank_holidays(settings):
    trigger = digest_trigger(settings)
    times = fire_times(trigger, utc(2026, 12, 23, 12, 0), 3)
    assert [t.date().isoformat() for t in times] == [
        "2026-12-24",  # Thursday
        # Friday 25th Christmas Day, the weekend, Monday 28th Boxing Day (substitute day)
        "2026-12-29",
        "2026-12-30",
    ]
    assert all((t.hour, t.minute) == (7, 30) for t in times)


def test_it_follows_the_configured_time_and_days(settings):
    settings["digest"].update(send_hour=6, send_minute=45, send_days="mon,wed")
    times = fire_times(digest_trigger(settings), utc(2026, 11, 23, 12, 0), 2)  # Monday noon
    assert times == [utc(2026, 11, 25, 6, 45), utc(2026, 11, 30, 6, 45)]


def test_a_restart_within_the_grace_time_still_runs_this_mornings_digest(settings):
    trigger = digest_trigger(settings)
    grace = settings["digest"]["misfire_grace_seconds"]
    restarted = datetime(2026, 11, 26, 8, 10, tzinfo=LONDON)
    assert first_run_time(trigger, restarted, grace) == datetime(2026, 11, 26, 7, 30, tzinfo=LONDON)


def test_a_restart_after_the_grace_time_waits_for_the_next_working_morning(settings):
    trigger = digest_trigger(settings)
    late = datetime(2026, 11, 27, 16, 0, tzinfo=LONDON)  # Friday afternoon
    first = first_run_time(trigger, late, settings["digest"]["misfire_grace_seconds"])
    assert first == datetime(2026, 11, 30, 7, 30, tzinfo=LONDON)  # Monday


def test_schedule_adds_one_job_with_grace_and_coalescing(app, settings):
    scheduler = BackgroundScheduler(timezone="Europe/London")
    restarted = datetime(2026, 11, 26, 8, 10, tzinfo=LONDON)
    schedule(scheduler, app, now=restarted)
    schedule(scheduler, app, now=restarted)  # again: replaces, never duplicates
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert sorted(j.id for j in jobs) == sorted([JOB_ID, RETRY_JOB_ID])
        job = scheduler.get_job(JOB_ID)
        assert job.misfire_grace_time == settings["digest"]["misfire_grace_seconds"] >= 40 * 60
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.next_run_time == datetime(2026, 11, 26, 7, 30, tzinfo=LONDON)
    finally:
        scheduler.shutdown(wait=False)


def test_the_job_sends_every_managers_digest_on_a_working_day(app, db, settings, tmp_path):
    two_teams(db)
    outcomes = send_digests_job(app, datetime(2026, 11, 26, 7, 30, tzinfo=LONDON))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    again = send_digests_job(app, datetime(2026, 11, 26, 8, 10, tzinfo=LONDON))
    assert [o.status for o in again] == ["already_sent", "already_sent"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


@pytest.mark.parametrize("day", [25, 26, 28])  # Christmas Day, Saturday, Boxing Day
def test_the_job_sends_nothing_on_a_bank_holiday_or_weekend(app, db, day, tmp_path):
    two_teams(db)
    assert send_digests_job(app, datetime(2026, 12, day, 7, 30, tzinfo=LONDON)) == []
    assert db.execute("select count(*) from digests").fetchone()[0] == 0
    assert not (tmp_path / "outbox").exists()


def test_the_job_uses_the_london_date_of_a_utc_instant(app, db, tmp_path):
    two_teams(db)
    # 23:30Z on Sunday 31 May 2026 is 00:30 on Monday 1 June in London: a working day.
    outcomes = send_digests_job(app, utc(2026, 5, 31, 23, 30))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert db.execute("select distinct digest_date from digests").fetchall() == [("2026-06-01",)]


def test_it_warns_when_the_bank_holiday_list_is_about_to_run_out(app, caplog):
    last = max(bank_holidays())  # 2028-12-26 in govuk-bank-holidays 0.19
    scheduler = BackgroundScheduler(timezone="Europe/London")
    schedule(scheduler, app, now=datetime(last.year - 1, 6, 1, 8, 0, tzinfo=LONDON))
    assert "bank holiday list ends" not in caplog.text
    schedule(scheduler, app, now=datetime(last.year, 6, 1, 8, 0, tzinfo=LONDON))
    assert f"bank holiday list ends on {last.isoformat()}" in caplog.text


def test_a_scheduler_started_without_catch_up_waits_for_the_next_send_time(app, settings):
    settings["digest"]["catch_up_on_start"] = False  # as `make run` starts it
    scheduler = BackgroundScheduler(timezone="Europe/London")
    schedule(scheduler, app, now=datetime(2026, 11, 26, 8, 10, tzinfo=LONDON))
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job(JOB_ID).next_run_time == datetime(
            2026, 11, 27, 7, 30, tzinfo=LONDON
        )
    finally:
        scheduler.shutdown(wait=False)


# --- unattended recovery: failed digests retried later the same morning -----------------------


def test_the_retries_fire_every_half_hour_from_the_send_hour_until_eleven(settings):
    trigger = retry_trigger(settings)
    times = fire_times(trigger, utc(2026, 11, 26, 6, 0), 9)
    assert [t.strftime("%H:%M") for t in times] == [
        "07:00", "07:30", "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "07:00",
    ]  # fmt: skip
    assert times[-1].date().isoformat() == "2026-11-27"


def test_a_digest_that_failed_in_an_outage_is_sent_by_a_later_retry(app, db, tmp_path):
    two_teams(db)
    outbox = tmp_path / "outbox"
    outbox.write_text("a file where the folder should be: every send fails")
    failed = send_digests_job(app, datetime(2026, 11, 26, 7, 30, tzinfo=LONDON))
    assert [o.status for o in failed] == ["failed", "failed"]
    outbox.unlink()  # the outage ends
    assert retry_failed_digests_job(app, datetime(2026, 11, 26, 7, 45, tzinfo=LONDON)) == []
    retried = retry_failed_digests_job(app, datetime(2026, 11, 26, 8, 0, tzinfo=LONDON))
    assert [o.status for o in retried] == ["sent", "sent"]
    assert len(list(outbox.glob("*.eml"))) == 2
    again = retry_failed_digests_job(app, datetime(2026, 11, 26, 8, 30, tzinfo=LONDON))
    assert [o.status for o in again] == ["already_sent", "already_sent"]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 26, 7, 0, tzinfo=LONDON),  # before the send time
        datetime(2026, 11, 26, 11, 0, tzinfo=LONDON),  # after the retries end
        datetime(2026, 12, 25, 9, 0, tzinfo=LONDON),  # Christmas Day
    ],
)
def test_retries_send_nothing_outside_their_window(app, db, moment):
    two_teams(db)
    assert retry_failed_digests_job(app, moment) == []
    assert db.execute("select count(*) from digests").fetchone()[0] == 0
