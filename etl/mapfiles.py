"""The map files of each level, made once by the build from the map layer.

Two files per level go into the warehouse's ``maps/`` folder, named after the
level; the app publishes them unchanged as static files (``dashboard.data``)
and the browser fetches each once:

- ``<level>.map.json``: the canvas map's shapes (``dashboard/mapview``),
  projected to ETRS89-LAEA (EPSG:3035, equal-area, the projection of EU
  statistical maps), quantised to a 100 m grid and delta-encoded, with the
  region ids in the file's order (each rerun sends values in that order);
- ``<level>.geo.json``: a GeoJSON FeatureCollection (id = region_id,
  ``properties.n`` = name, coordinates rounded to 1e-3°), for the plotly maps
  of the other pages and their exports.

The Karte page's exports draw the canvas file too (``svg_paths``): one SVG path
per class instead of a plotly trace per region.

Neighbours share their border vertices in the map layer (a coverage); the same
coordinates round to the same units, so shared borders stay shared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

# Metres per unit of the canvas file: a tenth of the simplification tolerance
# (2 km), far below a pixel of a Germany map (about 1.2 km).
QUANTUM_M = 100.0
PROJECTION = "EPSG:3035"
# Decimals of a degree in the GeoJSON files: 1e-3° is 70–110 m in Germany,
# below a pixel of a Germany map; the warehouse keeps 1e-4 (a valid coverage).
GEOJSON_DECIMALS = 3
FOLDER = "maps"
LEVELS = ("land", "rbz", "kreis", "verband", "gemeinde")


def canvas_file(shapes, names: pd.Series) -> dict:
    """The canvas map file of one level from its shapes (a GeoDataFrame in any
    CRS with ``region_id``): ``ids``, ``names``, ``width``/``height`` in units
    and, per region, rings as ``[x0, y0, dx1, dy1, …]`` in units from the
    top-left corner (y grows downwards, as on a screen)."""
    projected = shapes.to_crs(PROJECTION)
    minx, miny, maxx, maxy = projected.total_bounds
    out = []
    for geom in projected.geometry.values:
        rings = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)[:-1]  # the closing point is implied
                q = np.column_stack([(xy[:, 0] - minx) / QUANTUM_M, (maxy - xy[:, 1]) / QUANTUM_M])
                q = np.round(q).astype(np.int64)
                rings.append(np.vstack([q[:1], np.diff(q, axis=0)]).ravel().tolist())
        out.append(rings)
    ids = projected["region_id"].tolist()
    return {
        "ids": ids,
        "names": [str(names.get(rid, rid)) for rid in ids],
        "width": round((maxx - minx) / QUANTUM_M),  # the largest x of any vertex
        "height": round((maxy - miny) / QUANTUM_M),
        "projection": PROJECTION,
        "quantum_m": QUANTUM_M,
        "shapes": out,
    }


@dataclass(frozen=True)
class MapPaths:
    """The shapes of a canvas map file as SVG paths: ``paths`` by region id,
    in the file's units (``width`` × ``height``, y downwards)."""

    paths: dict[str, str]
    width: int
    height: int


def svg_paths(canvas: dict) -> MapPaths:
    """Each region's rings of a canvas map file (``canvas_file``) as one SVG
    path of absolute moves and lines (``M x,y L x,y … Z`` per ring), to be
    filled with the even-odd rule (holes stay holes)."""
    paths = {}
    for rid, rings in zip(canvas["ids"], canvas["shapes"]):
        parts = []
        for ring in rings:
            xy = np.cumsum(np.asarray(ring, dtype=np.int64).reshape(-1, 2), axis=0)
            parts.append("M" + "L".join(f"{x},{y}" for x, y in xy.tolist()) + "Z")
        paths[rid] = "".join(parts)
    return MapPaths(paths, int(canvas["width"]), int(canvas["height"]))


def geojson(shapes, names: pd.Series) -> dict:
    """The shapes of one level (EPSG:4326) as a GeoJSON FeatureCollection."""
    rounded = shapely.transform(shapes.geometry.values, lambda c: np.round(c, GEOJSON_DECIMALS))
    features = [
        {"type": "Feature", "id": rid, "properties": {"n": str(names.get(rid, rid))}, "geometry": json.loads(geo)}
        for rid, geo in zip(shapes["region_id"], shapely.to_geojson(rounded))
    ]
    return {"type": "FeatureCollection", "features": features}


def subset(geojson: dict, ids) -> dict:
    """Only the features of ``ids`` (exports get their shapes inline: kaleido
    cannot fetch the app's URLs)."""
    wanted = set(ids)
    return {"type": "FeatureCollection", "features": [f for f in geojson["features"] if f.get("id") in wanted]}


def map_files(regions: pd.DataFrame, region_shapes) -> dict[str, bytes]:
    """Every level's two files, by their path in the warehouse (``maps/kreis.map.json`` …)."""
    import geopandas as gpd

    names = regions.set_index("region_id")["name"]
    shapes = region_shapes[region_shapes["resolution"] == "map"]
    if not isinstance(shapes, gpd.GeoDataFrame):
        shapes = gpd.GeoDataFrame(shapes, geometry="geometry", crs=4326)
    files: dict[str, bytes] = {}
    for level in LEVELS:
        part = shapes[shapes["level"] == level].sort_values("region_id")
        if part.empty:
            continue
        for kind, content in (("map", canvas_file(part, names)), ("geo", geojson(part, names))):
            files[f"{FOLDER}/{level}.{kind}.json"] = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return files
