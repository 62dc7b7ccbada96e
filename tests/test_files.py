"""Files holding case data are readable by the service's user only (hotspots.base.files): the
database and its -wal, the outbox, backups, the secret key."""

from __future__ import annotations

import os
import stat

import pytest

from hotspots import create_app, ensure_secret_key, storage
from hotspots.base import files
from hotspots.services import mail


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def _open_umask():
    """A careless umask (022 or worse) must not matter."""
    before = os.umask(0o000)
    yield
    os.umask(before)


def test_a_new_database_and_its_wal_are_readable_by_the_service_user_only(tmp_path):
    path = tmp_path / "new" / "hotspots.web.db"
    db = storage.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    assert mode(path) == 0o600
    assert mode(f"{path}-wal") == 0o600
    assert mode(path.parent) == 0o700
    db.close()


def test_an_existing_database_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    storage.connect(path).close()
    assert mode(path) == 0o640


def test_outbox_files_and_their_folder_are_private(tmp_path):
    outbox = tmp_path / "outbox"
    message = mail.EmailMessage()
    message["Message-ID"] = "<digest-2026-11-26-1@example.gov.uk>"
    message.set_content("x")
    mail.OutboxTransport(outbox).send(message)
    assert mode(outbox) == 0o700
    (written,) = outbox.iterdir()
    assert mode(written) == 0o600


def test_the_secret_key_file_is_private(tmp_path):
    app = create_app(
        {"database": {"path": str(tmp_path / "x.db")}, "app": {"secret_key_file": "k/key"}},
        require_secret_key=False,
    )
    app.instance_path = str(tmp_path / "instance")
    path = ensure_secret_key(app)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_write_private_replaces_a_file_and_narrows_its_mode(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o644)
    files.write_private(path, b"new")
    assert path.read_bytes() == b"new" and mode(path) == 0o600
