"""SQL for serious incidents: recording them and the children they harmed, keeping each
child's score history, and reading what the look-back needs (``hotspots.services.partnership``).

Functions are named for what they return or do; nothing outside this package reads the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one
from hotspots.storage.imports import flush

# An incident's own facts, as its row holds them (besides its id and who recorded it when).
INCIDENT_FACTS = (
    "reference",
    "occurred_on",
    "known_on",
    "abuse_or_neglect",
    "summary",
    "panel_notified_on",
    "rapid_review_on",
)

# --- recording ---------------------------------------------------------------------------

CASE_BY_REF_SQL = """
SELECT id, case_ref, date_of_birth, birth_status, opened_on, closed_on, status, team_id
FROM cases WHERE case_ref = :case_ref
"""

INSERT_INCIDENT_SQL = """
INSERT INTO serious_incidents (reference, occurred_on, known_on, abuse_or_neglect, summary,
                               panel_notified_on, rapid_review_on, recorded_by_id, recorded_at)
VALUES (:reference, :occurred_on, :known_on, :abuse_or_neglect, :summary, :panel_notified_on,
        :rapid_review_on, :staff_id, :now)
"""

UPDATE_INCIDENT_SQL = """
UPDATE serious_incidents SET
    known_on = :known_on, abuse_or_neglect = :abuse_or_neglect, summary = :summary,
    panel_notified_on = coalesce(:panel_notified_on, panel_notified_on),
    rapid_review_on = coalesce(:rapid_review_on, rapid_review_on)
WHERE id = :id
"""

INCIDENT_BY_REFERENCE_SQL = """
SELECT * FROM serious_incidents WHERE reference = :reference
"""

INSERT_CHILD_SQL = """
INSERT INTO incident_children (incident_id, case_id, harm, recorded_by_id, recorded_at)
VALUES (:incident_id, :case_id, :harm, :staff_id, :now)
"""

UPDATE_CHILD_HARM_SQL = "UPDATE incident_children SET harm = :harm WHERE id = :id"

# The case's incident on a day, if one is recorded (a child has one incident a day).
CHILD_ON_DAY_SQL = """
SELECT ch.id, ch.incident_id, ch.harm, i.reference
FROM incident_children AS ch JOIN serious_incidents AS i ON i.id = ch.incident_id
WHERE ch.case_id = :case_id AND i.occurred_on = :occurred_on
"""

# What the service showed at the time, copied once: a row already kept is never replaced.
KEEP_HISTORY_SQL = """
INSERT OR IGNORE INTO incident_score_history (child_id, day, score, band, model_version)
SELECT :child_id, h.day, h.score, h.band, h.model_version
FROM score_history AS h
WHERE h.case_id = :case_id AND h.day <= :until
"""

RECORD_DONE_SQL = """
UPDATE serious_incidents SET panel_notified_on = :panel_notified_on,
                             rapid_review_on = :rapid_review_on
WHERE id = :id
"""

# --- reading -----------------------------------------------------------------------------

# Every child of every incident (or of one, :incident_id), with the incident's facts and
# the case's reference, birth and opening; newest incident first.
CHILDREN_SQL = """
SELECT ch.id AS child_id, ch.harm, ch.case_id, ch.recorded_at AS child_recorded_at,
       i.id AS incident_id, i.reference, i.occurred_on, i.known_on, i.abuse_or_neglect,
       i.summary, i.panel_notified_on, i.rapid_review_on, i.recorded_at,
       c.case_ref, c.date_of_birth, c.birth_status, c.opened_on, c.status AS case_status,
       c.team_id,
       t.name AS team_name
FROM incident_children AS ch
JOIN serious_incidents AS i ON i.id = ch.incident_id
JOIN cases AS c ON c.id = ch.case_id
LEFT JOIN teams AS t ON t.id = c.team_id
WHERE (:incident_id IS NULL OR i.id = :incident_id)
ORDER BY i.occurred_on DESC, i.id DESC, ch.id
"""

INCIDENT_SQL = "SELECT * FROM serious_incidents WHERE id = :id"

KEPT_HISTORY_SQL = """
SELECT day, score, band, model_version FROM incident_score_history
WHERE child_id = :child_id AND day >= :since
ORDER BY day
"""

CASE_OBSERVATIONS_SQL = """
SELECT id, indicator, observed_on, status, recorded_at FROM observations
WHERE case_id = :case_id
"""

CASE_ENQUIRIES_SQL = """
SELECT topic, asked_on, outcome, recorded_at FROM valid_enquiries WHERE case_id = :case_id
"""

CASE_REVIEWS_SQL = """
SELECT id, reviewed_at FROM valid_reviews WHERE case_id = :case_id ORDER BY reviewed_at
"""

# The actions agreed about the case (at a review, or later: the follow-through's ``actions``),
# with their owner and how each ended; never the free-text description, which may hold names.
CASE_ACTIONS_SQL = """
SELECT a.kind, o.name AS owner, a.due_on, a.state, a.closed_at, a.created_at AS agreed_at
FROM actions AS a JOIN staff AS o ON o.id = a.owner_id
WHERE a.case_id = :case_id
ORDER BY a.created_at, a.id
"""

CASE_SEEN_ON_SQL = """
SELECT visited_on FROM visits WHERE case_id = :case_id AND child_seen = 1
"""


def case_by_ref(db: sqlite_utils.Database, case_ref: str) -> dict[str, Any] | None:
    """The case with this reference, open or closed, or None."""
    return fetch_one(db, CASE_BY_REF_SQL, {"case_ref": case_ref})


def insert_incident(db: sqlite_utils.Database, params: Mapping[str, Any]) -> int:
    """Record an incident; returns its id. ``params``: reference, occurred_on, known_on,
    abuse_or_neglect, summary, panel_notified_on, rapid_review_on, staff_id, now."""
    return db.execute(INSERT_INCIDENT_SQL, params).lastrowid


def update_incident(db: sqlite_utils.Database, params: Mapping[str, Any]) -> None:
    """Correct an incident's facts (a done day given as None is left as it was)."""
    db.execute(UPDATE_INCIDENT_SQL, params)


def incident_by_reference(db: sqlite_utils.Database, reference: str) -> dict[str, Any] | None:
    return fetch_one(db, INCIDENT_BY_REFERENCE_SQL, {"reference": reference})


def incident(db: sqlite_utils.Database, incident_id: int) -> dict[str, Any] | None:
    """One incident's row, or None (also for an id no SQLite integer can be)."""
    if not 0 < incident_id < 2**63:
        return None
    return fetch_one(db, INCIDENT_SQL, {"id": incident_id})


def add_child(
    db: sqlite_utils.Database,
    incident_id: int,
    case_id: int,
    harm: str,
    staff_id: int | None,
    now: str,
) -> int:
    """Name a child the incident harmed; returns the child's row id."""
    params = {
        "incident_id": incident_id,
        "case_id": case_id,
        "harm": harm,
        "staff_id": staff_id,
        "now": now,
    }
    return db.execute(INSERT_CHILD_SQL, params).lastrowid


def set_harm(db: sqlite_utils.Database, child_id: int, harm: str) -> None:
    db.execute(UPDATE_CHILD_HARM_SQL, {"id": child_id, "harm": harm})


def child_on_day(
    db: sqlite_utils.Database, case_id: int, occurred_on: str
) -> dict[str, Any] | None:
    """The case's child row in an incident on ``occurred_on``, or None."""
    return fetch_one(db, CHILD_ON_DAY_SQL, {"case_id": case_id, "occurred_on": occurred_on})


def keep_history(db: sqlite_utils.Database, child_id: int, case_id: int, until: str) -> int:
    """Copy the case's stored score history up to and including ``until`` (the incident's
    day) to the child's kept copy, leaving any day already kept as it is; returns how many
    days were copied."""
    params = {"child_id": child_id, "case_id": case_id, "until": until}
    return db.execute(KEEP_HISTORY_SQL, params).rowcount


def record_done(
    db: sqlite_utils.Database,
    incident_id: int,
    panel_notified_on: str | None,
    rapid_review_on: str | None,
) -> None:
    """Set the days the Panel was notified and the rapid review held (None: not yet)."""
    params = {
        "id": incident_id,
        "panel_notified_on": panel_notified_on,
        "rapid_review_on": rapid_review_on,
    }
    db.execute(RECORD_DONE_SQL, params)


def children(db: sqlite_utils.Database, incident_id: int | None = None) -> list[dict[str, Any]]:
    """Every child of every incident (or of ``incident_id``), with the incident and the case,
    newest incident first."""
    return fetch_all(db, CHILDREN_SQL, {"incident_id": incident_id})


def kept_history(db: sqlite_utils.Database, child_id: int, since: str) -> list[dict[str, Any]]:
    """The child's kept score history from ``since``, in day order."""
    return fetch_all(db, KEPT_HISTORY_SQL, {"child_id": child_id, "since": since})


def case_observations(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """Every observation of the case, with the instant the service received it."""
    return fetch_all(db, CASE_OBSERVATIONS_SQL, {"case_id": case_id})


def case_enquiries(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The case's enquiries (not entered in error), with the instant each was recorded."""
    return fetch_all(db, CASE_ENQUIRIES_SQL, {"case_id": case_id})


def case_reviews(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The case's reviews (not entered in error), oldest first."""
    return fetch_all(db, CASE_REVIEWS_SQL, {"case_id": case_id})


def agreed_actions(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The actions agreed about the case, oldest first, each with its ``kind``, ``owner``
    (the owner's name), ``due_on``, ``state`` (``open``, ``done`` or ``not_done``),
    ``closed_at`` and ``agreed_at`` (instants, the first None while open). The one place
    the look-back reads actions."""
    return fetch_all(db, CASE_ACTIONS_SQL, {"case_id": case_id})


def seen_on(db: sqlite_utils.Database, case_id: int) -> list[str]:
    """The days a recorded visit saw the child."""
    return [row["visited_on"] for row in fetch_all(db, CASE_SEEN_ON_SQL, {"case_id": case_id})]


# --- the incidents file (hotspots.services.importer.incidents) ------------------------------------

DROP_STAGING_SQL = "DROP TABLE IF EXISTS temp.import_incidents"
CREATE_STAGING_SQL = """
CREATE TEMP TABLE import_incidents (
    line INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL,
    occurred_on TEXT NOT NULL,
    known_on TEXT NOT NULL,
    harm TEXT NOT NULL,
    abuse_or_neglect TEXT NOT NULL,
    summary TEXT NOT NULL,
    reference TEXT,
    panel_notified_on TEXT,
    rapid_review_on TEXT
)
"""
# Positional parameters, as every import's staging.
INSERT_STAGING_SQL = """
INSERT INTO temp.import_incidents (line, case_id, occurred_on, known_on, harm, abuse_or_neglect,
    summary, reference, panel_notified_on, rapid_review_on)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
STAGED_SQL = """
SELECT s.*, c.case_ref FROM temp.import_incidents AS s JOIN cases AS c ON c.id = s.case_id
ORDER BY s.line
"""

CASE_BIRTHS_SQL = "SELECT id, date_of_birth, birth_status FROM cases"

# Every child already recorded, by case and day, with its incident's facts.
RECORDED_CHILDREN_SQL = """
SELECT ch.id AS child_id, ch.case_id, ch.harm, i.id AS incident_id, i.reference,
       i.occurred_on, i.known_on, i.abuse_or_neglect, i.summary, i.panel_notified_on,
       i.rapid_review_on
FROM incident_children AS ch JOIN serious_incidents AS i ON i.id = ch.incident_id
"""

RECORDED_REFERENCES_SQL = """
SELECT id, reference, occurred_on, known_on, abuse_or_neglect, panel_notified_on,
       rapid_review_on
FROM serious_incidents WHERE reference IS NOT NULL
"""


def case_births(db: sqlite_utils.Database) -> dict[int, str | None]:
    """Every case's date of birth by case id; None for an unborn child (whose date is only
    expected: ``cases.birth_status``)."""
    return {
        r["id"]: r["date_of_birth"] if r["birth_status"] == "born" else None
        for r in fetch_all(db, CASE_BIRTHS_SQL, {})
    }


def recorded_children(db: sqlite_utils.Database) -> dict[tuple[int, str], dict[str, Any]]:
    """Every child already recorded, by (case id, the incident's day)."""
    return {(r["case_id"], r["occurred_on"]): r for r in fetch_all(db, RECORDED_CHILDREN_SQL, {})}


def recorded_references(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every incident recorded with a reference, by reference."""
    return {r["reference"]: r for r in fetch_all(db, RECORDED_REFERENCES_SQL, {})}


def staged(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The incidents file's checked rows, in file order, with each case's reference."""
    return fetch_all(db, STAGED_SQL, {})


def create_staging(db: sqlite_utils.Database) -> None:
    """Create (afresh) the TEMP table an incidents import stages its checked rows in."""
    db.execute(DROP_STAGING_SQL)
    db.execute(CREATE_STAGING_SQL)


def drop_staging(db: sqlite_utils.Database) -> None:
    """Drop the incidents import's staging table (whatever happened)."""
    db.execute(DROP_STAGING_SQL)


def stage_rows(db: sqlite_utils.Database, batch: list[tuple]) -> None:
    """Stage a batch of an incidents import's checked rows, and empty the batch."""
    flush(db, INSERT_STAGING_SQL, batch)
