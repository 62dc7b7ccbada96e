"""Ofsted Annex A workbook (.xlsx): lists 6 (children in need), 7 (child protection) and
8 (children looked after) become cases, and the facts ``config.toml`` maps become
observations.

- **What the file holds**: sheets found by name (``List 6``…), columns by header, matched
  without regard to case, spacing or punctuation (``COLUMNS``); other lists are named in the
  report as not used. Values may carry the workbook's prefixes (``a) Yes``); dates may be
  Excel dates or text; blank rows are skipped.
- **Checks**: every value used is checked where it stands (``List 7, row 12, column Date of
  the Last Statutory Visit: '31/02/2026' is not a date``); a worker's name must match one
  member of staff.
- **Mapping**: one case per child however many lists name it (``Child`` below gathers its
  rows); the visit interval per list and the fact → indicator mapping come from
  ``[import.annex_a]`` in config.toml.
- **Apply**: new teams, then cases updated and inserted set-based, then the derived
  observations.

The workbook is read with python-calamine: on a 50,000-child workbook it read the rows about
20 times faster than openpyxl's read-only mode (bench/bench_annex_a.py, docs/benchmarks.md).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import python_calamine

from hotspots.importer.base import ImportKind, changes, flush
from hotspots.params import case_ref_problem
from hotspots.storage import imports as sql

LISTS = {6: "List 6 (children in need)", 7: "List 7 (child protection)", 8: "List 8 (looked after)"}
# Column keys and the headers each may have (either edition), compared as ``_key`` makes them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "child_id": ("Child Unique ID",),
    "date_of_birth": ("Date of Birth",),
    "team": ("Allocated Team",),
    "worker": ("Allocated Worker",),
    "cin_start": ("CIN Start Date",),
    "cin_closed": ("CIN Closure Date",),
    "case_status": ("Case Status",),
    "last_seen": ("Date Child Was Last Seen",),
    "cp_start": ("Child Protection Plan Start Date",),
    "cp_end": ("Child Protection Plan End Date",),
    "cp_visit": ("Date of the Last Statutory Visit", "Date of Last Statutory Visit"),
    "previous_plans": ("Number of Previous Child Protection Plans",),
    "latest_category": ("Latest Category of Abuse",),
    "emergency_protection": (
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six "
        "Months (Y/N)",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months",
    ),
    "lac_start": ("Date Started to be Looked After",),
    "lac_end": ("Date Ceased to be Looked After",),
    "lac_visit": ("Date of Last Social Work Visit",),
}
# Per list: the columns it must have, the optional ones, and which are its episode's start,
# end and visit dates.
REQUIRED = {
    6: ("child_id", "date_of_birth", "team", "worker", "cin_start", "cin_closed", "last_seen"),
    7: ("child_id", "date_of_birth", "team", "worker", "cp_start", "cp_end", "cp_visit"),
    8: ("child_id", "date_of_birth", "team", "worker", "lac_start", "lac_end", "lac_visit"),
}
OPTIONAL = {
    6: ("case_status",),
    7: ("previous_plans", "latest_category", "emergency_protection"),
    8: (),
}
EPISODE = {
    6: ("cin_start", "cin_closed", "last_seen"),
    7: ("cp_start", "cp_end", "cp_visit"),
    8: ("lac_start", "lac_end", "lac_visit"),
}
# Which list's allocation a child takes when several lists name it (open episodes first).
PRECEDENCE = (7, 8, 6)
# Allocated Worker values that mean nobody is allocated (compared as ``_name_key`` makes them).
UNALLOCATED = ("", "#n/a", "n/a", "unallocated", "not allocated", "none")
# Rows the reader looks through for the header row (title rows above it are allowed).
HEADER_SEARCH_ROWS = 20
PREFIX = re.compile(r"^[a-z]\)\s*", re.IGNORECASE)
LIST_SHEET = re.compile(r"^\s*list\s*0*(\d+)\b", re.IGNORECASE)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx, or an old .xls
TEXT_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
EXCEL_EPOCH = date(1899, 12, 30)
MAX_EXCEL_SERIAL = 2_958_465  # 9999-12-31
# Uncompressed workbooks beyond this many times the limit are refused (a zip bomb).
MAX_EXPANSION = 20
STAGING_BATCH = 20_000


def _key(header: Any) -> str:
    """A header compared without regard to case, spacing or punctuation."""
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


HEADER_KEYS = {_key(h): column for column, headers in COLUMNS.items() for h in headers}


def _name_key(name: str) -> str:
    """A person's name compared without regard to case or runs of (non-breaking) spaces."""
    return " ".join(name.replace("\xa0", " ").split()).casefold()


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
    date_of_birth: date | None = None
    birth_where: str = ""
    rows: list[Row] = field(default_factory=list)


class AnnexA(ImportKind):
    name = "annex-a"
    title = "Ofsted Annex A workbook (.xlsx)"
    summary = "Lists 6, 7 and 8 become cases; workers are matched to staff by name."
    suffixes = (".xlsx",)
    changes_teams = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = self.settings["import"]["annex_a"]
        self.children: dict[str, Child] = {}
        self.rows_read = 0
        self.new_teams: list[str] = []  # names the workbook gives that are not teams yet

    # --- staging -----------------------------------------------------------------------------

    def create_staging(self) -> None:
        self.drop_staging()
        self.db.execute(sql.CREATE_ANNEX_A_CASES_SQL)
        self.db.execute(sql.CREATE_DERIVED_OBSERVATIONS_SQL)

    def drop_staging(self) -> None:
        self.db.execute(sql.DROP_ANNEX_A_CASES_SQL)
        self.db.execute(sql.DROP_DERIVED_OBSERVATIONS_SQL)

    # --- what the file holds -----------------------------------------------------------------

    def stage(self, path: Path) -> None:
        facts = self._fact_indicators()
        workbook = self._open(path)
        if workbook is None:
            return
        sheets = self._list_sheets(workbook)
        if sheets is None:
            return
        for list_no in LISTS:
            if list_no in sheets:
                self._read_list(list_no, workbook, sheets[list_no])
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
        with open(path, "rb") as f:
            start = f.read(8)
        if start.startswith(OLE_MAGIC):
            self.errors.at(
                "",
                "the workbook is password-protected (or an old-style .xls file): open it in "
                "Excel, remove the password, and save it as an Excel Workbook (.xlsx)",
            )
            return None
        if not start.startswith(ZIP_MAGIC):
            looks = "a CSV or text file" if _looks_like_text(path) else "some other kind of file"
            self.errors.at(
                "",
                f"this is not an Excel workbook (.xlsx): it looks like {looks}. Open it in "
                "Excel and save it as an Excel Workbook (.xlsx)",
            )
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
            return _read(lambda: python_calamine.CalamineWorkbook.from_path(str(path)))
        except python_calamine.PasswordError:
            self.errors.at("", "the workbook is password-protected: remove the password")
        except _Unreadable:
            self.errors.at("", _DAMAGED)
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

    def _read_list(
        self, list_no: int, workbook: python_calamine.CalamineWorkbook, sheet_name: str
    ) -> None:
        label = f"List {list_no}"
        try:
            rows = _read(lambda: _rows(workbook.get_sheet_by_name(sheet_name)))
        except (_Unreadable, python_calamine.PasswordError):
            self.errors.at(label, _DAMAGED)
            return
        header_row, header = _find_header(rows)
        if header is None:
            self.errors.at(
                label,
                f"no header row with a Child Unique ID column in the first {HEADER_SEARCH_ROWS}"
                " rows",
            )
            return
        positions: dict[str, int] = {}
        for index, title in enumerate(header):
            column = HEADER_KEYS.get(_key(title))
            if column is not None and column not in positions:
                positions[column] = index
        missing = [COLUMNS[c][0] for c in REQUIRED[list_no] if c not in positions]
        for name in missing:
            self.errors.at(f"{label}, row {header_row}", f"no column {name!r} in the header")
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

        child_id = _text(values["child_id"])
        if not child_id:
            self.errors.at(at("child_id"), "is empty")
            return
        # The Child Unique ID becomes the case reference: short and URL-safe, or refused.
        problem = case_ref_problem(child_id)
        if problem:
            self.errors.at(at("child_id"), problem)
            return
        child = self.children.get(child_id)
        if child is None:
            child = self.children[child_id] = Child(child_id)
        birth = self._date(at("date_of_birth"), values["date_of_birth"], required=True)
        if birth is not None:
            if child.date_of_birth is None:
                child.date_of_birth, child.birth_where = birth, where
            elif birth != child.date_of_birth:
                self.errors.at(
                    at("date_of_birth"),
                    f"{birth.isoformat()} differs from {child.date_of_birth.isoformat()} "
                    f"({child.birth_where}) for child {child_id}",
                )
        start_col, end_col, visit_col = EPISODE[list_no]
        start = self._date(at(start_col), values[start_col], required=True)
        end = self._date(at(end_col), values[end_col])
        visit = self._date(at(visit_col), values[visit_col])
        if start is not None and end is not None and end < start:
            self.errors.at(at(end_col), f"{end.isoformat()} is before the start {start}")
        closed = end is not None
        if list_no == 6 and "case_status" in values:
            closed = closed or _key(_text(values["case_status"])) == "closedepisode"
        facts = {}
        if list_no == 7:
            facts = self._facts(values, at)
        child.rows.append(
            Row(
                where=where,
                list_no=list_no,
                start=start,
                end=end,
                closed=closed,
                visit=visit,
                team=_text(values["team"]),
                worker=_text(values["worker"]),
                worker_where=at("worker"),
                facts=facts,
            )
        )

    def _facts(self, values: dict[str, Any], at: Any) -> dict[str, bool]:
        facts = {}
        if "previous_plans" in values:
            raw = values["previous_plans"]
            text = _text(raw)
            if text:
                try:
                    number = float(text)
                except ValueError:
                    number = -1
                if number < 0 or number != int(number):
                    self.errors.at(at("previous_plans"), f"{text!r} is not a whole number")
                else:
                    facts["previous_child_protection_plans"] = number >= 1
        if "latest_category" in values:
            category = _key(_text(values["latest_category"]))
            facts["physical_abuse_plan"] = category in ("physicalabuse", "physical", "phy")
        if "emergency_protection" in values:
            facts["emergency_protection"] = _key(_text(values["emergency_protection"])) in (
                "yes",
                "y",
            )
        return facts

    def _date(self, where: str, value: Any, *, required: bool = False) -> date | None:
        """The cell as a date, or None (an error added when it is not one, or is required)."""
        if not _present(value):
            if required:
                self.errors.at(where, "is empty")
            return None
        day = _as_date(value)
        if day is None:
            self.errors.at(where, f"{_shown(value)!r} is not a date")
            return None
        if day > self.as_of:
            self.errors.at(where, f"{day.isoformat()} is in the future")
            return None
        return day

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
        staff = _StaffNames(self.db)
        teams = {r["name"].lower(): r["id"] for r in self.db.query(sql.SELECT_TEAMS_SQL)}
        existing = {
            r["case_ref"]: r["team_id"] for r in self.db.query(sql.SELECT_CASES_FOR_ANNEX_A_SQL)
        }
        visit_every = {n: self.config[f"visit_every_days_list_{n}"] for n in LISTS}
        new_teams: dict[str, str] = {}
        cases: list[tuple] = []
        observations: dict[str, tuple] = {}
        for child in self.children.values():
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
                team_id = (worker[1] if worker else None) or existing.get(child.child_id)
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
                    child.date_of_birth.isoformat() if child.date_of_birth else None,
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
            flush(self.db, sql.INSERT_ANNEX_A_CASE_SQL, cases[start : start + STAGING_BATCH])
        flush(self.db, sql.INSERT_DERIVED_OBSERVATION_SQL, list(observations.values()))

    # --- apply -------------------------------------------------------------------------------

    def apply(self, params: dict[str, str]) -> None:
        for name in self.new_teams:
            self.db.execute(sql.INSERT_TEAM_IF_NEW_SQL, {"name": name})
        self.db.execute(sql.RESOLVE_ANNEX_A_TEAMS_SQL)
        closing = self.db.execute(sql.COUNT_ANNEX_A_CLOSING_SQL).fetchone()[0]
        updated = changes(self.db, sql.UPDATE_ANNEX_A_CASES_SQL)
        created = changes(self.db, sql.INSERT_ANNEX_A_CASES_SQL)
        obs_updated = changes(self.db, sql.UPDATE_DERIVED_OBSERVATIONS_SQL)
        obs_created = changes(self.db, sql.INSERT_DERIVED_OBSERVATIONS_SQL, {"now": params["now"]})
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
_FACT_WORDS = {
    "previous_child_protection_plans": "one or more previous child protection plans",
    "physical_abuse_plan": "child protection plan for physical abuse",
    "emergency_protection": "emergency protection order or police protection, last six months",
}


class _StaffNames:
    """Staff matched by name, ignoring case and runs of spaces (non-breaking ones too)."""

    def __init__(self, db: Any) -> None:
        self.by_name: dict[str, list[dict]] = {}
        for r in db.query(sql.SELECT_STAFF_NAMES_SQL):
            self.by_name.setdefault(_name_key(r["name"]), []).append(r)

    def match(self, name: str, where: str, errors: Any, report: Any) -> tuple[int, int] | None:
        """(staff id, team id) of the allocated worker, or None when nobody is allocated (or
        the name matches nobody, or several: an error)."""
        key = _name_key(name)
        if key in UNALLOCATED:
            return None
        found = self.by_name.get(key, [])
        if not found:
            report.unmatched_workers[name] += 1
            errors.at(
                where,
                f"{name!r} matches no member of staff: import staff first "
                "(hotspots import staff), with this name as the workbook spells it",
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
        if person["role"] == "admin":
            errors.at(where, f"{name!r} is an admin and holds no caseload")
            return None
        return person["id"], person["team_id"]


def _rows(sheet: python_calamine.CalamineSheet) -> list[tuple[int, list]]:
    """Every row with its number as Excel shows it."""
    rows = sheet.to_python(skip_empty_area=False)
    return list(enumerate(rows, start=1))


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, list | None]:
    wanted = _key(COLUMNS["child_id"][0])
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_key(cell) == wanted for cell in cells if isinstance(cell, str)):
            del rows[: index + 1]  # the rows after the header are the data
            return number, cells
    return 0, None


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell as text: a whole number without ``.0``, dates as YYYY-MM-DD, prefixes such as
    ``a) `` removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return PREFIX.sub("", str(value).replace("\xa0", " ").strip())


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value <= MAX_EXCEL_SERIAL:
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = PREFIX.sub("", str(value).strip())
    if len(text) > 10 and text[10] in " T":  # a time after the date: 2026-01-02 00:00:00
        text = text[:10]
    for pattern in TEXT_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as f:
        start = f.read(4096)
    try:
        start.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in start


def iter_list_rows(path: Path, list_no: int) -> Iterator[list]:
    """Every row of one list's sheet (for the benchmark's comparison of readers)."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in workbook.sheet_names:
        match = LIST_SHEET.match(name)
        if match and int(match.group(1)) == list_no:
            yield from workbook.get_sheet_by_name(name).iter_rows()
            return
