"""The web interface in real headless Chromium against a real server: the morning flow with a
mouse and with the keyboard alone, axe-core on every page, and a screenshot of each page in
test-artifacts/."""

# The fixtures are imported by name (conftest.py is not ours to extend), so a test's `page`
# argument shadows the imported fixture function, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import re

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


def row(page, case_ref: str):
    return page.locator(f"tr[data-case-ref='{case_ref}']")


def rank_of(page, case_ref: str) -> str:
    return row(page, case_ref).locator(".app-rank").inner_text().strip()


def score_on_case_page(page) -> float:
    return float(page.locator(".app-score-value").inner_text())


def test_a_worker_records_an_observation_and_sees_the_score_and_rank_change(page):
    sign_in(page, "ann")
    assert page.url.endswith("/caseload")
    assert page.locator("h1").inner_text() == "My caseload"
    assert rank_of(page, "N-0002") == "3"
    screenshot(page, "caseload")

    with page.expect_navigation():
        page.click("a:has-text('N-0002')")
    assert page.locator("h1").inner_text() == "Case N-0002"
    before = score_on_case_page(page)
    assert page.locator("[data-testid=rank]").inner_text().strip() == "3"
    screenshot(page, "case")

    with page.expect_navigation():
        page.click("#actions ~ ul a:has-text('Record an observation')")
    page.select_option("#observation-indicator", "previous_injury")
    page.fill("#observation-observed_on-day", "2")
    page.fill("#observation-observed_on-month", "3")
    page.fill("#observation-observed_on-year", "2026")
    page.select_option("#observation-source", "health_visiting")
    page.fill("#observation-note", "Bruise seen at the health visit")
    with page.expect_navigation():
        page.click("button:has-text('Record observation')")

    banner = page.locator(".govuk-notification-banner")
    assert "Observation recorded" in banner.inner_text()
    assert "rank 2 in the caseload" in banner.inner_text()
    after = score_on_case_page(page)
    assert after == pytest.approx(before + 10.0, abs=0.1)
    assert page.locator("[data-testid=rank]").inner_text().strip() == "2"
    page.click("#timeline summary")
    assert "Bruise seen at the health visit" in page.locator("#timeline").inner_text()
    screenshot(page, "case-after-observation")

    with page.expect_navigation():
        page.click("text=My caseload")
    assert rank_of(page, "N-0002") == "2"
    assert rank_of(page, "N-0003") == "3"


def tab_to(page, matches, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies ``matches`` (a JS predicate on
    document.activeElement)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {matches})(document.activeElement)"):
            return
    raise AssertionError(f"never reached an element where {matches}")


def test_the_same_flow_works_with_the_keyboard_alone(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    tab_to(page, "el.id === 'email'")
    page.keyboard.type("ann.worker@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    with page.expect_navigation(url=re.compile(r"/caseload$")):
        page.keyboard.press("Enter")

    tab_to(page, "el.textContent.trim() === 'N-0002'")
    with page.expect_navigation(url=re.compile(r"/cases/N-0002$")):
        page.keyboard.press("Enter")
    before = score_on_case_page(page)

    tab_to(page, "el.textContent.trim() === 'Record an observation'")
    with page.expect_navigation(url=re.compile(r"/cases/N-0002/observations$")):
        page.keyboard.press("Enter")
    tab_to(page, "el.id === 'observation-indicator'")
    page.keyboard.type("Previous injury")
    tab_to(page, "el.id === 'observation-observed_on-day'")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("2026")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "observation-source"
    page.keyboard.type("Police")
    tab_to(page, "el.textContent.trim() === 'Record observation'")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith("/cases/N-0002")  # back on the case
    assert "rank 2 in the caseload" in page.locator(".govuk-notification-banner").inner_text()
    assert score_on_case_page(page) == pytest.approx(before + 10.0, abs=0.1)
    screenshot(page, "case-keyboard-only")

    # Back to the caseload by keyboard, through the service navigation.
    page.keyboard.press("Home")
    tab_to(page, "el.textContent.trim() === 'My caseload'")
    with page.expect_navigation(url=re.compile(r"/caseload$")):
        page.keyboard.press("Enter")
    assert rank_of(page, "N-0002") == "2"


def test_bad_input_shows_the_error_summary_which_links_to_the_field(page):
    sign_in(page, "ann")
    page.goto("/cases/N-0002/observations")
    with page.expect_navigation():
        page.click("button:has-text('Record observation')")
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.title().startswith("Error: ")
    screenshot(page, "case-with-errors")
    summary.locator("a:has-text('Enter the date observed')").click()
    assert page.evaluate("document.activeElement.id") == "observation-observed_on-day"


def test_signing_out_from_the_navigation(page):
    sign_in(page, "ann")
    with page.expect_navigation():
        page.click("button:has-text('Sign out')")
    assert page.url.endswith("/login")
    assert "You have signed out." in page.locator(".govuk-notification-banner").inner_text()
    page.goto("/caseload")
    assert "/login" in page.url


PAGES = [
    # (who signs in, path, screenshot name)
    (None, "/login", "login"),
    ("ann", "/caseload", "caseload-worker"),
    ("ann", "/caseload?band=red", "caseload-filtered"),
    ("ann", "/cases/N-0001", "case-hotspot"),
    ("ann", "/cases/N-0001/observations/1/status", "observation-status"),
    ("ann", "/cases/S-0001", "not-found"),
    ("ann", "/team", "forbidden"),
    ("meg", "/team", "team"),
    ("meg", "/cases/N-0005", "case-unallocated"),
    ("ada", "/team", "team-choose"),
    ("ada", "/admin/audit", "audit"),
    # A change's own page, for each change, and the corrections.
    ("ann", "/cases/N-0002/visits", "record-visit"),
    ("ann", "/cases/N-0002/observations", "record-observation"),
    ("ann", "/cases/N-0002/enquiries", "record-enquiry"),
    ("ann", "/cases/N-0002/adjustments", "adjust-priority"),
    ("ann", "/cases/N-0002/reviews", "mark-reviewed"),
    ("ann", "/cases/N-0001/enquiries/1/error", "enquiry-in-error"),
    # Finding a case, the pages about the service, and a wrong method.
    ("meg", "/search?q=NB", "search-results"),
    ("meg", "/search?q=ZZ", "search-no-results"),
    ("meg", "/search?q=", "search-empty"),
    ("ann", "/how-scores-work", "how-scores-work"),
    (None, "/help", "help"),
    (None, "/accessibility", "accessibility"),
    (None, "/privacy", "privacy"),
    ("ann", "/logout", "method-not-allowed"),
    # The digest area's pages, which extend this area's base template.
    ("meg", "/digest", "digest-preview"),
    ("meg", "/digests", "digests-sent"),
    ("ada", "/admin/digests", "digests-failed"),
]


@pytest.mark.parametrize(("who", "path", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_every_page_has_no_serious_accessibility_violations(page, who, path, name):
    if who:
        sign_in(page, who)
    page.goto(path)
    screenshot(page, f"axe-{name}")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []


def test_pages_with_errors_have_no_serious_accessibility_violations(page):
    page.goto("/login")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert page.locator(".govuk-error-summary").is_visible()
    screenshot(page, "axe-login-errors")
    assert serious_violations(page) == []
    sign_in(page, "ann")
    page.goto("/cases/N-0003/adjustments")
    page.fill("#adjustment-points", "lots")
    with page.expect_navigation():
        page.click("button:has-text('Add adjustment')")
    assert page.locator(".govuk-error-summary").is_visible()
    screenshot(page, "axe-case-errors")
    assert serious_violations(page) == []
