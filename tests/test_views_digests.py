"""The digest pages: the manager's preview, the digests sent to them, the admins' list of
failures; who may see which."""

from __future__ import annotations

import pytest
from browser_support import make_app
from test_sending import (
    DATES_OF_BIRTH,
    DIGEST_DAY,
    NOW,
    Authority,
    Rejects,
    smtp_server,
    smtp_settings,
    two_teams,
)

from hotspots.services.passwords import hash_password
from hotspots.services.sending import send_due_digests

PASSWORD = "a long enough test password"


@pytest.fixture
def app(db_path, tmp_path):
    return make_app(db_path, tmp_path, now=NOW)


@pytest.fixture
def ids(db):
    ids = two_teams(db)
    a = Authority(db)
    ids["ada"] = a.staff("ada@council.example", "Ada Admin", "admin", None)
    password_hash = hash_password(PASSWORD)
    db.execute("update staff set password_hash = ?", [password_hash])
    return ids


def sign_in(client, email):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_a_manager_previews_todays_digest_of_their_own_team(client, ids):
    sign_in(client, "nina@council.example")
    page = client.get("/digest").get_data(as_text=True)
    assert "Today&#39;s digest: North" in page or "Today's digest: North" in page
    assert "Hotspot digest, North, Thu 26 Nov: 2 hotspots, 1 new" in page
    assert "Not sent yet" in page
    assert "N-001 (AB)" in page  # the plain-text version
    assert "S-001" not in page
    assert "prioritisation aid" in page
    frame = client.get("/digest/email.html")
    assert frame.status_code == 200
    html = frame.get_data(as_text=True)
    assert "N-001</a> (AB)" in html and "S-001" not in html
    assert "style-src 'unsafe-inline'" in frame.headers["Content-Security-Policy"]
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    for dob in DATES_OF_BIRTH:
        assert dob not in page and dob not in html


def test_the_preview_is_audited_without_personal_data(client, db, ids):
    sign_in(client, "nina@council.example")
    client.get("/digest")
    rows = list(db.query("select * from audit_log where action = 'view_digest_preview'"))
    assert [(r["actor_email"], r["detail"]) for r in rows] == [
        ("nina@council.example", "team North, 2026-11-26")
    ]


def test_a_manager_cannot_preview_another_managers_digest(client, ids):
    sign_in(client, "nina@council.example")
    page = client.get(f"/digest?manager={ids['sam']}").get_data(as_text=True)
    assert "North" in page and "S-001" not in page  # the parameter is ignored for managers


def test_an_admin_chooses_a_manager_then_sees_their_digest(client, ids):
    sign_in(client, "ada@council.example")
    choose = client.get("/digest").get_data(as_text=True)
    assert f"/digest?manager={ids['sam']}" in choose
    assert 'href="/admin/digests"' in choose  # where an admin finds failed digests
    page = client.get(f"/digest?manager={ids['sam']}").get_data(as_text=True)
    assert "Today&#39;s digest: South" in page or "Today's digest: South" in page
    frame = client.get(f"/digest/email.html?manager={ids['sam']}").get_data(as_text=True)
    assert "S-001" in frame and "N-001" not in frame
    assert client.get(f"/digest?manager={ids['will']}").status_code == 404


def test_workers_may_not_see_digests(client, db, ids):
    db.execute("update staff set password_hash = ? where email = 'will@council.example'",
               [hash_password(PASSWORD)])  # fmt: skip
    sign_in(client, "will@council.example")
    for url in ("/digest", "/digest/email.html", "/digests", "/admin/digests"):
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, ids):
    for url in ("/digest", "/digests", "/admin/digests"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_a_manager_reads_the_digests_sent_to_them_from_the_outbox(client, db, settings, ids):
    send_due_digests(db, settings, digest_date=DIGEST_DAY, now=NOW)
    sign_in(client, "nina@council.example")
    listing = client.get("/digests").get_data(as_text=True)
    assert "2026-11-26" in listing
    assert "Hotspot digest, North, Thu 26 Nov: 2 hotspots, 1 new" in listing
    nina_digest = db.execute(
        "select id from digests where manager_id = ?", [ids["nina"]]
    ).fetchone()[0]
    sam_digest = db.execute("select id from digests where manager_id = ?", [ids["sam"]]).fetchone()[
        0
    ]
    page = client.get(f"/digests/{nina_digest}").get_data(as_text=True)
    assert "1. N-001 (AB), Will Worker: Hotspot, score 24.0" in page
    html = client.get(f"/digests/{nina_digest}/email.html").get_data(as_text=True)
    assert "N-001</a> (AB)" in html
    # Sam's digest is not Nina's to read, and says nothing about whether it exists.
    assert client.get(f"/digests/{sam_digest}").status_code == 404
    assert client.get(f"/digests/{sam_digest}/email.html").status_code == 404
    assert client.get("/digests/999999").status_code == 404


def test_the_admin_page_lists_failed_digests_with_the_servers_answer(client, db, settings, ids):
    with smtp_server(Rejects()) as controller:
        send_due_digests(
            db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW,
            manager_email="sam@council.example",
        )  # fmt: skip
    sign_in(client, "ada@council.example")
    page = client.get("/admin/digests").get_data(as_text=True)
    assert "sam@council.example" in page
    assert "550" in page and "Mailbox unavailable" in page
    assert "--retry-failed" in page
    assert "nina@council.example" not in page


def test_managers_may_not_see_the_admin_page(client, ids):
    sign_in(client, "nina@council.example")
    assert client.get("/admin/digests").status_code == 403


def test_sent_times_are_shown_in_the_services_time_zone(client, db, settings, ids):
    summer = NOW.replace(month=6, day=1)  # Monday 1 June 2026, 07:30 BST = 06:30Z
    send_due_digests(
        db, settings, digest_date=summer.date(), now=summer, manager_email="nina@council.example"
    )
    assert db.execute("select sent_at from digests").fetchone()[0].startswith("2026-06-01T06:30")
    sign_in(client, "nina@council.example")
    assert "1 Jun 2026, 07:30" in client.get("/digests").get_data(as_text=True)
