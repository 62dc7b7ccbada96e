"""/cases/<case_ref>: the breakdown, who may see a case (404 and audited otherwise), and the
forms: each change is saved, audited, rescored at once; bad input saves nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, count, email, score_row, sign_in

from hotspots.services import rescoring


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def text(response) -> str:
    return response.get_data(as_text=True)


def without_nonce(html: str) -> str:
    """The page without what differs between any two responses: the script nonce and the
    CSRF token (signed with the second it was made, so two requests may straddle a second)."""
    html = re.sub(r'(nonce|data-csrf)="[^"]*"', "", html)
    return re.sub(r'(name="csrf_token" value)="[^"]*"', r"\1", html)  # the sign-out form's


VISIT = {
    "visit-visited_on": ["2", "3", "2026"],
    "visit-seen": "seen_alone",
    "visit-note": "Baby asleep in a safe cot",
}

OBSERVATION = {
    "observation-indicator": "previous_injury",
    "observation-observed_on": ["2", "3", "2026"],
    "observation-source": "hospital",
    "observation-note": "Bruise on the ear seen by the GP",
}


# --- seeing a case ----------------------------------------------------------------------------


def test_the_case_page_breaks_the_score_down_into_points_that_sum_to_it(client, db, ids):
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    score = score_row(db, ids["cases"]["N-0001"])["score"]
    total = re.search(r'data-testid="breakdown-total">([\d.]+)<', page).group(1)
    assert float(total) == pytest.approx(score, abs=0.005)
    points = [float(p) for p in re.findall(r"numeric\">([+-][\d.]+)</td>", page)]
    assert sum(points) == pytest.approx(score, abs=0.05)
    for words in (
        "Previous injury or unexplained bruising",
        "8 points when new; counts for less as it gets older: half after two years.",
        "Child&#39;s age",
    ):
        assert words in page
    assert "×" not in page and "Decay" not in page and "half-life" not in page
    version = db.execute("SELECT model_version FROM scores LIMIT 1").fetchone()[0]
    # The model version is in the folded breakdown, after what matters, never first.
    assert f"scoring model {version}" in page
    assert page.index(version) > page.index("How this score is built")


def test_a_case_matching_the_reviews_pattern_says_so_first_and_its_points_still_add_up(
    client, db, ids, settings
):
    """A baby with four of the review's features (previous injury, domestic abuse, conflict
    and now a new partner) is a hotspot by the pattern rule: said first among the reasons,
    beside the band, and as its own line of the breakdown."""
    case_id = ids["cases"]["N-0001"]
    db["observations"].insert(
        {"external_id": "pattern:1", "case_id": case_id, "indicator": "new_partner",
         "observed_on": "2025-12-01", "source": "health_visiting", "status": "current",
         "note": "", "recorded_at": "2025-12-01T10:00:00+00:00"}
    )  # fmt: skip
    settings["scoring"]["red_threshold"] = 60.0  # far above this case's own points
    rescoring.rescore_case(db, case_id, settings, as_of=NOW.date(), now=NOW)
    row = score_row(db, case_id)
    assert row["band"] == "red" and row["score"] == 60.0
    assert db["scores"].get(case_id)["review_pattern"] == 1
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    reasons = re.search(r'data-testid="reasons">(.*?)</ol>', page, re.S).group(1)
    first = re.search(r"<li>(.*?)</li>", reasons, re.S).group(1)
    assert first.startswith("Matches the pattern the review found: conflict in the parents")
    assert "previous injury or unexplained bruising (+" in first
    assert "it matches the pattern the review found, so its score is at least 60" in page
    assert "a child this young with them is a hotspot whatever its other points" in page
    total = re.search(r'data-testid="breakdown-total">([\d.]+)<', page).group(1)
    assert float(total) == pytest.approx(60.0, abs=0.005)
    points = [float(p) for p in re.findall(r"numeric\">([+-][\d.]+)</td>", page)]
    assert sum(points) == pytest.approx(60.0, abs=0.05)


def test_a_score_stored_without_contributions_is_explained_on_the_page(client, db, ids):
    db.execute("UPDATE scores SET contributions = '[]'")
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    score = score_row(db, ids["cases"]["N-0001"])["score"]
    total = re.search(r'data-testid="breakdown-total">([\d.]+)<', page).group(1)
    assert float(total) == pytest.approx(score, abs=0.005)
    assert "Previous injury or unexplained bruising" in page


def test_the_case_page_says_how_the_score_is_built_and_that_it_is_no_probability(client, ids):
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    assert "How this score is built" in page
    assert "It is not a\n    probability" in page or "not a probability" in page.replace(
        "\n    ", " "
    )
    assert "%" not in re.sub(r"<style.*?</style>|width:\s*\d+%", "", page.split("<main")[1])


def test_the_case_page_shows_timeline_enquiries_and_age_not_date_of_birth(client, ids):
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    assert "Indicator timeline" in page
    assert "10 February 2026" in page  # previous injury, 20 days before
    assert "Routine domestic abuse enquiry" in page
    assert "NA, 5 months" in page
    assert "2025-09-14" not in page and "14 September 2025" not in page


def test_viewing_a_case_is_audited(client, db, ids):
    sign_in(client, "ann")
    client.get("/cases/N-0001")
    assert audit_rows(db, "view_case") == [
        {"actor_email": email("ann"), "action": "view_case", "case_ref": "N-0001", "detail": ""}
    ]


@pytest.mark.parametrize(
    ("who", "ref"),
    [("ann", "N-0004"), ("bob", "N-0001"), ("ann", "N-0005"), ("meg", "S-0001"), ("cat", "N-0001")],
)
def test_a_case_someone_may_not_see_is_not_found_and_the_refusal_is_audited(
    client, db, ids, who, ref
):
    sign_in(client, who)
    refused = client.get(f"/cases/{ref}")
    missing = client.get("/cases/NO-SUCH")
    assert refused.status_code == missing.status_code == 404
    assert without_nonce(text(refused)) == without_nonce(text(missing))
    assert audit_rows(db, "refused_case") == [
        {
            "actor_email": email(who),
            "action": "refused_case",
            "case_ref": ref,
            "detail": "not on this user's caseload or team",
        },
        {
            "actor_email": email(who),
            "action": "refused_case",
            "case_ref": "NO-SUCH",
            "detail": "no such case",
        },
    ]
    assert audit_rows(db, "view_case") == []


@pytest.mark.parametrize(
    ("who", "ref"), [("meg", "N-0004"), ("meg", "N-0005"), ("sam", "S-0001"), ("ada", "N-0002")]
)
def test_managers_see_their_teams_cases_and_admins_every_case(client, ids, who, ref):
    sign_in(client, who)
    assert client.get(f"/cases/{ref}").status_code == 200


def test_a_closed_case_shows_its_history_and_no_forms(client, db, settings, ids):
    from hotspots.services import rescoring

    db.execute("UPDATE cases SET status = 'closed', closed_on = '2026-03-01' WHERE id = ?", [1])
    rescoring.rescore_changed(db, settings, as_of=world.TODAY, now=NOW)
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    assert "Closed cases are not scored" in page
    assert "closed 1 March 2026" in page
    assert "Previous injury or unexplained bruising" in page  # the timeline stays
    assert "Record an observation" not in page
    response = client.get("/cases/N-0001/observations")
    assert response.status_code == 302 and response.location == "/cases/N-0001"
    assert client.post("/cases/N-0001/visits", data=VISIT).status_code == 302
    assert count(db, "visits") == 0
    assert "This case is closed: nothing more can be recorded on it." in text(
        client.get("/cases/N-0001")
    )


def test_an_unallocated_case_says_so_instead_of_a_rank(client, ids):
    sign_in(client, "meg")
    page = text(client.get("/cases/N-0005"))
    assert "Unallocated (not ranked)" in page


# --- recording an observation ------------------------------------------------------------------


def test_recording_an_observation_rescores_the_case_and_shows_the_new_score_and_rank(
    client, db, ids
):
    case_id = ids["cases"]["N-0002"]
    before = score_row(db, case_id)
    assert before["rank"] == 3
    sign_in(client, "ann")
    response = client.post("/cases/N-0002/observations", data=OBSERVATION)
    assert response.status_code == 302 and response.location == "/cases/N-0002"
    after = score_row(db, case_id)
    assert after["score"] == pytest.approx(before["score"] + 8 * 1.25, abs=0.01)
    assert after["rank"] == 2
    page = text(client.get("/cases/N-0002"))
    band = {"red": "Hotspot", "amber": "Amber", "green": "Green"}[after["band"]]
    assert f"The score is now {after['score']:.1f} ({band}), rank 2 in the caseload." in page
    assert "Bruise on the ear seen by the GP" in page
    row = db.execute(
        "SELECT indicator, observed_on, source, recorded_by_id, status FROM observations "
        "WHERE case_id = ? ORDER BY id DESC LIMIT 1",
        [case_id],
    ).fetchone()
    assert row == ("previous_injury", "2026-03-02", "hospital", ids["staff"]["ann"], "current")
    assert db["rescore_queue"].count == 0  # marked and rescored in one transaction
    assert audit_rows(db, "record_observation") == [
        {
            "actor_email": email("ann"),
            "action": "record_observation",
            "case_ref": "N-0002",
            "detail": "indicator=previous_injury observed_on=2026-03-02 source=hospital",
        }
    ]
    history = db.execute(
        "SELECT score FROM score_history WHERE case_id = ? AND day = '2026-03-02'", [case_id]
    ).fetchone()[0]
    assert history == pytest.approx(after["score"])


DATE = "observation-observed_on"


@pytest.mark.parametrize(
    ("change", "message", "href"),
    [
        (
            {"observation-indicator": ""},
            "Choose the indicator you observed",
            "#observation-indicator",
        ),
        ({"observation-indicator": "made_up"}, "Choose the indicator you observed", None),
        # worked out by the service from the notices, never recorded by hand
        ({"observation-indicator": "ppn_escalating"}, "Choose the indicator you observed", None),
        ({"observation-source": ""}, "Choose the agency the information came from", None),
        ({DATE: ["", "", ""]}, "Enter the date observed", f"#{DATE}-day"),
        ({DATE: ["31", "2", "2026"]}, "The date observed must be a real date", None),
        ({DATE: ["3", "", "2026"]}, "The date observed must include a month", None),
        ({DATE: ["3", "3", "2026"]}, "The date observed must be today or in the past", None),
        ({"observation-note": "x" * 2001}, "The note must be 2000 characters or fewer", None),
    ],
)
def test_bad_observation_input_shows_the_error_summary_and_saves_nothing(
    client, db, ids, change, message, href
):
    sign_in(client, "ann")
    observations, audits = count(db, "observations"), len(audit_rows(db))
    response = client.post("/cases/N-0002/observations", data={**OBSERVATION, **change})
    assert response.status_code == 400
    page = text(response)
    assert "govuk-error-summary" in page and "There is a problem" in page
    assert message in page
    if href:
        assert f'href="{href}"' in page
    assert page.count(message) == 2  # in the summary and beside the field
    assert "<title>Error: Record an observation: case N-0002" in page
    assert count(db, "observations") == observations
    assert audit_rows(db)[audits:] == [  # shown again with the errors, not saved
        {
            "actor_email": email("ann"),
            "action": "view_case",
            "case_ref": "N-0002",
            "detail": "form=observation",
        }
    ]
    assert db["rescore_queue"].count == 0  # nothing written, so nothing marked


def test_recording_on_a_case_someone_may_not_see_is_refused_and_saves_nothing(client, db, ids):
    sign_in(client, "bob")
    observations = count(db, "observations")
    assert client.post("/cases/N-0001/observations", data=OBSERVATION).status_code == 404
    assert count(db, "observations") == observations
    assert [r["action"] for r in audit_rows(db)] == ["sign_in", "refused_case"]


class TestWithCsrf:
    @pytest.fixture
    def app(self, db_path, tmp_path):
        return world.make_app(db_path, tmp_path, csrf=True)

    def test_a_form_posted_without_its_csrf_token_is_refused_and_saves_nothing(
        self, client, db, ids
    ):
        sign_in(client, "ann")
        observations = count(db, "observations")
        response = client.post("/cases/N-0002/observations", data=OBSERVATION)
        assert response.status_code == 400
        assert "Your form could not be sent" in text(response)
        assert count(db, "observations") == observations

    def test_a_form_posted_with_its_csrf_token_is_saved(self, client, db, ids):
        sign_in(client, "ann")
        token = world.csrf_token(text(client.get("/cases/N-0002/observations")))
        data = {**OBSERVATION, "observation-csrf_token": token}
        assert client.post("/cases/N-0002/observations", data=data).status_code == 302
        assert audit_rows(db, "record_observation")


# --- enquiries, adjustments, reviews -----------------------------------------------------------


ENQUIRY = {
    "enquiry-topic": "domestic_abuse",
    "enquiry-asked_on": ["1", "3", "2026"],
    "enquiry-outcome": "not_disclosed",
}


def test_recording_a_domestic_abuse_enquiry_closes_that_practice_gap(client, db, ids):
    case_id = ids["cases"]["N-0003"]
    assert score_row(db, case_id)["score"] == pytest.approx(5.0)
    sign_in(client, "ann")
    assert client.post("/cases/N-0003/enquiries", data=ENQUIRY).status_code == 302
    assert score_row(db, case_id)["score"] == pytest.approx(2.0)
    page = text(client.get("/cases/N-0003"))
    assert "Enquiry recorded: Routine domestic abuse enquiry." in page
    assert "Asked 1 March 2026: nothing disclosed." in page
    assert audit_rows(db, "record_enquiry")[0]["detail"] == (
        "topic=domestic_abuse asked_on=2026-03-01 outcome=not_disclosed"
    )


def test_the_same_enquiry_on_the_same_day_is_refused_with_a_message(client, db, ids):
    sign_in(client, "ann")
    client.post("/cases/N-0003/enquiries", data=ENQUIRY)
    response = client.post("/cases/N-0003/enquiries", data=ENQUIRY)
    assert response.status_code == 400
    assert "already recorded for that day" in text(response)
    assert count(db, "enquiries") == 4


def test_an_enquiry_needs_what_was_asked_and_the_outcome(client, db, ids):
    sign_in(client, "ann")
    response = client.post("/cases/N-0003/enquiries", data={"enquiry-asked_on": ["1", "3", "2026"]})
    page = text(response)
    assert response.status_code == 400
    assert "Choose what was asked" in page and "Choose the outcome" in page
    assert 'href="#enquiry-topic"' in page
    assert count(db, "enquiries") == 3


ADJUSTMENT = {
    "adjustment-points": "3",
    "adjustment-reason": "Father released from prison next week",
    "adjustment-expires_on": ["30", "3", "2026"],
}


def test_an_adjustment_with_reason_and_expiry_moves_the_score_and_is_shown(client, db, ids):
    case_id = ids["cases"]["N-0003"]
    sign_in(client, "ann")
    assert client.post("/cases/N-0003/adjustments", data=ADJUSTMENT).status_code == 302
    assert score_row(db, case_id)["score"] == pytest.approx(8.0)
    page = text(client.get("/cases/N-0003"))
    assert "Father released from prison next week" in page
    assert "30 March 2026" in page and "+3" in page
    assert "Practitioner adjustment" in page
    assert audit_rows(db, "add_adjustment")[0]["detail"] == "points=+3 expires_on=2026-03-30"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"adjustment-reason": "  "}, "Enter the reason for the adjustment"),
        ({"adjustment-expires_on": ["", "", ""]}, "Enter the expiry date"),
        ({"adjustment-expires_on": ["2", "3", "2026"]}, "The expiry date must be in the future"),
        ({"adjustment-expires_on": ["1", "4", "2027"]}, "within a year from today"),
        ({"adjustment-points": ""}, "Enter the points to add or take away"),
        ({"adjustment-points": "lots"}, "Points must be a number"),
        ({"adjustment-points": "0"}, "Points must be between -20 and 20, and not 0"),
        ({"adjustment-points": "25"}, "Points must be between -20 and 20, and not 0"),
        ({"adjustment-points": "nan"}, "Points must be a number"),
        ({"adjustment-points": "inf"}, "Points must be a number"),
        ({"adjustment-points": "1e1"}, "Points must be a number with at most 2 decimal places"),
        ({"adjustment-points": "1.255"}, "at most 2 decimal places"),
        ({"adjustment-points": "٣"}, "Points must be a number"),
        ({"adjustment-points": "20.01"}, "Points must be between -20 and 20, and not 0"),
        ({"adjustment-points": "-0.00"}, "Points must be between -20 and 20, and not 0"),
    ],
)
def test_an_adjustment_needs_a_reason_an_expiry_and_sensible_points(
    client, db, ids, change, message
):
    sign_in(client, "ann")
    response = client.post("/cases/N-0003/adjustments", data={**ADJUSTMENT, **change})
    assert response.status_code == 400
    assert message in text(response)
    assert count(db, "adjustments") == 0


@pytest.mark.parametrize(
    ("expires", "accepted"),
    [(["2", "3", "2027"], True), (["3", "3", "2027"], False)],
    ids=["a year away", "a year and a day away"],
)
def test_an_adjustment_expires_within_a_year_as_the_hint_says(client, db, ids, expires, accepted):
    sign_in(client, "ann")  # today is 2 March 2026
    data = {**ADJUSTMENT, "adjustment-expires_on": expires}
    response = client.post("/cases/N-0003/adjustments", data=data)
    assert response.status_code == (302 if accepted else 400)
    if not accepted:
        assert "within a year from today: 2 March 2027 at the latest" in text(response)
    assert count(db, "adjustments") == (1 if accepted else 0)


def test_a_year_from_the_29th_of_february_is_the_28th():
    from datetime import date

    from hotspots.web.forms import latest_expiry

    assert latest_expiry(date(2028, 2, 29)) == date(2029, 2, 28)
    assert latest_expiry(date(2026, 3, 2)) == date(2027, 3, 2)


def test_every_note_says_its_limit_before_anything_is_sent(client, ids):
    sign_in(client, "ann")
    for path in (
        "/cases/N-0002/visits",
        "/cases/N-0002/observations",
        "/cases/N-0002/adjustments",
        "/cases/N-0002/reviews",
    ):
        page = text(client.get(path))
        assert 'data-module="govuk-character-count"' in page, path
        assert 'data-maxlength="2000"' in page, path
        assert "You can enter up to 2000 characters" in page, path


def test_ask_about_domestic_abuse_opens_the_enquiry_with_its_topic_chosen(client, ids):
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0003"))
    link = re.search(r'href="([^"]+)">Ask about domestic abuse<', page).group(1)
    assert link == "/cases/N-0003/enquiries?topic=domestic_abuse"
    form = text(client.get(link))
    assert re.search(r'value="domestic_abuse"\s+checked', form)
    childhood = re.search(r'href="([^"]+)">Ask about the parents&#39; own childhood<', page)
    assert re.search(r'value="parental_childhood"\s+checked', text(client.get(childhood.group(1))))
    assert "checked" not in text(client.get("/cases/N-0003/enquiries?topic=nonsense"))


def test_a_withdrawn_adjustments_reason_ends_with_one_full_stop(client, db, ids):
    sign_in(client, "ann")
    client.post("/cases/N-0003/adjustments", data=ADJUSTMENT)
    adjustment_id = db.execute("SELECT id FROM adjustments").fetchone()[0]
    client.post(
        f"/cases/N-0003/adjustments/{adjustment_id}/withdraw",
        data={"reason": "Father stays away after all."},
    )
    page = text(client.get("/cases/N-0003"))
    assert "Father stays away after all. It was to expire on 30 March 2026." in page
    assert ".." not in page


def test_a_negative_adjustment_lowers_the_score(client, db, ids):
    sign_in(client, "ann")
    data = {**ADJUSTMENT, "adjustment-points": "-2.5"}
    assert client.post("/cases/N-0001/adjustments", data=data).status_code == 302
    before = 25.547367904165746
    assert score_row(db, ids["cases"]["N-0001"])["score"] == pytest.approx(before - 2.5, abs=0.01)


def act(owner, *, due=("9", "3", "2026"), kind="joint_visit_health_visitor", row=0, **extra):
    """The review form's fields for agreeing, with one action in ``row``."""
    return {
        "review-decision": "act",
        f"review-actions-{row}-kind": kind,
        f"review-actions-{row}-owner": str(owner),
        f"review-actions-{row}-due_on": list(due),
        **extra,
    }


def test_agreeing_records_the_decision_the_score_as_reviewed_and_each_action(client, db, ids):
    ann, meg = ids["staff"]["ann"], ids["staff"]["meg"]
    sign_in(client, "meg")
    form = text(client.get("/cases/N-0001/reviews"))
    assert "Agree: the case needs action now" in form and "Disagree with the score" in form
    assert "Ann Worker" in form and "Meg Manager (manager)" in form and "Cat Worker" not in form
    data = act(ann, **{
        "review-actions-0-description": "With the health visitor, about the bruise",
        "review-actions-1-kind": "strategy_discussion",
        "review-actions-1-owner": str(meg),
        "review-actions-1-due_on": ["5", "3", "2026"],
        "review-plan": "Weekly visits until the strategy discussion",
    })  # fmt: skip
    response = client.post("/cases/N-0001/reviews", data=data)
    assert response.status_code == 302
    review = db.execute(
        "SELECT id, decision, disagree_reason, score, band, model_version, plan FROM reviews"
    ).fetchone()
    score = db["scores"].get(ids["cases"]["N-0001"])
    assert review[1:] == ("act", None, score["score"], "red", score["model_version"],
                          "Weekly visits until the strategy discussion")  # fmt: skip
    parts = db.execute(
        "SELECT code, kind, points, disagreed FROM review_contributions WHERE review_id = ?",
        [review[0]],
    ).fetchall()
    stored = json.loads(score["contributions"])
    assert sorted(p[0] for p in parts) == sorted(c["code"] for c in stored)
    assert sum(p[2] for p in parts) == pytest.approx(score["score"])
    assert {p[3] for p in parts} == {0}
    actions = db.execute(
        "SELECT kind, description, owner_id, due_on, state, review_id, created_by_id "
        "FROM actions ORDER BY id"
    ).fetchall()
    assert actions == [
        ("joint_visit_health_visitor", "With the health visitor, about the bruise", ann,
         "2026-03-09", "open", review[0], meg),
        ("strategy_discussion", "", meg, "2026-03-05", "open", review[0], meg),
    ]  # fmt: skip
    assert audit_rows(db, "mark_reviewed")[0]["detail"] == "decision=act actions=2"
    page = text(client.get("/cases/N-0001"))
    assert "Review recorded: 2 actions agreed." in page
    opened = page[page.index('data-testid="open-actions"') : page.index('id="actions"')]
    assert opened.index("Strategy discussion") < opened.index("Joint visit")  # soonest first
    assert "Ann Worker, due by 9 March 2026" in opened
    assert "Agree: the case needs action now (score 25.5 when reviewed)." in page
    # On the owner's caseload, until it is done.
    client.post("/logout")
    sign_in(client, "ann")
    caseload = text(client.get("/caseload"))
    assert "Your actions: 1 open" in caseload
    assert "Joint visit with the health visitor" in caseload


def test_disagreeing_records_the_reason_and_which_parts_of_the_score(client, db, ids):
    sign_in(client, "ann")
    response = client.post(
        "/cases/N-0001/reviews",
        data={
            "review-decision": "disagree",
            "review-disagree_reason": "The bruise was explained by the GP: a fall at nursery",
            "review-disagreed": ["previous_injury"],
        },
    )
    assert response.status_code == 302
    assert db.execute("SELECT decision, disagree_reason FROM reviews").fetchone() == (
        "disagree",
        "The bruise was explained by the GP: a fall at nursery",
    )
    disagreed = db.execute("SELECT code FROM review_contributions WHERE disagreed = 1").fetchall()
    assert disagreed == [("previous_injury",)]
    assert count(db, "actions") == 0
    row = audit_rows(db, "mark_reviewed")[0]
    assert row["detail"] == "decision=disagree disagreed=previous_injury"
    assert "nursery" not in row["detail"]
    page = text(client.get("/cases/N-0001"))
    assert "Disagree with the score (score 25.5 when reviewed)." in page
    assert "Disagreed with: Previous injury or unexplained bruising." in page
    # Reported by indicator: where workers overrule the model.
    from hotspots.storage import followup

    report = followup.disagreement_by_contribution(db, since="2026-01-01")
    assert report["reviews"] == 1 and report["disagreed"] == 1
    by_code = {r["code"]: r for r in report["by_contribution"]}
    assert by_code["previous_injury"]["disagreed_with_this"] == 1
    assert by_code["domestic_abuse"]["disagreed_with_score"] == 1
    assert by_code["domestic_abuse"]["disagreed_with_this"] == 0


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Choose whether you agree and act, or disagree with the score"]),
        ({"review-decision": "act"}, ["Choose what needs to be done for the action",
                                      "Choose who will do the action",
                                      "Enter the date the action is due by"]),
        ({"review-decision": "disagree"}, ["Enter why you disagree with the score",
                                           "Choose at least one part of the score you disagree"]),
        ({"review-decision": "disagree", "review-disagree_reason": "x",
          "review-disagreed": ["made_up"]}, ["Choose from the parts of this case&#39;s score"]),
        ("past", ["The due date of the action must be today or later"]),
        ("far", ["The due date of the action must be within a year"]),
        ("other", ["Describe the action"]),
        ("stranger", ["Choose who will do the action"]),
        ("second row", ["Choose who will do action 2", "Enter the date action 2 is due by"]),
    ],
    ids=["no decision", "act without an action", "disagree without reasons", "unknown part",
         "past", "far", "other undescribed", "owner from another team", "half a second row"],
)  # fmt: skip
def test_a_review_says_what_is_missing_and_saves_nothing(client, db, ids, data, messages):
    ann = ids["staff"]["ann"]
    if isinstance(data, str):
        data = {
            "past": act(ann, due=("1", "3", "2026")),
            "far": act(ann, due=("3", "3", "2027")),
            "other": act(ann, kind="other"),
            "stranger": act(ids["staff"]["cat"]),
            "second row": act(ann, **{"review-actions-1-kind": "visit_child"}),
        }[data]
    sign_in(client, "meg")
    response = client.post("/cases/N-0001/reviews", data=data)
    assert response.status_code == 400
    for message in messages:
        assert message in text(response)
    assert count(db, "reviews") == count(db, "actions") == 0


def test_an_action_is_closed_with_what_happened_by_whom_and_when(app, client, db, ids):
    sign_in(client, "ann")
    client.post("/cases/N-0001/reviews", data=act(ids["staff"]["ann"]))
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=20)  # the phone call, a little later
    action_id = db.execute("SELECT id FROM actions").fetchone()[0]
    page = text(client.get("/cases/N-0001"))
    assert f'href="/cases/N-0001/actions/{action_id}">Record what happened' in page
    empty = client.post(f"/cases/N-0001/actions/{action_id}", data={"close-state": "done"})
    assert empty.status_code == 400 and "Enter what happened" in text(empty)
    done = client.post(
        f"/cases/N-0001/actions/{action_id}",
        data={"close-state": "done", "close-outcome": "Seen together; the bruise is healing"},
    )
    assert done.status_code == 302
    row = db.execute("SELECT state, outcome, closed_by_id, closed_at FROM actions").fetchone()
    assert row[:3] == ("done", "Seen together; the bruise is healing", ids["staff"]["ann"])
    assert row[3].startswith("2026-03-02T09:50")
    assert audit_rows(db, "close_action")[0]["detail"] == (
        f"action={action_id} kind=joint_visit_health_visitor outcome=done"
    )
    page = text(client.get("/cases/N-0001"))
    assert "No action is open." in page and "Seen together; the bruise is healing" in page
    # Done, and reviewed before: the hotspot awaits a review again.
    assert "Awaiting a review (actions closed 2 March 2026)" in page
    assert client.get(f"/cases/N-0001/actions/{action_id}").status_code == 404  # closed
    assert client.get(f"/cases/N-0002/actions/{action_id}").status_code == 404  # not this case's


def test_an_action_can_be_added_outside_a_review(client, db, ids):
    sign_in(client, "ann")
    response = client.post(
        "/cases/N-0002/actions",
        data={
            "add-action-kind": "ask_domestic_abuse",
            "add-action-owner": str(ids["staff"]["ann"]),
            "add-action-due_on": ["6", "3", "2026"],
        },
    )
    assert response.status_code == 302
    assert db.execute("SELECT kind, review_id, due_on FROM actions").fetchone() == (
        "ask_domestic_abuse",
        None,
        "2026-03-06",
    )
    assert "Action added: Ask about domestic abuse, due by 6 March 2026." in text(
        client.get("/cases/N-0002")
    )


def test_a_review_needs_a_decision(client, db, ids):
    sign_in(client, "meg")
    response = client.post("/cases/N-0004/reviews", data={"review-plan": "Joint visit"})
    assert response.status_code == 400
    assert "Choose whether you agree and act" in text(response)
    assert count(db, "reviews") == 0


# --- resolving and refuting ------------------------------------------------------------------


def observation_id(db, case_ref: str, indicator: str) -> int:
    return db.execute(
        "SELECT o.id FROM observations o JOIN cases c ON c.id = o.case_id "
        "WHERE c.case_ref = ? AND o.indicator = ?",
        [case_ref, indicator],
    ).fetchone()[0]


def test_refuting_an_observation_keeps_it_and_stops_it_counting(client, db, ids):
    obs = observation_id(db, "N-0001", "previous_injury")
    before = score_row(db, ids["cases"]["N-0001"])["score"]
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    link = f"/cases/N-0001/observations/{obs}/status"
    assert f'href="{link}"' in page
    form = client.get(link)
    assert form.status_code == 200 and "Resolve or refute" in text(form)
    # The page names the observation: what, when, from whom.
    for words in ("Previous injury or unexplained bruising", "10 February 2026", "Police"):
        assert words in text(form)
    response = client.post(
        link, data={"status": "refuted", "reason": "The hospital confirmed a birthmark"}
    )
    assert response.status_code == 302
    row = db.execute(
        "SELECT status, status_reason, status_changed_by_id FROM observations WHERE id = ?", [obs]
    ).fetchone()
    assert row == ("refuted", "The hospital confirmed a birthmark", ids["staff"]["ann"])
    after = score_row(db, ids["cases"]["N-0001"])["score"]
    assert after < before - 7
    page = text(client.get("/cases/N-0001"))
    assert "Refuted" in page and "The hospital confirmed a birthmark" in page
    assert "Refuted on 2 March 2026 by Ann Worker: The hospital confirmed a birthmark" in page
    assert audit_rows(db, "refute_observation")[0]["detail"] == (
        f"observation={obs} indicator=previous_injury"
    )
    assert client.get(link).status_code == 404  # no longer current: nothing to change


def test_resolving_needs_a_choice_and_a_reason(client, db, ids):
    obs = observation_id(db, "N-0001", "domestic_abuse")
    sign_in(client, "ann")
    response = client.post(f"/cases/N-0001/observations/{obs}/status", data={"reason": ""})
    page = text(response)
    assert response.status_code == 400
    assert "Choose resolved or refuted" in page and "Enter the reason" in page
    status = db.execute("SELECT status FROM observations WHERE id = ?", [obs]).fetchone()[0]
    assert status == "current"


def test_an_observation_of_another_case_cannot_be_changed_through_this_one(client, db, ids):
    other = observation_id(db, "N-0004", "new_partner")
    sign_in(client, "meg")
    response = client.post(
        f"/cases/N-0001/observations/{other}/status", data={"status": "resolved", "reason": "x"}
    )
    assert response.status_code == 404
    status = db.execute("SELECT status FROM observations WHERE id = ?", [other]).fetchone()[0]
    assert status == "current"


def test_nothing_is_ever_deleted_from_the_timeline(client, db, ids):
    sign_in(client, "ann")
    for indicator in ("previous_injury", "domestic_abuse"):
        obs = observation_id(db, "N-0001", indicator)
        client.post(
            f"/cases/N-0001/observations/{obs}/status",
            data={"status": "resolved", "reason": "No longer applies"},
        )
    assert count(db, "observations") == 9
    page = text(client.get("/cases/N-0001"))
    assert page.count("No longer applies") == 2


def test_a_resolved_observation_without_a_reason_or_recorder_reads_cleanly(client, db, ids):
    db.execute(
        "UPDATE observations SET status = 'resolved', status_reason = NULL, "
        "status_changed_at = NULL, status_changed_by_id = NULL WHERE case_id = ?",
        [ids["cases"]["N-0002"]],
    )
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0002"))
    assert "Resolved" in page
    assert "None" not in page and "unknown" not in page and "(, " not in page


def test_source_agencies_read_as_people_say_them(client, db, ids):
    sign_in(client, "ann")
    form = text(client.get("/cases/N-0002/observations"))
    assert ">GP<" in form and ">Health visiting<" in form and ">Gp<" not in form
    client.post("/cases/N-0002/observations", data={**OBSERVATION, "observation-source": "gp"})
    assert "from GP" in text(client.get("/cases/N-0002"))


# --- every change has a page of its own ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "heading", "field"),
    [
        ("visits", "Record a visit", "visit-visited_on-day"),
        ("observations", "Record an observation", "observation-indicator"),
        ("enquiries", "Record an enquiry", "enquiry-topic"),
        ("adjustments", "Adjust the priority", "adjustment-points"),
        ("reviews", "Review the case", "review-decision"),
        ("actions", "Add an action", "add-action-kind"),
    ],
)
def test_each_action_is_a_page_of_its_own_linked_from_the_case(
    client, db, ids, path, heading, field
):
    sign_in(client, "ann")
    case_page = text(client.get("/cases/N-0002"))
    assert f'href="/cases/N-0002/{path}"' in case_page
    assert 'id="{field}"' not in case_page  # no forms on the case page itself
    response = client.get(f"/cases/N-0002/{path}")
    assert response.status_code == 200
    page = text(response)
    assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page
    assert f'id="{field}"' in page
    assert "govuk-error-summary" not in page  # a fresh form, no errors yet
    assert audit_rows(db, "view_case")[-1]["detail"].startswith("form=")


def test_a_form_page_for_a_case_someone_may_not_see_is_not_found(client, db, ids):
    sign_in(client, "bob")
    assert client.get("/cases/N-0001/visits").status_code == 404
    assert audit_rows(db, "refused_case")[-1]["case_ref"] == "N-0001"


def test_a_url_loaded_with_the_wrong_method_gets_a_proper_page(client, ids):
    sign_in(client, "ann")
    response = client.put("/cases/N-0002/visits")
    assert response.status_code == 405
    assert "govuk-template" in text(response) and "Page not available" in text(response)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    sign_out = client.get("/logout")  # a POST-only address
    assert sign_out.status_code == 405 and "Page not available" in text(sign_out)


# --- visits ---------------------------------------------------------------------------------


def test_recording_a_visit_clears_an_overdue_visit_at_once_and_is_kept_in_the_history(
    client, db, ids
):
    case_id = ids["cases"]["N-0002"]  # last visited 40 days ago, due every 14: overdue
    before = score_row(db, case_id)["score"]
    sign_in(client, "ann")
    assert "(overdue)" in text(client.get("/cases/N-0002"))
    response = client.post("/cases/N-0002/visits", data=VISIT)
    assert response.status_code == 302 and response.location == "/cases/N-0002"
    assert db.execute("SELECT last_visit_on FROM cases WHERE id = ?", [case_id]).fetchone()[0] == (
        "2026-03-02"
    )
    assert score_row(db, case_id)["score"] == pytest.approx(before - 2.0)  # the gap's points
    assert db["rescore_queue"].count == 0
    page = text(client.get("/cases/N-0002"))
    assert "Visit recorded for 2 March 2026." in page
    assert "(overdue)" not in page
    assert "Next due: 16 March 2026" in page
    assert "Yes, and the child was seen alone" in page and "Baby asleep in a safe cot" in page
    assert audit_rows(db, "record_visit") == [
        {
            "actor_email": email("ann"),
            "action": "record_visit",
            "case_ref": "N-0002",
            "detail": "visited_on=2026-03-02 seen=seen_alone",
        }
    ]
    row = db.execute(
        "SELECT visited_on, child_seen, seen_alone, note, recorded_by_id FROM visits"
    ).fetchone()
    assert row == ("2026-03-02", 1, 1, "Baby asleep in a safe cot", ids["staff"]["ann"])


def test_a_visit_where_the_child_was_not_seen_is_kept_but_is_not_the_last_visit(client, db, ids):
    case_id = ids["cases"]["N-0002"]
    before = score_row(db, case_id)["score"]
    sign_in(client, "ann")
    client.post("/cases/N-0002/visits", data={**VISIT, "visit-seen": "not_seen"})
    assert db.execute("SELECT last_visit_on FROM cases WHERE id = ?", [case_id]).fetchone()[0] == (
        "2026-01-21"
    )
    assert score_row(db, case_id)["score"] == pytest.approx(before)
    page = text(client.get("/cases/N-0002"))
    assert "The child was not seen, so the last visit is unchanged." in page
    assert "No, the child was not seen" in page and "(overdue)" in page
    assert db.execute("SELECT child_seen, seen_alone FROM visits").fetchone() == (0, None)


def test_an_earlier_visit_recorded_late_does_not_move_the_last_visit_back(client, db, ids):
    case_id = ids["cases"]["N-0001"]  # last visited 27 February 2026
    sign_in(client, "ann")
    data = {**VISIT, "visit-visited_on": ["20", "2", "2026"], "visit-seen": "seen_not_alone"}
    assert client.post("/cases/N-0001/visits", data=data).status_code == 302
    assert db.execute("SELECT last_visit_on FROM cases WHERE id = ?", [case_id]).fetchone()[0] == (
        "2026-02-27"
    )
    assert "Yes, but not alone" in text(client.get("/cases/N-0001"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"visit-visited_on": ["", "", ""]}, "Enter the date of the visit"),
        ({"visit-visited_on": ["3", "3", "2026"]}, "must be today or in the past"),
        ({"visit-visited_on": ["1", "1", "1900"]}, "must be on or after 26 January 2025"),
        ({"visit-visited_on": ["25", "1", "2025"]}, "when the case opened"),
        ({"visit-seen": ""}, "Choose whether the child was seen"),
        ({"visit-seen": "maybe"}, "Choose whether the child was seen"),
        ({"visit-note": "x" * 2001}, "The note must be 2000 characters or fewer"),
    ],
)
def test_bad_visit_input_shows_the_error_and_keeps_what_was_typed(client, db, ids, change, message):
    sign_in(client, "ann")  # N-0002 opened 400 days ago, on 26 January 2025
    response = client.post("/cases/N-0002/visits", data={**VISIT, **change})
    assert response.status_code == 400
    page = text(response)
    assert message in page and "There is a problem" in page
    if "visit-note" not in change:
        assert "Baby asleep in a safe cot" in page  # nothing typed is lost
    assert count(db, "visits") == 0
    assert db["rescore_queue"].count == 0


# --- dates before the child could have been seen ---------------------------------------------


def test_an_enquiry_dated_1900_is_refused_and_does_not_close_a_practice_gap(client, db, ids):
    case_id = ids["cases"]["N-0003"]
    before = score_row(db, case_id)["score"]
    sign_in(client, "ann")
    data = {**ENQUIRY, "enquiry-asked_on": ["1", "1", "1900"]}
    response = client.post("/cases/N-0003/enquiries", data=data)
    assert response.status_code == 400
    # Born 30 June 2019: nothing about the child before 40 weeks earlier, 23 September 2018.
    assert (
        "The date asked must be on or after 23 September 2018: an earlier date cannot be "
        "about this child" in text(response)
    )
    assert count(db, "enquiries") == 3
    assert score_row(db, case_id)["score"] == pytest.approx(before)


def test_an_observation_during_the_pregnancy_is_accepted(client, db, ids):
    sign_in(client, "ann")  # N-0001: born 14 September 2025
    data = {**OBSERVATION, DATE: ["1", "6", "2025"], "observation-indicator": "domestic_abuse"}
    assert client.post("/cases/N-0001/observations", data=data).status_code == 302
    data[DATE] = ["1", "12", "2024"]
    response = client.post("/cases/N-0001/observations", data=data)
    assert response.status_code == 400
    assert "The date observed must be on or after 8 December 2024" in text(response)


# --- corrections --------------------------------------------------------------------------------


def test_a_new_adjustment_replaces_the_one_in_force_instead_of_stacking(client, db, ids):
    case_id = ids["cases"]["N-0003"]
    base = score_row(db, case_id)["score"]
    sign_in(client, "ann")
    for points in ("20", "20", "20"):
        data = {**ADJUSTMENT, "adjustment-points": points}
        assert client.post("/cases/N-0003/adjustments", data=data).status_code == 302
    assert score_row(db, case_id)["score"] == pytest.approx(base + 20)  # not base + 60
    in_force = db.execute(
        "SELECT count(*) FROM adjustments WHERE case_id = ? AND withdrawn_at IS NULL", [case_id]
    ).fetchone()[0]
    assert in_force == 1 and count(db, "adjustments") == 3  # history kept
    page = text(client.get("/cases/N-0003"))
    assert page.count("Replaced by a new adjustment") == 2
    assert "It replaces the adjustment that was in force." in page
    form = text(client.get("/cases/N-0003/adjustments"))
    assert "In force now: <strong>+20 points</strong> until 30 March 2026" in form


def test_an_adjustment_can_be_withdrawn_early_with_a_reason(client, db, ids):
    case_id = ids["cases"]["N-0003"]
    base = score_row(db, case_id)["score"]
    sign_in(client, "ann")
    client.post("/cases/N-0003/adjustments", data=ADJUSTMENT)
    adjustment = db.execute("SELECT id FROM adjustments").fetchone()[0]
    link = f"/cases/N-0003/adjustments/{adjustment}/withdraw"
    assert f'href="{link}"' in text(client.get("/cases/N-0003"))
    page = client.get(link)
    assert page.status_code == 200 and "+3 points" in text(page)
    response = client.post(link, data={"reason": " "})
    assert response.status_code == 400
    assert "Enter why you are withdrawing the adjustment" in text(response)
    response = client.post(link, data={"reason": "Father stays in prison"})
    assert response.status_code == 302
    assert score_row(db, case_id)["score"] == pytest.approx(base)
    row = db.execute(
        "SELECT expires_on, expires_on_as_made, withdrawn_reason, withdrawn_by_id FROM adjustments"
    ).fetchone()
    assert row == ("2026-03-01", "2026-03-30", "Father stays in prison", ids["staff"]["ann"])
    page = text(client.get("/cases/N-0003"))
    assert "Withdrawn on 2 March 2026 by Ann Worker: Father stays in prison." in page
    assert "It was to expire on 30 March 2026." in page
    assert audit_rows(db, "withdraw_adjustment")[0]["detail"] == f"adjustment={adjustment}"
    assert client.get(link).status_code == 404  # nothing in force to withdraw now


def test_an_enquiry_entered_in_error_stays_in_the_history_marked_so(client, db, ids):
    sign_in(client, "ann")
    client.post("/cases/N-0003/enquiries", data=ENQUIRY)
    enquiry = db.execute("SELECT max(id) FROM enquiries").fetchone()[0]
    link = f"/cases/N-0003/enquiries/{enquiry}/error"
    assert f'href="{link}"' in text(client.get("/cases/N-0003"))
    page = text(client.get(link))
    assert "Routine domestic abuse enquiry, asked 1 March 2026: nothing disclosed" in page
    assert client.post(link, data={"reason": ""}).status_code == 400
    response = client.post(link, data={"reason": "Recorded on the wrong case"})
    assert response.status_code == 302
    assert count(db, "enquiries") == 4
    assert db.execute(
        "SELECT count(*) FROM valid_enquiries WHERE case_id = ?", [ids["cases"]["N-0003"]]
    ).fetchone() == (0,)
    page = text(client.get("/cases/N-0003"))
    assert "Entered in error" in page and "Recorded on the wrong case" in page
    assert audit_rows(db, "enquiry_entered_in_error")[0]["detail"] == (
        f"enquiry={enquiry} topic=domestic_abuse"
    )
    assert client.post(link, data={"reason": "again"}).status_code == 404


def test_an_enquiry_entered_in_error_can_be_recorded_again_rightly_for_the_same_day(
    client, db, ids
):
    """The worker chose the wrong outcome, marked it entered in error, and records the right
    one for the day it was asked; a second valid one for that day is still refused."""
    case_id = ids["cases"]["N-0003"]
    sign_in(client, "ann")
    client.post("/cases/N-0003/enquiries", data=ENQUIRY)
    wrong = db.execute("SELECT max(id) FROM enquiries").fetchone()[0]
    link = f"/cases/N-0003/enquiries/{wrong}/error"
    assert client.post(link, data={"reason": "Wrong outcome chosen"}).status_code == 302
    right = {**ENQUIRY, "enquiry-outcome": "disclosed"}
    assert client.post("/cases/N-0003/enquiries", data=right).status_code == 302
    rows = db.execute(
        "SELECT outcome, entered_in_error_at IS NOT NULL FROM enquiries "
        "WHERE case_id = ? AND asked_on = '2026-03-01' ORDER BY id",
        [case_id],
    ).fetchall()
    assert rows == [("not_disclosed", 1), ("disclosed", 0)]
    again = client.post("/cases/N-0003/enquiries", data=right)
    assert again.status_code == 400
    assert "This enquiry is already recorded for that day" in text(again)


def test_a_review_entered_in_error_no_longer_counts_as_a_review(client, db, ids):
    sign_in(client, "meg")
    client.post(
        "/cases/N-0004/reviews",
        data={
            "review-decision": "disagree",
            "review-disagree_reason": "The new partner left in January",
            "review-disagreed": ["new_partner"],
            "review-plan": "Joint visit with police",
        },
    )
    assert "Reviewed 2 March 2026" in text(client.get("/cases/N-0004"))
    review = db.execute("SELECT id FROM reviews").fetchone()[0]
    response = client.post(
        f"/cases/N-0004/reviews/{review}/error", data={"reason": "Meant for N-0005"}
    )
    assert response.status_code == 302
    page = text(client.get("/cases/N-0004"))
    assert "Entered in error" in page and "Meant for N-0005" in page
    assert "Joint visit with police" in page  # history kept
    assert "Review the case</a> (awaiting a review" in page  # it needs a review again
    assert audit_rows(db, "review_entered_in_error")[0]["detail"] == f"review={review}"


def test_a_review_entered_in_error_closes_its_open_actions_as_not_done(client, db, ids):
    sign_in(client, "meg")
    client.post(
        "/cases/N-0004/reviews",
        data={
            "review-decision": "act",
            "review-actions-0-kind": "visit_child",
            "review-actions-0-owner": str(ids["staff"]["bob"]),
            "review-actions-0-due_on": ["9", "3", "2026"],
        },
    )
    review = db.execute("SELECT id FROM reviews").fetchone()[0]
    client.post(f"/cases/N-0004/reviews/{review}/error", data={"reason": "Wrong case"})
    assert db.execute("SELECT state, outcome FROM actions").fetchone() == (
        "not_done",
        "Agreed at a review marked as entered in error",
    )


def test_a_correction_of_another_cases_record_is_not_found(client, db, ids):
    sign_in(client, "meg")
    other = db.execute(
        "SELECT id FROM enquiries WHERE case_id = ?", [ids["cases"]["N-0001"]]
    ).fetchone()[0]
    response = client.post(f"/cases/N-0002/enquiries/{other}/error", data={"reason": "x"})
    assert response.status_code == 404
    assert db.execute("SELECT count(*) FROM valid_enquiries").fetchone()[0] == 3


# --- what matters first -----------------------------------------------------------------------


def test_the_case_page_leads_with_the_score_band_reasons_and_what_would_help_next(client, ids):
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0003"))  # no enquiries at all, visited 10 days ago
    order = [
        page.index('data-testid="score"'),
        page.index("Why it ranks here"),
        page.index("What would help next"),
        page.index('id="actions"'),
        page.index("How this score is built"),
        page.index("Indicator timeline"),
    ]
    assert order == sorted(order)
    steps = page[page.index('data-testid="next-steps"') : page.index('id="actions"')]
    assert "Ask about domestic abuse" in steps
    assert "Ask about the parents&#39; own childhood" in steps
    assert "Review the case" not in steps  # not a hotspot: no review awaited
    assert "Visit the child" not in steps
    assert 'href="/how-scores-work"' in page
    assert "Green: a score below 7." in page


# --- no lost typing -----------------------------------------------------------------------------


def test_a_form_sent_after_the_session_expired_is_put_back_after_signing_in(app, client, db, ids):
    sign_in(client, "ann")
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=31)  # idle past the 30 minutes
    plan = {"review-plan": "Joint visit with police on Friday; ask about the new partner"}
    response = client.post("/cases/N-0002/reviews", data=plan)
    assert response.status_code == 302
    assert response.location == "/login?next=/cases/N-0002/reviews"
    assert count(db, "reviews") == 0  # nothing saved while signed out
    login = text(client.get(response.location))
    assert "what you typed will be back in the form" in login
    signed_in = sign_in_to(client, "ann", next_url="/cases/N-0002/reviews")
    assert signed_in.location == "/cases/N-0002/reviews"
    page = text(client.get("/cases/N-0002/reviews"))
    assert "Joint visit with police on Friday; ask about the new partner" in page
    assert "What you typed before you were signed out is back in the form" in page
    assert count(db, "reviews") == 0  # put back, not saved: the worker checks and saves
    assert count(db, "form_drafts") == 0  # taken once
    assert "Joint visit with police" not in text(client.get("/cases/N-0002/reviews"))


def test_typed_text_is_put_back_only_for_the_person_who_typed_it(app, client, db, ids):
    sign_in(client, "meg")
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=31)
    client.post("/cases/N-0002/reviews", data={"review-plan": "Meg's plan"})
    client.get("/login")
    sign_in(client, "ann")
    assert "Meg&#39;s plan" not in text(client.get("/cases/N-0002/reviews"))
    assert count(db, "form_drafts") == 1


def test_a_form_sent_by_the_timeout_warning_while_still_signed_in_is_never_saved(client, db, ids):
    sign_in(client, "ann")
    data = {**VISIT, "app-timed-out": "1"}
    response = client.post("/cases/N-0002/visits", data=data)
    assert response.status_code == 302 and response.location == "/cases/N-0002/visits"
    assert count(db, "visits") == 0
    page = text(client.get("/cases/N-0002/visits"))
    assert "Baby asleep in a safe cot" in page


def test_typed_text_older_than_a_day_is_not_put_back(app, client, db, ids):
    sign_in(client, "ann")
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=31)
    client.post("/cases/N-0002/reviews", data={"review-plan": "Old plan"})
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(days=1, minutes=32)
    sign_in(client, "ann")
    assert "Old plan" not in text(client.get("/cases/N-0002/reviews"))


def test_stay_signed_in_keeps_the_session_alive(app, client, ids):
    sign_in(client, "ann")
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=29)
    assert client.post("/session/keep-alive").get_json() == {"signed_in": True}
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=58)  # 29 minutes after staying
    assert client.get("/cases/N-0002").status_code == 200
    page = text(client.get("/cases/N-0002"))
    assert 'data-idle-seconds="1800"' in page and 'data-warn-seconds="120"' in page


def sign_in_to(client, key: str, next_url: str):
    return client.post(
        f"/login?next={next_url}", data={"email": email(key), "password": world.PASSWORD}
    )


def test_how_scores_work_is_built_from_the_settings_in_force(client, settings, ids):
    sign_in(client, "ann")
    page = text(client.get("/how-scores-work"))
    assert "A score of 14 or more" in page and "A score of 7 or more, below 14" in page
    for spec in settings["scoring"]["indicators"].values():
        assert spec["label"].replace("'", "&#39;") in page
    assert "half after two years" in page and "Does not fade" in page
    assert "No domestic-abuse enquiry recorded" in page
    gaps = settings["scoring"]["practice_gaps"]
    assert f"No domestic-abuse enquiry recorded ({gaps['no_domestic_abuse_enquiry']:+g})" in page
    assert "Several concerns around a very young child" in page
    assert "The pattern the review found" in page
    assert "4 or more of these recorded" in page and "one of them conflict in the parents" in page
    assert (
        "Never recorded by hand: the service works it out from "
        "“Police public protection notice graded low” (3 or more within 91 days)."
    ) in page
    assert "×" not in page and "half-life" not in page
