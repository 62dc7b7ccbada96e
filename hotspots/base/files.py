"""Files the service creates hold case data (the database, its backups, the outbox), so they
are created readable by the service's user only: folders 0700, files 0600, whatever the
process's umask."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def upload_folder(instance_path: str | os.PathLike, settings) -> Path:
    """Where uploaded files wait for an admin to confirm their import (``[import.upload]
    folder``, relative to the instance folder unless absolute)."""
    return Path(instance_path) / settings["import"]["upload"]["folder"]


def files_older_than(folder: str | os.PathLike, cutoff: float, pattern: str = "*") -> list[Path]:
    """The files in ``folder`` matching ``pattern`` last written before ``cutoff`` (a POSIX
    timestamp), in name order; none when the folder does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.stat().st_mtime < cutoff)


def private_dir(path: str | os.PathLike) -> Path:
    """Make ``path`` (and any missing parents) a folder only the service's user can open;
    a folder that already exists is left as it is (an operator may have chosen otherwise)."""
    path = Path(path)
    missing = []
    here = path
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it between the check and here
        os.chmod(folder, PRIVATE_DIR)
    return path


def create_private_file(path: str | os.PathLike) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (SQLite then gives its -wal
    and -shm files the same mode)."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def write_private(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` (created or replaced) readable by the service's user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), PRIVATE_FILE)
        f.write(data)
