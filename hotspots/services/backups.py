"""Backups and restores with SQLite's online backup API.

``backup`` copies the live database page by page while the service runs (a rescore or an
import may be writing: the copy is of one consistent moment), into a file created 0600,
checks the copy with ``PRAGMA integrity_check`` and only then gives it its final name, so a
backup file that exists is a whole, checked database. ``rotate`` keeps the newest N in a
folder. ``restore`` checks a backup and copies it over the live database, with the same API
(so the -wal file is dealt with by SQLite, not by hand).
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from hotspots.base import faults, files
from hotspots.storage import backups as store

# hotspots-20261126-013000.db: sorts by time.
BACKUP_NAME = "hotspots-{:%Y%m%d-%H%M%S}.db"
BACKUP_PATTERN = re.compile(r"hotspots-\d{8}-\d{6}\.db")
PAGES_PER_STEP = 1024  # copy in steps, so writers get the lock between them
# The files SQLite may create beside a database while writing it.
JOURNAL_SUFFIXES = ("-journal", "-wal", "-shm")


class BackupError(Exception):
    """A backup or restore could not be made or checked (the message says why)."""


def backup(database: str | os.PathLike, dest: str | os.PathLike, *, now: datetime) -> Path:
    """Copy ``database`` to ``dest`` (a file, or a folder to hold ``BACKUP_NAME``); return
    the backup's path once it is written and checked."""
    database, dest = Path(database), Path(dest)
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    target = dest / BACKUP_NAME.format(now) if dest.is_dir() else dest
    if target.resolve() == database.resolve():
        raise BackupError("the backup cannot be the database itself")
    files.private_dir(target.parent)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    _remove_with_journals(partial)
    files.create_private_file(partial)
    try:
        source = _read_only(database)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            store.make_self_contained(copy)
        finally:
            copy.close()
            source.close()
        check(partial)
        os.replace(partial, target)
    except sqlite3.Error as e:
        _remove_with_journals(partial)
        fault = faults.fault_of(e)
        raise BackupError(fault.words() if fault else f"SQLite could not copy it ({e})") from None
    except BaseException:
        _remove_with_journals(partial)
        raise
    return target


def _remove_with_journals(path: Path) -> None:
    """Remove a database file and whatever SQLite keeps beside it while writing it (a
    rollback journal, or a write-ahead log and its index), so a failed copy leaves nothing."""
    for leftover in (path, *(path.with_name(path.name + s) for s in JOURNAL_SUFFIXES)):
        leftover.unlink(missing_ok=True)


def check(path: str | os.PathLike) -> None:
    """Raise BackupError unless ``path`` is a SQLite database that passes integrity_check."""
    try:
        db = _read_only(path)
        try:
            result = store.integrity_problems(db)
            tables = store.has_migrations_table(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path} is not a readable SQLite database ({e})") from None
    if result != ["ok"]:
        raise BackupError(f"{path} failed its integrity check: {'; '.join(result[:5])}")
    if not tables:
        raise BackupError(f"{path} is not a hotspots database (it has no migrations table)")


def _read_only(path: str | os.PathLike) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)


def rotate(folder: str | os.PathLike, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups named ``BACKUP_NAME`` in ``folder`` (0
    keeps them all; other files are left alone); return the deleted paths."""
    if keep <= 0:
        return []  # 0 keeps every backup
    found = sorted(p for p in Path(folder).iterdir() if BACKUP_PATTERN.fullmatch(p.name))
    old = found[:-keep]
    for path in old:
        path.unlink()
    return old


def restore(backup_path: str | os.PathLike, database: str | os.PathLike) -> None:
    """Check ``backup_path``, then copy it over ``database`` with the online backup API.
    Stop the web app and the scheduler first: their connections would otherwise carry on
    with the database as it was."""
    backup_path, database = Path(backup_path), Path(database)
    if not backup_path.is_file():
        raise BackupError(f"there is no backup at {backup_path}")
    check(backup_path)
    files.create_private_file(database)
    source = _read_only(backup_path)
    target = sqlite3.connect(database)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    check(database)
