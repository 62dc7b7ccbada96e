"""Server-side sessions: every signed-in browser holds a random token in its signed cookie,
and the ``sessions`` table says whether that token is still good.

A session ends when its owner signs out, when an admin (or ``hotspots users sign-out``)
ends all of a person's sessions, when the person is disabled or their password changes,
and at the latest ``[security] session_absolute_hours`` after sign-in however active it is
(the idle limit, ``[app] session_idle_minutes``, is checked on every request beside it).
Only a SHA-256 of each token is stored, so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.storage import security


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    db: sqlite_utils.Database, staff_id: int, settings: Mapping[str, Any], *, now: datetime
) -> str:
    """Record a new session for ``staff_id``; return its token (for the signed cookie)."""
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=settings["security"]["session_absolute_hours"])
    security.add_session(
        db, _hash(token), staff_id, now=stamp(now), expires_at=stamp(now + lifetime)
    )
    return token


def live_session(
    db: sqlite_utils.Database, token: str | None, *, now: datetime
) -> dict[str, Any] | None:
    """The session with ``token`` if it has not ended or expired and its member of staff is
    not disabled; otherwise None."""
    if not token or not isinstance(token, str):
        return None
    return security.live_session(db, _hash(token), stamp(now))


def end_session(
    db: sqlite_utils.Database, token: str | None, *, now: datetime, reason: str = "signed out"
) -> bool:
    """End the session with ``token``; True when one was live."""
    if not token or not isinstance(token, str):
        return False
    return security.end_session(db, _hash(token), now=stamp(now), reason=reason)


def ended_session(db: sqlite_utils.Database, token: str | None) -> dict[str, Any] | None:
    """The session with ``token`` if it has ended (whose it was, when and why); None for a
    live or unknown one."""
    if not token or not isinstance(token, str):
        return None
    return security.ended_session(db, _hash(token))


def end_all_sessions(
    db: sqlite_utils.Database, staff_id: int, *, now: datetime, reason: str
) -> int:
    """End every live session of ``staff_id``; return how many were live."""
    return security.end_staff_sessions(db, staff_id, now=stamp(now), reason=reason)


def live_sessions_by_staff(db: sqlite_utils.Database, *, now: datetime) -> list[dict[str, Any]]:
    """Each member of staff with a live session: id, email, name, role, how many sessions,
    and when the newest began (UTC)."""
    return security.live_sessions_by_staff(db, stamp(now))


def forget_old_sessions(db: sqlite_utils.Database, *, before: datetime) -> int:
    """Delete the records of sessions that ended or expired before ``before``."""
    return security.forget_sessions_before(db, stamp(before))
