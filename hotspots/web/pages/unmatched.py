"""The queue of partners' items about children no open case matches (``/unmatched``), for
managers and admins: attach an item to a case (it becomes an observation there and the case
is rescored) or dismiss it with a reason. Both are audited; so is every look at an item,
which shows the NHS number the partner sent (the list shows only its last three digits).

Managers see the whole queue, since a child nobody holds belongs to no team yet; they can
attach an item only to a case of their own team (admins to any).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from hotspots.services import audit, rescoring
from hotspots.services.partners import local_time, utc_stamp
from hotspots.storage import cases, write_transaction
from hotspots.storage import partners as store
from hotspots.web import auth, present
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import AttachUnmatchedForm, DismissUnmatchedForm, error_list

bp = Blueprint("unmatched", __name__, url_prefix="/unmatched")


@bp.route("")
@login_required
@auth.role_required("manager", "admin")
def queue():
    """The open items, newest first."""
    db = get_db()
    limit = settings()["api"]["unmatched_page_size"]
    items = [_words(item) for item in store.open_unmatched(db, limit)]
    return render_template(
        "unmatched/queue.html",
        items=items,
        total=store.count_open_unmatched(db),
        long_date=present.long_date,
    )


@bp.route("/<int:item_id>")
@login_required
@auth.role_required("manager", "admin")
def item(item_id: int):
    """One item, with the forms to attach or dismiss it."""
    return _render_item(item_id)


@bp.route("/<int:item_id>/attach", methods=["POST"])
@login_required
@auth.role_required("manager", "admin")
def attach(item_id: int):
    """Attach an open item to a case the user can see: it becomes an observation there."""
    db = get_db()
    now = clock()
    found = _open_item(db, item_id)
    if found is None:
        return _gone()
    form = AttachUnmatchedForm()
    case = None
    if form.validate_on_submit():
        case_ref = form.case_ref.data.strip()
        # As typed, or in capitals: the references the search finds (c-0001 is C-0001).
        case = cases.find(db, case_ref) or cases.find(db, case_ref.upper())
        if case is None or not auth.can_see_case(current_user, case):
            audit.record(
                db,
                at=now,
                action="refused_case",
                actor=current_user,
                case_ref=case_ref[:64],
                detail="attach unmatched: no such case"
                if case is None
                else "attach unmatched: not on this user's team",
            )
            form.case_ref.errors.append(f"No case you can see has the reference {case_ref}")
            case = None
        elif case["status"] != "open":
            form.case_ref.errors.append(f"Case {case_ref} is closed: choose an open case")
            case = None
    if case is None:
        return _render_item(item_id, attach_form=form, status=400)

    try:
        _attach(db, found, case, now)
    except _NoLongerOpen:
        return _gone()
    flash(
        f"Attached to case {case['case_ref']}: it is now an observation there and the case "
        "has been rescored.",
        "success",
    )
    return redirect(url_for("unmatched.queue"))


class _NoLongerOpen(Exception):
    """Someone else attached or dismissed the item first."""


def _attach(db, found: dict, case: dict, now) -> None:
    """The observation, the item's new state, the audit row and the rescore: all or none."""
    item_id = found["id"]
    with write_transaction(db):
        if _open_item(db, item_id) is None:
            raise _NoLongerOpen
        observation_id = store.insert_observation(
            db,
            {
                "partner_id": found["partner_id"],
                "partner_ref": found["partner_ref"],
                "case_id": case["id"],
                "indicator": found["indicator"],
                "observed_on": found["observed_on"],
                "source": found["source"],
                "status": found["status"],
                "note": found["note"],
                "now": utc_stamp(now),
            },
        )
        store.mark_attached(db, item_id, observation_id, current_user.id, utc_stamp(now))
        audit.record(
            db,
            at=now,
            action="attach_unmatched",
            actor=current_user,
            case_ref=case["case_ref"],
            detail=f"unmatched={item_id} partner={found['partner_name']} "
            f"indicator={found['indicator']} observed_on={found['observed_on']}",
        )
        rescoring.rescore_case(db, case["id"], settings(), as_of=now.date(), now=now)


@bp.route("/<int:item_id>/dismiss", methods=["POST"])
@login_required
@auth.role_required("manager", "admin")
def dismiss(item_id: int):
    """Dismiss an open item with a reason; it stays on record."""
    db = get_db()
    now = clock()
    found = _open_item(db, item_id)
    if found is None:
        return _gone()
    form = DismissUnmatchedForm()
    if not form.validate_on_submit():
        return _render_item(item_id, dismiss_form=form, status=400)
    with write_transaction(db):
        reason = form.reason.data.strip()
        if not store.mark_dismissed(db, item_id, current_user.id, reason, utc_stamp(now)):
            return _gone()  # someone else attached or dismissed it first; nothing written
        audit.record(
            db,
            at=now,
            action="dismiss_unmatched",
            actor=current_user,
            detail=f"unmatched={item_id} partner={found['partner_name']} "
            f"indicator={found['indicator']} observed_on={found['observed_on']}",
        )
    flash("Dismissed. It stays on record with your reason.", "success")
    return redirect(url_for("unmatched.queue"))


def _open_item(db, item_id: int):
    found = store.unmatched_item(db, item_id)
    return found if found is not None and found["state"] == "open" else None


def _gone():
    flash("That item is no longer waiting: someone has attached or dismissed it.", "info")
    return redirect(url_for("unmatched.queue"))


def _render_item(item_id: int, *, status: int = 200, **forms):
    db = get_db()
    found = store.unmatched_item(db, item_id)
    if found is None:
        return render_template("errors/404.html"), 404
    audit.record(
        db,
        at=clock(),
        action="view_unmatched",
        actor=current_user,
        detail=f"unmatched={item_id} partner={found['partner_name']}",
    )
    attach_form = forms.get("attach_form") or AttachUnmatchedForm(formdata=None)
    dismiss_form = forms.get("dismiss_form") or DismissUnmatchedForm(formdata=None)
    failed = next(iter(forms.values()), None)
    return render_template(
        "unmatched/item.html",
        item=_words(found),
        attach_form=attach_form,
        dismiss_form=dismiss_form,
        form=failed,
        errors=error_list(failed) if failed else [],
        long_date=present.long_date,
    ), status


def _words(row: dict) -> dict:
    spec = settings()["scoring"]["indicators"].get(row["indicator"])
    return {
        **row,
        "received_words": local_time(row["received_at"], settings()["app"]["timezone"]),
        "label": spec["label"] if spec else row["indicator"].replace("_", " ").capitalize(),
        "source_words": row["source"].replace("_", " ").capitalize(),
    }
