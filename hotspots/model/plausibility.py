"""Plausible values: one definition of what a date, a child's date of birth (or expected date
of birth) and a child's id may be, for every way data comes in — the CSV imports, the Annex A
workbook, the CIN census and the partners' API.

Pure: no Flask, no database, no clock. The day a value is judged on is ``as_of``.

**Checks** take a value already of its type and return None when it is plausible, else the
reason in words an officer can act on, naming the value (``2027-01-01 is in the future``):

- ``event_date_problem(day, as_of)``: not in the future, not before 1900;
- ``birth_date_problem(day, as_of)``: not in the future, not before 1900, not more than
  ``MAX_AGE_YEARS`` ago (no child's case is open at that age);
- ``expected_birth_date_problem(day, as_of)``: an unborn child's due date, at most
  ``MAX_DAYS_UNTIL_DUE`` ahead (a pregnancy) and not before 1900.

The caller says where the value stands (``List 7, row 12, column Date of Birth: …``,
``row 7, column date_of_birth: …``, a JSON pointer).

**Readers** turn what a file holds into a value or raise ``Implausible``, which names the
field and the value as written:

- ``read_date(value, field=…, as_of=…, kind=…)``: a spreadsheet cell or text in any of
  ``DATE_FORMS`` (day first, as English exports write them; a two-digit year by
  ``two_digit_year``), an Excel serial number, or a date, checked as ``kind`` (``event``,
  ``birth`` or ``expected_birth``: the checks above). A number that makes an implausible
  date is named as a number (``17.5 is a number, not a date``): that is what went wrong.
- ``read_iso_date(text, field=…, as_of=…, kind=…)``: the same for formats that fix
  ``YYYY-MM-DD`` (the service's CSV files, the census XML, JSON).
- ``read_child_id(value, field=…)``: a child's id or case reference; ``10721552.0`` (a number
  cell, or an id a tool wrote through a float) is ``10721552``.
- ``read_at_least(value, field=…)``: a count where ``2+`` means at least 2.
- ``word_key(text)``: a value as it is compared with the words a setting lists (placeholders
  for "not known", "unallocated", "unborn"), ignoring capitals, spaces and a workbook's
  ``a)`` prefix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from hotspots.base.dates import age_in_years, parse_date
from hotspots.base.params import case_ref_problem

# Any date before this is a typing error (a year of 1800, 0202).
EARLIEST_DATE = date(1900, 1, 1)
# No child's case is open this long after their birth: care leavers are supported until 25.
MAX_AGE_YEARS = 25
# An unborn child's expected date of birth is at most this many days away: a pregnancy is
# about 40 weeks, so a due date further ahead is a typing error (usually the year).
MAX_DAYS_UNTIL_DUE = 300
# Excel's 1900 date system: serial 61 is 1900-03-01 counted from this day (``_from_serial``).
EXCEL_EPOCH = date(1899, 12, 30)
MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31


class Implausible(ValueError):
    """A value that is not what its field needs. ``reason`` is the whole sentence about the
    value (``'31/02/2026' is not a real date``), for a caller that says where it stands;
    ``str()`` is ``field: reason``."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason}")


# --- checks ------------------------------------------------------------------------------------

# Each check's finding as (what is wrong, what to do): the value goes before them.
Finding = tuple[str, str]


def _event_finding(day: date, as_of: date) -> Finding | None:
    if day > as_of:
        return ("is in the future", "")
    if day < EARLIEST_DATE:
        return (f"is before {EARLIEST_DATE.year}", "check the year")
    return None


def _birth_finding(day: date, as_of: date) -> Finding | None:
    found = _event_finding(day, as_of)
    if found:
        return found
    if day < _years_before(as_of, MAX_AGE_YEARS):
        age = age_in_years(day, as_of)
        return (
            f"is more than {MAX_AGE_YEARS} years ago (the child would be {age})",
            "check the year",
        )
    return None


def _expected_birth_finding(day: date, as_of: date) -> Finding | None:
    if day > as_of + timedelta(days=MAX_DAYS_UNTIL_DUE):
        weeks = MAX_DAYS_UNTIL_DUE // 7
        return (f"is more than {weeks} weeks away, longer than a pregnancy", "check the year")
    if day < EARLIEST_DATE:
        return (f"is before {EARLIEST_DATE.year}", "check the year")
    return None


def _sentence(shown: str, finding: Finding) -> str:
    what, advice = finding
    return f"{shown} {what}: {advice}" if advice else f"{shown} {what}"


def event_date_problem(day: date, as_of: date) -> str | None:
    """Why ``day`` cannot be the date of something that happened (an observation, a visit, a
    plan's start), or None: in the future, or before 1900."""
    found = _event_finding(day, as_of)
    return _sentence(day.isoformat(), found) if found else None


def birth_date_problem(day: date, as_of: date) -> str | None:
    """Why ``day`` cannot be a child's date of birth, or None: in the future (an unborn
    child has an expected date: ``expected_birth_date_problem``), before 1900, or more than
    ``MAX_AGE_YEARS`` years ago."""
    found = _birth_finding(day, as_of)
    return _sentence(day.isoformat(), found) if found else None


def expected_birth_date_problem(day: date, as_of: date) -> str | None:
    """Why ``day`` cannot be an unborn child's expected date of birth, or None: more than
    ``MAX_DAYS_UNTIL_DUE`` days away, or before 1900. A due date already passed is plausible
    (the birth not yet recorded)."""
    found = _expected_birth_finding(day, as_of)
    return _sentence(day.isoformat(), found) if found else None


# What a date read is checked as, for the readers: each kind's finding, so a reader can word
# it for the value as the file wrote it.
# ``birth_or_expected`` is a column that holds a date of birth, or an unborn child's expected
# date of birth when it is in the future (Annex A's Date of Birth).
DateKind = Literal["event", "birth", "expected_birth", "birth_or_expected"]


def _birth_or_expected_finding(day: date, as_of: date) -> Finding | None:
    if day > as_of:
        return _expected_birth_finding(day, as_of)
    return _birth_finding(day, as_of)


_FINDINGS: dict[str, Callable[[date, date], Finding | None]] = {
    "event": _event_finding,
    "birth": _birth_finding,
    "expected_birth": _expected_birth_finding,
    "birth_or_expected": _birth_or_expected_finding,
}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- reading dates -----------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# A time of day after the date, which is dropped: 00:00, 10:15:00, 10:15:00.000, 9:30 am,
# and an ISO 8601 ``T``, ``Z`` or offset.
_TIME = (
    r"(?:[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_D_MON_Y = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4}|\d{2})" + _TIME)
# The forms read (day first: 03/04/2026 is 3 April), as docs/import.md lists them.
DATE_FORMS = (
    ("2026-04-03", "ISO 8601, year first (also 2026-4-3)"),
    ("2026/04/03", "year first with / or ."),
    ("03/04/2026", "day first: d/m/yyyy, also with - or . (3-4-2026, 3.4.2026)"),
    ("03/04/26", "day first with a two-digit year (also 3-4-26, 3.4.26)"),
    ("3 Apr 2026", "day, month name or its first three letters, year (3 April 2026)"),
    ("3-Apr-2026", "the same with hyphens, as Excel writes it (also 3-Apr-26)"),
    ("03/04/2026 10:15:00", "any of these followed by a time of day, which is dropped"),
    ("46115", "an Excel date held as a number (its serial: 46115 is 2026-04-03)"),
)


def two_digit_year(yy: int, as_of: date) -> int:
    """The year a two-digit year means: the one ending in those digits among the hundred years
    up to next year (on any day in 2026, 00–27 are 2000–2027 and 28–99 are 1928–1999), so a
    due date next year reads right and a birth date never lands a century ahead."""
    latest = as_of.year + 1
    return latest - (latest - yy) % 100


@functools.lru_cache(maxsize=8192)
def _parse_text(text: str, as_of: date) -> date | None | str:
    """The date ``text`` writes, None when it is in no accepted form, or "impossible" when it
    is in one but names no real day (31/02/2026)."""
    if found := _YMD.fullmatch(text):
        year, month, day = int(found[1]), int(found[3]), int(found[4])
    elif found := _DMY.fullmatch(text):
        day, month, year = int(found[1]), int(found[3]), int(found[4])
        if len(found[4]) == 2:
            year = two_digit_year(year, as_of)
    elif found := _D_MON_Y.fullmatch(text):
        month = MONTHS.get(found[2].lower())
        if month is None:
            return None
        day, year = int(found[1]), int(found[3])
        if len(found[3]) == 2:
            year = two_digit_year(year, as_of)
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return "impossible"


def read_date(
    value: Any,
    *,
    field: str,
    as_of: date,
    kind: DateKind = "event",
) -> date:
    """A spreadsheet cell (a date, an Excel serial number, or text in one of ``DATE_FORMS``)
    as a date plausible as ``kind`` (``event_date_problem``, ``birth_date_problem``,
    ``expected_birth_date_problem``, or ``birth_or_expected``: the expected date's check for
    a day after ``as_of``, else the birth date's); raises ``Implausible``. An empty cell is
    the caller's to decide (not known, or required)."""
    written = _written(value)
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        day = _from_serial(value)
        if day is None:
            raise Implausible(field, written, f"{written} is a number, not a date")
        found = _FINDINGS[kind](day, as_of)
        if found:
            raise Implausible(
                field,
                written,
                f"{written} is a number, not a date: read as an Excel date it would be "
                f"{day.isoformat()}, which {found[0]}",
            )
        return day
    else:
        text = _strip_prefix(str(value))
        parsed = _parse_text(text, as_of)
        if parsed is None:
            raise Implausible(
                field,
                written,
                f"{written!r} is not a date: write the day, month and year (23/11/2020, "
                "23 Nov 2020 or 2020-11-23)",
            )
        if parsed == "impossible":
            reason = f"{written!r} is not a real date"
            if (found := _DMY.fullmatch(text)) and int(found[3]) > 12 >= int(found[1]):
                reason += " (dates are read day first: is it written month first?)"
            raise Implausible(field, written, reason)
        day = parsed
    found = _FINDINGS[kind](day, as_of)
    if found:
        raise Implausible(field, written, _sentence(written, found))
    return day


def read_iso_date(text: str, *, field: str, as_of: date, kind: DateKind = "event") -> date:
    """A ``YYYY-MM-DD`` date (as the service's CSV files, the census XML and JSON write
    dates) plausible as ``kind``; raises ``Implausible``."""
    try:
        day = parse_date(text)
    except ValueError as e:
        raise Implausible(field, text, str(e)) from None
    found = _FINDINGS[kind](day, as_of)
    if found:
        raise Implausible(field, text, _sentence(day.isoformat(), found))
    return day


def _from_serial(number: float) -> date | None:
    """The day an Excel serial number stands for, as Excel shows it (serial 1 is 1900-01-01;
    Excel counts a 29 February 1900 that never was, serial 60, so serials from 61 on count
    from the day before), or None for a number that is no day."""
    whole = int(number)
    if whole < 1 or whole == 60 or whole > MAX_EXCEL_SERIAL:
        return None
    if whole < 60:
        return EXCEL_EPOCH + timedelta(days=whole + 1)
    return EXCEL_EPOCH + timedelta(days=whole)


def _written(value: Any) -> str:
    """A value as the file wrote it, for a message: whole numbers without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return " ".join(str(value).replace("\xa0", " ").split())


# --- ids, counts and words ---------------------------------------------------------------------

_WHOLE_WITH_ZEROS = re.compile(r"([0-9]+)\.0+")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE][+-]?[0-9]+")
_PREFIX = re.compile(r"^[a-z]\)\s*", re.IGNORECASE)
_AT_LEAST = re.compile(r"([0-9]+)\s*(\+|or more)?")


def read_child_id(value: Any, *, field: str) -> str:
    """A child's id (which becomes, or names, a case reference): text trimmed of spaces
    (non-breaking ones too); a whole number written through a float (``10721552.0``, a number
    cell) read as the whole number. Raises ``Implausible`` for an empty id, one Excel has
    shortened into scientific notation (``1.07216E+07``: digits are lost), or one that cannot
    be a case reference (``hotspots.base.params.case_ref_problem``)."""
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif value is None:
        text = ""
    else:
        text = " ".join(str(value).replace("\xa0", " ").split())
        if whole := _WHOLE_WITH_ZEROS.fullmatch(text):
            text = whole[1]
    if _SCIENTIFIC.fullmatch(text):
        raise Implausible(
            field,
            text,
            f"{text!r} is a number shortened by a spreadsheet (digits are lost): format the "
            "column as text in the case system's export and export it again",
        )
    problem = case_ref_problem(text)
    if problem:
        raise Implausible(field, text, problem)
    return text


def read_at_least(value: Any, *, field: str) -> int:
    """A count that is 0 or more: ``2``, ``2.0`` or ``2+`` (``2 or more``, at least 2, read
    as 2). Raises ``Implausible`` for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value >= 0 and float(value).is_integer():
            return int(value)
    elif value is not None:
        found = _AT_LEAST.fullmatch(_strip_prefix(str(value)))
        if found:
            return int(found[1])
    written = _written(value)
    raise Implausible(field, written, f"{written!r} is not a whole number (such as 0, 1 or 2+)")


def word_key(text: Any) -> str:
    """A value compared with a setting's words: capitals, runs of (non-breaking) spaces and a
    workbook's ``a)`` prefix ignored; ``#N/A`` stays ``#n/a``."""
    if text is None:
        return ""
    return _strip_prefix(str(text)).casefold()


def _strip_prefix(text: str) -> str:
    return _PREFIX.sub("", " ".join(text.replace("\xa0", " ").split()))
