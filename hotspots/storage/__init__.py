"""Storage: the SQLite connection, transactions, and (in submodules) every SQL statement.

SQL lives in this package as named constants with ``:named`` parameters, one module per area
(``schema`` for migrations, then one per area of the service), each offering functions named
for what they return or do. Nothing outside this package holds or formats SQL, or imports a
``*_SQL`` constant (``tests/test_layers.py`` holds every module to it). The whole-authority
and incremental rescores, every line of them SQL or its parameters, live here too
(``rescoring/``; the service calls them as ``hotspots.services.rescoring``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlite_utils

from hotspots.base import files

# The oldest SQLite the database works on: observations.observed_day is generated as
# unixepoch(observed_on) / 86400 (storage/schema.py), and unixepoch() is new in 3.38.0.
SQLITE_FLOOR = (3, 38, 0)


class SQLiteTooOld(Exception):
    """The SQLite library Python uses is older than ``SQLITE_FLOOR``; the message says so."""


def sqlite_version_problem(
    found: tuple[int, ...], needed: tuple[int, ...] = SQLITE_FLOOR
) -> str | None:
    """Why SQLite ``found`` (as ``sqlite3.sqlite_version_info``) cannot hold the service's
    database, or None when it can."""
    if tuple(found) >= tuple(needed):
        return None
    return (
        f"SQLite {_dotted(found)} is too old: the service needs SQLite {_dotted(needed)} or "
        "newer (its database uses unixepoch()). Python's sqlite3 module uses the system's "
        "SQLite library: upgrade it (libsqlite3), or run the service on a system that has "
        f"{_dotted(needed)} or newer, such as Debian 12 or Ubuntu 24.04."
    )


def check_sqlite_version() -> None:
    """Raise SQLiteTooOld when the SQLite library this Python uses is too old."""
    problem = sqlite_version_problem(sqlite3.sqlite_version_info)
    if problem:
        raise SQLiteTooOld(problem)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def connect(path: str | Path, busy_timeout_ms: int = 5000) -> sqlite_utils.Database:
    """Open (creating if need be) the database at ``path``: WAL mode, foreign keys on,
    a busy timeout, and autocommit unless a transaction is opened explicitly."""
    path = Path(path)
    if str(path) != ":memory:":
        # Created readable by the service's user only (its -wal and -shm files follow).
        files.create_private_file(path)
    conn = sqlite3.connect(
        str(path), timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def connect_configured(settings: Mapping[str, Any]) -> sqlite_utils.Database:
    """Open the database named by ``[database]`` in the settings (the jobs' connection)."""
    database = settings["database"]
    return connect(database["path"], database["busy_timeout_ms"])


def fetch_all(db: sqlite_utils.Database, sql: str, params: Mapping[str, Any]) -> list[dict]:
    """Every row of a query, as dicts keyed by column name."""
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(db: sqlite_utils.Database, sql: str, params: Mapping[str, Any]) -> dict | None:
    """The first row of a query as a dict, or None."""
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Commit everything in the block whole, or nothing.

    Takes the write lock at the start (BEGIN IMMEDIATE), so two writers queue on the busy
    timeout instead of failing half-way. Inside the block, sqlite-utils' own ``atomic()``
    calls nest as savepoints. Nested use of this function is a savepoint too.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


class Stopwatch:
    """Seconds a set-based run's steps took, into ``timings`` (nothing when it is None)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[step] = now - self.last
            self.last = now


def database_file(db: sqlite_utils.Database) -> str | None:
    """The file behind ``db``'s main database, or None for an in-memory one."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or None
    return None
