"""The web interface in real headless Chromium against a real server: the morning flow with a
mouse and with the keyboard alone, axe-core on every page, and a screenshot of each page in
test-artifacts/."""

# The fixtures are imported by name (conftest.py is not ours to extend), so a test's `page`
# argument shadows the imported fixture function, as pytest intends.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re

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
    page.keyboard.type("lantern orchard ribbon 47")
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
    # The team's sections, one worker's share, and allocating a case.
    ("meg", "/team/hotspots", "team-section"),
    ("meg", "/team?worker=2", "team-one-worker"),
    ("meg", "/team/allocate/N-0005", "allocate"),
    ("ann", "/caseload?visit_overdue=1&sort=visit_due", "caseload-filtered-sorted"),
    ("ann", "/caseload?band=purple", "caseload-not-a-band"),
    # People, for admins, and a dead one-time link.
    ("ada", "/admin/people", "people"),
    ("ada", "/admin/people/new", "add-person"),
    ("ada", "/admin/people/1", "person"),
    (None, "/password/not-a-real-token", "password-link-dead"),
    ("ada", "/admin/sessions", "signed-in"),
    ("ann", "/account/password", "change-password"),
    # The digest area's pages, which extend this area's base template.
    ("meg", "/digest", "digest-preview"),
    ("meg", "/digests", "digests-sent"),
    ("ada", "/admin/digests", "digests-failed"),
    # Follow-through: actions, moving cases, disabling someone who holds cases.
    ("ann", "/cases/N-0002/actions", "add-action"),
    ("meg", "/team/awaiting-review", "team-awaiting-review"),
    ("meg", "/team/allocate/N-0001", "move-one-case"),
    ("meg", "/team/workers/1/move", "move-cases"),
    ("ada", "/admin/people/1/disable", "disable-person"),
    ("ada", "/admin/audit?date_from=garbage", "audit-bad-filter"),
    ("ada", "/admin/disagreements", "disagreements"),
    # The evidence before scoring is switched on: the fairness report, and a day it cannot do.
    ("ada", "/admin/fairness", "fairness"),
    ("ada", "/cases/N-0001/observations/1/dispute", "record-dispute"),
    ("ada", "/admin/fairness?as_of=2025-13-01", "fairness-not-a-day"),
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


# --- a worker's day: visits, finding a case, a phone, printing, the timeout -------------------


def test_a_worker_records_a_visit_and_the_overdue_visit_clears(page):
    sign_in(page, "ann")
    page.goto("/cases/N-0002")
    visits = page.locator("[data-testid=visits]")
    assert "(overdue)" in visits.inner_text()
    before = score_on_case_page(page)
    with page.expect_navigation():
        page.click("[data-testid=next-steps] a:has-text('Visit the child')")
    assert page.locator("h1").inner_text() == "Record a visit"
    page.fill("#visit-visited_on-day", "2")
    page.fill("#visit-visited_on-month", "3")
    page.fill("#visit-visited_on-year", "2026")
    page.check("input[name=visit-seen][value=seen_alone]")
    page.fill("#visit-note", "Baby feeding well")
    screenshot(page, "record-visit-filled")
    with page.expect_navigation():
        page.click("button:has-text('Record visit')")
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert "Visit recorded for 2 March 2026." in banner
    assert "(overdue)" not in page.locator("[data-testid=visits]").inner_text()
    assert score_on_case_page(page) == pytest.approx(before - 2.0, abs=0.05)
    page.click("#visits summary")
    assert "Baby feeding well" in page.locator("#visits").inner_text()
    screenshot(page, "case-after-visit")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []


def test_a_manager_finds_a_case_from_the_header_of_any_page(page):
    sign_in(page, "meg")
    page.goto("/team")
    page.fill("#header-search", "n-0004")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/cases/N-0004")
    page.fill("#header-search", "S-0001")  # another team's case: not found for Meg
    with page.expect_navigation():
        page.click(".app-search button")
    assert "No case you can see" in page.locator("[data-testid=no-results]").inner_text()


def test_no_page_scrolls_sideways_on_a_phone(page):
    """Every page of PAGES at 375 px (a small phone), as the role that sees it."""
    page.set_viewport_size({"width": 375, "height": 812})
    too_wide = []
    for who in (None, "ann", "meg", "ada"):
        if who:
            sign_in(page, who)
        for signed_in, path, name in PAGES:
            if signed_in != who:
                continue
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 375:
                too_wide.append(f"{name} ({path}): {width} px")
        page.goto("about:blank")  # leave the last page (and its timers) before the cookies go
        page.context.clear_cookies()  # the next role signs in afresh
    assert too_wide == []


@pytest.fixture
def full_caseload(live_server):
    """Ann with 14 more open cases (21 with the test authority's), several of them hotspots
    awaiting a review or with actions open: a morning's real caseload."""
    from datetime import timedelta

    import browser_support as world

    from hotspots import rescoring

    db = live_server.db()
    ann = live_server.ids["staff"]["ann"]
    indicators = ["previous_injury", "domestic_abuse", "substance_misuse", "parental_conflict"]
    for n in range(14):
        case_id = db["cases"].insert({
            "case_ref": f"N-2{n:03d}", "initials": "QZ", "date_of_birth": "2025-06-01",
            "team_id": live_server.ids["teams"]["north"], "worker_id": ann,
            "opened_on": "2025-12-01", "visit_every_days": 14,
            "last_visit_on": (world.TODAY - timedelta(days=n * 2)).isoformat(), "status": "open",
        }).last_pk  # fmt: skip
        for k, indicator in enumerate(indicators[: 1 + n % 4]):
            db["observations"].insert({
                "external_id": f"full:{n}:{k}", "case_id": case_id, "indicator": indicator,
                "observed_on": (world.TODAY - timedelta(days=n + k)).isoformat(),
                "source": ["police", "gp", "school", "health_visiting"][k], "status": "current",
                "note": "", "recorded_at": "2026-02-01T10:00:00+00:00",
            })  # fmt: skip
        if n % 3 == 0:
            db["actions"].insert({
                "case_id": case_id, "kind": "joint_visit_health_visitor", "owner_id": ann,
                "due_on": (world.TODAY + timedelta(days=n - 4)).isoformat(),
                "created_by_id": ann, "created_at": "2026-02-20T10:00:00.000000+00:00",
            })  # fmt: skip
    settings = live_server.app.config["SETTINGS"]
    rescoring.rescore_changed(db, settings, as_of=world.TODAY, now=world.NOW)
    db.close()


def test_my_caseload_shows_at_least_eight_cases_on_a_laptop_screen(page, full_caseload):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "ann")
    assert page.locator("#filters").evaluate("d => d.open") is False  # filters folded away
    rows = page.locator("tr[data-case-ref]")
    assert rows.count() == 17
    visible = page.evaluate(
        """() => [...document.querySelectorAll('tr[data-case-ref]')]
             .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )
    screenshot(page, "caseload-laptop")
    assert visible >= 8, f"only {visible} cases on the first screen"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_the_team_page_leads_with_who_carries_the_most(page):
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, "meg")
    top = page.locator("[data-testid=caseloads]").bounding_box()["y"]
    assert top < 500, f"the caseloads start {top} px down"
    screenshot(page, "team-laptop")


def test_the_case_page_fits_a_phone_without_sideways_scrolling(page):
    sign_in(page, "ann")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/cases/N-0001")
    for section in page.locator("details summary").all():
        section.click()  # every folded section open: the widest the page gets
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide at 375 px"
    screenshot(page, "case-phone")
    page.goto("/cases/N-0001/adjustments")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_caseload_reads_as_one_block_per_case_on_a_phone(page):
    sign_in(page, "ann")
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/caseload")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the caseload is {width} px wide at 375 px"
    first = page.locator("tr[data-case-ref]").first
    assert first.locator("td[data-label='Why it ranks here']").is_visible()
    label = first.locator("td[data-label='Next visit']").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Next visit"'  # each cell says what it is
    screenshot(page, "caseload-phone")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("thead").first.is_visible()  # a table again on a wide screen


def test_the_team_page_fits_a_phone_without_sideways_scrolling(page):
    sign_in(page, "meg")
    page.set_viewport_size({"width": 375, "height": 812})
    for path in ("/team", "/team/hotspots"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide at 375 px"
    screenshot(page, "team-section-phone")


def test_the_case_prints_its_content_without_navigation_or_forms(page):
    sign_in(page, "ann")
    page.goto("/cases/N-0001")
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("#timeline").evaluate("d => d.open")
    assert page.locator(".govuk-header").is_hidden()
    assert page.locator(".app-header-search").is_hidden()
    assert page.locator(".app-actions").is_hidden()
    assert page.locator(".govuk-footer").is_hidden()
    assert page.locator("#timeline").inner_text().count("Observed") == 3
    pdf = page.pdf(format="A4")
    sheets = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    screenshot(page, "case-print")
    assert 1 <= sheets <= 3, f"the case prints on {sheets} A4 sheets"  # 7, with empty forms
    assert page.locator("a:has-text('Resolve or refute')").first.is_hidden()


def test_the_timeout_warning_offers_to_stay_signed_in(page, live_server):
    page.clock.install()
    sign_in(page, "ann")
    page.goto("/cases/N-0002")
    dialog = page.locator("#app-timeout")
    assert dialog.is_hidden()
    page.clock.fast_forward("28:01")  # 2 minutes before the 30-minute sign-out
    assert dialog.is_visible()
    assert "You will be signed out soon" in dialog.inner_text()
    assert page.evaluate("document.activeElement.id") == "app-timeout-title"
    screenshot(page, "timeout-warning")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    with page.expect_response("**/session/keep-alive") as answer:
        page.click("button:has-text('Stay signed in')")
    assert answer.value.ok
    assert dialog.is_hidden()
    page.clock.fast_forward("27:00")
    assert dialog.is_hidden()  # the countdown started again


def test_a_review_typed_before_the_session_ends_comes_back_after_signing_in(page, live_server):
    from datetime import timedelta

    import browser_support as world

    page.clock.install()
    sign_in(page, "ann")
    page.goto("/cases/N-0002/reviews")
    page.check("input[name=review-decision][value=disagree]")
    page.fill("#review-disagree_reason", "Seen at home on Monday: the missed appointment was moved")
    live_server.app.config["HOTSPOTS_NOW"] = world.NOW + timedelta(minutes=31)
    page.clock.fast_forward("30:01")
    dialog = page.locator("#app-timeout")
    # The page asks the server, which decides (and ends the session).
    page.wait_for_selector("#app-timeout-title:has-text('You have been signed out')")
    assert "You have been signed out" in dialog.inner_text()
    screenshot(page, "timeout-signed-out")
    with page.expect_navigation(url=re.compile(r"/login\?next=")):
        page.click("button:has-text('Sign in again')")
    assert "what you typed will be back" in page.locator(".govuk-notification-banner").inner_text()
    page.fill("#email", world.email("ann"))
    page.fill("#password", world.PASSWORD)
    with page.expect_navigation(url=re.compile(r"/cases/N-0002/reviews$")):
        page.click("button:has-text('Sign in')")
    assert page.locator("#review-disagree_reason").input_value() == (
        "Seen at home on Monday: the missed appointment was moved"
    )
    assert page.locator("input[name=review-decision][value=disagree]").is_checked()
    page.check("input[name=review-disagreed]")
    with page.expect_navigation(url=re.compile(r"/cases/N-0002$")):
        page.click("button:has-text('Record the review')")
    assert "Review recorded" in page.locator(".govuk-notification-banner").inner_text()


def test_a_manager_agrees_an_action_the_worker_sees_and_records_as_done(
    page, chromium, live_server
):
    sign_in(page, "meg")
    page.goto("/cases/N-0001")
    with page.expect_navigation():
        page.click("#actions ~ ul a:has-text('Review the case')")
    with page.expect_navigation():
        page.click("button:has-text('Record the review')")  # nothing chosen: what is missing
    assert page.locator(".govuk-error-summary").is_visible()
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.check("input[name=review-decision][value=act]")
    page.select_option("#review-actions-0-kind", "joint_visit_health_visitor")
    page.fill("#review-actions-0-description", "About the bruise seen last week")
    page.select_option("#review-actions-0-owner", label="Ann Worker")
    page.fill("#review-actions-0-due_on-day", "4")
    page.fill("#review-actions-0-due_on-month", "3")
    page.fill("#review-actions-0-due_on-year", "2026")
    screenshot(page, "review-agree")
    with page.expect_navigation():
        page.click("button:has-text('Record the review')")
    assert "1 action agreed" in page.locator(".govuk-notification-banner").inner_text()
    assert (
        "Joint visit with the health visitor"
        in page.locator("[data-testid=open-actions]").inner_text()
    )

    worker = chromium.new_context(base_url=live_server.url).new_page()
    try:
        sign_in(worker, "ann")
        worker.click("#owned summary")
        owned = worker.locator("[data-testid=owned-actions]")
        assert "N-0001" in owned.inner_text() and "due by 4 March 2026" in owned.inner_text()
        with worker.expect_navigation():
            owned.locator("a").first.click()
        assert serious_violations(worker, impacts=("moderate", "serious", "critical")) == []
        worker.check("input[name=close-state][value=done]")
        worker.fill("#close-outcome", "Seen with the health visitor; the bruise has healed")
        with worker.expect_navigation():
            worker.click("button:has-text('Save')")
        assert "Action done" in worker.locator(".govuk-notification-banner").inner_text()
        assert "No action is open." in worker.content()
    finally:
        worker.context.close()


@pytest.fixture
def short_idle_server(tmp_path):
    """The test authority served with a 1-minute idle limit, on the real clock (the browser's
    cookie store keeps real time, whatever a page's clock says)."""
    import browser_support as world
    from browser_conftest_support import LiveServer

    from hotspots import storage

    db_path = tmp_path / "hotspots.db"
    app = world.make_app(
        db_path,
        tmp_path,
        csrf=True,
        now=None,
        # No warning first (a warning as long as the limit would open at once, over the form).
        app={"session_idle_minutes": 1, "session_warning_minutes": 0},
    )
    db = storage.connect(db_path)
    ids = world.build_world(db, app.config["SETTINGS"])
    db.close()
    server = LiveServer(app, db_path, ids).start()
    yield server
    server.stop()


def test_text_typed_on_a_form_comes_back_after_a_real_idle_sign_out(chromium, short_idle_server):
    """The cookie outlives the idle limit (the server decides), so the form sent by "Sign in
    again" still reaches the server, which keeps what was typed; the session is ended on the
    server as the dialog says so, and the dialog offers no "Sign out" once signed out."""
    import browser_support as world

    context = chromium.new_context(base_url=short_idle_server.url)
    page = context.new_page()
    try:
        sign_in(page, "ann")
        page.goto("/cases/N-0002/reviews")
        page.fill("#review-disagree_reason", "Joint visit with the health visitor on Monday")
        dialog = page.locator("#app-timeout")
        # A real minute passes with nothing sent: the browser keeps (or drops) the cookie.
        page.wait_for_selector(
            "#app-timeout-title:has-text('You have been signed out')", timeout=90_000
        )
        assert page.locator("[data-timeout-action=sign-out]").is_hidden()
        assert dialog.locator("button:has-text('Sign in again')").is_visible()
        with short_idle_server.db() as db:
            ended = db.execute("SELECT ended_at, ended_reason FROM sessions").fetchall()
        assert [reason for _, reason in ended] == ["idle"], "ended on the server, committed"
        with page.expect_navigation(url=re.compile(r"/login\?next=")):
            page.click("button:has-text('Sign in again')")
        banner = page.locator(".govuk-notification-banner").inner_text()
        assert "what you typed will be back" in banner
        page.fill("#email", world.email("ann"))
        page.fill("#password", world.PASSWORD)
        with page.expect_navigation(url=re.compile(r"/cases/N-0002/reviews$")):
            page.click("button:has-text('Sign in')")
        assert page.locator("#review-disagree_reason").input_value() == (
            "Joint visit with the health visitor on Monday"
        )
    finally:
        context.close()


def test_an_admin_adds_a_person_who_sets_a_password_and_signs_in(page, chromium, live_server):
    sign_in(page, "ada")
    page.goto("/admin/people/new")
    with page.expect_navigation():
        page.click("button:has-text('Add person')")
    assert page.locator(".govuk-error-summary").is_visible()
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.fill("#name", "Nia New")
    page.fill("#email", "nia.new@example.org")
    page.check("input[name=role][value=worker]")
    page.select_option("#team", label="North Team")
    with page.expect_navigation():
        page.click("button:has-text('Add person')")
    link = page.locator("[data-testid=password-link]").inner_text().strip()
    screenshot(page, "person-added")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    path = link[link.index("/password/") :]
    newcomer = chromium.new_context(base_url=live_server.url).new_page()
    newcomer.goto(path)
    newcomer.fill("#password", "a long passphrase")
    newcomer.fill("#confirm", "a long passphrase")
    assert serious_violations(newcomer, impacts=("moderate", "serious", "critical")) == []
    with newcomer.expect_navigation():
        newcomer.click("button:has-text('Set password')")
    newcomer.fill("#email", "nia.new@example.org")
    newcomer.fill("#password", "a long passphrase")
    with newcomer.expect_navigation():
        newcomer.click("button:has-text('Sign in')")
    assert newcomer.locator("h1").inner_text() == "My caseload"
    newcomer.context.close()


STAFF_UPLOAD = (
    b"email,name,role,team\nnia.new@example.org,Nia New,worker,North Team\n"
    b"dan.new@example.org,Dan New,worker,Dereham\n"
)


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
    # A new team with no manager: the warning says so, and how to set one, where it is read.
    warnings = page.locator(".app-import-warnings")
    assert warnings.is_visible()
    assert "Team 'Dereham' has no manager, so no digest goes out" in warnings.inner_text()
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


def test_a_family_disputes_a_record_an_admin_records_it_and_the_worker_decides(page, live_server):
    """The correction route by keyboard and mouse: the admin records the dispute, the worker
    sees the record marked on the case page (and its score lower), decides it stands, and the
    score is back; each page checked with axe."""
    sign_in(page, "ada")
    page.goto("/cases/N-0001")
    before = score_on_case_page(page)
    page.click("summary:has-text('Indicator timeline')")
    with page.expect_navigation():
        page.click("a:has-text('Record a dispute') >> nth=0")
    screenshot(page, "axe-record-dispute-form")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.check("input[value='record']")
    page.check("input[value='parent_or_carer']")
    page.fill("#dispute-what", "The police call was to the flat next door")
    page.fill("#dispute-received_on-day", "1")
    page.fill("#dispute-received_on-month", "3")
    page.fill("#dispute-received_on-year", "2026")
    with page.expect_navigation():
        page.click("button:has-text('Record the dispute')")
    assert "counts towards no score until a worker decides" in page.content()
    disputed = score_on_case_page(page)
    assert disputed < before
    page.click("button:has-text('Sign out')")

    sign_in(page, "ann")
    page.goto("/cases/N-0001")
    page.click("summary:has-text('Indicator timeline')")
    assert page.locator("[data-testid='dispute-open']").is_visible()
    screenshot(page, "axe-case-disputed")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    with page.expect_navigation():
        page.click("a:has-text('Decide the dispute')")
    screenshot(page, "axe-decide-dispute-form")
    assert serious_violations(page, impacts=("moderate", "serious", "critical")) == []
    page.check("input[value='upheld']")
    page.fill("#decision-reason", "The police log names this address")
    with page.expect_navigation():
        page.click("button:has-text('Save the decision')")
    assert "The record stands" in page.content()
    assert score_on_case_page(page) == pytest.approx(before)


# --- the safeguarding partnership: recording an incident, its look-back, what is refused ------

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
