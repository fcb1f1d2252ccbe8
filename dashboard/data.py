"""The app's data layer: the only code of the app that touches the warehouse.

Every reader takes the warehouse ``version`` (the version folder the
warehouse link points to, and its manifest's mtime) as its first argument, so
a rebuilt warehouse is picked up on the next rerun without restarting the app,
and nothing is read at import time. A script run keeps the version it started
with to its end: ``_warehouse(v)`` opens exactly the folder named in ``v``
(kept by the next builds as a previous version), never whatever the link
points to by then, so no cache holds a mix of two builds.

Concurrency: every session's script thread shares one ``Warehouse`` object;
each query runs on its own DuckDB cursor (``Warehouse.sql``), so sessions never
share a connection that is busy.

The contract of what is returned: tables and frames are cached as resources,
one object for all sessions and reruns (``st.cache_data`` would unpickle a copy
on every call). They are read-only by contract: pandas' copy-on-write (pandas
≥ 3) makes every frame derived from them (a filter, a column, ``assign``) a
new object, and no caller may assign into a returned frame itself. The test
``test_data_layer_frames_are_shared_and_never_modified`` walks every page and
checks that the cached frames are unchanged afterwards.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from etl import gazetteer, mapfiles, paths
from etl.warehouse import Warehouse, WarehouseMissing

STATIC_DIR = Path(__file__).parent / "static"
MAP_DIR = STATIC_DIR / "maps"
# Streamlit serves dashboard/static/ at /app/static/ (server.enableStaticServing).
STATIC_URL = "app/static"


def version() -> str | None:
    """The current warehouse version (``<version folder>|<manifest mtime>``),
    or None when there is no warehouse. The link is resolved once, here: a
    build switching it a moment later changes the next run's version, not
    this one's."""
    try:
        manifest = paths.manifest_path(paths.warehouse_dir()).resolve(strict=True)
        stat = manifest.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return f"{manifest.parent}|{stat.st_mtime_ns}"


@st.cache_resource(max_entries=2, show_spinner=False)
def _warehouse(version: str) -> Warehouse:
    return Warehouse(Path(version.rsplit("|", 1)[0]))


def warehouse() -> Warehouse | None:
    v = version()
    if v is None:
        return None
    try:
        return _warehouse(v)
    except WarehouseMissing:
        return None


def _wh(v: str) -> Warehouse:
    return _warehouse(v)


@st.cache_resource(max_entries=4, show_spinner=False)
def manifest(v: str) -> dict:
    """The build manifest without the parts read on demand
    (``etl.warehouse.MANIFEST_ON_DEMAND``: the quarantine summary)."""
    return _wh(v).manifest


def full_manifest(v: str) -> dict:
    """The whole build manifest, the quarantine summary included: read from
    disk on each call (about 30 ms) and not cached, for the Quellen page."""
    return _wh(v).read_manifest()


def _keyed(v: str, name: str, key: str) -> pd.DataFrame:
    """A whole catalogue table indexed by its key (the key stays a column too)."""
    return _wh(v).table(name).set_index(key, drop=False)


@st.cache_resource(max_entries=4, show_spinner=False)
def regions(v: str) -> pd.DataFrame:
    return _keyed(v, "regions", "region_id")


@st.cache_resource(max_entries=2, show_spinner=False)
def _search_index(v: str) -> pd.DataFrame:
    return gazetteer.search_index(regions(v))


@st.cache_data(max_entries=256, show_spinner=False)
def search_regions(v: str, query: str) -> pd.DataFrame:
    """The gazetteer's answer to a search box (the same on every page)."""
    return gazetteer.search(_search_index(v), query)


@st.cache_resource(max_entries=2, show_spinner=False)
def region_labels(v: str) -> dict[str, str]:
    """The gazetteer's label of every region, for lists and search boxes."""
    return gazetteer.labels(regions(v))


@st.cache_resource(max_entries=4, show_spinner=False)
def indicators(v: str) -> pd.DataFrame:
    """The catalogue's indicators, in natural order of their keys: the
    thresholds of a series by their number (≥ 1, 2, 6, … 100, 1000 Mbit/s),
    not as text (1, 10, 100, 1000, 16, 2, …), in every page's lists."""
    table = _keyed(v, "indicators", "indicator_id")
    natural = table["indicator_id"].str.replace(r"\d+", lambda m: m.group(0).zfill(9), regex=True)
    return table.iloc[natural.argsort(kind="stable")]


@st.cache_resource(max_entries=4, show_spinner=False)
def sources(v: str) -> pd.DataFrame:
    return _keyed(v, "sources", "source_id")


@st.cache_resource(max_entries=4, show_spinner=False)
def flags(v: str) -> pd.DataFrame:
    return _keyed(v, "flags", "flag")


@st.cache_resource(max_entries=4, show_spinner=False)
def coverage(v: str) -> pd.DataFrame:
    """Which indicator has data at which level and period (for the selectors)."""
    return _wh(v).sql(
        """
        SELECT o.indicator_id, r.level, strftime(o.period, '%Y-%m-%d') AS period, o.period_type,
               count(*) AS n, count(o.value) AS n_values
        FROM observations o JOIN regions r USING (region_id)
        GROUP BY ALL ORDER BY 1, 2, 3
        """
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def coverage_at(v: str, level: str) -> pd.DataFrame:
    """The coverage rows of one level that have values (read-only, shared)."""
    cov = coverage(v)
    return cov[(cov["level"] == level) & (cov["n_values"] > 0)]


@st.cache_data(max_entries=64, show_spinner=False)
def values(v: str, indicator_id: str, level: str, period: str) -> pd.DataFrame:
    """One indicator at one level and period: region_id, name, value, flag, source."""
    return _wh(v).sql(
        """
        SELECT r.region_id, r.name, r.type, r.land_id, o.value, o.flag, o.source_id, o.source_file
        FROM regions r
        LEFT JOIN observations o
          ON o.region_id = r.region_id AND o.indicator_id = ? AND o.period = CAST(? AS DATE)
        WHERE r.level = ?
        ORDER BY r.region_id
        """,
        [indicator_id, period, level],
    )


@st.cache_data(max_entries=64, show_spinner=False)
def period_classes(v: str, indicator_id: str, level: str, method: str, k: int, manual: tuple[float, ...] | None = None):
    """Class breaks of one indicator at one level over all its periods at once
    (``charts.classify`` of every value there): the map keeps them while it
    steps through the periods, so a colour means the same in every period.
    Computed once per indicator, level and class rule for all sessions."""
    from dashboard import charts

    pooled = _wh(v).sql(
        """
        SELECT o.value FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = ? AND r.level = ? AND o.value IS NOT NULL
        """,
        [indicator_id, level],
    )["value"]
    return charts.classify(pooled, method, k, list(manual) if manual else None)


@st.cache_data(max_entries=64, show_spinner=False)
def series(v: str, indicator_id: str, region_ids: tuple[str, ...]) -> pd.DataFrame:
    if not region_ids:
        return pd.DataFrame(columns=["region_id", "period", "period_type", "value", "flag", "source_id"])
    return _wh(v).sql(
        """
        SELECT region_id, period, period_type, value, flag, source_id
        FROM observations WHERE indicator_id = ? AND list_contains(?, region_id)
        ORDER BY region_id, period
        """,
        [indicator_id, list(region_ids)],
    )


@st.cache_data(max_entries=64, show_spinner=False)
def region_profile(v: str, region_id: str) -> pd.DataFrame:
    """All observations of one region."""
    return _wh(v).sql("SELECT * FROM observations WHERE region_id = ? ORDER BY indicator_id, period", [region_id])


def has_table(v: str, name: str) -> bool:
    """Whether the warehouse has this table (from its manifest, nothing read)."""
    return _wh(v).has(name)


@st.cache_resource(max_entries=16, show_spinner=False)
def table(v: str, name: str) -> pd.DataFrame | None:
    """A whole table (shared, read-only), or None when the warehouse has none."""
    wh = _wh(v)
    if not wh.has(name):
        return None
    return wh.table(name)


def quarantine(v: str, source_id: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Quarantined rows, of one source or all, in file and line order (not
    cached: read when shown or downloaded, filtered by DuckDB)."""
    where, params = ("WHERE source_id = ?", [source_id]) if source_id else ("", [])
    cap = f"LIMIT {int(limit)}" if limit else ""
    return _wh(v).sql(f"SELECT * FROM quarantine {where} ORDER BY source_id, file, line {cap}", params)


@st.cache_resource(max_entries=8, show_spinner=False)
def neighbours(v: str, level: str) -> pd.DataFrame:
    """Border-sharing pairs of one level (region_id, neighbour_id), computed by the build."""
    return _wh(v).sql("SELECT region_id, neighbour_id FROM region_neighbours WHERE level = ? ORDER BY 1, 2", [level])


@st.cache_data(max_entries=64, show_spinner=False)
def latest_level_values(v: str, indicator_id: str, level: str) -> pd.DataFrame:
    """One indicator at one level, at the latest period with any value there."""
    return _wh(v).sql(
        """
        WITH lv AS (
            SELECT o.region_id, o.value, o.period, o.period_type, o.flag, o.source_id
            FROM observations o JOIN regions r USING (region_id)
            WHERE o.indicator_id = ? AND r.level = ? AND o.value IS NOT NULL
        )
        SELECT * FROM lv WHERE period = (SELECT max(period) FROM lv) ORDER BY region_id
        """,
        [indicator_id, level],
    )


def indicator_observations(v: str, indicator_id: str) -> pd.DataFrame:
    """Every observation of one indicator at every level, with the region's
    name and level, ordered by level (Bund to Gemeinde), key and period: the
    Quellen page's full download (not cached: read when a file is asked for)."""
    from etl.catalogue.model import LEVELS

    return _wh(v).sql(
        """
        SELECT o.indicator_id, o.period, o.region_id, r.name, r.level, o.period_type, o.value, o.flag, o.source_id
        FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = ?
        ORDER BY list_position(?, r.level), o.region_id, o.period
        """,
        [indicator_id, list(LEVELS)],
    )


@st.cache_data(max_entries=32, show_spinner=False)
def observations_of(v: str, region_ids: tuple[str, ...], indicator_ids: tuple[str, ...]) -> pd.DataFrame:
    """Every observation of these indicators for these regions."""
    return _wh(v).sql(
        """
        SELECT indicator_id, region_id, period, period_type, value, flag, source_id, source_file
        FROM observations WHERE list_contains(?, region_id) AND list_contains(?, indicator_id)
        ORDER BY indicator_id, region_id, period
        """,
        [list(region_ids), list(indicator_ids)],
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def shapes_geojson(v: str, level: str) -> dict:
    """The map shapes of one level as GeoJSON (id = region_id, ``properties.n`` =
    name), made by the build (``etl.mapfiles``): for plotly maps and exports."""
    return json.loads(_map_path(v, level, "geo").read_bytes())


def map_geojson_url(v: str, level: str) -> str:
    """URL of the level's GeoJSON, served by the app as a static file: the
    browser loads it once and caches it; every rerun sends only the values."""
    return _publish(v, level, "geo")


@st.cache_resource(max_entries=8, show_spinner=False)
def map_shapes(v: str, level: str) -> tuple[str, list[str]]:
    """URL of the level's canvas-map file (see ``dashboard.mapview``) and the
    region ids in the file's order (each rerun sends its values in that order)."""
    ids = json.loads(_map_path(v, level, "map").read_bytes())["ids"]
    return _publish(v, level, "map"), ids


@st.cache_resource(max_entries=8, show_spinner=False)
def map_paths(v: str, level: str) -> mapfiles.MapPaths:
    """The canvas-map file of one level as SVG paths (``etl.mapfiles.svg_paths``):
    what the Karte page's PNG/SVG/PDF exports draw."""
    return mapfiles.svg_paths(json.loads(_map_path(v, level, "map").read_bytes()))


def _map_path(v: str, level: str, kind: str) -> Path:
    return _wh(v).directory / mapfiles.FOLDER / f"{level}.{kind}.json"


# The canvas map file is published gzip-compressed, once, and served with
# this type, which Streamlit's server does not compress again (its gzip
# middleware leaves application/gzip alone); the map decompresses it in the
# browser. Served as JSON, it was compressed for every page load on the
# server's event loop (834 KB at Gemeinde level: 30–100 ms before the shapes
# could leave, with every other request of every session waiting behind it).
CANVAS_SUFFIX = ".mapz"
CANVAS_GZIP_LEVEL = 6  # the Gemeinde file: 285 KB in about 70 ms, once per warehouse version
mimetypes.add_type("application/gzip", CANVAS_SUFFIX)


@st.cache_resource(max_entries=16, show_spinner=False)
def _publish(v: str, level: str, kind: str) -> str:
    """Puts the build's map file where Streamlit serves static files
    (``dashboard/static/maps/``), under a name that carries the warehouse
    version so that a browser never keeps a stale one, renamed into place
    atomically: the GeoJSON as a hard link (a copy across file systems), the
    canvas file gzip-compressed (``CANVAS_SUFFIX``; the same bytes from every
    process)."""
    import gzip
    import hashlib

    name = f"{level}-{hashlib.sha1(v.encode()).hexdigest()[:10]}" + (CANVAS_SUFFIX if kind == "map" else f".{kind}.json")
    target = MAP_DIR / name
    if not target.exists():
        MAP_DIR.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
        source = _map_path(v, level, kind)
        if kind == "map":
            tmp.write_bytes(gzip.compress(source.read_bytes(), CANVAS_GZIP_LEVEL, mtime=0))
        else:
            try:
                os.link(source, tmp)
            except OSError:
                shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    return f"{STATIC_URL}/maps/{name}"


# --------------------------------------------------------------------------
# Projects: tables derived once per warehouse from the registries' tables
# (dashboard.projects has the logic), shared read-only like the tables.
# --------------------------------------------------------------------------


@st.cache_resource(max_entries=2, show_spinner=False)
def project_links(v: str) -> pd.DataFrame:
    """Every project–region link with the region's level and parents."""
    from dashboard import projects

    return projects.linked_regions(table(v, "project_regions"), regions(v))


@st.cache_resource(max_entries=2, show_spinner=False)
def project_assignments(v: str) -> pd.DataFrame:
    """One row per project and value of each filter dimension (sector, Land, …)."""
    from dashboard import projects

    return projects.assignments(table(v, "projects"), project_links(v), table(v, "project_sectors"))


@st.cache_resource(max_entries=2, show_spinner=False)
def project_haystack(v: str) -> pd.DataFrame:
    """The folded texts of every project for the Projekte page's search."""
    from dashboard import projects

    return projects.search_haystack(table(v, "projects"), project_links(v))


@st.cache_resource(max_entries=8, show_spinner=False)
def feature_bounds(v: str, level: str) -> dict[str, tuple[float, float, float, float]]:
    """region_id → bounding box of its map shape."""
    from dashboard import projects

    out = {}
    for feature in shapes_geojson(v, level)["features"]:
        box = projects.feature_bounds(feature["geometry"])
        if box is not None:
            out[feature["id"]] = box
    return out


@st.cache_resource(max_entries=32, show_spinner=False)
def locator_shapes(v: str, region_id: str, map_level: str, context_ids: tuple[str, ...]) -> tuple[dict, dict]:
    """The shapes of a locator map: the context units (for exports; the page
    itself loads them from the app's static map file) and the highlighted
    region (always inline: one shape is lighter than the Gemeinde file)."""
    level = str(regions(v).loc[region_id, "level"])
    return mapfiles.subset(shapes_geojson(v, map_level), context_ids), mapfiles.subset(shapes_geojson(v, level), [region_id])


@st.cache_resource(max_entries=2, show_spinner=False)
def territorial_summary(v: str) -> dict:
    """What the crosswalk of territorial changes did in this build: declared and
    derived rows, values converted to the 2021 status (flag ``harmonised``), and
    the figures of historic keys that stayed out (quarantine, by reason)."""
    wh = _wh(v)
    out: dict = {"levels": [], "harmonised_values": 0, "harmonised_regions": 0, "left_out": []}
    if wh.has("territorial_changes"):
        out["levels"] = wh.sql(
            "SELECT level, count(*) AS rows, count(DISTINCT old_key) AS old_keys, count(DISTINCT new_key) AS new_units FROM territorial_changes GROUP BY level ORDER BY level DESC"
        ).to_dict("records")
    harmonised = wh.sql("SELECT count(*) AS n, count(DISTINCT region_id) AS regions FROM observations WHERE flag = 'harmonised'").iloc[0]
    out["harmonised_values"], out["harmonised_regions"] = int(harmonised["n"]), int(harmonised["regions"])
    reasons: dict[str, int] = {}
    for by_reason in full_manifest(v).get("quarantine_by_source_and_reason", {}).values():
        for reason, n in by_reason.items():
            if "territorial status" in reason or "crosswalk" in reason or "historic" in reason:
                reasons[reason] = reasons.get(reason, 0) + int(n)
    out["left_out"] = sorted(reasons.items(), key=lambda kv: -kv[1])
    return out
