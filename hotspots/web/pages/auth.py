"""Signing in and out, and changing one's own password.

Sign-in is throttled by account and by client address (``hotspots.web.throttling``); every
failed or refused attempt is audited; a successful one starts a server-side session
(``hotspots.services.sessions``) whose token the signed cookie carries, and sign-out ends it. A
wrong
current password when changing it counts as a failed sign-in, under the same throttle.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from hotspots.base.params import safe_next_path
from hotspots.services import audit, sessions
from hotspots.services.passwords import hash_password
from hotspots.storage import staff, write_transaction
from hotspots.web import auth, throttling
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import ChangePasswordForm, SignInForm, error_list
from hotspots.web.pages import SESSION_TOKEN

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page. A wrong email and a wrong password get the same answer, and so do
    an existing and an unknown account that have been throttled."""
    if current_user.is_authenticated:
        return redirect(safe_next_path(request.args.get("next")) or url_for("home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        now = clock()
        email = form.email.data.strip()
        client = request.remote_addr or "unknown"
        _warn_if_cookie_will_not_stick()
        throttled = throttling.check(db, email, client, settings(), now=now)
        if throttled is not None:
            audit.record(
                db,
                at=now,
                action="sign_in_throttled",
                actor=auth.staff_for_email(db, email),
                detail=f"by {throttled.by}; client {client}",
            )
            return _throttled_page(throttled)
        user = auth.authenticate(db, email, form.password.data)
        if user is not None:
            next_url = safe_next_path(request.args.get("next"))
            with write_transaction(db):
                throttling.clear_account(db, email)
                token = sessions.start_session(db, user.id, settings(), now=now)
                audit.record(db, at=now, action="sign_in", actor=user, detail=f"client {client}")
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(user)
            session[SESSION_TOKEN] = token
            session["last_seen"] = now.timestamp()
            session.permanent = True
            return redirect(next_url or url_for("home"))
        with write_transaction(db):
            throttling.record_failure(db, email, client, settings(), now=now)
            audit.record(
                db,
                at=now,
                action="sign_in_failed",
                # The account tried, when there is one (so an admin filtering by person sees
                # the attempts on it); an unknown email is not recorded (it may be a password).
                actor=auth.staff_for_email(db, email),
                detail=f"client {client}",
            )
        form.email.errors.append(SIGN_IN_FAILED)
        form.password.data = ""
        status = 400
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form, errors=error_list(form)), status


def _throttled_page(throttled: throttling.Throttled):
    """429: too many failed attempts; try again in a few minutes (and Retry-After)."""
    minutes = -(-throttled.retry_after // 60)
    response = current_app.make_response(
        (
            render_template(
                "errors/429.html", wait_words=f"{minutes} minute{'s' if minutes != 1 else ''}"
            ),
            429,
        )
    )
    response.headers["Retry-After"] = str(throttled.retry_after)
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: the current one, then a new one twice. Every other session
    of the account ends; this one goes on under a new session token."""
    form = ChangePasswordForm(email=current_user.email)
    if not form.validate_on_submit():
        return _change_password_page(form, 400 if form.is_submitted() else 200)
    db = get_db()
    now = clock()
    client = request.remote_addr or "unknown"
    throttled = throttling.check(db, current_user.email, client, settings(), now=now)
    if throttled is not None:
        audit.record(
            db,
            at=now,
            action="change_password_throttled",
            actor=current_user,
            detail=f"by {throttled.by}; client {client}",
        )
        return _throttled_page(throttled)
    if auth.authenticate(db, current_user.email, form.current.data) is None:
        with write_transaction(db):
            throttling.record_failure(db, current_user.email, client, settings(), now=now)
            audit.record(
                db,
                at=now,
                action="change_password_failed",
                actor=current_user,
                detail=f"client {client}",
            )
        form.current.errors.append("Your current password is not right: enter it again")
        return _change_password_page(form, 400)
    with write_transaction(db):
        staff.set_password(db, current_user.id, hash_password(form.password.data))
        throttling.clear_account(db, current_user.email)
        sessions.end_all_sessions(db, current_user.id, now=now, reason="password changed")
        token = sessions.start_session(db, current_user.id, settings(), now=now)
        audit.record(db, at=now, action="change_password", actor=current_user)
    session[SESSION_TOKEN] = token
    flash("Your password is changed. You are signed out everywhere else.", "success")
    return redirect(url_for("home"))


def _change_password_page(form: ChangePasswordForm, status: int):
    return render_template(
        "auth/change_password.html", form=form, errors=error_list(form), email=current_user.email
    ), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign anyone out). Ends the
    session on the server, so a copy of the cookie opens nothing afterwards."""
    db = get_db()
    now = clock()
    with write_transaction(db):
        sessions.end_session(db, session.get(SESSION_TOKEN), now=now, reason="signed out")
        audit.record(db, at=now, action="sign_out", actor=current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/session/keep-alive", methods=["POST"])
@login_required
def keep_alive():
    """ "Stay signed in" from the timeout warning: any signed-in request counts as activity,
    so this only answers that the session is still alive."""
    return {"signed_in": True}


@bp.route("/session/idle-check", methods=["POST"])
def idle_check():
    """The timeout warning's question when its countdown ends: is this session still alive?
    Asking is not activity. An idle session has been ended on the server by the time this
    answers (``hotspots.web.pages._check_session``); a session kept alive by another tab answers
    how many seconds it has left, and the warning counts down again from there."""
    if not current_user.is_authenticated:
        return {"signed_in": False}
    idle_seconds = settings()["app"]["session_idle_minutes"] * 60
    left = idle_seconds - (clock().timestamp() - session["last_seen"])
    return {"signed_in": True, "seconds_left": max(0, int(left))}


def _warn_if_cookie_will_not_stick() -> None:
    """Log once per process when sign-in arrives over HTTP with Secure cookies on."""
    if request.is_secure or not settings()["security"]["https_only"]:
        return
    if not current_app.extensions.get("hotspots_http_warned"):
        current_app.extensions["hotspots_http_warned"] = True
        current_app.logger.warning(
            "sign-in over plain HTTP while [security] https_only is on: browsers may refuse "
            "the Secure session cookie (serve over HTTPS, or set it false for local use)"
        )
