"""Peer-group attributes of the regions: urban–rural type from GISCO NUTS 2024,
DEGURBA from the Gemeindeverzeichnis 2017, latest population and size classes;
bad input; end-to-end checks on the real kit."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pandas as pd
import pytest
from conftest import FIXTURES, make_context
from shapely.geometry import box
from test_population import GEMEINDEN_DIR, fixture_regions

from etl.errors import InputError
from etl.transform import region_attributes
from etl.transform.region_attributes import (
    CLASSES,
    GISCO_FILE,
    GISCO_LAYER,
    classify_population,
    latest_population,
    match_degurba,
    match_urban_rural,
    read_nuts3,
)

GISCO_DIR = FIXTURES / "gisco_nuts_2024"


def _raw_dir(tmp_path):
    raw = tmp_path / "raw"
    for fixture_dir in (GISCO_DIR, GEMEINDEN_DIR):
        shutil.copytree(fixture_dir, raw, dirs_exist_ok=True)
    return raw


def _observations(*rows):
    frame = pd.DataFrame(rows, columns=["region_id", "period", "value"])
    return frame.assign(indicator_id="population", period=pd.to_datetime(frame["period"]).dt.date)


# --- classes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "level", "label"),
    [
        (4_999, "gemeinde", "< 5.000"),
        (5_000, "gemeinde", "5.000–20.000"),
        (99_999, "gemeinde", "50.000–100.000"),
        (500_000, "gemeinde", "≥ 500.000"),
        (99_999, "kreis", "< 100.000"),
        (100_000, "kreis", "100.000–200.000"),
        (3_644_826, "kreis", "≥ 500.000"),
        (1_841_179, "land", "< 2 Mio."),
        (17_932_651, "land", "≥ 10 Mio."),
        (5_202_321, "rbz", "5–10 Mio."),
        (83_019_213, "bund", None),
        (None, "kreis", None),
    ],
)
def test_population_classes_have_fixed_breaks_with_lower_bound_included(population, level, label):
    assert classify_population(population, level) == label


def test_every_class_label_is_reachable_and_ordered():
    for level, classes in CLASSES.items():
        uppers = [u for u, _ in classes]
        assert uppers == sorted(uppers) and uppers[-1] == float("inf"), level
        for i, (upper, label) in enumerate(classes):
            lower = 0 if i == 0 else classes[i - 1][0]
            assert classify_population(lower, level) == label


# --- urban–rural type ----------------------------------------------------------------------------------------


def test_urban_rural_type_by_code_by_name_and_for_eisenach(tmp_path):
    ctx = make_context(_raw_dir(tmp_path), fixture_regions())
    nuts3 = read_nuts3(ctx)
    assert set(nuts3["CNTR_CODE"]) == {"DE"} and set(nuts3["LEVL_CODE"]) == {3}
    types = match_urban_rural(ctx, ctx.regions, nuts3)
    assert types["01001"] == 2 and types["02000"] == 1 and types["01051"] == 3
    # VG5000 has DEG0P for the Wartburgkreis, NUTS 2024 recoded it DEG0R: matched by name.
    assert types["16063"] == 3
    assert ctx.notes["region_attributes"]["urban_rural_type_matched_by_name"] == {"16063": "DEG0P → DEG0R"}
    # Eisenach has no NUTS 2024 region of its own: the Wartburgkreis' type, with a note.
    assert types["16056"] == 3 and "16056" in ctx.notes["region_attributes"]["urban_rural_type_16056"]
    q = ctx.quarantine.to_frame()
    kiel = q[q["value"] == "DEF02"]
    assert len(kiel) == 1 and "matches no Kreis" in kiel.iloc[0]["reason"] and kiel.iloc[0]["file"] == GISCO_FILE


def test_kreis_without_nuts3_is_quarantined(tmp_path):
    regions = fixture_regions()
    regions.loc[regions["region_id"] == "14522", ["nuts_id", "name"]] = ["DED99", "Nirgendwo"]
    ctx = make_context(_raw_dir(tmp_path), regions)
    types = match_urban_rural(ctx, regions, read_nuts3(ctx))
    assert "14522" not in types.index
    q = ctx.quarantine.to_frame()
    assert q["reason"].str.contains("Kreis 14522 matches no NUTS 3 region").any()


def test_gisco_without_urbn_type_or_layer_is_refused(tmp_path):
    raw = _raw_dir(tmp_path)
    path = raw / GISCO_FILE
    frame = gpd.read_file(path, layer=GISCO_LAYER).drop(columns=["URBN_TYPE"])
    path.unlink()
    frame.to_file(path, layer=GISCO_LAYER, driver="GPKG")
    ctx = make_context(raw, fixture_regions())
    with pytest.raises(InputError) as err:
        read_nuts3(ctx)
    assert err.value.column == "URBN_TYPE" and err.value.file == GISCO_FILE
    path.unlink()
    gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path, layer="other", driver="GPKG")
    with pytest.raises(InputError, match="nuts_2024"):
        read_nuts3(ctx)


# --- DEGURBA ----------------------------------------------------------------------------------------------------


def test_degurba_by_ags_and_unmatched_rows_in_quarantine(tmp_path):
    ctx = make_context(_raw_dir(tmp_path), fixture_regions())
    degurba = match_degurba(ctx, ctx.regions)
    assert degurba["01001000"] == 1 and degurba["01051011"] == 2 and degurba["16063004"] == 3
    q = ctx.quarantine.to_frame()
    # Tiefenort (16063075) merged into Bad Salzungen after 2017; Amt Creuzburg (16063104) was created in 2019.
    tiefenort = q[q["value"].str.startswith("16063075", na=False)]
    assert len(tiefenort) == 1 and "not in the territorial status 2021-01-01" in tiefenort.iloc[0]["reason"]
    assert tiefenort.iloc[0]["line"] == 49 and tiefenort.iloc[0]["column"] == "Grad der Verstädterung Schlüssel"
    assert q["reason"].str.contains("Gemeinde 16063104 of the 2021 status has no record").any()
    assert "16063104" not in degurba.index


# --- population ------------------------------------------------------------------------------------------------


def test_latest_population_per_region_and_rbz_as_sum_of_kreise():
    regions = fixture_regions()
    ctx = make_context(FIXTURES, regions)
    ctx.tables["observations"] = _observations(
        ("05154", "2016-12-31", 310000.0),
        ("05154", "2018-12-31", 310974.0),
        ("01001000", "2017-12-31", 88519.0),
        ("01001000", "2005-12-31", 86080.0),
        ("02", "2018-12-31", None),  # a flagged row without value does not count
        ("02", "2017-12-31", 1830584.0),
    )
    latest = latest_population(ctx, regions).set_index("region_id")
    assert latest.loc["05154", "population"] == 310974 and latest.loc["05154", "population_date"] == pd.Timestamp("2018-12-31")
    assert latest.loc["01001000", "population_date"] == pd.Timestamp("2017-12-31")
    assert latest.loc["02", "population"] == 1830584
    # Regierungsbezirk Düsseldorf: the sum of its Kreise in the frame (only Kleve here).
    assert latest.loc["051", "population"] == 310974


def test_run_fills_every_attribute_and_gemeinden_inherit_their_kreis_type(tmp_path):
    regions = fixture_regions()
    ctx = make_context(_raw_dir(tmp_path), regions)
    ctx.tables["observations"] = _observations(
        ("DG", "2018-12-31", 83019213.0), ("02000", "2018-12-31", 1841179.0), ("01001000", "2017-12-31", 88519.0),
        ("16063004", "2017-12-31", 3290.0),
    )
    out = region_attributes.run(ctx)["regions"].set_index("region_id")
    assert out.loc["16063004", "urban_rural_type"] == out.loc["16063", "urban_rural_type"] == 3
    assert pd.isna(out.loc["16", "urban_rural_type"]) and pd.isna(out.loc["16063", "degurba"])
    assert out.loc["02000", "population_class"] == "≥ 500.000"
    assert out.loc["01001000", "population_class"] == "50.000–100.000"
    assert pd.isna(out.loc["DG", "population_class"]) and out.loc["DG", "population"] == 83019213
    assert str(out["population"].dtype) == "Int64" and str(out["degurba"].dtype) == "Int64"
    q = ctx.quarantine.to_frame()
    assert q["reason"].str.contains("gemeinde 16063076 has no population observation").any()


def test_without_observations_population_stays_empty(tmp_path):
    ctx = make_context(_raw_dir(tmp_path), fixture_regions())
    out = region_attributes.run(ctx)["regions"]
    assert out["population"].isna().all() and out["urban_rural_type"].notna().any()


# --- end to end on the real kit ----------------------------------------------------------------------------------


def test_every_kreis_has_an_urban_rural_type(warehouse):
    kreise = warehouse.sql("SELECT region_id, urban_rural_type FROM regions WHERE level = 'kreis'")
    assert len(kreise) == 401 and kreise["urban_rural_type"].notna().all()
    assert set(kreise["urban_rural_type"]) == {1, 2, 3}
    eisenach = kreise.set_index("region_id")["urban_rural_type"]
    assert eisenach["16056"] == eisenach["16063"]


def test_degurba_for_almost_every_gemeinde(warehouse):
    counts = warehouse.sql("SELECT count(*) AS n, count(degurba) AS d, count(urban_rural_type) AS u FROM regions WHERE level = 'gemeinde'").iloc[0]
    assert counts["d"] / counts["n"] > 0.97 and counts["u"] == counts["n"]
    missing = counts["n"] - counts["d"]
    reasons = warehouse.sql("SELECT count(*) AS n FROM quarantine WHERE target_table = 'regions' AND reason LIKE '%has no record in the Gemeindeverzeichnis 2017%'")
    assert reasons["n"].iloc[0] == missing


def test_population_attributes_match_the_latest_observations(warehouse):
    regions = warehouse.sql("SELECT region_id, level, population, population_date, population_class FROM regions").set_index("region_id")
    kreise = regions[regions["level"] == "kreis"]
    assert kreise["population"].notna().all() and (kreise["population_date"].astype(str) == "2018-12-31").all()
    assert kreise["population_class"].notna().all()
    assert kreise["population"].sum() == regions.loc["DG", "population"]
    laender = regions[regions["level"] == "land"]
    assert laender["population"].sum() == regions.loc["DG", "population"]
    gemeinden = regions[regions["level"] == "gemeinde"]
    assert set(gemeinden["population_date"].dropna().astype(str)) == {"2017-12-31"}
    assert gemeinden["population"].notna().mean() > 0.97
