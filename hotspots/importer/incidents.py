"""Serious incidents CSV: one row per child an incident harmed, keyed by the child's case and
the incident's day.

Columns ``case_ref``, ``occurred_on``, ``known_on``, ``harm`` (``died`` or
``serious_harm``), ``abuse_or_neglect`` (``known`` or ``suspected``); optionally ``summary``,
``incident`` (the partnership's own reference: rows that share one are one incident, siblings
harmed together, notified once), ``panel_notified_on`` and ``rapid_review_on`` (the days they
were done). The same checks as every import (dates real, none in the future), and an
incident's own: the authority not aware before it happened, not before the child's birth,
the rapid review not before the notification. All or nothing; importing the same file again
changes nothing; a row for a child already recorded that day updates what it says.

Each child recorded keeps a copy of their case's stored score history up to the incident
(``hotspots.partnership.recording``), as one recorded on the partnership's page does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlite_utils

from hotspots import audit, incidents
from hotspots.dates import parse_date
from hotspots.importer.csvfile import Checker, CsvKind
from hotspots.partnership.recording import keep_child_history, reference_problem, summary_problem
from hotspots.storage import incidents as store

# Words accepted for each value (after lower-casing, spaces and hyphens read as "_").
HARM_WORDS = {"died": "died", "death": "died", "serious_harm": "serious_harm"}
HARM_WORDS |= {"seriously_harmed": "serious_harm"}
ABUSE_WORDS = {"known": "known", "suspected": "suspected"}


def _word(text: str) -> str:
    return "_".join(text.lower().replace("-", " ").split())


class IncidentsChecker(Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cases = self.case_ids()
        self.births = store.case_births(self.db)
        self.recorded = store.recorded_children(self.db)
        self.references = store.recorded_references(self.db)
        # The first row of each reference in the file, and what it said.
        self.reference_rows: dict[str, tuple[int, str, str, str]] = {}
        self.optional_columns: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The columns in the order the values arrive (csvfile._stage: the required ones, then
        every optional one, "" for one the file leaves out)."""
        return Incidents.columns + Incidents.optional_columns

    def check(self, n: int, values: list[str]) -> tuple | None:
        row = dict(zip(self.names(), values, strict=True))
        ok = True
        case_id = self.case_id(n, row["case_ref"])
        ok = case_id is not None
        ok = self.date(n, "occurred_on", row["occurred_on"]) and ok
        ok = self.date(n, "known_on", row["known_on"]) and ok
        harm = HARM_WORDS.get(_word(row["harm"]), row["harm"].lower())
        ok = self.choice(n, "harm", harm, tuple(incidents.HARMS)) and ok
        abuse = ABUSE_WORDS.get(_word(row["abuse_or_neglect"]), row["abuse_or_neglect"].lower())
        ok = self.choice(n, "abuse_or_neglect", abuse, tuple(incidents.ABUSE_OR_NEGLECT)) and ok
        summary, reference = row["summary"], row["incident"]
        if problem := summary_problem(summary):
            self.add(n, "summary", problem)
            ok = False
        if problem := reference_problem(reference):
            self.add(n, "incident", problem)
            ok = False
        for name in ("panel_notified_on", "rapid_review_on"):
            ok = self.date(n, name, row[name], required=False) and ok
        if not ok:
            return None
        occurred_on, known_on = parse_date(row["occurred_on"]), parse_date(row["known_on"])
        for column, reason in incidents.date_problems(
            occurred_on=occurred_on,
            known_on=known_on,
            as_of=self.dates.as_of,
            date_of_birth=parse_date(born) if (born := self.births[case_id]) else None,
        ):
            self.add(n, column, reason)
            ok = False
        ok = self._done_days_ok(n, row, known_on) and ok
        ok = ok and self.first_time(n, "occurred_on", f"{row['case_ref']} on {occurred_on}")
        ok = ok and self._same_incident(n, case_id, occurred_on, row, reference, abuse)
        if not ok:
            return None
        return (
            n,
            case_id,
            occurred_on.isoformat(),
            known_on.isoformat(),
            harm,
            abuse,
            summary,
            reference or None,
            row["panel_notified_on"] or None,
            row["rapid_review_on"] or None,
        )

    def _done_days_ok(self, n: int, row: Mapping[str, str], known_on: date) -> bool:
        notified = parse_date(row["panel_notified_on"]) if row["panel_notified_on"] else None
        reviewed = parse_date(row["rapid_review_on"]) if row["rapid_review_on"] else None
        ok = True
        for column, day, words in (
            ("panel_notified_on", notified, "day the Panel was notified"),
            ("rapid_review_on", reviewed, "day of the rapid review"),
        ):
            if problem := incidents.done_problem(words, day, known_on, self.dates.as_of):
                self.add(n, column, problem)
                ok = False
        if reviewed and notified and reviewed < notified:
            self.add(
                n,
                "rapid_review_on",
                f"{reviewed.isoformat()} is before the Panel was notified "
                f"({notified.isoformat()}): the rapid review follows it",
            )
            ok = False
        return ok

    def _same_incident(
        self,
        n: int,
        case_id: int,
        occurred_on: date,
        row: Mapping[str, str],
        reference: str,
        abuse: str,
    ) -> bool:
        """Rows for one incident say the same of it: those sharing a reference in the file,
        one joining an incident already recorded under its reference, and one for a child
        already recorded that day (whose incident it updates)."""
        day, known = occurred_on.isoformat(), parse_date(row["known_on"]).isoformat()
        existing = self.recorded.get((case_id, day))
        if existing and reference and existing["reference"] not in (None, reference):
            self.add(
                n,
                "incident",
                f"{row['case_ref']}'s incident on {day} is recorded as {existing['reference']}, "
                f"not {reference}",
            )
            return False
        if existing and not row["panel_notified_on"] and existing["panel_notified_on"]:
            if existing["panel_notified_on"] < known:
                self.add(
                    n,
                    "known_on",
                    f"{known} is after the day the Panel was notified of this incident "
                    f"({existing['panel_notified_on']})",
                )
                return False
        if not reference:
            return True
        first = self.reference_rows.get(reference)
        recorded = self.references.get(reference)
        said = (day, known, abuse)
        if first is None and recorded is not None:
            first = (0, recorded["occurred_on"], recorded["known_on"], recorded["abuse_or_neglect"])
        if first is None:
            self.reference_rows[reference] = (n, *said)
            return True
        where = f"row {first[0]}" if first[0] else "the incident already recorded"
        ok = True
        for column, value, then in zip(
            ("occurred_on", "known_on", "abuse_or_neglect"), said, first[1:], strict=True
        ):
            if value != then:
                self.add(
                    n,
                    column,
                    f"{value} differs from {then} in {where} for incident {reference}: the "
                    "rows of one incident give the same days and the same abuse_or_neglect",
                )
                ok = False
        return ok


class Incidents(CsvKind):
    name = "incidents"
    title = "Serious incidents (CSV)"
    summary = "Serious incidents to children (the partnership's record): one row per child."
    columns = ("case_ref", "occurred_on", "known_on", "harm", "abuse_or_neglect")
    optional_columns = ("summary", "incident", "panel_notified_on", "rapid_review_on")
    checker = IncidentsChecker

    def staging_sql(self) -> tuple[str, str, str]:
        return store.DROP_STAGING_SQL, store.CREATE_STAGING_SQL, store.INSERT_STAGING_SQL

    def apply(self, params: dict[str, str]) -> None:
        counts = write_incidents(self.db, params)
        rows = self.report.read["rows"]
        self.report.counts.update(
            {
                "incidents recorded": counts["incidents"],
                "children recorded": counts["children"],
                "updated": counts["updated"],
                "unchanged": rows - counts["children"] - counts["updated"],
            }
        )

    def audit_detail(self) -> dict[str, Any]:
        return {"kind": self.name, "file": self.report.file_name, **self.report.counts}


def write_incidents(db: sqlite_utils.Database, params: Mapping[str, str]) -> dict[str, int]:
    """Apply the staged rows (a few dozen at most: incidents are rare), inside the import's
    write transaction: a child already recorded that day updates their incident; otherwise
    the child joins the incident named by its reference, or starts a new one."""
    counts = {"incidents": 0, "children": 0, "updated": 0}
    now = params["now"]
    by_reference = {r: found["id"] for r, found in store.recorded_references(db).items()}
    recorded = store.recorded_children(db)
    for row in store.staged(db):
        existing = recorded.get((row["case_id"], row["occurred_on"]))
        if existing:
            counts["updated"] += _update(db, existing, row)
            continue
        incident_id = by_reference.get(row["reference"]) if row["reference"] else None
        if incident_id is None:
            incident_id = store.insert_incident(
                db,
                {key: row[key] for key in store.INCIDENT_FACTS} | {"staff_id": None, "now": now},
            )
            counts["incidents"] += 1
            if row["reference"]:
                by_reference[row["reference"]] = incident_id
        child_id = store.add_child(db, incident_id, row["case_id"], row["harm"], None, now)
        kept = keep_child_history(db, child_id, row["case_id"], parse_date(row["occurred_on"]))
        counts["children"] += 1
        audit.record(
            db,
            at=datetime.fromisoformat(now),
            action="record_incident",
            case_ref=row["case_ref"],
            detail=json.dumps(
                {"incident": incident_id, "harm": row["harm"], "history_days_kept": kept}
                | {"by": "import"}
            ),
        )
    return counts


def _update(db: sqlite_utils.Database, existing: Mapping[str, Any], row: Mapping[str, Any]) -> int:
    """Bring an incident already recorded into line with its row; 1 if anything changed."""
    facts = {
        "id": existing["incident_id"],
        "known_on": row["known_on"],
        "abuse_or_neglect": row["abuse_or_neglect"],
        "summary": row["summary"] or existing["summary"],
        "panel_notified_on": row["panel_notified_on"],
        "rapid_review_on": row["rapid_review_on"],
    }
    changed = (
        any(facts[key] != existing[key] for key in ("known_on", "abuse_or_neglect", "summary"))
        or any(
            facts[key] is not None and facts[key] != existing[key]
            for key in ("panel_notified_on", "rapid_review_on")
        )
        or row["harm"] != existing["harm"]
    )
    if changed:
        store.update_incident(db, facts)
        store.set_harm(db, existing["child_id"], row["harm"])
    return int(changed)
