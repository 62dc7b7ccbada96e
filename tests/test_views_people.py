"""/admin/people: admins list, add and disable people and give them one-time links to set a
password; no password is ever shown or sent."""

from __future__ import annotations

import re
from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, PASSWORD, audit_rows, count, email, sign_in


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def text(response) -> str:
    return response.get_data(as_text=True)


NEW = {"name": "Nia New", "email": "nia.new@example.org", "role": "worker", "team": "1"}


def link_in(page: str) -> str:
    return re.search(r"<code>http://127\.0\.0\.1:5000(/password/[^<]+)</code>", page).group(1)


def test_an_admin_sees_everyone_and_others_may_not(client, ids):
    sign_in(client, "ada")
    page = text(client.get("/admin/people"))
    for key in ("ann", "meg", "ada"):
        assert email(key) in page
    assert ">People<" in page  # in the service navigation
    client.post("/logout")
    sign_in(client, "meg")
    assert client.get("/admin/people").status_code == 403


def test_a_new_person_sets_their_own_password_from_a_one_time_link(client, db, ids):
    sign_in(client, "ada")
    response = client.post("/admin/people/new", data=NEW)
    assert response.status_code == 200
    page = text(response)
    assert "Nia New is added" in page
    link = link_in(page)
    assert (
        "password"
        not in db.execute(
            "SELECT coalesce(password_hash, 'none') FROM staff WHERE email = ?", [NEW["email"]]
        ).fetchone()[0]
    )
    token = link.rsplit("/", 1)[1]
    assert token not in str(db.execute("SELECT * FROM password_links").fetchall())  # hash only
    assert audit_rows(db, "add_person")[0]["actor_email"] == email("ada")

    client.post("/logout")
    form = client.get(link)
    assert form.status_code == 200 and "nia.new@example.org" in text(form)
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "The password must be at least 12 characters" in text(short)
    differ = client.post(link, data={"password": "a long passphrase", "confirm": "another one!"})
    assert "The passwords do not match" in text(differ)
    done = client.post(link, data={"password": "a long passphrase", "confirm": "a long passphrase"})
    assert done.status_code == 302 and done.location == "/login"
    assert client.get(link).status_code == 404  # once only
    signed_in = client.post("/login", data={"email": NEW["email"], "password": "a long passphrase"})
    assert signed_in.status_code == 302
    assert text(client.get("/caseload")).count("My caseload") >= 1
    assert audit_rows(db, "set_password")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": " "}, "Enter their full name"),
        # One line, as the staff import requires: a line break would forge digest lines.
        ({"name": "Evil\r\nBcc: x@evil.example"}, "The name contains a line break"),
        ({"name": "Eve\x85Smith"}, "The name contains the control character U+0085"),
        ({"name": "x" * 201}, "The name is longer than 200 characters"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"email": "ANN.worker@example.org"}, "Someone already has this email address"),
        ({"role": "boss"}, "Choose their role"),
        ({"team": ""}, "Choose their team"),
        ({"team": "99"}, "Choose their team"),
    ],
)
def test_adding_a_person_needs_a_name_a_new_email_a_role_and_a_team(
    client, db, ids, change, message
):
    sign_in(client, "ada")
    staff = count(db, "staff")
    response = client.post("/admin/people/new", data={**NEW, **change})
    assert response.status_code == 400
    assert message in text(response)
    assert count(db, "staff") == staff


def test_an_admin_needs_no_team(client, db, ids):
    sign_in(client, "ada")
    data = {**NEW, "role": "admin", "team": ""}
    assert client.post("/admin/people/new", data=data).status_code == 200


def test_a_disabled_person_cannot_sign_in_and_is_signed_out_at_once(client, app, db, ids):
    ann = ids["staff"]["ann"]
    other = app.test_client()
    sign_in(other, "ann")
    assert other.get("/caseload").status_code == 200
    sign_in(client, "ada")
    disabled = client.post(
        f"/admin/people/{ann}/disable",
        data={"cases_to": str(ids["staff"]["bob"]), "reason": "On long-term leave"},
    )
    assert disabled.status_code == 302
    assert "Disabled: cannot sign in" in text(client.get(f"/admin/people/{ann}"))
    assert other.get("/caseload").status_code == 302  # their session has ended
    assert sign_in(app.test_client(), "ann").status_code == 400
    assert audit_rows(db, "disable_person")[0]["detail"] == f"staff={ann}"
    assert count(db, "allocations") == 3  # her three cases went to Bob
    # Enabled again, they choose a new password from a link (disabling cleared the old one).
    assert client.post(f"/admin/people/{ann}/enable").status_code == 302
    assert sign_in(app.test_client(), "ann").status_code == 400
    assert "No password set yet" in text(client.get(f"/admin/people/{ann}"))
    link = link_in(text(client.post(f"/admin/people/{ann}/password-link")))
    newcomer = app.test_client()
    assert newcomer.post(link, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert sign_in(app.test_client(), "ann").status_code == 302


def test_an_admin_cannot_disable_themselves(client, db, ids):
    sign_in(client, "ada")
    ada = ids["staff"]["ada"]
    client.post(f"/admin/people/{ada}/disable")
    assert db.execute("SELECT disabled_at FROM staff WHERE id = ?", [ada]).fetchone()[0] is None


def test_a_password_reset_stops_the_old_password_and_replaces_older_links(client, app, db, ids):
    ann = ids["staff"]["ann"]
    sign_in(client, "ada")
    first = link_in(text(client.post(f"/admin/people/{ann}/password-link")))
    second = link_in(text(client.post(f"/admin/people/{ann}/password-link")))
    assert sign_in(app.test_client(), "ann", PASSWORD).status_code == 400  # old one gone
    visitor = app.test_client()
    assert visitor.get(first).status_code == 404  # replaced by the second
    assert visitor.get(second).status_code == 200
    assert audit_rows(db, "reset_password")[0]["detail"] == f"staff={ann}"


def test_a_link_expires_after_the_configured_hours(client, app, ids):
    sign_in(client, "ada")
    link = link_in(text(client.post(f"/admin/people/{ids['staff']['bob']}/password-link")))
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(hours=72)
    expired = app.test_client().get(link)
    assert expired.status_code == 404 and "This link does not work" in text(expired)


def test_a_made_up_link_does_not_work(client, ids):
    assert client.get("/password/not-a-real-token").status_code == 404
    assert client.get("/password/" + "x" * 5000).status_code == 404


def test_a_password_link_starts_with_the_services_own_address(db_path, tmp_path, db):
    app = world.make_app(db_path, tmp_path, app={"base_url": "https://hotspots.council.example/"})
    world.build_world(db, app.config["SETTINGS"])
    client = app.test_client()
    sign_in(client, "ada")
    page = text(client.post("/admin/people/new", data=NEW))
    assert re.search(r"<code>https://hotspots\.council\.example/password/[^<]+</code>", page)


def test_disabling_someone_who_holds_cases_asks_where_they_go(client, db, ids):
    ann = ids["staff"]["ann"]
    sign_in(client, "ada")
    page = text(client.get(f"/admin/people/{ann}/disable"))
    assert "Ann Worker holds 3 open cases: N-0001, " in page  # the highest score first
    assert "N-0002" in page and "N-0003" in page
    assert "Bob Worker: 1 open case, 1 hotspot" in page
    assert "Meg Manager (manager): 0 open cases, 0 hotspots" in page
    assert "Leave them unallocated" in page
    refused = client.post(f"/admin/people/{ann}/disable", data={})
    assert refused.status_code == 400
    assert "Choose who takes their cases, or to leave them unallocated" in text(refused)
    assert "Enter why they are disabled" in text(refused)
    assert db.execute("SELECT disabled_at FROM staff WHERE id = ?", [ann]).fetchone()[0] is None


def test_a_leavers_cases_left_unallocated_are_counted_as_unallocated(client, db, ids):
    ann = ids["staff"]["ann"]
    sign_in(client, "ada")
    done = client.post(
        f"/admin/people/{ann}/disable",
        data={"cases_to": "unallocated", "reason": "Left on 27 February"},
    )
    assert done.status_code == 302
    shown = text(client.get(done.location))
    assert "Their 3 open cases are unallocated: the team page and the digest list them." in shown
    held = db.execute("SELECT count(*) FROM cases WHERE worker_id = ?", [ann]).fetchone()[0]
    assert held == 0
    moved = db.execute("SELECT to_worker_id, reason FROM allocations").fetchall()
    assert moved == [(None, "Left on 27 February")] * 3
    team = text(client.get(f"/team?team={ids['teams']['north']}"))
    assert 'data-testid="unallocated-row"' in team
    assert re.search(r'href="/team/unallocated\?team=\d+">4<', team)  # N-0005 and her three
    assert "Ann Worker" not in team  # disabled and holding nothing: not listed


def test_someone_who_holds_no_cases_is_disabled_at_once(client, db, ids):
    meg = ids["staff"]["meg"]
    sign_in(client, "ada")
    page = text(client.get(f"/admin/people/{meg}/disable"))
    assert "Where should their open cases go?" not in page
    assert client.post(f"/admin/people/{meg}/disable", data={}).status_code == 302
    assert db.execute("SELECT disabled_at FROM staff WHERE id = ?", [meg]).fetchone()[0]
