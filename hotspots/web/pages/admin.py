"""The audit log, for admins: who did what to which case, and when; filter by member of
staff, case, action and date, page through it, and download the filtered rows as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from hotspots import storage
from hotspots.base.dates import stamp
from hotspots.base.params import parse_id, parse_page
from hotspots.model import fairness
from hotspots.services import audit as audit_log
from hotspots.services import sessions
from hotspots.storage import audit as stored_audit
from hotspots.storage import followup, write_transaction
from hotspots.storage import staff as stored_staff
from hotspots.web import present
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import AuditFilterForm, SignOutForm, error_list

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 100
# The last page anyone could want (parse_page's own limit).
MAX_PAGE = 100_000
CSV_COLUMNS = ("at", "actor_email", "action", "case_ref", "detail")


def _filter_form(db) -> AuditFilterForm:
    """The filter form, bound to the query string and validated: a value that cannot be a
    filter (a day that is no date, a page that is no number, an unknown action) is an error
    naming the field, never quietly dropped (which would show, or export, the whole log)."""
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [("", "Any action")] + [
        (action, action.replace("_", " ")) for action in stored_audit.actions(db)
    ]
    form.validate()
    page = request.args.get("page")
    if page is not None and (parse_id(page) is None or parse_id(page) > MAX_PAGE):
        form.page_errors = [f"The page must be a whole number from 1 to {MAX_PAGE:,}"]
    else:
        form.page_errors = []
    return form


def _errors(form: AuditFilterForm) -> list[dict[str, str]]:
    """The form's errors for the GOV.UK error summary, each with the query string's name."""
    items = error_list(form)
    for item, name in zip(items, (f.name for f in form if f.errors), strict=True):
        item["name"] = name
    return items + [{"text": text, "href": "#page", "name": "page"} for text in form.page_errors]


def _filters(db, form: AuditFilterForm) -> dict[str, str]:
    """The filters that are set, as the query string spells them (days in ISO form)."""
    actor = (form.actor.data or "").strip()
    if actor:
        # The log holds each email as the staff table spells it; match it however typed.
        actor = stored_staff.spelled_email(db, actor) or actor
    return {
        "actor": actor,
        "case_ref": (form.case_ref.data or "").strip(),
        "action": form.action.data or "",
        "date_from": form.date_from.data.isoformat() if form.date_from.data else "",
        "date_to": form.date_to.data.isoformat() if form.date_to.data else "",
    }


def _params(filters: dict[str, str]) -> dict[str, str]:
    """The query's parameters: the days become the instants (stored in UTC) at which the
    service's local days begin, so "from 2026-06-01" starts at midnight in London."""
    params = dict(filters)
    zone = ZoneInfo(settings()["app"]["timezone"])

    def midnight(day) -> str:
        return stamp(datetime.combine(day, time(), tzinfo=zone))

    if filters["date_from"]:
        params["date_from"] = midnight(date.fromisoformat(filters["date_from"]))
    if filters["date_to"]:
        params["date_to_next"] = midnight(
            date.fromisoformat(filters["date_to"]) + timedelta(days=1)
        )
    return params


@bp.route("/audit")
@login_required
@role_required("admin")
def audit():
    """The audit log, newest first, ``PAGE_SIZE`` rows a page."""
    db = get_db()
    form = _filter_form(db)
    errors = _errors(form)
    if errors:
        return render_template(
            "admin/audit.html", form=form, errors=errors, entries=[], page=1, more=False,
            filters={},
        ), 400  # fmt: skip
    filters = _filters(db, form)
    page = parse_page(request.args.get("page"))
    entries = stored_audit.entries(
        db, filters, _params(filters), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    more = len(entries) > PAGE_SIZE
    set_filters = {k: v for k, v in filters.items() if v}
    return render_template(
        "admin/audit.html",
        form=form,
        errors=[],
        entries=[_entry_words(db, e) for e in entries[:PAGE_SIZE]],
        page=page,
        more=more,
        filters=set_filters,
    )


def _entry_words(db, entry: dict) -> dict:
    """An audit row as the page shows it: the time in the service's time zone, the detail in
    words."""
    zone = settings()["app"]["timezone"]
    return {
        **entry,
        "when": present.date_and_time(entry["at"], zone, seconds=True),
        "detail_words": present.audit_detail_words(entry["detail"], settings()),
    }


@bp.route("/audit.csv")
@login_required
@role_required("admin")
def audit_csv():
    """The filtered audit log as CSV, every matching row, newest first. Cells that a
    spreadsheet would run as a formula are written as text
    (``hotspots.services.audit.formula_safe``).
    The export itself is audited."""
    db = get_db()
    form = _filter_form(db)
    errors = _errors(form)
    if errors:
        # Refused, not quietly widened to the whole log: each wrong field, by its name.
        message = "\n".join(f"{e['name']}: {e['text']}" for e in errors)
        return Response(message + "\n", status=400, mimetype="text/plain")
    filters = _filters(db, form)
    set_filters = {k: v for k, v in filters.items() if v}
    audit_log.record(
        db,
        at=clock(),
        action="export_audit",
        actor=current_user,
        detail=" ".join(f"{k}={v}" for k, v in set_filters.items()) or "everything",
    )
    values = _params(filters)
    database = current_app.config["DATABASE"]
    timeout = settings()["database"]["busy_timeout_ms"]

    def rows():
        # Its own connection: the response streams after the request's one is closed.
        export_db = storage.connect(database, timeout)
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(CSV_COLUMNS)
            for row in stored_audit.every_entry(export_db, filters, values):
                writer.writerow(audit_log.formula_safe(value) for value in row[1:])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        finally:
            export_db.close()

    day = clock().date().isoformat()
    return Response(
        rows(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/disagreements")
@login_required
@role_required("admin")
def disagreements():
    """Where workers disagree with the score: over the last year's hotspot reviews, by each
    part of the score (indicator, combination, practice gap), how often it counted and how
    often the reviewer disagreed with the score, or named it."""
    db = get_db()
    now = clock()
    since = now - timedelta(days=fairness.DISAGREEMENT_DAYS)
    report = followup.disagreement_by_contribution(db, stamp(since))
    audit_log.record(db, at=now, action="view_disagreements", actor=current_user)
    return render_template(
        "admin/disagreements.html",
        report=report,
        since=present.long_date(since.date()),
    )


@bp.route("/sessions")
@login_required
@role_required("admin")
def signed_in():
    """Who is signed in now, with a button to end all of a person's sessions."""
    db = get_db()
    return render_template(
        "admin/sessions.html",
        people=sessions.live_sessions_by_staff(db, now=clock()),
        form=SignOutForm(),
    )


@bp.route("/sessions/<int:staff_id>/end", methods=["POST"])
@login_required
@role_required("admin")
def end_sessions(staff_id: int):
    """End every session of one member of staff (a lost laptop, a leaver): they must sign
    in again everywhere. Audited as ``end_sessions``."""
    db = get_db()
    staff = stored_staff.email_of(db, staff_id)
    if staff is None:
        abort(404)
    now = clock()
    with write_transaction(db):
        ended = sessions.end_all_sessions(db, staff_id, now=now, reason="ended by an admin")
        audit_log.record(
            db,
            at=now,
            action="end_sessions",
            actor=current_user,
            detail=f"staff {staff['email']}; {ended} ended",
        )
    flash(f"Ended {ended} session{'s' if ended != 1 else ''} of {staff['email']}.", "success")
    return redirect(url_for("admin.signed_in"))
