"""Cases CSV: one row per case, keyed by ``case_ref``; teams and workers must exist."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from hotspots.base.params import parse_id
from hotspots.model import characteristics, nhs_number
from hotspots.model.plausibility import Implausible
from hotspots.services.importer.csvfile import Checker, CsvKind
from hotspots.services.importer.staff import holds_no_caseload
from hotspots.storage import characteristics as kept
from hotspots.storage import imports as sql

CASE_STATUSES = ("open", "closed")
MAX_VISIT_EVERY_DAYS = 365


class CasesChecker(Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.teams = sql.teams_by_name(self.db)
        self.staff_by_email = self.staff()
        self.optional_columns: tuple[str, ...] = ()  # set by the staging from the header

    def check(self, n: int, values: list[str]) -> tuple | None:
        ref, initials, dob, team, worker, opened, every, last_visit, status, nhs = values[:10]
        ok = True
        ref = self.case_ref(n, ref)
        if ref is None or not self.first_time(n, "case_ref", ref):
            ok = False
        letters = "".join(c for c in initials if c.isalpha()).upper()
        if not initials:
            self.add(n, "initials", "is empty")
            ok = False
        elif not 1 <= len(letters) <= 4 or any(not (c.isalpha() or c in ". -") for c in initials):
            # Initials only: the service keeps no names.
            self.add(n, "initials", "should be the child's initials, 1 to 4 letters")
            ok = False
        ok = self.date(n, "date_of_birth", dob, kind="birth") and ok
        team_id = self.teams.get(team.lower())
        if team_id is None:
            reason = "is empty" if not team else f"unknown team {team!r}"
            self.add(n, "team", reason + " (teams come from the staff import)")
            ok = False
        worker_id = None
        if worker:
            found = self.staff_by_email.get(worker.lower())
            if found is None:
                self.add(n, "worker_email", f"unknown worker {worker!r} (not in the staff list)")
                ok = False
            elif who := holds_no_caseload(found[1]):
                self.add(n, "worker_email", f"{worker} is {who} and holds no caseload")
                ok = False
            elif team_id is not None and found[2] != team_id:
                self.add(n, "worker_email", f"{worker} is not in team {team!r}")
                ok = False
            else:
                worker_id = found[0]
        ok = self.date(n, "opened_on", opened) and ok
        visit_every_days = None
        if not every:
            self.add(n, "visit_every_days", "is empty")
            ok = False
        elif not (parse_id(every) or 0) or not 1 <= int(every) <= MAX_VISIT_EVERY_DAYS:
            self.add(
                n,
                "visit_every_days",
                f"{every!r} is not a whole number of days from 1 to {MAX_VISIT_EVERY_DAYS}",
            )
            ok = False
        else:
            visit_every_days = int(every)
        ok = self.date(n, "last_visit_on", last_visit, required=False) and ok
        status = status.lower()
        ok = self.choice(n, "status", status, CASE_STATUSES) and ok
        # Optional; used only to match partners' notifications. Never echoed in a message.
        if nhs and (reason := nhs_number.problem(nhs)):
            self.add(n, "nhs_number", reason)
            ok = False
        found = self.characteristics(n, values[10:])
        if not ok or found is None:
            return None
        return (
            ref,
            letters,
            dob,
            team_id,
            worker_id,
            opened,
            visit_every_days,
            last_visit or None,
            status,
            nhs_number.normalise(nhs) if nhs else None,
            *found,
        )

    def characteristics(self, n: int, values: list[str]) -> tuple | None:
        """The optional sex, ethnicity and disability (``hotspots.model.characteristics``; blank:
        nothing said), or None with an error for each that cannot be read. The error never
        repeats the value."""
        read = []
        ok = True
        for column, reader in (
            ("sex", characteristics.read_sex),
            ("ethnicity", characteristics.read_ethnicity),
            ("disability", characteristics.read_disability),
        ):
            try:
                read.append(reader(values[len(read)], field=column))
            except Implausible as e:
                self.add(n, column, e.reason)
                read.append(None)
                ok = False
        return tuple(read) if ok else None


def write_cases(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    # A file without the nhs_number column leaves the NHS numbers already held as they are.
    new, updated = sql.write_staged_cases(
        db,
        as_of=params["as_of"],
        now=params["now"],
        with_nhs_number="nhs_number" in checker.optional_columns,
    )
    return new, updated, 0


def write_characteristics(db: sqlite_utils.Database, params: dict) -> int:
    """The staged cases' characteristics, once the cases are written; returns how many
    children's were recorded or changed."""
    kept.create_staging(db)
    sql.stage_case_characteristics(db)
    written = kept.apply_staged(db, kind="cases", now=params["now"])
    kept.drop_staging(db)
    return written


class Cases(CsvKind):
    name = "cases"
    title = "Cases (CSV)"
    summary = "One row per case, in the service's own format."
    columns = (
        "case_ref",
        "initials",
        "date_of_birth",
        "team",
        "worker_email",
        "opened_on",
        "visit_every_days",
        "last_visit_on",
        "status",
    )
    # nhs_number only matches partners' notifications; sex, ethnicity and disability only feed
    # the fairness report: none of them is ever an input to the score.
    optional_columns = ("nhs_number", "sex", "ethnicity", "disability")
    checker = CasesChecker
    changes_teams = True

    def write(self, params: dict[str, str]) -> tuple[int, int, int]:
        return write_cases(self.db, self.row_checker, params)

    def apply(self, params: dict[str, str]) -> None:
        super().apply(params)
        if {"sex", "ethnicity", "disability"} & set(self.row_checker.optional_columns):
            written = write_characteristics(self.db, params)
            self.report.counts["children's characteristics recorded or changed"] = written
