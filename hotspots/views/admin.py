"""The audit log, for admins: who did what to which case, and when; filter by member of
staff and by case."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from hotspots.auth import role_required
from hotspots.db import get_db
from hotspots.forms import AuditFilterForm
from hotspots.storage import fetch_all, fetch_one
from hotspots.storage.web import AUDIT_SQL, STAFF_EMAIL_SQL

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 100


@bp.route("/audit")
@login_required
@role_required("admin")
def audit():
    """The audit log, newest first, ``PAGE_SIZE`` rows a page."""
    db = get_db()
    form = AuditFilterForm(request.args)
    actor = (form.actor.data or "").strip()
    case_ref = (form.case_ref.data or "").strip()
    if actor:
        # The log holds each email as the staff table spells it; match it however typed.
        known = fetch_one(db, STAFF_EMAIL_SQL, {"email": actor})
        actor = known["email"] if known else actor
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    entries = fetch_all(
        db,
        AUDIT_SQL[(bool(actor), bool(case_ref))],
        {
            "actor": actor,
            "case_ref": case_ref,
            "limit": PAGE_SIZE + 1,
            "offset": (page - 1) * PAGE_SIZE,
        },
    )
    more = len(entries) > PAGE_SIZE
    return render_template(
        "admin/audit.html",
        form=form,
        entries=entries[:PAGE_SIZE],
        page=page,
        more=more,
        filters={"actor": actor or None, "case_ref": case_ref or None},
    )
