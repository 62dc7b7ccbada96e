"""SQL for a child's characteristics (``child_characteristics``, migration m140): the imports'
staging and upsert, and the case page's read. Nothing that scores a case reads this table.

Every import that carries characteristics stages them by case reference in
``temp.import_characteristics`` (NULL: the file said nothing) and applies them once its cases
are written. A value that says nothing new (``hotspots.model.characteristics.UNINFORMATIVE``) never
overwrites a recorded one, and a row changes only when one of its values does, so importing the
same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from hotspots.model.characteristics import UNINFORMATIVE
from hotspots.storage import fetch_one

DROP_STAGING_SQL = "DROP TABLE IF EXISTS temp.import_characteristics"

CREATE_STAGING_SQL = """
CREATE TEMP TABLE import_characteristics (
    case_ref TEXT NOT NULL PRIMARY KEY,
    sex TEXT,
    ethnicity TEXT,
    disability TEXT
)
"""

INSERT_STAGED_SQL = """
INSERT INTO temp.import_characteristics (case_ref, sex, ethnicity, disability)
VALUES (?, ?, ?, ?)
"""

# A value of the file's replaces the held one unless it is NULL (nothing said) or says nothing
# new where something is held (:sex_not_known, :ethnicity_not_obtained).
_KEPT = """
CASE WHEN excluded.{column} IS NULL
       OR (excluded.{column} = :{uninformative} AND child_characteristics.{column} IS NOT NULL)
     THEN child_characteristics.{column} ELSE excluded.{column} END
"""
_SEX = _KEPT.format(column="sex", uninformative="sex_not_known")
_ETHNICITY = _KEPT.format(column="ethnicity", uninformative="ethnicity_not_obtained")
_DISABILITY = "coalesce(excluded.disability, child_characteristics.disability)"

APPLY_STAGED_SQL = f"""
INSERT INTO child_characteristics
    (case_id, sex, ethnicity, disability, recorded_from, recorded_at)
SELECT c.id, s.sex, s.ethnicity, s.disability, :kind, :now
FROM temp.import_characteristics AS s
JOIN cases AS c ON c.case_ref = s.case_ref
WHERE s.sex IS NOT NULL OR s.ethnicity IS NOT NULL OR s.disability IS NOT NULL
ON CONFLICT (case_id) DO UPDATE SET
    sex = {_SEX},
    ethnicity = {_ETHNICITY},
    disability = {_DISABILITY},
    recorded_from = excluded.recorded_from,
    recorded_at = excluded.recorded_at
WHERE child_characteristics.sex IS NOT {_SEX}
   OR child_characteristics.ethnicity IS NOT {_ETHNICITY}
   OR child_characteristics.disability IS NOT {_DISABILITY}
"""  # noqa: S608 (constant fragments, no values)

# Positional (?) parameters: the demo inserts plain tuples, a chunk at a time.
INSERT_DRAWN_SQL = """
INSERT INTO child_characteristics
    (case_id, sex, ethnicity, disability, recorded_from, recorded_at)
VALUES (?, ?, ?, ?, ?, ?)
"""

CHARACTERISTICS_FOR_CASE_SQL = """
SELECT sex, ethnicity, disability, recorded_from, recorded_at
FROM child_characteristics WHERE case_id = :case_id
"""


def create_staging(db: sqlite_utils.Database) -> None:
    db.execute(DROP_STAGING_SQL)
    db.execute(CREATE_STAGING_SQL)


def drop_staging(db: sqlite_utils.Database) -> None:
    db.execute(DROP_STAGING_SQL)


def stage(db: sqlite_utils.Database, rows: Iterable[tuple[str, Any, Any, Any]]) -> int:
    """Stage (case_ref, sex, ethnicity, disability) rows; a row that says nothing is left out.
    Returns how many were staged."""
    wanted = [row for row in rows if any(value is not None for value in row[1:])]
    if wanted:
        db.conn.executemany(INSERT_STAGED_SQL, wanted)
    return len(wanted)


def apply_staged(db: sqlite_utils.Database, *, kind: str, now: str) -> int:
    """Write the staged characteristics of the cases that exist; returns how many children's
    characteristics were recorded or changed."""
    params = {
        "kind": kind,
        "now": now,
        "sex_not_known": UNINFORMATIVE["sex"],
        "ethnicity_not_obtained": UNINFORMATIVE["ethnicity"],
    }
    return db.execute(APPLY_STAGED_SQL, params).rowcount


def insert_drawn(db: sqlite_utils.Database, rows: list[tuple]) -> None:
    """Insert (case_id, sex, ethnicity, disability, recorded_from, recorded_at) rows for new
    cases (the demo's)."""
    db.conn.executemany(INSERT_DRAWN_SQL, rows)


def for_case(db: sqlite_utils.Database, case_id: int) -> dict[str, Any] | None:
    """The case's characteristics (for its page's details), or None when none are recorded."""
    return fetch_one(db, CHARACTERISTICS_FOR_CASE_SQL, {"case_id": case_id})
