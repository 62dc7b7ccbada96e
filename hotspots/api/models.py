"""The API's request and response shapes, as pydantic models.

The same models validate every request and generate the OpenAPI document
(``hotspots.api.openapi``), so the document cannot drift from what the API accepts. The
``indicator`` field's allowed codes are the catalogue's (``[scoring.indicators]``), so the
models are built per catalogue by ``models_for``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
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

from hotspots import nhs_number

MAX_NOTE_LENGTH = 2000
PARTNER_REF_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}$"
CASE_REF_PATTERN = r"^[^\x00-\x1f\x7f]{1,64}$"
STATUSES = ("current", "resolved", "refuted")


def _valid_nhs_number(text: str) -> str:
    reason = nhs_number.problem(text)
    if reason:
        raise PydanticCustomError("nhs_number", reason)
    return nhs_number.normalise(text)


NhsNumber = Annotated[
    str,
    Field(
        # Documented, not enforced by pattern: _valid_nhs_number explains what is wrong.
        json_schema_extra={"pattern": r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"},
        description="The child's NHS number: 10 digits (spaces or hyphens between the 3-3-4 "
        "groups allowed), checked with its modulus 11 check digit. Used only for matching.",
        examples=["943 476 5919"],
    ),
    AfterValidator(_valid_nhs_number),
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

        model_config = ConfigDict(strict=True, extra="forbid", title="Observation")

        id: str = Field(
            pattern=PARTNER_REF_PATTERN,
            description="Your own reference for this observation (1 to 100 characters: letters, "
            "digits and . _ : / # -). Sending the same id again updates it.",
            examples=["PPN-2026-000123"],
        )
        case_ref: str | None = Field(
            default=None,
            pattern=CASE_REF_PATTERN,
            description="The case reference, if you know it. case_ref or nhs_number is required.",
        )
        nhs_number: NhsNumber | None = None
        indicator: Indicator = Field(  # type: ignore[valid-type]
            description="The indicator's code, from the service's catalogue."
        )
        observed_on: date = Field(
            description="The day it was observed (YYYY-MM-DD), not later than today."
        )
        status: Literal[STATUSES] = Field(  # type: ignore[valid-type]
            default="current",
            description="current (the default); resolved or refuted to correct what you sent.",
        )
        note: str = Field(default="", max_length=MAX_NOTE_LENGTH)

        @field_validator("observed_on")
        @classmethod
        def _not_in_the_future(cls, value: date, info: ValidationInfo) -> date:
            today = (info.context or {}).get("today")
            if today is not None and value > today:
                raise PydanticCustomError(
                    "future_date", "{day} is in the future", {"day": value.isoformat()}
                )
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
            Observation | Annotated[list[Observation], Field(min_length=1, max_length=max_items)],
            Field(description=f"One observation, or an array of 1 to {max_items}."),
        ]
    )
    return Models(Observation, items, body)


def schema_of(model: Any) -> dict[str, Any]:
    """A model's JSON Schema (2020-12, as OpenAPI 3.1 uses)."""
    if isinstance(model, TypeAdapter):
        return model.json_schema(ref_template="#/components/schemas/{model}")
    return model.model_json_schema(ref_template="#/components/schemas/{model}")
