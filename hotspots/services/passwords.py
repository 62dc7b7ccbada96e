"""Passwords: hashing with Argon2 (argon2-cffi's defaults, RFC 9106 low-memory profile), and
the one rule for what password may be set, every way one is set (the command line, a
one-time link, changing one's own): judged by zxcvbn, a maintained strength estimator, with
the service's own words known to it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

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
# The sign-in form takes at most this many characters (hotspots.web.forms.SignInForm).
MAX_LENGTH = 1024
# zxcvbn judges at most this many characters (its own limit): a longer password is judged by
# its first 72, which is plenty (the guesses it needs grow with every character).
JUDGED_LENGTH = 72
# Fewer guesses than 10^10 is too few (zxcvbn's "very unguessable" starts there): Summer2026!!
# falls at about 10^8.4, "lantern orchard ribbon 47" at about 10^19.7.
MIN_GUESSES_LOG10 = 10
SERVICE_NAME = "Caseload hotspots"
# Printed by `hotspots demo` and in README for the demo's seeded accounts, so public: never a
# password that may be set for anyone (the demo seeds its accounts' hashes directly).
DEMO_PASSWORD = "demo-password-1"

# What each kind of zxcvbn match means, in words (in the order a password is read).
_PATTERN_WORDS = {
    "spatial": "keys next to each other on the keyboard (like qwerty or 1q2w3e)",
    "repeat": "characters or words repeated (like abcabc or 111111)",
    "sequence": "a sequence (like abcd or 6789)",
    "date": "a date",
    "regex": "a recent year",
}
_DICTIONARY_WORDS = {
    "passwords": "a common password",
    "user_inputs": "words anyone can guess here (the service's name, the council's name, your "
    "email address or the demo's password)",
    "english_wikipedia": "common words",
    "us_tv_and_film": "common words",
    "surnames": "common names",
    "male_names": "common names",
    "female_names": "common names",
}


def service_words(settings: Mapping[str, Any]) -> list[str]:
    """The words a password for this service must not be built from, besides the person's
    email: the service's name, the council's (``[service] organisation``) and the demo's
    published password."""
    return [SERVICE_NAME, settings["service"]["organisation"], DEMO_PASSWORD]


def password_problem(password: str, email: str, *, words: Sequence[str] = ()) -> str | None:
    """Why ``password`` may not be set for the account ``email``, or None when it may.

    Refused: fewer than 12 or more than 1,024 characters (the sign-in form could not take
    it), control characters, leading or trailing spaces (easily lost when typed), one
    character repeated, the account's email or its name part, and anything a maintained
    strength estimator (zxcvbn, its lists of common passwords, words and names, keyboard
    patterns, repeats, sequences and dates) reckons could be guessed in fewer than 10^10
    tries, counting the account's email and ``words`` (``service_words``) as known."""
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
    estimate = zxcvbn(password[:JUDGED_LENGTH], user_inputs=_known_words(email, words))
    if estimate["guesses_log10"] >= MIN_GUESSES_LOG10:
        return None
    return _too_easy(estimate["sequence"], len(password[:JUDGED_LENGTH]))


def _known_words(email: str, words: Sequence[str]) -> list[str]:
    """What an attacker aiming at this account knows: each phrase whole and word by word."""
    phrases = [email, *email.replace("@", " ").split(), *words]
    known = []
    for phrase in phrases:
        known.append(phrase)
        known += re.split(r"[\s._+@-]+", phrase)
    return [w.casefold() for w in dict.fromkeys(known) if len(w) >= 3]


def _too_easy(matches: list[dict[str, Any]], length: int) -> str:
    """Why zxcvbn's matches make a password easy to guess, in words a person can act on."""
    if len(matches) == 1 and matches[0].get("dictionary_name") == "passwords":
        if len(matches[0]["token"]) == length:
            return "the password is on the list of common passwords: choose a less obvious one"
    parts = []
    for match in matches:
        pattern = match["pattern"]
        if pattern == "dictionary":
            words = _DICTIONARY_WORDS.get(match.get("dictionary_name"), "common words")
            if match.get("l33t"):
                words += " with letters swapped for look-alike digits or symbols"
            elif match.get("reversed"):
                words += " spelled backwards"
        else:
            words = _PATTERN_WORDS.get(pattern)
        if words and words not in parts:
            parts.append(words)
    made_of = " and ".join(parts) if parts else "too few characters of too few kinds"
    return (
        f"the password would be too easy to guess: it is built on {made_of}. Add another word "
        "or two, or use three or four unrelated words"
    )
