"""`make run`, as a person runs it at a terminal: it starts with demo data, sends no digest on
start, and Ctrl-C stops the web app and the scheduler cleanly (it once ended with
"Segmentation fault": the old recipe's `trap 'kill 0' … EXIT` re-entered itself)."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ctrl_c_stops_make_run_cleanly_and_a_fresh_demo_sends_no_digests(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HOTSPOTS_DATABASE__PATH": str(tmp_path / "hotspots.db"),
        "HOTSPOTS_MAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
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
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("make run never answered")
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
