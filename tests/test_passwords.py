"""Passwords: Argon2 hashing, and the one rule for what may be set (zxcvbn's estimate, with
the service's own words known to it)."""

import re

import browser_support as world
import pytest
from browser_support import email, sign_in

from hotspots.base.config import load_config
from hotspots.services import passwords
from hotspots.services.passwords import hash_password, password_problem, verify_password

EMAIL = "bob.worker@example.org"


@pytest.fixture
def words():
    """The words this service's passwords are judged knowing (its name, the council's)."""
    return passwords.service_words(load_config())


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def test_a_hashed_password_verifies_and_a_wrong_one_does_not():
    stored = hash_password("a long passphrase here")
    assert stored.startswith("$argon2")
    assert "a long passphrase here" not in stored
    assert verify_password(stored, "a long passphrase here")
    assert not verify_password(stored, "a long passphrase HERE")


def test_no_hash_or_a_broken_hash_never_verifies():
    assert not verify_password(None, "anything")
    assert not verify_password("", "anything")
    assert not verify_password("not-a-hash", "anything")


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("same") != hash_password("same")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        # The five a council's probe set (issue 23), each with the reason in words.
        ("1q2w3e4r5t6y7u", "a common password"),
        ("qwertyqwerty", "repeated"),
        ("abc123abc123", "repeated"),
        ("111111222222", "repeated"),
        ("Summer2026!!", "a common password"),
        ("P@ssw0rd2026!x", "letters swapped for look-alike digits or symbols"),
        ("123456789012", "a sequence"),
    ],
)
def test_passwords_easy_to_guess_are_refused_saying_why(words, password, why):
    problem = password_problem(password, EMAIL, words=words)
    assert problem and problem.startswith("the password would be too easy to guess")
    assert why in problem and "Add another word or two" in problem


def test_a_whole_common_password_is_named_as_one(words):
    assert password_problem("password1234", EMAIL, words=words) == (
        "the password is on the list of common passwords: choose a less obvious one"
    )


@pytest.mark.parametrize(
    "password",
    [
        "Example Borough Council 2026",  # [service] organisation
        "Caseload hotspots 2026!",  # the service's name
        "demo-password-1",  # printed for the demo's accounts, so public
        "example.org 2026!",  # the email's domain
    ],
)
def test_the_services_own_words_the_councils_name_and_the_email_count_as_known(words, password):
    problem = password_problem(password, EMAIL, words=words)
    assert problem and "the service's name, the council's name, your email" in problem


def test_the_councils_name_comes_from_the_setting(monkeypatch):
    settings = load_config(overrides={"service": {"organisation": "Norfolk County Council"}})
    assert "Norfolk County Council" in passwords.service_words(settings)
    council = passwords.service_words(settings)
    assert password_problem("Norfolk County Council 26", EMAIL, words=council)
    assert password_problem("Norfolk County Council 26", EMAIL) is None  # unknown words


@pytest.mark.parametrize(
    "password",
    ["lantern orchard ribbon 47", "quiet harbour lamps 1912", "a brand new passphrase"],
)
def test_a_few_unrelated_words_are_accepted(words, password):
    assert password_problem(password, EMAIL, words=words) is None


def test_only_the_first_72_characters_are_judged_so_a_long_password_is_quick_to_check(words):
    long = " ".join(["lantern orchard ribbon 47"] * 30)
    assert password_problem(long, EMAIL, words=words) is None
    assert password_problem("qwerty" * 50, EMAIL, words=words)


@pytest.mark.parametrize(
    "password", ["1q2w3e4r5t6y7u", "qwertyqwerty", "abc123abc123", "111111222222", "Summer2026!!"]
)
def test_the_command_line_refuses_each_weak_password_a_probe_tried(runner, ids, password):
    result = runner.invoke(args=["users", "set-password", email("bob")], input=f"{password}\n")
    assert result.exit_code == 1
    assert "too easy to guess" in result.output and "nothing was changed" in result.output


def test_a_one_time_link_refuses_a_weak_password_in_words_and_the_demo_password_too(app, db, ids):
    admin = app.test_client()
    sign_in(admin, "ada")
    page = admin.post(f"/admin/people/{ids['staff']['ann']}/password-link").get_data(as_text=True)
    link = re.search(r"(/password/[A-Za-z0-9_-]+)", page).group(1)
    newcomer = app.test_client()
    for weak in ("Summer2026!!", passwords.DEMO_PASSWORD):
        response = newcomer.post(link, data={"password": weak, "confirm": weak})
        assert response.status_code == 400
        assert "The password would be too easy to guess" in response.get_data(as_text=True)
