"""People, for admins: list the staff, add someone, disable or enable them, and give them a
one-time link to set their password. No password is ever shown, typed by an admin or sent
by email: the person chooses their own from the link, which works once, for
``[app] password_link_hours`` hours, and only a hash of it is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from hotspots.base.dates import stamp
from hotspots.services import audit, reallocation, sessions
from hotspots.services.passwords import hash_password
from hotspots.storage import allocation, staff, write_transaction
from hotspots.storage import rules as rule_sql
from hotspots.storage import teams as stored_teams
from hotspots.web import present
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import (
    LEAVE_UNALLOCATED,
    ROLE_WORDS,
    ConfirmForm,
    DisablePersonForm,
    PersonForm,
    SetPasswordForm,
    error_list,
)

bp = Blueprint("people", __name__)


@bp.route("/admin/people")
@login_required
@role_required("admin")
def people():
    """Everyone who can (or could) sign in."""
    rows = staff.people(get_db())
    return render_template("people/list.html", people=rows, roles=ROLE_WORDS)


@bp.route("/admin/people/new", methods=["GET", "POST"])
@login_required
@role_required("admin")
def add_person():
    """Add a member of staff, then show the one-time link for them to set a password."""
    db = get_db()
    teams = stored_teams.every_team(db)
    form = PersonForm(teams=teams)
    valid = form.validate_on_submit()
    email = (form.email.data or "").strip()
    if valid and staff.email_taken(db, email):
        form.email.errors.append("Someone already has this email address")
        valid = False
    if not valid:
        return render_template("people/add.html", form=form, errors=error_list(form)), (
            400 if form.is_submitted() else 200
        )
    now = clock()
    with write_transaction(db):
        person_id = staff.add_person(
            db,
            email=email,
            name=form.name.data.strip(),
            role=form.role.data,
            team_id=int(form.team.data) if form.team.data else None,
        )
        link = _new_link(db, person_id, now)
        audit.record(
            db,
            at=now,
            action="add_person",
            actor=current_user,
            detail=f"staff={person_id} role={form.role.data}",
        )
    return _show_link(person_id, link, added=True)


@bp.route("/admin/people/<int:person_id>")
@login_required
@role_required("admin")
def person(person_id: int):
    """One person, with what can be done about them."""
    found = _person(person_id)
    return render_template(
        "people/person.html", person=found, roles=ROLE_WORDS, form=ConfirmForm(), errors=[]
    )


@bp.route("/admin/people/<int:person_id>/disable", methods=["GET", "POST"])
@login_required
@role_required("admin")
def disable(person_id: int):
    """Disable someone: they cannot sign in, and a session of theirs ends at once. Someone
    who holds open cases is disabled only once it is said where their cases go: another
    member of their team, or visibly unallocated."""
    found = _person(person_id)
    if found["disabled_at"]:
        return redirect(url_for("people.person", person_id=person_id))
    if person_id == current_user.id:
        flash("You cannot disable yourself: ask another admin.", "info")
        return redirect(url_for("people.person", person_id=person_id))
    db = get_db()
    now = clock()
    held = allocation.open_cases_of(db, person_id)
    members = allocation.receivers(
        db,
        found["team_id"],
        rule_sql.parameters(now.date(), settings()["digest"]["unreviewed_after_days"]),
        excluding=person_id,
    )
    form = DisablePersonForm(members=members, holds_cases=bool(held))
    if not form.validate_on_submit():
        return render_template(
            "people/disable.html",
            person=found,
            held=held,
            form=form,
            errors=error_list(form),
        ), (400 if form.is_submitted() else 200)
    to_worker = None
    if held and form.cases_to.data != LEAVE_UNALLOCATED:
        to_worker = int(form.cases_to.data)
    reason = (form.reason.data or "").strip()
    with write_transaction(db):
        moved = reallocation.record_moves(
            db,
            held,
            from_worker_id=person_id,
            to_worker_id=to_worker,
            reason=reason,
            actor=current_user,
            now=now,
        )
        _disable(db, person_id, now)
    reallocation.rescore_moved(db, moved, settings(), now=now)
    message = f"{found['name']} is disabled."
    if moved:
        taker = next((m["name"] for m in members if m["id"] == to_worker), None)
        cases = "1 open case" if len(moved) == 1 else f"{len(moved)} open cases"
        message += (
            f" Their {cases} moved to {taker}."
            if taker
            else f" Their {cases} are unallocated: the team page and the digest list them."
        )
    flash(message, "success")
    return redirect(url_for("people.person", person_id=person_id))


@bp.route("/admin/people/<int:person_id>/enable", methods=["POST"])
@login_required
@role_required("admin")
def enable(person_id: int):
    """Let a disabled person sign in again."""
    return _enable(person_id)


@bp.route("/admin/people/<int:person_id>/password-link", methods=["POST"])
@login_required
@role_required("admin")
def password_link(person_id: int):
    """Reset a password: the old one stops working at once, and a new one-time link lets
    the person choose another."""
    found = _person(person_id)
    if found["disabled_at"]:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = get_db()
    now = clock()
    with write_transaction(db):
        staff.clear_password(db, person_id)
        sessions.end_all_sessions(db, person_id, now=now, reason="password reset")
        link = _new_link(db, person_id, now)
        audit.record(
            db, at=now, action="reset_password", actor=current_user, detail=f"staff={person_id}"
        )
    return _show_link(person_id, link, added=False)


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The one-time link: choose a password, then sign in."""
    db = get_db()
    now = clock()
    link = staff.password_link(db, _hash(token[:200]))
    if link is None or link["used_at"] or link["disabled_at"] or link["expires_at"] <= _utc(now):
        return render_template("people/link_expired.html"), 404
    form = SetPasswordForm(email=link["email"])
    if not form.validate_on_submit():
        return render_template(
            "people/set_password.html", form=form, errors=error_list(form), email=link["email"]
        ), (400 if form.is_submitted() else 200)
    with write_transaction(db):
        if not staff.use_password_link(db, link["id"], _utc(now)):
            abort(404)  # used meanwhile, in another tab
        staff.set_password(db, link["staff_id"], hash_password(form.password.data))
        sessions.end_all_sessions(db, link["staff_id"], now=now, reason="password changed")
        audit.record(
            db,
            at=now,
            action="set_password",
            detail=f"staff={link['staff_id']} link={link['id']}",
        )
    flash("Your password is set. Sign in with your email address and the new password.", "success")
    return redirect(url_for("auth.login"))


def _person(person_id: int) -> dict:
    found = staff.person(get_db(), person_id)
    if found is None:
        abort(404)
    return found


def _disable(db, person_id: int, now: datetime) -> None:
    """As `hotspots users disable` does: disabling also clears the password (enabling again
    needs a new one-time link), signs them out at once, and retires any link sent earlier."""
    staff.disable(db, person_id, stamp(now))
    sessions.end_all_sessions(db, person_id, now=now, reason="account disabled")
    staff.retire_password_links(db, person_id, _utc(now))
    audit.record(
        db, at=now, action="disable_person", actor=current_user, detail=f"staff={person_id}"
    )


def _enable(person_id: int):
    found = _person(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = get_db()
    now = clock()
    with write_transaction(db):
        staff.enable(db, person_id)
        audit.record(
            db, at=now, action="enable_person", actor=current_user, detail=f"staff={person_id}"
        )
    flash(
        f"{found['name']} is enabled. Reset their password to give them a link to choose a "
        "new one.",
        "success",
    )
    return redirect(url_for("people.person", person_id=person_id))


def _new_link(db, person_id: int, now: datetime) -> dict:
    """A new one-time link for ``person_id`` (any unused one stops working)."""
    token = secrets.token_urlsafe(32)
    hours = settings()["app"]["password_link_hours"]
    expires = now + timedelta(hours=hours)
    staff.add_password_link(
        db,
        person_id,
        token_hash=_hash(token),
        created_by_id=current_user.id,
        now=_utc(now),
        expires_at=_utc(expires),
    )
    return {
        # The service's own address (as in the digests), not whatever Host the request named.
        "url": settings()["app"]["base_url"].rstrip("/")
        + url_for("people.set_password", token=token),
        "expires": present.date_and_time(expires.isoformat(), settings()["app"]["timezone"]),
    }


def _show_link(person_id: int, link: dict, *, added: bool):
    # The link is shown this once, on this response (never stored, never emailed here).
    return render_template("people/link.html", person=_person(person_id), link=link, added=added)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
