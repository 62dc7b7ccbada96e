"""Serious incidents' rules (hotspots.model.incidents): the deadlines in working days, their states,
the checks on an incident's days, and the look-back and recall over plain data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hotspots.base.config import load_config
from hotspots.model import incidents, scoring
from hotspots.model.incidents import Action, Question, Record
from hotspots.model.working_days import bank_holidays

HOLIDAYS = frozenset(bank_holidays())
SCORING = load_config()["scoring"]
FEATURES = SCORING["review_pattern"]["features"]


# --- deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "notify_by"),
    [
        # Christmas Day, Boxing Day, a weekend and New Year's Day in between.
        (date(2025, 12, 23), date(2026, 1, 2)),
        # Boxing Day 2026 is a Saturday: its substitute is Monday 28 December.
        (date(2026, 12, 23), date(2027, 1, 4)),
        # Aware on a Friday: the next five working days are the following week.
        (date(2026, 3, 6), date(2026, 3, 13)),
        # Aware on a Sunday.
        (date(2026, 3, 8), date(2026, 3, 13)),
        # Easter: Good Friday 3 April and Easter Monday 6 April 2026.
        (date(2026, 4, 2), date(2026, 4, 13)),
    ],
)
def test_the_panel_is_notified_within_five_working_days_of_becoming_aware(aware, notify_by):
    assert incidents.notify_panel_by(aware, HOLIDAYS) == notify_by


def test_the_rapid_review_is_due_fifteen_working_days_after_the_notification():
    # Notified on the last day, Friday 2 January 2026: three whole weeks later.
    assert incidents.rapid_review_by(date(2025, 12, 23), None, HOLIDAYS) == date(2026, 1, 23)
    # Notified early, on Wednesday 24 December 2025: the holidays are skipped again (29, 30
    # and 31 December, 2 January, then 11 working days to Monday 19 January).
    early = incidents.rapid_review_by(date(2025, 12, 23), date(2025, 12, 24), HOLIDAYS)
    assert early == date(2026, 1, 19)
    # Across the 2026 substitute day: notified Thursday 24 December 2026 (29, 30, 31
    # December, then 4 January on).
    late_2026 = incidents.rapid_review_by(date(2026, 12, 23), date(2026, 12, 24), HOLIDAYS)
    assert late_2026 == date(2027, 1, 19)


def test_a_deadline_is_due_then_overdue_by_working_days_and_done_on_time_or_late():
    due = date(2026, 1, 2)  # a Friday
    assert incidents.deadline(due, None, date(2025, 12, 29), HOLIDAYS).words() == (
        "Due in 3 working days"  # 30 and 31 December, 2 January
    )
    assert incidents.deadline(due, None, due, HOLIDAYS).words() == "Due today"
    overdue = incidents.deadline(due, None, date(2026, 1, 6), HOLIDAYS)
    assert (overdue.state, overdue.words()) == ("overdue", "Overdue by 2 working days")
    assert incidents.deadline(due, date(2026, 1, 2), date(2026, 2, 1), HOLIDAYS).state == "done"
    late = incidents.deadline(due, date(2026, 1, 5), date(2026, 2, 1), HOLIDAYS)
    assert (late.state, late.words(), late.open) == ("done_late", "Done 1 working day late", False)


def test_an_incidents_days_are_checked_with_reasons_a_person_can_act_on():
    today = date(2026, 3, 2)
    assert (
        incidents.date_problems(
            occurred_on=date(2026, 2, 20), known_on=date(2026, 2, 20), as_of=today
        )
        == []
    )
    problems = dict(
        incidents.date_problems(
            occurred_on=date(2026, 2, 20), known_on=date(2026, 2, 19), as_of=today
        )
    )
    assert "before the incident (2026-02-20)" in problems["known_on"]
    future = incidents.date_problems(
        occurred_on=date(2026, 3, 3), known_on=date(2026, 3, 3), as_of=today
    )
    assert [name for name, _ in future] == ["occurred_on", "known_on"]
    assert "in the future" in future[0][1]
    unborn = incidents.date_problems(
        occurred_on=date(2026, 1, 1),
        known_on=date(2026, 1, 2),
        as_of=today,
        date_of_birth=date(2026, 2, 1),
    )
    assert unborn[0][0] == "occurred_on" and "date of birth" in unborn[0][1]
    assert "2026-03-01" not in str(unborn)  # the child's date of birth is never shown


# --- the look-back -----------------------------------------------------------------------

INCIDENT = date(2026, 3, 1)
DAYS = incidents.window(INCIDENT, 90)


def case_facts(**kwargs) -> scoring.CaseFacts:
    facts = {
        "date_of_birth": date(2025, 6, 1),
        "opened_on": date(2025, 10, 1),
        "allocated": True,
        "visit_every_days": 28,
        "last_visit_on": date(2026, 2, 20),
    }
    return scoring.CaseFacts(**(facts | kwargs))


def history(bands: dict[range, str]) -> dict[date, tuple[float, str, str]]:
    """Kept history rows for day offsets before the incident (1 = the day before)."""
    kept = {}
    for offsets, band in bands.items():
        for back in offsets:
            kept[INCIDENT - timedelta(days=back)] = ({"red": 30.0}.get(band, 10.0), band, "v1")
    return kept


def look_back(**kwargs) -> incidents.LookBack:
    arguments = {
        "occurred_on": INCIDENT,
        "look_back_days": 90,
        "history": {},
        "hindsight_scores": {},
        "reviews": [],
        "actions": [],
        "questions": [],
        "records": [],
        "features": FEATURES,
    }
    return incidents.look_back(**(arguments | kwargs))


def test_the_look_back_covers_the_days_before_the_incident_and_not_its_own():
    assert DAYS[0] == date(2025, 12, 1) and DAYS[-1] == date(2026, 2, 28)
    assert len(DAYS) == 90 and INCIDENT not in DAYS


def test_the_first_red_day_and_the_day_before_come_from_the_kept_history():
    found = look_back(history=history({range(60, 90): "amber", range(1, 60): "red"}))
    assert found.first_red_on == INCIDENT - timedelta(days=59)
    assert found.red_days == 59 and found.red_day_before
    assert found.kept_days == 89


def test_a_day_without_a_run_shows_the_last_score_kept_before_it():
    kept = history({range(5, 20): "red"})
    assert look_back(history=kept).red_day_before  # 4 days without a score since
    assert not look_back(
        history=history({range(5, 20): "red", range(2, 5): "green"})
    ).red_day_before


def test_a_case_never_red_has_no_first_red_day():
    found = look_back(history=history({range(1, 91): "amber"}))
    assert (found.first_red_on, found.red_days, found.red_day_before) == (None, 0, False)


def test_history_before_the_look_back_does_not_count():
    found = look_back(history=history({range(91, 120): "red", range(1, 91): "green"}))
    assert found.first_red_on is None and not found.red_day_before


def test_a_review_counts_once_the_case_was_red_and_before_the_incident():
    kept = history({range(1, 31): "red"})
    red_from = INCIDENT - timedelta(days=30)
    before = look_back(history=kept, reviews=[red_from - timedelta(days=2)])
    assert before.reviews and not before.reviewed_once_red
    after = look_back(history=kept, reviews=[red_from + timedelta(days=3), INCIDENT])
    assert after.reviews == (red_from + timedelta(days=3),) and after.reviewed_once_red


def test_actions_agreed_once_red_count_as_done_only_when_done_before_the_incident():
    kept = history({range(1, 31): "red"})
    agreed = INCIDENT - timedelta(days=20)
    done = Action("Joint visit", "Ann", agreed + timedelta(days=5), agreed, agreed)
    undone = Action("Ask about domestic abuse", "Ann", None, None, agreed)
    late = Action("Strategy discussion", "Meg", None, INCIDENT, agreed)
    found = look_back(history=kept, actions=[done, undone, late])
    assert (found.actions_agreed, found.actions_done, found.all_actions_done) == (3, 1, False)
    assert look_back(history=kept, actions=[done]).all_actions_done
    assert not look_back(history=kept).all_actions_done  # nothing agreed is not "done"


def test_the_questions_count_only_when_asked_before_the_incident():
    found = look_back(
        questions=[
            Question("domestic_abuse", date(2026, 1, 5), "unable_to_ask", date(2026, 1, 5)),
            Question("domestic_abuse", date(2026, 1, 9), "not_disclosed", date(2026, 1, 20)),
            Question("parental_childhood", INCIDENT, "disclosed", INCIDENT),
        ]
    )
    assert found.questions["domestic_abuse"].asked_on == date(2026, 1, 9)
    assert found.questions["parental_childhood"] is None


def test_a_feature_recorded_late_is_told_apart_from_one_known_at_the_time():
    records = [
        Record(1, "parental_conflict", date(2025, 12, 1), date(2025, 12, 1)),
        # An earlier skull fracture, found after the incident.
        Record(2, "previous_injury", date(2026, 1, 10), date(2026, 3, 4)),
        Record(3, "domestic_abuse", date(2026, 1, 1), date(2026, 1, 1), "refuted"),
        Record(4, "new_partner", INCIDENT, INCIDENT),  # on the day: not before it
    ]
    found = look_back(records=records)
    assert found.features["parental_conflict"]["at_the_time"]
    injury = found.features["previous_injury"]
    assert (injury["at_the_time"], injury["in_hindsight"]) == (False, True)
    assert injury["first_recorded_on"] == date(2026, 3, 4)
    assert not found.features["domestic_abuse"]["in_hindsight"]
    assert not found.features["new_partner"]["in_hindsight"]
    assert [r["indicator"] for r in found.late_records] == ["previous_injury"]
    assert found.late_records[0]["after_incident"] and found.late_records[0]["days_late"] == 53


def test_hindsight_scores_every_open_day_from_the_facts_as_recorded_now():
    facts = case_facts(
        observations=(
            scoring.Observation(1, "previous_injury", date(2026, 2, 1), source="hospital"),
            scoring.Observation(2, "domestic_abuse", date(2026, 2, 1), source="police"),
        )
    )
    later = incidents.hindsight(facts, [], SCORING, DAYS)
    assert min(later) == date(2025, 12, 1)  # open since October
    assert later[date(2026, 1, 31)].score < later[date(2026, 2, 1)].score
    assert later[date(2026, 2, 2)] == scoring.score_case(
        facts, SCORING, date(2026, 2, 2), scoring.model_version(SCORING)
    )
    opened_later = incidents.hindsight(case_facts(opened_on=date(2026, 2, 1)), [], SCORING, DAYS)
    assert min(opened_later) == date(2026, 2, 1)


def test_hindsight_counts_a_visit_from_the_day_it_was_made_and_never_invents_a_gap():
    facts = case_facts(opened_on=date(2025, 6, 1), last_visit_on=date(2026, 2, 20))
    gaps = {
        day: [c.code for c in score.contributions if c.code == "visit_overdue"]
        for day, score in incidents.hindsight(facts, [date(2025, 12, 10)], SCORING, DAYS).items()
    }
    assert gaps[date(2026, 1, 7)] == []  # 28 days after the visit of 10 December
    assert gaps[date(2026, 1, 8)] == ["visit_overdue"]
    assert gaps[date(2026, 2, 20)] == []  # the visit the case records now
    # Only a later visit known: the day before it is not called overdue.
    known_later = incidents.hindsight(facts, [], SCORING, [date(2026, 1, 8)])
    assert "visit_overdue" not in [c.code for c in known_later[date(2026, 1, 8)].contributions]


def test_a_day_red_only_in_hindsight_shows_a_late_record():
    kept = history({range(1, 91): "amber"})
    red = scoring.Score(30.0, "red")
    found = look_back(
        history=kept,
        hindsight_scores={INCIDENT - timedelta(days=back): red for back in range(1, 41)},
    )
    assert found.first_red_on is None
    assert found.hindsight_first_red_on == INCIDENT - timedelta(days=40)
    assert sum(1 for d in found.days if d.late) == 40


# --- recall ------------------------------------------------------------------------------


def test_the_recall_counts_young_children_in_the_years_before_the_day():
    as_of = date(2026, 3, 1)
    born = date(2024, 1, 1)
    assert incidents.in_recall(date(2026, 2, 1), born, as_of, 2, 3)
    assert not incidents.in_recall(date(2024, 3, 1), born, as_of, 2, 3)  # two years ago exactly
    assert incidents.in_recall(date(2024, 3, 2), born, as_of, 2, 3)
    assert not incidents.in_recall(date(2027, 1, 2), born, as_of, 2, 3)  # after the day
    assert not incidents.in_recall(date(2027, 1, 1), born, date(2027, 2, 1), 2, 3)  # aged 3


def test_the_recall_sentence_counts_hotspots_the_day_before_reviews_and_actions_done():
    kept = history({range(1, 31): "red"})
    agreed = INCIDENT - timedelta(days=20)
    flagged_and_done = look_back(
        history=kept,
        reviews=[agreed],
        actions=[Action("Joint visit", "Ann", None, agreed + timedelta(days=1), agreed)],
    )
    flagged_reviewed = look_back(history=kept, reviews=[agreed])
    flagged_only = look_back(history=kept)
    missed = look_back(history=history({range(1, 91): "green"}))
    counts = incidents.recall(
        [flagged_and_done, flagged_reviewed, flagged_only, missed], years=2, under_years=3
    )
    assert {
        k: counts[k] for k in ("incidents", "hotspot_day_before", "reviewed", "actions_done")
    } == {
        "incidents": 4,
        "hotspot_day_before": 3,
        "reviewed": 2,
        "actions_done": 1,
    }
    assert counts["sentence"] == (
        "Of 4 incidents to children under 3 in the last 2 years, 3 were hotspots on the day "
        "before, 2 were reviewed, 1 had their agreed actions done."
    )
    assert incidents.recall([], years=2, under_years=3)["sentence"] == (
        "No incident to a child under 3 in the last 2 years is recorded."
    )
