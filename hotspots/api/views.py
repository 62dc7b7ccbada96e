"""The API's routes: ``POST /api/v1/observations``, ``GET /api/v1/openapi.json`` and the
problem types' descriptions.

A request is checked in this order, each failure answering at once with nothing stored:
token (401), the partner's rate (429), content type (415), size (413), JSON (400), items
(422, every problem listed). Then every item is written in one transaction, or none is; the
cases it changed are rescored after the commit, before the answer.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Response, current_app, jsonify, request
from pydantic import ValidationError

from hotspots import partners, rescoring, scoring
from hotspots.api import PROBLEMS, bp, intake, openapi, problem
from hotspots.api.models import MAX_NOTE_LENGTH, models_for
from hotspots.config import derived_indicators, recordable_indicators
from hotspots.db import get_db
from hotspots.storage import partners as store
from hotspots.storage import write_transaction
from hotspots.views import clock, settings

JSON_TYPES = ("application/json",)


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 document, generated from the models that validate requests."""
    return jsonify(openapi.document(settings()))


@bp.get("/problems/<name>")
def problem_type(name: str):
    """What a problem type means (each problem's ``type`` URI points here)."""
    if name not in PROBLEMS:
        return problem("not-found", f"There is no problem type called {name[:64]!r}.")
    status, title, meaning = PROBLEMS[name]
    return jsonify({"type": name, "status": status, "title": title, "description": meaning})


@bp.post("/observations")
def receive_observations():
    """Take in one observation or an array of them from a partner's system."""
    db = get_db()
    now = clock()
    config = settings()["api"]

    partner = _partner(db, now)
    if partner is None:
        return problem("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="hotspots"'})
    minute, second = divmod(int(now.timestamp()), 60)
    if store.count_request(db, partner.id, minute) > config["requests_per_minute"]:
        return problem(
            "rate-limited",
            f"At most {config['requests_per_minute']} requests a minute from one partner.",
            headers={"Retry-After": str(60 - second)},
        )
    if request.mimetype not in JSON_TYPES:
        return problem(
            "unsupported-media-type",
            f"Send Content-Type: application/json (this request's was "
            f"{request.mimetype or 'missing'!r}).",
        )

    body = _body(config["max_request_bytes"])
    if isinstance(body, Response):
        return body
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as e:
        return problem("invalid-json", f"The body is not JSON: {str(e)[:200]}. Nothing was stored.")
    items = [parsed] if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        return _rejected(
            [
                {
                    "index": None,
                    "field": None,
                    "detail": "send one observation (an object) or an array of them",
                }
            ]
        )
    if not items:
        return _rejected([{"index": None, "field": None, "detail": "the array is empty"}])
    if len(items) > config["max_items_per_request"]:
        return problem(
            "too-large",
            f"{len(items)} items: at most {config['max_items_per_request']} in one request. "
            "Split them; nothing was stored.",
        )

    catalogue = tuple(recordable_indicators(settings()))
    models = models_for(catalogue, config["max_items_per_request"])
    try:
        valid = models.items.validate_json(json.dumps(items), context={"today": now.date()})
    except ValidationError as e:
        return _rejected(_problems(e, catalogue))
    checked = [item.model_dump() for item in valid]
    duplicates = intake.duplicate_ids(checked)
    if duplicates:
        return _rejected([vars(p) for p in duplicates])

    try:
        with write_transaction(db):
            receipt = intake.take_in(db, partner, checked, now=now)
    except intake.ItemsRejected as e:
        return _rejected([vars(p) for p in e.problems])
    except sqlite3.IntegrityError:
        return problem("conflict")
    except sqlite3.OperationalError as e:
        if "locked" not in str(e) and "busy" not in str(e):
            raise
        return problem("busy", headers={"Retry-After": "5"})
    # The cases this request changed are marked (by the schema's triggers, in the same
    # transaction); rescore them now so the worker's list and the next digest show them.
    # Only those: other writers' marks are theirs or the sweep's, so two partners' requests
    # arriving together do not work out the same cases side by side.
    try:
        rescoring.rescore_marked(db, receipt.cases, settings(), as_of=now.date(), now=now)
    except sqlite3.OperationalError:
        # Stored and committed: the scheduler's sweep rescores the marked cases instead.
        current_app.logger.warning(
            "rescoring after an API request waited too long; left to the sweep"
        )
    return jsonify(receipt.as_dict())


def _partner(db, now) -> partners.Partner | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return partners.authenticate(db, token.strip(), now=now)


def _body(limit: int) -> bytes | Response:
    """The request body, or a 413 problem when it is longer than ``limit`` bytes (read no
    further than that, whatever Content-Length says or does not say)."""
    too_large = problem(
        "too-large", f"The body is larger than {limit} bytes. Split it; nothing was stored."
    )
    if request.content_length is not None and request.content_length > limit:
        return too_large
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return too_large
    return body


def _rejected(errors: list[dict[str, Any]]) -> Response:
    noun = "problem" if len(errors) == 1 else "problems"
    return problem(
        "invalid-items",
        f"{len(errors)} {noun} with the items; nothing was stored. Fix them and send the whole "
        "request again.",
        errors=errors,
    )


def _problems(error: ValidationError, catalogue: tuple[str, ...]) -> list[dict[str, Any]]:
    """pydantic's errors as (index, field, detail), in words a partner's developer can act on."""
    problems = []
    for e in error.errors(include_url=False):
        loc = list(e["loc"])
        index = loc.pop(0) if loc and isinstance(loc[0], int) else None
        field = str(loc[0]) if loc else None
        problems.append({"index": index, "field": field, "detail": _words(e, field, catalogue)})
    return problems


def _words(e: dict[str, Any], field: str | None, catalogue: tuple[str, ...]) -> str:
    kind = e["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return (
            "is not a field of an observation (fields: id, case_ref, nhs_number, "
            "indicator, observed_on, status, note)"
        )
    if kind == "model_type":
        return "each item must be a JSON object"
    if field == "indicator" and kind == "literal_error":
        if e["input"] in derived_indicators(settings()):
            return scoring.not_recordable(e["input"], settings()["scoring"])
        return f"unknown indicator {e['input']!r} (one of: {', '.join(catalogue)})"
    if field == "status" and kind == "literal_error":
        return f"unknown status {e['input']!r} (one of: current, resolved, refuted)"
    if field == "id" and kind == "string_pattern_mismatch":
        return (
            "should be 1 to 100 characters: letters, digits and . _ : / # - (starting "
            "with a letter or digit)"
        )
    if field == "case_ref" and kind == "string_pattern_mismatch":
        return "should be 1 to 64 characters, without control characters"
    if field == "note" and kind == "string_too_long":
        return f"is longer than {MAX_NOTE_LENGTH} characters"
    if kind == "string_type":
        return "should be text (a JSON string)"
    return e["msg"]
