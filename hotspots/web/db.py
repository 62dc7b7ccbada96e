"""The database for the Flask app: one connection per request, cached on ``g``."""

from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

from hotspots import storage


def get_db() -> sqlite_utils.Database:
    """This request's (or CLI command's) connection, opened on first use."""
    if "db" not in g:
        settings = current_app.config["SETTINGS"]
        g.db = storage.connect(
            current_app.config["DATABASE"], settings["database"]["busy_timeout_ms"]
        )
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
