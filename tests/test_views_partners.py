"""/admin/partners: the partner systems, when each last sent and what; admins only."""

from __future__ import annotations

import browser_support as world
import pytest
from browser_support import NOW, sign_in

from hotspots.services import partners


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def test_the_page_shows_each_partner_when_it_last_sent_and_what(client, db, ids, settings):
    sources = settings["import"]["sources"]
    token = partners.add(db, "police-ppn", "police", sources, now=NOW)
    partners.add(db, "trust-cpis", "hospital", sources, now=NOW)
    partners.add(db, "old-feed", "gp", sources, now=NOW)
    partners.revoke(db, "old-feed", now=NOW)
    body = [
        {"id": "1", "case_ref": "N-0001", "indicator": "ppn_low", "observed_on": "2026-03-01"},
        {"id": "2", "case_ref": "Z-1", "indicator": "ppn_medium", "observed_on": "2026-03-01"},
    ]
    client.post("/api/v1/observations", json=body, headers={"Authorization": f"Bearer {token}"})
    sign_in(client, "ada")
    page = client.get("/admin/partners").get_data(as_text=True)
    assert "2 items: 2 new, 1 not yet matched to a case (ppn_low, ppn_medium)" in page
    assert "2 March 2026 09:30" in page
    assert page.count("Never") == 2
    assert "Revoked" in page and "Active" in page
    assert token not in page


def test_only_admins_see_the_partners(client, ids):
    sign_in(client, "meg")
    assert client.get("/admin/partners").status_code == 403


def test_with_no_partners_the_page_says_how_to_add_one(client, ids):
    sign_in(client, "ada")
    page = client.get("/admin/partners").get_data(as_text=True)
    assert "hotspots partners add NAME --source SOURCE" in page
