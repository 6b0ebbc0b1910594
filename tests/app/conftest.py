"""A real app server for the browser test, started once and torn down after."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_LOG = ARTIFACTS / "server.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run app.py` on a free loopback port with an empty workspace."""
    port = free_port()
    env = {**os.environ, "ALA_WORKSPACE": str(tmp_path_factory.mktemp("workspace"))}
    # The server's output goes to a file, never an undrained pipe: a full pipe would block the
    # server (and so the browser test) as soon as it, or a job it starts, wrote 64 KiB.
    ARTIFACTS.mkdir(exist_ok=True)
    log = SERVER_LOG.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if f":{port}" in SERVER_LOG.read_text():
            break
        time.sleep(0.2)
    if proc.poll() is not None or f":{port}" not in SERVER_LOG.read_text():
        proc.kill()
        log.close()
        pytest.fail("the app did not start:\n" + SERVER_LOG.read_text())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Debian's chromium is missing: run `apt-get install chromium` (.ci/test does)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def explained(page: Any) -> Iterator[None]:
    """On a failure, print what the page showed and the server's last lines (pytest shows
    them with the failure), so a CI log says why a wait timed out."""
    try:
        yield
    except Exception:
        print("--- the server's last lines:\n" + SERVER_LOG.read_text()[-4000:])
        try:
            print("--- the page's text at the failure:\n" + page.inner_text("body", timeout=10_000))
            page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True, timeout=10_000)
        except Exception as error:  # the page itself is gone: the failure above says why
            print(f"--- the page could not be read: {error}")
        raise
