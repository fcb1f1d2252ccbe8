"""Region profile (Steckbrief): search, peer groups, key figures, projects,
the PDF briefing; unit tests on inline frames, then checks on the real build."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest

from dashboard.peers import PeerGroup, peer_group
from dashboard import briefing_pdf, region_profile
from etl import mapfiles
from fixture_rows import region

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(lit: bytes) -> bytes:
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else _ESC.get(m.group(1), m.group(1)),
        lit, flags=re.S,
    )


def _cmap(stream: bytes) -> dict[int, str]:
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for k in range(int(lo, 16), int(hi, 16) + 1):
                out[k] = chr(int(dst, 16) + k - int(lo, 16))
    return out


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF with embedded (subset, Identity-H)
    fonts: glyph codes mapped back through each font's ToUnicode CMap.
    pypdf is not installed, and with a TrueType font the bytes hold glyph ids,
    not the characters, so a plain byte search would find nothing."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}
    fonts = {}
    for body in objects.values():
        for block in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S):
            for name, num in re.findall(rb"/(\w+)\s+(\d+) 0 R", block):
                uni = re.search(rb"/ToUnicode (\d+) 0 R", objects.get(int(num), b""))
                if uni:
                    fonts[name] = _cmap(objects[int(uni.group(1))])
    token = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj|\[((?:\\.|[^\\\]])*)\]\s*TJ|\bET\b", re.S)
    lines, current, cmap = [], [], {}
    for body in objects.values():
        if b"stream" not in body or b"BT" not in body:
            continue
        for m in token.finditer(body):
            if m.group(1):
                cmap = fonts.get(m.group(1), {})
            elif m.group(0) == b"ET":
                if current:
                    lines.append("".join(current))
                current = []
            else:
                parts = [m.group(2)] if m.group(2) is not None else re.findall(rb"\(((?:\\.|[^\\)])*)\)", m.group(3))
                for lit in parts:
                    raw = _unescape(lit)
                    current.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "\ufffd") for i in range(0, len(raw) - 1, 2)))
    return "\n".join(lines)


def flat(text: str) -> str:
    """Lines joined with spaces: a wrapped source line reads as one again."""
    return re.sub(r"\s+", " ", text)


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    rows = [
        region("DG", "bund", "Deutschland", "Bundesrepublik"),
        region("09", "land", "Bayern", "Freistaat", "09"),
        region("08", "land", "Baden-Württemberg", "Land", "08"),
        region("16", "land", "Thüringen", "Freistaat", "16"),
        region("12", "land", "Brandenburg", "Land", "12"),
        region("06", "land", "Hessen", "Land", "06"),
        region("03", "land", "Niedersachsen", "Land", "03"),
        region("11", "land", "Berlin", "Land", "11"),
        region("02", "land", "Hamburg", "Freie und Hansestadt", "02"),
        region("04", "land", "Bremen", "Freie Hansestadt", "04"),
        region("09162", "kreis", "München", "Kreisfreie Stadt", "09", "09162", 1_471_508, nuts="DE212"),
        region("09184", "kreis", "München", "Landkreis", "09", "09184", 348_871, nuts="DE21H"),
        region("09162000", "gemeinde", "München", "Stadt", "09", "09162", 1_471_508),
        region("16076049", "gemeinde", "Münchenbernsdorf", "Stadt", "16", "16076", 2_900),
        region("16076", "kreis", "Greiz", "Landkreis", "16", "16076", 98_000),
        region("03159", "kreis", "Göttingen", "Landkreis", "03", "03159", 328_000),
        region("03159016", "gemeinde", "Göttingen", "Stadt", "03", "03159", 118_000),
        region("12053", "kreis", "Frankfurt (Oder)", "Kreisfreie Stadt", "12", "12053", 57_000),
        region("06412", "kreis", "Frankfurt am Main", "Kreisfreie Stadt", "06", "06412", 753_000),
        region("08226", "kreis", "Rhein-Neckar-Kreis", "Landkreis", "08", "08226", 548_000),
        region("08226054", "gemeinde", "Mühlhausen", "Gemeinde", "08", "08226", 8_500),
        region("09373", "kreis", "Neumarkt i.d. OPf.", "Landkreis", "09", "09373", 133_000),
        region("09373146", "gemeinde", "Mühlhausen", "Gemeinde", "09", "09373", 3_700),
        region("16064", "kreis", "Unstrut-Hainich-Kreis", "Landkreis", "16", "16064", 102_000),
        region("16064046", "gemeinde", "Mühlhausen/Thüringen", "Stadt", "16", "16064", 36_000),
        region("08315", "kreis", "Breisgau-Hochschwarzwald", "Landkreis", "08", "08315", 262_000),
        region("08315003", "gemeinde", "Au", "Gemeinde", "08", "08315", 2_400),
        region("08111", "kreis", "Stuttgart", "Stadtkreis", "08", "08111", 634_000),
        region("11000", "kreis", "Berlin", "Kreisfreie Stadt", "11", "11000", 3_644_826),
        region("11000000", "gemeinde", "Berlin", "Stadt", "11", "11000", 3_644_826),
    ]
    frame = pd.DataFrame(rows)
    frame["population"] = frame["population"].astype("Int64")
    frame["population_class"] = frame["population_class"].astype("string")
    return frame.set_index("region_id", drop=False)


# --------------------------------------------------------------------------
# key figures
# --------------------------------------------------------------------------

INDICATORS = pd.DataFrame(
    [
        {"indicator_id": "pop", "title_de": "Bevölkerung", "title_en": "Population", "unit": "Personen", "unit_en": "persons", "better": "neutral", "aggregation": "sum", "decimals": 0, "levels": "bund,land,kreis,gemeinde", "breaks": None, "definition_de": "d", "definition_en": "d"},
        {"indicator_id": "bb", "title_de": "Breitband", "title_en": "Broadband", "unit": "%", "unit_en": "%", "better": "higher", "aggregation": "mean_households", "decimals": 1, "levels": "bund,land,kreis,gemeinde",
         "breaks": json.dumps([{"date": "2015-12-31", "explanation_de": "Methodenwechsel", "explanation_en": "method change"}]), "definition_de": "d", "definition_en": "d"},
        {"indicator_id": "gdp", "title_de": "BIP je Einwohner", "title_en": "GDP per inhabitant", "unit": "EUR", "unit_en": "EUR", "better": "higher", "aggregation": "mean_population", "decimals": 0, "levels": "bund,land,kreis", "breaks": None, "definition_de": "d", "definition_en": "d"},
        {"indicator_id": "web", "title_de": "Internet", "title_en": "Internet", "unit": "%", "unit_en": "%", "better": "higher", "aggregation": "mean_population", "decimals": 0, "levels": "bund,land", "breaks": None, "definition_de": "d", "definition_en": "d"},
        {"indicator_id": "cost", "title_de": "Kosten", "title_en": "Cost", "unit": "EUR", "unit_en": "EUR", "better": "lower", "aggregation": "mean_population", "decimals": 0, "levels": "gemeinde", "breaks": None, "definition_de": "d", "definition_en": "d"},
        {"indicator_id": "kpop", "title_de": "Kreis-Einwohner", "title_en": "District inhabitants", "unit": "Personen", "unit_en": "persons", "better": "neutral", "aggregation": "sum", "decimals": 0, "levels": "kreis", "breaks": None, "definition_de": "d", "definition_en": "d"},
    ]
).set_index("indicator_id", drop=False)

SPECS = (
    region_profile.FigureSpec("population", ("pop",), "Einwohner", "Population"),
    region_profile.FigureSpec("broadband", ("missing_indicator", "bb"), "Breitband", "Broadband"),
    region_profile.FigureSpec("gdp", ("gdp",), "BIP", "GDP"),
    region_profile.FigureSpec("web", ("web",), "Internet", "Internet"),
    region_profile.FigureSpec("cost", ("cost",), "Kosten", "Cost"),
    region_profile.FigureSpec("kreis_population", ("kpop",), "Kreis", "District"),
    region_profile.FigureSpec("unknown", ("not_in_warehouse",), "x", "x"),
)


def _obs(rows):
    return pd.DataFrame(
        [{"indicator_id": i, "region_id": r, "period": p, "period_type": "year", "value": v, "flag": f, "source_id": s} for i, r, p, v, f, s in rows]
    ).assign(period=lambda d: pd.to_datetime(d["period"]))


ALL_VALUES = _obs(
    [
        ("pop", "08226054", "2017-12-31", 8514, None, "gv"), ("pop", "09373146", "2017-12-31", 3700, None, "gv"),
        ("pop", "16064046", "2017-12-31", 36000, None, "gv"), ("pop", "08315003", "2017-12-31", 2400, None, "gv"),
        ("pop", "08226054", "2016-12-31", 8400, None, "gv"),
        ("pop", "08", "2017-12-31", 11_000_000, None, "gv"), ("pop", "DG", "2017-12-31", 82_800_000, None, "gv"),
        ("bb", "08226054", "2014-12-31", 60.0, None, "bba"), ("bb", "08226054", "2016-12-31", 80.0, None, "bba"),
        ("bb", "08226054", "2021-06-30", 95.3, None, "bba"), ("bb", "09373146", "2021-06-30", 97.0, None, "bba"),
        ("bb", "16064046", "2021-06-30", 95.3, None, "bba"), ("bb", "08315003", "2021-06-30", 90.0, "estimated", "bba"),
        ("bb", "08", "2021-06-30", 94.9, None, "bba"), ("bb", "DG", "2021-06-30", 95.1, None, "bba"),
        ("bb", "08", "2020-12-31", 93.0, None, "bba"),
        ("gdp", "08226", "2016-12-31", 32963, None, "vgr"), ("gdp", "09373", "2016-12-31", 40000, None, "vgr"),
        ("gdp", "08", "2016-12-31", 43632, None, "vgr"), ("gdp", "DG", "2016-12-31", 38180, None, "vgr"),
        ("web", "08", "2019-12-31", 83, None, "eurostat"), ("web", "09", "2019-12-31", 86, None, "eurostat"),
        ("web", "DG", "2019-12-31", 85, None, "eurostat"),
        ("cost", "08226054", "2020-12-31", 10, None, "x"), ("cost", "09373146", "2020-12-31", 5, None, "x"),
        ("cost", "16064046", "2020-12-31", 20, None, "x"), ("cost", "08226054", "2021-12-31", None, "unknown", "x"),
        ("kpop", "08226", "2018-12-31", 548_000, None, "gv"),
    ]
)


def _values_at(indicator_id, level, period, regions):
    ids = regions[regions["level"] == level]["region_id"]
    rows = ALL_VALUES[(ALL_VALUES["indicator_id"] == indicator_id) & (ALL_VALUES["period"] == pd.Timestamp(period))]
    return pd.DataFrame({"region_id": ids.to_numpy()}).merge(rows[["region_id", "value", "flag"]], on="region_id", how="left")


@pytest.fixture(scope="module")
def figures(regions):
    rid = "08226054"
    obs = ALL_VALUES[ALL_VALUES["region_id"].isin([rid, "08226", "08", "DG"])]
    peers = PeerGroup(rid, "gemeinde", ("type",), ("type",), "Gemeinde", None, ("09373146", "08315003"))
    figs, missing = region_profile.key_figures(rid, regions, obs, INDICATORS, lambda i, lv, p: _values_at(i, lv, p, regions), peers, specs=SPECS)
    return {f.key: f for f in figs}, missing


def test_own_values_with_rank_land_germany_and_peer_median(figures):
    figs, _ = figures
    bb = figs["broadband"]
    assert bb.indicator_id == "bb" and bb.holder_id == "08226054" and not bb.fallback
    assert bb.period == pd.Timestamp("2021-06-30") and bb.value == 95.3
    # 97.0 > 95.3 = 95.3 > 90.0: ties share the better rank; every Gemeinde with a value counts.
    assert (bb.rank, bb.n_ranked) == (2, 4)
    assert bb.land_value == 94.9 and bb.germany_value == 95.1
    assert bb.peer_median == pytest.approx((97.0 + 90.0) / 2) and bb.n_peers == 2
    assert list(bb.series["value"]) == [60.0, 80.0, 95.3]
    assert [b["date"] for b in bb.breaks] == ["2015-12-31"]  # inside the shown span


def test_neutral_ranks_by_size_and_lower_is_better_ranks_ascending(figures):
    figs, _ = figures
    assert figs["population"].rank == 2  # 36,000 > 8,514 > 3,700 > 2,400
    assert figs["population"].breaks == []
    cost = figs["cost"]
    assert cost.period == pd.Timestamp("2020-12-31")  # the later period has no value (flag only)
    assert (cost.rank, cost.n_ranked) == (2, 3)  # 5 < 10 < 20


def test_a_missing_rate_falls_back_to_the_kreis_then_the_land(figures):
    figs, missing = figures
    gdp, web = figs["gdp"], figs["web"]
    assert gdp.fallback and gdp.holder_id == "08226" and gdp.holder_level == "kreis"
    assert (gdp.rank, gdp.n_ranked) == (2, 2)  # ranked among the Kreise
    assert gdp.peer_median is None and gdp.n_peers == 0  # peers are Gemeinden, the value a Kreis'
    assert gdp.land_value == 43632 and gdp.germany_value == 38180
    assert web.holder_id == "08" and web.holder_level == "land" and web.land_value is None
    assert web.germany_value == 85 and (web.rank, web.n_ranked) == (2, 2)
    # A Kreis' population is not its Gemeinde's: no fallback for sums.
    assert "kreis_population" in missing and "kreis_population" not in figs
    # A figure whose indicators the warehouse does not know is left out silently.
    assert "unknown" not in missing and "unknown" not in figs


def test_rank_of_a_region_without_value():
    frame = pd.DataFrame({"region_id": ["a", "b", "c"], "value": [1.0, None, 3.0]})
    assert region_profile.rank_of(frame, "b", "higher") == (None, 2)
    assert region_profile.rank_of(frame, "a", "higher") == (2, 2)
    assert region_profile.rank_of(frame, "a", "lower") == (1, 2)


def test_breaks_within_the_shown_span_only():
    breaks = json.dumps([{"date": "2011-12-31"}, {"date": "2016-12-31"}, {"date": "2022-01-01"}])
    got = region_profile.breaks_within(breaks, pd.Timestamp("2011-12-31"), pd.Timestamp("2021-12-31"))
    assert [b["date"] for b in got] == ["2016-12-31"]
    assert region_profile.breaks_within(None, pd.Timestamp("2000"), pd.Timestamp("2020")) == []


def test_figures_frame_is_flat(figures):
    figs, _ = figures
    frame = region_profile.figures_frame(list(figs.values()))
    assert list(frame["figure"]) == list(figs)
    assert {"rank", "n_ranked", "land_value", "germany_value", "peer_median", "n_peers", "source_id"} <= set(frame.columns)


# --------------------------------------------------------------------------
# projects and map
# --------------------------------------------------------------------------

PROJECTS = pd.DataFrame(
    {
        "registry_id": ["mpsc", "mpsc", "codefor", "codefor"],
        "project_id": ["P1", "P2", "P1", "P3"],
        "title": ["Smart Rhein-Neckar", "Mühlhausen digital", "Open Data Lab", "Bayern-App"],
        "round": ["Staffel 3 (2021)", "Staffel 2 (2020)", None, None],
        "category": [None, None, None, None],
        "year": pd.array([2021, 2020, 2015, None], dtype="Int64"),
        "status": [None, None, "Done", None],
        "status_group": ["unknown", "unknown", "finished", "unknown"],
        "urls": ["https://example.org/a\nhttps://example.org/b", None, None, None],
        "source_id": ["mpsc", "mpsc", "codefor", "codefor"],
    }
)
LINKS = pd.DataFrame(
    {
        "registry_id": ["mpsc", "mpsc", "mpsc", "codefor", "codefor"],
        "project_id": ["P1", "P2", "P2", "P1", "P3"],
        "region_id": ["08226", "08226054", "08226", "08226054", "09"],
        "role": ["lead", "partner", "lead", "lead", "lead"],
    }
)


def test_projects_in_and_around_a_region(regions):
    got = region_profile.region_projects("08226054", regions, PROJECTS, LINKS)
    rel = {(r.registry_id, r.project_id): (r.relation, r.linked_region_id, r.role) for r in got.itertuples()}
    # mpsc P1 and codefor P1 share an id but are different projects (the key is registry + id).
    assert rel == {("mpsc", "P2"): ("in", "08226054", "partner"), ("codefor", "P1"): ("in", "08226054", "lead"), ("mpsc", "P1"): ("covering", "08226", "lead")}
    kreis = region_profile.region_projects("08226", regions, PROJECTS, LINKS)
    assert set(kreis["relation"]) == {"in"} and len(kreis) == 3  # P2 once, although linked twice
    assert set(region_profile.region_projects("09373146", regions, PROJECTS, LINKS)["project_id"]) == {"P3"}


def test_projects_absent_tables(regions):
    assert region_profile.region_projects("08226054", regions, None, None).empty
    assert region_profile.region_projects("08226054", regions, PROJECTS, LINKS.drop(columns=["registry_id"])).empty


def test_project_texts(regions):
    registries = pd.DataFrame({"registry_id": ["mpsc", "codefor"], "title": ["Modellprojekte Smart Cities 2019–2021 (aus Bekanntmachungen)", "Code for Germany: Projekte und Labs"]})
    table = region_profile.project_table(region_profile.region_projects("08226054", regions, PROJECTS, LINKS), regions, registries)
    assert set(table["Register"]) == {"Modellprojekte Smart Cities 2019–2021", "Code for Germany"}
    assert "https://example.org/a" in set(table["Link"])
    assert not any("nan" in str(v) for v in table.to_numpy().ravel())
    lines = region_profile.project_lines(table)
    assert any(line.startswith("Smart Rhein-Neckar — ") and "Rhein-Neckar-Kreis" in line for line in lines)


def test_locator_context(regions):
    level, ids = region_profile.locator_context("08226054", regions)
    assert level == "kreis" and set(ids) == {"08226", "08315", "08111"}
    assert region_profile.locator_context("11000000", regions)[0] == "land"  # a city state has one Kreis
    assert region_profile.locator_context("09", regions)[0] == "land"


def test_subset_geojson():
    geo = {"type": "FeatureCollection", "features": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}
    assert [f["id"] for f in mapfiles.subset(geo, ["c", "a"])["features"]] == ["a", "c"]


# --------------------------------------------------------------------------
# PDF briefing
# --------------------------------------------------------------------------

ATTRIBUTIONS = (
    "© GeoBasis-DE / BKG 2021 (Daten verändert)",
    "Breitbandatlas | Gigabit-Grundbuch (https://gigabitgrundbuch.bund.de) (Daten verändert)",
    "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)",
)


def _briefing(n_projects: int = 3, n_rows: int = 9) -> briefing_pdf.Briefing:
    return briefing_pdf.Briefing(
        title="Steckbrief: Mühlhausen", subtitle="Gemeinde · Rhein-Neckar-Kreis · Baden-Württemberg · Schlüssel 08226054",
        data_note="Datenstand: Werte von 2016 bis 2025", table_header=["Kennzahl", "Wert", "Stand", "Rang", "Land", "Deutschland", "Median"],
        table_rows=[[f"Breitband ≥ 50 Mbit/s (%) {i}", "95,3", "Mitte 2021", "4967 von 10907", "94,9", "95,1", "96,5"] for i in range(n_rows)],
        notes=["Vergleichsgruppe: Gemeinden, Art „Gemeinde“, 5.000–20.000 Einwohner – 1220 Regionen."],
        projects_title="Projekte", projects=[f"Projekt Nr. {i} — Smart City Rhein-Neckar · Staffel 3 (2021)" for i in range(n_projects)],
        projects_empty="Keine Projekte.", more_projects="… und {n} weitere",
        sources_title="Quellen und Lizenzen", sources=[f"{a} — Lizenz: frei — https://example.org/{i}" for i, a in enumerate(ATTRIBUTIONS)],
        permalink_label="Link zu dieser Ansicht", permalink="http://localhost:8501/steckbrief?region=08226054",
        footer="DSR Dashboard · Steckbrief Mühlhausen · Seite",
    )


def _png(width=900, height=520) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def test_pdf_has_title_table_sources_and_permalink():
    pdf = briefing_pdf.render_briefing(_briefing(), {"map": _png()}, compress=False)
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) <= 2
    text = flat(pdf_text(pdf))
    for expected in ("Steckbrief: Mühlhausen", "4967 von 10907", "Projekt Nr. 2", "http://localhost:8501/steckbrief?region=08226054", "Seite 1/", *ATTRIBUTIONS):
        assert expected in text, expected
    assert b"/Subtype /Image" in pdf


def test_pdf_prints_each_images_source_line_under_it_in_full():
    """A source line drawn into a scaled-down image was cut and unreadably small:
    the PDF prints it as text under its image, whole, between image and projects."""
    long_source = "Quelle: © GeoBasis-DE / BKG 2021 (Daten verändert) (Stand 2021-01-01; Lizenz: Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0))"
    pdf = briefing_pdf.render_briefing(
        _briefing(), {"map": _png(700, 520), "trends": _png(1200, 700)}, compress=False,
        captions={"map": long_source, "trends": "Quelle: Breitbandatlas"},
    )
    text = flat(pdf_text(pdf))
    assert long_source in text
    assert text.index(long_source) < text.index("Quelle: Breitbandatlas") < text.index("Projekt Nr. 0")
    assert page_count(pdf) <= 2


def test_pdf_stays_within_two_pages_when_there_is_a_lot():
    pdf = briefing_pdf.render_briefing(_briefing(n_projects=300), {"map": _png(), "trends": _png(1200, 1100)}, compress=False)
    assert page_count(pdf) <= 2
    text = flat(pdf_text(pdf))
    assert re.search(r"… und \d+ weitere", text)
    for expected in ATTRIBUTIONS:  # the sources are never what is cut
        assert expected in text
    compressed = briefing_pdf.render_briefing(_briefing(), {})
    assert compressed.startswith(b"%PDF") and len(compressed) < len(pdf)


def test_pdf_without_projects_says_so():
    text = flat(pdf_text(briefing_pdf.render_briefing(_briefing(n_projects=0, n_rows=0), compress=False)))
    assert "Keine Projekte." in text


def test_registry_short():
    assert region_profile.registry_short("Code for Germany: Projekte und Labs (codefor.de)") == "Code for Germany"
    assert region_profile.registry_short("Modellprojekte Smart Cities 2019–2021 (aus …)") == "Modellprojekte Smart Cities 2019–2021"


# --------------------------------------------------------------------------
# the real build
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(warehouse):
    regions = warehouse.table("regions").set_index("region_id", drop=False)
    inds = warehouse.table("indicators").set_index("indicator_id", drop=False)

    def values_at(indicator_id, level, period):
        return warehouse.sql(
            """SELECT r.region_id, o.value, o.flag FROM regions r LEFT JOIN observations o
               ON o.region_id = r.region_id AND o.indicator_id = ? AND o.period = CAST(? AS DATE) WHERE r.level = ?""",
            [indicator_id, period, level],
        )

    def build(rid):
        obs = warehouse.sql("SELECT * FROM observations WHERE list_contains(?, region_id)", [[rid, *region_profile.ancestors(rid, regions), "DG"]])
        peers = peer_group(regions, rid)
        figs, missing = region_profile.key_figures(rid, regions, obs, inds, values_at, peers)
        return peers, figs, missing

    return warehouse, regions, inds, build


def test_real_munich_figures_agree_with_the_warehouse(real):
    warehouse, regions, inds, build = real
    peers, figs, missing = build("09162")
    by_key = {f.key: f for f in figs}
    # Every curated figure that the warehouse has is shown for a big city.
    assert {"population", "broadband_50", "gdp_per_inhabitant", "internet_daily"} <= set(by_key)
    for f in figs:
        better = inds.loc[f.indicator_id, "better"]
        order = "ASC" if better == "lower" else "DESC"
        expected = warehouse.sql(
            f"""SELECT rnk, n FROM (SELECT o.region_id, rank() OVER (ORDER BY o.value {order}) AS rnk, count(*) OVER () AS n
                FROM observations o JOIN regions r USING (region_id)
                WHERE o.indicator_id = ? AND o.period = ? AND r.level = ? AND o.value IS NOT NULL) WHERE region_id = ?""",
            [f.indicator_id, f.period.date(), f.holder_level, f.holder_id],
        )
        assert (f.rank, f.n_ranked) == (int(expected["rnk"].iloc[0]), int(expected["n"].iloc[0])), f.key
        de = warehouse.sql("SELECT value FROM observations WHERE indicator_id = ? AND region_id = 'DG' AND period = ?", [f.indicator_id, f.period.date()])
        if not de.empty:
            assert f.germany_value == pytest.approx(de["value"].iloc[0])
    assert by_key["internet_daily"].holder_id == "09"  # published for Länder only
    assert peers.kind == "Kreisfreie Stadt" and "09162" not in peers.ids and len(peers.ids) >= 5


def test_real_briefing_names_every_source(real):
    import streamlit

    warehouse, regions, inds, build = real
    peers, figs, missing = build("08226054")
    projects = region_profile.region_projects("08226054", regions, warehouse.table("projects"), warehouse.table("project_regions")) if warehouse.has("projects") else None
    sources = warehouse.table("sources").set_index("source_id", drop=False)
    flags = warehouse.table("flags").set_index("flag", drop=False)
    registries = warehouse.table("registries") if warehouse.has("registries") else None
    for lang, label in (("de", "Quellen und Lizenzen"), ("en", "Sources and licences")):
        streamlit.session_state["lang"] = lang
        try:
            b = region_profile.build_briefing("08226054", regions, figs, missing, peers, inds, sources, flags, projects, registries, "http://localhost:8501/steckbrief?region=08226054", "2026-01-01")
        finally:
            streamlit.session_state["lang"] = "de"
        pdf = briefing_pdf.render_briefing(b, compress=False)
        assert pdf.startswith(b"%PDF") and page_count(pdf) <= 2
        text = flat(pdf_text(pdf))
        assert label in text and "Mühlhausen" in text and "region=08226054" in text
        used = region_profile.source_ids_used(figs, projects)
        assert "bkg_vg5000" in used and len(used) >= 3
        for sid in used:
            if sid in sources.index:
                assert flat(sources.loc[sid, "attribution"]) in text, sid
                assert flat(sources.loc[sid, "licence"]) in text, sid


def test_real_charts_render_to_png(real):
    """The kaleido path of the PDF (offline, the exports' one renderer for both images)."""
    warehouse, regions, inds, build = real
    from dashboard import charts_steckbrief

    _, figs, _ = build("09162")
    panels = [charts_steckbrief.TrendPanel(title=f.key, region=f.series, breaks=[(b["date"], "Bruch") for b in f.breaks]) for f in figs if len(f.series) >= 2]
    trends = charts_steckbrief.trend_grid(panels, "Entwicklung", "Quelle: Test", "München", "Deutschland", "Bruch")
    shapes = warehouse.shapes("kreis", "map")
    shapes = shapes[shapes["region_id"].isin(["09162", "09184"])]
    geo = json.loads(shapes.set_index("region_id")[["geometry"]].to_json())
    ctx = pd.DataFrame({"region_id": ["09184"], "name": ["München"]})
    hl = pd.DataFrame({"region_id": ["09162"], "name": ["München"]})
    locator = charts_steckbrief.locator_map(ctx, geo, hl, geo, "Lage", "Quelle: © GeoBasis-DE / BKG 2021")
    images = briefing_pdf.render_images({"map": (locator, 600, 400), "trends": (trends, 900, 600)}, scale=1)
    assert set(images) == {"map", "trends"}
    assert all(png.startswith(b"\x89PNG") for png in images.values())
