"""/caseload: the ranked caseload, its columns, the band filter, and whose caseload may be
opened."""

from __future__ import annotations

import re

import browser_support as world
import pytest
from browser_support import sign_in


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def case_refs(html: str) -> list[str]:
    return re.findall(r'<tr class="govuk-table__row"[^>]* data-case-ref="([^"]+)"', html)


def test_a_worker_sees_only_their_open_cases_in_rank_order(client, ids):
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    assert "My caseload" in page
    assert case_refs(page) == ["N-0001", "N-0003", "N-0002"]
    assert "3 open cases" in page


def test_a_closed_case_leaves_the_caseload(client, db, settings, ids):
    db.execute(
        "UPDATE cases SET status = 'closed', closed_on = '2026-03-01' WHERE case_ref = 'N-0003'"
    )
    from hotspots.services import rescoring

    rescoring.rescore_all(db, settings, as_of=world.TODAY, now=world.NOW)
    sign_in(client, "ann")
    assert case_refs(client.get("/caseload").get_data(as_text=True)) == ["N-0001", "N-0002"]


def test_each_row_shows_the_age_and_never_the_date_of_birth(client, ids):
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    assert "NA, 5 months" in page
    assert "NC, 6 years" in page
    assert "NB, 3 years 1 month" in page
    for born in ("2025-09-14", "14 September 2025", "2023-01-05", "5 January 2023"):
        assert born not in page


def test_each_row_shows_score_band_in_words_trend_sparkline_reasons_visits_and_review(client, ids):
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    first = page[page.index('data-case-ref="N-0001"') : page.index('data-case-ref="N-0003"')]
    assert re.search(r'<td [^>]*class="[^"]*app-rank[^"]*">1</td>', first)
    assert "25.5" in first
    assert '<strong class="govuk-tag govuk-tag--red">Hotspot</strong>' in first
    assert "Up 4.2" in first and 'aria-hidden="true">↑' in first
    assert "<svg" in first and "Score over the last 30 days: from 21.3 to 25.5" in first
    assert "Previous injury or unexplained bruising (+7.8)" in first
    assert "Due 13 Mar 2026" in first and "Last seen 27 Feb 2026" in first
    assert "<strong>Awaiting a review (never reviewed)</strong>" in first  # a hotspot
    third = page[page.index('data-case-ref="N-0002"') :]
    assert "<strong>Due 4 Feb 2026 (overdue)</strong>" in third
    assert '<strong class="govuk-tag govuk-tag--green">Green</strong>' in third


def test_a_review_shows_as_reviewed(client, db, ids):
    db["reviews"].insert(
        {
            "case_id": ids["cases"]["N-0001"],
            "reviewed_by_id": ids["staff"]["ann"],
            "reviewed_at": "2026-03-01T16:00:00+00:00",
            "plan": "Visit on Tuesday",
        }
    )
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    assert "Reviewed 1 March 2026" in page


@pytest.mark.parametrize(
    ("band", "refs"),
    [("red", ["N-0001"]), ("green", ["N-0003", "N-0002"]), ("amber", []), ("nonsense", None)],
)
def test_the_band_filter_shows_only_that_band(client, ids, band, refs):
    sign_in(client, "ann")
    page = client.get(f"/caseload?band={band}").get_data(as_text=True)
    assert case_refs(page) == (refs if refs is not None else ["N-0001", "N-0003", "N-0002"])
    if band == "amber":
        assert "No open cases in the amber band." in page
    assert "Hotspot (1)" in page and "Green (2)" in page


def test_a_manager_can_open_a_team_members_caseload(client, ids):
    sign_in(client, "meg")
    page = client.get(f"/caseload?worker={ids['staff']['bob']}").get_data(as_text=True)
    assert "Caseload of Bob Worker" in page
    assert case_refs(page) == ["N-0004"]


@pytest.mark.parametrize(("who", "whose"), [("ann", "bob"), ("sam", "ann"), ("meg", "cat")])
def test_no_one_else_can_open_another_persons_caseload(client, ids, who, whose):
    sign_in(client, who)
    assert client.get(f"/caseload?worker={ids['staff'][whose]}").status_code == 404


def test_an_unknown_worker_is_not_found(client, ids):
    sign_in(client, "ada")
    assert client.get("/caseload?worker=999").status_code == 404
    assert client.get("/caseload?worker=abc").status_code == 404


def test_an_admin_can_open_any_caseload_and_has_none_of_their_own(client, ids):
    sign_in(client, "ada")
    assert case_refs(
        client.get(f"/caseload?worker={ids['staff']['cat']}").get_data(as_text=True)
    ) == ["S-0001"]
    assert "No open cases are allocated to you." in client.get("/caseload").get_data(as_text=True)


def test_a_case_never_scored_is_listed_last_with_no_score(client, db, ids):
    db["cases"].insert(
        {
            "case_ref": "N-0009",
            "initials": "NI",
            "date_of_birth": "2025-01-01",
            "team_id": ids["teams"]["north"],
            "worker_id": ids["staff"]["ann"],
            "opened_on": "2026-03-02",
            "visit_every_days": 14,
            "status": "open",
        }
    )
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    assert case_refs(page)[-1] == "N-0009"
    assert "Not scored" in page


def test_scores_stored_without_contributions_are_explained_the_same_way(client, db, ids):
    sign_in(client, "ann")
    stored = client.get("/caseload").get_data(as_text=True)
    # A large authority's full rescore stores no contributions; the page explains them.
    db.execute("UPDATE scores SET contributions = '[]'")
    explained = client.get("/caseload").get_data(as_text=True)
    reasons = re.compile(r'<ul class="govuk-list govuk-body-s app-reasons">.*?</ul>', re.S)
    assert reasons.findall(explained) == reasons.findall(stored)
    assert "Previous injury or unexplained bruising (+7.8)" in explained


def test_a_band_that_does_not_exist_is_named_as_not_a_band(client, ids):
    sign_in(client, "ann")
    response = client.get("/caseload?band=purple")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“purple” is not a band: choose Hotspot, Amber or Green" in page
    assert 'href="#band-filter"' in page and 'id="band-filter"' in page
    assert case_refs(page) == ["N-0001", "N-0003", "N-0002"]  # the whole caseload, still


def test_the_caseload_says_when_its_scores_were_updated_with_the_time(client, ids):
    sign_in(client, "ann")
    page = client.get("/caseload").get_data(as_text=True)
    assert "(scores updated 2 March 2026 at 9:30am)" in page
    assert '<strong class="govuk-tag govuk-tag--red">Hotspot</strong>' in page


@pytest.mark.parametrize(
    ("query", "refs"),
    [
        ("visit_overdue=1", ["N-0002"]),  # visited 40 days ago, every 14 days
        ("not_reviewed=1", ["N-0001"]),  # the one hotspot awaits a review
        ("practice_gap=1", ["N-0001", "N-0003", "N-0002"]),
        ("practice_gap=1&visit_overdue=1&band=green", ["N-0002"]),
        ("sort=visit_due", ["N-0002", "N-0003", "N-0001"]),
        ("sort=case_ref", ["N-0001", "N-0002", "N-0003"]),
        ("sort=reviewed", ["N-0001", "N-0002", "N-0003"]),  # none reviewed: by reference
    ],
)
def test_the_caseload_filters_and_sorts(client, ids, query, refs):
    sign_in(client, "ann")
    page = client.get(f"/caseload?{query}").get_data(as_text=True)
    assert case_refs(page) == refs
    if "=1" in query:
        assert f"Showing {len(refs)} of" in page


def test_a_review_drops_the_hotspot_from_the_awaiting_a_review_filter(client, db, ids):
    sign_in(client, "ann")
    reviewed = client.post(
        "/cases/N-0001/reviews",
        data={
            "review-decision": "act",
            "review-actions-0-kind": "visit_child",
            "review-actions-0-owner": str(ids["staff"]["ann"]),
            "review-actions-0-due_on": ["4", "3", "2026"],
        },
    )
    assert reviewed.status_code == 302
    page = client.get("/caseload?not_reviewed=1").get_data(as_text=True)
    assert case_refs(page) == []
    shown = client.get("/caseload").get_data(as_text=True)
    assert "1 action open, next due 4 March 2026" in shown
    assert "Your actions: 1 open" in shown


def test_an_unknown_sort_is_an_error_and_the_caseload_stays_ranked(client, ids):
    sign_in(client, "ann")
    response = client.get("/caseload?sort=shoe-size")
    assert response.status_code == 400
    assert "Choose how to sort the caseload" in response.get_data(as_text=True)
    assert case_refs(response.get_data(as_text=True)) == ["N-0001", "N-0003", "N-0002"]
