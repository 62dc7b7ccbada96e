"""The digest builder: plain data in, plain data out, fixed dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.config import load_config
from hotspots.digest import build_digest, is_digest_day, top_reasons, weekdays

DAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 7, 30, tzinfo=ZoneInfo("Europe/London"))
MANAGER = {"id": 1, "email": "nina@council.example", "name": "Nina Manager"}
TEAM = {"id": 7, "name": "North"}
WORKERS = [{"id": 10, "name": "Will Worker"}, {"id": 11, "name": "Wendy Worker"}]


@pytest.fixture
def settings():
    return load_config(environ={})


def case(id, ref, *, score, band, worker=10, **extra):
    row = {
        "id": id,
        "case_ref": ref,
        "initials": "AB",
        "worker_id": worker,
        "worker_name": {10: "Will Worker", 11: "Wendy Worker", None: None}[worker],
        "opened_on": "2026-01-05",
        "last_visit_on": "2026-11-16",
        "score": score,
        "band": band,
        "contributions": "[]",
        "scored_on": "2026-11-26",
        "red_since": None,
        "last_reviewed_on": None,
        "has_domestic_abuse_enquiry": 1,
        "current_indicators": 1,
    }
    row.update(extra)
    return row


def build(settings, cases, history=None, previous=None, workers=WORKERS):
    return build_digest(
        manager=MANAGER,
        team=TEAM,
        workers=workers,
        cases=cases,
        history=history or {},
        previous_digest_date=previous,
        date=DAY,
        now=NOW,
        settings=settings,
    )


def test_it_counts_open_cases_and_hotspots(settings):
    digest = build(
        settings,
        [
            case(1, "A", score=20, band="red"),
            case(2, "B", score=15, band="red"),
            case(3, "C", score=8, band="amber"),
            case(4, "D", score=None, band=None),
        ],
    )
    assert digest["counts"]["open_cases"] == 4
    assert digest["counts"]["hotspots"] == 2
    assert [r["case_ref"] for r in digest["top_hotspots"]] == ["A", "B"]


def test_top_hotspots_are_the_highest_scores_cut_to_the_configured_number(settings):
    settings["digest"]["top_hotspots"] = 2
    cases = [case(i, f"R{i}", score=14 + i, band="red") for i in range(5)]
    digest = build(settings, cases)
    assert [r["case_ref"] for r in digest["top_hotspots"]] == ["R4", "R3"]
    assert digest["counts"]["hotspots"] == 5


def test_a_hotspot_is_new_when_it_was_not_red_on_the_previous_digests_date(settings):
    history = {
        1: [("2026-11-23", 16.0, "red"), ("2026-11-26", 20.0, "red")],
        2: [("2026-11-23", 12.0, "amber"), ("2026-11-26", 15.0, "red")],
        3: [("2026-11-25", 15.0, "red")],  # no row on or before the 23rd, opened since: new
        4: [("2026-11-25", 15.0, "red")],  # no row on or before the 23rd, opened long ago
    }
    digest = build(
        settings,
        [
            case(1, "A", score=20, band="red"),
            case(2, "B", score=15, band="red"),
            case(3, "C", score=15, band="red", opened_on="2026-11-24"),
            case(4, "D", score=15, band="red", opened_on="2026-01-05"),
        ],
        history,
        previous=date(2026, 11, 23),
    )
    assert {r["case_ref"]: r["new"] for r in digest["top_hotspots"]} == {
        "A": False,
        "B": True,
        "C": True,
        "D": False,  # history starts after the 23rd: not known to be new
    }
    assert digest["counts"]["new_hotspots"] == 2
    assert digest["since"] == date(2026, 11, 23)


def test_without_a_previous_digest_new_means_not_red_the_day_before(settings):
    history = {1: [("2026-11-23", 16.0, "red"), ("2026-11-25", 12.0, "amber")]}
    digest = build(settings, [case(1, "A", score=20, band="red")], history)
    assert digest["since"] == date(2026, 11, 25)
    assert digest["top_hotspots"][0]["new"] is True


def test_the_trend_is_against_the_latest_history_on_or_before_seven_days_ago(settings):
    history = {
        1: [("2026-11-18", 10.0, "amber"), ("2026-11-20", 30.0, "red")],  # 19th: use the 18th
        2: [("2026-11-22", 10.0, "amber")],  # history starts too late: unknown
    }
    digest = build(
        settings,
        [case(1, "A", score=16.25, band="red"), case(2, "B", score=15, band="red")],
        history,
    )
    trends = {r["case_ref"]: r["trend"] for r in digest["top_hotspots"]}
    assert trends == {"A": 6.2, "B": None}  # 16.25 - 10.0 = 6.25, rounded to one place


def test_rising_fastest_lists_rises_of_at_least_the_threshold_biggest_first(settings):
    settings["digest"]["rising_min_points"] = 2.0
    history = {
        1: [("2026-11-19", 5.0, "green")],
        2: [("2026-11-19", 5.0, "green")],
        3: [("2026-11-19", 5.0, "green")],
    }
    digest = build(
        settings,
        [
            case(1, "A", score=6.5, band="green"),  # +1.5: not rising
            case(2, "B", score=9.0, band="amber"),  # +4
            case(3, "C", score=15.0, band="red"),  # +10
        ],
        history,
    )
    assert [(r["case_ref"], r["trend"]) for r in digest["rising"]] == [("C", 10.0), ("B", 4.0)]
    assert digest["counts"]["rising"] == 2


def test_reasons_are_the_top_contributions_by_points_never_the_negative_ones():
    contributions = json.dumps(
        [
            {"code": "a", "label": "Small", "points": 1.0},
            {"code": "b", "label": "Big", "points": 8.0},
            {"code": "c", "label": "Lowered by a worker", "points": -4.0},
            {"code": "d", "label": "Middle", "points": 3.0},
            {"code": "e", "label": "Also middle", "points": 2.0},
        ]
    )
    assert top_reasons(contributions, 3) == [
        {"label": "Big", "points": 8.0},
        {"label": "Middle", "points": 3.0},
        {"label": "Also middle", "points": 2.0},
    ]
    assert top_reasons(None, 3) == []


def test_the_childs_age_row_is_not_a_reason():
    contributions = [
        {"code": "child_age", "kind": "age", "label": "Child's age", "points": 10.0},
        {"code": "domestic_abuse", "kind": "indicator", "label": "Domestic abuse", "points": 5.0},
    ]
    assert top_reasons(contributions, 3) == [{"label": "Domestic abuse", "points": 5.0}]


def test_a_hotspot_is_reviewed_only_within_the_review_interval(settings):
    # One rule with the web pages: every hotspot is reviewed at least every N days.
    settings["digest"]["unreviewed_after_days"] = 7
    digest = build(
        settings,
        [
            # red since the 1st, reviewed on the 2nd (24 days ago): due again, and overdue
            case(1, "A", score=20, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-11-02"),
            # red since the 1st, reviewed before that and long ago: unreviewed for 25 days
            case(2, "B", score=19, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-10-20"),
            # red for 3 days, never reviewed: not reviewed, but not yet overdue
            case(3, "C", score=18, band="red", red_since="2026-11-23"),
            # turned red today, reviewed 2 days ago (within the 7 days): reviewed
            case(4, "D", score=17, band="red", red_since="2026-11-26",
                 last_reviewed_on="2026-11-24"),
            # reviewed exactly 7 days ago: still within the interval
            case(5, "E", score=16, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-11-19"),
        ],
    )  # fmt: skip
    state = {r["case_ref"]: (r["reviewed"], r["days_red"]) for r in digest["top_hotspots"]}
    assert state == {
        "A": (False, 25), "B": (False, 25), "C": (False, 3), "D": (True, 0), "E": (True, 25),
    }  # fmt: skip
    assert [r["case_ref"] for r in digest["unreviewed"]] == ["A", "B"]


def test_red_since_falls_back_to_the_score_date_without_history(settings):
    digest = build(settings, [case(1, "A", score=20, band="red", scored_on="2026-11-10")])
    assert digest["top_hotspots"][0]["days_red"] == 16


def test_cases_with_no_domestic_abuse_enquiry_are_listed_once_the_enquiry_is_due(settings):
    due = settings["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"]
    assert due == 28
    digest = build(
        settings,
        [
            case(1, "OLD", score=5, band="green", has_domestic_abuse_enquiry=0,
                 opened_on="2026-10-01"),
            case(2, "NEW", score=9, band="amber", has_domestic_abuse_enquiry=0,
                 opened_on="2026-11-20"),
            case(3, "ASKED", score=9, band="amber", has_domestic_abuse_enquiry=1,
                 opened_on="2026-10-01"),
        ],
    )  # fmt: skip
    assert [r["case_ref"] for r in digest["no_domestic_abuse_enquiry"]] == ["OLD"]
    assert digest["no_domestic_abuse_enquiry"][0]["days_open"] == 56


def test_unallocated_cases_are_listed_only_when_they_carry_indicators(settings):
    digest = build(
        settings,
        [
            case(1, "U1", score=10, band="amber", worker=None, current_indicators=2),
            case(2, "U2", score=3, band="green", worker=None, current_indicators=0),
            case(3, "A1", score=10, band="amber", current_indicators=2),
        ],
    )
    assert [r["case_ref"] for r in digest["unallocated"]] == ["U1"]
    assert digest["unallocated"][0]["worker"] is None


def test_each_worker_has_a_caseload_size_and_hotspot_count_most_hotspots_first(settings):
    digest = build(
        settings,
        [
            case(1, "A", score=20, band="red", worker=11),
            case(2, "B", score=3, band="green", worker=10),
            case(3, "C", score=3, band="green", worker=10),
            case(4, "D", score=3, band="green", worker=None),
        ],
        workers=[*WORKERS, {"id": 12, "name": "Newly Joined"}],
    )
    assert digest["workers"] == [
        {"name": "Wendy Worker", "caseload": 1, "hotspots": 1},
        {"name": "Will Worker", "caseload": 2, "hotspots": 0},
        {"name": "Newly Joined", "caseload": 0, "hotspots": 0},
    ]


def test_links_go_to_the_case_page_under_the_base_url(settings):
    settings["digest"]["base_url"] = "https://hotspots.council.example/"
    digest = build(settings, [case(1, "N/1 2", score=20, band="red")])
    assert digest["top_hotspots"][0]["url"] == "https://hotspots.council.example/cases/N%2F1%202"


def test_the_digest_carries_initials_not_dates_of_birth(settings):
    row = case(1, "A", score=20, band="red", date_of_birth="2025-08-17")
    digest = build(settings, [row])
    assert "2025-08-17" not in json.dumps(digest, default=str)
    assert digest["top_hotspots"][0]["initials"] == "AB"


def test_digest_days_are_the_send_days_except_bank_holidays():
    holidays = {date(2026, 12, 25), date(2026, 12, 28)}
    assert is_digest_day(date(2026, 12, 24), "mon-fri", holidays)  # Thursday
    assert not is_digest_day(date(2026, 12, 25), "mon-fri", holidays)  # Christmas Day
    assert not is_digest_day(date(2026, 12, 26), "mon-fri", holidays)  # Saturday
    assert not is_digest_day(date(2026, 12, 28), "mon-fri", holidays)  # Boxing Day (moved)
    assert is_digest_day(date(2026, 12, 29), "mon-fri", holidays)


def test_send_days_read_like_apscheduler_day_of_week():
    assert weekdays("mon-fri") == {0, 1, 2, 3, 4}
    assert weekdays("mon,wed,fri") == {0, 2, 4}
    assert weekdays("sat-mon") == {5, 6, 0}
    assert weekdays("*") == set(range(7))
    with pytest.raises(ValueError, match="send_days"):
        weekdays("funday")
