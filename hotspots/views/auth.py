"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from hotspots import audit, auth
from hotspots.db import get_db
from hotspots.forms import SignInForm, error_list
from hotspots.views import clock

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page. A wrong email and a wrong password get the same answer."""
    if current_user.is_authenticated:
        return redirect(_safe_next() or url_for("home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        user = auth.authenticate(db, form.email.data, form.password.data)
        if user is not None:
            next_url = _safe_next()
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(user)
            now = clock()
            session["last_seen"] = now.timestamp()
            session.permanent = True
            audit.record(db, at=now, action="sign_in", actor=user)
            return redirect(next_url or url_for("home"))
        form.email.errors.append(SIGN_IN_FAILED)
        form.password.data = ""
        status = 400
    elif form.errors:
        status = 400
    return render_template("auth/login.html", form=form, errors=error_list(form)), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (a POST with a CSRF token, so no other site can sign anyone out)."""
    audit.record(
        get_db(),
        at=clock(),
        action="sign_out",
        actor=current_user,
    )
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


def _safe_next() -> str | None:
    """The ``next`` address if it is a path on this site (never another site)."""
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
