"""Storage: connection settings, migrations on new and existing databases, transactions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from hotspots import rescoring, storage
from hotspots.storage import schema
from hotspots.storage import scores as scores_sql
from hotspots.storage.schema import migrate, migrations, statements

TABLES = {
    "teams",
    "staff",
    "cases",
    "observations",
    "enquiries",
    "scores",
    "score_history",
    "reviews",
    "adjustments",
    "digests",
    "audit_log",
}


def test_a_new_database_gets_every_table(tmp_path):
    db = storage.connect(tmp_path / "new.db")
    applied = migrate(db)
    assert applied[0] == "m001_core_tables"
    assert TABLES <= set(db.table_names())


def test_migrating_again_changes_nothing(tmp_path):
    db = storage.connect(tmp_path / "again.db")
    migrate(db)
    schema_before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(db) == []
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema_before


def test_an_existing_database_keeps_its_rows_when_upgraded(tmp_path):
    path = tmp_path / "existing.db"
    db = storage.connect(path)
    # An older database: only the first migration applied, with data in it.
    migrations.apply(db, stop_before=[m.name for m in migrations.pending(db)][1:] or None)
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.close()
    db = storage.connect(path)
    migrate(db)
    assert [r[0] for r in db.execute("SELECT name FROM teams")] == ["Broadland"]
    assert migrations.pending(db) == []


def one_case_before(path, migration):
    """A database migrated up to (not including) ``migration``, holding one team and one open
    case (id 1, C1), uncommitted."""
    db = storage.connect(path)
    names = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=names[names.index(migration) :])
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.execute(
        "INSERT INTO cases (case_ref, initials, date_of_birth, team_id, opened_on, "
        "visit_every_days, status) VALUES ('C1', 'AB', '2026-01-01', 1, '2026-02-01', 14, 'open')"
    )
    return db


def test_rebuilding_enquiries_keeps_every_row_its_id_and_its_change_marks(tmp_path):
    """m070 rebuilds the enquiries table (to let an enquiry entered in error be recorded
    again for its day): the rows and ids stay, and writes still mark the case for rescoring."""
    db = one_case_before(tmp_path / "enquiries.db", "m070_enquiry_once_unless_in_error")
    db.execute(
        "INSERT INTO enquiries (id, case_id, topic, asked_on, outcome, recorded_at, "
        "entered_in_error_at, entered_in_error_reason) VALUES (7, 1, 'domestic_abuse', "
        "'2026-03-01', 'disclosed', '2026-03-01T10:00:00+00:00', '2026-03-02T09:00:00+00:00', "
        "'wrong case')"
    )
    db.execute("DELETE FROM rescore_queue")
    db.conn.commit()
    migrate(db)
    assert db.execute("SELECT id, outcome, entered_in_error_reason FROM enquiries").fetchall() == [
        (7, "disclosed", "wrong case")
    ]
    assert db.execute("SELECT count(*) FROM valid_enquiries").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone() == (0,)
    with db.conn:
        db.execute(
            "INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_at) "
            "VALUES (1, 'domestic_abuse', '2026-03-01', 'not_disclosed', '2026-03-02')"
        )
    assert db.execute("SELECT case_id FROM rescore_queue").fetchall() == [(1,)]
    with pytest.raises(sqlite3.IntegrityError), db.conn:
        db.execute(
            "INSERT INTO enquiries (case_id, topic, asked_on, outcome, recorded_at) "
            "VALUES (1, 'domestic_abuse', '2026-03-01', 'disclosed', '2026-03-02')"
        )


def test_dropping_stored_ranks_keeps_every_score_and_indexes_what_a_rank_is_counted_from(
    tmp_path,
):
    """m082 drops scores.rank (ranks are worked out when read): every score stays, and the
    caseload index becomes (worker_id, score, case_id)."""
    path = tmp_path / "ranks.db"
    db = storage.connect(path)
    names = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=names[names.index("m082_ranks_when_read") :])
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.execute("INSERT INTO staff (email, name, role, team_id) VALUES ('a@x', 'A', 'worker', 1)")
    for case_id, worker, score, rank in ((1, 1, 4.0, 2), (2, 1, 9.5, 1), (3, None, 12.0, None)):
        db.execute(
            "INSERT INTO cases (id, case_ref, initials, date_of_birth, team_id, worker_id, "
            "opened_on, visit_every_days, status) "
            "VALUES (?, ?, 'AB', '2026-01-01', 1, ?, '2026-02-01', 14, 'open')",
            [case_id, f"C{case_id}", worker],
        )
        db.execute(
            "INSERT INTO scores (case_id, as_of, score, band, rank, worker_id, model_version, "
            "computed_at) VALUES (?, '2026-11-25', ?, 'amber', ?, ?, 'v1', '2026-11-25T02:00')",
            [case_id, score, rank, worker],
        )
    db.conn.commit()
    assert migrate(db)[0] == "m082_ranks_when_read"  # and any later ones
    assert "rank" not in db["scores"].columns_dict
    columns = db.execute("SELECT name FROM pragma_index_info('scores_worker') ORDER BY seqno")
    assert [r[0] for r in columns] == ["worker_id", "score", "case_id"]
    assert db.execute(
        "SELECT case_id, score, worker_id FROM scores ORDER BY case_id"
    ).fetchall() == [
        (1, 4.0, 1),
        (2, 9.5, 1),
        (3, 12.0, None),
    ]
    ranks = [
        storage.fetch_one(db, scores_sql.SELECT_SCORE_SQL, {"case_id": case_id})["rank"]
        for case_id in (1, 2, 3)
    ]
    assert ranks == [2, 1, None]  # the ranks that were stored, now worked out


def test_the_unborn_children_migration_keeps_every_case_born_and_refuses_other_states(
    tmp_path,
):
    """m100 adds cases.birth_status: every case already held is a born child, and only the
    three states the column documents may be stored."""
    db = one_case_before(tmp_path / "unborn.db", "m100_unborn_children")
    db.execute("DELETE FROM rescore_queue")
    db.conn.commit()
    migrate(db)
    assert db.execute("SELECT case_ref, birth_status FROM cases").fetchall() == [("C1", "born")]
    assert db.execute("SELECT count(*) FROM rescore_queue").fetchone() == (0,)
    with db.conn:
        db.execute("UPDATE cases SET birth_status = 'due'")
    with pytest.raises(sqlite3.IntegrityError), db.conn:
        db.execute("UPDATE cases SET birth_status = 'unborn'")


def test_the_connection_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    db = storage.connect(tmp_path / "pragmas.db", busy_timeout_ms=1234)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 1234


def test_foreign_keys_are_enforced(tmp_path):
    db = storage.connect(tmp_path / "fk.db")
    migrate(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO staff (email, name, role, team_id) VALUES ('a@x', 'A', 'worker', 99)"
        )


def test_a_write_transaction_commits_whole_or_not_at_all(tmp_path):
    db = storage.connect(tmp_path / "tx.db")
    migrate(db)
    with pytest.raises(RuntimeError):
        with storage.write_transaction(db):
            db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
            db["teams"].insert_all([{"name": "Breckland"}])  # sqlite-utils nests a savepoint
            raise RuntimeError("fail half-way")
    assert db.execute("SELECT count(*) FROM teams").fetchone()[0] == 0
    with storage.write_transaction(db):
        db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
        db["teams"].insert_all([{"name": "Breckland"}])
    assert db.execute("SELECT count(*) FROM teams").fetchone()[0] == 2


def test_a_second_writer_waits_for_the_first(tmp_path):
    path = tmp_path / "two.db"
    first = storage.connect(path, busy_timeout_ms=50)
    migrate(first)
    second = storage.connect(path, busy_timeout_ms=50)
    with storage.write_transaction(first):
        first.execute("INSERT INTO teams (name) VALUES ('Broadland')")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with storage.write_transaction(second):
                pass
    with storage.write_transaction(second):
        second.execute("INSERT INTO teams (name) VALUES ('Breckland')")
    assert first.execute("SELECT count(*) FROM teams").fetchone()[0] == 2


def test_statements_splits_on_whole_statements_only():
    script = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- a comment; with a semicolon\nSELECT 1;\n"
    assert len(statements(script)) == 2


def test_init_db_creates_and_is_safe_to_run_again(runner, db_path):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output  # the app fixture already migrated
    db = storage.connect(db_path)
    assert TABLES <= set(db.table_names())


def test_init_db_on_a_fresh_path_applies_the_migrations(tmp_path):
    from hotspots import create_app

    app = create_app({"database": {"path": str(tmp_path / "fresh.db")}}, require_secret_key=False)
    app.instance_path = str(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert (tmp_path / "instance" / app.config["SETTINGS"]["app"]["secret_key_file"]).exists()
    assert result.exit_code == 0, result.output
    assert "applied m001_core_tables" in result.output


def test_kept_sums_arrive_empty_and_the_first_full_rescore_builds_them(tmp_path, settings):
    """m081 adds the indicator sums to a database that already has observations: they start
    empty, with no half-lives recorded, so the first whole-authority rescore builds them all
    and scores from them."""
    db = one_case_before(tmp_path / "sums.db", "m081_indicator_sums")
    for n, day in enumerate(["2026-05-01", "2026-11-01"]):
        db.execute(
            "INSERT INTO observations (external_id, case_id, indicator, observed_on, source, "
            "status, recorded_at) VALUES (?, 1, 'domestic_abuse', ?, 'police', 'current', ?)",
            [f"O{n}", day, day],
        )
    db.conn.commit()
    migrate(db)
    assert db.execute("SELECT count(*) FROM indicator_sums").fetchone() == (0,)
    steps = {}
    now = datetime(2026, 11, 25, 2, tzinfo=UTC)
    rescoring.rescore_all(db, settings, as_of=date(2026, 11, 25), now=now, timings=steps)
    assert "indicator points per case, from the kept sums" in steps
    last_day, decay_sum = db.execute("SELECT last_day, decay_sum FROM indicator_sums").fetchone()
    assert last_day == (date(2026, 11, 1) - date(1970, 1, 1)).days
    # the later observation counts 1, the earlier one 184 days before it 0.5 ^ (184 / 365)
    assert decay_sum == pytest.approx(1 + 0.5 ** (184 / 365))


def test_the_review_pattern_column_comes_to_existing_scores_as_no_match_until_rescored(tmp_path):
    """m090: scores stored before it say 0 (a new model version makes the next sweep rescore
    everything)."""
    db = storage.connect(tmp_path / "pattern.db")
    names = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=names[names.index("m090_review_pattern") :])
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.execute(
        "INSERT INTO cases (id, case_ref, initials, date_of_birth, team_id, opened_on, "
        "visit_every_days, status) "
        "VALUES (1, 'C1', 'AB', '2025-01-01', 1, '2026-02-01', 14, 'open')"
    )
    db.execute(
        "INSERT INTO scores (case_id, as_of, score, band, model_version, computed_at) "
        "VALUES (1, '2026-11-25', 30.0, 'red', 'v1', '2026-11-25T02:00')"
    )
    db.conn.commit()
    assert "m090_review_pattern" in migrate(db)
    assert db.execute("SELECT score, review_pattern FROM scores").fetchall() == [(30.0, 0)]


def _before(path, migration):
    db = storage.connect(path)
    names = [m.name for m in migrations.pending(db)]
    migrations.apply(db, stop_before=names[names.index(migration) :])
    return db


def test_the_partnership_role_keeps_every_staff_column_row_index_trigger_and_foreign_key(
    tmp_path,
):
    """m120 rebuilds staff to let its role CHECK take 'partnership': whatever another migration
    added to the table (a column, an index, a trigger) and every foreign key to it survive."""
    db = _before(tmp_path / "staff.db", "m120_partnership_role")
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.execute(
        "INSERT INTO staff (id, email, name, role, team_id, password_hash, disabled_at) "
        "VALUES (7, 'Ann@x.org', 'Ann', 'worker', 1, 'hash', NULL), "
        "(9, 'ada@x.org', 'Ada', 'admin', NULL, NULL, '2026-01-01T00:00:00+00:00')"
    )
    # What another branch might have added to staff meanwhile.
    db.execute("ALTER TABLE staff ADD COLUMN phone TEXT NOT NULL DEFAULT ''")
    db.execute("UPDATE staff SET phone = '0123' WHERE id = 7")
    db.execute("CREATE INDEX staff_phone ON staff(phone)")
    db.execute("CREATE TABLE staff_changes (staff_id INTEGER, name TEXT)")
    db.execute(
        "CREATE TRIGGER staff_renamed AFTER UPDATE OF name ON staff BEGIN "
        "INSERT INTO staff_changes VALUES (NEW.id, NEW.name); END"
    )
    db.execute(
        "INSERT INTO cases (case_ref, initials, date_of_birth, team_id, worker_id, opened_on, "
        "visit_every_days, status) VALUES ('C1', 'AB', '2026-01-01', 1, 7, '2026-02-01', 14, "
        "'open')"
    )
    assert "m120_partnership_role" in migrate(db)

    assert db.execute(
        "SELECT id, email, role, phone, disabled_at FROM staff ORDER BY id"
    ).fetchall() == [
        (7, "Ann@x.org", "worker", "0123", None),
        (9, "ada@x.org", "admin", "", "2026-01-01T00:00:00+00:00"),
    ]
    db.execute("INSERT INTO staff (email, name, role) VALUES ('lead@x.org', 'Lee', 'partnership')")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("INSERT INTO staff (email, name, role) VALUES ('z@x.org', 'Z', 'boss')")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute("INSERT INTO staff (email, name, role) VALUES ('ANN@X.ORG', 'A', 'worker')")
    db.execute("UPDATE staff SET name = 'Ann B' WHERE id = 7")
    assert db.execute("SELECT * FROM staff_changes").fetchall() == [(7, "Ann B")]
    assert "staff_phone" in {index.name for index in db["staff"].indexes}
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("UPDATE cases SET worker_id = 999")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("UPDATE staff SET team_id = 999 WHERE id = 7")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("DELETE FROM staff WHERE id = 7")  # the case still names her
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_rebuilding_a_table_twice_changes_nothing_and_never_runs_in_a_transaction(tmp_path):
    db = storage.connect(tmp_path / "twice.db")
    migrate(db)
    before = db.execute("SELECT sql FROM sqlite_master WHERE name = 'staff'").fetchone()
    schema.rebuild_table(
        db, "staff", schema.STAFF_ROLE_CHECK, schema.STAFF_ROLE_CHECK_WITH_PARTNERSHIP
    )
    assert db.execute("SELECT sql FROM sqlite_master WHERE name = 'staff'").fetchone() == before
    with storage.write_transaction(db), pytest.raises(RuntimeError, match="outside a transaction"):
        schema.rebuild_table(db, "teams", "name TEXT", "name TEXT COLLATE NOCASE")


def test_score_history_says_whose_caseload_each_red_day_was_in(tmp_path):
    """m122: rows already kept take the case's worker now (the red ones, all the workforce
    figures read); every rescore from then on writes the worker of the day."""
    db = _before(tmp_path / "history.db", "m122_history_caseload")
    db.execute("INSERT INTO teams (name) VALUES ('Broadland')")
    db.execute(
        "INSERT INTO staff (id, email, name, role, team_id) VALUES (3, 'a@x', 'A', 'worker', 1)"
    )
    db.execute(
        "INSERT INTO cases (id, case_ref, initials, date_of_birth, team_id, worker_id, "
        "opened_on, visit_every_days, status) "
        "VALUES (1, 'C1', 'AB', '2025-01-01', 1, 3, '2026-02-01', 14, 'open')"
    )
    db.execute(
        "INSERT INTO score_history (case_id, day, score, band, model_version) VALUES "
        "(1, '2026-11-24', 30.0, 'red', 'v1'), (1, '2026-11-25', 10.0, 'green', 'v1')"
    )
    assert "m122_history_caseload" in migrate(db)
    assert db.execute("SELECT day, worker_id FROM score_history ORDER BY day").fetchall() == [
        ("2026-11-24", 3),
        ("2026-11-25", None),
    ]
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT worker_id, count(*) FROM score_history "
        "WHERE band = 'red' AND day >= '2026-11-01' GROUP BY worker_id"
    ).fetchall()
    assert "score_history_red" in str(plan)


# The web and command-line side: pages, API, commands and the sign-in plumbing ask storage
# functions their questions; none imports SQL text or runs a statement of its own.
WEB_AND_CLI = ("views", "api", "cli", "forms.py", "auth.py", "sessions.py", "drafts.py")
WEB_AND_CLI += ("throttling.py", "audit.py")


def _sql_use(path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            found += [f"imports {a.name}" for a in node.names if a.name.endswith("_SQL")]
        elif isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany"):
            found.append(f"calls .{node.attr} (line {node.lineno})")
    return found


def test_no_web_or_cli_module_imports_sql_or_runs_a_statement():
    from pathlib import Path

    package = Path(storage.__file__).parent.parent
    paths = []
    for name in WEB_AND_CLI:
        where = package / name
        paths += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    assert len(paths) > 20
    offending = {str(p.relative_to(package)): _sql_use(p) for p in paths if _sql_use(p)}
    assert offending == {}
