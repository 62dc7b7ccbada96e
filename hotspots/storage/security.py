"""SQL for sign-in security: server-side sessions and sign-in throttling.

``hotspots.services.sessions`` and ``hotspots.web.throttling`` call the functions at the end
(tokens and
accounts passed hashed, instants stamped); leavers' accounts are in ``storage.staff``.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one

# --- sessions --------------------------------------------------------------------------

INSERT_SESSION_SQL = """
INSERT INTO sessions (token_hash, staff_id, started_at, expires_at)
VALUES (:token_hash, :staff_id, :started_at, :expires_at)
"""

# The live session with this token, and its member of staff (never a disabled one).
LIVE_SESSION_SQL = """
SELECT se.id, se.staff_id, se.started_at, se.expires_at
FROM sessions se JOIN staff st ON st.id = se.staff_id
WHERE se.token_hash = :token_hash AND se.ended_at IS NULL AND se.expires_at > :now
  AND st.disabled_at IS NULL
"""

# A session that ended, by its token: whose it was and why it ended.
ENDED_SESSION_SQL = """
SELECT id, staff_id, ended_at, ended_reason FROM sessions
WHERE token_hash = :token_hash AND ended_at IS NOT NULL
"""

END_SESSION_SQL = """
UPDATE sessions SET ended_at = :now, ended_reason = :reason
WHERE token_hash = :token_hash AND ended_at IS NULL
"""

END_STAFF_SESSIONS_SQL = """
UPDATE sessions SET ended_at = :now, ended_reason = :reason
WHERE staff_id = :staff_id AND ended_at IS NULL AND expires_at > :now
"""

# Sessions ended or expired before :before: nothing needs them once they are that old.
DELETE_OLD_SESSIONS_SQL = """
DELETE FROM sessions WHERE coalesce(ended_at, expires_at) < :before
"""

# Everyone with a live session: how many, and when the newest began.
LIVE_SESSIONS_BY_STAFF_SQL = """
SELECT st.id, st.email, st.name, st.role, count(*) AS sessions,
       max(se.started_at) AS latest_started_at
FROM sessions se JOIN staff st ON st.id = se.staff_id
WHERE se.ended_at IS NULL AND se.expires_at > :now AND st.disabled_at IS NULL
GROUP BY st.id
ORDER BY st.email
"""

# --- sign-in throttling ------------------------------------------------------------------

INSERT_SIGN_IN_FAILURE_SQL = """
INSERT INTO sign_in_failures (at, account_hash, client)
VALUES (:at, :account_hash, :client)
"""

# Failures for the account and from the client within their windows, and the oldest of each
# (when the window frees a place).
SIGN_IN_FAILURE_COUNTS_SQL = """
SELECT
    (SELECT count(*) FROM sign_in_failures
     WHERE account_hash = :account_hash AND at > :account_since) AS account_failures,
    (SELECT min(at) FROM sign_in_failures
     WHERE account_hash = :account_hash AND at > :account_since) AS account_oldest,
    (SELECT count(*) FROM sign_in_failures
     WHERE client = :client AND at > :client_since) AS client_failures,
    (SELECT min(at) FROM sign_in_failures
     WHERE client = :client AND at > :client_since) AS client_oldest
"""

CLEAR_ACCOUNT_FAILURES_SQL = """
DELETE FROM sign_in_failures WHERE account_hash = :account_hash
"""

DELETE_OLD_SIGN_IN_FAILURES_SQL = """
DELETE FROM sign_in_failures WHERE at <= :before
"""


# --- the questions and changes ---------------------------------------------------------------


def add_session(
    db: sqlite_utils.Database, token_hash: str, staff_id: int, *, now: str, expires_at: str
) -> None:
    """Record a new session of ``staff_id``, live until ``expires_at``."""
    db.execute(
        INSERT_SESSION_SQL,
        {
            "token_hash": token_hash,
            "staff_id": staff_id,
            "started_at": now,
            "expires_at": expires_at,
        },
    )


def live_session(db: sqlite_utils.Database, token_hash: str, now: str) -> dict[str, Any] | None:
    """The live session with this token (not ended, not expired, its member of staff not
    disabled), or None."""
    return fetch_one(db, LIVE_SESSION_SQL, {"token_hash": token_hash, "now": now})


def ended_session(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The session with this token if it has ended (whose, when and why), or None."""
    return fetch_one(db, ENDED_SESSION_SQL, {"token_hash": token_hash})


def end_session(db: sqlite_utils.Database, token_hash: str, *, now: str, reason: str) -> bool:
    """End the session with this token; True when it was live."""
    params = {"token_hash": token_hash, "now": now, "reason": reason}
    return db.execute(END_SESSION_SQL, params).rowcount == 1


def end_staff_sessions(db: sqlite_utils.Database, staff_id: int, *, now: str, reason: str) -> int:
    """End every live session of ``staff_id``; how many were live."""
    params = {"staff_id": staff_id, "now": now, "reason": reason}
    return db.execute(END_STAFF_SESSIONS_SQL, params).rowcount


def live_sessions_by_staff(db: sqlite_utils.Database, now: str) -> list[dict[str, Any]]:
    """Each member of staff with a live session: how many, and when the newest began."""
    return fetch_all(db, LIVE_SESSIONS_BY_STAFF_SQL, {"now": now})


def forget_sessions_before(db: sqlite_utils.Database, before: str) -> int:
    """Delete the sessions that ended or expired before ``before``; how many."""
    return db.execute(DELETE_OLD_SESSIONS_SQL, {"before": before}).rowcount


def sign_in_failures(
    db: sqlite_utils.Database,
    account_hash: str,
    client: str,
    *,
    account_since: str,
    client_since: str,
) -> dict[str, Any]:
    """The failed sign-ins of the account since ``account_since`` and from the client since
    ``client_since``: how many, and the oldest of each (``account_failures``,
    ``account_oldest``, ``client_failures``, ``client_oldest``)."""
    params = {
        "account_hash": account_hash,
        "client": client,
        "account_since": account_since,
        "client_since": client_since,
    }
    return fetch_one(db, SIGN_IN_FAILURE_COUNTS_SQL, params)


def add_sign_in_failure(
    db: sqlite_utils.Database, account_hash: str, client: str, *, now: str, forget_before: str
) -> None:
    """Count a failed sign-in, forgetting those at or before ``forget_before``."""
    db.execute(DELETE_OLD_SIGN_IN_FAILURES_SQL, {"before": forget_before})
    db.execute(
        INSERT_SIGN_IN_FAILURE_SQL, {"at": now, "account_hash": account_hash, "client": client}
    )


def clear_sign_in_failures(db: sqlite_utils.Database, account_hash: str) -> None:
    """Forget the account's failed sign-ins."""
    db.execute(CLEAR_ACCOUNT_FAILURES_SQL, {"account_hash": account_hash})
