"""The partnership's pages in real headless Chromium: a partnership member records a serious
incident and reads its look-back, downloads a table, is refused a case page, and every page is
checked with axe-core and at a phone's width."""

# The fixtures are imported by name, so a test's `page` argument shadows the imported one.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io

import browser_support as world
import pytest
from browser_conftest_support import (  # noqa: F401 (fixtures)
    chromium,
    live_server,
    page,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = pytest.mark.browser

LEAD = ("lee.lead@example.org", "Lee Lead", "partnership", None)


@pytest.fixture
def lead(live_server, monkeypatch):
    db = live_server.db()
    db["staff"].insert(
        {
            "email": LEAD[0],
            "name": LEAD[1],
            "role": "partnership",
            "team_id": None,
            "password_hash": world._HASH,
        }
    )
    db.close()
    monkeypatch.setitem(world.STAFF, "lee", LEAD)
    return "lee"


def record_an_incident(page) -> None:
    with page.expect_navigation():
        page.click("a:has-text('Record a serious incident')")
    page.fill("#case_ref", "N-0001")
    for field, (day, month, year) in (("occurred_on", (25, 2, 2026)), ("known_on", (26, 2, 2026))):
        page.fill(f"#{field}-day", str(day))
        page.fill(f"#{field}-month", str(month))
        page.fill(f"#{field}-year", str(year))
    page.check("input[name=harm][value=serious_harm]")
    page.check("input[name=abuse_or_neglect][value=suspected]")
    page.fill("#summary", "Bruising found at the GP.")
    with page.expect_navigation():
        page.click("button:has-text('Record the incident')")


def test_a_partnership_member_records_an_incident_and_reads_what_the_service_knew(page, lead):
    sign_in(page, lead)
    assert page.url.endswith("/partnership")
    assert page.locator("h1").inner_text() == "The safeguarding partnership"
    assert page.locator("#header-search").count() == 0
    screenshot(page, "partnership")
    record_an_incident(page)
    assert "The incident is recorded" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("[data-testid=notify-panel-by]").inner_text().startswith("5 March 2026")
    first_red = page.locator("[data-testid=first-red]").inner_text()
    assert first_red.startswith("A hotspot from 23 February 2026")
    assert "In hindsight" in page.locator("main").inner_text()
    screenshot(page, "partnership-incident")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []

    with page.expect_download() as download:
        page.click("a:has-text('Download the look-back day by day')")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    assert len(rows) == 90 and rows[0]["case_ref"] == "N-0001"

    with page.expect_navigation():
        page.click("a:has-text('Back to the partnership')")
    due = page.locator("#deadlines ~ table").first.inner_text()
    assert "Notify the Panel and tell the partners" in due and "Due in 3 working days" in due


def test_the_partnership_forms_show_their_errors_where_they_are(page, lead):
    sign_in(page, lead)
    page.goto("/partnership/incidents/new")
    with page.expect_navigation():
        page.click("button:has-text('Record the incident')")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible() and "Enter the child's case reference" in summary.inner_text()
    screenshot(page, "partnership-incident-errors")
    assert serious_violations(page) == []


def test_a_partnership_member_opening_a_case_is_refused(page, lead):
    sign_in(page, lead)
    response = page.goto("/cases/N-0001")
    assert response.status == 403
    assert "N-0001" not in page.locator("main").inner_text()
    assert page.goto("/caseload").status == 403


@pytest.mark.parametrize("path", ["/partnership", "/partnership/incidents/new", "/workforce"])
def test_the_partnership_pages_pass_axe_and_fit_a_phone(page, lead, path):
    sign_in(page, lead)
    page.goto(path)
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(path)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 375, f"{path} scrolls sideways at 375 px ({wide} px wide)"
    screenshot(page, f"partnership-phone{path.replace('/', '-')}")


def test_a_manager_reads_the_load_on_their_team(page, lead):
    sign_in(page, "meg")
    with page.expect_navigation():
        page.click(".govuk-service-navigation a:has-text('Workforce')")
    table = page.locator("main table").first.inner_text()
    assert "Ann Worker" in table and "Cat Worker" not in table
    screenshot(page, "workforce-manager")
