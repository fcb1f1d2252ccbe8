"""Numbers in every chart the way of the interface's language, and exports
whose text lies inside the image.

The figure tests check what plotly is told (``layout.separators``, tick
values and labels, hover formats) for the Steckbrief, Trends, Vergleich,
Sektoren and map figures in German and English. The export tests render the
figures to SVG through the app's export path (``export.figure_bytes``, kaleido)
with an empty template, as in the app (Streamlit's plotly template sets no
``automargin``), and check that every text element, measured in the font the
SVG names (DejaVu Sans), lies inside the image.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from dashboard import charts, charts_compare, charts_projects, charts_steckbrief, fmt
from etl import mapfiles

LANGS = ("de", "en")
# As long as the real ones: several sources with their reference dates and licences.
SOURCE = (
    "Quellen: © Statistisches Bundesamt (Destatis), 2019 (Stand 2018-12-31; Lizenz: Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)) · "
    "Breitbandatlas | Gigabit-Grundbuch (https://gigabitgrundbuch.bund.de) (Daten verändert) (Stand 2005-12-31/2021-06-30; Lizenz: Frei nutzbar mit Quellenangabe; "
    "veränderte Daten sind zu kennzeichnen) · Bundesnetzagentur, Ladesäulenregister (Stand 01.01.2022), CC BY 4.0 (Stand 2022-01-01; Lizenz: CC BY 4.0)"
)
LONG = "Landkreis Sächsische Schweiz-Osterzgebirge mit einem sehr, sehr langen Namen (14628)"


# ---------------------------------------------------------------- figures


def steckbrief_fig(lang: str, label: str = "Einwohner (Personen)"):
    years = pd.to_datetime([f"{y}-12-31" for y in range(2015, 2021)])
    panels = [
        charts_steckbrief.TrendPanel(label, pd.DataFrame({"period": years, "value": [30_100.0, 31_000, 32_500, 33_800, 34_600, 35_100]}), breaks=[("2018-12-31", "Bruch")], hover_unit="Personen"),
        charts_steckbrief.TrendPanel(
            "Breitband (%)", pd.DataFrame({"period": years, "value": [20.5, 21.0, 21.75, 22.5, 22.25, 22.5]}),
            comparison=pd.DataFrame({"period": years, "value": [18.0, 19.5, 20.0, 21.0, 21.5, 22.0]}), hover_unit="%",
        ),
        charts_steckbrief.TrendPanel("Bevölkerung Land", pd.DataFrame({"period": years, "value": [1.20e6, 1.21e6, 1.23e6, 1.25e6, 1.26e6, 1.27e6]}), subtitle="Wert des Landes"),
    ]
    return charts_steckbrief.trend_grid(panels, "Entwicklung der Kennzahlen: München", SOURCE, "München", "Deutschland", "Bruch in der Reihe", lang=lang)


def trends_fig(lang: str, label: str = "Köln (05315)"):
    periods = pd.to_datetime([f"{y}-12-31" for y in range(2005, 2019)])
    frame = pd.DataFrame(
        {
            "series": ["a"] * 14 + ["b"] * 14,
            "label": [label] * 14 + ["München (09162)"] * 14,
            "role": ["region"] * 28,
            "period": list(periods) * 2,
            "value": list(np.linspace(983_000, 1_085_000, 14)) + list(np.linspace(1_260_000, 1_472_000, 14)),
            "flag": [None] * 28,
            "hover": ["h"] * 28,
        }
    )
    ticktext = [fmt.period(p, "year", lang) for p in periods]
    return charts_compare.trend_chart(frame, "Bevölkerung", SOURCE, "Personen", list(periods), ticktext, [(periods[5], "Bruch 1")], lang=lang)


def vergleich_fig(lang: str, label: str = "Kassel (06611)", value_title: str = "Ladepunkte (Anzahl)"):
    frame = pd.DataFrame(
        {
            "label": [label, "Köln (05315)", "Mainz (07315)", "Ohne Wert (01001)"],
            "value": [6000.0, 1750.0, 3.46, np.nan],
            "text": [fmt.number(v, 2, lang) for v in (6000.0, 1750.0, 3.46, np.nan)],
            "hover": ["x"] * 4,
            "highlight": [True, False, False, False],
        }
    )
    return charts_compare.gap_bar_chart(frame, 1750.0, "Ladepunkte, 2023", SOURCE, value_title, "Median", fmt.no_data(lang), lang=lang)


def sektoren_fig(lang: str, label: str = "Mobilität"):
    frame = pd.DataFrame(
        {"a": ["mobility", "mobility", "health"], "b": ["cfg", "mpsc", "mpsc"], "value": [39.0, 65.0, 28.0], "n": [39, 65, 28], "N": [39, 65, 28],
         "cell": ["mobility|registry|cfg", "mobility|registry|mpsc", "health|registry|mpsc"]}
    )
    return charts_projects.stacked_bars(
        frame, ["mobility", "health"], {"mobility": label, "health": "Gesundheit & Pflege"}, ["cfg", "mpsc"],
        {"cfg": "Code for Germany", "mpsc": "Modellprojekte Smart Cities 2019–2021"}, {"cfg": "#0072b2", "mpsc": "#e69f00"},
        "Anzahl Projekte nach Sektor und Register", SOURCE, "Projekte", "%{x:.0f} Projekte", legend_title="Register",
        note="318 Projekte mit 785 Sektor-Zuordnungen: ein Projekt mit mehreren Sektoren zählt in jedem.", lang=lang,
    )


def treemap_fig(lang: str):
    frame = pd.DataFrame({"a": ["mobility", "health"], "b": ["cfg", "mpsc"], "value": [1234.5, 28.0], "n": [3, 2], "N": [3, 2]})
    return charts_projects.treemap(frame, ["mobility", "health"], {"mobility": "Mobilität"}, {}, {}, "registry", "T", SOURCE, "%{value}", lang=lang)


def map_fig(lang: str, label: str = "Flensburg", title: str = "Einwohner, Kreise, 2023"):
    """Three squares; ``label`` names the region outlined (a legend entry)."""
    shapes = mapfiles.MapPaths({rid: f"M{x},0L{x + 50},0L{x + 50},50L{x},50Z" for rid, x in (("01001", 0), ("01002", 60), ("01003", 120))}, 170, 50)
    frame = pd.DataFrame({"region_id": ["01001", "01002", "01003"], "value": [35_000.0, 1_250.5, np.nan], "rank": [1.0, 2.0, np.nan]})
    classes = charts.classify(frame["value"], "equal", 2)
    frame["class"] = classes.assign(frame["value"])
    labels = charts.class_labels(classes, lambda x: fmt.number(x, 1, lang))
    return charts.choropleth(frame, shapes, classes, labels, charts.palette(2), fmt.no_data(lang), title, SOURCE, highlight=("01001", label), lang=lang,
                             unit="Einwohner" if lang == "de" else "inhabitants")


FIGURES = {"steckbrief": steckbrief_fig, "trends": trends_fig, "vergleich": vergleich_fig, "sektoren": sektoren_fig, "map": map_fig}


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_sets_the_separators_of_its_language(lang):
    for name, build in {**FIGURES, "treemap": treemap_fig}.items():
        fig = build(lang)
        assert fig.layout.separators == (",." if lang == "de" else ".,"), name


@pytest.mark.parametrize("lang", LANGS)
def test_every_cartesian_axis_makes_room_for_its_labels(lang):
    for name in ("steckbrief", "trends", "vergleich", "sektoren"):
        layout = FIGURES[name](lang).layout
        axes = [k for k in layout.to_plotly_json() if re.fullmatch(r"[xy]axis\d*", k)]
        assert axes and all(layout[k].automargin is True for k in axes), name


def test_steckbrief_ticks_and_hover_in_german_and_english():
    de, en = steckbrief_fig("de"), steckbrief_fig("en")
    # Panel 1 reaches 35,000: compact ticks, never plotly's SI "35k" in German.
    assert de.layout.yaxis.tickmode == "array"
    assert list(de.layout.yaxis.ticktext) == ["30\u00a0Tsd.", "31\u00a0Tsd.", "32\u00a0Tsd.", "33\u00a0Tsd.", "34\u00a0Tsd.", "35\u00a0Tsd."]
    assert list(en.layout.yaxis.ticktext) == ["30k", "31k", "32k", "33k", "34k", "35k"]
    assert list(de.layout.yaxis3.ticktext)[-1] == "1,26\u00a0Mio." and list(en.layout.yaxis3.ticktext)[-1] == "1.26M"
    # Panel 2 (percent): plotly's own ticks in a format that follows the separators.
    assert de.layout.yaxis2.tickformat == fmt.AXIS_TICKFORMAT and de.layout.yaxis2.tickmode != "array"
    hover_de = {tr.hovertemplate for tr in de.data if tr.hovertemplate}
    hover_en = {tr.hovertemplate for tr in en.data if tr.hovertemplate}
    assert all("%{x|%d.%m.%Y}" in h and "%{y:,.2~f}" in h for h in hover_de)
    assert all("%{x|%Y-%m-%d}" in h for h in hover_en)


def test_trends_ticks_in_millions_and_no_si_suffix():
    de, en = trends_fig("de"), trends_fig("en")
    assert list(de.layout.yaxis.ticktext) == ["1,0\u00a0Mio.", "1,1\u00a0Mio.", "1,2\u00a0Mio.", "1,3\u00a0Mio.", "1,4\u00a0Mio."]
    assert list(en.layout.yaxis.ticktext) == ["1.0M", "1.1M", "1.2M", "1.3M", "1.4M"]
    assert list(de.layout.yaxis.tickvals) == [1.0e6, 1.1e6, 1.2e6, 1.3e6, 1.4e6]
    assert list(de.layout.xaxis.ticktext)[:2] == ["2005", "2006"]
    # Small values keep plotly's ticks (zoomable), in the figure's separators.
    small = charts_compare.trend_chart(
        pd.DataFrame({"series": ["a", "a"], "label": ["A", "A"], "role": ["region"] * 2, "period": pd.to_datetime(["2019-12-31", "2020-12-31"]),
                      "value": [0.46, 22.5], "flag": [None, None], "hover": ["h", "h"]}),
        "T", "Q", "%", [], [], lang="de",
    )
    assert small.layout.yaxis.tickformat == fmt.AXIS_TICKFORMAT and small.layout.separators == ",."


def test_vergleich_value_axis_and_median():
    de = vergleich_fig("de")
    assert de.layout.xaxis.tickformat == fmt.AXIS_TICKFORMAT  # values below 10,000: "6.000", "1.750"
    assert de.data[0].text[3] == "keine Daten" and vergleich_fig("en").data[0].text[3] == "no data"
    big = vergleich_fig("de").update_traces(x=[60_000.0, 17_500.0, 3.46, np.nan])
    charts.localise(big, "de")
    assert big.layout.xaxis.tickmode == "array" and "60\u00a0Tsd." in big.layout.xaxis.ticktext


def test_sektoren_bars_and_treemap_numbers():
    de = sektoren_fig("de")
    assert de.layout.xaxis.tickformat == fmt.AXIS_TICKFORMAT
    stacked = sektoren_fig("de").update_traces(x=[30_000.0], selector=dict(name="Code for Germany"))
    stacked.update_traces(x=[40_000.0, 5_000.0], selector=dict(name="Modellprojekte Smart Cities 2019–2021"))
    charts.localise(stacked.update_layout(xaxis_tickformat=None), "de")
    # The scale reaches the stacked sum (70,000), not just the largest segment (40,000).
    assert list(stacked.layout.xaxis.ticktext) == ["0", "20\u00a0Tsd.", "40\u00a0Tsd.", "60\u00a0Tsd."]
    # Each box: its label, then its value in the language's format.
    assert list(treemap_fig("de").data[0].text) == ["Mobilität<br>1.234,5", "cfg<br>1.234,5", "health<br>28", "mpsc<br>28"]
    assert list(treemap_fig("en").data[0].text) == ["Mobilität<br>1,234.5", "cfg<br>1,234.5", "health<br>28", "mpsc<br>28"]
    assert treemap_fig("de").data[0].texttemplate == "%{text}"


def test_treemap_labels_wrap_in_their_boxes_but_not_on_hover():
    frame = pd.DataFrame({"a": ["mobility"], "b": ["mpsc"], "value": [28.0], "n": [2], "N": [2]})
    fig = charts_projects.treemap(
        frame, ["mobility"], {"mobility": "Mobilität"}, {"mpsc": "Modellprojekte Smart Cities 2019–2021"}, {}, "registry", "T", SOURCE, "%{value}",
    )
    tree = fig.data[0]
    assert list(tree.labels) == ["Mobilität", "Modellprojekte Smart Cities 2019–2021"]
    assert tree.text[1] == "Modellprojekte<br>Smart Cities<br>2019–2021<br>28"
    # A label that would shrink below 10 px is left out, not drawn unreadably small.
    assert (fig.layout.uniformtext.mode, fig.layout.uniformtext.minsize) == ("hide", 10)


def test_map_legend():
    de = map_fig("de")
    assert de.layout.separators == ",."
    assert de.data[0].name.startswith("1.250,5") and map_fig("en").data[0].name.startswith("1,250.5")
    assert [tr.name for tr in de.data][-2:] == ["keine Daten", "Flensburg"] and map_fig("en").data[-2].name == "no data"
    assert de.layout.legend.title.text == "Einwohner" and map_fig("en").layout.legend.title.text == "inhabitants"  # the unit heads the legend


# ---------------------------------------------------------------- exports


@lru_cache(maxsize=2)
def _font(bold: bool):

    from dashboard.briefing_pdf import font_paths

    return font_paths()[1 if bold else 0]


def _text_width(text: str, size: float, bold: bool) -> float:
    from PIL import ImageFont

    return ImageFont.truetype(str(_font(bold)), size=max(1, round(size * 10))).getlength(text) / 10


def _matrix(transform: str | None) -> np.ndarray:
    """The affine matrix of an SVG transform attribute (translate, rotate, scale, matrix)."""
    m = np.eye(3)
    for name, args in re.findall(r"(\w+)\(([^)]*)\)", transform or ""):
        a = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        if name == "translate":
            t = np.array([[1, 0, a[0]], [0, 1, a[1] if len(a) > 1 else 0], [0, 0, 1]])
        elif name == "scale":
            t = np.diag([a[0], a[1] if len(a) > 1 else a[0], 1])
        elif name == "rotate":
            r = math.radians(a[0])
            cx, cy = (a[1], a[2]) if len(a) == 3 else (0, 0)
            t = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]]) @ np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]]) @ np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
        elif name == "matrix":
            t = np.array([[a[0], a[2], a[4]], [a[1], a[3], a[5]], [0, 0, 1]])
        else:
            raise ValueError(f"SVG transform {name} not understood")
        m = m @ t
    return m


def _font_size(style: str, default: float) -> float:
    found = re.search(r"font-size:\s*([\d.]+)px", style or "")
    return float(found.group(1)) if found else default


def text_outside(svg: bytes) -> list[str]:
    """Every text line of a plotly SVG whose anchor or estimated extent lies
    outside the image, as 'text @ (x, y)'."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width")), float(root.get("height"))
    problems = []

    def walk(node, m):
        m = m @ _matrix(node.get("transform"))
        tag = node.tag.split("}")[-1]
        if tag != "text":
            for child in node:
                walk(child, m)
            return
        size = _font_size(node.get("style"), 12)
        bold = "bold" in (node.get("style") or "")
        anchor = node.get("text-anchor", "start")
        x0, y0 = float(node.get("x", 0)), float(node.get("y", 0))
        lines = [t for t in node if t.tag.split("}")[-1] == "tspan" and "line" in (t.get("class") or "")]
        if lines:
            entries = []
            for t in lines:  # plotly gives each line its y and its offset from there (dy = i × 1.3em)
                d = t.get("dy", "0")
                dy = float(d[:-2]) * size if d.endswith("em") else float(d or 0)
                entries.append(("".join(t.itertext()), float(t.get("x", x0)), float(t.get("y", y0)) + dy, bold or "bold" in (t.get("style") or "")))
        else:
            entries = [("".join(node.itertext()), x0, y0, bold)]
        for text, x, y, is_bold in entries:
            if not text.strip():
                continue
            w = _text_width(text, size, is_bold)
            left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
            corners = [(x, y), (left, y), (left + w, y), (left, y - 0.75 * size), (left + w, y - 0.75 * size)]
            for cx, cy in corners:
                px, py, _ = m @ np.array([cx, cy, 1.0])
                if not (-1 <= px <= width + 1 and -1 <= py <= height + 1):
                    problems.append(f"{text!r} @ ({px:.0f}, {py:.0f}) in {width:.0f}×{height:.0f}")
                    break

    walk(root, np.eye(3))
    return problems


def test_the_checker_sees_a_clipped_label():
    inside = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><g transform="translate(10,0)"><text x="50" y="20" text-anchor="end">Mobil</text></g></svg>'
    clipped = inside.replace(b"Mobil", "Mobilität im ländlichen Raum".encode())
    assert text_outside(inside) == []
    assert text_outside(clipped) and "Mobilität" in text_outside(clipped)[0]


@pytest.fixture
def app_template(monkeypatch):
    """Figures built as in the app: Streamlit's plotly template is empty (no automargin)."""
    monkeypatch.setattr(pio.templates, "default", "none")


@pytest.mark.parametrize("lang", LANGS)
def test_exported_svgs_keep_every_text_inside_the_image(app_template, lang):
    from dashboard import export

    permalink = "http://localhost:8501/vergleich?regions=05315%2C09162&ind=bb_hh_all_1000&topic=broadband&lang=en"
    failures = {}
    figures = {name: build(lang, LONG) for name, build in FIGURES.items()}
    figures["treemap"] = treemap_fig(lang)
    # The median at the far right, with a long label: it must not run out of the image.
    figures["vergleich_median"] = charts_compare.gap_bar_chart(
        pd.DataFrame({"label": ["A", "B"], "value": [99.8, 97.0], "text": ["99,8", "97,0"], "hover": ["x", "y"], "highlight": [True, False]}),
        99.8, "Breitband", SOURCE, "Breitband (%)", "Median der Vergleichsgruppe (ähnliche Einwohnerzahl): 99,8 %", fmt.no_data(lang), lang=lang,
    )
    for name, fig in figures.items():
        svg = export.figure_bytes(fig, "svg", permalink)
        problems = text_outside(svg)
        if problems:
            failures[name] = problems
        if name == "trends":  # the German numbers reach the image
            text = svg.decode()
            assert ("1,2\u00a0Mio." if lang == "de" else "1.2M") in text
    assert not failures, failures


# The longest indicator title of the catalogue, with its level and period (the Karte's map title).
LONG_TITLE = (
    "Bruttowertschöpfung: Öffentliche und sonstige Dienstleister, Erziehung und Gesundheit, "
    "Private Haushalte mit Hauspersonal (WZ O-T), Kreise, 2016"
)


def test_a_long_title_is_wrapped_and_the_figure_grows_to_hold_it():
    import plotly.graph_objects as go

    short = charts.with_title_and_source(go.Figure().update_layout(height=400, margin=dict(t=60)), "Kurz", "Quelle: X")
    assert "<br>" not in short.layout.title.text and short.layout.margin.t == 60 and short.layout.height == 400
    map_de = map_fig("de", title=LONG_TITLE)
    lines = map_de.layout.title.text.split("<br>")
    assert len(lines) == 2 and all(len(line) <= charts.TITLE_CHARS for line in lines)
    assert map_de.layout.margin.t == 60 + charts.TITLE_LINE_PX and map_de.layout.height == 720 + charts.TITLE_LINE_PX


def test_the_map_legend_names_the_unit():
    """An exported map has no hover: its legend says what the classes count."""
    assert map_fig("de").layout.legend.title.text == "Einwohner"
    assert map_fig("en").layout.legend.title.text == "inhabitants"


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_map_title_stays_inside_the_export(app_template, lang):
    from dashboard import export

    svg = export.figure_bytes(map_fig(lang, title=LONG_TITLE), "svg", "http://localhost:8501/karte?ind=gva_o_t_mio_eur")
    assert text_outside(svg) == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_long_value_axis_title_stays_inside_the_export(app_template, lang):
    """Vergleich names the indicator and its unit under the bars: the longest
    one ran out of the image on both sides."""
    from dashboard import export

    fig = vergleich_fig(lang, "Sächsische Schweiz-Osterzgebirge (14628)", LONG_TITLE + " (Mio. EUR)")
    assert fig.layout.xaxis.title.text.count("<br>") >= 1
    svg = export.figure_bytes(fig, "svg", "http://localhost:8501/vergleich?ind=gva_o_t_mio_eur")
    assert text_outside(svg) == []


def test_a_long_permalink_is_broken_into_lines_inside_the_export(app_template):
    """A Sektoren view filtered by every Land and several sectors has a link of
    300 characters: on one line it ran out of the image."""
    from dashboard import export

    sectors = ["administration", "infrastructure", "mobility", "energy", "climate", "economy", "education", "health", "safety", "urban", "participation"]
    link = (
        "http://localhost:8501/sektoren?reg=mpsc&land=" + "%2C".join(f"{i:02d}" for i in range(1, 17))
        + "&sec=" + "%2C".join(sectors) + "&stack=land&measure=federal&tree=category&lang=en"
    )
    lines = charts.wrap_url(link, charts.PERMALINK_CHARS)
    assert "".join(lines) == link and len(lines) == 3 and all(len(line) <= charts.PERMALINK_CHARS for line in lines)
    assert all(line.endswith(("&", "%2C")) for line in lines[:-1])
    assert charts.wrap_url("http://x/" + "a" * 300, 130) == ["http://x/" + "a" * 121, "a" * 130, "a" * 49]
    fig = sektoren_fig("de")
    svg = export.figure_bytes(fig, "svg", link)
    assert text_outside(svg) == []
    assert charts.with_permalink(fig, link).layout.margin.b == fig.layout.margin.b + 24 + 2 * charts.PERMALINK_LINE_PX


def _bars_by_land(lang: str, title: str):
    """Two sectors stacked by 16 Länder: the legend is taller than the bars."""
    lands = [f"Land {i:02d} mit Namen" for i in range(16)]
    frame = pd.DataFrame([{"a": a, "b": b, "value": 5.0, "n": 1, "N": 1, "cell": f"{a}|land|{b}"} for a in ("mobility", "health") for b in lands])
    return charts_projects.stacked_bars(
        frame, ["mobility", "health"], {"mobility": "Mobilität", "health": "Gesundheit & Pflege"}, lands, {b: b for b in lands},
        {b: "#0072b2" for b in lands}, title, SOURCE, "Mio. EUR", "%{x}", legend_title="Land", note="Eine Notiz.", lang=lang,
    )


def test_every_legend_entry_fits_beside_the_bars():
    """A legend taller than its plot scrolls, and an exported image hides its
    last entries (Sektoren filtered to a few sectors, stacked by Land)."""
    fig = _bars_by_land("de", "Kurz")
    plot = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert plot >= charts_projects.LEGEND_ENTRY_PX * 17 + 10


@pytest.mark.parametrize("lang", LANGS)
def test_a_title_of_many_lines_hangs_from_the_top_inside_the_export(app_template, lang):
    from dashboard import export

    fig = _bars_by_land(lang, "Bundesförderung nach Sektor und Land (Filter: " + ", ".join([f"Land {i:02d} mit Namen" for i in range(16)] * 2) + ")")
    assert fig.layout.title.text.count("<br>") >= 4 and fig.layout.title.yanchor == "top"
    svg = export.figure_bytes(fig, "svg", "http://localhost:8501/sektoren")
    assert text_outside(svg) == []
    # Its last line ends above the plot (centred in the margin, it ran into the bars).
    title = next(e for e in ET.fromstring(svg).iter() if e.tag.endswith("text") and "gtitle" in (e.get("class") or ""))
    lines = [t for t in title if "line" in (t.get("class") or "")]
    last_baseline = float(lines[-1].get("y")) + float(lines[-1].get("dy")[:-2]) * 17
    assert last_baseline + 5 < fig.layout.margin.t
