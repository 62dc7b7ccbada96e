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
before it is sent (see ``hotspots.services.sending``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from hotspots import storage
from hotspots.base.dates import local_now
from hotspots.services.sending import bank_holidays, send_due_digests, why_not_a_digest_day

log = logging.getLogger(__name__)

JOB_ID = "daily_digest"
RETRY_JOB_ID = "daily_digest_retry"


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
    _schedule_retries(scheduler, app)


def retry_trigger(settings: dict[str, Any]) -> WorkingDayTrigger | None:
    """Every [digest_recovery] retry_every_minutes from the send hour until retry_until_hour
    on digest days (None when retries are off)."""
    recovery, digest = settings["digest_recovery"], settings["digest"]
    every = recovery["retry_every_minutes"]
    last_hour = recovery["retry_until_hour"] - 1
    if not every or last_hour < digest["send_hour"]:
        return None
    return WorkingDayTrigger(
        holidays=frozenset(bank_holidays()),
        day_of_week=digest["send_days"],
        hour=f"{digest['send_hour']}-{last_hour}",
        minute=f"*/{every}" if every < 60 else "0",
        timezone=settings["app"]["timezone"],
    )


def _schedule_retries(scheduler, app) -> None:
    settings = app.config["SETTINGS"]
    trigger = retry_trigger(settings)
    if trigger is None:
        return
    scheduler.add_job(
        _retry_now,
        trigger,
        args=[app],
        id=RETRY_JOB_ID,
        name="retry failed digests",
        replace_existing=True,
        # A retry later than the next one is pointless: the next one does the same.
        misfire_grace_time=settings["digest_recovery"]["retry_every_minutes"] * 60,
        coalesce=True,
        max_instances=1,
    )


def _retry_now(app) -> list:
    return retry_failed_digests_job(app, local_now(app.config["SETTINGS"]["app"]["timezone"]))


def retry_failed_digests_job(app, now: datetime) -> list:
    """Try again today's digests that failed (an SMTP outage at 07:30), and send any not yet
    sent, without a person running ``--retry-failed``: from one retry interval after the
    send time until [digest_recovery] retry_until_hour. Claims keep it exactly-once."""
    settings = app.config["SETTINGS"]
    local = now.astimezone(ZoneInfo(settings["app"]["timezone"]))
    digest, recovery = settings["digest"], settings["digest_recovery"]
    send_time = local.replace(
        hour=digest["send_hour"], minute=digest["send_minute"], second=0, microsecond=0
    )
    too_early = local < send_time + timedelta(minutes=recovery["retry_every_minutes"])
    too_late = local.hour >= recovery["retry_until_hour"]
    if too_early or too_late or why_not_a_digest_day(local.date(), settings):
        return []
    db = storage.connect_configured(settings)
    try:
        outcomes = send_due_digests(
            db, settings, digest_date=local.date(), now=now, retry_failed=True
        )
    finally:
        db.close()
    for outcome in outcomes:
        if outcome.status == "sent":
            log.info("digest retry %s: %s", local.date(), outcome)
        elif outcome.status in ("failed", "stuck"):
            log.error("digest retry %s: %s", local.date(), outcome)
    return outcomes


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
        if outcome.status in ("failed", "stuck"):
            # Stuck: a sender stopped holding its claim; the words say when and how it goes.
            log.error("digest %s: %s", today, outcome)
        else:
            log.info("digest %s: %s", today, outcome)
    return outcomes
