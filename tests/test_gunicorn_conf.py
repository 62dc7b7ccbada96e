"""The service under real gunicorn on loopback with its settings (hotspots.web.gunicorn_conf): no
Server banner, no case references in the access log, and no start without a secret key."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ports import free_port

from hotspots import storage
from hotspots.storage.schema import migrate

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def start(tmp_path, env):
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "-c", "python:hotspots.web.gunicorn_conf", "-w", "1", "-b", f"127.0.0.1:{port}",
         "hotspots:create_app()"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return process, port


@pytest.fixture
def env(tmp_path):
    db = storage.connect(tmp_path / "hotspots.web.db")
    migrate(db)
    db.close()
    return {
        **os.environ,
        "HOTSPOTS_DATABASE__PATH": str(tmp_path / "hotspots.web.db"),
        "HOTSPOTS_SECRET_KEY": "a-test-secret-key",
    }


def test_gunicorn_sends_no_server_banner_and_logs_no_case_ref(tmp_path, env):
    process, port = start(tmp_path, env)
    try:
        response = None
        for _ in range(100):
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/cases/N-0001?a=b")
                opener = urllib.request.build_opener(NoRedirect)
                response = opener.open(request, timeout=5)
                break
            except urllib.error.HTTPError as e:
                response = e
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert response is not None, "gunicorn did not start"
        assert response.status == 302
        assert response.headers.get("Server") is None
        # Every route with a case reference, by its rule's case_ref variable, not its prefix.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/team/allocate/N-0002",
            headers={"Referer": f"http://127.0.0.1:{port}/cases/N-0003"},
        )
        with pytest.raises(urllib.error.HTTPError) as redirected:
            urllib.request.build_opener(NoRedirect).open(request, timeout=5)
        assert redirected.value.code == 302
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    access = [line for line in (out + err).splitlines() if "GET " in line]
    assert access, out + err
    assert "GET /cases/…?… HTTP/1.1" in access[0]
    assert "GET /team/allocate/… HTTP/1.1" in access[1]
    assert "/cases/…" in access[1]  # the referrer
    for ref in ("N-0001", "N-0002", "N-0003"):
        assert ref not in out + err


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_gunicorn_will_not_start_without_a_secret_key(tmp_path, env):
    del env["HOTSPOTS_SECRET_KEY"]
    env["HOTSPOTS_APP__SECRET_KEY_FILE"] = str(tmp_path / "no-such-key")
    process, _ = start(tmp_path, env)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode != 0
    assert "no secret key: set HOTSPOTS_SECRET_KEY" in out + err


def production_command() -> list[str]:
    """The gunicorn command docs/operations.md gives for running the service."""
    text = (Path(__file__).parent.parent / "docs" / "operations.md").read_text()
    [command] = re.findall(r"`(gunicorn -c python:hotspots\.web\.gunicorn_conf [^`]+)`", text)
    return shlex.split(command)


def test_the_production_server_is_installed_with_the_package_not_only_for_development():
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    names = [
        re.split(r"[<>=!~ ;\[]", dep, maxsplit=1)[0] for dep in project["project"]["dependencies"]
    ]
    assert "gunicorn" in names
    dev = project["project"]["optional-dependencies"]["dev"]
    assert not [dep for dep in dev if dep.startswith("gunicorn")]  # one place only
    # And so in the metadata pip installs from (`pip install caseload-hotspots` brings it).
    requires = importlib.metadata.requires("caseload-hotspots") or []
    assert [r for r in requires if r.startswith("gunicorn") and "extra ==" not in r]


def test_the_documented_production_command_serves_the_service(tmp_path, env):
    command = production_command()
    assert command[:3] == ["gunicorn", "-c", "python:hotspots.web.gunicorn_conf"]
    port = free_port()
    # As documented, but with one worker on a free port of the loopback.
    args = command[1:]
    args[args.index("-w") + 1] = "1"
    args[args.index("-b") + 1] = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [GUNICORN, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/help", timeout=5) as page:
                    assert page.status == 200
                    assert "Caseload hotspots" in page.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
    finally:
        process.terminate()
        process.communicate(timeout=30)
