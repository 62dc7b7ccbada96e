"""The OpenAPI 3.1 document, built from the pydantic models that validate requests
(``hotspots.web.api.models``): the request body's schema *is* the validating model's schema."""

from __future__ import annotations

from typing import Any

from hotspots.base.config import recordable_indicators
from hotspots.web.api import PROBLEMS, RETRY_AFTER
from hotspots.web.api.models import ProblemDetails, Receipt, models_for, schema_of

PROBLEM_JSON = "application/problem+json"


def rules_in_words(settings: dict[str, Any]) -> list[str]:
    """What the server checks of a request beyond its schema, which JSON Schema cannot state
    (docs/api.md lists them too, with every other rule)."""
    return [
        "`nhs_number`: its last digit is its modulus 11 check digit.",
        "`observed_on`: a real day (not 2026-02-30), not later than today in the service's "
        f"time zone ({settings['app']['timezone']}).",
        "`id`: each appears only once in one request.",
        "No field appears twice in one item.",
        "`case_ref` and `nhs_number` together must not name two different cases, nor an NHS "
        "number other than the one the named case holds.",
        f"The body is UTF-8 JSON of at most {settings['api']['max_request_bytes']} bytes "
        "(413 `too-large` beyond that).",
    ]


def document(settings: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document for these settings (their catalogue and limits)."""
    catalogue = recordable_indicators(settings)
    limits = settings["api"]
    models = models_for(tuple(catalogue), limits["max_items_per_request"])
    schemas: dict[str, Any] = {}
    body = _take_defs(schema_of(models.body), schemas)
    for model in (Receipt, ProblemDetails):
        schemas[model.__name__] = _take_defs(schema_of(model), schemas)

    def problems(*names: str) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for name in names:
            status, title, meaning = PROBLEMS[name]
            answer = answers.setdefault(
                str(status),
                {
                    "description": "",
                    "content": {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                    },
                },
            )
            answer["description"] = " ".join(
                filter(None, [answer["description"], f"{title}. {meaning}"])
            )
            if name in RETRY_AFTER or name == "rate-limited":
                answer["headers"] = _retry_after()
        return answers

    labels = settings["scoring"]["indicators"]
    codes = "\n".join(f"| `{code}` | {labels[code]['label']} |" for code in catalogue)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Caseload hotspots: partner observations",
            "version": "1",
            "description": (
                "Partner agencies' systems send what they observe about a child. Every request "
                "carries `Authorization: Bearer <token>` (ask the service's administrators for "
                "a token). See docs/api.md.\n\n"
                f"At most {limits['max_items_per_request']} items and "
                f"{limits['max_request_bytes']} bytes a request, and "
                f"{limits['requests_per_minute']} requests a minute per partner.\n\n"
                "Each item is checked against the request schema, and also against these "
                "rules, which a JSON Schema cannot state (422 `invalid-items` names the item's "
                "index and the field):\n\n"
                + "\n".join(f"- {rule}" for rule in rules_in_words(settings))
                + "\n\nIndicator codes:\n\n| code | indicator |\n| --- | --- |\n"
                + codes
            ),
        },
        "paths": {
            "/api/v1/observations": {
                "post": {
                    "operationId": "sendObservations",
                    "summary": "Send one observation or an array of them (all or nothing)",
                    "description": (
                        "Each item is keyed by your `id`: sending it again unchanged changes "
                        "nothing, changed it updates. Items about a child no open case matches "
                        "wait in the service's queue for a person to attach or dismiss."
                    ),
                    "security": [{"bearerToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {
                        "200": {
                            "description": "Every item is stored (or already was).",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Receipt"}
                                }
                            },
                        },
                        **problems(
                            "invalid-json",
                            "unauthorized",
                            "too-large",
                            "unsupported-media-type",
                            "invalid-items",
                            "conflict",
                            "rate-limited",
                            "server-error",
                            "busy",
                            "storage-fault",
                        ),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner's token, from `hotspots partners add`.",
                }
            },
        },
    }


def _take_defs(schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move a schema's ``$defs`` into the components (where its refs already point)."""
    schema = dict(schema)
    into.update(schema.pop("$defs", {}))
    return schema


def _retry_after() -> dict[str, Any]:
    return {
        "Retry-After": {
            "description": "Seconds to wait before sending again.",
            "schema": {"type": "integer"},
        }
    }
