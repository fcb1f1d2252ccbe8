"""Every chart of every page, exported the way a user does it, in German and
in English, and checked as the file a policymaker would be handed.

For each view (every page with charts, opened from a link as in
``browser.PAGES``, and views chosen for their long texts: the longest
indicator title, long region names, a Sektoren chart filtered by register,
16 Länder and 8 sectors (a long title and permalink) and stacked by Land, a
Gemeindeverband's Steckbrief) the test opens the page in the
browser, counts its charts by their "Bild (PNG)" buttons, clicks every chart's
PNG and SVG download button at once and reads the files that arrive. Quellen
has no chart and is left out. For every chart:

- the PNG is a PNG, 2,400 px wide (the export width at scale 2), as high as
  twice the SVG (the same layout), with content, and its outermost 2 px
  (4 PNG pixels) on every side are background: whatever is cut at the edge of
  the raster shows there;
- no text element lies outside the image. Measured in the browser, not
  estimated: the SVG is loaded into a page of the same headless Chromium that
  kaleido draws with (same fonts), and every visible ``<text>`` element's
  ``getBoundingClientRect`` (rotations and scalings included) must lie within
  the SVG's viewBox (0.5 px tolerance), and within every clip path around it
  (a legend too tall for its chart scrolls in plotly and hides its last
  entries in an image). ``test_chart_locale`` checks built
  figures against an estimate of the same without a browser;
- no text is drawn smaller than 9 px of the 1,200 px export (18 PNG pixels),
  its font size times the scale of the transforms around it (plotly shrinks a
  treemap's label to fit a narrow box);
- the title, a source line with its licence and the permalink (to the same
  view, in the same language) are in the figure, and the footer (source line,
  permalink) is overlapped by no other text;
- numbers are written the language's way: in German no "1,750" (thousands),
  "22.5" (decimal point), "35k" or "1.2M"; in English no "1.750", "22,5",
  "Tsd."/"Mio."; and no word of the other language (the lists of
  ``test_languages``). Checked on every text except the source line and the
  permalink (the publishers' attributions, their dates, licence versions and
  URLs).

The files of the last run are kept in tests/artifacts/exports/ (look at them).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from browser import ERROR_BOX, PAGES, wait_for_app
from dashboard.export import EXPORT_WIDTH
from dashboard.i18n import LABELS
from test_browser import app, browser  # noqa: F401 (the running app and its offline browser, one per module)
from test_languages import ENGLISH_ONLY, GERMAN_ONLY

ARTIFACTS = Path(__file__).parent / "artifacts"
EXPORTS = ARTIFACTS / "exports"
LANGS = ("de", "en")

# view → (path, number of charts it must offer, what its exported titles must say)
VIEWS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "karte": (PAGES["karte"], 1, ("2021",)),
    "steckbrief": (PAGES["steckbrief"], 2, ("München",)),
    "vergleich": (PAGES["vergleich"], 1, ("2021",)),
    "trends": (PAGES["trends"], 1, ()),
    "sektoren": (PAGES["sektoren"], 2, ()),
    "projekte": (PAGES["projekte"], 1, ("Ulm",)),
}
# Views with long texts (German only: the German texts are the longer ones).
LONG_VIEWS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "karte_long_title": ("karte?topic=economy&ind=gva_o_t_mio_eur&level=kreis", 1, ("WZ O-T",)),
    "vergleich_long_names": ("vergleich?regions=14628,10041,05334,03159,16077&topic=economy&ind=gva_o_t_mio_eur", 1, ("WZ O-T",)),
    "trends_index": ("trends?regions=14628,10041,05334,09162,08111&topic=economy&ind=gva_o_t_mio_eur&mode=index", 1, ("WZ O-T",)),
    "sektoren_filtered": (
        "sektoren?reg=mpsc&land=" + ",".join(f"{i:02d}" for i in range(1, 17))
        + "&sec=administration,climate_environment_water,economy_trade_logistics,education_culture,energy_buildings,health_care,infrastructure_data,mobility"
        + "&stack=land&measure=federal&tree=category",
        2, ("Modellprojekte Smart Cities", "Thüringen", "Mobilität"),
    ),
    "steckbrief_verband": ("steckbrief?region=145235122", 2, ("Oelsnitz",)),
}
CASES = [(view, lang) for view in VIEWS for lang in LANGS] + [(view, "de") for view in LONG_VIEWS]
FOOTER_PREFIXES = ("Quelle:", "Quellen:", "Source:", "Sources:", "http://", "https://")
MIN_TEXT_PX = 9  # the smallest text an export may draw, in pixels of its 1200 px width (18 in the PNG)
FRAME_PX = 4  # PNG pixels (2 px of the layout) along every edge that must be background

# What a number of the other language looks like (whole texts of the figure, footer excluded).
WRONG_NUMBERS = {
    "de": [
        (re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])"), "English thousands separator"),
        (re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.])"), "decimal point"),
        (re.compile(r"\d(?:k|M)\b"), "SI suffix"),
    ],
    "en": [
        (re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.])"), "German thousands separator"),
        (re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,])"), "decimal comma"),
        (re.compile(r"\b(?:Tsd|Mio|Mrd)\."), "German abbreviation"),
    ],
}

# Every visible text element of the SVG in the page, with its box in the
# SVG's own coordinates (the SVG is drawn at its natural size).
TEXT_BOXES = """() => {
  const svg = document.querySelector('svg');
  const frame = svg.getBoundingClientRect();
  const view = svg.viewBox.baseVal;
  const texts = [];
  for (const el of svg.querySelectorAll('text')) {
    const text = el.textContent.replace(/\\s+/g, ' ').trim();
    if (!text) continue;
    let hidden = false;
    for (let n = el; n && n !== svg; n = n.parentNode) {
      const style = getComputedStyle(n);
      if (style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) { hidden = true; break; }
    }
    const r = el.getBoundingClientRect();
    if (hidden || (r.width === 0 && r.height === 0)) continue;
    const kind = (el.getAttribute('class') || '') + ' ' + (el.parentNode.getAttribute('class') || '');
    // The rectangle of every clip path around the text (a legend that scrolls
    // hides its last entries this way), in the page's coordinates.
    let clip = null;
    for (let n = el; n && n !== svg; n = n.parentNode) {
      const ref = n.getAttribute && n.getAttribute('clip-path');
      const id = ref && (ref.match(/url\(["']?#([^"')]+)["']?\)/) || [])[1];
      const rect = id && document.getElementById(id) && document.getElementById(id).querySelector('rect');
      if (!rect) continue;
      const m = n.getScreenCTM();
      const xs = [], ys = [];
      for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const p = new DOMPoint(rect.x.baseVal.value + x * rect.width.baseVal.value, rect.y.baseVal.value + y * rect.height.baseVal.value).matrixTransform(m);
        xs.push(p.x); ys.push(p.y);
      }
      const c = {x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys)};
      clip = clip ? {x0: Math.max(clip.x0, c.x0), y0: Math.max(clip.y0, c.y0), x1: Math.min(clip.x1, c.x1), y1: Math.min(clip.y1, c.y1)} : c;
    }
    if (clip) clip = {x0: clip.x0 - frame.left, y0: clip.y0 - frame.top, x1: clip.x1 - frame.left, y1: clip.y1 - frame.top};
    // The size the text is drawn at: its font size times the scale of every transform
    // around it (plotly shrinks a treemap's labels with scale()), in the SVG's units.
    const m = el.getScreenCTM();
    const size = parseFloat(getComputedStyle(el).fontSize) * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    texts.push({text, kind: kind.trim(), clip, size, x0: r.left - frame.left, y0: r.top - frame.top, x1: r.right - frame.left, y1: r.bottom - frame.top});
  }
  return {width: view.width || frame.width, height: view.height || frame.height, texts};
}"""


def with_lang(path: str, lang: str) -> str:
    """``path`` opened in ``lang`` (German is the default: no parameter)."""
    if lang == "de":
        return path
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    query["lang"] = [lang]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True, safe=",")))


def text_boxes(page, svg: bytes) -> dict:
    """The SVG's size and its visible texts with their boxes, measured by the browser."""
    page.set_content("<!doctype html><html><body style='margin:0'>" + svg.decode("utf-8") + "</body></html>")
    return page.evaluate(TEXT_BOXES)


def outside(measured: dict, tolerance: float = 0.5) -> list[str]:
    """Texts whose box leaves the image."""
    w, h = measured["width"], measured["height"]
    return [
        f"{t['text'][:60]!r} at ({t['x0']:.0f}, {t['y0']:.0f})–({t['x1']:.0f}, {t['y1']:.0f}) in {w:.0f}×{h:.0f}"
        for t in measured["texts"]
        if t["x0"] < -tolerance or t["y0"] < -tolerance or t["x1"] > w + tolerance or t["y1"] > h + tolerance
    ]


def clipped(measured: dict, tolerance: float = 1.0) -> list[str]:
    """Texts cut by a clip path around them (e.g. the entries of a legend too
    tall for its chart, which plotly makes scroll and an image cannot)."""
    out = []
    for t in measured["texts"]:
        c = t["clip"]
        if c and (t["x0"] < c["x0"] - tolerance or t["y0"] < c["y0"] - tolerance or t["x1"] > c["x1"] + tolerance or t["y1"] > c["y1"] + tolerance):
            out.append(f"{t['text'][:60]!r} at ({t['x0']:.0f}, {t['y0']:.0f})–({t['x1']:.0f}, {t['y1']:.0f}) cut to ({c['x0']:.0f}, {c['y0']:.0f})–({c['x1']:.0f}, {c['y1']:.0f})")
    return out


def too_small(measured: dict, minimum: float = MIN_TEXT_PX) -> list[str]:
    """Texts drawn smaller than ``minimum`` pixels of the export's width (a
    treemap's label shrunk into a narrow box cannot be read on paper)."""
    return [f"{t['text'][:60]!r} at {t['size']:.1f} px" for t in measured["texts"] if t["size"] < minimum - 0.05]


def is_footer(text: str) -> bool:
    return text.startswith(FOOTER_PREFIXES)


def is_frame(text: dict) -> bool:
    """The title and the footer (source line, permalink): what frames the chart."""
    return "gtitle" in text["kind"] or is_footer(text["text"])


def overlapping_frame(measured: dict, tolerance: float = 1.0) -> list[str]:
    """Texts that overlap the title, the source line or the permalink."""
    texts = measured["texts"]
    problems = []
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if not (is_frame(a) or is_frame(b)):
                continue
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tolerance and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > tolerance:
                problems.append(f"{a['text'][:40]!r} and {b['text'][:40]!r}")
    return problems


def wrong_numbers(texts: list[str], lang: str) -> list[str]:
    """Numbers written the other language's way (footer texts are skipped)."""
    found = []
    for text in texts:
        if is_footer(text):
            continue
        for pattern, what in WRONG_NUMBERS[lang]:
            for m in pattern.finditer(text):
                found.append(f"{what}: {m.group(0)!r} in {text[:80]!r}")
    return found


def other_language(texts: list[str], lang: str) -> list[str]:
    """Words of the other language (``test_languages``' lists) in the figure's
    texts; the source line is the publishers' attribution and is skipped."""
    words = GERMAN_ONLY if lang == "en" else ENGLISH_ONLY
    return [
        f"{'German' if lang == 'en' else 'English'} {w!r} in {text[:80]!r}"
        for text in texts if not is_footer(text) for w in words if re.search(r"(?<!\w)" + re.escape(w) + r"(?!\w)", text)
    ]


def png_problems(png: bytes, svg_size: tuple[float, float]) -> list[str]:
    """A real PNG of the SVG's layout at scale 2, with content, nothing at its edges."""
    import numpy as np
    from PIL import Image

    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return ["not a PNG"]
    image = Image.open(io.BytesIO(png)).convert("RGB")
    problems = []
    expected = (2 * round(svg_size[0]), 2 * round(svg_size[1]))
    if image.size != expected or image.size[0] != 2 * EXPORT_WIDTH:
        problems.append(f"PNG is {image.size}, expected {expected} (export width {EXPORT_WIDTH} at scale 2)")
    pixels = np.asarray(image)
    background = pixels[0, 0]
    differs = (pixels != background).any(axis=2)
    if differs.mean() < 0.01:
        problems.append(f"PNG almost empty ({differs.mean():.2%} drawn)")
    f = FRAME_PX
    for side, strip in (("top", differs[:f]), ("bottom", differs[-f:]), ("left", differs[:, :f]), ("right", differs[:, -f:])):
        if strip.any():
            problems.append(f"PNG has {int(strip.sum())} drawn pixels at its {side} edge (something is cut there)")
    return problems


# ---------------------------------------------------------------- the checkers themselves


def test_the_number_checker_knows_both_languages():
    assert wrong_numbers(["1.750", "22,5 %", "35\u00a0Tsd.", "Mitte 2021", "30.06.2021", "≥ 1.000 Mbit/s"], "de") == []
    assert all(wrong_numbers([x], "de") for x in ["1,750", "22.5", "35k", "1.2M"])
    assert wrong_numbers(["1,750", "22.5 %", "35k", "2021-06-30", "≥ 1,000 Mbit/s"], "en") == []
    assert all(wrong_numbers([x], "en") for x in ["1.750", "22,5", "35\u00a0Tsd.", "1,2\u00a0Mio."])
    assert wrong_numbers(["Quelle: … (Lizenz: CC BY 4.0)", "http://127.0.0.1:8501/trends?x=1.5"], "de") == []


def test_the_language_checker_sees_words_of_the_other_language():
    assert other_language(["Ladepunkte je 10.000 Einwohner (je 10.000 Einwohner)"], "en")
    assert other_language(["Median: 3.141,8 (no data)"], "de")
    assert other_language(["Source: Destatis (Daten verändert; Lizenz: dl-de/by-2-0)", "Charging points per 10,000 inhabitants"], "en") == []


def test_the_png_checker_sees_a_cut_edge_and_an_empty_image():
    import numpy as np
    from PIL import Image

    def png(pixels):
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="PNG")
        return out.getvalue()

    good = np.full((800, 2 * EXPORT_WIDTH, 3), 255, dtype=np.uint8)
    good[100:300, 100:900] = 30
    assert png_problems(png(good), (EXPORT_WIDTH, 400)) == []
    cut = good.copy()
    cut[50:60, 0:20] = 0  # a label running out at the left
    assert any("left edge" in p for p in png_problems(png(cut), (EXPORT_WIDTH, 400)))
    assert any("almost empty" in p for p in png_problems(png(np.full_like(good, 255)), (EXPORT_WIDTH, 400)))
    assert png_problems(b"<svg/>", (EXPORT_WIDTH, 400)) == ["not a PNG"]


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def measuring_page(browser):
    page = browser.page()
    yield page
    page.close()


@pytest.mark.browser
def test_the_measure_sees_text_outside_the_image(measuring_page):
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100" viewBox="0 0 300 100">'
        '<text x="10" y="30" style="font-size: 12px">inside</text>'
        '<g transform="translate(20,0)"><text x="0" y="60" text-anchor="end" style="font-size: 12px">Mobilität</text></g>'
        '<text x="0" y="0" transform="rotate(-90)" style="font-size: 12px">%</text>'
        '<text x="280" y="95" style="font-size: 12px">Quelle: zu lang</text>'
        '<text x="5" y="90" style="font-size: 12px; display: none">hidden</text>'
        '<defs><clipPath id="legend1"><rect x="0" y="0" width="100" height="20"/></clipPath></defs>'
        '<g transform="translate(150,10)"><g clip-path="url(#legend1)"><text x="5" y="14" style="font-size: 12px">Bayern</text>'
        '<text x="5" y="34" style="font-size: 12px">Thüringen</text></g></g>'
        '<g transform="translate(200,60) scale(0.5)"><text x="0" y="0" style="font-size: 12px">winzig</text></g></svg>'
    )
    measured = text_boxes(measuring_page, svg.encode())
    assert (measured["width"], measured["height"]) == (300, 100)
    assert [t["text"] for t in measured["texts"]] == ["inside", "Mobilität", "%", "Quelle: zu lang", "Bayern", "Thüringen", "winzig"]
    found = outside(measured)
    assert len(found) == 3 and "'Mobilität'" in found[0] and "'%'" in found[1] and "Quelle" in found[2], found
    cut = clipped(measured)
    assert len(cut) == 1 and "'Thüringen'" in cut[0], cut
    small = too_small(measured)
    assert small == ["'winzig' at 6.0 px"], small


def _download_every_chart(page, lang: str, timeout_s: float = 300) -> tuple[int, dict[str, bytes]]:
    """Clicks every chart's PNG and SVG button at once (the server makes the
    files in parallel); returns the number of charts and the files by name."""
    i = 1 if lang == "en" else 0
    png_buttons = page.get_by_role("button", name=LABELS["download_png"][i], exact=True)
    svg_buttons = page.get_by_role("button", name=LABELS["download_svg"][i], exact=True)
    n = png_buttons.count()
    assert svg_buttons.count() == n
    downloads = []

    def arrived(download):
        downloads.append(download)

    page.on("download", arrived)
    try:
        for k in range(n):
            png_buttons.nth(k).click()
            svg_buttons.nth(k).click()
        deadline = time.time() + timeout_s
        while len(downloads) < 2 * n and time.time() < deadline:
            page.wait_for_timeout(250)
    finally:
        page.remove_listener("download", arrived)
    assert len(downloads) == 2 * n, f"{len(downloads)} of {2 * n} exports arrived within {timeout_s:.0f} s"
    return n, {d.suggested_filename: Path(d.path()).read_bytes() for d in downloads}


@pytest.mark.browser
@pytest.mark.parametrize(("view", "lang"), CASES, ids=[f"{v}-{lang}" for v, lang in CASES])
def test_every_chart_exports_as_a_finished_image(browser, app, measuring_page, view, lang):
    path, charts_expected, title_has = {**VIEWS, **LONG_VIEWS}[view]
    page = browser.page()
    page.goto(f"{app}/{with_lang(path, lang)}")
    wait_for_app(page)
    # The first script run may end before the charts' buttons are drawn: wait for them.
    i = 1 if lang == "en" else 0
    page.get_by_role("button", name=LABELS["download_png"][i], exact=True).nth(charts_expected - 1).wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.locator(ERROR_BOX).count() == 0, page.inner_text("body")[:2000]
    n, files = _download_every_chart(page, lang)
    page.close()
    assert n >= charts_expected, f"{view}: {n} charts with downloads, expected {charts_expected}"
    EXPORTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    svgs = sorted(name for name in files if name.endswith(".svg"))
    assert len(svgs) == n, sorted(files)
    for svg_name in svgs:
        stem = svg_name[: -len(".svg")]
        svg, png = files[svg_name], files[f"{stem}.png"]
        for name, content in ((svg_name, svg), (f"{stem}.png", png)):
            (EXPORTS / f"{view}_{lang}_{name}").write_bytes(content)
        measured = text_boxes(measuring_page, svg)
        texts = [t["text"] for t in measured["texts"]]
        found = png_problems(png, (measured["width"], measured["height"]))
        found += [f"outside the image: {p}" for p in outside(measured)]
        found += [f"cut: {p}" for p in clipped(measured)]
        found += [f"overlaps: {p}" for p in overlapping_frame(measured)]
        found += [f"too small to read: {p}" for p in too_small(measured)]
        found += wrong_numbers(texts, lang)
        found += other_language(texts, lang)
        titles = [t["text"] for t in measured["texts"] if "gtitle" in t["kind"]]
        if not titles:
            found.append("no title")
        for word in title_has:
            if not any(word in title for title in titles):
                found.append(f"the title does not say {word!r}: {titles}")
        licence = "Licence" if lang == "en" else "Lizenz"
        if not any(is_footer(x) and not x.startswith("http") and licence in x for x in texts):
            found.append(f"no source line with its {licence}")
        links = [x for x in texts if x.startswith(app)]
        if not links:
            found.append("no permalink")
        elif lang == "en" and not all("lang=en" in x for x in links):
            found.append(f"the permalink does not reopen the English view: {links}")
        if found:
            problems[stem] = found
    assert not problems, problems
