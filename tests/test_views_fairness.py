"""/admin/fairness: the report's figures and drivers for admins, its CSV download, both
audited; refused to everyone else; a day that cannot be reported on says why."""

from __future__ import annotations

import csv
import io

import browser_support as world
import pytest
from browser_support import NOW, audit_rows

from hotspots.model import fairness
from hotspots.services import rescoring
from hotspots.services.demo import load_demo
from hotspots.services.passwords import hash_password

PASSWORD = "lantern orchard ribbon 47"


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def demo(app, db, settings):
    """A 600-case demo authority, scored today; its staff share one known password."""
    load_demo(db, settings, cases=600, seed=3, as_of=NOW.date(), now=NOW,
              password_hash=hash_password(PASSWORD), rescore=True)  # fmt: skip
    return db


def sign_in(client, email):
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def test_an_admin_sees_every_dimension_the_flagged_groups_and_what_drives_them(
    client, demo, settings
):
    sign_in(client, "admin@example.org")

    page = client.get("/admin/fairness")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    for code, heading in fairness.DIMENSIONS:
        assert f'data-testid="fairness-{code}"' in html
        assert heading.replace("'", "&#39;") in html
    assert "What drives each flagged difference" in html
    assert "fewer than 10" in html  # 600 cases: some groups are small
    assert "Under 1 (unborn included)" in html
    assert "by design, the model counts a young child" in html  # the youngest are flagged
    assert '<a class="govuk-service-navigation__link" href="/admin/fairness"' in html
    (row,) = audit_rows(demo, "view_fairness_report")
    assert row["actor_email"] == "admin@example.org"
    assert row["detail"].startswith(f"day={NOW.date().isoformat()} cases=")


def test_the_csv_download_has_the_same_figures_and_is_audited(client, demo, settings):
    sign_in(client, "admin@example.org")

    response = client.get("/admin/fairness.csv")

    assert response.mimetype == "text/csv"
    assert "fairness-2026-03-02.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    blank = rows.index([])
    assert rows[0] == list(fairness.CSV_COLUMNS)
    from hotspots.storage.fairness import fairness_report

    report = fairness_report(demo, settings)
    assert rows[1:blank] == [[str(v) for v in row] for row in fairness.csv_rows(report)]
    assert rows[blank + 1] == list(fairness.DISAGREEMENT_CSV_COLUMNS)
    expected = fairness.disagreement_csv_rows(report)
    assert rows[blank + 2 :] == [[str(v) for v in row] for row in expected]
    assert rows[blank + 2][:3] == ["All hotspot reviews", "", "fewer than 10"]  # none yet
    assert len(audit_rows(demo, "export_fairness_report")) == 1


@pytest.mark.parametrize("who", ["worker@example.org", "manager@example.org"])
def test_workers_and_managers_are_refused_the_report_and_see_no_link_to_it(client, demo, who):
    sign_in(client, who)

    assert client.get("/admin/fairness").status_code == 403
    assert client.get("/admin/fairness.csv").status_code == 403
    assert "/admin/fairness" not in client.get("/help").get_data(as_text=True)
    assert audit_rows(demo, "view_fairness_report") == []


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("31-12-2025", "&#39;31-12-2025&#39; is not a date in the form YYYY-MM-DD"),
        ("2026-03-09", "2026-03-09 is in the future"),
        ("2026-01-05", "No scores are kept for 2026-01-05"),
    ],
)
def test_a_day_that_cannot_be_reported_on_says_why(client, demo, typed, says):
    sign_in(client, "admin@example.org")

    page = client.get(f"/admin/fairness?as_of={typed}")

    assert page.status_code == 400
    assert says in page.get_data(as_text=True)
    assert audit_rows(demo, "view_fairness_report") == []


def test_an_earlier_day_reports_that_days_stored_scores(client, demo, settings):
    earlier = NOW.date().replace(day=1)
    rescoring.rescore_all(demo, settings, as_of=earlier, now=NOW, history_only=True)
    sign_in(client, "admin@example.org")

    html = client.get(f"/admin/fairness?as_of={earlier.isoformat()}").get_data(as_text=True)

    assert "From the scores the service showed on 1 March 2026" in html
    assert "stored with the latest scores only" in html


def test_with_nothing_scored_the_page_says_what_to_do(client, db, settings):
    world.build_world(db, settings)
    db.execute("DELETE FROM scores")
    world.sign_in(client, "ada")

    html = client.get("/admin/fairness").get_data(as_text=True)

    assert "No open case has a score yet: run `hotspots score` first" in html


def test_the_page_shows_where_workers_disagreed_with_hotspot_scores(client, demo, settings):
    import json

    from hotspots.base.dates import stamp
    from hotspots.storage import followup, write_transaction

    red = demo.execute(
        "SELECT case_id, score, band, model_version, contributions FROM scores "
        "WHERE band = 'red' ORDER BY case_id LIMIT 12"
    ).fetchall()
    assert len(red) == 12
    with write_transaction(demo):
        for n, (case_id, score, band, version, contributions) in enumerate(red):
            followup.record_review(
                demo, case_id=case_id, reviewer_id=1, at=stamp(NOW), plan="Visit",
                decision="disagree" if n < 3 else "act",
                disagree_reason="Known and managed" if n < 3 else None,
                score={"score": score, "band": band, "model_version": version},
                contributions=json.loads(contributions), disagreed=(), actions=[],
            )  # fmt: skip
    sign_in(client, "admin@example.org")

    html = client.get("/admin/fairness").get_data(as_text=True)

    assert "Where workers disagreed with hotspot scores" in html
    assert "12 reviews of hotspots recorded a decision; in 25.0% of them" in html
    assert 'data-testid="fairness-disagreement"' in html
