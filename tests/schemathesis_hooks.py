"""What schemathesis needs to know of the API beyond its OpenAPI document: the rules the
document states only in words (a JSON Schema cannot state them), so that a request it
generates as valid really is, and its positive_data_acceptance check holds the server to
everything else the document says.

Loaded by ``schemathesis run`` through SCHEMATHESIS_HOOKS (tests/test_api_openapi.py).
Each rule is written here afresh from the document's words, not borrowed from the service's
code, so a fault in the service's own checks would still be caught.

- ``nhs-number``: a valid NHS number (modulus 11 check digit), grouped as the pattern allows;
- ``date``: a real day from 1900 up to the service's today (HOTSPOTS_TEST_TODAY);
- a generated-as-valid request that breaks a rule in words anyway (an ``id`` twice in one
  request, which the coverage phase's arrays of look-alike items do) is not sent.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import schemathesis
from hypothesis import strategies as st

TODAY = dt.date.fromisoformat(os.environ["HOTSPOTS_TEST_TODAY"])
EARLIEST = dt.date(1900, 1, 1)
WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(nine: str) -> int | None:
    """The modulus 11 check digit of nine digits, or None when none exists (remainder 10)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(nine, WEIGHTS, strict=True)) % 11
    return {11: 0, 10: None}.get(remainder, remainder)


def valid_nhs_number(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    return check_digit(digits[:9]) == int(digits[9])


def real_day_up_to_today(text: str) -> bool:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return False
    return EARLIEST <= day <= TODAY


def _grouped(nine: str, separator: str) -> str | None:
    digit = check_digit(nine)
    if digit is None:
        return None
    number = f"{nine}{digit}"
    return separator.join((number[:3], number[3:6], number[6:]))


nhs_numbers = st.builds(
    _grouped, st.text("0123456789", min_size=9, max_size=9), st.sampled_from(["", " ", "-"])
).filter(bool)
schemathesis.openapi.format("nhs-number", nhs_numbers)
schemathesis.openapi.format("date", st.dates(EARLIEST, TODAY).map(dt.date.isoformat))


def breaks_a_rule_in_words(body: object) -> bool:
    """True when a body the schema allows breaks a rule the document states in words."""
    items = body if isinstance(body, list) else [body]
    ids = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("id"), str):
            ids.append(item["id"])
        number, day = item.get("nhs_number"), item.get("observed_on")
        if isinstance(number, str) and not valid_nhs_number(number):
            return True
        if isinstance(day, str) and not real_day_up_to_today(day):
            return True
    return len(ids) != len(set(ids))


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Send every negative case; a positive one only when it keeps the rules in words."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return True
    return not breaks_a_rule_in_words(case.body)
