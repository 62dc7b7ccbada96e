"""caseload hotspots: ranks each worker's caseload by accumulated risk indicators.

The package's layers, each importing only from its own or those below it (checked by
tests/test_layers.py; docs/development.md has the table): ``base`` (settings, dates, files),
``model`` (the pure model), ``storage`` (SQLite), ``services``, ``web`` (pages, API, forms),
the scheduler's ``jobs``, then ``cli`` and ``documents``; this module puts the web app and the
command line together."""

from __future__ import annotations

from typing import Any

from flask import Flask

from hotspots.base.config import ConfigError
from hotspots.cli import register_commands
from hotspots.web.app import TEMPLATES_DIR, build_app, check_secret_key, ensure_secret_key


def create_app(
    test_config: dict[str, Any] | None = None, *, require_secret_key: bool = True
) -> Flask:
    """The service: the web app (``hotspots.web.app.build_app``, which explains
    ``test_config`` and ``require_secret_key``) with every command on its ``app.cli``."""
    app = build_app(test_config, require_secret_key=require_secret_key)
    register_commands(app)
    return app


__all__ = [
    "TEMPLATES_DIR",
    "ConfigError",
    "build_app",
    "check_secret_key",
    "create_app",
    "ensure_secret_key",
]
