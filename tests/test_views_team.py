"""/team: a manager's team at a glance; admins choose any team; workers may not see it."""

from __future__ import annotations

import re

import browser_support as world
import pytest
from browser_support import sign_in

from hotspots import rules
from hotspots.storage import fetch_one
from hotspots.storage.web import CASE_BY_REF_SQL


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    following = page.find('<h2 class="govuk-heading-m"', start + 1)
    return page[start : following if following > 0 else None]


def refs(html: str) -> list[str]:
    return re.findall(r'href="/cases/([^"]+)"', html)


def test_a_manager_sees_their_teams_hotspots_with_worker_score_and_reasons(client, ids):
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert "North Team" in page
    hotspots = section(page, "hotspots")
    assert refs(hotspots) == ["N-0001", "N-0004"]  # highest score first
    assert "Ann Worker" in hotspots and "Bob Worker" in hotspots
    assert "Previous injury or unexplained bruising (+7.8)" in hotspots
    assert "S-0001" not in page


@pytest.fixture
def long_red(db, ids):
    """N-0001 has been red since 20 February (ten days); N-0004 only since today."""
    db["score_history"].insert(
        {
            "case_id": ids["cases"]["N-0001"],
            "day": "2026-02-20",
            "score": 20.0,
            "band": "red",
            "model_version": "test",
        }
    )


def test_the_team_page_shows_each_workers_caseload_and_hotspot_load(client, ids, long_red):
    sign_in(client, "meg")
    workers = section(client.get("/team").get_data(as_text=True), "workers")
    rows = re.findall(
        r">([A-Z][a-z]+ [A-Z][a-z]+)</a>(?: \(manager\))?\s*</th>\s*"
        r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>",
        workers,
    )
    assert rows == [
        ("Ann Worker", "3", "1", "1"),
        ("Bob Worker", "1", "1", "0"),
        ("Meg Manager", "0", "0", "0"),
    ]


def test_a_hotspot_red_for_more_than_the_limit_without_review_is_unreviewed(client, ids, long_red):
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    # N-0004 turned red today: not yet overdue for a review (as in the digest).
    assert refs(section(page, "unreviewed")) == ["N-0001"]
    assert "Hotspots unreviewed for more than 7 days (1)" in page


def test_a_recent_review_takes_a_hotspot_off_the_unreviewed_list(client, db, ids, long_red):
    db["reviews"].insert(
        {
            "case_id": ids["cases"]["N-0001"],
            "reviewed_by_id": ids["staff"]["meg"],
            "reviewed_at": "2026-02-27T10:00:00+00:00",
            "plan": "Weekly visits",
        }
    )
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert refs(section(page, "unreviewed")) == []
    assert "Hotspots unreviewed for more than 7 days (0)" in page


def test_a_review_older_than_the_limit_does_not_count(client, db, ids, long_red):
    db["reviews"].insert(
        {
            "case_id": ids["cases"]["N-0001"],
            "reviewed_by_id": ids["staff"]["meg"],
            "reviewed_at": "2026-02-20T10:00:00+00:00",
            "plan": "Weekly visits",
        }
    )
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert refs(section(page, "unreviewed")) == ["N-0001"]


def test_the_team_page_lists_unallocated_cases_and_practice_gaps(client, ids):
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert refs(section(page, "unallocated")) == ["N-0005"]
    # Open more than 28 days with no domestic-abuse enquiry, longest open first.
    assert refs(section(page, "practice-gaps")) == ["N-0003", "N-0004", "N-0005"]
    assert "Practice gaps: no domestic abuse enquiry (3)" in page


def test_workers_may_not_see_the_team_page(client, ids):
    sign_in(client, "ann")
    response = client.get("/team")
    assert response.status_code == 403
    assert "You cannot see this page" in response.get_data(as_text=True)


def test_a_manager_cannot_choose_another_team(client, ids):
    sign_in(client, "meg")
    page = client.get(f"/team?team={ids['teams']['south']}").get_data(as_text=True)
    assert "North Team" in page and "S-0001" not in page


def test_an_admin_chooses_a_team_then_sees_it(client, ids):
    sign_in(client, "ada")
    choose = client.get("/team").get_data(as_text=True)
    assert "Choose a team" in choose
    assert f'href="/team?team={ids["teams"]["south"]}"' in choose
    page = client.get(f"/team?team={ids['teams']['south']}").get_data(as_text=True)
    assert "South Team" in page and refs(section(page, "hotspots")) == ["S-0001"]


@pytest.mark.parametrize("team", ["999", "south"])
def test_an_unknown_team_is_not_found(client, ids, team):
    sign_in(client, "ada")
    assert client.get(f"/team?team={team}").status_code == 404


@pytest.mark.parametrize("reviewed_at", [None, "2026-02-27T10:00:00+00:00"])
def test_the_team_page_and_the_digest_agree_on_unreviewed_hotspots(
    client, db, settings, ids, long_red, reviewed_at
):
    from hotspots.sending import gather_digest, manager_by_id

    if reviewed_at:
        db["reviews"].insert(
            {
                "case_id": ids["cases"]["N-0001"],
                "reviewed_by_id": ids["staff"]["meg"],
                "reviewed_at": reviewed_at,
                "plan": "Weekly visits",
            }
        )
    manager = manager_by_id(db, ids["staff"]["meg"])
    digest = gather_digest(db, settings, manager, digest_date=world.TODAY, now=world.NOW)
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert refs(section(page, "unreviewed")) == [c["case_ref"] for c in digest["unreviewed"]]
    assert f"more than 7 days ({digest['counts']['unreviewed']})" in page
    hotspots = [c["case_ref"] for c in digest["top_cases"] if c["hotspot"]]
    assert refs(section(page, "hotspots")) == hotspots


# --- sections, filters, paging, allocation ---------------------------------------------------


def headline(page: str) -> dict[str, str]:
    block = page[page.index('data-testid="headline"') : page.index("</dl>")]
    return dict(
        re.findall(r'__key">([^<]+)</dt>\s*<dd class="govuk-summary-list__value">'
                   r'(?:<a [^>]*>)?(\d+)', block)
    )  # fmt: skip


def test_the_headline_counts_agree_with_the_rows_below_them(client, ids, long_red):
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    counts = headline(page)
    assert counts["Hotspots"] == str(len(refs(section(page, "hotspots"))))
    assert counts["Hotspots unreviewed for more than 7 days"] == "1"
    assert refs(section(page, "unreviewed")) == ["N-0001"]
    # In the hotspots list, only the one counted reads as unreviewed for more than 7 days.
    assert section(page, "hotspots").count("Unreviewed for more than 7 days") == 1
    assert counts["Unallocated cases"] == "1"


def test_the_worker_filter_narrows_every_section_and_its_count(client, ids, long_red):
    sign_in(client, "meg")
    page = client.get(f"/team?worker={ids['staff']['bob']}").get_data(as_text=True)
    assert refs(section(page, "hotspots")) == ["N-0004"]
    assert headline(page)["Hotspots"] == "1"
    assert headline(page)["Open cases"] == "1"
    assert 'id="unallocated"' not in page  # one person's cases are all allocated
    assert "cases of Bob Worker" in page


def test_the_worker_filter_only_offers_the_teams_members(client, ids):
    sign_in(client, "meg")
    assert client.get(f"/team?worker={ids['staff']['cat']}").status_code == 404
    assert client.get("/team?worker=99999999999999999999").status_code == 404


@pytest.fixture
def many_hotspots(db, settings, ids):
    """120 more hotspots for Bob, so the hotspots section has three pages."""
    from hotspots import rescoring

    for n in range(120):
        case_id = (
            db["cases"]
            .insert(
                {
                    "case_ref": f"N-1{n:03d}",
                    "initials": "ZZ",
                    "date_of_birth": "2025-10-01",
                    "team_id": ids["teams"]["north"],
                    "worker_id": ids["staff"]["bob"],
                    "opened_on": "2026-02-20",
                    "visit_every_days": 14,
                    "last_visit_on": "2026-03-01",
                    "status": "open",
                }
            )
            .last_pk
        )
        for indicator in ("previous_injury", "domestic_abuse"):
            db["observations"].insert(
                {
                    "external_id": f"many:{n}:{indicator}",
                    "case_id": case_id,
                    "indicator": indicator,
                    "observed_on": "2026-03-01",
                    "source": "police",
                    "status": "current",
                    "note": "",
                    "recorded_at": "2026-03-01T10:00:00+00:00",
                }
            )
    rescoring.rescore_changed(db, settings, as_of=world.TODAY, now=world.NOW)


def test_a_section_pages_through_every_row_once(client, ids, many_hotspots):
    sign_in(client, "meg")
    overview = client.get("/team").get_data(as_text=True)
    assert len(refs(section(overview, "hotspots"))) == 10
    assert 'href="/team/hotspots"' in overview and "See all 122" in overview
    seen = []
    for page_number in (1, 2, 3):
        page = client.get(f"/team/hotspots?page={page_number}").get_data(as_text=True)
        assert f"(page {page_number} of 3)" in page
        seen += [r for r in re.findall(r'data-case-ref="([^"]+)"', page)]
    assert len(seen) == 122 and len(set(seen)) == 122
    assert "Showing 101 to 122 of 122." in page
    assert client.get("/team/hotspots?page=4").status_code == 404
    assert client.get("/team/hotspots?page=0").status_code == 404
    assert client.get("/team/hotspots?page=12345678901234567890").status_code == 404
    assert client.get("/team/nonsense").status_code == 404


def test_a_manager_allocates_an_unallocated_case_to_a_team_member(client, db, ids):
    sign_in(client, "meg")
    overview = client.get("/team").get_data(as_text=True)
    assert 'href="/team/allocate/N-0005"' in overview
    form = client.get("/team/allocate/N-0005").get_data(as_text=True)
    assert "Bob Worker: 1 open case, 1 hotspot" in form
    assert "Cat Worker" not in form  # another team's
    response = client.post("/team/allocate/N-0005", data={"worker": str(ids["staff"]["cat"])})
    assert response.status_code == 400  # not a member of the team
    response = client.post("/team/allocate/N-0005", data={"worker": str(ids["staff"]["bob"])})
    assert response.status_code == 302
    row = fetch_one(db, CASE_BY_REF_SQL, {"case_ref": "N-0005"})
    assert row["worker_id"] == db["scores"].get(row["id"])["worker_id"] == ids["staff"]["bob"]
    bobs = db.execute(
        "SELECT case_id, worker_id, score FROM scores WHERE worker_id = ?", [ids["staff"]["bob"]]
    ).fetchall()
    assert len(bobs) == 2  # N-0005 joins Bob's one open case
    assert row["rank"] == rules.caseload_ranks(bobs)[row["id"]]
    assert db["rescore_queue"].count == 0
    page = client.get("/team").get_data(as_text=True)
    assert f"Case N-0005 allocated to Bob Worker. It is rank {row['rank']} in their" in page
    assert headline(page)["Unallocated cases"] == "0"
    assert [r for r in world.audit_rows(db, "allocate_case")] == [
        {
            "actor_email": world.email("meg"),
            "action": "allocate_case",
            "case_ref": "N-0005",
            "detail": f"worker={ids['staff']['bob']}",
        }
    ]
    again = client.get("/team/allocate/N-0005")
    assert again.status_code == 302  # already allocated


def test_workers_cannot_allocate(client, ids):
    sign_in(client, "ann")
    assert client.get("/team/allocate/N-0005").status_code == 403
