"""Dates and clocks. The core never reads the clock: edges call ``local_now`` and pass it in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo


def parse_date(text: str) -> date:
    """An ISO 8601 calendar date (YYYY-MM-DD). Raises ValueError with a message a person
    can act on, e.g. ``2026-02-30 is not a real date``."""
    text = text.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a real date") from None


def local_now(timezone: str) -> datetime:
    """The current time in ``timezone`` (aware)."""
    return datetime.now(ZoneInfo(timezone))


def service_now(config: Mapping[str, Any]) -> datetime:
    """Now for the service whose Flask config this is: ``HOTSPOTS_NOW`` when a test fixed the
    clock (an aware datetime), else the wall clock in ``[app] timezone``. The edges' one clock."""
    fixed = config.get("HOTSPOTS_NOW")
    if fixed is not None:
        return fixed
    return local_now(config["SETTINGS"]["app"]["timezone"])


def age_in_years(date_of_birth: date, on: date) -> int:
    """Whole years of age on ``on``."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def stamp(moment: datetime) -> str:
    """An instant as the database stores every instant: UTC, ISO 8601, to the microsecond
    (``2026-11-26T09:00:00.250000+00:00``), so stored instants sort and compare as text.
    A naive datetime is refused: its zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def local_day(stored: str, timezone: str) -> date:
    """The day, in ``timezone``, of an instant as the database stores it (``stamp``)."""
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:  # older rows kept without an offset were written in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()
