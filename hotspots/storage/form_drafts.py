"""SQL for typed text kept across a sign-in (``hotspots.web.drafts``): a form's fields saved when
the session timed out, given back once when the person returns to the same page.

Functions here are named for what they do; ``hotspots.web.drafts`` calls them.
"""

from __future__ import annotations

import sqlite_utils

from hotspots.storage import fetch_one

INSERT_FORM_DRAFT_SQL = """
INSERT INTO form_drafts (staff_id, path, data, saved_at)
VALUES (:staff_id, :path, :data, :saved_at)
"""

DELETE_OLD_FORM_DRAFTS_SQL = """
DELETE FROM form_drafts WHERE saved_at < :before
"""

LATEST_FORM_DRAFT_SQL = """
SELECT data FROM form_drafts
WHERE staff_id = :staff_id AND path = :path AND saved_at >= :since
ORDER BY id DESC LIMIT 1
"""

DELETE_FORM_DRAFTS_SQL = """
DELETE FROM form_drafts WHERE staff_id = :staff_id AND path = :path
"""


def keep(
    db: sqlite_utils.Database, staff_id: int, path: str, data: str, *, now: str, before: str
) -> None:
    """Keep a form's fields (``data``, JSON) for ``staff_id`` at ``path``, forgetting every
    draft saved before ``before``."""
    db.execute(DELETE_OLD_FORM_DRAFTS_SQL, {"before": before})
    db.execute(
        INSERT_FORM_DRAFT_SQL, {"staff_id": staff_id, "path": path, "data": data, "saved_at": now}
    )


def latest(db: sqlite_utils.Database, staff_id: int, path: str, *, since: str) -> str | None:
    """The newest draft (JSON) of ``staff_id`` at ``path`` saved at or after ``since``, or
    None."""
    row = fetch_one(db, LATEST_FORM_DRAFT_SQL, {"staff_id": staff_id, "path": path, "since": since})
    return row["data"] if row else None


def forget(db: sqlite_utils.Database, staff_id: int, path: str) -> None:
    """Forget every draft of ``staff_id`` at ``path``."""
    db.execute(DELETE_FORM_DRAFTS_SQL, {"staff_id": staff_id, "path": path})
