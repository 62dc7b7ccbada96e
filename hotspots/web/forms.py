"""The service's forms: Flask-WTF (a CSRF token on every one) with GOV.UK widgets.

Error messages follow the GOV.UK pattern: they say what to do ("Enter …", "Choose …").
Checks that need today's date take ``today`` as an argument; the view reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import PasswordField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from hotspots.base.config import recordable_indicators
from hotspots.base.params import parse_date_parts, person_name_problem
from hotspots.model.rules import ACTION_KINDS, ACTION_OUTCOMES, DECISIONS
from hotspots.services.passwords import MIN_LENGTH, password_problem, service_words
from hotspots.web.present import long_date, source_words

ENQUIRY_TOPICS = {
    "domestic_abuse": "Routine domestic abuse enquiry",
    "parental_childhood": "Parents' own childhood (adverse childhood experiences)",
}
ENQUIRY_OUTCOMES = {
    "disclosed": "Disclosed",
    "not_disclosed": "Nothing disclosed",
    "unable_to_ask": "Unable to ask safely",
}
OBSERVATION_STATUSES = {
    "resolved": "Resolved – it no longer applies",
    "refuted": "Refuted – it was recorded in error or was not true",
}
VISIT_OUTCOMES = {
    "seen_alone": "Yes, and the child was seen alone",
    "seen_not_alone": "Yes, but not alone",
    "not_seen": "No, the child was not seen",
}
# How long before a child's date of birth anything about the case can be dated (a pregnancy):
# an earlier date is a typing mistake, never a fact (1 January 1900 once closed a practice gap).
BEFORE_BIRTH_DAYS = 280
# Adjustment points as a person types them: a plain decimal, at most two places (no 1e1, inf).
POINTS_PATTERN = re.compile(r"[+-]?[0-9]+(\.[0-9]{1,2})?")
# An adjustment is a temporary judgement: it must expire within a year (latest_expiry).
ADJUSTMENT_MAX_POINTS = 20.0
NOTE_MAX = 2000


class NoteArea(GovCharacterCount):
    """A text area that says its limit before anything is sent, and counts down as one types
    (the GOV.UK character count): the limit is never a surprise after submitting."""

    def __init__(self, maxlength: int = NOTE_MAX):
        self.maxlength = maxlength

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("maxlength", self.maxlength)
        return params


def _choices(words: Mapping[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in words.items()]


def required_text(missing: str, noun: str = "reason") -> list:
    """The validators of a free-text answer the person must give: present, not only spaces
    (both say ``missing``), and at most NOTE_MAX characters."""
    return [
        InputRequired(missing),
        Length(max=NOTE_MAX, message=f"The {noun} must be {NOTE_MAX} characters or fewer"),
        NotBlank(missing),
    ]


class NotBlank:
    """Refuses a value that is only spaces (InputRequired lets it through), with ``message``."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(self.message)


class GovDateField(Field):
    """A date as three boxes (day, month, year), the GOV.UK date input. ``data`` is a
    ``datetime.date`` or None; the messages name the field."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, *, noun: str = "the date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.noun = noun

    def _value(self) -> str:
        return ""

    def process_formdata(self, valuelist):
        if not valuelist:
            # Not posted at all: shown again as three empty boxes (the widget unpacks
            # raw_data into day, month and year when it is set).
            self.raw_data = None
            return
        parts = [v.strip() for v in valuelist[:3]] + [""] * (3 - len(valuelist[:3]))
        self.raw_data = parts
        if not any(parts):
            self.data = None
            return
        names = ("day", "month", "year")
        missing = [name for name, value in zip(names, parts, strict=True) if not value]
        if missing:
            self.data = None
            raise ValueError(f"{self.noun.capitalize()} must include a {' and '.join(missing)}")
        try:
            self.data = parse_date_parts(*parts)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.noun.capitalize()} must be a real date") from None


class DateRequired:
    """Like InputRequired for a GovDateField (which keeps all three boxes' raw data)."""

    def __init__(self, message: str):
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if field.data is None and not field.errors and not any(field.raw_data or []):
            raise ValidationError(self.message)


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password"), Length(max=1024)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ObservationForm(FlaskForm):
    """Record one observation of an indicator."""

    indicator = SelectField(
        "Indicator",
        widget=GovSelect(),
        validators=[InputRequired("Choose the indicator you observed")],
        invalid_choice_message="Choose the indicator you observed",
    )
    observed_on = GovDateField(
        "Date observed",
        description="For example, 27 3 2026",
        noun="the date observed",
        validators=[DateRequired("Enter the date observed")],
    )
    source = SelectField(
        "Source agency",
        widget=GovSelect(),
        validators=[InputRequired("Choose the agency the information came from")],
        invalid_choice_message="Choose the agency the information came from",
    )
    note = TextAreaField(
        "Note (optional)",
        widget=NoteArea(),
        description="What was seen or reported. No names of other people.",
        validators=[
            Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX} characters or fewer")
        ],
    )
    submit = SubmitField("Record observation", widget=GovSubmitInput())

    def __init__(
        self,
        *args,
        settings: Mapping[str, Any],
        today: dt.date,
        earliest: dt.date | None = None,
        **kwargs,
    ):
        super().__init__(*args, prefix="observation", **kwargs)
        self.today = today
        self.earliest = earliest
        indicators = settings["scoring"]["indicators"]
        self.indicator.choices = [SelectChoice("", "Choose an indicator")] + [
            SelectChoice(code, indicators[code]["label"])
            for code in recordable_indicators(settings)
        ]
        self.source.choices = [SelectChoice("", "Choose a source")] + [
            SelectChoice(code, source_words(code)) for code in settings["import"]["sources"]
        ]

    def validate_observed_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError("The date observed must be today or in the past")
        _not_before(field, self.earliest, "The date observed")


class EnquiryForm(FlaskForm):
    """Record a screening question asked, and its outcome."""

    topic = RadioField(
        "What was asked",
        widget=GovRadioInput(),
        choices=_choices(ENQUIRY_TOPICS),
        invalid_choice_message="Choose what was asked",
        validators=[InputRequired("Choose what was asked")],
    )
    asked_on = GovDateField(
        "Date asked",
        description="For example, 27 3 2026",
        noun="the date asked",
        validators=[DateRequired("Enter the date the question was asked")],
    )
    outcome = RadioField(
        "Outcome",
        widget=GovRadioInput(),
        choices=_choices(ENQUIRY_OUTCOMES),
        invalid_choice_message="Choose the outcome",
        validators=[InputRequired("Choose the outcome")],
    )
    submit = SubmitField("Record enquiry", widget=GovSubmitInput())

    def __init__(self, *args, today: dt.date, earliest: dt.date | None = None, **kwargs):
        super().__init__(*args, prefix="enquiry", **kwargs)
        self.today = today
        self.earliest = earliest

    def validate_asked_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError("The date asked must be today or in the past")
        _not_before(field, self.earliest, "The date asked")


def latest_expiry(today: dt.date) -> dt.date:
    """The latest day an adjustment made ``today`` may expire: the same day a year on (28
    February for one made on 29 February), so "within a year" is never a year and a day."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


class AdjustmentForm(FlaskForm):
    """A practitioner's adjustment: points up or down, with a reason and an expiry."""

    points = StringField(
        "Points to add or take away",
        widget=GovTextInput(),
        description=(
            "A positive number raises the case's priority, a negative one lowers it, "
            "for example 3 or -2"
        ),
        validators=[InputRequired("Enter the points to add or take away, for example 3 or -2")],
    )
    reason = TextAreaField(
        "Reason",
        widget=NoteArea(),
        description="Why your judgement differs from the recorded indicators.",
        validators=required_text("Enter the reason for the adjustment"),
    )
    expires_on = GovDateField(
        "Expiry date",
        description="The adjustment stops counting after this day. At most a year from today.",
        noun="the expiry date",
        validators=[DateRequired("Enter the expiry date")],
    )
    submit = SubmitField("Add adjustment", widget=GovSubmitInput())

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, prefix="adjustment", **kwargs)
        self.today = today

    def validate_points(self, field):
        text = (field.data or "").strip()
        if not POINTS_PATTERN.fullmatch(text):
            raise ValidationError(
                "Points must be a number with at most 2 decimal places, for example 3, -2 or 1.5"
            )
        value = float(text)
        if value == 0 or abs(value) > ADJUSTMENT_MAX_POINTS:
            raise ValidationError(
                f"Points must be between -{ADJUSTMENT_MAX_POINTS:g} and "
                f"{ADJUSTMENT_MAX_POINTS:g}, and not 0"
            )
        field.value = value

    def validate_expires_on(self, field):
        if field.data is None:
            return
        if field.data <= self.today:
            raise ValidationError("The expiry date must be in the future")
        latest = latest_expiry(self.today)
        if field.data > latest:
            raise ValidationError(
                f"The expiry date must be within a year from today: {long_date(latest)} "
                "at the latest"
            )


# Most actions a review agrees on its own page (more can be added to the case afterwards).
REVIEW_ACTION_ROWS = 3
ACTION_DESCRIPTION_MAX = 500


class ActionFields(Form):
    """One action: what, details, who will do it and by when. Checked by the form it is in
    (an empty row on the review form is no action, not an error)."""

    kind = SelectField("What needs to be done", widget=GovSelect(), validate_choice=False)
    description = TextAreaField(
        "Details",
        widget=NoteArea(ACTION_DESCRIPTION_MAX),
        description="Needed for another action. No names of other people: the digest never "
        "shows these details, only what kind of action it is.",
    )
    owner = SelectField("Who will do it", widget=GovSelect(), validate_choice=False)
    due_on = GovDateField("Due by", description="For example, 27 3 2026", noun="the due date")

    def filled(self) -> bool:
        return bool(
            self.kind.data
            or (self.description.data or "").strip()
            or any(self.due_on.raw_data or [])
        )

    def check(
        self, *, owners: set[str], today: dt.date, first: bool, number: int | None = None
    ) -> bool:
        """Check a filled row (or the first, which must be): each problem on its field, the
        messages numbering the action when there is more than one row."""
        which = f"action {number}" if number else "the action"
        ok = not self.due_on.errors
        if self.kind.data not in ACTION_KINDS:
            self.kind.errors.append(f"Choose what needs to be done for {which}")
            ok = False
        elif self.kind.data == "other" and not (self.description.data or "").strip():
            self.description.errors.append(f"Describe {which}")
            ok = False
        if len(self.description.data or "") > ACTION_DESCRIPTION_MAX:
            self.description.errors.append(
                f"The details must be {ACTION_DESCRIPTION_MAX} characters or fewer"
            )
            ok = False
        if self.owner.data not in owners:
            self.owner.errors.append(f"Choose who will do {which}")
            ok = False
        if not self.due_on.errors:
            if self.due_on.data is None:
                self.due_on.errors.append(f"Enter the date {which} is due by")
                ok = False
            elif self.due_on.data < today:
                self.due_on.errors.append(f"The due date of {which} must be today or later")
                ok = False
            elif self.due_on.data > latest_expiry(today):
                self.due_on.errors.append(
                    f"The due date of {which} must be within a year: agree a nearer step"
                )
                ok = False
        return ok

    def value(self) -> dict[str, Any]:
        """The checked row as the storage takes it."""
        return {
            "kind": self.kind.data,
            "description": (self.description.data or "").strip(),
            "owner_id": int(self.owner.data),
            "due_on": self.due_on.data.isoformat(),
        }


def _action_choices(fields: ActionFields, owners: list[Mapping[str, Any]], default_owner) -> None:
    fields.kind.choices = [SelectChoice("", "Choose an action")] + _choices(ACTION_KINDS)
    fields.owner.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(str(o["id"]), o["name"] + (" (manager)" if o["role"] == "manager" else ""))
        for o in owners
    ]
    if fields.owner.data in (None, "") and default_owner is not None:
        fields.owner.data = str(default_owner)


class ReviewForm(FlaskForm):
    """Review the case: decide (the score is advice; the person decides). Agreeing means
    agreeing actions, each with an owner and a due date; disagreeing needs the reason and
    what in the score the reviewer disagrees with."""

    decision = RadioField(
        "What do you decide?",
        widget=GovRadioInput(),
        choices=_choices(DECISIONS),
        invalid_choice_message="Choose whether you agree and act, or disagree with the score",
        validators=[InputRequired("Choose whether you agree and act, or disagree with the score")],
    )
    actions = FieldList(FormField(ActionFields), min_entries=REVIEW_ACTION_ROWS)
    disagree_reason = TextAreaField(
        "Why do you disagree?",
        widget=NoteArea(),
        description="What you know about the family that the recorded indicators do not show.",
    )
    disagreed = SelectMultipleField(
        "Which parts of the score do you disagree with?",
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )
    plan = TextAreaField(
        "Anything else agreed (optional)",
        widget=NoteArea(),
        validators=[
            Length(max=NOTE_MAX, message=f"The notes must be {NOTE_MAX} characters or fewer")
        ],
    )
    submit = SubmitField("Record the review", widget=GovSubmitInput())

    def __init__(
        self,
        *args,
        owners: list[Mapping[str, Any]],
        contributions: list[Mapping[str, Any]],
        today: dt.date,
        default_owner: int | None = None,
        **kwargs,
    ):
        super().__init__(*args, prefix="review", **kwargs)
        self.today = today
        self.owner_ids = {str(o["id"]) for o in owners}
        # The case's worker is offered as the first action's owner on a fresh form only.
        fresh = not self.is_submitted()
        for entry in self.actions:
            first = entry is self.actions[0]
            _action_choices(entry.form, owners, default_owner if first and fresh else None)
        # What the reviewer may disagree with: what adds points (the age row only scales).
        self.disagreed.choices = [
            SelectChoice(c["code"], f"{c.get('label') or c['code']} ({float(c['points']):+.1f})")
            for c in contributions
            if c.get("kind") != "age" and float(c.get("points") or 0) > 0
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.decision.data == "act":
            rows = [entry.form for entry in self.actions]
            filled = [row for row in rows if row.filled()] or rows[:1]
            for number, row in enumerate(rows, start=1):
                if row in filled:
                    ok = (
                        row.check(
                            owners=self.owner_ids,
                            today=self.today,
                            first=number == 1,
                            number=number if len(filled) > 1 else None,
                        )
                        and ok
                    )
        elif self.decision.data == "disagree":
            reason = (self.disagree_reason.data or "").strip()
            if not reason:
                self.disagree_reason.errors.append("Enter why you disagree with the score")
                ok = False
            elif len(reason) > NOTE_MAX:
                self.disagree_reason.errors.append(
                    f"The reason must be {NOTE_MAX} characters or fewer"
                )
                ok = False
            offered = {choice.value for choice in self.disagreed.choices}
            chosen = set(self.disagreed.data or [])
            if chosen - offered:
                self.disagreed.errors.append("Choose from the parts of this case's score")
                ok = False
            elif offered and not chosen:
                self.disagreed.errors.append(
                    "Choose at least one part of the score you disagree with"
                )
                ok = False
        return ok

    def agreed_actions(self) -> list[dict[str, Any]]:
        """The actions agreed (the filled rows), once the form is valid and the decision is to
        act."""
        if self.decision.data != "act":
            return []
        return [entry.form.value() for entry in self.actions if entry.form.filled()]


class ActionForm(FlaskForm):
    """Add one action about a case, outside a review (agreed in supervision, say)."""

    action = FormField(ActionFields)
    submit = SubmitField("Add the action", widget=GovSubmitInput())

    def __init__(
        self, *args, owners: list[Mapping[str, Any]], today: dt.date, default_owner=None, **kwargs
    ):
        super().__init__(*args, prefix="add", **kwargs)
        self.today = today
        self.owner_ids = {str(o["id"]) for o in owners}
        _action_choices(self.action.form, owners, None if self.is_submitted() else default_owner)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.action.form.check(owners=self.owner_ids, today=self.today, first=True) and ok


class CloseActionForm(FlaskForm):
    """Close an action: done or not done, and what happened (always)."""

    state = RadioField(
        "Was it done?",
        widget=GovRadioInput(),
        choices=_choices({"done": "Yes, it was done", "not_done": "No, it was not done"}),
        invalid_choice_message="Choose whether it was done",
        validators=[InputRequired("Choose whether it was done")],
    )
    outcome = TextAreaField(
        "What happened",
        widget=NoteArea(),
        description="What was found or decided, or why it was not done. No names of other people.",
        validators=required_text("Enter what happened", noun="account of what happened"),
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="close", **kwargs)


assert set(ACTION_OUTCOMES) == {"done", "not_done"}  # the choices above


class ObservationStatusForm(FlaskForm):
    """Resolve or refute an observation: it stops counting and stays in the history."""

    status = RadioField(
        "What has changed",
        widget=GovRadioInput(),
        choices=_choices(OBSERVATION_STATUSES),
        invalid_choice_message="Choose resolved or refuted",
        validators=[InputRequired("Choose resolved or refuted")],
    )
    reason = TextAreaField(
        "Reason",
        widget=NoteArea(),
        validators=required_text("Enter the reason"),
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


def _not_before(field, earliest: dt.date | None, what: str) -> None:
    if field.data and earliest and field.data < earliest:
        raise ValidationError(
            f"{what} must be on or after {long_date(earliest)}: an earlier date cannot be "
            "about this child"
        )


class VisitForm(FlaskForm):
    """Record a visit: the date, whether the child was seen (and alone), and a note."""

    visited_on = GovDateField(
        "Date of the visit",
        description="For example, 27 3 2026",
        noun="the date of the visit",
        validators=[DateRequired("Enter the date of the visit")],
    )
    seen = RadioField(
        "Was the child seen?",
        widget=GovRadioInput(),
        choices=_choices(VISIT_OUTCOMES),
        invalid_choice_message="Choose whether the child was seen",
        validators=[InputRequired("Choose whether the child was seen")],
    )
    note = TextAreaField(
        "Note (optional)",
        widget=NoteArea(),
        description="What you saw and did. No names of other people.",
        validators=[
            Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX} characters or fewer")
        ],
    )
    submit = SubmitField("Record visit", widget=GovSubmitInput())

    def __init__(self, *args, today: dt.date, earliest: dt.date, **kwargs):
        super().__init__(*args, prefix="visit", **kwargs)
        self.today = today
        self.earliest = earliest

    def validate_visited_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError("The date of the visit must be today or in the past")
        if field.data and field.data < self.earliest:
            raise ValidationError(
                f"The date of the visit must be on or after {long_date(self.earliest)}, "
                "when the case opened"
            )


class WithdrawAdjustmentForm(FlaskForm):
    """Withdraw the adjustment in force before its expiry, with a reason."""

    reason = TextAreaField(
        "Why are you withdrawing it?",
        widget=NoteArea(),
        validators=required_text("Enter why you are withdrawing the adjustment"),
    )
    submit = SubmitField("Withdraw adjustment", widget=GovSubmitInput())


class EnteredInErrorForm(FlaskForm):
    """Mark an enquiry or a review as entered in error, with a reason. It stays in the
    history and counts for nothing."""

    reason = TextAreaField(
        "What was wrong with it?",
        widget=NoteArea(),
        validators=required_text("Enter what was wrong with it"),
    )
    submit = SubmitField("Mark as entered in error", widget=GovSubmitInput())


# A family's correction route (hotspots.storage.disputes): who disputes a record, what of it,
# and a worker's decision.
DISPUTE_KINDS = {
    "record": "What the record says is wrong",
    "match": "The notification is not about this child at all",
}
DISPUTED_BY = {
    "parent_or_carer": "A parent or carer",
    "child_or_young_person": "The child or young person",
    "representative": "Someone acting for them (an advocate, a solicitor)",
    "other": "Someone else the record is about",
}
DISPUTE_DECISIONS = {
    "upheld": "The record stands – it counts again as it did before",
    "corrected": "The record is wrong – it is refuted and stops counting",
}


class DisputeForm(FlaskForm):
    """An admin records that a person disputes a record: who, which way, what they say, and
    when they raised it. The record counts towards no score until a worker decides."""

    kind = RadioField(
        "What is disputed?",
        widget=GovRadioInput(),
        choices=_choices(DISPUTE_KINDS),
        invalid_choice_message="Choose what is disputed",
        validators=[InputRequired("Choose what is disputed")],
    )
    disputed_by = RadioField(
        "Who disputes it?",
        widget=GovRadioInput(),
        choices=_choices(DISPUTED_BY),
        invalid_choice_message="Choose who disputes it",
        validators=[InputRequired("Choose who disputes it")],
    )
    what = TextAreaField(
        "What do they say is wrong?",
        widget=NoteArea(),
        description="In their words as far as you can. No names of other people.",
        validators=required_text("Enter what they say is wrong", "description"),
    )
    received_on = GovDateField(
        "When did they raise it?",
        description="For example, 27 3 2026",
        noun="the date they raised it",
        validators=[DateRequired("Enter the date they raised it")],
    )
    submit = SubmitField("Record the dispute", widget=GovSubmitInput())

    def __init__(self, *args, today: dt.date, from_partner: bool, **kwargs):
        super().__init__(*args, prefix="dispute", **kwargs)
        self.today = today
        if not from_partner:  # only a partner's notification is matched to a child
            self.kind.choices = _choices({"record": DISPUTE_KINDS["record"]})

    def validate_received_on(self, field):
        if field.data and field.data > self.today:
            raise ValidationError("The date they raised it must be today or in the past")


class DisputeDecisionForm(FlaskForm):
    """A worker decides a dispute: the record stands, or it is wrong; with the reason."""

    decision = RadioField(
        "Your decision",
        widget=GovRadioInput(),
        choices=_choices(DISPUTE_DECISIONS),
        invalid_choice_message="Choose whether the record stands or is wrong",
        validators=[InputRequired("Choose whether the record stands or is wrong")],
    )
    reason = TextAreaField(
        "Why?",
        widget=NoteArea(),
        description="What you checked and found. The family may ask to see it.",
        validators=required_text("Enter why"),
    )
    submit = SubmitField("Save the decision", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="decision", **kwargs)


def _member_choices(members: list[Mapping[str, Any]]) -> list[SelectChoice]:
    """Members of a team to give cases to, each with the caseload they hold now."""
    return [
        SelectChoice(
            str(m["id"]),
            f"{m['name']}{' (manager)' if m['role'] == 'manager' else ''}: "
            f"{m['open_cases']} open {'case' if m['open_cases'] == 1 else 'cases'}, "
            f"{m['hotspots']} {'hotspot' if m['hotspots'] == 1 else 'hotspots'}",
        )
        for m in members
    ]


MOVE_REASON_HINT = "For example: Ann is on leave until 1 June. Recorded with the move."


class AllocateForm(FlaskForm):
    """Choose a member of the case's team (each with their caseload now); moving a case that
    a worker holds needs a reason."""

    worker = RadioField(
        "Who should the case be allocated to?",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose who the case should be allocated to")],
        invalid_choice_message="Choose who the case should be allocated to",
    )
    reason = TextAreaField("Why is it moving?", widget=NoteArea(), description=MOVE_REASON_HINT)
    submit = SubmitField("Allocate case", widget=GovSubmitInput())

    def __init__(self, members: list[Mapping[str, Any]], *args, moving: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.moving = moving
        self.worker.choices = _member_choices(members)
        if moving:
            self.worker.label.text = "Who should the case move to?"
            self.submit.label.text = "Move case"

    def validate_reason(self, field):
        if self.moving:
            for check in required_text("Enter why the case is moving"):
                check(self, field)


class MoveCasesForm(FlaskForm):
    """Move some of a worker's open cases, or all of them, to another member of the team,
    with a reason; sent twice: to check the receiving caseload, then confirmed."""

    which = RadioField(
        "Which cases?",
        widget=GovRadioInput(),
        choices=_choices({"all": "All of them (the whole caseload)", "some": "Some of them"}),
        invalid_choice_message="Choose all the cases or some of them",
        validators=[InputRequired("Choose all the cases or some of them")],
    )
    cases = SelectMultipleField(
        "Choose the cases to move", widget=GovCheckboxesInput(), validate_choice=False
    )
    worker = RadioField(
        "Who should they move to?",
        widget=GovRadioInput(),
        validators=[InputRequired("Choose who the cases should move to")],
        invalid_choice_message="Choose who the cases should move to",
    )
    reason = TextAreaField(
        "Why are they moving?",
        widget=NoteArea(),
        description=MOVE_REASON_HINT,
        validators=required_text("Enter why the cases are moving"),
    )
    confirmed = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(
        self, *args, members: list[Mapping[str, Any]], cases: list[Mapping[str, Any]], **kwargs
    ):
        super().__init__(*args, prefix="move", **kwargs)
        self.worker.choices = _member_choices(members)
        self.held = [str(c["id"]) for c in cases]
        self.cases.choices = [
            SelectChoice(
                str(c["id"]),
                c["case_ref"]
                + (f" ({c['initials']})" if c["initials"] else "")
                + (f", {c['score']:.1f}" if c["score"] is not None else ""),
            )
            for c in cases
        ]

    def validate_cases(self, field):
        if self.which.data != "some":
            return
        chosen = set(field.data or [])
        if not chosen:
            raise ValidationError("Choose at least one case to move")
        # Once confirmed, a case moved by someone else since the check is left where it is
        # (the move only takes a case from the worker who holds it) and said so.
        if chosen - set(self.held) and self.confirmed.data != "yes":
            raise ValidationError("Choose from the cases this worker holds")

    def validate_which(self, field):
        if not self.held:
            raise ValidationError("This worker holds no open cases")

    def chosen_ids(self) -> list[str]:
        if self.which.data == "all":
            return list(self.held)
        return list(dict.fromkeys(self.cases.data or []))


# Disabling someone who holds cases: the value that leaves them unallocated.
LEAVE_UNALLOCATED = "unallocated"


class DisablePersonForm(FlaskForm):
    """Disable someone; when they hold open cases, say where the cases go (another member of
    their team, or visibly unallocated) and why."""

    cases_to = RadioField(
        "Where should their open cases go?", widget=GovRadioInput(), validate_choice=False
    )
    reason = TextAreaField(
        "Why are they disabled?",
        widget=NoteArea(),
        description="For example: left the council on 28 February. Recorded with each case moved.",
    )
    submit = SubmitField("Disable", widget=GovSubmitInput())

    def __init__(self, *args, members: list[Mapping[str, Any]], holds_cases: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.holds_cases = holds_cases
        self.cases_to.choices = _member_choices(members) + [
            SelectChoice(
                LEAVE_UNALLOCATED,
                "Leave them unallocated: they are listed as unallocated on the team page "
                "and in the manager's digest until someone is allocated",
            )
        ]

    def validate_cases_to(self, field):
        offered = {choice.value for choice in self.cases_to.choices}
        if self.holds_cases and field.data not in offered:
            raise ValidationError("Choose who takes their cases, or to leave them unallocated")

    def validate_reason(self, field):
        if self.holds_cases:
            for check in required_text("Enter why they are disabled"):
                check(self, field)


ROLE_WORDS = {
    "worker": "Worker: sees their own caseload",
    "manager": "Manager: sees their team's cases and gets the daily digest",
    "admin": "Admin: sees every case, the audit log and manages people",
    "partnership": "Partnership: the safeguarding partnership's pages and serious incidents; "
    "sees no case or caseload",
}
MIN_PASSWORD_LENGTH = MIN_LENGTH  # hotspots.services.passwords: one rule for every way in


class PersonForm(FlaskForm):
    """Add a member of staff (they set their own password from a one-time link)."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter their full name"), NotBlank("Enter their full name")],
    )
    email = StringField(
        "Work email address",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter their work email address"),
            Length(max=254, message="The email address must be 254 characters or fewer"),
        ],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=_choices(ROLE_WORDS),
        validators=[InputRequired("Choose their role")],
        invalid_choice_message="Choose their role",
    )
    team = SelectField("Team", widget=GovSelect(), invalid_choice_message="Choose their team")
    submit = SubmitField("Add person", widget=GovSubmitInput())

    def __init__(self, *args, teams: list[Mapping[str, Any]], **kwargs):
        super().__init__(*args, **kwargs)
        self.team.choices = [SelectChoice("", "No team (admins and the partnership)")] + [
            SelectChoice(str(t["id"]), t["name"]) for t in teams
        ]

    def validate_name(self, field):
        # The staff import's rule (hotspots.base.params.person_name_problem): one line, 200 at most.
        problem = field.data and field.data.strip() and person_name_problem(field.data.strip())
        if problem:
            raise ValidationError(f"The name {problem}")

    def validate_email(self, field):
        email = (field.data or "").strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.gov.uk"
            )

    def validate_team(self, field):
        if self.role.data in ("worker", "manager") and not field.data:
            raise ValidationError("Choose their team: workers and managers belong to one")
        if self.role.data == "partnership" and field.data:
            raise ValidationError("Choose No team: the partnership sees no team's cases")


class _CurrentPassword(FlaskForm):
    """The current password, asked first (its field is made before SetPasswordForm's, and
    WTForms orders fields, and so the error summary, by when they were made)."""

    current = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your current password"), Length(max=1024)],
    )


class SetPasswordForm(FlaskForm):
    """Choose a password, from a one-time link. ``email``: the account's, which the password
    must not contain (``hotspots.services.passwords.password_problem``: the rules every way in
    uses)."""

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words are "
        "easy to remember and hard to guess.",
        validators=[InputRequired("Enter a new password"), Length(max=1024)],
    )
    confirm = PasswordField(
        "Confirm the new password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter the new password again"), Length(max=1024)],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())

    def validate_password(self, field):
        words = service_words(current_app.config["SETTINGS"])
        problem = field.data and password_problem(field.data, self.email, words=words)
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:])

    def validate_confirm(self, field):
        if field.data and self.password.data and field.data != self.password.data:
            raise ValidationError("The passwords do not match: enter the same password twice")


class ChangePasswordForm(_CurrentPassword, SetPasswordForm):
    """A signed-in person changes their own password: the current one, then a new one twice
    (the same rules as SetPasswordForm, and a new password must differ from the current)."""

    submit = SubmitField("Change password", widget=GovSubmitInput())

    def validate_password(self, field):
        super().validate_password(field)
        if field.data and field.data == self.current.data:
            raise ValidationError("The new password must be different from your current one")


class ConfirmForm(FlaskForm):
    """A button that changes something: a POST with a CSRF token and nothing else."""


class AuditDateField(GovDateField):
    """A day to filter the audit log by: three boxes as typed (3, 12, 2026), or one value in a
    link: 2026-12-03, or 3/12/2026 (day first, as in England)."""

    def process_formdata(self, valuelist):
        if len(valuelist) == 1:
            text = valuelist[0].strip()
            iso = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", text)
            if iso:
                valuelist = [iso.group(3), iso.group(2), iso.group(1)]
            elif text:
                valuelist = re.split(r"\s*[/.\- ]\s*", text)
                if len(valuelist) != 3:
                    self.raw_data, self.data = [text, "", ""], None
                    raise ValueError(f"{self.noun.capitalize()} must be a real date")
        super().process_formdata(valuelist)


class AuditFilterForm(FlaskForm):
    """Filters for the audit log (a GET form: no CSRF token needed). A value that cannot be a
    filter is an error naming the field, never silently dropped."""

    class Meta:
        csrf = False

    actor = StringField(
        "Email of the member of staff",
        widget=GovTextInput(),
        validators=[Length(max=254, message="The email must be 254 characters or fewer")],
    )
    case_ref = StringField(
        "Case reference",
        widget=GovTextInput(),
        validators=[Length(max=64, message="A case reference is 64 characters or fewer")],
    )
    action = SelectField(
        "Action",
        widget=GovSelect(),
        default="",
        invalid_choice_message="Choose an action from the list",
    )
    date_from = AuditDateField("From", description="For example, 27 3 2026", noun="the ‘from’ date")
    date_to = AuditDateField(
        "To (inclusive)", description="For example, 27 3 2026", noun="the ‘to’ date"
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_actor(self, field):
        _no_control_characters(field, "The email")

    def validate_case_ref(self, field):
        _no_control_characters(field, "A case reference")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The ‘to’ date must be the same as or after the ‘from’ date")


def _no_control_characters(field, what: str) -> None:
    if re.search(r"[\x00-\x1f\x7f-\x9f]", field.data or ""):
        raise ValidationError(f"{what} must not contain control characters")


class SignOutForm(FlaskForm):
    """Sign out is a POST with a CSRF token, never a link."""


def error_list(*forms: FlaskForm) -> list[dict[str, str]]:
    """The GOV.UK error summary's items for the forms' errors, each linking to its field
    (a date links to its day box; a row of actions, to each of its fields)."""
    items = []
    for form in forms:
        if form is None:
            continue
        for field in _leaf_fields(form):
            if field.errors:
                target = f"{field.id}-day" if isinstance(field, GovDateField) else field.id
                items.append({"text": field.errors[0], "href": f"#{target}"})
    return items


def _leaf_fields(form):
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from _leaf_fields(entry.form)
        elif isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        else:
            yield field


class ImportUploadForm(FlaskForm):
    """Choose a kind of file and upload it; the page then shows the dry run's report."""

    kind = RadioField(
        "What kind of file is it?",
        widget=GovRadioInput(),
        invalid_choice_message="Choose what kind of file it is",
        validators=[InputRequired("Choose what kind of file it is")],
    )
    upload = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[FileRequired("Choose the file to upload")],
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def __init__(self, *args, kinds: Mapping[str, tuple[str, tuple[str, ...]]], **kwargs):
        """``kinds``: each kind's name with its title and the file name endings it takes."""
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.kind.choices = [SelectChoice(name, title) for name, (title, _) in kinds.items()]

    def validate_upload(self, field):
        name = (field.data.filename or "") if field.data else ""
        label, wanted = self.kinds.get(self.kind.data or "", ("", ()))
        if wanted and not name.lower().endswith(wanted):
            raise ValidationError(
                f"The file must be a {' or '.join(wanted)} file for {label}: "
                f"{name or 'this file'} is not"
            )


class ImportConfirmForm(FlaskForm):
    """Import the checked file, or cancel (a POST with a CSRF token either way)."""

    token = HiddenField()
    submit = SubmitField("Import this file", widget=GovSubmitInput())
    cancel = SubmitField("Cancel", widget=GovSubmitInput())


class AttachUnmatchedForm(FlaskForm):
    """Attach a partner's item about a child not yet matched to a case."""

    case_ref = StringField(
        "Case reference",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the case reference of the child this is about"),
            Length(max=64, message="A case reference is 64 characters or fewer"),
        ],
    )
    attach = SubmitField("Attach to this case", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="attach", **kwargs)


class DismissUnmatchedForm(FlaskForm):
    """Dismiss a partner's item with a reason (it stays on record)."""

    reason = TextAreaField(
        "Why it should be dismissed",
        widget=NoteArea(),
        validators=required_text("Enter why it should be dismissed"),
    )
    dismiss = SubmitField("Dismiss", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="dismiss", **kwargs)


# --- the safeguarding partnership: serious incidents -------------------------------------

HARM_CHOICES = {"died": "The child died", "serious_harm": "The child was seriously harmed"}
ABUSE_CHOICES = {"known": "Known", "suspected": "Suspected"}
INCIDENT_SUMMARY_MAX = 1000


def _harm_field() -> RadioField:
    return RadioField(
        "What happened to the child",
        widget=GovRadioInput(),
        choices=_choices(HARM_CHOICES),
        validators=[InputRequired("Choose whether the child died or was seriously harmed")],
        invalid_choice_message="Choose whether the child died or was seriously harmed",
    )


def _case_ref_field() -> StringField:
    return StringField(
        "The child's case reference",
        widget=GovTextInput(),
        description="As the case system gives it, for example N-0001.",
        validators=[
            InputRequired("Enter the child's case reference"),
            Length(max=64, message="The case reference must be 64 characters or fewer"),
            NotBlank("Enter the child's case reference"),
        ],
    )


class IncidentForm(FlaskForm):
    """Record a serious incident and the first child it harmed. Whether the days make sense
    (none in the future, aware on or after the day) is checked by the service
    (``hotspots.model.incidents.date_problems``), whose messages land on these fields."""

    case_ref = _case_ref_field()
    occurred_on = GovDateField(
        "The day it happened",
        description="For example, 27 3 2026",
        noun="the day it happened",
        validators=[DateRequired("Enter the day it happened")],
    )
    known_on = GovDateField(
        "The day the local authority became aware",
        description="The 5 working days to notify the Panel count from this day.",
        noun="the day the authority became aware",
        validators=[DateRequired("Enter the day the local authority became aware")],
    )
    harm = _harm_field()
    abuse_or_neglect = RadioField(
        "Abuse or neglect",
        widget=GovRadioInput(),
        choices=_choices(ABUSE_CHOICES),
        validators=[InputRequired("Choose whether abuse or neglect is known or suspected")],
        invalid_choice_message="Choose whether abuse or neglect is known or suspected",
    )
    reference = StringField(
        "Your reference for the incident (optional)",
        widget=GovTextInput(),
        description="For example the Panel's notification number.",
        validators=[Length(max=40, message="The reference must be 40 characters or fewer")],
    )
    summary = TextAreaField(
        "Summary (optional)",
        widget=NoteArea(INCIDENT_SUMMARY_MAX),
        description="A few sentences. No names: the case system holds the record.",
        validators=[
            Length(
                max=INCIDENT_SUMMARY_MAX,
                message=f"The summary must be {INCIDENT_SUMMARY_MAX} characters or fewer",
            )
        ],
    )
    submit = SubmitField("Record the incident", widget=GovSubmitInput())


class IncidentChildForm(FlaskForm):
    """Name another child the same incident harmed (siblings: still one notification)."""

    case_ref = _case_ref_field()
    harm = _harm_field()
    submit = SubmitField("Add the child", widget=GovSubmitInput())


class IncidentProgressForm(FlaskForm):
    """The days the Panel was notified and the rapid review held (empty: not yet)."""

    panel_notified_on = GovDateField(
        "The day the Panel was notified (and the partners told)",
        description="Leave empty until it is done.",
        noun="the day the Panel was notified",
    )
    rapid_review_on = GovDateField(
        "The day the rapid review was held",
        description="Leave empty until it is done.",
        noun="the day of the rapid review",
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
