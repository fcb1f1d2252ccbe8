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
# Each page as a policymaker would open it from a link: with a region or a selection.
PAGES = {
    "karte": "karte",
    "steckbrief": "steckbrief?region=09162",
    "vergleich": "vergleich?regions=09162,09564,08111,06412,05315",
    "trends": "trends?regions=09162,08111,05315&ind=bb_hh_all_50",
    "sektoren": "sektoren",
    "projekte": "projekte?project=mpsc:MPSC-2019-02",
    "quellen": "quellen",
}
# What Streamlit shows when a page script raised.
ERROR_BOX = "[data-testid='stException']"
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


def free_ports(n: int) -> list[int]:
    """``n`` different free loopback ports (a proxy and its app processes)."""
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


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


SCRIPT_DONE = "() => document.querySelector('[data-test-script-state]').getAttribute('data-test-script-state') === 'notRunning'"


def wait_for_app(page, timeout_ms: int = 90_000) -> None:
    """Until Streamlit has run the page script to its end (the app root's
    ``data-test-script-state`` is ``notRunning``) and the page has drawn."""
    page.wait_for_selector("[data-test-script-state]", timeout=timeout_ms)
    page.wait_for_function(SCRIPT_DONE, timeout=timeout_ms)
    page.wait_for_selector("h1", timeout=timeout_ms)
    page.wait_for_timeout(800)


async def walk_pages_async(context, base: str, rounds: int = 1, pages: dict[str, str] | None = None, timeout_ms: int = 240_000) -> list[dict]:
    """One browser session (a Playwright async context) opening every page
    (``pages``: slug → path, default the app's) ``rounds`` times in a row, as a
    user who moves on as soon as a page has run.
    Returns per page load: slug, milliseconds, error-box texts."""
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    loads = []
    for _ in range(rounds):
        for slug, path in (pages or PAGES).items():
            t0 = time.perf_counter()
            await page.goto(f"{base}/{path}")
            await page.wait_for_selector("[data-test-script-state]")
            await page.wait_for_function(SCRIPT_DONE)
            await page.wait_for_selector("h1")
            ms = (time.perf_counter() - t0) * 1000
            errors = await page.locator(ERROR_BOX).all_inner_texts()
            loads.append({"slug": slug, "ms": ms, "errors": errors})
    await page.close()
    return loads


def run_sessions(base: str, sessions: int, rounds: int = 1, pages: dict[str, str] | None = None) -> list[dict]:
    """``sessions`` browser sessions (separate contexts, so separate Streamlit
    sessions) walking every page at the same time."""
    import asyncio

    from playwright.async_api import async_playwright

    async def main():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = [await browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(sessions)]
            try:
                results = await asyncio.gather(*(walk_pages_async(c, base, rounds, pages) for c in contexts))
            finally:
                await browser.close()
            return [dict(load, session=i) for i, loads in enumerate(results) for load in loads]

    return asyncio.run(main())


# Lines of the server log that mean a page script failed.
LOG_ERRORS = ("Traceback", "Exception", "Error:")


def log_errors(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text(errors="replace").splitlines() if any(m in line for m in LOG_ERRORS)]
