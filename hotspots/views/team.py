"""The team page: a manager's view of the team's hotspots, who carries them, what has not
been reviewed, unallocated cases and practice gaps. Admins choose any team (``?team=ID``).

``/team`` is the overview: the headline counts, each section's first rows and each worker's
load. ``/team/<section>`` is one section in full, a page at a time. Both narrow to one
worker with ``?worker=ID``; the headline counts are worked out with the same filter as the
rows, so they always agree. An unallocated case is allocated to a member of the team from
``/team/allocate/<case_ref>`` (audited, rescored at once).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hotspots import audit, auth
from hotspots.auth import role_required
from hotspots.db import get_db
from hotspots.forms import AllocateForm, error_list
from hotspots.params import parse_id
from hotspots.storage import fetch_all, fetch_one, write_transaction
from hotspots.storage import rules as rule_sql
from hotspots.storage.web import (
    ALLOCATE_CASE_SQL,
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

# Rows per section on the overview, and per page of a section.
OVERVIEW_ROWS = 10
PAGE_ROWS = 50
# The sections: (SQL, the count that heads it, its heading, words when empty).
SECTIONS = {
    "unallocated": (
        TEAM_UNALLOCATED_SQL,
        "unallocated",
        "Unallocated cases",
        "Every open case has a worker.",
    ),
    "unreviewed": (
        TEAM_UNREVIEWED_HOTSPOTS_SQL,
        "unreviewed_hotspots",
        "Hotspots unreviewed for more than {days} days",
        "None.",
    ),
    "hotspots": (TEAM_HOTSPOTS_SQL, "hotspots", "Hotspots", "No hotspots in this team."),
    "practice-gaps": (
        TEAM_PRACTICE_GAPS_SQL,
        "practice_gaps",
        "Practice gaps: no domestic abuse enquiry",
        "None.",
    ),
}


@bp.route("/team")
@login_required
@role_required("manager", "admin")
def team():
    """A manager's own team; an admin's choice of team: the overview."""
    return _page(section=None)


@bp.route("/team/<section>")
@login_required
@role_required("manager", "admin")
def team_section(section: str):
    """One section of the team page in full, a page at a time (``?page=N``)."""
    if section not in SECTIONS:
        abort(404)
    return _page(section=section)


@bp.route("/team/allocate/<case_ref>", methods=["GET", "POST"])
@login_required
@role_required("manager", "admin")
def allocate(case_ref: str):
    """Allocate an unallocated case to a member of its team."""
    db = get_db()
    now = clock()
    case = auth.case_for_user(db, current_user, case_ref, now=now)
    if case["worker_id"] is not None or case["status"] != "open":
        flash(f"Case {case['case_ref']} is already allocated or closed.", "info")
        return redirect(url_for("cases.case", case_ref=case["case_ref"]))
    today = now.date()
    workers = fetch_all(db, TEAM_WORKERS_SQL, _params(case["team_id"], None, today))
    form = AllocateForm(workers)
    if not form.validate_on_submit():
        audit.record(
            db,
            at=now,
            action="view_case",
            actor=current_user,
            case_ref=case["case_ref"],
            detail="form=allocate",
        )
        return render_template(
            "team/allocate.html",
            case=case,
            age=present.age_text(case["date_of_birth"], today, case["birth_status"]),
            band=present.band(case["band"]),
            form=form,
            errors=error_list(form),
        ), (400 if form.is_submitted() else 200)
    from hotspots import rescoring

    worker_id = int(form.worker.data)
    name = next(w["name"] for w in workers if w["id"] == worker_id)
    with write_transaction(db):
        allocated = db.execute(
            ALLOCATE_CASE_SQL, {"worker_id": worker_id, "case_id": case["id"]}
        ).rowcount
        if allocated:
            audit.record(
                db,
                at=now,
                action="allocate_case",
                actor=current_user,
                case_ref=case["case_ref"],
                detail=f"worker={worker_id}",
            )
            score = rescoring.rescore_case(db, case["id"], settings(), as_of=today, now=now)
    if not allocated:  # someone else allocated it while the form was open
        flash(f"Case {case['case_ref']} was allocated by someone else meanwhile.", "info")
        return redirect(url_for("cases.case", case_ref=case["case_ref"]))
    message = f"Case {case['case_ref']} allocated to {name}."
    if score and score.get("rank") is not None:
        message += f" It is rank {score['rank']} in their caseload."
    flash(message, "success")
    return redirect(url_for("team.team", **_team_arg(case["team_id"])))


def _page(*, section: str | None):
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

    workers = fetch_all(db, TEAM_WORKERS_SQL, _params(team_id, None, today))
    worker_arg = request.args.get("worker", "")
    worker = next((w for w in workers if str(w["id"]) == worker_arg), None)
    if worker_arg and worker is None:
        abort(404)
    worker_id = worker["id"] if worker else None
    params = _params(team_id, worker_id, today)
    counts = dict(fetch_one(db, TEAM_COUNTS_SQL, params))
    counts["practice_gaps"] = db.execute(TEAM_PRACTICE_GAP_COUNT_SQL, params).fetchone()[0]
    within = config["digest"]["unreviewed_after_days"]

    def rows(sql: str, limit: int, offset: int) -> list[dict[str, Any]]:
        found = fetch_all(db, sql, {**params, "limit": limit, "offset": offset})
        explained = contributions_for(db, found)
        return [
            {
                **present.case_row(
                    r, today, contributions=explained[r["id"]], reviewed_within_days=within
                ),
                "unreviewed_too_long": bool(r["unreviewed_too_long"]),
                "allocatable": r["worker_id"] is None,
            }
            for r in found
        ]

    def described(name: str) -> dict[str, Any]:
        sql, count_key, heading, empty = SECTIONS[name]
        return {
            "name": name,
            "heading": heading.format(days=within),
            "count": counts[count_key],
            "empty": empty,
        }

    common = {
        "team": found,
        "teams": teams,
        "counts": counts,
        "workers": workers,
        "worker": worker,
        "team_arg": _team_arg(team_id),
        "unreviewed_after_days": within,
        "due_days": config["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"],
    }
    audit.record(
        db,
        at=clock(),
        action="view_team",
        actor=current_user,
        detail=f"team {found['name']}" + (f"; section {section}" if section else ""),
    )
    if section is None:
        sections = [
            {**described(name), "cases": rows(SECTIONS[name][0], OVERVIEW_ROWS, 0)}
            for name in SECTIONS
            if not (worker_id and name == "unallocated")
        ]
        return render_template("team/team.html", sections=sections, **common)

    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and len(page_arg) < 7 else 0
    info = described(section)
    pages = max(1, -(-info["count"] // PAGE_ROWS))
    if not 1 <= page <= pages:
        abort(404)
    info["cases"] = rows(SECTIONS[section][0], PAGE_ROWS, (page - 1) * PAGE_ROWS)
    return render_template(
        "team/section.html",
        section=info,
        page=page,
        pages=pages,
        first=(page - 1) * PAGE_ROWS + 1,
        **common,
    )


def _params(team_id: int, worker_id: int | None, today: date) -> dict[str, Any]:
    within = settings()["digest"]["unreviewed_after_days"]
    return {"team_id": team_id, "worker_id": worker_id} | rule_sql.parameters(today, within)


def _team_arg(team_id: int) -> dict[str, Any]:
    """The ``team`` argument an admin's links carry (a manager's team is their own)."""
    return {"team": team_id} if current_user.role == "admin" else {}
