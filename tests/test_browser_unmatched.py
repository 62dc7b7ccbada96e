"""In real headless Chromium: a partner's notification about a child not yet known reaches
the manager's queue, and the manager attaches it to the child's case; the queue, an item and
the partners page pass axe-core."""

# The fixtures are imported by name, so a test's `page` argument shadows the imported
# fixture function, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import json
import urllib.request

import pytest
from browser_conftest_support import (  # noqa: F401 (fixtures)
    chromium,
    live_server,
    page,
    screenshot,
    serious_violations,
    sign_in,
)
from browser_support import NOW

from hotspots import partners

pytestmark = pytest.mark.browser


@pytest.fixture
def queued(live_server):
    """A police notice about an unknown case reference, sent over HTTP like a partner would."""
    db = live_server.db()
    token = partners.add(db, "police-ppn", "police", ["police"], now=NOW)
    db.close()
    body = json.dumps(
        {"id": "PPN-7", "case_ref": "OLD-1", "indicator": "ppn_high", "observed_on": "2026-03-01"}
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/observations",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["queued"] == 1
    return live_server


def test_a_manager_attaches_a_queued_notification_to_the_childs_case(page, queued):
    sign_in(page, "meg")
    page.click("a:has-text('Not yet matched')")
    assert "no case has reference OLD-1" in page.content()
    page.click("a:has-text('Police public protection notice graded high')")
    page.fill("#attach-case_ref", "N-0003")
    with page.expect_navigation():
        page.click("button:has-text('Attach to this case')")
    assert "Attached to case N-0003" in page.content()
    assert "Nothing is waiting to be matched" in page.content()
    page.goto("/cases/N-0003")
    assert "Police public protection notice graded high" in page.content()


@pytest.mark.parametrize(
    ("who", "path", "name"),
    [
        ("meg", "/unmatched", "unmatched-queue"),
        ("meg", "/unmatched/1", "unmatched-item"),
        ("ada", "/admin/partners", "partners"),
    ],
)
def test_the_queue_and_partners_pages_have_no_serious_accessibility_violations(
    page, queued, who, path, name
):
    sign_in(page, who)
    page.goto(path)
    screenshot(page, f"axe-{name}")
    assert serious_violations(page) == []


def test_an_attach_error_has_no_serious_accessibility_violations(page, queued):
    sign_in(page, "meg")
    page.goto("/unmatched/1")
    with page.expect_navigation():
        page.click("button:has-text('Attach to this case')")
    assert page.locator(".govuk-error-summary").is_visible()
    screenshot(page, "axe-unmatched-errors")
    assert serious_violations(page) == []
