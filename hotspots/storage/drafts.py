"""Typed text kept across a sign-in (``hotspots.web.drafts``): one row per form a person sent
after their session expired. The SQL is kept with the pages' (``hotspots.storage.web``)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_one
from hotspots.storage.web import (
    DELETE_FORM_DRAFTS_SQL,
    DELETE_OLD_FORM_DRAFTS_SQL,
    INSERT_FORM_DRAFT_SQL,
    LATEST_FORM_DRAFT_SQL,
)


def keep_draft(
    db: sqlite_utils.Database,
    *,
    staff_id: int,
    path: str,
    data: str,
    saved_at: str,
    forget_before: str,
) -> None:
    """Keep the text (JSON) typed into the form at ``path``; drafts saved before
    ``forget_before`` go."""
    db.execute(DELETE_OLD_FORM_DRAFTS_SQL, {"before": forget_before})
    params = {"staff_id": staff_id, "path": path, "data": data, "saved_at": saved_at}
    db.execute(INSERT_FORM_DRAFT_SQL, params)


def latest_draft(
    db: sqlite_utils.Database, *, staff_id: int, path: str, since: str
) -> dict[str, Any] | None:
    """The latest draft ``staff_id`` kept for the form at ``path`` since ``since``, or None."""
    return fetch_one(
        db, LATEST_FORM_DRAFT_SQL, {"staff_id": staff_id, "path": path, "since": since}
    )


def delete_drafts(db: sqlite_utils.Database, *, staff_id: int, path: str) -> None:
    """Remove every draft ``staff_id`` kept for the form at ``path``."""
    db.execute(DELETE_FORM_DRAFTS_SQL, {"staff_id": staff_id, "path": path})
