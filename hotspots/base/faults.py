"""Faults of the machine, not of what someone sent: a full disk, a read-only database, a
locked database file, a file that cannot be opened. ``fault_of`` recognises one from the
exception SQLite or the operating system raised and says, in one line, what happened and
what to do; the command line, the pages and the API each show that instead of a traceback.

A transaction is stored whole or not at all, so a fault never leaves anything half-written;
the words say so, because that is what a person wants to know next.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14

NOTHING_HALF_WRITTEN = "nothing was half-written"


@dataclass(frozen=True)
class Fault:
    """A fault in words. ``kind`` is ``busy`` (wait and try again) or ``storage`` (a person
    must free space or fix permissions first)."""

    kind: str
    what: str
    todo: str

    def words(self) -> str:
        """The one line: what happened, then what to do."""
        return f"{self.what}; {NOTHING_HALF_WRITTEN}. {self.todo}"


FULL = Fault(
    "storage",
    "The disk is full, or a file reached the largest size this system allows",
    "Free space on the disk that holds the database and its backups, then try again.",
)
UNWRITABLE = Fault(
    "storage",
    "The disk could not be written (it may be full, or a file-size limit was reached)",
    "Check the disk's free space and the system log for disk errors, then try again.",
)
READ_ONLY = Fault(
    "storage",
    "The database cannot be written: the file, its folder or the disk is read-only",
    "Make the database file and its folder writable by the service's user (see "
    "docs/operations.md), then try again.",
)
CANNOT_OPEN = Fault(
    "storage",
    "The database file cannot be opened",
    "Check [database] path and that the service's user can read and write the file and "
    "its folder, then try again.",
)
NO_PERMISSION = Fault(
    "storage",
    "Permission denied",
    "Give the service's user write access to that file or folder (see docs/operations.md), "
    "then try again.",
)
LOCKED = Fault(
    "busy",
    "The database stayed locked by another writer (an import, a rescore, a backup or a "
    "digest run) for longer than [database] busy_timeout_ms",
    "Wait for it to finish, then try again.",
)

_BY_SQLITE_CODE = {
    SQLITE_BUSY: LOCKED,
    SQLITE_LOCKED: LOCKED,
    SQLITE_READONLY: READ_ONLY,
    SQLITE_PERM: READ_ONLY,
    SQLITE_IOERR: UNWRITABLE,
    SQLITE_FULL: FULL,
    SQLITE_CANTOPEN: CANNOT_OPEN,
}
_BY_ERRNO = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EFBIG: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
}


def fault_of(error: BaseException) -> Fault | None:
    """The fault ``error`` shows, or None when it is something else (a bug, bad data)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return _BY_SQLITE_CODE.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(error, OSError) and error.errno in _BY_ERRNO:
        fault = _BY_ERRNO[error.errno]
        if error.filename:
            return Fault(fault.kind, f"{fault.what} ({error.filename})", fault.todo)
        return fault
    return None
