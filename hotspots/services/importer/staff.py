"""Staff CSV: ``email,name,role,team``, keyed by email; a new team name creates the team."""

from __future__ import annotations

import re
from typing import Any

import sqlite_utils

from hotspots.base.params import person_name_problem
from hotspots.services.importer.csvfile import Checker, CsvKind
from hotspots.storage import imports as sql

ROLES = ("worker", "manager", "admin", "partnership")
# Roles that hold no caseload (the partnership sees no case at all), in words.
NO_CASELOAD = {"admin": "an admin", "partnership": "a member of the partnership"}


def holds_no_caseload(role: str) -> str | None:
    """Who ``role`` is, in words, when it holds no caseload (``an admin``); else None."""
    return NO_CASELOAD.get(role)


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Open cases named in an error about a staff change, before "and N more".
CASES_NAMED = 10


class StaffChecker(Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.teams = sql.teams_by_name(self.db)
        self.new_teams: dict[str, str] = {}  # lower-cased name -> first spelling in the file
        self.caseloads = sql.open_caseloads(self.db, CASES_NAMED)

    def breaks_access(self, n: int, email: str, role: str, team_key: str | None) -> bool:
        """True (with an error naming the cases) when the row would leave a member of staff's
        open cases where the wrong people see them: a move to another team leaves them in
        the old team (shown to the new manager through the caseload), and an admin holds no
        caseload."""
        held = self.caseloads.get(email)
        if held is None:
            return False
        count = held["open_cases"]
        cases = f"{count} open case{'' if count == 1 else 's'}"
        named = held["named"] + (f" and {count - CASES_NAMED} more" if count > CASES_NAMED else "")
        if who := holds_no_caseload(role):
            self.add(
                n,
                "role",
                f"{email} holds {cases} ({named}) and {who} holds no caseload: "
                "reallocate them first (a cases import), then make the change",
            )
            return True
        if team_key != held["team"]:
            self.add(
                n,
                "team",
                f"moving {email} to another team would leave their {cases} ({named}) in "
                f"team {held['team']!r}: reallocate them first (a cases import), then move them",
            )
            return True
        return False

    def check(self, n: int, values: list[str]) -> tuple | None:
        email, name, role, team = values
        email, role = email.lower(), role.lower()
        ok = True
        if not email:
            self.add(n, "email", "is empty")
            ok = False
        elif not EMAIL_PATTERN.match(email):
            self.add(n, "email", f"{email!r} is not an email address")
            ok = False
        elif not self.first_time(n, "email", email):
            ok = False
        name_problem = person_name_problem(name)
        if name_problem:
            self.add(n, "name", name_problem)
            ok = False
        ok = self.choice(n, "role", role, ROLES) and ok
        team_key = team.lower() or None
        if team_key is None:
            if role in ("worker", "manager"):
                self.add(n, "team", f"is empty (every {role} belongs to a team)")
                ok = False
        elif role == "partnership":
            self.add(n, "team", "must be empty: the partnership belongs to no team")
            ok = False
        elif team_key not in self.teams:
            self.new_teams.setdefault(team_key, team)
        if ok and self.breaks_access(n, email, role, team_key):
            ok = False
        return (email, name, role, team_key) if ok else None


def write_staff(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    new_teams = list(checker.new_teams.values())
    new, updated = sql.write_staged_staff(db, new_teams)
    return new, updated, len(new_teams)


class Staff(CsvKind):
    name = "staff"
    title = "Staff (CSV)"
    summary = "email, name, role, team. Creates the teams and names the workers: import it first."
    columns = ("email", "name", "role", "team")
    checker = StaffChecker
    changes_teams = True

    def write(self, params: dict[str, str]) -> tuple[int, int, int]:
        return write_staff(self.db, self.row_checker, params)
