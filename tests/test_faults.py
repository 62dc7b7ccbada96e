"""Faults of the machine in words (hotspots.base.faults): a full disk, a read-only database and a
locked one give one line that says what happened and what to do on the command line, a
GOV.UK error page on the web and a 503 problem from the API, never a traceback; a refused
import is still audited; a failed backup leaves nothing behind.

A full disk is a real file-size limit (RLIMIT_FSIZE) on a real ``hotspots`` process; a
read-only database is a real one (immutable for root, which file modes do not stop, else
mode 0444); a locked one is held by a real second connection.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, count, email, sign_in

from hotspots import storage
from hotspots.services import backups, partners

HOTSPOTS = str(Path(sys.executable).with_name("hotspots"))


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def checkpointed(db_path) -> int:
    """The database's size once everything is in the main file and the WAL is empty."""
    db = storage.connect(db_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return os.path.getsize(db_path)


def run_limited(args, db_path, tmp_path, *, max_file_bytes: int):
    """``hotspots ARGS`` as its own process, unable to write any file past ``max_file_bytes``
    (as a full disk stops it: writes fail with EFBIG instead of the process being killed)."""

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "HOTSPOTS_DATABASE__PATH": str(db_path)}
    return subprocess.run(
        [HOTSPOTS, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,  # only resource limits and a signal, before exec
    )


def one_line_error(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@contextlib.contextmanager
def read_only(path: Path):
    """The file made read-only for this process, really: root ignores file modes, so for
    root it is made immutable (chattr +i), as a read-only disk would."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = os.stat(path).st_mode
        os.chmod(path, 0o444)
        try:
            yield
        finally:
            os.chmod(path, mode)


@contextlib.contextmanager
def locked(db_path):
    """Another writer holding the database's write lock."""
    other = storage.connect(db_path, busy_timeout_ms=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


# --- recognising a fault ---------------------------------------------------------------------


def test_each_fault_is_recognised_from_the_error_sqlite_or_the_system_raises(db_path, tmp_path):
    from hotspots.base import faults

    storage.connect(db_path).close()
    reader = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as read_only_error:
        reader.execute("CREATE TABLE t (x)")
    reader.close()
    assert faults.fault_of(read_only_error.value) is faults.READ_ONLY
    with locked(db_path):
        waiting = sqlite3.connect(db_path, timeout=0)
        with pytest.raises(sqlite3.OperationalError) as busy_error:
            waiting.execute("BEGIN IMMEDIATE")
        waiting.close()
    assert faults.fault_of(busy_error.value) is faults.LOCKED
    full = OSError(errno.ENOSPC, "No space left on device", "/srv/backups/x.db")
    assert faults.fault_of(full).what.endswith("(/srv/backups/x.db)")
    assert faults.fault_of(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
    assert faults.fault_of(ValueError("not a fault")) is None


def test_a_faults_words_say_what_happened_and_what_to_do_on_one_line():
    from hotspots.base import faults

    for fault in (faults.FULL, faults.UNWRITABLE, faults.READ_ONLY, faults.LOCKED):
        words = fault.words()
        assert "\n" not in words and "nothing was half-written" in words
        assert "try again" in words


# --- a full disk -----------------------------------------------------------------------------


def test_an_import_stopped_by_a_full_disk_says_so_in_one_line_and_is_audited(
    db, db_path, settings, tmp_path, ids
):
    rows = [f"big-{n},N-0001,domestic_abuse,2026-01-01,police,,current," for n in range(20_000)]
    csv = tmp_path / "observations.csv"
    csv.write_text("id,case_ref,indicator,observed_on,source,recorded_by,status,note\n")
    with csv.open("a") as f:
        f.write("\n".join(rows) + "\n")
    before = count(db, "observations")
    size = checkpointed(db_path)

    result = run_limited(
        ["import", "observations", str(csv)], db_path, tmp_path, max_file_bytes=size + 256 * 1024
    )

    line = one_line_error(result)
    assert "could not be written" in line and "file-size limit" in line
    assert count(db, "observations") == before
    [audited] = audit_rows(db, "import_rejected")
    detail = json.loads(audited["detail"])
    assert detail["kind"] == "observations" and detail["file"] == "observations.csv"
    assert detail["fault"].startswith("The disk could not be written")


def test_a_backup_stopped_by_a_full_disk_says_so_and_leaves_nothing_behind(
    db, db_path, tmp_path, ids
):
    # Bigger than one step of the online backup (backups.PAGES_PER_STEP pages): a copy that
    # fails after its first step is what left a .partial-journal behind.
    db.execute("CREATE TABLE ballast (x BLOB)")
    db.conn.executemany("INSERT INTO ballast VALUES (randomblob(4000))", [()] * 2000)
    size = checkpointed(db_path)
    assert size > backups.PAGES_PER_STEP * 4096
    dest = tmp_path / "backups"
    dest.mkdir()

    result = run_limited(["backup", str(dest)], db_path, tmp_path, max_file_bytes=64 * 1024)

    line = one_line_error(result)
    assert line.startswith("Error: backup failed, nothing written: The disk")
    assert list(dest.iterdir()) == []  # no copy, no .partial, no .partial-journal


# --- a read-only database --------------------------------------------------------------------


def test_signing_in_to_a_read_only_database_shows_a_page_in_words_not_a_500(
    app, client, db_path, ids, caplog
):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    with read_only(db_path):
        response = sign_in(client, "ann")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Sorry, the service cannot save anything at the moment" in page
    assert "govuk-heading-l" in page and "Nothing you entered on the last page was saved" in page
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is None  # one line, no traceback
    assert "auth.login" in errors[0].getMessage()
    assert "read-only" in errors[0].getMessage()


def test_the_api_answers_a_read_only_database_with_503_and_a_retry_after(
    app, client, db, db_path, settings, ids
):
    token = partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)
    body = {"id": "a", "case_ref": "N-0001", "indicator": "ppn_low", "observed_on": "2026-03-01"}
    with read_only(db_path):
        response = client.post(
            "/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("/problems/storage-fault")
    assert response.headers["Retry-After"] == "300"


def test_a_command_that_writes_to_a_read_only_database_says_so_in_one_line(runner, db_path, ids):
    with read_only(db_path):
        result = runner.invoke(
            args=["users", "disable", email("bob"), "--leave-unallocated", "--reason", "Left"]
        )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: The database cannot be written")
    assert "writable by the service's user" in result.output


def test_an_import_into_a_read_only_database_says_so_and_changes_nothing(
    runner, db, db_path, tmp_path, ids
):
    csv = tmp_path / "staff.csv"
    csv.write_text("email,name,role,team\nnew@example.org,New Person,worker,North\n")
    before = count(db, "staff")
    with read_only(db_path):
        result = runner.invoke(args=["import", "staff", str(csv)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: The database cannot be written" in result.output
    assert count(db, "staff") == before


# --- a locked database -----------------------------------------------------------------------


def test_a_page_that_waits_too_long_for_a_lock_says_the_service_is_busy(app, client, db_path, ids):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["SETTINGS"]["database"]["busy_timeout_ms"] = 50
    with locked(db_path):
        response = sign_in(client, "ann")
    assert response.status_code == 503
    assert "Sorry, the service is busy" in response.get_data(as_text=True)


def test_a_command_that_waits_too_long_for_a_lock_says_what_to_do(runner, db_path, ids):
    runner.app.config["SETTINGS"]["database"]["busy_timeout_ms"] = 50
    with locked(db_path):
        result = runner.invoke(
            args=["users", "disable", email("bob"), "--leave-unallocated", "--reason", "Left"]
        )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: The database stayed locked by another writer")
    assert "Wait for it to finish, then try again." in result.output
