"""Benchmark: map payload, render time, rerun time, build time and memory.

Prints one JSON object (``--table`` adds a readable table). Everything is
measured in one run on this machine, so ratios hold even when the machine is
noisy. Run after a build (the app reads DSR_WAREHOUSE / data/warehouse):

    .venv/bin/python bench/run.py --table
    .venv/bin/python bench/run.py --skip-build   # without the full ETL build

Targets (issues 6 and 10): gemeinde_payload_bytes ≤ 1.5 MB and ≥ 5× smaller
than the naive figure; kreis_payload_bytes ≤ 250 KB; gemeinde_first_render_ms ≤
2000; filter_change_ms_p50 ≤ 200; etl_build_s ≤ 30 (issue 14; ≤ 60 before); app_rss_mb ≤ 400 (one
session walked every page); 8 simultaneous sessions each opening every page
twice: concurrent_sessions_errors = 0 and rss_per_extra_session_mb ≤ 60; the
same walk through nginx (deploy/) with 1 and with 2 app processes:
proxy1_sessions_errors = proxy2_sessions_errors = 0, page p50/p95 reported
(issue 14; ``--only-proxy`` measures just that).
Issue 14: gemeinde_first_render_ratio ≤ 1.5, the Gemeinde map's first visit
over a bare Streamlit app's (a title only), page loads taken in turns in one
run (``--only-render`` measures just that).
Issue 13: gemeinde_png_export_ms ≤ 5000, a click on "Bild (PNG)" under the
Gemeinde map in a browser until the file has arrived (``--only-export``
measures just that).
Issue 12: ``python -m etl build --only kba_fz1`` on a copy of the warehouse
(a process of its own, as a user runs it): etl_only_rebuild_s ≤ 5 (wall
clock, imports included) and etl_only_rebuild_rss_mb ≤ 1024 (its peak
resident memory); etl_only_rebuild_cpu_s is its user + system time, the
figure to read when other processes share the cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {
    "gemeinde_payload_bytes": ("<=", 1_500_000),
    "kreis_payload_bytes": ("<=", 250_000),
    "gemeinde_first_render_ms": ("<=", 2000),
    "filter_change_ms_p50": ("<=", 200),
    "etl_build_s": ("<=", 30),
    "app_rss_mb": ("<=", 400),
    "concurrent_sessions_errors": ("<=", 0),
    "rss_per_extra_session_mb": ("<=", 60),
    "etl_only_rebuild_s": ("<=", 5),
    "etl_only_rebuild_rss_mb": ("<=", 1024),
    "proxy1_sessions_errors": ("<=", 0),
    "proxy2_sessions_errors": ("<=", 0),
    "gemeinde_png_export_ms": ("<=", 5000),
    "gemeinde_first_render_ratio": ("<=", 1.5),
}
ONLY_SOURCE = "kba_fz1"
# Every page of the app, opened by the walk that precedes app_rss_mb.
APP_PAGES = ["karte", "steckbrief", "vergleich", "trends", "sektoren", "projekte", "quellen"]
# Runs one command and prints its wall time and the rusage of that one child.
_TIME_CHILD = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "wall_s": wall, "cpu_s": use.ru_utime + use.ru_stime, "maxrss_kb": use.ru_maxrss, "stderr": done.stderr[-2000:]}))
"""


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def measure_build(raw: Path | None) -> dict:
    from etl.build import build

    import resource

    out = Path(tempfile.mkdtemp(prefix="bench-wh-")) / "wh"
    def used() -> float:
        # This process (all its threads) and the build's step processes (etl.parallel), ended and waited for.
        return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))

    before = used()
    t0 = time.perf_counter()
    manifest = build(raw_dir=raw, out=out, log=lambda m: None)
    total = time.perf_counter() - t0
    # User + system time: the figure to compare when other processes share the cores.
    cpu = used() - before
    return {"etl_build_s": round(total, 2), "etl_build_cpu_s": round(cpu, 2), "etl_build_stages": manifest["stage_seconds"], "_warehouse": str(out)}


def build_only(raw: Path | None) -> dict:
    """``measure_build`` alone (``--only-build``): the built warehouse is
    removed afterwards; the other measurements of the run use DSR_WAREHOUSE."""
    result = measure_build(raw)
    warehouse = Path(result.pop("_warehouse"))
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    return result


def measure_only_rebuild(warehouse: Path, raw: Path | None, source: str = ONLY_SOURCE) -> dict:
    """``python -m etl build --only SOURCE`` in a process of its own, on a copy
    of ``warehouse`` whose files are hard links (the build writes new files and
    switches the copy's link, never touching the original)."""
    import shutil
    import subprocess

    copy = Path(tempfile.mkdtemp(prefix="bench-only-")) / "wh"
    shutil.copytree(warehouse.resolve(), copy, copy_function=os.link)
    cmd = [sys.executable, "-m", "etl", "build", "--only", source, "--out", str(copy)]
    if raw is not None:
        cmd += ["--raw", str(raw)]
    done = subprocess.run([sys.executable, "-c", _TIME_CHILD, *cmd], capture_output=True, text=True, cwd=ROOT, check=True)
    use = json.loads(done.stdout)
    if use["rc"] != 0:
        raise RuntimeError(f"etl build --only {source} failed: {use['stderr']}")
    shutil.rmtree(copy.parent, ignore_errors=True)
    return {
        "etl_only_rebuild_s": round(use["wall_s"], 2),
        "etl_only_rebuild_cpu_s": round(use["cpu_s"], 2),
        "etl_only_rebuild_rss_mb": round(use["maxrss_kb"] / 1024, 1),
    }


def naive_payload(warehouse: Path, level: str = "gemeinde") -> int:
    """The naive approach: full shapes → full GeoJSON → px.choropleth, default encoding."""
    import plotly.express as px

    from etl.warehouse import Warehouse

    wh = Warehouse(warehouse)
    shapes = wh.shapes(level, "full")
    geojson = json.loads(shapes.to_json())
    values = wh.sql("SELECT region_id, area_km2 AS value FROM regions WHERE level = ?", [level])
    fig = px.choropleth(values, geojson=geojson, locations="region_id", featureidkey="properties.region_id", color="value")
    return len(fig.to_json().encode("utf-8"))


def _map_page(level: str, lang: str = "de"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.session_state["karte.map_drawn"] = True  # the page after its first view, as a browser has it on every rerun
    at.query_params["level"] = level
    at.query_params["lang"] = lang
    at.run()
    if at.exception:
        raise RuntimeError(f"map page failed: {at.exception}")
    return at


def app_figures() -> dict:
    """What the app sends on every rerun of the map, per level (the map
    component's data and code), and the URL of the shapes file it references
    (loaded once by the browser)."""
    from tests.apptest_helpers import map_element

    out = {}
    for level in ("gemeinde", "kreis", "land"):
        at = _map_page(level)
        component = map_element(at)
        out[f"{level}_rerun_bytes"] = len(component.proto.json.encode("utf-8")) + len(component.proto.js_content.encode("utf-8"))
        out[f"_{level}_shapes_url"] = json.loads(component.proto.json)["url"]
    return out


def shapes_transfer(base: str, figures: dict) -> dict:
    """Bytes of each level's shapes file as the server sends them (the file is
    published gzip-compressed, ``data.CANVAS_SUFFIX``; a Content-Encoding
    would be the server compressing it again), and uncompressed."""
    import urllib.request

    out = {}
    for level in ("gemeinde", "kreis", "land"):
        url = f"{base}/{figures[f'_{level}_shapes_url']}"
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            encoding = response.headers.get("Content-Encoding", "")
        raw = gzip.decompress(gzip.decompress(body) if encoding == "gzip" else body)
        out[f"{level}_shapes_transfer_bytes"] = len(body)
        out[f"{level}_shapes_raw_bytes"] = len(raw)
        out[f"{level}_shapes_encoding"] = f"{encoding or 'identity'} (the file: gzip)"
        out[f"{level}_payload_bytes"] = figures[f"{level}_rerun_bytes"] + len(body)
    return out


def filter_changes(n: int = 16) -> dict:
    """Server-side time of a rerun after changing indicator or period, warm."""
    from etl.warehouse import Warehouse

    wh = Warehouse()
    at = _map_page("kreis")
    indicator = at.session_state["karte.ind"]
    topic = at.session_state["karte.topic"]
    indicators = wh.sql(
        """SELECT DISTINCT o.indicator_id FROM observations o JOIN regions r USING (region_id)
           JOIN indicators i USING (indicator_id)
           WHERE r.level = 'kreis' AND i.topic = ? AND o.value IS NOT NULL ORDER BY 1 LIMIT 4""",
        [topic],
    )["indicator_id"].tolist()

    def periods(ind):
        return wh.sql(
            """SELECT DISTINCT strftime(o.period, '%Y-%m-%d') p FROM observations o JOIN regions r USING (region_id)
               WHERE r.level = 'kreis' AND o.indicator_id = ? AND o.value IS NOT NULL ORDER BY 1 DESC LIMIT 3""",
            [ind],
        )["p"].tolist()

    def box(key):
        return next(s for s in at.selectbox if s.key == key)

    def choose_period(p):
        # The period slider (absent for an indicator with one period at the level).
        sliders = [s for s in at.select_slider if s.key == "karte.period_slider"]
        if sliders:
            sliders[0].set_value(p)

    for p in periods(indicator):  # warm
        choose_period(p)
        at.run()
    timings = []
    for i in range(n):
        if i % 2 == 0:
            choices = periods(at.session_state["karte.ind"])
            choose_period(choices[(i // 2) % len(choices)])
        else:
            box("karte.ind").set_value(indicators[(i // 2) % len(indicators)])
        t0 = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - t0) * 1000)
        if at.exception:
            raise RuntimeError(f"rerun failed: {at.exception}")
    timings.sort()
    return {
        "filter_change_ms_p50": round(statistics.median(timings), 1),
        "filter_change_ms_p95": round(timings[min(len(timings) - 1, int(0.95 * len(timings)))], 1),
        "filter_change_runs": n,
    }


MAP_DRAWN = '.dsr-map[data-state=drawn][data-drawn="{n}"]'
# The map's User Timing mark when a level's map (n regions) is first drawn
# (mapview.js), and the bare app's title: what each page load waits for.
MAP_MARK = "n => performance.getEntriesByName(`dsr-map-drawn:${n}`, 'mark').length > 0"
TITLE = "() => document.querySelector('h1') !== null"


def _frame_when(page, condition: str, arg=None) -> float:
    """``performance.now()`` in the page (milliseconds since its navigation
    started) at the first animation frame in which ``condition`` holds.

    Checked in the page at every frame, not by Playwright's locator waits:
    those poll after 0, 20, 50, 100, 100, 500, 500 … ms, so a page that is
    ready later in its load was seen up to half a second late, and the map
    (ready after the title would have been) more often than the bare app."""
    check = f"arg => ({condition})(arg) ? performance.now() : null"
    return float(page.wait_for_function(check, arg=arg, polling="raf", timeout=120_000).json_value())


def _open_map(page, base: str, level: str, n: int) -> float:
    """Milliseconds from navigation to the map's regions drawn."""
    page.goto(f"{base}/karte?level={level}", wait_until="commit")
    return _frame_when(page, MAP_MARK, n)


def _settle(page) -> None:
    """Until the page's second run (what follows the map) has ended, so that
    it does not share the cores with the next page load measured."""
    from tests.browser import SCRIPT_DONE

    page.wait_for_timeout(500)
    page.wait_for_function(SCRIPT_DONE, timeout=120_000)


def _baseline_loads(browser, base: str) -> tuple[float, float]:
    """One page load of the bare Streamlit app (a title only) to its title
    drawn, in a new browser profile and then in a new tab of it (cached):
    what any page of any Streamlit app costs on this machine before its own
    content. Milliseconds: first, cached."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    out = []
    for _ in range(2):
        page = context.new_page()
        page.goto(base, wait_until="commit")
        out.append(_frame_when(page, TITLE))
        page.close()
    context.close()
    return out[0], out[1]


def render_metrics(browser, base: str, warehouse: Path, loads: int) -> dict:
    """The Gemeinde map's page loads (``_map_loads``) and the bare Streamlit
    app's (``_baseline_loads``), taken in turns so that both see the same load
    of the machine, both servers warmed by one visit first;
    ``gemeinde_first_render_ratio`` is the first visit's median over the
    baseline's (issue 14: ≤ 1.5)."""
    from tests.browser import running_app

    result: dict = {}
    with running_app(warehouse, ROOT / "bench" / "out" / "baseline.log", script="bench/baseline_app.py") as (bare, _):
        # Warm the server caches once (the first visit writes the shapes files).
        warm = browser.new_page()
        for level, n in (("gemeinde", 10997), ("kreis", 401)):
            _open_map(warm, base, level, n)
        warm.goto(bare, wait_until="commit")
        _frame_when(warm, TITLE)
        warm.close()
        first, cached, switch, load_ms, draw_ms, bare_first, bare_cached = [], [], [], [], [], [], []
        for _ in range(loads):
            for into, got in zip((first, cached, switch, load_ms, draw_ms), _map_loads(browser, base, 1)):
                into += got
            cold, warm_ms = _baseline_loads(browser, bare)
            bare_first.append(cold)
            bare_cached.append(warm_ms)
    result["gemeinde_first_render_ms"] = round(statistics.median(first))
    result["gemeinde_render_cached_ms"] = round(statistics.median(cached))
    result["gemeinde_level_switch_ms"] = round(statistics.median(switch))
    result["gemeinde_shapes_load_ms"] = round(statistics.median(load_ms))
    result["gemeinde_canvas_draw_ms"] = round(statistics.median(draw_ms))
    result["gemeinde_render_loads"] = loads
    result["streamlit_baseline_first_ms"] = round(statistics.median(bare_first))
    result["streamlit_baseline_cached_ms"] = round(statistics.median(bare_cached))
    result["gemeinde_first_render_ratio"] = round(statistics.median(first) / statistics.median(bare_first), 2)
    result["gemeinde_first_render_above_baseline_ms"] = result["gemeinde_first_render_ms"] - result["streamlit_baseline_first_ms"]
    result["gemeinde_render_cached_above_baseline_ms"] = result["gemeinde_render_cached_ms"] - result["streamlit_baseline_cached_ms"]
    return result


def render_only(warehouse: Path, loads: int) -> dict:
    """``render_metrics`` alone (``--only-render``), on a freshly started app."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app

    with running_app(warehouse, ROOT / "bench" / "out" / "streamlit.log") as (base, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        result = render_metrics(browser, base, warehouse, loads)
        browser.close()
    return result


def browser_metrics(warehouse: Path, figures: dict, loads: int = 5) -> dict:
    """Render times of the Gemeinde map in headless Chromium; RSS after visiting every page.

    - first render: a new browser profile (empty cache), as a first visit;
    - cached: a new tab of a browser that has visited the app before (its
      scripts and the shapes file in the HTTP cache), as every later visit;
    - level switch: the Kreis map is open, the user picks Gemeinden (the
      Gemeinde shapes are not loaded yet).
    The component also reports its own share: shapes fetched and decoded, and
    the canvas drawn (``data-load-ms``, ``data-draw-ms``).
    """
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app

    result: dict = {}
    with running_app(warehouse, ROOT / "bench" / "out" / "streamlit.log") as (base, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        result.update(render_metrics(browser, base, warehouse, loads))
        result.update(shapes_transfer(base, figures))
        result["app_rss_mb"] = _walk_rss(browser, base, proc.pid)
        browser.close()
    return result


def _map_loads(browser, base: str, loads: int) -> tuple[list[float], ...]:
    """``loads`` times: the Gemeinde map in a new browser profile, again in a
    new tab of it, and a Kreis map switched to Gemeinden in another new
    profile. Milliseconds: first, cached, switch, and the component's own
    shapes-load and draw times of the first."""
    first, cached, switch, load_ms, draw_ms = [], [], [], [], []
    for _ in range(loads):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        first.append(_open_map(page, base, "gemeinde", 10997))
        root = page.locator(MAP_DRAWN.format(n=10997))
        load_ms.append(float(root.get_attribute("data-load-ms")))
        draw_ms.append(float(root.get_attribute("data-draw-ms")))
        _settle(page)
        page.close()
        page = context.new_page()
        cached.append(_open_map(page, base, "gemeinde", 10997))
        _settle(page)
        page.close()
        context.close()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        _open_map(page, base, "kreis", 401)
        _settle(page)
        page.locator("[data-testid=stSelectbox]").first.click()
        option = page.get_by_role("option", name="Gemeinden")
        option.wait_for()
        t0 = page.evaluate("performance.now()")
        option.click()
        switch.append(_frame_when(page, MAP_MARK, 10997) - t0)
        _settle(page)
        context.close()
    return first, cached, switch, load_ms, draw_ms


def _walk_rss(browser, base: str, pid: int) -> float:
    """One session opens every page (bare URLs, each page's defaults) and
    waits until each has run; then the resident memory (VmRSS) of the app's
    Streamlit process, in MB. Only that process: the export renderer's
    Chromium is a process of its own (``export_renderer_pss_mb``)."""
    from tests.browser import wait_for_app

    page = browser.new_page()
    for slug in APP_PAGES:
        page.goto(f"{base}/{slug}")
        wait_for_app(page)
    page.close()
    return round(_rss_mb(pid), 1)


def rss_metrics(warehouse: Path, loads: int = 5) -> dict:
    """``app_rss_mb`` alone (``--only-rss``), on a freshly started app, after
    the same browser visits as in the full run: the Gemeinde and the Kreis map
    drawn once, the render figures' ``loads`` map loads, then one session
    walks every page; the Streamlit process's VmRSS."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app

    with running_app(warehouse, ROOT / "bench" / "out" / "rss.log") as (base, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for level, n in (("gemeinde", 10997), ("kreis", 401)):
            _open_map(page, base, level, n)
        page.close()
        _map_loads(browser, base, loads)
        rss = _walk_rss(browser, base, proc.pid)
        browser.close()
    return {"app_rss_mb": rss}


def export_metrics(warehouse: Path, clicks: int = 5) -> dict:
    """The Gemeinde map's PNG download as a user gets it: open
    ``/karte?level=gemeinde`` in a browser, wait until the map is drawn, click
    "Bild (PNG)" and wait until the file has arrived (server: figure, drawing
    by the kept Chromium, transfer). ``gemeinde_png_export_first_ms`` is the
    first click on a freshly started app (its renderer started in the
    background while the page loaded); ``gemeinde_png_export_ms`` the median
    of the ``clicks`` after it, each on a newly opened page. Also the memory of
    the renderer's Chromium (its processes' proportional set size added up:
    shared pages counted once)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, running_app

    def click(page) -> tuple[float, int]:
        page.goto(f"{base}/karte?level=gemeinde")
        page.locator(MAP_DRAWN.format(n=10997)).wait_for(timeout=120_000)
        button = page.get_by_role("button", name="Bild (PNG)")
        button.wait_for(timeout=60_000)
        t0 = time.perf_counter()
        with page.expect_download(timeout=120_000) as info:
            button.click()
        size = Path(info.value.path()).stat().st_size  # waits until the file has arrived
        return (time.perf_counter() - t0) * 1000, size

    result: dict = {}
    env_warm = os.environ.pop("DSR_EXPORT_WARM", None)  # the app as deployed: the renderer warms in the background
    try:
        with running_app(warehouse, ROOT / "bench" / "out" / "export.log") as (base, proc), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            first, size = click(page)
            page.close()
            timings = []
            for _ in range(clicks):
                page = browser.new_page()
                ms, size = click(page)
                timings.append(ms)
                page.close()
            browser.close()
            result["gemeinde_png_export_first_ms"] = round(first)
            result["gemeinde_png_export_ms"] = round(statistics.median(timings))
            result["gemeinde_png_export_max_ms"] = round(max(timings))
            result["gemeinde_png_export_bytes"] = size
            result["gemeinde_png_export_clicks"] = clicks
            result["export_renderer_pss_mb"] = round(sum(_pss_mb(pid) for pid in _descendants(proc.pid)), 1)
    finally:
        if env_warm is not None:
            os.environ["DSR_EXPORT_WARM"] = env_warm
    return result


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the renderer's Chromium and its helpers)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _pss_mb(pid: int) -> float:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:  # the process has ended
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith("Pss:")), 0.0)


def _rss_mb(pid: int) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # the process has ended
        return 0.0
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def concurrent_metrics(warehouse: Path, sessions: int = 8, rounds: int = 2) -> dict:
    """Many people at once, on a freshly started (cold) app: ``sessions``
    browser sessions each opening every page ``rounds`` times, at the same time.

    Reports error boxes plus errors in the server log, page load p50/p95 (from
    navigation to the script run ended), the app's RSS after one session walked
    every page, its peak during the run (sampled every 100 ms) and what each
    further session added. The same walk against a bare Streamlit app (a title
    only, the same number of page loads) gives the floor in the same run.
    """
    import threading

    from tests.browser import PAGES, log_errors, run_sessions, running_app

    out_dir = ROOT / "bench" / "out"
    result: dict = {}
    bare_pages = {f"bare{i}": "" for i in range(len(PAGES))}
    for name, script, pages in (("app", "dashboard/app.py", None), ("baseline", "bench/baseline_app.py", bare_pages)):
        log = out_dir / f"concurrent-{name}.log"
        with running_app(warehouse, log, script=script) as (base, proc):
            run_sessions(base, sessions=1, rounds=1, pages=pages)
            one = _rss_mb(proc.pid)
            peak = [one]
            done = threading.Event()

            def sample(pid=proc.pid):
                while not done.wait(0.1):
                    peak[0] = max(peak[0], _rss_mb(pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0 = time.perf_counter()
            loads = run_sessions(base, sessions=sessions, rounds=rounds, pages=pages)
            wall = time.perf_counter() - t0
            done.set()
            sampler.join()
        ms = [load["ms"] for load in loads]
        errors = sum(1 for load in loads if load["errors"]) + len(log_errors(log))
        prefix = "concurrent" if name == "app" else "concurrent_baseline"
        result[f"{prefix}_sessions_errors"] = errors
        result[f"{prefix}_page_p50_ms"] = round(statistics.median(ms))
        result[f"{prefix}_page_p95_ms"] = round(_percentile(ms, 0.95))
        result[f"{prefix}_page_loads"] = len(loads)
        result[f"{prefix}_wall_s"] = round(wall, 1)
        result[f"{prefix}_rss_one_session_mb"] = round(one, 1)
        result[f"{prefix}_rss_peak_mb"] = round(peak[0], 1)
        result[f"{prefix}_rss_per_extra_session_mb"] = round(max(0.0, peak[0] - one) / max(1, sessions - 1), 1)
    result["concurrent_sessions"] = sessions
    # The keys the issue names.
    result["rss_per_extra_session_mb"] = result["concurrent_rss_per_extra_session_mb"]
    return result


def proxy_metrics(warehouse: Path, sessions: int = 8, rounds: int = 2) -> dict:
    """The same walk as ``concurrent_metrics`` (``sessions`` browser sessions
    each opening every page ``rounds`` times at once), through nginx in front
    of 1 and then 2 app processes (``deploy.serve``), in the same run.

    Every process is warmed first by one session walking every page on its own
    port, so both figures are of warm processes. Reports per number of
    processes: errors (error boxes, errors in the apps' logs, nginx errors),
    page load p50/p95, wall time, how the sessions spread over the processes
    (by nginx's sticky cookie: random, so 8 sessions may well split 5/3) and
    the processes' RSS added up at the end. The browser runs on the same
    machine and takes its share of the cores.
    """
    import shutil

    from deploy.serve import read_access_log, serving
    from tests.browser import free_ports, log_errors, run_sessions

    result: dict = {}
    for apps in (1, 2):
        run_dir = ROOT / "bench" / "out" / f"proxy-{apps}"
        shutil.rmtree(run_dir, ignore_errors=True)
        port, *app_ports = free_ports(1 + apps)
        with serving(apps, port, app_ports, run_dir, warehouse, log=_log) as deployment:
            for app_port in app_ports:
                run_sessions(f"http://127.0.0.1:{app_port}", sessions=1, rounds=1)
            t0 = time.perf_counter()
            loads = run_sessions(deployment.base, sessions=sessions, rounds=rounds)
            wall = time.perf_counter() - t0
            rss = sum(_rss_mb(proc.pid) for proc in deployment.apps.values())
        # Read once nginx has stopped: a websocket is logged when it closes.
        streams = [r for r in read_access_log(deployment.access_log) if r["path"] == "/_stcore/stream"]
        per_process = {f"127.0.0.1:{p}": set() for p in app_ports}
        for r in streams:
            per_process.setdefault(r["upstream"], set()).add(r["sticky"])
        nginx_errors = [line for line in (run_dir / "logs" / "error.log").read_text().splitlines() if "[error]" in line or "[crit]" in line]
        ms = [load["ms"] for load in loads]
        prefix = f"proxy{apps}"
        result[f"{prefix}_sessions_errors"] = (
            sum(1 for load in loads if load["errors"]) + sum(len(log_errors(deployment.app_log(p))) for p in app_ports) + len(nginx_errors)
        )
        result[f"{prefix}_page_p50_ms"] = round(statistics.median(ms))
        result[f"{prefix}_page_p95_ms"] = round(_percentile(ms, 0.95))
        result[f"{prefix}_page_loads"] = len(loads)
        result[f"{prefix}_wall_s"] = round(wall, 1)
        result[f"{prefix}_sessions_per_process"] = "/".join(str(len(v)) for v in per_process.values())
        result[f"{prefix}_rss_total_mb"] = round(rss, 1)
    result["proxy_sessions"] = sessions
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", action="store_true", help="also print a readable table to stderr")
    parser.add_argument("--skip-build", action="store_true", help="do not time a full ETL build (use DSR_WAREHOUSE)")
    parser.add_argument("--raw", type=Path, help="raw-data directory for the build")
    parser.add_argument("--loads", type=int, default=5, help="browser loads for the render median")
    parser.add_argument("--sessions", type=int, default=8, help="simultaneous browser sessions for the concurrency walk")
    parser.add_argument("--only-concurrent", action="store_true", help="measure only the concurrency walk (on DSR_WAREHOUSE)")
    parser.add_argument("--only-rebuild", action="store_true", help=f"measure only `etl build --only {ONLY_SOURCE}` (on a copy of DSR_WAREHOUSE)")
    parser.add_argument("--only-proxy", action="store_true", help="measure only the walk through nginx with 1 and 2 app processes (on DSR_WAREHOUSE)")
    parser.add_argument("--only-export", action="store_true", help="measure only the Gemeinde map's PNG download in a browser (on DSR_WAREHOUSE)")
    parser.add_argument("--only-build", action="store_true", help="measure only a full ETL build (etl_build_s, its CPU time and stages), into a scratch warehouse removed afterwards")
    parser.add_argument("--only-render", action="store_true", help="measure only the Gemeinde map's page loads and the bare Streamlit app's, in turns (on DSR_WAREHOUSE)")
    parser.add_argument("--only-rss", action="store_true", help="measure only app_rss_mb: a fresh app, both maps drawn, one session on every page (on DSR_WAREHOUSE)")
    parser.add_argument("--clicks", type=int, default=5, help="PNG downloads for the export median")
    args = parser.parse_args()

    from etl import paths

    results: dict = {}
    current = paths.warehouse_dir
    # One measurement alone (or the two walks), on the current warehouse: printed with its targets.
    only = [
        (args.only_build, lambda: build_only(args.raw)),
        (args.only_rebuild, lambda: measure_only_rebuild(current(), args.raw)),
        (args.only_rss, lambda: rss_metrics(current(), args.loads)),
        (args.only_render, lambda: render_only(current(), args.loads)),
        (args.only_export, lambda: export_metrics(current(), args.clicks)),
        (args.only_concurrent, lambda: concurrent_metrics(current(), args.sessions)),
        (args.only_proxy, lambda: proxy_metrics(current(), args.sessions)),
    ]
    if any(chosen for chosen, _ in only):
        for chosen, measure in only:
            if chosen:
                results.update(measure())
        results["targets_met"] = {k: results[k] <= limit for k, (_, limit) in TARGETS.items() if k in results}
        print(json.dumps(results, indent=2))
        _print_table(results, args.table)
        return 0
    if args.skip_build:
        warehouse = paths.warehouse_dir()
    else:
        _log("timing a full ETL build …")
        built = measure_build(args.raw)
        warehouse = Path(built.pop("_warehouse"))
        results.update(built)
    os.environ["DSR_WAREHOUSE"] = str(warehouse)
    _log(f"warehouse: {warehouse}")
    _log(f"timing etl build --only {ONLY_SOURCE} …")
    results.update(measure_only_rebuild(warehouse, args.raw))
    _log("naive payload …")
    # The naive figure carries its full shapes inline on every rerun.
    results["naive_gemeinde_payload_bytes"] = naive_payload(warehouse)
    _log("app figures …")
    figures = app_figures()
    results.update({k: v for k, v in figures.items() if not k.startswith("_")})
    _log("filter changes …")
    results.update(filter_changes())
    _log("browser: shapes transfer, first render and memory …")
    results.update(browser_metrics(warehouse, figures, args.loads))
    _log("browser: the Gemeinde map's PNG download …")
    results.update(export_metrics(warehouse, args.clicks))
    _log(f"browser: {args.sessions} sessions at once on a cold app, and on a bare Streamlit app …")
    results.update(concurrent_metrics(warehouse, args.sessions))
    _log(f"browser: {args.sessions} sessions at once through nginx, with 1 and with 2 app processes …")
    results.update(proxy_metrics(warehouse, args.sessions))
    results["gemeinde_payload_ratio_naive_to_app"] = round(results["naive_gemeinde_payload_bytes"] / results["gemeinde_payload_bytes"], 1)
    results["targets_met"] = {
        k: (results[k] <= limit) for k, (_, limit) in TARGETS.items() if k in results
    }
    results["targets_met"]["gemeinde_payload_5x_smaller"] = results["gemeinde_payload_ratio_naive_to_app"] >= 5
    print(json.dumps(results, indent=2))
    _print_table(results, args.table)
    return 0


def _print_table(results: dict, table: bool) -> None:
    if not table:
        return
    width = max(len(k) for k in results)
    for k, val in results.items():
        if isinstance(val, dict):
            continue
        target = TARGETS.get(k)
        print(f"{k:<{width}}  {val!s:>14}  {'target ' + target[0] + ' ' + str(target[1]) if target else ''}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
