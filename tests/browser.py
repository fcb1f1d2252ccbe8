"""Runs the real app (``streamlit run``) on a free loopback port for browser tests,
and opens headless Debian Chromium through Playwright with every request to an
outside host blocked and recorded: the app must work offline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(warehouse: Path, log_path: Path, script: str = "dashboard/app.py"):
    port = free_port()
    env = dict(os.environ, DSR_WAREHOUSE=str(warehouse))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited early; see {log_path}")
            else:
                raise RuntimeError(f"streamlit did not start; see {log_path}")
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


class OfflineBrowser:
    """A Playwright browser whose pages may only talk to the app."""

    def __init__(self, playwright, base: str):
        self.base = base
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        self.outside_requests: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.outside_requests.append(url)
            route.abort()

    def page(self):
        page = self.context.new_page()
        page.set_default_timeout(60_000)
        return page

    def close(self):
        self.context.close()
        self.browser.close()


def wait_for_app(page, timeout_ms: int = 90_000) -> None:
    """Until Streamlit has run the page script to its end (the app root's
    ``data-test-script-state`` is ``notRunning``) and the page has drawn."""
    page.wait_for_selector("[data-test-script-state]", timeout=timeout_ms)
    page.wait_for_function(
        "() => document.querySelector('[data-test-script-state]').getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_timeout(800)
