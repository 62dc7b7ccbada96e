"""The Ofsted Annex A import: a workbook in the style of Ofsted's published template, and
workbooks written here in either edition and every way councils' systems write them (sheet
names, .xls, header spellings, dates, placeholders, unborn children), every kind of bad value
and of broken file, the mapping, the report, the command. Every workbook is written here."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from hotspots.services.importer import ImportRejected, import_csv, import_file

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


def workbook(path, lists, *, title_rows=0, extra_sheets=("List 1", "List 2"), name="List {}"):
    """An .xlsx with the given lists: {number: (header, rows)}; title rows above headers;
    each list's sheet named by ``name``."""
    book = Workbook()
    book.remove(book.active)
    for extra in extra_sheets:
        book.create_sheet(extra).append(["Child Unique ID", "Gender"])
    for number, (header, rows) in lists.items():
        sheet = book.create_sheet(name.format(number))
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


# --- a workbook in the style of Ofsted's published template ----------------------------------

# Ofsted's template: guidance sheets first, then List_1 to List_11 (underscores), each with a
# title row above its header; filled in by a case system (prefixed codes, non-breaking spaces
# in names, number cells for ids, dates as dates, blanks where nothing is known).
TEMPLATE_HEADERS = {
    1: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age", "Date of Contact",
        "Contact Source"],
    5: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
        "Strategy discussion initiating Section 47 Enquiry Start Date", "Allocated Team",
        "Allocated Worker"],
    6: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
        "Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
        "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case Status",
        "Allocated Team", "Allocated Worker"],
    7: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
        "Does the Child have a Disability", "Child Protection Plan Start Date",
        "Initial Category of Abuse", "Latest Category of Abuse",
        "Date of the Last Statutory Visit", "Was the Child Seen Alone?",
        "Date of latest review conference", "Child Protection Plan End Date",
        "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six"
        " Months (Y/N)", "Number of Previous Child Protection Plans", "Allocated Team",
        "Allocated Worker"],
    8: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age",
        "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N))",
        "Does the Child have a Disability", "Date Started to be Looked After",
        "Child's Category of Need", "Date of Last Social Work Visit",
        "Date Ceased to be Looked After", "Placement Type", "Allocated Team",
        "Allocated Worker"],
}  # fmt: skip
TEMPLATE_ROWS = {
    1: [[9212044.0, "a) Female", "a) WBRI", date(2015, 1, 25), 11.8, date(2026, 9, 16),
         "q) 6: Police"]],
    5: [[11641472.0, "b) Female", "s) NOBT", date(2010, 9, 15), 16.2, date(2026, 9, 16),
         "Children with Disabilities Team", "Delta\xa0Arthur"]],
    6: [
        [12598894.0, "a) Male", "i) MOTH", date(2009, 9, 23), 17.2, "b) No", date(2020, 6, 9),
         "N1 - Abuse or Neglect", date(2026, 11, 2), None, None, "c) Child in need plan",
         None, None],
        [8140425.0, "b) Female", "a) WBRI", date(2012, 12, 20), 13.9, "b) No",
         date(2025, 11, 23), "N1 - Abuse or Neglect", date(2026, 3, 5), date(2026, 6, 1),
         "RC1", "a) Closed", "Locality 4 Unit 1", "Rose\xa0Cunningham"],
        [10721552.0, "b) Female", "s) NOBT", date(2026, 1, 4), 0.9, "b) No",
         date(2026, 1, 4), "N1 - Abuse or Neglect", date(2026, 11, 20), None, None,
         "d) Child protection plan", "Locality 4 Unit 1", "Ezra Leigh"],
    ],
    7: [
        [10721552.0, "b) Female", "s) NOBT", date(2026, 1, 4), 0.9, "b) No",
         date(2026, 2, 23), "Physical abuse", "Physical abuse", date(2026, 11, 20), "a) Yes",
         date(2026, 5, 16), None, "b) No", 0.0, "Locality 4 Unit 1", "Ezra Leigh"],
        [5358472.0, "a) Male", "r) OOTH", date(2015, 5, 29), 11.5, "b) No", date(2026, 2, 8),
         "Neglect", "Neglect", date(2026, 11, 12), "a) Yes", None, None, "b) No", 1.0,
         "Locality 4 Unit 1", "Petra Wills"],
        [16036763.0, "a) Male", "a) WBRI", date(2023, 2, 14), 3.8, "b) No", date(2025, 4, 27),
         "Emotional abuse", "Emotional abuse", date(2025, 12, 30), "b) No",
         date(2026, 1, 4), date(2026, 1, 4), "b) No", 0.0, "Locality 4 Unit 1",
         "Stevie\xa0Greenwood"],
    ],
    8: [
        [1761444.0, "b) Female", "s) NOBT", date(2012, 2, 13), 14.8, "b) No", "b) No",
         date(2019, 8, 6), "N1 - Abuse or Neglect", date(2026, 11, 6), None,
         "f) U6: Foster placement - not FFA", "Children in Care Team 1", "Eugene Swift"],
        [3623204.0, "a) Male", "k) APKN", date(2010, 7, 1), 16.4, "b) No", "b) No",
         date(2018, 3, 2), "N1 - Abuse or Neglect", date(2026, 7, 6), date(2026, 8, 1),
         "a) U1: Foster placement - relatives", "Children in Care Team 2", "Fatimah Davison"],
    ],
}  # fmt: skip
TEMPLATE_STAFF = """email,name,role,team
lead@example.org,Lee Lead,manager,Locality 4 Unit 1
ezra@example.org,Ezra Leigh,worker,Locality 4 Unit 1
petra@example.org,Petra  Wills,worker,Locality 4 Unit 1
stevie@example.org,stevie greenwood,worker,Locality 4 Unit 1
rose@example.org,Rose Cunningham,worker,Locality 4 Unit 1
eugene@example.org,Eugene Swift,worker,Children in Care Team 1
fatimah@example.org,Fatimah Davison,worker,Children in Care Team 2
"""


def ofsted_template(path: Path) -> Path:
    """A filled-in workbook laid out as Ofsted's published Annex A template."""
    book = Workbook()
    front = book.active
    front.title = "Front_Sheet"
    front.append(["Annex A: data for the inspection of local authority children's services"])
    front.append(["Local authority:", "Invented Borough Council"])
    book.create_sheet("Guidance").append(["Complete one row per child on each list."])
    codes = book.create_sheet("Codes_used")
    codes.append(["Code", "Meaning"])
    codes.append(["a) WBRI", "White British"])
    for number in range(1, 12):
        sheet = book.create_sheet(f"List_{number}")
        sheet.append([f"List {number}: (as in the template's guidance)"])
        sheet.append(TEMPLATE_HEADERS.get(number, ["Child Unique ID", "Gender", "Date of Birth"]))
        for row in TEMPLATE_ROWS.get(number, []):
            sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_laid_out_as_ofsteds_template_imports_without_any_edit(db, settings, tmp_path):
    staff(db, settings, tmp_path, TEMPLATE_STAFF)

    report = run(db, settings, ofsted_template(tmp_path / "Annex_A.xlsx"))

    assert report.outcome == "imported"
    assert report.read == {"rows": 8, "children": 7}
    assert report.counts["cases created"] == 7
    assert report.counts["cases closed"] == 3
    found = cases(db)
    assert found["5358472"]["worker"] == "petra@example.org"  # runs of spaces in the staff list
    assert found["16036763"]["worker"] == "stevie@example.org"  # and non-breaking ones
    assert (found["16036763"]["status"], found["16036763"]["closed_on"]) == (
        "closed",
        "2026-01-04",
    )
    assert found["5358472"]["visit_every_days"] == 14
    # On List 6 and List 7: one case, List 7 allocates, the earliest open episode opens it.
    assert (found["10721552"]["opened_on"], found["10721552"]["visit_every_days"]) == (
        "2026-01-04",
        14,
    )
    # List 6 without a team or worker: unallocated, in the configured team.
    assert found["12598894"]["team"] == "Awaiting allocation"
    assert found["12598894"]["worker_id"] is None
    # Case Status "a) Closed" with its closure date; List 8 ceased to be looked after.
    assert (found["8140425"]["status"], found["8140425"]["closed_on"]) == ("closed", "2026-06-01")
    assert found["3623204"]["status"] == "closed"
    assert found["1761444"]["visit_every_days"] == 42
    repeat = observations(db)["annex-a:5358472:previous_child_protection_plans:2026-02-08"]
    assert (repeat["indicator"], repeat["observed_on"]) == (
        "repeat_child_protection_plan",
        "2026-02-08",
    )
    assert report.notes[0] == (
        "Sheets not used here: Front_Sheet, Guidance, Codes_used, List_1, List_2, List_3,"
        " List_4, List_5, List_9, List_10, List_11"
    )
    assert "Team 'Awaiting allocation' has no manager" in report.warnings[0]


def test_the_template_workbook_without_staff_lists_every_unmatched_worker(db, settings, tmp_path):
    problem = rejected(db, settings, ofsted_template(tmp_path / "Annex_A.xlsx"))

    assert problem.total == 7
    assert problem.errors[0] == (
        "List_6, row 4, column Allocated Worker: 'Rose Cunningham' matches no member of staff:"
        " import staff first (hotspots import staff), with this name as the workbook spells"
        " it; if it means nobody is allocated, add it to [import.annex_a] unallocated_workers"
    )
    assert problem.report.unmatched_workers["Ezra Leigh"] == 2
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
                    cp_row(4, date(2028, 1, 1), date(2026, 1, 1), None, previous="two"),
                    cp_row(5, None, date(2026, 1, 1), date(2026, 1, 1), end=date(2025, 1, 1)),
                ],
            ),
        },
    )
    before = data(with_staff)

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 6, row 2, column CIN Start Date: '2025-13-01' is not a real date",
        "List 6, row 3, column Child Unique ID: is empty",
        "List 7, row 2, column Date of Birth: 2024-01-02 differs from 2024-01-01"
        " (List 6, row 2, column Date of Birth) for child 1",
        "List 7, row 2, column Date of the Last Statutory Visit: '31/02/2026' is not a real date",
        "List 7, row 3, column Date of Birth: 2028-01-01 is more than 42 weeks away, longer than"
        " a pregnancy: check the year",
        "List 7, row 3, column Number of Previous Child Protection Plans: 'two' is not a"
        " whole number (such as 0, 1 or 2+)",
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
        "List 7, row 1: no column 'Date of the Last Statutory Visit' in the header, nor any"
        " spelling [import.annex_a.headers] cp_visit lists"
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
    elif kind == "ole noise":
        # An old .xls (and an encrypted .xlsx) is an OLE compound file, not a zip.
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
        (
            "csv renamed",
            "this is not an Excel workbook (.xlsx, .xlsm or .xls): it looks like a CSV or text"
            " file",
        ),
        ("ole noise", "the workbook cannot be read: it is an old-style .xls file that is damaged"),
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
    problem = rejected(with_staff, settings, broken(tmp_path, "ole noise"))

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


@pytest.mark.parametrize("kind", ["csv renamed", "ole noise", "truncated", "empty"])
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
        " import staff first (hotspots import staff), with this name as the workbook spells it;"
        " if it means nobody is allocated, add it to [import.annex_a] unallocated_workers"
    ]
    assert problem.report.unmatched_workers == {"Dev Kettel": 1}


def test_no_damage_to_a_workbook_gives_anything_but_an_error_list(with_staff, settings, tmp_path):
    """Three hundred damaged copies of the template workbook (bytes overwritten, cut short,
    spliced with noise; a fixed seed): each imports or is rejected with errors, never anything
    else."""
    rng = random.Random(2026)
    good = ofsted_template(tmp_path / "template.xlsx").read_bytes()
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


# --- the variations councils' files come in (issue 19): each failed before ---------------------


def one_list(tmp_path, number, rows, header=None, **kwargs):
    header = header or {6: LIST_6, 7: LIST_7, 8: LIST_8}[number]
    return workbook(tmp_path / "a.xlsx", {number: (header, rows)}, **kwargs)


def plan(child=7, dob=date(2025, 6, 1), visit=date(2026, 11, 20), **kwargs):
    kwargs.setdefault("team", "Norwich North")
    kwargs.setdefault("worker", "Dev Kettle")
    return cp_row(child, dob, date(2026, 3, 9), visit, **kwargs)


@pytest.mark.parametrize(
    "name", ["List_{}", "List {} - Children in Need", "LIST{}", "list 0{}", "Annex A List {}"]
)
def test_a_list_sheet_is_found_whatever_its_separator_or_suffix(
    with_staff, settings, tmp_path, name
):
    path = one_list(tmp_path, 7, [plan()], name=name, title_rows=1)

    report = run(with_staff, settings, path)

    assert report.counts["cases created"] == 1


def xls(path, sheets):
    """An old-style .xls (BIFF) workbook: {sheet name: rows}, dates as date cells."""
    book = xlwt.Workbook()
    as_date = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write(r, c, value, as_date)
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(path)
    return path


def test_an_old_style_xls_workbook_is_read(with_staff, settings, tmp_path):
    path = xls(tmp_path / "Annex A.xls", {"List_7": [LIST_7, plan(10721552)]})

    report = run(with_staff, settings, path)

    child = cases(with_staff)["10721552"]
    assert (child["date_of_birth"], child["last_visit_on"]) == ("2025-06-01", "2026-11-20")
    assert report.counts["cases created"] == 1


def test_an_xlsm_workbook_is_read_by_its_content_whatever_its_name(with_staff, settings, tmp_path):
    path = one_list(tmp_path, 7, [plan()])
    renamed = path.rename(tmp_path / "Annex A.xlsm")

    assert run(with_staff, settings, renamed).counts["cases created"] == 1


def test_a_password_protected_workbook_is_named_as_such(with_staff, settings, tmp_path):
    plain = one_list(tmp_path, 7, [plan()])
    locked = tmp_path / "locked.xlsx"
    with open(plain, "rb") as source, open(locked, "wb") as target:
        OOXMLFile(source).encrypt("secret", target)

    problem = rejected(with_staff, settings, locked)

    assert problem.errors == [
        "the workbook is password-protected: open it in Excel, remove the password (File,"
        " Info, Protect Workbook), and save it again"
    ]


@pytest.mark.parametrize(
    ("replace", "spelling"),
    [
        ("Child Unique ID", "Child ID"),
        ("Child Unique ID", "Child id"),
        ("Child Unique ID", "Unique Child ID"),
        ("Child Unique ID", "Child's LA identifier"),  # "child … id/identifier"
        ("Date of Birth", "DOB"),
        ("Date of the Last Statutory Visit", "Date of Last Statutory Visit (CP)"),
    ],
)
def test_a_column_is_found_by_any_of_its_spellings(
    with_staff, settings, tmp_path, replace, spelling
):
    header = [spelling if h == replace else h for h in LIST_7]

    report = run(with_staff, settings, one_list(tmp_path, 7, [plan()], header=header))

    child = cases(with_staff)["7"]
    assert (child["date_of_birth"], child["last_visit_on"]) == ("2025-06-01", "2026-11-20")
    assert report.counts["cases created"] == 1


def test_a_council_adds_a_spelling_of_its_own_in_config(with_staff, settings, tmp_path):
    header = ["Stat Visit Last" if h == "Date of the Last Statutory Visit" else h for h in LIST_7]
    path = one_list(tmp_path, 7, [plan()], header=header)
    assert rejected(with_staff, settings, path).errors == [
        "List 7, row 1: no column 'Date of the Last Statutory Visit' in the header; the nearest"
        " is 'Stat Visit Last': if that is this column, add its spelling to cp_visit in"
        " [import.annex_a.headers] (config.toml)"
    ]
    settings["import"]["annex_a"]["headers"]["cp_visit"].append("Stat Visit Last")

    assert run(with_staff, settings, path).counts["cases created"] == 1


def test_a_missing_column_is_named_with_the_nearest_header_the_sheet_has(
    with_staff, settings, tmp_path
):
    header = ["Date of Last Stat. Visit" if h.startswith("Date of the Last") else h for h in LIST_7]

    problem = rejected(with_staff, settings, one_list(tmp_path, 7, [plan()], header=header))

    assert problem.errors == [
        "List 7, row 1: no column 'Date of the Last Statutory Visit' in the header; the nearest"
        " is 'Date of Last Stat. Visit': if that is this column, add its spelling to cp_visit in"
        " [import.annex_a.headers] (config.toml)"
    ]


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("23 Nov 2020", "2020-11-23"),
        ("22-Jan-2021", "2021-01-22"),
        ("23/11/20", "2020-11-23"),
        ("2020/11/23", "2020-11-23"),
        ("23/11/2020 00:00:00", "2020-11-23"),
    ],
)
def test_a_date_in_any_day_first_form_an_export_writes_is_read(
    with_staff, settings, tmp_path, written, day
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan(dob=written)]))

    assert cases(with_staff)["7"]["date_of_birth"] == day


@pytest.mark.parametrize("written", ["Unknown", "N/A", "-", "not known"])
def test_not_known_in_an_optional_date_is_counted_never_an_error(
    with_staff, settings, tmp_path, written
):
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(visit=written)]))

    assert cases(with_staff)["7"]["last_visit_on"] is None
    assert report.decided == {
        "values read as not known (List 7, Date of the Last Statutory Visit)": 1
    }
    assert "values read as not known (List 7, Date of the Last Statutory Visit): 1" in (
        report.text()
    )


def test_not_known_in_a_needed_date_is_an_error(with_staff, settings, tmp_path):
    row = cp_row(7, date(2025, 6, 1), "Unknown", None, team="Norwich North")

    problem = rejected(with_staff, settings, one_list(tmp_path, 7, [row]))

    assert problem.errors == [
        "List 7, row 2, column Child Protection Plan Start Date: is 'Unknown', but this date is"
        " needed"
    ]


@pytest.mark.parametrize(("previous", "recorded"), [("2+", True), ("Unknown", False), ("0", False)])
def test_previous_plans_of_2_plus_mean_at_least_two_and_unknown_records_nothing(
    with_staff, settings, tmp_path, previous, recorded
):
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(previous=previous)]))

    assert bool(observations(with_staff)) is recorded
    assert report.decided.get(
        "values read as not known (List 7, Number of Previous Child Protection Plans)", 0
    ) == (previous == "Unknown")


@pytest.mark.parametrize("dob", [None, "Unborn", " unborn child "])
def test_an_unborn_child_on_a_plan_with_no_date_of_birth_is_a_pre_birth_case(
    with_staff, settings, tmp_path, dob
):
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(dob=dob)]))

    child = cases(with_staff)["7"]
    assert (child["birth_status"], child["date_of_birth"]) == ("due_unknown", AS_OF.isoformat())
    assert report.decided == {"unborn children (pre-birth cases)": 1}


def test_an_expected_date_of_birth_in_the_future_makes_a_pre_birth_case_due_that_day(
    with_staff, settings, tmp_path
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan(dob="10/01/2027")]))

    child = cases(with_staff)["7"]
    assert (child["birth_status"], child["date_of_birth"]) == ("due", "2027-01-10")


def test_a_pre_birth_case_becomes_a_born_child_when_a_later_workbook_gives_the_birth(
    with_staff, settings, tmp_path
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan(dob=None)]))
    (tmp_path / "a.xlsx").unlink()

    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(dob=date(2026, 11, 2))]))

    child = cases(with_staff)["7"]
    assert (child["birth_status"], child["date_of_birth"]) == ("born", "2026-11-02")
    assert report.decided == {"unborn children now born": 1}
    assert report.counts["cases updated"] == 1


def test_a_later_workbook_still_without_a_due_date_keeps_the_day_first_read_unborn(
    with_staff, settings, tmp_path
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan(dob=None)]))
    later = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Europe/London"))

    report = import_file(
        with_staff, settings, "annex-a", tmp_path / "a.xlsx", as_of=later.date(), now=later,
        rescore=False,
    )  # fmt: skip

    assert cases(with_staff)["7"]["date_of_birth"] == AS_OF.isoformat()
    assert report.counts["cases unchanged"] == 1


def test_an_unborn_child_is_scored_with_the_under_one_multiplier(with_staff, settings, tmp_path):
    report = run(
        with_staff, settings, one_list(tmp_path, 7, [plan(dob="10/01/2027", previous=1)]),
        rescore=True,
    )  # fmt: skip

    assert report.rescored == 1
    contributions = json.loads(with_staff.execute("SELECT contributions FROM scores").fetchone()[0])
    (age,) = [c for c in contributions if c["kind"] == "age"]
    assert age["weight"] == settings["scoring"]["age_multiplier_under_1"]


def test_a_looked_after_child_must_have_been_born(with_staff, settings, tmp_path):
    rows = [
        lac_row(n, dob, date(2026, 1, 1), None, team="Norwich North")
        for n, dob in ((8, None), (9, "Unborn"), (10, date(2027, 1, 10)))
    ]

    problem = rejected(with_staff, settings, one_list(tmp_path, 8, rows))

    assert problem.errors == [
        "List 8, row 2, column Date of Birth: is empty: a looked-after child has been born, so a"
        " date of birth is needed",
        "List 8, row 3, column Date of Birth: is 'Unborn', but a looked-after child has been"
        " born: give the date of birth",
        "List 8, row 4, column Date of Birth: 2027-01-10 is in the future",
    ]


def test_a_list_saying_unborn_and_another_giving_a_birth_date_is_an_error(
    with_staff, settings, tmp_path
):
    path = workbook(tmp_path / "a.xlsx", {
        6: (LIST_6, [cin_row(7, date(2026, 2, 1), date(2026, 2, 2), None, team="Norwich North")]),
        7: (LIST_7, [plan(dob="Unborn")]),
    })  # fmt: skip

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "List 7, row 2, column Date of Birth: says child 7 is unborn, but List 6, row 2, column"
        " Date of Birth gives the date of birth 2026-02-01: correct whichever is wrong"
    ]


def test_a_blank_date_of_birth_adds_nothing_to_a_date_another_list_gives(
    with_staff, settings, tmp_path
):
    path = workbook(tmp_path / "a.xlsx", {
        7: (LIST_7, [plan(dob=None)]),
        8: (LIST_8, [lac_row(7, date(2026, 2, 1), date(2026, 5, 1), None, team="Norwich North")]),
    })  # fmt: skip

    run(with_staff, settings, path)

    assert cases(with_staff)["7"]["birth_status"] == "born"


@pytest.mark.parametrize("placeholder", ["Awaiting Allocation", "Duty Worker", "TBC", "Unknown"])
def test_a_placeholder_worker_means_unallocated_and_is_counted(
    with_staff, settings, tmp_path, placeholder
):
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(worker=placeholder)]))

    assert cases(with_staff)["7"]["worker_id"] is None
    assert report.decided == {f"placeholder workers read as unallocated ({placeholder!r})": 1}
    assert report.unmatched_workers == {}


def test_the_placeholder_workers_are_a_setting(with_staff, settings, tmp_path):
    settings["import"]["annex_a"]["unallocated_workers"] = ["Vacant post"]
    path = one_list(tmp_path, 7, [plan(worker="Vacant Post"), plan(8, worker="TBC")])

    problem = rejected(with_staff, settings, path)

    assert [e.split(":")[0] for e in problem.errors] == ["List 7, row 3, column Allocated Worker"]


def test_a_child_id_exported_through_a_float_as_text_is_the_whole_number(
    with_staff, settings, tmp_path
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan("10721552.0")]))

    assert list(cases(with_staff)) == ["10721552"]


@pytest.mark.parametrize(
    ("dob", "error"),
    [
        (17.5, "List 7, row 2, column Date of Birth: 17.5 is a number, not a date: read as an"
               " Excel date it would be 1900-01-17, which is more than 25 years ago (the child"
               " would be 126)"),
        (date(1999, 3, 3), "List 7, row 2, column Date of Birth: 1999-03-03 is more than 25"
                           " years ago (the child would be 27): check the year"),
        ("01/01/1899", "List 7, row 2, column Date of Birth: 01/01/1899 is before 1900: check"
                       " the year"),
    ],
)  # fmt: skip
def test_an_implausible_date_of_birth_is_an_error_naming_list_row_column_and_value(
    with_staff, settings, tmp_path, dob, error
):
    problem = rejected(with_staff, settings, one_list(tmp_path, 7, [plan(dob=dob)]))

    assert problem.errors == [error]
    assert with_staff["cases"].count == 0


@pytest.mark.parametrize("status", ["Closed", "b) Closed", "CLOSED EPISODE"])
def test_case_status_closed_closes_a_list_6_case(with_staff, settings, tmp_path, status):
    row = cin_row(5, date(2024, 1, 1), date(2025, 1, 1), None, status=status, team="Norwich North")

    report = run(with_staff, settings, one_list(tmp_path, 6, [row]))

    assert cases(with_staff)["5"]["status"] == "closed"
    assert report.counts["cases closed"] == 1


def test_a_child_twice_on_one_list_is_merged_and_counted(with_staff, settings, tmp_path):
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(), plan(), plan(8)]))

    assert report.read == {"rows": 3, "children": 2}
    assert report.decided == {"rows merged as duplicates (a child again on List 7)": 1}


def test_an_id_matching_a_case_only_without_capitals_is_refused_not_matched(
    with_staff, settings, tmp_path
):
    run(with_staff, settings, one_list(tmp_path, 7, [plan("DfEX0000001")]))
    (tmp_path / "a.xlsx").unlink()

    problem = rejected(with_staff, settings, one_list(tmp_path, 7, [plan("dfex0000001")]))

    assert problem.errors == [
        "List 7, row 2, column Child Unique ID: 'dfex0000001' matches case 'DfEX0000001' only"
        " when capitals are ignored: correct the id in the workbook or the case system so they"
        " agree (the service does not guess which child it is)"
    ]


def test_a_new_team_without_a_manager_is_a_warning_with_the_way_to_set_one(
    with_staff, settings, tmp_path
):
    """Broadland has a worker and no manager already; Great Yarmouth is new."""
    report = run(with_staff, settings, one_list(tmp_path, 7, [plan(team="Great Yarmouth")]))

    assert report.warnings[1:] == [
        "Team 'Great Yarmouth' has no manager, so no digest goes out for its 1 open case: add"
        " one (a staff import with role manager and team 'Great Yarmouth', or Add a person on"
        " the People page, /admin/people/new)"
    ]


def test_the_send_annex_a_is_named_for_what_it_is(with_staff, settings, tmp_path):
    book = Workbook()
    book.active.title = "Front sheet"
    for number, header in (
        (1, ["Child Unique ID", "UPN", "Date EHC plan issued"]),
        (2, ["Child Unique ID", "SEN support start date", "Primary need"]),
    ):
        book.create_sheet(f"List {number}").append(header)  # fmt: skip
    book.save(tmp_path / "SEND Annex A.xlsx")

    problem = rejected(with_staff, settings, tmp_path / "SEND Annex A.xlsx")

    assert problem.errors == [
        "this is the SEND Annex A (the area SEND inspection's lists of children with EHC plans"
        " and SEN support), not the children's social care Annex A: import the workbook with"
        " List 6, List 7 and List 8 (children in need, on a plan, looked after)"
    ]


def test_an_ssda903_return_given_as_annex_a_is_named_for_what_it_is(with_staff, settings, tmp_path):
    path = tmp_path / "episodes.xlsx"
    path.write_text("CHILD,DECOM,RNE,LS,CIN,PLACE,DEC\n101,2025-01-01,P,C2,N1,U1,\n")

    problem = rejected(with_staff, settings, path)

    assert problem.errors == [
        "this is an SSDA903 return (children looked after: its episodes file), not an Annex A"
        " workbook"
    ]


def test_the_command_prints_what_the_import_decided_and_its_warnings(runner, db, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(STAFF)
    runner.invoke(args=["import", "staff", str(path)])
    workbook_path = one_list(tmp_path, 7, [plan(dob="Unborn", worker="TBC", visit="N/A")])

    result = runner.invoke(args=["import", "annex-a", str(workbook_path)])

    assert result.exit_code == 0, result.output
    assert (
        "Decided (counted, not errors):\n"
        "  values read as not known (List 7, Date of the Last Statutory Visit): 1\n"
        "  unborn children (pre-birth cases): 1\n"
        "  placeholder workers read as unallocated ('TBC'): 1\n"
        "Warnings:\n"
        "  Team 'Broadland' has no manager"
    ) in result.output


def test_an_unborn_child_in_need_on_list_6_is_a_pre_birth_case_too(with_staff, settings, tmp_path):
    row = cin_row(6, "Unborn", date(2026, 10, 1), None, team="Norwich North")

    report = run(with_staff, settings, one_list(tmp_path, 6, [row]))

    assert cases(with_staff)["6"]["birth_status"] == "due_unknown"
    assert report.decided == {"unborn children (pre-birth cases)": 1}


# --- the child's characteristics (kept apart from scoring) -----------------------------------


def characteristics_of(db):
    return {
        r["case_ref"]: (r["sex"], r["ethnicity"], r["disability"])
        for r in db.query(
            "SELECT c.case_ref, k.sex, k.ethnicity, k.disability FROM child_characteristics AS k"
            " JOIN cases AS c ON c.id = k.case_id"
        )
    }


def test_the_templates_gender_ethnicity_and_disability_are_kept_for_each_child(
    db, settings, tmp_path
):
    staff(db, settings, tmp_path, TEMPLATE_STAFF)

    report = run(db, settings, ofsted_template(tmp_path / "Annex_A.xlsx"))

    found = characteristics_of(db)
    assert found["5358472"] == ("male", "OOTH", "no")
    assert found["12598894"] == ("male", "MOTH", "no")
    assert found["10721552"] == ("female", "NOBT", "no")  # on Lists 6 and 7, agreeing
    assert found["3623204"] == ("male", "APKN", "no")
    assert len(found) == 7
    assert report.counts["children's characteristics recorded or changed"] == 7


def test_sex_is_read_from_gender_before_2026_and_sex_from_2026(with_staff, settings, tmp_path):
    path = workbook(
        tmp_path / "a.xlsx",
        {
            6: (LIST_6, [cin_row("7310001", date(2024, 3, 14), date(2025, 2, 1),
                                 date(2026, 10, 1), team="Norwich North")]),
            8: (LIST_8, [lac_row("7310002", date(2015, 5, 1), date(2024, 1, 1),
                                 date(2026, 11, 1), team="Norwich North")]),
        },
    )  # fmt: skip

    run(with_staff, settings, path)

    found = characteristics_of(with_staff)
    assert found["7310001"] == ("female", "WBRI", "no")  # List 6's "Sex" column
    assert found["7310002"] == ("male", None, None)  # List 8's "Gender" column, nothing else


def test_lists_that_disagree_on_a_childs_sex_store_neither_and_warn_without_the_values(
    with_staff, settings, tmp_path
):
    # The workbook's child 7310000 is "b) Female" on List 6 and "a) Male" on List 7.
    report = run(with_staff, settings, two_list_workbook(tmp_path))

    found = characteristics_of(with_staff)
    assert found["7310000"] == (None, "WBRI", "no")
    (warning,) = [w for w in report.warnings if "sex" in w]
    assert warning == (
        "List 7, row 2, column Sex: the child's sex differs from List 6, row 2, column Sex, so "
        "neither is stored: correct whichever is wrong"
    )
    assert "male" not in warning.lower()
    assert report.decided["children whose lists disagree on their sex"] == 1


def test_a_characteristic_that_cannot_be_read_is_an_error_that_never_repeats_it(
    with_staff, settings, tmp_path
):
    row = cin_row("7310001", date(2024, 3, 14), date(2025, 2, 1), date(2026, 10, 1),
                  team="Norwich North")  # fmt: skip
    row[2] = "Secretly-Coded"
    row[5] = "Perhaps"
    path = workbook(tmp_path / "a.xlsx", {6: (LIST_6, [row])})

    problem = rejected(with_staff, settings, path)

    assert len(problem.errors) == 2
    assert problem.errors[0].startswith(
        "List 6, row 2, column Ethnicity: is not one of the DfE's ethnicity codes (WBRI, WIRI"
    )
    assert problem.errors[1].startswith("List 6, row 2, column Does the Child have a Disability:")
    assert not any("secretly" in e.lower() or "perhaps" in e.lower() for e in problem.errors)
    assert with_staff["child_characteristics"].count == 0


def test_a_later_workbook_that_says_less_leaves_what_is_recorded(with_staff, settings, tmp_path):
    first = workbook(tmp_path / "a.xlsx", {6: (LIST_6, [cin_row(
        "7310001", date(2024, 3, 14), date(2025, 2, 1), date(2026, 10, 1),
        team="Norwich North")])})  # fmt: skip
    run(with_staff, settings, first)
    again = run(with_staff, settings, first)
    row = cin_row("7310001", date(2024, 3, 14), date(2025, 2, 1), date(2026, 10, 1),
                  team="Norwich North")  # fmt: skip
    row[1], row[2], row[5] = "c) Not stated/recorded", "s) NOBT", "Not known"
    later = workbook(tmp_path / "b.xlsx", {6: (LIST_6, [row])})

    report = run(with_staff, settings, later)

    assert again.counts["children's characteristics recorded or changed"] == 0
    assert report.counts["children's characteristics recorded or changed"] == 0
    assert characteristics_of(with_staff)["7310001"] == ("female", "WBRI", "no")
