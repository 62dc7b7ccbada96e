"""hotspots partners add/list/rotate/revoke: tokens shown once, stored as hashes."""

from __future__ import annotations

import json

import pytest

from hotspots.services import partners


def token_of(result) -> str:
    """The token: the output's last line, on its own."""
    return result.output.rstrip("\n").splitlines()[-1]


def add(runner, name="police-ppn", source="police"):
    return runner.invoke(args=["partners", "add", name, "--source", source])


def test_add_prints_the_token_last_on_its_own_line_and_stores_only_its_hash(runner, db):
    result = add(runner)
    assert result.exit_code == 0, result.output
    token = token_of(result)
    assert token.startswith("hsp_") and len(token) > 40
    assert " " not in token
    hashes = [row[0] for row in db.execute("SELECT token_hash FROM partner_tokens")]
    assert hashes == [partners.token_hash(token)]
    assert token not in json.dumps(db.execute("SELECT * FROM partners").fetchall())


def test_two_partners_get_different_tokens(runner):
    assert token_of(add(runner, "a", "police")) != token_of(add(runner, "b", "police"))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["x", "--source", "astrology"], "unknown source 'astrology'"),
        (["Bad Name!", "--source", "police"], "is not a usable partner name"),
        (["x"], "Missing option '--source'"),
    ],
)
def test_add_refuses_what_it_cannot_register(runner, db, args, words):
    result = runner.invoke(args=["partners", "add", *args])
    assert result.exit_code != 0
    assert words in result.output
    assert db.execute("SELECT count(*) FROM partners").fetchone()[0] == 0


def test_a_name_cannot_be_registered_twice(runner):
    add(runner)
    result = add(runner)
    assert result.exit_code == 1
    assert "already a partner called police-ppn" in result.output


def test_list_shows_each_partner_its_state_and_what_it_last_sent(runner, client):
    token = token_of(add(runner))
    add(runner, "trust-cpis", "hospital")
    runner.invoke(args=["partners", "revoke", "trust-cpis"])
    assert "has sent nothing yet" in runner.invoke(args=["partners", "list"]).output
    headers = {"Authorization": f"Bearer {token}"}
    body = {"id": "1", "case_ref": "X", "indicator": "ppn_low", "observed_on": "2020-01-01"}
    assert client.post("/api/v1/observations", json=body, headers=headers).status_code == 200
    lines = runner.invoke(args=["partners", "list"]).output.splitlines()
    police = next(line for line in lines if line.startswith("police-ppn"))
    trust = next(line for line in lines if line.startswith("trust-cpis"))
    assert "active" in police and "1 live token" in police
    assert "1 item: 1 new, 1 not yet matched to a case (ppn_low)" in police
    assert "revoked" in trust and "0 live tokens" in trust


def test_list_with_no_partners_says_how_to_add_one(runner):
    assert "hotspots partners add" in runner.invoke(args=["partners", "list"]).output


def test_rotate_prints_a_new_token_and_the_old_one_works_for_the_overlap(runner, db):
    old = token_of(add(runner))
    result = runner.invoke(args=["partners", "rotate", "police-ppn"])
    assert result.exit_code == 0, result.output
    new = token_of(result)
    assert new != old
    assert "24 more hours" in result.output
    expiries = db.execute("SELECT expires_at FROM partner_tokens ORDER BY id").fetchall()
    assert expiries[0][0] is not None and expiries[1][0] is None


def test_rotate_with_no_overlap_stops_the_old_token_at_once(runner, db, app):
    old = token_of(add(runner))
    result = runner.invoke(args=["partners", "rotate", "police-ppn", "--overlap-hours", "0"])
    assert "the old one no longer works" in result.output
    with app.app_context():
        from hotspots.web.context import clock
        from hotspots.web.db import get_db

        assert partners.authenticate(get_db(), old, now=clock()) is None
        assert partners.authenticate(get_db(), token_of(result), now=clock()) is not None


def test_revoke_ends_every_token_and_cannot_be_rotated_back(runner, db):
    add(runner)
    runner.invoke(args=["partners", "rotate", "police-ppn"])
    result = runner.invoke(args=["partners", "revoke", "police-ppn"])
    assert result.exit_code == 0
    live = db.execute("SELECT count(*) FROM partner_tokens WHERE revoked_at IS NULL")
    assert live.fetchone()[0] == 0
    again = runner.invoke(args=["partners", "rotate", "police-ppn"])
    assert again.exit_code == 1
    assert "was revoked" in again.output


def test_unknown_partners_are_named_in_the_error(runner):
    result = runner.invoke(args=["partners", "revoke", "nobody"])
    assert result.exit_code == 1
    assert "no partner is called nobody" in result.output


def test_every_partner_command_is_audited(runner, db):
    add(runner)
    runner.invoke(args=["partners", "rotate", "police-ppn"])
    runner.invoke(args=["partners", "revoke", "police-ppn"])
    actions = [row[0] for row in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["partner_add", "partner_rotate", "partner_revoke"]
