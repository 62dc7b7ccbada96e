"""The audit log: who did what to which case, and when. Nothing personal beyond the actor's
email and the case reference."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.storage import audit as stored


class Actor(Protocol):
    """Who did it: a signed-in member of staff (``hotspots.web.auth.User``)."""

    id: int
    email: str


def record(
    db: sqlite_utils.Database,
    *,
    at: datetime,
    action: str,
    actor: Actor | None = None,
    case_ref: str | None = None,
    detail: str = "",
) -> None:
    """Write one audit row. ``action`` is a short verb phrase such as ``view_case``,
    ``refused_case``, ``record_observation``; ``actor`` is the signed-in member of staff
    (None for the command line and jobs)."""
    stored.add_entry(
        db,
        at=stamp(at),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        action=action,
        case_ref=case_ref,
        detail=detail,
    )


# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe(value: object) -> object:
    """A value for a CSV cell that a spreadsheet will show as text, never run: text starting
    with ``= + - @``, a tab or a line break gets a leading apostrophe (OWASP's advice).
    Numbers and None pass through."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
