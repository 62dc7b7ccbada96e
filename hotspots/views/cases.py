"""The case page: how the score is built, the indicator timeline, enquiries, reviews and
adjustments, and the forms that change them.

Every view of a case is audited (``view_case``), as is every change. A change marks the case
for rescoring (the schema's triggers do it in the same transaction), rescores it at once and
redirects back to the case, so the new score and rank show straight away.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from hotspots import audit, auth
from hotspots.dates import stamp
from hotspots.db import get_db
from hotspots.forms import (
    ENQUIRY_OUTCOMES,
    ENQUIRY_TOPICS,
    AdjustmentForm,
    EnquiryForm,
    ObservationForm,
    ObservationStatusForm,
    ReviewForm,
    error_list,
)
from hotspots.storage import fetch_all, fetch_one, write_transaction
from hotspots.storage.web import (
    ADJUSTMENTS_FOR_CASE_SQL,
    CHANGE_OBSERVATION_STATUS_SQL,
    ENQUIRIES_FOR_CASE_SQL,
    ENQUIRY_EXISTS_SQL,
    HISTORY_FOR_CASE_SQL,
    INSERT_ADJUSTMENT_SQL,
    INSERT_ENQUIRY_SQL,
    INSERT_OBSERVATION_SQL,
    INSERT_REVIEW_SQL,
    OBSERVATION_INDICATOR_SQL,
    OBSERVATIONS_FOR_CASE_SQL,
    REVIEWS_FOR_CASE_SQL,
)
from hotspots.views import clock, contributions_of, present, settings

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.route("/<case_ref>")
@login_required
def case(case_ref: str):
    """The case page."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    return _render_case(found, now)


@bp.route("/<case_ref>/observations", methods=["POST"])
@login_required
def record_observation(case_ref: str):
    """Record an observation of an indicator."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    form = ObservationForm(settings=settings(), today=now.date())
    if not form.validate_on_submit():
        return _render_case(found, now, observation_form=form, status=400)
    indicator = form.indicator.data

    def write(db):
        db.execute(
            INSERT_OBSERVATION_SQL,
            {
                "external_id": f"web:{uuid.uuid4()}",
                "case_id": found["id"],
                "indicator": indicator,
                "observed_on": form.observed_on.data.isoformat(),
                "source": form.source.data,
                "recorded_by_id": current_user.id,
                "note": (form.note.data or "").strip(),
                "recorded_at": stamp(now),
            },
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


@bp.route("/<case_ref>/enquiries", methods=["POST"])
@login_required
def record_enquiry(case_ref: str):
    """Record a screening question asked and its outcome."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    form = EnquiryForm(today=now.date())
    valid = form.validate_on_submit()
    if valid:
        params = {
            "case_id": found["id"],
            "topic": form.topic.data,
            "asked_on": form.asked_on.data.isoformat(),
        }
        if fetch_one(db, ENQUIRY_EXISTS_SQL, params):
            form.asked_on.errors.append(
                "This enquiry is already recorded for that day: choose another date"
            )
            valid = False
    if not valid:
        return _render_case(found, now, enquiry_form=form, status=400)

    def write(db):
        db.execute(
            INSERT_ENQUIRY_SQL,
            {
                **params,
                "outcome": form.outcome.data,
                "recorded_by_id": current_user.id,
                "recorded_at": stamp(now),
            },
        )

    try:
        return _change(
            found,
            now,
            write,
            action="record_enquiry",
            detail=f"topic={form.topic.data} asked_on={params['asked_on']} "
            f"outcome={form.outcome.data}",
            message=f"Enquiry recorded: {ENQUIRY_TOPICS[form.topic.data]}.",
        )
    except sqlite3.IntegrityError:
        # The same enquiry sent twice at once (a double click): the second is refused by the
        # table's UNIQUE (case, topic, day) and rolled back whole, audit row included.
        form.asked_on.errors.append(
            "This enquiry is already recorded for that day: choose another date"
        )
        return _render_case(found, now, enquiry_form=form, status=400)


@bp.route("/<case_ref>/adjustments", methods=["POST"])
@login_required
def add_adjustment(case_ref: str):
    """A practitioner's adjustment to the score, with a reason and an expiry date."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    form = AdjustmentForm(today=now.date())
    if not form.validate_on_submit():
        return _render_case(found, now, adjustment_form=form, status=400)
    points = form.points.value

    def write(db):
        db.execute(
            INSERT_ADJUSTMENT_SQL,
            {
                "case_id": found["id"],
                "points": points,
                "reason": form.reason.data.strip(),
                "expires_on": form.expires_on.data.isoformat(),
                "made_by_id": current_user.id,
                "made_at": stamp(now),
            },
        )

    return _change(
        found,
        now,
        write,
        action="add_adjustment",
        detail=f"points={points:+g} expires_on={form.expires_on.data.isoformat()}",
        message=f"Adjustment of {points:+g} points added until "
        f"{present.long_date(form.expires_on.data)}.",
    )


@bp.route("/<case_ref>/reviews", methods=["POST"])
@login_required
def mark_reviewed(case_ref: str):
    """Mark the case reviewed, with a plan."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_case(found, now, review_form=form, status=400)

    def write(db):
        db.execute(
            INSERT_REVIEW_SQL,
            {
                "case_id": found["id"],
                "reviewed_by_id": current_user.id,
                "reviewed_at": stamp(now),
                "plan": form.plan.data.strip(),
            },
        )

    return _change(
        found, now, write, action="mark_reviewed", detail="", message="Case marked as reviewed."
    )


@bp.route("/<case_ref>/observations/<int:observation_id>/status", methods=["GET", "POST"])
@login_required
def change_observation_status(case_ref: str, observation_id: int):
    """Resolve or refute an observation, with a reason. Nothing is ever deleted: the
    observation stays in the timeline and stops counting."""
    db = get_db()
    now = clock()
    found = auth.case_for_user(db, current_user, case_ref, now=now)
    observation = fetch_one(
        db, OBSERVATION_INDICATOR_SQL, {"id": observation_id, "case_id": found["id"]}
    )
    if observation is None or observation["status"] != "current":
        return render_template("errors/404.html"), 404
    form = ObservationStatusForm()
    label = _indicator_label(observation["indicator"])
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template(
            "cases/observation_status.html",
            case=found,
            observation_id=observation_id,
            label=label,
            form=form,
            errors=error_list(form),
        ), status
    new_status = form.status.data

    def write(db):
        changed = db.execute(
            CHANGE_OBSERVATION_STATUS_SQL,
            {
                "id": observation_id,
                "case_id": found["id"],
                "status": new_status,
                "reason": form.reason.data.strip(),
                "changed_at": stamp(now),
                "changed_by_id": current_user.id,
            },
        ).rowcount
        if changed != 1:
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


def _change(case: dict, now: datetime, write, *, action: str, detail: str, message: str):
    """Write a change (its triggers mark the case), audit it and rescore it: all or nothing.
    Then back to the case page, where the new score shows."""
    from hotspots import rescoring

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
        score = rescoring.rescore_case(db, case["id"], settings(), as_of=now.date(), now=now)
    flash(f"{message} {_score_sentence(score)}", "success")
    return redirect(url_for("cases.case", case_ref=case["case_ref"]))


def _score_sentence(score: dict[str, Any] | None) -> str:
    if not score:
        return ""
    words = present.band(score.get("band"))["text"]
    sentence = f"The score is now {score['score']:.1f} ({words})"
    if score.get("rank") is not None:
        sentence += f", rank {score['rank']} in the caseload"
    return sentence + "."


def _render_case(case: dict, now: datetime, *, status: int = 200, **forms):
    """The case page, with any form that failed validation in place of a blank one. Every
    showing of it is audited as ``view_case``."""
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
    observation_form = forms.get("observation_form") or ObservationForm(
        formdata=None, settings=config, today=today
    )
    enquiry_form = forms.get("enquiry_form") or EnquiryForm(formdata=None, today=today)
    adjustment_form = forms.get("adjustment_form") or AdjustmentForm(formdata=None, today=today)
    review_form = forms.get("review_form") or ReviewForm(formdata=None)
    failed = next(iter(forms.values()), None)

    history = fetch_all(
        db,
        HISTORY_FOR_CASE_SQL,
        {
            "case_id": case["id"],
            "since": (today - timedelta(days=present.SPARKLINE_DAYS)).isoformat(),
            "as_of": today.isoformat(),
        },
    )
    week_ago = (today - timedelta(days=present.TREND_DAYS)).isoformat()
    earlier = [h["score"] for h in history if h["day"] <= week_ago]
    contributions = present.ordered(contributions_of(db, case))
    observations = [
        {
            **o,
            "label": _indicator_label(o["indicator"]),
            "source_words": o["source"].replace("_", " ").capitalize(),
            "status_words": {"current": "Current", "resolved": "Resolved", "refuted": "Refuted"}[
                o["status"]
            ],
        }
        for o in fetch_all(db, OBSERVATIONS_FOR_CASE_SQL, {"case_id": case["id"]})
    ]
    enquiries = [
        {
            **e,
            "topic_words": ENQUIRY_TOPICS.get(e["topic"], e["topic"]),
            "outcome_words": ENQUIRY_OUTCOMES.get(e["outcome"], e["outcome"]),
        }
        for e in fetch_all(db, ENQUIRIES_FOR_CASE_SQL, {"case_id": case["id"]})
    ]
    adjustments = [
        {**a, "active": a["expires_on"] >= today.isoformat()}
        for a in fetch_all(db, ADJUSTMENTS_FOR_CASE_SQL, {"case_id": case["id"]})
    ]
    due = present.next_visit_due(case["last_visit_on"], case["opened_on"], case["visit_every_days"])
    return render_template(
        "cases/case.html",
        case=case,
        age=present.age_text(case["date_of_birth"], today),
        band=present.band(case["band"]),
        trend=present.trend(case["score"], earlier[-1] if earlier else None),
        sparkline=present.sparkline([(h["day"], h["score"]) for h in history], today),
        contributions=contributions,
        contributions_total=sum(float(c.get("points") or 0) for c in contributions),
        kind_words=present.KIND_WORDS,
        observations=observations,
        enquiries=enquiries,
        reviews=fetch_all(db, REVIEWS_FOR_CASE_SQL, {"case_id": case["id"]}),
        adjustments=adjustments,
        next_visit_due=present.long_date(due),
        visit_overdue=due < today,
        long_date=present.long_date,
        observation_form=observation_form,
        enquiry_form=enquiry_form,
        adjustment_form=adjustment_form,
        review_form=review_form,
        fields={
            name: _form_fields(name, form, blank=form is not failed)
            for name, form in (
                ("observation", observation_form),
                ("enquiry", enquiry_form),
                ("adjustment", adjustment_form),
                ("review", review_form),
            )
        },
        form=failed,
        errors=error_list(failed) if failed else [],
    ), status


def _form_fields(name: str, form, *, blank: bool) -> Markup:
    """The form's fields as HTML. A blank form's fields are the same for every case and
    every person (the CSRF token and the action are outside them), and the GOV.UK macros
    are most of a case page's rendering time, so they are rendered once per app."""
    template = f"cases/fields/{name}.html"
    if not blank:
        return Markup(render_template(template, form=form))
    cache = current_app.extensions.setdefault("hotspots_blank_form_fields", {})
    if name not in cache:
        cache[name] = Markup(render_template(template, form=form))
    return cache[name]


def _indicator_label(code: str) -> str:
    spec = settings()["scoring"]["indicators"].get(code)
    return spec["label"] if spec else code.replace("_", " ").capitalize()
