"""Who signs in and what they may open (``hotspots.web.auth``): the reads behind the user loader,
the sign-in form and the case visibility check. Their SQL is shared with the pages
(``hotspots.storage.web``)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.storage import fetch_one
from hotspots.storage.web import CASE_BY_REF_SQL, STAFF_BY_ID_SQL, STAFF_FOR_SIGN_IN_SQL


def staff_by_id(db: sqlite_utils.Database, staff_id: int) -> dict[str, Any] | None:
    """The member of staff with that id, as signing in reads them, or None."""
    return fetch_one(db, STAFF_BY_ID_SQL, {"id": staff_id})


def staff_for_sign_in(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    """The member of staff with that email however capitalised (with their password hash
    and whether they are disabled), or None."""
    return fetch_one(db, STAFF_FOR_SIGN_IN_SQL, {"email": email})


def case_by_ref(db: sqlite_utils.Database, case_ref: str) -> dict[str, Any] | None:
    """The case with that reference, with its team and worker (what visibility is decided
    on) and its score, or None."""
    return fetch_one(db, CASE_BY_REF_SQL, {"case_ref": case_ref})
