"""Official region keys and hierarchy from BKG VG5000 (status 2021-01-01).

In: the VG5000 shapefiles (EPSG:31467) and ``data/territorial_changes.csv``.
Out: ``regions`` (one row per Land, Regierungsbezirk, Kreis, Gemeindeverband
and Gemeinde, plus Germany as ``DG``), ``region_shapes`` (full and map geometry in EPSG:4326, see
``etl.geometry``) and ``territorial_changes`` (the checked crosswalk).

Keys are zero-padded strings everywhere: a key read as an integer is a bug, so
``normalise_key`` restores leading zeros lost by spreadsheets (``1001`` is the
Kreis ``01001``, ``1001000`` the Gemeinde ``01001000``).

Gemeindeverbände (level ``verband``, layer ``VG5000_VWG``, 4,605 units in the
status 2021-01-01): Verbandsgemeinden, Samtgemeinden, Ämter,
Verwaltungsgemeinschaften, Verwaltungsverbände and Gemeinden that fulfil the
tasks for others (``Erfüllende Gemeinde``), plus every Gemeinde that belongs to
none of them as a unit of its own (BEZ ``Einheitsgemeinde``, ``Amtsfreie``,
``Gemeinschaftsfreie`` or ``Verbandsfreie Gemeinde``: 3,395 units with exactly
one Gemeinde, its area and, mostly, its name). The layer has no AGS; the key is
the official 9-digit Gemeindeverband key, ARS digits 1–9 (Land, RB, Kreis and
the 4-digit Verband part). Each Gemeinde's ``verband_id`` is the first nine
digits of its 12-digit ARS: in VG5000 2021 every Gemeinde lies in exactly one
Verband and every Verband has at least one Gemeinde (checked by the tests).

Territorial changes: every other source is keyed to this status. Historic Kreis
keys are mapped to it by the declared crosswalk ``data/territorial_changes.csv``
(``etl.territory``, read and checked against these regions here, once per
build); ``etl.transform.observations`` converts their values by each
indicator's rule (``etl.aggregate``) or quarantines them with the reason.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd

from etl.catalogue import GERMANY_ID, KEY_LENGTH
from etl.context import BuildContext
from etl.geometry import build_shapes
from etl.territory import check_crosswalk, derive_gemeinde_changes, read_crosswalk, read_gemeinde_statuses

SOURCE_ID = "bkg_vg5000"
VG_DIR = "bkg_vg5000_2021/vg5000_ebenen_0101"
LAYERS = {"bund": "STA", "land": "LAN", "rbz": "RBZ", "kreis": "KRS", "verband": "VWG", "gemeinde": "GEM"}
LAND_GF = 9  # GF 9: land areas with structure; GF 8 are water parts (VG_WERTE.dbf)
EQUAL_AREA = 3035  # ETRS89 / LAEA Europe

_DIGITS = re.compile(r"^\d+$")


def normalise_key(value: object, level: str) -> str | None:
    """Return the zero-padded key of ``level`` for a key as published.

    Accepts strings with or without leading zeros, ints and floats (``1001.0``
    from a spreadsheet). Returns None when the value cannot be a key of that level.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and _DIGITS.match(text[:-2] or "x"):
        text = text[:-2]
    if not _DIGITS.match(text):
        return None
    length = KEY_LENGTH[level]
    if len(text) > length:
        return None
    # A key can lose at most one leading zero (Länder 01–09); more would be another level.
    if len(text) < length - 1:
        return None
    # No key starts with "00": a short text that starts with 0 lost nothing
    # ("09162000" is a Gemeinde, not the Verband "009162000").
    if len(text) == length - 1 and text.startswith("0"):
        return None
    return text.zfill(length)


def _read_layer(ctx: BuildContext, layer: str) -> gpd.GeoDataFrame:
    path = ctx.path(f"{VG_DIR}/VG5000_{layer}.shp")
    frame = gpd.read_file(path)
    if frame.crs is None or frame.crs.to_epsg() != 31467:
        ctx.log(f"VG5000_{layer}: CRS {frame.crs} (expected EPSG:31467); reprojecting from what the .prj says")
    return frame


def read_units(ctx: BuildContext, level: str) -> gpd.GeoDataFrame:
    """The land parts (GF 9) of one level's VG5000 layer, one row per unit, with
    ``region_id``, ``ars`` and ``level``; a key of the wrong length goes to the
    quarantine."""
    layer = LAYERS[level]
    raw = _read_layer(ctx, layer)
    land = raw[raw["GF"] == LAND_GF].copy()
    if level == "bund":
        land["region_id"] = GERMANY_ID
        land["ars"] = "000000000000"
    else:
        # Gemeindeverbände have no AGS ("--------"): their key is their 9-digit ARS.
        key_column = "ARS" if level == "verband" else "AGS"
        land["region_id"] = land[key_column].astype(str)
        land["ars"] = land["ARS"].astype(str)
        bad = land["region_id"].str.len() != KEY_LENGTH[level]
        for _, row in land[bad].iterrows():
            ctx.quarantine.add(
                source_id=SOURCE_ID, file=f"{VG_DIR}/VG5000_{layer}.dbf", column=key_column, value=row[key_column],
                reason=f"{key_column} of unexpected length for level {level}", target_table="regions",
            )
        land = land[~bad]
    if land["region_id"].duplicated().any():
        # Several land parts of one unit: dissolve them into one geometry.
        land = land.dissolve(by="region_id", as_index=False, aggfunc="first")
    land["level"] = level
    ctx.log(f"regions: {level}: {len(land)} units from VG5000_{layer}")
    return land


def regions_frame(ctx: BuildContext, allg: gpd.GeoDataFrame) -> pd.DataFrame:
    """The ``regions`` rows of the units of every level (``read_units``):
    names, types, parents, area and an inner point."""
    area = allg.geometry.to_crs(EQUAL_AREA).area / 1e6
    points = allg.geometry.representative_point().to_crs(4326)
    rid = allg["region_id"]
    is_sub = allg["level"].isin(["rbz", "kreis", "verband", "gemeinde"])
    regions = pd.DataFrame(
        {
            "region_id": rid,
            "ars": allg["ars"],
            "level": allg["level"],
            "name": allg["GEN"],
            "type": allg["BEZ"],
            "land_id": rid.where(allg["level"] == "bund", rid.str[:2]).where(allg["level"] != "bund", None),
            "rbz_id": None,
            "kreis_id": None,
            "verband_id": None,
            "nuts_id": allg["NUTS"],
            "area_km2": area.round(3),
            "lat": points.y.round(5),
            "lon": points.x.round(5),
        }
    )
    # Regierungsbezirk: the third digit of the AGS, where the Land has them (the
    # RBZ layer lists them); Länder without Regierungsbezirke carry a 0 there.
    rbz_ids = set(regions.loc[regions["level"] == "rbz", "region_id"])
    rb = rid.str[:3]
    regions["rbz_id"] = rb.where(is_sub & rb.isin(rbz_ids), None)
    regions["kreis_id"] = rid.str[:5].where(allg["level"].isin(["kreis", "verband", "gemeinde"]), None)
    # A Gemeinde's Verband: the first nine digits of its ARS (a Verband is its own).
    regions["verband_id"] = allg["ars"].str[:9].where(allg["level"].isin(["verband", "gemeinde"]), None)
    orphans = regions[(regions["level"] == "gemeinde") & ~regions["verband_id"].isin(set(rid[allg["level"] == "verband"]))]
    if len(orphans):
        # None in VG5000 2021; should an edition have one, the Gemeinde stays without Verband, named here.
        ctx.note("regions", "gemeinden_without_verband", sorted(orphans["region_id"]))
        regions.loc[orphans.index, "verband_id"] = None
    for col in ("urban_rural_type", "degurba", "population"):
        regions[col] = pd.array([pd.NA] * len(regions), dtype="Int64")
    regions["population_date"] = pd.NaT
    regions["population_class"] = pd.array([pd.NA] * len(regions), dtype="string")
    return regions


def build_regions(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    """The ``regions``, ``region_shapes`` and ``territorial_changes`` tables from VG5000."""
    frames = [read_units(ctx, level) for level in LAYERS]
    allg = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=frames[0].crs)
    regions = regions_frame(ctx, allg)

    shapes = build_shapes(allg[["region_id", "level", "geometry"]], log=ctx.log)

    # Territorial changes: Kreise declared, Gemeinden derived from the Gemeindeverzeichnis' centres.
    declared = read_crosswalk()
    check_crosswalk(declared, regions)
    ctx.note("regions", "territorial_changes_declared", {"rows": len(declared), "events": int(declared["event_date"].nunique())})
    gem = shapes[(shapes["level"] == "gemeinde") & (shapes["resolution"] == "full")]
    gem = gem.merge(regions[["region_id", "name"]], on="region_id")
    derived, notes = derive_gemeinde_changes(read_gemeinde_statuses(ctx), gem, set(regions["region_id"]))
    ctx.note("regions", "territorial_changes_gemeinden_derived", notes)
    crosswalk = pd.concat([declared.drop(columns="line"), derived], ignore_index=True)
    ctx.territorial_changes = crosswalk
    ctx.note("regions", "units_by_level", regions["level"].value_counts().to_dict())
    return {"regions": regions, "region_shapes": shapes, "territorial_changes": crosswalk}
