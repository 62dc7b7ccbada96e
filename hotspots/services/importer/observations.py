"""Observations CSV: one indicator seen on a case, keyed by the sender's ``id``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

from hotspots.base.config import derived_indicators, recordable_indicators
from hotspots.model.scoring import not_recordable
from hotspots.services.importer.csvfile import Checker, CsvKind
from hotspots.storage import imports as sql

OBSERVATION_STATUSES = ("current", "resolved", "refuted")
MAX_NOTE_LENGTH = 2000


class ObservationsChecker(Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cases = self.case_ids()
        self.staff_ids = {email: found[0] for email, found in self.staff().items()}
        self.indicators = frozenset(recordable_indicators(self.settings))
        self.derived = derived_indicators(self.settings)
        self.sources = tuple(self.settings["import"]["sources"])
        self.check = self._quick_check()

    def _quick_check(self) -> Callable[[int, list[str]], tuple | None]:
        """The check for a row whose values are all good and in their plain form; any other
        row goes the long way round, which also explains what is wrong. Observation files run
        to millions of rows, so this path is kept to dictionary and set lookups."""
        cases, seen, staff_ids = self.cases, self.seen, self.staff_ids
        indicators, sources = self.indicators, frozenset(self.sources)
        statuses, date_reasons = frozenset(OBSERVATION_STATUSES), self.dates.reasons
        slow = self._check

        def check(n: int, values: list[str]) -> tuple | None:
            external_id, ref, indicator, observed_on, source, recorded_by, status, note = values
            case_id = cases.get(ref)
            recorded_by_id = staff_ids.get(recorded_by) if recorded_by else None
            if (
                case_id is None
                or not external_id
                or external_id in seen
                or indicator not in indicators
                or date_reasons.get(observed_on, "unchecked") is not None
                or source not in sources
                or status not in statuses
                or (recorded_by and recorded_by_id is None)
                or len(note) > MAX_NOTE_LENGTH
            ):
                return slow(n, values)
            seen[external_id] = n
            return (
                external_id,
                case_id,
                indicator,
                observed_on,
                source,
                recorded_by_id,
                status,
                note,
            )

        return check

    def _check(self, n: int, values: list[str]) -> tuple | None:
        external_id, ref, indicator, observed_on, source, recorded_by, status, note = values
        ok = True
        if not external_id:
            self.add(n, "id", "is empty")
            ok = False
        elif not self.first_time(n, "id", external_id):
            ok = False
        case_id = self.case_id(n, ref)
        ok = ok and case_id is not None
        indicator = indicator.lower()
        if indicator in self.derived:
            self.add(n, "indicator", not_recordable(indicator, self.settings["scoring"]))
            ok = False
        elif indicator not in self.indicators:
            self.add(
                n,
                "indicator",
                f"unknown indicator {indicator!r} (not in [scoring.indicators] in config.toml)"
                if indicator
                else "is empty",
            )
            ok = False
        ok = self.date(n, "observed_on", observed_on) and ok
        source = source.lower()
        if source not in self.sources:
            ok = self.choice(n, "source", source, self.sources) and ok
        recorded_by_id = None
        if recorded_by:
            recorded_by_id = self.staff_ids.get(recorded_by.lower())
            if recorded_by_id is None:
                self.add(n, "recorded_by", f"unknown staff email {recorded_by!r}")
                ok = False
        status = status.lower()
        if status not in OBSERVATION_STATUSES:
            ok = self.choice(n, "status", status, OBSERVATION_STATUSES) and ok
        if len(note) > MAX_NOTE_LENGTH:
            self.add(n, "note", f"is longer than {MAX_NOTE_LENGTH} characters")
            ok = False
        if not ok:
            return None
        return (external_id, case_id, indicator, observed_on, source, recorded_by_id, status, note)


def write_observations(
    db: sqlite_utils.Database, checker: Any, params: dict
) -> tuple[int, int, int]:
    new, updated = sql.write_staged_observations(db, params["now"])
    return new, updated, 0


class Observations(CsvKind):
    name = "observations"
    title = "Observations (CSV)"
    summary = "Indicators seen, from any agency."
    columns = (
        "id",
        "case_ref",
        "indicator",
        "observed_on",
        "source",
        "recorded_by",
        "status",
        "note",
    )
    checker = ObservationsChecker

    def write(self, params: dict[str, str]) -> tuple[int, int, int]:
        return write_observations(self.db, self.row_checker, params)
