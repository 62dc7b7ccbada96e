"""The team page: a manager's view of who carries the team's cases, what needs them today,
and the team's hotspots. Admins choose any team (``?team=ID``).

``/team`` leads with the caseloads (who carries the most, their hotspots, children not seen
on time, reviews awaited and actions past their due date), then "Needs you today" (the digest's
own lines, in its order: ``hotspots.model.digest.needs_you_today``), then one list of the team's
hotspots. ``/team/<section>`` is one list in full, a page at a time. Both narrow to one worker
with ``?worker=ID``; the counts are worked out with the same filter as the rows.

Cases move between the team's workers from here: one case (``/team/allocate/<case_ref>``,
which also allocates an unallocated one), or several, or a whole caseload
(``/team/workers/<id>/move``), always with a reason, audited, the receiving worker's caseload
shown before confirming, and the moved cases rescored at once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hotspots.base.params import parse_id
from hotspots.model import digest
from hotspots.services import audit, reallocation
from hotspots.storage import allocation, followup, teams, write_transaction
from hotspots.storage import digests as digests_store
from hotspots.storage import rules as rule_sql
from hotspots.web import auth, present
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import AllocateForm, MoveCasesForm, error_list
from hotspots.web.pages import contributions_for

bp = Blueprint("team", __name__)

# Rows of the hotspots list on the overview, and per page of a section.
OVERVIEW_ROWS = 10
PAGE_ROWS = 50
# The sections: (the list's storage function, the count that heads it, its heading, words
# when empty).
SECTIONS = {
    "hotspots": (teams.hotspots, "hotspots", "Hotspots", "No hotspots in this team."),
    "awaiting-review": (
        teams.awaiting_review,
        "awaiting_review",
        "Hotspots awaiting a review",
        "Every hotspot has a review in hand.",
    ),
    "unallocated": (
        teams.unallocated,
        "unallocated",
        "Unallocated cases",
        "Every open case has a worker.",
    ),
    "practice-gaps": (
        teams.without_domestic_abuse_enquiry,
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
    """Allocate an unallocated case to a member of its team, or move an allocated one to
    another (with a reason)."""
    db = get_db()
    now = clock()
    case = auth.case_for_user(db, current_user, case_ref, now=now)
    if case["status"] != "open":
        flash(f"Case {case['case_ref']} is closed: it cannot be allocated.", "info")
        return redirect(url_for("cases.case", case_ref=case["case_ref"]))
    today = now.date()
    current = case["worker_id"]
    members = allocation.receivers(db, case["team_id"], _rule_params(today), excluding=current)
    form = AllocateForm(members, moving=current is not None)
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
    worker_id = int(form.worker.data)
    name = next(m["name"] for m in members if m["id"] == worker_id)
    moved = _move(
        db,
        [case],
        from_worker_id=current,
        to_worker_id=worker_id,
        reason=form.reason.data.strip() if current is not None else "Allocated",
        now=now,
    )
    if not moved:  # someone else moved it while the form was open
        flash(f"Case {case['case_ref']} was moved by someone else meanwhile.", "info")
        return redirect(url_for("cases.case", case_ref=case["case_ref"]))
    score = moved[case["id"]]
    message = f"Case {case['case_ref']} {'moved' if current else 'allocated'} to {name}."
    if score and score.get("rank") is not None:
        message += f" It is rank {score['rank']} in their caseload."
    flash(message, "success")
    return redirect(url_for("team.team", **_team_arg(case["team_id"])))


@bp.route("/team/workers/<int:worker_id>/move", methods=["GET", "POST"])
@login_required
@role_required("manager", "admin")
def move_cases(worker_id: int):
    """Move some of a worker's open cases, or all of them (a leaver, someone off sick), to
    another member of the team: choose, then check the receiving caseload and confirm."""
    db = get_db()
    now = clock()
    today = now.date()
    worker = allocation.staff_member(db, worker_id)
    if worker is None or not _may_manage(worker["team_id"]):
        abort(404)
    held = allocation.open_cases_of(db, worker_id)
    members = allocation.receivers(db, worker["team_id"], _rule_params(today), excluding=worker_id)
    form = MoveCasesForm(members=members, cases=held)
    page = {
        "worker": worker,
        "cases": [{**c, "band_words": present.band(c["band"])} for c in held],
        "form": form,
        "team_arg": _team_arg(worker["team_id"]),
    }
    if not form.validate_on_submit():
        audit.record(
            db, at=now, action="view_move_cases", actor=current_user, detail=f"worker={worker_id}"
        )
        return render_template("team/move.html", errors=error_list(form), **page), (
            400 if form.is_submitted() else 200
        )
    asked = form.chosen_ids()
    chosen = [c for c in held if str(c["id"]) in set(asked)]
    receiving = next(m for m in members if m["id"] == int(form.worker.data))
    if form.confirmed.data != "yes":
        # Check before moving: how the receiving caseload will look.
        return render_template(
            "team/move_confirm.html",
            moving=chosen,
            receiving=receiving,
            after=receiving["open_cases"] + len(chosen),
            hotspots_after=receiving["hotspots"] + sum(1 for c in chosen if c["band"] == "red"),
            **page,
        )
    moved = _move(
        db,
        chosen,
        from_worker_id=worker_id,
        to_worker_id=receiving["id"],
        reason=form.reason.data.strip(),
        now=now,
    )
    missed = len(asked) - len(moved)
    message = f"{_cases(len(moved))} moved from {worker['name']} to {receiving['name']}."
    if missed:
        message += f" {_cases(missed)} had been moved by someone else meanwhile."
    flash(message, "success")
    return redirect(url_for("team.team", **_team_arg(worker["team_id"])))


def _move(db, cases, *, from_worker_id, to_worker_id, reason, now) -> dict[int, Any]:
    """Move the cases and audit each move in one transaction, then rescore each moved case:
    the new scores row of each, by case id."""
    with write_transaction(db):
        moved = reallocation.record_moves(
            db,
            cases,
            from_worker_id=from_worker_id,
            to_worker_id=to_worker_id,
            reason=reason,
            actor=current_user,
            now=now,
        )
    return reallocation.rescore_moved(db, moved, settings(), now=now)


def _cases(n: int) -> str:
    return "1 case" if n == 1 else f"{n} cases"


def _may_manage(team_id: int | None) -> bool:
    return current_user.role == "admin" or (team_id is not None and team_id == current_user.team_id)


def _page(*, section: str | None):
    db = get_db()
    now = clock()
    today = now.date()
    config = settings()
    every_team = teams.every_team(db)
    if current_user.role == "admin":
        chosen = request.args.get("team", "")
        if not chosen:
            return render_template("team/choose.html", teams=every_team)
        team_id = parse_id(chosen)
    else:
        team_id = current_user.team_id
    found = teams.find(db, team_id) if team_id is not None else None
    if found is None:
        abort(404)

    members = allocation.caseloads(db, team_id, _rule_params(today))
    worker_arg = request.args.get("worker", "")
    worker = next((w for w in members if str(w["id"]) == worker_arg), None)
    if worker_arg and worker is None:
        abort(404)
    worker_id = worker["id"] if worker else None
    rule_params = _rule_params(today)
    counts = teams.counts(db, team_id, worker_id, rule_params)
    within = config["digest"]["unreviewed_after_days"]

    def rows(listed, limit: int, offset: int) -> list[dict[str, Any]]:
        found = listed(db, team_id, worker_id, rule_params, limit=limit, offset=offset)
        explained = contributions_for(db, found)
        return [
            {
                **present.case_row(
                    r, today, contributions=explained[r["id"]], reviewed_within_days=within
                ),
                "allocatable": r["worker_id"] is None,
            }
            for r in found
        ]

    def described(name: str) -> dict[str, Any]:
        _listed, count_key, heading, empty = SECTIONS[name]
        return {"name": name, "heading": heading, "count": counts[count_key], "empty": empty}

    common = {
        "team": found,
        "teams": every_team,
        "counts": counts,
        "workers": members,
        "worker": worker,
        "team_arg": _team_arg(team_id),
        "unreviewed_after_days": within,
        "due_days": config["scoring"]["practice_gaps"]["domestic_abuse_enquiry_due_days"],
        "sections": {name: described(name) for name in SECTIONS},
    }
    audit.record(
        db,
        at=now,
        action="view_team",
        actor=current_user,
        detail=f"team {found['name']}" + (f"; section {section}" if section else ""),
    )
    if section is None:
        hotspots = described("hotspots")
        hotspots["cases"] = rows(teams.hotspots, OVERVIEW_ROWS, 0)
        return render_template(
            "team/team.html",
            hotspots=hotspots,
            needs_you=_needs_you(db, team_id, worker_id, today),
            **common,
        )

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


def _needs_you(db, team_id: int, worker_id: int | None, today: date) -> dict[str, Any]:
    """The digest's "needs you today" for the team (one worker's cases with ``worker_id``),
    by the same function on the same rows, new since the viewer's last digest (a manager's
    own, else the team's)."""
    previous = (
        digests_store.previous_sent_digest_date(db, current_user.id, today)
        if current_user.role == "manager"
        else digests_store.previous_team_digest_date(db, team_id, today)
    )
    compare_day = previous or (today - timedelta(days=1))
    since = min(compare_day, today - timedelta(days=1))
    cases = digests_store.team_cases(db, team_id, today)
    actions = followup.team_overdue_actions(db, team_id, today.isoformat())
    if worker_id is not None:
        cases = [c for c in cases if c["worker_id"] == worker_id]
        actions = [a for a in actions if a["worker_id"] == worker_id]
    rows = digest.case_rows(
        cases,
        digests_store.team_history(db, team_id, since, today),
        compare_day=compare_day,
        date=today,
        settings=settings(),
    )
    return digest.needs_you_today(rows, actions, date=today, base_url=settings()["app"]["base_url"])


def _rule_params(today: date) -> dict[str, Any]:
    return rule_sql.parameters(today, settings()["digest"]["unreviewed_after_days"])


def _team_arg(team_id: int) -> dict[str, Any]:
    """The ``team`` argument an admin's links carry (a manager's team is their own)."""
    return {"team": team_id} if current_user.role == "admin" else {}
