"""Ofsted Annex A workbook (.xlsx, .xlsm or .xls): lists 6 (children in need), 7 (child
protection) and 8 (children looked after) become cases, and the facts ``config.toml`` maps
become observations.

- **What the file holds**: sheets found by name (``List 6``, ``List_6``, ``List 6 - Children
  in Need``…), the header row among the first rows (title rows above it are allowed), columns
  by the spellings ``[import.annex_a.headers]`` lists, matched without regard to case,
  spacing or punctuation; other sheets are named in the report as not used. Values may carry
  the workbook's prefixes (``a) Yes``); dates may be Excel dates, serial numbers or text in
  any unambiguous day-first form (``hotspots.model.plausibility.DATE_FORMS``); blank rows are
  skipped.
- **Checks**: every value used is checked where it stands (``List 7, row 12, column Date of
  the Last Statutory Visit: '31/02/2026' is not a real date``) by ``hotspots.model.plausibility``,
  the same rules as every other import; a worker's name must match one member of staff, or
  be a placeholder (``[import.annex_a] unallocated_workers``). A value written as not known
  (``not_known``) in an optional column is counted, never an error.
- **Mapping**: one case per child however many lists name it (``Child`` below gathers its
  rows); an unborn child on List 6 or 7 (no date of birth, ``Unborn``, or an expected date)
  is a pre-birth case; the visit interval per list and the fact → indicator mapping come from
  ``[import.annex_a]`` in config.toml.
- **Characteristics**: the child's sex (``Gender``, from 2026 ``Sex``), ethnicity and
  disability, on any list, feed only the fairness report (``hotspots.model.characteristics``); a
  value that cannot be read is an error naming where it stands (never the value), lists that
  disagree a warning, and neither value is stored.
- **Apply**: new teams, then cases updated and inserted set-based, then the derived
  observations and the characteristics.

The workbook is read with python-calamine: on a 50,000-child workbook it read the rows about
20 times faster than openpyxl's read-only mode (bench/bench_annex_a.py, docs/benchmarks.md).
"""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import python_calamine

from hotspots.base.config import header_key
from hotspots.model import characteristics
from hotspots.model.plausibility import (
    Implausible,
    read_at_least,
    read_child_id,
    read_date,
    word_key,
)
from hotspots.services.importer import lookalikes
from hotspots.services.importer.base import ImportKind
from hotspots.services.importer.staff import holds_no_caseload
from hotspots.storage import characteristics as kept
from hotspots.storage import imports as sql

LISTS = {6: "List 6 (children in need)", 7: "List 7 (child protection)", 8: "List 8 (looked after)"}
# Per list: the columns it must have, the optional ones, and which are its episode's start,
# end and visit dates (column keys of [import.annex_a.headers]).
REQUIRED = {
    6: ("child_id", "date_of_birth", "team", "worker", "cin_start", "cin_closed", "last_seen"),
    7: ("child_id", "date_of_birth", "team", "worker", "cp_start", "cp_end", "cp_visit"),
    8: ("child_id", "date_of_birth", "team", "worker", "lac_start", "lac_end", "lac_visit"),
}
# The child's characteristics, on any list, feed only the fairness report (never the score).
READERS = {
    "sex": characteristics.read_sex,
    "ethnicity": characteristics.read_ethnicity,
    "disability": characteristics.read_disability,
}
CHARACTERISTICS = tuple(READERS)
OPTIONAL = {
    6: ("case_status", *CHARACTERISTICS),
    7: ("previous_plans", "latest_category", "emergency_protection", *CHARACTERISTICS),
    8: CHARACTERISTICS,
}
EPISODE = {
    6: ("cin_start", "cin_closed", "last_seen"),
    7: ("cp_start", "cp_end", "cp_visit"),
    8: ("lac_start", "lac_end", "lac_visit"),
}
# The lists an unborn child may be on: pre-birth child in need and child protection plans
# are real; a looked-after child has been born.
UNBORN_LISTS = (6, 7)
# Which list's allocation a child takes when several lists name it (open episodes first).
PRECEDENCE = (7, 8, 6)
# Case Status values (List 6) that close the episode, compared as word_key makes them.
CLOSED_STATUSES = ("closed", "closed episode", "case closed", "closed case")
# Rows the reader looks through for the header row (title rows above it are allowed).
HEADER_SEARCH_ROWS = 20
LIST_SHEET = re.compile(r"^\s*(?:annex\s*a\W*)?list[\s_.\-]*0*(\d+)(?!\d)", re.IGNORECASE)
# "child", at most one more word, then "id" or "identifier": the London pipeline's rule for
# the child's id column (compared on the header's words, apostrophes dropped).
CHILD_ID_LIKE = re.compile(r"(?:\w+ )?childs? (?:\w+ )?(?:id|identifier)")
# How like a spelling of a missing column a header must be to be named as the nearest (0 to 1).
NEAR_HEADER = 0.6
# Uncompressed workbooks beyond this many times the limit are refused (a zip bomb).
MAX_EXPANSION = 20
STAGING_BATCH = 20_000
# An encrypted .xlsx is an OLE file holding this stream (its name in UTF-16).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


@dataclass
class Birth:
    """What one row says of a child's birth: ``born`` on ``day``, ``due`` on ``day``
    (unborn), or ``due_unknown`` (unborn, no date; ``said`` when the row wrote so rather than
    leaving the date blank)."""

    status: str
    day: date | None
    where: str
    said: bool = True


@dataclass
class Row:
    """One list's row about a child, its values already checked."""

    where: str
    list_no: int
    start: date | None
    end: date | None
    closed: bool
    visit: date | None
    team: str
    worker: str
    worker_where: str
    facts: dict[str, bool] = field(default_factory=dict)


@dataclass
class Child:
    """Everything the workbook says about one child, gathered over the lists."""

    child_id: str
    where: str  # where its id first stands (List 7, row 3, column Child Unique ID)
    birth: Birth | None = None
    rows: list[Row] = field(default_factory=list)
    # What the lists say of the child's sex, ethnicity and disability.
    described: characteristics.Gathered = field(default_factory=characteristics.Gathered)


class AnnexA(ImportKind):
    name = "annex-a"
    title = "Ofsted Annex A workbook (.xlsx, .xlsm, .xls)"
    summary = "Lists 6, 7 and 8 become cases; workers are matched to staff by name."
    suffixes = (".xlsx", ".xlsm", ".xls")
    changes_teams = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = self.settings["import"]["annex_a"]
        self.headers = _Headers(self.config["headers"])
        self.not_known = {word_key(w) for w in self.config["not_known"]}
        self.unborn = {word_key(w) for w in self.config["unborn"]}
        self.children: dict[str, Child] = {}
        self.folded: dict[str, str] = {}  # each child id without capitals -> as written
        self.rows_read = 0
        self.new_teams: list[str] = []  # names the workbook gives that are not teams yet
        self.listed: set[tuple[str, int]] = set()  # (child, list) pairs seen
        self.characteristics_staged = 0

    # --- staging -----------------------------------------------------------------------------

    def create_staging(self) -> None:
        self.drop_staging()
        sql.create_annex_a_staging(self.db)
        kept.create_staging(self.db)

    def drop_staging(self) -> None:
        sql.drop_annex_a_staging(self.db)
        kept.drop_staging(self.db)

    # --- what the file holds -----------------------------------------------------------------

    def stage(self, path: Path) -> None:
        facts = self._fact_indicators()
        workbook = self._open(path)
        if workbook is None:
            return
        sheets = self._list_sheets(workbook)
        if sheets is None:
            return
        read = {n: self._rows(n, workbook, sheets[n]) for n in LISTS if n in sheets}
        if not self._has_episodes(read) and self._send_annex_a(workbook):
            return
        for list_no, rows in read.items():
            if rows is not None:
                self._read_list(list_no, sheets[list_no], rows)
        self.report.read.update(rows=self.rows_read, children=len(self.children))
        # Mapped even when there are errors already, so the workers' names are checked too.
        self._map_and_stage(facts)

    def _open(self, path: Path) -> python_calamine.CalamineWorkbook | None:
        """The workbook, or None with the reason it cannot be read in ``errors``."""
        limit_mb = self.config["max_file_mb"]
        size = path.stat().st_size
        if size == 0:
            self.errors.at("", "the file is empty")
            return None
        if size > limit_mb * 1_000_000:
            self.errors.at(
                "",
                f"the file is larger than {limit_mb} MB ({size:,} bytes), the largest workbook "
                f"accepted ([import.annex_a] max_file_mb in config.toml)",
            )
            return None
        kind = lookalikes.sniff(path)
        if kind == "ole":
            return self._open_ole(path)
        if kind != "zip":
            self.errors.at("", lookalikes.not_a_workbook(path))
            return None
        try:
            with zipfile.ZipFile(path) as archive:
                expanded = sum(member.file_size for member in archive.infolist())
        except Exception:  # noqa: BLE001 (zipfile's errors on a damaged archive are many)
            self.errors.at("", _DAMAGED)
            return None
        if expanded > limit_mb * 1_000_000 * MAX_EXPANSION:
            self.errors.at(
                "",
                f"the workbook expands to {expanded / 1_000_000:.0f} MB when opened, far more "
                "than an Annex A workbook holds: refused",
            )
            return None
        try:
            return _read(lambda: _workbook(path))
        except python_calamine.PasswordError:
            self.errors.at("", _PASSWORD)
        except _Unreadable:
            self.errors.at("", _DAMAGED)
        return None

    def _open_ole(self, path: Path) -> python_calamine.CalamineWorkbook | None:
        """An old-style .xls workbook (an OLE file), or None: an OLE file holding an
        encrypted .xlsx is password-protected, any other one that calamine cannot read is
        damaged."""
        try:
            return _read(lambda: _workbook(path))
        except python_calamine.PasswordError:
            self.errors.at("", _PASSWORD)
        except _Unreadable:
            self.errors.at("", _PASSWORD if _encrypted(path) else _DAMAGED_XLS)
        return None

    def _list_sheets(self, workbook: python_calamine.CalamineWorkbook) -> dict[int, str] | None:
        sheets: dict[int, str] = {}
        ignored = []
        for name in workbook.sheet_names:
            match = LIST_SHEET.match(name)
            number = int(match.group(1)) if match else None
            if number in LISTS and number not in sheets:
                sheets[number] = name
            else:
                ignored.append(name)
        if not sheets:
            if not self._send_annex_a(workbook):
                self.errors.at(
                    "",
                    "no List 6, List 7 or List 8 sheet found (the sheets are: "
                    + ", ".join(workbook.sheet_names)
                    + ")",
                )
            return None
        if ignored:
            self.report.notes.append("Sheets not used here: " + ", ".join(ignored))
        missing = [LISTS[n] for n in LISTS if n not in sheets]
        if missing:
            self.report.notes.append("Lists not in the workbook: " + ", ".join(missing))
        return sheets

    def _rows(
        self, list_no: int, workbook: python_calamine.CalamineWorkbook, sheet_name: str
    ) -> list[tuple[int, list]] | None:
        try:
            return _read(lambda: _rows(workbook.get_sheet_by_name(sheet_name)))
        except (_Unreadable, python_calamine.PasswordError):
            self.errors.at(sheet_name.strip(), _DAMAGED)
            return None

    def _has_episodes(self, read: dict[int, list | None]) -> bool:
        """Whether any list read has a header row with its episode's start column."""
        for list_no, rows in read.items():
            _, header = self.headers.find_header(rows or [])
            if header is not None and EPISODE[list_no][0] in self.headers.positions(header):
                return True
        return False

    def _send_annex_a(self, workbook: python_calamine.CalamineWorkbook) -> bool:
        """True (with the error) when the workbook is the area SEND inspection's Annex A (its
        headers talk of EHC plans and SEN support)."""
        headers = []
        for name in workbook.sheet_names:
            try:
                rows = _read(lambda name=name: _rows(workbook.get_sheet_by_name(name)))
            except (_Unreadable, python_calamine.PasswordError):
                continue
            headers += [cell for _, cells in rows[:HEADER_SEARCH_ROWS] for cell in cells]
        if not lookalikes.send_annex_a(headers):
            return False
        self.errors.at(
            "",
            "this is the SEND Annex A (the area SEND inspection's lists of children with EHC "
            "plans and SEN support), not the children's social care Annex A: import the "
            "workbook with List 6, List 7 and List 8 (children in need, on a plan, looked after)",
        )
        return True

    def _read_list(self, list_no: int, sheet_name: str, rows: list[tuple[int, list]]) -> None:
        """Check every row of one list (errors name the sheet as the workbook names it)."""
        label = sheet_name.strip()
        header_row, header = self.headers.find_header(rows)
        if header is None:
            self.errors.at(
                label,
                f"no header row with a {self.headers.name('child_id')} column in the first "
                f"{HEADER_SEARCH_ROWS} rows",
            )
            return
        del rows[: rows.index((header_row, header)) + 1]  # the rows after it are the data
        positions = self.headers.positions(header)
        missing = [c for c in REQUIRED[list_no] if c not in positions]
        for column in missing:
            message = self.headers.missing(column, header, positions)
            self.errors.at(f"{label}, row {header_row}", message)
        if missing:
            return
        headers = {c: str(header[i]).strip() for c, i in positions.items()}
        for number, cells in rows:
            if not any(_present(v) for v in cells):
                continue
            values = {c: (cells[i] if i < len(cells) else None) for c, i in positions.items()}
            self.rows_read += 1
            self._read_row(list_no, f"{label}, row {number}", values, headers)

    # --- checks ------------------------------------------------------------------------------

    def _read_row(
        self, list_no: int, where: str, values: dict[str, Any], headers: dict[str, str]
    ) -> None:
        def at(column: str) -> str:
            return f"{where}, column {headers[column]}"

        try:
            child_id = read_child_id(values["child_id"], field=headers["child_id"])
        except Implausible as e:
            self.errors.at(at("child_id"), e.reason)
            return
        folded = self.folded.setdefault(child_id.casefold(), child_id)
        if folded != child_id:
            self.errors.at(
                at("child_id"),
                f"{child_id!r} differs from {folded!r} (elsewhere in the workbook) only in its "
                "capitals: correct one of them so every list names the child the same way",
            )
            return
        child = self.children.get(child_id)
        if child is None:
            child = self.children[child_id] = Child(child_id, at("child_id"))
        if (child_id, list_no) in self.listed:
            self.report.decided[f"rows merged as duplicates (a child again on List {list_no})"] += 1
        self.listed.add((child_id, list_no))
        birth = self._birth(list_no, at("date_of_birth"), values["date_of_birth"])
        if birth is not None:
            self._gather_birth(child, birth)
        start_col, end_col, visit_col = EPISODE[list_no]
        start = self._date(where, headers[start_col], values[start_col], list_no, required=True)
        end = self._date(where, headers[end_col], values[end_col], list_no)
        visit = self._date(where, headers[visit_col], values[visit_col], list_no)
        if start is not None and end is not None and end < start:
            self.errors.at(at(end_col), f"{end.isoformat()} is before the start {start}")
        closed = end is not None
        if list_no == 6 and "case_status" in values:
            closed = closed or word_key(_text(values["case_status"])) in CLOSED_STATUSES
        facts = self._facts(values, headers, where) if list_no == 7 else {}
        self._characteristics(child, values, headers, where)
        team = _text(values["team"])
        if team and self._not_known(team, list_no, headers["team"]):
            team = ""
        child.rows.append(
            Row(
                where=where,
                list_no=list_no,
                start=start,
                end=end,
                closed=closed,
                visit=visit,
                team=team,
                worker=_text(values["worker"]),
                worker_where=at("worker"),
                facts=facts,
            )
        )

    def _not_known(self, text: str, list_no: int, header: str) -> bool:
        """Whether an optional value is written as not known (then counted)."""
        if word_key(text) not in self.not_known:
            return False
        self.report.decided[f"values read as not known (List {list_no}, {header})"] += 1
        return True

    def _birth(self, list_no: int, where: str, value: Any) -> Birth | None:
        """What the row says of the child's birth, or None (with an error)."""
        unborn_here = list_no in UNBORN_LISTS
        text = _text(value) if isinstance(value, str) else ""
        if not _present(value) or word_key(text) in self.unborn:
            if unborn_here:
                return Birth("due_unknown", None, where, said=_present(value))
            self.errors.at(
                where,
                "is empty: a looked-after child has been born, so a date of birth is needed"
                if not _present(value)
                else f"is {text!r}, but a looked-after child has been born: give the date of birth",
            )
            return None
        if word_key(text) in self.not_known:
            unborn = " (or 'Unborn', or the expected date, for an unborn child)"
            self.errors.at(
                where,
                f"is {text!r}: a date of birth is needed{unborn if unborn_here else ''}",
            )
            return None
        try:
            day = read_date(
                value,
                field=where,
                as_of=self.as_of,
                kind="birth_or_expected" if unborn_here else "birth",
            )
        except Implausible as e:
            self.errors.at(where, e.reason)
            return None
        return Birth("due" if day > self.as_of else "born", day, where)

    def _gather_birth(self, child: Child, birth: Birth) -> None:
        """The child's birth over its rows: dated rows must agree; a blank date adds nothing
        to a dated row, but a row saying unborn contradicts one giving a date of birth."""
        known = child.birth
        if known is None or (known.day is None and birth.day is not None and not known.said):
            child.birth = birth
            return
        if birth.day is not None and known.day is not None:
            if birth.day != known.day:
                self.errors.at(
                    birth.where,
                    f"{birth.day.isoformat()} differs from {known.day.isoformat()} "
                    f"({known.where}) for child {child.child_id}",
                )
            return
        dated, unborn = (known, birth) if known.day is not None else (birth, known)
        if dated.status == "born" and unborn.said:
            self.errors.at(
                birth.where,
                f"says child {child.child_id} is unborn, but {dated.where} gives the date of "
                f"birth {dated.day.isoformat()}: correct whichever is wrong",
            )
        elif dated is birth:
            child.birth = birth

    def _date(
        self, row: str, header: str, value: Any, list_no: int, *, required: bool = False
    ) -> date | None:
        """The cell as a date, or None: empty or not known (counted) in an optional column;
        an error when it is required, or not a plausible date."""
        where = f"{row}, column {header}"
        if not _present(value):
            if required:
                self.errors.at(where, "is empty")
            return None
        if isinstance(value, str) and word_key(value) in self.not_known:
            if required:
                self.errors.at(where, f"is {_text(value)!r}, but this date is needed")
            else:
                self._not_known(value, list_no, header)
            return None
        try:
            return read_date(value, field=header, as_of=self.as_of)
        except Implausible as e:
            self.errors.at(where, e.reason)
            return None

    def _facts(self, values: dict[str, Any], headers: dict[str, str], where: str) -> dict:
        """List 7's facts (``[import.annex_a.facts]``) from its optional columns; a value not
        known records no fact."""
        facts = {}

        def known(column: str) -> Any:
            value = values.get(column)
            if not _present(value):
                return None
            if isinstance(value, str) and self._not_known(value, 7, headers[column]):
                return None
            return value

        if (raw := known("previous_plans")) is not None:
            try:
                count = read_at_least(raw, field=headers["previous_plans"])
                facts["previous_child_protection_plans"] = count >= 1
            except Implausible as e:
                self.errors.at(f"{where}, column {headers['previous_plans']}", e.reason)
        if (category := known("latest_category")) is not None:
            key = header_key(_text(category))
            facts["physical_abuse_plan"] = key in ("physicalabuse", "physical", "phy")
        if (answer := known("emergency_protection")) is not None:
            facts["emergency_protection"] = word_key(_text(answer)) in ("yes", "y")
        return facts

    def _characteristics(
        self, child: Child, values: dict[str, Any], headers: dict[str, str], where: str
    ) -> None:
        """The row's sex, ethnicity and disability (``hotspots.model.characteristics``), gathered
        over the child's rows: a blank or a not-known word says nothing; lists that disagree
        are a warning and neither value is stored. Errors and warnings name where a value
        stands, never the value."""
        for column, reader in READERS.items():
            if column not in values:
                continue
            at = f"{where}, column {headers[column]}"
            try:
                value = reader(values[column], field=headers[column], not_known=self.not_known)
            except Implausible as e:
                self.errors.at(at, e.reason)
                continue
            if other := child.described.add(column, value, at):
                self.report.warn(
                    f"{at}: the child's {column} differs from {other}, so neither is stored: "
                    "correct whichever is wrong"
                )
                self.report.decided[f"children whose lists disagree on their {column}"] += 1

    def _fact_indicators(self) -> dict[str, str]:
        """The facts mapping from config.toml, each indicator checked against the catalogue."""
        catalogue = self.settings["scoring"]["indicators"]
        facts = {}
        for fact, indicator in self.config["facts"].items():
            if not indicator:
                continue
            if indicator not in catalogue:
                self.errors.at(
                    "config.toml [import.annex_a.facts]",
                    f"{fact} names indicator {indicator!r}, which is not in [scoring.indicators]",
                )
            facts[fact] = indicator
        return facts

    # --- mapping -----------------------------------------------------------------------------

    def _map_and_stage(self, facts: dict[str, str]) -> None:
        staff = _StaffNames(self.db, self.config["unallocated_workers"])
        teams = sql.teams_by_name(self.db)
        existing = sql.cases_for_annex_a(self.db)
        folded = {ref.casefold(): ref for ref in existing}
        visit_every = {n: self.config[f"visit_every_days_list_{n}"] for n in LISTS}
        new_teams: dict[str, str] = {}
        cases: list[tuple] = []
        observations: dict[str, tuple] = {}
        for child in self.children.values():
            case = existing.get(child.child_id)
            if case is None and child.child_id.casefold() in folded:
                self.errors.at(
                    child.where,
                    f"{child.child_id!r} matches case {folded[child.child_id.casefold()]!r} "
                    "only when capitals are ignored: correct the id in the workbook or the case "
                    "system so they agree (the service does not guess which child it is)",
                )
                continue
            birth = self._birth_to_store(child, case)
            open_rows = [r for r in child.rows if not r.closed]
            episodes = open_rows or child.rows
            status = "open" if open_rows else "closed"
            chosen = min(episodes, key=lambda r: PRECEDENCE.index(r.list_no))
            # Every row's worker is checked (a misspelt name is an error wherever it is);
            # the chosen row's allocates the case.
            matches = {
                id(row): staff.match(row.worker, row.worker_where, self.errors, self.report)
                for row in child.rows
            }
            worker = matches[id(chosen)]
            team_name = chosen.team
            team_id = teams.get(team_name.lower()) if team_name else None
            team_key = None
            if not team_name:
                team_id = (worker[1] if worker else None) or (case["team_id"] if case else None)
                if team_id is None:
                    team_name = self.config["unallocated_team"]
                    team_id = teams.get(team_name.lower())
            if team_id is None:
                team_key = team_name.lower()
                new_teams.setdefault(team_key, team_name)
            starts = [r.start for r in episodes if r.start is not None]
            visits = [r.visit for r in child.rows if r.visit is not None]
            ends = [r.end for r in child.rows if r.end is not None]
            closed_on = None
            if status == "closed":
                closed_on = (max(ends) if ends else self.as_of).isoformat()
            cases.append(
                (
                    child.child_id,
                    *birth,
                    team_id,
                    team_key,
                    worker[0] if worker else None,
                    min(starts).isoformat() if starts else None,
                    closed_on,
                    min(visit_every[r.list_no] for r in episodes),
                    max(visits).isoformat() if visits else None,
                    status,
                )
            )
            for row in child.rows:
                for fact, present in row.facts.items():
                    if not present:
                        continue
                    indicator = facts.get(fact)
                    if indicator is None:
                        self.report.unmapped[f"{fact} (List {row.list_no})"] += 1
                        continue
                    day = row.start.isoformat() if row.start else None
                    if day is None:
                        continue
                    external_id = f"annex-a:{child.child_id}:{fact}:{day}"
                    note = f"From the Annex A workbook, List {row.list_no}: {_FACT_WORDS[fact]}"
                    observations[external_id] = (external_id, child.child_id, indicator, day, note)
        if self.errors.total:
            return
        self.new_teams = list(new_teams.values())
        for start in range(0, len(cases), STAGING_BATCH):
            sql.stage_annex_a_cases(self.db, cases[start : start + STAGING_BATCH])
        sql.stage_derived_observations(self.db, list(observations.values()))
        self.characteristics_staged = kept.stage(
            self.db,
            ((child.child_id, *child.described.values()) for child in self.children.values()),
        )

    def _birth_to_store(self, child: Child, case: dict | None) -> tuple[str | None, str]:
        """(date_of_birth, birth_status) for the case (see the cases table): an unborn child
        with no due date keeps the day the service first read it as unborn, or the due date
        another file gave; a case born here is not made unborn by a blank date."""
        birth = child.birth
        if birth is None:
            return None, "born"  # an error was reported
        held = (case["date_of_birth"], case["birth_status"]) if case else None
        if birth.status != "born":
            if held and held[1] == "born":
                if birth.said or birth.day is not None:
                    self.errors.at(
                        birth.where,
                        f"says child {child.child_id} is unborn, but the case here has the date "
                        f"of birth {held[0]}: correct whichever is wrong",
                    )
                return held
            self.report.decided["unborn children (pre-birth cases)"] += 1
            if birth.day is not None:
                return birth.day.isoformat(), "due"
            if held:
                return held  # due_unknown keeps its day; due keeps the date another file gave
            return self.as_of.isoformat(), "due_unknown"
        if held and held[1] != "born":
            self.report.decided["unborn children now born"] += 1
        return birth.day.isoformat(), "born"

    # --- apply -------------------------------------------------------------------------------

    def apply(self, params: dict[str, str]) -> None:
        written = sql.write_annex_a_cases(self.db, self.new_teams)
        closing, updated, created = written["closing"], written["updated"], written["created"]
        obs_created, obs_updated = sql.write_derived_observations(self.db, params["now"])
        recorded = kept.apply_staged(self.db, kind=self.name, now=params["now"])
        children = len(self.children)
        self.report.counts.update(
            {
                "cases created": created,
                "cases updated": updated,
                "cases unchanged": children - created - updated,
                "cases closed": closing,
                "observations created": obs_created,
                "observations updated": obs_updated,
                "new teams": len(self.new_teams),
            }
        )
        if self.characteristics_staged:
            self.report.counts["children's characteristics recorded or changed"] = recorded


class _Headers:
    """The columns' spellings from ``[import.annex_a.headers]``: which column a header is,
    where the header row is, and the nearest header to one that is missing."""

    def __init__(self, spellings: dict[str, list[str]]) -> None:
        self.spellings = spellings
        # header key -> (column, rank): a sheet with two spellings of one column reads the
        # one listed first.
        self.keys = {
            header_key(h): (column, rank)
            for column, headers in spellings.items()
            for rank, h in enumerate(headers)
        }

    def name(self, column: str) -> str:
        return self.spellings[column][0]

    def column(self, header: Any) -> tuple[str, int] | None:
        if not isinstance(header, str):
            return None
        found = self.keys.get(header_key(header))
        if found is None and _child_id_like(header):
            return "child_id", len(self.spellings["child_id"])
        return found

    def find_header(self, rows: list[tuple[int, list]]) -> tuple[int, list | None]:
        """(row number, cells) of the first of the top rows with a child id header."""
        for number, cells in rows[:HEADER_SEARCH_ROWS]:
            if any((self.column(cell) or ("",))[0] == "child_id" for cell in cells):
                return number, cells
        return 0, None

    def positions(self, header: list) -> dict[str, int]:
        """Each column the header row has, at its position (the best-ranked spelling)."""
        best: dict[str, tuple[int, int]] = {}
        for index, title in enumerate(header):
            found = self.column(title)
            if found and (found[0] not in best or found[1] < best[found[0]][1]):
                best[found[0]] = (index, found[1])
        return {column: index for column, (index, _) in best.items()}

    def missing(self, column: str, header: list, found: dict[str, int]) -> str:
        """The error for a column the header row lacks, naming the nearest header it has: of
        the headers not already read as a column (``found``), the one most like any spelling
        of ``column`` (``difflib``'s ratio, at least NEAR_HEADER)."""
        wanted = self.name(column)
        taken = set(found.values())
        nearest, best = "", NEAR_HEADER
        for index, cell in enumerate(header):
            if index in taken or not isinstance(cell, str) or not header_key(cell):
                continue
            for spelling in self.spellings[column]:
                ratio = difflib.SequenceMatcher(
                    None, header_key(spelling), header_key(cell)
                ).ratio()
                if ratio >= best:
                    nearest, best = cell.strip(), ratio
        text = f"no column {wanted!r} in the header"
        if nearest:
            return (
                f"{text}; the nearest is {nearest!r}: if that is this column, add its spelling "
                f"to {column} in [import.annex_a.headers] (config.toml)"
            )
        return f"{text}, nor any spelling [import.annex_a.headers] {column} lists"


def _child_id_like(header: str) -> bool:
    words = " ".join(re.findall(r"[a-z0-9]+", header.casefold().replace("'", "")))
    return CHILD_ID_LIKE.fullmatch(words) is not None


def _workbook(path: Path) -> python_calamine.CalamineWorkbook:
    """The workbook read by its content (an .xls, .xlsx or .xlsm, whatever the file is named:
    an upload waits under a name of the service's own)."""
    with open(path, "rb") as f:
        return python_calamine.CalamineWorkbook.from_filelike(f)


def _encrypted(path: Path) -> bool:
    with open(path, "rb") as f:
        return ENCRYPTED_PACKAGE in f.read()


class _Unreadable(Exception):
    """The workbook reader failed on this file."""


def _read(call: Callable[[], Any]) -> Any:
    """Call the workbook reader; any failure of it means the file cannot be read. A Rust panic
    inside calamine arrives as pyo3's PanicException, a BaseException, so that is caught too;
    Ctrl-C and exits pass."""
    try:
        return call()
    except (KeyboardInterrupt, SystemExit):
        raise
    except python_calamine.PasswordError:
        raise
    except BaseException as e:  # noqa: BLE001 (see the docstring)
        raise _Unreadable from e


_DAMAGED = (
    "the workbook cannot be read: it is damaged or incomplete (was it fully copied or "
    "uploaded?). Open it in Excel and save it again as an Excel Workbook (.xlsx)"
)
_DAMAGED_XLS = (
    "the workbook cannot be read: it is an old-style .xls file that is damaged or incomplete "
    "(was it fully copied or uploaded?). Open it in Excel and save it as an Excel Workbook "
    "(.xlsx)"
)
_PASSWORD = (
    "the workbook is password-protected: open it in Excel, remove the password (File, Info, "
    "Protect Workbook), and save it again"
)
_FACT_WORDS = {
    "previous_child_protection_plans": "one or more previous child protection plans",
    "physical_abuse_plan": "child protection plan for physical abuse",
    "emergency_protection": "emergency protection order or police protection, last six months",
}


class _StaffNames:
    """Staff matched by name, ignoring case and runs of spaces (non-breaking ones too); the
    placeholder names (``[import.annex_a] unallocated_workers``) mean nobody is allocated."""

    def __init__(self, db: Any, placeholders: list[str]) -> None:
        self.by_name: dict[str, list[dict]] = {}
        for r in sql.staff_with_names(db):
            self.by_name.setdefault(word_key(r["name"]), []).append(r)
        self.placeholders = {word_key(p) for p in placeholders}

    def match(self, name: str, where: str, errors: Any, report: Any) -> tuple[int, int] | None:
        """(staff id, team id) of the allocated worker, or None when nobody is allocated (or
        the name matches nobody, or several: an error)."""
        key = word_key(name)
        if not key:
            return None
        if key in self.placeholders:
            report.decided[f"placeholder workers read as unallocated ({name!r})"] += 1
            return None
        found = self.by_name.get(key, [])
        if not found:
            report.unmatched_workers[name] += 1
            errors.at(
                where,
                f"{name!r} matches no member of staff: import staff first "
                "(hotspots import staff), with this name as the workbook spells it; if it "
                "means nobody is allocated, add it to [import.annex_a] unallocated_workers",
            )
            return None
        if len(found) > 1:
            emails = ", ".join(sorted(r["email"] for r in found))
            report.unmatched_workers[name] += 1
            errors.at(
                where,
                f"{name!r} matches {len(found)} members of staff ({emails}): give them "
                "distinct names in the staff import",
            )
            return None
        person = found[0]
        if who := holds_no_caseload(person["role"]):
            errors.at(where, f"{name!r} is {who} and holds no caseload")
            return None
        return person["id"], person["team_id"]


def _rows(sheet: python_calamine.CalamineSheet) -> list[tuple[int, list]]:
    """Every row with its number as Excel shows it."""
    rows = sheet.to_python(skip_empty_area=False)
    return list(enumerate(rows, start=1))


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as text: a whole number without ``.0``, dates as YYYY-MM-DD, prefixes such as
    ``a) `` removed, runs of (non-breaking) spaces as one."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()[:10]
    return _PREFIX.sub("", " ".join(str(value).replace("\xa0", " ").split()))


_PREFIX = re.compile(r"^[a-z]\)\s*", re.IGNORECASE)


def iter_list_rows(path: Path, list_no: int) -> Iterator[list]:
    """Every row of one list's sheet (for the benchmark's comparison of readers)."""
    workbook = _workbook(path)
    for name in workbook.sheet_names:
        match = LIST_SHEET.match(name)
        if match and int(match.group(1)) == list_no:
            yield from workbook.get_sheet_by_name(name).iter_rows()
            return
