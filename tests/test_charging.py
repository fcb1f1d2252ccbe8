"""Ladesäulenregister: extract quirks, locating stations, Kreis names, counts.

Fixture: tests/data/bnetza_ladesaeulenregister/Ladesaeulenregister.xlsx, 15
invented stations at real places in the register's layout (title and notes
above the header, text coordinates with a decimal comma, one with a stray
trailing dot, a swapped pair, a ferry port and a lake harbour just outside the
VG5000 polygons, a point in the North Sea, a non-number coordinate, a missing
commissioning date, a station from 1999, a Kreis name that disagrees).
"""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from shapely.geometry import box

from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.ladesaeulen import extract_register, parse_decimal
from etl.transform import charging
from etl.transform.charging import (
    NEAREST_TOLERANCE_M,
    build_kreis_lookup,
    locate_points,
    match_kreis_names,
    normalise_kreis_name,
)
try:  # tests/ imported as a package (tests/__init__.py) or as plain modules
    from tests.conftest import FIXTURES, make_context
except ModuleNotFoundError:
    from conftest import FIXTURES, make_context

REL = "bnetza_ladesaeulenregister/Ladesaeulenregister.xlsx"
SHEET = "Ladesäulenregister BNetzA"


# --- extract -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "repaired"),
    [
        ("48,7758", 48.7758, True),
        ("48,65269693493334.", 48.65269693493334, True),  # stray trailing dot, 2022 edition
        ("6,42481200 ", 6.424812, True),
        ("49.48997", 49.48997, False),
        (9.659075, 9.659075, False),
        ("7,2", 7.2, True),
    ],
)
def test_decimal_commas_are_repaired(cell, value, repaired):
    got, fixed = parse_decimal(cell)
    assert got == pytest.approx(value) and fixed is repaired


@pytest.mark.parametrize("cell", ["", None, "k.A.", "48,77,58", "N 48°"])
def test_non_numbers_give_nan(cell):
    got, fixed = parse_decimal(cell)
    assert math.isnan(got) and not fixed


def test_extract_finds_the_header_by_content_and_reads_the_stand():
    reg = extract_register(FIXTURES / REL, REL)
    assert reg.header_line == 11 and reg.sheet == SHEET
    assert reg.stand == dt.date(2022, 1, 1)
    f = reg.frame
    assert len(f) == 15 and f["line"].tolist() == list(range(12, 27))
    stuttgart = f[f["Ort"] == "Stuttgart"].iloc[0]
    assert stuttgart["Breitengrad"] == pytest.approx(48.7758) and stuttgart["Längengrad"] == pytest.approx(9.1829)
    assert reg.decimal_comma.loc[stuttgart.name, "Breitengrad"]
    esslingen = f[f["Ort"] == "Esslingen am Neckar"].iloc[0]
    assert esslingen["Anschlussleistung"] == pytest.approx(7.2)
    assert esslingen["Inbetriebnahmedatum"] == dt.date(2020, 7, 30)  # a datetime cell with a time of day
    assert esslingen["Hausnummer"] == "50"  # numeric cell 50.0
    assert f.loc[f["Ort"] == "Dresden", "Postleitzahl"].iloc[0] == "01067"
    assert reg.raw.loc[f["Ort"] == "Hamburg", "Breitengrad"].iloc[0] == "k.A."


def _copy_with_extra_notes(tmp_path, extra: int):
    wb = load_workbook(FIXTURES / REL)
    ws = wb.active
    ws.insert_rows(3, amount=extra)
    ws.cell(row=3, column=1, value="Weitere Hinweise der Bundesnetzagentur")
    target = tmp_path / REL
    target.parent.mkdir(parents=True)
    wb.save(target)
    return target


def test_more_note_lines_shift_the_header_and_the_lines(tmp_path):
    path = _copy_with_extra_notes(tmp_path, 3)
    reg = extract_register(path, REL)
    assert reg.header_line == 14
    assert reg.frame["line"].iloc[0] == 15 and reg.frame["Ort"].iloc[0] == "Heroldstatt"


def test_missing_column_names_file_sheet_line_and_column(tmp_path):
    wb = load_workbook(FIXTURES / REL)
    ws = wb.active
    ws.delete_cols(14)  # "Anzahl Ladepunkte"
    path = tmp_path / "register.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        extract_register(path, REL)
    msg = str(err.value)
    assert REL in msg and SHEET in msg and "line 11" in msg and "Anzahl Ladepunkte" in msg


def test_sheet_without_header_row_is_refused(tmp_path):
    wb = Workbook()
    wb.active.title = "Tabelle1"
    wb.active.append(["Ladesäulenregister Bundesnetzagentur"])
    wb.active.append(["Betreiber", "Ort", "Lat", "Lon"])
    path = tmp_path / "register.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as err:
        extract_register(path, REL)
    assert "Tabelle1" in str(err.value) and "Breitengrad" in str(err.value)


@pytest.mark.parametrize("content", [b"Betreiber;Ort;Breitengrad\nA;B;48,1\n", None])
def test_not_a_workbook_or_truncated_is_refused(tmp_path, content):
    path = tmp_path / "register.xlsx"
    path.write_bytes(content if content is not None else (FIXTURES / REL).read_bytes()[:3000])
    with pytest.raises(InputError) as err:
        extract_register(path, REL)
    assert REL in str(err.value) and "xlsx" in str(err.value)


# --- Kreis names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("Landkreis Alb-Donau-Kreis", ("district", "alb donau kreis")),
        ("Kreisfreie Stadt Wolfsburg", ("city", "wolfsburg")),
        ("Stadtkreis Mannheim", ("city", "mannheim")),
        ("Kreis Städteregion Aachen", ("district", "aachen")),
        ("Landkreis Region Hannover", ("district", "hannover")),
        ("Landkreis Regionalverband Saarbrücken", ("district", "saarbruecken")),
        ("Saarbrücken, Regionalverband", (None, "saarbruecken")),
        ("Kassel, Landkreis", ("district", "kassel")),
        ("Landkreis Neumarkt i.d. OPf.", ("district", "neumarkt in der opf")),
        ("Landkreis Neumarkt i. d. OPf.", ("district", "neumarkt in der opf")),
        ("Landkreis Mühldorf a. Inn", ("district", "muehldorf am inn")),
        ("Kreisfreie Stadt Halle (Saale)", ("city", "halle saale")),
        ("  Landkreis   Görlitz ", ("district", "goerlitz")),
    ],
)
def test_kreis_names_are_normalised(published, expected):
    assert normalise_kreis_name(published) == expected


def _regions_for_names() -> pd.DataFrame:
    rows = [
        ("03404", "Osnabrück", "Kreisfreie Stadt"),
        ("03459", "Osnabrück", "Landkreis"),
        ("05334", "Städteregion Aachen", "Kreis"),
        ("10041", "Regionalverband Saarbrücken", "Landkreis"),
        ("03403", "Oldenburg (Oldb)", "Kreisfreie Stadt"),
        ("03458", "Oldenburg", "Landkreis"),
        ("08222", "Mannheim", "Stadtkreis"),
    ]
    return pd.DataFrame([{"region_id": k, "name": n, "type": t, "level": "kreis"} for k, n, t in rows])


def test_the_type_tells_city_from_district_of_the_same_name():
    lookup = build_kreis_lookup(_regions_for_names())
    got = match_kreis_names(
        pd.Series(["Kreisfreie Stadt Osnabrück", "Landkreis Osnabrück", "Osnabrück", "Kreis Städteregion Aachen",
                   "Stadtverband Saarbrücken", "Kreisfreie Stadt Oldenburg (Oldenburg)", "Landkreis Oldenburg", "Landkreis Atlantis"]),
        lookup,
    )
    assert got.tolist() == [
        {"03404"}, {"03459"}, {"03404", "03459"}, {"05334"}, {"10041"}, {"03403"}, {"03458"}, set(),
    ]


# --- locating ------------------------------------------------------------------


def _squares() -> gpd.GeoDataFrame:
    """Two Gemeinden side by side, 0.1° wide, around 48° N."""
    return gpd.GeoDataFrame(
        {"region_id": ["08111000", "08115001"]},
        geometry=[box(9.0, 48.0, 9.1, 48.1), box(9.1, 48.0, 9.2, 48.1)],
        crs=4326,
    )


def test_locate_inside_border_nearest_swapped_and_unlocated():
    lat = pd.Series([48.05, 48.05, 48.05, 9.05, 48.05, np.nan, 95.0])
    lon = pd.Series([9.05, 9.10, 8.995, 48.05, 8.90, 9.05, 9.05])
    got = locate_points(lat, lon, _squares())
    assert got["location_method"].tolist() == ["inside", "inside", "nearest", "inside", "unlocated", "unlocated", "unlocated"]
    assert got["gemeinde_id"].tolist()[:4] == ["08111000", "08111000", "08111000", "08111000"]  # a border point: lower key
    # 0.005° of longitude at 48.05° N is about 373 m.
    assert 300 < got.loc[2, "distance_m"] < 450
    assert got.loc[3, "swapped"] and got.loc[3, "lat"] == 48.05 and got.loc[3, "lon"] == 9.05
    assert got.loc[4, "distance_m"] > NEAREST_TOLERANCE_M  # ≈ 7.4 km off: kept unlocated
    assert pd.isna(got.loc[4, "gemeinde_id"]) and not got["swapped"].iloc[[0, 1, 2, 4, 5, 6]].any()


# --- the step on the fixture ---------------------------------------------------


@pytest.fixture(scope="module")
def kit_geo(kit_dir):
    """Regions and shapes built from the real VG5000 once for this module."""
    from etl.regions import build_regions

    built = build_regions(BuildContext(raw_dir=kit_dir, log=lambda m: None))
    return built["regions"], built["region_shapes"]


def _context(kit_geo, population: pd.DataFrame | None = None) -> BuildContext:
    regions, shapes = kit_geo
    ctx = make_context(FIXTURES, regions)
    ctx.tables["region_shapes"] = shapes
    if population is not None:
        ctx.tables["observations"] = population
    return ctx


@pytest.fixture(scope="module")
def fixture_run(kit_geo):
    ctx = _context(kit_geo)
    out = charging.run(ctx)
    return ctx, out["charging_stations"], out["observations"], ctx.quarantine.to_frame()


def _station(stations, place):
    return stations[stations["place"] == place].iloc[0]


def test_fixture_stations_are_located_and_repaired(fixture_run):
    _, st, _, _ = fixture_run
    assert len(st) == 15 and st["station_id"].is_unique
    assert _station(st, "Heroldstatt")["gemeinde_id"] == "08425139"
    stuttgart = _station(st, "Stuttgart")
    assert stuttgart["coordinate_fix"] == "decimal_comma" and stuttgart["gemeinde_id"] == "08111000"
    assert _station(st, "Esslingen am Neckar")["coordinate_fix"] == "decimal_comma"
    wolfsburg = _station(st, "Wolfsburg")
    assert wolfsburg["coordinate_fix"] == "swapped" and wolfsburg["gemeinde_id"] == "03103000"
    assert wolfsburg["lat"] == pytest.approx(52.4227) and wolfsburg["lon"] == pytest.approx(10.7865)
    for place, gemeinde in (("Fehmarn", "01055046"), ("Lindau (B)", "09776116")):
        s = _station(st, place)
        assert s["location_method"] == "nearest" and s["gemeinde_id"] == gemeinde
        assert 0 < s["distance_m"] <= NEAREST_TOLERANCE_M
    assert _station(st, "Dillingen")["location_method"] == "unlocated"
    assert _station(st, "Hamburg")["location_method"] == "unlocated"
    assert _station(st, "Heroldstatt")["kreis_id"] == "08425" and _station(st, "Heroldstatt")["land_id"] == "08"
    assert _station(st, "Berlin")["fast"] and not _station(st, "Heroldstatt")["fast"]


def test_fixture_kreis_names(fixture_run):
    _, st, _, q = fixture_run
    agrees = st.set_index("place")["kreis_name_agrees"]
    for place in ("Heroldstatt", "Aachen", "Hannover", "Saarbrücken", "Lindau (B)", "Berlin", "Stuttgart", "Wolfsburg", "Fehmarn"):
        assert agrees[place] is not pd.NA and bool(agrees[place]), place
    mannheim = _station(st, "Mannheim")
    assert not bool(mannheim["kreis_name_agrees"]) and mannheim["gemeinde_id"] == "08222000"
    assert pd.isna(_station(st, "Dillingen")["kreis_name_agrees"])
    row = q[q["reason"].str.startswith("Kreis name disagrees")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["line"] == mannheim["station_id"] and row["column"] == "Kreis/kreisfreie Stadt"
    assert row["value"] == "Landkreis Rhein-Neckar-Kreis" and "located in 08222" in row["reason"]
    assert row["target_table"] == "charging_stations" and row["sheet"] == SHEET


def test_fixture_quarantine_keeps_raw_coordinates(fixture_run):
    _, st, _, q = fixture_run
    sea = q[q["line"] == _station(st, "Dillingen")["station_id"]].iloc[0]
    assert "outside Germany" in sea["reason"] and sea["value"] == "Breitengrad=53.81; Längengrad=6.1"
    bad = q[q["line"] == _station(st, "Hamburg")["station_id"]].iloc[0]
    assert "not a number" in bad["reason"] and "Breitengrad=k.A." in bad["value"]
    nodate = q[q["line"] == _station(st, "Dresden")["station_id"]].iloc[0]
    assert nodate["column"] == "Inbetriebnahmedatum" and "only in the stock of 2021" in nodate["reason"]


def _value(obs, indicator, region, year):
    rows = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == dt.date(year, 12, 31))]
    assert len(rows) == 1, (indicator, region, year)
    return rows.iloc[0]


def test_fixture_counts(fixture_run):
    _, st, obs, _ = fixture_run
    located = st[st["gemeinde_id"].notna()]
    assert len(located) == 13  # 15 minus the North Sea point and the "k.A." coordinate
    assert _value(obs, "ev_stations", "DG", 2021)["value"] == 13
    assert _value(obs, "ev_points", "DG", 2021)["value"] == located["charging_points"].sum()
    assert _value(obs, "ev_points_fast", "DG", 2021)["value"] == located.loc[located["fast"], "charging_points"].sum() == 8
    assert _value(obs, "ev_stations_fast", "DG", 2021)["value"] == 4
    # Heidelberg's 1999 station is in the stock from 2009 but new in no year.
    assert _value(obs, "ev_stations", "08221000", 2009)["value"] == 1
    assert obs.loc[(obs["indicator_id"] == "ev_stations_new") & (obs["region_id"] == "08221000"), "value"].sum() == 0
    # Dresden has no commissioning date: in the stock of the last year only.
    assert _value(obs, "ev_stations", "14612000", 2020)["value"] == 0
    assert _value(obs, "ev_stations", "14612000", 2021)["value"] == 1
    # The stock is the running sum of the new stations (plus pre-2009 and undated ones).
    new = obs[(obs["indicator_id"] == "ev_stations_new") & (obs["region_id"] == "DG")]["value"].sum()
    assert new == 13 - 1 - 1
    # Every Gemeinde has a row for every year, zero where there is no station.
    assert _value(obs, "ev_stations", "01001000", 2015)["value"] == 0
    assert obs[obs["indicator_id"] == "ev_stations"]["period"].nunique() == 13


def test_fixture_flags_and_sums(fixture_run):
    _, _, obs, _ = fixture_run
    assert _value(obs, "ev_stations", "DG", 2020)["flag"] == "lower_bound"
    assert pd.isna(_value(obs, "ev_stations", "DG", 2021)["flag"])
    for level_len in (2, 5, 8):
        part = obs[(obs["region_id"].str.len() == level_len) & (obs["region_id"] != "DG")].groupby(["indicator_id", "period"])["value"].sum()
        total = obs[obs["region_id"] == "DG"].set_index(["indicator_id", "period"])["value"]
        pd.testing.assert_series_equal(part.sort_index(), total.sort_index(), check_names=False, check_index_type=False)
    assert "ev_points_per_10k" not in set(obs["indicator_id"])


def test_without_population_the_rate_is_skipped_with_a_note(fixture_run):
    ctx, *_ = fixture_run
    assert "skipped" in ctx.notes["charging"]["ev_points_per_10k"]


def test_rate_per_10k_uses_the_latest_population(kit_geo):
    pop = pd.DataFrame(
        {
            "indicator_id": "population",
            "region_id": ["08111000", "08111000", "08111", "DG"],
            "period": [dt.date(2016, 12, 31), dt.date(2017, 12, 31), dt.date(2018, 12, 31), dt.date(2018, 12, 31)],
            "period_type": "year",
            "value": [620_000.0, 632_743.0, 634_830.0, 83_019_213.0],
            "flag": None,
        }
    )
    ctx = _context(kit_geo, pop)
    obs = charging.run(ctx)["observations"]
    rate = obs[obs["indicator_id"] == "ev_points_per_10k"]
    # Stuttgart is a Gemeindeverband of its own (081110000): its Gemeinde's rate.
    assert set(rate["region_id"]) == {"08111000", "081110000", "08111", "DG"}
    assert _value(obs, "ev_points_per_10k", "081110000", 2021)["value"] == _value(obs, "ev_points_per_10k", "08111000", 2021)["value"]
    stuttgart = _value(obs, "ev_points_per_10k", "08111000", 2021)
    assert stuttgart["value"] == pytest.approx(2 / 632_743 * 10_000)
    assert _value(obs, "ev_points_per_10k", "08111000", 2018)["flag"] == "lower_bound"
    germany = _value(obs, "ev_points_per_10k", "DG", 2021)["value"]
    assert germany == pytest.approx(_value(obs, "ev_points", "DG", 2021)["value"] / 83_019_213 * 10_000)


def test_raw_file_missing_is_a_clear_error(tmp_path, kit_geo):
    regions, shapes = kit_geo
    ctx = make_context(tmp_path, regions)
    ctx.tables["region_shapes"] = shapes
    with pytest.raises(InputError) as err:
        charging.run(ctx)
    assert REL in str(err.value)


def test_fixture_copy_with_a_changed_header_position_builds_the_same_table(tmp_path, kit_geo, fixture_run):
    _copy_with_extra_notes(tmp_path, 2)
    regions, shapes = kit_geo
    ctx = make_context(tmp_path, regions)
    ctx.tables["region_shapes"] = shapes
    st = charging.run(ctx)["charging_stations"]
    before = fixture_run[1]
    assert (st["station_id"] - before["station_id"]).eq(2).all()
    cols = ["gemeinde_id", "location_method", "coordinate_fix", "kreis_name_agrees"]
    pd.testing.assert_frame_equal(st[cols].reset_index(drop=True), before[cols].reset_index(drop=True))


# --- the edition: the register's own "Stand" ----------------------------------


def register_of_edition(raw_dir, stand: str):
    """The fixture as another edition: its "Stand:" line (row 8, as in the real
    register) says ``stand``; written to ``raw_dir`` under the kit's name."""
    wb = load_workbook(FIXTURES / REL)
    ws = wb.active
    assert ws.cell(row=8, column=1).value == "Stand: 01.01.2022"
    ws.cell(row=8, column=1, value=f"Stand: {stand}")
    target = raw_dir / REL
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def test_the_kit_edition_is_read_from_the_file_and_recorded(fixture_run):
    from etl.build import edition_warnings, sources_table

    ctx, *_ = fixture_run
    read = ctx.editions[charging.SOURCE_ID]
    assert read["date"] == "2022-01-01" and read["file"] == REL
    assert "line 8" in read["origin"] and "Stand: 01.01.2022" in read["origin"] and SHEET in read["origin"]
    row = sources_table(ctx.editions).set_index("source_id").loc[charging.SOURCE_ID]
    assert row["reference_date"] == "2022-01-01" and "Stand 01.01.2022" in row["attribution"]
    assert row["reference_date_origin"] == read["origin"]
    assert edition_warnings(ctx.editions) == []


def test_another_edition_gives_its_own_stand_attribution_and_periods(tmp_path, kit_geo):
    """A register of 01.11.2021: its stock is that of 31.10.2021, no year's end,
    so the last period is 31.12.2020 (a lower bound, like every earlier one) and
    the stations of 2021 are in no period; never stored as 31.12.2021."""
    from etl.build import edition_warnings, sources_table

    register_of_edition(tmp_path, "01.11.2021")
    regions, shapes = kit_geo
    ctx = make_context(tmp_path, regions)
    ctx.tables["region_shapes"] = shapes
    out = charging.run(ctx)
    obs = out["observations"]
    assert ctx.editions[charging.SOURCE_ID]["date"] == "2021-11-01"
    assert "Stand: 01.11.2021" in ctx.editions[charging.SOURCE_ID]["origin"]
    assert obs["period"].max() == dt.date(2020, 12, 31)
    assert (obs["flag"] == "lower_bound").all()
    # 13 located; Fehmarn (15.06.2021) and Mannheim (20.02.2021) are in no
    # period; Dresden (no date) and Berlin (31.12.2021, after the register's
    # date: quarantined) count in the last stock.
    assert _value(obs, "ev_stations", "DG", 2020)["value"] == 11
    assert _value(obs, "ev_stations", "08222000", 2020)["value"] == 0
    assert _value(obs, "ev_stations", "14612000", 2020)["value"] == 1
    assert ctx.notes["charging"]["commissioned_after_last_period"] == 2
    q = ctx.quarantine.to_frame()
    assert q.loc[q["column"] == "Inbetriebnahmedatum", "reason"].str.contains("after 2021-10-31; counted only in the stock of 2020").sum() == 2

    row = sources_table(ctx.editions).set_index("source_id").loc[charging.SOURCE_ID]
    assert row["reference_date"] == "2021-11-01"
    assert row["attribution"] == "Bundesnetzagentur, Ladesäulenregister (Stand 01.11.2021), CC BY 4.0"
    assert row["title"] == "Ladesäulenregister (Stand 01.11.2021)"
    assert "line 8" in row["reference_date_origin"]
    other = sources_table(ctx.editions).set_index("source_id").drop(index=charging.SOURCE_ID)
    assert (other["reference_date_origin"].str.startswith("the catalogue's default")).all()
    (warning,) = edition_warnings(ctx.editions)
    assert warning["file"] == REL and warning["found_edition"] == "2021-11-01" and warning["catalogued_edition"] == "2022-01-01"
    assert "2021-11-01" in warning["message"] and "2022-01-01" in warning["message"]


def test_a_register_without_a_stand_line_keeps_the_catalogue_edition(tmp_path, kit_geo):
    from etl.build import sources_table

    wb = load_workbook(FIXTURES / REL)
    wb.active.cell(row=8, column=1).value = None
    (tmp_path / REL).parent.mkdir(parents=True)
    wb.save(tmp_path / REL)
    regions, shapes = kit_geo
    ctx = make_context(tmp_path, regions)
    ctx.tables["region_shapes"] = shapes
    obs = charging.run(ctx)["observations"]
    assert charging.SOURCE_ID not in ctx.editions
    assert "catalogue's reference date 2022-01-01" in ctx.notes["charging"]["register_date"]
    assert obs["period"].max() == dt.date(2021, 12, 31)
    row = sources_table(ctx.editions).set_index("source_id").loc[charging.SOURCE_ID]
    assert row["reference_date"] == "2022-01-01" and row["reference_date_origin"].startswith("the catalogue's default")


# --- end to end on the real kit ------------------------------------------------


def test_warehouse_locates_nearly_all_stations(warehouse):
    st = warehouse.table("charging_stations")
    assert len(st) == 25_868 and st["station_id"].is_unique
    located = st["gemeinde_id"].notna()
    assert located.mean() >= 0.99
    assert set(st["location_method"]) <= {"inside", "nearest", "unlocated"}
    near = st[st["location_method"] == "nearest"]
    assert (near["distance_m"] <= NEAREST_TOLERANCE_M).all() and len(near) >= 10
    # Every unlocated station is in the quarantine with its raw coordinates.
    q = warehouse.sql("SELECT * FROM quarantine WHERE source_id = 'bnetza_ladesaeulenregister'")
    unlocated_lines = set(st.loc[~located, "station_id"])
    coord_q = q[q["column"] == "Breitengrad/Längengrad"]
    assert unlocated_lines == set(coord_q["line"])
    assert (st["coordinate_fix"] == "decimal_comma").sum() >= 27
    # Disagreements are flagged and listed.
    disagree = st["kreis_name_agrees"].eq(False)
    assert disagree.sum() == q["reason"].str.startswith("Kreis name disagrees").sum() > 0
    assert disagree.sum() < 0.02 * len(st)


def test_warehouse_germany_counts_equal_located_stations(warehouse):
    st = warehouse.table("charging_stations")
    located = st[st["gemeinde_id"].notna()]
    dg = warehouse.sql(
        "SELECT indicator_id, value, flag FROM observations WHERE region_id = 'DG' AND period = DATE '2021-12-31' AND source_id = 'bnetza_ladesaeulenregister'"
    ).set_index("indicator_id")
    assert dg.loc["ev_stations", "value"] == len(located)
    assert dg.loc["ev_points", "value"] == located["charging_points"].sum()
    assert dg.loc["ev_stations_fast", "value"] == located["fast"].sum()
    assert dg["flag"].isna().all()


def test_warehouse_land_and_kreis_sums_equal_germany(warehouse):
    sums = warehouse.sql(
        """
        SELECT o.indicator_id, o.period, length(o.region_id) AS len, sum(o.value) AS total
        FROM observations o
        WHERE o.source_id = 'bnetza_ladesaeulenregister' AND o.region_id <> 'DG' AND o.indicator_id <> 'ev_points_per_10k'
        GROUP BY 1, 2, 3
        """
    )
    dg = warehouse.sql(
        "SELECT indicator_id, period, value FROM observations WHERE source_id = 'bnetza_ladesaeulenregister' AND region_id = 'DG'"
    )
    merged = sums.merge(dg, on=["indicator_id", "period"])
    assert set(merged["len"]) == {2, 5, 9, 8}  # Länder, Kreise, Gemeindeverbände, Gemeinden
    assert np.allclose(merged["total"], merged["value"])
    flags = warehouse.sql(
        "SELECT DISTINCT year(period) AS y, flag FROM observations WHERE source_id = 'bnetza_ladesaeulenregister' ORDER BY 1"
    )
    assert set(flags.loc[flags["y"] < 2021, "flag"]) == {"lower_bound"}
    assert flags.loc[flags["y"] == 2021, "flag"].isna().all()


def test_warehouse_of_another_register_edition_follows_its_stand(warehouse, kit_dir, tmp_path):
    """The kit with the register of 01.11.2021 in place of 01.01.2022, rebuilt
    for that source: used, warned about (changed checksum, other edition), its
    own "Stand" in the sources table and the attribution, its periods right."""
    from etl.build import build

    try:
        from tests.test_etl_core import linked_copy
    except ModuleNotFoundError:
        from test_etl_core import linked_copy

    raw = tmp_path / "raw"
    raw.mkdir()
    for entry in kit_dir.iterdir():
        if entry.name != "bnetza_ladesaeulenregister":
            (raw / entry.name).symlink_to(entry)
    register_of_edition(raw, "01.11.2021")
    target = linked_copy(warehouse, tmp_path / "wh")
    manifest = build(raw_dir=raw, out=target, only=charging.SOURCE_ID, log=lambda m: None)

    warnings = {w["status"]: w for w in manifest["input_warnings"] if w["file"] == REL}
    assert set(warnings) == {"changed", "other edition"}
    assert "2021-11-01" in warnings["other edition"]["message"]
    assert manifest["editions"][charging.SOURCE_ID]["date"] == "2021-11-01"
    from etl.warehouse import Warehouse

    wh = Warehouse(target)
    src = wh.sql("SELECT * FROM sources WHERE source_id = ?", [charging.SOURCE_ID]).iloc[0]
    assert src["reference_date"] == "2021-11-01" and "Stand 01.11.2021" in src["attribution"] and "01.01.2022" not in src["attribution"]
    assert "line 8" in src["reference_date_origin"]
    periods = wh.sql("SELECT max(period) AS last, count(*) FILTER (WHERE flag IS DISTINCT FROM 'lower_bound') AS complete FROM observations WHERE source_id = ?", [charging.SOURCE_ID]).iloc[0]
    assert periods["last"] == pd.Timestamp("2020-12-31") and periods["complete"] == 0
    assert wh.sql("SELECT count(*) AS n FROM charging_stations")["n"].item() == 15
    # The other sources keep the full build's rows.
    assert wh.sql("SELECT count(*) AS n FROM observations WHERE source_id = 'kba_fz1'")["n"].item() == \
        warehouse.sql("SELECT count(*) AS n FROM observations WHERE source_id = 'kba_fz1'")["n"].item()
