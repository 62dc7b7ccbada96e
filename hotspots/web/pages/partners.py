"""The partner systems, for admins (``/admin/partners``): each one's agency, whether it is
active, and when it last sent and what. Partners are added, rotated and revoked with
``hotspots partners`` on the server, so that a token is only ever shown at a terminal."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from hotspots.services import partners
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db

bp = Blueprint("partners", __name__, url_prefix="/admin/partners")


@bp.route("")
@login_required
@role_required("admin")
def partners_page():
    """Every partner system, by name."""
    timezone = settings()["app"]["timezone"]
    rows = [
        {
            **row,
            "last_sent_words": partners.last_sent_words(row["last_sent"]),
            "last_sent_when": partners.local_time(row["last_sent_at"], timezone),
        }
        for row in partners.listing(get_db(), now=clock())
    ]
    return render_template("admin/partners.html", partners=rows)
