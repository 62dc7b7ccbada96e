"""My caseload: a worker's open cases, ranked, with why each ranks where it does."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from hotspots.model import rules
from hotspots.services import audit
from hotspots.storage import caseload as stored
from hotspots.storage import followup
from hotspots.web import auth, present
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.pages import contributions_for

bp = Blueprint("caseload", __name__)

# The caseload's filters: (words, whether a row passes). Each asks the row what the shared
# rules already decided (present.case_row from hotspots.model.rules: a review awaited, practice gaps
# as stored with the score, a visit overdue being one of them).
FILTERS = {
    "not_reviewed": ("Awaiting a review", lambda row: row["review"]["awaiting"]),
    "visit_overdue": ("Visit overdue", lambda row: row["visit_overdue"]),
    "practice_gap": ("Practice gap", lambda row: bool(row["practice_gaps"])),
}
# The caseload's orders: (words, how to sort the rows).
SORTS = {
    "rank": ("Rank (highest score first)", lambda rows: rows),
    "visit_due": (
        "Next visit due (soonest first)",
        lambda rows: sorted(rows, key=lambda r: (r["next_visit_due_on"], r["case_ref"])),
    ),
    "reviewed": (
        "Last reviewed (longest ago first)",
        lambda rows: sorted(rows, key=lambda r: (r["reviewed"]["on"] or date.min, r["case_ref"])),
    ),
    "case_ref": ("Case reference", lambda rows: sorted(rows, key=lambda r: r["case_ref"])),
}


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
    errors = []
    if band_filter and band_filter not in present.BANDS:
        errors.append(
            {
                "text": f"“{band_filter[:40]}” is not a band: choose Hotspot, Amber or Green",
                "href": "#band-filter",
            }
        )
        band_filter = ""
    chosen = [name for name in FILTERS if request.args.get(name)]
    sort = request.args.get("sort", "rank")
    if sort not in SORTS:
        errors.append({"text": "Choose how to sort the caseload", "href": "#sort"})
        sort = "rank"

    found = stored.ranked(
        db, worker.id, band=band_filter, trend_day=rules.trend_day(today).isoformat()
    )
    history = stored.score_history(
        db,
        worker.id,
        since=(today - timedelta(days=present.SPARKLINE_DAYS)).isoformat(),
        as_of=today.isoformat(),
    )
    within = settings()["digest"]["unreviewed_after_days"]
    explained = contributions_for(db, found)
    rows = [
        present.case_row(
            row,
            today,
            contributions=explained[row["id"]],
            history=history.get(row["id"], []),
            reviewed_within_days=within,
        )
        for row in found
    ]
    cases = [row for row in rows if all(FILTERS[name][1](row) for name in chosen)]
    cases = SORTS[sort][1](cases)
    counts = stored.band_counts(db, worker.id)
    updated = max((r["computed_at"] for r in found if r["computed_at"]), default=None)
    audit.record(
        db,
        at=clock(),
        action="view_caseload",
        actor=current_user,
        detail=f"worker {worker.email}; {len(cases)} cases"
        + (f"; band {band_filter}" if band_filter else ""),
    )
    owned = [
        {
            **a,
            "kind_words": rules.ACTION_KINDS.get(a["kind"], a["kind"]),
            "due_words": present.long_date(a["due_on"]),
            "overdue": rules.is_action_overdue("open", date.fromisoformat(a["due_on"]), today),
        }
        for a in followup.owner_open_actions(db, worker.id)
    ]
    return render_template(
        "caseload/caseload.html",
        worker=worker,
        owned=owned,
        owned_overdue=sum(1 for a in owned if a["overdue"]),
        own=worker.id == current_user.id,
        cases=cases,
        shown_of=len(rows),
        band_filter=band_filter,
        filters={name: words for name, (words, _) in FILTERS.items()},
        chosen=chosen,
        sort=sort,
        sorts={name: words for name, (words, _) in SORTS.items()},
        counts=counts,
        total=sum(counts.values()),
        bands=present.BANDS,
        today=today,
        updated=present.date_and_time(updated, settings()["app"]["timezone"]),
        errors=errors,
        thresholds=settings()["scoring"],
    ), (400 if errors else 200)
