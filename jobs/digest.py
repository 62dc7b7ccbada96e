"""The daily digest job: every manager's digest, once, on working-day mornings.

``schedule(scheduler, app)`` adds one cron job (the scheduler process calls it): at
``[digest] send_hour:send_minute`` in ``[app] timezone`` on ``[digest] send_days``, skipping
bank holidays in England and Wales. The trigger works in local wall-clock time, so 07:30
stays 07:30 in London across the March and October clock changes (06:30Z in summer, 07:30Z
in winter).

A scheduler that starts after today's send time but within ``[digest]
misfire_grace_seconds`` (a restart at 08:10) still sends this morning's digests: the job's
first run time is set to today's missed one, which APScheduler runs at once because it is
within the grace time. Sending twice is impossible either way: each digest is claimed
before it is sent (see ``hotspots.sending``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from hotspots import storage
from hotspots.dates import local_now
from hotspots.sending import bank_holidays, send_due_digests, why_not_a_digest_day

log = logging.getLogger(__name__)

JOB_ID = "daily_digest"


class WorkingDayTrigger(CronTrigger):
    """A cron trigger that skips the given holidays (dates in the trigger's time zone)."""

    def __init__(self, *, holidays: frozenset[date] = frozenset(), **cron: Any):
        super().__init__(**cron)
        self.holidays = frozenset(holidays)

    def get_next_fire_time(self, previous_fire_time, now):
        fire_time = super().get_next_fire_time(previous_fire_time, now)
        # A year of holidays in a row is impossible; the bound only guards against a loop.
        for _ in range(400):
            if fire_time is None or fire_time.date() not in self.holidays:
                return fire_time
            fire_time = super().get_next_fire_time(fire_time, fire_time + timedelta(seconds=1))
        return None

    def __getstate__(self):
        return {**super().__getstate__(), "holidays": sorted(self.holidays)}

    def __setstate__(self, state):
        super().__setstate__(state)
        self.holidays = frozenset(state.get("holidays", ()))

    def __str__(self):
        return f"{super().__str__()} except {len(self.holidays)} bank holidays"


def digest_trigger(settings: dict[str, Any]) -> WorkingDayTrigger:
    """The digest schedule from the settings."""
    digest = settings["digest"]
    return WorkingDayTrigger(
        holidays=frozenset(bank_holidays()),
        day_of_week=digest["send_days"],
        hour=digest["send_hour"],
        minute=digest["send_minute"],
        timezone=settings["app"]["timezone"],
    )


def first_run_time(trigger: WorkingDayTrigger, now: datetime, grace_seconds: int) -> datetime:
    """The run due most recently within the grace time (so a restart at 08:10 catches up
    07:30), or else the next one."""
    missed = trigger.get_next_fire_time(None, now - timedelta(seconds=grace_seconds))
    if missed is not None and missed <= now:
        return missed
    return trigger.get_next_fire_time(None, now)


def schedule(scheduler, app, *, now: datetime | None = None) -> None:
    """Add the daily digest job to ``scheduler`` (APScheduler 3). ``now`` defaults to the
    clock (tests pass a fixed one)."""
    settings = app.config["SETTINGS"]
    now = now or local_now(settings["app"]["timezone"])
    trigger = digest_trigger(settings)
    known_until = max(trigger.holidays, default=None)
    if known_until is None or known_until.year <= now.year:
        # The shipped list covers a couple of years ahead; after that holidays go unnoticed.
        log.warning(
            "the bank holiday list ends on %s: upgrade govuk-bank-holidays so digests keep "
            "skipping bank holidays",
            known_until,
        )
    grace = settings["digest"]["misfire_grace_seconds"]
    scheduler.add_job(
        _run_now,
        trigger,
        args=[app],
        id=JOB_ID,
        name="daily hotspot digest",
        replace_existing=True,
        misfire_grace_time=grace,
        coalesce=True,  # runs missed while down: one catch-up, not one per missed day
        max_instances=1,
        next_run_time=(
            first_run_time(trigger, now, grace)
            if settings["digest"]["catch_up_on_start"]
            else trigger.get_next_fire_time(None, now)
        ),
    )


def _run_now(app) -> list:
    """What the scheduler calls: the job, with the clock read here at the edge."""
    return send_digests_job(app, local_now(app.config["SETTINGS"]["app"]["timezone"]))


def send_digests_job(app, now: datetime) -> list:
    """Send the digests for ``now``'s date (in [app] timezone) unless it is not a digest
    day; returns the outcomes (empty when none were due)."""
    settings = app.config["SETTINGS"]
    today = now.astimezone(ZoneInfo(settings["app"]["timezone"])).date()
    reason = why_not_a_digest_day(today, settings)
    if reason:
        log.info("no digests today: %s", reason)
        return []
    db = storage.connect_configured(settings)
    try:
        outcomes = send_due_digests(db, settings, digest_date=today, now=now)
    finally:
        db.close()
    for outcome in outcomes:
        if outcome.status == "failed":
            log.error("digest %s: %s", today, outcome)
        else:
            log.info("digest %s: %s", today, outcome)
    return outcomes
