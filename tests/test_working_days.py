"""Working days in England: weekends and bank holidays (substitute days included) skipped,
from govuk-bank-holidays' own list, without the network."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from hotspots.model import working_days
from hotspots.model.working_days import (
    CalendarEnds,
    add_working_days,
    bank_holidays,
    is_working_day,
    working_days_between,
)


@pytest.fixture
def holidays():
    return frozenset(bank_holidays())


def test_the_bank_holidays_are_read_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the bank holidays must not be fetched from the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    working_days.bank_holidays.cache_clear()
    try:
        found = working_days.bank_holidays()
    finally:
        working_days.bank_holidays.cache_clear()
    assert found[date(2026, 12, 25)] == "Christmas Day"


def test_the_list_knows_2026_and_2027_with_boxing_days_substitute(holidays):
    known = bank_holidays()
    assert known[date(2026, 12, 28)] == "Boxing Day"  # 26 December 2026 is a Saturday
    assert date(2026, 12, 26) not in holidays
    for day in (date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 8, 31)):
        assert day in holidays
    for day in (date(2027, 1, 1), date(2027, 3, 26), date(2027, 12, 27), date(2027, 12, 28)):
        assert day in holidays
    assert working_days.last_year_known(holidays) >= 2027


def test_weekends_and_bank_holidays_are_not_working_days(holidays):
    assert is_working_day(date(2026, 12, 24), holidays)  # a Thursday
    assert not is_working_day(date(2026, 12, 25), holidays)  # Christmas Day
    assert not is_working_day(date(2026, 12, 26), holidays)  # a Saturday
    assert not is_working_day(date(2026, 12, 28), holidays)  # the substitute Boxing Day
    assert is_working_day(date(2026, 12, 29), holidays)


@pytest.mark.parametrize(
    ("aware", "count", "due"),
    [
        # Christmas 2025: 25 and 26 December, a weekend, then New Year's Day.
        (date(2025, 12, 23), 5, date(2026, 1, 2)),
        # Christmas 2026: Boxing Day on a Saturday, its substitute on Monday 28 December.
        (date(2026, 12, 23), 5, date(2027, 1, 4)),
        # An ordinary week: Monday to the next Monday.
        (date(2026, 3, 2), 5, date(2026, 3, 9)),
        # Aware on a Saturday: the count starts on the Monday.
        (date(2026, 3, 7), 5, date(2026, 3, 13)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
        (date(2026, 4, 1), 5, date(2026, 4, 10)),
        # Fifteen working days from Friday 2 January 2026.
        (date(2026, 1, 2), 15, date(2026, 1, 23)),
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
    ],
)
def test_the_nth_working_day_after_a_day(holidays, aware, count, due):
    assert add_working_days(aware, count, holidays) == due


def test_a_working_day_past_the_known_calendar_is_refused(holidays):
    last = working_days.last_year_known(holidays)
    with pytest.raises(CalendarEnds, match="upgrade the govuk-bank-holidays package"):
        add_working_days(date(last, 12, 30), 5, holidays)


def test_lateness_counts_working_days_after_the_deadline(holidays):
    assert working_days_between(date(2026, 1, 2), date(2026, 1, 2), holidays) == 0
    assert working_days_between(date(2026, 1, 2), date(2026, 1, 1), holidays) == 0
    # Friday 2 January to Tuesday 6 January 2026: Monday and Tuesday.
    assert working_days_between(date(2026, 1, 2), date(2026, 1, 6), holidays) == 2
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29), holidays) == 1
