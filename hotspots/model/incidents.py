"""Serious incidents and the look-back: the rules, as plain functions over plain data.

No Flask, no database, no clock: ``hotspots.services.partnership`` gathers the rows, converts stored
instants to the service's days, and calls these with ``as_of``.

- **Deadlines** (Children Act 2004 s.16C; Working Together 2023): the local authority
  notifies the Child Safeguarding Practice Review Panel within ``NOTIFY_PANEL_WORKING_DAYS``
  working days of becoming aware (and tells the safeguarding partners in the same time); the
  partners' rapid review is due ``RAPID_REVIEW_WORKING_DAYS`` working days after the Panel is
  notified. Until the notification is recorded, the rapid review's day is counted from the
  day the Panel should be notified by; it moves when the notification is recorded.
- **The look-back** (``look_back``): over the ``look_back_days`` days before the incident,
  what the service showed at the time (the incident's kept copy of the stored score history)
  and, beside it, marked as hindsight, the pure model's score on the same days from
  everything recorded since (``hindsight``). A record that arrived after its day shows as a
  day red in hindsight and not at the time.
- **Recall** (``recall``): across the incidents to young children in a period, how many the
  service showed as hotspots the day before, how many were reviewed once red, and how many
  had every action agreed at those reviews done before the incident.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from hotspots.base.dates import age_in_years
from hotspots.model import rules, scoring
from hotspots.model.working_days import add_working_days, working_days_between

# Working Together 2023: notify the Panel within 5 working days of becoming aware; the rapid
# review within 15 working days of the notification. The law's numbers, not settings.
NOTIFY_PANEL_WORKING_DAYS = 5
RAPID_REVIEW_WORKING_DAYS = 15

HARMS = {"died": "Died", "serious_harm": "Seriously harmed"}
ABUSE_OR_NEGLECT = {"known": "Known", "suspected": "Suspected"}
# The review's questions: the enquiry topics the review found unasked.
QUESTIONS = {
    "domestic_abuse": "Domestic abuse asked about",
    "parental_childhood": "Parents' own childhood explored",
}
# Longest summary kept: a few sentences, never a case file.
MAX_SUMMARY_LENGTH = 1000


# --- deadlines ---------------------------------------------------------------------------


def notify_panel_by(known_on: date, holidays: Collection[date]) -> date:
    """The last day to notify the Panel (and tell the partners): the fifth working day after
    the day the authority became aware."""
    return add_working_days(known_on, NOTIFY_PANEL_WORKING_DAYS, holidays)


def rapid_review_by(
    known_on: date, panel_notified_on: date | None, holidays: Collection[date]
) -> date:
    """The day the rapid review is due: 15 working days after the Panel was notified, or,
    until that is recorded, after the day it should be notified by."""
    notified = panel_notified_on or notify_panel_by(known_on, holidays)
    return add_working_days(notified, RAPID_REVIEW_WORKING_DAYS, holidays)


@dataclass(frozen=True)
class Deadline:
    """One deadline on ``as_of``: ``state`` is ``done`` (on or before ``due``), ``done_late``,
    ``overdue`` (not done, ``due`` has passed) or ``due`` (not done, ``due`` not passed);
    ``working_days`` how late it was or is, or how many working days are left."""

    due: date
    done_on: date | None
    state: str
    working_days: int

    @property
    def open(self) -> bool:
        """Not yet done: due or overdue."""
        return self.done_on is None

    def words(self) -> str:
        """What a person reads: ``Overdue by 2 working days``, ``Due in 3 working days``."""
        n = self.working_days
        days = f"{n} working day{'' if n == 1 else 's'}"
        if self.state == "done":
            return "Done on time"
        if self.state == "done_late":
            return f"Done {days} late"
        if self.state == "overdue":
            return f"Overdue by {days}"
        return "Due today" if n == 0 else f"Due in {days}"


def deadline(due: date, done_on: date | None, as_of: date, holidays: Collection[date]) -> Deadline:
    """The state of a deadline ``due`` on ``as_of``, done on ``done_on`` (or not yet)."""
    if done_on is not None:
        late = working_days_between(due, done_on, holidays)
        return Deadline(due, done_on, "done_late" if late else "done", late)
    if as_of > due:
        return Deadline(due, None, "overdue", working_days_between(due, as_of, holidays))
    return Deadline(due, None, "due", working_days_between(as_of, due, holidays))


def date_problems(
    *,
    occurred_on: date,
    known_on: date,
    as_of: date,
    date_of_birth: date | None = None,
) -> list[tuple[str, str]]:
    """What is wrong with an incident's days, as (field, reason): none in the future, the
    authority not aware before it happened, and not before the child was born."""
    problems = []
    for name, day in (("occurred_on", occurred_on), ("known_on", known_on)):
        if day > as_of:
            problems.append((name, f"{day.isoformat()} is in the future"))
    if known_on < occurred_on:
        problems.append(
            (
                "known_on",
                f"{known_on.isoformat()} is before the incident ({occurred_on.isoformat()}): "
                "the authority cannot become aware of it before it happened",
            )
        )
    if date_of_birth is not None and occurred_on < date_of_birth:
        problems.append(
            (
                "occurred_on",
                f"{occurred_on.isoformat()} is before the child's date of birth as the service "
                "holds it: check the day, or the case's date of birth in the case system",
            )
        )
    return problems


def done_problem(name: str, day: date | None, known_on: date, as_of: date) -> str | None:
    """Why ``day`` cannot be the day a deadline was met (``name`` says which), or None."""
    if day is None:
        return None
    if day > as_of:
        return f"{day.isoformat()} is in the future"
    if day < known_on:
        return (
            f"{day.isoformat()} is before the authority became aware of the incident "
            f"({known_on.isoformat()}): check the {name}"
        )
    return None


# --- the look-back -----------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """An observation as the look-back reads it: its indicator, the day observed, the day the
    service received it (its ``recorded_at`` in the service's time zone) and its status."""

    id: int
    indicator: str
    observed_on: date
    recorded_on: date
    status: str = "current"


@dataclass(frozen=True)
class Question:
    """An enquiry as the look-back reads it."""

    topic: str
    asked_on: date
    outcome: str
    recorded_on: date


@dataclass(frozen=True)
class Action:
    """An action agreed about the case: what (in the service's words), who owns it, when due,
    the day it was done (None: not done), when agreed, and whether it was closed as not
    done."""

    description: str
    owner: str
    due_on: date | None
    done_on: date | None
    agreed_on: date
    closed_not_done: bool = False


@dataclass(frozen=True)
class Day:
    """One day of the look-back: what the service showed (``score``, ``band``; None when it
    kept no score for the day) and the hindsight score and band (None before the case was
    open)."""

    day: date
    score: float | None
    band: str | None
    hindsight_score: float | None
    hindsight_band: str | None

    @property
    def late(self) -> bool:
        """Red in hindsight though the service showed a score that was not red: a record
        arrived after the day (a day with no stored score is not counted)."""
        return (
            self.band is not None
            and rules.is_hotspot(self.hindsight_band)
            and not rules.is_hotspot(self.band)
        )


@dataclass(frozen=True)
class LookBack:
    """What the service knew about one child before one incident."""

    occurred_on: date
    since: date
    days: tuple[Day, ...]
    first_red_on: date | None
    red_days: int
    red_day_before: bool
    hindsight_first_red_on: date | None
    hindsight_red_days: int
    reviews: tuple[date, ...]
    reviewed_once_red: bool
    actions: tuple[Action, ...]
    questions: dict[str, Question | None]
    features: dict[str, dict[str, Any]]
    late_records: tuple[dict[str, Any], ...]
    kept_days: int
    model_versions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def actions_agreed(self) -> int:
        return len(self.actions)

    @property
    def actions_done(self) -> int:
        return sum(
            1 for a in self.actions if a.done_on is not None and a.done_on < self.occurred_on
        )

    @property
    def all_actions_done(self) -> bool:
        """At least one action agreed once red, and every one done before the incident."""
        return bool(self.actions) and self.actions_done == len(self.actions)


def window(occurred_on: date, look_back_days: int) -> list[date]:
    """The days the look-back covers: the ``look_back_days`` days before the incident, in
    order (the incident's own day is not among them)."""
    return [occurred_on - timedelta(days=n) for n in range(look_back_days, 0, -1)]


def band_on(history: Mapping[date, tuple[float, str]], day: date, since: date) -> str | None:
    """The band the service showed on ``day``: its latest kept score on or before that day
    and on or after ``since`` (a day without a run showed the last score), or None."""
    shown = None
    for kept in sorted(history):
        if kept > day:
            break
        if kept >= since:
            shown = history[kept][1]
    return shown


def hindsight(
    case: scoring.CaseFacts,
    seen_on: Sequence[date],
    settings_scoring: Mapping[str, Any],
    days: Iterable[date],
) -> dict[date, scoring.Score]:
    """The pure model's score on each day from everything recorded since, for the days the
    case was open. ``seen_on``: the days the child was seen on a recorded visit. The case's
    last visit on a day is the latest of those (or the case's own last visit) on or before
    it; when the service holds only a later one, the visit counts as not overdue on that day
    (a gap the records cannot show is never invented)."""
    version = scoring.model_version(settings_scoring)
    found = {}
    visits = sorted(seen_on)
    for day in days:
        if day < case.opened_on:
            continue
        known = [v for v in visits if v <= day]
        if case.last_visit_on is not None and case.last_visit_on <= day:
            known.append(case.last_visit_on)
        last_visit = max(known) if known else case.last_visit_on
        facts = replace(case, last_visit_on=last_visit)
        found[day] = scoring.score_case(facts, settings_scoring, day, version)
    return found


def look_back(
    *,
    occurred_on: date,
    look_back_days: int,
    history: Mapping[date, tuple[float, str, str]],
    hindsight_scores: Mapping[date, scoring.Score],
    reviews: Iterable[date],
    actions: Iterable[Action],
    questions: Iterable[Question],
    records: Iterable[Record],
    features: Sequence[str],
) -> LookBack:
    """One child's look-back before the incident on ``occurred_on``.

    ``history``: the incident's kept copy of the stored score history, {day: (score, band,
    model version)}; ``hindsight_scores``: ``hindsight``'s scores; ``reviews``: the days the
    case was reviewed (not entered in error); ``actions``: those agreed at its reviews;
    ``questions``: its enquiries; ``records``: its observations; ``features``: the review's
    features (``[scoring.review_pattern] features``).
    """
    days = window(occurred_on, look_back_days)
    since = days[0]
    shown = {d: (s, b) for d, (s, b, _v) in history.items()}
    rows = []
    for day in days:
        kept = shown.get(day)
        later = hindsight_scores.get(day)
        rows.append(
            Day(
                day,
                kept[0] if kept else None,
                kept[1] if kept else None,
                later.score if later else None,
                later.band if later else None,
            )
        )
    red = [r.day for r in rows if rules.is_hotspot(r.band)]
    red_in_hindsight = [r.day for r in rows if rules.is_hotspot(r.hindsight_band)]
    first_red_on = red[0] if red else None
    before_incident = [d for d in sorted(set(reviews)) if since <= d < occurred_on]
    once_red = [d for d in before_incident if first_red_on is not None and d >= first_red_on]
    agreed = tuple(
        a
        for a in sorted(actions, key=lambda a: (a.agreed_on, a.description))
        if first_red_on is not None and first_red_on <= a.agreed_on < occurred_on
    )
    asked = {}
    for topic in QUESTIONS:
        found = sorted(
            (
                q
                for q in questions
                if q.topic == topic
                and q.asked_on < occurred_on
                and q.outcome in rules.ASKED_OUTCOMES
            ),
            key=lambda q: q.asked_on,
        )
        asked[topic] = found[0] if found else None
    records = list(records)
    counting = [r for r in records if rules.counts_on(r, occurred_on - timedelta(days=1))]
    recorded = {}
    for code in features:
        of_code = sorted((r for r in counting if r.indicator == code), key=lambda r: r.observed_on)
        at_the_time = [r for r in of_code if r.recorded_on < occurred_on]
        recorded[code] = {
            "at_the_time": bool(at_the_time),
            "in_hindsight": bool(of_code),
            "first_observed_on": of_code[0].observed_on if of_code else None,
            "first_recorded_on": min(r.recorded_on for r in of_code) if of_code else None,
        }
    late = tuple(
        {
            "indicator": r.indicator,
            "observed_on": r.observed_on,
            "recorded_on": r.recorded_on,
            "days_late": (r.recorded_on - r.observed_on).days,
            "after_incident": r.recorded_on >= occurred_on,
        }
        for r in sorted(counting, key=lambda r: (r.observed_on, r.id))
        if r.recorded_on > r.observed_on
    )
    return LookBack(
        occurred_on=occurred_on,
        since=since,
        days=tuple(rows),
        first_red_on=first_red_on,
        red_days=len(red),
        red_day_before=rules.is_hotspot(band_on(shown, occurred_on - timedelta(days=1), since)),
        hindsight_first_red_on=red_in_hindsight[0] if red_in_hindsight else None,
        hindsight_red_days=len(red_in_hindsight),
        reviews=tuple(before_incident),
        reviewed_once_red=bool(once_red),
        actions=agreed,
        questions=asked,
        features=recorded,
        late_records=late,
        kept_days=sum(1 for d in days if d in shown),
        model_versions=tuple(sorted({v for d, (_s, _b, v) in history.items() if d >= since})),
    )


# --- recall ------------------------------------------------------------------------------


def in_recall(
    occurred_on: date, date_of_birth: date, as_of: date, years: int, under_years: int
) -> bool:
    """An incident the recall counts: in the ``years`` years up to ``as_of``, to a child under
    ``under_years`` on the day."""
    start = _years_before(as_of, years)
    return start < occurred_on <= as_of and age_in_years(date_of_birth, occurred_on) < under_years


def recall(look_backs: Sequence[LookBack], *, years: int, under_years: int) -> dict[str, Any]:
    """Across the incidents the recall counts (already chosen, ``in_recall``): how many were
    hotspots the day before (what the service showed), how many red at any time in the
    look-back, of those how many reviewed once red, and of those how many had every action
    agreed at their reviews done before the incident."""
    reviewed = [lb for lb in look_backs if lb.first_red_on and lb.reviewed_once_red]
    counts = {
        "incidents": len(look_backs),
        "hotspot_day_before": sum(1 for lb in look_backs if lb.red_day_before),
        "red_in_look_back": sum(1 for lb in look_backs if lb.first_red_on),
        "reviewed": len(reviewed),
        "actions_done": sum(1 for lb in reviewed if lb.all_actions_done),
        "red_in_hindsight_only": sum(
            1 for lb in look_backs if lb.hindsight_first_red_on and not lb.first_red_on
        ),
    }
    counts["sentence"] = recall_sentence(counts, years=years, under_years=under_years)
    return counts


def recall_sentence(counts: Mapping[str, int], *, years: int, under_years: int) -> str:
    """``Of 4 incidents to children under 3 in the last 2 years, 2 were hotspots on the day
    before, 2 were reviewed, 1 had their agreed actions done.``"""
    n = counts["incidents"]
    period = f"in the last {years} year{'' if years == 1 else 's'}"
    if not n:
        return f"No incident to a child under {under_years} {period} is recorded."
    head = f"Of {n} incident{'' if n == 1 else 's'} to children under {under_years} {period}"
    return (
        f"{head}, {counts['hotspot_day_before']} "
        f"{'was a hotspot' if counts['hotspot_day_before'] == 1 else 'were hotspots'} "
        f"on the day before, {counts['reviewed']} "
        f"{'was' if counts['reviewed'] == 1 else 'were'} reviewed, "
        f"{counts['actions_done']} had their agreed actions done."
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
