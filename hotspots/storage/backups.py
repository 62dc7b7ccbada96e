"""SQL for backups (``hotspots.services.backups``): what a copy is checked with and made into. These
take a plain ``sqlite3`` connection, as the online backup API works with those."""

from __future__ import annotations

import sqlite3

INTEGRITY_CHECK_SQL = "PRAGMA integrity_check"
MIGRATIONS_TABLE_SQL = "SELECT count(*) FROM sqlite_master WHERE name = '_sqlite_migrations'"
SELF_CONTAINED_SQL = "PRAGMA journal_mode = DELETE"


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's integrity check finds wrong with the database: ``["ok"]`` when nothing."""
    return [row[0] for row in conn.execute(INTEGRITY_CHECK_SQL)]


def has_migrations_table(conn: sqlite3.Connection) -> bool:
    """Whether the database has the migrations table (so it is a hotspots database)."""
    return bool(conn.execute(MIGRATIONS_TABLE_SQL).fetchone()[0])


def make_self_contained(conn: sqlite3.Connection) -> None:
    """Switch a copy to a rollback journal, so the copy is one file with nothing beside it."""
    conn.execute(SELF_CONTAINED_SQL)
