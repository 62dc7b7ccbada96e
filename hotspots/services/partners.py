"""Partner systems and their bearer tokens.

A partner is one agency's system (a police force's public protection unit, a trust's CP-IS
feed) that sends observations through the JSON API. Its token is shown once, when it is made;
the service keeps only a SHA-256 hash. A token is 256 random bits, so a fast hash is enough
(nothing to guess by brute force) and lets a request find its partner through a unique index
in one lookup, without a per-request password hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.services import audit
from hotspots.storage import partners as store
from hotspots.storage import write_transaction

TOKEN_PREFIX = "hsp_"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class PartnerError(Exception):
    """A partner command cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Partner:
    """A live partner, as a request authenticates it."""

    id: int
    name: str
    source: str

    @property
    def actor(self) -> PartnerActor:
        return PartnerActor(f"partner:{self.name}")


@dataclass(frozen=True)
class PartnerActor:
    """A partner as the audit log names it: no staff id, ``partner:NAME`` as the actor."""

    email: str
    id: None = None


def utc_stamp(now: datetime) -> str:
    """An instant as the partner tables store it: the service's one stamp (UTC, to the
    microsecond), so text compares as time."""
    return stamp(now)


def local_time(stored: str | None, timezone: str) -> str:
    """A stored instant as people read it, in the service's time zone: ``2 March 2026
    09:30``; empty for None."""
    if not stored:
        return ""
    moment = datetime.fromisoformat(stored).astimezone(ZoneInfo(timezone))
    return f"{moment.day} {moment:%B %Y %H:%M}"


def new_token() -> str:
    """A fresh bearer token: a recognisable prefix (so secret scanners can spot a leaked
    one) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add(
    db: sqlite_utils.Database, name: str, source: str, sources: list[str], *, now: datetime
) -> str:
    """Register partner ``name`` for agency ``source``; returns its token (stored only as a
    hash). Raises PartnerError for a bad or taken name or an unknown source."""
    name = name.strip().lower()
    if not NAME_PATTERN.match(name):
        raise PartnerError(
            f"{name!r} is not a usable partner name: lower-case letters, digits, '.', '_' "
            "and '-', up to 63 characters, starting with a letter or digit"
        )
    if source not in sources:
        raise PartnerError(
            f"unknown source {source!r} (one of: {', '.join(sources)}; from [import] sources)"
        )
    token = new_token()
    with write_transaction(db):
        if store.partner_named(db, name):
            raise PartnerError(
                f"there is already a partner called {name}: choose another name, or give it "
                f"a new token with `hotspots partners rotate {name}`"
            )
        store.add_partner(db, name, source, token_hash(token), utc_stamp(now))
        audit.record(
            db, at=now, action="partner_add", detail=json.dumps({"partner": name, "source": source})
        )
    return token


def rotate(db: sqlite_utils.Database, name: str, *, overlap: timedelta, now: datetime) -> str:
    """Give partner ``name`` a new token; its older tokens keep working for ``overlap`` (so
    the partner can switch without a gap), then stop. Returns the new token."""
    token = new_token()
    with write_transaction(db):
        partner = _live_partner(db, name)
        store.add_token(
            db, partner["id"], token_hash(token), utc_stamp(now), utc_stamp(now + overlap)
        )
        audit.record(
            db,
            at=now,
            action="partner_rotate",
            detail=json.dumps(
                {"partner": partner["name"], "old_tokens_until": utc_stamp(now + overlap)}
            ),
        )
    return token


def revoke(db: sqlite_utils.Database, name: str, *, now: datetime) -> None:
    """Revoke partner ``name``: every token it has stops working at once."""
    with write_transaction(db):
        partner = _live_partner(db, name)
        store.revoke_partner(db, partner["id"], utc_stamp(now))
        audit.record(
            db, at=now, action="partner_revoke", detail=json.dumps({"partner": partner["name"]})
        )


def authenticate(db: sqlite_utils.Database, token: str, *, now: datetime) -> Partner | None:
    """The live partner holding live ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = store.partner_for_token(db, token_hash(token), utc_stamp(now))
    return Partner(row["id"], row["name"], row["source"]) if row else None


def listing(db: sqlite_utils.Database, *, now: datetime) -> list[dict[str, Any]]:
    """Every partner, for ``partners list`` and the admin page (see
    ``storage.partners.partners``)."""
    return store.partners(db, utc_stamp(now))


def last_sent_words(summary: dict[str, Any] | None) -> str:
    """What a partner's latest request held, in words: ``12 items: 10 new, 2 updated,
    1 not yet matched to a case (domestic_abuse, ppn_low)``."""
    if not summary:
        return "nothing yet"
    items = summary.get("items", 0)
    parts = [
        f"{summary[key]} {words}"
        for key, words in (
            ("new", "new"),
            ("updated", "updated"),
            ("unchanged", "unchanged"),
            ("unmatched", "not yet matched to a case"),
        )
        if summary.get(key)
    ]
    text = f"{items} item{'' if items == 1 else 's'}"
    if parts:
        text += ": " + ", ".join(parts)
    if summary.get("indicators"):
        text += f" ({', '.join(summary['indicators'])})"
    return text


def _live_partner(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    partner = store.partner_named(db, name.strip().lower())
    if partner is None:
        raise PartnerError(f"no partner is called {name} (see `hotspots partners list`)")
    if partner["revoked_at"]:
        raise PartnerError(
            f"{partner['name']} was revoked on {partner['revoked_at'][:10]}; register the system "
            "again under a new name with `hotspots partners add`"
        )
    return partner
