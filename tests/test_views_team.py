"""/team: a manager's team at a glance; admins choose any team; workers may not see it."""

from __future__ import annotations

import re

import browser_support as world
import pytest
from browser_support import sign_in

from hotspots.model import rules
from hotspots.storage import cases


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


def caseloads(page: str) -> dict[str, tuple[str, ...]]:
    """Each row of the caseloads table: name -> (open, hotspots, not seen on time, awaiting a
    review, actions past due)."""
    block = page[page.index('data-testid="caseloads"') : page.index("</table>")]
    found = {}
    for row in re.findall(r"<tr [^>]*data-worker-id=.*?</tr>", block, re.S):
        name = re.search(r'">([^<]+)</a>', row).group(1)
        numbers = re.findall(r'govuk-table__cell--numeric[^"]*">(?:<strong>)?(\d+)', row)
        found[name] = tuple(numbers)
    return found


def test_the_team_page_leads_with_caseloads_then_what_needs_you_then_one_list_of_hotspots(
    client, ids
):
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    order = [page.index(f'id="{h}"') for h in ("caseloads", "needs-you", "hotspots")]
    assert order == sorted(order)
    # Ann: 3 open, 1 hotspot (N-0001, never reviewed), N-0002's child not seen since 40 days.
    assert caseloads(page) == {
        "Ann Worker": ("3", "1", "1", "1", "0"),
        "Bob Worker": ("1", "1", "0", "1", "0"),
        "Meg Manager": ("0", "0", "0", "0", "0"),
    }
    # Each hotspot once: no second list of the same cases on the overview.
    listed = re.findall(r'data-case-ref="([^"]+)"', page)
    assert sorted(listed) == ["N-0001", "N-0004"]
    assert "Unallocated" in section(page, "caseloads")  # counted with the caseloads
    assert 'href="/team/unallocated"' in page


def review(db, ids, ref, at="2026-02-27T10:00:00.000000+00:00", **extra):
    return (
        db["reviews"]
        .insert(
            {
                "case_id": ids["cases"][ref],
                "reviewed_by_id": ids["staff"]["meg"],
                "reviewed_at": at,
                "plan": "",
                **extra,
            }
        )
        .last_pk
    )


def action(db, ids, ref, *, due_on, owner="ann", review_id=None, **extra):
    return (
        db["actions"]
        .insert(
            {
                "case_id": ids["cases"][ref],
                "review_id": review_id,
                "kind": "joint_visit_health_visitor",
                "owner_id": ids["staff"][owner],
                "due_on": due_on,
                "created_by_id": ids["staff"]["meg"],
                "created_at": "2026-02-27T10:00:00.000000+00:00",
                **extra,
            }
        )
        .last_pk
    )


def test_a_hotspot_awaits_a_review_until_one_is_in_hand(client, db, ids):
    sign_in(client, "meg")
    awaiting = client.get("/team/awaiting-review").get_data(as_text=True)
    assert re.findall(r'data-case-ref="([^"]+)"', awaiting) == ["N-0001", "N-0004"]
    # Reviewed three days ago (within 7): in hand. Reviewed long ago but an action open: too.
    review(db, ids, "N-0001")
    old = review(db, ids, "N-0004", at="2026-01-10T10:00:00.000000+00:00")
    action(db, ids, "N-0004", due_on="2026-03-20", review_id=old)
    page = client.get("/team").get_data(as_text=True)
    assert "Hotspots awaiting a review (0)" in page
    hotspots = section(page, "hotspots")
    assert "Reviewed 27 February 2026" in hotspots
    assert "1 action open, next due 20 March 2026" in hotspots


def test_an_action_closed_since_the_review_means_reviewing_again(client, db, ids):
    reviewed = review(db, ids, "N-0001")
    action(
        db, ids, "N-0001", due_on="2026-03-01", review_id=reviewed, state="done",
        closed_at="2026-02-28T15:00:00.000000+00:00", closed_by_id=ids["staff"]["ann"],
        outcome="Seen at home with the health visitor",
    )  # fmt: skip
    sign_in(client, "meg")
    page = client.get("/team/awaiting-review").get_data(as_text=True)
    assert "N-0001" in re.findall(r'data-case-ref="([^"]+)"', page)
    assert "Awaiting a review (actions closed 28 February 2026)" in page


def test_an_action_past_its_due_date_is_counted_for_its_owner_and_needs_the_manager(
    client, db, ids
):
    reviewed = review(db, ids, "N-0002")  # amber: an action past its date still counts
    action(db, ids, "N-0002", due_on="2026-02-25", review_id=reviewed)
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    assert caseloads(page)["Ann Worker"][4] == "1"
    lines = section(page, "needs-you")
    assert (
        "Action past its due date: Joint visit with the health visitor, by Ann Worker, due by "
        "25 February 2026, 5 days ago: <strong>check with Ann Worker and record what "
        "happened</strong>"
    ) in lines


@pytest.mark.parametrize("reviewed", [False, True])
def test_the_team_page_says_what_the_digest_says_in_the_same_order(
    client, db, settings, ids, reviewed
):
    from hotspots.services.sending import gather_digest, manager_by_id

    if reviewed:
        review(db, ids, "N-0001")
        action(db, ids, "N-0002", due_on="2026-02-25")
    manager = manager_by_id(db, ids["staff"]["meg"])
    digest = gather_digest(db, settings, manager, digest_date=world.TODAY, now=world.NOW)
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    lines = re.findall(r'<li data-kind="([a-z_]+)">(.*?)</li>', section(page, "needs-you"), re.S)
    assert [kind for kind, _ in lines] == [line["kind"] for line in digest["needs_you"]]
    for (_, html), line in zip(lines, digest["needs_you"], strict=True):
        assert line["fact"].replace("'", "&#39;") in html
    awaiting = client.get("/team/awaiting-review").get_data(as_text=True)
    assert re.findall(r'data-case-ref="([^"]+)"', awaiting) == [
        c["case_ref"] for c in digest["awaiting_review"]
    ]
    hotspots = [c["case_ref"] for c in digest["top_cases"] if c["hotspot"]]
    assert refs(section(page, "hotspots")) == hotspots


def test_the_team_page_lists_unallocated_cases_and_practice_gaps(client, ids):
    sign_in(client, "meg")
    page = client.get("/team/unallocated").get_data(as_text=True)
    assert re.findall(r'data-case-ref="([^"]+)"', page) == ["N-0005"]
    # Open more than 28 days with no domestic-abuse enquiry, longest open first.
    gaps = client.get("/team/practice-gaps").get_data(as_text=True)
    assert re.findall(r'data-case-ref="([^"]+)"', gaps) == ["N-0003", "N-0004", "N-0005"]
    assert "Practice gaps: no domestic abuse enquiry (3)" in client.get("/team").get_data(
        as_text=True
    )


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


# --- sections, filters, paging, allocation ---------------------------------------------------


def test_the_worker_filter_narrows_every_list_and_its_count(client, ids):
    sign_in(client, "meg")
    page = client.get(f"/team?worker={ids['staff']['bob']}").get_data(as_text=True)
    assert refs(section(page, "hotspots")) == ["N-0004"]
    assert "Hotspots (1)" in page
    assert "Unallocated cases (" not in section(page, "other-lists")  # all allocated
    assert "cases of Bob Worker" in page
    needs = section(page, "needs-you")
    assert "N-0001" not in needs  # Ann's


def test_the_worker_filter_only_offers_the_teams_members(client, ids):
    sign_in(client, "meg")
    assert client.get(f"/team?worker={ids['staff']['cat']}").status_code == 404
    assert client.get("/team?worker=99999999999999999999").status_code == 404


@pytest.fixture
def many_hotspots(db, settings, ids):
    """120 more hotspots for Bob, so the hotspots section has three pages."""
    from hotspots.services import rescoring

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
    listed = client.get("/team/unallocated").get_data(as_text=True)
    assert 'href="/team/allocate/N-0005"' in listed
    form = client.get("/team/allocate/N-0005").get_data(as_text=True)
    assert "Bob Worker: 1 open case, 1 hotspot" in form
    assert "Cat Worker" not in form  # another team's
    response = client.post("/team/allocate/N-0005", data={"worker": str(ids["staff"]["cat"])})
    assert response.status_code == 400  # not a member of the team
    response = client.post("/team/allocate/N-0005", data={"worker": str(ids["staff"]["bob"])})
    assert response.status_code == 302
    row = cases.find(db, "N-0005")
    assert row["worker_id"] == db["scores"].get(row["id"])["worker_id"] == ids["staff"]["bob"]
    bobs = db.execute(
        "SELECT case_id, worker_id, score FROM scores WHERE worker_id = ?", [ids["staff"]["bob"]]
    ).fetchall()
    assert len(bobs) == 2  # N-0005 joins Bob's one open case
    assert row["rank"] == rules.caseload_ranks(bobs)[row["id"]]
    assert db["rescore_queue"].count == 0
    page = client.get("/team").get_data(as_text=True)
    assert f"Case N-0005 allocated to Bob Worker. It is rank {row['rank']} in their" in page
    assert 'data-testid="unallocated-row"' not in page
    assert [r for r in world.audit_rows(db, "allocate_case")] == [
        {
            "actor_email": world.email("meg"),
            "action": "allocate_case",
            "case_ref": "N-0005",
            "detail": f"from_worker=none to_worker={ids['staff']['bob']}",
        }
    ]
    again = client.get("/team/allocate/N-0005").get_data(as_text=True)
    assert "Move the case to another worker" in again  # allocated now: moving it is next


def test_workers_cannot_allocate(client, ids):
    sign_in(client, "ann")
    assert client.get("/team/allocate/N-0005").status_code == 403


# --- reallocation ----------------------------------------------------------------------------


def moves(db):
    return db.execute(
        "SELECT c.case_ref, a.from_worker_id, a.to_worker_id, a.reason FROM allocations a "
        "JOIN cases c ON c.id = a.case_id ORDER BY a.id"
    ).fetchall()


def test_a_manager_moves_one_case_to_another_worker_with_a_reason(client, db, ids):
    sign_in(client, "meg")
    case = client.get("/cases/N-0001").get_data(as_text=True)
    assert 'href="/team/allocate/N-0001">Move to another worker' in case
    form = client.get("/team/allocate/N-0001").get_data(as_text=True)
    assert "Move the case to another worker" in form and "Ann Worker holds it now" in form
    assert "Bob Worker: 1 open case, 1 hotspot" in form  # the receiving caseload, before
    assert f'value="{ids["staff"]["ann"]}"' not in form  # not to whoever holds it
    refused = client.post("/team/allocate/N-0001", data={"worker": str(ids["staff"]["bob"])})
    assert refused.status_code == 400
    assert "Enter why the case is moving" in refused.get_data(as_text=True)
    assert moves(db) == []
    done = client.post(
        "/team/allocate/N-0001",
        data={"worker": str(ids["staff"]["bob"]), "reason": "Ann is on leave until April"},
    )
    assert done.status_code == 302
    assert moves(db) == [
        ("N-0001", ids["staff"]["ann"], ids["staff"]["bob"], "Ann is on leave until April")
    ]
    assert db["scores"].get(ids["cases"]["N-0001"])["worker_id"] == ids["staff"]["bob"]
    assert db["rescore_queue"].count == 0
    page = client.get("/team").get_data(as_text=True)
    assert "Case N-0001 moved to Bob Worker. It is rank 1 in their caseload." in page
    [row] = world.audit_rows(db, "reallocate_case")
    assert row["case_ref"] == "N-0001"
    assert row["detail"] == f"from_worker={ids['staff']['ann']} to_worker={ids['staff']['bob']}"
    assert "leave" not in row["detail"]  # the reason is kept with the move, not in the log
    history = client.get("/cases/N-0001").get_data(as_text=True)
    assert "Ann Worker to Bob Worker" in history and "Ann is on leave until April" in history


def move_form(client, worker_id, **data):
    return client.post(
        f"/team/workers/{worker_id}/move", data={f"move-{k}": v for k, v in data.items()}
    )


def test_a_manager_moves_several_cases_after_seeing_the_receiving_caseload(client, db, ids):
    ann, bob = ids["staff"]["ann"], ids["staff"]["bob"]
    sign_in(client, "meg")
    page = client.get(f"/team/workers/{ann}/move").get_data(as_text=True)
    for ref in ("N-0001", "N-0002", "N-0003"):
        assert ref in page
    chosen = [str(ids["cases"]["N-0002"]), str(ids["cases"]["N-0003"])]
    check = move_form(client, ann, which="some", cases=chosen, worker=str(bob),
                      reason="Ann moves to the court team")  # fmt: skip
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    assert "Check before they move" in html
    assert "1 open case and 1 hotspot now; 3 open cases and 1 hotspot after the move" in html
    assert moves(db) == []  # nothing moves before it is confirmed
    done = move_form(client, ann, which="some", cases=chosen, worker=str(bob),
                     reason="Ann moves to the court team", confirmed="yes")  # fmt: skip
    assert done.status_code == 302
    assert sorted(m[0] for m in moves(db)) == ["N-0002", "N-0003"]
    assert len(world.audit_rows(db, "reallocate_case")) == 2
    team = client.get("/team").get_data(as_text=True)
    assert "2 cases moved from Ann Worker to Bob Worker." in team
    assert caseloads(team)["Bob Worker"][0] == "3"


def test_a_whole_caseload_moves_and_a_case_moved_meanwhile_is_not_moved_twice(client, db, ids):
    ann, bob = ids["staff"]["ann"], ids["staff"]["bob"]
    sign_in(client, "meg")
    check = move_form(client, ann, which="all", worker=str(bob), reason="Ann has left")
    assert "4 open cases and 2 hotspots after the move" in check.get_data(as_text=True)
    # Between the check and the confirmation someone moves N-0003 to Meg.
    db.execute("UPDATE cases SET worker_id = ? WHERE case_ref = 'N-0003'", [ids["staff"]["meg"]])
    every = [str(ids["cases"][r]) for r in ("N-0001", "N-0002", "N-0003")]
    done = move_form(client, ann, which="some", cases=every, worker=str(bob),
                     reason="Ann has left", confirmed="yes")  # fmt: skip
    assert done.status_code == 302
    assert sorted(m[0] for m in moves(db)) == ["N-0001", "N-0002"]
    assert (
        db.execute("SELECT worker_id FROM cases WHERE case_ref = 'N-0003'").fetchone()[0]
        == (ids["staff"]["meg"])
    )
    assert "2 cases moved" in client.get("/team").get_data(as_text=True)


def test_moving_cases_needs_what_where_and_why(client, db, ids):
    ann = ids["staff"]["ann"]
    sign_in(client, "meg")
    response = move_form(client, ann, which="some")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "Choose at least one case to move",
        "Choose who the cases should move to",
        "Enter why the cases are moving",
    ):
        assert message in html
    stranger = move_form(client, ann, which="some", cases=[str(ids["cases"]["S-0001"])],
                         worker=str(ids["staff"]["bob"]), reason="x")  # fmt: skip
    assert "Choose from the cases this worker holds" in stranger.get_data(as_text=True)
    assert moves(db) == []


def test_a_manager_moves_only_their_own_teams_cases(client, ids):
    sign_in(client, "meg")
    assert client.get(f"/team/workers/{ids['staff']['cat']}/move").status_code == 404
    assert client.get("/team/workers/99999999999999999999/move").status_code == 404
    client.post("/logout")
    sign_in(client, "ann")
    assert client.get(f"/team/workers/{ids['staff']['ann']}/move").status_code == 403


def test_a_disabled_worker_is_marked_and_never_offered_for_allocation(client, db, ids):
    db.execute(
        "UPDATE staff SET disabled_at = '2026-03-01T10:00:00+00:00' WHERE id = ?",
        [ids["staff"]["bob"]],
    )
    sign_in(client, "meg")
    page = client.get("/team").get_data(as_text=True)
    bob = ids["staff"]["bob"]
    row = re.search(rf'<tr [^>]*data-worker-id="{bob}".*?</tr>', page, re.S)
    assert 'data-testid="disabled">Disabled<' in row.group(0)
    assert "Move their cases" in row.group(0)  # Bob still holds N-0004
    for path in ("/team/allocate/N-0005", f"/team/workers/{ids['staff']['ann']}/move"):
        assert "Bob Worker" not in client.get(path).get_data(as_text=True), path
    refused = client.post("/team/allocate/N-0005", data={"worker": str(ids["staff"]["bob"])})
    assert refused.status_code == 400
