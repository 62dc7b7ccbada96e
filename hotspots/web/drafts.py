"""Typed text kept across a sign-in: when someone sends a case's form after their session
has expired, what they typed is kept (for them alone, for a day) and put back in the same
form once they have signed in again, so a plan typed before a long phone call is not lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlite_utils
from werkzeug.datastructures import MultiDict

from hotspots.storage import form_drafts, write_transaction

KEEP_FOR = timedelta(days=1)
# Never kept: the form's CSRF token (the old session's) and the timeout warning's marker.
_NOT_KEPT = ("csrf_token", "app-timed-out")
# A form's fields are a few notes of at most 2,000 characters: anything larger is not a form.
MAX_BYTES = 64 * 1024


def keep(
    db: sqlite_utils.Database, staff_id: int, path: str, form: MultiDict, now: datetime
) -> bool:
    """Keep what was typed into the form at ``path``; drafts older than a day go. False when
    there is nothing to keep or it is too large to be a form."""
    fields = {
        name: form.getlist(name)
        for name in form
        if not any(name == n or name.endswith(f"-{n}") for n in _NOT_KEPT)
    }
    data = json.dumps(fields, separators=(",", ":"))
    if not fields or len(data.encode()) > MAX_BYTES:
        return False
    with write_transaction(db):
        form_drafts.keep(db, staff_id, path, data, now=_utc(now), before=_utc(now - KEEP_FOR))
    return True


def take(db: sqlite_utils.Database, staff_id: int, path: str, now: datetime) -> MultiDict | None:
    """The latest text ``staff_id`` typed into the form at ``path`` (within a day), removed
    as it is taken; None when there is none."""
    with write_transaction(db):
        data = form_drafts.latest(db, staff_id, path, since=_utc(now - KEEP_FOR))
        if data is None:
            return None
        form_drafts.forget(db, staff_id, path)
    fields: Mapping[str, list[str]] = json.loads(data)
    return MultiDict([(name, value) for name, values in fields.items() for value in values])


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
