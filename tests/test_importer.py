"""The CSV import: formats, every kind of error, all-or-nothing, idempotent upserts, the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotspots.dates import stamp
from hotspots.importer import (
    MAX_ERRORS_LISTED,
    ImportRejected,
    import_csv,
    import_file,
    stored_report,
)

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))
LATER = datetime(2026, 11, 26, 15, 30, tzinfo=ZoneInfo("Europe/London"))
TABLES = ("teams", "staff", "cases", "observations", "enquiries", "audit_log")

STAFF = """email,name,role,team
manager@example.org,Mo Manager,manager,Norwich North
worker@example.org,Wren Worker,worker,Norwich North
other@example.org,Otto Other,worker,Broadland
admin@example.org,Ada Admin,admin,
"""
CASES = """\
case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,last_visit_on,status
C1,AB,2026-03-01,Norwich North,worker@example.org,2026-04-01,14,2026-11-20,open
C2,CD,2025-01-15,Norwich North,,2026-02-01,28,,open
C3,EF,2024-06-30,Broadland,other@example.org,2025-09-01,20,2026-11-01,closed
"""
OBSERVATIONS = """id,case_ref,indicator,observed_on,source,recorded_by,status,note
O1,C1,domestic_abuse,2026-10-01,police,,current,Police attended
O2,C1,parental_conflict,2026-10-05,health_visiting,worker@example.org,current,
O3,C2,missed_appointments,2026-09-12,gp,,resolved,
"""
ENQUIRIES = """case_ref,topic,asked_on,outcome
C1,domestic_abuse,2026-04-20,not_disclosed
C2,parental_childhood,2026-03-01,disclosed
"""
OBSERVATIONS_HEADER = OBSERVATIONS.splitlines()[0]
CASES_HEADER = CASES.splitlines()[0]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def run(db, settings, tmp_path, kind, text, *, now=NOW, name=None):
    path = write(tmp_path, name or f"{kind}.csv", text)
    return import_csv(db, settings, kind, path, as_of=now.date(), now=now, rescore=False)


def rejected(db, settings, tmp_path, kind, text) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, tmp_path, kind, text)
    return caught.value


def snapshot(db):
    """Every table an import writes, less the audit rows of rejected imports: a rejected
    import changes no data, and its attempt is audited (tested on its own)."""
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608
        for table in TABLES
        if table != "audit_log"
    } | {
        "audit_log": db.execute(
            "SELECT * FROM audit_log WHERE action != 'import_rejected' ORDER BY 1"
        ).fetchall()
    }


@pytest.fixture
def loaded(db, settings, tmp_path):
    """Staff and cases imported: the ground every later file stands on."""
    run(db, settings, tmp_path, "staff", STAFF)
    run(db, settings, tmp_path, "cases", CASES)
    return db


def marked(db):
    """The case refs marked for rescoring (and not yet rescored)."""
    return {
        r[0]
        for r in db.execute(
            "SELECT case_ref FROM cases JOIN rescore_queue ON rescore_queue.case_id = cases.id"
        ).fetchall()
    }


def clear_marks(db):
    db.execute("DELETE FROM rescore_queue")


def case_id(db, ref):
    return db.execute("SELECT id FROM cases WHERE case_ref = ?", [ref]).fetchone()[0]


# --- the four formats ------------------------------------------------------------------------


def test_a_staff_file_creates_its_teams_and_staff(db, settings, tmp_path):
    result = run(db, settings, tmp_path, "staff", STAFF)

    assert (result.rows, result.new, result.updated, result.new_teams) == (4, 4, 0, 2)
    assert [r[0] for r in db.execute("SELECT name FROM teams ORDER BY name")] == [
        "Broadland",
        "Norwich North",
    ]
    rows = db.execute(
        "SELECT email, staff.name, role, teams.name FROM staff"
        " LEFT JOIN teams ON teams.id = team_id ORDER BY email"
    ).fetchall()
    assert rows == [
        ("admin@example.org", "Ada Admin", "admin", None),
        ("manager@example.org", "Mo Manager", "manager", "Norwich North"),
        ("other@example.org", "Otto Other", "worker", "Broadland"),
        ("worker@example.org", "Wren Worker", "worker", "Norwich North"),
    ]


def test_a_staff_name_is_checked_as_the_add_person_page_checks_it(db, settings, tmp_path):
    long = "x" * 201
    text = f"email,name,role,team\nw@example.org,{long},worker,North\n"
    caught = rejected(db, settings, tmp_path, "staff", text)
    assert caught.errors == ["row 2, column name: is longer than 200 characters"]


def test_a_cases_file_imports_allocated_unallocated_and_closed_cases(loaded):
    rows = loaded.execute(
        "SELECT case_ref, initials, date_of_birth, staff.email, opened_on, closed_on,"
        " visit_every_days, last_visit_on, status"
        " FROM cases LEFT JOIN staff ON staff.id = worker_id ORDER BY case_ref"
    ).fetchall()
    assert rows == [
        ("C1", "AB", "2026-03-01", "worker@example.org", "2026-04-01", None, 14, "2026-11-20")
        + ("open",),
        ("C2", "CD", "2025-01-15", None, "2026-02-01", None, 28, None, "open"),
        ("C3", "EF", "2024-06-30", "other@example.org", "2025-09-01", "2026-11-26", 20)
        + ("2026-11-01", "closed"),
    ]
    assert marked(loaded) == {"C1", "C2", "C3"}


def test_an_observations_file_keeps_its_id_as_the_external_id(loaded, settings, tmp_path):
    result = run(loaded, settings, tmp_path, "observations", OBSERVATIONS)

    assert (result.rows, result.new, result.updated) == (3, 3, 0)
    rows = loaded.execute(
        "SELECT external_id, case_ref, indicator, observed_on, source, staff.email,"
        " observations.status, note, recorded_at FROM observations"
        " JOIN cases ON cases.id = case_id LEFT JOIN staff ON staff.id = recorded_by_id"
        " ORDER BY external_id"
    ).fetchall()
    now = stamp(NOW)
    assert rows == [
        ("O1", "C1", "domestic_abuse", "2026-10-01", "police", None, "current")
        + ("Police attended", now),
        ("O2", "C1", "parental_conflict", "2026-10-05", "health_visiting")
        + ("worker@example.org", "current", "", now),
        ("O3", "C2", "missed_appointments", "2026-09-12", "gp", None, "resolved", "", now),
    ]


def test_an_enquiries_file_imports_each_enquiry(loaded, settings, tmp_path):
    result = run(loaded, settings, tmp_path, "enquiries", ENQUIRIES)

    assert (result.rows, result.new) == (2, 2)
    rows = loaded.execute(
        "SELECT case_ref, topic, asked_on, outcome FROM enquiries JOIN cases ON cases.id = case_id"
        " ORDER BY case_ref"
    ).fetchall()
    assert rows == [
        ("C1", "domestic_abuse", "2026-04-20", "not_disclosed"),
        ("C2", "parental_childhood", "2026-03-01", "disclosed"),
    ]


def test_the_summary_is_one_line_of_counts(loaded, settings, tmp_path):
    result = run(loaded, settings, tmp_path, "observations", OBSERVATIONS)

    assert result.summary() == "observations: 3 rows read, 3 new, 0 updated, 0 unchanged"


def test_a_bom_reordered_columns_spaces_blank_lines_and_capitals_are_accepted(
    loaded, settings, tmp_path
):
    text = (
        "\ufeffnote, status ,id,case_ref,indicator,observed_on,source,recorded_by\r\n"
        "  Seen at home , Current , O9 ,C1, Domestic_Abuse ,2026-10-01,POLICE,"
        " Worker@Example.ORG\r\n"
        "\r\n"
        ",,,,,,,\r\n"
        "\r\n"
    )
    result = run(loaded, settings, tmp_path, "observations", text)

    assert (result.rows, result.new) == (1, 1)
    row = loaded.execute(
        "SELECT external_id, indicator, source, status, note, recorded_by_id IS NOT NULL"
        " FROM observations"
    ).fetchone()
    assert row == ("O9", "domestic_abuse", "police", "current", "Seen at home", 1)


def test_a_header_only_file_imports_no_rows(loaded, settings, tmp_path):
    result = run(loaded, settings, tmp_path, "observations", OBSERVATIONS_HEADER + "\n")

    assert (result.rows, result.new) == (0, 0)


def test_emails_match_whatever_their_capitals(loaded, settings, tmp_path):
    text = (
        CASES_HEADER + "\nC4,GH,2026-01-01,norwich north,WORKER@example.org,2026-02-01,14,,open\n"
    )
    run(loaded, settings, tmp_path, "cases", text)

    worker = loaded.execute(
        "SELECT staff.email FROM cases JOIN staff ON staff.id = worker_id WHERE case_ref = 'C4'"
    ).fetchone()
    assert worker == ("worker@example.org",)


# --- upserts and re-imports ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("staff", STAFF),
        ("cases", CASES),
        ("observations", OBSERVATIONS),
        ("enquiries", ENQUIRIES),
    ],
)
def test_importing_the_same_file_again_changes_nothing(loaded, settings, tmp_path, kind, text):
    run(loaded, settings, tmp_path, kind, text)
    before = snapshot(loaded)

    result = run(loaded, settings, tmp_path, kind, text, now=LATER)

    after = snapshot(loaded)
    assert (result.new, result.updated, result.unchanged) == (0, 0, result.rows)
    assert result.rows > 0
    assert len(after.pop("audit_log")) == len(before.pop("audit_log")) + 1
    assert after == before


def test_a_changed_observation_is_updated_and_marks_its_case(loaded, settings, tmp_path):
    run(loaded, settings, tmp_path, "observations", OBSERVATIONS)
    clear_marks(loaded)
    changed = OBSERVATIONS.replace(
        "O1,C1,domestic_abuse,2026-10-01,police,,current,Police attended",
        "O1,C1,domestic_abuse,2026-10-01,police,,resolved,Moved out",
    )

    result = run(loaded, settings, tmp_path, "observations", changed, now=LATER)

    assert (result.new, result.updated, result.unchanged) == (0, 1, 2)
    row = loaded.execute(
        "SELECT status, note, recorded_at, status_changed_at FROM observations"
        " WHERE external_id = 'O1'"
    ).fetchone()
    later, now = stamp(LATER), stamp(NOW)
    assert row == ("resolved", "Moved out", now, later)
    assert marked(loaded) == {"C1"}


def test_moving_an_observation_to_another_case_marks_both_cases(loaded, settings, tmp_path):
    run(loaded, settings, tmp_path, "observations", OBSERVATIONS)
    clear_marks(loaded)
    moved = OBSERVATIONS.replace("O3,C2,", "O3,C3,")

    result = run(loaded, settings, tmp_path, "observations", moved, now=LATER)

    assert result.updated == 1
    assert loaded.execute("SELECT case_id FROM observations WHERE external_id = 'O3'").fetchone()[
        0
    ] == case_id(loaded, "C3")
    assert marked(loaded) == {"C2", "C3"}


def test_a_changed_case_is_updated_and_reopening_clears_its_closed_date(loaded, settings, tmp_path):
    changed = CASES.replace(
        "C2,CD,2025-01-15,Norwich North,,2026-02-01,28,,open",
        "C2,CD,2025-01-15,Norwich North,worker@example.org,2026-02-01,28,,open",
    ).replace("2026-11-01,closed", "2026-11-01,open")
    clear_marks(loaded)

    result = run(loaded, settings, tmp_path, "cases", changed, now=LATER)

    assert (result.new, result.updated, result.unchanged) == (0, 2, 1)
    rows = loaded.execute(
        "SELECT case_ref, worker_id IS NOT NULL, status, closed_on FROM cases ORDER BY case_ref"
    ).fetchall()
    assert rows == [
        ("C1", 1, "open", None),
        ("C2", 1, "open", None),
        ("C3", 1, "open", None),
    ]
    assert marked(loaded) == {"C2", "C3"}


def test_a_changed_staff_member_keeps_their_password(loaded, settings, tmp_path):
    loaded.execute("UPDATE staff SET password_hash = 'hash' WHERE email = 'other@example.org'")
    changed = STAFF.replace(
        "other@example.org,Otto Other,worker,Broadland",
        "Other@Example.org,Otto Other,manager,Norwich North",
    )

    result = run(loaded, settings, tmp_path, "staff", changed)

    assert (result.new, result.updated, result.unchanged, result.new_teams) == (0, 1, 3, 0)
    row = loaded.execute(
        "SELECT role, teams.name, password_hash FROM staff JOIN teams ON teams.id = team_id"
        " WHERE email = 'other@example.org'"
    ).fetchone()
    assert row == ("manager", "Norwich North", "hash")


def test_a_changed_enquiry_outcome_is_updated(loaded, settings, tmp_path):
    run(loaded, settings, tmp_path, "enquiries", ENQUIRIES)
    changed = ENQUIRIES.replace("2026-04-20,not_disclosed", "2026-04-20,disclosed")

    result = run(loaded, settings, tmp_path, "enquiries", changed, now=LATER)

    assert (result.new, result.updated) == (0, 1)
    assert (
        loaded.execute("SELECT count(*) FROM enquiries WHERE outcome = 'disclosed'").fetchone()[0]
        == 2
    )


def test_an_import_writes_one_audit_row_without_personal_data(loaded, settings, tmp_path):
    run(loaded, settings, tmp_path, "observations", OBSERVATIONS, name="weekly.csv")

    rows = loaded.execute(
        "SELECT at, action, actor_email, case_ref, detail FROM audit_log ORDER BY id DESC"
    ).fetchall()
    at, action, actor, case_ref, detail = rows[0]
    assert (at, action, actor, case_ref) == (
        stamp(NOW),
        "import",
        None,
        None,
    )
    assert json.loads(detail) == {
        "kind": "observations",
        "file": "weekly.csv",
        "rows": 3,
        "new": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert len(rows) == 3  # staff, cases, observations


# --- errors: a bad file imports nothing ------------------------------------------------------


def obs(row: str) -> str:
    return OBSERVATIONS_HEADER + "\n" + row + "\n"


def case(row: str) -> str:
    return CASES_HEADER + "\n" + row + "\n"


GOOD_CASE = "C9,GH,2026-01-01,Norwich North,worker@example.org,2026-02-01,14,2026-11-01,open"


@pytest.mark.parametrize(
    ("kind", "text", "error"),
    [
        (
            "observations",
            obs("O9,C1,bruise,2026-10-01,police,,current,"),
            "row 2, column indicator: unknown indicator 'bruise'"
            " (not in [scoring.indicators] in config.toml)",
        ),
        (
            "observations",
            obs("O9,C404,domestic_abuse,2026-10-01,police,,current,"),
            "row 2, column case_ref: unknown case_ref 'C404' (import it in a cases file first)",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,neighbour,,current,"),
            "row 2, column source: unknown source 'neighbour' (one of: police, health_visiting,"
            " midwifery, gp, hospital, school, social_care, early_help, housing, probation, other)",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,nobody@example.org,current,"),
            "row 2, column recorded_by: unknown staff email 'nobody@example.org'",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,,open,"),
            "row 2, column status: unknown status 'open' (one of: current, resolved, refuted)",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-02-30,police,,current,"),
            "row 2, column observed_on: 2026-02-30 is not a real date",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,01/10/2026,police,,current,"),
            "row 2, column observed_on: '01/10/2026' is not a date in the form YYYY-MM-DD",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-11-27,police,,current,"),
            "row 2, column observed_on: 2026-11-27 is in the future",
        ),
        (
            "observations",
            obs(",C1,domestic_abuse,2026-10-01,police,,current,"),
            "row 2, column id: is empty",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,,current"),
            "row 2, column note: missing (the row has 7 values, the header 8 columns)",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,,current,,extra"),
            "row 2, column 9: unexpected extra value (the row has 9 values, the header 8 columns)",
        ),
        (
            "observations",
            "id,case_ref,indicator,observed_on,source,recorded_by,status\n",
            "row 1, column note: missing from the header (expected id,case_ref,indicator,"
            "observed_on,source,recorded_by,status,note)",
        ),
        (
            "observations",
            OBSERVATIONS_HEADER + ",colour\n",
            "row 1, column colour: unexpected column (expected id,case_ref,indicator,"
            "observed_on,source,recorded_by,status,note)",
        ),
        (
            "observations",
            OBSERVATIONS_HEADER + ",note\n",
            "row 1, column note: appears twice in the header",
        ),
        (
            "observations",
            obs(
                "O9,C1,domestic_abuse,2026-10-01,police,,current,\nO9,C2,police_callout,2026-10-01,police,,current,"
            ),
            "row 3, column id: O9 appears again (first on row 2)",
        ),
        (
            "observations",
            "",
            "row 1: the file is empty; expected a header row: id,case_ref,"
            "indicator,observed_on,source,recorded_by,status,note",
        ),
        (
            "observations",
            "\n  \n",
            "row 1: the file is empty; expected a header row: id,"
            "case_ref,indicator,observed_on,source,recorded_by,status,note",
        ),
        (
            "staff",
            "email,name,role,team\nboss@example.org,Bo Boss,boss,Broadland\n",
            "row 2, column role: unknown role 'boss' (one of: worker, manager, admin, partnership)",
        ),
        (
            "staff",
            "email,name,role,team\nnew@example.org,Nia New,worker,\n",
            "row 2, column team: is empty (every worker belongs to a team)",
        ),
        (
            "staff",
            "email,name,role,team\nnot-an-email,Nia New,worker,Broadland\n",
            "row 2, column email: 'not-an-email' is not an email address",
        ),
        (
            "staff",
            "email,name,role,team\nnia@example.org,Nia,worker,Diss\nNIA@example.org,Nia,worker,Diss\n",
            "row 3, column email: nia@example.org appears again (first on row 2)",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("Norwich North", "Atlantis")),
            "row 2, column team: unknown team 'Atlantis' (teams come from the staff import)",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("worker@example.org", "ghost@example.org")),
            "row 2, column worker_email: unknown worker 'ghost@example.org'"
            " (not in the staff list)",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("worker@example.org", "other@example.org")),
            "row 2, column worker_email: other@example.org is not in team 'Norwich North'",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("worker@example.org", "admin@example.org")),
            "row 2, column worker_email: admin@example.org is an admin and holds no caseload",
        ),
        (
            "cases",
            case(GOOD_CASE.replace(",open", ",pending")),
            "row 2, column status: unknown status 'pending' (one of: open, closed)",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("2026-01-01", "2027-01-01")),
            "row 2, column date_of_birth: 2027-01-01 is in the future",
        ),
        (
            "cases",
            case(GOOD_CASE.replace(",GH,", ",Grace Hill,")),
            "row 2, column initials: should be the child's initials, 1 to 4 letters",
        ),
        (
            "cases",
            case(GOOD_CASE.replace(",14,", ",fortnightly,")),
            "row 2, column visit_every_days: 'fortnightly' is not a whole number of days from 1"
            " to 365",
        ),
        (
            "cases",
            case(GOOD_CASE + "\n" + GOOD_CASE),
            "row 3, column case_ref: C9 appears again (first on row 2)",
        ),
        (
            "enquiries",
            "case_ref,topic,asked_on,outcome\nC1,housing,2026-10-01,disclosed\n",
            "row 2, column topic: unknown topic 'housing' (one of: domestic_abuse,"
            " parental_childhood)",
        ),
        (
            "enquiries",
            "case_ref,topic,asked_on,outcome\nC1,domestic_abuse,2026-10-01,maybe\n",
            "row 2, column outcome: unknown outcome 'maybe' (one of: disclosed, not_disclosed,"
            " unable_to_ask)",
        ),
        (
            "enquiries",
            "case_ref,topic,asked_on,outcome\nC1,domestic_abuse,2026-10-01,disclosed\n"
            "C1,domestic_abuse,2026-10-01,not_disclosed\n",
            "row 3, column asked_on: C1 already has a domestic_abuse enquiry on 2026-10-01 in"
            " this file (row 2)",
        ),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_imported(
    loaded, settings, tmp_path, kind, text, error
):
    before = snapshot(loaded)

    problem = rejected(loaded, settings, tmp_path, kind, text)

    assert problem.errors == [error]
    assert problem.total == 1
    assert snapshot(loaded) == before


def test_a_file_that_is_not_utf8_is_reported_on_its_row(loaded, settings, tmp_path):
    text = obs("O8,C1,domestic_abuse,2026-10-01,police,,current,ok") + (
        "O9,C1,domestic_abuse,2026-10-01,police,,current,Zo\u00eb\n"
    )
    path = write(tmp_path, "latin1.csv", text.encode("latin-1"))

    with pytest.raises(ImportRejected) as caught:
        import_csv(loaded, settings, "observations", path, as_of=AS_OF, now=NOW, rescore=False)

    assert caught.value.errors == ["row 3: is not UTF-8 text (byte 0xeb); save as CSV UTF-8"]


def test_a_utf16_file_is_named_as_such(loaded, settings, tmp_path):
    path = write(tmp_path, "utf16.csv", OBSERVATIONS.encode("utf-16"))

    with pytest.raises(ImportRejected) as caught:
        import_csv(loaded, settings, "observations", path, as_of=AS_OF, now=NOW, rescore=False)

    assert caught.value.errors == ["row 1: the file is UTF-16, not UTF-8: save it as CSV UTF-8"]


def test_a_bad_row_stops_the_good_rows_too(loaded, settings, tmp_path):
    text = OBSERVATIONS + "O4,C1,bruise,2026-10-01,police,,current,\n"
    before = snapshot(loaded)

    problem = rejected(loaded, settings, tmp_path, "observations", text)

    assert problem.total == 1
    assert snapshot(loaded) == before
    assert loaded.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_every_error_in_a_file_is_listed_in_row_order(loaded, settings, tmp_path):
    text = (
        OBSERVATIONS_HEADER + "\n"
        "O1,C404,bruise,2026-10-01,police,,current,\n"
        "O2,C1,domestic_abuse,2026-10-01,police,,current,\n"
        "O3,C1,domestic_abuse,2026-13-01,police,,gone,\n"
    )

    problem = rejected(loaded, settings, tmp_path, "observations", text)

    assert problem.errors == [
        "row 2, column case_ref: unknown case_ref 'C404' (import it in a cases file first)",
        "row 2, column indicator: unknown indicator 'bruise' (not in [scoring.indicators] in"
        " config.toml)",
        "row 4, column observed_on: 2026-13-01 is not a real date",
        "row 4, column status: unknown status 'gone' (one of: current, resolved, refuted)",
    ]


def test_an_indicator_the_service_works_out_is_refused_with_what_to_record_instead(
    loaded, settings, tmp_path
):
    text = OBSERVATIONS_HEADER + "\nO1,C1,unscheduled_care_injury,2026-10-01,hospital,,current,\n"

    problem = rejected(loaded, settings, tmp_path, "observations", text)

    assert problem.errors == [
        "row 2, column indicator: unscheduled_care_injury is worked out by the service from"
        " unscheduled_care observations (child under 2 on the day): send or record those"
        " instead",
    ]


def test_a_file_with_many_errors_lists_the_first_hundred_and_counts_the_rest(
    loaded, settings, tmp_path
):
    rows = "".join(f"O{i},C1,bruise,2026-10-01,police,,current,\n" for i in range(250))

    problem = rejected(
        loaded, settings, tmp_path, "observations", OBSERVATIONS_HEADER + "\n" + rows
    )

    assert problem.total == 250
    assert len(problem.errors) == MAX_ERRORS_LISTED
    assert problem.errors[0].startswith("row 2, column indicator:")
    assert str(problem).splitlines()[0] == "observations.csv: nothing imported, 250 errors:"
    assert str(problem).splitlines()[-1] == "  and 150 more"


def test_import_rescores_the_cases_it_changed(loaded, settings, tmp_path):
    path = write(tmp_path, "observations.csv", OBSERVATIONS)

    result = import_csv(loaded, settings, "observations", path, as_of=AS_OF, now=NOW)

    assert result.rescored is not None and result.rescored >= 2
    scored = {
        r[0]
        for r in loaded.execute(
            "SELECT case_ref FROM scores JOIN cases ON cases.id = scores.case_id"
        )
    }
    assert {"C1", "C2"} <= scored


# --- the command -----------------------------------------------------------------------------


def test_the_command_imports_a_file_and_prints_its_summary(runner, tmp_path):
    path = write(tmp_path, "staff.csv", STAFF)

    result = runner.invoke(args=["import", "staff", str(path)])

    assert result.exit_code == 0, result.output
    assert "staff: 4 rows read, 4 new, 0 updated, 0 unchanged; 2 new teams" in result.output


def test_the_command_lists_the_errors_and_exits_non_zero(runner, tmp_path):
    runner.invoke(args=["import", "staff", str(write(tmp_path, "staff.csv", STAFF))])
    path = write(tmp_path, "cases.csv", case(GOOD_CASE.replace("2026-01-01", "2999-01-01")))

    result = runner.invoke(args=["import", "cases", str(path)])

    assert result.exit_code == 1
    assert "cases.csv: nothing imported, 1 error:" in result.output
    assert "row 2, column date_of_birth: 2999-01-01 is in the future" in result.output
    assert "Traceback" not in result.output


def test_the_command_refuses_an_unknown_kind(runner, tmp_path):
    path = write(tmp_path, "visits.csv", "a,b\n")

    result = runner.invoke(args=["import", "visits", str(path)])

    assert result.exit_code == 2
    assert "'visits' is not one of" in result.output


def test_the_command_asks_for_init_db_on_a_database_not_set_up(tmp_path):
    from hotspots import create_app

    app = create_app(
        {"TESTING": True, "database": {"path": str(tmp_path / "new.db")}}, require_secret_key=False
    )
    path = write(tmp_path, "staff.csv", STAFF)

    result = app.test_cli_runner().invoke(args=["import", "staff", str(path)])

    assert result.exit_code == 1
    assert "run `hotspots init-db` first" in result.output


def test_a_row_the_csv_reader_cannot_read_is_reported_and_stops_the_reading(
    loaded, settings, tmp_path
):
    huge = "x" * 200_000
    text = obs("O8,C1,domestic_abuse,2026-10-01,police,,current,ok") + (
        f'O9,C1,domestic_abuse,2026-10-01,police,,current,"{huge}"\n'
    )

    problem = rejected(loaded, settings, tmp_path, "observations", text)

    assert problem.errors == [
        "row 3: cannot be read as CSV (field larger than field limit (131072));"
        " nothing after it was read"
    ]


def test_the_command_says_so_when_another_writer_holds_the_database(runner, db_path, tmp_path):
    from hotspots import storage

    other = storage.connect(db_path, busy_timeout_ms=0)
    other.execute("BEGIN IMMEDIATE")
    path = write(tmp_path, "staff.csv", STAFF)
    runner.app.config["SETTINGS"]["database"]["busy_timeout_ms"] = 50
    try:
        result = runner.invoke(args=["import", "staff", str(path)])
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert result.exit_code == 1
    assert "The database stayed locked by another writer" in result.output
    assert "Traceback" not in result.output


def test_the_readme_example_files_import_in_order(db, settings):
    """tests/fixtures holds the four example files the README shows."""
    fixtures = Path(__file__).parent / "fixtures"
    counts = {}
    for kind in ("staff", "cases", "observations", "enquiries"):
        path = fixtures / f"{kind}.csv"
        result = import_csv(db, settings, kind, path, as_of=AS_OF, now=NOW, rescore=False)
        counts[kind] = result.new

    assert counts == {"staff": 3, "cases": 2, "observations": 3, "enquiries": 2}


def test_back_to_back_imports_in_the_same_second_rescore_every_case_they_change(
    db, settings, tmp_path
):
    """A nightly feed imports cases, then observations a moment later: the second import's
    cases are rescored at once, whatever the two clocks say (here the same sub-second
    instant, which a comparison of stamps at different precisions got wrong)."""
    now = NOW.replace(microsecond=250_000)
    for kind, text in (("staff", STAFF), ("cases", CASES)):
        path = write(tmp_path, f"{kind}.csv", text)
        import_csv(db, settings, kind, path, as_of=now.date(), now=now)
    path = write(tmp_path, "observations.csv", OBSERVATIONS)
    result = import_csv(db, settings, "observations", path, as_of=now.date(), now=now)
    assert result.rescored == 2  # C1 and C2 have observations; C3 is closed
    codes = {c["code"] for c in json.loads(db["scores"].get(case_id(db, "C1"))["contributions"])}
    assert "domestic_abuse" in codes
    assert db["rescore_queue"].count == 0


def test_a_dry_run_of_a_csv_reports_the_counts_and_changes_nothing(runner, db, tmp_path):
    runner.invoke(args=["import", "staff", str(write(tmp_path, "staff.csv", STAFF))])
    before = snapshot(db)
    path = write(tmp_path, "cases.csv", CASES)

    result = runner.invoke(args=["import", "cases", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "cases: 3 rows read, 3 new, 0 updated, 0 unchanged" in result.output
    assert "cases.csv: checked, no errors (dry run: nothing was changed)" in result.output
    after = snapshot(db)
    assert {t: after[t] for t in after if t != "audit_log"} == {
        t: before[t] for t in before if t != "audit_log"
    }
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "import_dry_run"


# --- hardening: values that used to be lost, misplaced or unopenable ---------------------------


@pytest.mark.parametrize(
    ("kind", "text", "error"),
    [
        (
            "observations",
            obs('O9,C1,domestic_abuse,2026-10-01,police,,current,"left open')
            + "O10,C2,police_callout,2026-10-01,police,,current,swallowed\n",
            'row 2, column note: contains a line break: if a quote (") was left open it '
            "swallowed the lines after it; close the quote, or put the value on one line",
        ),
        (
            "observations",
            obs('O9,C1,domestic_abuse,2026-10-01,police,,current,"left open')
            + 'O10,C2,police_callout,2026-10-01,police,,current,closed here"\n',
            'row 2, column note: contains a line break: if a quote (") was left open it '
            "swallowed the lines after it; close the quote, or put the value on one line",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("C9,", "C/9,")),
            "row 2, column case_ref: 'C/9' is not a case reference: use letters, digits, - and _"
            " only (no /, spaces or dots), starting with a letter or digit",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("C9,", "..,")),
            "row 2, column case_ref: '..' is not a case reference: use letters, digits, - and _"
            " only (no /, spaces or dots), starting with a letter or digit",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("C9,", "C" * 33 + ",")),
            "row 2, column case_ref: is longer than 32 characters",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("C9,", "C\x009,")),
            "row 2, column case_ref: contains a NUL character: remove it",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,,current,bell\x07"),
            "row 2, column note: contains the control character U+0007: remove it",
        ),
        (
            "staff",
            "email,name,role,team\nnia@example.org," + "N" * 255 + ",worker,Diss\n",
            "row 2, column name: is longer than 254 characters (255)",
        ),
        (
            "observations",
            obs("O9,C1,domestic_abuse,2026-10-01,police,,current," + "n" * 2001),
            "row 2, column note: is longer than 2000 characters (2001)",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("2026-01-01", "1800-01-01")),
            "row 2, column date_of_birth: 1800-01-01 is before 1900: check the year",
        ),
        (
            "cases",
            case(GOOD_CASE.replace("2026-01-01", "1990-01-01")),
            "row 2, column date_of_birth: 1990-01-01 is more than 25 years ago (the child would"
            " be 36): check the year",
        ),
        (
            "staff",
            "email,name,role,team\nworker@example.org,Wren Worker,worker,Broadland\n",
            "row 2, column team: moving worker@example.org to another team would leave their "
            "1 open case (C1) in team 'norwich north': reallocate them first (a cases import), "
            "then move them",
        ),
        (
            "staff",
            "email,name,role,team\nworker@example.org,Wren Worker,admin,\n",
            "row 2, column role: worker@example.org holds 1 open case (C1) and an admin holds "
            "no caseload: reallocate them first (a cases import), then make the change",
        ),
    ],
)
def test_hostile_values_are_refused_with_their_row_and_column(
    loaded, settings, tmp_path, kind, text, error
):
    before = snapshot(loaded)

    problem = rejected(loaded, settings, tmp_path, kind, text)

    assert problem.errors == [error]
    assert snapshot(loaded) == before


def test_a_staff_change_that_breaks_access_names_ten_cases_and_counts_the_rest(
    loaded, settings, tmp_path
):
    rows = "".join(
        f"K{n:02d},AB,2026-01-01,Norwich North,worker@example.org,2026-02-01,14,,open\n"
        for n in range(14)
    )
    run(loaded, settings, tmp_path, "cases", CASES_HEADER + "\n" + rows)
    problem = rejected(
        loaded,
        settings,
        tmp_path,
        "staff",
        "email,name,role,team\nworker@example.org,Wren Worker,worker,Broadland\n",
    )
    assert (
        "15 open cases (C1, K00, K01, K02, K03, K04, K05, K06, K07, K08 and 5 more)"
        in (problem.errors[0])
    )


def test_a_worker_whose_cases_are_closed_or_reallocated_may_move_team(loaded, settings, tmp_path):
    run(
        loaded,
        settings,
        tmp_path,
        "cases",
        case("C1,AB,2026-03-01,Norwich North,,2026-04-01,14,2026-11-20,open"),
    )
    result = run(
        loaded,
        settings,
        tmp_path,
        "staff",
        "email,name,role,team\nworker@example.org,Wren Worker,worker,Broadland\n",
    )
    assert result.updated == 1


def test_a_note_with_a_quoted_comma_and_a_long_case_ref_at_the_limit_are_accepted(
    loaded, settings, tmp_path
):
    ref = "A" * 32
    run(loaded, settings, tmp_path, "cases", case(GOOD_CASE.replace("C9,", f"{ref},")))
    result = run(
        loaded,
        settings,
        tmp_path,
        "observations",
        obs(f'O9,{ref},domestic_abuse,2026-10-01,police,,current,"seen, then left"'),
    )
    assert result.new == 1


# --- what every import path shares (issue 19) --------------------------------------------------


def test_a_case_ref_exported_through_a_float_is_the_whole_number_in_every_csv(
    loaded, settings, tmp_path
):
    run(loaded, settings, tmp_path, "cases", CASES.replace("C2,CD", "10721552.0,CD"))
    observation = "O9,10721552.0,domestic_abuse,2026-10-01,police,,current,"
    run(loaded, settings, tmp_path, "observations", f"{OBSERVATIONS_HEADER}\n{observation}\n")
    enquiry = "10721552.0,domestic_abuse,2026-10-02,disclosed"
    run(loaded, settings, tmp_path, "enquiries", f"case_ref,topic,asked_on,outcome\n{enquiry}\n")

    refs = {r[0] for r in loaded.execute("SELECT case_ref FROM cases")}
    assert "10721552" in refs and "10721552.0" not in refs
    (owner,) = loaded.execute(
        "SELECT c.case_ref FROM observations o JOIN cases c ON c.id = o.case_id"
        " WHERE o.external_id = 'O9'"
    ).fetchone()
    assert owner == "10721552"


def test_a_birth_date_26_years_ago_is_refused_as_every_import_refuses_it(
    loaded, settings, tmp_path
):
    problem = rejected(
        loaded, settings, tmp_path, "cases", CASES.replace("2025-01-15", "2000-06-01")
    )

    assert problem.errors == [
        "row 3, column date_of_birth: 2000-06-01 is more than 25 years ago (the child would be"
        " 26): check the year"
    ]


def test_a_staff_file_warns_of_each_team_it_leaves_without_a_manager(db, settings, tmp_path):
    path = write(tmp_path, "staff.csv", STAFF)

    report = import_file(db, settings, "staff", path, as_of=AS_OF, now=NOW, rescore=False)

    assert report.warnings == [
        "Team 'Broadland' has no manager, so no digest goes out for it: add one (a staff import"
        " with role manager and team 'Broadland', or Add a person on the People page,"
        " /admin/people/new)"
    ]
    assert "Warnings:" in report.text()
    kept = stored_report(db, report.audit_id)["report"]
    assert (kept.warnings, kept.warning_total) == (report.warnings, 1)


def test_teams_without_a_manager_are_named_up_to_a_budget(db, settings, tmp_path):
    rows = "".join(f"w{n}@example.org,W {n},worker,Team {n:02d}\n" for n in range(12))

    report = import_file(
        db, settings, "staff", write(tmp_path, "staff.csv", "email,name,role,team\n" + rows),
        as_of=AS_OF, now=NOW, rescore=False,
    )  # fmt: skip

    assert len(report.warnings) == 11
    assert report.warnings[-1] == "and 2 more teams without a manager"


def test_a_report_kept_before_decisions_were_counted_still_reads(db, settings, tmp_path):
    report = import_file(
        db, settings, "staff", write(tmp_path, "staff.csv", STAFF), as_of=AS_OF, now=NOW,
        rescore=False,
    )  # fmt: skip
    db.execute(
        "UPDATE import_reports SET report = json_remove(report, '$.decided', '$.warnings',"
        " '$.warning_total') WHERE audit_id = ?",
        [report.audit_id],
    )

    kept = stored_report(db, report.audit_id)["report"]

    assert (kept.decided, kept.warnings, kept.warning_total) == ({}, [], 0)


def test_an_ssda903_file_given_as_a_cases_file_is_named_for_what_it_is(db, settings, tmp_path):
    episodes = "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC\n101,2025-01-01,P,C2,N1,U1,\n"

    problem = rejected(db, settings, tmp_path, "cases", episodes)

    assert problem.errors == [
        "row 1: this is an SSDA903 return (children looked after: its episodes file), not a"
        " cases file"
    ]


def test_a_workbook_given_as_a_csv_file_is_named_for_what_it_is(db, settings, tmp_path):
    problem = rejected(db, settings, tmp_path, "staff", b"PK\x03\x04" + bytes(100))

    assert problem.errors == [
        "row 1: this is an Excel workbook, not a CSV file: the Annex A workbook is imported as"
        " annex-a; any other sheet, save it as CSV UTF-8"
    ]


# --- the cases file's optional characteristics (kept apart from scoring) -------------------------


def characteristics_of(db):
    return {
        r["case_ref"]: (r["sex"], r["ethnicity"], r["disability"])
        for r in db.query(
            "SELECT c.case_ref, k.sex, k.ethnicity, k.disability FROM child_characteristics AS k"
            " JOIN cases AS c ON c.id = k.case_id"
        )
    }


def test_a_cases_file_may_carry_sex_ethnicity_and_disability_in_any_order(
    loaded, settings, tmp_path
):
    text = (
        CASES_HEADER + ",disability,nhs_number,sex,ethnicity\n"
        "C1,AB,2026-03-01,Norwich North,worker@example.org,2026-04-01,14,2026-11-20,open,"
        "yes,,F,MWBA\n"
        "C2,CD,2025-01-15,Norwich North,,2026-02-01,28,,open,,,male,\n"
    )

    result = run(loaded, settings, tmp_path, "cases", text)

    assert characteristics_of(loaded) == {
        "C1": ("female", "MWBA", "yes"),
        "C2": ("male", None, None),
    }
    assert result.updated == 0  # the cases themselves did not change
    assert run(loaded, settings, tmp_path, "cases", text).updated == 0
    assert characteristics_of(loaded)["C1"] == ("female", "MWBA", "yes")


def test_a_cases_file_with_one_optional_column_reads_each_value_from_its_own_column(
    loaded, settings, tmp_path
):
    text = CASES_HEADER + ",ethnicity\n" + CASES.splitlines()[1] + ",BCRB\n"

    run(loaded, settings, tmp_path, "cases", text)

    assert characteristics_of(loaded) == {"C1": (None, "BCRB", None)}
    assert (
        loaded.execute("SELECT nhs_number FROM cases WHERE case_ref = 'C1'").fetchone()[0] is None
    )


def test_a_characteristic_the_service_cannot_read_is_an_error_that_never_repeats_it(
    loaded, settings, tmp_path
):
    text = CASES_HEADER + ",sex,ethnicity,disability\n" + CASES.splitlines()[1] + ",Xq,Zq,Wq\n"

    problem = rejected(loaded, settings, tmp_path, "cases", text)

    assert [e.split(":")[0] for e in problem.errors] == [
        "row 2, column sex",
        "row 2, column ethnicity",
        "row 2, column disability",
    ]
    assert not any(value in e for e in problem.errors for value in ("Xq", "Zq", "Wq"))
    assert characteristics_of(loaded) == {}


def test_a_member_of_the_partnership_is_imported_with_no_team_and_holds_no_case(
    db, settings, tmp_path, loaded
):
    run(db, settings, tmp_path, "staff", STAFF + "lead@example.org,Lee Lead,partnership,\n")
    assert db.execute(
        "SELECT role, team_id FROM staff WHERE email = 'lead@example.org'"
    ).fetchone() == (
        "partnership",
        None,
    )
    problem = rejected(
        db,
        settings,
        tmp_path,
        "staff",
        "email,name,role,team\nlead@example.org,Lee,partnership,Broadland\n",
    )
    assert problem.errors == [
        "row 2, column team: must be empty: the partnership belongs to no team"
    ]
    cases = CASES.replace(
        "C2,CD,2025-01-15,Norwich North,,", "C2,CD,2025-01-15,Norwich North,lead@example.org,"
    )
    problem = rejected(db, settings, tmp_path, "cases", cases)
    assert problem.errors == [
        "row 3, column worker_email: lead@example.org is a member of the partnership and holds "
        "no caseload"
    ]
