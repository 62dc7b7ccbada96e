"""My caseload: a worker's open cases, ranked, with why each ranks where it does."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from hotspots import audit, auth, rules
from hotspots.db import get_db
from hotspots.storage import fetch_all
from hotspots.storage.web import CASELOAD_BAND_COUNTS_SQL, CASELOAD_HISTORY_SQL, CASELOAD_SQL
from hotspots.views import clock, contributions_for, present, settings

bp = Blueprint("caseload", __name__)


@bp.route("/caseload")
@login_required
def caseload():
    """The ranked caseload of the signed-in user, or (``?worker=ID``) of a member of a
    manager's team; ``?band=red|amber|green`` filters by band."""
    db = get_db()
    today = clock().date()
    worker = current_user
    worker_param = request.args.get("worker", "")
    if worker_param and worker_param != str(current_user.id):
        worker = auth.load_user(db, worker_param)
        if worker is None or not auth.can_see_caseload_of(current_user, worker):
            abort(404)
    band_filter = request.args.get("band", "")
    if band_filter not in present.BANDS:
        band_filter = ""

    params = {
        "worker_id": worker.id,
        "band": band_filter,
        "trend_day": rules.trend_day(today).isoformat(),
    }
    found = fetch_all(db, CASELOAD_SQL, params)
    history = defaultdict(list)
    since = (today - timedelta(days=present.SPARKLINE_DAYS)).isoformat()
    for row in fetch_all(
        db,
        CASELOAD_HISTORY_SQL,
        {"worker_id": worker.id, "since": since, "as_of": today.isoformat()},
    ):
        history[row["case_id"]].append((row["day"], row["score"]))
    within = settings()["digest"]["unreviewed_after_days"]
    explained = contributions_for(db, found)
    cases = [
        present.case_row(
            row,
            today,
            contributions=explained[row["id"]],
            history=history[row["id"]],
            reviewed_within_days=within,
        )
        for row in found
    ]
    counts = {r["band"]: r["cases"] for r in fetch_all(db, CASELOAD_BAND_COUNTS_SQL, params)}
    audit.record(
        db,
        at=clock(),
        action="view_caseload",
        actor=current_user,
        detail=f"worker {worker.email}; {len(cases)} cases"
        + (f"; band {band_filter}" if band_filter else ""),
    )
    return render_template(
        "caseload/caseload.html",
        worker=worker,
        own=worker.id == current_user.id,
        cases=cases,
        band_filter=band_filter,
        counts=counts,
        total=sum(counts.values()),
        bands=present.BANDS,
        today=today,
    )
