"""Peer-group attributes of the regions: urban–rural type, degree of
urbanisation, latest population and a population size class.

In: ``regions`` (status 2021-01-01), the ``observations`` of earlier steps
(indicator ``population``), GISCO NUTS 2024 (layer ``nuts_2024``, column
``URBN_TYPE``) and the Gemeindeverzeichnis 31.12.2017 (DEGURBA key).
Out: ``regions`` with ``peer_type``, ``urban_rural_type``, ``degurba``,
``population``, ``population_date`` and ``population_class`` filled, and
``region_neighbours`` (border-sharing pairs per level, from the map shapes).

Decisions, with the evidence:
- ``urban_rural_type`` is the Eurostat typology of NUTS 3 regions, i.e. of the
  Kreise. Kreise match GISCO through ``nuts_id`` (VG5000 carries NUTS 2021
  codes). NUTS 2024 recoded six Thüringen Kreise whose boundaries changed
  (e.g. Wartburgkreis DEG0P → DEG0R, Suhl DEG04 → DEG0S): a Kreis whose code is
  not in NUTS 2024 is matched by name among the unused NUTS 3 codes of its NUTS 1
  region (unique matches only, listed in the manifest notes). Eisenach (16056)
  merged into the Wartburgkreis on 01.07.2021 and has no NUTS 3 of its own in
  2024: it takes the Wartburgkreis' type (``MERGED_INTO``). Gemeinden carry the
  type of their Kreis (the column describes the Kreis typology); Länder,
  Regierungsbezirke and Germany have none.
- ``degurba``: the key (01 cities, 02 towns and suburbs, 03 rural areas) of the
  Gemeinde's record in the Gemeindeverzeichnis 31.12.2017, by AGS. Gemeinden
  created by mergers after 2017 have no such record: they stay empty and are
  listed in the quarantine, as are 2017 records of Gemeinden merged since.
- ``population`` / ``population_date``: the latest ``population`` observation
  of the region with a value (Kreise, Länder, Germany: 31.12.2018, published;
  Gemeinden: 31.12.2017). Regierungsbezirke have no observation: the sum of their
  Kreise at the Kreise's latest date.
- ``population_class``: fixed breaks, lower bound included, no quantiles (so a
  class means the same in every build):
  Gemeinden < 5.000 | 5.000–20.000 | 20.000–50.000 | 50.000–100.000 |
  100.000–500.000 | ≥ 500.000 (the usual German size classes of towns);
  Kreise < 100.000 | 100.000–200.000 | 200.000–300.000 | 300.000–500.000 |
  ≥ 500.000 (31.12.2018: 89, 175, 75, 42 and 20 Kreise);
  Länder and Regierungsbezirke < 2 Mio. | 2–5 Mio. | 5–10 Mio. | ≥ 10 Mio.;
  Gemeindeverbände < 5.000 | 5.000–10.000 | 10.000–20.000 | 20.000–50.000 |
  50.000–100.000 | ≥ 100.000 (Ämter, Verwaltungsgemeinschaften and most
  Verbandsgemeinden lie between 5.000 and 50.000; the large classes are cities
  that form a unit of their own). Germany has no class.
- Gemeindeverbände: ``population`` is the sum of their Gemeinden, made by the
  population step where every Gemeinde has a value (``etl.aggregate``), so its
  date is the Gemeinden's (31.12.2017). ``urban_rural_type`` is their Kreis'.
  ``peer_type``: the four names the Länder give a Gemeinde that belongs to no
  Verband (Einheitsgemeinde, Amtsfreie, Gemeinschaftsfreie, Verbandsfreie
  Gemeinde) are one kind, ``Einheitsgemeinde``; the Verband forms (Amt,
  Samtgemeinde, Verbandsgemeinde, Verwaltungsgemeinschaft, Verwaltungsverband,
  Erfüllende Gemeinde) stay apart, as their tasks differ by Land law.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd

from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.destatis import GEMEINDEN_HEADER, extract_gv_gemeinden
from etl.geometry import compute_neighbours
from etl.steps import Step

STEP_NAME = "region_attributes"
SOURCE_GISCO = "gisco_nuts_2024"
SOURCE_GV_GEMEINDEN = "destatis_gv_gemeinden"
GISCO_FILE = "gisco_nuts_2024/gisco_nuts_2024_20M_4326.gpkg"
GISCO_LAYER = "nuts_2024"
GISCO_COLUMNS = ("NUTS_ID", "LEVL_CODE", "CNTR_CODE", "NUTS_NAME", "URBN_TYPE")
DEGURBA_FILE = "destatis_gemeindeverzeichnis/31122017_Auszug_GV.xlsx"
URBAN_RURAL_TYPES = (1, 2, 3)
DEGURBA_KEYS = {"01": 1, "02": 2, "03": 3}

# Kreise of the 2021 status that have merged into another since (and so have no
# NUTS 2024 code): Eisenach into the Wartburgkreis on 01.07.2021 (SOURCES.md,
# gisco_nuts_2024: "Eisenach merged into Wartburgkreis in 2021"; NUTS 2024 lists
# 400 German NUTS 3 regions against 401 Kreise in VG5000 2021).
MERGED_INTO = {"16056": "16063"}

_MILLION = 1_000_000
# (upper bound exclusive, label); the last class has no upper bound.
CLASSES: dict[str, list[tuple[float, str]]] = {
    "gemeinde": [
        (5_000, "< 5.000"),
        (20_000, "5.000–20.000"),
        (50_000, "20.000–50.000"),
        (100_000, "50.000–100.000"),
        (500_000, "100.000–500.000"),
        (float("inf"), "≥ 500.000"),
    ],
    "kreis": [
        (100_000, "< 100.000"),
        (200_000, "100.000–200.000"),
        (300_000, "200.000–300.000"),
        (500_000, "300.000–500.000"),
        (float("inf"), "≥ 500.000"),
    ],
    "land": [
        (2 * _MILLION, "< 2 Mio."),
        (5 * _MILLION, "2–5 Mio."),
        (10 * _MILLION, "5–10 Mio."),
        (float("inf"), "≥ 10 Mio."),
    ],
}
CLASSES["rbz"] = CLASSES["land"]
CLASSES["verband"] = [
    (5_000, "< 5.000"),
    (10_000, "5.000–10.000"),
    (20_000, "10.000–20.000"),
    (50_000, "20.000–50.000"),
    (100_000, "50.000–100.000"),
    (float("inf"), "≥ 100.000"),
]


# Peer kinds. The BEZ differs by Land for the same kind of Kreis (VG5000
# documentation, attribute BEZ): Baden-Württemberg's "Stadtkreis" is a
# kreisfreie Stadt, Schleswig-Holstein's and NRW's "Kreis" a Landkreis.
KREIS_TYPE_SYNONYMS = {"Stadtkreis": "Kreisfreie Stadt", "Kreis": "Landkreis"}
CITY_STATES = ("02", "04", "11")  # Hamburg, Bremen, Berlin
# A Gemeinde that belongs to no Gemeindeverband is a VWG unit of its own, named
# differently by Land (VG5000 VWG, attribute BEZ): one kind of peer.
VERBAND_TYPE_SYNONYMS = {"Amtsfreie Gemeinde": "Einheitsgemeinde", "Gemeinschaftsfreie Gemeinde": "Einheitsgemeinde", "Verbandsfreie Gemeinde": "Einheitsgemeinde"}


def peer_types(regions: pd.DataFrame) -> pd.Series:
    """The kind of unit peers must share: 'Stadtstaat' or 'Flächenland' for
    Länder, the harmonised BEZ for Kreise, the BEZ otherwise ('Bund' for Germany)."""
    bez = regions["type"].astype("string").fillna("")
    kinds = bez.where(regions["level"] != "kreis", bez.replace(KREIS_TYPE_SYNONYMS))
    kinds = kinds.where(regions["level"] != "verband", bez.replace(VERBAND_TYPE_SYNONYMS))
    is_land = regions["level"] == "land"
    kinds = kinds.mask(is_land, regions["region_id"].isin(CITY_STATES).map({True: "Stadtstaat", False: "Flächenland"}))
    return kinds.mask(regions["level"] == "bund", "Bund").astype("string")


def region_neighbours(shapes: pd.DataFrame | None) -> pd.DataFrame:
    """Border-sharing pairs per level from the 'map' shapes (computed once here; the app reads them)."""
    cols = ["region_id", "neighbour_id", "level"]
    if shapes is None or len(shapes) == 0:
        return pd.DataFrame(columns=cols)
    frames = []
    for level, part in shapes[shapes["resolution"] == "map"].groupby("level", sort=True):
        if level == "bund":
            continue
        frames.append(compute_neighbours(part).assign(level=level))
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def classify_population(population: float | None, level: str) -> str | None:
    """The size-class label of a population at a level (lower bound included)."""
    if population is None or pd.isna(population) or level not in CLASSES:
        return None
    for upper, label in CLASSES[level]:
        if population < upper:
            return label
    return None


# --- urban–rural typology -------------------------------------------------------------------


def read_nuts3(ctx: BuildContext, country: str = "DE") -> pd.DataFrame:
    """NUTS 3 rows of one country from the GISCO file (attributes only)."""
    path = ctx.path(GISCO_FILE)
    try:
        frame = gpd.read_file(path, layer=GISCO_LAYER, ignore_geometry=True)
    except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError
        raise InputError(GISCO_FILE, f"cannot read layer {GISCO_LAYER!r}: {exc}", sheet=GISCO_LAYER) from exc
    for col in GISCO_COLUMNS:
        if col not in frame.columns:
            raise InputError(GISCO_FILE, f"column {col!r} missing (columns: {', '.join(frame.columns)})", sheet=GISCO_LAYER, column=col)
    nuts3 = frame[(frame["CNTR_CODE"] == country) & (frame["LEVL_CODE"] == 3)].copy()
    nuts3["line"] = nuts3.index + 1  # feature order in the layer, for the quarantine
    return nuts3.reset_index(drop=True)


def _plain_name(name: str) -> str:
    """"Suhl, Kreisfreie Stadt" → "suhl": GISCO appends the Kreis type, VG5000 keeps it apart."""
    name = re.sub(r",\s*(Kreisfreie Stadt|Landkreis|Stadtkreis|Kreis)$", "", str(name).strip())
    return name.casefold()


def match_urban_rural(ctx: BuildContext, regions: pd.DataFrame, nuts3: pd.DataFrame) -> pd.Series:
    """URBN_TYPE per Kreis (index: Kreis key)."""
    kreise = regions[regions["level"] == "kreis"][["region_id", "name", "nuts_id"]]
    by_code = nuts3.set_index("NUTS_ID")
    matched: dict[str, str] = {}  # Kreis key → NUTS code
    for rid, code in zip(kreise["region_id"], kreise["nuts_id"]):
        if isinstance(code, str) and code in by_code.index:
            matched[rid] = code
    used = set(matched.values())
    by_name: dict[str, str] = {}
    for _, kreis in kreise[~kreise["region_id"].isin(list(matched) + list(MERGED_INTO))].iterrows():
        prefix = str(kreis["nuts_id"])[:3] if isinstance(kreis["nuts_id"], str) else None
        pool = nuts3[~nuts3["NUTS_ID"].isin(used)]
        if prefix:
            pool = pool[pool["NUTS_ID"].str.startswith(prefix)]
        hits = pool[pool["NUTS_NAME"].map(_plain_name) == _plain_name(kreis["name"])]
        if len(hits) == 1:
            code = hits["NUTS_ID"].iloc[0]
            matched[kreis["region_id"]] = code
            by_name[kreis["region_id"]] = f"{kreis['nuts_id']} → {code}"
            used.add(code)
    if by_name:
        ctx.note(STEP_NAME, "urban_rural_type_matched_by_name", by_name)
    types = pd.Series({rid: by_code.at[code, "URBN_TYPE"] for rid, code in matched.items()}, dtype="float64")
    for merged, into in MERGED_INTO.items():
        if merged in set(kreise["region_id"]) and merged not in types.index and into in types.index:
            types[merged] = types[into]
            ctx.note(STEP_NAME, f"urban_rural_type_{merged}", f"{merged} has no NUTS 2024 code (merged into {into} on 2021-07-01): type of {into} ({int(types[into])})")

    unused = nuts3[~nuts3["NUTS_ID"].isin(used)]
    for _, row in unused.iterrows():
        ctx.quarantine.add(source_id=SOURCE_GISCO, file=GISCO_FILE, sheet=GISCO_LAYER, line=int(row["line"]), column="NUTS_ID",
                           value=row["NUTS_ID"], reason="NUTS 3 region matches no Kreis of the 2021 status (by code or name)", target_table="regions")
    bad = types[~types.isin(URBAN_RURAL_TYPES)]
    for rid in bad.index:
        ctx.quarantine.add(source_id=SOURCE_GISCO, file=GISCO_FILE, sheet=GISCO_LAYER, column="URBN_TYPE", value=f"{rid}: {types[rid]}",
                           reason="URBN_TYPE is not 1, 2 or 3", target_table="regions")
    types = types[types.isin(URBAN_RURAL_TYPES)]
    for rid in sorted(set(kreise["region_id"]) - set(types.index)):
        ctx.quarantine.add(source_id=SOURCE_GISCO, file=GISCO_FILE, sheet=GISCO_LAYER, column="NUTS_ID", value=rid,
                           reason=f"Kreis {rid} matches no NUTS 3 region of 2024 (by code or name): no urban–rural type", target_table="regions")
    return types.astype("int64")


# --- DEGURBA ------------------------------------------------------------------------------------------


def match_degurba(ctx: BuildContext, regions: pd.DataFrame) -> pd.Series:
    """DEGURBA per Gemeinde (index: AGS) from the Gemeindeverzeichnis 31.12.2017."""
    table = extract_gv_gemeinden(ctx.path(DEGURBA_FILE), DEGURBA_FILE)
    records = table.records[table.records["record_type"] == "gemeinde"]
    column = GEMEINDEN_HEADER["degurba"]

    def reject(rows: pd.DataFrame, reason) -> None:
        ctx.quarantine.add_frame(
            pd.DataFrame({"file": DEGURBA_FILE, "sheet": table.sheet, "line": rows["line"], "column": column,
                          "value": rows["ags"].fillna("") + " " + rows["degurba"].fillna(""), "reason": reason}),
            source_id=SOURCE_GV_GEMEINDEN, target_table="regions",
        )

    no_key = records["ags"].isna()
    reject(records[no_key], "key columns Land, RB, Kreis, Gem do not form an 8-digit AGS")
    records = records[~no_key]
    invalid = ~records["degurba"].isin(DEGURBA_KEYS)
    reject(records[invalid], "DEGURBA key is not 01, 02 or 03")
    records = records[~invalid]
    gemeinden = set(regions.loc[regions["level"] == "gemeinde", "region_id"])
    outside = ~records["ags"].isin(gemeinden)
    reject(records[outside], "AGS " + records.loc[outside, "ags"] + " not in the territorial status 2021-01-01 (merged or dissolved since 2017)")
    records = records[~outside].drop_duplicates("ags")
    degurba = records.set_index("ags")["degurba"].map(DEGURBA_KEYS)
    missing = sorted(gemeinden - set(degurba.index))
    for ags in missing:
        ctx.quarantine.add(source_id=SOURCE_GV_GEMEINDEN, file=DEGURBA_FILE, sheet=table.sheet, column=column, value=ags,
                           reason=f"Gemeinde {ags} of the 2021 status has no record in the Gemeindeverzeichnis 2017 (new key after a merger): no DEGURBA",
                           target_table="regions")
    ctx.note(STEP_NAME, "degurba_missing_gemeinden", len(missing))
    return degurba.astype("int64")


# --- population -------------------------------------------------------------------------------------------


def latest_population(ctx: BuildContext, regions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Columns region_id, population, population_date: the latest population of
    each region in the build's observations (the one home of this rule: the
    regions table, the charging rates and the Gemeindeverband weights use it).
    With ``regions``, Regierungsbezirke get the sum of their Kreise too. Empty
    when no population step has run (a partial build)."""
    obs = ctx.tables.get("observations")
    if obs is None or obs.empty:
        ctx.log("no population observations yet (partial build?): latest population left empty")
        return pd.DataFrame(columns=["region_id", "population", "population_date"])
    pop = obs[(obs["indicator_id"] == "population") & obs["value"].notna()][["region_id", "period", "value"]]
    pop = pop.assign(period=pd.to_datetime(pop["period"]), region_id=pop["region_id"].astype(str), value=pop["value"].astype(float))
    latest = pop.sort_values("period").drop_duplicates("region_id", keep="last")
    latest = latest.rename(columns={"value": "population", "period": "population_date"})
    if regions is None:
        return latest[["region_id", "population", "population_date"]].reset_index(drop=True)

    # Regierungsbezirke: sum of their Kreise, only where all Kreise have the same date.
    kreise = regions.loc[regions["level"] == "kreis", ["region_id", "rbz_id"]].dropna(subset=["rbz_id"])
    members = kreise.merge(latest, on="region_id", how="left")
    sums = []
    for rbz, group in members.groupby("rbz_id"):
        dates = group["population_date"].dropna().unique()
        if group["population"].notna().all() and len(dates) == 1:
            sums.append({"region_id": rbz, "population": group["population"].sum(), "population_date": dates[0]})
    latest = pd.concat([latest, pd.DataFrame(sums, columns=latest.columns)], ignore_index=True)
    return latest[["region_id", "population", "population_date"]]


def run(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    regions = ctx.regions.copy()

    types = match_urban_rural(ctx, regions, read_nuts3(ctx))
    kreis_of = regions["kreis_id"].where(regions["level"].isin(["kreis", "verband", "gemeinde"]))
    regions["urban_rural_type"] = pd.array(kreis_of.map(types), dtype="Int64")

    degurba = match_degurba(ctx, regions)
    regions["degurba"] = pd.array(regions["region_id"].map(degurba).where(regions["level"] == "gemeinde"), dtype="Int64")

    regions["peer_type"] = peer_types(regions)

    latest = latest_population(ctx, regions).set_index("region_id")
    regions["population"] = pd.array(regions["region_id"].map(latest["population"]).round(), dtype="Int64")
    regions["population_date"] = regions["region_id"].map(latest["population_date"])
    regions["population_class"] = pd.array(
        [classify_population(p, lvl) for p, lvl in zip(regions["population"], regions["level"])], dtype="string"
    )
    without = regions[regions["population"].isna()]
    if "observations" in ctx.tables:
        for _, row in without.iterrows():
            ctx.quarantine.add(
                source_id=SOURCE_GV_GEMEINDEN if row["level"] in ("verband", "gemeinde") else "destatis_gv_kreise",
                file=DEGURBA_FILE if row["level"] in ("verband", "gemeinde") else "destatis_gemeindeverzeichnis/04-kreise_2018-12-31.xlsx",
                value=row["region_id"],
                reason=(f"verband {row['region_id']} has no population: not every one of its Gemeinden has one (a key new since the latest file), no sum made, no class"
                        if row["level"] == "verband" else
                        f"{row['level']} {row['region_id']} has no population observation (key new since the latest file): no population or class"),
                target_table="regions",
            )

    filled = {
        col: {lvl: int(n) for lvl, n in regions[regions[col].notna()].groupby("level").size().items()}
        for col in ("urban_rural_type", "degurba", "population", "population_class")
    }
    ctx.note(STEP_NAME, "filled_by_level", filled)
    ctx.note(STEP_NAME, "population_classes", {lvl: [label for _, label in classes] for lvl, classes in CLASSES.items()})
    ctx.note(STEP_NAME, "population_dates", {str(d.date()): int(n) for d, n in regions["population_date"].value_counts().items()})
    neighbours = region_neighbours(ctx.tables.get("region_shapes"))
    ctx.note(STEP_NAME, "neighbour_pairs_by_level", {lvl: int(n) // 2 for lvl, n in neighbours.groupby("level").size().items()})
    return {"regions": regions, "region_neighbours": neighbours}


STEP = Step(
    name=STEP_NAME,
    order=80,
    source_ids=(SOURCE_GISCO, SOURCE_GV_GEMEINDEN),
    run=run,
    owns_tables=("regions", "region_neighbours"),
    reads=("region_shapes", "observations:population"),
)
