"""The audit log: who did what to which case, and when. Nothing personal beyond the actor's
email and the case reference."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from hotspots.storage.audit import INSERT_AUDIT_SQL


def record(
    db: sqlite_utils.Database,
    *,
    at: datetime,
    action: str,
    actor_id: int | None = None,
    actor_email: str | None = None,
    case_ref: str | None = None,
    detail: str = "",
) -> None:
    """Write one audit row. ``action`` is a short verb phrase such as ``view_case``,
    ``refused_case``, ``record_observation``."""
    db.execute(
        INSERT_AUDIT_SQL,
        {
            "at": at.isoformat(timespec="seconds"),
            "actor_id": actor_id,
            "actor_email": actor_email,
            "action": action,
            "case_ref": case_ref,
            "detail": detail,
        },
    )
