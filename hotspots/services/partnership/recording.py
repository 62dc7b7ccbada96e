"""Recording serious incidents: the incident, each child it harmed, the days the Panel was
notified and the rapid review held. Every change is one transaction with its audit row.

Recording a child keeps a copy of their case's stored score history up to the incident's
day (``incident_score_history``), so what the service showed at the time survives
``[retention] score_history_days`` and any later rescore of a past day; retention keeps the
case itself while an incident names it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots.base.dates import parse_date, stamp
from hotspots.model import incidents
from hotspots.services import audit
from hotspots.storage import incidents as store
from hotspots.storage import write_transaction

# Line breaks are allowed in a summary; no other control character is.
_CONTROL_IN_SUMMARY = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
MAX_REFERENCE_LENGTH = 40


class IncidentRefused(Exception):
    """Nothing was recorded: ``problems`` holds (field, reason) pairs a person can act on."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


@dataclass(frozen=True)
class NewIncident:
    """What a person (or a file's row) says about an incident and one child it harmed."""

    case_ref: str
    occurred_on: date
    known_on: date
    harm: str
    abuse_or_neglect: str
    summary: str = ""
    reference: str = ""


def find_case(db: sqlite_utils.Database, case_ref: str) -> dict[str, Any] | None:
    """The case a person named: the reference as typed, or in capitals (as the search)."""
    ref = case_ref.strip()
    return store.case_by_ref(db, ref) or store.case_by_ref(db, ref.upper())


def born_on(case: dict[str, Any] | None) -> date | None:
    """The child's date of birth, when born (an unborn child's date is only expected)."""
    if case is None or case["birth_status"] != "born":
        return None
    return parse_date(case["date_of_birth"])


def summary_problem(summary: str) -> str | None:
    if len(summary) > incidents.MAX_SUMMARY_LENGTH:
        return (
            f"is {len(summary)} characters: keep it to {incidents.MAX_SUMMARY_LENGTH} "
            "(a few sentences; the case system holds the record)"
        )
    if _CONTROL_IN_SUMMARY.search(summary):
        return "contains a control character: remove it"
    return None


def reference_problem(reference: str) -> str | None:
    if len(reference) > MAX_REFERENCE_LENGTH:
        return f"is longer than {MAX_REFERENCE_LENGTH} characters"
    if _CONTROL_IN_SUMMARY.search(reference) or "\n" in reference or "\r" in reference:
        return "contains a control character: remove it"
    return None


def record_incident(
    db: sqlite_utils.Database, new: NewIncident, *, actor: audit.Actor, now: datetime
) -> int:
    """Record an incident with its first child; returns the incident's id. Raises
    IncidentRefused, recording nothing, when anything is wrong."""
    with write_transaction(db):
        case, problems = _child_problems(db, new.case_ref, new.occurred_on)
        problems += incidents.date_problems(
            occurred_on=new.occurred_on,
            known_on=new.known_on,
            as_of=now.date(),
            date_of_birth=born_on(case),
        )
        problems += _choice_problems(new.harm, new.abuse_or_neglect)
        if found := summary_problem(new.summary):
            problems.append(("summary", found))
        reference = new.reference.strip()
        if found := reference_problem(reference):
            problems.append(("reference", found))
        elif reference and (taken := store.incident_by_reference(db, reference)):
            problems.append(
                (
                    "reference",
                    f"incident {reference} is already recorded (on {taken['occurred_on']}): "
                    "add this child to it from its page",
                )
            )
        if problems:
            raise IncidentRefused(problems)
        stamped = stamp(now)
        incident_id = store.insert_incident(
            db,
            {
                "reference": reference or None,
                "occurred_on": new.occurred_on.isoformat(),
                "known_on": new.known_on.isoformat(),
                "abuse_or_neglect": new.abuse_or_neglect,
                "summary": new.summary.strip(),
                "panel_notified_on": None,
                "rapid_review_on": None,
                "staff_id": actor.id,
                "now": stamped,
            },
        )
        kept = _add_child(db, incident_id, case, new.harm, new.occurred_on, actor, stamped)
        audit.record(
            db,
            at=now,
            action="record_incident",
            actor=actor,
            case_ref=case["case_ref"],
            detail=json.dumps(
                {
                    "incident": incident_id,
                    "occurred_on": new.occurred_on.isoformat(),
                    "known_on": new.known_on.isoformat(),
                    "harm": new.harm,
                    "abuse_or_neglect": new.abuse_or_neglect,
                    "history_days_kept": kept,
                }
            ),
        )
    return incident_id


def add_child(
    db: sqlite_utils.Database,
    incident_id: int,
    case_ref: str,
    harm: str,
    *,
    actor: audit.Actor,
    now: datetime,
) -> None:
    """Name another child the incident harmed (a sibling: still one notification)."""
    with write_transaction(db):
        found = store.incident(db, incident_id)
        if found is None:
            raise IncidentRefused([("incident", "no such incident")])
        occurred_on = parse_date(found["occurred_on"])
        case, problems = _child_problems(db, case_ref, occurred_on)
        if case and not problems:
            problems += [
                p
                for p in incidents.date_problems(
                    occurred_on=occurred_on,
                    known_on=parse_date(found["known_on"]),
                    as_of=now.date(),
                    date_of_birth=born_on(case),
                )
                if p[0] == "occurred_on"
            ]
        problems += _choice_problems(harm, "known")
        if problems:
            raise IncidentRefused(problems)
        kept = _add_child(db, incident_id, case, harm, occurred_on, actor, stamp(now))
        audit.record(
            db,
            at=now,
            action="add_incident_child",
            actor=actor,
            case_ref=case["case_ref"],
            detail=json.dumps({"incident": incident_id, "harm": harm, "history_days_kept": kept}),
        )


def record_done(
    db: sqlite_utils.Database,
    incident_id: int,
    *,
    panel_notified_on: date | None,
    rapid_review_on: date | None,
    actor: audit.Actor,
    now: datetime,
) -> None:
    """Record the days the Panel was notified and the rapid review held (None: not yet, which
    also undoes a day recorded by mistake)."""
    with write_transaction(db):
        found = store.incident(db, incident_id)
        if found is None:
            raise IncidentRefused([("incident", "no such incident")])
        known_on = parse_date(found["known_on"])
        problems = []
        for name, day, words in (
            ("panel_notified_on", panel_notified_on, "day the Panel was notified"),
            ("rapid_review_on", rapid_review_on, "day of the rapid review"),
        ):
            if found_problem := incidents.done_problem(words, day, known_on, now.date()):
                problems.append((name, found_problem))
        if rapid_review_on and not panel_notified_on:
            problems.append(
                (
                    "panel_notified_on",
                    "enter the day the Panel was notified: the rapid review follows it",
                )
            )
        elif rapid_review_on and panel_notified_on and rapid_review_on < panel_notified_on:
            problems.append(
                (
                    "rapid_review_on",
                    f"{rapid_review_on.isoformat()} is before the Panel was notified "
                    f"({panel_notified_on.isoformat()}): the rapid review follows it",
                )
            )
        if problems:
            raise IncidentRefused(problems)
        store.record_done(
            db,
            incident_id,
            panel_notified_on.isoformat() if panel_notified_on else None,
            rapid_review_on.isoformat() if rapid_review_on else None,
        )
        for child in store.children(db, incident_id):
            audit.record(
                db,
                at=now,
                action="record_incident_progress",
                actor=actor,
                case_ref=child["case_ref"],
                detail=json.dumps(
                    {
                        "incident": incident_id,
                        "panel_notified_on": _iso(panel_notified_on),
                        "rapid_review_on": _iso(rapid_review_on),
                    }
                ),
            )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def keep_child_history(db: sqlite_utils.Database, child_id: int, case_id: int, day: date) -> int:
    """Keep the case's stored score history up to the incident's ``day`` with the child's
    record (days already kept stay as they were); returns how many days were copied."""
    return store.keep_history(db, child_id, case_id, day.isoformat())


def _add_child(
    db, incident_id: int, case: dict, harm: str, occurred_on: date, actor, stamped: str
) -> int:
    child_id = store.add_child(db, incident_id, case["id"], harm, actor.id, stamped)
    return keep_child_history(db, child_id, case["id"], occurred_on)


def _child_problems(
    db: sqlite_utils.Database, case_ref: str, occurred_on: date
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """The case named, and what stops it having an incident on ``occurred_on``."""
    if not case_ref.strip():
        return None, [("case_ref", "Enter the child's case reference")]
    case = find_case(db, case_ref)
    if case is None:
        return None, [
            (
                "case_ref",
                f"No case has the reference {case_ref.strip()[:40]!r}: check it, or import "
                "the case from the case system first",
            )
        ]
    already = store.child_on_day(db, case["id"], occurred_on.isoformat())
    if already:
        named = already["reference"] or already["incident_id"]
        return case, [
            (
                "case_ref",
                f"An incident on {occurred_on.isoformat()} is already recorded for "
                f"{case['case_ref']} (incident {named})",
            )
        ]
    return case, []


def _choice_problems(harm: str, abuse_or_neglect: str) -> list[tuple[str, str]]:
    problems = []
    if harm not in incidents.HARMS:
        problems.append(("harm", "Choose whether the child died or was seriously harmed"))
    if abuse_or_neglect not in incidents.ABUSE_OR_NEGLECT:
        problems.append(
            ("abuse_or_neglect", "Choose whether abuse or neglect is known or suspected")
        )
    return problems
