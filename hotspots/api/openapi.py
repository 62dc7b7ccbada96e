"""The OpenAPI 3.1 document, built from the pydantic models that validate requests
(``hotspots.api.models``): the request body's schema *is* the validating model's schema."""

from __future__ import annotations

from typing import Any

from hotspots.api import PROBLEMS
from hotspots.api.models import ProblemDetails, Receipt, models_for, schema_of
from hotspots.config import recordable_indicators

PROBLEM_JSON = "application/problem+json"


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
        return {
            str(PROBLEMS[name][0]): {
                "description": f"{PROBLEMS[name][1]}. {PROBLEMS[name][2]}",
                "content": {
                    PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                },
                **({"headers": _retry_after()} if name in ("rate-limited", "busy") else {}),
            }
            for name in names
        }

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
                "Indicator codes:\n\n| code | indicator |\n| --- | --- |\n" + codes
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
