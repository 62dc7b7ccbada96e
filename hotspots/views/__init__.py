"""The web interface: one blueprint per area, wired by ``init_app(app)``.

``init_app`` also sets up what every page relies on: the template loader (the service's
templates, then govuk-frontend-jinja's and govuk-frontend-wtf's), CSRF protection on every
form, flask-login with idle session expiry, security headers, and the error pages.
"""

from __future__ import annotations

import importlib
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime
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

from hotspots import scoring
from hotspots.auth import load_user
from hotspots.dates import local_now, parse_date
from hotspots.db import get_db
from hotspots.storage.web import (
    FACTS_ADJUSTMENTS_SQL,
    FACTS_ENQUIRIES_SQL,
    FACTS_OBSERVATIONS_SQL,
)

# Areas of the web interface: modules beside this one, each with a blueprint ``bp``.
# "digests" is the digest area's (the manager's digest pages); absent until it is built.
AREAS = ("auth", "caseload", "cases", "team", "admin", "digests")

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
    fixed = current_app.config.get("HOTSPOTS_NOW")
    if fixed is not None:
        return fixed
    return local_now(current_app.config["SETTINGS"]["app"]["timezone"])


def settings() -> dict[str, Any]:
    """The service's settings (config.toml and its overrides)."""
    return current_app.config["SETTINGS"]


def contributions_of(db, row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A scored case's contributions (see ``contributions_for``)."""
    return contributions_for(db, [row]).get(row["id"], [])


def contributions_for(db, cases: list[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Each scored case's contributions by case id: as stored with its score or, when the
    score was stored without them (a large authority's full rescore leaves them out),
    explained now by the pure model for the score's day, reading what feeds the scores of
    all these cases in three statements. ``cases`` are rows with the case's ``id``,
    ``date_of_birth``, ``opened_on``, ``worker_id``, ``visit_every_days``, ``last_visit_on``
    and its score's ``score``, ``contributions`` and ``as_of``."""
    result: dict[int, list[dict[str, Any]]] = {}
    missing = []
    for row in cases:
        stored = json.loads(row.get("contributions") or "[]")
        if stored or not row.get("score"):
            result[row["id"]] = stored
        else:
            missing.append(row)
    if not missing:
        return result
    params = {"case_ids": json.dumps([row["id"] for row in missing])}
    observations: dict[int, list] = {}
    for case_id, obs_id, indicator, observed_on, status in db.execute(
        FACTS_OBSERVATIONS_SQL, params
    ).fetchall():
        observations.setdefault(case_id, []).append(
            scoring.Observation(obs_id, indicator, date.fromisoformat(observed_on), status)
        )
    enquiries: dict[int, list] = {}
    for case_id, topic, asked_on, outcome in db.execute(FACTS_ENQUIRIES_SQL, params).fetchall():
        enquiries.setdefault(case_id, []).append(
            scoring.Enquiry(topic, parse_date(asked_on), outcome)
        )
    adjustments: dict[int, list] = {}
    for case_id, adj_id, points, reason, expires_on, made_on in db.execute(
        FACTS_ADJUSTMENTS_SQL, params
    ).fetchall():
        adjustments.setdefault(case_id, []).append(
            scoring.Adjustment(adj_id, points, reason, parse_date(expires_on), parse_date(made_on))
        )
    model = settings()["scoring"]
    version = scoring.model_version(model)
    for row in missing:
        facts = scoring.CaseFacts(
            date_of_birth=parse_date(row["date_of_birth"]),
            opened_on=parse_date(row["opened_on"]),
            allocated=row["worker_id"] is not None,
            visit_every_days=row["visit_every_days"],
            last_visit_on=parse_date(row["last_visit_on"]) if row["last_visit_on"] else None,
            observations=tuple(observations.get(row["id"], ())),
            enquiries=tuple(enquiries.get(row["id"], ())),
            adjustments=tuple(adjustments.get(row["id"], ())),
        )
        score = scoring.score_case(facts, model, parse_date(row["as_of"]), version)
        result[row["id"]] = [c.as_dict() for c in score.contributions]
    return result


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

    app.add_url_rule("/", "home", home)
    app.before_request(_expire_idle_session)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"cspNonce": _csp_nonce()})
    app.register_error_handler(CSRFError, _csrf_error)
    for status in (403, 404, 500):
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
        logout_user()
        session.clear()
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
    status = getattr(error, "code", 500) or 500
    return render_template(f"errors/{status}.html"), status
