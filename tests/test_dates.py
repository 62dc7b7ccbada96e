"""Dates: parsing people's input, ages."""

from datetime import date

import pytest

from hotspots.base.dates import age_in_years, local_now, parse_date


def test_an_iso_date_parses():
    assert parse_date(" 2026-11-26 ") == date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "2026-02-30 is not a real date"),
        ("26/11/2026", "not a date in the form YYYY-MM-DD"),
        ("2026-1-5", "not a date in the form YYYY-MM-DD"),
        ("", "not a date in the form YYYY-MM-DD"),
    ],
)
def test_a_bad_date_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_date(text)


def test_age_counts_whole_years_turning_on_the_birthday():
    born = date(2024, 3, 10)
    assert age_in_years(born, date(2025, 3, 9)) == 0
    assert age_in_years(born, date(2025, 3, 10)) == 1
    assert age_in_years(date(2024, 2, 29), date(2025, 2, 28)) == 0


def test_local_now_is_aware_and_in_the_zone():
    now = local_now("Europe/London")
    assert now.tzinfo is not None
    assert str(now.tzinfo) == "Europe/London"


def test_every_stored_instant_is_utc_to_the_microsecond():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotspots.base.dates import stamp

    summer = datetime(2026, 7, 1, 9, 0, 0, 250_000, tzinfo=ZoneInfo("Europe/London"))
    assert stamp(summer) == "2026-07-01T08:00:00.250000+00:00"
    whole_second = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    assert stamp(whole_second) == "2026-12-01T09:00:00.000000+00:00"
    # Stored instants sort as text in time order, whatever their precision was.
    assert stamp(whole_second) > stamp(summer)


def test_a_naive_instant_is_refused():
    from datetime import datetime

    import pytest

    from hotspots.base.dates import stamp

    with pytest.raises(ValueError, match="has no time zone"):
        stamp(datetime(2026, 12, 1, 9, 0))
