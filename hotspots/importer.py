"""CSV import: staff, cases, observations and enquiries, each from a UTF-8 CSV file.

A file imports whole or not at all. Every row is checked first (lookups loaded once into
dicts); the good rows are staged in a TEMP table as they are read; only a file without a
single error is then applied, set-based, in one write transaction. Re-importing a file
changes nothing: rows are matched on their keys (staff email, case_ref, observation id,
and case_ref + topic + asked_on for enquiries) and updated only where a value differs.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import operator
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from hotspots import audit, rescoring
from hotspots.dates import parse_date, stamp
from hotspots.storage import imports as sql
from hotspots.storage import write_transaction

KINDS = ("staff", "cases", "observations", "enquiries")
COLUMNS = {
    "staff": ("email", "name", "role", "team"),
    "cases": (
        "case_ref",
        "initials",
        "date_of_birth",
        "team",
        "worker_email",
        "opened_on",
        "visit_every_days",
        "last_visit_on",
        "status",
    ),
    "observations": (
        "id",
        "case_ref",
        "indicator",
        "observed_on",
        "source",
        "recorded_by",
        "status",
        "note",
    ),
    "enquiries": ("case_ref", "topic", "asked_on", "outcome"),
}
ROLES = ("worker", "manager", "admin")
CASE_STATUSES = ("open", "closed")
OBSERVATION_STATUSES = ("current", "resolved", "refuted")
TOPICS = ("domestic_abuse", "parental_childhood")
OUTCOMES = ("disclosed", "not_disclosed", "unable_to_ask")

# Enough to fix a file by; a million bad rows must not bury the first ones.
MAX_ERRORS_LISTED = 100
# Rows staged per executemany: large enough to be fast, small enough to keep memory flat.
STAGING_BATCH = 20_000
MAX_NOTE_LENGTH = 2000
BULK_LOAD_CACHE_KIB = 262_144  # 256 MiB of page cache during an import or the demo load
MAX_VISIT_EVERY_DAYS = 365

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class ImportResult:
    """What an import did; ``rescored`` is None when the import was asked not to rescore."""

    kind: str
    file_name: str
    rows: int
    new: int
    updated: int
    new_teams: int = 0
    rescored: int | None = None

    @property
    def unchanged(self) -> int:
        return self.rows - self.new - self.updated

    def summary(self) -> str:
        text = (
            f"{self.kind}: {self.rows} row{'' if self.rows == 1 else 's'} read, {self.new} new,"
            f" {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.new_teams:
            text += f"; {self.new_teams} new team{'s' if self.new_teams != 1 else ''}"
        return text


class ImportRejected(Exception):
    """The file has errors and nothing was imported. ``errors`` holds the first
    MAX_ERRORS_LISTED messages, ``total`` how many there were in all."""

    def __init__(self, file_name: str, errors: list[str], total: int) -> None:
        self.file_name = file_name
        self.errors = errors
        self.total = total
        super().__init__(str(self))

    def __str__(self) -> str:
        noun = "error" if self.total == 1 else "errors"
        lines = [f"{self.file_name}: nothing imported, {self.total} {noun}:"]
        lines += [f"  {error}" for error in self.errors]
        if self.total > len(self.errors):
            lines.append(f"  and {self.total - len(self.errors)} more")
        return "\n".join(lines)


@dataclass
class _Errors:
    limit: int = MAX_ERRORS_LISTED
    listed: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, column: str | None, reason: str) -> None:
        self.total += 1
        if len(self.listed) < self.limit:
            where = f"row {row}, column {column}" if column else f"row {row}"
            self.listed.append(f"{where}: {reason}")


def import_csv(
    db: sqlite_utils.Database,
    settings: dict[str, Any],
    kind: str,
    path: str | Path,
    *,
    as_of: date,
    now: datetime,
    rescore: bool = True,
) -> ImportResult:
    """Import one CSV file of ``kind`` whole, or raise ImportRejected and change nothing.

    Dates after ``as_of`` are errors. Every case whose data changes is marked for rescoring
    in the import's transaction (by the database's triggers); after the commit,
    ``hotspots.rescoring.rescore_changed`` rescores them (unless ``rescore`` is false). One
    audit_log row records the import.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    path = Path(path)
    errors = _Errors()
    checker = _CHECKERS[kind](db, settings, as_of, errors)
    db.execute(sql.DROP_STAGING_SQL[kind])
    db.execute(sql.CREATE_STAGING_SQL[kind])
    with bulk_load_cache(db):
        try:
            rows = _stage(db, kind, path, checker, errors)
            if errors.total:
                raise ImportRejected(path.name, errors.listed, errors.total)
            params = {"as_of": as_of.isoformat(), "now": stamp(now)}
            try:
                with write_transaction(db):
                    new, updated, new_teams = _APPLY[kind](db, checker, params)
                    detail = {"kind": kind, "file": path.name, "rows": rows, "new": new}
                    detail |= {"updated": updated, "unchanged": rows - new - updated}
                    audit.record(db, at=now, action="import", detail=json.dumps(detail))
            except sqlite3.IntegrityError as e:
                # Only when someone changed the same data between the checks and the write.
                raise ImportRejected(
                    path.name, [f"the database changed during the import ({e}); run it again"], 1
                ) from None
        finally:
            db.execute(sql.DROP_STAGING_SQL[kind])
    rescored = rescoring.rescore_changed(db, settings, as_of=as_of, now=now) if rescore else None
    return ImportResult(kind, path.name, rows, new, updated, new_teams, rescored)


@contextlib.contextmanager
def bulk_load_cache(db: sqlite_utils.Database) -> Iterator[None]:
    """A big page cache while loading, so index pages stay in memory, then the usual one."""
    before = {
        schema: db.execute(sql.GET_CACHE_SIZE_SQL[schema]).fetchone()[0]
        for schema in sql.GET_CACHE_SIZE_SQL
    }
    for schema in before:
        db.execute(sql.SET_CACHE_SIZE_SQL[schema].format(kib=-BULK_LOAD_CACHE_KIB))
    try:
        yield
    finally:
        for schema, size in before.items():
            db.execute(sql.SET_CACHE_SIZE_SQL[schema].format(kib=int(size)))


# --- reading ---------------------------------------------------------------------------------


def _records(path: Path, errors: _Errors) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, fields) for every CSV record, the header being row 1.

    A file that is all UTF-8 (nearly every file) is read straight through. Otherwise lines
    are decoded one at a time so each byte that is not UTF-8 is reported on its own row, and
    the rest of the file is still checked (with the bad bytes replaced).
    """
    with open(path, "rb") as f:
        if f.read(2) in UTF16_BOMS:
            errors.add(1, None, "the file is UTF-16, not UTF-8: save it as CSV UTF-8")
            return
    if _is_utf8(path):
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
        with open(path, encoding="utf-8-sig", newline="") as f:
            yield from _read_csv(csv.reader(f), errors, [])
        return
    undecodable: list[UnicodeDecodeError] = []
    with open(path, "rb") as f:

        def lines() -> Iterator[str]:
            first = True
            for raw in f:
                if first:
                    raw = raw.removeprefix(UTF8_BOM)
                    first = False
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    undecodable.append(e)
                    yield raw.decode("utf-8", "replace")

        yield from _read_csv(csv.reader(lines()), errors, undecodable)


def _read_csv(
    reader: Iterator[list[str]], errors: _Errors, undecodable: list[UnicodeDecodeError]
) -> Iterator[tuple[int, list[str]]]:
    row = 0
    try:
        for row, fields in enumerate(reader, start=1):  # noqa: B007 (row is used after the loop)
            if undecodable:
                bad = undecodable[0].object[undecodable[0].start]
                errors.add(row, None, f"is not UTF-8 text (byte 0x{bad:02x}); save as CSV UTF-8")
                undecodable.clear()
            yield row, fields
    except csv.Error as e:
        errors.add(row + 1, None, f"cannot be read as CSV ({e}); nothing after it was read")


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _stage(db: sqlite_utils.Database, kind: str, path: Path, checker: Any, errors: _Errors) -> int:
    """Check every row, staging good ones while the file is still error-free; return the
    number of data rows read."""
    columns = COLUMNS[kind]
    records = _records(path, errors)
    header: list[str] | None = None
    for _, fields in records:
        if any(f.strip() for f in fields):  # blank lines before the header are let pass
            header = [f.strip().lower() for f in fields]
            break
    if header is None:
        if not errors.total:
            errors.add(1, None, "the file is empty; expected a header row: " + ",".join(columns))
        return 0
    if not _header_ok(header, columns, errors):
        return 0

    order = [header.index(c) for c in columns]
    width = len(header)
    insert = sql.INSERT_STAGING_SQL[kind]
    check = checker.check
    pick = operator.itemgetter(*order)
    strip = str.strip
    batch: list[tuple] = []
    rows = 0
    for n, fields in records:
        if len(fields) != width:
            if not any(f.strip() for f in fields):
                continue  # a blank line, e.g. at the end of the file
            rows += 1
            if len(fields) < width:
                errors.add(
                    n,
                    header[len(fields)],
                    f"missing (the row has {len(fields)} values, the header {width} columns)",
                )
            else:
                errors.add(
                    n,
                    str(width + 1),
                    f"unexpected extra value (the row has {len(fields)} values, "
                    f"the header {width} columns)",
                )
            continue
        values = list(map(strip, pick(fields)))
        if not any(values):
            continue
        rows += 1
        staged = check(n, values)
        if staged is not None and not errors.total:
            batch.append(staged)
            if len(batch) >= STAGING_BATCH:
                _flush(db, insert, batch)
        elif batch:
            batch.clear()
    if batch and not errors.total:
        _flush(db, insert, batch)
    return rows


def _flush(db: sqlite_utils.Database, insert: str, batch: list[tuple]) -> None:
    # A deferred transaction that writes only TEMP tables takes no lock on the database.
    db.execute("BEGIN")
    try:
        db.conn.executemany(insert, batch)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    batch.clear()


def _header_ok(header: list[str], columns: tuple[str, ...], errors: _Errors) -> bool:
    before = errors.total
    expected = ",".join(columns)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.add(1, name, "appears twice in the header")
        seen.add(name)
    for name in columns:
        if name not in seen:
            errors.add(1, name, f"missing from the header (expected {expected})")
    for position, name in enumerate(header, start=1):
        if name not in columns:
            label = name or str(position)
            errors.add(1, label, f"unexpected column (expected {expected})")
    return errors.total == before


# --- checking --------------------------------------------------------------------------------


class _Dates:
    """Checks ISO dates against ``as_of``, remembering each distinct text (files repeat
    the same few hundred days a million times)."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.reasons: dict[str, str | None] = {}

    def reason(self, text: str) -> str | None:
        """Why ``text`` is not an acceptable date, or None when it is."""
        try:
            return self.reasons[text]
        except KeyError:
            pass
        try:
            reason = f"{text} is in the future" if parse_date(text) > self.as_of else None
        except ValueError as e:
            reason = str(e)
        self.reasons[text] = reason
        return reason


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class _Checker:
    def __init__(
        self, db: sqlite_utils.Database, settings: dict[str, Any], as_of: date, errors: _Errors
    ) -> None:
        self.db = db
        self.settings = settings
        self.errors = errors
        self.dates = _Dates(as_of)
        self.add: Callable[[int, str | None, str], None] = errors.add
        # Each key of the file's rows, with the row it was first on (duplicates are errors).
        self.seen: dict[Any, int] = {}

    def first_time(self, n: int, column: str, key: str) -> bool:
        """True the first time ``key`` appears in the file; later rows are errors."""
        if key in self.seen:
            self.add(n, column, f"{key} appears again (first on row {self.seen[key]})")
            return False
        self.seen[key] = n
        return True

    def date(self, n: int, column: str, text: str, *, required: bool = True) -> bool:
        if not text:
            if required:
                self.add(n, column, "is empty")
                return False
            return True
        reason = self.dates.reason(text)
        if reason:
            self.add(n, column, reason)
            return False
        return True

    def choice(self, n: int, column: str, text: str, allowed: tuple[str, ...]) -> bool:
        if text in allowed:
            return True
        if not text:
            self.add(n, column, f"is empty (one of: {_choices(allowed)})")
        else:
            self.add(n, column, f"unknown {column} {text!r} (one of: {_choices(allowed)})")
        return False

    def staff(self) -> dict[str, tuple[int, str, int | None]]:
        return {
            r["email"]: (r["id"], r["role"], r["team_id"])
            for r in self.db.query(sql.SELECT_STAFF_SQL)
        }

    def case_ids(self) -> dict[str, int]:
        return {r["case_ref"]: r["id"] for r in self.db.query(sql.SELECT_CASE_REFS_SQL)}

    def case_id(self, n: int, ref: str) -> int | None:
        case_id = self.cases.get(ref)
        if case_id is None:
            if ref:
                self.add(
                    n, "case_ref", f"unknown case_ref {ref!r} (import it in a cases file first)"
                )
            else:
                self.add(n, "case_ref", "is empty")
        return case_id


class _StaffChecker(_Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.teams = {r["name"].lower(): r["id"] for r in self.db.query(sql.SELECT_TEAMS_SQL)}
        self.new_teams: dict[str, str] = {}  # lower-cased name -> first spelling in the file

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
        if not name:
            self.add(n, "name", "is empty")
            ok = False
        ok = self.choice(n, "role", role, ROLES) and ok
        team_key = team.lower() or None
        if team_key is None:
            if role in ("worker", "manager"):
                self.add(n, "team", f"is empty (every {role} belongs to a team)")
                ok = False
        elif team_key not in self.teams:
            self.new_teams.setdefault(team_key, team)
        return (email, name, role, team_key) if ok else None


class _CasesChecker(_Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.teams = {r["name"].lower(): r["id"] for r in self.db.query(sql.SELECT_TEAMS_SQL)}
        self.staff_by_email = self.staff()

    def check(self, n: int, values: list[str]) -> tuple | None:
        ref, initials, dob, team, worker, opened, every, last_visit, status = values
        ok = True
        if not ref:
            self.add(n, "case_ref", "is empty")
            ok = False
        elif not self.first_time(n, "case_ref", ref):
            ok = False
        letters = "".join(c for c in initials if c.isalpha()).upper()
        if not initials:
            self.add(n, "initials", "is empty")
            ok = False
        elif not 1 <= len(letters) <= 4 or any(not (c.isalpha() or c in ". -") for c in initials):
            # Initials only: the service keeps no names.
            self.add(n, "initials", "should be the child's initials, 1 to 4 letters")
            ok = False
        ok = self.date(n, "date_of_birth", dob) and ok
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
            elif found[1] == "admin":
                self.add(n, "worker_email", f"{worker} is an admin and holds no caseload")
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
        elif not every.isdigit() or not 1 <= int(every) <= MAX_VISIT_EVERY_DAYS:
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
        if not ok:
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
        )


class _ObservationsChecker(_Checker):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cases = self.case_ids()
        self.staff_ids = {email: found[0] for email, found in self.staff().items()}
        self.indicators = frozenset(self.settings["scoring"]["indicators"])
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
        if indicator not in self.indicators:
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


class _EnquiriesChecker(_Checker):
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


_CHECKERS: dict[str, type[_Checker]] = {
    "staff": _StaffChecker,
    "cases": _CasesChecker,
    "observations": _ObservationsChecker,
    "enquiries": _EnquiriesChecker,
}


# --- applying (inside the write transaction) -------------------------------------------------


def _apply_staff(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    new_teams = [{"name": name} for name in checker.new_teams.values()]
    if new_teams:
        db.conn.executemany(sql.INSERT_TEAM_SQL, new_teams)
    db.execute(sql.RESOLVE_STAGED_STAFF_TEAMS_SQL)
    updated = _changes(db, sql.UPDATE_STAFF_SQL)
    new = _changes(db, sql.INSERT_STAFF_SQL)
    return new, updated, len(new_teams)


def _apply_cases(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    updated = _changes(db, sql.UPDATE_CASES_SQL, params)
    new = _changes(db, sql.INSERT_CASES_SQL, params)
    return new, updated, 0


def _apply_observations(
    db: sqlite_utils.Database, checker: Any, params: dict
) -> tuple[int, int, int]:
    now = {"now": params["now"]}
    db.execute(sql.DROP_OBSERVATION_CHANGES_SQL)
    db.execute(sql.FIND_OBSERVATION_CHANGES_SQL)
    try:
        updated = _changes(db, sql.UPDATE_OBSERVATIONS_SQL, now)
        new = _changes(db, sql.INSERT_OBSERVATIONS_SQL, now)
    finally:
        db.execute(sql.DROP_OBSERVATION_CHANGES_SQL)
    return new, updated, 0


def _apply_enquiries(db: sqlite_utils.Database, checker: Any, params: dict) -> tuple[int, int, int]:
    updated = _changes(db, sql.UPDATE_ENQUIRIES_SQL)
    new = _changes(db, sql.INSERT_ENQUIRIES_SQL, {"now": params["now"]})
    return new, updated, 0


def _changes(db: sqlite_utils.Database, statement: str, params: dict | None = None) -> int:
    """Run one statement and return how many rows it changed (cursor.rowcount is -1 for
    statements that start with WITH)."""
    db.execute(statement, params or {})
    return db.execute("SELECT changes()").fetchone()[0]


_APPLY: dict[str, Callable[[sqlite_utils.Database, Any, dict], tuple[int, int, int]]] = {
    "staff": _apply_staff,
    "cases": _apply_cases,
    "observations": _apply_observations,
    "enquiries": _apply_enquiries,
}
