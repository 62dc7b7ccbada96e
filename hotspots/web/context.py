"""What every page and the partners' API read of the app they run in: the clock and the
settings. Below both, so neither imports the other for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from hotspots.base.dates import service_now


def clock() -> datetime:
    """Now, in the service's time zone. Tests fix it with ``app.config["HOTSPOTS_NOW"]``
    (an aware datetime)."""
    return service_now(current_app.config)


def settings() -> dict[str, Any]:
    """The service's settings (config.toml and its overrides)."""
    return current_app.config["SETTINGS"]
