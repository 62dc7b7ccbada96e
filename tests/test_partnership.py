"""The partnership's service (hotspots.services.partnership): recording serious incidents, the
look-back
on a generated authority with planted incidents, the review's table, the practice and the
workforce figures from live data, and what retention and later rescores leave alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotspots.base.dates import age_in_years, parse_date, stamp
from hotspots.model import rules, scoring
from hotspots.services import demo, partnership, rescoring, retention
from hotspots.services.partnership import NewIncident
from hotspots.services.partnership.report import month_ends
from hotspots.storage import partnership as store
from hotspots.storage.rescoring.facts import open_case_facts

LONDON = ZoneInfo("Europe/London")
INCIDENT = date(2026, 3, 10)  # a Tuesday
AWARE = date(2026, 3, 11)
RECORDED = date(2026, 3, 12)
START = INCIDENT - timedelta(days=95)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@dataclass(frozen=True)
class Actor:
    id: int | None = None
    email: str = "lead@example.org"


LEAD = Actor()

# The planted children: (case_ref, date of birth, [(indicator, observed days before the
# incident, recorded days before the incident)]). Each observation reaches the service on its
# recorded day, as the days are lived through one by one.
PLANTED = {
    # Conflict, domestic abuse, substance misuse and a new partner from 60 days before: the
    # review's pattern, a hotspot for weeks.
    "P-WEEKS": (
        date(2025, 9, 1),
        [
            ("parental_conflict", 60, 60),
            ("domestic_abuse", 60, 60),
            ("substance_misuse", 60, 60),
            ("new_partner", 60, 60),
        ],
    ),
    # Conflict, a stressful birth and feeding difficulties: three of the features, not the
    # pattern, until a previous injury observed 45 days before is recorded 10 days before.
    "P-LATE": (
        date(2025, 10, 1),
        [
            ("stressful_birth", 80, 80),
            ("feeding_difficulties", 70, 70),
            ("parental_conflict", 70, 70),
            ("previous_injury", 45, 10),
        ],
    ),
    # A school-age child with one low concern: never red.
    "P-NEVER": (date(2019, 5, 1), [("missed_appointments", 40, 40)]),
    # P-WEEKS's sibling, harmed in the same incident: a toddler with nothing recorded.
    "P-SIBLING": (date(2024, 6, 1), []),
}


@pytest.fixture
def authority(db, settings):
    """A generated authority (the demo's generator, 200 cases) with the planted children
    added to one worker's caseload, lived through day by day for 95 days: each day the
    observations that arrive are recorded, and the planted cases are scored as the service
    scores them (their stored score history)."""
    demo.load_demo(
        db,
        settings,
        cases=200,
        seed=7,
        as_of=START,
        now=at(START),
        password_hash="x",
        history_days=0,
    )
    worker_id, team_id = db.execute(
        "SELECT id, team_id FROM staff WHERE role = 'worker' ORDER BY id LIMIT 1"
    ).fetchone()
    cases = {}
    for ref, (born, _) in PLANTED.items():
        cases[ref] = (
            db["cases"]
            .insert(
                {
                    "case_ref": ref,
                    "initials": "PX",
                    "date_of_birth": born.isoformat(),
                    "team_id": team_id,
                    "worker_id": worker_id,
                    "opened_on": (START - timedelta(days=30)).isoformat(),
                    "visit_every_days": 365,
                    "last_visit_on": (START - timedelta(days=1)).isoformat(),
                    "status": "open",
                }
            )
            .last_pk
        )
    arrivals: dict[date, list] = {}
    for ref, (_, observations) in PLANTED.items():
        for n, (indicator, observed, recorded) in enumerate(observations):
            arrivals.setdefault(INCIDENT - timedelta(days=recorded), []).append(
                (ref, n, indicator, INCIDENT - timedelta(days=observed))
            )
    day = START
    while day <= RECORDED:
        for ref, n, indicator, observed_on in arrivals.get(day, []):
            db["observations"].insert(
                {
                    "external_id": f"planted:{ref}:{n}",
                    "case_id": cases[ref],
                    "indicator": indicator,
                    "observed_on": observed_on.isoformat(),
                    "source": "health_visiting",
                    "status": "current",
                    "recorded_at": stamp(at(day)),
                }
            )
        for case_id in cases.values():
            rescoring.rescore_case(db, case_id, settings, as_of=day, now=at(day, 23))
        day += timedelta(days=1)
    # P-WEEKS was reviewed 50 days before the incident, once it was red, and two actions
    # agreed: both done before the incident.
    review_id = (
        db["reviews"]
        .insert(
            {
                "case_id": cases["P-WEEKS"],
                "reviewed_by_id": worker_id,
                "reviewed_at": stamp(at(INCIDENT - timedelta(days=50))),
                "plan": "Joint visit with the health visitor",
                "decision": "act",
            }
        )
        .last_pk
    )
    for kind, done in (("joint_visit_health_visitor", 40), ("ask_domestic_abuse", 45)):
        db["actions"].insert(
            {
                "case_id": cases["P-WEEKS"],
                "review_id": review_id,
                "kind": kind,
                "description": "with the family's names, never shown",
                "owner_id": worker_id,
                "due_on": (INCIDENT - timedelta(days=30)).isoformat(),
                "created_by_id": worker_id,
                "created_at": stamp(at(INCIDENT - timedelta(days=50))),
                "state": "done",
                "closed_at": stamp(at(INCIDENT - timedelta(days=done))),
                "closed_by_id": worker_id,
                "outcome": "Done",
            }
        )
    return {"cases": cases, "worker_id": worker_id, "team_id": team_id, "review": review_id}


def record(db, ref: str, *, harm="serious_harm", reference="", occurred=INCIDENT, known=AWARE):
    new = NewIncident(ref, occurred, known, harm, "suspected", "", reference)
    return partnership.record_incident(db, new, actor=LEAD, now=at(RECORDED))


@pytest.fixture
def recorded(db, authority):
    """The planted incidents: one for P-WEEKS and its sibling, one each for the others."""
    together = record(db, "P-WEEKS", reference="SI-2026-01")
    partnership.add_child(db, together, "P-SIBLING", "serious_harm", actor=LEAD, now=at(RECORDED))
    record(db, "P-LATE", harm="died")
    record(db, "P-NEVER")
    return together


def children(db, settings, as_of=RECORDED):
    return {
        child.case_ref: (incident, child)
        for incident in partnership.all_incidents(db, settings, as_of=as_of)
        for child in incident.children
    }


def days_before(n: int) -> date:
    return INCIDENT - timedelta(days=n)


# --- the look-back on the planted incidents ----------------------------------------------


def test_a_child_who_was_a_hotspot_for_weeks_shows_it_from_the_kept_history(db, settings, recorded):
    _, child = children(db, settings)["P-WEEKS"]
    lb = child.look_back
    assert lb.first_red_on == days_before(60)
    assert lb.red_days == 60 and lb.red_day_before
    assert lb.hindsight_first_red_on == days_before(60)  # nothing arrived late
    assert not any(day.late for day in lb.days)
    assert lb.reviews == (days_before(50),) and lb.reviewed_once_red
    assert all(lb.features[code]["at_the_time"] for code in ("parental_conflict", "new_partner"))
    assert lb.questions == {"domestic_abuse": None, "parental_childhood": None}


def test_the_actions_agreed_once_red_are_read_with_whether_they_were_done_in_time(
    db, settings, recorded, authority
):
    lb = children(db, settings)["P-WEEKS"][1].look_back
    assert [(a.description, a.done_on) for a in lb.actions] == [
        ("Ask about domestic abuse", days_before(45)),
        ("Joint visit with the health visitor", days_before(40)),
    ]
    assert lb.all_actions_done and "names" not in str(lb.actions)
    # One closed as not done, one still open, one done only after the incident: none counts.
    db.execute("UPDATE actions SET state = 'not_done', outcome = 'Family moved' WHERE id = 1")
    db.execute(
        "UPDATE actions SET state = 'open', closed_at = NULL, closed_by_id = NULL WHERE id = 2"
    )
    lb = children(db, settings)["P-WEEKS"][1].look_back
    assert lb.actions[1].closed_not_done and lb.actions_done == 0 and not lb.all_actions_done
    report = partnership.partnership_report(db, settings, as_of=RECORDED, parts=("recall",))
    assert report["recall"]["actions_done"] == 0
    db.execute(
        "UPDATE actions SET state = 'done', closed_at = ? WHERE id IN (1, 2)",
        [stamp(at(INCIDENT + timedelta(days=1)))],
    )
    assert children(db, settings)["P-WEEKS"][1].look_back.actions_done == 0


def test_a_child_red_only_after_a_late_record_shows_the_late_days_in_hindsight(
    db, settings, recorded
):
    _, child = children(db, settings)["P-LATE"]
    lb = child.look_back
    # What the service showed: red only from the day the injury was recorded.
    assert lb.first_red_on == days_before(10)
    assert lb.red_day_before
    # In hindsight, red from the day the injury was observed.
    assert lb.hindsight_first_red_on == days_before(45)
    assert sum(1 for day in lb.days if day.late) == 35
    injury = lb.features["previous_injury"]
    assert injury["at_the_time"] and injury["first_recorded_on"] == days_before(10)
    assert [r["days_late"] for r in lb.late_records] == [35]
    assert not lb.late_records[0]["after_incident"]


def test_a_child_never_red_has_no_first_red_day_at_the_time_or_in_hindsight(db, settings, recorded):
    _, child = children(db, settings)["P-NEVER"]
    lb = child.look_back
    assert (lb.first_red_on, lb.red_days, lb.red_day_before) == (None, 0, False)
    assert lb.hindsight_first_red_on is None
    assert {day.band for day in lb.days} <= {"green", "amber"}
    assert lb.kept_days == 90


def test_siblings_are_one_incident_with_one_notification(db, settings, recorded):
    found = children(db, settings)
    together, _ = found["P-WEEKS"]
    assert found["P-SIBLING"][0].id == together.id == recorded
    assert [c.case_ref for c in together.children] == ["P-WEEKS", "P-SIBLING"]
    assert len(partnership.all_incidents(db, settings, as_of=RECORDED)) == 3
    assert together.notify_panel.due == date(2026, 3, 18)  # 5 working days after 11 March


def test_the_recall_counts_the_young_children_the_service_flagged(db, settings, recorded):
    report = partnership.partnership_report(db, settings, as_of=RECORDED)
    recall = report["recall"]
    # P-NEVER is six: not counted. P-WEEKS and P-LATE were red the day before; the sibling
    # was not; only P-WEEKS was reviewed once red, and its two agreed actions were done.
    assert {k: recall[k] for k in ("incidents", "hotspot_day_before", "reviewed")} == {
        "incidents": 3,
        "hotspot_day_before": 2,
        "reviewed": 1,
    }
    assert recall["actions_done"] == 1
    assert recall["sentence"].startswith("Of 3 incidents to children under 3 in the last 2 years")


def test_the_report_lists_each_child_of_each_incident_in_the_shape_the_issue_gives(
    db, settings, recorded
):
    report = partnership.partnership_report(db, settings, as_of=RECORDED)
    assert set(report) >= {"incidents", "review_table", "practice", "workforce"}
    json.dumps(report)  # plain data all through
    by_ref = {entry["case_ref"]: entry for entry in report["incidents"]}
    assert set(by_ref) == set(PLANTED)
    late = by_ref["P-LATE"]
    assert {k: late[k] for k in ("occurred_on", "known_on", "notify_panel_by", "first_red_on")} == {
        "occurred_on": "2026-03-10",
        "known_on": "2026-03-11",
        "notify_panel_by": "2026-03-18",
        "first_red_on": days_before(10).isoformat(),
    }
    assert late["rapid_review_by"] == "2026-04-10"  # 15 working days after 18 March, Easter
    assert late["hindsight_first_red_on"] == days_before(45).isoformat()
    assert by_ref["P-NEVER"]["first_red_on"] is None
    assert by_ref["P-WEEKS"]["reference"] == "SI-2026-01"
    assert "summary" not in late  # shown on the incident's page, never in an export


# --- what survives ------------------------------------------------------------------------


def test_retention_keeps_the_kept_history_and_the_case_an_incident_names(db, settings, recorded):
    ref = "P-LATE"
    case_id = db.execute("SELECT id FROM cases WHERE case_ref = ?", [ref]).fetchone()[0]
    db.execute(
        "UPDATE cases SET status = 'closed', closed_on = '2026-03-11' WHERE id = ?", [case_id]
    )
    before = children(db, settings)[ref][1].look_back
    later = at(date(2027, 6, 1))
    report = retention.apply_retention(
        db,
        settings | {"retention": settings["retention"] | {"closed_case_days": 30}},
        now=later,
    )
    assert ref not in report.cases and report.kept_for_incidents == 1
    assert report.score_history > 0  # the stored history itself went
    assert (
        db.execute("SELECT count(*) FROM score_history WHERE case_id = ?", [case_id]).fetchone()[0]
        == 0
    )
    after = children(db, settings, as_of=later.date())[ref][1].look_back
    assert after.days == before.days and after.first_red_on == days_before(10)
    assert "kept" in " ".join(report.lines())


def test_a_later_rescore_of_a_past_day_leaves_what_was_shown_at_the_time(db, settings, recorded):
    pattern_off = settings["scoring"]["review_pattern"] | {"min_features": 0}
    harsher = settings | {
        "scoring": settings["scoring"] | {"red_threshold": 500.0, "review_pattern": pattern_off}
    }
    rescoring.rescore_all(db, harsher, as_of=days_before(5), now=at(RECORDED), history_only=True)
    case_id = db.execute("SELECT id FROM cases WHERE case_ref = 'P-WEEKS'").fetchone()[0]
    stored = db.execute(
        "SELECT band FROM score_history WHERE case_id = ? AND day = ?",
        [case_id, days_before(5).isoformat()],
    ).fetchone()[0]
    assert stored != "red"  # the stored history was rewritten...
    lb = children(db, settings)["P-WEEKS"][1].look_back
    assert lb.red_days == 60  # ...the incident's copy was not


def test_recording_a_child_again_never_replaces_a_kept_day(db, settings, recorded):
    assert db.execute("SELECT count(*) FROM incident_score_history").fetchone()[0] > 0
    child_id, case_id = db.execute(
        "SELECT ch.id, ch.case_id FROM incident_children ch JOIN cases c ON c.id = ch.case_id "
        "WHERE c.case_ref = 'P-NEVER'"
    ).fetchone()
    db.execute("UPDATE score_history SET band = 'red' WHERE case_id = ?", [case_id])
    assert partnership.recording.keep_child_history(db, child_id, case_id, INCIDENT) == 0
    assert children(db, settings)["P-NEVER"][1].look_back.first_red_on is None


# --- recording ----------------------------------------------------------------------------


def test_an_incident_refused_says_why_on_each_field_and_records_nothing(db, settings, authority):
    with pytest.raises(partnership.IncidentRefused) as refused:
        partnership.record_incident(
            db,
            NewIncident("NOPE-1", INCIDENT, AWARE, "serious_harm", "suspected"),
            actor=LEAD,
            now=at(RECORDED),
        )
    assert refused.value.problems[0][0] == "case_ref" and "NOPE-1" in refused.value.problems[0][1]
    with pytest.raises(partnership.IncidentRefused) as refused:
        partnership.record_incident(
            db,
            NewIncident(
                "P-LATE", INCIDENT, INCIDENT - timedelta(days=1), "hurt", "maybe", "x" * 1001
            ),
            actor=LEAD,
            now=at(RECORDED),
        )
    assert [name for name, _ in refused.value.problems] == [
        "known_on",
        "harm",
        "abuse_or_neglect",
        "summary",
    ]
    assert db.execute("SELECT count(*) FROM serious_incidents").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM incident_children").fetchone()[0] == 0


def test_a_child_has_one_incident_a_day_and_a_reference_is_used_once(db, settings, recorded):
    with pytest.raises(partnership.IncidentRefused, match="already recorded for P-LATE"):
        record(db, "P-LATE")
    with pytest.raises(partnership.IncidentRefused, match="SI-2026-01 is already recorded"):
        record(db, "P-NEVER", reference="SI-2026-01", occurred=INCIDENT - timedelta(days=3))
    with pytest.raises(partnership.IncidentRefused, match="already recorded for P-SIBLING"):
        partnership.add_child(db, recorded, "P-SIBLING", "died", actor=LEAD, now=at(RECORDED))


def test_recording_a_case_reference_in_lower_case_finds_the_case(db, settings, authority):
    incident_id = record(db, "p-late")
    assert children(db, settings)["P-LATE"][0].id == incident_id


def test_recording_is_audited_on_each_childs_case(db, settings, recorded):
    rows = db.execute(
        "SELECT action, case_ref, detail FROM audit_log WHERE action IN "
        "('record_incident', 'add_incident_child') ORDER BY id"
    ).fetchall()
    assert [(action, ref) for action, ref, _ in rows] == [
        ("record_incident", "P-WEEKS"),
        ("add_incident_child", "P-SIBLING"),
        ("record_incident", "P-LATE"),
        ("record_incident", "P-NEVER"),
    ]
    detail = json.loads(rows[2][2])
    assert detail["history_days_kept"] >= 90 and detail["harm"] == "died"


def test_the_days_each_deadline_was_met_are_recorded_and_checked(db, settings, recorded):
    partnership.record_done(
        db,
        recorded,
        panel_notified_on=date(2026, 3, 13),
        rapid_review_on=None,
        actor=LEAD,
        now=at(date(2026, 3, 16)),
    )
    incident, _ = children(db, settings, as_of=date(2026, 3, 16))["P-WEEKS"]
    assert incident.notify_panel.state == "done"
    # 15 working days after Friday 13 March 2026: Good Friday and Easter Monday skipped.
    assert incident.rapid_review.due == date(2026, 4, 7)
    for notified, reviewed, field in (
        (date(2026, 3, 10), None, "panel_notified_on"),  # before the authority knew
        (date(2026, 3, 13), date(2026, 3, 12), "rapid_review_on"),  # before the notification
        (None, date(2026, 3, 13), "panel_notified_on"),  # a rapid review needs a notification
        (date(2026, 3, 17), None, "panel_notified_on"),  # in the future
    ):
        with pytest.raises(partnership.IncidentRefused) as refused:
            partnership.record_done(
                db,
                recorded,
                panel_notified_on=notified,
                rapid_review_on=reviewed,
                actor=LEAD,
                now=at(date(2026, 3, 16)),
            )
        assert refused.value.problems[0][0] == field
    progress = db.execute(
        "SELECT case_ref FROM audit_log WHERE action = 'record_incident_progress' ORDER BY id"
    ).fetchall()
    assert progress == [("P-WEEKS",), ("P-SIBLING",)]


def test_the_deadlines_on_the_report_day_say_what_is_due_and_overdue(db, settings, recorded):
    lines = partnership.open_deadlines(
        partnership.all_incidents(db, settings, as_of=date(2026, 3, 19))
    )
    assert [(line["what"][:6], line["deadline"].state) for line in lines] == [
        ("Notify", "overdue"),
        ("Notify", "overdue"),
        ("Notify", "overdue"),
    ]
    assert lines[0]["deadline"].words() == "Overdue by 1 working day"


def test_an_incident_the_authority_knew_of_only_later_is_not_in_an_earlier_report(
    db, settings, recorded
):
    assert partnership.all_incidents(db, settings, as_of=INCIDENT) == []


# --- the review's table, practice and the workforce ---------------------------------------


def test_the_review_table_counts_what_the_pattern_rule_counts_case_by_case(db, settings):
    as_of = date(2026, 3, 2)
    demo.load_demo(db, settings, cases=400, seed=3, as_of=as_of, now=at(as_of), password_hash="x")
    under = settings["partnership"]["children_under_years"]
    features = settings["scoring"]["review_pattern"]["features"]
    expected = dict.fromkeys(features, 0)
    young = pattern = 0
    for _row, facts in open_case_facts(db):
        if age_in_years(facts.date_of_birth, as_of) >= under:
            continue
        young += 1
        observations = scoring.scored_observations(facts, settings["scoring"])
        for code in features:
            expected[code] += any(
                o.indicator == code and rules.counts_on(o, as_of) for o in observations
            )
        pattern += bool(
            scoring.review_pattern_features(facts, settings["scoring"], as_of, observations)
        )
    table = partnership.partnership_report(db, settings, as_of=as_of, parts=("review_table",))[
        "review_table"
    ]
    assert table["open_cases"] == young > 20
    assert {f["code"]: f["cases"] for f in table["features"]} == expected
    assert table["pattern"] == pattern > 0
    assert [f["code"] for f in table["features"]] == features  # the rule's list, in its order


@pytest.mark.parametrize("as_of", [date(2026, 3, 2), date(2024, 2, 29), date(2025, 3, 1)])
def test_under_an_age_in_sql_is_the_age_rule_exactly(as_of):
    cutoff = store.born_after(as_of, 3)
    for back in range(3 * 365 - 5, 3 * 365 + 5):
        born = as_of - timedelta(days=back)
        assert (born.isoformat() > cutoff) == (age_in_years(born, as_of) < 3), born


def test_practice_by_team_and_month_agrees_with_the_rules_case_by_case(db, settings):
    as_of = date(2026, 3, 2)
    demo.load_demo(db, settings, cases=300, seed=5, as_of=as_of, now=at(as_of), password_hash="x")
    db.execute("UPDATE cases SET status = 'closed', closed_on = '2026-01-15' WHERE id % 7 = 0")
    db.execute("UPDATE cases SET status = 'closed', closed_on = NULL WHERE id % 11 = 0")
    db.execute("UPDATE cases SET status = 'closed', closed_on = '2026-01-31' WHERE id % 13 = 0")
    db.execute(
        "UPDATE enquiries SET asked_on = '2026-02-28' WHERE id % 5 = 0 AND asked_on > '2025-06-01'"
    )
    gaps = settings["scoring"]["practice_gaps"]
    ends = month_ends(as_of, 12)
    assert ends[:3] == [as_of, date(2026, 2, 28), date(2026, 1, 31)] and len(ends) == 12
    enquiries: dict[int, list] = {}
    for case_id, topic, asked_on, outcome in db.execute(
        "SELECT case_id, topic, asked_on, outcome FROM valid_enquiries"
    ):
        enquiries.setdefault(case_id, []).append(
            scoring.Enquiry(topic, parse_date(asked_on), outcome)
        )
    expected: dict[tuple, list[int]] = {}
    for case_id, team_id, opened_on, status, closed_on in db.execute(
        "SELECT id, team_id, opened_on, status, closed_on FROM cases"
    ):
        if status == "closed" and closed_on is None:
            continue
        for end in ends:
            if closed_on and parse_date(closed_on) <= end:
                continue
            if not end > rules.domestic_abuse_enquiry_due(parse_date(opened_on), gaps):
                continue
            counts = expected.setdefault((team_id, end.isoformat()), [0, 0, 0])
            counts[0] += 1
            counts[1] += rules.asked(enquiries.get(case_id, []), "domestic_abuse", end)
            counts[2] += rules.asked(enquiries.get(case_id, []), "parental_childhood", end)
    found = {
        (row["team_id"], row["month_end"]): [
            row["cases"],
            row["domestic_abuse"],
            row["parental_childhood"],
        ]
        for row in store.practice(db, ends, gaps["domestic_abuse_enquiry_due_days"])
    }
    assert found == expected and len(found) > 12
    report = partnership.partnership_report(db, settings, as_of=as_of, parts=("practice",))
    march = report["practice"]["months"][0]
    assert march["cases"] == sum(v[0] for (_, end), v in expected.items() if end == "2026-03-02")


def test_a_case_open_exactly_the_due_days_is_not_counted_until_the_next_day(db, settings, ids):
    # browser_support's N-0003 opened 90 days before 2 March 2026.
    opened = date(2026, 3, 2) - timedelta(days=90)
    due = opened + timedelta(
        days=settings["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"]
    )

    def counted(end: date) -> int:
        return sum(
            r["cases"]
            for r in store.practice(db, [end], 28)
            if r["team_id"] == ids["teams"]["north"]
        )

    assert counted(due + timedelta(days=1)) == counted(due) + 1


def test_the_history_says_whose_caseload_each_day_was_in(db, settings, ids):
    rows = db.execute(
        "SELECT h.worker_id, c.worker_id FROM score_history h JOIN cases c ON c.id = h.case_id"
    ).fetchall()
    assert rows and all(history == now for history, now in rows)
    # Reallocated today: yesterday's rows stay with the worker who held the case.
    case_id = ids["cases"]["N-0004"]
    db.execute("UPDATE cases SET worker_id = ? WHERE id = ?", [ids["staff"]["ann"], case_id])
    rescoring.rescore_case(db, case_id, settings, as_of=date(2026, 3, 3), now=at(date(2026, 3, 3)))
    by_day = dict(
        db.execute("SELECT day, worker_id FROM score_history WHERE case_id = ?", [case_id])
    )
    assert by_day["2026-03-02"] == ids["staff"]["bob"]
    assert by_day["2026-03-03"] == ids["staff"]["ann"]
    # A later rescore of a past day keeps whose caseload the case was in that day.
    rescoring.rescore_all(
        db, settings, as_of=date(2026, 3, 2), now=at(date(2026, 3, 3)), history_only=True
    )
    by_day = dict(
        db.execute("SELECT day, worker_id FROM score_history WHERE case_id = ?", [case_id])
    )
    assert by_day["2026-03-02"] == ids["staff"]["bob"]


def _hotspot_days(db, worker_id: int, days: dict[date, int]) -> None:
    """History rows saying ``worker_id`` held so many hotspots on each day."""
    rows = []
    case_ids = [r[0] for r in db.execute("SELECT id FROM cases ORDER BY id LIMIT 10")]
    for day, hotspots in days.items():
        for case_id in case_ids[:hotspots]:
            rows.append((case_id, day.isoformat(), 30.0, "red", "v1", worker_id))
    db.conn.executemany(
        "INSERT OR REPLACE INTO score_history (case_id, day, score, band, model_version, "
        "worker_id) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def test_weeks_over_the_budget_count_any_day_above_it_and_the_run_up_to_today(db, settings, ids):
    today = date(2026, 3, 2)
    ann = ids["staff"]["ann"]
    budget = settings["alert_budget"]["caseload_hotspots"]  # 3
    _hotspot_days(
        db,
        ann,
        {
            today: budget + 1,  # this week (week 0)
            today - timedelta(days=8): budget + 2,  # last week (week 1)
            today - timedelta(days=9): 1,
            today - timedelta(days=15): budget,  # week 2: at the budget, not over it
            today - timedelta(days=30): budget + 1,  # week 4
            today - timedelta(days=84): budget + 1,  # 12 weeks ago: outside the 12 weeks
        },
    )
    found = partnership.partnership_report(db, settings, as_of=today, parts=("workforce",))
    workforce = found["workforce"]
    worker = next(w for w in workforce["workers"] if w["id"] == ann)
    assert (worker["weeks_over_budget"], worker["weeks_in_a_row"]) == (3, 2)
    assert worker["most_hotspots"] == budget + 2
    assert workforce["workers"][0]["id"] == ann  # the heaviest load for longest first
    assert workforce["weeks_counted"] == 12
    north = next(t for t in workforce["teams"] if t["id"] == ids["teams"]["north"])
    assert north["worker_weeks_over_budget"] == 3 and north["workers_over_budget_now"] == 1


def test_a_caseload_over_the_limit_says_by_how_much(db, settings, ids):
    tight = settings | {"partnership": settings["partnership"] | {"caseload_limit": 1}}
    workforce = partnership.partnership_report(
        db, tight, as_of=date(2026, 3, 2), parts=("workforce",)
    )["workforce"]
    ann = next(w for w in workforce["workers"] if w["id"] == ids["staff"]["ann"])
    assert (ann["open_cases"], ann["over_limit"]) == (3, 2)
    north = next(t for t in workforce["teams"] if t["id"] == ids["teams"]["north"])
    assert north["open_cases"] == 5 and north["unallocated"] == 1
    assert north["workers_over_limit"] == 1
    assert {w["name"] for w in workforce["workers"]} >= {"Ann Worker", "Meg Manager"}
    assert "Ada Admin" not in {w["name"] for w in workforce["workers"]}


def test_a_young_service_counts_only_the_weeks_its_history_reaches(db, settings, ids):
    def counted() -> tuple[int, str | None]:
        workforce = partnership.partnership_report(
            db, settings, as_of=date(2026, 3, 2), parts=("workforce",)
        )["workforce"]
        return workforce["weeks_counted"], workforce["hotspots_held_from"]

    assert counted() == (0, None)  # no hotspot held yet
    _hotspot_days(db, ids["staff"]["ann"], {date(2026, 2, 23): 1})
    assert counted() == (2, "2026-02-23")  # this week and last


def test_an_unborn_childs_expected_date_is_no_reason_to_refuse_an_incident(db, settings, authority):
    db.execute(
        "UPDATE cases SET birth_status = 'due', date_of_birth = '2026-04-01' "
        "WHERE case_ref = 'P-LATE'"
    )
    record(db, "P-LATE")  # before the day the birth was expected: the case is not yet updated
    db.execute("UPDATE cases SET date_of_birth = '2026-04-01' WHERE case_ref = 'P-NEVER'")
    with pytest.raises(partnership.IncidentRefused, match="before the child's date of birth"):
        record(db, "P-NEVER")
