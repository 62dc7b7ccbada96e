"""The pages about the service: how scores work (built from the live settings), help and
contact, the accessibility statement and the privacy notice."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, Response, render_template, url_for
from flask_login import login_required

from hotspots.base.dates import parse_date
from hotspots.model import privacy as register
from hotspots.model import scoring
from hotspots.web import present
from hotspots.web.context import settings
from hotspots.web.forms import ADJUSTMENT_MAX_POINTS

bp = Blueprint("help", __name__)

# security.txt expires this long after [service] security_contact_reviewed_on: RFC 9116 asks
# for less than a year ahead, so a contact nobody has checked for a year reads as stale.
SECURITY_TXT_DAYS = 364

# [scoring] repeat_fraction in words.
FRACTIONS = {1.0: "all of", 0.75: "three quarters of", 0.5: "half", 0.25: "a quarter of"}

# What each practice gap means, for the "How scores work" page (the points come from
# [scoring.practice_gaps]; the labels from hotspots.model.scoring.GAP_LABELS).
GAP_MEANINGS = {
    "no_domestic_abuse_enquiry": (
        "No routine domestic abuse enquiry recorded once {due} days have passed since the "
        "case opened (an enquiry that could not be asked safely does not count as asked)."
    ),
    "parental_childhood_not_explored": (
        "No enquiry about the parents' own childhood recorded (an enquiry that could not be "
        "asked does not count)."
    ),
    "visit_overdue": "The last visit is older than the case's visit frequency.",
    "unallocated": "The case has no allocated worker; it shows on the manager's team page.",
}


@bp.route("/how-scores-work")
@login_required
def how_scores_work():
    """The scoring model in plain words, from the settings in force."""
    model = settings()["scoring"]
    gaps = model["practice_gaps"]
    return render_template(
        "help/how_scores_work.html",
        model=model,
        indicators=[
            {
                "label": spec["label"],
                "weight": spec["weight"],
                "fading": present.half_life_words(int(spec["half_life_days"])),
                "worked_out": scoring.derived_text(code, model),
            }
            for code, spec in model["indicators"].items()
        ],
        combinations=[
            {"label": scoring.COMBINATION_LABELS.get(code, code), "points": points}
            for code, points in model["combinations"].items()
        ],
        gaps=[
            {
                "label": label,
                "points": gaps[code],
                "meaning": GAP_MEANINGS[code].format(due=gaps["domestic_abuse_enquiry_due_days"]),
            }
            for code, label in scoring.GAP_LABELS.items()
            if code in gaps
        ],
        pattern_features=[_label(model, code) for code in model["review_pattern"]["features"]],
        pattern_core=" or ".join(
            _label(model, code).lower() for code in model["review_pattern"]["core_features"]
        ),
        repeat_words=FRACTIONS.get(model["repeat_fraction"], f"{model['repeat_fraction']:g} times"),
        bands=present.BANDS,
        max_points=ADJUSTMENT_MAX_POINTS,
        trend_days=present.TREND_DAYS,
        unreviewed_after_days=settings()["digest"]["unreviewed_after_days"],
        model_version=scoring.model_version(model),
    )


def _label(model, code: str) -> str:
    return model["indicators"].get(code, {}).get("label", code)


@bp.route("/help")
def help_page():
    """Help and contact."""
    return render_template("help/help.html", service=settings()["service"])


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement."""
    service = settings()["service"]
    return render_template(
        "help/accessibility.html",
        service=service,
        reviewed_on=present.long_date(service["accessibility_reviewed_on"]),
    )


@bp.route("/privacy")
def privacy():
    """The privacy notice: what is held, why, for how long, and who to contact."""
    return render_template(
        "help/privacy.html",
        service=settings()["service"],
        about_children=register.held_about(register.ABOUT_CHILDREN),
        about_staff=register.held_about(register.ABOUT_STAFF),
        idle_minutes=settings()["app"]["session_idle_minutes"],
        absolute_hours=settings()["security"]["session_absolute_hours"],
        outbox_days=settings()["retention"]["outbox_days"],
    )


@bp.route("/.well-known/security.txt")
def security_txt():
    """Where to report a security problem, as RFC 9116 says to publish it: the contact from
    [service] security_contact, expiring a year after it was last reviewed."""
    service = settings()["service"]
    reviewed = parse_date(service["security_contact_reviewed_on"])
    expires = datetime.combine(reviewed + timedelta(days=SECURITY_TXT_DAYS), time(), UTC)
    lines = [
        f"# How to report a security problem in {service['organisation']}'s caseload hotspots",
        f"Contact: {contact_uri(service['security_contact'])}",
        f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}",
        "Preferred-Languages: en",
        # The service's own address, as every link it publishes (never the Host asked for).
        f"Canonical: {settings()['app']['base_url'].rstrip('/')}{url_for('help.security_txt')}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


def contact_uri(contact: str) -> str:
    """[service] security_contact as security.txt's Contact: a URI (an email address gets
    mailto:)."""
    return contact if ":" in contact else f"mailto:{contact}"
