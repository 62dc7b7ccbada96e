"""Signing in and out, idle expiry, CSRF, the case visibility rule (hotspots.auth) and
``hotspots users set-password``."""

from __future__ import annotations

from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, PASSWORD, audit_rows, email, sign_in

from hotspots import auth


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def ids(db, settings):
    return world.build_world(db, settings)


def test_the_sign_in_page_asks_for_email_and_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page
    assert 'name="password"' in page
    assert "Caseload hotspots" in page
    assert "Crown copyright" not in page and "govuk-header__logotype" not in page


@pytest.mark.parametrize(
    ("who", "start"), [("ann", "/caseload"), ("meg", "/team"), ("ada", "/team")]
)
def test_signing_in_sends_each_role_to_their_start_page(client, ids, who, start):
    response = sign_in(client, who)
    assert response.status_code == 302
    assert client.get(response.location).location == start


def test_signing_in_is_audited(client, db, ids):
    sign_in(client, "ann")
    assert audit_rows(db, "sign_in") == [
        {"actor_email": email("ann"), "action": "sign_in", "case_ref": None, "detail": ""}
    ]


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, ids):
    wrong_password = client.post("/login", data={"email": email("ann"), "password": "nope"})
    unknown_email = client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert wrong_password.status_code == unknown_email.status_code == 400
    for response in (wrong_password, unknown_email):
        page = response.get_data(as_text=True)
        assert "There is a problem" in page
        assert "Enter a correct email address and password" in page
    assert client.get("/caseload").status_code == 302


def test_a_member_of_staff_with_no_password_cannot_sign_in(client, db, ids):
    db.execute("UPDATE staff SET password_hash = NULL WHERE email = ?", [email("bob")])
    assert sign_in(client, "bob", PASSWORD).status_code == 400


def test_an_empty_sign_in_form_shows_the_error_summary(client, ids):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert 'href="#email"' in page and "Enter your email address" in page
    assert 'href="#password"' in page and "Enter your password" in page


@pytest.mark.parametrize("path", ["/caseload", "/cases/N-0001", "/team", "/admin/audit"])
def test_every_page_needs_sign_in(client, ids, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_sign_in_returns_to_the_page_asked_for(client, ids):
    client.get("/cases/N-0001")
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login?next=/cases/N-0001", data={"email": email("ann"), "password": PASSWORD}
    )
    assert response.location == "/cases/N-0001"


def test_sign_in_never_sends_anyone_to_another_site(client, ids):
    response = client.post(
        "/login?next=//evil.example/x", data={"email": email("ann"), "password": PASSWORD}
    )
    assert response.location == "/"


def test_signing_out_is_a_post_and_ends_the_session(client, db, ids):
    sign_in(client, "ann")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/caseload").status_code == 302
    assert [r["action"] for r in audit_rows(db)][-1] == "sign_out"


def test_an_idle_session_expires(client, settings, ids):
    sign_in(client, "ann")
    idle = settings["app"]["session_idle_minutes"]
    with client.session_transaction() as session:
        session["last_seen"] = (NOW - timedelta(minutes=idle, seconds=1)).timestamp()
    response = client.get("/caseload")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    page = client.get(response.location).get_data(as_text=True)
    assert "signed out because you were inactive" in page
    assert client.get("/caseload").status_code == 302


def test_each_request_counts_as_activity(client, settings, ids):
    sign_in(client, "ann")
    idle = settings["app"]["session_idle_minutes"]
    with client.session_transaction() as session:
        session["last_seen"] = (NOW - timedelta(minutes=idle - 1)).timestamp()
    assert client.get("/caseload").status_code == 200
    with client.session_transaction() as session:
        assert session["last_seen"] == NOW.timestamp()


def test_pages_carry_security_headers_and_are_not_cached(client, ids):
    sign_in(client, "ann")
    response = client.get("/caseload")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


class TestWithCsrf:
    @pytest.fixture
    def app(self, db_path, tmp_path):
        return world.make_app(db_path, tmp_path, csrf=True)

    def test_signing_in_without_the_csrf_token_is_refused(self, client, ids):
        response = client.post("/login", data={"email": email("ann"), "password": PASSWORD})
        assert response.status_code == 400
        assert "Your form could not be sent" in response.get_data(as_text=True)
        assert client.get("/caseload").status_code == 302

    def test_signing_in_with_the_csrf_token_works(self, client, ids):
        assert sign_in(client, "ann").status_code == 302
        assert client.get("/caseload").status_code == 200

    def test_signing_out_without_the_csrf_token_is_refused(self, client, ids):
        sign_in(client, "ann")
        assert client.post("/logout").status_code == 400
        assert client.get("/caseload").status_code == 200


# --- the rule itself (hotspots.auth) ------------------------------------------------------


def _user(key, ids):
    mail, name, role, team = world.STAFF[key]
    return auth.User(ids["staff"][key], mail, name, role, ids["teams"][team] if team else None)


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("ann", {"N-0001", "N-0002", "N-0003"}),
        ("bob", {"N-0004"}),
        ("meg", {"N-0001", "N-0002", "N-0003", "N-0004", "N-0005"}),
        ("sam", {"S-0001"}),
        ("ada", set(world.CASES)),
    ],
)
def test_who_sees_which_case(db, ids, who, visible):
    user = _user(who, ids)
    seen = set()
    for ref in world.CASES:
        row = db.execute("SELECT team_id, worker_id FROM cases WHERE case_ref = ?", [ref])
        team_id, worker_id = row.fetchone()
        if auth.can_see_case(user, {"team_id": team_id, "worker_id": worker_id}):
            seen.add(ref)
    assert seen == visible


def test_a_manager_without_a_team_sees_no_team_cases(ids):
    manager = auth.User(99, "x@example.org", "X", "manager", None)
    assert not auth.can_see_case(manager, {"team_id": ids["teams"]["north"], "worker_id": None})


def test_role_required_rejects_unknown_roles():
    with pytest.raises(ValueError, match="unknown roles: boss"):
        auth.role_required("boss")


# --- hotspots users set-password ----------------------------------------------------------


def test_set_password_reads_the_password_from_stdin(runner, client, ids):
    result = runner.invoke(
        args=["users", "set-password", email("bob")], input="a brand new passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert f"Password set for {email('bob')}" in result.output
    assert "a brand new passphrase" not in result.output
    assert sign_in(client, "bob", PASSWORD).status_code == 400
    assert sign_in(client, "bob", "a brand new passphrase").status_code == 302


def test_set_password_refuses_a_short_password(runner, client, ids):
    result = runner.invoke(args=["users", "set-password", email("bob")], input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_set_password_names_an_unknown_email(runner, ids):
    result = runner.invoke(
        args=["users", "set-password", "nobody@example.org"], input="long enough password\n"
    )
    assert result.exit_code == 1
    assert "no member of staff has the email nobody@example.org" in result.output
    assert "Traceback" not in result.output
