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

from hotspots import characteristics, rescoring, scoring
from hotspots.plausibility import Implausible
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
