"""Sending digests end to end: a real SQLite file, a real SMTP server on loopback (aiosmtpd),
fixed dates and clocks.

The helpers at the top (``Authority``, ``two_teams``, ``smtp_server``) are imported by the
other digest test files."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import multiprocessing
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from ports import SmtpController, free_port

from hotspots import storage
from hotspots.services import rescoring
from hotspots.services.sending import (
    claim_digest,
    digest_message_id,
    gather_digest,
    held_claim_words,
    managers,
    render_digest,
    send_digest,
    send_due_digests,
    why_not_a_digest_day,
)

LONDON = ZoneInfo("Europe/London")
DIGEST_DAY = date(2026, 11, 26)  # a Thursday
NOW = datetime(2026, 11, 26, 7, 30, tzinfo=LONDON)
# The children's dates of birth in the test data: none may appear in any email.
DATES_OF_BIRTH = ["2025-08-17", "2024-03-09", "2025-12-02", "2023-05-21", "2025-10-30"]


class Authority:
    """Inserts teams, staff, cases, scores, history, reviews, enquiries and observations
    directly, so these tests depend on nothing but the schema."""

    def __init__(self, db):
        self.db = db

    def _insert(self, table, **row):
        return self.db[table].insert(row).last_pk

    def team(self, name):
        return self._insert("teams", name=name)

    def staff(self, email, name, role, team_id):
        return self._insert("staff", email=email, name=name, role=role, team_id=team_id)

    def case(self, ref, initials, team_id, worker_id, *, dob, opened_on="2026-01-05", **extra):
        return self._insert(
            "cases",
            case_ref=ref,
            initials=initials,
            date_of_birth=dob,
            team_id=team_id,
            worker_id=worker_id,
            opened_on=opened_on,
            visit_every_days=14,
            last_visit_on=extra.pop("last_visit_on", "2026-11-16"),
            status=extra.pop("status", "open"),
            **extra,
        )

    def score(self, case_id, score, band, reasons=(), as_of="2026-11-26"):
        contributions = [
            {"code": code, "label": label, "kind": "indicator", "points": points}
            for code, label, points in reasons
        ]
        self._insert(
            "scores",
            case_id=case_id,
            as_of=as_of,
            score=score,
            band=band,
            contributions=json.dumps(contributions),
            model_version="test",
            computed_at=f"{as_of}T02:00:00+00:00",
        )

    def history(self, case_id, *days):
        for day, score, band in days:
            self._insert(
                "score_history", case_id=case_id, day=day, score=score, band=band,
                model_version="test",
            )  # fmt: skip

    def review(self, case_id, by, at):
        self._insert("reviews", case_id=case_id, reviewed_by_id=by, reviewed_at=at, plan="plan")

    def enquiry(self, case_id, asked_on, topic="domestic_abuse"):
        self._insert(
            "enquiries", case_id=case_id, topic=topic, asked_on=asked_on,
            outcome="not_disclosed", recorded_at=f"{asked_on}T10:00:00+00:00",
        )  # fmt: skip

    def observation(self, case_id, indicator, observed_on, external_id):
        self._insert(
            "observations", external_id=external_id, case_id=case_id, indicator=indicator,
            observed_on=observed_on, source="police", status="current",
            recorded_at=f"{observed_on}T10:00:00+00:00",
        )  # fmt: skip


DA = ("domestic_abuse", "Domestic abuse disclosed", 7.5)
INJURY = ("previous_injury", "Previous injury or unexplained bruising", 12.0)
CONFLICT = ("parental_conflict", "Conflict in the parents' relationship", 4.5)
GAP = ("no_domestic_abuse_enquiry", "No domestic-abuse enquiry recorded", 3.0)


def two_teams(db):
    """Team North (manager Nina, workers Will and Wendy) and Team South (manager Sam, worker
    Sue); returns a dict of ids by name."""
    a = Authority(db)
    ids = {}
    ids["north"] = a.team("North")
    ids["south"] = a.team("South")
    ids["nina"] = a.staff("nina@council.example", "Nina Manager", "manager", ids["north"])
    ids["sam"] = a.staff("sam@council.example", "Sam Manager", "manager", ids["south"])
    ids["will"] = a.staff("will@council.example", "Will Worker", "worker", ids["north"])
    ids["wendy"] = a.staff("wendy@council.example", "Wendy Worker", "worker", ids["north"])
    ids["sue"] = a.staff("sue@council.example", "Sue Worker", "worker", ids["south"])

    # N-001: red for three weeks, never reviewed, rising; no DA enquiry.
    ids["n1"] = a.case("N-001", "AB", ids["north"], ids["will"], dob=DATES_OF_BIRTH[0])
    a.score(ids["n1"], 24.0, "red", [INJURY, DA, CONFLICT, GAP])
    a.history(
        ids["n1"],
        ("2026-11-05", 15.0, "red"),
        ("2026-11-19", 16.0, "red"),
        ("2026-11-25", 23.0, "red"),
        ("2026-11-26", 24.0, "red"),
    )
    # N-002: turned red yesterday (new), reviewed today.
    ids["n2"] = a.case("N-002", "CD", ids["north"], ids["wendy"], dob=DATES_OF_BIRTH[1])
    a.score(ids["n2"], 15.5, "red", [DA, CONFLICT])
    a.history(
        ids["n2"],
        ("2026-11-19", 9.0, "amber"),
        ("2026-11-25", 12.0, "amber"),
        ("2026-11-26", 15.5, "red"),
    )
    a.review(ids["n2"], ids["nina"], "2026-11-26T07:00:00+00:00")
    a.enquiry(ids["n2"], "2026-02-01")
    # N-003: green, allocated.
    ids["n3"] = a.case("N-003", "EF", ids["north"], ids["will"], dob=DATES_OF_BIRTH[2])
    a.score(ids["n3"], 2.0, "green", [CONFLICT])
    a.history(ids["n3"], ("2026-11-19", 2.0, "green"), ("2026-11-26", 2.0, "green"))
    a.enquiry(ids["n3"], "2026-02-01")
    # N-004: unallocated, amber, carries an indicator.
    ids["n4"] = a.case("N-004", "GH", ids["north"], None, dob=DATES_OF_BIRTH[3])
    a.score(ids["n4"], 10.5, "amber", [DA, GAP])
    a.history(ids["n4"], ("2026-11-26", 10.5, "amber"))
    a.observation(ids["n4"], "domestic_abuse", "2026-10-01", "obs-n4")
    # S-001: Team South's only hotspot.
    ids["s1"] = a.case("S-001", "JK", ids["south"], ids["sue"], dob=DATES_OF_BIRTH[4])
    a.score(ids["s1"], 19.0, "red", [INJURY, DA])
    a.history(ids["s1"], ("2026-11-01", 19.0, "red"), ("2026-11-26", 19.0, "red"))
    a.review(ids["s1"], ids["sam"], "2026-11-02T09:00:00+00:00")
    a.enquiry(ids["s1"], "2026-02-01")
    return ids


class Collector:
    """An aiosmtpd handler that accepts and keeps every message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
            )
        return "250 OK"

    def to(self, address):
        return [m for rcpt, m in self.messages if address in rcpt]


class RefusesOnce(Collector):
    """Answers 451 (try again later) to the first message, then accepts."""

    def __init__(self):
        super().__init__()
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if not self.refused:
            self.refused += 1
            return "451 4.3.0 Temporary failure, try again"
        return await super().handle_DATA(server, session, envelope)


class Rejects(Collector):
    """Answers 550 (permanent) to every message."""

    async def handle_DATA(self, server, session, envelope):
        return "550 5.1.1 Mailbox unavailable"


class SlowCollector(Collector):
    """Accepts after a short pause, so concurrent senders overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.2)
        return await super().handle_DATA(server, session, envelope)


@contextlib.contextmanager
def smtp_server(handler):
    controller = SmtpController(handler)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def smtp_settings(settings, controller):
    """The app's settings, sending through ``controller`` without TLS and with short waits."""
    result = copy.deepcopy(settings)
    result["mail"].update(
        transport="smtp",
        smtp_host=controller.hostname,
        smtp_port=controller.port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        retry_backoff_seconds=0.05,
    )
    return result


def digest_row(db, manager_id, day=DIGEST_DAY):
    return next(
        db.query(
            "select * from digests where manager_id = ? and digest_date = ?",
            [manager_id, day.isoformat()],
        ),
        None,
    )


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


# --- the tests ---


def test_each_manager_gets_one_digest_of_their_own_team_only(db, settings):
    ids = two_teams(db)
    with smtp_server(Collector()) as controller:
        outcomes = send_due_digests(
            db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW
        )
        handler = controller.handler
    assert sorted(o.status for o in outcomes) == ["sent", "sent"]
    (north,) = handler.to("nina@council.example")
    (south,) = handler.to("sam@council.example")
    north_text, north_html = parts(north)
    south_text, south_html = parts(south)
    for ref in ("N-001", "N-002", "N-004"):
        assert ref in north_text and ref in north_html
        assert ref not in south_text and ref not in south_html
    assert "S-001" in south_text and "S-001" in south_html
    assert "S-001" not in north_text and "S-001" not in north_html
    assert "Sue Worker" not in north_text
    assert digest_row(db, ids["nina"])["status"] == "sent"
    assert digest_row(db, ids["sam"])["status"] == "sent"


def test_a_digest_is_multipart_alternative_with_text_and_html_of_the_same_content(db, settings):
    two_teams(db)
    with smtp_server(Collector()) as controller:
        send_due_digests(db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW)
        (message,) = controller.handler.to("nina@council.example")
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text, html = parts(message)
    assert message["Subject"] == (
        "Hotspot digest, North, Thu 26 Nov: 2 hotspots, 1 new, 2 need you today"
    )
    assert message["From"] == settings["mail"]["from_address"]
    for words in ("N-001 (AB)", "Will Worker", "prioritisation aid", "Previous injury"):
        assert words in text
    for words in ("N-001</a> (AB)", "Will Worker", "prioritisation aid", "Previous injury"):
        assert words in html
    assert 'href="http://127.0.0.1:5000/cases/N-001"' in html
    assert "http://127.0.0.1:5000/cases/N-001" in text
    assert "<style" not in html and "stylesheet" not in html


def test_no_date_of_birth_appears_in_any_part_of_any_digest(db, settings):
    two_teams(db)
    with smtp_server(Collector()) as controller:
        send_due_digests(db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW)
        messages = [m for _, m in controller.handler.messages]
    assert len(messages) == 2
    for message in messages:
        whole = message.as_string()
        text, html = parts(message)
        for dob in DATES_OF_BIRTH:
            day = date.fromisoformat(dob)
            for form in (dob, f"{day.day} {day:%B %Y}", f"{day:%d/%m/%Y}"):
                assert form not in text and form not in html and form not in whole


def test_it_skips_a_digest_already_sent_and_exits_quietly_the_second_time(db, settings):
    two_teams(db)
    with smtp_server(Collector()) as controller:
        smtp = smtp_settings(settings, controller)
        first = send_due_digests(db, smtp, digest_date=DIGEST_DAY, now=NOW)
        second = send_due_digests(db, smtp, digest_date=DIGEST_DAY, now=NOW + timedelta(hours=1))
        count = len(controller.handler.messages)
    assert [o.status for o in first] == ["sent", "sent"]
    assert [o.status for o in second] == ["already_sent", "already_sent"]
    assert count == 2


def test_two_concurrent_senders_send_exactly_one_email_per_manager(db_path, db, settings):
    two_teams(db)
    results = []
    with smtp_server(SlowCollector()) as controller:
        smtp = smtp_settings(settings, controller)
        start = threading.Barrier(2)

        def sender():
            connection = storage.connect(db_path)
            try:
                start.wait()
                results.append(send_due_digests(connection, smtp, digest_date=DIGEST_DAY, now=NOW))
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        handler = controller.handler
    assert len(handler.to("nina@council.example")) == 1
    assert len(handler.to("sam@council.example")) == 1
    statuses = sorted(o.status for run in results for o in run)
    assert statuses.count("sent") == 2
    assert set(statuses) <= {"sent", "in_progress", "already_sent"}


def _send_in_another_process(db_path, smtp, start):
    """A separate sender process: its own interpreter, connection and claims."""
    connection = storage.connect(db_path)
    try:
        start.wait()
        send_due_digests(connection, smtp, digest_date=DIGEST_DAY, now=NOW)
    finally:
        connection.close()


def test_two_sender_processes_send_exactly_one_email_per_manager(db_path, db, settings):
    two_teams(db)
    context = multiprocessing.get_context("spawn")
    with smtp_server(SlowCollector()) as controller:
        smtp = smtp_settings(settings, controller)
        start = context.Barrier(2)
        senders = [
            context.Process(target=_send_in_another_process, args=(str(db_path), smtp, start))
            for _ in range(2)
        ]
        for p in senders:
            p.start()
        for p in senders:
            p.join(timeout=60)
        assert [p.exitcode for p in senders] == [0, 0]
        handler = controller.handler
    assert len(handler.to("nina@council.example")) == 1
    assert len(handler.to("sam@council.example")) == 1
    statuses = [r["status"] for r in db.query("select status from digests")]
    assert statuses == ["sent", "sent"]


def test_a_server_that_refuses_once_is_retried_and_the_digest_sent_once(db, settings):
    ids = two_teams(db)
    with smtp_server(RefusesOnce()) as controller:
        outcome = send_digest(
            db,
            smtp_settings(settings, controller),
            managers(db, "nina@council.example")[0],
            digest_date=DIGEST_DAY,
            now=NOW,
            transport=None or _smtp_transport(settings, controller),
            claimed_by="test",
        )
        handler = controller.handler
    assert outcome.status == "sent"
    assert handler.refused == 1
    assert len(handler.to("nina@council.example")) == 1
    row = digest_row(db, ids["nina"])
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)


def test_a_permanent_refusal_is_recorded_as_failed_with_the_servers_answer(db, settings):
    ids = two_teams(db)
    with smtp_server(Rejects()) as controller:
        outcomes = send_due_digests(
            db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW
        )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    row = digest_row(db, ids["nina"])
    assert row["status"] == "failed"
    assert row["attempts"] == 1  # a 5xx is not retried
    assert "550" in row["last_error"]
    assert row["subject"].startswith("Hotspot digest, North")


def test_a_server_that_is_down_is_retried_a_bounded_number_of_times_then_recorded(db, settings):
    ids = two_teams(db)
    down = copy.deepcopy(settings)
    down["mail"].update(
        transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens here: connection refused
        smtp_security="none",
        max_attempts=3,
        retry_backoff_seconds=0.01,
    )
    waits = []
    (outcome,) = [
        o
        for o in send_due_digests(
            db, down, digest_date=DIGEST_DAY, now=NOW, sleep=waits.append,
            manager_email="nina@council.example",
        )
    ]  # fmt: skip
    assert outcome.status == "failed"
    assert waits == [0.01, 0.02]  # exponential backoff between three attempts
    row = digest_row(db, ids["nina"])
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "gave up after 3 attempts" in row["last_error"]


def test_a_failed_digest_is_not_retried_unless_asked(db, settings):
    ids = two_teams(db)
    with smtp_server(Rejects()) as controller:
        send_due_digests(db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW)
    with smtp_server(Collector()) as controller:
        smtp = smtp_settings(settings, controller)
        again = send_due_digests(db, smtp, digest_date=DIGEST_DAY, now=NOW)
        assert controller.handler.messages == []
        retried = send_due_digests(
            db, smtp, digest_date=DIGEST_DAY, now=NOW, retry_failed=True,
            manager_email="nina@council.example",
        )  # fmt: skip
        assert len(controller.handler.to("nina@council.example")) == 1
    assert [o.status for o in again] == ["failed", "failed"]
    assert [o.status for o in retried] == ["sent"]
    assert digest_row(db, ids["nina"])["status"] == "sent"
    assert digest_row(db, ids["sam"])["status"] == "failed"


def test_a_claim_left_by_a_crashed_sender_is_retried_after_its_lease(db, settings):
    ids = two_teams(db)
    lease = timedelta(minutes=settings["digest"]["claim_lease_minutes"])
    # A sender claimed at 07:30 and died before sending.
    assert claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=NOW, claimed_by="dead",
        lease=lease,
    )  # fmt: skip
    with smtp_server(Collector()) as controller:
        smtp = smtp_settings(settings, controller)
        early = send_due_digests(
            db, smtp, digest_date=DIGEST_DAY, now=NOW + timedelta(minutes=5),
            manager_email="nina@council.example",
        )  # fmt: skip
        assert controller.handler.messages == []
        later = send_due_digests(
            db, smtp, digest_date=DIGEST_DAY, now=NOW + lease + timedelta(minutes=1),
            manager_email="nina@council.example",
        )  # fmt: skip
        assert len(controller.handler.to("nina@council.example")) == 1
    assert early[0].status == "in_progress" and "dead" in early[0].detail
    assert later[0].status == "sent"
    assert digest_row(db, ids["nina"])["claimed_by"] != "dead"


# --- a digest stuck behind a sender that stopped (kill -9 mid-run) ---


def sender_process(db_path, manager_id, *, at):
    """A real sender process that claims (manager, DIGEST_DAY) at ``at``, as a digest run
    does before it sends, and then waits; kill it with SIGKILL for a crashed sender."""
    code = textwrap.dedent(
        f"""
        import time
        from datetime import date, datetime, timedelta
        from hotspots import storage
        from hotspots.services.sending import claim_digest, sender_identity
        db = storage.connect({str(db_path)!r})
        claim = claim_digest(
            db, manager_id={manager_id}, digest_date=date.fromisoformat({DIGEST_DAY.isoformat()!r}),
            now=datetime.fromisoformat({at.isoformat()!r}), claimed_by=sender_identity(),
            lease=timedelta(minutes=15),
        )
        print("claimed" if claim else "not claimed", flush=True)
        time.sleep(300)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "claimed"
    return process


def test_a_digest_stuck_behind_a_killed_sender_says_when_it_goes_and_how_to_send_it_now(
    app, db, db_path, runner, tmp_path
):
    ids = two_teams(db)
    crashed = sender_process(db_path, ids["nina"], at=NOW)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait()
    app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=2)

    again = runner.invoke(args=["digest", "--date", "2026-11-26"])

    assert again.exit_code == 1  # an operator is told something is wrong
    assert "nina@council.example (North): STUCK behind a sender that stopped" in again.output
    assert f"claimed at 07:30 by process {crashed.pid} on this machine, which is no longer" in (
        again.output
    )
    assert "the claim lapses at 07:45" in again.output
    assert "the scheduler retries every 30 minutes until 11:00" in again.output
    assert "hotspots digest --date 2026-11-26 --release-stuck" in again.output
    assert "sam@council.example (South): sent" in again.output
    assert digest_row(db, ids["nina"])["status"] == "claimed"

    released = runner.invoke(args=["digest", "--date", "2026-11-26", "--release-stuck"])

    assert released.exit_code == 0, released.output
    assert "nina@council.example (North): sent" in released.output
    assert "sam@council.example (South): already sent" in released.output
    assert digest_row(db, ids["nina"])["status"] == "sent"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2  # each once
    [audited] = [r for r in db.query("select * from audit_log where action = 'release_digest'")]
    assert f":{crashed.pid}:" in audited["detail"] and "(stopped)" in audited["detail"]


def test_a_claim_whose_sender_is_still_running_is_left_to_it_even_when_asked_to_release(
    app, db, db_path, runner, tmp_path
):
    ids = two_teams(db)
    running = sender_process(db_path, ids["nina"], at=NOW)
    try:
        app.config["HOTSPOTS_NOW"] = NOW + timedelta(minutes=2)
        result = runner.invoke(args=["digest", "--date", "2026-11-26", "--release-stuck"])
    finally:
        running.kill()
        running.wait()
    assert result.exit_code == 0, result.output
    assert "nina@council.example (North): being sent by another sender" in result.output
    assert f"by process {running.pid}, still running on this machine" in result.output
    assert "--release-stuck" not in result.output
    assert digest_row(db, ids["nina"])["status"] == "claimed"


def test_the_scheduler_logs_a_stuck_digest_as_an_error_with_what_to_do(app, db, db_path, caplog):
    from hotspots.jobs.digest import send_digests_job

    ids = two_teams(db)
    crashed = sender_process(db_path, ids["nina"], at=NOW)
    crashed.kill()
    crashed.wait()
    outcomes = send_digests_job(app, NOW + timedelta(minutes=5))
    assert {o.manager_email: o.status for o in outcomes}["nina@council.example"] == "stuck"
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "the claim lapses at 07:45" in error.getMessage()
    assert "--release-stuck" in error.getMessage()
    # Once the claim has lapsed, the next run (the scheduler's retry) sends it by itself.
    later = send_digests_job(app, NOW + timedelta(minutes=16))
    assert {o.manager_email: o.status for o in later}["nina@council.example"] == "sent"


def test_a_sender_is_known_running_or_stopped_only_on_its_own_machine():
    import os

    from hotspots.services.sending import sender_identity, sender_state

    assert sender_state(sender_identity()) == "running"  # this very process
    assert sender_state(f"{socket.gethostname()}:{os.getpid()}:x") == "running"
    assert sender_state("another-host:1:x") == "unknown"
    assert sender_state(f"{socket.gethostname()}:{'9' * 40}:x") == "unknown"
    assert sender_state("test") == "unknown"


def test_only_one_of_two_senders_takes_over_a_stale_claim(db_path, db, settings):
    ids = two_teams(db)
    lease = timedelta(minutes=15)
    claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=NOW, claimed_by="dead",
        lease=lease,
    )  # fmt: skip
    later = NOW + timedelta(minutes=20)
    other = storage.connect(db_path)
    try:
        first = claim_digest(
            db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=later, claimed_by="a",
            lease=lease,
        )  # fmt: skip
        second = claim_digest(
            other, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=later, claimed_by="b",
            lease=lease,
        )  # fmt: skip
    finally:
        other.close()
    assert first is not None and first["claimed_by"] == "a"
    assert second is None


def test_the_message_id_is_the_same_for_every_attempt_at_one_digest(db, settings):
    ids = two_teams(db)
    with smtp_server(Collector()) as controller:
        send_due_digests(db, smtp_settings(settings, controller), digest_date=DIGEST_DAY, now=NOW)
        (message,) = controller.handler.to("nina@council.example")
    expected = digest_message_id(ids["nina"], DIGEST_DAY, settings["mail"]["from_address"])
    assert expected == f"<digest-2026-11-26-{ids['nina']}@example.gov.uk>"
    assert message["Message-ID"] == expected
    assert digest_row(db, ids["nina"])["message_id"] == expected


def test_the_outbox_transport_writes_one_eml_file_per_digest(db, settings, tmp_path):
    ids = two_teams(db)
    outcomes = send_due_digests(db, settings, digest_date=DIGEST_DAY, now=NOW)
    assert [o.status for o in outcomes] == ["sent", "sent"]
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == [
        f"digest-2026-11-26-{ids['nina']}@example.gov.uk.eml",
        f"digest-2026-11-26-{ids['sam']}@example.gov.uk.eml",
    ]
    message = message_from_bytes(
        (tmp_path / "outbox" / files[0]).read_bytes(), policy=policy.default
    )
    assert message["To"] == "nina@council.example"
    assert "N-001" in parts(message)[0]


def test_the_next_digest_counts_hotspots_new_since_the_previous_sent_digest(db, settings):
    ids = two_teams(db)
    a = Authority(db)
    # Nina's last digest went out on Monday; N-002 was amber then, N-001 already red.
    db["digests"].insert(
        dict(manager_id=ids["nina"], digest_date="2026-11-23", status="sent",
             claimed_at="2026-11-23T07:30:00+00:00", claimed_by="x", attempts=1,
             sent_at="2026-11-23T07:30:05+00:00"),
    )  # fmt: skip
    a.history(ids["n1"], ("2026-11-23", 16.0, "red"))
    a.history(ids["n2"], ("2026-11-23", 10.0, "amber"))
    outcomes = send_due_digests(
        db, settings, digest_date=DIGEST_DAY, now=NOW, manager_email="nina@council.example"
    )
    assert outcomes[0].detail.startswith("2 hotspots, 1 new")


def test_bank_holidays_and_weekends_are_not_digest_days(settings):
    assert why_not_a_digest_day(date(2026, 11, 26), settings) is None
    assert "Christmas Day" in why_not_a_digest_day(date(2026, 12, 25), settings)
    assert "Boxing Day" in why_not_a_digest_day(date(2026, 12, 28), settings)
    assert "Saturday" in why_not_a_digest_day(date(2026, 11, 28), settings)


def test_digests_built_from_real_scores_name_the_scored_hotspots(db, settings):
    ids = two_teams(db)
    db.execute("delete from scores")
    db.execute("delete from score_history")
    a = Authority(db)
    for n, indicator in enumerate(
        ["previous_injury", "domestic_abuse", "substance_misuse", "parental_mental_health"]
    ):
        a.observation(ids["n1"], indicator, "2026-11-20", f"real-{n}")
    rescoring.rescore_all(db, settings, as_of=DIGEST_DAY, now=NOW)
    band = db.execute("select band from scores where case_id = ?", [ids["n1"]]).fetchone()[0]
    assert band == "red"
    outcomes = send_due_digests(
        db, settings, digest_date=DIGEST_DAY, now=NOW, manager_email="nina@council.example"
    )
    assert outcomes[0].status == "sent"


def test_reasons_are_worked_out_when_the_nightly_rescore_stored_none(db, settings):
    # Above STORE_CONTRIBUTIONS_UP_TO open cases the full rescore stores "[]".
    ids = two_teams(db)
    db.execute("delete from scores")
    a = Authority(db)
    a.observation(ids["n1"], "previous_injury", "2026-11-20", "big-1")
    a.observation(ids["n1"], "domestic_abuse", "2026-11-20", "big-2")
    a.observation(ids["n1"], "substance_misuse", "2026-11-20", "big-3")
    a.observation(ids["n1"], "parental_mental_health", "2026-11-20", "big-4")
    rescoring.rescore_all(db, settings, as_of=DIGEST_DAY, now=NOW)
    db.execute("update scores set contributions = '[]'")
    manager = managers(db, "nina@council.example")[0]
    digest = gather_digest(db, settings, manager, digest_date=DIGEST_DAY, now=NOW)
    (hotspot,) = [r for r in digest["top_cases"] if r["case_ref"] == "N-001"]
    assert hotspot["reasons"][0]["label"] == "Previous injury or unexplained bruising"


def _smtp_transport(settings, controller):
    from hotspots.services.mail import transport_from_settings

    return transport_from_settings(smtp_settings(settings, controller)["mail"])


# --- the `hotspots digest` command (the CLI edge of sending) ---


def test_the_command_sends_the_days_digests_then_has_nothing_left_to_send(
    app, db, runner, tmp_path
):
    two_teams(db)
    app.config["HOTSPOTS_NOW"] = NOW
    first = runner.invoke(args=["digest", "--date", "2026-11-26"])
    assert first.exit_code == 0, first.output
    assert "2026-11-26 nina@council.example (North): sent: 2 hotspots, 1 new" in first.output
    assert "sam@council.example (South): sent" in first.output
    second = runner.invoke(args=["digest", "--date", "2026-11-26"])
    assert second.exit_code == 0, second.output
    assert second.output.count("already sent") == 2
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_the_command_sends_one_managers_digest_with_manager(app, db, runner, tmp_path):
    ids = two_teams(db)
    app.config["HOTSPOTS_NOW"] = NOW
    result = runner.invoke(args=["digest", "--manager", "NINA@council.example"])
    assert result.exit_code == 0, result.output
    assert digest_row(db, ids["nina"])["status"] == "sent"
    assert digest_row(db, ids["sam"]) is None


def test_a_future_date_may_only_be_a_dry_run(app, db, runner, tmp_path):
    two_teams(db)
    app.config["HOTSPOTS_NOW"] = NOW
    result = runner.invoke(args=["digest", "--date", "2026-11-27"])
    assert result.exit_code == 1
    assert "2026-11-27 is in the future" in result.output and "--dry-run" in result.output
    assert db.execute("select count(*) from digests").fetchone()[0] == 0
    preview = runner.invoke(args=["digest", "--date", "2026-11-27", "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "Subject: Hotspot digest, North, Fri 27 Nov" in preview.output
    assert db.execute("select count(*) from digests").fetchone()[0] == 0


def test_a_dry_run_prints_the_text_digest_and_claims_nothing(app, db, runner, tmp_path):
    two_teams(db)
    app.config["HOTSPOTS_NOW"] = NOW
    result = runner.invoke(
        args=["digest", "--dry-run", "--date", "2026-11-26", "--manager", "nina@council.example"]
    )
    assert result.exit_code == 0, result.output
    assert "Subject: Hotspot digest, North, Thu 26 Nov: 2 hotspots, 1 new" in result.output
    assert "1. N-001 (AB), Will Worker: Hotspot, score 24.0" in result.output
    assert "S-001" not in result.output
    assert db.execute("select count(*) from digests").fetchone()[0] == 0
    assert not (tmp_path / "outbox").exists()


def test_the_command_sends_nothing_on_a_bank_holiday(app, db, runner, tmp_path):
    two_teams(db)
    result = runner.invoke(args=["digest", "--date", "2026-12-25"])
    assert result.exit_code == 0, result.output
    assert "bank holiday (Christmas Day)" in result.output
    assert db.execute("select count(*) from digests").fetchone()[0] == 0


def test_the_command_exits_non_zero_naming_the_failure_and_how_to_retry(app, db, runner):
    two_teams(db)
    app.config["HOTSPOTS_NOW"] = NOW
    with smtp_server(Rejects()) as controller:
        app.config["SETTINGS"] = smtp_settings(app.config["SETTINGS"], controller)
        result = runner.invoke(args=["digest", "--date", "2026-11-26"])
    assert result.exit_code == 1
    assert "FAILED: SMTP 550" in result.output
    assert "2 digests failed" in result.output
    assert "--retry-failed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-02-30"], "--date: 2026-02-30 is not a real date"),
        (["--date", "26/11/2026"], "is not a date in the form YYYY-MM-DD"),
        (["--manager", "nobody@council.example"], "no manager has the email nobody@"),
    ],
)
def test_the_command_explains_bad_input(app, db, runner, args, message):
    two_teams(db)
    result = runner.invoke(args=["digest", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_crash_after_the_server_accepted_sends_again_with_the_same_message_id(db, settings):
    """The documented at-least-once window: the process dies after the SMTP server accepted
    the message but before `sent` was recorded; after the lease the digest goes again."""
    ids = two_teams(db)
    delivered = []

    class AcceptsThenDies:
        def send(self, message):
            delivered.append(message)
            raise KeyboardInterrupt  # stands in for the process being killed

    nina = managers(db, "nina@council.example")[0]
    with pytest.raises(KeyboardInterrupt):
        send_digest(
            db, settings, nina, digest_date=DIGEST_DAY, now=NOW, transport=AcceptsThenDies(),
            claimed_by="doomed",
        )  # fmt: skip
    assert digest_row(db, ids["nina"])["status"] == "claimed"

    class Accepts:
        def send(self, message):
            delivered.append(message)

    later = NOW + timedelta(minutes=settings["digest"]["claim_lease_minutes"] + 1)
    outcome = send_digest(
        db, settings, nina, digest_date=DIGEST_DAY, now=later, transport=Accepts(),
        claimed_by="next",
    )  # fmt: skip
    assert outcome.status == "sent"
    assert len(delivered) == 2
    assert delivered[0]["Message-ID"] == delivered[1]["Message-ID"]


# --- one slow server conversation holds up no other digest -------------------------------------


class SlowForNina:
    """Holds Nina's message until every other manager's has gone (or gives up after 10 s,
    which only a one-at-a-time sender would make it do)."""

    def __init__(self, others: int):
        self.others = others
        self.sent: list[str] = []
        self.others_done = threading.Event()
        self.lock = threading.Lock()

    def send(self, message):
        to = message["To"]
        if to == "nina@council.example":
            waited = self.others_done.wait(timeout=10)
            with self.lock:
                self.sent.append(f"{to} after waiting" if waited else f"{to} alone")
            return
        with self.lock:
            self.sent.append(to)
            if len(self.sent) >= self.others:
                self.others_done.set()


def test_a_slow_conversation_with_one_manager_holds_up_no_other(db, settings):
    two_teams(db)
    transport = SlowForNina(others=1)
    outcomes = send_due_digests(db, settings, digest_date=DIGEST_DAY, now=NOW, transport=transport)
    assert [o.status for o in outcomes] == ["sent", "sent"]
    assert transport.sent == ["sam@council.example", "nina@council.example after waiting"]
    statuses = db.execute("SELECT status FROM digests ORDER BY manager_id").fetchall()
    assert statuses == [("sent",), ("sent",)]


def test_one_send_at_a_time_is_still_possible(db, settings):
    two_teams(db)
    serial = copy.deepcopy(settings)
    serial["digest_recovery"]["parallel_sends"] = 1
    outcomes = send_due_digests(db, serial, digest_date=DIGEST_DAY, now=NOW)
    assert [o.status for o in outcomes] == ["sent", "sent"]


def test_a_teams_digest_subject_counts_every_review_pattern_case_as_a_hotspot(db, settings):
    """Four toddlers with the review's pattern whose points alone are amber or green (records
    months old, two agencies, the questions unasked), beside an ordinary case: the subject
    says four hotspots, and each is listed as matching the review's pattern."""
    a = Authority(db)
    ids = {"north": a.team("North")}
    a.staff("nina@council.example", "Nina Manager", "manager", ids["north"])
    ids["will"] = a.staff("will@council.example", "Will Worker", "worker", ids["north"])
    ids["wendy"] = a.staff("wendy@council.example", "Wendy Worker", "worker", ids["north"])
    features = [
        ("parental_conflict", "new_partner", "substance_misuse", "stressful_birth"),
        ("parental_conflict", "parental_ace", "feeding_difficulties", "substance_misuse"),
        ("parental_conflict", "parental_ace", "stressful_birth", "domestic_abuse"),
        ("parental_conflict", "parental_ace", "new_partner", "feeding_difficulties"),
    ]
    n, mine = 0, []  # the review's pattern, then an ordinary case
    for k, codes in enumerate(features):
        mine.append(a.case(f"N-10{k}", "PQ", ids["north"], ids["will"], dob="2024-09-01"))
        for code in codes:
            n += 1
            a.observation(mine[-1], code, "2026-05-20", f"P{n}")
    mine.append(a.case("N-200", "ZZ", ids["north"], ids["wendy"], dob="2016-02-01"))
    a.observation(mine[-1], "police_callout", "2026-10-01", "P99")
    db.execute(
        "DELETE FROM cases WHERE id NOT IN (SELECT value FROM json_each(?))", [json.dumps(mine)]
    )
    rescoring.rescore_all(db, settings, as_of=DIGEST_DAY, now=NOW)
    red = settings["scoring"]["red_threshold"]
    for case_id, contributions in db.execute("SELECT case_id, contributions FROM scores"):
        rows = json.loads(contributions)
        assert sum(c["points"] for c in rows if c["kind"] != "pattern") < red, case_id

    (nina,) = managers(db, "nina@council.example")
    digest = gather_digest(db, settings, nina, digest_date=DIGEST_DAY, now=NOW)
    subject, text, _ = render_digest(digest)
    assert "North" in subject and ": 4 hotspots" in subject
    listed = [r for r in digest["top_cases"] if r["hotspot"]]
    assert sorted(r["case_ref"] for r in listed) == ["N-100", "N-101", "N-102", "N-103"]
    for r in listed:
        assert r["reasons"][0]["label"].startswith("Matches the pattern the review found")
    assert text.count("Matches the pattern the review found") >= 4


def test_a_claim_whose_lease_ends_exactly_now_holds_and_a_microsecond_later_is_taken_over(db):
    ids = two_teams(db)
    lease = timedelta(minutes=15)
    # Claimed at a sub-second instant: its lease ends at 07:45:00.250000 London time.
    claimed = NOW + timedelta(microseconds=250_000)
    assert claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=claimed, claimed_by="first",
        lease=lease,
    )  # fmt: skip
    ends = claimed + lease
    at_the_end = claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=ends, claimed_by="second",
        lease=lease,
    )  # fmt: skip
    assert at_the_end is None
    assert digest_row(db, ids["nina"])["claimed_by"] == "first"
    just_after = claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY,
        now=ends + timedelta(microseconds=1), claimed_by="third", lease=lease,
    )  # fmt: skip
    assert just_after is not None and just_after["claimed_by"] == "third"


def test_the_words_for_a_held_claim_say_it_lapses_when_the_claim_can_still_not_be_taken(
    db, settings
):
    ids = two_teams(db)
    lease = timedelta(minutes=settings["digest"]["claim_lease_minutes"])
    claim_digest(
        db, manager_id=ids["nina"], digest_date=DIGEST_DAY, now=NOW, claimed_by="host:1:x",
        lease=lease,
    )  # fmt: skip
    row = digest_row(db, ids["nina"])
    words = held_claim_words(row, "unknown", settings, digest_date=DIGEST_DAY, now=NOW + lease)
    assert "the claim lapses at" in words
    later = NOW + lease + timedelta(microseconds=1)
    assert "the claim lapsed at" in held_claim_words(
        row, "unknown", settings, digest_date=DIGEST_DAY, now=later
    )
