"""The canvas map's file format and per-rerun payload (dashboard/mapview)."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard import mapview
from etl import mapfiles


def decode(rings: list[list[int]]) -> list[list[tuple[int, int]]]:
    """Delta-encoded rings back to absolute units (what mapview.js does)."""
    out = []
    for ring in rings:
        x = y = 0
        points = []
        for dx, dy in zip(ring[::2], ring[1::2]):
            x, y = x + dx, y + dy
            points.append((x, y))
        out.append(points)
    return out


@pytest.fixture
def shapes():
    # Metres in EPSG:3035: two neighbours sharing a border, a Gemeinde with an
    # enclave (a hole) and an island, and the enclave itself.
    origin_x, origin_y = 4_000_000.0, 3_000_000.0
    a = box(0, 0, 1000, 1000)
    b = box(1000, 0, 2000, 1000)
    ring = Polygon([(0, 2000), (3000, 2000), (3000, 4000), (0, 4000)], [[(1000, 2500), (1000, 3500), (2000, 3500), (2000, 2500)]])
    island = box(2500, 0, 2900, 400)
    enclave = box(1000, 2500, 2000, 3500)

    def shift(geom):
        from shapely import affinity

        return affinity.translate(geom, origin_x, origin_y)

    frame = gpd.GeoDataFrame(
        {"region_id": ["01001", "01002", "01003", "01004"]},
        geometry=[shift(a), shift(b), shift(MultiPolygon([ring, island])), shift(enclave)],
        crs="EPSG:3035",
    )
    return frame


def test_the_file_is_quantised_flipped_and_keeps_shared_borders_shared(shapes):
    names = pd.Series({"01001": "Aach", "01002": "Bach", "01003": "Cach"})
    out = mapfiles.canvas_file(shapes, names)
    assert out["ids"] == ["01001", "01002", "01003", "01004"]
    # A name missing from the regions falls back to the key.
    assert out["names"] == ["Aach", "Bach", "Cach", "01004"]
    assert (out["width"], out["height"]) == (30, 40)  # 3 km × 4 km in 100 m units
    a, b, c, d = (decode(rings) for rings in out["shapes"])
    # y grows downwards: the bottom edge of A (y = 0 m) is at 40 units.
    assert set(a[0]) == {(0, 40), (10, 40), (10, 30), (0, 30)}
    # The border of A and B has the same units in both (no gap, no sliver).
    assert {p for p in a[0] if p[0] == 10} == {p for p in b[0] if p[0] == 10}
    # C: exterior, hole, island; the hole is exactly the enclave D.
    assert len(c) == 3 and len(d) == 1
    assert set(c[1]) == set(d[0])
    # The closing point is implied, not repeated.
    assert all(len(ring) == len(set(ring)) for ring in a + b + c + d)


def test_a_file_in_degrees_is_projected_to_laea(shapes):
    in_degrees = shapes.to_crs("EPSG:4326")
    out = mapfiles.canvas_file(in_degrees, pd.Series(dtype=str))
    # The round trip through degrees moves a vertex by far less than a unit.
    assert (out["width"], out["height"]) == (30, 40)
    assert set(decode(out["shapes"][0])[0]) == {(0, 40), (10, 40), (10, 30), (0, 30)}


def test_the_exports_read_the_file_as_svg_paths(shapes):
    """The Karte page's exports draw the same file: each region's rings as
    absolute SVG moves and lines, the hole of C as a ring of its own."""
    out = mapfiles.svg_paths(mapfiles.canvas_file(shapes, pd.Series(dtype=str)))
    assert (out.width, out.height) == (30, 40)
    a = out.paths["01001"]
    assert a[0] == "M" and a[-1] == "Z" and set(a[1:-1].split("L")) == {"0,40", "0,30", "10,30", "10,40"}
    c, d = out.paths["01003"], out.paths["01004"]
    assert c.count("M") == 3 and c.count("Z") == 3 and d.count("M") == 1
    hole = c.split("Z")[1][1:]  # the second ring of C is the enclave D
    assert set(hole.split("L")) == set(d[1:-1].split("L"))


def _frame():
    return pd.DataFrame(
        {
            "region_id": ["01003", "01001", "01002"],
            "class": [1.0, 0.0, math.nan],
            "value": [75.26, 50.04, math.nan],
            "rank": [1.0, 2.0, math.nan],
            "no_data_text": ["keine Daten", "keine Daten", "keine Daten: nicht berichtet"],
        }
    )


def _payload(frame, ids, **kw):
    return mapview.payload(
        frame, ids, "app/static/maps/x.map.json",
        colours=["#eff3ff", "#084594"], labels=["50,0 – 60,0", "60,0 – 75,3"], no_data_colour="#d9d9d9",
        title="T", source="Quelle: X", unit="%", decimals=1, locale="de-DE", n_ranked=2,
        text={"no_data": "keine Daten", "rank": "Rang"}, **kw,
    )


def test_the_payload_follows_the_files_order_and_marks_missing_regions():
    ids = ["01001", "01002", "01003", "01004"]
    data = _payload(_frame(), ids)
    assert data["cls"] == [0, -1, 1, -1]
    assert data["val"] == [50.0, None, 75.3, None]
    assert data["rank"] == [2, None, 1, None]
    # Only the reasons that differ from plain "no data" are sent.
    assert data["nd"] == {"1": "keine Daten: nicht berichtet"}
    assert data["outline"] is None
    import json

    json.dumps(data, allow_nan=False)  # valid JSON: no NaN reaches the browser


def test_project_outlines_are_sent_as_positions_with_plain_text():
    outlines = pd.DataFrame(
        {"region_id": ["01003", "09999"], "name": ["Cach", "Nowhere"], "projects_text": ["Projekte: 2<br>A &amp; B<br>C", "Projekte: 1<br>D"]}
    )
    data = _payload(_frame(), ["01001", "01002", "01003"], outlines=outlines, outline_label="Projekte auf der Karte")
    # A region that is not on the map (here 09999) is left out.
    assert data["outline"] == {"idx": [2], "text": ["Projekte: 2\nA & B\nC"], "label": "Projekte auf der Karte"}


def test_a_selection_follows_the_level_of_the_map():
    kreise = {"09162", "09184"}
    assert mapview.selection_at("09162", kreise) == "09162"
    assert mapview.selection_at("09162000", kreise) == "09162"  # a Gemeinde: its Kreis
    assert mapview.selection_at("09162", {"09", "08"}) == "09"  # a Kreis: its Land
    assert mapview.selection_at("09", kreise) is None  # a Land has no single Kreis
    assert mapview.selection_at("", kreise) is None and mapview.selection_at(None, kreise) is None
    data = _payload(_frame(), ["01001", "01002", "01003"], selected="01003")
    assert data["selected"] == 2
    assert _payload(_frame(), ["01001"], selected="01003")["selected"] is None


def test_the_exported_map_outlines_the_chosen_region_too():
    from dashboard import charts

    frame = _frame().assign(value=[75.3, 50.0, math.nan])
    classes = charts.classify(frame["value"], "equal", 2)
    squares = mapfiles.MapPaths({rid: f"M{x},0L{x + 9},0L{x + 9},9L{x},9Z" for rid, x in (("01001", 0), ("01002", 10), ("01003", 20))}, 30, 10)
    fig = charts.choropleth(frame, squares, classes, ["a", "b"], ["#eff3ff", "#084594"], "keine Daten", "T", "Quelle: X", highlight=("01003", "Cach & Co"))
    assert [tr.name for tr in fig.data] == ["a", "b", "keine Daten", "Cach &amp; Co"]
    outline = fig.layout.shapes[-1]
    assert outline.path == squares.paths["01003"] and outline.line.color == charts.HIGHLIGHT
    # Every class is one path of its regions, filled with its colour; 01002 has no value.
    assert [(s.path, s.fillcolor) for s in fig.layout.shapes[:3]] == [
        (squares.paths["01001"], "#eff3ff"), (squares.paths["01003"], "#084594"), (squares.paths["01002"], charts.NO_DATA_COLOUR)
    ]
    assert all(s.fillrule == "evenodd" for s in fig.layout.shapes)


def test_a_class_without_regions_in_this_period_stays_in_the_legend_and_the_legend_says_why():
    """The Karte page keeps the classes of all periods; in one period a class
    may have no region, and the exported legend still lists every class, under
    the unit and the note that the classes hold for every period."""
    from dashboard import charts

    classes = charts.Classes([0.0, 40.0, 60.0, 100.0], "quantile")
    frame = _frame().assign(value=[95.0, 20.0, math.nan])  # no value between 40 and 60
    frame["class"] = classes.assign(frame["value"])
    labels = ["0 – 40", "40 – 60", "60 – 100"]
    note = "Klassen gleich für alle Zeitpunkte 2010 – Mitte 2021"
    squares = mapfiles.MapPaths({rid: f"M{x},0L{x + 9},0L{x + 9},9L{x},9Z" for rid, x in (("01001", 0), ("01002", 10), ("01003", 20))}, 30, 10)
    fig = charts.choropleth(frame, squares, classes, labels, charts.palette(3), "keine Daten", "T", "Quelle: X", unit="%", legend_title=note)
    assert [tr.name for tr in fig.data if tr.showlegend] == [*labels, "keine Daten"]
    # The empty class is named in the legend and draws nothing: three paths (two classes, no data).
    assert len(fig.layout.shapes) == 3 and charts.palette(3)[1] not in [s.fillcolor for s in fig.layout.shapes]
    assert fig.layout.legend.title.text == f"%<br>{note}"


