"""The children in need census import: censuses written here in both editions and the ways
councils' tools write them (the validator's deliberate errors, factor labels, unborn children,
birth dates that differ, other returns given by mistake), the factor mapping, safe parsing
(bombs, entities, DTDs), broken files, the report and the command. Every file is written
here."""

from __future__ import annotations

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotspots.services.importer import ImportRejected, import_csv, import_file

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/London"))

STAFF = """email,name,role,team
amira@example.org,Amira Ashby,worker,Norwich North
"""
CASES = """\
case_ref,initials,date_of_birth,team,worker_email,opened_on,visit_every_days,last_visit_on,status
7310000,AB,2025-06-01,Norwich North,amira@example.org,2026-01-05,14,2026-11-20,open
7310001,CD,2024-03-14,Norwich North,amira@example.org,2025-02-01,28,2026-10-01,open
DfEX0000001,EF,2015-03-27,Norwich North,,2022-10-06,28,,open
"""


def assessment(start="2026-02-01", authorised="2026-02-20", factors=("3B",)):
    parts = ["<Assessments>"]
    if start is not None:
        parts.append(f"<AssessmentActualStartDate>{start}</AssessmentActualStartDate>")
    if authorised is not None:
        parts.append(f"<AssessmentAuthorisationDate>{authorised}</AssessmentAuthorisationDate>")
    parts.append("<FactorsIdentifiedAtAssessment>")
    parts += [f"<AssessmentFactors>{code}</AssessmentFactors>" for code in factors]
    parts.append("</FactorsIdentifiedAtAssessment></Assessments>")
    return "".join(parts)


def child(
    child_id="7310000",
    *assessments,
    sex="<Sex>F</Sex>",
    birth="2025-06-01",
    extra="",
    due="",
    described="<Ethnicity>WBRI</Ethnicity>",
):
    birth_xml = f"<PersonBirthDate>{birth}</PersonBirthDate>" if birth else ""
    if due:
        birth_xml += f"<ExpectedPersonBirthDate>{due}</ExpectedPersonBirthDate>"
    return (
        f"<Child><ChildIdentifiers><LAchildID>{child_id}</LAchildID>{birth_xml}{sex}"
        f"</ChildIdentifiers><ChildCharacteristics>{described}</ChildCharacteristics>"
        "<CINdetails><CINreferralDate>2026-01-01</CINreferralDate>"
        f"{''.join(assessments)}{extra}</CINdetails></Child>"
    )


def census(*children, prolog="", collection="CIN"):
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<Message><Header><CollectionDetails>'
        f"<Collection>{collection}</Collection><Year>2027</Year></CollectionDetails></Header>"
        f"<Children>{''.join(children)}</Children></Message>"
    )


# As the DfE validator's sample files are laid out (indented, a header with its source, the
# 2026 edition's pre-proceedings block), with the same two deliberate errors: a start date in
# the future and a code that is not a factor code.
VALIDATOR_STYLE = """<Message>
    <Header>
        <CollectionDetails>
            <Collection>CIN</Collection>
            <Year>2026</Year>
            <ReferenceDate>2026-03-31</ReferenceDate>
        </CollectionDetails>
        <Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SerialNo>001</SerialNo></Source>
    </Header>
    <Children>
        <Child>
            <ChildIdentifiers>
                <LAchildID>DfEX0000001</LAchildID>
                <UPN>A123456789123</UPN>
                <PersonBirthDate>2015-03-27</PersonBirthDate>
                <Sex>1</Sex>
            </ChildIdentifiers>
            <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
            <CINdetails>
                <CINreferralDate>2025-10-06</CINreferralDate>
                <Assessments>
                    <AssessmentActualStartDate>2028-04-28</AssessmentActualStartDate>
                    <AssessmentAuthorisationDate>2025-09-19</AssessmentAuthorisationDate>
                    <FactorsIdentifiedAtAssessment>
                        <AssessmentFactors>1C</AssessmentFactors>
                        <AssessmentFactors>RB</AssessmentFactors>
                        <AssessmentFactors>6B</AssessmentFactors>
                    </FactorsIdentifiedAtAssessment>
                </Assessments>
                {extra}
            </CINdetails>
        </Child>
        <Child>
            <ChildIdentifiers>
                <LAchildID>child_fails_assessments</LAchildID>
                <PersonBirthDate>2023-09-25</PersonBirthDate>
            </ChildIdentifiers>
            <CINdetails>
                <Assessments>
                    <AssessmentActualStartDate>2023-12-25</AssessmentActualStartDate>
                    <AssessmentAuthorisationDate>2024-01-27</AssessmentAuthorisationDate>
                    <FactorsIdentifiedAtAssessment/>
                </Assessments>
            </CINdetails>
        </Child>
    </Children>
</Message>
"""
PRE_PROCEEDINGS = (
    "<PreProceedingsandFGDM><PPStartDate>2026-09-09</PPStartDate><PPOutcome>A</PPOutcome>"
    "</PreProceedingsandFGDM>"
)


def write(tmp_path, text, name="census.xml"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def run(db, settings, path, **options):
    options.setdefault("rescore", False)
    return import_file(db, settings, "cin-census", path, as_of=AS_OF, now=NOW, **options)


def rejected(db, settings, path) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        run(db, settings, path)
    return caught.value


def observations(db):
    return {
        r["external_id"]: r
        for r in db.query(
            "SELECT o.*, c.case_ref FROM observations AS o JOIN cases AS c ON c.id = o.case_id"
        )
    }


@pytest.fixture
def loaded(db, settings, tmp_path):
    for kind, text in (("staff", STAFF), ("cases", CASES)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        import_csv(db, settings, kind, path, as_of=AS_OF, now=NOW, rescore=False)
    db.execute("DELETE FROM rescore_queue")
    return db


# --- laid out as the DfE validator's samples --------------------------------------------------


@pytest.mark.parametrize("extra", ["", PRE_PROCEEDINGS])
def test_a_validator_style_census_is_rejected_with_its_deliberate_errors(
    loaded, settings, tmp_path, extra
):
    """Both editions read (the 2026 one has a PreProceedingsandFGDM block, ignored)."""
    problem = rejected(loaded, settings, write(tmp_path, VALIDATOR_STYLE.format(extra=extra)))

    assert problem.errors == [
        "Child DfEX0000001, assessment 1, AssessmentActualStartDate: 2028-04-28 is in the future",
        "Child DfEX0000001, assessment 1, AssessmentFactors: 'RB' is not a factor code",
    ]
    assert problem.report.read == {"children": 2, "assessments": 2, "factors": 3}
    assert observations(loaded) == {}


def test_a_parents_drug_misuse_is_mapped_and_the_childs_own_counted(loaded, settings, tmp_path):
    path = write(
        tmp_path,
        census(child("DfEX0000001", assessment("2025-06-03", "2025-07-18", ("2B", "2A")),
                     birth="2015-03-27")),
    )  # fmt: skip

    report = run(loaded, settings, path)

    found = observations(loaded)
    assert list(found) == ["cin:DfEX0000001:2025-06-03:2B:substance_misuse"]
    only = found["cin:DfEX0000001:2025-06-03:2B:substance_misuse"]
    assert only["observed_on"] == "2025-07-18"  # the authorisation date
    assert (only["source"], only["status"]) == ("social_care", "current")
    assert report.unmapped == {"2A (drug misuse: the child)": 1}
    assert report.counts["observations created"] == 1


# --- censuses written here ---------------------------------------------------------------------


def test_each_mapped_factor_becomes_an_observation_dated_by_authorisation(
    loaded, settings, tmp_path
):
    path = write(
        tmp_path,
        census(
            child("7310000", assessment(factors=("1B", "3A", "4B", "18C", "6B"))),
            child("7310001", assessment("2026-03-01", None, ("2C", "21"))),
        ),
    )

    report = run(loaded, settings, path)

    found = {
        (o["case_ref"], o["indicator"], o["observed_on"]) for o in observations(loaded).values()
    }
    assert found == {
        ("7310000", "substance_misuse", "2026-02-20"),
        ("7310000", "domestic_abuse", "2026-02-20"),
        ("7310000", "parental_mental_health", "2026-02-20"),
        ("7310000", "previous_injury", "2026-02-20"),
        ("7310001", "substance_misuse", "2026-03-01"),  # no authorisation: the start date
    }
    assert report.unmapped == {
        "6B (physical disability or illness: a parent or carer)": 1,
        "21 (no factors identified)": 1,
    }
    assert report.read == {"children": 2, "assessments": 2, "factors": 7}


def test_the_2026_edition_with_gender_and_pre_proceedings_reads_the_same(
    loaded, settings, tmp_path
):
    pre_proceedings = (
        "<PreProceedingsandFGDM><PPStartDate>2026-09-09</PPStartDate>"
        "<PPOutcome>A</PPOutcome></PreProceedingsandFGDM>"
    )
    path = write(
        tmp_path,
        census(
            child(
                "7310000",
                assessment(factors=("3B",)),
                sex="<Gender>2</Gender>",
                extra=pre_proceedings,
            )
        ),
    )

    run(loaded, settings, path)

    assert [o["indicator"] for o in observations(loaded).values()] == ["domestic_abuse"]


def test_an_unborn_child_with_an_expected_birth_date_reads(loaded, settings, tmp_path):
    unborn = child("9999999", assessment(), birth="", due="2027-01-10")

    report = run(loaded, settings, write(tmp_path, census(unborn)))

    assert report.decided == {"unborn children (an expected date of birth)": 1}


def test_children_who_are_not_cases_here_are_skipped_and_counted(loaded, settings, tmp_path):
    path = write(tmp_path, census(child("9999999", assessment()), child("7310000", assessment())))

    report = run(loaded, settings, path)

    assert report.skipped == {"children who are not cases here": 1}
    assert {o["case_ref"] for o in observations(loaded).values()} == {"7310000"}


def test_importing_the_same_census_again_changes_nothing(loaded, settings, tmp_path):
    path = write(tmp_path, census(child("7310000", assessment(factors=("1B", "3B")))))
    run(loaded, settings, path)
    before = loaded.execute("SELECT * FROM observations ORDER BY id").fetchall()
    loaded.execute("DELETE FROM rescore_queue")

    report = run(loaded, settings, path)

    assert loaded.execute("SELECT * FROM observations ORDER BY id").fetchall() == before
    assert report.counts == {
        "observations created": 0,
        "observations updated": 0,
        "observations unchanged": 2,
        "children's characteristics recorded or changed": 0,
    }
    assert loaded["rescore_queue"].count == 0


def test_a_dry_run_counts_and_changes_nothing(loaded, settings, tmp_path):
    path = write(tmp_path, census(child("7310000", assessment(factors=("1B", "3B")))))

    report = run(loaded, settings, path, dry_run=True)

    assert report.counts["observations created"] == 2
    assert observations(loaded) == {}


def test_the_cases_given_observations_are_rescored_at_once(loaded, settings, tmp_path):
    path = write(tmp_path, census(child("7310000", assessment(factors=("3B",)))))

    report = run(loaded, settings, path, rescore=True)

    assert report.rescored >= 1
    contributions = loaded.execute(
        "SELECT s.contributions FROM scores AS s JOIN cases AS c ON c.id = s.case_id"
        " WHERE c.case_ref = '7310000'"
    ).fetchone()[0]
    assert "domestic_abuse" in contributions


# --- the mapping ------------------------------------------------------------------------------


def test_a_council_may_map_more_codes_and_its_own_indicators(loaded, settings, tmp_path):
    settings["scoring"]["indicators"]["neglect"] = {
        "label": "Neglect",
        "weight": 3.0,
        "half_life_days": 365,
    }
    settings["import"]["cin_census"]["factors"]["neglect"] = ["16A"]
    settings["import"]["cin_census"]["factors"]["domestic_abuse"] = ["3B"]

    report = run(
        loaded,
        settings,
        write(tmp_path, census(child("7310000", assessment(factors=("16A", "3A"))))),
    )

    assert {o["indicator"] for o in observations(loaded).values()} == {"neglect"}
    assert report.unmapped == {"3A (domestic abuse: the child the subject)": 1}


def test_a_mapping_to_an_unknown_indicator_or_code_is_an_error(loaded, settings, tmp_path):
    settings["import"]["cin_census"]["factors"]["bruising"] = ["18C"]
    settings["import"]["cin_census"]["factors"]["domestic_abuse"] = ["3Z"]

    problem = rejected(loaded, settings, write(tmp_path, census(child("7310000", assessment()))))

    assert problem.errors == [
        "config.toml [import.cin_census.factors]: domestic_abuse: '3Z' is not a factor code",
        "config.toml [import.cin_census.factors]: 'bruising' is not in [scoring.indicators]",
    ]


# --- bad values --------------------------------------------------------------------------------


def test_every_malformed_date_and_code_is_listed_and_nothing_is_imported(
    loaded, settings, tmp_path
):
    path = write(
        tmp_path,
        census(
            child("7310000", assessment("2026-02-30", "2026-03-01", ("RB", "3B"))),
            child("7310001", assessment("01/02/2026", None, ("",)), birth="2031-01-01"),
            child("", assessment()),
            child("7310002", assessment(None, None, ("1B",)), birth=""),
        ),
    )

    problem = rejected(loaded, settings, path)

    assert problem.errors == [
        "Child 7310000, assessment 1, AssessmentActualStartDate: 2026-02-30 is not a real date",
        "Child 7310000, assessment 1, AssessmentFactors: 'RB' is not a factor code",
        "Child 7310001, PersonBirthDate: 2031-01-01 is in the future",
        "Child 7310001, assessment 1, AssessmentActualStartDate: '01/02/2026' is not a date in"
        " the form YYYY-MM-DD",
        "Child 7310001, assessment 1, AssessmentFactors: is empty",
        "Child number 3 in the file: has no LAchildID",
        "Child 7310002: has neither PersonBirthDate nor ExpectedPersonBirthDate",
        "Child 7310002, assessment 1: has factors but neither an AssessmentAuthorisationDate"
        " nor an AssessmentActualStartDate to date them by",
    ]
    assert observations(loaded) == {}


# --- safe parsing and broken files: never a traceback -----------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Message [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&h;</LAchildID></ChildIdentifiers>
</Child></Children></Message>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&secret;</LAchildID>
</ChildIdentifiers></Child></Children></Message>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE Message SYSTEM "http://127.0.0.1:9/census.dtd">
<Message><Children/></Message>
"""
REFUSED = (
    "the file declares a DTD, entities or an external reference, which a CIN census file "
    "never has: refused for safety (nothing in it was expanded or fetched)"
)


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_an_xml_bomb_an_entity_or_an_external_dtd_is_refused_unexpanded(
    loaded, settings, tmp_path, text
):
    problem = rejected(loaded, settings, write(tmp_path, text))

    assert problem.errors == [REFUSED]


def test_a_truncated_census_says_where_the_xml_stops(loaded, settings, tmp_path):
    whole = census(child("7310000", assessment()), child("7310001", assessment()))
    path = write(tmp_path, whole[: len(whole) - 200])

    problem = rejected(loaded, settings, path)

    assert len(problem.errors) == 1
    assert problem.errors[0].startswith("line 1, column ")
    assert "the file is not well-formed XML here" in problem.errors[0]
    assert observations(loaded) == {}  # the first child, read whole, was not imported either


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Child,Factor\n1,3B\n", "line 1, column 1: the file is not well-formed XML here"),
        ("", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "line 1, column 1: the file is not well-formed"),
        ("<html><body>Not a census</body></html>", "this is not a CIN census file: its outer"),
    ],
)
def test_a_file_that_is_not_a_census_is_named_as_such(loaded, settings, tmp_path, content, message):
    problem = rejected(loaded, settings, write(tmp_path, content))

    assert len(problem.errors) == 1
    assert problem.errors[0].startswith(message), problem.errors[0]


def test_a_census_over_the_size_limit_is_refused_before_it_is_read(loaded, settings, tmp_path):
    settings["import"]["cin_census"]["max_file_mb"] = 100
    path = tmp_path / "huge.xml"
    with open(path, "wb") as f:
        f.truncate(200_000_000)  # sparse: takes no room on disk

    problem = rejected(loaded, settings, path)

    assert problem.errors == [
        "the file is larger than 100 MB (200,000,000 bytes), the largest census file accepted"
        " ([import.cin_census] max_file_mb in config.toml)"
    ]


def test_a_200_mb_file_of_noise_within_the_limit_is_an_error_not_a_traceback(
    loaded, settings, tmp_path
):
    path = tmp_path / "noise.xml"
    with open(path, "wb") as f:
        f.truncate(200_000_000)

    problem = rejected(loaded, settings, path)

    assert problem.errors[0].startswith("line 1, column 1: the file is not well-formed XML")


# --- the command -------------------------------------------------------------------------------


def test_the_command_lists_the_errors_without_a_traceback(runner, tmp_path):
    path = write(tmp_path, VALIDATOR_STYLE.format(extra=PRE_PROCEEDINGS), "CIN_Census_2026.xml")

    result = runner.invoke(args=["import", "cin-census", str(path)])

    assert result.exit_code == 1
    assert "CIN_Census_2026.xml: nothing imported, 2 errors:" in result.output
    assert "'RB' is not a factor code" in result.output
    assert "children who are not cases here: 2" in result.output
    assert "Traceback" not in result.output


def test_the_command_dry_run_prints_the_report(runner, tmp_path):
    path = write(tmp_path, census(child("7310000", assessment())))

    result = runner.invoke(args=["import", "cin-census", str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "census.xml: checked, no errors (dry run: nothing was changed)" in result.output
    assert "children who are not cases here: 1" in result.output


def test_no_damage_to_a_census_gives_anything_but_an_error_list(loaded, settings, tmp_path):
    """Five hundred damaged copies of a 2026-edition census (bytes overwritten, cut short,
    spliced with noise; a fixed seed): each imports or is rejected with errors, never anything
    else."""
    rng = random.Random(2026)
    good = VALIDATOR_STYLE.format(extra=PRE_PROCEEDINGS).encode()
    path = tmp_path / "damaged.xml"
    rejections = 0
    for n in range(500):
        data = bytearray(good)
        if n % 3 == 0:
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif n % 3 == 1:
            data = data[: rng.randrange(len(data))]
        else:
            at = rng.randrange(len(data))
            data[at : at + rng.randrange(1, 200)] = rng.randbytes(20)
        path.write_bytes(bytes(data))
        try:
            run(loaded, settings, path, dry_run=True)
        except ImportRejected as e:
            assert e.errors, "a rejection always says why"
            rejections += 1

    assert rejections > 400  # nearly every damaged copy is noticed


# --- the variations councils' files come in (issue 19): each failed before ---------------------


def cases_held(db):
    return {
        r["case_ref"]: (r["date_of_birth"], r["birth_status"])
        for r in db.query("SELECT case_ref, date_of_birth, birth_status FROM cases")
    }


@pytest.mark.parametrize(
    "written", ["2B - Drug misuse parent", "2B: Drug misuse", "2b drug misuse"]
)
def test_a_factor_written_with_its_label_is_read_by_its_code(loaded, settings, tmp_path, written):
    run(loaded, settings, write(tmp_path, census(child("7310000", assessment(factors=(written,))))))

    assert [o["indicator"] for o in observations(loaded).values()] == ["substance_misuse"]


@pytest.mark.parametrize(
    ("birth", "error"),
    [
        ("1066-10-14", "Child 7310000, PersonBirthDate: 1066-10-14 is before 1900: check the year"),
        ("1999-03-03", "Child 7310000, PersonBirthDate: 1999-03-03 is more than 25 years ago"
                       " (the child would be 27): check the year"),
    ],
)  # fmt: skip
def test_an_implausible_birth_date_is_refused_as_every_import_refuses_it(
    loaded, settings, tmp_path, birth, error
):
    problem = rejected(loaded, settings, write(tmp_path, census(child("7310000", birth=birth))))

    assert problem.errors == [error]


def test_an_expected_birth_date_further_off_than_a_pregnancy_is_refused(loaded, settings, tmp_path):
    unborn = child("7310000", birth="", due="2028-01-10")

    problem = rejected(loaded, settings, write(tmp_path, census(unborn)))

    assert problem.errors == [
        "Child 7310000, ExpectedPersonBirthDate: 2028-01-10 is more than 42 weeks away, longer"
        " than a pregnancy: check the year"
    ]


def test_a_birth_date_that_differs_from_the_cases_is_a_warning_with_both_dates(
    loaded, settings, tmp_path
):
    path = write(tmp_path, census(child("7310000", assessment(), birth="2025-06-02")))

    report = run(loaded, settings, path)

    assert report.warnings == [
        "Child 7310000: the census gives the date of birth 2025-06-02, the case 2025-06-01: the"
        " case is not changed; correct whichever is wrong"
    ]
    assert report.decided == {"birth dates that differ from the case's (warned)": 1}
    assert cases_held(loaded)["7310000"] == ("2025-06-01", "born")
    assert "Warnings:" in report.text()


def test_an_id_matching_a_case_only_without_capitals_is_listed_not_matched(
    loaded, settings, tmp_path
):
    path = write(tmp_path, census(child("dfex0000001", assessment(), birth="2015-03-27")))

    report = run(loaded, settings, path)

    assert observations(loaded) == {}
    assert report.warnings == [
        "Child dfex0000001: matches case DfEX0000001 only when capitals are ignored, so it was"
        " not matched: correct the id in the census or in the case system so they agree"
    ]
    assert report.decided == {"ids matching a case only when capitals are ignored (not matched)": 1}
    assert report.skipped == {}


def test_a_child_id_written_through_a_float_matches_its_case(loaded, settings, tmp_path):
    run(loaded, settings, write(tmp_path, census(child("7310000.0", assessment()))))

    assert {o["case_ref"] for o in observations(loaded).values()} == {"7310000"}


def test_a_child_in_the_census_twice_is_merged_and_counted(loaded, settings, tmp_path):
    twice = child("7310000", assessment())
    report = run(loaded, settings, write(tmp_path, census(twice, twice)))

    assert report.decided == {"children in the census more than once (merged)": 1}
    assert report.counts["observations created"] == 1


def test_an_unborn_case_is_born_when_the_census_gives_the_birth(loaded, settings, tmp_path):
    loaded.execute(
        "UPDATE cases SET birth_status = 'due', date_of_birth = '2026-12-01'"
        " WHERE case_ref = '7310001'"
    )
    loaded.execute(
        "UPDATE cases SET birth_status = 'due_unknown', date_of_birth = '2026-10-01'"
        " WHERE case_ref = '7310000'"
    )
    path = write(
        tmp_path,
        census(
            child("7310001", assessment(), birth="2026-11-20"),
            child("7310000", assessment(), birth="", due="2027-02-14"),
        ),
    )

    report = run(loaded, settings, path)

    held = cases_held(loaded)
    assert held["7310001"] == ("2026-11-20", "born")
    assert held["7310000"] == ("2027-02-14", "due")
    assert report.decided == {
        "unborn children now born": 1,
        "unborn children (an expected date of birth)": 1,
        "unborn children's expected dates of birth updated": 1,
    }


def test_a_dry_run_counts_an_unborn_childs_birth_and_changes_nothing(loaded, settings, tmp_path):
    loaded.execute("UPDATE cases SET birth_status = 'due' WHERE case_ref = '7310001'")
    before = cases_held(loaded)
    path = write(tmp_path, census(child("7310001", assessment(), birth="2024-03-15")))

    report = run(loaded, settings, path, dry_run=True)

    assert report.decided == {"unborn children now born": 1}
    assert cases_held(loaded) == before


def test_a_born_case_the_census_calls_unborn_is_a_warning(loaded, settings, tmp_path):
    path = write(tmp_path, census(child("7310000", assessment(), birth="", due="2027-01-10")))

    report = run(loaded, settings, path)

    assert report.warnings == [
        "Child 7310000: the census gives an expected date of birth, 2027-01-10, but the case has"
        " the date of birth 2025-06-01: check the child's record"
    ]
    assert cases_held(loaded)["7310000"] == ("2025-06-01", "born")


SEN2 = """<Message><Header><CollectionDetails><Collection>SEN2</Collection><Year>2024</Year>
</CollectionDetails></Header><Persons><Person><PersonBirthDate>2012-01-01</PersonBirthDate>
<Requests><ReceivedDate>2023-11-30</ReceivedDate></Requests></Person></Persons></Message>"""


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (SEN2, "this is a SEN2 return (education, health and care plans), not a CIN census"),
        (SEN2.replace("<Collection>SEN2</Collection>", ""),
         "this is a SEN2 return (education, health and care plans), not a CIN census"),
        (census(child(), collection="SSDA903"),
         "this is an SSDA903 return (children looked after), not a CIN census"),
        ("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n101,1,2015-01-01,WBRI,,,\n",
         "this is an SSDA903 return (children looked after: its header file), not a CIN census"),
        ("<Message><Header/><Children></Children></Message>",
         "the file has no Child elements (Message/Children/Child), so it holds no children: is"
         " it a complete CIN census file?"),
    ],
)  # fmt: skip
def test_a_file_of_another_kind_is_refused_with_what_it_looks_like(
    loaded, settings, tmp_path, content, error
):
    problem = rejected(loaded, settings, write(tmp_path, content))

    assert problem.errors == [error]


def test_an_excel_workbook_given_as_the_census_is_named_as_such(loaded, settings, tmp_path):
    path = write(tmp_path, b"PK\x03\x04" + bytes(200), "Annex A.xml")

    problem = rejected(loaded, settings, path)

    assert problem.errors == [
        "this is an Excel workbook, not a CIN census (XML): the Annex A workbook is imported as"
        " annex-a"
    ]


# --- the child's characteristics (kept apart from scoring) ---------------------------------------


def characteristics_of(db):
    return {
        r["case_ref"]: (r["sex"], r["ethnicity"], r["disability"])
        for r in db.query(
            "SELECT c.case_ref, k.sex, k.ethnicity, k.disability FROM child_characteristics AS k"
            " JOIN cases AS c ON c.id = k.case_id"
        )
    }


@pytest.mark.parametrize(
    ("sex", "read"),
    [
        ("<Sex>M</Sex>", "male"),  # 2024-25 onwards
        ("<Sex>F</Sex>", "female"),
        ("<Sex>U</Sex>", "not_known"),
        ("<GenderCurrent>1</GenderCurrent>", "male"),  # before 2024-25
        ("<GenderCurrent>2</GenderCurrent>", "female"),
        ("<GenderCurrent>9</GenderCurrent>", "other"),
        ("<GenderCurrent>0</GenderCurrent>", "not_known"),
        ("", None),
    ],
)
def test_the_childs_sex_is_read_from_either_editions_element(loaded, settings, tmp_path, sex, read):
    run(loaded, settings, write(tmp_path, census(child("7310000", assessment(), sex=sex))))

    assert characteristics_of(loaded)["7310000"][0] == read


@pytest.mark.parametrize(
    ("described", "read"),
    [
        ("<Ethnicity>BAFR</Ethnicity><Disabilities><Disability>HAND</Disability>"
         "<Disability>HEAR</Disability></Disabilities>", ("BAFR", "yes")),
        ("<Ethnicity>chne</Ethnicity><Disabilities><Disability>NONE</Disability></Disabilities>",
         ("CHNE", "no")),
        ("<Ethnicity>NOBT</Ethnicity>", ("NOBT", None)),  # no Disabilities: not recorded
        ("<Disabilities/>", (None, None)),
    ],
)  # fmt: skip
def test_ethnicity_and_whether_there_is_a_disability_are_kept(
    loaded, settings, tmp_path, described, read
):
    path = write(tmp_path, census(child("7310000", assessment(), described=described)))

    run(loaded, settings, path)

    assert characteristics_of(loaded)["7310000"][1:] == read


def test_characteristics_of_children_who_are_not_cases_here_are_not_kept(
    loaded, settings, tmp_path
):
    run(loaded, settings, write(tmp_path, census(child("9999999", assessment()))))

    assert characteristics_of(loaded) == {}


def test_an_unreadable_characteristic_is_an_error_that_never_repeats_it(loaded, settings, tmp_path):
    described = (
        "<Ethnicity>Hidden-Value</Ethnicity>"
        "<Disabilities><Disability>NONE</Disability><Disability>VIS</Disability></Disabilities>"
    )
    path = write(
        tmp_path,
        census(child("7310000", assessment(), sex="<Sex>X-Value</Sex>", described=described)),
    )

    problem = rejected(loaded, settings, path)

    assert [e.split(":")[0] for e in problem.errors] == [
        "Child 7310000, Sex",
        "Child 7310000, Ethnicity",
        "Child 7310000, Disability",
    ]
    assert "NONE (no disability) beside a disability" in problem.errors[2]
    assert not any("value" in e.lower().replace("the value is not", "") for e in problem.errors)
    assert characteristics_of(loaded) == {}


def test_a_child_twice_in_the_census_with_two_ethnicities_keeps_neither_and_warns(
    loaded, settings, tmp_path
):
    path = write(
        tmp_path,
        census(
            child("7310000", assessment(), described="<Ethnicity>WBRI</Ethnicity>"),
            child("7310000", assessment(), described="<Ethnicity>AIND</Ethnicity>"),
        ),
    )

    report = run(loaded, settings, path)

    assert characteristics_of(loaded)["7310000"] == ("female", None, None)
    assert report.warnings == [
        "Child 7310000: the child appears more than once and its ethnicity differs (Child "
        "7310000, Ethnicity), so neither is stored: correct whichever is wrong"
    ]
