"""Regions and shapes from BKG VG5000 (status 2021-01-01), checked on the real kit."""

from __future__ import annotations

import shapely

from etl.catalogue import GERMANY_ID


def test_region_counts_per_level(warehouse):
    counts = dict(warehouse.sql("SELECT level, count(*) n FROM regions GROUP BY level").itertuples(index=False))
    assert counts == {"bund": 1, "land": 16, "rbz": 19, "kreis": 401, "verband": 4605, "gemeinde": 10997}


def test_keys_are_zero_padded_strings_with_consistent_parents(warehouse):
    r = warehouse.table("regions")
    lengths = {"land": 2, "rbz": 3, "kreis": 5, "verband": 9, "gemeinde": 8}
    for level, n in lengths.items():
        ids = r.loc[r["level"] == level, "region_id"]
        assert ids.str.fullmatch(rf"\d{{{n}}}").all(), level
    assert r.loc[r["level"] == "bund", "region_id"].tolist() == [GERMANY_ID]
    gem = r[r["level"] == "gemeinde"]
    assert (gem["kreis_id"] == gem["region_id"].str[:5]).all()
    assert set(gem["kreis_id"]) <= set(r.loc[r["level"] == "kreis", "region_id"])
    assert (gem["land_id"] == gem["region_id"].str[:2]).all()
    # Flensburg keeps its leading zero.
    assert r.loc[r["region_id"] == "01001", "name"].item() == "Flensburg"


def test_areas_add_up_across_levels(warehouse):
    sums = dict(warehouse.sql("SELECT level, sum(area_km2) FROM regions WHERE level <> 'rbz' GROUP BY level").itertuples(index=False))
    germany = sums["bund"]
    assert 357_000 < germany < 358_000  # Germany's land area, km²
    for level in ("land", "kreis", "verband", "gemeinde"):
        assert abs(sums[level] - germany) / germany < 1e-4, level


def test_water_parts_of_laender_are_not_regions(warehouse):
    names = warehouse.sql("SELECT name FROM regions WHERE level='land'")["name"]
    assert names.is_unique and len(names) == 16


def test_map_shapes_tile_without_gaps_or_overlaps(warehouse):
    for level in ("kreis", "verband", "gemeinde"):
        shapes = warehouse.shapes(level, "map")
        assert len(shapes) == {"kreis": 401, "verband": 4605, "gemeinde": 10997}[level]
        geoms = shapes.geometry.values
        assert shapely.is_valid(geoms).all()
        assert not shapely.is_empty(geoms).any(), "a unit vanished in simplification"
        # A valid coverage: no overlaps, shared edges identical (no slivers).
        assert not shapely.coverage_invalid_edges(geoms).any() if hasattr(shapely, "coverage_invalid_edges") else True
        assert shapely.coverage_is_valid(geoms)
        full = warehouse.shapes(level, "full")
        union_map = shapely.union_all(geoms).area
        union_full = shapely.union_all(full.geometry.values).area
        assert abs(union_map - union_full) / union_full < 0.01


def test_map_shapes_are_much_smaller_than_full(warehouse):
    for level in ("kreis", "verband", "gemeinde"):
        n_map = shapely.get_num_coordinates(warehouse.shapes(level, "map").geometry.values).sum()
        n_full = shapely.get_num_coordinates(warehouse.shapes(level, "full").geometry.values).sum()
        assert n_map < 0.7 * n_full, level
