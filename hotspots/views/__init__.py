"""The web interface: one blueprint per area, wired by ``init_app(app)``.

``init_app`` also sets up what every page relies on: the template loader (the service's
templates, then govuk-frontend-jinja's and govuk-frontend-wtf's), CSRF protection on every
form, flask-login with idle session expiry, security headers, and the error pages.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from hotspots import drafts, rescoring
from hotspots.auth import load_user
from hotspots.dates import service_now
from hotspots.db import get_db

# Areas of the web interface: modules beside this one, each with a blueprint ``bp``.
# "digests" is the digest area's (the manager's digest pages); absent until it is built.
AREAS = ("auth", "caseload", "cases", "team", "admin", "digests", "imports")
# The pages beside the partners' API: the queue of children not yet matched, the partners.
AREAS += ("partners", "unmatched")
# The day's work (issue 9): help and the pages about the service, finding a case, people.
AREAS += ("help", "search", "people")

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str):
    return load_user(get_db(), user_id)


def clock() -> datetime:
    """Now, in the service's time zone. Tests fix it with ``app.config["HOTSPOTS_NOW"]``
    (an aware datetime)."""
    return service_now(current_app.config)


def settings() -> dict[str, Any]:
    """The service's settings (config.toml and its overrides)."""
    return current_app.config["SETTINGS"]


def contributions_of(db, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A scored case's contributions (see ``contributions_for``)."""
    return contributions_for(db, [row]).get(row["id"], [])


def contributions_for(db, cases: list[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Each case's contributions by case id, as stored with its score or worked out now
    (``rescoring.contributions_for``); ``cases`` are rows with the case's ``id`` and its
    score's ``score``, ``contributions`` and ``as_of``."""
    return rescoring.contributions_for(db, {row["id"]: row for row in cases}, settings())


def init_app(app: Flask) -> None:
    """Register the web interface on ``app``."""
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    login_manager.init_app(app)
    WTFormsHelpers(app)

    for area in AREAS:
        app.register_blueprint(importlib.import_module(f"hotspots.views.{area}").bp)
    # The partners' JSON API: its own blueprint, the one exempt from CSRF (bearer tokens).
    from hotspots import api

    api.init_app(app, csrf)

    app.add_url_rule("/", "home", home)
    app.before_request(_expire_idle_session)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"cspNonce": _csp_nonce()})
    app.register_error_handler(CSRFError, _csrf_error)
    for status in (403, 404, 405, 500):
        app.register_error_handler(status, _error_page)


def home():
    """Send each person to the page they start from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "worker":
        return redirect(url_for("caseload.caseload"))
    return redirect(url_for("team.team"))


def _expire_idle_session():
    """Sign out anyone idle for longer than [app] session_idle_minutes; otherwise note this
    request as their latest activity."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = clock().timestamp()
    idle_seconds = current_app.config["SETTINGS"]["app"]["session_idle_minutes"] * 60
    last_seen = session.get("last_seen")
    if not isinstance(last_seen, (int, float)) or now - last_seen > idle_seconds:
        # A case's form sent too late: keep what was typed, to put back after sign-in.
        kept = (
            request.method == "POST"
            and (request.endpoint or "").startswith("cases.")
            and drafts.keep(get_db(), current_user.id, request.path, request.form, clock())
        )
        logout_user()
        session.clear()
        if kept:
            flash(
                "You were signed out because you were inactive. Nothing was saved yet: sign in "
                "again and what you typed will be back in the form for you to check and save.",
                "info",
            )
            return redirect(url_for("auth.login", next=request.path))
        flash("You were signed out because you were inactive. Sign in again.", "info")
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    session["last_seen"] = now
    session.permanent = True
    return None


def _csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{_csp_nonce()}'; "
            "style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        )
        # Pages carry case data: never keep them in a shared or back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error: CSRFError):
    return render_template("errors/csrf.html", reason=error.description), 400


def _error_page(error):
    from hotspots import api

    if api.is_api_request():  # the partners' API answers in problem details, not pages
        return api.problem_for(error)
    status = getattr(error, "code", 500) or 500
    headers = {}
    if getattr(error, "valid_methods", None):  # a 405 says which methods the address takes
        headers["Allow"] = ", ".join(error.valid_methods)
    return render_template(f"errors/{status}.html"), status, headers
