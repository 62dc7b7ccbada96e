"""The safeguarding partnership's pages: the report (``/partnership``) with a CSV download of
each table, the serious incidents (record one, its deadlines and progress, each child's
look-back), and the load on the workforce (``/workforce``, which a manager sees for their own
team).

Who may open them: the partnership's members and admins; a manager only ``/workforce``, for
their team. A partnership member opens nothing else that names a case or a caseload
(``hotspots.web.auth.may_open``). Every page that names a case is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from hotspots.model import rules
from hotspots.model.incidents import ABUSE_OR_NEGLECT, HARMS, QUESTIONS
from hotspots.services import audit, partnership
from hotspots.services.partnership.recording import find_case
from hotspots.web import present
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import IncidentChildForm, IncidentForm, IncidentProgressForm, error_list

bp = Blueprint("partnership", __name__)

READERS = ("partnership", "admin")


def _page_rows() -> int:
    return settings()["partnership"]["page_rows"]


@bp.route("/partnership")
@login_required
@role_required(*READERS)
def overview():
    """The partnership's report on today, each list within its budget."""
    db = get_db()
    now = clock()
    found = partnership.all_incidents(db, settings(), as_of=now.date())
    report = partnership.partnership_report(db, settings(), as_of=now.date(), found=found)
    audit.record(
        db,
        at=now,
        action="view_partnership",
        actor=current_user,
        detail=f"incidents={len(report['incidents'])}",
    )
    rows = _page_rows()
    due = partnership.open_deadlines(found)
    practice = report["practice"]
    latest = practice["months"][0]["month"] if practice["months"] else None
    teams = sorted(
        (t for t in practice["teams"] if t["month"] == latest),
        key=lambda t: (
            t["domestic_abuse_share"] is None,
            t["domestic_abuse_share"] or 0,
            t["team"],
        ),
    )
    return render_template(
        "partnership/overview.html",
        report=report,
        as_of=now.date(),
        due=due[:rows],
        due_count=len(due),
        incidents=found[:rows],
        incident_count=len(found),
        practice_teams=teams[:rows],
        practice_team_count=len(teams),
        workers=report["workforce"]["workers"][:rows],
        teams=report["workforce"]["teams"][:rows],
        rows=rows,
        **_words(),
    )


@bp.route("/partnership/<name>.csv")
@login_required
@role_required(*READERS)
def table_csv(name: str):
    """One table of the report, every row, as CSV (cells a spreadsheet would run as a
    formula are written as text). The download is audited."""
    if name not in partnership.TABLES:
        abort(404)
    db = get_db()
    now = clock()
    part = partnership.TABLES[name]
    report = partnership.partnership_report(db, settings(), as_of=now.date(), parts=(part,))
    header, rows = partnership.table(report, name)
    audit.record(db, at=now, action="export_partnership", actor=current_user, detail=name)
    return _csv(f"partnership-{name}-{now.date().isoformat()}.csv", header, rows)


@bp.route("/partnership/incidents/new", methods=["GET", "POST"])
@login_required
@role_required(*READERS)
def new_incident():
    """Record a serious incident and the first child it harmed."""
    form = IncidentForm()
    if form.validate_on_submit():
        new = partnership.NewIncident(
            case_ref=form.case_ref.data,
            occurred_on=form.occurred_on.data,
            known_on=form.known_on.data,
            harm=form.harm.data,
            abuse_or_neglect=form.abuse_or_neglect.data,
            summary=(form.summary.data or "").strip(),
            reference=(form.reference.data or "").strip(),
        )
        try:
            incident_id = partnership.record_incident(
                get_db(), new, actor=current_user, now=clock()
            )
        except partnership.IncidentRefused as refused:
            _refused(new.case_ref, refused)
            _put_on_fields(form, refused.problems)
        else:
            flash("The incident is recorded, with what the service showed before it.", "success")
            return redirect(url_for("partnership.incident", incident_id=incident_id))
    return _form_page(form, "Record a serious incident", "partnership/fields/incident.html")


@bp.route("/partnership/incidents/<int:incident_id>")
@login_required
@role_required(*READERS)
def incident(incident_id: int):
    """One incident: its facts, its deadlines, and each child's look-back."""
    found = _incident(incident_id)
    _audit_children(found, "view_incident")
    return render_template(
        "partnership/incident.html",
        incident=found,
        children=[_child_page(child) for child in found.children],
        look_back_days=settings()["partnership"]["look_back_days"],
        rows=_page_rows(),
        **_words(),
    )


@bp.route("/partnership/incidents/<int:incident_id>/look-back.csv")
@login_required
@role_required(*READERS)
def look_back_csv(incident_id: int):
    """Each child's look-back day by day: what the service showed, and the hindsight score."""
    found = _incident(incident_id)
    header = ["case_ref", "day", "score", "band", "hindsight_score", "hindsight_band", "late"]
    rows = [
        [
            child.case_ref,
            day.day.isoformat(),
            _round(day.score),
            day.band,
            _round(day.hindsight_score),
            day.hindsight_band,
            day.late,
        ]
        for child in found.children
        for day in child.look_back.days
    ]
    _audit_children(found, "export_look_back")
    return _csv(f"incident-{found.id}-look-back.csv", header, rows)


@bp.route("/partnership/incidents/<int:incident_id>/progress", methods=["GET", "POST"])
@login_required
@role_required(*READERS)
def progress(incident_id: int):
    """Record the days the Panel was notified and the rapid review held."""
    found = _incident(incident_id)
    form = IncidentProgressForm()
    if not form.is_submitted():
        form.panel_notified_on.data = _day(found.row["panel_notified_on"])
        form.rapid_review_on.data = _day(found.row["rapid_review_on"])
    elif form.validate():
        try:
            partnership.record_done(
                get_db(),
                found.id,
                panel_notified_on=form.panel_notified_on.data,
                rapid_review_on=form.rapid_review_on.data,
                actor=current_user,
                now=clock(),
            )
        except partnership.IncidentRefused as refused:
            _put_on_fields(form, refused.problems)
        else:
            flash("The incident's progress is recorded.", "success")
            return redirect(url_for("partnership.incident", incident_id=found.id))
    return _form_page(
        form,
        "Record the notification and the rapid review",
        "partnership/fields/progress.html",
        incident=found,
    )


@bp.route("/partnership/incidents/<int:incident_id>/children", methods=["GET", "POST"])
@login_required
@role_required(*READERS)
def add_child(incident_id: int):
    """Name another child the same incident harmed (siblings: one notification)."""
    found = _incident(incident_id)
    form = IncidentChildForm()
    if form.validate_on_submit():
        try:
            partnership.add_child(
                get_db(),
                found.id,
                form.case_ref.data,
                form.harm.data,
                actor=current_user,
                now=clock(),
            )
        except partnership.IncidentRefused as refused:
            _refused(form.case_ref.data, refused)
            _put_on_fields(form, refused.problems)
        else:
            flash("The child is added to the incident.", "success")
            return redirect(url_for("partnership.incident", incident_id=found.id))
    return _form_page(
        form,
        "Add another child harmed in this incident",
        "partnership/fields/child.html",
        incident=found,
    )


@bp.route("/workforce")
@login_required
@role_required("partnership", "admin", "manager")
def workforce():
    """The load on the workforce: every team and worker (a manager: their own team), who has
    carried the heaviest load for longest first."""
    db = get_db()
    now = clock()
    found = _workforce_for_user(now.date())
    audit.record(
        db,
        at=now,
        action="view_workforce",
        actor=current_user,
        detail=f"workers={len(found['workers'])}",
    )
    rows = _page_rows()
    return render_template(
        "partnership/workforce.html",
        workforce=found,
        workers=found["workers"][:rows],
        teams=found["teams"][:rows],
        rows=rows,
        as_of=now.date(),
        **_words(),
    )


@bp.route("/workforce.csv")
@login_required
@role_required("partnership", "admin", "manager")
def workforce_csv():
    """Every worker of the workforce page (a manager: their own team's), as CSV."""
    db = get_db()
    now = clock()
    header, rows = partnership.table(
        {"workforce": _workforce_for_user(now.date())}, "workforce-workers"
    )
    audit.record(db, at=now, action="export_workforce", actor=current_user, detail="workers")
    return _csv(f"workforce-{now.date().isoformat()}.csv", header, rows)


# --- helpers ------------------------------------------------------------------------------


def _workforce_for_user(as_of: date) -> dict[str, Any]:
    """The workforce figures, a manager's narrowed to their own team."""
    report = partnership.partnership_report(get_db(), settings(), as_of=as_of, parts=("workforce",))
    found = report["workforce"]
    if current_user.role == "manager":
        team = current_user.team_id
        found = {
            **found,
            "teams": [t for t in found["teams"] if t["id"] == team],
            "workers": [w for w in found["workers"] if w["team_id"] == team],
        }
    return found


def _audit_children(found: partnership.Incident, action: str) -> None:
    """One audit row for each child of the incident, on the child's case."""
    db, now = get_db(), clock()
    for child in found.children:
        audit.record(
            db,
            at=now,
            action=action,
            actor=current_user,
            case_ref=child.case_ref,
            detail=f"incident={found.id}",
        )


def _incident(incident_id: int) -> partnership.Incident:
    found = partnership.all_incidents(
        get_db(), settings(), as_of=clock().date(), incident_id=incident_id
    )
    if not found:
        abort(404)
    return found[0]


def _form_page(form, heading: str, fields: str, **context):
    return render_template(
        "partnership/form.html",
        form=form,
        heading=heading,
        fields=fields,
        errors=error_list(form),
        **context,
        **_words(),
    ), (400 if form.is_submitted() else 200)


def _refused(case_ref: str, refused: partnership.IncidentRefused) -> None:
    """Audit an incident refused, with the reference typed (as a refused case page is: it may
    name no case) and the fields that were wrong, never what was typed in them."""
    db = get_db()
    found = find_case(db, case_ref) if case_ref.strip() else None
    audit.record(
        db,
        at=clock(),
        action="record_incident_refused",
        actor=current_user,
        case_ref=found["case_ref"] if found else case_ref.strip()[:64] or None,
        detail="fields=" + ",".join(sorted({name for name, _ in refused.problems})),
    )


def _put_on_fields(form, problems: Iterable[tuple[str, str]]) -> None:
    """The service's reasons, each on the field it is about (the error summary links them)."""
    for name, reason in problems:
        field = getattr(form, name, None)
        if field is None:
            abort(404)  # the incident went while the form was open
        field.errors = [*field.errors, reason]


def _child_page(child: partnership.Child) -> dict[str, Any]:
    lb = child.look_back
    return {
        "child": child,
        "age": present.age_text(
            child.row["date_of_birth"], lb.occurred_on, child.row["birth_status"]
        ),
        "look_back": lb,
        "shown_runs": _runs(lb.days, "band"),
        "hindsight_runs": _runs(lb.days, "hindsight_band"),
        "late_days": sum(1 for d in lb.days if d.late),
    }


def _runs(days: Sequence[Any], attr: str) -> list[dict[str, Any]]:
    """Consecutive days with the same band, as {start, end, days, words}: the look-back in
    a few lines instead of ninety."""
    runs: list[dict[str, Any]] = []
    for day in days:
        band = getattr(day, attr)
        if runs and runs[-1]["band"] == band:
            runs[-1]["end"] = day.day
            runs[-1]["days"] += 1
        else:
            runs.append({"band": band, "start": day.day, "end": day.day, "days": 1})
    for run in runs:
        run["words"] = rules.band_words(run["band"]) if run["band"] else "No score held"
        run["hotspot"] = rules.is_hotspot(run["band"])
    return runs


def _words() -> dict[str, Any]:
    return {
        "long_date": present.long_date,
        "harm_words": HARMS,
        "abuse_words": ABUSE_OR_NEGLECT,
        "question_words": QUESTIONS,
        "indicator_label": _indicator_label,
        "share": _share,
    }


def _indicator_label(code: str) -> str:
    spec = settings()["scoring"]["indicators"].get(code)
    return spec["label"] if spec else code


def _share(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(audit.formula_safe(value) for value in row)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
