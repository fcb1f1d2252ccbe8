"""Serving many users (deploy/): nginx in front of two app processes, started
and stopped by ``python -m deploy.serve``, driven by real browser sessions.

- sticky sessions: every request of a browser (page, scripts, websocket, map
  files) reaches one app process, and a session keeps working across reruns on
  its one websocket; nginx's access log names the process of each request;
- a warehouse swap under load: while sessions walk every page, a new version
  of the warehouse is switched in as ``etl build`` switches it; no session
  shows an error, no server logs one, and both running processes serve the new
  version afterwards without a restart.

The warehouse is a hard-linked copy of the ``warehouse`` fixture made a
versioned warehouse by ``etl.load``; the fixture's own warehouse is never
switched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ERROR_BOX,
    PAGES,
    free_ports,
    log_errors,
    run_sessions,
    wait_for_app,
)

from deploy.serve import check_config, read_access_log, render_config
from etl import load, mapfiles, paths

ROOT = Path(__file__).resolve().parent.parent
NGINX_PROBLEMS = ("[error]", "[crit]", "[alert]", "[emerg]")


def test_the_nginx_config_is_valid_and_listens_on_loopback_only(tmp_path):
    conf = render_config(tmp_path / "run", 18500, [18501, 18502, 18503])
    assert "syntax is ok" in check_config(conf)
    text = conf.read_text()
    assert re.findall(r"^\s*listen\s+(\S+);", text, re.MULTILINE) == ["127.0.0.1:18500"]
    assert re.findall(r"^\s*server\s+([^\s{]+)", text, re.MULTILINE) == ["127.0.0.1:18501", "127.0.0.1:18502", "127.0.0.1:18503"]
    # Nothing of the system's nginx: every path nginx writes is in the run directory.
    for directive in ("pid", "error_log", "access_log", *(f"{t}_temp_path" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))):
        (path,) = re.findall(rf"^\s*{directive}\s+(\S+)", text, re.MULTILINE)
        assert path.startswith(str((tmp_path / "run").resolve())), (directive, path)


def _logged(proxy, which, until=bool, timeout_s: float = 15) -> list[dict]:
    """The access log's rows that ``which`` selects, once ``until(rows)`` holds:
    nginx logs a request just after its response, a websocket when it closes."""
    deadline = time.time() + timeout_s
    while True:
        rows = [r for r in read_access_log(proxy["run_dir"] / "logs" / "access.log") if which(r)]
        if until(rows) or time.time() > deadline:
            return rows
        time.sleep(0.05)


def _switch_to_new_version(target: Path, built_at: str) -> Path:
    """A new version of ``target`` as a build makes one, cheaply: the current
    version's files hard-linked into a staging folder with a new manifest,
    then switched in by ``etl.load``."""
    with load.warehouse_lock(target):
        staged = paths.versions_dir(target) / f".staging-{load._new_version_id()}"
        shutil.copytree(target.resolve(), staged, copy_function=os.link)
        manifest = load.read_manifest(staged) | {"built_at": built_at}
        load.write_manifest(staged, manifest)  # a new file: the hard-linked one is left alone
        return load.switch_warehouse(target, staged)


@pytest.fixture(scope="module")
def own_warehouse(warehouse, tmp_path_factory) -> Path:
    """A versioned warehouse of this module's own, hard-linked to the fixture's files."""
    target = tmp_path_factory.mktemp("deploy-warehouse") / "wh"
    subprocess.run(["cp", "-al", str(warehouse.directory), str(target)], check=True)
    load.recover_warehouse(target)  # a plain folder becomes the first version
    assert load.current_version(target) is not None
    return target


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state


@pytest.fixture(scope="module")
def proxy(own_warehouse, tmp_path_factory):
    """``python -m deploy.serve`` with two app processes on free loopback ports;
    stopped (SIGTERM, as Ctrl-C or ``stop`` do) even when a test fails, and
    checked to have stopped every process it started."""
    port, *app_ports = free_ports(3)
    run_dir = tmp_path_factory.mktemp("deploy-run")
    with open(run_dir / "serve.out", "w") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "deploy.serve", "--apps", "2", "--port", str(port), "--app-ports", ",".join(map(str, app_ports)),
             "--run-dir", str(run_dir), "--warehouse", str(own_warehouse)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    pids: dict = {}
    try:
        deadline = time.time() + 180
        while not (run_dir / "pids.json").exists():
            assert serve.poll() is None, (run_dir / "serve.out").read_text()
            assert time.time() < deadline, "deploy.serve did not start"
            time.sleep(0.3)
        pids = json.loads((run_dir / "pids.json").read_text())
        yield {"base": f"http://127.0.0.1:{port}", "port": port, "app_ports": app_ports, "run_dir": run_dir, "serve": serve}
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
        started = [pids.get("nginx"), *pids.get("apps", {}).values()]
        left = [p for p in started if p and _alive(p)]
        for p in left:
            os.kill(p, signal.SIGKILL)
        assert serve.returncode == 0, (run_dir / "serve.out").read_text()
        assert not left, f"deploy.serve left processes running: {left}"
        assert not (run_dir / "pids.json").exists()


def _cookies_for_each_app(proxy) -> dict[str, str]:
    """A value of the sticky cookie that nginx sends to each app process
    (found by asking; the consistent hash is nginx's own)."""
    found: dict[str, str] = {}
    token = time.time_ns()
    for i in range(64):
        value = f"probe{token}-{i}"
        request = urllib.request.Request(f"{proxy['base']}/_stcore/health", headers={"Cookie": f"dsr_backend={value}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert "dsr_backend" not in (response.headers.get("Set-Cookie") or "")  # the browser's own cookie is kept
        (row,) = _logged(proxy, lambda r, value=value: r["sticky"] == value)
        found.setdefault(row["upstream"], value)
        if len(found) == len(proxy["app_ports"]):
            return found
    pytest.fail(f"64 cookies all went to {sorted(found)}")


def _server_errors(proxy) -> list[str]:
    logs = proxy["run_dir"] / "logs"
    errors = [f"{p.name}: {line}" for p in sorted(logs.glob("app-*.log")) for line in log_errors(p)]
    errors += [f"error.log: {line}" for line in (logs / "error.log").read_text().splitlines() if any(m in line for m in NGINX_PROBLEMS)]
    return errors


MAP = '.dsr-map[data-state=drawn][data-drawn="{n}"]'


def _map_counts(warehouse: Path) -> dict[str, int]:
    return {level: len(json.loads((warehouse / mapfiles.FOLDER / f"{level}.map.json").read_bytes())["ids"]) for level in ("land", "kreis")}


@pytest.mark.browser
def test_each_session_stays_on_one_app_process_across_reruns(proxy, own_warehouse):
    """Two browsers: one new (nginx gives it its cookie), one whose cookie
    leads to the other process. Each opens the map and changes its level twice
    (two reruns over the session's websocket); every request of each browser
    reaches one process, and its one websocket carried all reruns."""
    from playwright.sync_api import sync_playwright

    n = _map_counts(own_warehouse)
    base = proxy["base"]
    cookies = _cookies_for_each_app(proxy)
    sessions: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for preset in (None, "other"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                if preset:
                    first = sessions[0]["upstream"]
                    (value,) = [v for upstream, v in cookies.items() if upstream != first]
                    context.add_cookies([{"name": "dsr_backend", "value": value, "url": base}])
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(f"{base}/?level=kreis")
                wait_for_app(page)
                page.locator(MAP.format(n=n["kreis"])).wait_for()
                for label, level in (("Länder", "land"), ("Kreise", "kreis")):
                    page.locator("[data-testid=stSelectbox]").first.click()
                    page.get_by_role("option", name=label, exact=True).click()
                    page.locator(MAP.format(n=n[level])).wait_for()
                    page.wait_for_function("() => document.querySelector('[data-test-script-state]').getAttribute('data-test-script-state') === 'notRunning'")
                    assert page.locator(ERROR_BOX).count() == 0, page.locator(ERROR_BOX).all_inner_texts()
                    assert ("level=land" in page.url) == (level == "land"), page.url  # the state round-trips through the URL
                (sticky,) = [c["value"] for c in context.cookies() if c["name"] == "dsr_backend"]
                context.close()  # closes the websocket: nginx logs it now
                rows = _logged(proxy, lambda r, sticky=sticky: r["sticky"] == sticky, until=lambda rows: any(r["path"] == "/_stcore/stream" for r in rows))
                sessions.append({"sticky": sticky, "rows": rows, "upstream": rows[0]["upstream"] if rows else None})
        finally:
            browser.close()

    for s in sessions:
        rows = s["rows"]
        assert len(rows) > 10, rows  # the page, its scripts, the map file, the websocket
        assert {r["upstream"] for r in rows} == {s["upstream"]}, rows
        streams = [r for r in rows if r["path"] == "/_stcore/stream"]
        assert [r["status"] for r in streams] == ["101"], streams  # one websocket, no reconnect
        assert any(r["path"].startswith("/app/static/maps/") for r in rows)
    assert {s["upstream"] for s in sessions} == {f"127.0.0.1:{p}" for p in proxy["app_ports"]}
    assert _server_errors(proxy) == []


@pytest.mark.browser
def test_a_warehouse_swap_under_load_gives_no_error(proxy, own_warehouse):
    """Four sessions walk every page; once they are under way, a new version
    of the warehouse is switched in. No page shows an error box, no server
    logs an error, pages loaded after the switch, and then every process
    shows the new version (its build time on the Quellen page)."""
    from playwright.sync_api import sync_playwright

    access = proxy["run_dir"] / "logs" / "access.log"
    marker = f"swap-test-{time.time_ns()}"
    start_streams = sum(1 for r in read_access_log(access) if r["path"] == "/_stcore/stream")
    switched: dict = {}

    def switch_when_under_way():
        # After four page loads have ended (their websockets closed), i.e. the
        # sessions are on their second or third page.
        deadline = time.time() + 150
        while time.time() < deadline:
            if sum(1 for r in read_access_log(access) if r["path"] == "/_stcore/stream") >= start_streams + 4:
                break
            time.sleep(0.2)
        switched["old"] = own_warehouse.resolve()
        switched["new"] = _switch_to_new_version(own_warehouse, marker)
        switched["at"] = time.time()

    switcher = threading.Thread(target=switch_when_under_way, daemon=True)
    switcher.start()
    loads = run_sessions(proxy["base"], sessions=4, rounds=1)
    ended = time.time()
    switcher.join(timeout=160)

    assert switched.get("new") is not None, "the warehouse was not switched"
    assert switched["old"] != switched["new"] and own_warehouse.resolve() == switched["new"]
    assert [load for load in loads if load["errors"]] == []
    assert len(loads) == 4 * len(PAGES)
    assert switched["at"] < ended
    # Pages were loaded on the new version while the sessions went on: their
    # websockets closed (nginx logs them then) after the switch.
    after = [r for r in read_access_log(access) if r["path"] == "/_stcore/stream" and dt.datetime.fromisoformat(r["time"]).timestamp() > switched["at"] + 1]
    assert len(after) >= 8, after
    assert _server_errors(proxy) == []

    cookies = _cookies_for_each_app(proxy)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for upstream, value in sorted(cookies.items()):
                context = browser.new_context()
                context.add_cookies([{"name": "dsr_backend", "value": value, "url": proxy["base"]}])
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(f"{proxy['base']}/quellen")
                wait_for_app(page)
                assert page.locator(ERROR_BOX).count() == 0
                assert marker in (page.locator("body").text_content() or ""), f"{upstream} does not show the new version"
                context.close()
        finally:
            browser.close()
    assert _server_errors(proxy) == []


def test_a_log_line_being_written_is_left_for_the_next_read(tmp_path):
    """nginx appends while a test reads: a last line without its newline is not
    yet a line (reading it would fail as a malformed one)."""
    line = '127.0.0.1 [2026-12-06T10:15:10+00:00] "GET /_stcore/stream HTTP/1.1" 101 0 upstream=127.0.0.1:8501 sticky=abc rt=0.001\n'
    log = tmp_path / "access.log"
    log.write_text(line + line[:30], encoding="utf-8")
    assert [r["path"] for r in read_access_log(log)] == ["/_stcore/stream"]
    log.write_text(line + "garbage\n", encoding="utf-8")
    with pytest.raises(Exception, match="line 2: not in the format"):
        read_access_log(log)
