"""The API's request and response shapes, as pydantic models.

The same models validate every request and generate the OpenAPI document
(``hotspots.web.api.openapi``), so the document cannot drift from what the API accepts. The
``indicator`` field's allowed codes are the catalogue's (``[scoring.indicators]``), so the
models are built per catalogue by ``models_for``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hotspots.model import nhs_number
from hotspots.web.api import checks

MAX_NOTE_LENGTH = 2000
STATUSES = ("current", "resolved", "refuted")
FIELDS = ("id", "case_ref", "nhs_number", "indicator", "observed_on", "status", "note")
# The one rule across two fields, as JSON Schema says it (a field set to null is not given).
NAMES_A_CHILD = [
    {"required": [name], "properties": {name: {"type": "string"}}}
    for name in ("case_ref", "nhs_number")
]


def _refusing(problem_of: Callable[[object], str | None], kind: str) -> AfterValidator:
    """A validator that refuses what ``problem_of`` (one of ``hotspots.web.api.checks``) finds
    wrong, in its words."""

    def check(value: str) -> str:
        reason = problem_of(value)
        if reason:
            raise PydanticCustomError(kind, "{reason}", {"reason": reason})
        return value

    return AfterValidator(check)


PartnerRef = Annotated[
    str,
    Field(
        json_schema_extra={
            "pattern": checks.schema_pattern(checks.PARTNER_REF_PATTERN),
            "minLength": 1,
            "maxLength": checks.PARTNER_REF_MAX,
        },
        description="Your own reference for this observation (1 to 100 characters: letters, "
        "digits and . _ : / # -, starting with a letter or digit). Sending the same id again "
        "updates it; an id may appear only once in one request.",
        examples=["PPN-2026-000123"],
    ),
    _refusing(checks.partner_ref_problem, "partner_ref"),
]

CaseRef = Annotated[
    str,
    Field(
        json_schema_extra={
            "pattern": checks.schema_pattern(checks.CASE_REF_PATTERN),
            "minLength": 1,
            "maxLength": checks.CASE_REF_MAX,
        },
        description="The case reference, if you know it: 1 to 32 letters, digits, - and _, "
        "starting with a letter or digit. case_ref or nhs_number (or both) is required.",
    ),
    _refusing(checks.case_ref_problem, "case_ref"),
]

NhsNumber = Annotated[
    str,
    Field(
        json_schema_extra={
            "pattern": checks.schema_pattern(checks.NHS_NUMBER_PATTERN),
            "format": checks.NHS_NUMBER_FORMAT,
        },
        description="The child's NHS number: 10 digits, together or grouped 3-3-4 with "
        "spaces or hyphens, whose last digit is its modulus 11 check digit (checked; a "
        "pattern cannot say so). Used only for matching. case_ref or nhs_number (or both) is "
        "required.",
        examples=["943 476 5919"],
    ),
    _refusing(checks.nhs_number_problem, "nhs_number"),
    AfterValidator(nhs_number.normalise),
]

Day = Annotated[
    str,
    Field(
        json_schema_extra={
            "format": "date",
            "pattern": checks.schema_pattern(checks.DATE_PATTERN),
        },
        description="The day it was observed (YYYY-MM-DD): a real day from 1900 on, and not "
        "later than today in the service's time zone (checked; a schema cannot say so).",
    ),
]


class Problem(BaseModel):
    """One thing wrong with one item: its position in the request (0 for a single object)
    and the field, when the problem is about one."""

    index: int | None = Field(description="The item's position in the array, from 0.")
    field: str | None = Field(description="The field the problem is about, if one.")
    detail: str = Field(description="What is wrong, in words.")


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(title="ProblemDetails")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[Problem] | None = Field(
        default=None, description="Each problem with the request's items, when there are any."
    )


class ItemOutcome(BaseModel):
    """What happened to one item."""

    id: str
    outcome: Literal["new", "updated", "unchanged"]
    queued: bool = Field(
        description="True when no open case matches the item yet: it waits in the service's "
        "queue of children not yet known until someone attaches it to a case."
    )


class Receipt(BaseModel):
    """The answer to an accepted request: every item was stored (or was already)."""

    received: int
    new: int
    updated: int
    unchanged: int
    queued: int = Field(description="Items (new or not) waiting in the unmatched queue.")
    items: list[ItemOutcome]


@dataclass(frozen=True)
class Models:
    """The models for one catalogue."""

    observation: type[BaseModel]
    items: TypeAdapter  # list of observations: what a request is validated as
    body: TypeAdapter  # an observation or a list of them: the documented request body


@functools.cache
def models_for(indicators: tuple[str, ...], max_items: int) -> Models:
    """The request models for this catalogue of indicator codes and item limit."""
    Indicator = Literal[indicators]  # type: ignore[valid-type]

    class Observation(BaseModel):
        """One observation a partner has made about a child."""

        model_config = ConfigDict(
            strict=True,
            extra="forbid",
            title="Observation",
            json_schema_extra={"anyOf": NAMES_A_CHILD},
        )

        id: PartnerRef
        case_ref: CaseRef | None = None
        nhs_number: NhsNumber | None = None
        indicator: Indicator = Field(  # type: ignore[valid-type]
            description="The indicator's code, from the service's catalogue."
        )
        observed_on: Day
        status: Literal[STATUSES] = Field(  # type: ignore[valid-type]
            default="current",
            description="current (the default); resolved or refuted to correct what you sent.",
        )
        note: str = Field(
            default="",
            max_length=MAX_NOTE_LENGTH,
            description="Up to 2,000 characters, shown on the case page; never logged.",
        )

        @field_validator("observed_on")
        @classmethod
        def _a_day_not_in_the_future(cls, value: str, info: ValidationInfo) -> str:
            reason = checks.observed_on_problem(value, (info.context or {})["today"])
            if reason:
                raise PydanticCustomError("observed_on", "{reason}", {"reason": reason})
            return value

        @model_validator(mode="after")
        def _names_a_child(self) -> Observation:
            if self.case_ref is None and self.nhs_number is None:
                raise PydanticCustomError(
                    "no_child", "give case_ref or nhs_number (or both) to say which child"
                )
            return self

    items = TypeAdapter(list[Observation])
    body = TypeAdapter(
        Annotated[
            Observation
            | Annotated[
                list[Observation],
                # Two equal items would have equal ids: uniqueItems is the part of "an id once
                # in a request" that JSON Schema can say.
                Field(min_length=1, max_length=max_items, json_schema_extra={"uniqueItems": True}),
            ],
            Field(description=f"One observation, or an array of 1 to {max_items}."),
        ]
    )
    return Models(Observation, items, body)


def schema_of(model: Any) -> dict[str, Any]:
    """A model's JSON Schema (2020-12, as OpenAPI 3.1 uses)."""
    if isinstance(model, TypeAdapter):
        return model.json_schema(ref_template="#/components/schemas/{model}")
    return model.model_json_schema(ref_template="#/components/schemas/{model}")
