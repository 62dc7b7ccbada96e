"""Sign-in throttling, kept in the database so every web worker process shares it.

Failed sign-ins are counted per account (the email typed, whether or not anyone has it, so
the answer never reveals which accounts exist) and per client address, each over its own
sliding window (``[security]``). Once either count reaches its limit, sign-in is refused
without checking the password until the oldest failure leaves the window, so 50 guesses then
the right password does not sign in. A successful sign-in clears the account's failures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.storage import security


@dataclass(frozen=True)
class Throttled:
    """Sign-in is refused for now: by ``account`` or ``client`` address, for ``retry_after``
    more seconds."""

    by: str
    retry_after: int


def account_hash(email: str) -> str:
    """How the throttle names an account: a SHA-256 of the lower-cased, trimmed email."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _windows(settings: Mapping[str, Any]) -> dict[str, tuple[int, timedelta]]:
    sign_in = settings["security"]
    return {
        "account": (
            sign_in["max_failures_per_account"],
            timedelta(minutes=sign_in["account_window_minutes"]),
        ),
        "client": (
            sign_in["max_failures_per_address"],
            timedelta(minutes=sign_in["address_window_minutes"]),
        ),
    }


def check(
    db: sqlite_utils.Database,
    email: str,
    client: str,
    settings: Mapping[str, Any],
    *,
    now: datetime,
) -> Throttled | None:
    """None when a sign-in attempt may go ahead; otherwise why and for how long not."""
    windows = _windows(settings)
    counts = security.sign_in_failures(
        db,
        account_hash(email),
        client,
        account_since=stamp(now - windows["account"][1]),
        client_since=stamp(now - windows["client"][1]),
    )
    for by in ("account", "client"):
        limit, window = windows[by]
        if limit and counts[f"{by}_failures"] >= limit:
            oldest = datetime.fromisoformat(counts[f"{by}_oldest"])
            wait = (oldest + window - now).total_seconds()
            return Throttled(by, max(1, int(wait) + 1))
    return None


def record_failure(
    db: sqlite_utils.Database,
    email: str,
    client: str,
    settings: Mapping[str, Any],
    *,
    now: datetime,
) -> None:
    """Count one failed sign-in (and forget failures older than every window)."""
    longest = max(window for _, window in _windows(settings).values())
    security.add_sign_in_failure(
        db, account_hash(email), client, now=stamp(now), forget_before=stamp(now - longest)
    )


def clear_account(db: sqlite_utils.Database, email: str) -> None:
    """Forget an account's failures (after it signs in)."""
    security.clear_sign_in_failures(db, account_hash(email))
