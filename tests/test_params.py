"""Input that never gives a 500: the parsing helpers (hotspots.base.params), and every route of
the app driven with hostile values in its path, its query string and its form, as each role."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path
from urllib.parse import quote

import browser_support as world
import pytest
from browser_support import audit_rows, count, sign_in
from flask_wtf import FlaskForm

from hotspots.base import params
from hotspots.web import forms

VIEWS = Path(__file__).resolve().parent.parent / "hotspots" / "views"

HOSTILE = [
    "99999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "²",
    "١٢",
    "",
    " ",
    "\x00",
    "\n",
    "%",
    "'; DROP TABLE cases; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "/%09/evil.example",
    "x" * 5000,
    "1e400",
    "nan",
    "2026-02-30",
]

# Every query parameter a view reads (a test below checks this list against the code).
QUERY_NAMES = [
    "worker",
    "band",
    "team",
    "manager",
    "page",
    "next",
    "actor",
    "case_ref",
    "action",
    "date_from",
    "date_to",
    # The caseload's filters and order, and finding a case.
    "sort",
    "not_reviewed",
    "visit_overdue",
    "practice_gap",
    "q",
    # The enquiry a case page's "what would help next" asks for.
    "topic",
    # The fairness report's day.
    "as_of",
]
PREFIXES = ("", "observation-", "enquiry-", "adjustment-", "review-", "dispute-", "decision-")


def _form_field_names() -> list[tuple[str, bool]]:
    """(name, is a date) of every field of every form in hotspots.web.forms, under every prefix
    the case page uses."""
    names = set()
    for _, cls in inspect.getmembers(forms, inspect.isclass):
        if issubclass(cls, FlaskForm) and cls is not FlaskForm:
            for name, unbound in cls._unbound_fields or _declared(cls):
                is_date = unbound.field_class is forms.GovDateField
                names.update((prefix + name, is_date) for prefix in PREFIXES)
    return sorted(names)


def _declared(cls):
    return [
        (name, value)
        for name in dir(cls)
        if not name.startswith("_") and hasattr((value := getattr(cls, name)), "field_class")
    ]


@pytest.fixture
def app(db_path, tmp_path):
    return world.make_app(db_path, tmp_path)


# --- the helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("99999999999999999999", None),
        ("²", None),
        ("١٢", None),
        ("0", None),
        ("-1", None),
        (" 1", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id_takes_only_ids_sqlite_can_hold(text, expected):
    assert params.parse_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("3", 3), ("0", 1), ("²", 1), ("99999999999999999999", 1), (None, 1)]
)
def test_parse_page_falls_back_to_the_first_page(text, expected):
    assert params.parse_page(text) == expected


@pytest.mark.parametrize(
    "parts",
    [
        ("31", "2", "2026"),
        ("1", "1", "99999999999999999999"),
        ("99999999999999999999", "1", "2026"),
        ("²", "1", "2026"),
        ("1", "1", "999"),
        ("1", "13", "2026"),
    ],
)
def test_parse_date_parts_refuses_what_is_not_a_real_date(parts):
    with pytest.raises(ValueError):
        params.parse_date_parts(*parts)


def test_parse_date_parts_reads_a_real_date():
    assert params.parse_date_parts(" 2", "3", "2026") == dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\n", "/\\evil", "http://x/", "x", "/a b", None],
)
def test_safe_next_path_refuses_anything_that_could_leave_the_site(target):
    assert params.safe_next_path(target) is None


def test_safe_next_path_keeps_a_path_and_query_on_this_site():
    assert params.safe_next_path("/cases/N-0001?x=1") == "/cases/N-0001?x=1"


def test_every_query_parameter_a_view_reads_is_driven_by_the_sweep():
    read = set()
    for path in VIEWS.glob("*.py"):
        read.update(re.findall(r'request\.args\.get\("(\w+)"', path.read_text()))
    assert read <= set(QUERY_NAMES)


# --- every route, every role, hostile values -------------------------------------------------


def _urls(app, value: str):
    """(method, url, form) for every route with ``value`` in every path argument, in every
    query parameter and in every form field."""
    query = "&".join(f"{name}={quote(value, safe='')}" for name in QUERY_NAMES)
    form = {}
    for name, is_date in _form_field_names():
        form[name] = [value, value, value] if is_date else value
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        variants = [value]
        if rule.arguments:
            variants.append(None)  # real ids, hostile query and form
        for variant in variants:
            path = rule.rule
            for argument in rule.arguments:
                real = "N-0001" if argument == "case_ref" else "1"  # an id that exists
                chosen = real if variant is None else quote(variant, safe="") or "%20"
                path = re.sub(rf"<(?:\w+:)?{argument}>", chosen, path)
            for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
                yield method, f"{path}?{query}", form if method == "POST" else None


@pytest.mark.parametrize("who", [None, "ann", "meg", "ada"])
def test_no_route_answers_a_server_error_to_hostile_values(app, client, ids, who):
    if who:
        assert sign_in(client, who).status_code == 302
    failures = []
    for value in HOSTILE:
        for method, url, form in _urls(app, value):
            if url.startswith("/logout"):
                continue  # signing out would end the sweep's session
            response = client.open(url, method=method, data=form)
            if response.status_code >= 500:
                failures.append(f"{method} {url[:80]!r} -> {response.status_code}")
    assert failures == []


def test_hostile_values_in_the_sign_in_form_never_give_a_server_error(client, ids):
    for value in HOSTILE:
        response = client.post("/login", data={"email": value, "password": value})
        assert response.status_code in (400, 429)


# --- races that used to give a 500 or an extra audit row -------------------------------------


def _stale_read(monkeypatch, question, answer):
    """The case pages' storage ``question`` answers ``answer``, as it would have before
    another request committed."""
    from hotspots.storage import cases

    monkeypatch.setattr(cases, question, lambda *args, **kwargs: answer)


def _enquiry(day="2026-03-01"):
    year, month, date = day.split("-")
    return {
        "enquiry-topic": "parental_childhood",
        "enquiry-asked_on": [date, month, year],
        "enquiry-outcome": "disclosed",
    }


def test_a_double_submitted_enquiry_is_a_form_error_not_a_server_error(
    client, db, ids, monkeypatch
):
    sign_in(client, "ann")
    assert client.post("/cases/N-0001/enquiries", data=_enquiry()).status_code == 302
    before = (count(db, "enquiries"), len(audit_rows(db, "record_enquiry")))
    # The second post's "already recorded?" check ran before the first one committed.
    _stale_read(monkeypatch, "enquiry_recorded", False)
    response = client.post("/cases/N-0001/enquiries", data=_enquiry())
    assert response.status_code == 400
    assert "already recorded for that day" in response.get_data(as_text=True)
    assert (count(db, "enquiries"), len(audit_rows(db, "record_enquiry"))) == before


def test_two_resolves_of_one_observation_write_one_change_and_one_audit_row(
    client, db, ids, monkeypatch
):
    sign_in(client, "ann")
    (observation_id,) = db.execute(
        "SELECT id FROM observations WHERE case_id = ? LIMIT 1", [ids["cases"]["N-0001"]]
    ).fetchone()
    url = f"/cases/N-0001/observations/{observation_id}/status"
    data = {"status": "resolved", "reason": "moved away"}
    assert client.post(url, data=data).status_code == 302
    # The second request read the observation while it was still current.
    _stale_read(monkeypatch, "observation", {"indicator": "previous_injury", "status": "current"})
    response = client.post(url, data={"status": "refuted", "reason": "second click"})
    assert response.status_code == 302
    assert len(audit_rows(db, "resolve_observation")) == 1
    assert audit_rows(db, "refute_observation") == []
    status = db.execute("SELECT status FROM observations WHERE id = ?", [observation_id])
    assert status.fetchone() == ("resolved",)


def test_a_date_form_with_no_date_fields_posted_is_shown_again_with_an_error(client, ids):
    sign_in(client, "ann")
    response = client.post(
        "/cases/N-0001/enquiries",
        data={"enquiry-topic": "domestic_abuse", "enquiry-outcome": "disclosed"},
    )
    assert response.status_code == 400
    assert "Enter the date the question was asked" in response.get_data(as_text=True)


def test_an_id_past_sqlites_integers_in_a_path_is_not_found(client, ids):
    sign_in(client, "ann")
    url = "/cases/N-0001/observations/99999999999999999999/status"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Ann Worker", None),
        ("Siân O'Brien-Ng", None),
        ("x" * 200, None),
        ("x" * 201, "is longer than 200 characters"),
        ("  ", "is empty"),
        ("Evil\r\nBcc: x@evil.example", "contains a line break"),
        ("Eve\tSmith", "contains a tab"),
        ("Eve\x85Smith", "contains the control character U+0085"),
    ],
)
def test_a_persons_name_is_one_line_of_at_most_200_characters(name, problem):
    found = params.person_name_problem(name)
    assert found == problem or (problem and found.startswith(problem))
