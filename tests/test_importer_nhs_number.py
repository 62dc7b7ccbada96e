"""The cases CSV's optional nhs_number column: check digit verified, stored only for matching
partners' notifications, never echoed in an error; a file without the column keeps the NHS
numbers already held."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.services.importer import ImportRejected, import_csv

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))
STAFF = """email,name,role,team
worker@example.org,Wren Worker,worker,Norwich North
"""
HEADER = (
    "case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,"
    "last_visit_on,status"
)
ROW = "{ref},AB,2026-03-01,Norwich North,worker@example.org,2026-04-01,14,,open"


def run(db, settings, tmp_path, kind, text):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    return import_csv(db, settings, kind, path, as_of=NOW.date(), now=NOW, rescore=False)


def cases_file(rows: dict[str, str | None]) -> str:
    """A cases file; a value of None leaves the nhs_number column out altogether."""
    with_column = any(v is not None for v in rows.values())
    lines = [HEADER + (",nhs_number" if with_column else "")]
    for ref, nhs in rows.items():
        lines.append(ROW.format(ref=ref) + (f",{nhs}" if with_column else ""))
    return "\n".join(lines) + "\n"


def nhs_numbers(db):
    return dict(db.execute("SELECT case_ref, nhs_number FROM cases ORDER BY case_ref").fetchall())


@pytest.fixture
def staff(db, settings, tmp_path):
    run(db, settings, tmp_path, "staff", STAFF)


def test_a_cases_file_with_nhs_numbers_stores_them_as_ten_digits(db, settings, tmp_path, staff):
    result = run(db, settings, tmp_path, "cases", cases_file({"C1": "943 476 5919", "C2": ""}))
    assert result.new == 2
    assert nhs_numbers(db) == {"C1": "9434765919", "C2": None}


def test_a_cases_file_without_the_column_imports_as_before_and_keeps_numbers_held(
    db, settings, tmp_path, staff
):
    run(db, settings, tmp_path, "cases", cases_file({"C1": "9434765919"}))
    result = run(db, settings, tmp_path, "cases", cases_file({"C1": None, "C2": None}))
    assert (result.new, result.updated) == (1, 0)
    assert nhs_numbers(db) == {"C1": "9434765919", "C2": None}


def test_importing_the_same_numbers_again_changes_nothing_and_a_new_one_updates(
    db, settings, tmp_path, staff
):
    run(db, settings, tmp_path, "cases", cases_file({"C1": "9434765919"}))
    db.execute("DELETE FROM rescore_queue")
    assert run(db, settings, tmp_path, "cases", cases_file({"C1": "943-476-5919"})).updated == 0
    assert run(db, settings, tmp_path, "cases", cases_file({"C1": "4010232137"})).updated == 1
    assert nhs_numbers(db) == {"C1": "4010232137"}
    # An NHS number feeds no score: changing it marks nothing for rescoring.
    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone()[0] == 0


def test_a_wrong_check_digit_rejects_the_file_without_echoing_the_number(
    db, settings, tmp_path, staff
):
    text = cases_file({"C1": "9434765919", "C2": "9434765918", "C3": "12345"})
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, tmp_path, "cases", text)
    assert caught.value.errors == [
        "row 3, column nhs_number: is not a valid NHS number: its check digit is wrong "
        "(a digit mistyped?)",
        "row 4, column nhs_number: is not an NHS number: it should be 10 digits",
    ]
    assert "9434765918" not in str(caught.value)
    assert nhs_numbers(db) == {}


def test_the_header_names_the_optional_column_when_a_required_one_is_missing(
    db, settings, tmp_path, staff
):
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, tmp_path, "cases", "case_ref,nhs_number\nC1,9434765919\n")
    assert "(and optionally nhs_number,sex,ethnicity,disability)" in caught.value.errors[0]
