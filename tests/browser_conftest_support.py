"""Fixtures for the browser tests: the app served by a real WSGI server on loopback (a thread),
on a real SQLite file with the test authority in it, and Debian's Chromium driven by
playwright. Import the fixtures by name into a test module.

Screenshots go to test-artifacts/ (git-ignored) at the repository root.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import browser_support as world
import pytest
from werkzeug.serving import make_server

from hotspots import storage

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    def __init__(self, app, db_path: Path, ids: dict):
        self.app = app
        self.db_path = db_path
        self.ids = ids
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def db(self):
        return storage.connect(self.db_path)


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """The app (CSRF on, clock fixed at browser_support.NOW) on a fresh database file."""
    if not (ROOT / "hotspots" / "static" / "hotspots.css").exists():
        pytest.fail("hotspots/static is not built: run `make assets` (npm ci + build-assets.sh)")
    db_path = tmp_path / "hotspots.web.db"
    app = world.make_app(db_path, tmp_path, csrf=True)
    db = storage.connect(db_path)
    ids = world.build_world(db, app.config["SETTINGS"])
    db.close()
    server = LiveServer(app, db_path, ids).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) on the live server. JavaScript errors and a
    failed stylesheet, script or image fail the test (a page answering 400 or 404 on purpose
    does not)."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, key: str, password: str = world.PASSWORD) -> None:
    page.goto("/login")
    page.fill("#email", world.email(key))
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")


def serious_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's serious and critical violations on the page (or those of ``impacts``),
    one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]
