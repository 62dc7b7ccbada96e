"""Backups and restores (hotspots.services.backups, hotspots backup / restore, the nightly job)."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import browser_support as world
import pytest

from hotspots import storage
from hotspots.jobs import backup as backup_job
from hotspots.jobs.scheduler import scheduler_lock
from hotspots.services import backups

NOW = datetime(2026, 11, 26, 1, 30, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path, backup={"dir": str(tmp_path / "backups"), "keep": 3})


def cases_in(path) -> int:
    db = storage.connect(path)
    try:
        return db.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        db.close()


def test_a_backup_is_a_checked_private_copy(db_path, tmp_path, ids):
    before = os.umask(0o022)
    try:
        path = backups.backup(db_path, tmp_path / "copy.db", now=NOW)
    finally:
        os.umask(before)
    assert path == tmp_path / "copy.db"
    assert cases_in(path) == len(world.CASES)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))


def test_a_backup_during_an_open_write_copies_only_what_was_committed(db, db_path, tmp_path, ids):
    writer = storage.connect(db_path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM enquiries")
    try:
        path = backups.backup(db_path, tmp_path / "during.db", now=NOW)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = storage.connect(path)
    assert copy.execute("SELECT count(*) FROM enquiries").fetchone()[0] > 0
    copy.close()


def test_a_folder_gets_a_timestamped_backup(db_path, tmp_path, ids):
    folder = tmp_path / "b"
    folder.mkdir()
    path = backups.backup(db_path, folder, now=NOW)
    assert path.name == "hotspots-20261126-013000.db"


def test_a_corrupt_backup_is_refused_by_the_check(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(backups.BackupError):
        backups.check(bad)
    (tmp_path / "other.db").write_bytes(b"")
    with pytest.raises(backups.BackupError, match="not a hotspots database"):
        backups.check(tmp_path / "other.db")


def test_rotation_keeps_the_newest_and_leaves_other_files_alone(tmp_path):
    for n in range(5):
        (tmp_path / f"hotspots-2026112{n}-013000.db").write_text("x")
    (tmp_path / "notes.txt").write_text("mine")
    deleted = backups.rotate(tmp_path, 2)
    assert [p.name for p in deleted] == [f"hotspots-2026112{n}-013000.db" for n in range(3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hotspots-20261123-013000.db",
        "hotspots-20261124-013000.db",
        "notes.txt",
    ]
    assert backups.rotate(tmp_path, 0) == []


def test_backup_then_restore_brings_back_the_data(runner, db, db_path, tmp_path, ids):
    result = runner.invoke(args=["backup", str(tmp_path / "before.db")])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    db.execute("DELETE FROM enquiries")
    db.execute("DELETE FROM observations")
    result = runner.invoke(args=["restore", str(tmp_path / "before.db"), "--yes"])
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT count(*) FROM observations").fetchone()[0] > 0
    actions = [r["action"] for r in world.audit_rows(db)]
    assert actions[-1] == "restore"


def test_restore_is_refused_while_the_scheduler_runs(runner, settings, tmp_path, db_path, ids):
    backups.backup(db_path, tmp_path / "b.db", now=NOW)
    with scheduler_lock(settings):
        result = runner.invoke(args=["restore", str(tmp_path / "b.db"), "--yes"])
    assert result.exit_code == 1
    assert "stop the scheduler first" in result.output


def test_restore_refuses_a_file_that_fails_its_check_and_changes_nothing(runner, db, tmp_path, ids):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database at all")
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert "nothing was changed" in result.output
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == len(world.CASES)


def test_the_nightly_job_backs_up_and_keeps_the_newest(app, tmp_path, ids):
    for n in range(5):
        assert backup_job.run_backup(app, now=NOW + timedelta(days=n)) is not None
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert kept == [f"hotspots-2026{d}-013000.db" for d in ("1128", "1129", "1130")]
    assert stat.S_IMODE(os.stat(tmp_path / "backups").st_mode) == 0o700


def test_backup_keep_needs_a_folder(runner, tmp_path, ids):
    result = runner.invoke(args=["backup", str(tmp_path / "one.db"), "--keep", "2"])
    assert result.exit_code == 1 and "needs DEST to be a folder" in result.output
    assert not (tmp_path / "one.db").exists()
