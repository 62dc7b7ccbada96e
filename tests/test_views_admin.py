"""/admin/audit: the audit log for admins, filterable by member of staff and by case."""

from __future__ import annotations

import csv
import io
import re

import browser_support as world
import pytest
from browser_support import email, sign_in


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


def actions(page: str) -> list[tuple[str, str, str]]:
    """(who, action, case) for each row, newest first."""
    found = []
    for row in re.findall(r"<tr [^>]*data-audit-id=.*?</tr>", page, re.S):
        who = re.search(r'data-field="who">([^<]+)<', row).group(1)
        action = re.search(r'data-field="action">([^<]+)<', row).group(1)
        case = re.search(r'data-field="case">\s*(?:<a[^>]*>([^<]*)<)?', row).group(1)
        found.append((who, action, case or ""))
    return found


@pytest.fixture
def activity(client, ids):
    """Ann views two cases and is refused one; Meg views one."""
    sign_in(client, "ann")
    client.get("/cases/N-0001")
    client.get("/cases/N-0002")
    client.get("/cases/S-0001")
    client.post("/logout")
    sign_in(client, "meg")
    client.get("/cases/N-0004")
    client.post("/logout")
    sign_in(client, "ada")


def test_the_audit_log_lists_views_refusals_and_sign_ins_newest_first(client, activity):
    page = client.get("/admin/audit").get_data(as_text=True)
    rows = actions(page)
    assert rows[0] == (email("ada"), "sign in", "")
    assert (email("ann"), "refused case", "S-0001") in rows
    assert rows.index((email("meg"), "view case", "N-0004")) < rows.index(
        (email("ann"), "view case", "N-0001")
    )


def test_the_audit_log_filters_by_member_of_staff_however_the_email_is_typed(client, activity):
    page = client.get("/admin/audit?actor=ANN.Worker@example.org").get_data(as_text=True)
    rows = actions(page)
    assert {who for who, _, _ in rows} == {email("ann")}
    assert [case for _, action, case in rows if "case" in action] == [
        "S-0001",
        "N-0002",
        "N-0001",
    ]


def test_the_audit_log_filters_by_case(client, activity):
    rows = actions(client.get("/admin/audit?case_ref=N-0001").get_data(as_text=True))
    assert rows == [(email("ann"), "view case", "N-0001")]


def test_the_audit_log_filters_by_both(client, activity):
    page = client.get("/admin/audit?actor=meg.manager@example.org&case_ref=N-0001")
    assert "No entries match these filters" in page.get_data(as_text=True)


def test_the_audit_log_pages_by_100(client, db, activity):
    for n in range(150):
        db["audit_log"].insert(
            {"at": "2026-03-01T10:00:00+00:00", "action": "view_case", "case_ref": f"X-{n}"}
        )
    first = client.get("/admin/audit").get_data(as_text=True)
    assert len(actions(first)) == 100
    assert 'href="/admin/audit?page=2"' in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert 0 < len(actions(second)) < 100
    assert 'href="/admin/audit?page=1"' in second


@pytest.mark.parametrize("who", ["ann", "meg"])
def test_only_admins_see_the_audit_log(client, ids, who):
    sign_in(client, who)
    assert client.get("/admin/audit").status_code == 403


def test_the_audit_log_filters_by_action_and_by_day(client, db, activity):
    db["audit_log"].insert(
        {"at": "2026-02-27T23:59:59.999999+00:00", "action": "view_case", "case_ref": "OLD-1"}
    )
    db["audit_log"].insert(
        {"at": "2026-02-28T00:00:00.000000+00:00", "action": "view_case", "case_ref": "OLD-2"}
    )
    page = client.get("/admin/audit?action=refused_case").get_data(as_text=True)
    assert actions(page) == [(email("ann"), "refused case", "S-0001")]
    page = client.get("/admin/audit?date_from=2026-02-28&date_to=2026-02-28")
    assert [case for _, _, case in actions(page.get_data(as_text=True))] == ["OLD-2"]
    page = client.get("/admin/audit?date_to=2026-02-27").get_data(as_text=True)
    assert [case for _, _, case in actions(page)] == ["OLD-1"]


def test_the_audit_days_are_the_services_local_days(client, db, activity):
    # 23:30Z on 1 June is 00:30 on 2 June in London (British Summer Time).
    db["audit_log"].insert(
        {"at": "2026-06-01T23:30:00.000000+00:00", "action": "view_case", "case_ref": "JUNE-2"}
    )
    page = client.get("/admin/audit?date_from=2026-06-02&date_to=2026-06-02")
    assert [case for _, _, case in actions(page.get_data(as_text=True))] == ["JUNE-2"]
    page = client.get("/admin/audit?date_from=2026-06-01&date_to=2026-06-01")
    assert actions(page.get_data(as_text=True)) == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=garbage", "date_from", "The ‘from’ date must be a real date"),
        ("date_from=2026-02-30", "date_from", "The ‘from’ date must be a real date"),
        ("date_to=1&date_to=13&date_to=2026", "date_to", "The ‘to’ date must be a real date"),
        ("date_from=1&date_from=&date_from=2026", "date_from", "must include a month"),
        (
            "date_from=2026-03-02&date_to=2026-03-01",
            "date_to",
            "The ‘to’ date must be the same as or after the ‘from’ date",
        ),
        ("page=abc", "page", "The page must be a whole number"),
        ("page=99999999999999999999", "page", "The page must be a whole number"),
        ("page=%C2%B2", "page", "The page must be a whole number"),
        ("action=drop_tables", "action", "Choose an action from the list"),
        ("case_ref=" + "X" * 65, "case_ref", "A case reference is 64 characters or fewer"),
        ("actor=a%00b@example.org", "actor", "The email must not contain control characters"),
    ],
)
def test_a_filter_that_cannot_be_one_is_refused_naming_the_field(
    client, db, activity, query, field, message
):
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert actions(html) == []  # never the whole log instead
    exported = client.get(f"/admin/audit.csv?{query}")
    assert exported.status_code == 400 and exported.mimetype == "text/plain"
    assert exported.get_data(as_text=True).startswith(f"{field}: ")
    assert message in exported.get_data(as_text=True)
    assert world.audit_rows(db, "export_audit") == []


@pytest.mark.parametrize(
    "query",
    [
        "date_from=28&date_from=2&date_from=2026&date_to=28&date_to=2&date_to=2026",  # the boxes
        "date_from=28/2/2026&date_to=28.02.2026",  # as typed in England, day first
        "date_from=2026-02-28&date_to=2026-02-28",  # in a link
    ],
)
def test_the_audit_log_takes_days_as_people_type_them(client, db, activity, query):
    db["audit_log"].insert(
        {"at": "2026-02-28T10:00:00.000000+00:00", "action": "view_case", "case_ref": "FEB-28"}
    )
    page = client.get(f"/admin/audit?{query}")
    assert page.status_code == 200
    assert [case for _, _, case in actions(page.get_data(as_text=True))] == ["FEB-28"]
    csv_link = re.search(r'href="(/admin/audit.csv[^"]*)"', page.get_data(as_text=True))
    assert csv_link.group(1).replace("&amp;", "&") == (
        "/admin/audit.csv?date_from=2026-02-28&date_to=2026-02-28"
    )


def test_the_audit_log_shows_local_times_and_details_in_words(client, db, activity):
    db["audit_log"].insert(
        {
            "at": "2026-06-01T23:30:05.000000+00:00",
            "action": "record_observation",
            "case_ref": "N-0001",
            "detail": "indicator=domestic_abuse observed_on=2026-06-01 source=health_visiting",
        }
    )
    db["audit_log"].insert(
        {
            "at": "2026-06-01T09:00:00.000000+00:00",
            "action": "partner_add",
            "detail": '{"partner": "police-ppn", "source": "police", "rows": {"read": 3}}',
        }
    )
    page = client.get("/admin/audit?date_from=2026-06-01&date_to=2026-06-02")
    html = page.get_data(as_text=True)
    assert "2 June 2026 at 12:30:05am" in html  # British Summer Time, not 23:30 UTC
    assert "1 June 2026 at 10:00:00am" in html
    assert "T23:30" not in re.sub(r'datetime="[^"]+"', "", html)
    assert (
        "indicator: Domestic abuse disclosed, reported or attended by police; "
        "observed: 1 June 2026; from: Health visiting"
    ) in html
    assert "partner: police-ppn; from: Police; rows: (read: 3)" in html
    table = html[html.index("<table") : html.index("</table>")]
    assert "{&#34;" not in table and '{"' not in table


def test_the_csv_export_has_the_filtered_rows_and_is_safe_in_a_spreadsheet(client, db, activity):
    db["audit_log"].insert(
        {
            "at": "2026-03-01T10:00:00+00:00",
            "actor_email": '=HYPERLINK("http://evil.example")',
            "action": "view_case",
            "case_ref": "+SUM(A1:A9)",
            "detail": "@cmd",
        }
    )
    response = client.get("/admin/audit.csv?action=view_case")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["at", "actor_email", "action", "case_ref", "detail"]
    assert {row[2] for row in rows[1:]} == {"view_case"}
    evil = rows[1]
    assert evil[1] == '\'=HYPERLINK("http://evil.example")'
    assert evil[3] == "'+SUM(A1:A9)" and evil[4] == "'@cmd"
    assert ["N-0001" in row for row in rows].count(True) == 1


def test_the_csv_export_is_audited_and_only_for_admins(client, db, activity):
    client.get("/admin/audit.csv?case_ref=N-0001")
    assert world.audit_rows(db, "export_audit")[-1]["detail"] == "case_ref=N-0001"
    client.post("/logout")
    sign_in(client, "meg")
    assert client.get("/admin/audit.csv").status_code == 403


def test_refused_pages_caseload_and_team_views_are_audited(client, db, ids):
    sign_in(client, "ann")
    client.get("/caseload?band=red")
    assert client.get("/team").status_code == 403
    client.post("/logout")
    sign_in(client, "meg")
    client.get("/team")
    rows = world.audit_rows(db)
    assert {
        "actor_email": email("ann"),
        "action": "refused_page",
        "case_ref": None,
        "detail": "GET /team",
    } in rows
    caseload = world.audit_rows(db, "view_caseload")[0]
    assert caseload["detail"].startswith(f"worker {email('ann')}; ")
    assert caseload["detail"].endswith("; band red")
    assert world.audit_rows(db, "view_team") == [
        {
            "actor_email": email("meg"),
            "action": "view_team",
            "case_ref": None,
            "detail": "team North Team",
        }
    ]


def test_an_admin_sees_who_is_signed_in_and_can_end_a_persons_sessions(app, client, db, ids):
    ann = app.test_client()
    sign_in(ann, "ann")
    sign_in(client, "ada")
    page = client.get("/admin/sessions").get_data(as_text=True)
    assert "Ann Worker" in page and "Ada Admin" in page
    response = client.post(f"/admin/sessions/{ids['staff']['ann']}/end")
    assert response.status_code == 302
    assert "Ended 1 session of ann.worker@example.org" in client.get(response.location).get_data(
        as_text=True
    )
    assert ann.get("/caseload").status_code == 302
    assert world.audit_rows(db, "end_sessions") == [
        {
            "actor_email": email("ada"),
            "action": "end_sessions",
            "case_ref": None,
            "detail": f"staff {email('ann')}; 1 ended",
        }
    ]


def test_only_admins_end_sessions(client, ids):
    sign_in(client, "meg")
    assert client.get("/admin/sessions").status_code == 403
    assert client.post(f"/admin/sessions/{ids['staff']['ann']}/end").status_code == 403


def test_ending_the_sessions_of_nobody_is_not_found(client, ids):
    sign_in(client, "ada")
    assert client.post("/admin/sessions/999/end").status_code == 404


def test_an_admin_sees_where_workers_disagree_with_the_score_by_part(client, db, ids):
    sign_in(client, "ann")
    client.post(
        "/cases/N-0001/reviews",
        data={
            "review-decision": "disagree",
            "review-disagree_reason": "Explained by the GP",
            "review-disagreed": ["previous_injury"],
        },
    )
    client.post("/logout")
    sign_in(client, "ada")
    page = client.get("/admin/disagreements").get_data(as_text=True)
    assert "1 review of hotspots recorded a decision, and 1 disagreed with the score" in page
    rows = re.findall(
        r'__header govuk-!-font-weight-regular">([^<]+)</th>\s*'
        r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+) \((\d+)%\)",
        page,
    )
    assert rows[0] == ("Previous injury or unexplained bruising", "1", "1", "1", "100")
    assert "Explained by the GP" not in page  # the counts, not what anyone wrote
    assert world.audit_rows(db, "view_disagreements")
    client.post("/logout")
    sign_in(client, "meg")
    assert client.get("/admin/disagreements").status_code == 403
