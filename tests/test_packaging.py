"""The wheel, as a council's IT team deploys it: built from the repository, installed into a
fresh virtualenv with nothing else of the project's, away from any checkout, it runs
``hotspots init-db``, ``demo``, ``run`` and ``scheduler``.

No network: the wheel is built with the development environment's setuptools
(``--no-build-isolation``), and the fresh virtualenv reaches the dependencies already
installed there through a ``.pth`` file, placed after its own site-packages. The development
environment holds the project only as an editable install, whose import hook a ``.pth``
path does not run, so the fresh virtualenv can import ``hotspots`` from the wheel alone (the
first test checks that it does). About 20 seconds in all.
"""

from __future__ import annotations

import ast
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from test_make_run import free_port

ROOT = Path(__file__).resolve().parent.parent
# What the build does not need: caches, environments, earlier builds, tests and docs.
NOT_BUILT_FROM = {
    ".git", ".venv", "node_modules", "build", "dist", "instance", "outbox", "tests", "docs",
    "bench", "test-artifacts", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
}  # fmt: skip


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the working tree (so no build/ or egg-info folder of
    an earlier build, here or in the checkout, can add a stale file to it)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda folder, names: [
            n for n in names if n in NOT_BUILT_FROM or n.endswith(".egg-info")
        ],
    )
    dist = work / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"]
        + ["--no-build-isolation", "--wheel-dir", str(dist), str(source)]
    )
    (built,) = dist.glob("caseload_hotspots-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh virtualenv with the wheel installed; returns its bin folder, the environment
    to run it in and a working folder outside any checkout."""
    work = tmp_path_factory.mktemp("deployed")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        .stdout.strip()
    )  # fmt: skip
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "zz_dependencies.pth").write_text("".join(f"{p}\n" for p in paths))
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
        + ["--no-deps", "--no-index", str(wheel)]
    )
    service = work / "service"
    service.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOTSPOTS_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        HOTSPOTS_SECURITY__HTTPS_ONLY="false",
        HOTSPOTS_DIGEST__CATCH_UP_ON_START="false",
    )
    return {"bin": venv / "bin", "site": site, "env": env, "cwd": service}


def test_the_wheel_carries_templates_settings_reference_data_and_styles_under_one_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "hotspots",
        wheel.name.split("-py")[0] + ".dist-info",
    }
    for expected in (
        "hotspots/config.toml",
        "hotspots/templates/base.html",
        "hotspots/templates/email/digest-body.html",
        "hotspots/reference/vignettes.toml",
        "hotspots/static/hotspots.css",
        "hotspots/jobs/scheduler.py",
        "hotspots/jobs/rescore.py",
    ):
        assert expected in names
    templates = [n for n in names if n.startswith("hotspots/templates/")]
    in_the_repository = [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    assert len(templates) == len(in_the_repository)


def test_nothing_imports_the_jobs_folder_by_its_name_in_the_checkout():
    # In a checkout `jobs` may still be importable from the current folder; the wheel has no
    # such package, so an import of it would fail only once deployed.
    generic = []
    for folder in ("hotspots", "jobs", "tests", "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                else:
                    continue
                generic += [
                    f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "jobs"
                ]
    assert generic == []


def test_the_installed_service_imports_from_the_wheel_alone(installed):
    found = run(
        [
            str(installed["bin"] / "python"),
            "-c",
            "import importlib.util, hotspots, hotspots.jobs, hotspots.base.resources as r; "
            "print(hotspots.__file__); print(hotspots.jobs.__file__); "
            "print(r.TEMPLATES_DIR); print(r.DEFAULT_CONFIG_PATH); "
            "print(importlib.util.find_spec('jobs'))",
        ],
        env=installed["env"],
        cwd=installed["cwd"],
    ).stdout.split("\n")
    site = installed["site"]
    assert found[0] == str(site / "hotspots" / "__init__.py")
    assert found[1] == str(site / "hotspots" / "jobs" / "__init__.py")
    assert found[2:4] == [str(site / "hotspots" / "templates"), str(site / "hotspots/config.toml")]
    assert found[4] == "None"  # no generic top-level `jobs`


def test_the_installed_service_sets_up_a_database_serves_pages_and_schedules(installed):
    hotspots = str(installed["bin"] / "hotspots")
    where = {"env": installed["env"], "cwd": installed["cwd"]}
    assert "applied m001_core_tables" in run([hotspots, "init-db"], **where).stdout
    run([hotspots, "demo", "--cases", "20", "--history-days", "0"], **where)
    assert (installed["cwd"] / "instance" / "hotspots.web.db").is_file()
    # An installed package's Flask instance folder is <prefix>/var/hotspots-instance.
    assert (installed["bin"].parent / "var" / "hotspots-instance" / "secret_key").is_file()

    port = free_port()
    web = subprocess.Popen(
        [hotspots, "run", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **where,
    )
    try:
        page = answer(f"http://127.0.0.1:{port}/login")
        assert "Sign in" in page
        assert "hotspots.css" in page
        assert ".govuk-" in answer(f"http://127.0.0.1:{port}/static/hotspots.css")
    finally:
        web.terminate()
        web.wait(timeout=30)

    log = installed["cwd"] / "scheduler.log"
    with open(log, "w") as out:
        scheduler = subprocess.Popen(
            [hotspots, "scheduler"], stdout=out, stderr=subprocess.STDOUT, **where
        )
        try:
            deadline = time.monotonic() + 60
            while "Scheduler running:" not in log.read_text():
                assert scheduler.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            scheduler.send_signal(signal.SIGTERM)
            assert scheduler.wait(timeout=30) == 0, log.read_text()
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
    text = log.read_text()
    assert "full_rescore" in text and "daily_digest" in text
    assert "Scheduler stopped." in text


def answer(url: str) -> str:
    """The body at ``url``, once the server answers (within a minute)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
