"""What only a browser shows: the map draws its regions offline, a permalink
restores the view, a download arrives and is what it says, every page renders.
Screenshots of every page go to tests/artifacts/screens/ (look at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import OfflineBrowser, running_app, wait_for_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
SCREENS = ARTIFACTS / "screens"
# Each page as a policymaker would open it from a link: with a region or a selection.
PAGES = {
    "karte": "",
    "steckbrief": "steckbrief?region=09162",
    "vergleich": "vergleich?regions=09162,09564,08111,06412,05315",
    "trends": "trends?regions=09162,08111,05315&ind=bb_hh_all_50",
    "sektoren": "sektoren",
    "projekte": "projekte?project=mpsc:MPSC-2019-02",
    "quellen": "quellen",
}


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


def _map_paths(page) -> int:
    return page.locator("path.choroplethlocation").count()


def test_the_map_draws_every_kreis_offline(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page = browser.page()
    page.goto(f"{app}/?level=kreis&ind={ind}&period={period}")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('path.choroplethlocation').length >= 401")
    assert _map_paths(page) >= 401
    # The regions are really painted: filled paths with a colour, not empty shapes.
    filled = page.evaluate(
        "() => [...document.querySelectorAll('path.choroplethlocation')].filter(p => { const f = getComputedStyle(p).fill; return f && f !== 'none' && f !== 'rgba(0, 0, 0, 0)'; }).length"
    )
    assert filled >= 401
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "karte_kreis.png", full_page=True)
    assert browser.outside_requests == [], f"the app asked outside hosts: {browser.outside_requests[:5]}"
    page.close()


def test_the_gemeinde_map_draws_all_municipalities(browser, app, warehouse):
    row = warehouse.sql(
        "SELECT o.indicator_id, max(o.period) p FROM observations o JOIN regions r USING (region_id) WHERE r.level='gemeinde' AND o.value IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 1"
    )
    if row.empty:
        pytest.fail("no Gemeinde-level indicator in the warehouse")
    ind, period = row.iloc[0]["indicator_id"], str(row.iloc[0]["p"])[:10]
    page = browser.page()
    page.goto(f"{app}/?level=gemeinde&ind={ind}&period={period}")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('path.choroplethlocation').length >= 10997", timeout=90_000)
    page.screenshot(path=SCREENS / "karte_gemeinde.png", full_page=False)
    page.close()


def test_a_permalink_restores_the_view(browser, app, kreis_indicator):
    ind, period = kreis_indicator
    page = browser.page()
    page.goto(f"{app}/?lang=en&level=land&ind={ind}&period={period}&cls=equal&k=4")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('path.choroplethlocation').length >= 16")
    body = page.inner_text("body")
    assert "Map" in body and "Länder" in body  # English, Land level
    assert page.get_by_role("radio", name="Equal intervals").is_checked()
    assert page.locator("[data-testid='stSliderThumbValue']").first.inner_text().strip() == "4"
    # At most 4 classes in the legend (+ possibly 'no data'); empty classes are not drawn.
    assert 1 <= page.locator("g.legend g.traces").count() <= 5
    # The URL keeps the state after the app has run.
    assert "cls=equal" in page.url and "level=land" in page.url and "lang=en" in page.url
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
    assert page.locator("[data-testid='stException']").count() == 0, page.inner_text("body")[:2000]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{slug}.png", full_page=True)
    page.close()


def _inflate(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed (for reading its text)."""
    import re
    import zlib

    def repl(m):
        try:
            return m.group(1) + zlib.decompress(m.group(2)) + m.group(3)
        except zlib.error:
            return m.group(0)

    return re.sub(rb"(stream\r?\n)(.*?)(\r?\nendstream)", repl, pdf, flags=re.S)


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
