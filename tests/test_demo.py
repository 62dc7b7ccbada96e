"""Demo data: deterministic, realistic in shape, and only ever into an empty database."""

from __future__ import annotations

import json
import statistics
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotspots import storage
from hotspots.demo import DEMO_PASSWORD, PATTERN_INDICATORS, SIGN_IN, DemoRefused, load_demo
from hotspots.passwords import verify_password
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


def test_the_same_seed_gives_identical_data(settings, tmp_path):
    first, second = fresh_db(tmp_path / "a.db"), fresh_db(tmp_path / "b.db")

    demo(first, settings, seed=11)
    demo(second, settings, seed=11)

    assert dump(first) == dump(second)
    assert len(dump(first)["observations"]) > 1000


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


def test_every_worker_carries_fifteen_to_thirty_open_cases(small):
    db, _ = small
    caseloads = db.execute(
        "SELECT staff.id, count(cases.id) FROM staff"
        " LEFT JOIN cases ON cases.worker_id = staff.id AND cases.status = 'open'"
        " WHERE staff.role = 'worker' GROUP BY staff.id"
    ).fetchall()

    assert len(caseloads) >= 9
    assert all(15 <= count <= 30 for _, count in caseloads), caseloads
    assert len({count for _, count in caseloads}) > 3  # not all the same


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


def test_observations_are_skewed_across_cases_and_agencies(small):
    db, _ = small
    counts = [
        r[0]
        for r in db.execute(
            "SELECT count(observations.id) FROM cases"
            " LEFT JOIN observations ON observations.case_id = cases.id GROUP BY cases.id"
        )
    ]
    mean = statistics.mean(counts)

    assert 12 <= mean <= 30
    assert statistics.median(counts) < mean  # most cases have a few
    assert max(counts) > 3 * mean  # some have many
    sources = {r[0] for r in db.execute("SELECT DISTINCT source FROM observations")}
    assert len(sources) >= 6


def test_observations_span_the_last_two_years_and_none_is_in_the_future(small):
    db, _ = small
    first, last = db.execute(
        "SELECT min(observed_on), max(observed_on) FROM observations"
    ).fetchone()

    assert last <= AS_OF.isoformat()
    assert first >= (AS_OF - timedelta(days=730)).isoformat()
    assert first <= (AS_OF - timedelta(days=600)).isoformat()
    statuses = {r[0] for r in db.execute("SELECT DISTINCT status FROM observations")}
    assert statuses == {"current", "resolved", "refuted"}


def test_the_children_are_mostly_under_five_with_some_older(small):
    db, _ = small
    five_years_ago = AS_OF.replace(year=AS_OF.year - 5).isoformat()
    under_five = db.execute(
        "SELECT count(*) FROM cases WHERE date_of_birth > ?", [five_years_ago]
    ).fetchone()[0]

    assert 0.7 * 300 <= under_five < 300
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
            "born_from": (AS_OF - timedelta(days=1140)).isoformat(),
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
