"""/cases/<case_ref>: the breakdown, who may see a case (404 and audited otherwise), and the
forms: each change is saved, audited, rescored at once; bad input saves nothing."""

from __future__ import annotations

import re

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, count, email, score_row, sign_in


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def ids(db, settings):
    return world.build_world(db, settings)


def text(response) -> str:
    return response.get_data(as_text=True)


def without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", html)


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
    for words in ("Previous injury or unexplained bruising", "×0.98", "Child&#39;s age"):
        assert words in page
    version = db.execute("SELECT model_version FROM scores LIMIT 1").fetchone()[0]
    assert f"model version {version}" in page


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
    from hotspots import rescoring

    db.execute("UPDATE cases SET status = 'closed', closed_on = '2026-03-01' WHERE id = ?", [1])
    rescoring.rescore_changed(db, settings, as_of=world.TODAY, now=NOW)
    sign_in(client, "ann")
    page = text(client.get("/cases/N-0001"))
    assert "Closed cases are not scored" in page
    assert "closed 1 March 2026" in page
    assert "Previous injury or unexplained bruising" in page  # the timeline stays
    assert "Record an observation" not in page


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
    assert "<title>Error: Case N-0002" in page
    assert count(db, "observations") == observations
    assert [r["action"] for r in audit_rows(db)][audits:] == ["view_case"]  # shown, not saved
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
        token = world.csrf_token(text(client.get("/cases/N-0002")))
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
    assert "Nothing disclosed" in page
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
        ({"adjustment-points": "nan"}, "Points must be between -20 and 20, and not 0"),
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


def test_a_negative_adjustment_lowers_the_score(client, db, ids):
    sign_in(client, "ann")
    data = {**ADJUSTMENT, "adjustment-points": "-2.5"}
    assert client.post("/cases/N-0001/adjustments", data=data).status_code == 302
    before = 25.547367904165746
    assert score_row(db, ids["cases"]["N-0001"])["score"] == pytest.approx(before - 2.5, abs=0.01)


def test_marking_a_case_reviewed_records_the_plan(client, db, ids):
    sign_in(client, "meg")
    response = client.post("/cases/N-0004/reviews", data={"review-plan": "Joint visit with police"})
    assert response.status_code == 302
    page = text(client.get("/cases/N-0004"))
    assert "Case marked as reviewed." in page and "Joint visit with police" in page
    assert "Meg Manager" in page
    assert audit_rows(db, "mark_reviewed")[0]["case_ref"] == "N-0004"
    assert db["rescore_queue"].count == 0


def test_a_review_needs_a_plan(client, db, ids):
    sign_in(client, "meg")
    response = client.post("/cases/N-0004/reviews", data={"review-plan": "   "})
    assert response.status_code == 400
    assert "Enter the plan" in text(response)
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
