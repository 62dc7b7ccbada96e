"""Enquiries CSV: a screening question asked on a case, keyed by case, topic and day."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.services.importer.csvfile import Checker, CsvKind
from hotspots.storage import imports as sql

TOPICS = ("domestic_abuse", "parental_childhood")
OUTCOMES = ("disclosed", "not_disclosed", "unable_to_ask")


class EnquiriesChecker(Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cases = self.case_ids()

    def check(self, n: int, values: list[str]) -> tuple | None:
        ref, topic, asked_on, outcome = values
        topic, outcome = topic.lower(), outcome.lower()
        case_id = self.case_id(n, ref)
        ok = case_id is not None
        ok = self.choice(n, "topic", topic, TOPICS) and ok
        ok = self.date(n, "asked_on", asked_on) and ok
        ok = self.choice(n, "outcome", outcome, OUTCOMES) and ok
        if not ok:
            return None
        key = (ref, topic, asked_on)
        if key in self.seen:
            self.add(
                n,
                "asked_on",
                f"{ref} already has a {topic} enquiry on {asked_on} in this file "
                f"(row {self.seen[key]})",
            )
            return None
        self.seen[key] = n
        return (case_id, topic, asked_on, outcome)


def write_enquiries(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    new, updated = sql.write_staged_enquiries(db, params["now"])
    return new, updated, 0


class Enquiries(CsvKind):
    name = "enquiries"
    title = "Enquiries (CSV)"
    summary = "Screening questions asked, and their outcomes."
    columns = ("case_ref", "topic", "asked_on", "outcome")
    checker = EnquiriesChecker

    def write(self, params: dict[str, str]) -> tuple[int, int, int]:
        return write_enquiries(self.db, self.row_checker, params)
