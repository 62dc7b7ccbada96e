"""The team page: a manager's view of the team's hotspots, who carries them, what has not
been reviewed, unallocated cases and practice gaps. Admins choose any team (``?team=ID``)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from hotspots import audit
from hotspots.auth import role_required
from hotspots.db import get_db
from hotspots.params import parse_id
from hotspots.storage import fetch_all, fetch_one
from hotspots.storage import rules as rule_sql
from hotspots.storage.web import (
    TEAM_BY_ID_SQL,
    TEAM_COUNTS_SQL,
    TEAM_HOTSPOTS_SQL,
    TEAM_PRACTICE_GAP_COUNT_SQL,
    TEAM_PRACTICE_GAPS_SQL,
    TEAM_UNALLOCATED_SQL,
    TEAM_UNREVIEWED_HOTSPOTS_SQL,
    TEAM_WORKERS_SQL,
    TEAMS_SQL,
)
from hotspots.views import clock, contributions_for, present, settings

bp = Blueprint("team", __name__)

# Rows per list on the page; the headings give the full counts.
LIST_LIMIT = 50


@bp.route("/team")
@login_required
@role_required("manager", "admin")
def team():
    """A manager's own team; an admin's choice of team."""
    db = get_db()
    today = clock().date()
    config = settings()
    teams = fetch_all(db, TEAMS_SQL, {})
    if current_user.role == "admin":
        chosen = request.args.get("team", "")
        if not chosen:
            return render_template("team/choose.html", teams=teams)
        team_id = parse_id(chosen)
    else:
        team_id = current_user.team_id
    found = fetch_one(db, TEAM_BY_ID_SQL, {"team_id": team_id}) if team_id is not None else None
    if found is None:
        abort(404)

    within = config["digest"]["unreviewed_after_days"]
    due_days = config["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"]
    params = {"team_id": team_id, "limit": LIST_LIMIT} | rule_sql.parameters(today, within)

    def cases(sql):
        found = fetch_all(db, sql, params)
        explained = contributions_for(db, found)
        return [
            present.case_row(
                r, today, contributions=explained[r["id"]], reviewed_within_days=within
            )
            for r in found
        ]

    counts = fetch_one(db, TEAM_COUNTS_SQL, params)
    gap_count = db.execute(TEAM_PRACTICE_GAP_COUNT_SQL, params).fetchone()[0]
    workers = fetch_all(db, TEAM_WORKERS_SQL, params)
    audit.record(
        db, at=clock(), action="view_team", actor=current_user, detail=f"team {found['name']}"
    )
    return render_template(
        "team/team.html",
        team=found,
        teams=teams,
        counts=counts,
        workers=workers,
        hotspots=cases(TEAM_HOTSPOTS_SQL),
        unreviewed=cases(TEAM_UNREVIEWED_HOTSPOTS_SQL),
        unreviewed_after_days=within,
        unallocated=cases(TEAM_UNALLOCATED_SQL),
        gaps=cases(TEAM_PRACTICE_GAPS_SQL),
        gap_count=gap_count,
        due_days=due_days,
        limit=LIST_LIMIT,
    )
