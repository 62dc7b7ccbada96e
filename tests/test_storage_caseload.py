"""storage/caseload.py: a worker's caseload, its band counts and its score history, read
through the indexes a page needs."""

from __future__ import annotations

from hotspots import storage
from hotspots.storage import caseload
from hotspots.storage.schema import migrate, migrations


def _db(path, *, stop_before=None):
    db = storage.connect(path)
    if stop_before is None:
        migrate(db)
    else:
        names = [m.name for m in migrations.pending(db)]
        migrations.apply(db, stop_before=names[names.index(stop_before) :])
    db.execute("INSERT INTO teams (id, name) VALUES (1, 'Broadland')")
    db.conn.executemany(
        "INSERT INTO staff (id, email, name, role, team_id) VALUES (?, ?, ?, 'worker', 1)",
        [(3, "a@x", "A"), (4, "b@x", "B")],
    )
    db.conn.executemany(
        "INSERT INTO cases (id, case_ref, initials, date_of_birth, team_id, worker_id, "
        "opened_on, visit_every_days, status) "
        "VALUES (?, ?, 'AB', '2025-01-01', 1, ?, '2026-02-01', 14, ?)",
        [(1, "C1", 3, "open"), (2, "C2", 3, "open"), (3, "C3", 4, "open"), (4, "C4", 3, "closed")],
    )
    return db


def _plan(db, sql: str, params: dict) -> str:
    return " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))


CASELOAD_PARAMS = {"worker_id": 3, "band": "", "trend_day": "2026-11-19"}


def test_the_next_action_due_on_a_caseload_is_found_in_the_cases_own_actions(tmp_path):
    """m150: each row's soonest open action is one step into (case_id, state, due_on), never a
    walk through every open action in the authority in due order (28 ms for a caseload of 17
    on the 100,000-case demo)."""
    plan = _plan(_db(tmp_path / "c.db"), caseload.CASELOAD_SQL, CASELOAD_PARAMS)
    assert "actions_open_due" not in plan
    assert "COVERING INDEX actions_case (case_id=? AND state=?)" in plan


def test_before_m150_the_next_action_due_walked_every_open_action(tmp_path):
    """The plan the migration fixed, so the test above is known to be able to fail."""
    db = _db(tmp_path / "old.db", stop_before="m150_case_actions_due_index")
    assert "actions_open_due" in _plan(db, caseload.CASELOAD_SQL, CASELOAD_PARAMS)


def test_score_history_is_each_open_cases_days_oldest_first_within_the_window(tmp_path):
    db = _db(tmp_path / "h.db")
    db.conn.executemany(
        "INSERT INTO score_history (case_id, day, score, band, model_version) "
        "VALUES (?, ?, ?, 'green', 'v1')",
        [
            (1, "2026-11-01", 1.0),  # on the day the window starts after: left out
            (1, "2026-11-03", 3.0),
            (1, "2026-11-02", 2.0),
            (1, "2026-11-09", 9.0),  # after as_of: left out
            (3, "2026-11-02", 5.0),  # another worker's case
            (4, "2026-11-02", 7.0),  # a closed case
        ],
    )
    found = caseload.score_history(db, 3, since="2026-11-01", as_of="2026-11-08")
    assert found == {1: [("2026-11-02", 2.0), ("2026-11-03", 3.0)]}


def test_band_counts_count_the_workers_open_scored_cases(tmp_path):
    db = _db(tmp_path / "b.db")
    db.conn.executemany(
        "INSERT INTO scores (case_id, score, band, model_version, computed_at, as_of, "
        "worker_id) VALUES (?, ?, ?, 'v1', '2026-11-08T00:00:00+00:00', '2026-11-08', ?)",
        [(1, 30.0, "red", 3), (2, 1.0, "green", 3), (3, 30.0, "red", 4), (4, 30.0, "red", 3)],
    )
    assert caseload.band_counts(db, 3) == {"red": 1, "green": 1}
