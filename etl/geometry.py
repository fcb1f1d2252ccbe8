"""Map shapes, done once in the build.

In: region polygons of one territorial status in a projected CRS (metres).
Out: ``region_shapes`` rows in EPSG:4326 at two resolutions: ``full`` (as
published) and ``map`` (sized for screen maps).

Each level is simplified as a *coverage* (``shapely.coverage_simplify``): every
border shared by two neighbours is simplified once, so the map has no gaps or
slivers between them, however coarse the tolerance. Tiny units keep at least
their published shape: the simplifier never removes a polygon.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

# Tolerance in metres per level (shapely's coverage_simplify: the square root
# of the Visvalingam–Whyatt area threshold): about one screen pixel of a
# Germany map at the zoom where that level is useful.
MAP_TOLERANCE_M = {"bund": 3000.0, "land": 2000.0, "rbz": 2000.0, "kreis": 2000.0, "verband": 2000.0, "gemeinde": 2000.0}
# Coordinates of map shapes are rounded to this many decimals of a degree
# (1e-4° ≈ 7–11 m in Germany, well below the tolerances above).
MAP_DECIMALS = 4


def simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons that tile a surface, keeping shared borders shared."""
    valid = shapely.make_valid(geoms)
    return shapely.coverage_simplify(valid, tolerance, simplify_boundary=True)


def build_shapes(frame: gpd.GeoDataFrame, log: Callable[[str], None] = print) -> gpd.GeoDataFrame:
    """``region_shapes`` for all levels in ``frame`` (columns region_id, level, geometry)."""
    parts = []
    for level, group in frame.groupby("level", sort=False):
        full = group.to_crs(4326)
        parts.append(gpd.GeoDataFrame({"region_id": group["region_id"].values, "level": level, "resolution": "full"}, geometry=full.geometry.values, crs=4326))
        tol = MAP_TOLERANCE_M.get(level, 500.0)
        simplified = simplify_coverage(group.geometry.values, tol)
        mapped = gpd.GeoSeries(simplified, crs=group.crs).to_crs(4326)
        rounded = shapely.set_precision(mapped.values, 10 ** -MAP_DECIMALS)
        before = int(shapely.get_num_coordinates(group.geometry.values).sum())
        after = int(shapely.get_num_coordinates(rounded).sum())
        log(f"shapes: {level}: {len(group)} units, {before} → {after} vertices (tolerance {tol:.0f} m)")
        parts.append(gpd.GeoDataFrame({"region_id": group["region_id"].values, "level": level, "resolution": "map"}, geometry=rounded, crs=4326))
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def compute_neighbours(shapes) -> pd.DataFrame:
    """Pairs of regions that share a border of positive length (both directions).

    ``shapes`` is a GeoDataFrame with region_id and geometry of one level (the
    'map' resolution: a coverage whose shared borders were simplified once, so
    neighbours meet exactly). Candidates come from an R-tree; a pair counts when
    the two boundaries intersect in a line (DE-9IM boundary/boundary of
    dimension 1): regions meeting in a single point are not neighbours.
    """
    cols = ["region_id", "neighbour_id"]
    if shapes is None or len(shapes) == 0:
        return pd.DataFrame(columns=cols, dtype="string")
    geoms = np.asarray(shapes.geometry.values)
    ids = np.asarray(shapes["region_id"], dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return pd.DataFrame(columns=cols, dtype="string")
    shared = shapely.relate_pattern(geoms[a], geoms[b], "****1****")
    a, b = a[shared], b[shared]
    out = pd.DataFrame({"region_id": np.concatenate([ids[a], ids[b]]), "neighbour_id": np.concatenate([ids[b], ids[a]])})
    return out.astype("string").sort_values(cols).reset_index(drop=True)
