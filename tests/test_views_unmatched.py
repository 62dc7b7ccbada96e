"""/unmatched: partners' items about children no open case matches, for managers and admins
to attach to a case or dismiss with a reason; both audited, the case rescored at once."""

from __future__ import annotations

from datetime import timedelta

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, score_row, sign_in

from hotspots.services import partners

NHS = "9434765919"


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def send_item(client, token, **changes):
    """The police partner sends its high-graded notice about a child with an unknown case_ref
    (with ``changes``, a changed version of it)."""
    body = {
        "id": "PPN-9",
        "case_ref": "OLD-77",
        "nhs_number": NHS,
        "indicator": "ppn_high",
        "observed_on": "2026-02-27",
        "note": "Incident at the address",
        **changes,
    }
    return client.post(
        "/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def item_id(client, db, ids, settings):
    """One queued item: a high-graded police notice about a child with an unknown case_ref."""
    token = partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)
    response = send_item(client, token)
    assert response.get_json()["queued"] == 1
    return db.execute("SELECT id FROM unmatched_observations").fetchone()[0]


def text(response) -> str:
    return response.get_data(as_text=True)


def state(db, item_id):
    return db.execute(
        "SELECT state FROM unmatched_observations WHERE id = ?", [item_id]
    ).fetchone()[0]


def test_the_queue_lists_an_item_without_its_nhs_number(client, item_id):
    sign_in(client, "meg")
    page = text(client.get("/unmatched"))
    assert "Police public protection notice graded high" in page
    assert "case OLD-77" in page
    assert "NHS number ending 919" in page
    assert NHS not in page and "943 476" not in page
    assert "no case has reference OLD-77" in page


def test_workers_may_not_see_the_queue(client, item_id):
    sign_in(client, "ann")
    assert client.get("/unmatched").status_code == 403
    assert client.get(f"/unmatched/{item_id}").status_code == 403


def test_opening_an_item_shows_what_was_sent_and_is_audited(client, db, item_id):
    sign_in(client, "meg")
    page = text(client.get(f"/unmatched/{item_id}"))
    assert NHS in page and "Incident at the address" in page
    [row] = audit_rows(db, "view_unmatched")
    assert row["actor_email"] == world.email("meg")
    assert NHS not in row["detail"]


def test_attaching_makes_an_observation_on_the_case_and_rescores_it(client, db, ids, item_id):
    case_id = ids["cases"]["N-0003"]
    before = score_row(db, case_id)["score"]
    sign_in(client, "meg")
    response = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "N-0003"})
    assert response.status_code == 302
    assert state(db, item_id) == "attached"
    stored = db.execute(
        "SELECT indicator, source, partner_ref, note FROM observations WHERE case_id = ? "
        "AND partner_id IS NOT NULL",
        [case_id],
    ).fetchall()
    assert stored == [("ppn_high", "police", "PPN-9", "Incident at the address")]
    assert score_row(db, case_id)["score"] > before + 5
    [row] = audit_rows(db, "attach_unmatched")
    assert row["case_ref"] == "N-0003"
    assert "Incident" not in row["detail"]
    assert "Attached to case N-0003" in text(client.get("/unmatched"))


def test_the_partner_sending_the_item_again_after_attaching_changes_nothing(
    client, db, ids, item_id, settings
):
    sign_in(client, "meg")
    client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "N-0003"})
    token = partners.rotate(db, "police-ppn", overlap=timedelta(0), now=NOW)
    response = send_item(client, token)
    assert response.get_json()["items"] == [
        {"id": "PPN-9", "outcome": "unchanged", "queued": False}
    ]
    changed = send_item(client, token, status="refuted")
    assert changed.get_json()["updated"] == 1
    case = db.execute("SELECT case_id, status FROM observations WHERE partner_ref = 'PPN-9'")
    assert case.fetchone() == (ids["cases"]["N-0003"], "refuted")


def test_a_manager_cannot_attach_to_another_teams_case(client, db, item_id):
    sign_in(client, "meg")
    response = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "S-0001"})
    assert response.status_code == 400
    assert "No case you can see has the reference S-0001" in text(response)
    assert state(db, item_id) == "open"
    assert audit_rows(db, "refused_case")[-1]["case_ref"] == "S-0001"


def test_an_admin_can_attach_to_any_open_case_but_not_a_closed_one(client, db, item_id):
    db.execute("UPDATE cases SET status = 'closed' WHERE case_ref = 'N-0002'")
    sign_in(client, "ada")
    closed = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "N-0002"})
    assert "Case N-0002 is closed" in text(closed)
    assert state(db, item_id) == "open"
    client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "S-0001"})
    assert state(db, item_id) == "attached"


def test_an_empty_case_reference_is_explained(client, db, item_id):
    sign_in(client, "meg")
    response = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": ""})
    assert response.status_code == 400
    assert "Enter the case reference" in text(response)


def test_dismissing_needs_a_reason_and_is_audited_without_it(client, db, item_id):
    sign_in(client, "meg")
    blank = client.post(f"/unmatched/{item_id}/dismiss", data={"dismiss-reason": "   "})
    assert blank.status_code == 400
    assert "Enter why it should be dismissed" in text(blank)
    assert state(db, item_id) == "open"
    client.post(f"/unmatched/{item_id}/dismiss", data={"dismiss-reason": "Family moved to Leeds"})
    assert state(db, item_id) == "dismissed"
    reason = db.execute("SELECT dismiss_reason FROM unmatched_observations").fetchone()[0]
    assert reason == "Family moved to Leeds"
    [row] = audit_rows(db, "dismiss_unmatched")
    assert "Leeds" not in row["detail"]
    assert "Nothing is waiting to be matched" in text(client.get("/unmatched"))


def test_an_item_already_dealt_with_cannot_be_dealt_with_twice(client, db, item_id):
    sign_in(client, "meg")
    client.post(f"/unmatched/{item_id}/dismiss", data={"dismiss-reason": "Duplicate"})
    response = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": "N-0003"})
    assert response.status_code == 302
    assert state(db, item_id) == "dismissed"
    assert (
        db.execute("SELECT count(*) FROM observations WHERE partner_id IS NOT NULL").fetchone()[0]
        == 0
    )


def test_a_dismissed_item_sent_again_unchanged_stays_dismissed(client, db, item_id):
    sign_in(client, "meg")
    client.post(f"/unmatched/{item_id}/dismiss", data={"dismiss-reason": "Not known to us"})
    token = partners.rotate(db, "police-ppn", overlap=timedelta(0), now=NOW)
    response = send_item(client, token)
    assert response.get_json()["items"] == [
        {"id": "PPN-9", "outcome": "unchanged", "queued": False}
    ]
    assert state(db, item_id) == "dismissed"


def test_an_unknown_item_is_404(client, item_id):
    sign_in(client, "meg")
    assert client.get("/unmatched/99999999999999999999").status_code == 404
    assert client.get(f"/unmatched/{item_id + 1}").status_code == 404


def test_the_service_menu_leads_managers_to_the_queue_and_admins_to_the_partners(client, ids):
    sign_in(client, "meg")
    page = text(client.get("/unmatched"))
    assert 'href="/unmatched"' in page and 'href="/admin/partners"' not in page
    client.post("/logout")
    sign_in(client, "ada")
    assert 'href="/admin/partners"' in text(client.get("/unmatched"))


def test_a_case_reference_typed_in_lower_case_attaches_as_the_search_finds_it(client, db, item_id):
    sign_in(client, "meg")
    response = client.post(f"/unmatched/{item_id}/attach", data={"attach-case_ref": " n-0002 "})
    assert response.status_code == 302
    assert state(db, item_id) == "attached"
    assert audit_rows(db, "attach_unmatched")[0]["case_ref"] == "N-0002"


def test_what_a_partner_did_not_send_reads_as_not_sent(client, db, ids, settings):
    token = partners.add(db, "police-ppn", "police", settings["import"]["sources"], now=NOW)
    body = {"id": "PPN-10", "case_ref": "OLD-78", "indicator": "ppn_high",
            "observed_on": "2026-02-27"}  # fmt: skip
    client.post("/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"})
    item = db.execute("SELECT id FROM unmatched_observations").fetchone()[0]
    sign_in(client, "meg")
    page = text(client.get(f"/unmatched/{item}"))
    assert "None" not in page
    assert "NHS number sent</dt>" in page.replace("\n", "")
    assert page.count("Not sent") == 1 and "No note" in page
