"""Rendering and sending email: make_message, the outbox and SMTP transports (against a real
SMTP server on loopback), and the retry rules."""

from __future__ import annotations

import socket
import threading
from datetime import date, datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import AuthResult
from ports import SmtpController, free_port
from test_sending import Collector, Rejects, smtp_server

from hotspots.base.config import load_config
from hotspots.base.resources import TEMPLATES_DIR
from hotspots.model.digest import build_digest
from hotspots.services.mail import (
    OutboxTransport,
    PermanentMailError,
    SmtpTransport,
    TemporaryMailError,
    make_message,
    outbox_file_name,
    send_with_retries,
    transport_from_settings,
)

NOW = datetime(2026, 11, 26, 7, 30, tzinfo=ZoneInfo("Europe/London"))


def a_digest():
    """The smallest digest the templates render, built by the real builder: one hotspot that
    is new today, one worker."""
    hotspot = {
        "id": 1, "case_ref": "N-001", "initials": "AB", "worker_id": 1,
        "worker_name": "Will Worker", "opened_on": "2026-11-25", "last_visit_on": "2026-11-22",
        "visit_every_days": 14, "score": 30.0, "band": "red", "scored_on": "2026-11-26",
        "score_then": 26.5, "last_reviewed_on": None, "practice_gaps": 0,
        "current_concerns": 2,
        "contributions": [{"code": "previous_injury", "kind": "indicator",
                           "label": "Previous injury <or bruising>", "points": 12.0}],
    }  # fmt: skip
    return build_digest(
        manager={"id": 1, "email": "nina@council.example", "name": "Nina"},
        team={"id": 1, "name": "North & East"},
        workers=[{"id": 1, "name": "Will Worker"}],
        cases=[hotspot],
        history={1: [("2026-11-25", 26.5, "amber")]},
        previous_digest_date=date(2026, 11, 25),
        date=date(2026, 11, 26),
        now=NOW,
        settings=load_config(environ={"HOTSPOTS_APP__BASE_URL": "https://hotspots.example"}),
    )


def message(**kwargs):
    return make_message(
        "digest",
        "nina@council.example",
        {"digest": a_digest()},
        templates_dir=TEMPLATES_DIR,
        sender="hotspots@council.example",
        message_id="<digest-2026-11-26-1@council.example>",
        date=NOW,
        **kwargs,
    )


def test_make_message_renders_from_the_templates_folder_it_is_given(tmp_path):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "note-subject.txt").write_text("A note for {{ name }}\n")
    (tmp_path / "email" / "note-body.txt").write_text("Hello {{ name }}\n")
    (tmp_path / "email" / "note-body.html").write_text("<p>Hello {{ name }}</p>\n")
    m = make_message("note", "nina@council.example", {"name": "Nina & co"}, templates_dir=tmp_path)
    assert m["Subject"] == "A note for Nina & co"
    assert m.get_body(("plain",)).get_content() == "Hello Nina & co\n"
    assert m.get_body(("html",)).get_content() == "<p>Hello Nina &amp; co</p>\n"


def test_make_message_renders_subject_text_and_html_side_by_side():
    m = message()
    assert m["Subject"] == (
        "Hotspot digest, North & East, Thu 26 Nov: 1 hotspot, 1 new, 1 needs you today"
    )
    assert m["To"] == "nina@council.example"
    assert m["From"] == "hotspots@council.example"
    assert m["Message-ID"] == "<digest-2026-11-26-1@council.example>"
    assert m["Date"] == "Thu, 26 Nov 2026 07:30:00 +0000"
    assert m.get_content_type() == "multipart/alternative"
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    assert "N-001 (AB)" in text and "Previous injury <or bruising> (+12.0)" in text
    assert "Previous injury &lt;or bruising&gt; (+12.0)" in html  # escaped in HTML only
    assert "North &amp; East" in html
    assert "+3.5 in 7 days" in text and "+3.5 in 7 days" in html


def test_the_html_uses_tables_and_inline_styles_only():
    html = message().get_body(("html",)).get_content()
    assert "<table" in html and 'style="' in html
    assert "<style" not in html and "<link" not in html and "<script" not in html


def test_the_subject_is_one_line():
    assert "\n" not in message()["Subject"]


def test_outbox_file_names_come_from_the_message_id():
    assert outbox_file_name("<digest-2026-11-26-3@x.gov.uk>") == "digest-2026-11-26-3@x.gov.uk.eml"
    assert outbox_file_name("<a/../b@x>") == "a_.._b@x.eml"


def test_the_outbox_transport_writes_a_readable_eml_file(tmp_path):
    OutboxTransport(tmp_path / "outbox").send(message())
    (path,) = (tmp_path / "outbox").iterdir()
    assert path.name == "digest-2026-11-26-1@council.example.eml"
    read = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert read["Subject"].startswith("Hotspot digest, North & East")
    assert "N-001" in read.get_body(("plain",)).get_content()
    assert list(tmp_path.glob("outbox/*.partial")) == []


def test_an_outbox_that_cannot_be_written_is_a_permanent_failure(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(PermanentMailError, match="cannot write to outbox"):
        OutboxTransport(blocker / "outbox").send(message())


def test_smtp_delivers_to_a_real_server():
    with smtp_server(Collector()) as controller:
        SmtpTransport(controller.hostname, controller.port, security="none").send(message())
        ((rcpt, received),) = controller.handler.messages
    assert rcpt == ["nina@council.example"]
    assert received["Message-ID"] == "<digest-2026-11-26-1@council.example>"


def test_smtp_logs_in_with_the_password_from_the_environment_only():
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret-from-env")

    settings = load_config(environ={"HOTSPOTS_MAIL__SMTP_PASSWORD": "s3cret-from-env"})
    handler = Collector()
    controller = SmtpController(handler, authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        mail = dict(settings["mail"])
        mail.update(
            transport="smtp",
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            smtp_username="digests",
        )
        transport_from_settings(mail).send(message())
    finally:
        controller.stop()
    assert seen == [(b"digests", b"s3cret-from-env")]
    assert len(handler.messages) == 1


def test_a_4xx_answer_is_temporary_and_a_5xx_answer_permanent():
    class Busy(Collector):
        async def handle_DATA(self, server, session, envelope):
            return "452 4.3.1 Insufficient system storage"

    with smtp_server(Busy()) as controller:
        with pytest.raises(TemporaryMailError, match="452"):
            SmtpTransport(controller.hostname, controller.port, security="none").send(message())
    with smtp_server(Rejects()) as controller:
        with pytest.raises(PermanentMailError, match="550"):
            SmtpTransport(controller.hostname, controller.port, security="none").send(message())


def test_a_refused_connection_is_temporary():
    with pytest.raises(TemporaryMailError, match="cannot reach SMTP server"):
        SmtpTransport("127.0.0.1", free_port(), security="none", timeout=2).send(message())


def test_a_server_that_never_answers_times_out_as_temporary():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        with pytest.raises(TemporaryMailError, match="timed out"):
            SmtpTransport("127.0.0.1", port, security="none", timeout=0.3).send(message())
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()


def test_starttls_against_a_server_without_it_is_a_permanent_configuration_error():
    with smtp_server(Collector()) as controller:
        with pytest.raises(PermanentMailError, match="STARTTLS"):
            SmtpTransport(controller.hostname, controller.port, security="starttls").send(message())


class Flaky:
    """A transport failing temporarily ``failures`` times, then succeeding."""

    def __init__(self, failures, error=None):
        self.failures, self.sent = failures, 0
        self.error = error or TemporaryMailError("451 later")

    def send(self, message):
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent += 1


def test_temporary_failures_are_retried_with_exponential_backoff():
    waits, transport = [], Flaky(2)
    attempts = send_with_retries(
        message(), transport, max_attempts=4, backoff_seconds=1.5, sleep=waits.append
    )
    assert (attempts, transport.sent, waits) == (3, 1, [1.5, 3.0])


def test_retries_are_bounded():
    waits, transport = [], Flaky(10)
    with pytest.raises(TemporaryMailError, match="gave up after 3 attempts"):
        send_with_retries(
            message(), transport, max_attempts=3, backoff_seconds=1, sleep=waits.append
        )
    assert waits == [1, 2]


def test_a_permanent_failure_is_not_retried():
    waits, transport = [], Flaky(1, PermanentMailError("550 no such user"))
    with pytest.raises(PermanentMailError):
        send_with_retries(
            message(), transport, max_attempts=4, backoff_seconds=1, sleep=waits.append
        )
    assert waits == []


def test_before_attempt_runs_before_every_attempt_and_can_stop_the_sending():
    calls, transport = [], Flaky(1)
    send_with_retries(
        message(), transport, max_attempts=3, backoff_seconds=0, sleep=lambda s: None,
        before_attempt=calls.append,
    )  # fmt: skip
    assert calls == [1, 2]

    def stop(n):
        raise RuntimeError("claim lost")

    with pytest.raises(RuntimeError):
        send_with_retries(
            message(), Flaky(0), max_attempts=3, backoff_seconds=0, before_attempt=stop
        )
