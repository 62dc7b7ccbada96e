"""The digest builder: plain data in, plain data out, fixed dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots import rules
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
        "score_then": None,
        "red_since": None,
        "last_reviewed_on": None,
        "practice_gaps": 0,
        "current_concerns": 1,
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


def refs(rows):
    return [r["case_ref"] for r in rows]


def test_it_counts_open_cases_and_hotspots(settings):
    digest = build(
        settings,
        [
            case(1, "A", score=30, band="red"),
            case(2, "B", score=29, band="red"),
            case(3, "C", score=8, band="amber"),
            case(4, "D", score=None, band=None),
        ],
    )
    assert digest["counts"]["open_cases"] == 4
    assert digest["counts"]["hotspots"] == 2
    assert refs(digest["top_cases"]) == ["A", "B", "C"]  # every scored case, highest first
    assert [r["band_words"] for r in digest["top_cases"]] == ["Hotspot", "Hotspot", "Amber"]


def test_the_highest_ranked_cases_are_cut_to_the_configured_number(settings):
    settings["digest"]["top_hotspots"] = 2
    cases = [case(i, f"R{i}", score=28 + i, band="red") for i in range(5)]
    digest = build(settings, cases)
    assert refs(digest["top_cases"]) == ["R4", "R3"]
    assert digest["counts"]["hotspots"] == 5


def test_a_day_without_hotspots_still_lists_the_highest_ranked_cases_with_reasons(settings):
    reasons = json.dumps([{"code": "domestic_abuse", "kind": "indicator",
                           "label": "Domestic abuse", "points": 5.0}])  # fmt: skip
    digest = build(
        settings,
        [
            case(1, "A", score=27, band="amber", contributions=reasons, current_concerns=4),
            case(2, "B", score=4, band="green"),
        ],
    )
    assert digest["counts"]["hotspots"] == 0
    assert digest["counts"]["several_concerns"] == 1
    assert refs(digest["top_cases"]) == ["A", "B"]
    assert digest["top_cases"][0]["reasons"] == [
        {"code": "domestic_abuse", "label": "Domestic abuse", "points": 5.0}
    ]


def test_a_hotspot_is_new_when_it_was_not_red_on_the_previous_digests_date(settings):
    history = {
        1: [("2026-11-23", 30.0, "red"), ("2026-11-26", 31.0, "red")],
        2: [("2026-11-23", 12.0, "amber"), ("2026-11-26", 30.0, "red")],
        3: [("2026-11-25", 30.0, "red")],  # no row on or before the 23rd, opened since: new
        4: [("2026-11-25", 30.0, "red")],  # no row on or before the 23rd, opened long ago
    }
    digest = build(
        settings,
        [
            case(1, "A", score=31, band="red"),
            case(2, "B", score=30, band="red"),
            case(3, "C", score=30, band="red", opened_on="2026-11-24"),
            case(4, "D", score=30, band="red", opened_on="2026-01-05"),
        ],
        history,
        previous=date(2026, 11, 23),
    )
    assert {r["case_ref"]: r["new"] for r in digest["top_cases"]} == {
        "A": False,
        "B": True,
        "C": True,
        "D": False,  # history starts after the 23rd: not known to be new
    }
    assert digest["counts"]["new_hotspots"] == 2
    assert digest["since"] == date(2026, 11, 23)


def test_without_a_previous_digest_new_means_not_red_the_day_before(settings):
    history = {1: [("2026-11-23", 30.0, "red"), ("2026-11-25", 12.0, "amber")]}
    digest = build(settings, [case(1, "A", score=30, band="red")], history)
    assert digest["since"] == date(2026, 11, 25)
    assert digest["top_cases"][0]["new"] is True


def test_the_trend_is_the_score_less_the_score_on_the_trend_day(settings):
    digest = build(
        settings,
        [
            case(1, "A", score=16.25, band="amber", score_then=10.0),
            case(2, "B", score=15, band="amber", score_then=None),  # no history that old
        ],
    )
    trends = {r["case_ref"]: r["trend"] for r in digest["top_cases"]}
    assert trends == {"A": 6.25, "B": None}


def test_rising_fastest_lists_rises_of_at_least_the_threshold_biggest_first(settings):
    settings["digest"]["rising_min_points"] = 2.0
    digest = build(
        settings,
        [
            case(1, "A", score=6.5, band="green", score_then=5.0),  # +1.5: not rising
            case(2, "B", score=9.0, band="amber", score_then=5.0),  # +4
            case(3, "C", score=15.0, band="amber", score_then=5.0),  # +10
        ],
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
        {"code": "b", "label": "Big", "points": 8.0},
        {"code": "d", "label": "Middle", "points": 3.0},
        {"code": "e", "label": "Also middle", "points": 2.0},
    ]
    assert top_reasons(None, 3) == []


def test_the_childs_age_row_is_not_a_reason():
    contributions = [
        {"code": "child_age", "kind": "age", "label": "Child's age", "points": 10.0},
        {"code": "domestic_abuse", "kind": "indicator", "label": "Domestic abuse", "points": 5.0},
    ]
    assert top_reasons(contributions, 3) == [
        {"code": "domestic_abuse", "label": "Domestic abuse", "points": 5.0}
    ]


def test_a_hotspot_is_reviewed_only_within_the_review_interval(settings):
    # One rule with the web pages: every hotspot is reviewed at least every N days.
    settings["digest"]["unreviewed_after_days"] = 7
    digest = build(
        settings,
        [
            # red since the 1st, reviewed on the 2nd (24 days ago): due again, and overdue
            case(1, "A", score=35, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-11-02"),
            # red since the 1st, reviewed before that and long ago: unreviewed for 25 days
            case(2, "B", score=34, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-10-20"),
            # red for 3 days, never reviewed: not reviewed, but not yet overdue
            case(3, "C", score=33, band="red", red_since="2026-11-23"),
            # turned red today, reviewed 2 days ago (within the 7 days): reviewed
            case(4, "D", score=32, band="red", red_since="2026-11-26",
                 last_reviewed_on="2026-11-24"),
            # reviewed exactly 7 days ago: still within the interval
            case(5, "E", score=31, band="red", red_since="2026-11-01",
                 last_reviewed_on="2026-11-19"),
        ],
    )  # fmt: skip
    state = {r["case_ref"]: (r["reviewed"], r["days_red"]) for r in digest["top_cases"]}
    assert state == {
        "A": (False, 25), "B": (False, 25), "C": (False, 3), "D": (True, 0), "E": (True, 25),
    }  # fmt: skip
    assert refs(digest["unreviewed"]) == ["A", "B"]


def test_red_since_falls_back_to_the_score_date_without_history(settings):
    digest = build(settings, [case(1, "A", score=30, band="red", scored_on="2026-11-10")])
    assert digest["top_cases"][0]["days_red"] == 16


def test_the_practice_gap_lists_read_the_gaps_stored_with_the_score(settings):
    no_enquiry = rules.GAP_BITS["no_domestic_abuse_enquiry"]
    digest = build(
        settings,
        [
            case(1, "OLD", score=5, band="green", practice_gaps=no_enquiry),
            case(2, "ASKED", score=9, band="amber", practice_gaps=0),
        ],
    )
    assert refs(digest["no_domestic_abuse_enquiry"]) == ["OLD"]
    assert digest["counts"]["no_domestic_abuse_enquiry"] == 1


def test_needs_you_today_lists_each_hotspot_that_needs_an_action_with_that_action(settings):
    overdue = rules.GAP_BITS["visit_overdue"]
    history = {i: [("2026-11-20", 30.0, "red")] for i in (3, 4, 5)}
    digest = build(
        settings,
        [
            case(1, "UNALLOCATED", score=40, band="red", worker=None),
            case(2, "NEW", score=39, band="red", opened_on="2026-11-26"),
            case(3, "UNREVIEWED", score=38, band="red", red_since="2026-11-10"),
            case(4, "UNVISITED", score=37, band="red", red_since="2026-11-20",
                 practice_gaps=overdue, last_reviewed_on="2026-11-24"),
            case(5, "IN HAND", score=36, band="red", red_since="2026-11-20",
                 last_reviewed_on="2026-11-24"),
            case(6, "AMBER", score=20, band="amber", worker=None),
        ],
        history,
    )  # fmt: skip
    actions = {r["case_ref"]: r["action"] for r in digest["needs_you"]}
    assert list(actions) == ["UNALLOCATED", "NEW", "UNREVIEWED", "UNVISITED"]
    assert actions["UNALLOCATED"].startswith("Unallocated hotspot: allocate it")
    assert actions["NEW"].startswith("New hotspot")
    assert actions["UNREVIEWED"] == (
        "Hotspot not reviewed for 16 days: review it and record the plan"
    )
    assert actions["UNVISITED"].startswith("Hotspot with a visit overdue")
    assert digest["counts"]["needs_you"] == 4


def test_each_worker_has_a_caseload_size_and_hotspot_count_most_hotspots_first(settings):
    digest = build(
        settings,
        [
            case(1, "A", score=30, band="red", worker=11),
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
    settings["app"]["base_url"] = "https://hotspots.council.example/"
    digest = build(settings, [case(1, "N/1 2", score=30, band="red")])
    assert digest["top_cases"][0]["url"] == "https://hotspots.council.example/cases/N%2F1%202"


def test_the_digest_carries_initials_not_dates_of_birth(settings):
    row = case(1, "A", score=30, band="red", date_of_birth="2025-08-17")
    digest = build(settings, [row])
    assert "2025-08-17" not in json.dumps(digest, default=str)
    assert digest["top_cases"][0]["initials"] == "AB"


def render_text(digest):
    from hotspots.sending import render_digest

    subject, text, html = render_digest(digest)
    return subject, text, html


def test_a_quiet_day_never_reads_as_nothing_to_worry_about(settings):
    """The review's pattern below red: the email says no case is a hotspot, but leads the
    manager to the cases with several current concerns, with their reasons."""
    reasons = json.dumps([{"code": "accumulation", "kind": "accumulation",
                           "label": "Several concerns", "points": 8.0}])  # fmt: skip
    digest = build(
        settings,
        [
            case(1, "R1", score=27.5, band="amber", contributions=reasons, current_concerns=4),
            case(2, "Q1", score=3, band="green"),
        ],
    )
    subject, text, html = render_text(digest)
    assert "0 hotspots" in subject
    for body in (text, html):
        assert "No hotspots in the team today" not in body
        assert "No case is in the Hotspot band today" in body
        assert "1 of them has 3 or more current concerns" in body
        assert "R1" in body and "Several concerns" in body
        assert "Amber" in body


def test_a_busy_day_leads_with_what_needs_the_manager_and_uses_the_sites_words(settings):
    digest = build(
        settings,
        [case(1, "U1", score=40, band="red", worker=None), case(2, "G1", score=2, band="green")],
    )
    subject, text, html = render_text(digest)
    assert subject.endswith(": 1 hotspot, 1 needs you today")
    assert text.index("NEEDS YOU TODAY") < text.index("HIGHEST-RANKED CASES")
    assert "U1 (AB), unallocated: Unallocated hotspot: allocate it to a worker today." in text
    assert "Hotspot, score 40.0" in text
    assert " red" not in text.lower().replace("hotspot", "")  # the site's words, not "red"


def test_a_quiet_day_gives_a_short_email(settings):
    quiet = build(settings, [case(1, "G1", score=2, band="green")])
    busy = build(
        settings,
        [case(i, f"C{i}", score=30 + i, band="red", worker=None,
              practice_gaps=rules.GAP_BITS["no_domestic_abuse_enquiry"], score_then=1.0)
         for i in range(10)],
    )  # fmt: skip
    quiet_lines = render_text(quiet)[1].strip().splitlines()
    busy_lines = render_text(busy)[1].strip().splitlines()
    assert len(quiet_lines) < 30 < len(busy_lines)


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


def test_a_case_without_initials_shows_its_reference_alone(settings):
    """An Annex A workbook holds no names, so cases it creates have no initials."""
    digest = build(settings, [case(1, "7310000", score=30, band="red", initials="")])
    subject, text, html = render_text(digest)
    assert "7310000, Will Worker" in text and "()" not in text
    assert "7310000</a>, Will Worker" in html and "()" not in html
