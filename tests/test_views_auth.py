"""Signing in and out, idle expiry, CSRF, the case visibility rule (hotspots.web.auth) and
``hotspots users set-password``."""

from __future__ import annotations

import re
from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, PASSWORD, audit_rows, email, sign_in

from hotspots.web import auth


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


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
        {
            "actor_email": email("ann"),
            "action": "sign_in",
            "case_ref": None,
            "detail": "client 127.0.0.1",
        }
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


# --- the rule itself (hotspots.web.auth) ------------------------------------------------------


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


# --- throttling (hotspots.web.throttling) -----------------------------------------------------


def _fail(client, who_email, times, client_address="127.0.0.1"):
    for _ in range(times):
        client.post(
            "/login",
            data={"email": who_email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": client_address},
        )


def test_fifty_wrong_passwords_then_the_right_one_does_not_sign_in(client, db, ids):
    _fail(client, email("ann"), 50)
    response = sign_in(client, "ann")
    assert response.status_code == 429
    assert client.get("/caseload").status_code == 302


def test_the_throttled_page_does_not_reveal_whether_the_account_exists(client, ids):
    _fail(client, email("ann"), 10)
    _fail(client, "nobody@example.org", 10)
    real = client.post("/login", data={"email": email("ann"), "password": PASSWORD})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert real.status_code == unknown.status_code == 429
    assert _without_nonces(real) == _without_nonces(unknown)
    assert "Too many attempts to sign in" in real.get_data(as_text=True)
    # Both from the same window rule; the two accounts' failures began a moment apart, so the
    # seconds left may differ by the one the clock ticked over between them.
    assert abs(int(real.headers["Retry-After"]) - int(unknown.headers["Retry-After"])) <= 1
    assert 0 < int(real.headers["Retry-After"]) <= 15 * 60 + 1


def _without_nonces(response):
    return re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))


def test_the_ninth_failure_leaves_sign_in_open_and_the_tenth_closes_it(client, ids):
    _fail(client, email("ann"), 9)
    assert sign_in(client, "ann").status_code == 302
    client.post("/logout")
    _fail(client, email("ann"), 10)
    assert sign_in(client, "ann").status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(client, ids):
    _fail(client, email("ann"), 9)
    assert sign_in(client, "ann").status_code == 302
    client.post("/logout")
    _fail(client, email("ann"), 9)
    assert sign_in(client, "ann").status_code == 302


def test_sign_in_opens_again_when_the_window_has_passed(app, client, ids):
    _fail(client, email("ann"), 10)
    assert sign_in(client, "ann").status_code == 429
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=15, seconds=1)
    assert sign_in(client, "ann").status_code == 302


class TestThrottlingByAddress:
    @pytest.fixture
    def app(self, db_path, tmp_path):
        # A lower limit than the default 100, so the test need not make 100 slow guesses.
        return world.make_app(db_path, tmp_path, security={"max_failures_per_address": 5})

    def test_one_address_trying_many_accounts_is_throttled_by_address(self, client, ids):
        _one_address_trying_many_accounts_is_throttled_by_address(client, 5)


def _one_address_trying_many_accounts_is_throttled_by_address(client, limit):
    for n in range(limit):
        _fail(client, f"guess{n}@example.org", 1, client_address="203.0.113.9")
    refused = client.post(
        "/login",
        data={"email": email("bob"), "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert refused.status_code == 429
    other_address = client.post(
        "/login",
        data={"email": email("bob"), "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert other_address.status_code == 302


def test_every_failed_and_throttled_sign_in_is_audited(client, db, ids):
    _fail(client, email("ann"), 10)
    _fail(client, "nobody@example.org", 1)
    sign_in(client, "ann")
    failed = audit_rows(db, "sign_in_failed")
    assert len(failed) == 11
    assert failed[0] == {
        "actor_email": email("ann"),
        "action": "sign_in_failed",
        "case_ref": None,
        "detail": "client 127.0.0.1",
    }
    # An unknown email is not written down: it may be a password typed in the wrong box.
    assert failed[-1]["actor_email"] is None
    assert all("nobody" not in r["detail"] for r in audit_rows(db))
    assert audit_rows(db, "sign_in_throttled")[0]["detail"] == "by account; client 127.0.0.1"


def test_failed_sign_ins_store_no_email_text(client, db, ids):
    _fail(client, "typed-a-password-here@example.org", 1)
    stored = db.execute("SELECT account_hash, client FROM sign_in_failures").fetchall()
    assert len(stored) == 1
    assert "typed" not in stored[0][0] and len(stored[0][0]) == 64


# --- where sign-in sends you (hotspots.base.params.safe_next_path) -----------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/%09/evil.example",
        "/%0A",
        "/%0D%0ALocation:%20https://evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%20/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_sends_anyone_off_the_site_or_breaks_on_next(client, ids, target):
    response = client.post(
        f"/login?next={target}", data={"email": email("ann"), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_a_signed_in_visit_to_the_sign_in_page_never_leaves_the_site(client, ids):
    sign_in(client, "ann")
    for target in ("/%09/evil.example", "/%0A", "//evil.example"):
        response = client.get(f"/login?next={target}")
        assert response.status_code == 302 and response.location == "/"


# --- server-side sessions (hotspots.services.sessions)
# ---------------------------------------------


def _cookie(client):
    return client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_opens_nothing_after_it(app, client, ids):
    sign_in(client, "ann")
    saved = _cookie(client)
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/caseload").status_code == 302
    assert thief.post("/cases/N-0001/reviews", data={"review-plan": "x"}).status_code == 302


def test_ending_a_persons_sessions_signs_them_out_everywhere(app, client, runner, db, ids):
    sign_in(client, "ann")
    other = app.test_client()
    sign_in(other, "ann")
    result = runner.invoke(args=["users", "sign-out", email("ann")])
    assert result.exit_code == 0, result.output
    assert "Ended 2 sessions" in result.output
    for browser in (client, other):
        response = browser.get("/caseload")
        assert response.status_code == 302
        assert "Your session has ended" in browser.get(response.location).get_data(as_text=True)
    assert audit_rows(db, "end_sessions")[0]["detail"] == f"staff {email('ann')}; 2 ended"


def test_a_session_kept_busy_still_ends_at_its_absolute_lifetime(app, client, settings, ids):
    sign_in(client, "ann")
    hours = settings["security"]["session_absolute_hours"]
    moment = NOW
    # A request every 20 minutes keeps the idle limit away, but not the absolute one.
    while moment + timedelta(minutes=20) < NOW + timedelta(hours=hours):
        moment += timedelta(minutes=20)
        app.config["HOTSPOTS_NOW"] = moment
        assert client.get("/caseload").status_code == 200
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(hours=hours)
    assert client.get("/caseload").status_code == 302


def test_an_idle_session_is_ended_on_the_server_too(app, client, db, settings, ids):
    sign_in(client, "ann")
    idle = settings["app"]["session_idle_minutes"]
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=idle, seconds=1)
    assert client.get("/caseload").status_code == 302
    reasons = db.execute("SELECT ended_reason FROM sessions").fetchall()
    assert reasons == [("idle",)]


def test_the_session_cookie_outlives_the_idle_limit_so_the_server_decides(client, settings, ids):
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    response = sign_in(client, "ann")
    cookie = response.headers["Set-Cookie"]
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    # The browser keeps real time, whatever the app's clock is fixed at.
    lifetime = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert lifetime >= timedelta(hours=settings["security"]["session_absolute_hours"]) - (
        timedelta(seconds=5)
    )
    assert lifetime > timedelta(minutes=settings["app"]["session_idle_minutes"])


def test_asking_whether_the_session_is_alive_is_not_activity(app, client, settings, ids):
    sign_in(client, "ann")
    idle = settings["app"]["session_idle_minutes"]
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=idle - 5)
    answer = client.post("/session/idle-check").get_json()
    assert answer == {"signed_in": True, "seconds_left": 300}
    with client.session_transaction() as session:
        assert session["last_seen"] == NOW.timestamp()  # not moved on by asking


def test_the_timeout_warnings_check_ends_an_idle_session_on_the_server_at_once(
    app, client, db, settings, ids
):
    sign_in(client, "ann")
    sign_in(app.test_client(), "ada")
    idle = settings["app"]["session_idle_minutes"]
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=idle, seconds=1)
    assert client.post("/session/idle-check").get_json() == {"signed_in": False}
    # Committed: another connection (the test's own) sees it ended.
    rows = db.execute("SELECT staff_id, ended_reason FROM sessions ORDER BY id").fetchall()
    assert rows == [(ids["staff"]["ann"], "idle"), (ids["staff"]["ada"], None)]
    admin = app.test_client()
    sign_in(admin, "ada")
    page = admin.get("/admin/sessions").get_data(as_text=True)
    assert "ann.worker@example.org" not in page and "ada.admin@example.org" in page


def test_a_form_sent_after_the_warning_ended_the_session_is_kept_for_after_sign_in(
    app, client, db, settings, ids
):
    sign_in(client, "ann")
    idle = settings["app"]["session_idle_minutes"]
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=idle, seconds=1)
    client.post("/session/idle-check")
    response = client.post(
        "/cases/N-0002/reviews", data={"review-plan": "Ring the GP", "app-timed-out": "1"}
    )
    assert response.status_code == 302
    assert response.location == "/login?next=/cases/N-0002/reviews"
    assert db.execute("SELECT count(*) FROM form_drafts").fetchone()[0] == 1
    assert "what you typed will be back" in client.get(response.location).get_data(as_text=True)


def test_a_form_sent_after_an_admin_ended_the_session_is_not_kept(app, client, db, runner, ids):
    sign_in(client, "ann")
    runner.invoke(args=["users", "sign-out", email("ann")])
    response = client.post("/cases/N-0002/reviews", data={"review-plan": "Ring the GP"})
    assert response.status_code == 302 and response.location == "/login"
    assert db.execute("SELECT count(*) FROM form_drafts").fetchone()[0] == 0


LEAVER = ["--leave-unallocated", "--reason", "Left on 27 February"]


def test_a_disabled_member_of_staff_is_signed_out_and_cannot_sign_in(client, runner, ids):
    sign_in(client, "bob")
    result = runner.invoke(args=["users", "disable", email("bob"), *LEAVER])
    assert result.exit_code == 0, result.output
    assert "1 open case moved and left unallocated (see the team page)" in result.output
    assert client.get("/caseload").status_code == 302
    assert sign_in(client, "bob").status_code == 400


def test_disabling_someone_who_holds_cases_needs_where_they_go_and_why(runner, db, ids):
    refused = runner.invoke(args=["users", "disable", email("bob")])
    assert refused.exit_code == 1
    assert "holds 1 open case(s) (N-0004): say where they go" in refused.output
    no_reason = runner.invoke(args=["users", "disable", email("bob"), "--leave-unallocated"])
    assert no_reason.exit_code == 1 and "give --reason" in no_reason.output
    stranger = runner.invoke(
        args=["users", "disable", email("bob"), "--move-cases-to", email("cat"), "--reason", "x"]
    )
    assert stranger.exit_code == 1 and "same team" in stranger.output
    assert (
        db.execute("SELECT disabled_at FROM staff WHERE id = ?", [ids["staff"]["bob"]]).fetchone()[
            0
        ]
        is None
    )
    moved = runner.invoke(
        args=["users", "disable", email("bob"), "--move-cases-to", email("ann"),
              "--reason", "Bob left"]
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert f"1 open case moved to {email('ann')}" in moved.output
    assert (
        db.execute("SELECT worker_id FROM cases WHERE case_ref = 'N-0004'").fetchone()[0]
        == (ids["staff"]["ann"])
    )
    assert db.execute("SELECT worker_id FROM scores WHERE case_id = ?",
                      [ids["cases"]["N-0004"]]).fetchone()[0] == ids["staff"]["ann"]  # fmt: skip
    assert [r["case_ref"] for r in audit_rows(db, "reallocate_case")] == ["N-0004"]


def test_the_session_table_holds_no_usable_token(client, db, ids):
    sign_in(client, "ann")
    (stored,) = db.execute("SELECT token_hash FROM sessions").fetchone()
    with client.session_transaction() as session:
        assert session["sid"] != stored and len(stored) == 64


# --- cookies and transport ----------------------------------------------------------------


def test_the_session_cookie_is_secure_and_hsts_is_sent_by_default(client, ids):
    response = sign_in(client, "ann")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/caseload").headers["Strict-Transport-Security"] == "max-age=31536000"


class TestLocalDevelopmentOverHttp:
    @pytest.fixture
    def app(self, db_path, tmp_path):
        return world.make_app(db_path, tmp_path, security={"https_only": False})

    def test_cookies_are_not_secure_and_no_hsts_is_sent(self, client, ids):
        response = sign_in(client, "ann")
        assert "Secure" not in response.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in client.get("/caseload").headers


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        (" " * 12, "one character repeated"),
        ("123456789012", "too easy to guess"),
        ("bob.worker@example.org", "email address"),
        ("BOB.WORKER@example.org!", "email address"),
        ("x" * 1025, "at most 1024"),
        ("tab\tinside a password", "control characters"),
    ],
)
def test_set_password_refuses_the_obvious(runner, client, ids, password, problem):
    result = runner.invoke(args=["users", "set-password", email("bob")], input=f"{password}\n")
    assert result.exit_code == 1
    assert problem in result.output and "nothing was changed" in result.output
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_a_password_change_is_audited_and_ends_the_persons_sessions(runner, client, db, ids):
    sign_in(client, "bob")
    result = runner.invoke(
        args=["users", "set-password", email("bob")], input="a brand new passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert client.get("/caseload").status_code == 302
    assert audit_rows(db, "set_password") == [
        {
            "actor_email": None,
            "action": "set_password",
            "case_ref": None,
            "detail": f"staff {email('bob')}; 1 session(s) ended",
        }
    ]
    assert "a brand new passphrase" not in str(audit_rows(db))


def test_users_list_shows_roles_open_cases_and_who_can_sign_in(runner, db, ids):
    runner.invoke(args=["users", "disable", email("bob"), *LEAVER])
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    ann = next(line for line in lines if line.startswith(email("ann")))
    assert "worker" in ann and "North Team" in ann and "3 open cases" in ann
    assert "can sign in" in ann
    assert lines[-1].startswith(email("bob")) and "disabled 2026-03-02" in lines[-1]


def test_a_disabled_leaver_can_be_enabled_and_given_a_new_password(runner, client, db, ids):
    runner.invoke(args=["users", "disable", email("bob"), *LEAVER])
    refused = runner.invoke(
        args=["users", "set-password", email("bob")], input="a brand new passphrase\n"
    )
    assert refused.exit_code == 1 and "is disabled" in refused.output
    assert runner.invoke(args=["users", "enable", email("bob")]).exit_code == 0
    runner.invoke(args=["users", "set-password", email("bob")], input="a brand new passphrase\n")
    assert sign_in(client, "bob", "a brand new passphrase").status_code == 302
    assert [r["action"] for r in audit_rows(db) if r["action"].endswith("_staff")] == [
        "disable_staff",
        "enable_staff",
    ]


class TestBehindOneProxy:
    @pytest.fixture
    def app(self, db_path, tmp_path):
        return world.make_app(db_path, tmp_path, security={"trusted_proxies": 1})

    def test_the_client_address_comes_from_the_trusted_proxys_header(self, client, db, ids):
        client.post(
            "/login",
            data={"email": email("ann"), "password": "wrong password"},
            headers={"X-Forwarded-For": "198.51.100.23"},
        )
        assert audit_rows(db, "sign_in_failed")[0]["detail"] == "client 198.51.100.23"


def test_without_a_trusted_proxy_a_forwarded_for_header_is_ignored(client, db, ids):
    client.post(
        "/login",
        data={"email": email("ann"), "password": "wrong password"},
        headers={"X-Forwarded-For": "198.51.100.23"},
    )
    assert audit_rows(db, "sign_in_failed")[0]["detail"] == "client 127.0.0.1"


# --- changing one's own password ----------------------------------------------------------

NEW_PASSWORD = "quiet harbour lamps 1912"


def change(client, current=PASSWORD, password=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current": current, "password": password, "confirm": confirm or password},
    )


def test_a_person_changes_their_password_and_stays_signed_in_here_but_nowhere_else(
    app, client, db, ids
):
    elsewhere = app.test_client()
    sign_in(client, "ann")
    sign_in(elsewhere, "ann")
    page = client.get("/account/password").get_data(as_text=True)
    assert "Change your password" in page and 'autocomplete="current-password"' in page
    response = change(client)
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/caseload").status_code == 200  # this browser goes on
    assert elsewhere.get("/caseload").status_code == 302  # every other session has ended
    client.post("/logout")
    assert sign_in(app.test_client(), "ann").status_code == 400  # the old password is gone
    assert sign_in(app.test_client(), "ann", NEW_PASSWORD).status_code == 302
    assert [r["actor_email"] for r in audit_rows(db, "change_password")] == [email("ann")]


@pytest.mark.parametrize(
    ("current", "password", "confirm", "message"),
    [
        ("", NEW_PASSWORD, None, "Enter your current password"),
        (PASSWORD, "too short", None, "The password must be at least 12 characters"),
        (PASSWORD, "password1234", None, "The password is on the list of common passwords"),
        (PASSWORD, NEW_PASSWORD, "something else entirely", "The passwords do not match"),
        (PASSWORD, PASSWORD, None, "The new password must be different from your current one"),
    ],
)
def test_a_new_password_that_breaks_a_rule_is_refused_and_nothing_changes(
    app, client, ids, current, password, confirm, message
):
    sign_in(client, "ann")
    response = change(client, current, password, confirm)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert "<title>Error: Change your password" in page
    client.post("/logout")
    assert sign_in(app.test_client(), "ann").status_code == 302  # the old one still works


def test_a_wrong_current_password_counts_as_a_failed_sign_in_under_the_same_throttle(
    app, client, db, ids
):
    sign_in(client, "ann")
    for _ in range(9):
        response = change(client, current="not my password at all")
        assert response.status_code == 400
        assert "Your current password is not right" in response.get_data(as_text=True)
    _fail(app.test_client(), email("ann"), 1)  # a tenth failure, at the sign-in page
    refused = change(client)  # the right password now: refused all the same
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert len(audit_rows(db, "change_password_failed")) == 9
    assert len(audit_rows(db, "change_password_throttled")) == 1
    assert sign_in(app.test_client(), "ann").status_code == 429  # the account is throttled


def test_the_password_page_needs_a_signed_in_person(client, ids):
    assert client.get("/account/password").status_code == 302
    assert change(client).status_code == 302


def test_a_one_time_link_refuses_a_common_password_as_the_command_line_does(app, db, ids):
    from hotspots.services.passwords import password_problem

    assert password_problem("password1234", email("ann"))  # the command line's rule
    admin = app.test_client()
    sign_in(admin, "ada")
    page = admin.post(f"/admin/people/{ids['staff']['ann']}/password-link").get_data(as_text=True)
    link = re.search(r"(/password/[A-Za-z0-9_-]+)", page).group(1)
    newcomer = app.test_client()
    response = newcomer.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 400
    assert "The password is on the list of common passwords" in response.get_data(as_text=True)


def test_an_empty_password_form_lists_its_problems_in_the_order_of_its_fields(client, ids):
    sign_in(client, "ann")
    page = client.post("/account/password", data={}).get_data(as_text=True)
    start = page.index("govuk-error-summary__list")
    summary = page[start : page.index("</ul>", start)]
    assert re.findall(r'href="#(\w+)"', summary) == ["current", "password", "confirm"]
