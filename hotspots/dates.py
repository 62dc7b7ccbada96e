"""Dates and clocks. The core never reads the clock: edges call ``local_now`` and pass it in."""

from __future__ import annotations

from datetime import date, datetime
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


def age_in_years(date_of_birth: date, on: date) -> int:
    """Whole years of age on ``on``."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def utc_stamp(moment: datetime) -> str:
    """An instant as stored by the security tables: UTC, whole seconds, ISO 8601
    (``2026-03-02T09:30:00+00:00``), so comparing two as text compares the instants."""
    from datetime import UTC

    return moment.astimezone(UTC).isoformat(timespec="seconds")
