"""The scheduler process: builds the APScheduler BlockingScheduler and keeps it single.

APScheduler 3 cannot share a job store between processes, so exactly one process runs the
jobs (``hotspots scheduler``); the web app never starts a scheduler. Two file locks beside
the database (``fcntl.flock``, released by the kernel when a process dies, so a crash never
leaves a stale lock) keep it that way:

- ``<database>.scheduler.lock`` is held for the life of the scheduler process: a second
  scheduler started by mistake is refused at start-up;
- ``<database>.<job>.lock`` is held while a job runs: the same job started anywhere else
  at the same time (another scheduler on another machine's mount, a manual call) skips.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

# Each module's schedule(scheduler, app) adds its jobs.
JOB_MODULES = (
    "hotspots.jobs.rescore",
    "hotspots.jobs.digest",
    "hotspots.jobs.retention",
    "hotspots.jobs.backup",
)


class SchedulerLocked(Exception):
    """Another scheduler already holds this database's scheduler lock."""


def lock_path(settings: Mapping[str, Any], name: str) -> Path:
    """``<database path>.<name>.lock``, beside the database file itself: the path is
    resolved first (symbolic links, ``..``, a relative path), so however the database's path
    is written, every process finds the same lock."""
    database = Path(settings["database"]["path"]).resolve()
    return database.with_name(f"{database.name}.{name}.lock")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[bool]:
    """Hold an exclusive flock on ``path`` for the block if it is free: yields True when held,
    False when another holder has it (nothing waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def scheduler_lock(settings: Mapping[str, Any]) -> Iterator[None]:
    """Hold the database's scheduler lock for the block; raise SchedulerLocked if another
    scheduler has it."""
    path = lock_path(settings, "scheduler")
    with file_lock(path) as held:
        if not held:
            holder = path.read_text().strip() or "another process"
            raise SchedulerLocked(
                f"another scheduler (process {holder}) is already running for "
                f"{settings['database']['path']}; stop it first, or leave it running "
                f"(lock file {path})"
            )
        yield


@contextlib.contextmanager
def job_lock(settings: Mapping[str, Any], job: str) -> Iterator[bool]:
    """Yield True while this process holds ``job``'s lock; False when it is running
    elsewhere (the caller skips the run)."""
    with file_lock(lock_path(settings, job)) as held:
        if not held:
            log.warning("job %s is already running elsewhere: this run is skipped", job)
        yield held


def build_scheduler(app, scheduler_class: type[BaseScheduler] = BlockingScheduler):
    """A scheduler in the [app] timezone with every job module's jobs added (not started)."""
    timezone = ZoneInfo(app.config["SETTINGS"]["app"]["timezone"])
    scheduler = scheduler_class(timezone=timezone)
    for name in JOB_MODULES:
        importlib.import_module(name).schedule(scheduler, app)
    return scheduler
