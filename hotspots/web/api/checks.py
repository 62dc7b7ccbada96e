"""Every check the API makes of a partner's references and dates, in one place.

Each check takes a value straight from the request's JSON (any type at all), checks its type
before anything else, and returns why it is refused, in words, or None. The rules are every
import path's own (``hotspots.base.params.case_ref_problem``, ``hotspots.model.nhs_number.problem``
and
``hotspots.model.plausibility`` for dates), so the API refuses what an import refuses. The
patterns are also the OpenAPI document's: each is written once, here, as the JSON Schema
``pattern`` (an ECMA-262 regular expression, matched against the whole value) and matched the
same way.
"""

from __future__ import annotations

import re
from datetime import date

from hotspots.base import params
from hotspots.model import nhs_number
from hotspots.model.plausibility import EARLIEST_DATE, Implausible, read_iso_date

NOT_TEXT = "should be text (a JSON string)"
NOT_DATE_TEXT = "should be a date as text, YYYY-MM-DD"

# The partner's own reference for an observation.
PARTNER_REF_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}"
PARTNER_REF_MAX = 100
# A case reference, as every importer takes it.
CASE_REF_PATTERN = params.CASE_REF_PATTERN.pattern
CASE_REF_MAX = params.CASE_REF_MAX
# An NHS number as people write it: 10 digits, with a space or hyphen between the 3-3-4
# groups allowed. (The check digit is checked too; a pattern cannot say that.)
NHS_NUMBER_PATTERN = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
NHS_NUMBER_FORMAT = "nhs-number"


def _years_from(year: int) -> str:
    """A pattern matching a four-digit year of ``year`` or later."""
    digits = f"{year:04d}"
    choices = []
    for place in range(3, -1, -1):
        head, digit = digits[:place], int(digits[place])
        low = digit if place == 3 else digit + 1
        if low <= 9:
            tail = f"[0-9]{{{3 - place}}}" if place < 3 else ""
            choices.append(f"{head}[{low}-9]{tail}")
    return "(" + "|".join(choices) + ")"


# A day as YYYY-MM-DD, no earlier than the importers' earliest (a year of 1800 or 0202 is a
# typing error). Whether it is a real day and not in the future is checked, not patterned.
DATE_PATTERN = _years_from(EARLIEST_DATE.year) + r"-[0-9]{2}-[0-9]{2}"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def schema_pattern(pattern: str) -> str:
    """``pattern`` as the OpenAPI document states it: anchored at both ends."""
    return f"^{pattern}$"


def partner_ref_problem(value: object) -> str | None:
    """Why ``value`` cannot be a partner's ``id`` for an observation, or None."""
    if not isinstance(value, str):
        return NOT_TEXT
    if not re.fullmatch(PARTNER_REF_PATTERN, value):
        return (
            f"should be 1 to {PARTNER_REF_MAX} characters: letters, digits and . _ : / # - "
            "(starting with a letter or digit)"
        )
    return None


def case_ref_problem(value: object) -> str | None:
    """Why ``value`` cannot be a case reference, or None: the importers' rule."""
    if not isinstance(value, str):
        return NOT_TEXT
    return params.case_ref_problem(value)


def nhs_number_problem(value: object) -> str | None:
    """Why ``value`` is not an NHS number as the API takes it, or None: 10 digits (grouped
    3-3-4 by spaces or hyphens, or not at all) with the right modulus 11 check digit."""
    if not isinstance(value, str):
        return NOT_TEXT
    if not re.fullmatch(NHS_NUMBER_PATTERN, value):
        return (
            "is not an NHS number: it should be 10 digits, written together or grouped "
            "3-3-4 with spaces or hyphens (9434765919, 943 476 5919 or 943-476-5919)"
        )
    return nhs_number.problem(value)


def observed_on_problem(value: object, today: date) -> str | None:
    """Why ``value`` cannot be the day an observation was made, or None: a real day in the
    form YYYY-MM-DD, plausible as the date of an event (``hotspots.model.plausibility``: not after
    ``today``, not before its earliest date)."""
    if not isinstance(value, str):
        return NOT_DATE_TEXT
    if not _ISO_DATE.fullmatch(value):
        return "should be a date in the form YYYY-MM-DD"
    try:
        read_iso_date(value, field="observed_on", as_of=today, kind="event")
    except Implausible as e:
        return e.reason
    return None


def day(value: str) -> date:
    """The day of an ``observed_on`` that passed ``observed_on_problem``."""
    return date.fromisoformat(value)
