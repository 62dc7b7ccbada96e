"""A child's characteristics: every spelling each is read from, what an error says (never the
value), how several records about one child combine, the report's age bands, and that they
are kept apart from scoring: the model's inputs have no place for them and no statement of
any rescore reads their table."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotspots.model import characteristics, scoring
from hotspots.model.plausibility import Implausible
from hotspots.services import rescoring
from hotspots.storage import characteristics as kept
from hotspots.storage import schema

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))
AS_OF = NOW.date()


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("a) Male", "male"),
        ("Male", "male"),
        ("M", "male"),
        ("1", "male"),
        (1.0, "male"),
        ("b) Female", "female"),
        ("f", "female"),
        ("2", "female"),
        ("d) Neither", "other"),
        ("9", "other"),
        ("c) Not stated/recorded", "not_known"),
        ("U", "not_known"),
        ("0", "not_known"),
        ("Unborn", "not_known"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_sex_is_read_from_every_way_the_files_write_it(written, read):
    assert characteristics.read_sex(written, field="Gender") == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("a) WBRI", "WBRI"),
        ("wbri", "WBRI"),
        ("MWBA", "MWBA"),
        ("White and Black African", "MWBA"),
        ("Black - African", "BAFR"),
        ("CHNE", "CHNE"),
        ("s) NOBT", "NOBT"),
        ("Refused", "REFU"),
        ("", None),
        ("Not known", None),
    ],
)
def test_ethnicity_is_read_from_the_dfe_code_or_its_words(written, read):
    found = characteristics.read_ethnicity(written, field="Ethnicity", not_known=["Not known"])
    assert found == read


@pytest.mark.parametrize(
    ("written", "read"),
    [("a) Yes", "yes"), ("Y", "yes"), ("b) No", "no"), ("no", "no"), ("", None), ("N/K", None)],
)
def test_disability_is_yes_no_or_not_recorded(written, read):
    assert characteristics.read_disability(written, field="Disability", not_known=["N/K"]) == read


@pytest.mark.parametrize(
    ("codes", "read"),
    [([], None), (["NONE"], "no"), (["HAND", "HEAR"], "yes"), (["aut"], "yes"), ([" "], None)],
)
def test_the_censuss_disability_codes_say_only_whether_there_is_one(codes, read):
    assert characteristics.read_disability_codes(codes, field="Disability") == read


@pytest.mark.parametrize(
    ("reader", "written"),
    [
        (characteristics.read_sex, "Trans girl"),
        (characteristics.read_ethnicity, "WENG-Secret"),
        (characteristics.read_disability, "Autism-Secret"),
    ],
)
def test_an_unreadable_value_is_refused_without_repeating_it(reader, written):
    with pytest.raises(Implausible) as caught:
        reader(written, field="Column")
    error = caught.value
    assert "check the row" in error.reason
    assert "secret" not in str(error).lower() and written.lower() not in str(error).lower()
    assert error.value == ""


def test_none_beside_a_disability_code_is_a_contradiction_and_an_unknown_code_is_refused():
    with pytest.raises(Implausible, match="NONE .* beside a disability"):
        characteristics.read_disability_codes(["NONE", "VIS"], field="Disability")
    with pytest.raises(Implausible, match="not one of the census's disability codes") as caught:
        characteristics.read_disability_codes(["XYZZY"], field="Disability")
    assert "XYZZY" not in str(caught.value)


def test_every_ethnicity_code_has_a_major_group_and_the_schema_allows_exactly_those_codes():
    assert {group for _, group in characteristics.ETHNICITIES.values()} == set(
        characteristics.MAJOR_GROUPS
    )
    assert characteristics.major_group("CHNE") == characteristics.OTHER  # as the DfE's tables
    allowed = set(re.findall(r"'([A-Z]{4})'", schema.CHILD_CHARACTERISTICS_SQL))
    assert allowed == set(characteristics.ETHNICITIES)
    assert characteristics.ethnicity_words("MWBA") == "White and Black African (MWBA), Mixed"
    assert characteristics.ethnicity_words(None) == "Not recorded"


def test_records_about_one_child_keep_the_first_value_that_says_something():
    said = characteristics.Gathered()
    assert said.add("sex", "not_known", "List 6, row 2") is None
    assert said.add("sex", "female", "List 7, row 3") is None  # says more: replaces it
    assert said.add("sex", "not_known", "List 8, row 4") is None  # says less: ignored
    assert said.add("sex", "female", "List 8, row 4") is None
    assert said.add("ethnicity", None, "List 6, row 2") is None
    assert said.values() == ("female", None, None)


def test_records_that_disagree_leave_nothing_and_name_where_the_first_stands():
    said = characteristics.Gathered()
    said.add("ethnicity", "WBRI", "List 6, row 2")
    assert said.add("ethnicity", "BAFR", "List 7, row 9") == "List 6, row 2"
    assert said.add("ethnicity", "AIND", "List 8, row 1") is None  # disagreed already
    assert said.get("ethnicity") is None


@pytest.mark.parametrize(
    ("born", "status", "band"),
    [
        (date(2026, 12, 20), "due", "under_1"),
        (AS_OF, "due_unknown", "under_1"),
        (date(2025, 11, 27), "born", "under_1"),  # a day short of one
        (date(2025, 11, 26), "born", "1_to_4"),  # first birthday
        (date(2021, 11, 27), "born", "1_to_4"),
        (date(2021, 11, 26), "born", "5_to_9"),
        (date(2016, 11, 26), "born", "10_to_15"),
        (date(2010, 11, 27), "born", "10_to_15"),
        (date(2010, 11, 26), "born", "16_plus"),
    ],
)
def test_age_bands_change_on_the_birthday_and_an_unborn_child_is_under_one(born, status, band):
    assert characteristics.age_band(born, status, AS_OF) == band


# --- kept apart from scoring --------------------------------------------------------------


def test_the_models_inputs_have_no_place_for_a_childs_characteristics():
    words = ("sex", "gender", "ethnic", "disab")
    for model in (scoring.CaseFacts, scoring.Observation, scoring.Enquiry, scoring.Adjustment):
        fields = [f.name for f in dataclasses.fields(model)]
        assert not [f for f in fields if any(w in f.lower() for w in words)], model


def _authority(db, settings):
    """Two open cases with observations, one unborn, both with characteristics; scored."""
    db.execute("INSERT INTO teams (id, name) VALUES (1, 'North')")
    db.execute(
        "INSERT INTO staff (id, email, name, role, team_id) "
        "VALUES (1, 'w@example.org', 'W', 'worker', 1)"
    )
    for case_id, born, status in ((1, "2025-10-01", "born"), (2, "2027-01-15", "due")):
        db.execute(
            "INSERT INTO cases (id, case_ref, initials, date_of_birth, birth_status, team_id, "
            "worker_id, opened_on, visit_every_days, status) VALUES "
            "(:id, :ref, 'AB', :born, :status, 1, 1, '2026-06-01', 28, 'open')",
            {"id": case_id, "ref": f"C{case_id}", "born": born, "status": status},
        )
        for n, code in enumerate(("domestic_abuse", "parental_conflict", "substance_misuse")):
            db.execute(
                "INSERT INTO observations (external_id, case_id, indicator, observed_on, source, "
                "status, recorded_at) VALUES (:ext, :case_id, :code, :day, :source, 'current', "
                "'2026-11-01T00:00:00+00:00')",
                {
                    "ext": f"x{case_id}-{n}",
                    "case_id": case_id,
                    "code": code,
                    "day": (AS_OF - timedelta(days=10 + n)).isoformat(),
                    "source": ("police", "health_visiting", "gp")[n],
                },
            )
    kept.create_staging(db)
    kept.stage(db, [("C1", "female", "MWBA", "yes"), ("C2", "not_known", "NOBT", None)])
    kept.apply_staged(db, kind="test", now="2026-11-26T09:00:00+00:00")
    kept.drop_staging(db)


def test_no_statement_of_any_rescore_reads_the_childs_characteristics(db, settings):
    _authority(db, settings)
    read: set[tuple[str, str]] = set()

    def authorizer(action, first, second, database, trigger):
        if action == sqlite3.SQLITE_READ:
            read.add((first, second))
        return sqlite3.SQLITE_OK

    db.conn.set_authorizer(authorizer)
    try:
        rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
        rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)  # from the kept sums
        rescoring.rescore_all(db, settings, as_of=AS_OF - timedelta(days=3), now=NOW,
                              history_only=True)  # fmt: skip
        db.execute("UPDATE observations SET status = 'resolved' WHERE id = 1")
        rescoring.rescore_changed(db, settings, as_of=AS_OF, now=NOW)
        rescoring.rescore_case(db, 2, settings, as_of=AS_OF, now=NOW)
        rescoring.case_facts(db, 1)
        rescoring.scratch_scores(db, settings, as_of=AS_OF)
        rescoring.scratch_scores(db, settings, as_of=AS_OF, from_observations=True)
        scored = {r["case_id"]: dict(r, id=r["case_id"]) for r in db.query("SELECT * FROM scores")}
        db.execute("UPDATE scores SET contributions = '[]'")  # as above 20,000 open cases
        rescoring.contributions_for(db, scored, settings)
    finally:
        db.conn.set_authorizer(None)

    tables = {table for table, _ in read}
    assert {"cases", "observations", "scores"} <= tables  # the authorizer saw the reads
    assert "child_characteristics" not in tables
    assert not {column for _, column in read} & {"sex", "ethnicity", "disability"}


def test_a_childs_characteristics_change_nothing_in_its_score(db, settings):
    _authority(db, settings)
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    before = db.execute("SELECT case_id, score, band, contributions FROM scores").fetchall()

    db.execute("UPDATE child_characteristics SET sex = 'male', ethnicity = 'WBRI', "
               "disability = 'no'")  # fmt: skip
    db.execute("DELETE FROM rescore_queue")

    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone()[0] == 0  # no mark
    rescoring.rescore_all(db, settings, as_of=AS_OF, now=NOW)
    assert db.execute("SELECT case_id, score, band, contributions FROM scores").fetchall() == before


# --- the stored values ------------------------------------------------------------------------


def test_a_value_that_says_nothing_new_never_overwrites_a_recorded_one(db, settings):
    _authority(db, settings)

    kept.create_staging(db)
    kept.stage(db, [("C1", "not_known", "NOBT", None), ("C2", "male", "AIND", "no")])
    changed = kept.apply_staged(db, kind="again", now="2026-11-27T09:00:00+00:00")

    assert changed == 1  # C2 only: C1's file said nothing new
    assert kept.for_case(db, 1) | {"recorded_at": "", "recorded_from": ""} == {
        "sex": "female", "ethnicity": "MWBA", "disability": "yes", "recorded_at": "",
        "recorded_from": "",
    }  # fmt: skip
    assert (kept.for_case(db, 2)["sex"], kept.for_case(db, 2)["ethnicity"]) == ("male", "AIND")


def test_the_table_refuses_a_value_no_reader_gives(db, settings):
    _authority(db, settings)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE child_characteristics SET ethnicity = 'WENG' WHERE case_id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE child_characteristics SET sex = 'boy' WHERE case_id = 1")


# --- shown on the case page's details only; never in an email, a log line or the API ------------

# Values no other page, email or log line has reason to hold: a sex "Neither or indeterminate",
# Gypsy or Roma (WROM), disabled.
SAID = ("indeterminate", "wrom", "gypsy", "roma", "disabled")


def _describe_world(db, ids):
    kept.create_staging(db)
    kept.stage(db, [(ref, "other", "WROM", "yes") for ref in ids["cases"]])
    kept.apply_staged(db, kind="cases", now="2026-03-01T09:00:00+00:00")
    kept.drop_staging(db)


def _nothing_said(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in SAID if word in lowered]


@dataclasses.dataclass
class Signed:
    """Who records something outside a request (``hotspots.services.audit.Actor``)."""

    id: int
    email: str


@pytest.fixture
def described_app(db_path, tmp_path):
    import browser_support as world

    return world.make_app(db_path, tmp_path)


def test_the_case_page_shows_them_folded_away_and_the_view_is_audited(described_app, db, settings):
    import browser_support as world

    ids = world.build_world(db, described_app.config["SETTINGS"])
    _describe_world(db, ids)
    client = described_app.test_client()
    world.sign_in(client, "ann")

    page = client.get("/cases/N-0001").get_data(as_text=True)

    details = page[page.index('id="characteristics"') :]
    for words in ("Neither or indeterminate", "Gypsy or Roma (WROM), White", "Disabled"):
        assert words in details
    assert "never part of the score" in details
    assert page.index("Practitioner adjustments") < page.index('id="characteristics"')
    assert [r["case_ref"] for r in world.audit_rows(db, "view_case")] == ["N-0001"]


def test_a_case_with_none_recorded_says_where_they_come_from(described_app, db, settings):
    import browser_support as world

    world.build_world(db, described_app.config["SETTINGS"])
    client = described_app.test_client()
    world.sign_in(client, "ann")

    page = client.get("/cases/N-0001").get_data(as_text=True)

    assert page.count("Not recorded") == 3
    assert "they come from the Annex A workbook" in page


def test_no_other_page_an_email_a_log_line_or_an_api_answer_holds_them(
    described_app, db, settings, caplog, tmp_path
):
    import logging

    import browser_support as world

    from hotspots.services import partners, partnership, sending

    caplog.set_level(logging.DEBUG)
    app_settings = described_app.config["SETTINGS"]
    ids = world.build_world(db, app_settings)
    _describe_world(db, ids)
    seen: dict[str, str] = {}
    client = described_app.test_client()
    world.sign_in(client, "meg")
    for path in (
        "/caseload",
        "/team",
        "/team/hotspots",
        "/digest",
        "/digest/email.html",
        "/search?q=NA",
    ):  # fmt: skip (pages about cases, not the static ones)
        response = client.get(path)
        seen[path] = response.get_data(as_text=True)
        assert response.status_code in (200, 302, 404), path  # a search of one goes to its case
    admin = described_app.test_client()
    world.sign_in(admin, "ada")
    # The partnership's pages and downloads, with an incident on the described child.
    incident = partnership.record_incident(
        db,
        partnership.NewIncident("N-0001", date(2026, 2, 25), date(2026, 2, 26), "serious_harm",
                                "known"),
        actor=Signed(ids["staff"]["ada"], world.STAFF["ada"][0]), now=world.NOW,
    )  # fmt: skip
    partnership_paths = (
        "/partnership", f"/partnership/incidents/{incident}",
        f"/partnership/incidents/{incident}/look-back.csv", "/workforce", "/workforce.csv",
        *(f"/partnership/{name}.csv" for name in partnership.TABLES),
    )  # fmt: skip
    for path in ("/admin/audit", "/admin/audit.csv", "/team", "/unmatched", "/admin/partners",
                 *partnership_paths):  # fmt: skip
        response = admin.get(path)
        assert response.status_code == 200, path
        seen[f"admin {path}"] = response.get_data(as_text=True)
    assert "N-0001" in seen[f"admin /partnership/incidents/{incident}"]
    for manager in sending.managers(db):
        digest = sending.gather_digest(
            db, app_settings, manager, digest_date=world.TODAY, now=world.NOW
        )
        message = sending.digest_message(digest, app_settings, now=world.NOW)
        parts = [message["Subject"]] + [
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
        ]
        seen[f"email to {manager['email']}"] = "\n".join(parts)
    assert "N-0001" in seen["email to meg.manager@example.org"]  # the digest lists the case
    token = partners.add(
        db, "police-ppn", "police", app_settings["import"]["sources"], now=world.NOW
    )
    answer = described_app.test_client().post(
        "/api/v1/observations",
        json={"id": "P-1", "case_ref": "N-0001", "indicator": "ppn_high",
              "observed_on": "2026-03-01"},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert answer.status_code == 200
    seen["api answer"] = answer.get_data(as_text=True)
    seen["api document"] = (
        described_app.test_client().get("/api/v1/openapi.json").get_data(as_text=True)
    )
    seen["audit rows"] = " ".join(r[0] for r in db.execute("SELECT detail FROM audit_log"))

    found = {where: words for where, text in seen.items() if (words := _nothing_said(text))}
    # The workforce's downloads have a column "disabled": whether the worker's account is.
    # The child's other characteristics (WROM, indeterminate) are still looked for in them.
    staff_columns = {"admin /workforce.csv", "admin /partnership/workforce-workers.csv"}
    assert {where: found.pop(where) for where in staff_columns} == {
        where: ["disabled"] for where in staff_columns
    }
    assert found == {}
    assert _nothing_said(caplog.text) == []
    assert "N-0001" in seen["/team"]  # the pages do show the cases themselves


def test_an_import_that_reads_them_logs_and_audits_none_of_them(db, settings, tmp_path, caplog):
    import logging

    from hotspots.services.importer import ImportRejected, import_csv

    caplog.set_level(logging.DEBUG)
    for kind, text in (
        ("staff", "email,name,role,team\nw@example.org,Wren Worker,worker,North\n"),
        (
            "cases",
            "case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,"
            "last_visit_on,status,sex,ethnicity,disability\n"
            "C1,AB,2020-03-01,North,w@example.org,2026-04-01,14,,open,9,WROM,yes\n",
        ),
    ):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_csv(db, settings, kind, path, as_of=AS_OF, now=NOW)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,"
        "last_visit_on,status,ethnicity\n"
        "C2,CD,2020-03-01,North,,2026-04-01,14,,open,Gypsy-Roma-Unknown\n"
    )
    with pytest.raises(ImportRejected):
        import_csv(db, settings, "cases", bad, as_of=AS_OF, now=NOW)

    assert kept.for_case(db, 1)["ethnicity"] == "WROM"
    reports = [r[0] for r in db.execute("SELECT report FROM import_reports ORDER BY audit_id")]
    audited = " ".join(r[0] for r in db.execute("SELECT detail FROM audit_log"))
    # The imported file's report, the audit rows and the logs name no value...
    assert _nothing_said(reports[1] + audited + caplog.text) == []
    assert "indeterminate" not in (reports[1] + audited + caplog.text).lower()
    # ...and the rejected file's report names where the bad value stands, not the value (it
    # lists the codes the service reads, WROM among them).
    assert "row 2, column ethnicity: is not one of the DfE's ethnicity codes" in reports[2]
    assert "gypsy-roma-unknown" not in (reports[2] + audited + caplog.text).lower()
