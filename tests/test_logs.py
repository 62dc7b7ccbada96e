"""Log lines are safe (hotspots.base.logs) and ``hotspots run`` serves without a Server banner,
logging no case references (hotspots.cli.serve)."""

from __future__ import annotations

import http.client
import logging
import threading

import pytest
from werkzeug.serving import make_server

from hotspots.base import logs
from hotspots.cli.serve import handler_for


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("fine", "fine"),
        ("two\nlines", "two\\nlines"),
        ("bell\x07", "bell\\x07"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("cr\r", "cr\\r"),
    ],
)
def test_control_characters_are_escaped(text, escaped):
    assert logs.escape_control(text) == escaped


@pytest.mark.parametrize(
    ("target", "keep", "logged"),
    [
        ("/cases/N-0001", False, "/cases/…"),
        ("/cases/N-0001/observations/3/status", False, "/cases/…/observations/3/status"),
        ("/cases/N-0001", True, "/cases/N-0001"),
        ("/team/allocate/N-0001", False, "/team/allocate/…"),
        ("/admin/audit?case_ref=N-0001", False, "/admin/audit?…"),
        ("/login?next=/cases/N-0001", True, "/login?…"),
        ("/caseload", False, "/caseload"),
        ("/no-such-page/N-0001", False, "/no-such-page/…"),
        ("/no-such-page/N-0001", True, "/no-such-page/N-0001"),
        ("/x\n200 forged", False, "/x\\n200 forged"),
    ],
)
def test_access_paths_leave_out_case_refs_and_query_strings(app, target, keep, logged):
    assert logs.access_path(target, keep_case_refs=keep, url_map=app.url_map) == logged


def test_a_case_ref_is_masked_whatever_the_method_or_a_trailing_slash(app):
    # DELETE on an address that does not take it (a 405) still shows the rule's case_ref;
    # a slash too many matches no rule, so all but the first segment is masked.
    for target, method in [("/team/allocate/N-0001", "DELETE"), ("/cases/N-0001/", "GET")]:
        logged = logs.access_path(target, keep_case_refs=False, url_map=app.url_map, method=method)
        assert "N-0001" not in logged, (target, method, logged)


def test_any_route_with_a_case_ref_variable_is_masked_whoever_adds_it(app):
    # A route added later (a reallocation page, say) is covered by its variable's name alone.
    app.add_url_rule("/reallocate/<case_ref>/to/<int:worker>", "reallocate", lambda **_: "")
    logged = logs.access_path("/reallocate/N-0042/to/7", keep_case_refs=False, url_map=app.url_map)
    assert logged == "/reallocate/…/to/7"


def test_a_path_the_app_never_saw_is_masked_after_its_first_segment():
    assert logs.access_path("/team/allocate/N-0001", keep_case_refs=False) == "/team/…"
    assert logs.access_path("/caseload", keep_case_refs=False) == "/caseload"


def test_the_safe_formatter_escapes_each_message_but_keeps_a_tracebacks_lines():
    formatter = logs.SafeFormatter("%(message)s")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "f", 1, "a\nb %s", ("c\rd",), None)
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    first, *rest = text.split("\n")
    assert first == "a\\nb c\\rd"
    assert rest[0].startswith("Traceback")


def test_the_safe_formatter_drops_colour_codes_and_escapes_other_escapes():
    formatter = logs.SafeFormatter("%(message)s")
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "\x1b[31mred\x1b[0m \x1b]0;title", (), None
    )
    assert formatter.format(record) == "red \\x1b]0;title"


@pytest.fixture
def served(app, caplog):
    """The app on a real Werkzeug server on loopback, with hotspots run's handler."""
    server = make_server("127.0.0.1", 0, app, request_handler=handler_for(app.config["SETTINGS"]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    yield server.server_port
    server.shutdown()
    thread.join()


def _get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_hotspots_run_sends_no_server_banner_and_logs_no_case_ref(served, caplog):
    response = _get(served, "/cases/N-0001?next=/x")
    assert response.status == 302
    assert response.getheader("Server") is None
    assert response.getheader("Date")
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /cases/…?… HTTP/1.1" 302' in line for line in lines), lines
    assert not any("N-0001" in line for line in lines)


def test_hotspots_run_masks_the_case_ref_of_every_route_that_has_one(served, caplog):
    _get(served, "/team/allocate/N-0001")
    _get(served, "/cases/N-0001/observations")
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any('"GET /team/allocate/… HTTP/1.1" 302' in line for line in lines), lines
    assert any('"GET /cases/…/observations HTTP/1.1" 302' in line for line in lines), lines
    assert not any("N-0001" in line for line in lines)


def test_a_logged_traceback_never_carries_an_exceptions_message():
    formatter = logs.SafeFormatter("%(message)s")
    number, note = "94347" + "65918", "Father " + "arrested"  # not in the source lines shown
    try:
        try:
            raise ValueError(f"input_value={number!r}")
        except ValueError as first:
            raise KeyError(f"note: {note}") from first
    except KeyError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, "f", 1, "failed", (), sys.exc_info())
    text = formatter.format(record)
    assert "9434765918" not in text and "arrested" not in text
    assert "ValueError (its message is not logged" in text
    assert "KeyError (its message is not logged" in text
    assert "test_logs.py" in text  # where it happened is kept


def test_the_apps_own_exception_log_names_the_route_not_the_path(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom/<case_ref>")
    def boom(case_ref):
        raise RuntimeError(f"failed on {case_ref}")

    assert app.test_client().get("/boom/N-0042").status_code == 500
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage() == "Exception on GET boom"
    assert "N-0042" not in caplog.text  # pytest's own formatter, given the app's filter
