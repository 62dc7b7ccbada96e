"""The Flask app: its settings, secret key, database connection, pages and API. The command
line's commands are added by the package's ``create_app`` (``hotspots/__init__.py``)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from hotspots import storage
from hotspots.base import logs
from hotspots.base.config import ConfigError, load_config
from hotspots.base.files import private_dir
from hotspots.base.resources import TEMPLATES_DIR
from hotspots.web import db, pages


class Service(Flask):
    """Flask, logging an unhandled exception by its route rather than its path (a path may
    hold a case reference), and its traceback without the exception's message (which may
    quote what was sent): see ``hotspots.base.logs.WithholdMessages``."""

    def log_exception(self, exc_info) -> None:
        from flask import request

        self.logger.error(
            "Exception on %s %s",
            request.method,
            request.endpoint or "(no route)",
            exc_info=exc_info,
        )


def build_app(
    test_config: dict[str, Any] | None = None, *, require_secret_key: bool = True
) -> Flask:
    """Build the Flask app, without the command line's commands. ``test_config`` is a nested
    dict of settings applied over config.toml and the environment (``{"database": {"path":
    ...}}``), plus optional Flask keys in upper case (``{"TESTING": True}``).

    Raises SQLiteTooOld, naming the version found and the one needed, when Python's SQLite
    is older than the database needs (``hotspots.storage.SQLITE_FLOOR``).

    Raises ConfigError when there is no secret key (``HOTSPOTS_SECRET_KEY`` or the instance
    folder's key file), so a web server fails at start with a message rather than answering
    500 to every page; the command line passes ``require_secret_key=False`` (``hotspots
    init-db`` creates the key, and ``hotspots run`` checks it before serving)."""
    storage.check_sqlite_version()
    test_config = dict(test_config or {})
    flask_keys = {k: test_config.pop(k) for k in list(test_config) if k.isupper()}
    # Named for the package, so its static folder and instance folder are the package's.
    app = Service("hotspots", template_folder=str(TEMPLATES_DIR), instance_relative_config=True)
    settings = load_config(overrides=test_config)
    app.config["SETTINGS"] = settings
    app.config["DATABASE"] = settings["database"]["path"]
    # The cookie lives as long as a session can (the server decides when one ends, idle or
    # not): a browser that dropped it at the idle limit would lose the form it was sending,
    # and with it the text the timeout warning promised to keep. CSRF tokens last as long.
    lifetime = timedelta(hours=settings["security"]["session_absolute_hours"])
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    app.config["WTF_CSRF_TIME_LIMIT"] = int(lifetime.total_seconds())
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings["security"]["https_only"]
    app.config["SECRET_KEY"] = _secret_key(app, settings)
    app.config.update(flask_keys)
    if require_secret_key:
        check_secret_key(app)
    proxies = settings["security"]["trusted_proxies"]
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    app.logger.addFilter(logs.WithholdMessages())
    db.init_app(app)
    pages.init_app(app)
    # Access logs read each path against the URL rules: a case_ref variable is masked.
    app.wsgi_app = logs.LoggedPaths(
        app.wsgi_app, app.url_map, keep_case_refs=settings["security"]["log_case_refs"]
    )

    return app


def _secret_key(app: Flask, settings: dict[str, Any]) -> str | None:
    if os.environ.get("HOTSPOTS_SECRET_KEY"):
        return os.environ["HOTSPOTS_SECRET_KEY"]
    path = Path(app.instance_path) / settings["app"]["secret_key_file"]
    if path.exists():
        return path.read_text().strip()
    return None


def check_secret_key(app: Flask) -> None:
    """Raise ConfigError, saying how to make one, when the app has no secret key."""
    if not app.config.get("SECRET_KEY"):
        path = Path(app.instance_path) / app.config["SETTINGS"]["app"]["secret_key_file"]
        raise ConfigError(
            f"no secret key: set HOTSPOTS_SECRET_KEY, or run `hotspots init-db` to create "
            f"{path} (the key signs every session cookie; the app will not start without it)"
        )


def ensure_secret_key(app: Flask) -> Path:
    """Create the instance folder's secret key file if there is none; return its path."""
    path = Path(app.instance_path) / app.config["SETTINGS"]["app"]["secret_key_file"]
    if not path.exists():
        private_dir(path.parent)
        # Created readable by the service's user only, never world-readable for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()
    return path


__all__ = ["build_app", "check_secret_key", "ensure_secret_key"]
