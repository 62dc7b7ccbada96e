"""Finding a case by its reference or its initials, from the box on every page. Only the
cases the person may see are found; exactly one opens the case."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hotspots.services import audit
from hotspots.storage import cases as stored_cases
from hotspots.web import auth, present
from hotspots.web.context import clock
from hotspots.web.db import get_db

bp = Blueprint("search", __name__)

# Rows read before the visibility rule narrows them (initials are shared by many children in
# a large authority), and rows shown.
READ_LIMIT = 5000
SHOW_LIMIT = 50
QUERY_MAX = 64


@bp.route("/search")
@login_required
def search():
    """``?q=`` a case reference or initials."""
    query = " ".join(request.args.get("q", "").split())[:QUERY_MAX]
    if "q" not in request.args:
        return render_template("search/results.html", query="", cases=[], total=0, error=False)
    if not query:
        return render_template(
            "search/results.html",
            query="",
            cases=[],
            total=0,
            error=True,
            errors=[{"text": "Enter a case reference or initials", "href": "#search-q"}],
        )
    db = get_db()
    now = clock()
    rows = stored_cases.search(db, query, READ_LIMIT)
    visible = [r for r in rows if auth.can_see_case(current_user, r)]
    audit.record(
        db, at=now, action="search_cases", actor=current_user, detail=f"matches={len(visible)}"
    )
    if len(visible) == 1:
        return redirect(url_for("cases.case", case_ref=visible[0]["case_ref"]))
    today = now.date()
    cases = [
        {
            "case_ref": r["case_ref"],
            "initials": r["initials"],
            "age": present.age_text(r["date_of_birth"], today, r["birth_status"]),
            "score": r["score"],
            "band": present.band(r["band"]),
            "worker_name": r["worker_name"],
            "closed": r["status"] == "closed",
        }
        for r in visible[:SHOW_LIMIT]
    ]
    return render_template(
        "search/results.html", query=query, cases=cases, total=len(visible), error=False
    )
