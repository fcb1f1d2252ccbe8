"""Self-describing downloads (export.describe, ui.csv_bytes / xlsx_bytes):
indicator id and title, unit, period, region key and name, value rounded as
published, flag and its meaning, source and licence; integers are integers;
the XLSX has an "Info" sheet with the attribution and the permalink."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from dashboard import export


def small_catalogue() -> export.Catalogue:
    indicators = pd.DataFrame(
        {"indicator_id": ["ev_share", "population"], "title_de": ["Anteil Elektro-Pkw", "Bevölkerung"], "title_en": ["Battery-electric car share", "Population"],
         "unit": ["%", "Personen"], "unit_en": ["%", "persons"], "decimals": [2, 0], "source_ids": ["kba_fz1", "destatis_12411"]}
    ).set_index("indicator_id", drop=False)
    regions = pd.DataFrame({"region_id": ["05315", "09162"], "name": ["Köln", "München"]}).set_index("region_id", drop=False)
    flags = pd.DataFrame({"flag": ["estimated"], "label_de": ["geschätzt"], "label_en": ["estimated"]}).set_index("flag", drop=False)
    sources = pd.DataFrame(
        {"source_id": ["kba_fz1", "destatis_12411"], "attribution": ["Quelle: Kraftfahrt-Bundesamt (KBA)", "© Statistisches Bundesamt (Destatis), 2019"],
         "licence": ["Vervielfältigung mit Quellenangabe gestattet", "Datenlizenz Deutschland – Namensnennung – Version 2.0 (dl-de/by-2-0)"]}
    ).set_index("source_id", drop=False)
    registries = pd.DataFrame({"registry_id": ["cfg"], "attribution": ["Code for Germany, CC BY 4.0"], "licence": ["CC BY 4.0"]})
    return export.Catalogue(indicators, regions, flags, sources, registries)


def test_a_map_table_says_what_it_is():
    table = pd.DataFrame(
        {"region_id": ["09162", "05315"], "name": ["München", "Köln"], "type": ["Kreisfreie Stadt"] * 2, "value": [5.2801, np.nan],
         "unit": ["%", "%"], "rank": [1.0, np.nan], "flag": [None, "estimated"], "source_id": ["kba_fz1", "kba_fz1"]}
    )
    out = export.describe(table, small_catalogue(), "de", indicator_id="ev_share", period="2025-01-01")
    assert list(out.columns) == [
        "indicator_id", "indicator", "unit", "period", "region_id", "name", "type", "value", "rank",
        "flag", "flag_meaning", "source_id", "source", "licence",
    ]
    row = out.iloc[1]
    assert (row["indicator_id"], row["indicator"], row["unit"], row["period"]) == ("ev_share", "Anteil Elektro-Pkw", "%", "2025-01-01")
    assert row["flag_meaning"] == "geschätzt" and pd.isna(row["value"])
    assert out.loc[0, "value"] == 5.28  # rounded as published (2 decimals)
    assert str(out["rank"].dtype) == "Int64" and out.loc[0, "rank"] == 1
    assert out.loc[0, "source"] == "Quelle: Kraftfahrt-Bundesamt (KBA)" and out.loc[0, "licence"].startswith("Vervielfältigung")
    en = export.describe(table, small_catalogue(), "en", indicator_id="ev_share", period="2025-01-01")
    assert en.loc[0, "indicator"] == "Battery-electric car share" and en.loc[1, "flag_meaning"] == "estimated"
    assert list(table.columns)[0] == "region_id"  # the page's frame is left alone


def test_comparison_numbers_as_published_and_ranks_as_integers():
    """The Vergleich CSV had 3.460000000000008 and ranks as 4.0."""
    from dashboard import ui

    export_frame = pd.DataFrame(
        {"region_id": ["05315", "09162"], "name": ["Köln", "München"], "value_b": [3.460000000000008, 5.28], "median": [4.37, 4.37],
         "gap": [-0.9099999999999997, 0.91], "gap_pct": [-20.823798627002287, 20.82], "period_b": ["2025-01-01"] * 2,
         "rank_b": [4.0, 1.0], "n_b": [398.0, 398.0], "change": [np.nan, -2.0], "flag_b": [None, None]}
    )
    out = export.describe(export_frame, small_catalogue(), "de", indicator_id="ev_share")
    text = ui.csv_bytes(out).decode("utf-8-sig")
    assert "3.46," in text and "3.460000000000008" not in text and "-0.91," in text and "-20.8," in text
    back = pd.read_csv(io.StringIO(text), dtype={"region_id": str})
    assert back.loc[0, "rank_b"] == 4 and "4.0" not in text.splitlines()[1].split(",")
    assert list(back.columns[:6]) == ["indicator_id", "indicator", "unit", "region_id", "name", "value_b"]
    assert back.loc[0, "source"] == "Quelle: Kraftfahrt-Bundesamt (KBA)"  # from the indicator's sources
    assert "flag_b_meaning" in back.columns


def test_several_indicators_each_with_their_decimals():
    frame = pd.DataFrame({"indicator_id": ["ev_share", "population"], "region_id": ["09162", "09162"], "period": pd.to_datetime(["2025-01-01", "2018-12-31"]),
                          "value": [5.27777, 1471508.0], "land_value": [3.7777, 13076721.4], "source_id": ["kba_fz1", "destatis_12411"]})
    out = export.describe(frame, small_catalogue(), "en")
    assert out["value"].tolist() == [5.28, 1471508.0] and out["land_value"].tolist() == [3.78, 13076721.0]
    assert out["period"].tolist() == ["2025-01-01", "2018-12-31"] and out["name"].tolist() == ["München", "München"]
    assert out["unit"].tolist() == ["%", "persons"]  # the English download says its units in English


def test_registry_sources_and_unknown_sources():
    cat = small_catalogue()
    out = export.describe(pd.DataFrame({"project_id": ["p1"], "n": [3.0], "source_id": ["cfg"]}), cat, "de")
    assert out.loc[0, "licence"] == "CC BY 4.0" and str(out["n"].dtype) == "Int64"
    with pytest.raises(KeyError, match="source 'nowhere'"):
        export.describe(pd.DataFrame({"source_id": ["nowhere"]}), cat, "de")


def test_xlsx_has_the_data_and_an_info_sheet():
    from dashboard import ui

    table = export.describe(pd.DataFrame({"region_id": ["09162"], "value": [5.28], "source_id": ["kba_fz1"]}), small_catalogue(), "de", indicator_id="ev_share", period="2025-01-01")
    info = export.info_rows(table, "de", "http://localhost:8501/?ind=ev_share", "Quelle: Kraftfahrt-Bundesamt (KBA) (Stand 2025-01-01; Lizenz: …)")
    book = pd.read_excel(io.BytesIO(ui.xlsx_bytes(table, info, "Daten")), sheet_name=None, header=None)
    assert set(book) == {"Daten", "Info"}
    rows = dict(zip(book["Info"][0], book["Info"][1]))
    assert rows["Indikator"] == "Anteil Elektro-Pkw (%) [ev_share]" and rows["Zeitpunkt"] == "2025-01-01"
    assert rows["Quelle"].startswith("Quelle: Kraftfahrt-Bundesamt") and rows["Link zu dieser Ansicht"] == "http://localhost:8501/?ind=ev_share"
    assert list(book["Daten"].iloc[0])[:4] == ["indicator_id", "indicator", "unit", "period"]


def test_every_indicator_of_the_kit_describes_itself(warehouse):
    """On the real warehouse: one download per indicator at its finest level
    has every column of a self-describing download, read back from CSV."""
    from dashboard import ui

    cat = export.Catalogue(
        warehouse.table("indicators").set_index("indicator_id", drop=False), warehouse.table("regions").set_index("region_id", drop=False),
        warehouse.table("flags").set_index("flag", drop=False), warehouse.table("sources").set_index("source_id", drop=False),
        warehouse.table("registries") if warehouse.has("registries") else None,
    )
    obs = warehouse.sql("select indicator_id, region_id, period, value, flag, source_id from observations using sample 3000 rows (reservoir, 7)")
    for ind_id, part in obs.groupby("indicator_id"):
        out = export.describe(part.drop(columns="indicator_id"), cat, "de", indicator_id=ind_id)
        back = pd.read_csv(io.BytesIO(ui.csv_bytes(out)), encoding="utf-8-sig", dtype={"region_id": str})
        for column in ("indicator_id", "indicator", "unit", "period", "region_id", "name", "value", "flag", "flag_meaning", "source", "licence"):
            assert column in back.columns, (ind_id, column)
        assert back["indicator"].notna().all() and back["source"].notna().all() and back["licence"].notna().all(), ind_id
        flagged = back["flag"].notna()
        assert back.loc[flagged, "flag_meaning"].notna().all(), ind_id
        decimals = int(cat.indicators.at[ind_id, "decimals"])
        values = back["value"].dropna()
        assert (values.round(decimals) == values).all(), ind_id


def test_a_project_chart_names_its_registries():
    frame = pd.DataFrame({"sector_id": ["mobility"], "Projekte": [39.0], "Bundesförderung berichtet (EUR)": [1234567.0]})
    out = export.describe(frame, small_catalogue(), "de", source_ids=["cfg", "kba_fz1"])
    assert out.loc[0, "source"] == "Code for Germany, CC BY 4.0 · Quelle: Kraftfahrt-Bundesamt (KBA)"
    assert out.loc[0, "licence"] == "CC BY 4.0 · Vervielfältigung mit Quellenangabe gestattet"
    assert str(out["Projekte"].dtype) == "Int64" and out.loc[0, "Bundesförderung berichtet (EUR)"] == 1234567


# ---------------------------------------------------------------- the pages' downloads, read back

REQUIRED = ("indicator_id", "indicator", "unit", "region_id", "name", "source", "licence")


@pytest.fixture
def downloaded(monkeypatch):
    """Every CSV/XLSX a page offers, made at once (the app makes them on click)."""
    import streamlit

    files: dict[str, bytes] = {}
    original = streamlit.download_button

    def capture(label, data=None, file_name=None, *args, **kwargs):
        if callable(data) and str(file_name).endswith((".csv", ".xlsx")):
            data = data()
            files[file_name] = data
        return original(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", capture)
    return files


def _csvs(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(io.BytesIO(b), encoding="utf-8-sig", dtype={"region_id": str}, dtype_backend="numpy_nullable") for name, b in files.items() if name.endswith(".csv")}


@pytest.mark.parametrize(
    ("page", "params", "extra"),
    [
        ("views/karte.py", {"level": "kreis", "topic": "broadband", "ind": "bb_hh_all_50"}, ("period", "value", "rank", "flag", "flag_meaning")),
        ("views/trends.py", {"regions": "05315,09162", "topic": "broadband", "ind": "bb_hh_all_50"}, ("period", "value", "flag", "flag_meaning")),
        ("views/vergleich.py", {"regions": "05315", "topic": "broadband", "ind": "bb_hh_all_50"}, ("value_b", "period_b", "rank_b", "flag_b_meaning")),
        ("views/steckbrief.py", {"region": "09162"}, ("period", "value")),  # the key figures' CSV has flags too, see below
    ],
)
def test_every_indicator_download_of_a_page_describes_itself(open_app, downloaded, page, params, extra):
    open_app(page, **params)
    tables = _csvs(downloaded)
    with_indicator = {n: t for n, t in tables.items() if "indicator_id" in t.columns}
    assert with_indicator, f"no indicator download on {page}: {sorted(downloaded)}"
    for name, table in with_indicator.items():
        for column in (*REQUIRED, *extra):
            if name.endswith("_trends.csv") and column == "rank":
                continue
            assert column in table.columns, (name, column, list(table.columns))
        assert table["indicator"].notna().all() and table["licence"].notna().all(), name
        for column in [c for c in table.columns if c.startswith(("rank", "n_", "group_rank"))]:
            assert pd.api.types.is_integer_dtype(table[column].dropna()) or table[column].isna().all(), (name, column)
        text = downloaded[name].decode("utf-8-sig")
        noise = [cell for cell in re.split(r"[,\n]", text) if re.fullmatch(r"-?\d+\.\d{7,}", cell)]
        assert not noise, (name, noise[:5])  # "3.460000000000008"
    if page == "views/steckbrief.py":
        assert {"flag", "flag_meaning", "rank", "peer_median"} <= set(tables["steckbrief_09162.csv"].columns)
    xlsx = [n for n in downloaded if n.endswith(".xlsx")]
    assert xlsx
    for name in xlsx:
        book = pd.read_excel(io.BytesIO(downloaded[name]), sheet_name=None, header=None, engine="openpyxl")
        rows = dict(zip(book["Info"][0], book["Info"][1]))
        assert rows.get("Link zu dieser Ansicht", "").startswith("http") and rows.get("Quelle", "").startswith("Quelle"), (name, rows)
        if not name.startswith("steckbrief_09162."):  # the key figures' table is no chart
            assert any(w in rows.get("Beschreibung", "") for w in ("Höchster Wert: ", "Hervorgehoben: ", "Köln: ")), (name, rows)  # the chart's text alternative


def test_sektoren_downloads_name_their_registries(open_app, downloaded):
    open_app("views/sektoren.py")
    tables = _csvs(downloaded)
    assert tables
    for name, table in tables.items():
        assert {"source", "licence"} <= set(table.columns), name
        assert table["licence"].str.contains("CC BY").all(), name
        assert pd.api.types.is_integer_dtype(table["Projekte"]), name


def test_a_comparison_download_says_no_data_where_a_region_has_none(open_app, downloaded):
    """Thiendorf (14627290) has no broadband value for mid-2021: the CSV and the
    XLSX say "keine Daten" in its row, as the chart and the table do."""
    open_app("views/vergleich.py", regions="14627290,03101000", topic="broadband", ind="bb_hh_all_50", pb="2021-06-30")
    [name] = [n for n in downloaded if n.endswith(".csv")]
    table = _csvs(downloaded)[name].set_index("region_id")
    assert table.loc["14627290", "flag_b_meaning"] == "keine Daten" and pd.isna(table.loc["14627290", "value_b"])
    assert pd.isna(table.loc["03101000", "flag_b_meaning"])
    book = pd.read_excel(io.BytesIO(downloaded[name.replace(".csv", ".xlsx")]), sheet_name=None, engine="openpyxl")
    data = book["Daten"].set_index("region_id")
    assert data.loc[14627290 if 14627290 in data.index else "14627290", "flag_b_meaning"] == "keine Daten"
    info = dict(zip(book["Info"].iloc[:, 0], book["Info"].iloc[:, 1]))
    assert "Keine Daten: Thiendorf." in info["Beschreibung"]


# ---------------------------------------------------------------- Quellen: an indicator's whole data

FULL_COLUMNS = [
    "indicator_id", "indicator", "unit", "period", "region_id", "name", "level", "period_type",
    "value", "flag", "flag_meaning", "source_id", "source", "licence",
]


@pytest.mark.parametrize(("indicator_id", "lang"), [("cars_bev", "de"), ("gdp_change_pct", "en"), ("area_km2", "de")])
def test_quellen_gives_an_indicators_whole_data_as_csv_and_parquet(open_app, warehouse, monkeypatch, indicator_id, lang):
    """Every level and period of one indicator in one tidy file, made on click;
    both formats read back with the same rows, values as published (integers
    as integers), flags with their meaning, source and licence; the CSV follows
    the downloads' one rule (``ui.csv_bytes``: UTF-8 with BOM, comma, decimal
    point) with the texts in the session's language."""
    import pyarrow.parquet as pq
    import streamlit

    from dashboard import data

    files: dict = {}
    original = streamlit.download_button

    def capture(label, data=None, file_name=None, *args, **kwargs):
        files[file_name] = data
        return original(label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", capture)
    reads = []
    read = data.indicator_observations
    monkeypatch.setattr(data, "indicator_observations", lambda *a: reads.append(a) or read(*a))
    at = open_app("views/quellen.py", lang=lang)
    at.session_state["quellen.full"] = indicator_id  # (set_value formats the options outside the session's language)
    at.run()
    assert not at.exception, at.exception
    csv_file, parquet_file = files[f"dsr_{indicator_id}_all_levels.csv"], files[f"dsr_{indicator_id}_all_levels.parquet"]
    assert callable(csv_file) and callable(parquet_file) and reads == []  # nothing read before a click

    csv = csv_file()
    assert csv.startswith(b"\xef\xbb\xbf")  # Excel reads the umlauts
    back = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype={"region_id": str}, dtype_backend="numpy_nullable")
    table = pq.read_table(io.BytesIO(parquet_file()))
    parquet = table.to_pandas()
    assert list(back.columns) == FULL_COLUMNS and table.column_names == FULL_COLUMNS

    expected = warehouse.sql(
        "SELECT o.region_id, r.level, o.value, o.flag, o.source_id FROM observations o JOIN regions r USING (region_id) WHERE indicator_id = ?",
        [indicator_id],
    )
    assert len(back) == len(parquet) == len(expected)
    assert set(back["level"]) == set(expected["level"]) and len(set(back["level"])) >= 3
    ind = warehouse.table("indicators").set_index("indicator_id").loc[indicator_id]
    assert set(back["indicator"]) == {ind["title_en"] if lang == "en" else ind["title_de"]}
    assert set(back["unit"]) == {ind["unit_en"] if lang == "en" else ind["unit"]}
    # Keys stay zero-padded text; both formats hold the same values.
    assert str(table.schema.field("region_id").type) in ("string", "large_string")
    assert back["region_id"].str.len().isin([2, 3, 5, 8, 9]).all() and (back["region_id"].str[0] == "0").any()
    assert back["region_id"].tolist() == parquet["region_id"].tolist() and back["period"].tolist() == parquet["period"].tolist()
    assert back["value"].astype("Float64").equals(parquet["value"].astype("Float64"))
    decimals = int(ind["decimals"])
    values = parquet["value"].dropna().astype(float)
    assert (values.round(decimals) == values).all()
    if decimals == 0:  # whole numbers are integers, in the CSV's text too
        assert str(table.schema.field("value").type) == "int64"
        assert pd.api.types.is_integer_dtype(back["value"]) and not re.search(rb",\d+\.0,", csv)
    else:  # a decimal point in both languages (the downloads' one rule), so the values read back as numbers
        assert pd.api.types.is_float_dtype(back["value"]) and re.search(rb",-?\d+\.\d+,", csv)
    # Flags with their meaning in the session's language; source and licence of each row.
    flags = warehouse.table("flags").set_index("flag")
    flagged = back[back["flag"].notna()]
    if not flagged.empty:
        label = flags["label_en" if lang == "en" else "label_de"]
        assert flagged["flag_meaning"].tolist() == flagged["flag"].map(label).tolist()
    sources = warehouse.table("sources").set_index("source_id")
    assert (back["source"] == back["source_id"].map(sources["attribution"])).all()
    assert (back["licence"] == back["source_id"].map(sources["licence"])).all()
    assert len(reads) == 2  # read once per file asked for
