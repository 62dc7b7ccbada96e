"""The fairness report for admins (``/admin/fairness``): the figures ``hotspots report
fairness`` prints, and a CSV download for the council's equality lead. Each view and each
download is audited, since the report counts children by their characteristics."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from hotspots.base.dates import parse_date
from hotspots.model import fairness
from hotspots.services import audit
from hotspots.storage.fairness import NoFigures, fairness_report
from hotspots.web import present
from hotspots.web.auth import role_required
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db

bp = Blueprint("fairness", __name__, url_prefix="/admin")


def _report(action: str):
    """(report or None, the problem in words or "", the day asked for as typed), audited."""
    db = get_db()
    now = clock()
    typed = request.args.get("as_of", "").strip()[:10]
    day = None
    if typed:
        try:
            day = parse_date(typed)
        except ValueError as e:
            return None, str(e), typed
    if day is not None and day > now.date():
        return None, f"{day.isoformat()} is in the future: choose today or an earlier day", typed
    try:
        report = fairness_report(db, settings(), as_of=day)
    except NoFigures as e:
        return None, str(e)[0].upper() + str(e)[1:], typed
    audit.record(
        db,
        at=now,
        action=action,
        actor=current_user,
        detail=f"day={report['day']} cases={report['totals']['cases']} flagged={report['flagged']}",
    )
    return report, "", typed


@bp.route("/fairness")
@login_required
@role_required("admin")
def report_page():
    """The report: every group's figures, the flagged ones with their drivers."""
    report, problem, typed = _report("view_fairness_report")
    return render_template(
        "fairness/report.html",
        report=report,
        problem=problem,
        as_of=typed,
        percent=fairness.percent,
        flagged=fairness.flagged_groups(report) if report else [],
        long_date=present.long_date,
    ), (400 if problem and typed else 200)


@bp.route("/fairness.csv")
@login_required
@role_required("admin")
def report_csv():
    """The report as CSV (``hotspots.model.fairness.CSV_COLUMNS``), cells a spreadsheet would run
    written as text."""
    report, problem, _ = _report("export_fairness_report")
    if report is None:
        return Response(problem + "\n", status=400, mimetype="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in fairness.csv_table(report):
        writer.writerow([audit.formula_safe(value) for value in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="fairness-{report["day"]}.csv"',
            "Cache-Control": "no-store",
        },
    )
