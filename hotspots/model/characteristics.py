"""A child's characteristics: sex, ethnicity and disability, kept apart from scoring.

They are read from the council's own files (the Annex A lists, the CIN census, the cases CSV)
so that the fairness report (``hotspots.model.fairness``) can ask whether hotspots fall unevenly on
a group, as the public sector equality duty asks (Equality Act 2010 s.149). They are **never**
an input to the score: the model's ``CaseFacts`` has no field for them and the rescore's SQL
never reads their table (``tests/test_characteristics.py`` checks both). They are shown only
on the case page's details and in the fairness report, never in an email, a log line or an
answer of the partners' API.

Pure: no Flask, no database, no clock. This module is the one definition of each
characteristic's values, for every way they come in:

- **sex** (``SEX``): ``male``, ``female``, ``other`` (the Annex A's ``Neither``, the census's
  ``9``, not specified or indeterminate) or ``not_known``. The census writes ``Sex`` as M, F,
  U from 2024–25 and ``GenderCurrent`` as 1, 2, 9, 0 before; Annex A writes ``Gender`` (from
  2026 ``Sex``) as ``a) Male``, ``b) Female``, ``c) Not stated/recorded``, ``d) Neither``.
- **ethnicity** (``ETHNICITIES``): the DfE's census codes (``WBRI`` … ``NOBT``), read from the
  code or its words, each in one of the DfE's major groups (``MAJOR_GROUPS``: White, Mixed,
  Asian or Asian British, Black or Black British, Other ethnic group — which holds Chinese, as
  the DfE's own tables do — and Refused or not yet obtained).
- **disability**: ``yes`` or ``no`` (``None``: not recorded). The census's ``Disabilities``
  codes say which disability; the service keeps only whether there is one (it needs no more).

A reader returns the stored value, or ``None`` when the value says nothing (blank, or one of
the not-known words a caller passes), or raises ``Implausible`` **without the value in its
words**: a characteristic written wrong is still about a child, and import reports are kept
and audited, so the error names where it stands and what is accepted, never what was written.

A value that says nothing new never overwrites one that does (``UNINFORMATIVE``): a later
file's "not known" leaves a recorded sex as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from hotspots.base.dates import age_in_years
from hotspots.model.plausibility import Implausible, word_key

# --- sex ---------------------------------------------------------------------------------------

SEX = {
    "male": "Male",
    "female": "Female",
    "other": "Neither or indeterminate",
    "not_known": "Not known",
}
# What files write for each, compared as ``word_key`` makes them (capitals and an ``a)`` prefix
# ignored): Annex A's words, the census's Sex (M, F, U) and GenderCurrent (1, 2, 9, 0) codes.
SEX_SPELLINGS = {
    "male": ("male", "m", "1", "boy"),
    "female": ("female", "f", "2", "girl"),
    "other": ("neither", "indeterminate", "not specified", "9", "other"),
    "not_known": (
        "not known",
        "unknown",
        "u",
        "0",
        "not stated",
        "not recorded",
        "not stated/recorded",
        "not stated or recorded",
        "unborn",
    ),
}
_SEX_BY_SPELLING = {spelling: code for code, words in SEX_SPELLINGS.items() for spelling in words}

# --- ethnicity ---------------------------------------------------------------------------------

WHITE = "White"
MIXED = "Mixed"
ASIAN = "Asian or Asian British"
BLACK = "Black or Black British"
OTHER = "Other ethnic group"
REFUSED_OR_NOT_OBTAINED = "Refused or not yet obtained"
# The DfE's major groups, in the order its tables give them.
MAJOR_GROUPS = (WHITE, MIXED, ASIAN, BLACK, OTHER, REFUSED_OR_NOT_OBTAINED)

# The DfE's ethnicity codes (the CIN census and Annex A): code -> (words, major group). The DfE's
# tables count Chinese among "other ethnic groups".
ETHNICITIES: dict[str, tuple[str, str]] = {
    "WBRI": ("White British", WHITE),
    "WIRI": ("White Irish", WHITE),
    "WIRT": ("Traveller of Irish heritage", WHITE),
    "WOTH": ("Any other White background", WHITE),
    "WROM": ("Gypsy or Roma", WHITE),
    "MWBC": ("White and Black Caribbean", MIXED),
    "MWBA": ("White and Black African", MIXED),
    "MWAS": ("White and Asian", MIXED),
    "MOTH": ("Any other mixed background", MIXED),
    "AIND": ("Indian", ASIAN),
    "APKN": ("Pakistani", ASIAN),
    "ABAN": ("Bangladeshi", ASIAN),
    "AOTH": ("Any other Asian background", ASIAN),
    "BCRB": ("Black Caribbean", BLACK),
    "BAFR": ("Black African", BLACK),
    "BOTH": ("Any other Black background", BLACK),
    "CHNE": ("Chinese", OTHER),
    "OOTH": ("Any other ethnic group", OTHER),
    "REFU": ("Refused", REFUSED_OR_NOT_OBTAINED),
    "NOBT": ("Information not yet obtained", REFUSED_OR_NOT_OBTAINED),
}
# Other words files use for a code (the DfE's longer labels), compared as word_key makes them.
_ETHNICITY_WORDS = {
    "white - british": "WBRI",
    "white - irish": "WIRI",
    "gypsy/roma": "WROM",
    "gypsy / roma": "WROM",
    "roma": "WROM",
    "mixed - white and black caribbean": "MWBC",
    "mixed - white and black african": "MWBA",
    "mixed - white and asian": "MWAS",
    "asian - indian": "AIND",
    "asian - pakistani": "APKN",
    "asian - bangladeshi": "ABAN",
    "black - caribbean": "BCRB",
    "black caribbean": "BCRB",
    "black - african": "BAFR",
    "black african": "BAFR",
    "information not obtained": "NOBT",
    "not obtained": "NOBT",
    "refused to say": "REFU",
}
_ETHNICITY_BY_WORDS = {word_key(words): code for code, (words, _) in ETHNICITIES.items()}
_ETHNICITY_BY_WORDS |= {word_key(words): code for words, code in _ETHNICITY_WORDS.items()}

# --- disability --------------------------------------------------------------------------------

DISABILITY = {"yes": "Disabled", "no": "Not disabled"}
DISABILITY_SPELLINGS = {"yes": ("yes", "y", "true", "disabled"), "no": ("no", "n", "false")}
_DISABILITY_BY_SPELLING = {
    spelling: code for code, words in DISABILITY_SPELLINGS.items() for spelling in words
}
# The census's Disabilities/Disability codes (the DfE's children in need census guide): NONE,
# or which disability. Only whether there is one is kept.
NO_DISABILITY_CODE = "NONE"
DISABILITY_CODES = {
    "MOB": "mobility",
    "HAND": "hand function",
    "PC": "personal care",
    "INC": "incontinence",
    "COMM": "communication",
    "LD": "learning",
    "HEAR": "hearing",
    "VIS": "vision",
    "BEH": "behaviour",
    "CON": "consciousness",
    "AUT": "autism or Asperger syndrome",
    "DDA": "other disability (Equality Act)",
}

# A later value that says nothing new never overwrites a recorded one (the import's upsert).
UNINFORMATIVE = {"sex": "not_known", "ethnicity": "NOBT"}
NOT_RECORDED = "Not recorded"

# --- the fairness report's age bands ------------------------------------------------------------

# (code, words, youngest whole years): under 1 (an unborn child included), 1-4, 5-9, 10-15, 16+.
AGE_BANDS = (
    ("under_1", "Under 1 (unborn included)", 0),
    ("1_to_4", "1 to 4", 1),
    ("5_to_9", "5 to 9", 5),
    ("10_to_15", "10 to 15", 10),
    ("16_plus", "16 and over", 16),
)


def age_band(date_of_birth: date, birth_status: str, as_of: date) -> str:
    """The child's age band on ``as_of`` (``AGE_BANDS``): an unborn child is under 1."""
    if birth_status != "born":
        return AGE_BANDS[0][0]
    years = age_in_years(date_of_birth, as_of)
    band = AGE_BANDS[0][0]
    for code, _, youngest in AGE_BANDS:
        if years >= youngest:
            band = code
    return band


# --- readers -----------------------------------------------------------------------------------


def read_sex(value: Any, *, field: str, not_known: Iterable[str] = ()) -> str | None:
    """``male``, ``female``, ``other`` or ``not_known``; None for a blank (nothing said)."""
    key = _key(value)
    if not key:
        return None
    if key in _SEX_BY_SPELLING:
        return _SEX_BY_SPELLING[key]
    if key in _keys(not_known):
        return "not_known"
    raise Implausible(
        field,
        "",
        "is not a sex the service reads: Male, Female, Neither or Not known (or the census's "
        "M, F, U or 1, 2, 9, 0); the value is not repeated here, check the row",
    )


def read_ethnicity(value: Any, *, field: str, not_known: Iterable[str] = ()) -> str | None:
    """A DfE ethnicity code (``ETHNICITIES``), from the code or its words; None for a blank
    or a not-known word (nothing said: ``NOBT`` is the code for that, and files use it)."""
    key = _key(value)
    if not key:
        return None
    code = key.upper()
    if code in ETHNICITIES:
        return code
    if key in _ETHNICITY_BY_WORDS:
        return _ETHNICITY_BY_WORDS[key]
    if key in _keys(not_known):
        return None
    raise Implausible(
        field,
        "",
        "is not one of the DfE's ethnicity codes (" + ", ".join(ETHNICITIES) + ") or their "
        "words; the value is not repeated here, check the row",
    )


def read_disability(value: Any, *, field: str, not_known: Iterable[str] = ()) -> str | None:
    """``yes`` or ``no``; None for a blank or a not-known word (not recorded)."""
    key = _key(value)
    if not key:
        return None
    if key in _DISABILITY_BY_SPELLING:
        return _DISABILITY_BY_SPELLING[key]
    if key in _keys(not_known):
        return None
    raise Implausible(
        field,
        "",
        "is not Yes or No (blank or a not-known word: not recorded); the value is not "
        "repeated here, check the row",
    )


def read_disability_codes(codes: Iterable[str], *, field: str) -> str | None:
    """``yes`` or ``no`` from the census's ``Disabilities/Disability`` codes (none given: not
    recorded). ``NONE`` beside another code contradicts it."""
    found = [c.strip().upper() for c in codes if c and c.strip()]
    if not found:
        return None
    unknown = [c for c in found if c != NO_DISABILITY_CODE and c not in DISABILITY_CODES]
    if unknown:
        raise Implausible(
            field,
            "",
            f"is not one of the census's disability codes ({NO_DISABILITY_CODE}, "
            + ", ".join(DISABILITY_CODES)
            + "); the value is not repeated here, check the child's record",
        )
    if NO_DISABILITY_CODE in found:
        if len(set(found)) > 1:
            raise Implausible(
                field,
                "",
                f"gives {NO_DISABILITY_CODE} (no disability) beside a disability: correct the "
                "child's record",
            )
        return "no"
    return "yes"


class Gathered:
    """What several records about one child (the Annex A lists, a census's repeated ``Child``)
    say of each characteristic: the first value that says something is kept; one that says
    nothing new (``UNINFORMATIVE``) is kept only until another says more; two that disagree
    leave nothing (neither is stored: a person must say which is right)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str | None, str]] = {}  # column -> (value, where)

    def add(self, column: str, value: str | None, where: str) -> str | None:
        """Add what the record at ``where`` says; returns where the value it disagrees with
        stands (the first disagreement only), else None."""
        if value is None:
            return None
        held = self._held.get(column)
        if held is None or held[0] == UNINFORMATIVE.get(column):
            if held is None or value != UNINFORMATIVE.get(column):
                self._held[column] = (value, where)
            return None
        if held[0] is None or value == held[0] or value == UNINFORMATIVE.get(column):
            return None
        self._held[column] = (None, held[1])
        return held[1]

    def get(self, column: str) -> str | None:
        """The value to store (None: nothing said, or the records disagree)."""
        held = self._held.get(column)
        return held[0] if held else None

    def values(self) -> tuple[str | None, str | None, str | None]:
        """(sex, ethnicity, disability) to store."""
        return self.get("sex"), self.get("ethnicity"), self.get("disability")


# --- words for people ----------------------------------------------------------------------------


def sex_words(code: str | None) -> str:
    return SEX.get(code or "", NOT_RECORDED)


def ethnicity_words(code: str | None) -> str:
    """``White and Black African (MWBA), Mixed``; "Not recorded" for none."""
    if not code or code not in ETHNICITIES:
        return NOT_RECORDED
    words, group = ETHNICITIES[code]
    return f"{words} ({code}), {group}"


def major_group(code: str | None) -> str:
    """The DfE major group of an ethnicity code; "Not recorded" for none."""
    if not code or code not in ETHNICITIES:
        return NOT_RECORDED
    return ETHNICITIES[code][1]


def disability_words(code: str | None) -> str:
    return DISABILITY.get(code or "", NOT_RECORDED)


# Which import recorded a child's characteristics, in words (``child_characteristics``).
RECORDED_FROM = {
    "annex-a": "the Annex A workbook",
    "cin-census": "the children in need census",
    "cases": "the cases file",
    "demo": "the demo data",
}


def described(row: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A child's characteristics for the case page's details: (what, words) rows, each
    "Not recorded" when none is."""
    row = row or {}
    return [
        ("Sex", sex_words(row.get("sex"))),
        ("Ethnicity", ethnicity_words(row.get("ethnicity"))),
        ("Disability", disability_words(row.get("disability"))),
    ]


def _key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return word_key(value)


def _keys(words: Iterable[str]) -> set[str]:
    return {word_key(w) for w in words}
