"""SQL for the CSV import and the demo data.

An import validates the whole file in Python, streams the good rows into a TEMP staging table
(``import_<kind>``), and only then, in one write transaction, applies them set-based: touch
the cases whose data changes, UPDATE the rows whose values differ, INSERT the new ones.
Comparisons use ``IS NOT`` so NULLs compare as values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import sqlite_utils

from hotspots.storage import fetch_all, fetch_one
from hotspots.storage.disputes import STATUS_HELD

# PRAGMA takes no bound parameters: the value is formatted in, always an int (negative = KiB).
GET_CACHE_SIZE_SQL = {"main": "PRAGMA main.cache_size", "temp": "PRAGMA temp.cache_size"}
SET_CACHE_SIZE_SQL = {
    "main": "PRAGMA main.cache_size = {kib:d}",
    "temp": "PRAGMA temp.cache_size = {kib:d}",
}

# --- lookups loaded once per import ---------------------------------------------------------

SELECT_TEAMS_SQL = "SELECT id, name FROM teams"

SELECT_STAFF_SQL = "SELECT id, lower(email) AS email, role, team_id FROM staff"

SELECT_CASE_REFS_SQL = "SELECT id, case_ref FROM cases"

# --- staging tables --------------------------------------------------------------------------

DROP_STAGING_SQL = {
    "staff": "DROP TABLE IF EXISTS temp.import_staff",
    "cases": "DROP TABLE IF EXISTS temp.import_cases",
    "observations": "DROP TABLE IF EXISTS temp.import_observations",
    "enquiries": "DROP TABLE IF EXISTS temp.import_enquiries",
}

CREATE_STAGING_SQL = {
    "staff": """
CREATE TEMP TABLE import_staff (
    email TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_key TEXT,
    team_id INTEGER
)
""",
    "cases": """
CREATE TEMP TABLE import_cases (
    case_ref TEXT NOT NULL PRIMARY KEY,
    initials TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    team_id INTEGER NOT NULL,
    worker_id INTEGER,
    opened_on TEXT NOT NULL,
    visit_every_days INTEGER NOT NULL,
    last_visit_on TEXT,
    status TEXT NOT NULL,
    nhs_number TEXT,
    sex TEXT,
    ethnicity TEXT,
    disability TEXT
)
""",
    "observations": """
CREATE TEMP TABLE import_observations (
    external_id TEXT NOT NULL,
    case_id INTEGER NOT NULL,
    indicator TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_by_id INTEGER,
    status TEXT NOT NULL,
    note TEXT NOT NULL
)
""",
    "enquiries": """
CREATE TEMP TABLE import_enquiries (
    case_id INTEGER NOT NULL,
    topic TEXT NOT NULL,
    asked_on TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (case_id, topic, asked_on)
)
""",
}

# Positional (?) parameters: staging takes up to millions of plain tuples, in column order.
INSERT_STAGING_SQL = {
    "staff": "INSERT INTO temp.import_staff (email, name, role, team_key) VALUES (?, ?, ?, ?)",
    "cases": """
INSERT INTO temp.import_cases (case_ref, initials, date_of_birth, team_id, worker_id,
    opened_on, visit_every_days, last_visit_on, status, nhs_number, sex, ethnicity, disability)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
""",
    "observations": """
INSERT INTO temp.import_observations (external_id, case_id, indicator, observed_on, source,
    recorded_by_id, status, note)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
""",
    "enquiries": """
INSERT INTO temp.import_enquiries (case_id, topic, asked_on, outcome) VALUES (?, ?, ?, ?)
""",
}

# --- staff -----------------------------------------------------------------------------------

INSERT_TEAM_SQL = "INSERT INTO teams (name) VALUES (:name)"

# team_key is the lower-cased team name: a team matches whatever its capitalisation. The
# file's new teams are inserted first, so every key finds its team.
RESOLVE_STAGED_STAFF_TEAMS_SQL = """
UPDATE temp.import_staff
SET team_id = (SELECT teams.id FROM teams WHERE lower(teams.name) = import_staff.team_key)
"""

UPDATE_STAFF_SQL = """
UPDATE staff
SET name = s.name, role = s.role, team_id = s.team_id
FROM temp.import_staff AS s
WHERE staff.email = s.email
  AND (staff.name IS NOT s.name OR staff.role IS NOT s.role OR staff.team_id IS NOT s.team_id)
"""

INSERT_STAFF_SQL = """
INSERT INTO staff (email, name, role, team_id)
SELECT s.email, s.name, s.role, s.team_id
FROM temp.import_staff AS s
WHERE NOT EXISTS (SELECT 1 FROM staff WHERE staff.email = s.email)
"""

# --- cases -----------------------------------------------------------------------------------

# A cases file gives a child's date of birth: an unborn case it names is born now.
UPDATE_CASES_SQL = """
UPDATE cases
SET initials = c.initials, date_of_birth = c.date_of_birth, birth_status = 'born',
    team_id = c.team_id,
    worker_id = c.worker_id, opened_on = c.opened_on, visit_every_days = c.visit_every_days,
    last_visit_on = c.last_visit_on, status = c.status,
    -- a case closed by an earlier import keeps the day it was first seen closed
    closed_on = CASE WHEN c.status = 'closed' THEN coalesce(cases.closed_on, :as_of) END,
    -- the optional column: a file without it keeps the NHS numbers held
    nhs_number = CASE WHEN :with_nhs_number THEN c.nhs_number ELSE cases.nhs_number END
FROM temp.import_cases AS c
WHERE cases.case_ref = c.case_ref AND (
    cases.initials IS NOT c.initials OR cases.date_of_birth IS NOT c.date_of_birth
    OR cases.birth_status IS NOT 'born' OR cases.team_id IS NOT c.team_id
    OR cases.worker_id IS NOT c.worker_id
    OR cases.opened_on IS NOT c.opened_on OR cases.visit_every_days IS NOT c.visit_every_days
    OR cases.last_visit_on IS NOT c.last_visit_on OR cases.status IS NOT c.status
    OR (:with_nhs_number AND cases.nhs_number IS NOT c.nhs_number)
)
"""

INSERT_CASES_SQL = """
INSERT INTO cases (case_ref, initials, date_of_birth, team_id, worker_id, opened_on, closed_on,
    visit_every_days, last_visit_on, status, nhs_number)
SELECT c.case_ref, c.initials, c.date_of_birth, c.team_id, c.worker_id, c.opened_on,
    CASE WHEN c.status = 'closed' THEN :as_of END,
    c.visit_every_days, c.last_visit_on, c.status, c.nhs_number
FROM temp.import_cases AS c
WHERE NOT EXISTS (SELECT 1 FROM cases WHERE cases.case_ref = c.case_ref)
"""

# The cases file's characteristics, into the staging every import's characteristics share
# (hotspots.storage.characteristics).
STAGE_CASE_CHARACTERISTICS_SQL = """
INSERT INTO temp.import_characteristics (case_ref, sex, ethnicity, disability)
SELECT case_ref, sex, ethnicity, disability FROM temp.import_cases
WHERE sex IS NOT NULL OR ethnicity IS NOT NULL OR disability IS NOT NULL
"""

# --- observations ----------------------------------------------------------------------------

# One pass over the staged rows finds the new and the changed ones (a re-imported file that
# changed nothing leaves this empty); the statements after it work only on what it found.
DROP_OBSERVATION_CHANGES_SQL = "DROP TABLE IF EXISTS temp.import_observation_changes"

FIND_OBSERVATION_CHANGES_SQL = """
CREATE TEMP TABLE import_observation_changes AS
SELECT o.rowid AS staged_id, observations.id AS observation_id,
    observations.case_id AS old_case_id
FROM temp.import_observations AS o
LEFT JOIN observations ON observations.external_id = o.external_id
WHERE observations.id IS NULL
   OR observations.case_id IS NOT o.case_id OR observations.indicator IS NOT o.indicator
   OR observations.observed_on IS NOT o.observed_on OR observations.source IS NOT o.source
   OR observations.recorded_by_id IS NOT o.recorded_by_id
   OR (observations.status IS NOT o.status AND NOT {STATUS_HELD})
   OR observations.note IS NOT o.note
""".replace("{STATUS_HELD}", STATUS_HELD)

UPDATE_OBSERVATIONS_SQL = """
UPDATE observations
SET case_id = o.case_id, indicator = o.indicator, observed_on = o.observed_on,
    source = o.source, recorded_by_id = o.recorded_by_id, note = o.note,
    status_changed_at = CASE WHEN observations.status IS NOT o.status AND NOT {STATUS_HELD}
                             THEN :now ELSE observations.status_changed_at END,
    status = CASE WHEN {STATUS_HELD} THEN observations.status ELSE o.status END
FROM temp.import_observation_changes AS c
JOIN temp.import_observations AS o ON o.rowid = c.staged_id
WHERE observations.id = c.observation_id
""".replace("{STATUS_HELD}", STATUS_HELD)

# In case order: two of the table's indexes lead with the case, so their pages fill in turn.
INSERT_OBSERVATIONS_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source, recorded_by_id,
    status, note, recorded_at)
SELECT o.external_id, o.case_id, o.indicator, o.observed_on, o.source, o.recorded_by_id,
    o.status, o.note, :now
FROM temp.import_observation_changes AS c
JOIN temp.import_observations AS o ON o.rowid = c.staged_id
WHERE c.observation_id IS NULL
ORDER BY o.case_id
"""

# --- enquiries -------------------------------------------------------------------------------

# An enquiry is matched on (case, topic, asked_on); only its outcome can change.
UPDATE_ENQUIRIES_SQL = """
UPDATE enquiries SET outcome = e.outcome
FROM temp.import_enquiries AS e
WHERE enquiries.case_id = e.case_id AND enquiries.topic = e.topic
  AND enquiries.asked_on = e.asked_on AND enquiries.outcome IS NOT e.outcome
"""

INSERT_ENQUIRIES_SQL = """
INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_at)
SELECT e.case_id, e.topic, e.asked_on, e.outcome, :now
FROM temp.import_enquiries AS e
WHERE NOT EXISTS (
    SELECT 1 FROM enquiries
    WHERE enquiries.case_id = e.case_id AND enquiries.topic = e.topic
      AND enquiries.asked_on = e.asked_on
)
"""

# --- demo data -------------------------------------------------------------------------------

COUNT_CASES_SQL = "SELECT count(*) FROM cases"

SELECT_TEAM_ID_BY_NAME_SQL = "SELECT id FROM teams WHERE name = :name"

INSERT_TEAM_IF_MISSING_SQL = "INSERT OR IGNORE INTO teams (name) VALUES (:name)"

SELECT_STAFF_EMAILS_SQL = "SELECT lower(email) AS email FROM staff"

INSERT_DEMO_STAFF_SQL = """
INSERT INTO staff (email, name, role, team_id, password_hash)
VALUES (:email, :name, :role, :team_id, :password_hash)
"""

SELECT_STAFF_IDS_SQL = "SELECT id, lower(email) AS email FROM staff"

# Positional (?) parameters here: the demo inserts millions of plain tuples.
INSERT_DEMO_CASE_SQL = """
INSERT INTO cases (id, case_ref, initials, date_of_birth, team_id, worker_id, opened_on,
    closed_on, visit_every_days, last_visit_on, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

INSERT_DEMO_OBSERVATION_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source, recorded_by_id,
    status, note, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

INSERT_DEMO_ENQUIRY_SQL = """
INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_by_id, recorded_at)
VALUES (?, ?, ?, ?, ?, ?)
"""

# --- import reports --------------------------------------------------------------------------

# Written straight after the audit row it belongs to, in the same transaction.
INSERT_IMPORT_REPORT_SQL = """
INSERT INTO import_reports (audit_id, kind, file_name, outcome, report)
VALUES (last_insert_rowid(), :kind, :file_name, :outcome, :report)
"""

SELECT_IMPORT_REPORT_SQL = """
SELECT r.audit_id, a.at, a.actor_email, r.kind, r.file_name, r.outcome, r.report
FROM import_reports AS r JOIN audit_log AS a ON a.id = r.audit_id
WHERE r.audit_id = :audit_id
"""

# --- observations derived from an authority's own files (Annex A, CIN census) ----------------

# Both kinds stage the observations their mapping derives here, keyed by an id made from the
# child and the fact, so importing the same file again changes nothing.
DROP_DERIVED_OBSERVATIONS_SQL = "DROP TABLE IF EXISTS temp.import_derived_observations"

CREATE_DERIVED_OBSERVATIONS_SQL = """
CREATE TEMP TABLE import_derived_observations (
    external_id TEXT NOT NULL PRIMARY KEY,
    case_ref TEXT NOT NULL,
    indicator TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    note TEXT NOT NULL
)
"""

INSERT_DERIVED_OBSERVATION_SQL = """
INSERT INTO temp.import_derived_observations (external_id, case_ref, indicator, observed_on, note)
VALUES (?, ?, ?, ?, ?)
"""

# A worker may have resolved or refuted an imported observation: its status is never reset.
UPDATE_DERIVED_OBSERVATIONS_SQL = """
UPDATE observations
SET indicator = o.indicator, observed_on = o.observed_on, note = o.note
FROM temp.import_derived_observations AS o
WHERE observations.external_id = o.external_id
  AND (observations.indicator IS NOT o.indicator OR observations.observed_on IS NOT o.observed_on
       OR observations.note IS NOT o.note)
"""

INSERT_DERIVED_OBSERVATIONS_SQL = """
INSERT INTO observations (external_id, case_id, indicator, observed_on, source, status, note,
    recorded_at)
SELECT o.external_id, cases.id, o.indicator, o.observed_on, 'social_care', 'current', o.note, :now
FROM temp.import_derived_observations AS o
JOIN cases ON cases.case_ref = o.case_ref
WHERE NOT EXISTS (SELECT 1 FROM observations WHERE observations.external_id = o.external_id)
ORDER BY cases.id
"""

# --- the census's births of unborn cases ------------------------------------------------------

SELECT_CASE_BIRTHS_SQL = "SELECT case_ref, date_of_birth, birth_status FROM cases"

DROP_CENSUS_BIRTHS_SQL = "DROP TABLE IF EXISTS temp.import_census_births"

CREATE_CENSUS_BIRTHS_SQL = """
CREATE TEMP TABLE import_census_births (
    case_ref TEXT NOT NULL PRIMARY KEY,
    date_of_birth TEXT NOT NULL,
    birth_status TEXT NOT NULL
)
"""

INSERT_CENSUS_BIRTH_SQL = """
INSERT INTO temp.import_census_births (case_ref, date_of_birth, birth_status) VALUES (?, ?, ?)
"""

# Only a case still unborn here takes the census's birth (or new due date): a born case's
# date of birth is the case system's, and a difference is a warning in the report.
UPDATE_CENSUS_BIRTHS_SQL = """
UPDATE cases SET date_of_birth = b.date_of_birth, birth_status = b.birth_status
FROM temp.import_census_births AS b
WHERE cases.case_ref = b.case_ref AND cases.birth_status != 'born'
"""

# --- Annex A cases ---------------------------------------------------------------------------

SELECT_CASES_FOR_ANNEX_A_SQL = "SELECT case_ref, team_id, date_of_birth, birth_status FROM cases"

SELECT_STAFF_NAMES_SQL = "SELECT id, name, email, role, team_id FROM staff"

DROP_ANNEX_A_CASES_SQL = "DROP TABLE IF EXISTS temp.import_annex_a_cases"

CREATE_ANNEX_A_CASES_SQL = """
CREATE TEMP TABLE import_annex_a_cases (
    case_ref TEXT NOT NULL PRIMARY KEY,
    date_of_birth TEXT NOT NULL,
    birth_status TEXT NOT NULL,
    team_id INTEGER,
    team_key TEXT,
    worker_id INTEGER,
    opened_on TEXT NOT NULL,
    closed_on TEXT,
    visit_every_days INTEGER NOT NULL,
    last_visit_on TEXT,
    status TEXT NOT NULL
)
"""

INSERT_ANNEX_A_CASE_SQL = """
INSERT INTO temp.import_annex_a_cases (case_ref, date_of_birth, birth_status, team_id, team_key,
    worker_id, opened_on, closed_on, visit_every_days, last_visit_on, status)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

INSERT_TEAM_IF_NEW_SQL = """
INSERT INTO teams (name)
SELECT :name WHERE NOT EXISTS (SELECT 1 FROM teams WHERE lower(name) = lower(:name))
"""

# team_key is a lower-cased team name the file named and the database did not have (created
# just before this runs).
RESOLVE_ANNEX_A_TEAMS_SQL = """
UPDATE temp.import_annex_a_cases
SET team_id = (SELECT teams.id FROM teams WHERE lower(teams.name) = import_annex_a_cases.team_key)
WHERE team_id IS NULL
"""

# Before the writes: cases the workbook closes (open here, or new and already closed).
COUNT_ANNEX_A_CLOSING_SQL = """
SELECT count(*) FROM temp.import_annex_a_cases AS c
LEFT JOIN cases ON cases.case_ref = c.case_ref
WHERE c.status = 'closed' AND (cases.id IS NULL OR cases.status = 'open')
"""

# Initials are not in the workbook: a case keeps the initials another import gave it.
UPDATE_ANNEX_A_CASES_SQL = """
UPDATE cases
SET date_of_birth = c.date_of_birth, birth_status = c.birth_status, team_id = c.team_id,
    worker_id = c.worker_id, opened_on = c.opened_on, closed_on = c.closed_on,
    visit_every_days = c.visit_every_days, last_visit_on = c.last_visit_on, status = c.status
FROM temp.import_annex_a_cases AS c
WHERE cases.case_ref = c.case_ref AND (
    cases.date_of_birth IS NOT c.date_of_birth OR cases.birth_status IS NOT c.birth_status
    OR cases.team_id IS NOT c.team_id
    OR cases.worker_id IS NOT c.worker_id OR cases.opened_on IS NOT c.opened_on
    OR cases.closed_on IS NOT c.closed_on OR cases.visit_every_days IS NOT c.visit_every_days
    OR cases.last_visit_on IS NOT c.last_visit_on OR cases.status IS NOT c.status
)
"""

INSERT_ANNEX_A_CASES_SQL = """
INSERT INTO cases (case_ref, initials, date_of_birth, birth_status, team_id, worker_id, opened_on,
    closed_on, visit_every_days, last_visit_on, status)
SELECT c.case_ref, '', c.date_of_birth, c.birth_status, c.team_id, c.worker_id, c.opened_on,
    c.closed_on, c.visit_every_days, c.last_visit_on, c.status
FROM temp.import_annex_a_cases AS c
WHERE NOT EXISTS (SELECT 1 FROM cases WHERE cases.case_ref = c.case_ref)
"""

# Each member of staff holding open cases: their team's name (lower-cased), how many open
# cases they hold, and the first few references (for an error naming them).
OPEN_CASELOADS_SQL = """
SELECT lower(st.email) AS email, lower(t.name) AS team, count(*) AS open_cases,
       (SELECT group_concat(case_ref, ', ') FROM (
            SELECT c2.case_ref FROM cases c2
            WHERE c2.worker_id = st.id AND c2.status = 'open'
            ORDER BY c2.case_ref LIMIT :named)) AS named
FROM cases c
JOIN staff st ON st.id = c.worker_id
LEFT JOIN teams t ON t.id = st.team_id
WHERE c.status = 'open'
GROUP BY st.id
"""


# --- what an import leaves for a person to check ---------------------------------------------

# Teams in use (holding open cases, or staff) with no manager, so no digest goes out for them
# (the digest is a manager's: hotspots.storage.digests.MANAGERS_SQL), with their open cases.
TEAMS_WITHOUT_MANAGER_SQL = """
SELECT t.name,
       (SELECT count(*) FROM cases c WHERE c.team_id = t.id AND c.status = 'open') AS open_cases
FROM teams t
WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.team_id = t.id AND s.role = 'manager')
  AND (EXISTS (SELECT 1 FROM cases c WHERE c.team_id = t.id AND c.status = 'open')
       OR EXISTS (SELECT 1 FROM staff s WHERE s.team_id = t.id))
ORDER BY t.name
"""


def teams_without_manager(db: sqlite_utils.Database) -> list[dict]:
    """Each team in use that has no manager: ``{"name", "open_cases"}``, by name."""
    return fetch_all(db, TEAMS_WITHOUT_MANAGER_SQL, {})


# --- functions: the steps every import takes ------------------------------------------------

# Page cache while an import or the demo loads, in KiB (256 MiB): index pages stay in memory.
BULK_LOAD_CACHE_KIB = 262_144


def changes(db: sqlite_utils.Database, statement: str, params: dict | None = None) -> int:
    """Run one of this package's statements and return how many rows it changed
    (cursor.rowcount is -1 for statements that start with WITH)."""
    db.execute(statement, params or {})
    return db.execute("SELECT changes()").fetchone()[0]


def flush(db: sqlite_utils.Database, insert: str, batch: list[tuple]) -> None:
    """Stage a batch of rows in a TEMP table with one of this package's INSERT statements,
    and empty the batch."""
    # A deferred transaction that writes only TEMP tables takes no lock on the database.
    db.execute("BEGIN")
    try:
        db.conn.executemany(insert, batch)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    batch.clear()


@contextlib.contextmanager
def bulk_load_cache(db: sqlite_utils.Database, kib: int = BULK_LOAD_CACHE_KIB) -> Iterator[None]:
    """A big page cache (``kib``) while loading, so index pages stay in memory, then the
    usual one."""
    before = {
        schema: db.execute(GET_CACHE_SIZE_SQL[schema]).fetchone()[0]
        for schema in GET_CACHE_SIZE_SQL
    }
    for schema in before:
        db.execute(SET_CACHE_SIZE_SQL[schema].format(kib=-int(kib)))
    try:
        yield
    finally:
        for schema, size in before.items():
            db.execute(SET_CACHE_SIZE_SQL[schema].format(kib=int(size)))


def stored_report(db: sqlite_utils.Database, audit_id: int) -> dict[str, Any] | None:
    """The import report kept with audit row ``audit_id`` (audit_id, at, actor_email, kind,
    file_name, outcome, report as JSON text), or None when that row has none."""
    return fetch_one(db, SELECT_IMPORT_REPORT_SQL, {"audit_id": audit_id})


def keep_report(
    db: sqlite_utils.Database, *, kind: str, file_name: str, outcome: str, report: str
) -> int:
    """Keep an import's report (JSON text) with the audit row written just before it, in the
    same transaction; returns that audit row's id."""
    params = {"kind": kind, "file_name": file_name, "outcome": outcome, "report": report}
    db.execute(INSERT_IMPORT_REPORT_SQL, params)
    return db.execute("SELECT last_insert_rowid()").fetchone()[0]


# --- functions: what the checks look up -------------------------------------------------------


def teams_by_name(db: sqlite_utils.Database) -> dict[str, int]:
    """Every team's id by its name in lower case."""
    return {r["name"].lower(): r["id"] for r in fetch_all(db, SELECT_TEAMS_SQL, {})}


def staff_by_email(db: sqlite_utils.Database) -> dict[str, tuple[int, str, int | None]]:
    """Every member of staff by email in lower case: (id, role, team id)."""
    return {
        r["email"]: (r["id"], r["role"], r["team_id"]) for r in fetch_all(db, SELECT_STAFF_SQL, {})
    }


def case_ids_by_ref(db: sqlite_utils.Database) -> dict[str, int]:
    """Every case's id by its reference."""
    return {r["case_ref"]: r["id"] for r in fetch_all(db, SELECT_CASE_REFS_SQL, {})}


def open_caseloads(db: sqlite_utils.Database, named: int) -> dict[str, dict[str, Any]]:
    """Each worker holding open cases, by email in lower case: their team (lower case), how
    many open cases and the first ``named`` case references."""
    return {r["email"]: r for r in fetch_all(db, OPEN_CASELOADS_SQL, {"named": named})}


# --- functions: staging a CSV kind and writing it -------------------------------------------


def create_staging(db: sqlite_utils.Database, kind: str) -> None:
    """Create (afresh) the TEMP table the CSV kind ``kind`` (staff, cases, observations,
    enquiries) stages its good rows in."""
    db.execute(DROP_STAGING_SQL[kind])
    db.execute(CREATE_STAGING_SQL[kind])


def drop_staging(db: sqlite_utils.Database, kind: str) -> None:
    """Drop the CSV kind's staging table (whatever happened)."""
    db.execute(DROP_STAGING_SQL[kind])


def stage_rows(db: sqlite_utils.Database, kind: str, batch: list[tuple]) -> None:
    """Stage a batch of the CSV kind's checked rows, and empty the batch."""
    flush(db, INSERT_STAGING_SQL[kind], batch)


def write_staged_staff(db: sqlite_utils.Database, new_teams: Sequence[str]) -> tuple[int, int]:
    """Create the teams ``new_teams`` names, then write the staged staff: (new, updated)."""
    if new_teams:
        db.conn.executemany(INSERT_TEAM_SQL, [{"name": name} for name in new_teams])
    db.execute(RESOLVE_STAGED_STAFF_TEAMS_SQL)
    updated = changes(db, UPDATE_STAFF_SQL)
    return changes(db, INSERT_STAFF_SQL), updated


def write_staged_cases(
    db: sqlite_utils.Database, *, as_of: str, now: str, with_nhs_number: bool
) -> tuple[int, int]:
    """Write the staged cases (``with_nhs_number``: the file has that column; without it the
    NHS numbers held stay): (new, updated)."""
    params = {"as_of": as_of, "now": now, "with_nhs_number": with_nhs_number}
    updated = changes(db, UPDATE_CASES_SQL, params)
    return changes(db, INSERT_CASES_SQL, params), updated


def stage_case_characteristics(db: sqlite_utils.Database) -> None:
    """Stage the staged cases' characteristics for hotspots.storage.characteristics."""
    db.execute(STAGE_CASE_CHARACTERISTICS_SQL)


def write_staged_observations(db: sqlite_utils.Database, now: str) -> tuple[int, int]:
    """Write the staged observations: (new, updated)."""
    db.execute(DROP_OBSERVATION_CHANGES_SQL)
    db.execute(FIND_OBSERVATION_CHANGES_SQL)
    try:
        updated = changes(db, UPDATE_OBSERVATIONS_SQL, {"now": now})
        new = changes(db, INSERT_OBSERVATIONS_SQL, {"now": now})
    finally:
        db.execute(DROP_OBSERVATION_CHANGES_SQL)
    return new, updated


def write_staged_enquiries(db: sqlite_utils.Database, now: str) -> tuple[int, int]:
    """Write the staged enquiries: (new, updated)."""
    updated = changes(db, UPDATE_ENQUIRIES_SQL)
    return changes(db, INSERT_ENQUIRIES_SQL, {"now": now}), updated


# --- functions: the demo data (hotspots.services.demo) --------------------------------------------


def count_cases(db: sqlite_utils.Database) -> int:
    """How many cases the database holds, open or closed."""
    return db.execute(COUNT_CASES_SQL).fetchone()[0]


def team_ids_for(db: sqlite_utils.Database, names: Sequence[str]) -> list[int]:
    """The id of each team named (created when there is none), in the order named."""
    ids = []
    for name in names:
        db.execute(INSERT_TEAM_IF_MISSING_SQL, {"name": name})
        ids.append(db.execute(SELECT_TEAM_ID_BY_NAME_SQL, {"name": name}).fetchone()[0])
    return ids


def staff_emails(db: sqlite_utils.Database) -> set[str]:
    """Every staff email held, in lower case."""
    return {row["email"] for row in fetch_all(db, SELECT_STAFF_EMAILS_SQL, {})}


def insert_demo_staff(db: sqlite_utils.Database, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert the demo's staff (email, name, role, team_id, password_hash each); returns
    every staff id by email in lower case."""
    db.conn.executemany(INSERT_DEMO_STAFF_SQL, rows)
    return {row["email"]: row["id"] for row in fetch_all(db, SELECT_STAFF_IDS_SQL, {})}


def insert_demo_rows(
    db: sqlite_utils.Database,
    cases: Sequence[tuple],
    observations: Sequence[tuple],
    enquiries: Sequence[tuple],
) -> None:
    """Insert a chunk of the demo's cases, observations and enquiries, as plain tuples in
    the columns' order of INSERT_DEMO_CASE_SQL, INSERT_DEMO_OBSERVATION_SQL and
    INSERT_DEMO_ENQUIRY_SQL (millions of rows: no dicts)."""
    db.conn.executemany(INSERT_DEMO_CASE_SQL, cases)
    db.conn.executemany(INSERT_DEMO_OBSERVATION_SQL, observations)
    db.conn.executemany(INSERT_DEMO_ENQUIRY_SQL, enquiries)


# --- functions: the authority's own files (Annex A, CIN census) -----------------------------


def create_annex_a_staging(db: sqlite_utils.Database) -> None:
    """Create (afresh) the TEMP tables an Annex A import stages its cases and the
    observations it derives in."""
    drop_annex_a_staging(db)
    db.execute(CREATE_ANNEX_A_CASES_SQL)
    db.execute(CREATE_DERIVED_OBSERVATIONS_SQL)


def drop_annex_a_staging(db: sqlite_utils.Database) -> None:
    """Drop the Annex A import's staging tables (whatever happened)."""
    db.execute(DROP_ANNEX_A_CASES_SQL)
    db.execute(DROP_DERIVED_OBSERVATIONS_SQL)


def create_census_staging(db: sqlite_utils.Database) -> None:
    """Create (afresh) the TEMP tables a CIN census import stages the observations it
    derives and the children's births in."""
    drop_census_staging(db)
    db.execute(CREATE_DERIVED_OBSERVATIONS_SQL)
    db.execute(CREATE_CENSUS_BIRTHS_SQL)


def drop_census_staging(db: sqlite_utils.Database) -> None:
    """Drop the CIN census import's staging tables (whatever happened)."""
    db.execute(DROP_DERIVED_OBSERVATIONS_SQL)
    db.execute(DROP_CENSUS_BIRTHS_SQL)


def case_births(db: sqlite_utils.Database) -> dict[str, tuple[str | None, str]]:
    """Every case's (date_of_birth, birth_status) by its reference."""
    return {
        r["case_ref"]: (r["date_of_birth"], r["birth_status"])
        for r in fetch_all(db, SELECT_CASE_BIRTHS_SQL, {})
    }


def cases_for_annex_a(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Every case's team, date of birth and birth status, by its reference."""
    return {r["case_ref"]: r for r in fetch_all(db, SELECT_CASES_FOR_ANNEX_A_SQL, {})}


def staff_with_names(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every member of staff: id, name, email, role, team_id."""
    return fetch_all(db, SELECT_STAFF_NAMES_SQL, {})


def stage_derived_observations(db: sqlite_utils.Database, batch: list[tuple]) -> None:
    """Stage a batch of observations derived from an authority's file (external_id, child
    id, indicator, day, note), and empty the batch."""
    flush(db, INSERT_DERIVED_OBSERVATION_SQL, batch)


def stage_census_births(db: sqlite_utils.Database, batch: list[tuple]) -> None:
    """Stage the CIN census's children's births, and empty the batch."""
    flush(db, INSERT_CENSUS_BIRTH_SQL, batch)


def stage_annex_a_cases(db: sqlite_utils.Database, batch: list[tuple]) -> None:
    """Stage a batch of Annex A's cases, and empty the batch."""
    flush(db, INSERT_ANNEX_A_CASE_SQL, batch)


def write_derived_observations(db: sqlite_utils.Database, now: str) -> tuple[int, int]:
    """Write the staged derived observations: (new, updated)."""
    updated = changes(db, UPDATE_DERIVED_OBSERVATIONS_SQL)
    return changes(db, INSERT_DERIVED_OBSERVATIONS_SQL, {"now": now}), updated


def write_census_births(db: sqlite_utils.Database) -> None:
    """Write the staged births onto their cases."""
    db.execute(UPDATE_CENSUS_BIRTHS_SQL)


def write_annex_a_cases(db: sqlite_utils.Database, new_teams: Sequence[str]) -> dict[str, int]:
    """Create the teams ``new_teams`` names, then write the staged Annex A cases: how many
    were ``closing`` (closed by this file), ``updated`` and ``created``."""
    for name in new_teams:
        db.execute(INSERT_TEAM_IF_NEW_SQL, {"name": name})
    db.execute(RESOLVE_ANNEX_A_TEAMS_SQL)
    closing = db.execute(COUNT_ANNEX_A_CLOSING_SQL).fetchone()[0]
    updated = changes(db, UPDATE_ANNEX_A_CASES_SQL)
    created = changes(db, INSERT_ANNEX_A_CASES_SQL)
    return {"closing": closing, "updated": updated, "created": created}
