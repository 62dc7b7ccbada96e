"""The nightly backup job: when ``[backup] dir`` is set, a checked online backup into it at
``[backup] hour:minute``, keeping the newest ``[backup] keep`` (see
``hotspots.services.backups``)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from hotspots.base.dates import local_now
from hotspots.jobs.scheduler import job_lock
from hotspots.services import backups

log = logging.getLogger(__name__)

JOB_ID = "nightly_backup"


def schedule(scheduler, app) -> None:
    settings = app.config["SETTINGS"]
    if not settings["backup"]["dir"]:
        log.warning("no nightly backup: [backup] dir is not set")
        return
    scheduler.add_job(
        run_backup,
        CronTrigger(
            hour=settings["backup"]["hour"],
            minute=settings["backup"]["minute"],
            timezone=ZoneInfo(settings["app"]["timezone"]),
        ),
        args=[app],
        id=JOB_ID,
        name="nightly backup",
        misfire_grace_time=settings["scheduler"]["misfire_grace_seconds"],
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


def run_backup(app, now: datetime | None = None) -> Path | None:
    """Back up into [backup] dir and rotate; the backup's path, or None when it failed or
    another backup was running (both logged)."""
    settings = app.config["SETTINGS"]
    now = now or local_now(settings["app"]["timezone"])
    folder = Path(settings["backup"]["dir"])
    with job_lock(settings, "backup") as held:
        if not held:
            return None
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = backups.backup(settings["database"]["path"], folder, now=now)
        except (backups.BackupError, OSError) as e:
            log.error("nightly backup failed: %s", e)
            return None
        for old in backups.rotate(folder, settings["backup"]["keep"]):
            log.info("deleted the older backup %s", old.name)
    log.info("nightly backup: %s (integrity check ok)", path)
    return path
