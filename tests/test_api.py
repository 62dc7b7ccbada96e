"""POST /api/v1/observations: bearer tokens, every error as problem details, all or nothing,
idempotent re-sends, matching by case reference or NHS number, the unmatched queue, rescoring
at once and the audit trail."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, count, score_row

from hotspots.services import partners

URL = "/api/v1/observations"
NHS = "9434765919"  # valid check digit
OTHER_NHS = "4010232137"


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def token(db, settings, ids):
    return partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)


def item(**fields):
    base = {
        "id": "PPN-1",
        "case_ref": "N-0003",
        "indicator": "ppn_high",
        "observed_on": "2026-03-01",
    }
    return {**base, **fields}


def send(client, body, token, **kwargs):
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    if "data" in kwargs:
        return client.post(URL, headers=headers, **kwargs)
    return client.post(URL, json=body, headers=headers, **kwargs)


def observations(db, case_id):
    cursor = db.execute(
        "SELECT partner_ref, indicator, observed_on, status, note, source FROM observations "
        "WHERE case_id = ? AND partner_id IS NOT NULL ORDER BY id",
        [case_id],
    )
    return [
        dict(zip(("ref", "indicator", "observed_on", "status", "note", "source"), r, strict=True))
        for r in cursor
    ]


def queued(db):
    cursor = db.execute(
        "SELECT partner_ref, case_ref, nhs_number, indicator, state, why "
        "FROM unmatched_observations ORDER BY id"
    )
    return [
        dict(zip(("ref", "case_ref", "nhs_number", "indicator", "state", "why"), r, strict=True))
        for r in cursor
    ]


def assert_problem(response, status, type_name):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].endswith(f"/api/v1/problems/{type_name}")
    assert body["title"] and body["detail"]
    return body


# --- tokens ----------------------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_with_401_and_stores_nothing(client, db, ids):
    response = client.post(URL, json=item())
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(db, "observations") == 9


@pytest.mark.parametrize(
    "header",
    ["Bearer hsp_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "hsp_no_scheme", "Bearer " + "x" * 5000],
)
def test_a_wrong_token_is_refused_with_401(client, token, header):
    response = client.post(URL, json=item(), headers={"Authorization": header})
    assert_problem(response, 401, "unauthorized")


def test_a_revoked_partners_token_is_refused_with_401(client, db, token):
    partners.revoke(db, "police-ppn", now=NOW)
    assert_problem(send(client, item(), token), 401, "unauthorized")


def test_after_a_rotation_both_tokens_work_until_the_overlap_ends(app, client, db, token):
    new = partners.rotate(db, "police-ppn", overlap=timedelta(hours=24), now=NOW)
    assert send(client, item(id="a"), token).status_code == 200
    assert send(client, item(id="b"), new).status_code == 200
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(hours=24)
    assert_problem(send(client, item(id="c"), token), 401, "unauthorized")
    assert send(client, item(id="d"), new).status_code == 200


def test_the_token_is_stored_only_as_a_hash(db, token):
    stored = [row[0] for row in db.execute("SELECT token_hash FROM partner_tokens")]
    assert token not in stored
    assert stored == [partners.token_hash(token)]


# --- accepted requests -----------------------------------------------------------------------


def test_one_observation_is_stored_with_the_partners_agency_and_the_case_is_rescored_at_once(
    client, db, ids, token
):
    case_id = ids["cases"]["N-0003"]
    before = score_row(db, case_id)["score"]
    response = send(client, item(), token)
    assert response.status_code == 200
    assert response.get_json() == {
        "received": 1,
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "queued": 0,
        "items": [{"id": "PPN-1", "outcome": "new", "queued": False}],
    }
    assert observations(db, case_id) == [
        {
            "ref": "PPN-1",
            "indicator": "ppn_high",
            "observed_on": "2026-03-01",
            "status": "current",
            "note": "",
            "source": "police",
        }
    ]
    assert score_row(db, case_id)["score"] > before + 5
    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone()[0] == 0


def test_an_array_is_stored_whole_and_every_item_is_reported(client, db, ids, token):
    body = [item(id=f"PPN-{n}", observed_on=f"2026-02-{n:02d}") for n in range(1, 21)]
    response = send(client, body, token)
    assert response.status_code == 200
    assert response.get_json()["new"] == 20
    assert [i["id"] for i in response.get_json()["items"]] == [f"PPN-{n}" for n in range(1, 21)]
    assert len(observations(db, ids["cases"]["N-0003"])) == 20


def test_sending_the_same_items_again_changes_nothing(client, db, ids, token):
    body = [item(id="a"), item(id="b", indicator="ppn_low", note="second")]
    send(client, body, token)
    stored = observations(db, ids["cases"]["N-0003"])
    audit_before = len(audit_rows(db, "partner_observation"))
    response = send(client, body, token)
    assert response.get_json()["unchanged"] == 2
    assert response.get_json()["new"] == 0
    assert observations(db, ids["cases"]["N-0003"]) == stored
    assert len(audit_rows(db, "partner_observation")) == audit_before


def test_a_changed_item_updates_the_stored_observation_and_a_refuted_one_stops_counting(
    client, db, ids, token
):
    case_id = ids["cases"]["N-0003"]
    before = score_row(db, case_id)["score"]
    send(client, item(), token)
    response = send(client, item(status="refuted", note="sent in error"), token)
    assert response.get_json()["updated"] == 1
    [stored] = observations(db, case_id)
    assert (stored["status"], stored["note"]) == ("refuted", "sent in error")
    assert score_row(db, case_id)["score"] == pytest.approx(before)
    reason = db.execute("SELECT status_reason FROM observations WHERE partner_ref = 'PPN-1'")
    assert reason.fetchone()[0] == "changed by the sending partner"


def test_an_item_sent_again_naming_another_case_moves_and_both_cases_are_rescored_at_once(
    client, db, ids, token
):
    first, second = ids["cases"]["N-0003"], ids["cases"]["N-0002"]
    before = score_row(db, first)["score"], score_row(db, second)["score"]
    send(client, item(), token)
    response = send(client, item(case_ref="N-0002"), token)
    assert response.get_json()["updated"] == 1
    assert observations(db, first) == [] and len(observations(db, second)) == 1
    assert score_row(db, first)["score"] == pytest.approx(before[0])
    assert score_row(db, second)["score"] > before[1] + 5
    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone()[0] == 0


def test_a_request_rescores_the_cases_it_changed_and_leaves_other_writers_marks(
    client, db, ids, token
):
    elsewhere = ids["cases"]["N-0001"]
    db.execute("UPDATE cases SET visit_every_days = 3 WHERE id = ?", [elsewhere])  # marked
    before = db.execute("SELECT computed_at FROM scores WHERE case_id = ?", [elsewhere])
    before = before.fetchone()[0]
    send(client, item(), token)
    marks = [r[0] for r in db.execute("SELECT case_id FROM rescore_queue")]
    assert marks == [elsewhere]  # the sweep's (or its writer's) to rescore
    after = db.execute("SELECT computed_at FROM scores WHERE case_id = ?", [elsewhere])
    assert after.fetchone()[0] == before


def test_two_partners_may_use_the_same_reference_without_colliding(
    client, db, ids, settings, token
):
    other = partners.add(db, "trust-cpis", "hospital", settings["import"]["sources"], now=NOW)
    send(client, item(id="123"), token)
    send(client, item(id="123", indicator="unscheduled_care"), other)
    stored = observations(db, ids["cases"]["N-0003"])
    assert [(o["ref"], o["indicator"], o["source"]) for o in stored] == [
        ("123", "ppn_high", "police"),
        ("123", "unscheduled_care", "hospital"),
    ]


def test_an_item_matches_an_open_case_by_nhs_number(client, db, ids, token):
    db.execute("UPDATE cases SET nhs_number = ? WHERE case_ref = 'N-0002'", [NHS])
    response = send(client, item(case_ref=None, nhs_number="943 476 5919"), token)
    assert response.get_json()["items"][0] == {"id": "PPN-1", "outcome": "new", "queued": False}
    assert len(observations(db, ids["cases"]["N-0002"])) == 1


def test_a_case_ref_and_an_nhs_number_of_two_different_cases_store_nothing(client, db, ids, token):
    db.execute("UPDATE cases SET nhs_number = ? WHERE case_ref = 'N-0002'", [NHS])
    body = [item(id="fine"), item(id="odd", case_ref="N-0001", nhs_number=NHS)]
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    assert problem["errors"] == [
        {
            "index": 1,
            "field": "nhs_number",
            "detail": "belongs to another case than N-0001: check both",
        }
    ]
    assert count(db, "observations") == 9


def test_an_nhs_number_other_than_the_named_cases_own_is_an_error(client, db, ids, token):
    db.execute("UPDATE cases SET nhs_number = ? WHERE case_ref = 'N-0001'", [NHS])
    body = item(case_ref="N-0001", nhs_number=OTHER_NHS)
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    assert problem["errors"][0]["field"] == "nhs_number"


# --- children not yet known ------------------------------------------------------------------


def test_an_item_about_an_unknown_child_is_queued_not_lost(client, db, ids, token):
    response = send(client, item(case_ref="X-9999", nhs_number=OTHER_NHS), token)
    assert response.get_json()["items"][0] == {"id": "PPN-1", "outcome": "new", "queued": True}
    assert queued(db) == [
        {
            "ref": "PPN-1",
            "case_ref": "X-9999",
            "nhs_number": OTHER_NHS,
            "indicator": "ppn_high",
            "state": "open",
            "why": "no case has reference X-9999; no open case has the NHS number",
        }
    ]
    assert count(db, "observations") == 9


def test_an_item_about_a_closed_case_is_queued_with_the_reason(client, db, ids, token):
    db.execute(
        "UPDATE cases SET status = 'closed', closed_on = '2026-02-01' WHERE case_ref = 'N-0003'"
    )
    send(client, item(), token)
    assert queued(db)[0]["why"] == "case N-0003 is closed"


def test_an_nhs_number_on_two_open_cases_is_queued_for_a_person_to_decide(client, db, ids, token):
    db.execute("UPDATE cases SET nhs_number = ? WHERE case_ref IN ('N-0001', 'N-0002')", [NHS])
    send(client, item(case_ref=None, nhs_number=NHS), token)
    assert queued(db)[0]["why"] == "the NHS number is on 2 open cases"


def test_a_queued_item_sent_again_once_the_child_is_known_becomes_an_observation(
    client, db, ids, token
):
    send(client, item(case_ref=None, nhs_number=NHS), token)
    db.execute("UPDATE cases SET nhs_number = ? WHERE case_ref = 'N-0002'", [NHS])
    response = send(client, item(case_ref=None, nhs_number=NHS), token)
    assert response.get_json()["items"][0] == {"id": "PPN-1", "outcome": "updated", "queued": False}
    assert queued(db)[0]["state"] == "attached"
    assert len(observations(db, ids["cases"]["N-0002"])) == 1


def test_a_queued_item_sent_again_unchanged_stays_one_item(client, db, ids, token):
    send(client, item(case_ref="X-1"), token)
    response = send(client, item(case_ref="X-1"), token)
    assert response.get_json()["items"][0] == {
        "id": "PPN-1",
        "outcome": "unchanged",
        "queued": True,
    }
    assert len(queued(db)) == 1


# --- all or nothing, and every error ---------------------------------------------------------


def test_one_bad_item_stores_nothing_and_each_problem_names_its_item_and_field(
    client, db, ids, token
):
    body = [
        item(id="good"),
        item(id="bad", indicator="made_up", observed_on="2026-03-03"),
        {"id": "worse", "observed_on": "2026-02-30", "extra": 1},
        "not an object",
        item(id="good"),
    ]
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    found = {(e["index"], e["field"]) for e in problem["errors"]}
    assert {
        (1, "indicator"),
        (1, "observed_on"),
        (2, "indicator"),
        (2, "observed_on"),
        (2, "extra"),
        (3, None),
    } <= found
    details = {(e["index"], e["field"]): e["detail"] for e in problem["errors"]}
    assert details[(1, "observed_on")] == "2026-03-03 is in the future"
    assert details[(1, "indicator")].startswith("unknown indicator 'made_up' (one of: ")
    assert details[(2, "indicator")] == "is required"
    assert count(db, "observations") == 9
    assert count(db, "unmatched_observations") == 0


def contributions(db, case_id: int) -> list[dict]:
    sql = "SELECT contributions FROM scores WHERE case_id = ?"
    return json.loads(db.execute(sql, [case_id]).fetchone()[0])


def test_an_indicator_the_service_works_out_is_refused_with_what_to_send_instead(
    client, db, ids, token
):
    body = [item(id="E1", indicator="ppn_escalating"), item(id="L1", indicator="ppn_low")]
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    assert problem["errors"] == [
        {
            "index": 0,
            "field": "indicator",
            "detail": "ppn_escalating is worked out by the service from ppn_low observations "
            "(3 or more within 91 days): send or record those instead",
        }
    ]
    assert count(db, "observations") == 9


def test_a_third_low_graded_notice_within_three_months_makes_the_case_escalating_at_once(
    client, db, ids, token
):
    case_id = ids["cases"]["N-0003"]
    days = ["2026-01-10", "2026-02-01", "2026-03-01"]
    first = [item(id="L1", indicator="ppn_low", observed_on=days[0])]
    assert send(client, first, token).status_code == 200
    assert "ppn_escalating" not in {c["code"] for c in contributions(db, case_id)}
    rest = [
        item(id=f"L{n}", indicator="ppn_low", observed_on=day) for n, day in enumerate(days[1:], 2)
    ]
    assert send(client, rest, token).status_code == 200
    (escalating,) = [c for c in contributions(db, case_id) if c["code"] == "ppn_escalating"]
    third = db.execute(
        "SELECT id FROM observations WHERE partner_ref = 'L3' AND case_id = ?", [case_id]
    ).fetchone()[0]
    assert escalating["observation_ids"] == [third]


def test_an_id_twice_in_one_request_is_an_error(client, db, ids, token):
    problem = assert_problem(send(client, [item(), item()], token), 422, "invalid-items")
    assert problem["errors"] == [
        {"index": 1, "field": "id", "detail": "PPN-1 appears again (first at index 0)"}
    ]


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"case_ref": None}, None, "give case_ref or nhs_number (or both) to say which child"),
        ({"nhs_number": "9434765918"}, "nhs_number", "check digit is wrong"),
        ({"nhs_number": "94347659"}, "nhs_number", "should be 10 digits"),
        ({"note": "x" * 2001}, "note", "is longer than 2000 characters"),
        ({"status": "deleted"}, "status", "unknown status 'deleted'"),
        ({"id": ""}, "id", "should be 1 to 100 characters"),
        ({"id": "x" * 101}, "id", "should be 1 to 100 characters"),
        ({"id": 12}, "id", "should be text"),
        ({"observed_on": "01/03/2026"}, "observed_on", "YYYY-MM-DD"),
        ({"observed_on": 20260301}, "observed_on", "should be a date as text, YYYY-MM-DD"),
    ],
)
def test_each_bad_field_is_explained(client, db, ids, token, fields, field, detail):
    problem = assert_problem(send(client, item(**fields), token), 422, "invalid-items")
    [error] = problem["errors"]
    assert (error["index"], error["field"]) == (0, field)
    assert detail in error["detail"]


def test_a_note_of_exactly_2000_characters_is_accepted(client, db, ids, token):
    assert send(client, item(note="é" * 2000), token).status_code == 200


def test_a_body_that_is_not_json_is_400(client, token):
    response = send(client, None, token, data="{not json", content_type="application/json")
    assert_problem(response, 400, "invalid-json")


def test_a_body_that_is_not_declared_json_is_415(client, token):
    response = send(client, None, token, data=json.dumps(item()), content_type="text/plain")
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize("body", [[], 3, "text", None])
def test_an_empty_array_or_a_bare_value_is_422(client, token, body):
    response = send(client, None, token, data=json.dumps(body), content_type="application/json")
    assert_problem(response, 422, "invalid-items")


def test_1000_items_are_accepted_and_1001_are_refused_as_the_schemas_max_items_says(
    client, db, ids, token
):
    body = [item(id=f"n{n}", observed_on="2026-01-01") for n in range(1001)]
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    assert problem["errors"] == [
        {
            "index": None,
            "field": None,
            "detail": "1001 items: at most 1000 in one request; split them",
        }
    ]
    assert count(db, "observations") == 9
    response = send(client, body[:1000], token)
    assert response.status_code == 200
    assert response.get_json()["new"] == 1000


def test_a_body_over_the_byte_limit_is_413_whatever_its_content_length(app, client, token):
    app.config["SETTINGS"]["api"]["max_request_bytes"] = 1000
    response = send(client, [item(note="x" * 1000)], token)
    assert_problem(response, 413, "too-large")


def test_the_rate_limit_answers_429_with_retry_after_and_resets_next_minute(
    app, client, db, ids, token
):
    app.config["SETTINGS"]["api"]["requests_per_minute"] = 3
    start = NOW.replace(second=50)
    app.config["HOTSPOTS_NOW"] = start
    for n in range(3):
        assert send(client, item(id=f"r{n}"), token).status_code == 200
    response = send(client, item(id="r3"), token)
    assert_problem(response, 429, "rate-limited")
    assert response.headers["Retry-After"] == "10"
    app.config["HOTSPOTS_NOW"] = start + timedelta(seconds=10)
    assert send(client, item(id="r3"), token).status_code == 200


def test_one_partners_rate_does_not_limit_another(app, client, db, ids, settings, token):
    app.config["SETTINGS"]["api"]["requests_per_minute"] = 1
    other = partners.add(db, "trust-cpis", "hospital", settings["import"]["sources"], now=NOW)
    assert send(client, item(id="a"), token).status_code == 200
    assert send(client, item(id="a"), other).status_code == 200
    assert send(client, item(id="b"), token).status_code == 429


def test_an_unknown_api_address_and_a_wrong_method_answer_in_problem_details(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(client.get(URL), 405, "method-not-allowed")


def test_pages_outside_the_api_still_answer_with_html_error_pages(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_the_api_needs_no_csrf_token_while_forms_still_do(db_path, tmp_path, db, settings):
    app = world.make_app(db_path, tmp_path, csrf=True)
    world.build_world(db, settings)
    token = partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)
    client = app.test_client()
    assert send(client, item(), token).status_code == 200
    assert client.post("/login", data={"email": "x", "password": "y"}).status_code == 400


def test_every_problem_type_uri_describes_itself(client, token):
    problem = client.post(URL, json=item()).get_json()
    description = client.get(problem["type"].removeprefix("http://localhost")).get_json()
    assert description["status"] == 401
    assert description["title"] == problem["title"]


# --- the audit trail -------------------------------------------------------------------------


def test_every_accepted_request_is_audited_with_the_partners_name(client, db, ids, token):
    send(client, [item(id="a"), item(id="b", case_ref="X-1", indicator="ppn_low")], token)
    [request_row] = audit_rows(db, "api_observations")
    assert request_row["actor_email"] == "partner:police-ppn"
    assert json.loads(request_row["detail"]) == {
        "items": 2,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "unmatched": 1,
        "indicators": ["ppn_high", "ppn_low"],
    }
    [on_case] = audit_rows(db, "partner_observation")
    assert on_case["case_ref"] == "N-0003"
    assert "indicator=ppn_high" in on_case["detail"]
    assert len(audit_rows(db, "partner_unmatched")) == 1


def test_notes_and_nhs_numbers_never_reach_the_audit_log(client, db, ids, token):
    send(client, item(note="Father arrested at the address", nhs_number=NHS), token)
    log = json.dumps(audit_rows(db))
    assert "arrested" not in log
    assert NHS not in log


def test_a_refused_request_is_not_audited_as_accepted(client, db, ids, token):
    send(client, item(indicator="nope"), token)
    assert audit_rows(db, "api_observations") == []


def test_a_workers_refutation_stands_when_the_partner_sends_the_item_again(client, db, ids, token):
    send(client, item(note="first"), token)
    db.execute(
        "UPDATE observations SET status = 'refuted', status_reason = 'wrong family', "
        "status_changed_by_id = ? WHERE partner_ref = 'PPN-1'",
        [ids["staff"]["ann"]],
    )
    assert send(client, item(note="first"), token).get_json()["unchanged"] == 1
    assert send(client, item(note="second"), token).get_json()["updated"] == 1
    [stored] = observations(db, ids["cases"]["N-0003"])
    assert (stored["status"], stored["note"]) == ("refuted", "second")


def test_a_key_already_taken_by_an_import_is_a_409_and_stores_nothing(client, db, ids, token):
    partner_id = db.execute("SELECT id FROM partners").fetchone()[0]
    db["observations"].insert(
        {
            "external_id": f"api:{partner_id}:PPN-1",
            "case_id": ids["cases"]["N-0001"],
            "indicator": "domestic_abuse",
            "observed_on": "2026-01-01",
            "source": "police",
            "status": "current",
            "note": "",
            "recorded_at": NOW.isoformat(),
        }
    )
    before = count(db, "observations")
    assert_problem(send(client, [item(id="other"), item()], token), 409, "conflict")
    assert count(db, "observations") == before


# --- what a fuzzer and a security re-probe found (issue 23) ----------------------------------

JSON_OF_EVERY_SHAPE = [{}, {"a": 1}, [], ["ppn_low"], None, True, 0, 1.5]
FIELDS = ["id", "case_ref", "nhs_number", "indicator", "observed_on", "status", "note"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (field, value)
        for field in FIELDS
        for value in JSON_OF_EVERY_SHAPE
        # null means "not given" for these two (the other identifier is sent)
        if not (field in ("case_ref", "nhs_number") and value is None)
    ],
    ids=repr,
)
def test_any_json_value_in_any_field_is_a_422_naming_the_item_and_the_field(
    client, db, ids, token, field, value
):
    body = [item(id="fine", nhs_number=NHS), {**item(id="odd", nhs_number=NHS), field: value}]
    problem = assert_problem(send(client, body, token), 422, "invalid-items")
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [(1, field)]
    assert count(db, "observations") == 9


def test_a_field_the_schema_does_not_have_is_refused_whatever_its_value(client, token, ids):
    problem = assert_problem(
        send(client, item(source={"agency": ["police"]}), token), 422, "invalid-items"
    )
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [(0, "source")]


def production_log(caplog) -> str:
    """What the service's log handler (hotspots.base.logs.SafeFormatter) would have written."""
    from hotspots.base.logs import SafeFormatter

    formatter = SafeFormatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def test_no_value_from_a_request_reaches_a_log_line_even_when_the_service_fails(
    app, client, db, ids, token, caplog, monkeypatch
):
    from hotspots.web.api import intake

    def broken(db, partner, items, now):  # fails quoting what was sent, as validators do
        raise ValueError(f"input_value={items[0]['nhs_number']!r} note={items[0]['note']!r}")

    monkeypatch.setattr(intake, "take_in", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 is answered
    caplog.set_level(logging.DEBUG)
    response = send(client, [item(nhs_number=NHS, note="Father arrested")], token)
    body = assert_problem(response, 500, "server-error")
    log = production_log(caplog)
    assert "ValueError" in log and "receive_observations" in log
    assert NHS not in log and "arrested" not in log
    # Retrying cannot help a fault in the service: the answer does not invite it.
    assert "do not send it again by itself" in body["detail"]
    assert "later" not in body["detail"]


def test_a_refused_item_writes_nothing_to_the_log(client, ids, token, caplog):
    caplog.set_level(logging.DEBUG)
    send(client, [item(indicator={"a": NHS}), item(id="2", nhs_number="9434765918")], token)
    assert NHS not in production_log(caplog) and "9434765918" not in production_log(caplog)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("GET", URL, "OPTIONS, POST"),
        ("PUT", URL, "OPTIONS, POST"),
        ("DELETE", URL, "OPTIONS, POST"),
        ("PATCH", URL, "OPTIONS, POST"),
        ("POST", "/api/v1/openapi.json", "GET, HEAD, OPTIONS"),
        ("DELETE", "/api/v1/problems/invalid-json", "GET, HEAD, OPTIONS"),
    ],
)
def test_every_405_says_which_methods_the_address_takes(client, method, url, allowed):
    response = client.open(url, method=method)
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize(
    ("fields", "field", "detail"),
    [
        ({"case_ref": "<b>" + "a" * 61}, "case_ref", "is longer than 32 characters"),
        ({"case_ref": "<b>aaa"}, "case_ref", "is not a case reference"),
        ({"case_ref": "N/0001"}, "case_ref", "is not a case reference"),
        ({"case_ref": ""}, "case_ref", "is empty"),
        ({"observed_on": "1800-01-01"}, "observed_on", "1800-01-01 is before 1900: check the year"),
        ({"observed_on": "2026-02-30"}, "observed_on", "2026-02-30 is not a real date"),
        ({"observed_on": " 2026-03-01"}, "observed_on", "YYYY-MM-DD"),
        ({"observed_on": "2026-03-03"}, "observed_on", "2026-03-03 is in the future"),
        ({"nhs_number": "9 4 3 4 7 6 5 9 1 9"}, "nhs_number", "grouped 3-3-4"),
        ({"nhs_number": "９４３４７６５９１９"}, "nhs_number", "should be 10 digits"),
        ({"nhs_number": "9434765919\n"}, "nhs_number", "should be 10 digits"),
        ({"id": "PPN-1\n"}, "id", "should be 1 to 100 characters"),
    ],
)
def test_the_api_refuses_references_and_dates_the_importers_refuse(
    client, db, ids, token, fields, field, detail
):
    problem = assert_problem(send(client, item(**fields), token), 422, "invalid-items")
    [error] = problem["errors"]
    assert (error["index"], error["field"]) == (0, field)
    assert detail in error["detail"]
    assert count(db, "unmatched_observations") == 0


def test_the_api_and_the_importers_agree_on_every_case_reference_and_date(settings):
    from hotspots.base import params
    from hotspots.services.importer.csvfile import Dates
    from hotspots.web.api import checks

    today = NOW.date()
    for ref in ["N-0001", "n_1", "<b>aaa", "N/1", "a" * 32, "a" * 33, "-x", "", "N 1", "é1"]:
        assert checks.case_ref_problem(ref) == params.case_ref_problem(ref), ref
    for text in [
        "2026-03-02",
        "2026-03-03",
        "1899-12-31",
        "1900-01-01",
        "2026-02-29",
        "1800-01-01",
    ]:
        assert checks.observed_on_problem(text, today) == Dates(today).reason(text), text


def test_a_field_given_twice_in_one_item_is_an_error_not_the_last_one_silently(
    client, db, ids, token
):
    text = json.dumps([item(id="a"), item(id="b")])
    text = text.replace('"id": "b"', '"id": "b", "indicator": "ppn_low", "id": "c"')
    response = send(client, None, token, data=text, content_type="application/json")
    problem = assert_problem(response, 422, "invalid-items")
    assert {(e["index"], e["field"]) for e in problem["errors"]} == {(1, "id"), (1, "indicator")}
    assert all(e["detail"] == "appears more than once in the item" for e in problem["errors"])
    assert count(db, "observations") == 9


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('{"id": NaN}', "NaN is not a JSON value"),
        ('{"id": -Infinity}', "-Infinity is not a JSON value"),
        ('{"note": "\\ud800"}', "lone surrogate"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"id": ' + "9" * 5000 + "}", "a number too long to read"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_a_body_that_is_not_json_as_rfc_8259_has_it_is_400(client, token, text, detail):
    response = send(client, None, token, data=text, content_type="application/json")
    body = assert_problem(response, 400, "invalid-json")
    assert detail in body["detail"]


def test_a_repeated_key_inside_a_replaced_value_is_not_blamed_on_another_item(
    client, db, ids, token
):
    # The first "note" (an object repeating "x") is replaced by the second, and freed: the
    # next item must not inherit its repeat.
    first = '{"id": "a", "case_ref": "N-0003", "indicator": "ppn_low", "observed_on": "2026-03-01"'
    text = f'[{first}, "note": {{"x": 1, "x": 2}}, "note": "n"}}, {first.replace("a", "b", 1)}}}]'
    response = send(client, None, token, data=text, content_type="application/json")
    problem = assert_problem(response, 422, "invalid-items")
    assert problem["errors"] == [
        {"index": 0, "field": "note", "detail": "appears more than once in the item"}
    ]
