"""`make run`, as a person runs it at a terminal: it starts with demo data, sends no digest on
start, and Ctrl-C stops the web app and the scheduler cleanly (it once ended with
"Segmentation fault": the old recipe's `trap 'kill 0' … EXIT` re-entered itself)."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_until_it_answers(port: int) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("make run never answered")


def test_ctrl_c_stops_make_run_cleanly_and_a_fresh_demo_sends_no_digests(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HOTSPOTS_DATABASE__PATH": str(tmp_path / "hotspots.web.db"),
        "HOTSPOTS_MAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
        # The test's own key file, not the checkout's instance/ (two `make run`s at once).
        "HOTSPOTS_APP__SECRET_KEY_FILE": str(tmp_path / "instance" / "secret_key"),
        # Any time of day: a send time just passed would be caught up without the fix.
        "HOTSPOTS_DIGEST__SEND_HOUR": str(time.localtime().tm_hour),
        "HOTSPOTS_DIGEST__SEND_MINUTE": "0",
        "HOTSPOTS_DIGEST__SEND_DAYS": "mon-sun",
        "HOTSPOTS_APP__TIMEZONE": "UTC",
    }
    leader, follower = pty.openpty()  # a terminal, so Ctrl-C is what a person sends
    process = subprocess.Popen(
        ["make", "-s", "-C", str(ROOT), "run", f"PORT={port}"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(follower)
    output = b""
    try:
        wait_until_it_answers(port)
        time.sleep(3)  # the scheduler has started and would have caught up by now
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        os.close(leader)
    text = output.decode(errors="replace")
    assert "Segmentation fault" not in text and "Terminated" not in text
    assert "Scheduler stopped." in text
    assert "Scheduler running:" in text
    assert ": sent:" not in text
    assert not list((tmp_path / "outbox").glob("**/*.eml"))


def _session_members(session_id: int) -> list[int]:
    """The processes still alive in the session ``session_id`` (make's own, started with
    start_new_session): whatever `make run` started and left behind."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session, ...
        if int(fields[3]) == session_id and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_sigterm_to_make_run_stops_the_web_app_and_the_scheduler(tmp_path):
    """A supervisor (or `timeout`) stops `make run` with SIGTERM to make alone: nothing it
    started is left running, and every link the service sends names the port it runs on."""
    port = free_port()
    env = {
        **os.environ,
        "HOTSPOTS_DATABASE__PATH": str(tmp_path / "hotspots.web.db"),
        "HOTSPOTS_MAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
        # The test's own key file, not the checkout's instance/ (two `make run`s at once).
        "HOTSPOTS_APP__SECRET_KEY_FILE": str(tmp_path / "instance" / "secret_key"),
    }
    log = open(tmp_path / "make-run.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        ["make", "-s", "-C", str(ROOT), "run", f"PORT={port}"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_it_answers(port)
        time.sleep(2)  # the scheduler is up too
        # The web app and the scheduler (what sends digests) both run with the port's address.
        started = {}
        for pid in _session_members(process.pid):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if len(command) > 1 and command[1].endswith(b"hotspots") and command[2:3]:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                started[command[2].decode()] = environ
        assert sorted(started) == ["run", "scheduler"]
        for environ in started.values():
            assert f"HOTSPOTS_APP__BASE_URL=http://127.0.0.1:{port}".encode() in environ
        process.send_signal(signal.SIGTERM)  # make alone, not its process group
        process.wait(timeout=60)
        deadline = time.monotonic() + 20
        while _session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _session_members(process.pid) == [], "make run left processes running"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
        except OSError:
            pass
        else:
            raise AssertionError("the web app still answers after SIGTERM")
    finally:
        for pid in _session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()
    assert "Scheduler stopped." in (tmp_path / "make-run.log").read_text(errors="replace")
