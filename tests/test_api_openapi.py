"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document generated from the models that
validate requests, stating every rule a JSON Schema can; schemathesis, with every check,
against the live API finds nothing wrong; and any JSON value at all in any field of an item
gets a 422 naming the item and the field, never a 5xx, with nothing of it in a log line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import browser_support as world
import pytest
from browser_support import NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from werkzeug.serving import make_server

from hotspots.base.config import recordable_indicators
from hotspots.services import partners
from hotspots.web.api.models import models_for

URL = "/api/v1/observations"


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def token(db, settings, ids):
    # A generous rate, so the generated requests test the API rather than its limit.
    settings["api"]["requests_per_minute"] = 1_000_000
    return partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any departure from the specification


def test_the_request_schema_is_the_validating_models_schema(document, settings):
    models = models_for(tuple(recordable_indicators(settings)), 1000)
    assert (
        document["components"]["schemas"]["Observation"] == models.observation.model_json_schema()
    )
    body = document["paths"]["/api/v1/observations"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["anyOf"][1]["maxItems"] == 1000


def test_the_document_lists_the_catalogues_codes_but_those_the_service_works_out(
    document, settings
):
    codes = document["components"]["schemas"]["Observation"]["properties"]["indicator"]["enum"]
    derived = set(settings["scoring"]["derived"])
    assert codes == [c for c in settings["scoring"]["indicators"] if c not in derived]
    assert derived == {"ppn_escalating", "unscheduled_care_injury"}


def test_the_document_states_every_rule_a_json_schema_can_and_the_rest_in_words(document):
    observation = document["components"]["schemas"]["Observation"]
    fields = observation["properties"]
    assert observation["additionalProperties"] is False
    # An item names a child: case_ref or nhs_number, as text (null is "not given").
    assert observation["anyOf"] == [
        {"required": ["case_ref"], "properties": {"case_ref": {"type": "string"}}},
        {"required": ["nhs_number"], "properties": {"nhs_number": {"type": "string"}}},
    ]
    case_ref = fields["case_ref"]["anyOf"][0]
    assert (case_ref["pattern"], case_ref["maxLength"]) == ("^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", 32)
    nhs = fields["nhs_number"]["anyOf"][0]
    assert nhs["pattern"] == "^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"
    assert nhs["format"] == "nhs-number" and "check digit" in nhs["description"]
    assert fields["observed_on"]["format"] == "date"
    assert re.fullmatch(fields["observed_on"]["pattern"], "1900-01-01")
    assert not re.fullmatch(fields["observed_on"]["pattern"], "1899-12-31")
    assert fields["id"]["maxLength"] == 100 and fields["note"]["maxLength"] == 2000
    assert fields["status"]["enum"] == ["current", "resolved", "refuted"]
    body = document["paths"]["/api/v1/observations"]["post"]["requestBody"]
    array = body["content"]["application/json"]["schema"]["anyOf"][1]
    assert (array["minItems"], array["maxItems"], array["uniqueItems"]) == (1, 1000, True)
    words = document["info"]["description"]
    for rule in ("check digit", "not later than today", "only once in one request", "twice"):
        assert rule in words


def test_the_documents_patterns_are_the_ones_the_api_checks_with():
    from hotspots.web.api import checks

    for pattern, good, bad in [
        (checks.CASE_REF_PATTERN, "N-0001", "N/0001"),
        (checks.NHS_NUMBER_PATTERN, "943-476-5919", "9 4 3 4 7 6 5 9 1 9"),
        (checks.PARTNER_REF_PATTERN, "PPN-1/da", "PPN 1"),
        (checks.DATE_PATTERN, "2026-03-01", "0202-03-01"),
    ]:
        assert re.fullmatch(pattern, good) and not re.fullmatch(pattern, bad)
    assert checks.case_ref_problem("N/0001") and checks.nhs_number_problem("9 4 3 4 7 6 5 9 1 9")
    assert checks.partner_ref_problem("PPN 1")


def test_the_document_describes_every_error_the_api_answers(document):
    responses = document["paths"]["/api/v1/observations"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "409", "413", "415", "422", "429", "500", "503"}


@pytest.fixture
def live(app, token):
    """The app on a real HTTP server on loopback (threaded, as `hotspots run` serves it)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_schemathesis_with_every_check_finds_nothing_wrong_with_the_live_api(live, token, tmp_path):
    # An outside client nobody here wrote, as a partner's developer would run it: stateless
    # (examples, coverage, fuzzing), every check, against the served document. The rules the
    # document states in words are taught to it in tests/schemathesis_hooks.py.
    seed = os.environ.get("TEST_SCHEMATHESIS_SEED", "23")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live}/api/v1/openapi.json",
        "--checks=all",
        "--phases=examples,coverage,fuzzing",
        "--max-examples=400",
        f"--seed={seed}",
        "--workers=1",
        "--continue-on-failure",
        "--no-color",
        "--output-truncate=true",
        f"--header=Authorization: Bearer {token}",
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": str(Path(__file__).parent),
        "HOTSPOTS_TEST_TODAY": NOW.date().isoformat(),
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-12000:]
    assert re.search(r"Test cases:\s+[1-9][0-9]+ generated", report), report[-4000:]
    assert "No issues found" in report, report[-4000:]


# Any JSON value at all: what a partner's system with a bug, or an attacker, might send.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)
ITEM_FIELDS = [
    "id",
    "case_ref",
    "nhs_number",
    "indicator",
    "observed_on",
    "status",
    "note",
    "source",
]


def texts_in(value) -> list[str]:
    """Every string in a JSON value, keys too, long enough to spot in a log."""
    if isinstance(value, str):
        return [value] if len(value.strip()) >= 4 else []
    if isinstance(value, list):
        return [t for v in value for t in texts_in(v)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in texts_in(k) + texts_in(v)]
    return []


def good_item(**fields):
    base = {"id": "fine", "nhs_number": "9434765919", "indicator": "ppn_low"}
    return {**base, "observed_on": "2026-03-01", **fields}


def test_any_json_value_in_any_field_gets_a_422_naming_the_item_and_field_and_is_never_logged(
    client, token, caplog
):
    from hotspots.base.logs import SafeFormatter

    formatter = SafeFormatter("%(levelname)s %(name)s %(message)s")
    headers = {"Authorization": f"Bearer {token}"}

    @given(field=st.sampled_from(ITEM_FIELDS), value=json_values)
    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    def send(field, value):
        caplog.clear()
        odd = {**good_item(id="odd"), field: value}
        response = client.post(URL, json=[good_item(), odd], headers=headers)
        assert response.status_code in (200, 422), (field, value, response.get_data())
        if response.status_code == 422:
            # A null nhs_number leaves the item naming no child: a problem of the whole item.
            named = None if (field, value) == ("nhs_number", None) else field
            problems = response.get_json()["errors"]
            assert problems and all((p["index"], p["field"]) == (1, named) for p in problems), (
                field,
                value,
                problems,
            )
        log = "\n".join(formatter.format(record) for record in caplog.records)
        for text in texts_in(value):
            assert text not in log, (field, value, log)

    send()


def test_any_json_body_at_all_gets_an_answer_in_problem_details_never_a_server_error(client, token):
    headers = {"Authorization": f"Bearer {token}"}

    @given(body=json_values | st.lists(json_values, min_size=1, max_size=5))
    @settings(max_examples=200, deadline=None, database=None)
    def send(body):
        text = json.dumps(body)
        response = client.post(URL, data=text, content_type="application/json", headers=headers)
        assert response.status_code in (400, 422), (body, response.get_data())
        problem = response.get_json(force=True)
        for p in problem.get("errors", []):
            assert p["index"] is None or 0 <= p["index"] < max(
                1, len(body) if isinstance(body, list) else 1
            )
            assert p["field"] is None or isinstance(p["field"], str)

    send()
