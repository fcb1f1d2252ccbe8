"""The Gemeindeverband level (``verband``): VG5000's VWG layer → regions rows and
keys (a small shapefile written here in the real format), Gemeinde values →
Verband values by each indicator's rule (inline frames), and checks on the
warehouse built from the real kit."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from etl.aggregate import verband_values
from etl.catalogue import INDICATORS_BY_ID
from etl.regions import VG_DIR, read_units, regions_frame
from apptest_helpers import map_data
from tests.conftest import make_context

# Gauß-Krüger zone 3 (EPSG:31467), as VG5000; 1 km squares near Altenahr.
X0, Y0, KM = 3_360_000, 5_595_000, 1_000


def _square(i: int, j: int = 0, w: int = 1):
    return box(X0 + i * KM, Y0 + j * KM, X0 + (i + w) * KM, Y0 + (j + 1) * KM)


def _layer(rows: list[dict]) -> gpd.GeoDataFrame:
    """Rows with VG5000's attribute names (a subset) and its CRS."""
    base = {"ADE": 5, "GF": 9, "BSG": 1, "AGS": "--------", "NUTS": "DEB12", "IBZ": 0}
    frame = gpd.GeoDataFrame([{**base, **r} for r in rows], geometry="geometry", crs=31467)
    return frame[["ADE", "GF", "BSG", "ARS", "AGS", "GEN", "BEZ", "IBZ", "NUTS", "geometry"]]


@pytest.fixture
def vg5000(tmp_path):
    folder = tmp_path / VG_DIR
    folder.mkdir(parents=True)
    # Verbandsgemeinde Altenahr: two Ortsgemeinden; Bad Neuenahr-Ahrweiler: a verbandsfreie
    # Gemeinde, its own unit; one VWG row whose ARS lost a digit (8 instead of 9).
    _layer([
        {"ARS": "071315001", "GEN": "Altenahr", "BEZ": "Verbandsgemeinde", "IBZ": 52, "geometry": _square(0, w=2)},
        {"ARS": "071310007", "GEN": "Bad Neuenahr-Ahrweiler", "BEZ": "Verbandsfreie Gemeinde", "IBZ": 87, "geometry": _square(2)},
        {"ARS": "07131500", "GEN": "Kaputt", "BEZ": "Verbandsgemeinde", "IBZ": 52, "geometry": _square(3)},
        # A second land part of Altenahr (an exclave): one unit, dissolved.
        {"ARS": "071315001", "GEN": "Altenahr", "BEZ": "Verbandsgemeinde", "IBZ": 52, "geometry": _square(0, 2)},
    ]).to_file(folder / "VG5000_VWG.shp", encoding="utf-8")
    _layer([
        {"ARS": "071315001001", "AGS": "07131001", "GEN": "Ahrbrück", "BEZ": "Ortsgemeinde", "geometry": _square(0)},
        {"ARS": "071315001002", "AGS": "07131002", "GEN": "Altenahr", "BEZ": "Ortsgemeinde", "geometry": _square(1)},
        {"ARS": "071315001001", "AGS": "07131001", "GEN": "Ahrbrück", "BEZ": "Ortsgemeinde", "geometry": _square(0, 2)},
        {"ARS": "071310007007", "AGS": "07131007", "GEN": "Bad Neuenahr-Ahrweiler", "BEZ": "Stadt", "geometry": _square(2)},
        # Water (GF 8) is no unit.
        {"ARS": "071310007007", "AGS": "07131007", "GEN": "Bad Neuenahr-Ahrweiler", "BEZ": "Stadt", "GF": 8, "geometry": _square(5)},
    ]).to_file(folder / "VG5000_GEM.shp", encoding="utf-8")
    return make_context(tmp_path)


def test_vwg_layer_gives_verband_rows_keyed_by_their_ars(vg5000):
    ctx = vg5000
    units = [read_units(ctx, "verband"), read_units(ctx, "gemeinde")]
    allg = gpd.GeoDataFrame(pd.concat(units, ignore_index=True), geometry="geometry", crs=units[0].crs)
    regions = regions_frame(ctx, allg).set_index("region_id")
    verband = regions[regions["level"] == "verband"]
    assert sorted(verband.index) == ["071310007", "071315001"]
    assert verband.loc["071315001", ["name", "type", "kreis_id", "land_id", "verband_id", "ars"]].tolist() == [
        "Altenahr", "Verbandsgemeinde", "07131", "07", "071315001", "071315001"]
    # Every Gemeinde names its Verband: the first nine digits of its ARS.
    gem = regions[regions["level"] == "gemeinde"]
    assert gem["verband_id"].to_dict() == {"07131001": "071315001", "07131002": "071315001", "07131007": "071310007"}
    # Areas: the Verband is its Gemeinden (exclave included, water not).
    assert verband.loc["071315001", "area_km2"] == pytest.approx(3.0, rel=1e-2)
    sums = gem.groupby("verband_id")["area_km2"].sum()
    assert sums.to_dict() == pytest.approx(verband["area_km2"].to_dict())
    # The broken key is quarantined with file and column, not dropped silently.
    q = ctx.quarantine.to_frame()
    bad = q[q["value"] == "07131500"]
    assert len(bad) == 1 and bad["column"].item() == "ARS" and bad["file"].item().endswith("VG5000_VWG.dbf")
    assert "unexpected length for level verband" in bad["reason"].item()


# --- Gemeinde values → Verband values --------------------------------------------------------------

SHARE = "bb_hh_all_50"  # households with ≥ 50 Mbit/s: rule mean_households
COUNT = "ev_points"  # public charging points: rule sum
P = dt.date(2021, 6, 30)
VERBAND_OF = pd.Series({
    "07131001": "071315001", "07131002": "071315001",  # Altenahr: both have values
    "07131003": "071315002", "07131004": "071315002",  # a Verband where one Gemeinde lacks a value
    "07131007": "071310007",  # a Verband of one Gemeinde
})
POPULATION = pd.Series({"07131001": 1_000.0, "07131002": 3_000.0, "07131003": 500.0, "07131004": 500.0})


def _obs(indicator: str, values: dict, flag=None) -> pd.DataFrame:
    return pd.DataFrame({
        "indicator_id": indicator, "region_id": list(values), "period": P, "period_type": "half_year",
        "value": list(values.values()), "flag": flag, "source_file": "f.xlsx", "sheet": "s", "line": 1, "column": "c", "raw": None,
    })


def test_rules_declare_what_the_test_assumes():
    assert INDICATORS_BY_ID[SHARE].aggregation == "mean_households" and "verband" in INDICATORS_BY_ID[SHARE].levels
    assert INDICATORS_BY_ID[COUNT].aggregation == "sum" and "verband" in INDICATORS_BY_ID[COUNT].levels
    # A rule "none" never gets the level: nothing could be made.
    assert all("verband" not in i.levels for i in INDICATORS_BY_ID.values() if i.aggregation == "none")


def test_share_weighted_and_count_summed_only_where_every_gemeinde_has_a_value():
    obs = pd.concat([
        _obs(SHARE, {"07131001": 40.0, "07131002": 80.0, "07131003": 50.0, "07131007": 90.0}),
        _obs(SHARE, {"07131004": None}, flag="no_value"),
        _obs(COUNT, {"07131001": 2.0, "07131002": 5.0, "07131003": 1.0, "07131007": 30.0}),
    ], ignore_index=True)
    made, notes = verband_values(obs, VERBAND_OF, POPULATION)
    got = made.set_index(["indicator_id", "region_id"])
    assert got.loc[(SHARE, "071315001"), "value"] == pytest.approx((40 * 1_000 + 80 * 3_000) / 4_000)  # 70, not the plain mean 60
    assert got.loc[(COUNT, "071315001"), "value"] == 7.0
    # One Gemeinde without a value: no share and no partial sum for its Verband.
    assert "071315002" not in set(made["region_id"])
    assert notes["incomplete_units"] == 2
    # A Verband of one Gemeinde has that Gemeinde's value (no population needed) and flag.
    assert got.loc[(SHARE, "071310007"), "value"] == 90.0 and pd.isna(got.loc[(SHARE, "071310007"), "flag"])
    assert pd.isna(got.loc[(SHARE, "071315001"), "flag"])  # the level is made from Gemeinden: no flag for that
    assert got.loc[(COUNT, "071315001"), "column"] == "Summe der Gemeinden: c"
    assert notes["values_made"] == len(made) == 4


def test_flags_of_the_parts_decide_the_flag_or_that_no_value_is_made():
    def made_flag(flag_a, flag_b):
        obs = pd.concat([_obs(COUNT, {"07131001": 2.0}, flag=flag_a), _obs(COUNT, {"07131002": 5.0}, flag=flag_b)], ignore_index=True)
        made, notes = verband_values(obs, VERBAND_OF, POPULATION)
        return made["flag"].tolist(), notes["mixed_files_or_flags"]

    assert made_flag("lower_bound", "lower_bound") == (["lower_bound"], 0)  # a sum of lower bounds is a lower bound
    assert made_flag("lower_bound", None) == (["lower_bound"], 0)  # … and so is a sum with one in it
    assert made_flag("harmonised", None) == (["harmonised"], 0)  # a Gemeinde merged since 2017, converted
    assert made_flag("harmonised", "lower_bound") == (["lower_bound"], 0)
    assert made_flag("provisional", None) == ([], 1)  # one flag cannot say what the other part is



def test_a_weighted_mean_needs_the_population_of_every_part():
    made, notes = verband_values(_obs(SHARE, {"07131001": 40.0, "07131002": 80.0}), VERBAND_OF, POPULATION.drop("07131002"))
    assert made.empty and notes["no_population_weight"] == 1


def test_indicators_without_the_level_are_not_aggregated():
    made, _ = verband_values(_obs("bb_biz_wired_50", {"07131001": 40.0, "07131002": 80.0}), VERBAND_OF, POPULATION)
    assert made.empty  # business sites: rule none, no weights published


# --- the warehouse built from the real kit ----------------------------------------------------------


def test_every_gemeinde_lies_in_exactly_one_verband(warehouse):
    r = warehouse.table("regions")
    verband = r[r["level"] == "verband"]
    gem = r[r["level"] == "gemeinde"]
    assert len(verband) == 4605 and verband["region_id"].str.fullmatch(r"\d{9}").all()
    assert gem["verband_id"].notna().all() and set(gem["verband_id"]) == set(verband["region_id"])
    assert (gem["verband_id"] == gem["ars"].str[:9]).all()
    assert (verband["kreis_id"] == verband["region_id"].str[:5]).all()
    assert (gem["verband_id"].str[:5] == gem["kreis_id"]).all()
    # 3,395 units are a single Gemeinde (Einheitsgemeinde and the like).
    members = gem["verband_id"].value_counts()
    assert (members == 1).sum() == 3395 and members.max() == 71


def test_verband_areas_add_up_to_their_kreise_and_gemeinden(warehouse):
    r = warehouse.table("regions")
    kreise = r[r["level"] == "kreis"].set_index("region_id")["area_km2"]
    by_kreis = r[r["level"] == "verband"].groupby("kreis_id")["area_km2"].sum()
    assert ((by_kreis - kreise).abs() / kreise).max() < 1e-4
    by_verband = r[r["level"] == "gemeinde"].groupby("verband_id")["area_km2"].sum()
    verband = r[r["level"] == "verband"].set_index("region_id")["area_km2"]
    assert ((by_verband - verband).abs() / verband).max() < 1e-3


def test_verband_map_shapes_are_a_valid_coverage(warehouse):
    shapes = warehouse.shapes("verband", "map")
    assert len(shapes) == 4605
    geoms = shapes.geometry.values
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    assert shapely.coverage_is_valid(geoms)
    n = warehouse.sql("SELECT count(DISTINCT region_id) n FROM region_neighbours WHERE level = 'verband'")["n"].item()
    assert n > 4500  # islands (Helgoland, Pellworm …) have no neighbour


def test_verband_values_and_peer_attributes(warehouse):
    # Population: the sum of the Gemeinden, where every Gemeinde has one (31.12.2017).
    pop = warehouse.sql("""
        SELECT r.verband_id, sum(o.value) s, count(*) n FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = 'population' AND o.period = DATE '2017-12-31' AND r.level = 'gemeinde' GROUP BY 1""").set_index("verband_id")
    verband = warehouse.sql("SELECT region_id, population, population_date, population_class, peer_type FROM regions WHERE level = 'verband'").set_index("region_id")
    have = verband[verband["population"].notna()]
    assert len(have) == 4473 and (have["population_date"].astype(str) == "2017-12-31").all()
    assert (have["population"] == pop.loc[have.index, "s"].round().astype("int64")).all()
    # The other 132 each have a Gemeinde without a population (a key new since 2017): no partial sum.
    gem = warehouse.sql("SELECT verband_id, population FROM regions WHERE level = 'gemeinde'")
    lacking = set(gem.loc[gem["population"].isna(), "verband_id"])
    assert set(verband.index[verband["population"].isna()]) == lacking
    assert have["population_class"].notna().all()
    assert "Einheitsgemeinde" in set(verband["peer_type"]) and "Amtsfreie Gemeinde" not in set(verband["peer_type"])
    # Broadband shares reach the level (weighted by population where a Verband has several Gemeinden).
    n = warehouse.sql("""
        SELECT count(DISTINCT o.region_id) n FROM observations o JOIN regions r USING (region_id)
        WHERE r.level = 'verband' AND o.indicator_id = 'bb_hh_all_50' AND o.period = DATE '2021-06-30' AND o.value IS NOT NULL""")["n"].item()
    assert n > 4000


# --- the app ----------------------------------------------------------------------------------------

VG_ALTENAHR = "071315002"  # Verbandsgemeinde Altenahr (12 Ortsgemeinden, Landkreis Ahrweiler)


def test_map_offers_the_level_and_draws_every_verband(open_app):
    at = open_app(level="verband", ind="bb_hh_all_50")
    (box,) = [s for s in at.selectbox if s.key == "karte.level"]
    assert box.value == "verband" and "Gemeindeverbände" in box.options
    data = map_data(at)
    assert len(data["val"]) == 4605
    assert sum(v is not None for v in data["val"]) > 4000


def test_steckbrief_of_a_verbandsgemeinde(open_app, warehouse):
    at = open_app("views/steckbrief.py", region=VG_ALTENAHR)
    assert at.selectbox[0].value == VG_ALTENAHR
    text = "\n".join(e.value for kind in ("title", "header", "subheader", "markdown", "caption") for e in getattr(at, kind))
    assert "Altenahr" in text and "Verbandsgemeinde" in text and "Ahrweiler" in text
    # The English label of the level.
    at_en = open_app("views/steckbrief.py", region=VG_ALTENAHR, lang="en")
    assert not at_en.exception
    # A Gemeinde of it lists the Verband among the regions that hold its figures.
    from dashboard import region_profile

    regions = warehouse.table("regions").set_index("region_id", drop=False)
    member = regions[(regions["verband_id"] == VG_ALTENAHR) & (regions["level"] == "gemeinde")].index[0]
    assert region_profile.ancestors(member, regions) == [VG_ALTENAHR, "07131", "07"]
    # A Gemeinde that is a Verband of its own does not list itself twice.
    assert region_profile.ancestors("07131007", regions) == ["07131", "07"]


def test_vergleich_groups_a_verbandsgemeinde_with_its_peers(open_app, warehouse):
    from dashboard.peers import peer_group

    at = open_app("views/vergleich.py", regions=VG_ALTENAHR, peers="type,size", ind="bb_hh_all_50", topic="broadband")
    ranking = at.dataframe[0].value
    regions = warehouse.table("regions").set_index("region_id", drop=False)
    group = peer_group(regions, VG_ALTENAHR)
    assert set(ranking["Schlüssel"]) == {VG_ALTENAHR, *group.ids}
    assert (regions.loc[list(group.ids), "peer_type"] == "Verbandsgemeinde").all()


def test_trends_of_a_verband_and_its_gemeinden(open_app):
    at = open_app("views/trends.py", regions=f"{VG_ALTENAHR},07131007", ind="bb_hh_all_50", topic="broadband", ctx="bund,land")
    assert at.query_params["regions"] == f"{VG_ALTENAHR},07131007"
    assert at.get("plotly_chart")


def test_gazetteer_names_the_verband_and_lists_it_after_the_gemeinde():
    from etl import gazetteer

    from fixture_rows import region

    def row(rid, level, name, typ, kreis=None, verband=None):
        return region(rid, level, name, typ, "07", kreis, verband=verband)

    regions = pd.DataFrame([
        row("07", "land", "Rheinland-Pfalz", "Land"),
        row("07131", "kreis", "Ahrweiler", "Landkreis", "07131"),
        row("071315002", "verband", "Altenahr", "Verbandsgemeinde", "07131", "071315002"),
        row("07131003", "gemeinde", "Altenahr", "Ortsgemeinde", "07131", "071315002"),
        row("07131001", "gemeinde", "Ahrbrück", "Ortsgemeinde", "07131", "071315002"),
        row("071310007", "verband", "Bad Neuenahr-Ahrweiler", "Verbandsfreie Gemeinde", "07131", "071310007"),
        row("07131007", "gemeinde", "Bad Neuenahr-Ahrweiler", "Stadt", "07131", "071310007"),
    ])
    labels = gazetteer.labels(regions)
    assert labels["07131001"] == "Ahrbrück (Ortsgemeinde, Verbandsgemeinde Altenahr, Landkreis Ahrweiler, Rheinland-Pfalz; 07131001)"
    assert labels["071315002"] == "Altenahr (Verbandsgemeinde, Landkreis Ahrweiler, Rheinland-Pfalz; 071315002)"
    # A Verband of one Gemeinde is not named in that Gemeinde's label.
    assert labels["07131007"] == "Bad Neuenahr-Ahrweiler (Stadt, Landkreis Ahrweiler, Rheinland-Pfalz; 07131007)"
    hits = gazetteer.search(gazetteer.search_index(regions), "Altenahr")
    assert hits["region_id"].tolist()[:2] == ["07131003", "071315002"]
    # The 9-digit key, and the key with its lost leading zero.
    assert gazetteer.search(gazetteer.search_index(regions), "71315002")["region_id"].tolist()[0] == "071315002"


# --- invariant ------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(0, 1000))), min_size=1, max_size=25))
def test_a_verband_count_is_the_sum_of_all_its_gemeinden_or_nothing(members):
    """Gemeinden in up to five Verbände, some without a value: every value made is
    the full sum of its Verband, and a Verband with a Gemeinde lacking a value gets none."""
    gem = [f"0713{i:04d}" for i in range(len(members))]
    verband_of = pd.Series({g: f"07131500{v}" for g, (v, _) in zip(gem, members)})
    valued = {g: float(x) for g, (_, x) in zip(gem, members) if x is not None}
    made, _ = verband_values(_obs(COUNT, valued), verband_of, None)
    made = made.set_index("region_id")["value"] if len(made) else pd.Series(dtype=float)
    for verband, parts in verband_of.groupby(verband_of):
        if all(g in valued for g in parts.index):
            assert made[verband] == sum(valued[g] for g in parts.index)
        else:
            assert verband not in made.index
