"""Reading what arrives in a URL or a form safely: every helper returns a value or None
(or raises ValueError with a message a person can act on), never lets a hostile value
through to ``int()``, SQLite or a ``Location`` header.

Views turn None into a 404 (an id in the path or query that cannot exist) or a 400; forms
turn ValueError into a field error.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

# SQLite integers are signed 64-bit: anything longer cannot be an id (and overflows).
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse_id(value: object) -> int | None:
    """A positive database id from text, or None: ASCII digits only (so ``²`` or ``١``,
    which pass ``str.isdigit``, are refused), at most 19 of them, within SQLite's range."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_page(value: object, *, last: int = 100_000) -> int:
    """A page number from the query string: 1 for anything missing or silly."""
    number = parse_id(value) if value not in (None, "") else None
    return min(number, last) if number else 1


def parse_date_parts(day: str, month: str, year: str) -> dt.date:
    """A date from the GOV.UK date input's three boxes; raises ValueError (no message) for
    anything that is not a real date from year 1000 to 9999, however many digits were
    typed (so ``99999999999999999999`` never reaches ``int()``'s overflow)."""
    parts = [p.strip() for p in (day, month, year)]
    if not (
        re.fullmatch(r"[0-9]{1,2}", parts[0])
        and re.fullmatch(r"[0-9]{1,2}", parts[1])
        and re.fullmatch(r"[0-9]{4}", parts[2])
    ):
        raise ValueError("not a date")
    day_n, month_n, year_n = (int(p) for p in parts)
    if year_n < 1000:
        raise ValueError("not a date")
    return dt.date(year_n, month_n, day_n)


def safe_next_path(target: object) -> str | None:
    """The ``next`` address if it is a path on this site, else None.

    Only a relative path starting with one ``/`` is accepted: never ``//host``, ``/\\host``,
    a scheme, or anything with a control character or whitespace (browsers drop a tab or a
    newline, so ``/%09/evil.example`` would become ``//evil.example``; a newline would also
    break the ``Location`` header)."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return None
    if _CONTROL.search(target) or any(c.isspace() for c in target) or "\\" in target:
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# A case reference: short and URL-safe, so every case page can be opened and no reference
# can look like a path. Letters, digits, hyphens and underscores; a letter or digit first.
CASE_REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
CASE_REF_MAX = 32


def case_ref_problem(ref: str) -> str | None:
    """Why ``ref`` cannot be a case reference, or None when it can (for every importer)."""
    if not ref:
        return "is empty"
    if len(ref) > CASE_REF_MAX:
        return f"is longer than {CASE_REF_MAX} characters"
    if not CASE_REF_PATTERN.fullmatch(ref):
        return (
            f"{ref!r} is not a case reference: use letters, digits, - and _ only "
            "(no /, spaces or dots), starting with a letter or digit"
        )
    return None


# A member of staff's name, as the staff import and the Add person page take it.
PERSON_NAME_MAX = 200


def person_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a member of staff's name, or None (for the staff import and
    the Add person page alike). A name is one line: a line break in it would start a new
    line in every plain-text email that names the person (a forged header, a fake line)."""
    if not name.strip():
        return "is empty"
    found = control_character(name)
    if found:
        return f"contains {found}: a name is one line of text, without control characters"
    if len(name) > PERSON_NAME_MAX:
        return f"is longer than {PERSON_NAME_MAX} characters"
    return None


def control_character(text: str) -> str | None:
    """The first control character in ``text`` described in words, or None."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    if char in "\r\n":
        return "a line break"
    if char == "\t":
        return "a tab"
    if char == "\x00":
        return "a NUL character"
    return f"the control character U+{ord(char):04X}"
