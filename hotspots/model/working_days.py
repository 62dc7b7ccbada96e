"""Working days in England: Monday to Friday, except England's bank holidays (substitute days
included: Boxing Day 2026 falls on a Saturday, so Monday 28 December 2026 is the holiday).

The bank holidays come from govuk-bank-holidays, a maintained library that ships GOV.UK's own
list (read from the copy it carries, never from the network). The list runs a couple of years
ahead; a deadline beyond its last year is refused rather than worked out from a calendar that
may be missing a holiday (``CalendarEnds``).

The arithmetic is pure: every function takes the holidays as an argument, and
``bank_holidays()`` reads the library once.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache


class CalendarEnds(Exception):
    """A working day was asked for past the last year the bank-holiday list covers; the
    message says how to get a newer list."""


@lru_cache(maxsize=1)
def bank_holidays() -> dict[date, str]:
    """Bank holidays in England (and Wales: the same days), with their names, from the list
    shipped with govuk-bank-holidays (no network)."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    holidays = BankHolidays(use_cached_holidays=True)
    return {
        h["date"]: h["title"]
        for h in holidays.get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    }


def last_year_known(holidays: Collection[date]) -> int:
    """The last calendar year the bank-holiday list covers."""
    return max(holidays).year


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(day: date, count: int, holidays: Collection[date]) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts, whatever it
    is): aware on Tuesday 23 December 2025, five working days on is Friday 2 January 2026.
    Raises CalendarEnds when the answer would lie past the list's last year."""
    if count < 1:
        raise ValueError(f"count must be 1 or more, not {count}")
    last = last_year_known(holidays)
    found = day
    while count:
        found += timedelta(days=1)
        if found.year > last:
            raise CalendarEnds(
                f"the bank holidays known to this service end in {last}, so a working day "
                f"after {day.isoformat()} cannot be worked out safely: upgrade the "
                "govuk-bank-holidays package (pip install -U govuk-bank-holidays)"
            )
        if is_working_day(found, holidays):
            count -= 1
    return found


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """How many working days fall after ``start`` up to and including ``end`` (0 when
    ``end`` is not after ``start``): how late a deadline of ``start`` is on ``end``."""
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days += 1
    return days
