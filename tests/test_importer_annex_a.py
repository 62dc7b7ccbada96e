"""The Ofsted Annex A import: the shared sample workbook, workbooks written here in either
edition, every kind of bad value and of broken file, the mapping, the report, the command."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from hotspots.importer import ImportRejected, import_csv, import_file

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SAMPLE = SHARED / "annex-a" / "Annex_A.xlsx"
AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))

# The sample's allocated workers, spelled as a staff list might spell them (case, spaces).
SAMPLE_STAFF = """email,name,role,team
lead@example.org,Lee Lead,manager,Locality 4 Unit 1
ezra@example.org,Ezra Leigh,worker,Locality 4 Unit 1
petra@example.org,Petra  Wills,worker,Locality 4 Unit 1
stevie@example.org,stevie greenwood,worker,Locality 4 Unit 1
rose@example.org,Rose Cunningham,worker,Locality 4 Unit 1
eugene@example.org,Eugene Swift,worker,Children in Care Team 1
wyatt@example.org,Wyatt Hammond,worker,Children in Care Team 1
fatimah@example.org,Fatimah Davison,worker,Children in Care Team 2
isis@example.org,Isis Chandler,worker,Children in Care Team 3
"""
STAFF = """email,name,role,team
amira@example.org,Amira Ashby,worker,Norwich North
dev@example.org,Dev Kettle,worker,Norwich North
sam@example.org,Sam Rix,manager,Norwich North
ada@example.org,Ada Admin,admin,
twin1@example.org,Jo Twin,worker,Norwich North
twin2@example.org,Jo Twin,worker,Broadland
"""

LIST_6 = [
    "Child Unique ID",
    "Sex",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Does the Child have a Disability",
    "CIN Start Date",
    "Primary Need Code",
    "Date Child Was Last Seen",
    "CIN Closure Date",
    "Reason for Closure",
    "Case Status",
    "Allocated Team",
    "Allocated Worker",
]
LIST_7 = [
    "Child Unique ID",
    "Sex",
    "Date of Birth",
    "Child Protection Plan Start Date",
    "Latest Category of Abuse",
    "Date of the Last Statutory Visit",
    "Child Protection Plan End Date",
    "Number of Previous Child Protection Plans",
    "Allocated Team",
    "Allocated Worker",
]
LIST_8 = [
    "Child Unique ID",
    "Gender",
    "Date of Birth",
    "Date Started to be Looked After",
    "Date of Last Social Work Visit",
    "Date Ceased to be Looked After",
    "Allocated Team",
    "Allocated Worker",
]


def cin_row(
    child, dob, start, seen, closed=None, status="c) Child in need plan", team="", worker=""
):
    return [child, "b) Female", "a) WBRI", dob, 3, "b) No", start, "N1", seen, closed, None,
            status, team, worker]  # fmt: skip


def cp_row(child, dob, start, visit, end=None, previous=0, team="", worker="", category="Neglect"):
    return [child, "a) Male", dob, start, category, visit, end, previous, team, worker]


def lac_row(child, dob, start, visit, end=None, team="", worker=""):
    return [child, "a) Male", dob, start, visit, end, team, worker]


def workbook(path, lists, *, title_rows=0, extra_sheets=("List 1", "List 2")):
    """An .xlsx with the given lists: {number: (header, rows)}; title rows above headers."""
    book = Workbook()
    book.remove(book.active)
    for name in extra_sheets:
        book.create_sheet(name).append(["Child Unique ID", "Gender"])
    for number, (header, rows) in lists.items():
        sheet = book.create_sheet(f"List {number}")
        for _ in range(title_rows):
            sheet.append(["Annex A: invented council"])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def run(db, settings, path, **options):
    options.setdefault("rescore", False)
    return import_file(db, settings, "annex-a", path, as_of=AS_OF, now=NOW, **options)


def rejected(db, settings, path, **options) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, path, **options)
    return caught.value


def staff(db, settings, tmp_path, text=STAFF):
    path = tmp_path / "staff.csv"
    path.write_text(text)
    import_csv(db, settings, "staff", path, as_of=AS_OF, now=NOW, rescore=False)


def cases(db):
    return {
        r["case_ref"]: r
        for r in db.query(
            "SELECT c.*, t.name AS team, s.email AS worker FROM cases AS c"
            " JOIN teams AS t ON t.id = c.team_id LEFT JOIN staff AS s ON s.id = c.worker_id"
        )
    }


def observations(db):
    return {r["external_id"]: r for r in db.query("SELECT * FROM observations")}


def data(db):
    tables = ("teams", "cases", "observations")
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}  # noqa: S608


@pytest.fixture
def with_staff(db, settings, tmp_path):
    staff(db, settings, tmp_path)
    return db


# --- the shared sample -----------------------------------------------------------------------


def test_the_sample_workbook_imports_one_case_per_child_once_staff_are_known(
    db, settings, tmp_path
):
    staff(db, settings, tmp_path, SAMPLE_STAFF)

    report = run(db, settings, SAMPLE)

    assert report.read == {"rows": 17, "children": 17}
    assert report.counts["cases created"] == 17
    assert report.counts["cases closed"] == 6
    assert report.counts["observations created"] == 2
    found = cases(db)
    # List 7: worker matched whatever the case and the runs of spaces in the staff list.
    assert found["5358472"]["worker"] == "petra@example.org"
    assert found["16036763"]["worker"] == "stevie@example.org"
    assert found["5358472"]["visit_every_days"] == 14
    # List 6 rows have no team and no worker: unallocated, in the configured team.
    assert found["12598894"]["team"] == "Awaiting allocation"
    assert found["12598894"]["worker_id"] is None
    assert found["12598894"]["opened_on"] == "2010-06-09"
    # List 7 plan ended 2021-02-16: a closed case, closed on the plan's end.
    assert (found["10721552"]["status"], found["10721552"]["closed_on"]) == ("closed", "2021-02-16")
    # List 8, ceased to be looked after: closed.
    assert found["3623204"]["status"] == "closed"
    assert found["1761444"]["visit_every_days"] == 42
    assert (
        "Sheets not used here: List 1, List 2, List 3, List 4, List 5, List 9, List 10, List 11"
        in (report.notes)
    )


def test_the_sample_workbook_records_each_repeat_child_protection_plan(db, settings, tmp_path):
    staff(db, settings, tmp_path, SAMPLE_STAFF)

    run(db, settings, SAMPLE)

    found = observations(db)
    repeat = found["annex-a:5358472:previous_child_protection_plans:2021-02-08"]
    assert repeat["indicator"] == "repeat_child_protection_plan"
    assert repeat["observed_on"] == "2021-02-08"  # the plan's start date
    assert (repeat["source"], repeat["status"]) == ("social_care", "current")
    assert len(found) == 2  # the two List 7 rows with a previous plan


def test_the_sample_workbook_without_staff_lists_every_unmatched_worker(db, settings):
    problem = rejected(db, settings, SAMPLE)

    assert problem.total == 12
    assert problem.errors[0] == (
        "List 7, row 2, column Allocated Worker: 'Ezra Leigh' matches no member of staff:"
        " import staff first (hotspots import staff), with this name as the workbook spells it"
    )
    assert problem.report.unmatched_workers["Petra Wills"] == 2
    assert db["cases"].count == 0


# --- workbooks written here ------------------------------------------------------------------


def two_list_workbook(tmp_path, **kwargs):
    return workbook(
        tmp_path / "annex-a.xlsx",
        {
            6: (
                LIST_6,
                [
                    cin_row(
                        7310000,
                        date(2025, 6, 1),
                        date(2026, 1, 5),
                        "01/11/2026",
                        team="Norwich North",
                        worker="Dev Kettle",
                    ),  # fmt: skip
                    [None] * 14,  # a blank row
                    cin_row(
                        "7310001",
                        "14/03/2024",
                        date(2025, 2, 1),
                        date(2026, 10, 1),
                        closed=date(2026, 6, 30),
                        team="Norwich North",
                        worker="Amira Ashby",
                    ),  # fmt: skip
                ],
            ),
            7: (
                LIST_7,
                [
                    cp_row(
                        7310000.0,
                        date(2025, 6, 1),
                        date(2026, 3, 9),
                        date(2026, 11, 20),
                        previous="2",
                        team="Norwich North",
                        worker="amira\xa0\xa0ASHBY",
                    ),  # fmt: skip
                ],
            ),
        },
        **kwargs,
    )


def test_a_child_on_two_lists_is_one_case_built_from_both(with_staff, settings, tmp_path):
    report = run(with_staff, settings, two_list_workbook(tmp_path, title_rows=2))

    found = cases(with_staff)
    child = found["7310000"]  # never "7310000.0"
    assert child["date_of_birth"] == "2025-06-01"
    assert child["opened_on"] == "2026-01-05"  # the earliest open episode
    assert child["last_visit_on"] == "2026-11-20"  # the latest visit on any list
    assert child["visit_every_days"] == 14  # the child protection list's interval
    assert child["worker"] == "amira@example.org"  # List 7 allocates, non-breaking spaces
    assert child["initials"] == ""  # the workbook holds no names
    assert report.read == {"rows": 3, "children": 2}
    assert report.counts["cases created"] == 2


def test_a_child_whose_episodes_are_all_closed_is_a_closed_case(with_staff, settings, tmp_path):
    run(with_staff, settings, two_list_workbook(tmp_path))

    child = cases(with_staff)["7310001"]
    assert (child["status"], child["closed_on"]) == ("closed", "2026-06-30")
    assert child["date_of_birth"] == "2024-03-14"  # a text date, day first


def test_a_closed_episode_status_closes_a_list_6_case(with_staff, settings, tmp_path):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            6: (
                LIST_6,
                [
                    cin_row(
                        5,
                        date(2024, 1, 1),
                        date(2025, 1, 1),
                        None,
                        status="Closed episode",
                        team="Norwich North",
                    )
                ],
            )
        },  # fmt: skip
    )

    report = run(with_staff, settings, path)

    child = cases(with_staff)["5"]
    assert (child["status"], child["closed_on"]) == ("closed", AS_OF.isoformat())
    assert report.counts["cases closed"] == 1


def test_unallocated_spellings_leave_a_case_unallocated(with_staff, settings, tmp_path):
    rows = [
        cin_row(n, date(2024, 1, 1), date(2025, 1, 1), None, team="Norwich North", worker=w)
        for n, w in ((1, "#N/A"), (2, "Unallocated"), (3, " "), (4, None))
    ]
    run(with_staff, settings, workbook(tmp_path / "a.xlsx", {6: (LIST_6, rows)}))

    assert {ref: c["worker_id"] for ref, c in cases(with_staff).items()} == dict.fromkeys(
        ("1", "2", "3", "4")
    )


def test_headers_match_whatever_their_case_spacing_and_punctuation(with_staff, settings, tmp_path):
    header = [h.upper().replace(" ", "  ") + "." for h in LIST_8]
    path = workbook(
        tmp_path / "a.xlsx",
        {
            8: (
                header,
                [
                    lac_row(
                        9,
                        date(2020, 1, 1),
                        "2026-01-01",
                        date(2026, 11, 1),
                        team="Broadland",
                        worker="Dev Kettle",
                    )
                ],
            )
        },  # fmt: skip
    )

    report = run(with_staff, settings, path)

    assert report.counts["cases created"] == 1
    assert report.counts["new teams"] == 0
    assert "Lists not in the workbook: List 6 (children in need), List 7 (child protection)" in (
        report.notes
    )


def test_a_new_team_name_creates_the_team(with_staff, settings, tmp_path):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            6: (
                LIST_6,
                [cin_row(1, date(2024, 1, 1), date(2025, 1, 1), None, team="Great Yarmouth")],
            )
        },  # fmt: skip
    )

    report = run(with_staff, settings, path)

    assert cases(with_staff)["1"]["team"] == "Great Yarmouth"
    assert report.counts["new teams"] == 1


def test_importing_the_same_workbook_again_changes_nothing(with_staff, settings, tmp_path):
    path = two_list_workbook(tmp_path)
    run(with_staff, settings, path)
    before = data(with_staff)

    report = run(with_staff, settings, path)

    assert data(with_staff) == before
    assert report.counts["cases unchanged"] == 2
    assert report.counts["observations created"] == 0


def test_a_reimport_keeps_a_workers_refutation_of_an_imported_observation(
    with_staff, settings, tmp_path
):
    path = two_list_workbook(tmp_path)
    run(with_staff, settings, path)
    with_staff.execute("UPDATE observations SET status = 'refuted'")

    run(with_staff, settings, path)

    assert {o["status"] for o in observations(with_staff).values()} == {"refuted"}


def test_a_dry_run_reports_what_would_change_and_changes_nothing(with_staff, settings, tmp_path):
    before = data(with_staff)

    report = run(with_staff, settings, two_list_workbook(tmp_path), dry_run=True)

    assert report.outcome == "dry_run"
    assert report.counts["cases created"] == 2
    assert report.counts["observations created"] == 1
    assert data(with_staff) == before
    assert "Would change: 2 cases created" in report.text()


def test_the_report_is_kept_with_the_imports_audit_record(with_staff, settings, tmp_path):
    report = run(with_staff, settings, two_list_workbook(tmp_path))

    row = with_staff.execute(
        "SELECT a.action, a.detail, r.outcome, r.report FROM audit_log AS a"
        " JOIN import_reports AS r ON r.audit_id = a.id WHERE a.id = ?",
        [report.audit_id],
    ).fetchone()
    assert row[0] == "import"
    assert json.loads(row[1])["cases created"] == 2
    assert row[2] == "imported"
    assert json.loads(row[3])["counts"]["observations created"] == 1


def test_the_cases_an_import_changes_are_rescored_at_once(with_staff, settings, tmp_path):
    report = run(with_staff, settings, two_list_workbook(tmp_path), rescore=True)

    assert report.rescored == 1  # the open case; the closed one has no score
    scored = with_staff.execute(
        "SELECT c.case_ref, s.contributions FROM scores AS s JOIN cases AS c ON c.id = s.case_id"
    ).fetchall()
    assert [ref for ref, _ in scored] == ["7310000"]
    assert "repeat_child_protection_plan" in scored[0][1]


# --- the mapping ------------------------------------------------------------------------------


def test_a_fact_mapped_to_nothing_is_counted_not_recorded(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["facts"]["previous_child_protection_plans"] = ""

    report = run(with_staff, settings, two_list_workbook(tmp_path))

    assert report.unmapped == {"previous_child_protection_plans (List 7)": 1}
    assert observations(with_staff) == {}


def test_a_council_may_map_a_fact_to_another_indicator(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["facts"]["physical_abuse_plan"] = "previous_injury"
    path = workbook(
        tmp_path / "a.xlsx",
        {
            7: (
                LIST_7,
                [
                    cp_row(
                        3,
                        date(2025, 1, 1),
                        date(2026, 2, 2),
                        None,
                        category="Physical abuse",
                        team="Norwich North",
                    )
                ],
            )
        },  # fmt: skip
    )

    run(with_staff, settings, path)

    assert observations(with_staff)["annex-a:3:physical_abuse_plan:2026-02-02"]["indicator"] == (
        "previous_injury"
    )


def test_a_fact_mapped_to_an_unknown_indicator_is_an_error(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["facts"]["previous_child_protection_plans"] = "repeat_plan"

    problem = rejected(with_staff, settings, two_list_workbook(tmp_path))

    assert problem.errors == [
        "config.toml [import.annex_a.facts]: previous_child_protection_plans names indicator "
        "'repeat_plan', which is not in [scoring.indicators]"
    ]


def test_the_visit_interval_per_list_comes_from_the_settings(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["visit_every_days_list_7"] = 10

    run(with_staff, settings, two_list_workbook(tmp_path))

    assert cases(with_staff)["7310000"]["visit_every_days"] == 10


# --- bad values --------------------------------------------------------------------------------


def test_every_bad_value_is_listed_where_it_stands_and_nothing_is_imported(
    with_staff, settings, tmp_path
):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            6: (
                LIST_6,
                [
                    cin_row(1, date(2024, 1, 1), "2025-13-01", None, team="Norwich North"),
                    cin_row(None, date(2024, 1, 1), date(2025, 1, 1), None, team="x"),
                    cin_row(2, date(2024, 1, 1), date(2025, 1, 1), None, worker="Jo Twin"),
                    cin_row(3, date(2024, 1, 1), date(2025, 1, 1), None, worker="Ada Admin"),
                ],
            ),
            7: (
                LIST_7,
                [
                    cp_row(1, date(2024, 1, 2), date(2026, 1, 1), "31/02/2026", team="N"),
                    cp_row(4, date(2027, 1, 1), date(2026, 1, 1), None, previous="two"),
                    cp_row(5, None, date(2026, 1, 1), date(2026, 1, 1), end=date(2025, 1, 1)),
                ],
            ),
        },
    )
    before = data(with_staff)

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 6, row 2, column CIN Start Date: '2025-13-01' is not a date",
        "List 6, row 3, column Child Unique ID: is empty",
        "List 7, row 2, column Date of Birth: 2024-01-02 differs from 2024-01-01"
        " (List 6, row 2) for child 1",
        "List 7, row 2, column Date of the Last Statutory Visit: '31/02/2026' is not a date",
        "List 7, row 3, column Date of Birth: 2027-01-01 is in the future",
        "List 7, row 3, column Number of Previous Child Protection Plans: 'two' is not a"
        " whole number",
        "List 7, row 4, column Date of Birth: is empty",
        "List 7, row 4, column Child Protection Plan End Date: 2025-01-01 is before the start"
        " 2026-01-01",
        "List 6, row 4, column Allocated Worker: 'Jo Twin' matches 2 members of staff"
        " (twin1@example.org, twin2@example.org): give them distinct names in the staff import",
        "List 6, row 5, column Allocated Worker: 'Ada Admin' is an admin and holds no caseload",
    ]
    assert data(with_staff) == before


def test_a_list_without_a_needed_column_names_it(with_staff, settings, tmp_path):
    header = [h for h in LIST_7 if h != "Date of the Last Statutory Visit"]
    path = workbook(tmp_path / "a.xlsx", {7: (header, [])})

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 7, row 1: no column 'Date of the Last Statutory Visit' in the header"
    ]


def test_a_workbook_without_lists_6_7_or_8_says_which_sheets_it_has(with_staff, settings, tmp_path):
    problem = rejected(with_staff, settings, workbook(tmp_path / "a.xlsx", {}))

    assert problem.errors == [
        "no List 6, List 7 or List 8 sheet found (the sheets are: List 1, List 2)"
    ]


# --- broken files: never a traceback ---------------------------------------------------------


def broken(tmp_path, kind):
    path = tmp_path / "broken.xlsx"
    if kind == "csv renamed":
        path.write_text("Child Unique ID,Date of Birth\n1,2020-01-01\n")
    elif kind == "password":
        # An encrypted workbook is an OLE compound file, not a zip.
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    elif kind == "truncated":
        whole = two_list_workbook(tmp_path).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zip of something else":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "not a workbook")
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("csv renamed", "this is not an Excel workbook (.xlsx): it looks like a CSV or text file"),
        ("password", "the workbook is password-protected (or an old-style .xls file)"),
        ("truncated", "the workbook cannot be read: it is damaged or incomplete"),
        ("empty", "the file is empty"),
        ("zip of something else", "the workbook cannot be read: it is damaged or incomplete"),
    ],
)
def test_a_file_that_is_not_a_readable_workbook_is_named_as_such(
    with_staff, settings, tmp_path, kind, message
):
    problem = rejected(with_staff, settings, broken(tmp_path, kind))

    assert problem.total == 1
    assert problem.errors[0].startswith(message), problem.errors[0]
    assert with_staff["cases"].count == 0


def test_a_workbook_that_would_expand_to_gigabytes_is_refused(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["max_file_mb"] = 1
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", bytes(30_000_000))

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "the workbook expands to 30 MB when opened, far more than an Annex A workbook holds:"
        " refused"
    ]


def test_a_200_mb_file_is_refused_before_it_is_read(with_staff, settings, tmp_path):
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as f:
        f.truncate(200_000_000)  # sparse: takes no room on disk

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "the file is larger than 50 MB (200,000,000 bytes), the largest workbook accepted"
        " ([import.annex_a] max_file_mb in config.toml)"
    ]


def test_a_rejected_import_is_audited_with_its_report(with_staff, settings, tmp_path):
    problem = rejected(with_staff, settings, broken(tmp_path, "password"))

    action, outcome, report = with_staff.execute(
        "SELECT a.action, r.outcome, r.report FROM audit_log AS a"
        " JOIN import_reports AS r ON r.audit_id = a.id ORDER BY a.id DESC LIMIT 1"
    ).fetchone()
    assert (action, outcome) == ("import_rejected", "rejected")
    assert json.loads(report)["errors"] == problem.errors


# --- the command -------------------------------------------------------------------------------


def test_the_command_prints_the_report_of_a_dry_run_and_changes_nothing(runner, db, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF)
    runner.invoke(args=["import", "staff", str(path)])

    result = runner.invoke(
        args=["import", "annex-a", str(two_list_workbook(tmp_path)), "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert "annex-a.xlsx: checked, no errors (dry run: nothing was changed)" in result.output
    assert "Would change: 2 cases created" in result.output
    assert db["cases"].count == 0


def test_the_command_imports_a_workbook_and_rescores(runner, db, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF)
    runner.invoke(args=["import", "staff", str(path)])

    result = runner.invoke(args=["import", "annex-a", str(two_list_workbook(tmp_path))])

    assert result.exit_code == 0, result.output
    assert "Changed: 2 cases created" in result.output
    assert "Rescored " in result.output
    scored = db.execute("SELECT case_ref FROM scores JOIN cases ON cases.id = scores.case_id")
    assert [r[0] for r in scored] == ["7310000"]


@pytest.mark.parametrize("kind", ["csv renamed", "password", "truncated", "empty"])
def test_the_command_never_shows_a_traceback_for_a_broken_workbook(runner, tmp_path, kind):
    result = runner.invoke(args=["import", "annex-a", str(broken(tmp_path, kind))])

    assert result.exit_code == 1
    assert "broken.xlsx: nothing imported, 1 error:" in result.output
    assert "Traceback" not in result.output


def test_a_misspelt_worker_is_an_error_even_on_the_row_that_does_not_allocate(
    with_staff, settings, tmp_path
):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            6: (LIST_6, [cin_row(8, date(2024, 1, 1), date(2025, 1, 1), None,
                                 team="Norwich North", worker="Dev Kettel")]),
            7: (LIST_7, [cp_row(8, date(2024, 1, 1), date(2026, 1, 1), None,
                                team="Norwich North", worker="Amira Ashby")]),
        },
    )  # fmt: skip

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 6, row 2, column Allocated Worker: 'Dev Kettel' matches no member of staff:"
        " import staff first (hotspots import staff), with this name as the workbook spells it"
    ]
    assert problem.report.unmatched_workers == {"Dev Kettel": 1}


def test_no_damage_to_a_workbook_gives_anything_but_an_error_list(with_staff, settings, tmp_path):
    """Three hundred damaged copies of the sample (bytes overwritten, cut short, spliced with
    noise; a fixed seed): each imports or is rejected with errors, never anything else."""
    rng = random.Random(2026)
    good = SAMPLE.read_bytes()
    path = tmp_path / "damaged.xlsx"
    rejected_with = set()
    for n in range(300):
        data = bytearray(good)
        if n % 3 == 0:
            for _ in range(rng.randrange(1, 50)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif n % 3 == 1:
            data = data[: rng.randrange(len(data))]
        else:
            at = rng.randrange(len(data))
            data[at : at + rng.randrange(1, 2000)] = rng.randbytes(100)
        path.write_bytes(bytes(data))
        try:
            run(with_staff, settings, path, dry_run=True)
        except ImportRejected as e:
            assert e.errors, "a rejection always says why"
            rejected_with.add(e.errors[0].split(":")[0])

    assert rejected_with  # the damage was noticed, and put in words


def test_a_date_held_as_an_excel_serial_number_is_read_as_the_date(with_staff, settings, tmp_path):
    # 46054 is 2026-02-01 in Excel's 1900 date system (a date cell formatted as a number).
    path = workbook(
        tmp_path / "a.xlsx",
        {6: (LIST_6, [cin_row(6, 45292, 46054, None, team="Norwich North")])},
    )

    run(with_staff, settings, path)

    child = cases(with_staff)["6"]
    assert (child["date_of_birth"], child["opened_on"]) == ("2024-01-01", "2026-02-01")


def test_a_workbook_of_exactly_the_largest_size_is_read(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["max_file_mb"] = 1
    original = two_list_workbook(tmp_path).read_bytes()

    def padded(extra: int) -> Path:
        """The workbook with a stored (uncompressed) padding part of ``extra`` bytes."""
        path = tmp_path / "padded.xlsx"
        path.write_bytes(original)
        with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
            archive.writestr("docProps/padding.bin", bytes(extra))
        return path

    base = padded(0).stat().st_size
    path = padded(1_000_000 - base)
    assert path.stat().st_size == 1_000_000

    report = run(with_staff, settings, path)

    assert report.counts["cases created"] == 2
    over = padded(1_000_001 - base)
    assert (
        rejected(with_staff, settings, over)
        .errors[0]
        .startswith("the file is larger than 1 MB (1,000,001 bytes)")
    )


def test_a_child_unique_id_that_cannot_be_a_case_reference_is_refused(
    with_staff, settings, tmp_path
):
    path = workbook(
        tmp_path / "a.xlsx",
        {6: (LIST_6, [cin_row("LA/123", date(2024, 1, 1), date(2025, 1, 1), None)])},
    )
    before = data(with_staff)

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 6, row 2, column Child Unique ID: 'LA/123' is not a case reference: use letters,"
        " digits, - and _ only (no /, spaces or dots), starting with a letter or digit"
    ]
    assert data(with_staff) == before
