"""SQL for a family's correction route (``disputes``, migration m141): an admin records that a
person disputes a record about them; the record is ``disputed`` and counts towards no score
until a worker decides: **upheld** (the observation is put back as it was) or **corrected** (it
is refuted with the worker's reason; a partner's notification matched to the wrong child goes
back to the queue of those not yet matched, and is never matched to that case again).

Every score reads only ``current`` observations (the pure model, the set-based rescore and the
kept indicator sums, whose triggers mark a case when a current observation's status changes),
so a disputed record leaves every score the moment it is disputed, and comes back if upheld.
The callers write the audit row and rescore the case in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one

DISPUTED = "disputed"

# The observation a dispute is about, on the case that holds it.
OBSERVATION_SQL = """
SELECT o.id, o.case_id, o.indicator, o.observed_on, o.source, o.status, o.note, o.status_reason,
       o.status_changed_at, o.status_changed_by_id, o.partner_id, o.partner_ref, o.external_id,
       p.name AS partner_name
FROM observations AS o LEFT JOIN partners AS p ON p.id = o.partner_id
WHERE o.id = :id AND o.case_id = :case_id
"""

INSERT_DISPUTE_SQL = """
INSERT INTO disputes
    (observation_id, case_ref, kind, disputed_by, what, received_on, recorded_by_id,
     recorded_at, partner_id, partner_ref, status_before, status_reason_before,
     status_changed_at_before, status_changed_by_id_before)
SELECT o.id, :case_ref, :kind, :disputed_by, :what, :received_on, :staff_id, :now,
       o.partner_id, o.partner_ref, o.status, o.status_reason, o.status_changed_at,
       o.status_changed_by_id
FROM observations AS o
WHERE o.id = :observation_id AND o.status != 'disputed'
"""

# Disputed: counted by no score. Stamped as a person's change, so a partner sending the item
# again never quietly makes it current (hotspots.web.api.intake: a worker's judgement stands).
MARK_DISPUTED_SQL = """
UPDATE observations
SET status = 'disputed', status_reason = :reason, status_changed_at = :now,
    status_changed_by_id = :staff_id
WHERE id = :observation_id AND status != 'disputed'
"""

# A case's disputes, newest first, with who recorded and who decided them.
DISPUTES_FOR_CASE_SQL = """
SELECT d.*, r.name AS recorded_by, x.name AS decided_by
FROM disputes AS d
JOIN observations AS o ON o.id = d.observation_id
JOIN staff AS r ON r.id = d.recorded_by_id
LEFT JOIN staff AS x ON x.id = d.decided_by_id
WHERE o.case_id = :case_id
ORDER BY d.recorded_at DESC, d.id DESC
"""

OPEN_DISPUTE_SQL = """
SELECT d.* FROM disputes AS d JOIN observations AS o ON o.id = d.observation_id
WHERE d.id = :id AND o.case_id = :case_id AND d.decision IS NULL
"""

DECIDE_SQL = """
UPDATE disputes
SET decision = :decision, decision_reason = :reason, decided_by_id = :staff_id, decided_at = :now
WHERE id = :id AND decision IS NULL
"""

# Upheld: the observation exactly as it stood before the dispute.
RESTORE_SQL = """
UPDATE observations
SET status = d.status_before, status_reason = d.status_reason_before,
    status_changed_at = d.status_changed_at_before,
    status_changed_by_id = d.status_changed_by_id_before
FROM disputes AS d
WHERE d.id = :id AND observations.id = d.observation_id AND observations.status = 'disputed'
"""

# Corrected: the record is wrong, and counts no more.
REFUTE_SQL = """
UPDATE observations
SET status = 'refuted', status_reason = :reason, status_changed_at = :now,
    status_changed_by_id = :staff_id
WHERE id = :observation_id AND status = 'disputed'
"""

# A notification matched to the wrong child: the refuted observation stays in this case's
# history but lets go of the partner's reference (and its external id, made from it), so the
# item can be attached to the right child as a new observation.
RELEASE_PARTNER_REF_SQL = """
UPDATE observations
SET partner_ref = NULL, external_id = external_id || ':not-' || :case_ref || ':' || :dispute_id
WHERE id = :observation_id
"""
# ...and the item goes back to the queue of those not yet matched: the queued copy it was
# attached from is opened again, or, for one matched when it arrived, a copy is queued.
REOPEN_QUEUED_SQL = """
UPDATE unmatched_observations
SET state = 'open', observation_id = NULL, resolved_by_id = NULL, resolved_at = NULL,
    dismiss_reason = NULL, why = :why, received_at = :now
WHERE partner_id = :partner_id AND partner_ref = :partner_ref
"""
QUEUE_COPY_SQL = """
INSERT INTO unmatched_observations
    (partner_id, partner_ref, case_ref, nhs_number, indicator, observed_on, status, note,
     received_at, why)
SELECT o.partner_id, :partner_ref, NULL, NULL, o.indicator, o.observed_on, d.status_before,
       o.note, :now, :why
FROM observations AS o JOIN disputes AS d ON d.observation_id = o.id
WHERE d.id = :dispute_id
"""

# The cases a worker found a partner's items are not about (corrected matches), by reference.
WRONG_MATCHES_SQL = """
SELECT partner_ref, case_ref FROM disputes
WHERE partner_id = :partner_id AND kind = 'match' AND decision = 'corrected'
  AND partner_ref IN (SELECT value FROM json_each(:refs))
"""

# For the imports: an observation under a dispute, or corrected after one, keeps its status
# whatever a file sent again says (a family's correction is never undone by a re-import).
# Over ``observations`` as the outer statement names it.
STATUS_HELD = """
(observations.status = 'disputed' OR EXISTS (
    SELECT 1 FROM disputes AS d
    WHERE d.observation_id = observations.id AND d.decision = 'corrected'))
"""


def observation(db: sqlite_utils.Database, observation_id: int, case_id: int) -> dict | None:
    """The case's observation (with its partner's name), or None."""
    return fetch_one(db, OBSERVATION_SQL, {"id": observation_id, "case_id": case_id})


def record_dispute(
    db: sqlite_utils.Database,
    *,
    observation_id: int,
    case_ref: str,
    kind: str,
    disputed_by: str,
    what: str,
    received_on: str,
    staff_id: int,
    now: str,
) -> int | None:
    """Record a dispute and make the observation ``disputed``; returns the dispute's id, or
    None when it is disputed already (nothing written)."""
    inserted = db.execute(
        INSERT_DISPUTE_SQL,
        {
            "observation_id": observation_id,
            "case_ref": case_ref,
            "kind": kind,
            "disputed_by": disputed_by,
            "what": what,
            "received_on": received_on,
            "staff_id": staff_id,
            "now": now,
        },
    )
    if inserted.rowcount != 1:
        return None
    dispute_id = inserted.lastrowid
    db.execute(
        MARK_DISPUTED_SQL,
        {
            "observation_id": observation_id,
            "reason": "Disputed: counts towards no score until a worker decides",
            "now": now,
            "staff_id": staff_id,
        },
    )
    return dispute_id


def for_case(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every dispute of the case's records, newest first."""
    return fetch_all(db, DISPUTES_FOR_CASE_SQL, {"case_id": case_id})


def open_dispute(db: sqlite_utils.Database, dispute_id: int, case_id: int) -> dict | None:
    """The dispute if it is about one of the case's records and not yet decided."""
    return fetch_one(db, OPEN_DISPUTE_SQL, {"id": dispute_id, "case_id": case_id})


def uphold(
    db: sqlite_utils.Database, dispute: dict, *, reason: str, staff_id: int, now: str
) -> bool:
    """The record stands: put the observation back as it was. False when another decision got
    there first (nothing written)."""
    if not _decide(db, dispute, "upheld", reason, staff_id, now):
        return False
    db.execute(RESTORE_SQL, {"id": dispute["id"]})
    return True


def correct(
    db: sqlite_utils.Database, dispute: dict, *, reason: str, staff_id: int, now: str
) -> bool:
    """The record is wrong: refute it with the reason; a wrong match goes back to the queue of
    notifications not yet matched. False when another decision got there first."""
    if not _decide(db, dispute, "corrected", reason, staff_id, now):
        return False
    params = {"observation_id": dispute["observation_id"], "staff_id": staff_id, "now": now}
    if dispute["kind"] == "match":
        db.execute(REFUTE_SQL, {**params, "reason": f"Not about this child: {reason}"})
        _requeue(db, dispute, now)
    else:
        db.execute(REFUTE_SQL, {**params, "reason": f"Corrected after a dispute: {reason}"})
    return True


def _decide(db, dispute: dict, decision: str, reason: str, staff_id: int, now: str) -> bool:
    changed = db.execute(
        DECIDE_SQL,
        {"id": dispute["id"], "decision": decision, "reason": reason, "staff_id": staff_id,
         "now": now},
    )  # fmt: skip
    return changed.rowcount == 1


def _requeue(db: sqlite_utils.Database, dispute: dict, now: str) -> None:
    why = f"matched to case {dispute['case_ref']} in error (a worker corrected it after a dispute)"
    params = {
        "partner_id": dispute["partner_id"],
        "partner_ref": dispute["partner_ref"],
        "case_ref": dispute["case_ref"],
        "dispute_id": dispute["id"],
        "observation_id": dispute["observation_id"],
        "why": why,
        "now": now,
    }
    db.execute(RELEASE_PARTNER_REF_SQL, params)
    if db.execute(REOPEN_QUEUED_SQL, params).rowcount == 0:
        db.execute(QUEUE_COPY_SQL, params)


def wrong_matches(
    db: sqlite_utils.Database, partner_id: int, refs: Iterable[str]
) -> dict[str, set[str]]:
    """For a partner's references, the case references a worker found they are not about."""
    found: dict[str, set[str]] = {}
    params = {"partner_id": partner_id, "refs": json.dumps(sorted(set(refs)))}
    for row in fetch_all(db, WRONG_MATCHES_SQL, params):
        found.setdefault(row["partner_ref"], set()).add(row["case_ref"])
    return found
