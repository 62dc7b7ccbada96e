"""The partners' JSON API (``/api/v1``): its blueprint, bearer-token authentication and
RFC 9457 problem details for every error. The one blueprint exempt from CSRF protection:
it has no cookies or forms, every request carries its own token.

Modules: ``checks`` (every check of a partner's references and dates, by the importers'
rules), ``models`` (pydantic models that validate requests with those checks and generate
the OpenAPI document), ``openapi`` (the document), ``intake`` (matching and writing items),
``views`` (the routes).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from hotspots.base.faults import Fault

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The kinds of problem, by the name in their type URI: (status, title, what it means).
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "invalid-json": (
        400,
        "The request body is not JSON",
        "The body could not be parsed as JSON. Nothing was stored.",
    ),
    "unauthorized": (
        401,
        "A valid bearer token is needed",
        "Send Authorization: Bearer <token>, with a token that is neither revoked nor expired.",
    ),
    "not-found": (404, "No such API address", "See /api/v1/openapi.json for the API's addresses."),
    "method-not-allowed": (
        405,
        "Method not allowed",
        "This address does not take that method; see /api/v1/openapi.json.",
    ),
    "too-large": (
        413,
        "The request is too large",
        "The body is longer than the service takes in one request ([api] max_request_bytes): "
        "split it. Nothing was stored.",
    ),
    "unsupported-media-type": (
        415,
        "The body must be JSON",
        "Send Content-Type: application/json.",
    ),
    "invalid-items": (
        422,
        "Some items are not valid",
        "Each problem is listed with its item's "
        "index and field. Nothing in the request was stored: fix them and send "
        "the whole request again.",
    ),
    "conflict": (
        409,
        "An item conflicts with data already held",
        "An item's key is already used by data loaded another way (e.g. a CSV import "
        "whose observation id is api:PARTNER:ID). Nothing was stored; tell the service's "
        "administrators.",
    ),
    "rate-limited": (
        429,
        "Too many requests",
        "This partner has sent more requests this "
        "minute than the service takes; wait for Retry-After seconds.",
    ),
    "server-error": (
        500,
        "Something went wrong in the service",
        "A fault in the service stopped this request and nothing was stored. The same request "
        "would meet the same fault, so do not send it again by itself: tell the service's "
        "administrators (with the time of the request), and send it again once they say the "
        "fault is fixed.",
    ),
    "busy": (
        503,
        "The service is busy",
        "The database was busy for longer than the service waits; nothing was stored. Send "
        "the request again after Retry-After seconds; if a few tries meet the same answer, "
        "tell the service's administrators.",
    ),
    "storage-fault": (
        503,
        "The service cannot store anything at the moment",
        "Its disk is full or its database cannot be written, and its administrators have to "
        "fix that; nothing was stored. Send the request again after Retry-After seconds; if a "
        "few tries meet the same answer, stop and tell the service's administrators.",
    ),
}
# Seconds a partner is asked to wait (Retry-After) after each kind of fault.
RETRY_AFTER = {"busy": 5, "storage-fault": 300}
BY_STATUS = {status: name for name, (status, _, _) in PROBLEMS.items() if name != "storage-fault"}


def problem(
    name: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ``application/problem+json`` response for the problem called ``name``."""
    status, title, meaning = PROBLEMS[name]
    body: dict[str, Any] = {
        "type": url_for("api.problem_type", name=name, _external=True),
        "title": title,
        "status": status,
        "detail": detail or meaning,
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers.update(headers or {})
    return response


def is_api_request() -> bool:
    return request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/")


def problem_for(error: BaseException) -> Response:
    """A problem response for an HTTP error raised on an API address (a 405 with the
    ``Allow`` header RFC 9110 asks for)."""
    status = error.code if isinstance(error, HTTPException) and error.code else 500
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    name = BY_STATUS.get(status)
    if name is None:
        return problem("server-error") if status >= 500 else _plain_problem(status, headers)
    return problem(name, headers=headers)


def fault_problem(fault: Fault) -> Response:
    """The answer when a fault of the machine (``hotspots.base.faults``) stopped the request:
    503, with a Retry-After long enough for a person to act."""
    name = "busy" if fault.kind == "busy" else "storage-fault"
    return problem(name, headers={"Retry-After": str(RETRY_AFTER[name])})


def _plain_problem(status: int, headers: dict[str, str]) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": HTTP_STATUS_CODES.get(status, "Error"),
    }
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers.update(headers)
    return response


def _api_errors_or(error):
    """API addresses answer their errors as problem details; others keep the default."""
    if is_api_request():
        return problem_for(error)
    return error


def init_app(app: Flask, csrf) -> None:
    """Register the API on ``app``: routes, CSRF exemption, problem-details errors."""
    from hotspots.web.api import views  # noqa: F401 (registers the routes on bp)

    csrf.exempt(bp)
    app.register_blueprint(bp)
    for status in (405, 413, 415):
        app.register_error_handler(status, _api_errors_or)

    @app.after_request
    def _no_store(response):
        if is_api_request():
            response.headers.setdefault("Cache-Control", "no-store")
        return response
