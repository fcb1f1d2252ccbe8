"""The project pages' logic (dashboard/projects.py), figures
(dashboard/charts_projects.py) and the map overlay (dashboard/projects_overlay.py):
inline frames, a property test, and checks on the real warehouse."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import streamlit as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from dashboard.peers import peer_group
from etl.transform.region_attributes import peer_types
from dashboard import charts_projects, projects, projects_overlay, projects_ui
from dashboard.projects import KEY, NONE

# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def german():
    st.session_state["lang"] = "de"
    yield
    st.session_state["lang"] = "de"


def regions_frame() -> pd.DataFrame:
    rows = [
        ("DG", "bund", "Deutschland", "Bundesrepublik", None, None, None),
        ("09", "land", "Bayern", "Freistaat", "09", None, None),
        ("06", "land", "Hessen", "Land", "06", None, None),
        ("09162", "kreis", "München", "Kreisfreie Stadt", "09", "09162", 1),
        ("09184", "kreis", "München", "Landkreis", "09", "09184", 2),
        ("06611", "kreis", "Kassel", "Kreisfreie Stadt", "06", "06611", 1),
        ("06633", "kreis", "Kassel", "Landkreis", "06", "06633", 3),
        ("08111", "kreis", "Stuttgart", "Stadtkreis", "08", "08111", 1),
        ("09162000", "gemeinde", "München", "Stadt", "09", "09162", 1),
        ("06611000", "gemeinde", "Kassel", "Stadt", "06", "06611", 1),
        ("06633001", "gemeinde", "Ahnatal", "Gemeinde", "06", "06633", 3),
        ("06633002", "gemeinde", "Baunatal", "Stadt", "06", "06633", 3),
    ]
    frame = pd.DataFrame(rows, columns=["region_id", "level", "name", "type", "land_id", "kreis_id", "urban_rural_type"])
    frame["urban_rural_type"] = frame["urban_rural_type"].astype("Int64")
    frame["peer_type"] = peer_types(frame)
    frame["population_class"] = pd.array([None] * len(frame), dtype="string")
    return frame.set_index("region_id", drop=False)


def projects_frame() -> pd.DataFrame:
    """Two registries that both use the project id "p1": only (registry_id, project_id) tells them apart."""
    rows = [
        ("mpsc", "p1", "Smarte Stadt Kassel", "Staffel 1 (2019)", "Großstädte", "unknown", 2019, 9_000_000.0, None),
        ("mpsc", "p2", "Gemeinsam digital", "Staffel 2 (2020)", "Interkommunale Kooperationen und Landkreise", "unknown", 2020, None, 15_000_000.0),
        ("codefor", "p1", "Münchner Radlkarte", None, None, "active", 2015, None, None),
        ("codefor", "p3", "Ohne Region", None, None, "finished", None, None, None),
    ]
    frame = pd.DataFrame(rows, columns=["registry_id", "project_id", "title", "round", "category", "status_group", "year",
                                        "funding_federal_eur", "funding_total_eur"])
    frame["year"] = frame["year"].astype("Int64")
    frame["description"] = ["Datenplattform für Kassel", None, "Fahrradwege in **München**", None]
    frame["themes"] = ["Open Data; Mobilität", "Verwaltung", "Radverkehr", None]
    frame["location_published"] = ["Kassel", "Landkreis Kassel", "muenchen", None]
    frame["status"] = [None, None, "Laufend", "abgeschlossen"]
    frame["start_year"] = pd.array([2019, None, None, None], dtype="Int64")
    frame["end_year"] = pd.array([2026, None, None, None], dtype="Int64")
    frame["funding_note"] = ["rund 9 Mio", None, None, None]
    frame["urls"] = ["https://example.org/a\njavascript:alert(1)", None, "mailto:x@example.org\nhttps://example.org/b_(c)", None]
    frame["licence"] = "CC BY 4.0"
    return frame


def links_frame() -> pd.DataFrame:
    rows = [
        ("mpsc", "p1", "06611000", "gemeinde", "lead"),
        ("mpsc", "p2", "06633", "kreis", "lead"),
        ("mpsc", "p2", "06633001", "gemeinde", "partner"),
        ("mpsc", "p2", "09184", "kreis", "partner"),
        ("codefor", "p1", "09162000", "gemeinde", "lead"),
    ]
    return pd.DataFrame(rows, columns=["registry_id", "project_id", "region_id", "level", "role"])


def sectors_links() -> pd.DataFrame:
    rows = [
        ("mpsc", "p1", "infrastructure_data"),
        ("mpsc", "p1", "mobility"),
        ("mpsc", "p2", "administration"),
        ("codefor", "p1", "mobility"),
    ]
    return pd.DataFrame(rows, columns=["registry_id", "project_id", "sector_id"])


def sectors_frame() -> pd.DataFrame:
    from etl.transform.projects import sectors_table

    return sectors_table()


def registries_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "registry_id": ["mpsc", "codefor", "verein"],
            "title": ["Modellprojekte Smart Cities 2019–2021 (aus Bekanntmachungen)", "Code for Germany: Projekte", "Vereinsregister"],
            "publisher": ["BMWSB", "OKF", "Verein"],
            "url": ["https://example.org/mpsc", "https://codefor.de", None],
            "licence": ["CC BY 4.0", "CC BY 4.0", "CC0"],
            "attribution": ["MPSC (BMWSB/KfW)", "Code for Germany", "Verein e. V."],
            "date": ["2021-12-31", "2026-01-12", "2026-02-01"],
        }
    )


@pytest.fixture()
def tables():
    regions = regions_frame()
    links = projects.linked_regions(links_frame(), regions)
    assign = projects.assignments(projects_frame(), links, sectors_links())
    return regions, links, assign


def values(assign: pd.DataFrame, dim: str, registry_id: str, project_id: str) -> set[str]:
    rows = assign[(assign["dim"] == dim) & (assign["registry_id"] == registry_id) & (assign["project_id"] == project_id)]
    return set(rows["value"])


# ---------------------------------------------------------------- keys and URL values


def test_project_key_round_trip():
    key = projects.project_key("mpsc", "MPSC-2019-01")
    assert key == "mpsc:MPSC-2019-01"
    assert projects.parse_project_key(key) == ("mpsc", "MPSC-2019-01")
    # A colon inside the project id stays in the project id.
    assert projects.parse_project_key("codefor:a:b") == ("codefor", "a:b")
    for bad in ("", "mpsc", ":x", "mpsc:", None, 3):
        assert projects.parse_project_key(bad) is None


def test_options_with_commas_survive_the_url_list():
    value = "Kleinstädte, Landgemeinden 100%"
    encoded = projects.encode_option(value)
    assert "," not in encoded
    assert projects.decode_option(encoded) == value


# ---------------------------------------------------------------- dimensions


def test_linked_regions_take_the_urban_rural_type_of_the_kreis(tables):
    _, links, _ = tables
    row = links[links["region_id"] == "06633001"].iloc[0]
    assert row["urban_rural_type"] == 3 and row["land_id"] == "06" and row["name"] == "Ahnatal"
    assert links[links["region_id"] == "09184"].iloc[0]["urban_rural_type"] == 2


def test_assignments_keep_registries_apart(tables):
    _, _, assign = tables
    # Same project_id "p1" in two registries: each keeps its own values.
    assert values(assign, "land", "mpsc", "p1") == {"06"}
    assert values(assign, "land", "codefor", "p1") == {"09"}
    assert values(assign, "sector", "mpsc", "p1") == {"infrastructure_data", "mobility"}
    assert values(assign, "sector", "codefor", "p1") == {"mobility"}
    assert values(assign, "registry", "codefor", "p1") == {"codefor"}


def test_assignments_give_missing_values_the_none_value(tables):
    _, _, assign = tables
    assert values(assign, "sector", "codefor", "p3") == {NONE}
    assert values(assign, "land", "codefor", "p3") == {NONE}
    assert values(assign, "round", "codefor", "p1") == {NONE}
    assert values(assign, "region_type", "mpsc", "p2") == {"Landkreis", "Gemeinde"}
    assert values(assign, "urban_rural", "mpsc", "p2") == {"2", "3"}
    assert values(assign, "land", "mpsc", "p2") == {"06", "09"}
    assert not assign.duplicated().any()
    # Every project has exactly one value on each single-valued dimension.
    single = assign[assign["dim"].isin(["registry", "round", "category", "status"])]
    assert single.groupby([*KEY, "dim"]).size().eq(1).all()


def test_dimension_values_put_none_last(tables):
    _, _, assign = tables
    assert projects.dimension_values(assign, "sector") == ["administration", "infrastructure_data", "mobility", NONE]


# ---------------------------------------------------------------- filters and search


def test_matching_keys_need_every_filtered_dimension(tables):
    _, _, assign = tables
    keys = projects.matching_keys(assign, {"sector": ["mobility"], "land": ["09"]})
    assert set(keys) == {("codefor", "p1")}
    keys = projects.matching_keys(assign, {"sector": ["mobility"]})
    assert set(keys) == {("mpsc", "p1"), ("codefor", "p1")}
    assert len(projects.matching_keys(assign, {})) == 4
    assert len(projects.matching_keys(assign, {"registry": ["codefor"], "round": ["Staffel 1 (2019)"]})) == 0


def test_restrict_keeps_only_the_selected_values_of_a_filtered_dimension(tables):
    _, _, assign = tables
    sub = projects.restrict(assign, {"land": ["09"]})
    assert set(map(tuple, sub[KEY].drop_duplicates().to_numpy())) == {("mpsc", "p2"), ("codefor", "p1")}
    # mpsc/p2 is in Hessen and Bayern; filtered to Bayern it counts for Bayern only.
    assert values(sub, "land", "mpsc", "p2") == {"09"}
    assert values(sub, "region_type", "mpsc", "p2") == {"Landkreis", "Gemeinde"}


def test_search_is_umlaut_tolerant_and_needs_every_word(tables):
    _, links, _ = tables
    hay = projects.search_haystack(projects_frame(), links)
    frame = projects_frame()

    def found(query: str) -> set[tuple[str, str]]:
        return set(map(tuple, frame.loc[projects.search_mask(hay, query).to_numpy(), KEY].to_numpy()))

    assert found("München") == found("Muenchen") == found("munchen") == {("codefor", "p1"), ("mpsc", "p2")}
    assert found("Ahnatal") == {("mpsc", "p2")}  # a region name of the project
    assert found("datenplattform kassel") == {("mpsc", "p1")}  # description, both words
    assert found("datenplattform münchen") == set()
    assert found("06611000") == {("mpsc", "p1")}  # a region key
    assert len(found("")) == 4
    assert found("**") == found("")  # punctuation only: no word, nothing filtered


def test_year_range():
    frame = projects_frame()
    bounds = projects.year_bounds(frame)
    assert bounds == (2015, 2020)
    assert projects.year_mask(frame, bounds, bounds).all()  # full range keeps projects without a year
    mask = projects.year_mask(frame, (2019, 2020), bounds)
    assert list(mask) == [True, True, False, False]
    assert projects.parse_year_range("2016-2019", bounds) == (2016, 2019)
    assert projects.parse_year_range("2019-2016", bounds) == (2016, 2019)
    assert projects.parse_year_range("1990-2030", bounds) == bounds
    assert projects.parse_year_range("rubbish", bounds) == bounds
    assert projects.parse_year_range("2030-2040", bounds) == bounds
    assert projects.dump_year_range(bounds, bounds) == ""
    assert projects.dump_year_range((2016, 2019), bounds) == "2016-2019"


# ---------------------------------------------------------------- aggregation and reported funding


def test_crosstab_counts_projects_and_reported_funding(tables):
    _, _, assign = tables
    frame = projects_frame()
    table = projects.crosstab(assign, frame, "sector", "registry").set_index(["a", "b"])
    assert table.loc[("mobility", "mpsc"), "n_projects"] == 1
    assert table.loc[("mobility", "codefor"), "n_projects"] == 1
    # Reported funding: the sum over the reporting projects, and how many report.
    assert table.loc[("mobility", "mpsc"), "federal_n"] == 1
    assert table.loc[("mobility", "mpsc"), "federal_eur"] == 9_000_000.0
    assert table.loc[("administration", "mpsc"), "federal_n"] == 0
    assert table.loc[("administration", "mpsc"), "total_n"] == 1
    assert table.loc[("mobility", "codefor"), "federal_n"] == 0
    # A project with two sectors counts in each.
    assert table["n_projects"].sum() == 5 and len(frame) == 4


def test_measure_values_keep_n_of_N(tables):
    _, _, assign = tables
    table = projects.measure_values(projects.crosstab(assign, projects_frame(), "sector", None), "federal").set_index("a")
    assert table.loc["mobility", "N"] == 2
    assert table.loc["mobility", "n"] == 1
    assert table.loc["mobility", "value"] == pytest.approx(9.0)  # million EUR
    counts = projects.measure_values(projects.crosstab(assign, projects_frame(), "sector", None), "count").set_index("a")
    assert counts.loc["mobility", "value"] == 2


def test_reported_sums_say_how_many_report():
    frame = projects_frame()
    federal = projects.reported(frame, "funding_federal_eur")
    assert (federal.n_projects, federal.n_reporting, federal.amount_eur) == (4, 1, 9_000_000.0)
    assert not federal.complete
    text = projects.reported_text("Bundesförderung", federal)
    assert "9,0 Mio. EUR" in text and "1 der 4 Projekte" in text and "nicht 0" in text
    none = projects.reported(frame.iloc[2:], "funding_federal_eur")
    assert "keines der 2 Projekte" in projects.reported_text("Bundesförderung", none)
    st.session_state["lang"] = "en"
    assert "reported by 1 of 4 projects" in projects.reported_text("Federal grant", federal)
    assert projects.amount_text(float("nan")) == "not reported"


@settings(max_examples=25, deadline=None)
@given(hs.lists(hs.tuples(hs.sampled_from(["a", "b"]), hs.integers(0, 6), hs.sets(hs.sampled_from(["mobility", "health_care", "administration"]), max_size=3),
                          hs.one_of(hs.none(), hs.floats(0, 1e7))), min_size=1, max_size=25, unique_by=lambda x: (x[0], x[1])))
def test_crosstab_invariants(rows):
    """Per sector the registries add up to the sector's projects; funding is
    summed only over the projects that report it."""
    frame = pd.DataFrame(
        {"registry_id": [r[0] for r in rows], "project_id": [f"p{r[1]}" for r in rows], "round": None, "category": None,
         "status_group": "unknown", "funding_federal_eur": pd.array([r[3] for r in rows], dtype="float64"), "funding_total_eur": math.nan}
    )
    secs = pd.DataFrame([(r[0], f"p{r[1]}", s) for r in rows for s in r[2]], columns=[*KEY, "sector_id"])
    links = pd.DataFrame(columns=[*KEY, "region_id", "land_id", "type", "urban_rural_type"])
    assign = projects.assignments(frame, links, secs)
    by_sector = projects.crosstab(assign, frame, "sector", None).set_index("a")
    by_both = projects.crosstab(assign, frame, "sector", "registry")
    assert by_both.groupby("a")["n_projects"].sum().sort_index().to_dict() == by_sector["n_projects"].sort_index().to_dict()
    assert by_sector["n_projects"].sum() == sum(max(len(r[2]), 1) for r in rows)
    for sector, row in by_sector.iterrows():
        members = [r for r in rows if (sector in r[2]) or (sector == NONE and not r[2])]
        reporting = [r[3] for r in members if r[3] is not None]
        assert row["federal_n"] == len(reporting)
        assert row["federal_eur"] == pytest.approx(sum(reporting))


# ---------------------------------------------------------------- chart cells


def test_cells_from_bar_and_treemap_clicks(tables):
    _, _, assign = tables
    bar_point = {"curve_number": 0, "point_index": 2, "x": 1, "y": "Mobilität", "customdata": ["mobility|registry|codefor", 0, 1]}
    tree_leaf = {"id": "mobility|registry|mpsc", "label": "Modellprojekte", "parent": "mobility"}
    tree_sector = {"id": "mobility", "label": "Mobilität", "parent": ""}
    assert projects.selected_cell([bar_point]) == "mobility|registry|codefor"
    assert projects.selected_cell([tree_leaf]) == "mobility|registry|mpsc"
    assert projects.selected_cell([tree_sector]) == "mobility"
    assert projects.selected_cell([]) is None
    assert projects.selected_cell([{"customdata": ["x|nodim|y"]}]) is None
    cell = projects.parse_cell("mobility|registry|codefor")
    assert set(projects.cell_keys(assign, "sector", cell)) == {("codefor", "p1")}
    assert set(projects.cell_keys(assign, "sector", projects.parse_cell("mobility"))) == {("mpsc", "p1"), ("codefor", "p1")}
    assert projects.cell_id("mobility", "land", "09") == "mobility|land|09"
    assert projects.parse_cell("") is None


def test_value_labels(tables):
    regions, _, assign = tables
    labels = projects.value_labels("land", ["06", NONE], None, None, regions)
    assert labels == {"06": "Hessen", NONE: "ohne Region"}
    reg = projects.value_labels("registry", ["mpsc", "codefor"], None, registries_frame(), regions)
    assert reg == {"mpsc": "Modellprojekte Smart Cities 2019–2021", "codefor": "Code for Germany"}
    assert projects.value_labels("urban_rural", ["1", "3"], None, None, regions) == {"1": "überwiegend städtisch", "3": "überwiegend ländlich"}
    sec = projects.value_labels("sector", ["mobility", NONE], sectors_frame(), None, regions)
    assert sec == {"mobility": "Mobilität", NONE: "ohne Sektor"}


# ---------------------------------------------------------------- the project table and view


def test_project_table(tables):
    regions, links, assign = tables
    table = projects.project_table(projects_frame(), assign, links, sectors_frame(), registries_frame(), regions,
                                   view_url=lambda k: f"http://app/projekte?project={k}").set_index("key")
    assert list(table.index) == ["mpsc:p1", "mpsc:p2", "codefor:p1", "codefor:p3"]
    assert table.at["mpsc:p1", "sectors"] == "Digitale Infrastruktur & Daten; Mobilität"  # taxonomy order
    assert table.at["codefor:p1", "sectors"] == "Mobilität"
    assert table.at["mpsc:p2", "regions"].startswith("Kassel (06633)")  # the lead first
    assert table.at["mpsc:p2", "lands"] == "Hessen; Bayern"
    assert table.at["mpsc:p1", "urls"] == "https://example.org/a"  # javascript: left out
    assert table.at["codefor:p1", "view"] == "http://app/projekte?project=codefor:p1"
    assert math.isnan(table.at["mpsc:p2", "funding_federal_eur"]) or pd.isna(table.at["mpsc:p2", "funding_federal_eur"])
    assert table.at["mpsc:p1", "attribution"] == "MPSC (BMWSB/KfW)"
    assert table.at["codefor:p3", "status_group"] == "abgeschlossen"


def test_project_list_downloads_neutralise_formula_like_text(tables):
    import io

    from openpyxl import load_workbook

    from dashboard import ui

    regions, links, assign = tables
    frame = projects_frame()
    frame.loc[0, "title"] = '=HYPERLINK("http://evil.example","x")'
    frame.loc[1, "themes"] = "@SUM(A1)"
    table = projects.project_table(frame, assign, links, sectors_frame(), registries_frame(), regions).drop(columns=["key"])
    csv_text = ui.csv_bytes(table).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    sheet = load_workbook(io.BytesIO(ui.xlsx_bytes(table))).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("title") + 1).value.startswith("'=")
    assert sheet.cell(row=2, column=header.index("funding_federal_eur") + 1).value == 9_000_000
    assert sheet.cell(row=2, column=header.index("year") + 1).value == 2019


def test_safe_urls_and_links():
    assert projects.safe_urls("https://a.org/x\njavascript:alert(1)\nmailto:a@b.de\nftp://x.org\nhttp://b.org/y z\nhttps://a.org/x") == ["https://a.org/x"]
    assert projects.safe_urls(None) == [] and projects.safe_urls(float("nan")) == []
    link = projects.markdown_link("https://example.org/b_(c)")
    assert link == r"[https://example\.org/b\_\(c\)](https://example.org/b_%28c%29)"


def test_text_markdown_escapes_everything_but_links_urls():
    text = "Portal: https://www.example.de/node/1 - Statistik (siehe https://x.de/a_(b)). *fett* <script> [x](javascript:alert(1))"
    out = projects.text_markdown(text)
    assert "[https://www\\.example\\.de/node/1](https://www.example.de/node/1)" in out
    assert "[https://x\\.de/a\\_\\(b\\)](https://x.de/a_%28b%29)\\)\\." in out  # the sentence's bracket stays outside
    assert "\\*fett\\*" in out and "\\<script\\>" in out
    assert "](javascript" not in out


def test_years_text():
    row = projects_frame().iloc[0]
    assert projects.years_text(row) == "2019; Laufzeit 2019–2026"
    st.session_state["lang"] = "en"
    assert projects.years_text(projects_frame().iloc[2]) == "2015"
    # Only one end known: said in words, never "?–2026".
    assert projects.years_text(pd.Series({"year": None, "start_year": None, "end_year": 2026})) == "running until 2026"
    st.session_state["lang"] = "de"
    assert projects.years_text(pd.Series({"year": 2020, "start_year": 2020, "end_year": None})) == "2020; Laufzeit ab 2020"


def test_bounds_helpers():
    poly = {"type": "MultiPolygon", "coordinates": [[[[9.0, 51.0], [9.5, 51.0], [9.5, 51.4], [9.0, 51.0]]], [[[10.0, 50.0], [10.1, 50.1], [10.0, 50.0]]]]}
    assert projects.feature_bounds(poly) == (9.0, 50.0, 10.1, 51.4)
    assert projects.feature_bounds({"type": "Polygon", "coordinates": []}) is None
    assert projects.union_bounds([(0, 0, 1, 1), None, (2, -1, 3, 0.5)]) == (0, -1, 3, 1)
    assert projects.union_bounds([None]) is None
    padded = projects.pad_bounds((9.0, 51.0, 9.1, 51.1))
    assert padded[0] < 9.0 - 0.2 and padded[2] > 9.1 + 0.2
    wide = projects.fit_aspect((9.0, 51.0, 9.2, 51.4), 2.4)
    kx = math.cos(math.radians(51.2))
    assert (wide[2] - wide[0]) * kx / (wide[3] - wide[1]) == pytest.approx(2.4)
    assert wide[1] == 51.0 and wide[3] == 51.4
    flat = projects.fit_aspect((5.0, 51.0, 15.0, 51.2), 2.4)
    assert flat[0] == 5.0 and (flat[2] - flat[0]) * math.cos(math.radians(51.1)) / (flat[3] - flat[1]) == pytest.approx(2.4)
    assert projects.intersects((0, 0, 1, 1), (1, 1, 2, 2)) and not projects.intersects((0, 0, 1, 1), (1.1, 0, 2, 1))


def test_indicator_profile_medians_and_peers():
    regions = regions_frame()
    kreis_values = pd.DataFrame({"region_id": ["09162", "09184", "06611", "06633", "08111"], "value": [10.0, 20.0, 30.0, 40.0, 50.0],
                                 "period": pd.Timestamp("2021-06-30"), "period_type": "half_year", "source_id": "src"})

    def level_values(indicator_id: str, level: str) -> pd.DataFrame:
        if indicator_id == "gdp" and level == "kreis":
            return kreis_values
        return pd.DataFrame(columns=["region_id", "value", "period", "period_type", "source_id"])

    profile = projects.indicator_profile(["06611", "06633001"], regions, level_values, ("gdp",), min_peers=2).set_index("region_id")
    # The Gemeinde has no GDP at its level: no row. The Kreis: median of all 5,
    # peers = its peer group (dashboard.peers, as on the Steckbrief): the other
    # kreisfreie Städte incl. the Stadtkreis Stuttgart (same kind).
    assert list(profile.index) == ["06611"]
    row = profile.loc["06611"]
    assert row["value"] == 30.0 and row["median_de"] == 30.0 and row["n_de"] == 5
    assert row["n_peer"] == 2 and row["median_peer"] == 30.0  # München 10, Stuttgart 50
    assert row["peer_group"].kind == "Kreisfreie Stadt" and row["period_type"] == "half_year"
    assert row["peer_group"] == peer_group(regions, "06611", min_peers=2)
    missing = projects.indicator_profile(["06633"], regions, lambda i, lv: kreis_values[kreis_values["region_id"] != "06633"], ("gdp",)).iloc[0]
    # Too few Landkreise (the default minimum is 5): the group widens to every Kreis, and says so.
    assert math.isnan(missing["value"]) and missing["peer_group"].relaxed and missing["n_peer"] == 4 and missing["median_peer"] == 25.0  # 10, 20, 30, 50


def test_profile_regions_add_the_kreis_of_a_kreisfreie_stadt():
    regions = regions_frame()
    assert projects.profile_regions(["06611000", "06633001", "06611000"], regions) == ["06611000", "06611", "06633001"]


def test_registry_source_line_and_caption():
    sources = pd.DataFrame({"source_id": ["mpsc"], "attribution": ["MPSC (BMWSB/KfW)"], "reference_date": ["2021-12-31"], "licence": ["CC BY 4.0"]}).set_index("source_id", drop=False)
    line = projects.registry_source_line(["mpsc", "verein", "unknown"], sources, registries_frame())
    assert line == "Quellen: MPSC (BMWSB/KfW) (Stand 2021-12-31; Lizenz: CC BY 4.0) · Verein e. V. (Stand 2026-02-01; Lizenz: CC0)"
    assert projects.imported_registries(["mpsc", "verein"], sources) == ["verein"]
    assert projects.registry_caption("verein", registries_frame()) == r"Verein e\. V\. (Stand 2026\-02\-01; Lizenz: CC0)"
    assert projects.registry_caption("codefor", registries_frame()).endswith("— [https://codefor\\.de](https://codefor.de)")


def test_project_view_url():
    assert projects_ui.project_view_url("http://h:1/base", "mpsc:MPSC-2019-01", "de") == "http://h:1/base/projekte?project=mpsc%3AMPSC-2019-01"
    assert projects_ui.project_view_url("http://h", "a:b", "en").endswith("?project=a%3Ab&lang=en")


# ---------------------------------------------------------------- figures


def bars_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"a": ["mobility", "mobility", "health_care"], "b": ["mpsc", "<b>x</b>", "mpsc"], "value": [3.0, 1.0, 2.0], "n": [3, 1, 2], "N": [3, 1, 2],
         "cell": ["mobility|registry|mpsc", "mobility|registry|<b>x</b>", "health_care|registry|mpsc"]}
    )


def test_stacked_bars_carry_cells_title_source_and_escaped_labels():
    labels_a = {"mobility": "Mobilität", "health_care": "Gesundheit & Pflege"}
    labels_b = {"mpsc": "MPSC", "<b>x</b>": "<b>x</b>"}
    fig = charts_projects.stacked_bars(bars_frame(), ["mobility", "health_care"], labels_a, ["mpsc", "<b>x</b>"], labels_b,
                                       {"mpsc": "#000000"}, "Titel <i>", "Quelle: X", "Projekte", "%{x}", note="Hinweis")
    assert [tr.name for tr in fig.data] == ["MPSC", "&lt;b&gt;x&lt;/b&gt;"]
    assert list(fig.data[0].customdata[:, 0]) == ["mobility|registry|mpsc", "health_care|registry|mpsc"]
    assert fig.layout.barmode == "stack"
    assert "&lt;i&gt;" in fig.layout.title.text
    names = {a.name: a.text for a in fig.layout.annotations}
    assert names["source_line"] == "Quelle: X" and names["note"] == "Hinweis"
    assert "Gesundheit &amp; Pflege" in list(fig.data[0].y)


def test_stacked_bars_leave_out_empty_segments():
    frame = bars_frame().assign(value=[0.0, float("nan"), 2.0])
    fig = charts_projects.stacked_bars(frame, ["mobility", "health_care"], {}, ["mpsc", "<b>x</b>"], {}, {}, "T", "S", "v", "%{x}")
    assert len(fig.data) == 1 and list(fig.data[0].y) == ["health_care"]


def test_treemap_boxes_are_cells_and_sum_their_leaves():
    fig = charts_projects.treemap(bars_frame(), ["mobility", "health_care"], {"mobility": "Mobilität"}, {}, {}, "registry", "T", "S", "%{value}")
    tm = fig.data[0]
    assert list(tm.ids) == ["mobility", "mobility|registry|mpsc", "mobility|registry|<b>x</b>", "health_care", "health_care|registry|mpsc"]
    assert list(tm.parents) == ["", "mobility", "mobility", "", "health_care"]
    assert list(tm.values) == [4.0, 3.0, 1.0, 2.0, 2.0]
    assert tm.branchvalues == "total"
    assert "&lt;b&gt;" in tm.labels[2]


def test_project_map_fits_the_project_regions():
    context = pd.DataFrame({"region_id": ["06633", "06611"], "name": ["Kassel", "Kassel"]})
    hl = pd.DataFrame({"region_id": ["06611000"], "name": ["Kassel"], "label": ["Kassel <script>"]})
    fig = charts_projects.project_map(context, "u/kreis.json", [(hl, "u/gemeinde.json")], (9.0, 51.0, 10.0, 51.5), "T", "S")
    assert [tr.name for tr in fig.data] == ["context", "project"]
    assert fig.data[1].geojson == "u/gemeinde.json"
    assert list(fig.layout.geo.lonaxis.range) == [9.0, 10.0] and fig.layout.geo.fitbounds is False
    assert "&lt;script&gt;" in fig.data[1].customdata[0][0]
    fitted = charts_projects.project_map(context.iloc[:0], "u", [(hl, "g")], None, "T", "S")
    assert fitted.layout.geo.fitbounds == "locations" and len(fitted.data) == 1


def test_colour_map_greys_the_none_value():
    colours = charts_projects.colour_map(["a", NONE, "b"], NONE)
    assert colours[NONE] == charts_projects.NONE_COLOUR and colours["a"] != colours["b"]


# ---------------------------------------------------------------- the map overlay


def test_overlay_outlines_join_on_registry_and_project(tables):
    regions, _, _ = tables
    names = regions[regions["level"] == "kreis"]["name"]
    chosen = projects_frame()
    chosen = chosen[(chosen["registry_id"] == "codefor") & (chosen["project_id"] == "p1")]
    out = projects_overlay.outlines_frame(chosen, links_frame(), "kreis", names)
    # Only codefor/p1 (München); mpsc/p1 (Kassel) shares the project id but not the registry.
    assert list(out["region_id"]) == ["09162"]
    assert out.iloc[0]["project_ids"] == "codefor:p1" and "Münchner Radlkarte" in out.iloc[0]["projects_text"]
    land = projects_overlay.outlines_frame(projects_frame(), links_frame(), "land", regions[regions["level"] == "land"]["name"]).set_index("region_id")
    assert land.loc["06", "n_projects"] == 2 and land.loc["09", "n_projects"] == 2
    # A Kreis-level link is not drawn on a Gemeinde map.
    gem = projects_overlay.outlines_frame(projects_frame(), links_frame(), "gemeinde", regions[regions["level"] == "gemeinde"]["name"])
    assert set(gem["region_id"]) == {"06611000", "06633001", "09162000"}


def test_overlay_draws_a_verband_link_on_its_kreis_not_on_a_gemeinde_whose_key_it_begins_with():
    # VG Altenkirchen-Flammersfeld (ARS 071325010): its first eight digits are the AGS of another Gemeinde.
    links = pd.DataFrame([("verein", "v1", "071325010", "verband", "lead")], columns=["registry_id", "project_id", "region_id", "level", "role"])
    chosen = pd.DataFrame({"registry_id": ["verein"], "project_id": ["v1"], "title": ["Smarte VG"]})
    gem = projects_overlay.outlines_frame(chosen, links, "gemeinde", pd.Series({"07132501": "Gemeinde X"}))
    assert gem.empty
    kreis = projects_overlay.outlines_frame(chosen, links, "kreis", pd.Series({"07132": "Altenkirchen (Westerwald)"}))
    assert list(kreis["region_id"]) == ["07132"]
    verband = projects_overlay.outlines_frame(chosen, links, "verband", pd.Series({"071325010": "Altenkirchen-Flammersfeld"}))
    assert list(verband["region_id"]) == ["071325010"]


def test_overlay_toggle_value_from_the_url():
    assert projects_overlay.show_value("True") and projects_overlay.show_value(True)
    assert not projects_overlay.show_value("False") and not projects_overlay.show_value(None) and not projects_overlay.show_value("")
    assign = pd.DataFrame({"registry_id": ["mpsc", "codefor"], "project_id": ["p1", "p1"], "dim": "registry", "value": ["mpsc", "codefor"]})
    assert projects_overlay.source_ids({"registry": []}, assign) == ["codefor", "mpsc"]
    assert projects_overlay.source_ids({"registry": ["mpsc"]}, assign) == ["mpsc"]


# ---------------------------------------------------------------- the real warehouse


def test_real_warehouse_dimensions_and_funding(warehouse):
    projects_t = warehouse.table("projects")
    regions = warehouse.table("regions").set_index("region_id", drop=False)
    links = projects.linked_regions(warehouse.table("project_regions"), regions)
    assign = projects.assignments(projects_t, links, warehouse.table("project_sectors"))
    registries = warehouse.table("registries").set_index("registry_id")
    # Every project has one registry and the registries table counts them.
    per_registry = assign[assign["dim"] == "registry"].groupby("value").size()
    assert per_registry.to_dict() == registries["projects"].astype(int).to_dict()
    # Projects with a region / a sector agree with the registries' counts.
    for dim, column in (("land", "projects_with_region"), ("sector", "projects_with_sector")):
        have = assign[(assign["dim"] == dim) & (assign["value"] != NONE)].drop_duplicates(KEY).groupby("registry_id").size()
        assert have.reindex(registries.index, fill_value=0).to_dict() == registries[column].astype(int).to_dict()
    # Länder come from the official keys, urban–rural types are 1–3.
    lands = set(projects.dimension_values(assign, "land")) - {NONE}
    assert lands <= set(regions[regions["level"] == "land"]["region_id"])
    assert set(projects.dimension_values(assign, "urban_rural")) - {NONE} <= {"1", "2", "3"}
    # Reported funding: n of N counts what is there, never fills in zeros.
    by_registry = projects.crosstab(assign, projects_t, "registry", None).set_index("a")
    for rid, row in by_registry.iterrows():
        own = projects_t[projects_t["registry_id"] == rid]
        assert row["federal_n"] == own["funding_federal_eur"].notna().sum()
        assert row["federal_eur"] == pytest.approx(own["funding_federal_eur"].sum())
    # The keys used in URLs are unique.
    assert projects.key_series(projects_t).is_unique
