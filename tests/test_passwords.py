"""Argon2 password hashing."""

from hotspots.passwords import hash_password, verify_password


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
