"""The digest pages: a manager's preview of today's digest, the digests sent to them (read
from the outbox), and, for admins, the digests that failed.

The email's own HTML is shown in a sandboxed frame from a route of its own, with a content
security policy that allows its inline styles and nothing else, so the page shows exactly
what the manager's mail client shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_login import current_user, login_required

from hotspots.base.dates import stamp
from hotspots.base.params import parse_id
from hotspots.services import audit
from hotspots.services.mail import outbox_file_name
from hotspots.services.sending import (
    gather_digest,
    manager_by_id,
    render_digest,
    why_not_a_digest_day,
)
from hotspots.storage import digests as stored
from hotspots.web import auth
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db

bp = Blueprint("digests", __name__)

# The email HTML in a frame: its inline styles, data: images, nothing else; links open
# only when clicked.
EMAIL_FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
)
PAGE_SIZE = 60


@bp.app_template_filter("digest_time")
def digest_time(stamp: str | None) -> str:
    """A stored UTC timestamp in the service's time zone: 26 Nov 2026, 07:30."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo(settings()["app"]["timezone"]))
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def _preview_manager():
    """Whose digest to preview: the signed-in manager's own, or for an admin the manager
    chosen with ``?manager=ID`` (None until one is chosen)."""
    if current_user.role == "manager":
        manager = manager_by_id(get_db(), current_user.id)
    else:
        chosen = request.args.get("manager", "")
        if not chosen:
            return None
        manager_id = parse_id(chosen)
        if manager_id is None:
            abort(404)
        manager = manager_by_id(get_db(), manager_id)
        if manager is None or manager["role"] != "manager":
            abort(404)
    if manager["team_id"] is None:
        abort(404)
    return manager


def _todays_digest(manager):
    now = clock()
    return gather_digest(get_db(), settings(), manager, digest_date=now.date(), now=now)


@bp.route("/digest")
@login_required
@auth.role_required("manager", "admin")
def preview():
    """Today's digest as it would be sent now."""
    db = get_db()
    manager = _preview_manager()
    if manager is None:
        return render_template("digests/choose.html", managers=stored.managers_with_teams(db))
    now = clock()
    digest = _todays_digest(manager)
    subject, text, _ = render_digest(digest)
    sent = stored.digest_for_day(db, manager["id"], now.date().isoformat())
    audit.record(
        db,
        at=now,
        action="view_digest_preview",
        actor=current_user,
        detail=f"team {manager['team_name']}, {now.date().isoformat()}",
    )
    return render_template(
        "digests/preview.html",
        manager=manager,
        own=manager["id"] == current_user.id,
        digest=digest,
        subject=subject,
        text=text,
        sent=sent,
        not_today=why_not_a_digest_day(now.date(), settings()),
        frame_url=_frame_url("digests.preview_email", manager),
    )


@bp.route("/digest/email.html")
@login_required
@auth.role_required("manager", "admin")
def preview_email():
    """The HTML part of today's digest, for the preview page's frame."""
    manager = _preview_manager()
    if manager is None:
        abort(404)
    _, _, html = render_digest(_todays_digest(manager))
    return _email_frame(html)


@bp.route("/digests")
@login_required
@auth.role_required("manager")
def sent():
    """The digests sent to the signed-in manager, newest first."""
    found = stored.sent_to_manager(get_db(), current_user.id, PAGE_SIZE)
    for row in found:
        row["kept"] = _outbox_path(row["message_id"]) is not None
    return render_template(
        "digests/sent.html", digests=found, transport=settings()["mail"]["transport"]
    )


@bp.route("/digests/<int:digest_id>")
@login_required
@auth.role_required("manager")
def sent_digest(digest_id: int):
    """One digest sent to the signed-in manager, read from the outbox."""
    row, message = _own_sent_digest(digest_id)
    text = message.get_body(("plain",)).get_content() if message else None
    audit.record(
        get_db(),
        at=clock(),
        action="view_sent_digest",
        actor=current_user,
        detail=f"digest {row['digest_date']}",
    )
    return render_template("digests/sent_digest.html", digest=row, text=text, kept=bool(message))


@bp.route("/digests/<int:digest_id>/email.html")
@login_required
@auth.role_required("manager")
def sent_digest_email(digest_id: int):
    """The HTML part of a sent digest, for its page's frame."""
    _, message = _own_sent_digest(digest_id)
    if message is None:
        abort(404)
    return _email_frame(message.get_body(("html",)).get_content())


@bp.route("/admin/digests")
@login_required
@auth.role_required("admin")
def problems():
    """Digests that failed (and claims that look stuck), newest first."""
    now = clock()
    lease = settings()["digest"]["claim_lease_minutes"]
    stale_before = stamp(now - timedelta(minutes=lease))
    found = stored.problem_digests(get_db(), stale_before, PAGE_SIZE)
    return render_template("digests/problems.html", digests=found)


def _own_sent_digest(digest_id: int):
    row = stored.sent_digest(get_db(), digest_id)
    if row is None or row["manager_id"] != current_user.id:
        abort(404)
    path = _outbox_path(row["message_id"])
    message = message_from_bytes(path.read_bytes(), policy=policy.default) if path else None
    return row, message


def _outbox_path(message_id: str | None) -> Path | None:
    """The outbox copy of a sent digest, when the outbox transport kept one."""
    if not message_id:
        return None
    path = Path(settings()["mail"]["outbox_dir"]) / outbox_file_name(message_id)
    return path if path.is_file() else None


def _frame_url(endpoint: str, manager) -> str:
    if current_user.role == "admin":
        return url_for(endpoint, manager=manager["id"])
    return url_for(endpoint)


def _email_frame(html: str):
    response = make_response(html)
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response
