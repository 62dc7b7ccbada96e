"""NHS numbers: the child's identifier across agencies (Children's Wellbeing and Schools Act
2026). Ten digits, the last a modulus 11 check digit. Used only to match partners'
notifications to a case: never shown in lists or emails, never logged."""

from __future__ import annotations

# Weights of the first nine digits in the modulus 11 check (NHS Data Dictionary).
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise(text: str) -> str:
    """The digits of an NHS number as people write it (``943 476 5919``, ``943-476-5919``);
    anything else is left for ``problem`` to explain."""
    return "".join(c for c in text.strip() if c not in " -")


def problem(text: str) -> str | None:
    """Why ``text`` is not a valid NHS number, in words a person can act on, or None when it
    is one. Spaces and hyphens between digit groups are allowed."""
    digits = normalise(text)
    if not digits:
        return "is empty"
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return "is not an NHS number: it should be 10 digits"
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return "is not a valid NHS number: its check digit is wrong (a digit mistyped?)"
    return None


def is_valid(text: str) -> bool:
    """True when ``text`` is a valid NHS number."""
    return problem(text) is None


def last_digits(number: str) -> str:
    """The last three digits, for a manager to tell queued items apart (never the whole
    number in a list)."""
    return normalise(number)[-3:]
