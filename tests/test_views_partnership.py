"""The partnership's pages (hotspots.web.pages.partnership) and the partnership role: refused every
page that names a case, a caseload or a team (walked across every route of the app), the
report with its CSV downloads, recording an incident and its progress, the workforce page a
manager sees for their own team, and the people page making such a member."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import browser_support as world
import pytest
from browser_support import NOW, audit_rows, sign_in

from hotspots.model.incidents import ABUSE_OR_NEGLECT, HARMS
from hotspots.services import partnership
from hotspots.services.partnership import NewIncident
from hotspots.web import auth
from hotspots.web.forms import ABUSE_CHOICES, HARM_CHOICES

LEAD = ("lee.lead@example.org", "Lee Lead", "partnership", None)


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


@pytest.fixture
def lead(db, ids, monkeypatch):
    """A member of the safeguarding partnership, signed in with the world's password."""
    staff_id = (
        db["staff"]
        .insert(
            {
                "email": LEAD[0],
                "name": LEAD[1],
                "role": "partnership",
                "team_id": None,
                "password_hash": world._HASH,
            }
        )
        .last_pk
    )
    monkeypatch.setitem(world.STAFF, "lee", LEAD)
    return staff_id


@pytest.fixture
def incident(db, lead):
    new = NewIncident("N-0001", date(2026, 2, 25), date(2026, 2, 26), "serious_harm", "known")
    return partnership.record_incident(db, new, actor=auth.load_user(db, str(lead)), now=NOW)


def text(response) -> str:
    return response.get_data(as_text=True)


def form_errors(page: str) -> list[str]:
    return [
        " ".join(e.split())
        for e in re.findall(r'class="govuk-error-message"[^>]*>.*?</span>(.*?)</p>', page, re.S)
    ]


# --- the partnership role across every route ---------------------------------------------

# Endpoints a partnership member may open (hotspots.web.auth.may_open): the partnership's own,
# help, their sign-in and password, and the API (which answers to partners' tokens).
OPEN_TO_THE_PARTNERSHIP = ("partnership.", "help.", "auth.", "api.", "home", "static")
# Case, caseload and team pages that must be among those refused.
MUST_BE_REFUSED = {
    "cases.case",
    "cases.record_observation",
    "cases.mark_reviewed",
    "caseload.caseload",
    "team.team",
    "team.team_section",
    "team.allocate",
    "search.search",
    "digests.preview",
    "unmatched.queue",
    "admin.audit",
    "people.people",
    "imports.upload",
}


def _url(rule) -> str:
    path = rule.rule
    for argument in rule.arguments:
        real = "N-0001" if argument == "case_ref" else "1"
        path = re.sub(rf"<(?:\w+:)?{argument}>", real, path)
    return path


def test_a_partnership_member_is_refused_every_case_caseload_and_team_page(app, client, db, lead):
    assert sign_in(client, "lee").status_code == 302
    refused, answered = set(), {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(OPEN_TO_THE_PARTNERSHIP) or rule.endpoint == (
            "people.set_password"
        ):
            continue
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            response = client.open(_url(rule), method=method, data={})
            answered[f"{method} {rule.rule}"] = response.status_code
            if response.status_code == 403:
                refused.add(rule.endpoint)
            assert "N-0001" not in text(response)
    assert {k: v for k, v in answered.items() if v != 403} == {}
    assert refused >= MUST_BE_REFUSED
    # Still signed in, and every refusal audited under their name.
    assert client.get("/partnership").status_code == 200
    rows = audit_rows(db, "refused_page")
    assert len(rows) == len(answered) and {r["actor_email"] for r in rows} == {LEAD[0]}


def test_the_rule_refuses_a_case_and_a_caseload_even_where_a_page_forgets_to_ask(db, lead):
    user = auth.load_user(db, str(lead))
    case = {"team_id": None, "worker_id": lead}
    assert not auth.can_see_case(user, case)
    assert not auth.can_see_caseload_of(user, user)
    assert not auth.may_open(user, "cases.case")
    assert not auth.may_open(user, "a_new_area.page")  # refused until named
    assert auth.may_open(user, "partnership.overview") and auth.may_open(user, "help.help_page")


def test_a_partnership_member_starts_on_the_partnership_page_without_a_case_search(client, lead):
    response = sign_in(client, "lee")
    assert client.get(response.location).location == "/partnership"
    page = text(client.get("/partnership"))
    menu = page[page.index('aria-label="Service menu"') : page.index("</nav>")]
    assert re.findall(r'href="(/[^"]*)"', menu) == [
        "/partnership",
        "/workforce",
        "/account/password",
    ]
    assert "Find a case" not in page and 'name="q"' not in page
    assert "Signed in as lee.lead@example.org (partnership)" in page


@pytest.mark.parametrize(("who", "status"), [("ann", 403), ("meg", 403), ("ada", 200)])
def test_only_the_partnership_and_admins_open_the_partnership_page(client, lead, who, status):
    sign_in(client, who)
    assert client.get("/partnership").status_code == status
    assert client.get("/partnership/incidents/new").status_code == status
    assert client.get("/partnership/practice.csv").status_code == status


# --- the report ----------------------------------------------------------------------------


def test_the_partnership_page_shows_each_part_of_the_report(client, db, incident):
    sign_in(client, "lee")
    page = text(client.get("/partnership"))
    for heading in (
        "Deadlines due or overdue (1)",
        "Serious incidents (1)",
        "What the service knew before them",
        "The review's table from live data",
        "The questions the review found unasked",
        "The load on the workforce",
    ):
        assert heading in page, heading
    assert "Notify the Panel and tell the partners" in page and "Due in 3 working days" in page
    assert "Of 1 incident to children under 3 in the last 2 years, 1 was a hotspot" in page
    assert "Conflict in the parents&#39; relationship" in page and "6 of 6" in page
    assert "Ann Worker" in page
    for name in partnership.TABLES:
        assert f'href="/partnership/{name}.csv"' in page
    assert audit_rows(db, "view_partnership")[-1]["detail"] == "incidents=1"


def test_each_table_downloads_as_csv_written_as_text_where_a_spreadsheet_would_run_it(
    client, db, incident
):
    db.execute("UPDATE teams SET name = '=HYPERLINK(\"x\")' WHERE name = 'North Team'")
    sign_in(client, "lee")
    for name in partnership.TABLES:
        response = client.get(f"/partnership/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert f"partnership-{name}-2026-03-02.csv" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(text(response))))
        assert len(rows) > 1, name
    practice = text(client.get("/partnership/practice.csv"))
    assert "'=HYPERLINK" in practice and "\n=HYPERLINK" not in practice
    incidents = list(csv.DictReader(io.StringIO(text(client.get("/partnership/incidents.csv")))))
    assert incidents[0]["case_ref"] == "N-0001" and incidents[0]["notify_panel_by"] == "2026-03-05"
    assert [r["detail"] for r in audit_rows(db, "export_partnership")] == list(
        partnership.TABLES
    ) + [
        "practice",
        "incidents",
    ]
    assert client.get("/partnership/nothing.csv").status_code == 404


# --- incidents ----------------------------------------------------------------------------

FORM = {
    "case_ref": "n-0004",
    "occurred_on": ["27", "2", "2026"],
    "known_on": ["28", "2", "2026"],
    "harm": "died",
    "abuse_or_neglect": "suspected",
    "reference": "",
    "summary": "Found unresponsive at home.",
}


def test_recording_an_incident_shows_its_deadlines_and_the_look_back(client, db, lead):
    sign_in(client, "lee")
    response = client.post("/partnership/incidents/new", data=FORM)
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "The incident is recorded" in page
    assert "27 February 2026" in page and "Case N-0004: died" in page
    # Aware Saturday 28 February: Monday 2 March is the first working day, Friday the fifth.
    assert re.search(r'data-testid="notify-panel-by">6 March 2026', page)
    assert "What the service showed at the time" in page and "In hindsight" in page
    assert "Found unresponsive at home." in page
    assert [r["case_ref"] for r in audit_rows(db, "record_incident")] == ["N-0004"]
    assert [r["case_ref"] for r in audit_rows(db, "view_incident")] == ["N-0004"]


def test_an_incident_with_impossible_days_is_refused_on_its_fields(client, db, lead):
    sign_in(client, "lee")
    bad = FORM | {"known_on": ["26", "2", "2026"], "case_ref": "N-0004"}
    response = client.post("/partnership/incidents/new", data=bad)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and 'href="#known_on-day"' in page
    assert any("before the incident (2026-02-27)" in e for e in form_errors(page))
    future = client.post(
        "/partnership/incidents/new", data=FORM | {"occurred_on": ["3", "3", "2026"]}
    )
    assert any("2026-03-03 is in the future" in e for e in form_errors(text(future)))
    unknown = client.post("/partnership/incidents/new", data=FORM | {"case_ref": "Z-1"})
    assert any("No case has the reference &#39;Z-1&#39;" in e for e in form_errors(text(unknown)))
    empty = client.post("/partnership/incidents/new", data={})
    assert "Enter the child&#39;s case reference" in text(empty)
    assert db.execute("SELECT count(*) FROM serious_incidents").fetchone()[0] == 0
    # Each refusal audited, with the reference typed (as a refused case page is).
    assert [(r["case_ref"], r["detail"]) for r in audit_rows(db, "record_incident_refused")] == [
        ("N-0004", "fields=known_on"),
        ("N-0004", "fields=known_on,occurred_on"),
        ("Z-1", "fields=case_ref"),
    ]


def test_the_incident_page_shows_the_actions_agreed_and_whether_they_were_done(
    client, db, incident, ids
):
    ann = ids["staff"]["ann"]
    for kind, state, closed in (
        ("strategy_discussion", "done", "2026-02-24T10:00:00+00:00"),
        ("visit_child", "open", None),
    ):
        db["actions"].insert(
            {
                "case_id": ids["cases"]["N-0001"],
                "kind": kind,
                "description": "Smith family",
                "owner_id": ann,
                "due_on": "2026-02-26",
                "created_by_id": ann,
                "created_at": "2026-02-23T12:00:00+00:00",
                "state": state,
                "closed_at": closed,
                "closed_by_id": ann if closed else None,
            }
        )
    sign_in(client, "lee")
    page = " ".join(text(client.get(f"/partnership/incidents/{incident}")).split())
    agreed = "(Ann Worker, due 26 February 2026, agreed 23 February 2026)"
    assert f"Strategy discussion {agreed}: done 24 February 2026" in page
    assert f"Visit and see the child {agreed}: <strong>not done</strong>" in page
    assert "Smith family" not in page


def test_the_progress_of_an_incident_is_recorded_and_shown(client, db, incident):
    sign_in(client, "lee")
    form = text(client.get(f"/partnership/incidents/{incident}/progress"))
    assert "Notify the Panel by 5 March 2026" in form
    response = client.post(
        f"/partnership/incidents/{incident}/progress",
        data={"panel_notified_on": ["27", "2", "2026"], "rapid_review_on": ["", "", ""]},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Done on time" in page and "on 27 February 2026" in page
    # 15 working days after Friday 27 February.
    assert re.search(r'data-testid="rapid-review-by">20 March 2026', page)
    early = client.post(
        f"/partnership/incidents/{incident}/progress",
        data={"panel_notified_on": ["27", "2", "2026"], "rapid_review_on": ["26", "2", "2026"]},
    )
    assert early.status_code == 400
    assert any("before the Panel was notified" in e for e in form_errors(text(early)))


def test_a_sibling_joins_the_incident_and_its_page_names_both(client, db, incident):
    sign_in(client, "lee")
    response = client.post(
        f"/partnership/incidents/{incident}/children", data={"case_ref": "N-0004", "harm": "died"}
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Case N-0001" in page and "Case N-0004" in page and "2 children" in page
    again = client.post(
        f"/partnership/incidents/{incident}/children", data={"case_ref": "N-0004", "harm": "died"}
    )
    assert again.status_code == 400 and "already recorded for N-0004" in text(again)


def test_the_look_back_downloads_day_by_day(client, db, incident):
    sign_in(client, "lee")
    rows = list(
        csv.DictReader(
            io.StringIO(text(client.get(f"/partnership/incidents/{incident}/look-back.csv")))
        )
    )
    assert len(rows) == 90 and rows[-1]["day"] == "2026-02-24"
    assert rows[-1]["band"] == "" and rows[-1]["hindsight_band"]  # no score held that day
    kept = [r for r in rows if r["band"]]
    assert [r["day"] for r in kept] == ["2026-02-23"]
    assert audit_rows(db, "export_look_back")[0]["case_ref"] == "N-0001"


def test_an_incident_that_does_not_exist_is_not_found(client, lead):
    sign_in(client, "lee")
    for path in (
        "/partnership/incidents/99",
        "/partnership/incidents/99/progress",
        "/partnership/incidents/99/children",
        "/partnership/incidents/99/look-back.csv",
        "/partnership/incidents/99999999999999999999",
    ):
        assert client.get(path).status_code == 404, path


def test_the_forms_offer_exactly_the_choices_the_rules_know():
    assert set(HARM_CHOICES) == set(HARMS)
    assert set(ABUSE_CHOICES) == set(ABUSE_OR_NEGLECT)


# --- the workforce --------------------------------------------------------------------------


def test_a_manager_sees_the_workforce_of_their_own_team_only(client, db, lead):
    sign_in(client, "meg")
    page = text(client.get("/workforce"))
    assert "Ann Worker" in page and "Bob Worker" in page
    assert "Cat Worker" not in page  # the south team's
    rows = list(csv.DictReader(io.StringIO(text(client.get("/workforce.csv")))))
    assert {r["team"] for r in rows} == {"North Team"}
    assert audit_rows(db, "view_workforce")[0]["actor_email"] == "meg.manager@example.org"


@pytest.mark.parametrize(("who", "status"), [("ann", 403), ("lee", 200), ("ada", 200)])
def test_the_workforce_page_is_for_managers_the_partnership_and_admins(client, lead, who, status):
    sign_in(client, who)
    response = client.get("/workforce")
    assert response.status_code == status
    if status == 200:
        assert "Cat Worker" in text(response) and "South Team" in text(response)


# --- people ---------------------------------------------------------------------------------


def test_an_admin_adds_a_member_of_the_partnership_with_no_team(client, db, ids):
    sign_in(client, "ada")
    form = text(client.get("/admin/people/new"))
    assert 'value="partnership"' in form
    person = {"name": "Pat Partner", "email": "pat@example.org", "role": "partnership"}
    with_team = client.post("/admin/people/new", data=person | {"team": "1"})
    assert with_team.status_code == 400 and "Choose No team" in text(with_team)
    added = client.post("/admin/people/new", data=person | {"team": ""})
    assert added.status_code == 200 and "Pat Partner is added" in text(added)
    assert db.execute(
        "SELECT role, team_id FROM staff WHERE email = 'pat@example.org'"
    ).fetchone() == (
        "partnership",
        None,
    )


def test_every_list_on_the_partnership_pages_keeps_to_its_budget(app, client, db, incident, lead):
    app.config["SETTINGS"]["partnership"]["page_rows"] = 1
    new = NewIncident("S-0001", date(2026, 2, 20), date(2026, 2, 21), "died", "known")
    partnership.record_incident(db, new, actor=auth.load_user(db, str(lead)), now=NOW)
    sign_in(client, "lee")
    page = " ".join(text(client.get("/partnership")).split())
    assert "The earliest 1 of 2: every incident is in the download below" in page
    assert "The latest 1 of 2" in page
    assert re.search(r"Workers: the first 1 of \d+", page)
    assert re.search(r"Teams: the first 1 of 2", page)
    assert (
        "Teams this month, the lowest share asked about domestic abuse first: the first 1 of 2"
        in page
    )
    assert len(re.findall(r'data-incident="', page)) == 1
