"""What only a browser shows: the map draws its regions offline, a permalink
restores the view, a download arrives and is what it says, every page renders.
Screenshots of every page go to tests/artifacts/screens/ (look at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import ERROR_BOX, PAGES, SCRIPT_DONE, OfflineBrowser, running_app, wait_for_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENS = ARTIFACTS / "screens"


@pytest.fixture(scope="module")
def app(warehouse):
    with running_app(warehouse.directory, ARTIFACTS / "streamlit.log") as (base, proc):
        yield base


@pytest.fixture(scope="module")
def browser(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = OfflineBrowser(p, app)
        yield b
        b.close()


@pytest.fixture(scope="module")
def kreis_indicator(warehouse):
    """An indicator with Kreis data in its latest period (broadband if there is one)."""
    rows = warehouse.sql(
        """
        SELECT o.indicator_id, max(o.period) AS period FROM observations o JOIN regions r USING (region_id)
        WHERE r.level = 'kreis' AND o.value IS NOT NULL GROUP BY 1 ORDER BY (o.indicator_id LIKE 'bb_%') DESC, 1
        """
    )
    row = rows.iloc[0]
    return row["indicator_id"], str(row["period"])[:10]


MAP = ".dsr-map[data-state=drawn]"


def _drawn_map(page, regions: int, timeout: int = 90_000):
    """The canvas map once it has drawn ``regions`` regions (Playwright's CSS
    locators reach into the component's shadow root)."""
    page.locator(f'{MAP}[data-drawn="{regions}"]').wait_for(timeout=timeout)
    return page.locator(MAP)


DEFERRED = "[data-testid='stDownloadButton']"  # sent once the map is drawn (the page's first view is the map)


def _open_map(browser, url: str, regions: int):
    """A new page at ``url`` once the app has run, its map is drawn and the
    rest of the page has followed."""
    page = browser.page()
    page.goto(url)
    wait_for_app(page)
    root = _drawn_map(page, regions)
    page.locator(DEFERRED).first.wait_for()
    wait_for_app(page)
    return page, root


# The colours actually painted on the map canvas: how many pixels of each
# legend colour (exact RGB) and how many painted at all.
PAINTED = """(root) => {
  const canvas = root.querySelector('canvas');
  const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = {};
  let painted = 0;
  for (let i = 0; i < img.length; i += 4) {
    if (img[i + 3] === 0) continue;
    painted++;
    const hex = '#' + [img[i], img[i + 1], img[i + 2]].map(v => v.toString(16).padStart(2, '0')).join('');
    counts[hex] = (counts[hex] || 0) + 1;
  }
  return {painted, total: img.length / 4, counts};
}"""


def _legend(root) -> list[tuple[str, str]]:
    return root.evaluate("(r) => [...r.querySelectorAll('.dsr-legend > .dsr-entry')].map(d => [getComputedStyle(d.querySelector('.sw')).backgroundColor, d.textContent])")


def _rgb_hex(css: str) -> str:
    r, g, b = (int(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def test_the_map_draws_every_kreis_offline(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page, root = _open_map(browser, f"{app}/?level=kreis&ind={ind}&period={period}", 401)
    # The regions are really painted, in the legend's colours: every class
    # has pixels on the canvas, and Germany covers a good part of it.
    paint = root.evaluate(PAINTED)
    assert paint["painted"] > 0.2 * paint["total"]
    legend = _legend(root)
    assert 3 <= len(legend) <= 8
    for colour, label in legend:
        if colour != "rgba(0, 0, 0, 0)":
            assert paint["counts"].get(_rgb_hex(colour), 0) > 0, (label, colour)
    # The title and the source line with the licence are part of the map.
    text = root.inner_text()
    assert "Kreise" in text and "GeoBasis-DE / BKG" in text and "Lizenz" in text
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "karte_kreis.png", full_page=True)
    assert browser.outside_requests == [], f"the app asked outside hosts: {browser.outside_requests[:5]}"
    page.close()


def test_pointing_at_a_region_shows_its_value_and_rank_and_the_map_zooms(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page, root = _open_map(browser, f"{app}/?level=kreis&ind={ind}&period={period}", 401)
    box = page.locator(f"{MAP} canvas").first.bounding_box()
    # The middle of the canvas is inside Germany (Hesse/Thuringia).
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator(".dsr-tip")
    tip.wait_for(state="visible", timeout=10_000)
    hovered = root.get_attribute("data-hovered")
    assert hovered and len(hovered) == 5, hovered  # a Kreis key
    text = tip.inner_text()
    assert f"({hovered})" in text and ("Rang" in text or "keine Daten" in text), text
    page.screenshot(path=SCREENS / "karte_hover.png")
    # A click chooses the region: outlined on the map, named under it with
    # links to its profile and to the comparison.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_text(f"({hovered})").first.wait_for(timeout=30_000)
    wait_for_app(page)
    assert root.get_attribute("data-selected") == hovered
    assert f"sel={hovered}" in page.url
    page.screenshot(path=SCREENS / "karte_selected.png", full_page=True)
    # Zoom in with the + button: the map redraws, larger.
    before = root.evaluate(PAINTED)["painted"]
    page.locator(".dsr-tools button[data-action='+']").click()
    page.wait_for_timeout(300)
    after = root.evaluate(PAINTED)["painted"]
    assert after > before
    page.locator(".dsr-tools button[data-action='⟲']").click()
    page.wait_for_timeout(300)
    assert root.evaluate(PAINTED)["painted"] == before
    # The profile link opens the Steckbrief of the chosen region.
    page.get_by_role("link", name="Steckbrief von").click()
    wait_for_app(page)
    assert "steckbrief" in page.url and f"region={hovered}" in page.url
    assert page.locator(ERROR_BOX).count() == 0
    page.close()


def test_the_gemeinde_map_draws_all_municipalities(browser, app, warehouse):
    row = warehouse.sql(
        "SELECT o.indicator_id, max(o.period) p FROM observations o JOIN regions r USING (region_id) WHERE r.level='gemeinde' AND o.value IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 1"
    )
    if row.empty:
        pytest.fail("no Gemeinde-level indicator in the warehouse")
    ind, period = row.iloc[0]["indicator_id"], str(row.iloc[0]["p"])[:10]
    page, root = _open_map(browser, f"{app}/?level=gemeinde&ind={ind}&period={period}", 10997)
    assert root.evaluate(PAINTED)["painted"] > 0
    page.screenshot(path=SCREENS / "karte_gemeinde.png", full_page=False)
    # Zoomed in twice on the Ruhr: small Gemeinden are drawn, borders shared.
    box = page.locator(f"{MAP} canvas").first.bounding_box()
    for _ in range(2):
        page.mouse.dblclick(box["x"] + box["width"] * 0.28, box["y"] + box["height"] * 0.47)
        page.wait_for_timeout(400)
    page.screenshot(path=SCREENS / "karte_gemeinde_zoom.png", full_page=False)
    page.close()


def test_the_first_view_is_the_map_and_the_rest_follows_without_redrawing_it(browser, app):
    """The Karte page's first view is the map; the choices, the period slider
    and what is below the map arrive once the map is drawn, and that second
    run neither redraws nor moves it. The shapes are fetched once, by the
    instance that prefetches them (``mapview.prefetch``), for both."""
    page = browser.page()
    shapes = []
    page.on("response", lambda r: shapes.append((r.url, r.headers.get("content-type"), r.headers.get("content-encoding"))) if r.url.endswith(".mapz") else None)
    page.goto(f"{app}/karte?level=gemeinde")
    root = _drawn_map(page, 10997)
    first_box = root.bounding_box()
    root.evaluate("(r) => { window.__states = []; new MutationObserver(() => window.__states.push(r.dataset.state)).observe(r, {attributes: true}); }")
    page.locator(DEFERRED).first.wait_for()
    wait_for_app(page)
    assert page.get_by_role("radio", name="Quantile").is_checked()
    assert page.get_by_role("button", name="Bild (PNG)").is_visible()
    assert "loading" not in page.evaluate("window.__states"), page.evaluate("window.__states")
    assert root.get_attribute("data-state") == "drawn" and page.locator(ERROR_BOX).count() == 0
    assert root.bounding_box() == first_box  # the indicator's row was kept free for it
    sidebar, main = page.locator("[data-testid=stSidebar]"), page.locator("[data-testid=stMain]")
    assert sidebar.locator("[data-testid=stSelectbox]").count() == 2 and main.locator("[data-testid=stSelectbox]").count() == 1
    assert main.locator("[data-testid=stSelectbox] input").input_value() == "Breitband Haushalte, alle Technologien, ≥ 50 Mbit/s (%)"
    assert main.locator("[data-testid=stSliderThumbValue]").inner_text().strip() == "Mitte 2021"  # the period slider, below the map
    # Fetched once, gzip-compressed as published and not compressed again by the server.
    assert len(shapes) == 1 and shapes[0][1:] == ("application/gzip", None), shapes
    # The User Timing mark the benchmark reads: when this level's map was first drawn.
    assert page.evaluate("performance.getEntriesByName('dsr-map-drawn:10997', 'mark').length") == 1
    page.close()


def test_the_verband_map_draws_all_gemeindeverbaende(browser, app):
    """4,605 Gemeindeverbände, each with a value of households at ≥ 50 Mbit/s (made from its Gemeinden)."""
    page, root = _open_map(browser, f"{app}/?level=verband&ind=bb_hh_all_50&period=2021-06-30", 4605)
    painted = root.evaluate(PAINTED)
    assert painted["painted"] > 0.2 * painted["total"]
    assert page.locator(ERROR_BOX).count() == 0
    page.screenshot(path=SCREENS / "karte_verband.png", full_page=False)
    page.close()


def test_a_permalink_restores_the_view(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page, root = _open_map(browser, f"{app}/?lang=en&level=land&ind={ind}&period={period}&cls=equal&k=4", 16)
    assert "Map" in page.inner_text("body")  # English
    assert "Länder" in root.locator(".dsr-title").inner_text()  # Land level, in the map's title
    assert page.get_by_role("radio", name="Equal intervals").is_checked()
    assert page.locator("[data-testid='stSliderThumbValue']").first.inner_text().strip() == "4"
    # At most 4 classes in the legend (+ possibly 'no data').
    assert 1 <= len(_legend(root)) <= 5
    # The URL keeps the state after the app has run.
    assert "cls=equal" in page.url and "level=land" in page.url and "lang=en" in page.url
    page.close()


# Records every title the map shows, with its legend, as it changes (the
# component keeps its elements across reruns, so one observer sees them all).
WATCH_TITLES = """(root) => {
  window.__shown = [];
  const note = () => {
    const title = root.querySelector('.dsr-title').textContent;
    const legend = [...root.querySelectorAll('.dsr-legend > .dsr-entry')].map(d => d.textContent);
    const last = window.__shown[window.__shown.length - 1];
    if (root.dataset.state === 'drawn' && (!last || last.title !== title)) window.__shown.push({title, legend});
  };
  note();
  new MutationObserver(note).observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def _title(root) -> str:
    return root.locator(".dsr-title").inner_text()


def _period_in_url(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["period"][0]


def test_the_map_plays_through_the_broadband_periods_with_fixed_classes(browser, app, warehouse):
    """Play steps the Kreis map through every period 2010–2021 of households at
    ≥ 50 Mbit/s, one after the other, with the same class breaks in the legend,
    and stops at the last; after a pause the link reopens the period shown.
    Another session plays at the same time on its own."""
    from dashboard import fmt

    # Each period once, named as most Kreise have it (end 2018: 400 half-year values, one year value).
    rows = warehouse.sql(
        """SELECT period, arg_max(period_type, n) AS period_type FROM (
             SELECT strftime(o.period, '%Y-%m-%d') AS period, o.period_type, count(*) AS n FROM observations o JOIN regions r USING (region_id)
             WHERE r.level = 'kreis' AND o.indicator_id = 'bb_hh_all_50' AND o.value IS NOT NULL GROUP BY ALL
           ) GROUP BY period ORDER BY period"""
    )
    periods = rows["period"].tolist()
    assert periods[0] == "2010-12-31" and periods[-1] == "2021-06-30"
    titles = [f"Breitband Haushalte, alle Technologien, ≥ 50 Mbit/s, Kreise, {fmt.period(p, pt, 'de')}" for p, pt in zip(periods, rows["period_type"])]
    url = f"{app}/?level=kreis&topic=broadband&ind=bb_hh_all_50"
    # A second session plays at the same time, from end 2016: each has its own timer.
    other, other_root = _open_map(browser, f"{url}&period=2016-12-31", 401)
    page, root = _open_map(browser, url, 401)
    assert _title(root) == titles[-1]
    note = root.locator(".dsr-note").inner_text()
    assert note == "Klassen gleich für alle Zeitpunkte 2010 – Mitte 2021"
    root.evaluate(WATCH_TITLES)
    other_root.evaluate(WATCH_TITLES)
    SCREENS.mkdir(parents=True, exist_ok=True)

    # Play from the last period: from the first again, through every period, and stop.
    page.get_by_role("button", name="Abspielen").click()
    other.get_by_role("button", name="Abspielen").click()
    page.mouse.move(5, 5)  # no tooltip over the map in the screenshots
    page.locator(".dsr-title", has_text=titles[4]).wait_for(timeout=60_000)
    page.screenshot(path=SCREENS / "karte_playing.png")
    for p in (page, other):
        p.get_by_role("button", name="Abspielen").wait_for(timeout=120_000)
        p.wait_for_function(SCRIPT_DONE)
    page.wait_for_timeout(3500)  # two more steps' time: nothing moves after the last period
    start = periods.index("2016-12-31")
    for p, r, expected in ((page, root, [titles[-1], *titles]), (other, other_root, titles[start:])):
        shown = p.evaluate("window.__shown")
        assert [s["title"] for s in shown] == expected, [s["title"] for s in shown]
        classes = [[entry for entry in s["legend"] if entry != "keine Daten"] for s in shown]
        assert len(classes[0]) == 5 and all(c == classes[0] for c in classes), classes
        assert _title(r) == titles[-1] and _period_in_url(p.url) == periods[-1]
        assert p.locator(ERROR_BOX).count() == 0

    # Play again and pause after a few periods: the link names the period shown.
    page.get_by_role("button", name="Abspielen").click()
    page.locator(".dsr-title", has_text=titles[3]).wait_for(timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Abspielen").wait_for(timeout=30_000)
    page.wait_for_function(SCRIPT_DONE)
    page.wait_for_timeout(3500)
    paused = _title(root)
    assert paused in titles[3:6], paused
    period = _period_in_url(page.url)
    assert titles[periods.index(period)] == paused
    assert paused.endswith(page.locator("[data-testid='stMainBlockContainer'] [data-testid='stSliderThumbValue']").inner_text().strip())  # the slider says so too
    page.mouse.move(5, 5)
    page.screenshot(path=SCREENS / "karte_paused.png")
    link = page.url
    page.close()
    again, again_root = _open_map(browser, link, 401)
    assert _title(again_root) == paused
    assert again.get_by_role("button", name="Abspielen").is_visible()
    again.screenshot(path=SCREENS / "karte_permalink_after_pause.png")
    again.close()

    # The other session stayed at its last period.
    assert _title(other_root) == titles[-1] and _period_in_url(other.url) == periods[-1]
    other.close()
    assert browser.outside_requests == []


def test_the_map_answers_to_its_own_name_and_the_root_url(browser, app):
    """/karte is the map's own address (no "page not found"); the app's root
    opens it with the link's parameters."""
    page = browser.page()
    page.goto(f"{app}/karte?level=land")
    wait_for_app(page)
    _drawn_map(page, 16)
    assert "Page not found" not in page.inner_text("body")
    page.goto(f"{app}/?level=land")
    wait_for_app(page)
    _drawn_map(page, 16)
    assert "/karte?" in page.url and "level=land" in page.url
    page.close()


def test_png_download_arrives_and_is_a_png(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page = browser.page()
    page.goto(f"{app}/?level=land&ind={ind}&period={period}")
    wait_for_app(page)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Bild (PNG)").click()
    path = info.value.path()
    content = Path(path).read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(content) > 20_000
    (ARTIFACTS / "export_map.png").write_bytes(content)
    page.close()


@pytest.mark.parametrize("slug", PAGES)
def test_every_page_renders_and_is_screenshotted(browser, app, slug):
    page = browser.page()
    page.goto(f"{app}/{PAGES[slug]}")
    wait_for_app(page)
    page.wait_for_timeout(1500)  # charts draw after the script has run
    assert page.locator(ERROR_BOX).count() == 0, page.inner_text("body")[:2000]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{slug}.png", full_page=True)
    page.close()


def _inflate(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed (for reading its text)."""
    import re
    import zlib

    def repl(m):
        # The data is taken up to "\nendstream" with any "\r" before it: a
        # compressed stream may end in the byte 0x0d itself (then stripping
        # "\r\n" cut it, and the page's text went missing about once in 256
        # PDFs). A decompressobj stops at the stream's end and leaves the rest.
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(m.group(2))
        except zlib.error:
            return m.group(0)
        return m.group(1) + text + m.group(3) if inflater.eof else m.group(0)

    return re.sub(rb"(stream\r?\n)(.*?)(\nendstream)", repl, pdf, flags=re.S)


def test_a_region_profile_pdf_arrives_with_its_sources(browser, app, warehouse):
    from test_profile import flat, pdf_text

    page = browser.page()
    page.goto(f"{app}/steckbrief?region=09162")
    wait_for_app(page)
    assert "München" in page.inner_text("body")
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Steckbrief als PDF").click()
    content = Path(info.value.path()).read_bytes()
    assert content[:5] == b"%PDF-"
    (ARTIFACTS / "steckbrief_09162.pdf").write_bytes(content)
    text = flat(pdf_text(_inflate(content)))
    assert "München" in text
    for attribution in ("© GeoBasis-DE / BKG 2021", "Statistisches Bundesamt (Destatis)", "Breitbandatlas"):
        assert attribution in text, attribution
    assert "Lizenz" in text
    assert browser.outside_requests == []
    page.close()


def test_a_chart_description_opens_under_the_chart_and_no_data_is_in_the_export(browser, app):
    """The text alternative under the Vergleich chart opens from the keyboard
    (a screen reader's way), and the exported PNG says "keine Daten" at the
    row of Thiendorf (no value for mid-2021); screenshots for a look."""
    page = browser.page()
    page.goto(f"{app}/vergleich?regions=14627290,03101000,03154028,03154008&topic=broadband&ind=bb_hh_all_50&pb=2021-06-30")
    wait_for_app(page)
    box = page.locator("[data-testid='stExpander']").filter(has_text="Beschreibung des Diagramms (Textalternative)")
    assert box.count() == 1
    box.locator("summary").focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    text = box.inner_text()
    assert "Höchster Wert: Braunschweig mit 98,6\u202f%" in text and "Keine Daten: Thiendorf." in text, text
    assert "keine Daten" in page.locator("[data-testid='stPlotlyChart']").first.inner_text()
    SCREENS.mkdir(parents=True, exist_ok=True)
    chart = page.locator("[data-testid='stPlotlyChart']").first.bounding_box()
    page.screenshot(path=SCREENS / "vergleich_description.png", clip={"x": 0, "y": chart["y"] - 10, "width": 1400, "height": chart["height"] + 260})
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Vektor (SVG)").click()
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert "keine Daten" in svg and "Thiendorf (14627290)" in svg
    page.close()
