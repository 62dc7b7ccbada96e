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
    assert "Bruise seen at the health visit" in page.locator("#timeline ~ div").first.inner_text()
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

    assert page.locator("#observation-indicator").input_value() == ""  # a fresh form
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
    page.goto("/cases/N-0002")
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
    ("ada", "/admin/sessions", "signed-in"),
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
    assert serious_violations(page) == []


def test_pages_with_errors_have_no_serious_accessibility_violations(page):
    page.goto("/login")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert page.locator(".govuk-error-summary").is_visible()
    screenshot(page, "axe-login-errors")
    assert serious_violations(page) == []
    sign_in(page, "ann")
    page.goto("/cases/N-0003")
    page.fill("#adjustment-points", "lots")
    with page.expect_navigation():
        page.click("button:has-text('Add adjustment')")
    assert page.locator(".govuk-error-summary").is_visible()
    screenshot(page, "axe-case-errors")
    assert serious_violations(page) == []


STAFF_UPLOAD = b"email,name,role,team\nnia.new@example.org,Nia New,worker,North Team\n"


def test_an_admin_imports_a_file_from_the_browser_after_reading_its_dry_run(
    page, live_server, tmp_path
):
    live_server.app.config["SETTINGS"]["import"]["upload"]["folder"] = str(tmp_path / "up")
    sign_in(page, "ada")
    with page.expect_navigation():
        page.click("a:has-text('Import data')")
    screenshot(page, "axe-import-data")
    assert serious_violations(page) == []

    # A CSV renamed .xlsx: the error summary, focused, links to the file's errors.
    page.check("input[value='annex-a']")
    page.set_input_files(
        "#upload", files=[{"name": "annex-a.xlsx", "mimeType": "text/csv", "buffer": STAFF_UPLOAD}]
    )
    with page.expect_navigation():
        page.click("button:has-text('Check the file')")
    summary = page.locator(".govuk-error-summary")
    assert "The file has 1 error: nothing was imported" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.title().startswith("Error: ")
    assert "it looks like a CSV or text file" in page.locator(".app-import-errors").inner_text()
    screenshot(page, "axe-import-errors")
    assert serious_violations(page) == []

    # The staff CSV: the dry run's report, then the import on confirmation.
    page.goto("/admin/import")
    page.check("input[value='staff']")
    page.set_input_files(
        "#upload", files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": STAFF_UPLOAD}]
    )
    with page.expect_navigation():
        page.click("button:has-text('Check the file')")
    assert "Check the import of staff.csv" in page.locator("h1").inner_text()
    screenshot(page, "axe-import-dry-run")
    assert serious_violations(page) == []
    db = live_server.db()
    try:
        assert (
            db.execute("SELECT count(*) FROM staff WHERE email = 'nia.new@example.org'").fetchone()[
                0
            ]
            == 0
        )
        with page.expect_navigation():
            page.click("button:has-text('Import this file')")
        assert "staff.csv is imported" in page.locator("h1").inner_text()
        assert (
            db.execute("SELECT count(*) FROM staff WHERE email = 'nia.new@example.org'").fetchone()[
                0
            ]
            == 1
        )
    finally:
        db.close()
    screenshot(page, "axe-import-done")
    assert serious_violations(page) == []
    # The report stays with the audit record.
    page.goto("/admin/audit")
    with page.expect_navigation():
        page.locator("a:has-text('Report')").first.click()
    assert "Import report: staff.csv" in page.locator("h1").inner_text()
    screenshot(page, "axe-import-report-kept")


# --- partners' notifications about children not yet known (the API's unmatched queue) -------
# Here rather than in a module of their own: the session's one Chromium is this module's.


@pytest.fixture
def queued(live_server):
    """A police notice about an unknown case reference, sent over HTTP like a partner would."""
    import json
    import urllib.request

    from browser_support import NOW

    from hotspots import partners

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
    with page.expect_navigation():
        page.click("a:has-text('Not yet matched')")
    assert "no case has reference OLD-1" in page.content()
    with page.expect_navigation():
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
