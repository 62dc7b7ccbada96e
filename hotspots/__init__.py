"""caseload hotspots: ranks each worker's caseload by accumulated risk indicators."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from hotspots.config import ConfigError, load_config

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app. ``test_config`` is a nested dict of settings applied over
    config.toml and the environment (``{"database": {"path": ...}}``), plus optional
    Flask keys in upper case (``{"TESTING": True}``)."""
    test_config = dict(test_config or {})
    flask_keys = {k: test_config.pop(k) for k in list(test_config) if k.isupper()}
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), instance_relative_config=True)
    settings = load_config(overrides=test_config)
    app.config["SETTINGS"] = settings
    app.config["DATABASE"] = settings["database"]["path"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=settings["app"]["session_idle_minutes"]
    )
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SECRET_KEY"] = _secret_key(app, settings)
    app.config.update(flask_keys)

    from hotspots import db, views

    db.init_app(app)
    views.init_app(app)

    from hotspots.cli import register_commands

    register_commands(app)
    return app


def _secret_key(app: Flask, settings: dict[str, Any]) -> str | None:
    import os

    if os.environ.get("HOTSPOTS_SECRET_KEY"):
        return os.environ["HOTSPOTS_SECRET_KEY"]
    path = Path(app.instance_path) / settings["app"]["secret_key_file"]
    if path.exists():
        return path.read_text().strip()
    return None


def ensure_secret_key(app: Flask) -> Path:
    """Create the instance folder's secret key file if there is none; return its path."""
    path = Path(app.instance_path) / app.config["SETTINGS"]["app"]["secret_key_file"]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()
    return path


__all__ = ["ConfigError", "create_app", "ensure_secret_key"]
