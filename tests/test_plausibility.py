"""What a plausible date, date of birth, expected date of birth, child id and count are: the
one definition every import path (CSV, Annex A, census) and the partners' API share."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotspots.model import plausibility
from hotspots.model.plausibility import (
    Implausible,
    birth_date_problem,
    event_date_problem,
    expected_birth_date_problem,
    read_at_least,
    read_child_id,
    read_date,
    read_iso_date,
    two_digit_year,
    word_key,
)

AS_OF = date(2026, 11, 26)


def reason(value, kind="event", as_of=AS_OF):
    with pytest.raises(Implausible) as caught:
        read_date(value, field="Date of Birth", as_of=as_of, kind=kind)
    assert caught.value.field == "Date of Birth"
    return caught.value.reason


# --- the checks --------------------------------------------------------------------------------


def test_an_event_date_may_be_today_but_not_tomorrow_nor_before_1900():
    assert event_date_problem(AS_OF, AS_OF) is None
    assert event_date_problem(date(1900, 1, 1), AS_OF) is None
    assert event_date_problem(AS_OF + timedelta(days=1), AS_OF) == "2026-11-27 is in the future"
    assert event_date_problem(date(1899, 12, 31), AS_OF) == (
        "1899-12-31 is before 1900: check the year"
    )


def test_a_birth_date_exactly_25_years_ago_is_plausible_and_a_day_earlier_is_not():
    assert birth_date_problem(date(2001, 11, 26), AS_OF) is None
    assert birth_date_problem(date(2001, 11, 25), AS_OF) == (
        "2001-11-25 is more than 25 years ago (the child would be 25): check the year"
    )
    assert birth_date_problem(date(1999, 3, 3), AS_OF) == (
        "1999-03-03 is more than 25 years ago (the child would be 27): check the year"
    )


def test_a_birth_date_before_1900_or_in_the_future_is_implausible():
    assert birth_date_problem(date(1066, 10, 14), AS_OF) == (
        "1066-10-14 is before 1900: check the year"
    )
    assert birth_date_problem(date(2027, 1, 10), AS_OF) == "2027-01-10 is in the future"


def test_the_25_years_count_from_28_february_when_today_is_29_february():
    leap_day = date(2028, 2, 29)
    assert birth_date_problem(date(2003, 2, 28), leap_day) is None
    assert birth_date_problem(date(2003, 2, 27), leap_day) is not None


def test_an_expected_birth_date_may_be_up_to_300_days_ahead_or_already_passed():
    assert expected_birth_date_problem(AS_OF + timedelta(days=300), AS_OF) is None
    assert expected_birth_date_problem(AS_OF - timedelta(days=40), AS_OF) is None
    assert expected_birth_date_problem(AS_OF + timedelta(days=301), AS_OF) == (
        "2027-09-23 is more than 42 weeks away, longer than a pregnancy: check the year"
    )
    assert expected_birth_date_problem(date(1899, 1, 1), AS_OF) is not None


# --- reading dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2020-11-23", date(2020, 11, 23)),
        ("2020-1-3", date(2020, 1, 3)),
        ("2020/11/23", date(2020, 11, 23)),
        ("23/11/2020", date(2020, 11, 23)),
        ("3/1/2020", date(2020, 1, 3)),
        ("23-11-2020", date(2020, 11, 23)),
        ("23.11.2020", date(2020, 11, 23)),
        ("23/11/20", date(2020, 11, 23)),
        ("23 Nov 2020", date(2020, 11, 23)),
        ("23 November 2020", date(2020, 11, 23)),
        ("23rd Nov 2020", date(2020, 11, 23)),
        ("1 Sept 2025", date(2025, 9, 1)),
        ("22-Jan-2021", date(2021, 1, 22)),
        ("22-JAN-21", date(2021, 1, 22)),
        ("2020-11-23 00:00:00", date(2020, 11, 23)),
        ("2020-11-23T10:15:00Z", date(2020, 11, 23)),
        ("23/11/2020 10:15", date(2020, 11, 23)),
        ("23/11/2020 9:30 am", date(2020, 11, 23)),
        ("a) 23/11/2020", date(2020, 11, 23)),
        ("\xa023/11/2020 ", date(2020, 11, 23)),
        (datetime(2020, 11, 23, 10, 15), date(2020, 11, 23)),
        (date(2020, 11, 23), date(2020, 11, 23)),
        (44158, date(2020, 11, 23)),
        (44158.75, date(2020, 11, 23)),  # an Excel date with a time of day
    ],
)
def test_every_unambiguous_form_an_english_export_writes_is_read(written, day):
    assert read_date(written, field="x", as_of=AS_OF) == day


def test_a_two_digit_year_is_read_within_the_hundred_years_up_to_next_year():
    assert two_digit_year(27, AS_OF) == 2027
    assert two_digit_year(0, AS_OF) == 2000
    assert two_digit_year(28, AS_OF) == 1928
    assert two_digit_year(99, AS_OF) == 1999
    assert two_digit_year(27, date(2027, 1, 1)) == 2027
    assert two_digit_year(28, date(2027, 1, 1)) == 2028
    assert read_date("10/01/27", field="x", as_of=AS_OF, kind="expected_birth") == date(2027, 1, 10)


def test_an_excel_serial_reads_as_excel_shows_it_around_its_false_leap_day():
    assert read_date(61, field="x", as_of=AS_OF, kind="event") == date(1900, 3, 1)
    assert read_date(59, field="x", as_of=AS_OF, kind="event") == date(1900, 2, 28)
    assert read_date(1, field="x", as_of=AS_OF, kind="event") == date(1900, 1, 1)
    assert reason(60) == "60 is a number, not a date"


def test_a_number_where_a_birth_date_belongs_is_named_as_a_number():
    assert reason(17.5, "birth") == (
        "17.5 is a number, not a date: read as an Excel date it would be 1900-01-17, which is"
        " more than 25 years ago (the child would be 126)"
    )
    assert reason(-3, "birth") == "-3 is a number, not a date"
    assert reason(True).startswith("'True' is not a date")


def test_text_that_is_no_date_says_how_to_write_one():
    assert reason("next week") == (
        "'next week' is not a date: write the day, month and year (23/11/2020, 23 Nov 2020 or"
        " 2020-11-23)"
    )
    assert reason("17.5").startswith("'17.5' is not a date")  # text, so not a serial
    assert reason("23 Novembre 2020").startswith("'23 Novembre 2020' is not a date")


def test_an_impossible_day_is_not_a_real_date_and_a_us_date_is_named_as_such():
    assert reason("31/02/2026") == "'31/02/2026' is not a real date"
    assert reason("2025-13-01") == "'2025-13-01' is not a real date"
    assert reason("11/23/2020") == (
        "'11/23/2020' is not a real date (dates are read day first: is it written month first?)"
    )


def test_a_date_read_is_checked_as_its_kind_in_the_words_the_file_used():
    assert reason("23/11/1999", "birth") == (
        "23/11/1999 is more than 25 years ago (the child would be 27): check the year"
    )
    assert reason("01/01/2027", "event") == "01/01/2027 is in the future"
    assert read_date("01/01/2027", field="x", as_of=AS_OF, kind="birth_or_expected") == (
        date(2027, 1, 1)
    )
    assert reason("01/01/2028", "birth_or_expected").endswith(
        "longer than a pregnancy: check the year"
    )


def test_an_iso_date_is_required_where_the_format_fixes_it():
    assert read_iso_date("2026-01-02", field="x", as_of=AS_OF) == date(2026, 1, 2)
    with pytest.raises(Implausible) as caught:
        read_iso_date("02/01/2026", field="observed_on", as_of=AS_OF)
    assert str(caught.value) == "observed_on: '02/01/2026' is not a date in the form YYYY-MM-DD"
    with pytest.raises(Implausible) as caught:
        read_iso_date("1066-10-14", field="PersonBirthDate", as_of=AS_OF, kind="birth")
    assert caught.value.reason == "1066-10-14 is before 1900: check the year"
    assert caught.value.value == "1066-10-14"


@given(
    st.dates(min_value=date(1928, 1, 1), max_value=date(2027, 12, 31)),  # the yy window
    st.sampled_from(
        [
            "%Y-%m-%d",
            "%Y/%m/%d",
            "%d/%m/%Y",
            "%d-%m-%y",
            "%d %b %Y",
            "%d-%b-%y",
            "%d %B %Y",
            "%d.%m.%Y %H:%M:%S",
        ]
    ),  # fmt: skip
)
def test_any_date_written_in_any_accepted_form_reads_back_as_itself(day, form):
    moment = datetime(day.year, day.month, day.day, 14, 5, 9)
    assert plausibility._parse_text(moment.strftime(form), AS_OF) == day


# --- ids, counts and words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "child_id"),
    [
        (10721552.0, "10721552"),
        (10721552, "10721552"),
        ("10721552.0", "10721552"),
        ("10721552.000", "10721552"),
        ("\xa0DfEX0000001 ", "DfEX0000001"),
        ("NC-104233", "NC-104233"),
    ],
)
def test_a_child_id_written_through_a_float_reads_as_the_whole_number(value, child_id):
    assert read_child_id(value, field="Child ID") == child_id


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "is empty"),
        (None, "is empty"),
        ("1.07216E+07", "'1.07216E+07' is a number shortened by a spreadsheet (digits are lost)"),
        ("LA/123", "'LA/123' is not a case reference"),
        (123.5, "'123.5' is not a case reference"),
    ],
)
def test_a_child_id_that_cannot_be_a_case_reference_is_refused(value, message):
    with pytest.raises(Implausible) as caught:
        read_child_id(value, field="Child ID")
    assert caught.value.reason.startswith(message)


@pytest.mark.parametrize(("value", "count"), [(0, 0), (2.0, 2), ("2", 2), ("2+", 2),
                                              ("3 or more", 3), ("b) 1", 1)])  # fmt: skip
def test_a_count_reads_2_plus_as_at_least_2(value, count):
    assert read_at_least(value, field="n") == count


@pytest.mark.parametrize("value", ["two", -1, 1.5, "", None, "2-3"])
def test_anything_else_is_not_a_whole_number(value):
    with pytest.raises(Implausible) as caught:
        read_at_least(value, field="Number of Previous Child Protection Plans")
    assert "is not a whole number (such as 0, 1 or 2+)" in caught.value.reason


def test_words_compare_without_capitals_spaces_or_a_workbook_prefix():
    assert word_key("  Awaiting\xa0\xa0ALLOCATION ") == "awaiting allocation"
    assert word_key("c) Closed") == "closed"
    assert word_key("#N/A") == "#n/a"
    assert word_key("tbc") == word_key("TBC")


def test_every_date_form_the_documentation_lists_reads_as_its_example_day():
    for written, _ in plausibility.DATE_FORMS:
        value = int(written) if written.isdigit() else written
        assert read_date(value, field="x", as_of=AS_OF) == date(2026, 4, 3), written
