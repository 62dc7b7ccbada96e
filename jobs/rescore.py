"""Scoring jobs: the nightly whole-authority rescore and the frequent incremental sweep.

Both take ``now`` (they read the clock only when it is None) and share one job lock, so a
sweep never runs during a full rescore and the same job never runs twice at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hotspots import storage
from hotspots.base.dates import local_now
from hotspots.jobs.scheduler import job_lock
from hotspots.services import rescoring

log = logging.getLogger(__name__)

LOCK = "rescore"


def run_full_rescore(app_or_settings, now: datetime | None = None) -> int | None:
    """Rescore every open case as of ``now``'s date; returns the number scored, or None when
    a rescore was already running elsewhere (this run skipped)."""
    return _run(app_or_settings, now, rescoring.rescore_all, "full rescore")


def run_sweep(app_or_settings, now: datetime | None = None) -> int | None:
    """Rescore the cases changed since they were scored; returns how many, or None when
    skipped because a rescore was running elsewhere."""
    return _run(app_or_settings, now, rescoring.rescore_changed, "sweep")


def schedule(scheduler, app) -> None:
    """Add the nightly full rescore and the sweep to ``scheduler``."""
    settings = app.config["SETTINGS"]
    timezone = ZoneInfo(settings["app"]["timezone"])
    jobs = settings["scheduler"]
    sweep_seconds = jobs["sweep_every_minutes"] * 60
    scheduler.add_job(
        run_full_rescore,
        CronTrigger(hour=jobs["rescore_hour"], minute=jobs["rescore_minute"], timezone=timezone),
        args=[app],
        id="full_rescore",
        name="nightly full rescore",
        # A scheduler restarted soon after the hour (a deploy, a reboot) still runs tonight's
        # rescore; later than the grace it waits for the next night (the sweep keeps changed
        # cases fresh meanwhile).
        misfire_grace_time=jobs["misfire_grace_seconds"],
        # Several missed nights run once: a rescore is idempotent and only the latest counts.
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    scheduler.add_job(
        run_sweep,
        IntervalTrigger(minutes=jobs["sweep_every_minutes"], timezone=timezone),
        args=[app],
        id="rescore_sweep",
        name="incremental rescore sweep",
        # A sweep later than the next one is pointless: the next one does the same work.
        misfire_grace_time=max(1, sweep_seconds),
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def _run(app_or_settings, now, rescore, what: str) -> int | None:
    settings = _settings(app_or_settings)
    if now is None:
        now = local_now(settings["app"]["timezone"])
    with job_lock(settings, LOCK) as held:
        if not held:
            return None
        db = storage.connect_configured(settings)
        try:
            count = rescore(db, settings, as_of=now.date(), now=now)
        finally:
            db.close()
    log.info("%s as of %s: %d cases", what, now.date().isoformat(), count)
    return count


def _settings(app_or_settings) -> Mapping[str, Any]:
    if isinstance(app_or_settings, Mapping):
        return app_or_settings
    return app_or_settings.config["SETTINGS"]
