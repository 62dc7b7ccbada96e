"""The digest builder: plain data in, plain data out, fixed dates."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.base.config import load_config
from hotspots.model import rules
from hotspots.model.digest import build_digest, is_digest_day, top_reasons, weekdays

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
        "visit_every_days": 28,  # next due 14 December: seen on time
        "score": score,
        "band": band,
        "contributions": "[]",
        "scored_on": "2026-11-26",
        "score_then": None,
        "last_reviewed_on": None,
        "last_reviewed_at": None,
        "open_actions": 0,
        "last_action_closed_at": None,
        "practice_gaps": 0,
        "current_concerns": 1,
    }
    row.update(extra)
    return row


def build(settings, cases, history=None, previous=None, workers=WORKERS, overdue_actions=()):
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
        overdue_actions=overdue_actions,
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


def test_a_hotspot_awaits_a_review_unless_one_is_in_hand(settings):
    # One rule with the web pages (rules.awaits_review): open actions, or a review within the
    # last N days with nothing closed since, are a review in hand.
    settings["digest"]["unreviewed_after_days"] = 7
    digest = build(
        settings,
        [
            # reviewed 24 days ago: awaits a review again
            case(1, "A", score=35, band="red", last_reviewed_on="2026-11-02",
                 last_reviewed_at="2026-11-02T10:00:00.000000+00:00"),
            # never reviewed: awaits one (however new the hotspot: no grace from score history)
            case(2, "B", score=34, band="red"),
            # reviewed 2 days ago: in hand
            case(3, "C", score=33, band="red", last_reviewed_on="2026-11-24",
                 last_reviewed_at="2026-11-24T10:00:00.000000+00:00"),
            # reviewed exactly 7 days ago: still within the interval
            case(4, "D", score=32, band="red", last_reviewed_on="2026-11-19",
                 last_reviewed_at="2026-11-19T10:00:00.000000+00:00"),
            # reviewed long ago, but an agreed action is still open: in hand
            case(5, "E", score=31, band="red", last_reviewed_on="2026-10-01",
                 last_reviewed_at="2026-10-01T10:00:00.000000+00:00", open_actions=1),
            # reviewed 2 days ago and its action closed since: review it again
            case(6, "F", score=30, band="red", last_reviewed_on="2026-11-24",
                 last_reviewed_at="2026-11-24T10:00:00.000000+00:00",
                 last_action_closed_at="2026-11-25T15:00:00.000000+00:00"),
            # not a hotspot: no review awaited
            case(7, "G", score=10, band="amber"),
        ],
    )  # fmt: skip
    assert refs(digest["awaiting_review"]) == ["A", "B", "F"]
    assert digest["counts"]["awaiting_review"] == 3


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


def unseen(**extra):
    """A hotspot whose child was last seen on 1 November with visits every 14 days: due by
    15 November, 11 days before the digest."""
    return {"last_visit_on": "2026-11-01", "visit_every_days": 14, **extra}


def overdue_action(case_id, ref, *, due_on, kind="joint_visit_health_visitor"):
    return {
        "id": case_id * 10,
        "case_id": case_id,
        "case_ref": ref,
        "initials": "AB",
        "kind": kind,
        "owner_name": "Will Worker",
        "due_on": due_on,
        "worker_id": 10,
    }


def test_needs_you_today_leads_with_children_not_seen_then_new_unallocated_and_late_actions(
    settings,
):
    history = {i: [("2026-11-20", 30.0, "red")] for i in (3, 4, 5, 6)}
    reviewed = {"last_reviewed_on": "2026-11-24",
                "last_reviewed_at": "2026-11-24T09:00:00.000000+00:00"}  # fmt: skip
    digest = build(
        settings,
        [
            case(1, "UNALLOCATED", score=40, band="red", worker=None, **reviewed),
            case(2, "NEW", score=39, band="red", opened_on="2026-11-26"),
            case(3, "AWAITING", score=38, band="red"),
            case(4, "UNSEEN", score=37, band="red", **unseen(**reviewed)),
            case(5, "IN HAND", score=36, band="red", **reviewed),
            case(6, "LATE", score=20, band="amber", open_actions=1),
            case(7, "AMBER", score=20, band="amber", worker=None),
        ],
        history,
        overdue_actions=[overdue_action(6, "LATE", due_on="2026-11-20")],
    )
    lines = digest["needs_you"]
    assert [(line["kind"], line["case_ref"]) for line in lines] == [
        ("unseen", "UNSEEN"),
        ("new", "NEW"),
        ("unallocated", "UNALLOCATED"),
        ("action_overdue", "LATE"),
        ("awaiting_review", None),
    ]
    unseen_line, new, unallocated, late, awaiting = lines
    assert unseen_line["fact"] == (
        "Hotspot: the child was last seen on 1 November 2026, and a visit was due by "
        "15 November 2026, 11 days ago"
    )
    assert unseen_line["todo"] == "make sure the child is seen today"
    assert new["fact"] == "New hotspot, score 39.0"
    assert new["todo"] == "agree with Will Worker what to do, and record the review"
    assert unallocated["todo"] == "allocate it to a worker today"
    assert late["fact"] == (
        "Action past its due date: Joint visit with the health visitor, by Will Worker, due by "
        "20 November 2026, 6 days ago"
    )
    # The days come from the case's own records: AWAITING opened on 5 January and was never
    # reviewed, whatever its score history says.
    assert awaiting["fact"] == (
        "1 hotspot awaits a review: AWAITING (AB), not reviewed since it opened on 5 January 2026"
    )
    assert digest["counts"]["needs_you"] == 5


def test_a_hotspot_gets_one_line_its_most_urgent(settings):
    # Not seen on time, new (amber yesterday), unallocated, and with an action past its date.
    digest = build(
        settings,
        [case(1, "ALL", score=40, band="red", worker=None, opened_on="2026-11-01",
              last_visit_on=None, visit_every_days=14)],
        history={1: [("2026-11-25", 20.0, "amber")]},
        overdue_actions=[overdue_action(1, "ALL", due_on="2026-11-20")],
    )  # fmt: skip
    [line] = digest["needs_you"]
    assert line["kind"] == "unseen"
    assert line["fact"] == (
        "Unallocated hotspot: no visit where the child was seen is recorded since the case "
        "opened on 1 November 2026, and a visit was due by 15 November 2026, 11 days ago"
    )
    assert line["todo"] == "allocate it today so that the child is seen"
    assert digest["counts"]["new_hotspots"] == 1 and digest["counts"]["actions_overdue"] == 1


def test_needs_you_today_never_runs_past_ten_lines_and_names_every_child_not_seen(settings):
    cases = [case(i, f"U{i:02}", score=60 - i, band="red", **unseen()) for i in range(12)]
    cases += [case(20 + i, f"W{i}", score=30, band="red") for i in range(5)]  # awaiting review
    cases.append(case(40, "NEW", score=31, band="red", opened_on="2026-11-26"))
    digest = build(settings, cases)
    lines = digest["needs_you"]
    assert len(lines) == 10
    assert [line["case_ref"] for line in lines[:9]] == [f"U{i:02}" for i in range(9)]
    last = lines[-1]
    assert last["kind"] == "more"
    assert last["fact"] == (
        "Also not seen on time: U09 (AB), U10 (AB) and U11 (AB); 1 more new hotspot; "
        "5 hotspots await a review (the longest waiting since 5 January 2026)"
    )
    assert last["todo"] == "see them all on the team page"
    assert digest["counts"]["needs_you"] == 18  # 12 + 1 + 5: the subject counts them all


def test_the_longest_wait_for_a_review_counts_from_the_cases_own_records(settings):
    digest = build(
        settings,
        [
            case(1, "DONE", score=40, band="red", last_reviewed_on="2026-11-20",
                 last_reviewed_at="2026-11-20T10:00:00.000000+00:00",
                 last_action_closed_at="2026-11-22T10:00:00.000000+00:00"),
            case(2, "OLD", score=39, band="red", last_reviewed_on="2026-10-01",
                 last_reviewed_at="2026-10-01T10:00:00.000000+00:00"),
        ],
    )  # fmt: skip
    [line] = digest["needs_you"]
    assert line["fact"] == (
        "2 hotspots await a review; the longest waiting is OLD (AB), last reviewed on "
        "1 October 2026"
    )
    assert line["todo"] == "review them with their workers"


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
    from hotspots.services.sending import render_digest

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
    assert "- U1 (AB): Unallocated hotspot, open since 5 January 2026: allocate it to a " in text
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
