"""Password hashing with Argon2 (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; False for a wrong password or no hash at all."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


MIN_LENGTH = 12
# The sign-in form takes at most this many characters (hotspots.forms.SignInForm).
MAX_LENGTH = 1024
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "reference" / "common_passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The short list of passwords too common to allow, lower-cased (one a line in
    ``hotspots/reference/common_passwords.txt``; # starts a comment)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` may not be set for the account ``email``, or None when it may.

    Refused: fewer than 12 or more than 1,024 characters (the sign-in form could not take
    it), control characters, leading or trailing spaces (easily lost when typed), one
    character repeated, the account's email or its name part, a password on the common
    list, or a run of consecutive keys or digits."""
    if len(password) < MIN_LENGTH:
        return f"the password must be at least {MIN_LENGTH} characters (it was {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"the password must be at most {MAX_LENGTH} characters"
    if any(unicodedata.category(c) == "Cc" for c in password):
        return "the password must not contain control characters such as tabs"
    folded = password.casefold()
    if len(set(folded)) == 1:
        return "the password must not be one character repeated"
    if password != password.strip():
        return "the password must not start or end with a space"
    email = email.strip().casefold()
    name = email.partition("@")[0]
    if folded == email or email in folded or (len(name) >= 4 and name in folded):
        return "the password must not contain the account's email address"
    squashed = "".join(folded.split())
    if folded in common_passwords() or squashed in common_passwords():
        return "the password is on the list of common passwords: choose a less obvious one"
    if _is_sequence(squashed):
        return "the password must not be a run of consecutive keys or digits"
    return None


_RUNS = (
    "0123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)


def _is_sequence(text: str) -> bool:
    """True when ``text`` is a stretch of one of the keyboard or digit runs, either way."""
    return any(text in run or text in run[::-1] for run in _RUNS)
