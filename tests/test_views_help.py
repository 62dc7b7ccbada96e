"""The pages about the service state facts the code knows: the privacy notice what the service
holds (from hotspots.privacy), the accessibility statement the problems the pages have."""

from __future__ import annotations

import html
from pathlib import Path

import browser_support as world
import pytest

from hotspots import privacy


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def test_the_privacy_notice_says_everything_in_the_register_nhs_numbers_included(client, ids):
    page = html.unescape(client.get("/privacy").get_data(as_text=True))
    for held in privacy.REGISTER:
        assert held.what in page
    assert "NHS number" in page
    assert "No child's name or address is held" in page
    assert "No child's name, address or NHS number is held" not in page
    assert "lasts at most 10 hours" in page and "30 minutes without activity" in page


def test_the_accessibility_statement_describes_the_pages_as_they_are(client, ids):
    """Its problems are the ones the pages have: nothing scrolls sideways on a phone (every
    page is checked at 375 px in tests/test_browser.py), and the reasons the lists clamp to two
    lines (the stylesheet's app-reasons-line) are said to be cut."""
    page = html.unescape(client.get("/accessibility").get_data(as_text=True))
    problems = page[page.index('data-testid="known-problems"') :]
    problems = problems[: problems.index("</ul>")]
    assert "scroll sideways" not in problems
    assert "375-pixel-wide phone screen without scrolling sideways" in page
    build = Path(__file__).resolve().parent.parent / "scripts" / "build-assets.sh"
    assert "-webkit-line-clamp: 2" in build.read_text()
    assert "cut to two lines" in problems
