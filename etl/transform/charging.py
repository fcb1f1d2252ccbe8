"""Charging stations of the Ladesäulenregister: located in their Gemeinde, counted.

In: the register workbook (``etl.extract.ladesaeulen``), the full-resolution
Gemeinde polygons (``region_shapes``, EPSG:4326, VG5000 status 2021-01-01), the
regions, and — when the population step has run — the ``population``
observations.

Out: ``charging_stations`` (one row per station of the register, located or not)
and ``observations`` of the charging indicators (``etl.catalogue.indicators.emobility``)
per Gemeinde, Kreis, Land and Germany for every year 2009 … the last full year
before the register's date.

Locating a station (vectorised, ``geopandas.sjoin``):

1. coordinates as published, text with a decimal comma repaired by the extract
   (51 cells of 28 stations in the 2022 edition, one with a stray trailing dot
   "48,6526…34.");
2. the point inside a Gemeinde polygon → ``inside``;
3. else, when latitude and longitude swapped fall inside a Gemeinde → ``inside``
   with ``coordinate_fix`` "swapped" (none in the 2022 edition; every latitude
   there is ≥ 47.28);
4. else the nearest Gemeinde within ``NEAREST_TOLERANCE_M`` (distance in
   EPSG:3035, metres) → ``nearest`` with ``distance_m``: VG5000 is generalised for
   1:5 million, so harbours, piers and lakeside points (Baltic and North Sea
   coast, Lake Constance) fall just outside the polygons;
5. else ``unlocated`` and quarantined with the raw coordinates.

The tolerance was measured on the 2022 edition: of the 44 points
outside every Gemeinde polygon, 21 lie within 876 m of one (Puttgarden ferry
port 146 m, Lindau harbour 54 m, Friedrichshafen 107 m, Allensbach 35 m …);
the next is 2,091 m away (Tholey, whose coordinates lie in another Kreis), then
Goch 2.2 km in the Netherlands, Emden 4.4 km out in the North Sea, Bad Feilnbach
4.6 km in Austria and Frankfurt (Oder) 5.3 km in Poland; the remaining 17 are
10–60 km off (the Dillingen a.d. Donau stations lie in the North Sea). A second
measure of the generalisation error: of the stations inside Germany whose
published Kreis disagrees with the polygon they fall in and that lie within 3 km
of the named Kreis, 133 of 150 are within 1 km of it. 1,500 m sits in the gap
between 876 m and 2,091 m. The build writes the distances again to the manifest
notes (``outside_polygon_distance_m``) so a new edition can be checked.

Kreis names: the register names the Kreis with its type ("Landkreis Alb-Donau-Kreis",
"Kreisfreie Stadt Wolfsburg", "Stadtkreis Mannheim", "Kreis Städteregion Aachen",
"Landkreis Region Hannover", "Landkreis Regionalverband Saarbrücken"), no key.
``normalise_kreis_name`` reduces both sides to (kind city/district, name) and
``kreis_name_agrees`` compares it with the Kreis the coordinates fall in. A
disagreement (389 in the 2022 edition) keeps the coordinate location but is
flagged (``kreis_name_agrees`` False) and also written to the quarantine so
users see it. Why the coordinates win: they are the more precise statement and
a name gives no point inside its Kreis; about a third of the disagreements lie
within 500 m of the named Kreis (border cases of the generalised polygons),
about half more than 10 km away, where the register alone cannot tell whether
the name or the coordinates are wrong.

Counting: the stock at the end of year Y is every located station commissioned
on or before 31.12.Y (commissioning dates before 2009, six stations dated
1999–2008, count in the stock from 2009, where the series starts; they are in no
year's ``ev_stations_new``). A station without a usable commissioning date (none
in 2022) is in service on the register's date: it counts in the stock of the
last year only, and is listed in the quarantine. Years whose end lies before
the day before the register's date are flagged ``lower_bound``:
decommissioned stations are absent from the register.

The edition is the register's own "Stand:" line, recorded for the build's
``sources`` table and attribution (``BuildContext.record_edition``); the
catalogue's date is only a fallback. The periods follow it: a register of
01.01.2022 gives the stocks at 31.12.2009 … 31.12.2021, the last one
complete; a register of 01.11.2021 gives 31.12.2009 … 31.12.2020, all flagged
``lower_bound``, and its stations commissioned in 2021 are in no period (the
stock at 31.10.2021 is not a year's end). Every Gemeinde gets a row for every year (0 where no station), so a
missing value on a map means "no data", not "no station".
"""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.aggregate import aggregate
from etl.catalogue import GERMANY_ID, LEVEL_OF_KEY_LENGTH, SOURCES_BY_ID, TABLES_BY_NAME
from etl.context import BuildContext
from etl.extract.ladesaeulen import extract_register
from etl.steps import Step
from etl.transform.observations import finalize_observations
from etl.transform.region_attributes import latest_population

SOURCE_ID = "bnetza_ladesaeulenregister"
FILE = "bnetza_ladesaeulenregister/Ladesaeulenregister.xlsx"
TABLE = "charging_stations"
FIRST_YEAR = 2009
NEAREST_TOLERANCE_M = 1500.0
METRIC_CRS = 3035  # ETRS89 / LAEA Europe: metres, equal area, the projection etl.regions uses
FAST_TYPE = "Schnellladeeinrichtung"
NORMAL_TYPE = "Normalladeeinrichtung"
COUNTS = ("ev_stations", "ev_stations_fast", "ev_points", "ev_points_fast", "ev_stations_new")
PER_10K = "ev_points_per_10k"

_CITY, _DISTRICT = "city", "district"
# Type words before the name ("Landkreis X") or after it ("X, Landkreis", as GENESIS writes them).
_PREFIXES = (
    ("kreisfreie stadt ", _CITY),
    ("stadtkreis ", _CITY),
    ("stadt ", _CITY),
    ("landkreis ", _DISTRICT),
    ("kreis ", _DISTRICT),
)
_SUFFIXES = (
    (", kreisfreie stadt", _CITY),
    (", stadtkreis", _CITY),
    (", stadt", _CITY),
    (", landkreis", _DISTRICT),
    (", kreis", _DISTRICT),
)
# Words that are part of the official name of some districts but are dropped by
# some publishers: "Region Hannover", "Städteregion Aachen", "Regionalverband
# (formerly Stadtverband) Saarbrücken".
_ORGAN_WORDS = ("regionalverband ", "stadtverband ", "staedteregion ", "region ")
_ABBREVIATIONS = (
    (re.compile(r"\ba\.\s*d\.\s*"), "an der "),
    (re.compile(r"\bi\.\s*d\.\s*"), "in der "),
    (re.compile(r"\ba\.\s*"), "am "),
    (re.compile(r"\bi\.\s*"), "im "),
)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e"})


def normalise_kreis_name(text: object) -> tuple[str | None, str]:
    """(kind, core name) of a Kreis name with or without its type.

    kind is "city" (Kreisfreie Stadt, Stadtkreis), "district" (Landkreis, Kreis)
    or None when the text names no type; the core is lower case, umlauts folded,
    abbreviations spelt out, punctuation reduced to single blanks.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return None, ""
    t = " ".join(str(text).lower().translate(_FOLD).split())
    kind = None
    for suffix, k in _SUFFIXES:
        if t.endswith(suffix):
            kind, t = k, t[: -len(suffix)]
            break
    if kind is None:
        for prefix, k in _PREFIXES:
            if t.startswith(prefix):
                kind, t = k, t[len(prefix) :]
                break
    for word in _ORGAN_WORDS:
        if t.startswith(word):
            t = t[len(word) :]
            break
        if t.endswith(", " + word.strip()):  # "Aachen, Städteregion"
            t = t[: -len(word) - 1]
            break
    for pattern, repl in _ABBREVIATIONS:
        t = pattern.sub(repl, t)
    t = re.sub(r"[^a-z0-9]+", " ", t).strip()
    return kind, t


def _without_parentheses(core: str, original: str) -> str:
    return normalise_kreis_name(re.sub(r"\([^)]*\)", " ", original))[1] if "(" in original else core


def build_kreis_lookup(regions: pd.DataFrame) -> dict[tuple[str | None, str], set[str]]:
    """(kind, core) and (None, core) → Kreis keys, from the regions' name and type."""
    kreise = regions[regions["level"] == "kreis"]
    lookup: dict[tuple[str | None, str], set[str]] = {}
    for rid, name, typ in zip(kreise["region_id"], kreise["name"], kreise["type"]):
        kind, _ = normalise_kreis_name(f"{typ} {name}")
        kind = kind or _DISTRICT
        _, core = normalise_kreis_name(name)
        for c in {core, _without_parentheses(core, str(name))}:
            lookup.setdefault((kind, c), set()).add(rid)
            lookup.setdefault((None, c), set()).add(rid)
    return lookup


def match_kreis_names(published: pd.Series, lookup: dict) -> pd.Series:
    """The Kreis keys each published name can mean (empty set: not recognised)."""
    cache: dict[str, frozenset[str]] = {}
    out = []
    for text in published:
        key = "" if text is None or text is pd.NA else str(text)
        if key not in cache:
            kind, core = normalise_kreis_name(key)
            found = lookup.get((kind, core)) or lookup.get((None, core)) if core else None
            if not found and "(" in key:
                stripped = _without_parentheses(core, key)
                found = lookup.get((kind, stripped)) or lookup.get((None, stripped))
            cache[key] = frozenset(found or ())
        out.append(cache[key])
    return pd.Series(out, index=published.index, dtype=object)


def locate_points(lat: pd.Series, lon: pd.Series, gemeinden: gpd.GeoDataFrame, tolerance_m: float = NEAREST_TOLERANCE_M) -> pd.DataFrame:
    """Locate points in Gemeinde polygons (EPSG:4326, columns region_id, geometry).

    Returns, indexed like ``lat``: gemeinde_id, location_method (inside, nearest,
    unlocated), distance_m (nearest only; for unlocated the distance to the
    nearest Gemeinde when known), swapped (bool), lat, lon (after a swap).
    """
    gemeinden = gemeinden[["region_id", "geometry"]].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "gemeinde_id": pd.array([None] * len(lat), dtype="string"),
            "location_method": "unlocated",
            "distance_m": np.nan,
            "swapped": False,
            "lat": lat.astype("float64"),
            "lon": lon.astype("float64"),
        },
        index=lat.index,
    )
    valid = lat.notna() & lon.notna() & np.isfinite(lat) & np.isfinite(lon) & lat.between(-90, 90) & lon.between(-180, 180)

    def inside(la: pd.Series, lo: pd.Series) -> pd.Series:
        if la.empty:
            return pd.Series(dtype="string")
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lo, la), index=la.index, crs=4326)
        hit = gpd.sjoin(pts, gemeinden, how="inner", predicate="intersects")
        # A point on a shared border intersects two Gemeinden: take the lower key, deterministically.
        hit = hit.sort_values("region_id")
        return hit.loc[~hit.index.duplicated(keep="first"), "region_id"].astype("string")

    found = inside(lat[valid], lon[valid])
    out.loc[found.index, "gemeinde_id"] = found
    out.loc[found.index, "location_method"] = "inside"

    rest = valid & out["gemeinde_id"].isna()
    # Swapped only where |lon| is a possible latitude; the swapped point must fall inside.
    swap_candidates = rest & lon.between(-90, 90)
    found = inside(lon[swap_candidates], lat[swap_candidates])
    if not found.empty:
        idx = found.index
        out.loc[idx, "gemeinde_id"] = found
        out.loc[idx, "location_method"] = "inside"
        out.loc[idx, "swapped"] = True
        out.loc[idx, "lat"], out.loc[idx, "lon"] = lon[idx].to_numpy(), lat[idx].to_numpy()

    rest = valid & out["gemeinde_id"].isna()
    if rest.any():
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[rest], lat[rest]), index=lat[rest].index, crs=4326).to_crs(METRIC_CRS)
        metric = gemeinden.to_crs(METRIC_CRS)
        near = gpd.sjoin_nearest(pts, metric, how="left", distance_col="distance_m")
        near = near.sort_values(["distance_m", "region_id"])
        near = near[~near.index.duplicated(keep="first")]
        out.loc[near.index, "distance_m"] = near["distance_m"]
        ok = near[near["distance_m"] <= tolerance_m]
        out.loc[ok.index, "gemeinde_id"] = ok["region_id"].astype("string")
        out.loc[ok.index, "location_method"] = "nearest"
    return out


def _gemeinde_shapes(ctx: BuildContext) -> gpd.GeoDataFrame:
    shapes = ctx.tables.get("region_shapes")
    if shapes is None:
        raise RuntimeError("charging: region_shapes are not built yet; the regions step runs first")
    gem = shapes[(shapes["level"] == "gemeinde") & (shapes["resolution"] == "full")]
    gem = gpd.GeoDataFrame(gem, geometry="geometry", crs=shapes.crs)
    if gem.crs is None or gem.crs.to_epsg() != 4326:
        gem = gem.to_crs(4326)
    return gem


def _quarantine(ctx: BuildContext, rows: pd.DataFrame, sheet: str, column: str, value: pd.Series, reason) -> None:
    if rows.empty:
        return
    ctx.quarantine.add_frame(
        pd.DataFrame({"file": FILE, "sheet": sheet, "line": rows["station_id"], "column": column, "value": value, "reason": reason}, index=rows.index),
        source_id=SOURCE_ID,
        target_table=TABLE,
    )


def build_stations(ctx: BuildContext) -> tuple[pd.DataFrame, dt.date, str]:
    """The ``charging_stations`` table, the register's date and its sheet name."""
    register = extract_register(ctx.path(FILE), FILE)
    f, raw, sheet = register.frame, register.raw, register.sheet
    stand = register.stand
    if stand is None:
        stand = dt.date.fromisoformat(SOURCES_BY_ID[SOURCE_ID].reference_date)
        ctx.note("charging", "register_date", f"no 'Stand:' line found; using the catalogue's reference date {stand}")
    else:
        ctx.note("charging", "register_date", stand.isoformat())
        ctx.record_edition(SOURCE_ID, stand.isoformat(), FILE, register.stand_origin)

    regions = ctx.regions
    gem = _gemeinde_shapes(ctx)
    loc = locate_points(f["Breitengrad"], f["Längengrad"], gem)

    fix = np.where(register.decimal_comma["Breitengrad"] | register.decimal_comma["Längengrad"], "decimal_comma", "")
    fix = np.where(loc["swapped"], np.where(fix == "", "swapped", "decimal_comma+swapped"), fix)
    charger = f["Art der Ladeeinrichtung"]
    st = pd.DataFrame(
        {
            "station_id": f["line"].astype("Int64"),
            "operator": f["Betreiber"],
            "street": f["Straße"],
            "house_number": f["Hausnummer"],
            "postcode": f["Postleitzahl"],
            "place": f["Ort"],
            "land_name": f["Bundesland"],
            "kreis_name_published": f["Kreis/kreisfreie Stadt"],
            "lat": loc["lat"],
            "lon": loc["lon"],
            "coordinate_fix": pd.array(np.where(fix == "", None, fix), dtype="string"),
            "commissioned": f["Inbetriebnahmedatum"],
            "power_kw": f["Anschlussleistung"],
            "charger_type": charger,
            "fast": (charger == FAST_TYPE).fillna(False).astype(bool),
            "charging_points": f["Anzahl Ladepunkte"].round().astype("Int64"),
            "gemeinde_id": loc["gemeinde_id"],
            "location_method": loc["location_method"],
            "distance_m": loc["distance_m"].where(loc["location_method"] == "nearest").round(1),
            "source_id": SOURCE_ID,
            "source_file": FILE,
        }
    )
    st["kreis_id"] = st["gemeinde_id"].str[:5]
    st["land_id"] = st["gemeinde_id"].str[:2]

    # Kreis name cross-check.
    candidates = match_kreis_names(st["kreis_name_published"], build_kreis_lookup(regions))
    recognised = candidates.map(bool)
    located = st["kreis_id"].notna()
    agrees = pd.Series([k in c for k, c in zip(st["kreis_id"].fillna(""), candidates)], index=st.index)
    st["kreis_name_agrees"] = pd.array(np.where(recognised & located, agrees, None), dtype="boolean")

    # --- quarantine and notes ------------------------------------------------
    raw_coords = "Breitengrad=" + raw["Breitengrad"].fillna("") + "; Längengrad=" + raw["Längengrad"].fillna("")
    no_number = f["Breitengrad"].isna() | f["Längengrad"].isna()
    _quarantine(ctx, st[no_number], sheet, "Breitengrad/Längengrad", raw_coords[no_number], "coordinate missing or not a number; station kept as unlocated")
    outside = (st["location_method"] == "unlocated") & ~no_number
    dist = loc["distance_m"][outside]
    reason = pd.Series(
        np.where(
            dist.notna(),
            "point outside Germany even after repair (nearest Gemeinde " + dist.round(0).astype("Int64").astype(str) + f" m away, beyond the {NEAREST_TOLERANCE_M:.0f} m tolerance); station kept as unlocated",
            "point outside any possible range; station kept as unlocated",
        ),
        index=dist.index,
    )
    _quarantine(ctx, st[outside], sheet, "Breitengrad/Längengrad", raw_coords[outside], reason)

    disagree = st["kreis_name_agrees"].eq(False).fillna(False).astype(bool)
    _quarantine(
        ctx, st[disagree], sheet, "Kreis/kreisfreie Stadt", st.loc[disagree, "kreis_name_published"],
        "Kreis name disagrees with coordinates (located in " + st.loc[disagree, "kreis_id"].astype(str) + "); kept at the coordinates, kreis_name_agrees False",
    )
    unknown_name = ~recognised
    _quarantine(ctx, st[unknown_name], sheet, "Kreis/kreisfreie Stadt", st.loc[unknown_name, "kreis_name_published"], "Kreis name not recognised; kreis_name_agrees left empty")

    last_day = stand - dt.timedelta(days=1)
    last_year = last_period_year(stand)
    dates = pd.to_datetime(st["commissioned"])
    bad_date = dates.isna() | (dates > pd.Timestamp(last_day))
    _quarantine(
        ctx, st[bad_date], sheet, "Inbetriebnahmedatum", raw["Inbetriebnahmedatum"][bad_date],
        f"commissioning date missing, not a date or after {last_day.isoformat()}; counted only in the stock of {last_year}",
    )
    bad_type = ~charger.isin([FAST_TYPE, NORMAL_TYPE]).fillna(False).astype(bool)
    _quarantine(ctx, st[bad_type], sheet, "Art der Ladeeinrichung", charger[bad_type], "charger type neither Normal- nor Schnellladeeinrichtung; counted as not fast")
    no_points = st["charging_points"].isna()
    _quarantine(ctx, st[no_points], sheet, "Anzahl Ladepunkte", raw["Anzahl Ladepunkte"][no_points], "number of charging points missing or not a number; station counted, its points not")

    methods = st["location_method"].value_counts().to_dict()
    ctx.note("charging", "stations", int(len(st)))
    ctx.note("charging", "location_method", {k: int(v) for k, v in methods.items()})
    ctx.note("charging", "located_share_pct", round(100 * float(located.mean()), 2) if len(st) else None)
    ctx.note("charging", "coordinate_fix", {k: int(v) for k, v in st["coordinate_fix"].value_counts().items()})
    ctx.note("charging", "kreis_name_disagrees", int(disagree.sum()))
    ctx.note("charging", "kreis_name_not_recognised", int(unknown_name.sum()))
    ctx.note("charging", "nearest_tolerance_m", NEAREST_TOLERANCE_M)
    d = loc["distance_m"].dropna()
    ctx.note(
        "charging",
        "outside_polygon_distance_m",
        {"≤500": int((d <= 500).sum()), "500–1000": int(((d > 500) & (d <= 1000)).sum()), "1000–1500": int(((d > 1000) & (d <= 1500)).sum()),
         "1500–3000": int(((d > 1500) & (d <= 3000)).sum()), ">3000": int((d > 3000).sum()), "max_within_tolerance": round(float(d[d <= NEAREST_TOLERANCE_M].max()), 1) if (d <= NEAREST_TOLERANCE_M).any() else None},
    )
    ctx.note("charging", "commissioned_before_first_year", int((dates.dt.year < FIRST_YEAR).sum()))
    ctx.note("charging", "commissioning_date_unusable", int(bad_date.sum()))
    after = ~bad_date & (dates > pd.Timestamp(last_year, 12, 31))
    ctx.note("charging", "commissioned_after_last_period", int(after.sum()))
    return st, stand, sheet


def last_period_year(stand: dt.date) -> int:
    """The year of the last period: the last 31 December before the register's
    date. A register of 01.01.2022 gives 2021 (its stations are the stock at
    31.12.2021); one of 01.11.2021 gives 2020, since its stock is that of
    31.10.2021, not of a year's end."""
    last_day = stand - dt.timedelta(days=1)
    return last_day.year if (last_day.month, last_day.day) == (12, 31) else last_day.year - 1


def count_by_gemeinde(stations: pd.DataFrame, gemeinde_ids: list[str], years: list[int], stand: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Per indicator a Gemeinde × year frame of counts (zeros included).

    Stations commissioned after the last period but before the register's
    date (``stand``) are in no period; a missing date, or one on or after
    ``stand``, counts in the last period's stock."""
    located = stations[stations["gemeinde_id"].notna()]
    last = years[-1]
    dates = pd.to_datetime(located["commissioned"])
    if stand is not None:
        between = (dates > pd.Timestamp(last, 12, 31)) & (dates < pd.Timestamp(stand))
        located, dates = located[~between], dates[~between]
    year = dates.dt.year
    usable = year.notna() & (dates <= pd.Timestamp(last, 12, 31))
    # Stock: earlier commissioning joins the first year; unusable dates join the last year only.
    stock_year = year.where(usable, last).clip(lower=years[0]).astype(int)
    points = located["charging_points"].astype("float64").fillna(0.0)
    fast = located["fast"].astype(bool)
    base = pd.DataFrame({"gemeinde_id": located["gemeinde_id"].astype(str), "year": stock_year, "one": 1.0, "points": points})
    idx = pd.Index(gemeinde_ids, name="gemeinde_id")

    columns = pd.Index(years, name="year")

    def table(frame: pd.DataFrame, col: str, cumulative: bool) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(0.0, index=idx, columns=columns)
        wide = frame.pivot_table(index="gemeinde_id", columns="year", values=col, aggfunc="sum", fill_value=0.0)
        wide = wide.reindex(index=idx, columns=columns, fill_value=0.0).fillna(0.0)
        return wide.cumsum(axis=1) if cumulative else wide

    new = base[usable & (year >= years[0])]
    return {
        "ev_stations": table(base, "one", True),
        "ev_stations_fast": table(base[fast], "one", True),
        "ev_points": table(base, "points", True),
        "ev_points_fast": table(base[fast], "points", True),
        "ev_stations_new": table(new, "one", False),
    }


def build_observations(ctx: BuildContext, stations: pd.DataFrame, stand: dt.date) -> pd.DataFrame:
    last_year = last_period_year(stand)
    years = list(range(FIRST_YEAR, last_year + 1))
    gemeinde_ids = sorted(ctx.region_ids("gemeinde"))
    counts = count_by_gemeinde(stations, gemeinde_ids, years, stand)
    # Long form straight from the Gemeinde × year arrays (row-major: Gemeinde, then year);
    # the key column is built once and shared by every indicator.
    region_col = pd.array(np.repeat(gemeinde_ids, len(years)), dtype="string")
    period_col = np.tile(pd.to_datetime([f"{y}-12-31" for y in years]).to_numpy(), len(gemeinde_ids))
    cols = ["indicator_id", "region_id", "period", "value"]
    parts = []
    for indicator, wide in counts.items():
        rows = pd.DataFrame({"indicator_id": indicator, "region_id": region_col, "period": period_col, "value": wide.to_numpy().ravel()})
        parts.append(rows)
        # Gemeinde → Kreis → Land → Germany, each level summed from the one below (etl.aggregate, rule "sum").
        for level in ("kreis", "land", "bund"):
            rows = aggregate(rows, level)[cols]
            parts.append(rows)
    obs = pd.concat(parts, ignore_index=True)

    population = latest_population(ctx)
    # A population of 0 (an uninhabited gemeindefreies Gebiet) gives no rate.
    population = population[population["population"] > 0].assign(population_date=lambda p: pd.to_datetime(p["population_date"]).dt.date)
    if population.empty:
        ctx.note("charging", PER_10K, "skipped: no population observations in this build (the population step did not run or produced none)")
    else:
        points = obs[obs["indicator_id"] == "ev_points"].merge(population, on="region_id", how="inner")
        points["value"] = points["value"] / points["population"] * 10_000
        points["indicator_id"] = PER_10K
        dates = points.assign(level=points["region_id"].map(_level_of)).groupby("level")["population_date"].agg(lambda s: sorted({d.isoformat() for d in s}))
        ctx.note("charging", f"{PER_10K}_population_dates", {k: v for k, v in dates.items()})
        ctx.note("charging", f"{PER_10K}_regions_without_population", int(obs.loc[obs["indicator_id"] == "ev_points", "region_id"].nunique() - points["region_id"].nunique()))
        obs = pd.concat([obs, points[["indicator_id", "region_id", "period", "value"]]], ignore_index=True)

    obs["period_type"] = "year"
    # Only a stock at the day before the register's date is complete; every
    # earlier one lacks the stations decommissioned since.
    obs["flag"] = np.where(obs["period"] < pd.Timestamp(stand - dt.timedelta(days=1)), "lower_bound", None)
    obs["source_file"] = FILE
    # Plain Python strings: finalize_observations iterates indicator_id and flag
    # row by row, five times slower on Arrow-backed strings (≈ 750,000 rows here).
    obs["indicator_id"] = obs["indicator_id"].astype(object)
    obs["flag"] = obs["flag"].astype(object)
    return finalize_observations(obs, ctx, source_id=SOURCE_ID, step="charging")


def _level_of(region_id: str) -> str:
    return "bund" if region_id == GERMANY_ID else LEVEL_OF_KEY_LENGTH.get(len(region_id), "?")


def run(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    stations, stand, _ = build_stations(ctx)
    obs = build_observations(ctx, stations, stand)
    table = stations[TABLES_BY_NAME[TABLE].column_names]
    return {TABLE: table, "observations": obs}


STEP = Step("charging", 40, (SOURCE_ID,), run, owns_tables=(TABLE,), reads=("region_shapes", "observations:population"))
