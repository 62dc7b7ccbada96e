"""Demo data: deterministic, realistic in shape, and only ever into an empty database."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotspots import storage
from hotspots.base.dates import age_in_years
from hotspots.services.demo import (
    DEMO_PASSWORD,
    PATTERN_INDICATORS,
    SIGN_IN,
    DemoRefused,
    load_demo,
)
from hotspots.services.passwords import verify_password
from hotspots.storage.schema import migrate

AS_OF = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=ZoneInfo("Europe/London"))
HASH = "$argon2id$v=19$m=65536,t=3,p=4$not-a-real-hash"
TABLES = ("teams", "staff", "cases", "observations", "enquiries", "audit_log")


def fresh_db(path):
    db = storage.connect(path)
    migrate(db)
    return db


def demo(db, settings, *, cases=300, seed=7):
    return load_demo(
        db,
        settings,
        cases=cases,
        seed=seed,
        as_of=AS_OF,
        now=NOW,
        password_hash=HASH,
        rescore=False,
    )


def dump(db):
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES}  # noqa: S608


@pytest.fixture
def small(db, settings):
    """A 300-case authority."""
    summary = demo(db, settings)
    return db, summary


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A 4,000-case authority, for the shares the DfE publishes."""
    from hotspots.base.config import load_config

    db = fresh_db(tmp_path_factory.mktemp("demo") / "large.db")
    summary = demo(db, load_config(environ={}), cases=4000, seed=2020)
    yield db, summary
    db.close()


def test_the_same_seed_gives_identical_data(settings, tmp_path):
    first, second = fresh_db(tmp_path / "a.db"), fresh_db(tmp_path / "b.db")

    demo(first, settings, seed=11)
    demo(second, settings, seed=11)

    assert dump(first) == dump(second)
    assert len(dump(first)["observations"]) > 500  # about 2.7 records a case


def test_a_different_seed_gives_different_data(settings, tmp_path):
    first, second = fresh_db(tmp_path / "a.db"), fresh_db(tmp_path / "b.db")

    demo(first, settings, seed=11)
    demo(second, settings, seed=12)

    assert dump(first)["cases"] != dump(second)["cases"]
    assert dump(first)["observations"] != dump(second)["observations"]


def test_it_makes_exactly_the_cases_asked_for(small):
    db, summary = small

    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 300
    assert summary.cases == 300
    assert summary.observations == db.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert summary.enquiries == db.execute("SELECT count(*) FROM enquiries").fetchone()[0]


def test_each_team_has_one_manager_and_there_is_one_admin(small):
    db, summary = small
    teams = db.execute("SELECT id FROM teams").fetchall()
    managers = db.execute(
        "SELECT team_id, count(*) FROM staff WHERE role = 'manager' GROUP BY team_id"
    ).fetchall()

    assert len(teams) >= 3
    assert summary.teams == len(teams)
    assert sorted(count for _, count in managers) == [1] * len(teams)
    admins = db.execute("SELECT team_id FROM staff WHERE role = 'admin'").fetchall()
    assert admins == [(None,)]


def test_workers_carry_about_seventeen_open_cases_as_the_dfes_workforce_figures_say(large):
    """16 to 18 on average (children and family social workers), 10 to 26 as authorities
    range."""
    db, _ = large
    caseloads = [
        count
        for _, count in db.execute(
            "SELECT staff.id, count(cases.id) FROM staff"
            " LEFT JOIN cases ON cases.worker_id = staff.id AND cases.status = 'open'"
            " WHERE staff.role = 'worker' GROUP BY staff.id"
        )
    ]

    assert len(caseloads) >= 100
    assert all(10 <= count <= 26 for count in caseloads), caseloads
    assert 16 <= statistics.mean(caseloads) <= 18
    assert len(set(caseloads)) > 8  # not all the same


def test_a_workers_cases_are_in_the_workers_team(small):
    db, _ = small
    mismatched = db.execute(
        "SELECT count(*) FROM cases JOIN staff ON staff.id = cases.worker_id"
        " WHERE staff.team_id IS NOT cases.team_id"
    ).fetchone()[0]

    assert mismatched == 0


def test_some_cases_are_unallocated_and_some_closed(small):
    db, summary = small
    unallocated = db.execute(
        "SELECT count(*) FROM cases WHERE worker_id IS NULL AND status = 'open'"
    ).fetchone()[0]
    closed = db.execute(
        "SELECT count(*) FROM cases WHERE status = 'closed' AND closed_on IS NOT NULL"
    ).fetchone()[0]

    assert unallocated == summary.unallocated >= 2
    assert closed >= 2


def test_most_cases_have_enquiries_but_not_all(small):
    db, _ = small
    with_enquiries = db.execute("SELECT count(DISTINCT case_id) FROM enquiries").fetchone()[0]

    assert 0.6 * 300 < with_enquiries < 300
    topics = {r[0] for r in db.execute("SELECT DISTINCT topic FROM enquiries")}
    assert topics == {"domestic_abuse", "parental_childhood"}


def test_cases_hold_a_few_records_each_skewed_across_cases_and_agencies(large):
    """As a case system holds a child's risk factors: a few records a case, some many."""
    db, _ = large
    counts = [
        r[0]
        for r in db.execute(
            "SELECT count(observations.id) FROM cases"
            " LEFT JOIN observations ON observations.case_id = cases.id GROUP BY cases.id"
        )
    ]
    mean = statistics.mean(counts)

    assert 2 <= mean <= 5
    assert statistics.median(counts) < mean  # most cases have a few
    assert max(counts) > 3 * mean  # some have many
    sources = {r[0] for r in db.execute("SELECT DISTINCT source FROM observations")}
    assert len(sources) >= 6


# The DfE's shares of children in need (Characteristics of children in need; docs/scoring.md):
# factors identified at the end of assessment, and age bands, with the tolerance a 4,000-case
# sample allows.
DFE_FACTORS = {
    "domestic_abuse": 0.50,
    "parental_mental_health": 0.30,  # mental health about a third (child or family member)
    "substance_misuse": 0.24,  # drug misuse and alcohol misuse near a fifth each, overlapping
}
DFE_AGE_BANDS = {"under 1": 0.05, "1 to 4": 0.18, "5 to 9": 0.25, "10 to 15": 0.35, "16+": 0.17}


def test_concerns_are_recorded_at_the_shares_the_dfe_publishes(large):
    db, _ = large
    total = db.execute("SELECT count(*) FROM cases").fetchone()[0]
    shares = dict(
        db.execute(
            "SELECT indicator, count(DISTINCT case_id) * 1.0 / ? FROM observations"
            " GROUP BY indicator",
            [total],
        ).fetchall()
    )
    for code, share in DFE_FACTORS.items():
        assert shares[code] == pytest.approx(share, abs=0.05), code
    # physical abuse is about one in seven, and an injury recorded a fraction of it
    assert 0.02 <= shares["previous_injury"] <= 0.14
    # families' concerns come together: the toxic trio more often than by chance
    trio = (
        db.execute(
            "SELECT count(*) FROM (SELECT case_id FROM observations"
            " WHERE indicator IN ('domestic_abuse', 'parental_mental_health', 'substance_misuse')"
            " GROUP BY case_id HAVING count(DISTINCT indicator) = 3)"
        ).fetchone()[0]
        / total
    )
    chance = (
        shares["domestic_abuse"] * shares["parental_mental_health"] * shares["substance_misuse"]
    )
    assert trio > 1.3 * chance


def test_children_come_in_the_age_bands_of_children_in_need(large):
    db, _ = large
    bands = dict.fromkeys(DFE_AGE_BANDS, 0)
    for (born,) in db.execute("SELECT date_of_birth FROM cases"):
        years = age_in_years(date.fromisoformat(born), AS_OF)
        band = ("under 1" if years < 1 else "1 to 4" if years < 5 else "5 to 9" if years < 10
                else "10 to 15" if years < 16 else "16+")  # fmt: skip
        bands[band] += 1
    total = sum(bands.values())
    for band, share in DFE_AGE_BANDS.items():
        assert bands[band] / total == pytest.approx(share, abs=0.03), band


def test_observations_span_the_longest_open_cases_and_none_is_in_the_future(large):
    db, _ = large
    first, last = db.execute(
        "SELECT min(observed_on), max(observed_on) FROM observations"
    ).fetchone()

    assert last <= AS_OF.isoformat()
    assert first >= (AS_OF - timedelta(days=1500)).isoformat()
    assert first <= (AS_OF - timedelta(days=730)).isoformat()
    statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM observations")}
    assert statuses == {"current", "resolved", "refuted"}


def test_initials_are_two_capital_letters(small):
    db, _ = small
    initials = {r[0] for r in db.execute("SELECT initials FROM cases")}
    assert all(len(i) == 2 and i.isalpha() and i.isupper() for i in initials)


def test_a_few_cases_carry_the_reviews_pattern_as_records_really_stand(small):
    """Children of three months to three years with four or more of the pattern's concerns,
    none of them fresher than a month (real records hold them one to eight months old), and
    no enquiry asked."""
    db, summary = small
    pattern = db.execute(
        "SELECT cases.id FROM cases JOIN observations ON observations.case_id = cases.id"
        " WHERE cases.date_of_birth BETWEEN :born_from AND :born_to AND cases.status = 'open'"
        "   AND observations.status = 'current'"
        "   AND observations.indicator IN (SELECT value FROM json_each(:codes))"
        "   AND NOT EXISTS (SELECT 1 FROM enquiries WHERE enquiries.case_id = cases.id)"
        " GROUP BY cases.id HAVING count(DISTINCT observations.indicator) >= 4"
        "   AND max(observations.observed_on) <= :month_ago",
        {
            "born_from": (AS_OF - timedelta(days=1400)).isoformat(),
            "born_to": (AS_OF - timedelta(days=90)).isoformat(),
            "codes": '["' + '","'.join(PATTERN_INDICATORS) + '"]',
            "month_ago": (AS_OF - timedelta(days=30)).isoformat(),
        },
    ).fetchall()

    assert len(pattern) >= summary.pattern_cases >= 3
    on_demo_workers_caseload = db.execute(
        "SELECT count(*) FROM cases JOIN staff ON staff.id = cases.worker_id"
        " WHERE staff.email = :email AND cases.id IN (SELECT value FROM json_each(:ids))",
        {"email": SIGN_IN["worker"], "ids": json.dumps([r[0] for r in pattern])},
    ).fetchone()[0]
    assert on_demo_workers_caseload >= 1


def test_every_demo_user_shares_the_one_password_hash(small):
    db, _ = small
    hashes = {r[0] for r in db.execute("SELECT password_hash FROM staff")}
    emails = {r[0] for r in db.execute("SELECT email FROM staff")}

    assert hashes == {HASH}
    assert set(SIGN_IN.values()) <= emails


def test_the_demo_refuses_a_database_that_has_cases(small, settings):
    db, _ = small
    before = dump(db)

    with pytest.raises(DemoRefused):
        demo(db, settings, seed=99)

    assert dump(db) == before


# --- the command -----------------------------------------------------------------------------


def test_the_command_fills_an_empty_database_and_prints_how_to_sign_in(runner, db):
    result = runner.invoke(args=["demo", "--cases", "100", "--seed", "3", "--as-of", "2026-11-26"])

    assert result.exit_code == 0, result.output
    assert "100 cases" in result.output
    for email in SIGN_IN.values():
        assert email in result.output
    assert DEMO_PASSWORD in result.output
    stored = db.execute("SELECT password_hash FROM staff WHERE email = ?", [SIGN_IN["worker"]])
    assert verify_password(stored.fetchone()[0], DEMO_PASSWORD)


def test_the_command_refuses_a_database_with_cases(runner):
    runner.invoke(args=["demo", "--cases", "50", "--as-of", "2026-11-26"])

    result = runner.invoke(args=["demo", "--cases", "50", "--as-of", "2026-11-26"])

    assert result.exit_code == 1
    assert "already has 50 cases" in result.output
    assert "Traceback" not in result.output


def test_the_command_with_if_empty_skips_a_database_with_cases(runner, db):
    runner.invoke(args=["demo", "--cases", "50", "--as-of", "2026-11-26"])

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0
    assert "skipping" in result.output
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 50


def test_the_demo_has_a_month_of_score_history_the_same_for_the_same_seed(tmp_path, settings):
    histories = []
    for name in ("a.db", "b.db"):
        db = fresh_db(tmp_path / name)
        load_demo(
            db,
            settings,
            cases=60,
            seed=3,
            as_of=AS_OF,
            now=NOW,
            password_hash=HASH,
            history_days=30,
        )
        histories.append(db.execute("SELECT * FROM score_history ORDER BY 1, 2").fetchall())
        days = [r[0] for r in db.execute("SELECT DISTINCT day FROM score_history ORDER BY day")]
        assert len(days) == 31 and days[-1] == AS_OF.isoformat()
        # Trends and days in the red band have something to go on: scores moved.
        moved = db.execute(
            "SELECT count(DISTINCT case_id) FROM score_history h WHERE EXISTS ("
            "SELECT 1 FROM score_history o WHERE o.case_id = h.case_id AND o.score <> h.score)"
        ).fetchone()[0]
        assert moved > 0
        db.close()
    assert histories[0] == histories[1]


def test_the_demo_never_makes_up_an_indicator_only_an_authoritys_own_files_record(small):
    """A repeat child protection plan comes from the Annex A workbook only: the demo's cases,
    and the calibration done on them, stay as they were before the indicator existed."""
    db, _ = small
    generated = {r[0] for r in db.execute("SELECT DISTINCT indicator FROM observations")}

    assert "repeat_child_protection_plan" not in generated
    assert len(generated) > 5  # the demo does record the other indicators


def test_children_carry_the_dfes_shares_of_sex_ethnicity_and_disability(large):
    """Characteristics of children in need, 2020 (tables A4 and B2): 53.8% male, 44.2% female;
    White 68.9%, Mixed 8.5%, Asian 7.1%, Black 8.3%, other 3.3%, refused or not yet obtained
    4.0%; 12.6% with a disability recorded."""
    from hotspots.model import characteristics

    db, _ = large
    rows = db.execute("SELECT sex, ethnicity, disability FROM child_characteristics").fetchall()
    n = len(rows)

    def share(test):
        return sum(1 for row in rows if test(row)) / n

    assert n == db.execute("SELECT count(*) FROM cases").fetchone()[0] == 4000
    assert share(lambda r: r[0] == "male") == pytest.approx(0.538, abs=0.025)
    assert share(lambda r: r[0] == "female") == pytest.approx(0.442, abs=0.025)
    published = {
        characteristics.WHITE: 0.689,
        characteristics.MIXED: 0.085,
        characteristics.ASIAN: 0.071,
        characteristics.BLACK: 0.083,
        characteristics.OTHER: 0.033,
        characteristics.REFUSED_OR_NOT_OBTAINED: 0.040,
    }
    for group, expected in published.items():
        found = share(lambda r, group=group: characteristics.major_group(r[1]) == group)
        assert found == pytest.approx(expected, abs=0.02), group
    assert share(lambda r: r[2] == "yes") == pytest.approx(0.126, abs=0.02)


def test_the_characteristics_are_drawn_apart_so_the_rest_of_the_demo_is_unchanged(
    settings, tmp_path, monkeypatch
):
    """Whatever the characteristics' own generator draws, every other table is the same: the
    calibration's population and the figures in docs/scoring.md do not depend on them."""
    from hotspots.services import demo as demo_module

    first = fresh_db(tmp_path / "a.db")
    demo(first, settings, seed=11)
    real = demo_module._Characteristics
    monkeypatch.setattr(
        demo_module,
        "_Characteristics",
        lambda rng, now_text: real(demo_module.random.Random("something else"), now_text),
    )
    second = fresh_db(tmp_path / "b.db")
    demo(second, settings, seed=11)

    assert dump(first) == dump(second)
    drawn = "SELECT * FROM child_characteristics ORDER BY 1"
    assert first.execute(drawn).fetchall() != second.execute(drawn).fetchall()
