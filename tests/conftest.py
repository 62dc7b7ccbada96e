"""Shared fixtures: a real SQLite file per test, the app, its test client and CLI runner."""

from __future__ import annotations

import browser_support as world
import pytest

from hotspots import create_app, storage
from hotspots.storage.schema import migrate


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "hotspots.web.db"


@pytest.fixture
def app(db_path, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "database": {"path": str(db_path)},
            "mail": {"transport": "outbox", "outbox_dir": str(tmp_path / "outbox")},
        }
    )
    app.instance_path = str(tmp_path / "instance")  # the test's own, never the checkout's
    db = storage.connect(db_path)
    migrate(db)
    db.close()
    return app


@pytest.fixture
def settings(app):
    return app.config["SETTINGS"]


@pytest.fixture
def db(db_path, app):
    """A connection of the test's own to the app's database file."""
    connection = storage.connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ids(db, settings):
    """The shared world of tests/browser_support.py (teams, staff, cases, their scores) in
    the test's database: {"teams": {...}, "staff": {...}, "cases": {...}}."""
    return world.build_world(db, settings)
