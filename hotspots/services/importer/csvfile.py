"""CSV files: reading, the header, and the checks every CSV kind shares.

A file imports whole or not at all. Every row is checked first (lookups loaded once into
dicts); the good rows are staged in a TEMP table as they are read; only a file without a
single error is then applied, set-based, in one write transaction. Re-importing a file
changes nothing: rows are matched on their keys (staff email, case_ref, observation id,
and case_ref + topic + asked_on for enquiries) and updated only where a value differs.

Each CSV kind is a module beside this one (``staff``, ``cases``, ``observations``,
``enquiries``): its columns, its checker (a ``Checker``) and its set-based writes.
"""

from __future__ import annotations

import codecs
import csv
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from hotspots.base.params import control_character
from hotspots.model.plausibility import DateKind, Implausible, read_child_id, read_iso_date
from hotspots.services.importer import lookalikes
from hotspots.services.importer.base import Errors, ImportKind, ImportReport
from hotspots.storage import imports as sql

# Rows staged per executemany: large enough to be fast, small enough to keep memory flat.
STAGING_BATCH = 20_000
# Longest value in any column but a note (names, emails and teams are far shorter).
MAX_FIELD_LENGTH = 254
# Columns allowed to be longer, and their limit.
LONG_COLUMNS = {"note": 2000}

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class CsvKind(ImportKind):
    """A CSV import kind: ``columns`` (the header, in any order), ``checker`` (checks and maps
    one row to the staged tuple) and ``write`` (the set-based statements)."""

    suffixes = (".csv",)
    columns: ClassVar[tuple[str, ...]]
    # Columns a file may leave out (the checker then sees ""); which were present is given to
    # the checker as ``optional_columns``.
    optional_columns: ClassVar[tuple[str, ...]] = ()
    checker: ClassVar[type[Checker]]

    def __init__(self, db: sqlite_utils.Database, settings: dict[str, Any], **kwargs: Any):
        super().__init__(db, settings, **kwargs)
        self.row_checker = self.checker(db, settings, self.as_of, self.errors)

    def create_staging(self) -> None:
        sql.create_staging(self.db, self.name)

    def drop_staging(self) -> None:
        sql.drop_staging(self.db, self.name)

    def stage_rows(self, batch: list[tuple]) -> None:
        """Stage a batch of checked rows and empty it (the four first CSV kinds stage in
        storage.imports; a kind with a storage module of its own stages there)."""
        sql.stage_rows(self.db, self.name, batch)

    def stage(self, path: Path) -> None:
        if path.stat().st_size and lookalikes.sniff(path) in ("zip", "ole"):
            self.errors.add(
                1,
                None,
                "this is an Excel workbook, not a CSV file: the Annex A workbook is imported as "
                "annex-a; any other sheet, save it as CSV UTF-8",
            )
            self.report.read["rows"] = 0
            return
        rows = _stage(
            self.db,
            self.name,
            self.columns,
            path,
            self.row_checker,
            self.errors,
            self.optional_columns,
            stage_rows=self.stage_rows,
        )
        self.report.read["rows"] = rows

    def apply(self, params: dict[str, str]) -> None:
        new, updated, new_teams = self.write(params)
        rows = self.report.read["rows"]
        self.report.counts.update(new=new, updated=updated, unchanged=rows - new - updated)
        if new_teams:
            self.report.counts["new teams"] = new_teams

    def write(self, params: dict[str, str]) -> tuple[int, int, int]:
        """Apply the staged rows; return (new, updated, new teams)."""
        raise NotImplementedError

    def audit_detail(self) -> dict[str, Any]:
        counts = self.report.counts
        return {
            "kind": self.name,
            "file": self.report.file_name,
            "rows": self.report.read["rows"],
            "new": counts["new"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
        }


def result_of(report: ImportReport) -> ImportResult:
    """The one-line result the CSV import has always returned."""
    counts = report.counts
    return ImportResult(
        report.kind,
        report.file_name,
        report.read.get("rows", 0),
        counts.get("new", 0),
        counts.get("updated", 0),
        counts.get("new teams", 0),
        report.rescored,
    )


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


# --- reading ---------------------------------------------------------------------------------


def _records(path: Path, errors: Errors) -> Iterator[tuple[int, list[str]]]:
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
    reader: Iterator[list[str]], errors: Errors, undecodable: list[UnicodeDecodeError]
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


def _stage(
    db: sqlite_utils.Database,
    kind: str,
    columns: tuple[str, ...],
    path: Path,
    checker: Any,
    errors: Errors,
    optional: tuple[str, ...] = (),
    *,
    stage_rows: Callable[[list[tuple]], None],
) -> int:
    """Check every row, staging good ones (with ``stage_rows``) while the file is still
    error-free; return the number of data rows read. The checker gets ``columns`` then
    ``optional`` ("" for an optional column the file leaves out)."""
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
    if (other := lookalikes.csv_file(header)) and not set(columns) <= set(header):
        errors.add(1, None, f"this is {other}, not a {kind} file")
        return 0
    if not _header_ok(header, columns + optional, errors, optional):
        return 0
    present = tuple(c for c in optional if c in header)
    checker.optional_columns = present
    # The checker gets every column in order, "" for an optional one the file leaves out
    # (read from one empty value put after the row's own).
    named = columns + optional
    width = len(header)
    order = [header.index(c) if c in header else width for c in named]
    padded = len(present) < len(optional)
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
        values = list(map(strip, pick(fields + [""] if padded else fields)))
        if not any(values):
            continue
        rows += 1
        if not _fields_ok(n, named, values, errors):
            batch.clear()
            continue
        staged = check(n, values)
        if staged is not None and not errors.total:
            batch.append(staged)
            if len(batch) >= STAGING_BATCH:
                stage_rows(batch)
        elif batch:
            batch.clear()
    if batch and not errors.total:
        stage_rows(batch)
    return rows


def _fields_ok(n: int, columns: tuple[str, ...], values: list[str], errors: Errors) -> bool:
    """Checks every column of every CSV kind shares: no control characters (a line break
    inside a value is how an unterminated quote shows: it swallowed the lines after it), and
    no value longer than its column allows."""
    joined = "".join(values)
    if control_character(joined) is None and len(joined) <= MAX_FIELD_LENGTH:
        return True  # the common case, decided without looking at each value
    ok = True
    for column, value in zip(columns, values, strict=True):
        found = control_character(value)
        if found == "a line break":
            errors.add(
                n,
                column,
                'contains a line break: if a quote (") was left open it swallowed the lines '
                "after it; close the quote, or put the value on one line",
            )
            ok = False
        elif found:
            errors.add(n, column, f"contains {found}: remove it")
            ok = False
        limit = LONG_COLUMNS.get(column, MAX_FIELD_LENGTH)
        if len(value) > limit:
            errors.add(n, column, f"is longer than {limit} characters ({len(value)})")
            ok = False
    return ok


def _header_ok(
    header: list[str], columns: tuple[str, ...], errors: Errors, optional: tuple[str, ...] = ()
) -> bool:
    before = errors.total
    expected = ",".join(c for c in columns if c not in optional)
    if optional:
        expected += f" (and optionally {','.join(optional)})"
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.add(1, name, "appears twice in the header")
        seen.add(name)
    for name in columns:
        if name not in seen and name not in optional:
            errors.add(1, name, f"missing from the header (expected {expected})")
    for position, name in enumerate(header, start=1):
        if name not in columns:
            label = name or str(position)
            errors.add(1, label, f"unexpected column (expected {expected})")
    return errors.total == before


# --- checking --------------------------------------------------------------------------------


class Dates:
    """Checks ISO dates against ``as_of`` (``hotspots.model.plausibility``), remembering each
    distinct
    text (files repeat the same few hundred days a million times): ``reasons`` for the dates
    of events, ``birth_reasons`` for dates of birth."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.reasons: dict[str, str | None] = {}
        self.birth_reasons: dict[str, str | None] = {}

    def reason(self, text: str, kind: DateKind = "event") -> str | None:
        """Why ``text`` is not an acceptable date of ``kind``, or None when it is."""
        known = self.birth_reasons if kind == "birth" else self.reasons
        try:
            return known[text]
        except KeyError:
            pass
        try:
            read_iso_date(text, field="", as_of=self.as_of, kind=kind)
            reason = None
        except Implausible as e:
            reason = e.reason
        known[text] = reason
        return reason


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class Checker:
    def __init__(
        self, db: sqlite_utils.Database, settings: dict[str, Any], as_of: date, errors: Errors
    ) -> None:
        self.db = db
        self.settings = settings
        self.errors = errors
        self.dates = Dates(as_of)
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

    def date(
        self, n: int, column: str, text: str, *, required: bool = True, kind: DateKind = "event"
    ) -> bool:
        if not text:
            if required:
                self.add(n, column, "is empty")
                return False
            return True
        reason = self.dates.reason(text, kind)
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
        return sql.staff_by_email(self.db)

    def case_ids(self) -> dict[str, int]:
        return sql.case_ids_by_ref(self.db)

    def case_ref(self, n: int, text: str) -> str | None:
        """The case reference in a row (``123.0`` read as ``123``), or None with an error."""
        try:
            return read_child_id(text, field="case_ref")
        except Implausible as e:
            self.add(n, "case_ref", e.reason)
            return None

    def case_id(self, n: int, text: str) -> int | None:
        ref = self.case_ref(n, text)
        if ref is None:
            return None
        case_id = self.cases.get(ref)
        if case_id is None:
            self.add(n, "case_ref", f"unknown case_ref {ref!r} (import it in a cases file first)")
        return case_id
