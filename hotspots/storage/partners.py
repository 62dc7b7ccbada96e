"""SQL for partner systems: their tokens, their rate, the observations they send and the
queue of items about children no open case matches.

Functions here are named for what they return or do; the views, the API and the command
line call them rather than the constants.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one

# --- partners and tokens ---------------------------------------------------------------

INSERT_PARTNER_SQL = """
INSERT INTO partners (name, source, created_at) VALUES (:name, :source, :now)
"""

PARTNER_BY_NAME_SQL = """
SELECT id, name, source, created_at, revoked_at FROM partners WHERE name = :name
"""

INSERT_TOKEN_SQL = """
INSERT INTO partner_tokens (partner_id, token_hash, created_at)
VALUES (:partner_id, :token_hash, :now)
"""

# A rotation: the partner's other live tokens keep working until :expires_at.
EXPIRE_OTHER_TOKENS_SQL = """
UPDATE partner_tokens SET expires_at = :expires_at
WHERE partner_id = :partner_id AND token_hash != :token_hash AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > :expires_at)
"""

REVOKE_PARTNER_SQL = """
UPDATE partners SET revoked_at = :now WHERE id = :partner_id AND revoked_at IS NULL
"""

REVOKE_TOKENS_SQL = """
UPDATE partner_tokens SET revoked_at = :now WHERE partner_id = :partner_id AND revoked_at IS NULL
"""

# The partner a token belongs to, if the token is live. Instants are compared as stored text
# with one offset (the service's UTC stamps), so :now must be stamped the same way.
PARTNER_FOR_TOKEN_SQL = """
SELECT p.id, p.name, p.source
FROM partner_tokens t JOIN partners p ON p.id = t.partner_id
WHERE t.token_hash = :token_hash
  AND t.revoked_at IS NULL AND p.revoked_at IS NULL
  AND (t.expires_at IS NULL OR t.expires_at > :now)
"""

# Every partner, with its live tokens, the latest accepted request (from the audit log, where
# every accepted request is written), what it holds and its open queue.
PARTNERS_SQL = """
SELECT p.id, p.name, p.source, p.created_at, p.revoked_at,
       (SELECT count(*) FROM partner_tokens t
        WHERE t.partner_id = p.id AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > :now)) AS live_tokens,
       last.at AS last_sent_at, last.detail AS last_sent,
       (SELECT count(*) FROM observations o WHERE o.partner_id = p.id) AS observations,
       (SELECT count(*) FROM unmatched_observations u
        WHERE u.partner_id = p.id AND u.state = 'open') AS unmatched_open
FROM partners p
LEFT JOIN audit_log last ON last.id = (
    SELECT a.id FROM audit_log a
    WHERE a.actor_email = 'partner:' || p.name AND a.action = 'api_observations'
    ORDER BY a.at DESC, a.id DESC LIMIT 1
)
ORDER BY p.name
"""

# --- the rate limit --------------------------------------------------------------------

# Count this request in the partner's current minute and return the count so far.
COUNT_REQUEST_SQL = """
INSERT INTO partner_rate (partner_id, minute, requests) VALUES (:partner_id, :minute, 1)
ON CONFLICT (partner_id) DO UPDATE SET
    requests = CASE WHEN partner_rate.minute = excluded.minute
                    THEN partner_rate.requests + 1 ELSE 1 END,
    minute = excluded.minute
RETURNING requests
"""

# --- matching a request's items --------------------------------------------------------

CASES_BY_REF_SQL = """
SELECT c.id, c.case_ref, c.status, c.nhs_number
FROM cases c WHERE c.case_ref IN (SELECT value FROM json_each(:refs))
"""

CASES_BY_NHS_NUMBER_SQL = """
SELECT c.id, c.case_ref, c.status, c.nhs_number
FROM cases c WHERE c.nhs_number IN (SELECT value FROM json_each(:numbers))
"""

PARTNER_OBSERVATIONS_SQL = """
SELECT o.id, o.partner_ref, o.case_id, c.case_ref, o.indicator, o.observed_on, o.status,
       o.note, o.status_changed_by_id
FROM observations o JOIN cases c ON c.id = o.case_id
WHERE o.partner_id = :partner_id AND o.partner_ref IN (SELECT value FROM json_each(:refs))
"""

PARTNER_UNMATCHED_SQL = """
SELECT u.id, u.partner_ref, u.case_ref, u.nhs_number, u.indicator, u.observed_on, u.status,
       u.note, u.state, u.why
FROM unmatched_observations u
WHERE u.partner_id = :partner_id AND u.partner_ref IN (SELECT value FROM json_each(:refs))
"""

INSERT_PARTNER_OBSERVATION_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source,
                          recorded_by_id, status, note, recorded_at, partner_id, partner_ref)
VALUES ('api:' || :partner_id || ':' || :partner_ref, :case_id, :indicator, :observed_on,
        :source, NULL, :status, :note, :now, :partner_id, :partner_ref)
"""

# A partner's correction: a changed status is stamped as the partner's change.
UPDATE_PARTNER_OBSERVATION_SQL = """
UPDATE observations SET
    case_id = :case_id, indicator = :indicator, observed_on = :observed_on, note = :note,
    status_reason = CASE WHEN status IS NOT :status
                         THEN 'changed by the sending partner' ELSE status_reason END,
    status_changed_at = CASE WHEN status IS NOT :status THEN :now ELSE status_changed_at END,
    status_changed_by_id = CASE WHEN status IS NOT :status THEN NULL
                                ELSE status_changed_by_id END,
    status = :status
WHERE id = :id
"""

INSERT_UNMATCHED_SQL = """
INSERT INTO unmatched_observations (partner_id, partner_ref, case_ref, nhs_number, indicator,
                                    observed_on, status, note, received_at, why)
VALUES (:partner_id, :partner_ref, :case_ref, :nhs_number, :indicator, :observed_on, :status,
        :note, :now, :why)
"""

# A changed item about a child still unknown: the new facts, back in the queue.
UPDATE_UNMATCHED_SQL = """
UPDATE unmatched_observations SET
    case_ref = :case_ref, nhs_number = :nhs_number, indicator = :indicator,
    observed_on = :observed_on, status = :status, note = :note, received_at = :now, why = :why,
    state = 'open', resolved_by_id = NULL, resolved_at = NULL, dismiss_reason = NULL
WHERE id = :id
"""

# --- the queue, for managers and admins ------------------------------------------------

OPEN_UNMATCHED_SQL = """
SELECT u.id, u.partner_ref, u.case_ref, u.nhs_number IS NOT NULL AS has_nhs_number,
       substr(u.nhs_number, -3) AS nhs_last_digits, u.indicator, u.observed_on, u.status,
       u.received_at, u.why, p.name AS partner_name, p.source
FROM unmatched_observations u JOIN partners p ON p.id = u.partner_id
WHERE u.state = 'open'
ORDER BY u.received_at DESC, u.id DESC
LIMIT :limit
"""

COUNT_OPEN_UNMATCHED_SQL = """
SELECT count(*) FROM unmatched_observations WHERE state = 'open'
"""

UNMATCHED_BY_ID_SQL = """
SELECT u.id, u.partner_id, u.partner_ref, u.case_ref, u.nhs_number, u.indicator,
       u.observed_on, u.status, u.note, u.received_at, u.why, u.state,
       p.name AS partner_name, p.source
FROM unmatched_observations u JOIN partners p ON p.id = u.partner_id
WHERE u.id = :id
"""

ATTACH_UNMATCHED_SQL = """
UPDATE unmatched_observations
SET state = 'attached', observation_id = :observation_id, resolved_by_id = :staff_id,
    resolved_at = :now
WHERE id = :id AND state = 'open'
"""

DISMISS_UNMATCHED_SQL = """
UPDATE unmatched_observations
SET state = 'dismissed', resolved_by_id = :staff_id, resolved_at = :now, dismiss_reason = :reason
WHERE id = :id AND state = 'open'
"""


# --- functions -------------------------------------------------------------------------


def add_partner(
    db: sqlite_utils.Database, name: str, source: str, token_hash: str, now: str
) -> int:
    """Register a partner with its first token; returns the partner's id."""
    partner_id = db.execute(INSERT_PARTNER_SQL, {"name": name, "source": source, "now": now})
    partner_id = partner_id.lastrowid
    db.execute(INSERT_TOKEN_SQL, {"partner_id": partner_id, "token_hash": token_hash, "now": now})
    return partner_id


def partner_named(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    """The partner called ``name``, revoked or not, or None."""
    return fetch_one(db, PARTNER_BY_NAME_SQL, {"name": name})


def add_token(
    db: sqlite_utils.Database, partner_id: int, token_hash: str, now: str, old_expire_at: str
) -> None:
    """Give a partner a new token; its older live tokens stop working at ``old_expire_at``."""
    params = {"partner_id": partner_id, "token_hash": token_hash, "now": now}
    db.execute(INSERT_TOKEN_SQL, params)
    db.execute(EXPIRE_OTHER_TOKENS_SQL, {**params, "expires_at": old_expire_at})


def revoke_partner(db: sqlite_utils.Database, partner_id: int, now: str) -> None:
    """End a partner and every token it has, at once."""
    params = {"partner_id": partner_id, "now": now}
    db.execute(REVOKE_PARTNER_SQL, params)
    db.execute(REVOKE_TOKENS_SQL, params)


def partner_for_token(
    db: sqlite_utils.Database, token_hash: str, now: str
) -> dict[str, Any] | None:
    """The live partner whose live token hashes to ``token_hash``, or None."""
    return fetch_one(db, PARTNER_FOR_TOKEN_SQL, {"token_hash": token_hash, "now": now})


def partners(db: sqlite_utils.Database, now: str) -> list[dict[str, Any]]:
    """Every partner with its live token count, latest accepted request, observations held
    and open queue, by name."""
    rows = fetch_all(db, PARTNERS_SQL, {"now": now})
    for row in rows:
        row["last_sent"] = json.loads(row["last_sent"]) if row["last_sent"] else None
    return rows


def count_request(db: sqlite_utils.Database, partner_id: int, minute: int) -> int:
    """Count one request in the partner's ``minute`` (minutes since 1970); returns how many
    requests the partner has made in that minute, this one included."""
    # fetchall, so the statement is finished and its write committed at once.
    rows = db.execute(COUNT_REQUEST_SQL, {"partner_id": partner_id, "minute": minute}).fetchall()
    return rows[0][0]


def cases_for(
    db: sqlite_utils.Database, refs: Iterable[str], nhs_numbers: Iterable[str]
) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """The cases a request's items name: by case reference, and by NHS number (a list, since
    an NHS number may sit on more than one case)."""
    by_ref = {
        row["case_ref"]: row
        for row in fetch_all(db, CASES_BY_REF_SQL, {"refs": json.dumps(sorted(set(refs)))})
    }
    by_number: dict[str, list[dict]] = {}
    numbers = json.dumps(sorted(set(nhs_numbers)))
    for row in fetch_all(db, CASES_BY_NHS_NUMBER_SQL, {"numbers": numbers}):
        by_number.setdefault(row["nhs_number"], []).append(row)
    return by_ref, by_number


def partner_items(
    db: sqlite_utils.Database, partner_id: int, refs: Iterable[str]
) -> tuple[dict[str, dict], dict[str, dict]]:
    """What the partner sent before under these references: its observations and its queued
    items, each by the partner's reference."""
    params = {"partner_id": partner_id, "refs": json.dumps(sorted(set(refs)))}
    observations = {r["partner_ref"]: r for r in fetch_all(db, PARTNER_OBSERVATIONS_SQL, params)}
    queued = {r["partner_ref"]: r for r in fetch_all(db, PARTNER_UNMATCHED_SQL, params)}
    return observations, queued


def insert_observation(db: sqlite_utils.Database, params: Mapping[str, Any]) -> int:
    """Insert a partner's observation; returns its id."""
    return db.execute(INSERT_PARTNER_OBSERVATION_SQL, params).lastrowid


def update_observation(db: sqlite_utils.Database, params: Mapping[str, Any]) -> None:
    db.execute(UPDATE_PARTNER_OBSERVATION_SQL, params)


def insert_unmatched(db: sqlite_utils.Database, params: Mapping[str, Any]) -> None:
    db.execute(INSERT_UNMATCHED_SQL, params)


def update_unmatched(db: sqlite_utils.Database, params: Mapping[str, Any]) -> None:
    db.execute(UPDATE_UNMATCHED_SQL, params)


def open_unmatched(db: sqlite_utils.Database, limit: int) -> list[dict[str, Any]]:
    """The open queue, newest first, at most ``limit`` items (no NHS number, only its last
    three digits)."""
    return fetch_all(db, OPEN_UNMATCHED_SQL, {"limit": limit})


def count_open_unmatched(db: sqlite_utils.Database) -> int:
    return db.execute(COUNT_OPEN_UNMATCHED_SQL).fetchone()[0]


def unmatched_item(db: sqlite_utils.Database, item_id: int) -> dict[str, Any] | None:
    """One queued item, whatever its state, with its partner's name and agency; None for an
    id no SQLite integer can be (a 20-digit number in a URL)."""
    if not 0 < item_id < 2**63:
        return None
    return fetch_one(db, UNMATCHED_BY_ID_SQL, {"id": item_id})


def mark_attached(
    db: sqlite_utils.Database, item_id: int, observation_id: int, staff_id: int | None, now: str
) -> bool:
    """Mark an open item attached to an observation; False when it was no longer open."""
    params = {"id": item_id, "observation_id": observation_id, "staff_id": staff_id, "now": now}
    return db.execute(ATTACH_UNMATCHED_SQL, params).rowcount == 1


def mark_dismissed(
    db: sqlite_utils.Database, item_id: int, staff_id: int, reason: str, now: str
) -> bool:
    """Dismiss an open item with a reason; False when it was no longer open."""
    params = {"id": item_id, "staff_id": staff_id, "reason": reason, "now": now}
    return db.execute(DISMISS_UNMATCHED_SQL, params).rowcount == 1
