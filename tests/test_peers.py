"""Peer groups: one rule for every page (dashboard.peers), its attributes built
once by the ETL (regions.peer_type, regions.population_class, the
region_neighbours table), and the same group for the same region everywhere."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import peers
from etl.geometry import compute_neighbours
from etl.transform.region_attributes import peer_types, region_neighbours

# A few real keys with invented attributes.
REGIONS = pd.DataFrame(
    [
        ("DG", "bund", "Deutschland", "Bundesrepublik", None, None),
        ("09", "land", "Bayern", "Freistaat", "09", "≥ 10 Mio."),
        ("05", "land", "Nordrhein-Westfalen", "Land", "05", "≥ 10 Mio."),
        ("11", "land", "Berlin", "Land", "11", "2–5 Mio."),
        ("02", "land", "Hamburg", "Freie und Hansestadt", "02", "< 2 Mio."),
        ("04", "land", "Bremen", "Freie Hansestadt", "04", "< 2 Mio."),
        ("09162", "kreis", "München", "Kreisfreie Stadt", "09", "≥ 500.000"),
        ("09184", "kreis", "München", "Landkreis", "09", "300.000–500.000"),
        ("09179", "kreis", "Fürstenfeldbruck", "Landkreis", "09", "200.000–300.000"),
        ("09174", "kreis", "Dachau", "Landkreis", "09", "100.000–200.000"),
        ("05117", "kreis", "Mülheim an der Ruhr", "Kreisfreie Stadt", "05", "100.000–200.000"),
        ("05315", "kreis", "Köln", "Kreisfreie Stadt", "05", "≥ 500.000"),
        ("08111", "kreis", "Stuttgart", "Stadtkreis", "08", "≥ 500.000"),
        ("05158", "kreis", "Mettmann", "Kreis", "05", "300.000–500.000"),
        ("09162000", "gemeinde", "München", "Stadt", "09", "≥ 500.000"),
        ("09184119", "gemeinde", "Unterschleißheim", "Stadt", "09", "20.000–50.000"),
        ("09184147", "gemeinde", "Garching b.München", "Stadt", "09", "5.000–20.000"),
    ],
    columns=["region_id", "level", "name", "type", "land_id", "population_class"],
)
REGIONS["peer_type"] = peer_types(REGIONS)
REGIONS = REGIONS.set_index("region_id", drop=False)


def ids(region_id, criteria, **kw):
    return peers.peer_group(REGIONS, region_id, criteria, relax=False, **kw).ids


def test_peer_types_harmonise_the_bez_of_kreise_and_split_city_states():
    kinds = REGIONS["peer_type"]
    assert kinds["08111"] == "Kreisfreie Stadt" and kinds["05158"] == "Landkreis"
    assert kinds["11"] == kinds["02"] == kinds["04"] == "Stadtstaat" and kinds["09"] == "Flächenland"
    assert kinds["09162000"] == "Stadt" and kinds["DG"] == "Bund"


def test_each_criterion_and_their_combination():
    assert ids("09162", ("type",)) == ("05117", "05315", "08111")  # Stuttgart's Stadtkreis is a kreisfreie Stadt
    assert ids("09162", ("land",)) == ("09174", "09179", "09184")
    assert ids("09162", ("size",)) == ("05315", "08111")
    assert ids("09162", ("type", "size")) == ("05315", "08111")
    assert ids("09184", ("type", "size")) == ("05158",)  # NRW's "Kreis" is a Landkreis
    assert ids("09162", ("type", "land")) == ()
    assert ids("09162000", ("type",)) == ("09184119", "09184147")
    # The whole level: no criterion.
    assert len(ids("09162", ())) == 7


def test_criteria_the_anchor_lacks_are_left_out_and_said():
    group = peers.peer_group(REGIONS, "09", ("type", "land"), relax=False)
    assert group.criteria == ("type",) and group.ids == ("05",)
    no_class = REGIONS.assign(population_class=None)
    group = peers.peer_group(no_class, "09162", ("type", "size"), relax=False)
    assert group.criteria == ("type",) and group.size_class is None


def test_neighbours():
    pairs = pd.DataFrame({"region_id": ["09162", "09162", "09184"], "neighbour_id": ["09184", "09179", "09162"]})
    assert ids("09162", ("neighbours",), neighbours=pairs) == ("09179", "09184")
    assert ids("05315", ("neighbours",), neighbours=pairs) == ()
    assert ids("09162", ("neighbours", "type"), neighbours=pairs) == ()


def test_the_default_group_widens_from_the_end_and_says_so():
    group = peers.peer_group(REGIONS, "09162", min_peers=3)  # type + size: 2 peers, fewer than 3
    assert group.asked == ("type", "size") and group.criteria == ("type",) and group.relaxed
    assert group.ids == ("05117", "05315", "08111")
    whole = peers.peer_group(REGIONS, "09162")  # fewer than 5 of the same type too: the whole level
    assert whole.criteria == () and len(whole.ids) == 7
    group = peers.peer_group(REGIONS, "09162", min_peers=2)
    assert group.criteria == ("type", "size") and not group.relaxed and group.size_class == "≥ 500.000"
    # City states: enough with two (the Länder minimum).
    berlin = peers.peer_group(REGIONS, "11")
    assert berlin.ids == ("02", "04") and berlin.kind == "Stadtstaat"


def test_the_used_criteria_rebuild_the_same_group_without_relaxing():
    for rid in ("09162", "09184", "09162000", "11"):
        group = peers.peer_group(REGIONS, rid)
        again = peers.peer_group(REGIONS, rid, group.criteria, relax=False)
        assert again.ids == group.ids


def _grid() -> gpd.GeoDataFrame:
    """A 3×3 grid of unit squares (ids r{row}c{col}) and a separate island."""
    rows = [(f"r{r}c{c}", box(c, r, c + 1, r + 1)) for r in range(3) for c in range(3)]
    rows.append(("island", box(10, 10, 11, 11)))
    return gpd.GeoDataFrame({"region_id": [r for r, _ in rows]}, geometry=[g for _, g in rows], crs=4326)


def test_compute_neighbours_shared_border_only():
    pairs = compute_neighbours(_grid())
    of = lambda rid: sorted(pairs.loc[pairs["region_id"] == rid, "neighbour_id"])  # noqa: E731
    # The centre shares a border with four squares; the diagonal ones meet it in a point only.
    assert of("r1c1") == ["r0c1", "r1c0", "r1c2", "r2c1"]
    assert of("r0c0") == ["r0c1", "r1c0"]
    assert of("island") == []
    forward = set(zip(pairs["region_id"], pairs["neighbour_id"]))
    assert forward == {(b, a) for a, b in forward}
    assert not any(a == b for a, b in forward)
    assert len(pairs) == 2 * 12
    assert compute_neighbours(gpd.GeoDataFrame({"region_id": []}, geometry=[], crs=4326)).empty


def test_region_neighbours_per_level_from_the_map_shapes_only():
    grid = _grid()
    shapes = pd.concat(
        [grid.assign(level="kreis", resolution="map"), grid.assign(level="kreis", resolution="full"), grid.iloc[:2].assign(level="bund", resolution="map")],
        ignore_index=True,
    )
    pairs = region_neighbours(shapes)
    assert set(pairs["level"]) == {"kreis"} and len(pairs) == 24


# ---------------------------------------------------------------- the real build


@pytest.fixture(scope="module")
def kit(warehouse):
    regions = warehouse.table("regions").set_index("region_id", drop=False)
    pairs = warehouse.table("region_neighbours")
    return regions, pairs


def test_neighbours_of_laender_and_kreise_on_the_kit(kit):
    regions, pairs = kit
    of = lambda rid: set(pairs.loc[pairs["region_id"] == rid, "neighbour_id"])  # noqa: E731
    assert of("11") == {"12"}  # Berlin lies inside Brandenburg
    assert of("02") == {"01", "03"}  # Hamburg: Schleswig-Holstein and Niedersachsen
    assert of("04") == {"03"}  # Bremen (both parts) inside Niedersachsen
    assert of("09") == {"06", "08", "14", "16"}  # Bayern: Hessen, Baden-Württemberg, Sachsen, Thüringen
    kreise = set(regions.index[regions["level"] == "kreis"])
    kreis_pairs = pairs[pairs["level"] == "kreis"]
    assert set(kreis_pairs["region_id"]) == kreise  # every Kreis has a neighbour
    assert {"09184", "09174", "09179"} <= of("09162")  # München: Landkreis München, Dachau, Fürstenfeldbruck
    assert of("03159") >= {"03153", "03155"}  # Landkreis Göttingen (2016): Goslar, Northeim
    assert set(pairs[pairs["level"] == "gemeinde"]["region_id"]) <= set(regions.index[regions["level"] == "gemeinde"])


def test_landkreis_goettingen_has_the_same_group_on_every_page(kit):
    """The issue's example: the Steckbrief's group (Landkreis, 300,000–500,000)
    is what the Vergleich link rebuilds; Bonn and Karlsruhe are not in it."""
    regions, _ = kit
    group = peers.peer_group(regions, "03159")
    assert group.criteria == ("type", "size") and group.kind == "Landkreis" and group.size_class == "300.000–500.000"
    assert len(group.ids) == 33
    assert "05314" not in group.ids and "08212" not in group.ids
    assert peers.peer_group(regions, "03159", group.criteria, relax=False).ids == group.ids
