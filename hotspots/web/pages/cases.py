"""The case page and the pages that change a case.

The case page puts what matters first (the score, its band, the reasons, what would help
next) and keeps the history and the breakdown folded away below. Each change has a page of
its own, reached from the case page's short list of actions: record a visit, an observation
or an enquiry, adjust the priority, mark as reviewed; and the corrections (resolve or refute
an observation, withdraw an adjustment, mark an enquiry or a review as entered in error).

Every view of a case is audited (``view_case``), as is every change. A change marks the case
for rescoring (the schema's triggers do it in the same transaction), rescores it at once and
redirects back to the case, so the new score and rank show straight away.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from hotspots.base.dates import stamp
from hotspots.model import characteristics, rules, scoring
from hotspots.services import audit, rescoring
from hotspots.storage import allocation, disputes, followup, write_transaction
from hotspots.storage import cases as stored
from hotspots.storage import characteristics as kept
from hotspots.web import auth, drafts, present
from hotspots.web.context import clock, settings
from hotspots.web.db import get_db
from hotspots.web.forms import (
    BEFORE_BIRTH_DAYS,
    DISPUTED_BY,
    ENQUIRY_OUTCOMES,
    ENQUIRY_TOPICS,
    VISIT_OUTCOMES,
    ActionForm,
    AdjustmentForm,
    CloseActionForm,
    DisputeDecisionForm,
    DisputeForm,
    EnquiryForm,
    EnteredInErrorForm,
    ObservationForm,
    ObservationStatusForm,
    ReviewForm,
    VisitForm,
    WithdrawAdjustmentForm,
    error_list,
)
from hotspots.web.pages import contributions_of

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.before_request
def _timed_out_form():
    """A form sent by the timeout warning while the session is in fact still alive (another
    tab kept it so): keep what was typed and show the form again; never save it."""
    if (
        request.method == "POST"
        and request.form.get("app-timed-out")
        and current_user.is_authenticated
    ):
        drafts.keep(get_db(), current_user.id, request.path, request.form, clock())
        return redirect(request.path)
    return None


# An observation's status in words (disputed: a family disputes it, a worker has not decided).
STATUS_WORDS = {
    "current": "Current",
    "resolved": "Resolved",
    "refuted": "Refuted",
    "disputed": "Disputed",
}

# The case page's short list of actions, each a page of its own: (endpoint, words).
ACTIONS = (
    ("cases.mark_reviewed", "Review the case"),
    ("cases.record_visit", "Record a visit"),
    ("cases.record_observation", "Record an observation"),
    ("cases.record_enquiry", "Record an enquiry"),
    ("cases.add_action", "Add an action"),
    ("cases.add_adjustment", "Adjust the priority"),
)
# What only a manager or an admin may do from the case page.
MANAGER_ACTIONS = (("team.allocate", "Move to another worker"),)


@bp.route("/<case_ref>")
@login_required
def case(case_ref: str):
    """The case page."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    return _render_case(found, now)


# --- the pages that change a case ---------------------------------------------------------


@bp.route("/<case_ref>/visits", methods=["GET", "POST"])
@login_required
def record_visit(case_ref: str):
    """Record a visit. A visit where the child was seen becomes the case's last visit (unless
    a later one is recorded), which clears an overdue visit at once."""
    found, now = _open_case(case_ref)
    form = VisitForm(**_restored(now), today=now.date(), earliest=_date(found["opened_on"]))
    if not form.validate_on_submit():
        return _form_page(found, now, form, "visit", "Record a visit")
    seen = form.seen.data
    visited_on = form.visited_on.data.isoformat()

    def write(db):
        stored.record_visit(
            db,
            found["id"],
            visited_on=visited_on,
            child_seen=seen != "not_seen",
            seen_alone=None if seen == "not_seen" else seen == "seen_alone",
            note=(form.note.data or "").strip(),
            recorded_by_id=current_user.id,
            now=stamp(now),
        )

    message = f"Visit recorded for {present.long_date(form.visited_on.data)}."
    if seen == "not_seen":
        message += " The child was not seen, so the last visit is unchanged."
    return _change(
        found,
        now,
        write,
        action="record_visit",
        detail=f"visited_on={visited_on} seen={seen}",
        message=message,
    )


@bp.route("/<case_ref>/observations", methods=["GET", "POST"])
@login_required
def record_observation(case_ref: str):
    """Record an observation of an indicator."""
    found, now = _open_case(case_ref)
    form = ObservationForm(
        **_restored(now), settings=settings(), today=now.date(), earliest=_earliest(found)
    )
    if not form.validate_on_submit():
        return _form_page(found, now, form, "observation", "Record an observation")
    indicator = form.indicator.data

    def write(db):
        stored.record_observation(
            db,
            found["id"],
            external_id=f"web:{uuid.uuid4()}",
            indicator=indicator,
            observed_on=form.observed_on.data.isoformat(),
            source=form.source.data,
            note=(form.note.data or "").strip(),
            recorded_by_id=current_user.id,
            now=stamp(now),
        )

    label = settings()["scoring"]["indicators"][indicator]["label"]
    return _change(
        found,
        now,
        write,
        action="record_observation",
        detail=f"indicator={indicator} observed_on={form.observed_on.data.isoformat()} "
        f"source={form.source.data}",
        message=f"Observation recorded: {label}.",
    )


@bp.route("/<case_ref>/enquiries", methods=["GET", "POST"])
@login_required
def record_enquiry(case_ref: str):
    """Record a screening question asked and its outcome."""
    db = get_db()
    found, now = _open_case(case_ref)
    form = EnquiryForm(**_restored(now), today=now.date(), earliest=_earliest(found))
    if request.method == "GET" and form.topic.data is None:
        # "Ask about domestic abuse" on the case page opens the form with that topic chosen.
        chosen = request.args.get("topic")
        form.topic.data = chosen if chosen in ENQUIRY_TOPICS else None
    valid = form.validate_on_submit()
    if valid:
        asked_on = form.asked_on.data.isoformat()
        if stored.enquiry_recorded(db, found["id"], form.topic.data, asked_on):
            form.asked_on.errors.append(
                "This enquiry is already recorded for that day: choose another date"
            )
            valid = False
    if not valid:
        return _form_page(found, now, form, "enquiry", "Record an enquiry")

    def write(db):
        stored.record_enquiry(
            db,
            found["id"],
            topic=form.topic.data,
            asked_on=asked_on,
            outcome=form.outcome.data,
            recorded_by_id=current_user.id,
            now=stamp(now),
        )

    try:
        return _change(
            found,
            now,
            write,
            action="record_enquiry",
            detail=f"topic={form.topic.data} asked_on={asked_on} outcome={form.outcome.data}",
            message=f"Enquiry recorded: {ENQUIRY_TOPICS[form.topic.data]}.",
        )
    except sqlite3.IntegrityError:
        # The same enquiry sent twice at once (a double click): the second is refused by the
        # table's UNIQUE (case, topic, day) and rolled back whole, audit row included.
        form.asked_on.errors.append(
            "This enquiry is already recorded for that day: choose another date"
        )
        return _form_page(found, now, form, "enquiry", "Record an enquiry")


@bp.route("/<case_ref>/adjustments", methods=["GET", "POST"])
@login_required
def add_adjustment(case_ref: str):
    """A practitioner's adjustment to the score, with a reason and an expiry date. One is in
    force at a time: a new one replaces the one in force (withdrawn, and kept in the
    history)."""
    db = get_db()
    found, now = _open_case(case_ref)
    today = now.date()
    in_force = stored.adjustments_in_force(db, found["id"], today.isoformat())
    form = AdjustmentForm(**_restored(now), today=today)
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "adjustment",
            "Adjust the priority",
            in_force=[{**a, "points_words": f"{a['points']:+g}"} for a in in_force],
        )
    points = form.points.value

    def write(db):
        for old in in_force:
            _withdraw(db, found, old["id"], now, "Replaced by a new adjustment")
        stored.add_adjustment(
            db,
            found["id"],
            points=points,
            reason=form.reason.data.strip(),
            expires_on=form.expires_on.data.isoformat(),
            made_by_id=current_user.id,
            now=stamp(now),
        )

    replaced = "".join(f" replaces={a['id']}" for a in in_force)
    message = (
        f"Adjustment of {points:+g} points added until {present.long_date(form.expires_on.data)}."
    )
    if in_force:
        message += " It replaces the adjustment that was in force."
    return _change(
        found,
        now,
        write,
        action="add_adjustment",
        detail=f"points={points:+g} expires_on={form.expires_on.data.isoformat()}{replaced}",
        message=message,
    )


@bp.route("/<case_ref>/adjustments/<int:adjustment_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_adjustment(case_ref: str, adjustment_id: int):
    """Withdraw the adjustment in force before its expiry, with a reason. It stays in the
    history and stops counting from today."""
    db = get_db()
    found, now = _open_case(case_ref)
    in_force = {
        a["id"]: a for a in stored.adjustments_in_force(db, found["id"], now.date().isoformat())
    }
    adjustment = in_force.get(adjustment_id)
    if adjustment is None:
        abort(404)
    form = WithdrawAdjustmentForm(**_restored(now))
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "withdraw",
            "Withdraw the adjustment",
            adjustment={**adjustment, "points_words": f"{adjustment['points']:+g}"},
        )
    reason = form.reason.data.strip()
    return _change(
        found,
        now,
        lambda db: _withdraw(db, found, adjustment_id, now, reason),
        action="withdraw_adjustment",
        detail=f"adjustment={adjustment_id}",
        message=f"Adjustment of {adjustment['points']:+g} points withdrawn.",
    )


@bp.route("/<case_ref>/reviews", methods=["GET", "POST"])
@login_required
def mark_reviewed(case_ref: str):
    """Review the case: agree and act (one or more actions, each with an owner and a due
    date) or disagree with the score (with the reason, and what in it). The score as it was
    reviewed, and every part of it, is kept with the review."""
    db = get_db()
    found, now = _open_case(case_ref)
    contributions = contributions_of(db, found) if found["score"] is not None else []
    form = ReviewForm(
        **_restored(now),
        owners=allocation.team_members(db, found["team_id"]),
        contributions=contributions,
        today=now.date(),
        default_owner=found["worker_id"],
    )
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "review",
            "Review the case",
            reasons=scoring.reasons(contributions),
            band=present.band(found["band"]),
        )
    decision = form.decision.data
    actions = form.agreed_actions()
    disagreed = sorted(form.disagreed.data or []) if decision == "disagree" else []

    def write(db):
        followup.record_review(
            db,
            case_id=found["id"],
            reviewer_id=current_user.id,
            at=stamp(now),
            decision=decision,
            disagree_reason=form.disagree_reason.data.strip() if decision == "disagree" else None,
            plan=(form.plan.data or "").strip(),
            score=found if found["score"] is not None else None,
            contributions=contributions,
            disagreed=disagreed,
            actions=actions,
        )

    if decision == "act":
        detail = f"decision=act actions={len(actions)}"
        noun = "action" if len(actions) == 1 else "actions"
        message = f"Review recorded: {len(actions)} {noun} agreed."
    else:
        detail = f"decision=disagree disagreed={','.join(disagreed) or 'none'}"
        message = "Review recorded: your disagreement with the score and its reason are kept."
    return _record(found, now, write, action="mark_reviewed", detail=detail, message=message)


@bp.route("/<case_ref>/actions", methods=["GET", "POST"])
@login_required
def add_action(case_ref: str):
    """Add an action about the case outside a review (agreed in supervision, say)."""
    db = get_db()
    found, now = _open_case(case_ref)
    form = ActionForm(
        **_restored(now),
        owners=allocation.team_members(db, found["team_id"]),
        today=now.date(),
        default_owner=found["worker_id"],
    )
    if not form.validate_on_submit():
        return _form_page(found, now, form, "action", "Add an action")
    value = form.action.form.value()

    def write(db):
        followup.add_action(
            db,
            case_id=found["id"],
            review_id=None,
            created_by_id=current_user.id,
            at=stamp(now),
            **value,
        )

    return _record(
        found,
        now,
        write,
        action="add_action",
        detail=f"kind={value['kind']} owner={value['owner_id']} due_on={value['due_on']}",
        message=f"Action added: {rules.ACTION_KINDS[value['kind']]}, due by "
        f"{present.long_date(value['due_on'])}.",
    )


@bp.route("/<case_ref>/actions/<int:action_id>", methods=["GET", "POST"])
@login_required
def close_action(case_ref: str, action_id: int):
    """Close an action: done or not done, with what happened (who and when are recorded)."""
    db = get_db()
    found, now = _case(case_ref)
    agreed = followup.action(db, action_id, found["id"])
    if agreed is None or agreed["state"] != "open":
        abort(404)
    form = CloseActionForm(**_restored(now))
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "close_action",
            "Record what happened",
            agreed=_action_words(agreed, now.date()),
        )
    state = form.state.data

    def write(db):
        closed = followup.close_action(
            db,
            action_id,
            found["id"],
            state=state,
            outcome=form.outcome.data.strip(),
            by_id=current_user.id,
            at=stamp(now),
        )
        if not closed:
            raise _NothingChanged

    try:
        return _record(
            found,
            now,
            write,
            action="close_action",
            detail=f"action={action_id} kind={agreed['kind']} outcome={state}",
            message=f"Action {'done' if state == 'done' else 'closed as not done'}: "
            f"{rules.ACTION_KINDS.get(agreed['kind'], 'an action')}.",
        )
    except _NothingChanged:
        flash("This action was already closed by someone else: theirs stands.", "info")
        return redirect(url_for("cases.case", case_ref=found["case_ref"]))


def _action_words(agreed: dict[str, Any], today: date) -> dict[str, Any]:
    """An action as the case page shows it."""
    due = date.fromisoformat(agreed["due_on"])
    return {
        **agreed,
        "kind_words": rules.ACTION_KINDS.get(agreed["kind"], agreed["kind"]),
        "due_words": present.long_date(due),
        "overdue": rules.is_action_overdue(agreed["state"], due, today),
        "state_words": {"open": "Open", **rules.ACTION_OUTCOMES}[agreed["state"]],
    }


@bp.route("/<case_ref>/enquiries/<int:enquiry_id>/error", methods=["GET", "POST"])
@login_required
def enquiry_in_error(case_ref: str, enquiry_id: int):
    """Mark an enquiry as entered in error, with a reason: it stays in the history and stops
    counting (a practice gap it closed opens again)."""
    db = get_db()
    found, now = _case(case_ref)
    enquiry = stored.enquiry(db, enquiry_id, found["id"])
    if enquiry is None or enquiry["entered_in_error_at"]:
        abort(404)
    described = (
        f"{ENQUIRY_TOPICS.get(enquiry['topic'], enquiry['topic'])}, asked "
        f"{present.long_date(enquiry['asked_on'])}: "
        f"{ENQUIRY_OUTCOMES.get(enquiry['outcome'], enquiry['outcome']).lower()}"
    )
    return _mark_in_error(
        found,
        now,
        record_id=enquiry_id,
        described=described,
        title="Mark an enquiry as entered in error",
        mark=stored.mark_enquiry_in_error,
        action="enquiry_entered_in_error",
        detail=f"enquiry={enquiry_id} topic={enquiry['topic']}",
        message="Enquiry marked as entered in error.",
    )


@bp.route("/<case_ref>/reviews/<int:review_id>/error", methods=["GET", "POST"])
@login_required
def review_in_error(case_ref: str, review_id: int):
    """Mark a review as entered in error, with a reason: it stays in the history and no
    longer counts as a review."""
    db = get_db()
    found, now = _case(case_ref)
    review = stored.review(db, review_id, found["id"])
    if review is None or review["entered_in_error_at"]:
        abort(404)
    described = f"Review of {present.long_date(review['reviewed_at'])}"
    return _mark_in_error(
        found,
        now,
        record_id=review_id,
        described=described,
        title="Mark a review as entered in error",
        mark=stored.mark_review_in_error,
        action="review_entered_in_error",
        detail=f"review={review_id}",
        message="Review marked as entered in error. Its open actions are closed as not done.",
        # What a review entered in error agreed was never agreed.
        also=lambda db: followup.close_review_actions(
            db,
            review_id,
            outcome="Agreed at a review marked as entered in error",
            by_id=current_user.id,
            at=stamp(now),
        ),
    )


def _mark_in_error(
    found, now, *, record_id, described, title, mark, action, detail, message, also=None
):
    """The entered-in-error form for one enquiry or review: shown (again, with its errors)
    until it has a reason, then the mark written (with ``also``, in the same transaction),
    audited and the case rescored."""
    form = EnteredInErrorForm(**_restored(now))
    if not form.validate_on_submit():
        return _form_page(found, now, form, "in_error", title, what=described)
    reason = form.reason.data.strip()

    def write(db):
        mark(db, record_id, found["id"], reason=reason, by_id=current_user.id, now=stamp(now))
        if also is not None:
            also(db)

    return _change(found, now, write, action=action, detail=detail, message=message)


@bp.route("/<case_ref>/observations/<int:observation_id>/status", methods=["GET", "POST"])
@login_required
def change_observation_status(case_ref: str, observation_id: int):
    """Resolve or refute an observation, with a reason. Nothing is ever deleted: the
    observation stays in the timeline and stops counting."""
    db = get_db()
    found, now = _case(case_ref)
    observation = stored.observation(db, observation_id, found["id"])
    if observation is None or observation["status"] != "current":
        abort(404)
    form = ObservationStatusForm(**_restored(now))
    label = _indicator_label(observation["indicator"])
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "observation_status",
            f"Resolve or refute: {label}",
            observation={
                **observation,
                "label": label,
                "observed": present.long_date(observation["observed_on"]),
                "source_words": present.source_words(observation["source"]),
            },
        )
    new_status = form.status.data

    def write(db):
        changed = stored.change_observation_status(
            db,
            observation_id,
            found["id"],
            status=new_status,
            reason=form.reason.data.strip(),
            changed_by_id=current_user.id,
            now=stamp(now),
        )
        if not changed:
            raise _NothingChanged

    try:
        return _change(
            found,
            now,
            write,
            action=f"{new_status[:-1]}_observation",  # resolve_observation, refute_observation
            detail=f"observation={observation_id} indicator={observation['indicator']}",
            message=f"Observation {new_status}: {label}.",
        )
    except _NothingChanged:
        # Someone else resolved or refuted it between the page and this post: their change
        # stands, and nothing (not even an audit row) is written for this one.
        flash(f"This observation was already resolved or refuted: {label}.", "info")
        return redirect(url_for("cases.case", case_ref=found["case_ref"]))


class _NothingChanged(Exception):
    """A change found nothing to change (another request got there first)."""


# --- a family's correction route ----------------------------------------------------------


@bp.route("/<case_ref>/observations/<int:observation_id>/dispute", methods=["GET", "POST"])
@login_required
@auth.role_required("admin")
def record_dispute(case_ref: str, observation_id: int):
    """An admin records that a person disputes a record about them: what it says, or (a
    partner's notification) that it is about this child at all. The record counts towards no
    score until a worker decides (hotspots.storage.disputes)."""
    db = get_db()
    found, now = _case(case_ref)
    observation = disputes.observation(db, observation_id, found["id"])
    if observation is None or observation["status"] == disputes.DISPUTED:
        abort(404)
    form = DisputeForm(
        **_restored(now), today=now.date(), from_partner=observation["partner_id"] is not None
    )
    label = _indicator_label(observation["indicator"])
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "dispute",
            f"Record a dispute: {label}",
            observation=_observation_words(observation, label),
        )

    def write(db):
        recorded = disputes.record_dispute(
            db,
            observation_id=observation_id,
            case_ref=found["case_ref"],
            kind=form.kind.data,
            disputed_by=form.disputed_by.data,
            what=form.what.data.strip(),
            received_on=form.received_on.data.isoformat(),
            staff_id=current_user.id,
            now=stamp(now),
        )
        if recorded is None:
            raise _NothingChanged

    try:
        return _change(
            found,
            now,
            write,
            action="record_dispute",
            detail=f"observation={observation_id} indicator={observation['indicator']} "
            f"kind={form.kind.data} by={form.disputed_by.data}",
            message=f"Dispute recorded: {label} counts towards no score until a worker decides.",
        )
    except _NothingChanged:
        flash(f"This record is disputed already: {label}.", "info")
        return redirect(url_for("cases.case", case_ref=found["case_ref"]))


@bp.route("/<case_ref>/disputes/<int:dispute_id>/decide", methods=["GET", "POST"])
@login_required
@auth.role_required("worker", "manager")
def decide_dispute(case_ref: str, dispute_id: int):
    """A worker (or manager) who can see the case decides a dispute: the record stands (it
    counts again as before) or is wrong (refuted; a wrong match goes back to the queue of
    notifications not yet matched). Audited, and the case rescored at once."""
    db = get_db()
    found, now = _case(case_ref)
    dispute = disputes.open_dispute(db, dispute_id, found["id"])
    if dispute is None:
        abort(404)
    observation = disputes.observation(db, dispute["observation_id"], found["id"])
    label = _indicator_label(observation["indicator"])
    form = DisputeDecisionForm(**_restored(now))
    if not form.validate_on_submit():
        return _form_page(
            found,
            now,
            form,
            "decide_dispute",
            f"Decide a dispute: {label}",
            observation=_observation_words(observation, label),
            dispute={**dispute, "by_words": DISPUTED_BY.get(dispute["disputed_by"], "")},
        )
    decision, reason = form.decision.data, form.reason.data.strip()
    decide = disputes.uphold if decision == "upheld" else disputes.correct

    def write(db):
        if not decide(db, dispute, reason=reason, staff_id=current_user.id, now=stamp(now)):
            raise _NothingChanged

    if decision == "upheld":
        message = f"The record stands: {label} counts again as it did before."
    elif dispute["kind"] == "match":
        message = (
            f"Corrected: {label} is not about this child and stops counting. The notification "
            "is back in the queue of those not yet matched, for the right child."
        )
    else:
        message = f"Corrected: {label} is refuted and stops counting."
    try:
        return _change(
            found,
            now,
            write,
            action="uphold_dispute" if decision == "upheld" else "correct_dispute",
            detail=f"dispute={dispute_id} observation={dispute['observation_id']} "
            f"kind={dispute['kind']}",
            message=message,
        )
    except _NothingChanged:
        flash("Someone else decided this dispute first: their decision stands.", "info")
        return redirect(url_for("cases.case", case_ref=found["case_ref"]))


def _observation_words(observation: dict, label: str) -> dict:
    return {
        **observation,
        "label": label,
        "observed": present.long_date(observation["observed_on"]),
        "source_words": present.source_words(observation["source"]),
    }


# --- helpers ------------------------------------------------------------------------------


def _case(case_ref: str) -> tuple[dict[str, Any], datetime]:
    """The case if the signed-in person may see it (404 and audited otherwise), and now."""
    now = clock()
    return auth.case_for_user(get_db(), current_user, case_ref, now=now), now


def _open_case(case_ref: str) -> tuple[dict[str, Any], datetime]:
    """As ``_case``, for the pages that add to a case: a closed case takes no more records
    (its history stays on its page)."""
    found, now = _case(case_ref)
    if found["status"] != "open":
        flash("This case is closed: nothing more can be recorded on it.", "info")
        return abort(redirect(url_for("cases.case", case_ref=found["case_ref"])))
    return found, now


def _restored(now: datetime) -> dict[str, Any]:
    """On showing a form: what the signed-in person typed into it when their session had
    expired (hotspots.web.drafts), as the form's data; nothing otherwise."""
    if request.method != "GET":
        return {}
    kept = drafts.take(get_db(), current_user.id, request.path, now)
    if kept is None:
        return {}
    flash("What you typed before you were signed out is back in the form: check it and save.")
    return {"formdata": kept}


def _earliest(case: dict[str, Any]) -> date:
    """The earliest date anything about the case can be dated: a pregnancy before the
    child's date of birth (an unborn child's expected date)."""
    return _date(case["date_of_birth"]) - timedelta(days=BEFORE_BIRTH_DAYS)


def _date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _withdraw(db, case: dict[str, Any], adjustment_id: int, now: datetime, reason: str) -> None:
    stored.withdraw_adjustment(
        db,
        adjustment_id,
        case["id"],
        yesterday=(now.date() - timedelta(days=1)).isoformat(),
        reason=reason,
        by_id=current_user.id,
        now=stamp(now),
    )


def _form_page(case: dict, now: datetime, form, fields: str, heading: str, **context):
    """A change's own page: the form (blank, or with its errors and the typed text), under
    the case's reference. Showing it is a view of the case, so it is audited."""
    audit.record(
        get_db(),
        at=now,
        action="view_case",
        actor=current_user,
        case_ref=case["case_ref"],
        detail=f"form={fields}",
    )
    return render_template(
        "cases/form.html",
        case=case,
        age=present.age_text(case["date_of_birth"], now.date(), case["birth_status"]),
        form=form,
        fields=f"cases/fields/{fields}.html",
        heading=heading,
        errors=error_list(form),
        long_date=present.long_date,
        **context,
    ), (400 if form.is_submitted() else 200)


def _change(case: dict, now: datetime, write, *, action: str, detail: str, message: str):
    """Write a change (its triggers mark the case), audit it and rescore it: all or nothing.
    Then back to the case page, where the new score shows."""
    score = _save(case, now, write, action=action, detail=detail, rescore=True)
    flash(f"{message} {_score_sentence(score)}", "success")
    return redirect(url_for("cases.case", case_ref=case["case_ref"]))


def _record(case: dict, now: datetime, write, *, action: str, detail: str, message: str):
    """Write what does not change the score (a review, an action) and audit it: all or
    nothing. Then back to the case page."""
    _save(case, now, write, action=action, detail=detail, rescore=False)
    flash(message, "success")
    return redirect(url_for("cases.case", case_ref=case["case_ref"]))


def _save(case: dict, now: datetime, write, *, action: str, detail: str, rescore: bool):
    """``write``, its audit row and (``rescore``) the case's new score, in one transaction;
    the new scores row, or None."""
    db = get_db()
    with write_transaction(db):
        write(db)
        audit.record(
            db,
            at=now,
            action=action,
            actor=current_user,
            case_ref=case["case_ref"],
            detail=detail,
        )
        if rescore:
            return rescoring.rescore_case(db, case["id"], settings(), as_of=now.date(), now=now)
    return None


def _score_sentence(score: dict[str, Any] | None) -> str:
    if not score:
        return ""
    words = present.band(score.get("band"))["text"]
    sentence = f"The score is now {score['score']:.1f} ({words})"
    if score.get("rank") is not None:
        sentence += f", rank {score['rank']} in the caseload"
    return sentence + "."


def _render_case(case: dict, now: datetime):
    """The case page. Every showing of it is audited as ``view_case``."""
    db = get_db()
    audit.record(
        db,
        at=now,
        action="view_case",
        actor=current_user,
        case_ref=case["case_ref"],
    )
    today = now.date()
    config = settings()
    history = stored.score_history(
        db,
        case["id"],
        since=(today - timedelta(days=present.SPARKLINE_DAYS)).isoformat(),
        as_of=today.isoformat(),
    )
    week_ago = (today - timedelta(days=present.TREND_DAYS)).isoformat()
    earlier = [h["score"] for h in history if h["day"] <= week_ago]
    contributions = [
        {**c, "words": present.contribution_words(c, config["scoring"])}
        for c in present.ordered(contributions_of(db, case))
    ]
    disputed: dict[int, list[dict]] = {}
    for d in disputes.for_case(db, case["id"]):
        disputed.setdefault(d["observation_id"], []).append(
            {**d, "by_words": DISPUTED_BY.get(d["disputed_by"], "")}
        )
    observations = [
        {
            **o,
            "label": _indicator_label(o["indicator"]),
            "source_words": present.source_words(o["source"]),
            "status_words": STATUS_WORDS[o["status"]],
            "disputes": disputed.get(o["id"], []),
        }
        for o in stored.observations(db, case["id"])
    ]
    enquiries = [
        {
            **e,
            "topic_words": ENQUIRY_TOPICS.get(e["topic"], e["topic"]),
            "outcome_words": ENQUIRY_OUTCOMES.get(e["outcome"], e["outcome"]),
        }
        for e in stored.enquiries(db, case["id"])
    ]
    adjustments = [
        {
            **a,
            "in_force": a["made_at"][:10] <= today.isoformat() <= a["expires_on"],
            "expired": a["expires_on"] < today.isoformat() and not a["withdrawn_at"],
        }
        for a in stored.adjustments(db, case["id"])
    ]
    visits = [
        {
            **v,
            "seen_words": VISIT_OUTCOMES[
                "not_seen"
                if not v["child_seen"]
                else ("seen_alone" if v["seen_alone"] else "seen_not_alone")
            ],
        }
        for v in stored.visits(db, case["id"])
    ]
    reviews = [
        {**r, "decision_words": rules.DECISIONS.get(r["decision"] or "", "")}
        for r in followup.case_reviews(db, case["id"])
    ]
    agreed = [_action_words(a, today) for a in followup.case_actions(db, case["id"])]
    # The lists' review rule (present.review_state), on the reviews not entered in error.
    open_agreed = [a for a in agreed if a["state"] == "open"]
    review = present.review_state(
        {
            "band": case["band"],
            "last_reviewed_at": max(
                (r["reviewed_at"] for r in reviews if not r["entered_in_error_at"]), default=None
            ),
            "open_actions": len(open_agreed),
            "next_action_due": min((a["due_on"] for a in open_agreed), default=None),
            "last_action_closed_at": max(
                (a["closed_at"] for a in agreed if a["closed_at"]), default=None
            ),
        },
        today,
        config["digest"]["unreviewed_after_days"],
    )
    due = present.next_visit_due(case["last_visit_on"], case["opened_on"], case["visit_every_days"])
    return render_template(
        "cases/case.html",
        case=case,
        age=present.age_text(case["date_of_birth"], today, case["birth_status"]),
        band=present.band(case["band"]),
        thresholds=config["scoring"],
        trend=present.trend(case["score"], earlier[-1] if earlier else None),
        sparkline=present.sparkline([(h["day"], h["score"]) for h in history], today),
        reasons=scoring.reasons(contributions),
        matches_pattern=any(c.get("kind") == rules.PATTERN_KIND for c in contributions),
        next_steps=present.next_steps(rules.gap_codes(case["practice_gaps"])),
        review=review,
        actions=_case_actions(case),
        agreed=agreed,
        open_agreed=open_agreed,
        allocations=allocation.case_allocations(db, case["id"]),
        contributions=contributions,
        contributions_total=sum(float(c.get("points") or 0) for c in contributions),
        observations=observations,
        visits=visits,
        enquiries=enquiries,
        reviews=reviews,
        adjustments=adjustments,
        next_visit_due=present.long_date(due),
        visit_overdue=due < today,
        long_date=present.long_date,
        sentence=present.sentence,
        described=_described(db, case),
    )


def _described(db, case: dict) -> dict[str, Any]:
    """The child's sex, ethnicity and disability for the page's folded details (shown nowhere
    else about a case; the page's view is audited as every case view is)."""
    row = kept.for_case(db, case["id"])
    return {
        "rows": characteristics.described(row),
        "source": characteristics.RECORDED_FROM.get(row["recorded_from"], row["recorded_from"])
        if row
        else "",
        "on": present.long_date(row["recorded_at"]) if row else "",
    }


def _case_actions(case: dict) -> tuple[tuple[str, str], ...]:
    """The case page's list of what can be done, for the signed-in person."""
    if case["status"] != "open":
        return ()
    if current_user.role in ("manager", "admin") and case["worker_id"] is not None:
        return ACTIONS + MANAGER_ACTIONS
    return ACTIONS


def _indicator_label(code: str) -> str:
    spec = settings()["scoring"]["indicators"].get(code)
    return spec["label"] if spec else code.replace("_", " ").capitalize()
