"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 document generated from the models that
validate requests; and property-based requests generated from it (schemathesis), valid and
invalid alike, which must never get a 5xx or an answer the document does not describe."""

from __future__ import annotations

import browser_support as world
import pytest
import schemathesis
from browser_support import NOW
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from hotspots import partners
from hotspots.api.models import models_for
from hotspots.config import recordable_indicators


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


def test_the_document_describes_every_error_the_api_answers(document):
    responses = document["paths"]["/api/v1/observations"]["post"]["responses"]
    assert set(responses) == {"200", "400", "401", "409", "413", "415", "422", "429", "500", "503"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_never_get_a_server_error_or_an_undocumented_answer(app, token, mode):
    # The schema is loaded inside the test (not through schemathesis' pytest plugin), so the
    # app is this test's app on this test's database.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/observations"]["POST"]
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    checks += [response_schema_conformance]

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
    )
    def call(case):
        # The token is always sent: negative cases whose only mutation was the header
        # become valid requests, and tests/test_api.py covers bad tokens.
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

    call()
