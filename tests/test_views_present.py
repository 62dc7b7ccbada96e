"""hotspots.web.present: ages, bands, trends, sparklines, reasons and visit dates, as
people read them."""

from __future__ import annotations

from datetime import date

import pytest

from hotspots.web import present

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("born", "words"),
    [
        ("2026-03-01", "under 1 week"),
        ("2026-02-16", "2 weeks"),
        ("2026-02-02", "1 month"),
        ("2025-09-03", "5 months"),
        ("2025-03-02", "1 year"),
        ("2024-01-15", "2 years 1 month"),
        ("2021-03-03", "4 years 11 months"),
        ("2019-06-30", "6 years"),
        ("2026-04-01", "not yet born"),
    ],
)
def test_age_reads_in_weeks_months_and_years(born, words):
    assert present.age_text(born, TODAY, "born") == words


@pytest.mark.parametrize(
    ("due", "status", "words"),
    [
        ("2026-04-10", "due", "unborn, due 10 April 2026"),
        (TODAY.isoformat(), "due", "unborn, due 2 March 2026"),
        ("2026-02-20", "due", "unborn, was due 20 February 2026"),
        (TODAY.isoformat(), "due_unknown", "unborn, due date not known"),
    ],
)
def test_an_unborn_child_is_shown_as_unborn_with_the_day_it_is_due(due, status, words):
    assert present.age_text(due, TODAY, status) == words


def test_each_band_has_words_as_well_as_a_colour():
    assert present.band("red") == {"code": "red", "text": "Hotspot", "classes": "govuk-tag--red"}
    assert present.band("amber")["text"] == "Amber"
    assert present.band("amber")["classes"] == "govuk-tag--orange"
    assert present.band("green")["text"] == "Green"
    assert present.band(None)["text"] == "Not scored"


@pytest.mark.parametrize(
    ("now", "before", "arrow", "text"),
    [
        (10.0, 6.0, "↑", "Up 4.0"),
        (6.0, 10.0, "↓", "Down 4.0"),
        (10.0, 10.4, "→", "Steady"),
        (10.0, None, "", "New"),
    ],
)
def test_the_trend_is_an_arrow_with_words(now, before, arrow, text):
    trend = present.trend(now, before)
    assert (trend["arrow"], trend["text"]) == (arrow, text)


def test_the_sparkline_carries_the_last_score_forward_and_describes_itself():
    line = present.sparkline(
        [("2026-01-20", 99.0), ("2026-02-20", 4.0), ("2026-03-01", 8.0)], TODAY
    )
    points = [tuple(map(float, p.split(","))) for p in line["points"].split()]
    assert len(points) == 11  # 20 Feb to 2 Mar; 20 Jan is outside the 30 days
    assert points[0][1] == points[8][1]  # 20 Feb carried to 28 Feb
    assert points[-1][1] < points[0][1]  # a higher score is drawn higher up
    assert line["text"] == "Score over the last 30 days: from 4.0 to 8.0, highest 8.0"


def test_a_case_with_no_history_says_so():
    assert present.sparkline([], TODAY) == {"points": "", "text": "No score history yet"}


def test_the_next_visit_is_due_a_visit_frequency_after_the_last_visit_or_the_opening():
    assert present.next_visit_due("2026-02-20", "2025-01-01", 14) == date(2026, 3, 6)
    assert present.next_visit_due(None, "2026-02-01", 28) == date(2026, 3, 1)


def test_a_review_counts_for_a_week():
    assert present.reviewed(None, TODAY, 7)["text"] == "Not reviewed"
    recent = present.reviewed("2026-02-23T09:00:00+00:00", TODAY, 7)
    assert recent == {
        "reviewed": True,
        "text": "Reviewed 23 February 2026",
        "on": date(2026, 2, 23),
    }
    old = present.reviewed("2026-02-22T09:00:00+00:00", TODAY, 7)
    assert old["reviewed"] is False and old["text"] == "Last reviewed 22 February 2026"


def test_contributions_are_ordered_largest_first_with_the_age_row_last():
    items = [
        {"kind": "age", "points": 9.0},
        {"kind": "indicator", "points": 2.0},
        {"kind": "adjustment", "points": -5.0},
    ]
    assert [c["points"] for c in present.ordered(items)] == [-5.0, 2.0, 9.0]


def test_long_dates_are_in_the_govuk_style():
    assert present.long_date("2026-03-02") == "2 March 2026"
    assert present.long_date("2026-03-02T10:00:00+00:00") == "2 March 2026"
    assert present.long_date(None) == ""


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (365, "counts for less as it gets older: half after a year"),
        (730, "counts for less as it gets older: half after two years"),
        (180, "counts for less as it gets older: half after six months"),
        (120, "counts for less as it gets older: half after four months"),
        (100, "counts for less as it gets older: half after about three months"),
        (90, "counts for less as it gets older: half after three months"),
        (14, "counts for less as it gets older: half after two weeks"),
        (0, "does not fade: it counts in full however long ago it was"),
    ],
)
def test_half_lives_are_said_as_a_social_worker_would(days, words):
    assert present.half_life_words(days) == words


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        ("2026-03-02T09:30:00+00:00", "2 March 2026 at 9:30am"),
        ("2026-07-02T12:00:00+00:00", "2 July 2026 at 1pm"),  # British Summer Time
        ("2026-03-02T12:00:00+00:00", "2 March 2026 at midday"),
        ("2026-03-02T00:00:00+00:00", "2 March 2026 at midnight"),
        (None, ""),
    ],
)
def test_a_stored_instant_reads_in_london_time(stored, words):
    assert present.date_and_time(stored, "Europe/London") == words


def test_source_agencies_keep_their_capitals():
    assert present.source_words("gp") == "GP"
    assert present.source_words("health_visiting") == "Health visiting"


def test_what_would_help_next_words_the_practice_gaps_the_rules_found():
    codes = ["no_domestic_abuse_enquiry", "visit_overdue", "unallocated"]
    assert [s["text"] for s in present.next_steps(codes)] == [
        "Ask about domestic abuse",
        "Visit the child: a visit is overdue",
        "Allocate a worker",
    ]
