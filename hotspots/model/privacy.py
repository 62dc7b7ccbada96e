"""What personal data the service holds, where, and about whom: the register the privacy notice
is written from (``templates/help/privacy.html``).

Every column of every table is accounted for, either here or in ``NOT_PERSONAL``;
``tests/test_privacy.py`` checks that against the migrated schema, so a column added to hold
something about a person (a child's NHS number, a reviewer's reason) cannot arrive without the
notice saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Held:
    """One kind of personal data: whom it is about, what it is in words, and where it is."""

    about: str
    what: str
    columns: tuple[str, ...]


ABOUT_CHILDREN = "children and their families"
ABOUT_STAFF = "staff"

REGISTER = (
    Held(
        ABOUT_CHILDREN,
        "the case reference, the child's initials and date of birth (or, for a child not yet "
        "born, the expected date; shown only as an age), and the team, worker, opening and "
        "closing dates and visit dates of the case",
        (
            "cases.case_ref",
            "cases.birth_status",
            "cases.initials",
            "cases.date_of_birth",
            "cases.opened_on",
            "cases.closed_on",
            "cases.last_visit_on",
            "cases.worker_id",
            "allocations.case_id",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "the child's NHS number, when the case system or a partner's notification gives it: "
        "it matches partners' notifications to the right child. Partners' notifications about "
        "a child no case matches yet wait, with the NHS number and the case reference they "
        "sent, in a queue only managers and admins see (every look at one is audited)",
        (
            "cases.nhs_number",
            "unmatched_observations.nhs_number",
            "unmatched_observations.case_ref",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "the risk indicators recorded about the household (some about health, such as mental "
        "ill health or substance use), with the agency that reported each and any note",
        (
            "observations.indicator",
            "observations.observed_on",
            "observations.source",
            "observations.note",
            "observations.status_reason",
            "unmatched_observations.indicator",
            "unmatched_observations.observed_on",
            "unmatched_observations.note",
            "unmatched_observations.dismiss_reason",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "the enquiries asked (about domestic abuse and the parents' own childhood) and their "
        "outcomes, visits and whether the child was seen, with notes",
        (
            "enquiries.topic",
            "enquiries.asked_on",
            "enquiries.outcome",
            "enquiries.entered_in_error_reason",
            "visits.visited_on",
            "visits.child_seen",
            "visits.seen_alone",
            "visits.note",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "each case's score, its parts (whether it matches the pattern the safeguarding review "
        "found among them) and its history, practitioners' adjustments with their "
        "reasons, and reviews: the decision (to act, or to disagree with the score, with the "
        "reason), the score as it was reviewed, and the actions agreed, with who does each, "
        "by when and what happened",
        (
            "scores.score",
            "scores.band",
            "scores.contributions",
            "scores.practice_gaps",
            "scores.current_concerns",
            "scores.review_pattern",
            "score_history.score",
            "score_history.band",
            "adjustments.points",
            "adjustments.reason",
            "adjustments.withdrawn_reason",
            "reviews.plan",
            "reviews.decision",
            "reviews.disagree_reason",
            "reviews.entered_in_error_reason",
            "reviews.score",
            "reviews.band",
            "review_contributions.code",
            "review_contributions.points",
            "review_contributions.disagreed",
            "actions.kind",
            "actions.description",
            "actions.due_on",
            "actions.outcome",
            "allocations.reason",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "for equality monitoring only: the child's sex, ethnicity and whether the child has a "
        "disability, from the council's own records. They are never part of a score, appear "
        "in no email or list, and are counted only in groups of 10 or more (the fairness "
        "report); the case page shows them, folded away",
        (
            "child_characteristics.case_id",
            "child_characteristics.sex",
            "child_characteristics.ethnicity",
            "child_characteristics.disability",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "when someone disputes a record about them (what it says, or that a notification is "
        "about their child): who disputes it (a parent or carer, the child, someone acting for "
        "them), what they say, when they raised it, and the worker's decision with the reason; "
        "the record counts towards no score until a worker decides",
        (
            "disputes.observation_id",
            "disputes.case_ref",
            "disputes.kind",
            "disputes.disputed_by",
            "disputes.what",
            "disputes.received_on",
            "disputes.decision",
            "disputes.decision_reason",
            "disputes.status_reason_before",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "serious incidents (a child who died or was seriously harmed, abuse or neglect known or "
        "suspected), for the safeguarding partnership: the day it happened, the days the "
        "authority became aware, notified the national Panel and held the rapid review, the "
        "partnership's reference and a short summary, and a copy of the child's scores in the "
        "days before it, kept with it",
        (
            "serious_incidents.reference",
            "serious_incidents.occurred_on",
            "serious_incidents.known_on",
            "serious_incidents.abuse_or_neglect",
            "serious_incidents.summary",
            "serious_incidents.panel_notified_on",
            "serious_incidents.rapid_review_on",
            "incident_children.case_id",
            "incident_children.harm",
            "incident_score_history.score",
            "incident_score_history.band",
        ),
    ),
    Held(
        ABOUT_CHILDREN,
        "what someone typed into a case's form when their session had ended, for a day, to put "
        "back after they sign in again; and the reports of imports, row by row",
        ("form_drafts.data", "import_reports.report", "import_reports.file_name"),
    ),
    Held(
        ABOUT_STAFF,
        "name, work email address, role and team; a password only as a one-way hash; whether "
        "the account is disabled",
        (
            "staff.name",
            "staff.email",
            "staff.role",
            "staff.team_id",
            "staff.password_hash",
            "staff.disabled_at",
        ),
    ),
    Held(
        ABOUT_STAFF,
        "who recorded, reviewed, owns or moved what, and when, and whose caseload each case "
        "was in on each day of its score history",
        (
            "observations.recorded_by_id",
            "observations.status_changed_by_id",
            "enquiries.recorded_by_id",
            "enquiries.entered_in_error_by_id",
            "visits.recorded_by_id",
            "adjustments.made_by_id",
            "adjustments.withdrawn_by_id",
            "reviews.reviewed_by_id",
            "reviews.entered_in_error_by_id",
            "actions.owner_id",
            "actions.created_by_id",
            "actions.closed_by_id",
            "allocations.from_worker_id",
            "allocations.to_worker_id",
            "allocations.made_by_id",
            "unmatched_observations.resolved_by_id",
            "password_links.created_by_id",
            "disputes.recorded_by_id",
            "disputes.decided_by_id",
            "disputes.status_changed_by_id_before",
            "serious_incidents.recorded_by_id",
            "incident_children.recorded_by_id",
            "score_history.worker_id",
        ),
    ),
    Held(
        ABOUT_STAFF,
        "an audit log of what each person viewed and changed, with the address their browser "
        "signed in from; sessions (only a one-way hash of each token); for a few minutes, "
        "failed sign-ins (the email typed only as a one-way hash, and the address); and the "
        "mail server's answer when a manager's digest could not be sent",
        (
            "audit_log.actor_id",
            "audit_log.actor_email",
            "audit_log.action",
            "audit_log.case_ref",
            "audit_log.detail",
            "audit_log.at",
            "sessions.staff_id",
            "sessions.token_hash",
            "sessions.started_at",
            "sessions.ended_at",
            "sign_in_failures.account_hash",
            "sign_in_failures.client",
            "password_links.staff_id",
            "password_links.token_hash",
            "digests.manager_id",
            "digests.last_error",
        ),
    ),
)

# Columns that hold nothing about a person: ids, dates a record was made, states, counts, and
# the scoring's own working tables. ``table.*``: a whole table.
NOT_PERSONAL = frozenset(
    {
        "_sqlite_migrations.*",
        "child_characteristics.recorded_from",
        "child_characteristics.recorded_at",
        "disputes.id",
        "disputes.recorded_at",
        "disputes.decided_at",
        "disputes.partner_id",
        "disputes.partner_ref",
        "disputes.status_before",
        "disputes.status_changed_at_before",
        "agency_days.*",
        "indicator_sums.*",
        "indicator_sums_half_lives.*",
        "indicator_sums_stale.*",
        "rescore_queue.*",
        "scoring_state.*",
        "partner_rate.*",
        "partners.*",
        "partner_tokens.*",
        "teams.*",
        "actions.id",
        "actions.case_id",
        "actions.review_id",
        "actions.created_at",
        "actions.state",
        "actions.closed_at",
        "adjustments.id",
        "adjustments.case_id",
        "adjustments.expires_on",
        "adjustments.made_at",
        "adjustments.withdrawn_at",
        "adjustments.expires_on_as_made",
        "allocations.id",
        "allocations.made_at",
        "audit_log.id",
        "cases.id",
        "cases.team_id",
        "cases.visit_every_days",
        "cases.status",
        "digests.id",
        "digests.digest_date",
        "digests.status",
        "digests.claimed_at",
        "digests.claimed_by",
        "digests.attempts",
        "digests.sent_at",
        "digests.subject",
        "digests.message_id",
        "enquiries.id",
        "enquiries.case_id",
        "enquiries.recorded_at",
        "enquiries.entered_in_error_at",
        "form_drafts.id",
        "form_drafts.staff_id",
        "form_drafts.path",
        "form_drafts.saved_at",
        "import_reports.audit_id",
        "import_reports.kind",
        "import_reports.outcome",
        "observations.id",
        "observations.external_id",
        "observations.case_id",
        "observations.status",
        "observations.recorded_at",
        "observations.status_changed_at",
        "observations.partner_id",
        "observations.partner_ref",
        "password_links.id",
        "password_links.created_at",
        "password_links.expires_at",
        "password_links.used_at",
        "review_contributions.review_id",
        "review_contributions.kind",
        "review_contributions.label",
        "reviews.id",
        "reviews.case_id",
        "reviews.reviewed_at",
        "reviews.entered_in_error_at",
        "reviews.model_version",
        "score_history.case_id",
        "score_history.day",
        "score_history.model_version",
        "scores.case_id",
        "scores.as_of",
        "scores.model_version",
        "scores.computed_at",
        "scores.worker_id",
        "serious_incidents.id",
        "serious_incidents.recorded_at",
        "incident_children.id",
        "incident_children.incident_id",
        "incident_children.recorded_at",
        "incident_score_history.child_id",
        "incident_score_history.day",
        "incident_score_history.model_version",
        "sessions.id",
        "sessions.expires_at",
        "sessions.ended_reason",
        "sign_in_failures.id",
        "sign_in_failures.at",
        "staff.id",
        "unmatched_observations.id",
        "unmatched_observations.partner_id",
        "unmatched_observations.partner_ref",
        "unmatched_observations.status",
        "unmatched_observations.received_at",
        "unmatched_observations.why",
        "unmatched_observations.state",
        "unmatched_observations.observation_id",
        "unmatched_observations.resolved_at",
        "visits.id",
        "visits.case_id",
        "visits.recorded_at",
    }
)


def held_about(about: str) -> list[Held]:
    return [held for held in REGISTER if held.about == about]


def unaccounted(columns: Iterable[str]) -> list[str]:
    """The ``table.column`` names neither in the register nor known to hold nothing personal."""
    known = {c for held in REGISTER for c in held.columns} | NOT_PERSONAL
    return sorted(c for c in columns if c not in known and f"{c.split('.')[0]}.*" not in known)
