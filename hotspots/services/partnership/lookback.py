"""Each incident as the partnership reads it: its deadlines on a day, and for each child the
look-back (``hotspots.model.incidents.look_back``) gathered from the database.

Stored instants become the service's days here (``[app] timezone``), so the pure core sees
only dates.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import age_in_years, local_day, parse_date
from hotspots.model import incidents, rules
from hotspots.model.working_days import bank_holidays
from hotspots.services import rescoring
from hotspots.storage import incidents as store


@dataclass(frozen=True)
class Child:
    """One child an incident harmed, with the look-back before it."""

    row: dict[str, Any]
    look_back: incidents.LookBack
    age_on_the_day: int

    @property
    def case_ref(self) -> str:
        return self.row["case_ref"]


@dataclass(frozen=True)
class Incident:
    """One incident on ``as_of``: its facts, its two deadlines and its children."""

    row: dict[str, Any]
    notify_panel: incidents.Deadline
    rapid_review: incidents.Deadline
    children: tuple[Child, ...]

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def occurred_on(self) -> date:
        return parse_date(self.row["occurred_on"])

    @property
    def known_on(self) -> date:
        return parse_date(self.row["known_on"])

    @property
    def open(self) -> bool:
        """A deadline is still to be met."""
        return self.notify_panel.open or self.rapid_review.open


def deadlines(
    row: Mapping[str, Any], as_of: date, holidays: Collection[date]
) -> tuple[incidents.Deadline, incidents.Deadline]:
    """The incident's two deadlines on ``as_of``: notify the Panel, hold the rapid review."""
    known_on = parse_date(row["known_on"])
    notified = parse_date(row["panel_notified_on"]) if row["panel_notified_on"] else None
    reviewed = parse_date(row["rapid_review_on"]) if row["rapid_review_on"] else None
    notify = incidents.deadline(
        incidents.notify_panel_by(known_on, holidays), notified, as_of, holidays
    )
    review = incidents.deadline(
        incidents.rapid_review_by(known_on, notified, holidays), reviewed, as_of, holidays
    )
    return notify, review


def all_incidents(
    db: sqlite_utils.Database,
    settings: Mapping[str, Any],
    *,
    as_of: date,
    incident_id: int | None = None,
) -> list[Incident]:
    """Every incident known by ``as_of`` (or the one ``incident_id``), newest first, each
    with its deadlines on ``as_of`` and each child's look-back."""
    holidays = frozenset(bank_holidays())
    by_incident: dict[int, list[dict[str, Any]]] = {}
    for row in store.children(db, incident_id):
        if parse_date(row["known_on"]) <= as_of:
            by_incident.setdefault(row["incident_id"], []).append(row)
    found = []
    for rows in by_incident.values():
        first = rows[0]
        facts = {"id": first["incident_id"], "recorded_at": first["recorded_at"]} | {
            key: first[key] for key in store.INCIDENT_FACTS
        }
        notify, review = deadlines(facts, as_of, holidays)
        children = tuple(child_look_back(db, settings, row) for row in rows)
        found.append(Incident(facts, notify, review, children))
    return found


def child_look_back(
    db: sqlite_utils.Database, settings: Mapping[str, Any], row: Mapping[str, Any]
) -> Child:
    """The look-back for one child of an incident (a row of ``store.children``)."""
    timezone = settings["app"]["timezone"]
    occurred_on = parse_date(row["occurred_on"])
    look_back_days = settings["partnership"]["look_back_days"]
    since = occurred_on - timedelta(days=look_back_days)
    history = {
        parse_date(h["day"]): (h["score"], h["band"], h["model_version"])
        for h in store.kept_history(db, row["child_id"], since.isoformat())
    }
    # The child's case is kept while an incident names it (hotspots.services.retention).
    _case_row, facts = rescoring.case_facts(db, row["case_id"])
    days = incidents.window(occurred_on, look_back_days)
    seen = [parse_date(day) for day in store.seen_on(db, row["case_id"])]
    later = incidents.hindsight(facts, seen, settings["scoring"], days)
    actions = [
        incidents.Action(
            description=rules.ACTION_KINDS.get(a["kind"], a["kind"]),
            owner=a["owner"],
            due_on=parse_date(a["due_on"]) if a["due_on"] else None,
            done_on=local_day(a["closed_at"], timezone) if a["state"] == "done" else None,
            agreed_on=local_day(a["agreed_at"], timezone),
            closed_not_done=a["state"] == "not_done",
        )
        for a in store.agreed_actions(db, row["case_id"])
    ]
    look_back = incidents.look_back(
        occurred_on=occurred_on,
        look_back_days=look_back_days,
        history=history,
        hindsight_scores=later,
        reviews=[
            local_day(r["reviewed_at"], timezone) for r in store.case_reviews(db, row["case_id"])
        ],
        actions=actions,
        questions=[
            incidents.Question(
                q["topic"],
                parse_date(q["asked_on"]),
                q["outcome"],
                local_day(q["recorded_at"], timezone),
            )
            for q in store.case_enquiries(db, row["case_id"])
        ],
        records=[
            incidents.Record(
                o["id"],
                o["indicator"],
                parse_date(o["observed_on"]),
                local_day(o["recorded_at"], timezone),
                o["status"],
            )
            for o in store.case_observations(db, row["case_id"])
        ],
        features=settings["scoring"]["review_pattern"]["features"],
    )
    age = age_in_years(parse_date(row["date_of_birth"]), occurred_on)
    return Child(dict(row), look_back, age)
