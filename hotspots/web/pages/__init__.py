"""The web interface: one blueprint per area, wired by ``init_app(app)``.

``init_app`` also sets up what every page relies on: the template loader (the service's
templates, then govuk-frontend-jinja's and govuk-frontend-wtf's), CSRF protection on every
form, flask-login with idle session expiry, security headers, and the error pages.
"""

from __future__ import annotations

import importlib
import secrets
import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    make_response,
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
from werkzeug.exceptions import InternalServerError
from werkzeug.routing import IntegerConverter

from hotspots.base import faults
from hotspots.base.params import MAX_ID
from hotspots.services import audit, rescoring, sessions
from hotspots.storage import write_transaction
from hotspots.web import drafts
from hotspots.web.auth import load_user, may_open
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db

# Areas of the web interface: modules beside this one, each with a blueprint ``bp``.
# "digests" is the digest area's (the manager's digest pages); absent until it is built.
AREAS = ("auth", "caseload", "cases", "team", "admin", "digests", "imports")
# The pages beside the partners' API: the queue of children not yet matched, the partners.
AREAS += ("partners", "unmatched")
# The day's work (issue 9): help and the pages about the service, finding a case, people.
AREAS += ("help", "search", "people")
# The evidence a council asks for before it switches scoring on (issue 21).
AREAS += ("fairness",)
# The safeguarding partnership: serious incidents, the look-back, the review's findings.
AREAS += ("partnership",)

# The largest request body accepted (a form post is a few kilobytes); larger answers 413.
MAX_REQUEST_BYTES = 1024 * 1024
ERROR_PAGES = {400, 403, 404, 405, 429, 500}


class IdConverter(IntegerConverter):
    """``<int:…>`` for database ids: 1 to 2^63 - 1 (SQLite's largest integer), ASCII digits
    only; anything else is a 404 rather than an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to see this page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str):
    """The signed-in member of staff, only while their server-side session is live (see
    ``hotspots.services.sessions``): a cookie kept from before sign-out opens nothing."""
    db = get_db()
    live = sessions.live_session(db, session.get(SESSION_TOKEN), now=clock())
    if live is None or str(live["staff_id"]) != user_id:
        return None
    return load_user(db, user_id)


# The signed cookie's key for the server-side session's token.
SESSION_TOKEN = "sid"


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

    # Before any route is added: an <int:…> in a path never exceeds SQLite's integers.
    app.url_map.converters["int"] = IdConverter
    app.config.setdefault("MAX_CONTENT_LENGTH", MAX_REQUEST_BYTES)
    for area in AREAS:
        app.register_blueprint(importlib.import_module(f"hotspots.web.pages.{area}").bp)
    # The partners' JSON API: its own blueprint, the one exempt from CSRF (bearer tokens).
    from hotspots.web import api

    api.init_app(app, csrf)

    app.add_url_rule("/", "home", home)
    app.before_request(_check_session)
    app.before_request(_check_role)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"cspNonce": _csp_nonce()})
    app.register_error_handler(CSRFError, _csrf_error)
    for status in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(status, _error_page)
    # A full disk, a read-only or locked database: a page (or problem) in words, one log line.
    app.register_error_handler(sqlite3.Error, _fault_page)
    app.register_error_handler(OSError, _fault_page)


def home():
    """Send each person to the page they start from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "worker":
        return redirect(url_for("caseload.caseload"))
    if current_user.role == "partnership":
        return redirect(url_for("partnership.overview"))
    return redirect(url_for("team.team"))


# Why a session ended when it was idle for longer than [app] session_idle_minutes.
IDLE = "idle"
# The timeout warning asks this endpoint whether the session is still alive; asking is not
# activity (it never keeps a session alive), and an idle session is ended by it.
IDLE_CHECK = "auth.idle_check"
SIGNED_OUT_IDLE = "You were signed out because you were inactive. Sign in again."
SIGNED_OUT_IDLE_KEPT = (
    "You were signed out because you were inactive. Nothing was saved yet: sign in again and "
    "what you typed will be back in the form for you to check and save."
)


def _check_session():
    """Sign out a session that has ended on the server (signed out elsewhere, ended by an
    admin, past [security] session_absolute_hours, a disabled account) or that has been idle
    for longer than [app] session_idle_minutes; otherwise note this request as its latest
    activity.

    The server decides: the cookie outlives the idle limit, so the request that finds a
    session idle still carries it, and a case's form sent too late keeps what was typed
    (``hotspots.web.drafts``) for after sign-in, as the timeout warning promises. That holds too
    when the warning's own check (``IDLE_CHECK``) ended the idle session a moment before."""
    if request.endpoint == "static":
        return None
    db = get_db()
    now = clock()
    token = session.get(SESSION_TOKEN)
    if current_user.is_authenticated:
        idle_seconds = current_app.config["SETTINGS"]["app"]["session_idle_minutes"] * 60
        last_seen = session.get("last_seen")
        if isinstance(last_seen, (int, float)) and now.timestamp() - last_seen <= idle_seconds:
            if request.endpoint != IDLE_CHECK:
                session["last_seen"] = now.timestamp()
                session.permanent = True
            return None
        staff_id = current_user.id
        # Committed before anything else happens: /admin/sessions shows it ended at once.
        with write_transaction(db):
            sessions.end_session(db, token, now=now, reason=IDLE)
    elif "_user_id" in session:  # signed in once, but the server ended the session
        ended = sessions.ended_session(db, token)
        if (
            ended is None
            or ended["ended_reason"] != IDLE
            or (str(ended["staff_id"]) != str(session["_user_id"]))
        ):
            return _signed_out("Your session has ended. Sign in again.")
        staff_id = ended["staff_id"]
    else:
        return None
    # The session was idle for too long.
    if request.endpoint == IDLE_CHECK:
        # Only the answer: the cookie stays as it is, so the form the warning sends next
        # still carries its CSRF token and is kept.
        return {"signed_in": False}
    # A case's form sent too late: keep what was typed, to put back after sign-in.
    kept = (
        request.method == "POST"
        and (request.endpoint or "").startswith("cases.")
        and drafts.keep(db, staff_id, request.path, request.form, now)
    )
    if kept:
        _signed_out(SIGNED_OUT_IDLE_KEPT)
        return redirect(url_for("auth.login", next=request.path))
    if request.endpoint == "auth.login":
        _signed_out(SIGNED_OUT_IDLE)
        return redirect(request.full_path.rstrip("?"))  # its own ?next= stays
    return _signed_out(SIGNED_OUT_IDLE)


def _check_role():
    """Refuse (403, audited) a page the signed-in person's role may not open at all
    (``hotspots.web.auth.may_open``: a partnership member opens no case, caseload or team page)."""
    if current_user.is_authenticated and not may_open(current_user, request.endpoint):
        abort(403)


def _signed_out(message: str):
    logout_user()
    session.clear()
    flash(message, "info")
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("auth.login"))


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
    if current_app.config["SETTINGS"]["security"]["https_only"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _fault_page(error: Exception):
    """What a person sees when the machine, not they, stopped the request: what happened and
    what to do, never a traceback. Anything else that is not a fault is a 500 as usual."""
    from hotspots.web import api

    fault = faults.fault_of(error)
    if fault is None:
        current_app.log_exception((type(error), error, error.__traceback__))
        return _error_page(InternalServerError())
    # One line for the operators, naming the route (not the path: it may hold a reference).
    current_app.logger.error("%s %s: %s", request.method, request.endpoint, fault.words())
    if api.is_api_request():
        return api.fault_problem(fault)
    response = make_response(
        render_template(
            "errors/fault.html", busy=fault.kind == "busy", service=settings()["service"]
        ),
        503,
    )
    response.headers["Retry-After"] = "60" if fault.kind == "busy" else "300"
    return response


def _csrf_error(error: CSRFError):
    return render_template("errors/csrf.html", reason=error.description), 400


def _error_page(error):
    from hotspots.web import api

    if api.is_api_request():  # the partners' API answers in problem details, not pages
        return api.problem_for(error)
    status = getattr(error, "code", 500) or 500
    if status == 403 and current_user.is_authenticated:
        # A refused page (a case's refusal is audited as refused_case where it happens).
        audit.record(
            get_db(),
            at=clock(),
            action="refused_page",
            actor=current_user,
            detail=f"{request.method} {request.path[:200]}",
        )
    template = f"errors/{status}.html" if status in ERROR_PAGES else "errors/400.html"
    response = make_response(render_template(template), status)
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response
