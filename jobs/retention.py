"""The nightly retention job: removes what ``[retention]`` says is past its time (see
``hotspots.services.retention``), at ``[retention] hour:minute`` in ``[app] timezone``."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from hotspots import storage
from hotspots.base.dates import local_now
from hotspots.jobs.scheduler import job_lock
from hotspots.services import retention

log = logging.getLogger(__name__)

JOB_ID = "nightly_retention"


def schedule(scheduler, app) -> None:
    settings = app.config["SETTINGS"]
    keep = settings["retention"]
    scheduler.add_job(
        run_retention,
        CronTrigger(
            hour=keep["hour"],
            minute=keep["minute"],
            timezone=ZoneInfo(settings["app"]["timezone"]),
        ),
        args=[app],
        id=JOB_ID,
        name="nightly retention",
        misfire_grace_time=settings["scheduler"]["misfire_grace_seconds"],
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def run_retention(app, now: datetime | None = None) -> retention.RetentionReport | None:
    """Apply retention as of ``now``; None when another run holds the lock."""
    settings = app.config["SETTINGS"]
    now = now or local_now(settings["app"]["timezone"])
    with job_lock(settings, "retention") as held:
        if not held:
            return None
        db = storage.connect_configured(settings)
        try:
            report = retention.apply_retention(
                db, settings, now=now, instance_path=app.instance_path
            )
        except retention.RetentionError as e:
            log.error("retention did not run: %s", e)
            return None
        finally:
            db.close()
    for line in report.lines():
        log.info("retention: %s", line)
    return report
