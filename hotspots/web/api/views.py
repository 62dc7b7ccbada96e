"""The API's routes: ``POST /api/v1/observations``, ``GET /api/v1/openapi.json`` and the
problem types' descriptions.

A request is checked in this order, each failure answering at once with nothing stored:
token (401), the partner's rate (429), content type (415), size (413), JSON (400), items
(422, every problem listed: the request's shape and count, repeated keys, repeated ids and
each item's fields). Then every item is written in one transaction, or none is; the cases
it changed are rescored after the commit, before the answer. A full, read-only or locked
database is answered 503 (``hotspots.web.api.fault_problem``), never 500.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Response, current_app, jsonify, request
from pydantic import ValidationError

from hotspots.base.config import derived_indicators, recordable_indicators
from hotspots.model import scoring
from hotspots.services import partners, rescoring
from hotspots.storage import partners as store
from hotspots.storage import write_transaction
from hotspots.web.api import PROBLEMS, bp, intake, openapi, problem
from hotspots.web.api.checks import NOT_DATE_TEXT, NOT_TEXT
from hotspots.web.api.models import FIELDS, MAX_NOTE_LENGTH, STATUSES, models_for
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db

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
        parsed, repeated = _parse(body)
    except _NotJson as e:
        return problem("invalid-json", f"The body is not JSON: {e}. Nothing was stored.")
    items = [parsed] if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        return _rejected([_whole("send one observation (an object) or an array of them")])
    if not items:
        return _rejected([_whole("the array is empty")])
    if len(items) > config["max_items_per_request"]:
        return _rejected(
            [
                _whole(
                    f"{len(items)} items: at most {config['max_items_per_request']} in one "
                    "request; split them"
                )
            ]
        )

    catalogue = tuple(recordable_indicators(settings()))
    models = models_for(catalogue, config["max_items_per_request"])
    problems = _repeated_keys(items, repeated) + [vars(p) for p in intake.duplicate_ids(items)]
    try:
        valid = models.items.validate_python(items, context={"today": now.date()})
    except ValidationError as e:
        problems += _problems(e, catalogue)
    if problems:
        return _rejected(sorted(problems, key=_position))
    checked = [item.model_dump() for item in valid]

    try:
        with write_transaction(db):
            receipt = intake.take_in(db, partner, checked, now=now)
    except intake.ItemsRejected as e:
        return _rejected([vars(p) for p in e.problems])
    except sqlite3.IntegrityError:
        return problem("conflict")
    # A locked, full or read-only database is answered by hotspots.web.api.fault_problem.
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


class _NotJson(ValueError):
    """Why a body is not JSON, in words fit to send back."""


def _parse(body: bytes) -> tuple[Any, dict[int, tuple[dict, list[str]]]]:
    """The body's JSON, and the keys each object repeats (by the object's id(), with the
    object itself, so that no id is reused by another while this lives). Raises _NotJson, in
    words, for anything that is not JSON as RFC 8259 defines it: UTF-8 text, no NaN or
    Infinity, and no lone UTF-16 surrogate (half a character) in a string."""
    repeated: dict[int, tuple[dict, list[str]]] = {}

    def pairs(found: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in found:
            if key in obj:
                repeated.setdefault(id(obj), (obj, []))[1].append(key)
            obj[key] = value
        return obj

    def constant(name: str) -> Any:
        raise _NotJson(f"{name} is not a JSON value")

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _NotJson(f"it is not UTF-8 text (byte {e.start} is not UTF-8)") from None
    try:
        parsed = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except RecursionError:
        raise _NotJson("it is nested too deeply") from None
    except json.JSONDecodeError as e:
        # The message names a position, never the text at it.
        raise _NotJson(f"{e.msg} at line {e.lineno}, column {e.colno}") from None
    except _NotJson:
        raise
    except ValueError:  # an integer of thousands of digits
        raise _NotJson("it holds a number too long to read") from None
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise _NotJson("it is nested too deeply") from None
    except UnicodeEncodeError:
        raise _NotJson(
            "a string holds a \\u escape of a lone surrogate (half of a UTF-16 pair), which "
            "is not a character"
        ) from None
    return parsed, repeated


def _repeated_keys(
    items: list[Any], repeated: dict[int, tuple[dict, list[str]]]
) -> list[dict[str, Any]]:
    """A field given twice in one item is ambiguous (which one was meant?): an error, not the
    last one silently."""
    return [
        {"index": index, "field": _short(key), "detail": "appears more than once in the item"}
        for index, item in enumerate(items)
        if id(item) in repeated and repeated[id(item)][0] is item
        for key in dict.fromkeys(repeated[id(item)][1])
    ]


def _whole(detail: str) -> dict[str, Any]:
    """A problem with the request as a whole, not one item."""
    return {"index": None, "field": None, "detail": detail}


def _position(problem: dict[str, Any]) -> int:
    return -1 if problem["index"] is None else problem["index"]


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
        field = _short(str(loc[0])) if loc else None
        problems.append({"index": index, "field": field, "detail": _words(e, field, catalogue)})
    return problems


def _short(text: str, limit: int = 64) -> str:
    """A value quoted back to the partner, cut short (it may be anything they sent)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(e: dict[str, Any], field: str | None, catalogue: tuple[str, ...]) -> str:
    """One pydantic error in words. The input may be any JSON value (an object where a code
    belongs): it is looked at only once it is known to be text."""
    kind = e["type"]
    sent = e.get("input")
    text = sent if isinstance(sent, str) else None
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a field of an observation (fields: {', '.join(FIELDS)})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "each item must be a JSON object"
    if field == "indicator" and kind == "literal_error":
        if text is None:
            return f"should be an indicator code, as text (one of: {', '.join(catalogue)})"
        if text in derived_indicators(settings()):
            return scoring.not_recordable(text, settings()["scoring"])
        return f"unknown indicator {_short(text)!r} (one of: {', '.join(catalogue)})"
    if field == "status" and kind == "literal_error":
        if text is None:
            return f"should be a status, as text (one of: {', '.join(STATUSES)})"
        return f"unknown status {_short(text)!r} (one of: {', '.join(STATUSES)})"
    if field == "note" and kind == "string_too_long":
        return f"is longer than {MAX_NOTE_LENGTH} characters"
    if kind == "string_type":
        return NOT_DATE_TEXT if field == "observed_on" else NOT_TEXT
    return e["msg"]
