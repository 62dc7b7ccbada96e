"""SQL for members of staff: signing in, their accounts (added, disabled, enabled), their
passwords and the one-time links that set them.

Functions here are named for what they return or do; the pages, the sign-in and the command
line call them rather than the constants. Instants are passed stamped as each column keeps
them (the caller's ``stamp`` or UTC text).
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one

# --- staff -----------------------------------------------------------------------------

# A disabled member of staff is no one: they cannot sign in, and a session of theirs ends.
STAFF_BY_ID_SQL = """
SELECT id, email, name, role, team_id FROM staff WHERE id = :id AND disabled_at IS NULL
"""

STAFF_FOR_SIGN_IN_SQL = """
SELECT id, email, name, role, team_id, password_hash, disabled_at FROM staff WHERE email = :email
"""

SET_PASSWORD_SQL = """
UPDATE staff SET password_hash = :password_hash WHERE email = :email
"""

# The email as the staff table spells it (emails match however capitalised).
STAFF_EMAIL_SQL = """
SELECT email FROM staff WHERE email = :email
"""

# --- people (admins) -------------------------------------------------------------------------

PEOPLE_SQL = """
SELECT st.id, st.name, st.email, st.role, st.team_id, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS has_password
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
ORDER BY st.disabled_at IS NOT NULL, t.name IS NULL, t.name, st.role, st.name
"""

PERSON_SQL = """
SELECT st.id, st.name, st.email, st.role, st.team_id, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS has_password
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
WHERE st.id = :id
"""

INSERT_PERSON_SQL = """
INSERT INTO staff (email, name, role, team_id, password_hash)
VALUES (:email, :name, :role, :team_id, NULL)
"""

CLEAR_PASSWORD_SQL = """
UPDATE staff SET password_hash = NULL WHERE id = :id
"""

SET_PASSWORD_BY_ID_SQL = """
UPDATE staff SET password_hash = :password_hash WHERE id = :id AND disabled_at IS NULL
"""

# A newer link replaces any unused one.
RETIRE_PASSWORD_LINKS_SQL = """
UPDATE password_links SET used_at = :at WHERE staff_id = :staff_id AND used_at IS NULL
"""

INSERT_PASSWORD_LINK_SQL = """
INSERT INTO password_links (staff_id, token_hash, created_at, created_by_id, expires_at)
VALUES (:staff_id, :token_hash, :created_at, :created_by_id, :expires_at)
"""

PASSWORD_LINK_SQL = """
SELECT l.id, l.staff_id, l.expires_at, l.used_at, st.email, st.name, st.disabled_at
FROM password_links l JOIN staff st ON st.id = l.staff_id
WHERE l.token_hash = :token_hash
"""

USE_PASSWORD_LINK_SQL = """
UPDATE password_links SET used_at = :at WHERE id = :id AND used_at IS NULL
"""

# --- accounts (the command line) --------------------------------------------------------------

STAFF_LIST_SQL = """
SELECT st.id, st.email, st.name, st.role, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS can_sign_in,
       (SELECT count(*) FROM cases c WHERE c.worker_id = st.id AND c.status = 'open')
           AS open_cases
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
ORDER BY st.disabled_at IS NOT NULL, t.name, st.role, st.email
"""

STAFF_BY_EMAIL_SQL = """
SELECT id, email, name, role, team_id, disabled_at FROM staff WHERE email = :email
"""

DISABLE_STAFF_SQL = """
UPDATE staff SET disabled_at = :now, password_hash = NULL
WHERE id = :staff_id AND disabled_at IS NULL
"""

ENABLE_STAFF_SQL = """
UPDATE staff SET disabled_at = NULL WHERE id = :staff_id
"""

STAFF_EMAIL_BY_ID_SQL = """
SELECT id, email FROM staff WHERE id = :staff_id
"""


# --- the questions ---------------------------------------------------------------------------


def enabled(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    """The member of staff with this id unless they are disabled (a disabled one is no one),
    or None."""
    return fetch_one(db, STAFF_BY_ID_SQL, {"id": staff_id})


def for_sign_in(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    """The member of staff with this email (however capitalised), with their password hash
    and whether they are disabled, or None."""
    return fetch_one(db, STAFF_FOR_SIGN_IN_SQL, {"email": email})


def by_email(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    """The member of staff with this email, disabled or not (no password hash), or None."""
    return fetch_one(db, STAFF_BY_EMAIL_SQL, {"email": email})


def email_of(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    """The id and email of the member of staff with this id, disabled or not, or None."""
    return fetch_one(db, STAFF_EMAIL_BY_ID_SQL, {"staff_id": staff_id})


def spelled_email(db: sqlite_utils.Database, email: str) -> str | None:
    """``email`` as the staff table spells it, if anyone has it (however capitalised)."""
    row = fetch_one(db, STAFF_EMAIL_SQL, {"email": email})
    return row["email"] if row else None


def email_taken(db: sqlite_utils.Database, email: str) -> bool:
    """Whether someone, disabled or not, already has this email (however capitalised)."""
    return spelled_email(db, email) is not None


def people(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Everyone who can or could sign in, with their team and whether they have a password;
    the disabled last."""
    return fetch_all(db, PEOPLE_SQL, {})


def person(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    """One member of staff as the people pages show them, or None."""
    return fetch_one(db, PERSON_SQL, {"id": staff_id})


def accounts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every account with its team, whether it can sign in and its open cases (`hotspots
    users list`); the disabled last."""
    return fetch_all(db, STAFF_LIST_SQL, {})


def password_link(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The one-time password link whose token hashes to ``token_hash``, with its member of
    staff, used, expired or not, or None."""
    return fetch_one(db, PASSWORD_LINK_SQL, {"token_hash": token_hash})


# --- the changes -----------------------------------------------------------------------------


def add_person(
    db: sqlite_utils.Database, *, email: str, name: str, role: str, team_id: int | None
) -> int:
    """Add a member of staff with no password yet; returns their id."""
    params = {"email": email, "name": name, "role": role, "team_id": team_id}
    return db.execute(INSERT_PERSON_SQL, params).lastrowid


def set_password(db: sqlite_utils.Database, staff_id: int, password_hash: str) -> None:
    """Set an enabled member of staff's password hash."""
    db.execute(SET_PASSWORD_BY_ID_SQL, {"id": staff_id, "password_hash": password_hash})


def set_password_by_email(db: sqlite_utils.Database, email: str, password_hash: str) -> None:
    """Set the password hash of the member of staff with this email."""
    db.execute(SET_PASSWORD_SQL, {"email": email, "password_hash": password_hash})


def clear_password(db: sqlite_utils.Database, staff_id: int) -> None:
    """Remove a password: it stops working at once."""
    db.execute(CLEAR_PASSWORD_SQL, {"id": staff_id})


def disable(db: sqlite_utils.Database, staff_id: int, now: str) -> bool:
    """Disable an account (a leaver) and clear its password; False if it was already
    disabled."""
    return db.execute(DISABLE_STAFF_SQL, {"staff_id": staff_id, "now": now}).rowcount == 1


def enable(db: sqlite_utils.Database, staff_id: int) -> None:
    """Enable an account again (it needs a new password to sign in)."""
    db.execute(ENABLE_STAFF_SQL, {"staff_id": staff_id})


def add_password_link(
    db: sqlite_utils.Database,
    staff_id: int,
    *,
    token_hash: str,
    created_by_id: int,
    now: str,
    expires_at: str,
) -> None:
    """A new one-time password link for ``staff_id``; any unused one stops working."""
    retire_password_links(db, staff_id, now)
    db.execute(
        INSERT_PASSWORD_LINK_SQL,
        {
            "staff_id": staff_id,
            "token_hash": token_hash,
            "created_at": now,
            "created_by_id": created_by_id,
            "expires_at": expires_at,
        },
    )


def retire_password_links(db: sqlite_utils.Database, staff_id: int, now: str) -> None:
    """Every unused one-time link of ``staff_id`` stops working."""
    db.execute(RETIRE_PASSWORD_LINKS_SQL, {"staff_id": staff_id, "at": now})


def use_password_link(db: sqlite_utils.Database, link_id: int, now: str) -> bool:
    """Mark a one-time link used; False if it was used meanwhile (another tab)."""
    return db.execute(USE_PASSWORD_LINK_SQL, {"id": link_id, "at": now}).rowcount == 1
