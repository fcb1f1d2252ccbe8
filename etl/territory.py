"""Territorial changes: historic Kreis and Gemeinde keys converted to the status of 2021-01-01.

In: ``data/territorial_changes.csv``, a reviewed file with one row per change
event, historic unit and 2021 unit (5-digit Kreis or 8-digit Gemeinde keys):
``event_date`` (first day of the new status), ``old_key``/``old_name``,
``new_key``/``new_name`` (the VG5000 2021 name), ``share`` (part of the old
unit that went to the new one: 1 for a whole unit, a fraction where a Kreis was
split), ``population`` and ``population_date`` (the old unit's population, the
weight of its part in a weighted mean; empty where a unit only got a new key),
``basis`` (where share and population come from) and ``reference`` (the Land
law and the publisher's notice). It declares the Kreis reforms whose keys carry
values in the kit, the Gemeinden of the two Göttingen Kreise (re-keyed in
2016, in no Gemeindeverzeichnis of the kit) and the other Gemeinde mergers that
the Breitbandatlas' Gemeinde files 2018–2021 still show and no Gemeindeverzeichnis
of the kit does (Hildesheim, Helmstedt, Wolfenbüttel, Cuxhaven, Diepholz on
2016-11-01; four absorptions on 2016-01-01). A key kept by the unit that
absorbed another is declared as its own part (old and new key the same, only
beside a row of what it absorbed on that day). Plus, derived in the build
(``derive_gemeinde_changes``): every Gemeinde of the Gemeindeverzeichnis
31.12.2016 and 31.12.2017 whose key is gone, placed by its centre coordinates in
the 2021 Gemeinde that contains it. Each row carries ``status_date``, a date on
which its old key was valid: the parts of a 2021 unit are counted per status.

Out: the ``territorial_changes`` table and, through ``harmonise`` (applied by
``etl.transform.observations`` to every row whose key is not in the 2021
status), observations of 2021 units with flag ``harmonised``
(``etl.catalogue.flags``). The rules:

- A value is made for a 2021 unit, indicator and period only when every part of
  that unit in one status has a value in the same file: counts are summed and
  shares weighted by the population of each part (``etl.aggregate``, by the
  indicator's declared rule). Partial coverage makes no value.
- Households: the Breitbandatlas' household shares (rule ``mean_households``)
  are weighted by population too, because the kit publishes no household
  counts; within one merger the two differ little.
- A count of a Kreis that was split (``share`` < 1, Demmin 2011) cannot be
  divided without a figure for its part: no value. A share of a split Kreis is
  taken as valid for each of its parts, weighted by ``share × population``.
- A pure renumbering (the 2021 unit had this one historic unit, whole, as its
  only part in that status) carries the value unchanged whatever the rule, rule
  ``none`` included. Other indicators with rule ``none`` are combined only where
  that is exact (``_rule_none_weights``): a density by the areas the same file
  gives for every part (``DENOMINATOR``), or parts that all have the same value
  (any weighted mean is that value). Otherwise no value: the reason names the
  weights the kit does not publish (``MISSING_BASE``).
- Rows without a value: where every part of a 2021 unit in one status has none in
  the same file, under the same marker (the 2010–2014 ``not_reported`` zeros), the
  unit gets one row with that marker (``_carry_markers``).
- A file in the status before a merger gives a historic key absorbed into a
  2021 unit *and* the key that unit kept: the kept key's row there is its old
  territory, one part of the unit in that status. The unit's value for that
  file and period is made from all parts by the rules above and replaces the
  published kept-key row (returned as replaced, and as a superseded row of role
  ``kept_key_part`` for the ``duplicates`` table); where none can be made (rule
  ``none``, a part missing, flags) the kept-key row leaves the observations too,
  with its reason in the quarantine. A file with the kept key and none of the
  absorbed ones is in the 2021 status: its value stays.
- Otherwise a value the publisher gives directly for the 2021 key and period
  (another file, or a new key that was no part) is never
  overwritten. The historic rows of that unit and period are *superseded*, not
  unmapped: they go to the ``duplicates`` table (one row per kept file, file,
  indicator and period, every historic key with its line in the note), not to
  the quarantine. A published empty cell (GENESIS ``-``: the new Kreis did not
  exist yet) is replaced by the converted value, and counted in the notes.
- Parts whose values carry a flag are not converted (one flag cannot keep two).
- City districts under pseudo-keys (Berlin Bezirke, Hamburg, Bremen, Köln,
  München: ``CITY_DISTRICTS``) belong to their city: counts are summed into it
  when every district has a value and the city none of its own; shares are not
  combined (no figure per district to weight by).
- Historic Gemeinde keys that a source names (the DSL workbooks 2005–2008 give
  ``gen`` and ``ewz``) are placed by name (``match_gemeinde_names``): only a
  unique name in the old Kreis, and only where every Gemeinde of that old Kreis
  in the list is placed, so that the parts of each 2021 unit are known.

Every historic row that does not become part of a converted value and is not
superseded stays in the quarantine with a reason saying why.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from etl import paths
from etl.aggregate import aggregate
from etl.catalogue import INDICATORS_BY_ID
from etl.errors import InputError

COLUMNS = ["event_date", "old_key", "old_name", "new_key", "new_name", "share", "population", "population_date", "basis", "reference"]
FLAG = "harmonised"
KEY = re.compile(r"^(\d{5}|\d{8})$")  # Kreis or Gemeinde
SHARE_TOLERANCE = 0.001


def _relname(path: Path) -> str:
    try:
        return path.relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _date(text: str, file: str, line: int, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(file, f"{text!r} is not a date (YYYY-MM-DD)", line=line, column=column) from None


def read_crosswalk(path: Path = paths.TERRITORIAL_CHANGES_FILE) -> pd.DataFrame:
    """The declared crosswalk, checked row by row; errors name file, line and column."""
    file = _relname(path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != COLUMNS:
            raise InputError(file, f"expected the columns {COLUMNS}, found {reader.fieldnames}", line=1)
        records = []
        for row in reader:
            line = reader.line_num
            rec = {c: (row[c] or "").strip() for c in COLUMNS}
            for col in ("old_key", "new_key"):
                if not KEY.match(rec[col]):
                    raise InputError(file, f"{rec[col]!r} is not a 5-digit Kreis or 8-digit Gemeinde key (write the leading zero)", line=line, column=col)
            if len(rec["old_key"]) != len(rec["new_key"]):
                raise InputError(file, "old and new key are of different levels", line=line, column="new_key")
            rec["event_date"] = _date(rec["event_date"], file, line, "event_date")
            try:
                share = float(rec["share"])
            except ValueError:
                raise InputError(file, f"share {rec['share']!r} is not a number", line=line, column="share") from None
            if not 0 < share <= 1:
                raise InputError(file, f"share {share} is not in (0, 1]", line=line, column="share")
            rec["share"] = share
            if rec["population"]:
                if not rec["population"].isdigit() or int(rec["population"]) <= 0:
                    raise InputError(file, f"population {rec['population']!r} is not a positive whole number", line=line, column="population")
                rec["population"] = int(rec["population"])
                rec["population_date"] = _date(rec["population_date"], file, line, "population_date")
            else:
                rec["population"] = None
                rec["population_date"] = None
            for col in ("old_name", "new_name", "basis", "reference"):
                if not rec[col]:
                    raise InputError(file, f"{col} is empty: every row says what it maps, on what basis and by which law", line=line, column=col)
            rec["line"] = line
            records.append(rec)
    frame = pd.DataFrame(records, columns=[*COLUMNS, "line"])
    # A key kept by the unit that absorbed another is declared as a part of itself (its territory
    # before the event), only beside the row of what it absorbed on that day.
    same = frame["old_key"] == frame["new_key"]
    absorbing = set(zip(frame.loc[~same, "new_key"], frame.loc[~same, "event_date"]))
    alone = frame[same & ~pd.Series([k in absorbing for k in zip(frame["new_key"], frame["event_date"])], index=frame.index)]
    if len(alone):
        raise InputError(file, "old and new key are the same, and no other unit goes into it on that day (only a key kept by a merger is its own part)", line=int(alone["line"].iloc[0]), column="new_key")
    dup = frame.duplicated(["old_key", "new_key"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise InputError(file, f"{first['old_key']} → {first['new_key']} is declared twice", line=int(first["line"]))
    totals = frame.groupby("old_key")["share"].sum()
    off = totals[(totals - 1).abs() > SHARE_TOLERANCE]
    if len(off):
        key = off.index[0]
        line = int(frame.loc[frame["old_key"] == key, "line"].iloc[0])
        raise InputError(file, f"the shares of {key} add up to {off.iloc[0]:g}, not 1", line=line, column="share")
    frame["population"] = frame["population"].astype("Int64")
    frame.insert(0, "level", frame["old_key"].str.len().map({5: "kreis", 8: "gemeinde"}))
    # The old key was valid up to the day before the event: the status its parts belong to.
    frame.insert(2, "status_date", frame["event_date"].map(lambda d: d - dt.timedelta(days=1)))
    frame.attrs["file"] = file
    return frame


def check_crosswalk(crosswalk: pd.DataFrame, regions: pd.DataFrame) -> None:
    """Every new key is a unit of the 2021 status (of its level) with the declared name; no old key is."""
    kept = regions["level"].isin(["kreis", "gemeinde"])
    units = dict(zip(regions.loc[kept, "region_id"], regions.loc[kept, "name"]))
    current = set(regions["region_id"])  # once: a set per row made this check cost a second a build
    file = crosswalk.attrs.get("file", "territorial changes")
    for row in crosswalk.itertuples(index=False):
        if row.old_key in current and row.old_key != row.new_key:
            raise InputError(file, f"{row.old_key} is a key of the 2021 status, not a historic one", line=row.line, column="old_key")
        if row.new_key not in units:
            raise InputError(file, f"{row.new_key} is not a {row.level.capitalize()} of the 2021 status", line=row.line, column="new_key")
        if units[row.new_key] != row.new_name:
            raise InputError(file, f"{row.new_key} is {units[row.new_key]!r} in VG5000 2021, not {row.new_name!r}", line=row.line, column="new_name")


def crosswalk_of(ctx) -> pd.DataFrame:
    """The crosswalk of a build: read once (the regions step checks it against the regions)."""
    if ctx.territorial_changes is None:
        ctx.territorial_changes = read_crosswalk()
    return ctx.territorial_changes


def read_gemeinde_statuses(ctx) -> dict[dt.date, pd.DataFrame]:
    """The Gemeinden of each Gemeindeverzeichnis in the kit: key, name, centre, population."""
    from etl.extract.destatis import extract_gv_gemeinden
    from etl.transform.population import GV_GEMEINDEN_FILES

    out = {}
    for relpath in GV_GEMEINDEN_FILES:
        table = extract_gv_gemeinden(ctx.path(relpath), relpath)
        records = table.records[table.records["record_type"] == "gemeinde"][["ags", "name", "lon", "lat"]]
        pop = table.cells[(table.cells["measure"] == "population") & table.cells["value"].notna()].drop_duplicates("ags").set_index("ags")["value"]
        out[dt.date.fromisoformat(table.reference_date)] = records.assign(population=records["ags"].map(pop))
    return out


def derive_gemeinde_changes(statuses: dict[dt.date, pd.DataFrame], gemeinden: pd.DataFrame, known: set[str]) -> tuple[pd.DataFrame, dict]:
    """Gemeinde mergers from coordinates: where each Gemeinde of an older status lies today.

    ``statuses``: per status date, the Gemeinden of that status (columns ags, name,
    lon, lat in WGS 84, population) as the Gemeindeverzeichnis gives them;
    ``gemeinden``: the 2021 Gemeinde polygons (region_id, name, geometry, EPSG:4326).
    A Gemeinde of an older status whose key is not in the 2021 status is mapped,
    whole, to the 2021 Gemeinde that contains its centre (or the nearest within
    1.5 km, for centres on generalised borders). For every 2021 Gemeinde that
    receives one, all its parts in that status are listed, the ones that kept
    their key included: a conversion needs every one of them. Returns the
    crosswalk rows (level gemeinde) and counts for the manifest notes.
    """
    from etl.transform.charging import locate_points  # the one point-in-Gemeinde locator

    names = gemeinden.set_index("region_id")["name"]
    rows, notes = [], {}
    for status, frame in sorted(statuses.items()):
        frame = frame[frame["ags"].notna()].drop_duplicates("ags")
        located = locate_points(frame["lat"], frame["lon"], gemeinden[["region_id", "geometry"]])
        frame = frame.assign(new_key=located["gemeinde_id"].astype(object), method=located["location_method"])
        historic = ~frame["ags"].isin(known)
        # A key of 2021 stays itself; only historic keys are placed by their centre.
        frame.loc[~historic, "new_key"] = frame.loc[~historic, "ags"]
        frame.loc[~historic, "method"] = "key kept"
        unlocated = frame[historic & frame["new_key"].isna()]
        receiving = set(frame.loc[historic & frame["new_key"].notna(), "new_key"])
        parts = frame[frame["new_key"].isin(receiving)]
        notes[status.isoformat()] = {
            "historic_keys": int(historic.sum()),
            "located": int((historic & frame["new_key"].notna()).sum()),
            "located_nearest": int((historic & (frame["method"] == "nearest")).sum()),
            "unlocated": sorted(unlocated["ags"]),
            "receiving_2021_gemeinden": len(receiving),
        }
        for r in parts.itertuples(index=False):
            rows.append(
                {
                    "level": "gemeinde", "event_date": None, "status_date": status, "old_key": r.ags, "old_name": r.name,
                    "new_key": r.new_key, "new_name": names.get(r.new_key, ""), "share": 1.0,
                    "population": None if pd.isna(r.population) else int(r.population), "population_date": status,
                    "basis": f"derived: centre coordinates of the Gemeindeverzeichnis {status.isoformat()} located in the VG5000 2021 Gemeinden ({r.method}); population of that Gemeindeverzeichnis",
                    "reference": f"Destatis, Gemeindeverzeichnis (GV-ISys), Gebietsstand {status.strftime('%d.%m.%Y')}; BKG VG5000, Stand 01.01.2021",
                }
            )
    frame = pd.DataFrame(rows, columns=["level", "event_date", "status_date", *COLUMNS[1:]])
    frame["population"] = frame["population"].astype("Int64")
    return frame, notes


def match_gemeinde_names(named: pd.DataFrame, gemeinden: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Historic Gemeinde keys that a source names, matched by name to the 2021 status.

    ``named``: the Gemeinden of one status as a source lists them (columns ags, name
    — empty where the source gives none —, population, status_date, file); ``gemeinden``:
    the 2021 Gemeinden (region_id, name); ``crosswalk``: the crosswalk so far. A key that
    is neither of 2021 nor in the crosswalk is matched when exactly one 2021 Gemeinde of
    its Kreis (the old Kreis, or the 2021 Kreise it went to) has the same name folded
    (``etl.gazetteer.fold``), or one Gemeinde of the crosswalk's older statuses does (then
    its 2021 unit). A match alone does not make a conversion: the other Gemeinden that
    went into the same 2021 unit must be known too. So the rows of a 2021 Gemeinde go to
    the crosswalk only when no Gemeinde of the same old Kreis in that list is left
    unplaced (its parts are then all known: the matched ones and its own kept key).
    Returns (crosswalk rows, the reason for every key that stays unplaced).
    """
    from etl.gazetteer import fold

    known = set(gemeinden["region_id"])
    kreis_cw = crosswalk[crosswalk["level"] == "kreis"]
    kreise_of = kreis_cw.groupby("old_key")["new_key"].agg(set).to_dict()
    by_name: dict[tuple[str, str], set[str]] = {}
    for key, name in zip(gemeinden["region_id"], gemeinden["name"]):
        by_name.setdefault((key[:5], fold(name)), set()).add(key)
    old = crosswalk[crosswalk["level"] == "gemeinde"]
    for key, name, new in zip(old["old_key"], old["old_name"], old["new_key"]):
        by_name.setdefault((key[:5], fold(name)), set()).add(new)
    rows, reasons = [], {}
    for (status, file), frame in named.groupby(["status_date", "file"], sort=True):
        frame = frame.drop_duplicates("ags")
        todo = frame[~frame["ags"].isin(known) & ~frame["ags"].isin(set(crosswalk["old_key"]))]
        matched: dict[str, str] = {}
        for key, name in zip(todo["ags"], todo["name"].fillna("")):
            if not name.strip():
                continue
            kreise = {key[:5]} | kreise_of.get(key[:5], set())
            hits = set().union(*(by_name.get((k, fold(name)), set()) for k in kreise))
            if len(hits) == 1:
                matched[key] = hits.pop()
        unplaced = todo[~todo["ags"].isin(matched)]
        open_kreise = unplaced.groupby(unplaced["ags"].str[:5]).size().to_dict()
        where = f"{file}, status {status.isoformat()}"
        for key, name in zip(unplaced["ags"], unplaced["name"].fillna("")):
            reasons[key] = (
                f"Gemeinde key of an older status without a name in {where} and in no Gemeindeverzeichnis of the kit: cannot be placed in a 2021 Gemeinde"
                if not name.strip() else f"Gemeinde key named {name!r} in {where}: no 2021 Gemeinde of its Kreis, and none of an older status, has that name (or several do): cannot be placed"
            )
        names = gemeinden.set_index("region_id")["name"]
        info = frame.set_index("ags")
        for new in sorted(set(matched.values())):
            parts = [k for k, n in matched.items() if n == new] + ([new] if new in info.index else [])
            lacking = {k[:5]: open_kreise[k[:5]] for k in parts if k[:5] in open_kreise}
            if lacking:
                for k in parts:
                    if k != new:
                        reasons[k] = (
                            f"Gemeinde key named {info.at[k, 'name']!r} in {where}: by its name part of 2021 Gemeinde {new} {names[new]}, "
                            f"but {sum(lacking.values())} Gemeinden of its old Kreis in that list cannot be placed (no name, or no match), "
                            "so whether others went into the same 2021 Gemeinde is unknown: no value made"
                        )
                continue
            for k in parts:
                pop = info.at[k, "population"]
                rows.append(
                    {
                        "level": "gemeinde", "event_date": None, "status_date": status, "old_key": k, "old_name": info.at[k, "name"] or names[new],
                        "new_key": new, "new_name": names[new], "share": 1.0, "population": None if pd.isna(pop) else int(pop), "population_date": status,
                        "basis": f"derived: the name in {file} matched to the 2021 Gemeinde of the same Kreis (every Gemeinde of that Kreis in the list placed); population of that list",
                        "reference": f"{file}; BKG VG5000, Stand 01.01.2021",
                    }
                )
    frame = pd.DataFrame(rows, columns=crosswalk.columns.drop("line", errors="ignore"))
    frame["population"] = frame["population"].astype("Int64")
    return frame, reasons


def place_named_gemeinden(ctx, named: pd.DataFrame) -> dict:
    """Extend the build's crosswalk by the Gemeinden a source names (``match_gemeinde_names``);
    keep the reason of every key left unplaced for the quarantine. Returns counts for the notes."""
    crosswalk = crosswalk_of(ctx)
    regions = ctx.regions if "name" in ctx.regions else ctx.regions.assign(name="")  # a test's small set may lack names
    gemeinden = regions.loc[regions["level"] == "gemeinde", ["region_id", "name"]]
    rows, reasons = match_gemeinde_names(named, gemeinden, crosswalk)
    if len(rows):
        ctx.territorial_changes = pd.concat([crosswalk, rows], ignore_index=True)
        if "territorial_changes" in ctx.tables:
            ctx.tables["territorial_changes"] = pd.concat([ctx.tables["territorial_changes"], rows], ignore_index=True)
    ctx.unplaced_keys.update(reasons)
    matched = sum(1 for r in reasons.values() if "by its name part of" in r)
    return {"keys_placed_by_name": int(rows["old_key"].nunique()) if len(rows) else 0, "keys_matched_by_name_but_parts_unknown": matched, "keys_unplaced": len(reasons) - matched}


# City districts under pseudo-keys (the city's key with a district number instead of 000), as
# the Breitbandatlas publishes them: how many each city has, to know when all are present
# (Hamburg 7 Bezirke, Bremen 5 Stadtbezirke, Köln 9 Stadtbezirke, München 25 Stadtbezirke,
# Berlin 12 Bezirke: the cities' main statutes; the gemeinde_bezirke files list exactly these).
CITY_DISTRICTS = {"02000000": 7, "04011000": 5, "05315000": 9, "09162000": 25, "11000000": 12}


def city_districts(keys, gemeinden: set[str]) -> dict[str, str]:
    """District pseudo-key → its city: an 8-digit key that is no 2021 Gemeinde while its first
    five digits + ``000`` are a city with districts (a historic key such as 03152001 fails: no 03152000)."""
    return {
        k: k[:5] + "000" for k in set(keys)
        if isinstance(k, str) and len(k) == 8 and k not in gemeinden and k[5:] != "000" and k[:5] + "000" in gemeinden and k[:5] + "000" in CITY_DISTRICTS
    }


def combine_city_districts(rows: pd.DataFrame, inside: pd.DataFrame, districts: dict[str, str]) -> tuple[pd.DataFrame, pd.Series, int]:
    """Values of a city's districts → the city: counts summed, and only when every district
    of the city has a value in the same file and the city has none of its own for the period.

    Shares are never combined (the kit has no household or population figure per district).
    Returns (converted rows of the cities, flag ``harmonised``; the reason of every row that
    stays; the number of rows converted).
    """
    city = rows["region_id"].astype(str).map(districts)
    own = inside[inside["region_id"].isin(set(city)) & inside["value"].notna()]
    published = set(zip(own["indicator_id"].astype(str), own["region_id"].astype(str), own["period"]))
    reasons = pd.Series(index=rows.index, dtype=object)
    made = []
    for (file, indicator, key, period), g in rows.groupby([rows["source_file"].astype(str), rows["indicator_id"].astype(str), city, "period"], sort=False):
        rule = INDICATORS_BY_ID[indicator].aggregation
        present = set(g["region_id"].astype(str))
        lacking = sorted({f"{key[:5]}{i:03d}" for i in range(1, CITY_DISTRICTS[key] + 1)} - present)
        head = f"city district of {key} (no unit of the 2021 status; it belongs to its city)"
        if (indicator, key, period) in published:
            reason = f"{head}: the city's own figure is published for this period and kept"
        elif rule != "sum":
            reason = f"{head}: a share of districts cannot be combined into the city (no household or population figure per district in the kit)"
        elif lacking:
            reason = f"{head}: summing to the city needs {', '.join(lacking)} for this period too (partial coverage: no value made)"
        elif g["value"].isna().any() or g["flag"].notna().any() or len(g) != len(present):
            reason = f"{head}: a district has no value, a flag or two rows here: not summed"
        else:
            out = g.iloc[[0]].copy()
            out["region_id"] = pd.array([key], dtype=rows["region_id"].dtype)
            out["value"] = float(g["value"].sum())
            out["flag"], out["line"], out["raw"] = FLAG, None, None
            out["column"] = f"{g['column'].iloc[0]} of {' + '.join(sorted(present))} (city districts)"
            made.append(out)
            continue
        reasons[g.index] = reason
    reasons = reasons.dropna()
    converted = pd.concat(made) if made else rows.iloc[0:0]
    return converted, reasons, int(len(rows) - len(reasons))


# A rule-none indicator whose parts can still be combined exactly, by the denominator the same
# file publishes for each part: a density is population over area, so the density of a merged
# unit is the mean of its parts' densities weighted by their areas (the Gemeindeverzeichnis gives
# both for every Gemeinde).
DENOMINATOR = {"population_density": "area_km2"}
# What a rule-none indicator would need to be weighted, and that no file of the kit publishes: the
# quarantine's reason names it.
MISSING_BASE = {
    "bb_biz": "the number of business sites of each part",
    "bb_bizpark": "the number of business sites in commercial zones of each part (gemeinde_gewerbe_gwg_2019_mitte.csv gives counts whose meaning is not documented and which cannot be business sites: Hamburg 57,700,054)",
    "bb_school": "the number of schools of each part",
    "bb_mob": "the area of each area type in each part",
}
EQUAL_TOLERANCE = 1e-9


def _denominators(frames: list[pd.DataFrame], crosswalk_keys: set[str]) -> dict[tuple[str, str, object, str], float]:
    """(denominator indicator, key, period, file) → value, for the keys of the crosswalk (in ``frames``,
    each filtered before they are joined: the observations of a step are millions of rows)."""
    bases = set(DENOMINATOR.values())
    wanted = pd.concat([f[f["indicator_id"].isin(bases) & f["value"].notna() & f["region_id"].isin(crosswalk_keys)] for f in frames])
    return {
        (str(i), str(r), p, str(f)): float(v)
        for i, r, p, f, v in zip(wanted["indicator_id"], wanted["region_id"], wanted["period"], wanted["source_file"], wanted["value"])
    }


def _rule_none_weights(indicator: str, values: dict[str, float], need: dict, where: tuple[str, object], denominators: dict, label: str) -> tuple[dict[str, float] | None, str, str | None]:
    """How the parts of a rule-none indicator combine into one value, where the kit allows it exactly.

    ``values``: part key → its value (every part of the 2021 unit, all covered). Returns (weight per
    part, kind for the notes, None) or (None, kind, the reason no value is made):

    - the same file publishes the indicator's denominator for every part (``DENOMINATOR``): the mean
      weighted by it (``share`` × denominator, for a split unit) is the unit's own ratio;
    - every part has the same value: any weighted mean is that value, whatever the weights;
    - otherwise no value: the weights are published nowhere in the kit (``MISSING_BASE`` says which).
    """
    file, period = where
    base = DENOMINATOR.get(indicator)
    if base is not None:
        found = {k: denominators.get((base, k, period, file)) for k in values}
        if all(v is not None and v > 0 for v in found.values()):
            return {k: need[k][0] * found[k] for k in values}, "rule_none_weighted_by_denominator", None
    low, high = min(values.values()), max(values.values())
    if high - low <= EQUAL_TOLERANCE:
        return {k: 1.0 for k in values}, "rule_none_equal_parts", None
    lacking = next((text for prefix, text in MISSING_BASE.items() if indicator.startswith(prefix + "_")), None)
    if base is not None:
        lacking = f"{base} for every part in the same file"
    reason = (
        f"indicator {indicator} has aggregation rule none: its {len(values)} parts differ here ({low:g} to {high:g}) and their weights "
        f"({lacking or 'a base of the indicator'}) are published nowhere in the kit: not converted to {label}"
    )
    return None, "rule_none", reason


def _carry_markers(rows: pd.DataFrame, inside: pd.DataFrame, cw: pd.DataFrame, statuses: dict, handled: set) -> tuple[pd.DataFrame, list, list]:
    """Historic rows without a value (a publisher's marker) → one marker row of their 2021 unit.

    Only where every part of the unit in one status is in the same file under the same marker (the
    kept key's own row included, in a file of the status before the merger), the unit has no row
    in another file for that period, and no part has a value (``handled``: the groups of valued
    parts). Only units that an old key went to whole (no split Kreis). Returns (the unit rows,
    value empty, flag the marker, ``column`` naming every part; the historic rows they replace; the
    kept-key rows they replace).
    """
    if rows.empty:
        return rows.iloc[0:0], [], []
    whole = cw.groupby("old_key")["new_key"].nunique()
    to = dict(cw.loc[cw["old_key"].isin(whole[whole == 1].index), ["old_key", "new_key"]].itertuples(index=False, name=None))
    target = rows["region_id"].astype(str).map(to)
    rows, target = rows[target.notna()], target[target.notna()]
    at = inside[inside["region_id"].isin(set(target))]
    own: dict[tuple, list] = {}
    for idx, i, r, p, f, v, fl in zip(*(c.tolist() for c in (at.index, at["indicator_id"], at["region_id"], at["period"], at["source_file"], at["value"], at["flag"]))):
        own.setdefault((str(i), str(r), p), []).append((idx, str(f), v, fl))
    # Each group by the positions of its rows (sub-frames cost more than the work on them), in the
    # order of their first row; the unit rows made at once from their groups' first rows.
    flag_at, key_at, column_at = rows["flag"].to_numpy(dtype=object), rows["region_id"].astype(str).to_numpy(), rows["column"].to_numpy(dtype=object)
    groups = group_positions([rows["indicator_id"].astype(str), target, rows["period"], rows["source_file"].astype(str)])
    firsts, units, columns, consumed, kept_rows = [], [], [], [], []
    for (indicator, new_key, period, file), pos in sorted(groups.items(), key=lambda group: group[1][0]):
        theirs = own.get((indicator, new_key, period), [])
        flags = set(flag_at[pos])
        if (indicator, new_key, period) in handled or len(flags) != 1 or len(theirs) > 1 or any(f != file for _, f, _, _ in theirs):
            continue
        have = set(key_at[pos])
        if len(have) != len(pos):
            continue
        if theirs:
            _, _, value, flag = theirs[0]
            if pd.notna(value) or flag not in flags:
                continue
            have.add(new_key)
        if not any(have == set(need) for _, need in statuses.get(new_key, [])):
            continue
        firsts.append(pos[0])
        units.append(new_key)
        columns.append(f"{column_at[pos[0]]} of {' + '.join(sorted(have))} (territorial_changes: no part has a value)")
        consumed.extend(rows.index[pos])
        kept_rows.extend(idx for idx, *_ in theirs)
    if not firsts:
        return rows.iloc[0:0], consumed, kept_rows
    made = rows.iloc[firsts].copy()
    made["region_id"] = pd.array(units, dtype=rows["region_id"].dtype)
    made["line"], made["raw"] = None, None
    made["column"] = columns
    return made, consumed, kept_rows


# Keys under which the Breitbandatlas' Gemeinde files list what is most likely the sections of the
# German–Luxembourg condominium (gemeinschaftliches deutsch-luxemburgisches Hoheitsgebiet: Mosel,
# Sauer, Our): Kreis parts that no Kreis has, each followed by the number of a German Gemeinde on
# the bank (07932001 ~ 07232001 Affler on the Our, 10942115 ~ 10042115 Perl on the Mosel).
CONDOMINIUM_KREISE = {"07932": "07232", "07935": "07235", "10942": "10042"}


def condominium_bank(key: str, known: set[str]) -> str | None:
    """The 2021 Gemeinde on the bank whose condominium section ``key`` most likely is, or None."""
    bank = CONDOMINIUM_KREISE.get(key[:5]) if isinstance(key, str) and len(key) == 8 else None
    return bank + key[5:] if bank and bank + key[5:] in known else None


def _describe(crosswalk: pd.DataFrame) -> pd.Series:
    """Per historic key: its name and when it was valid, for the quarantine's reasons."""
    rows = crosswalk.sort_values("status_date").drop_duplicates("old_key", keep="last").set_index("old_key")
    until = rows["event_date"].map(lambda d: f"until {(d - dt.timedelta(days=1)).isoformat()}" if isinstance(d, dt.date) else None)
    status = rows["status_date"].map(lambda d: f"in the Gemeindeverzeichnis of {d.isoformat()}")
    return rows["old_name"] + ", " + until.fillna(status)


def group_positions(columns: list[pd.Series]) -> dict[tuple, list[int]]:
    """The positions of the rows of each group of ``columns`` (key tuple → ascending positions), as
    ``groupby(columns, sort=False, observed=True).indices`` gives them, groups in the order of their
    first row; rows with a missing key in no group. Made from one integer per row: pandas builds
    the key tuples and arrays group by group (46,000 in broadband's harmonise)."""
    codes, uniques = zip(*(pd.factorize(c) for c in columns))
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for c, u in zip(codes, uniques):
        combined = combined * (len(u) + 1) + c + 1  # (a missing key: 0)
    valid = np.logical_and.reduce([c >= 0 for c in codes])
    group, _ = pd.factorize(np.where(valid, combined, -1))
    group = np.where(valid, group, -1)
    order = np.argsort(group, kind="stable")
    order = order[group[order] >= 0]
    if not len(order):
        return {}
    starts = np.flatnonzero(np.diff(group[order], prepend=-1))
    firsts = order[starts]
    key_values = [np.asarray(u, dtype=object)[c[firsts]].tolist() for u, c in zip(uniques, codes)]
    bounds = np.append(starts, len(order)).tolist()
    positions = order.tolist()
    return {key: positions[bounds[i]:bounds[i + 1]] for i, key in enumerate(zip(*key_values))}

def harmonise(
    outside: pd.DataFrame, inside: pd.DataFrame, crosswalk: pd.DataFrame, known: set[str], unplaced: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.Series, pd.Index, dict, pd.DataFrame]:
    """Convert rows of historic keys to the 2021 status where the crosswalk allows it.

    ``outside``: rows whose key is not in the 2021 status; ``inside``: the rows
    of the same call that are (to find values published for the new key).
    ``unplaced``: why a key outside the crosswalk could not be placed, where a
    source's list says more (``match_gemeinde_names``).
    Returns (converted rows with the columns of ``outside``, the reason for every
    row of ``outside`` that stays in the quarantine — and of every kept-key row of
    ``inside`` in a file of the status before a merger whose 2021 unit gets no
    value there —, the index of ``inside`` rows that leave the observations (empty
    cells replaced by a converted value, kept-key rows used as a part or without
    a value), counts for the manifest notes, the rows superseded by a figure the
    publisher gives for their 2021 unit (``role`` ``superseded``) or used as a
    part and replaced (``role`` ``kept_key_part``, ``kept_value`` the harmonised
    value)).
    """
    keys = outside["region_id"].astype(str)
    reasons = pd.Series(
        "region key " + keys + " not in the territorial status 2021-01-01 (historic or unknown key, not declared in data/territorial_changes.csv,"
        " in no Gemeindeverzeichnis of the kit and not named by its file: cannot be placed in a 2021 unit)",
        index=outside.index,
        dtype=object,
    )
    # Keys whose form says what they are, where the kit says no more.
    outside_kreise = keys.str.fullmatch(r"\d{2}000\d{3}") & (keys.str[5:] != "000")
    reasons[outside_kreise] = (
        "region key " + keys[outside_kreise] + " (Kreis part 000: an area of Land " + keys[outside_kreise].str[:2]
        + " outside every Kreis, such as coastal waters or the German–Luxembourg condominium): its centre in the Gemeindeverzeichnis"
        " lies in no 2021 Gemeinde, and the 2021 status has no unit for it: cannot be placed in a 2021 unit"
    ).to_numpy()
    bavarian_free = keys.str.fullmatch(r"09\d{3}4\d{2}")
    reasons[bavarian_free] = (
        "region key " + keys[bavarian_free] + " not in the territorial status 2021-01-01: numbered like a gemeindefreies Gebiet of Bavaria (4xx),"
        " in no Gemeindeverzeichnis of the kit (dissolved or renumbered before 31.12.2016), not declared and not named by its file:"
        " where its area went is unknown to the kit, so it cannot be placed in a 2021 unit"
    ).to_numpy()
    condo = keys.map({k: condominium_bank(k, known) for k in keys.unique()})
    said = condo.notna()
    if said.any():
        reasons[said] = (
            "region key " + keys[said] + ": no Kreis " + keys[said].str[:5] + " exists, and " + condo[said]
            + " (the same key in the Kreis on the border rivers Mosel, Sauer or Our) is a Gemeinde on their bank: most likely the key of its section"
            " of the German–Luxembourg condominium, which belongs to no Gemeinde or Kreis of the 2021 status (VG5000 and the Gemeindeverzeichnis"
            " keep it outside every Kreis, 07000999): nothing in the 2021 status to map it to"
        ).to_numpy()
    # Without a value (a publisher's marker such as GENESIS "-" for a Kreis dissolved before
    # the table starts) there is nothing to convert, declared or not.
    if unplaced:
        said = keys.isin(list(unplaced))
        reasons[said] = ("region key " + keys[said] + " not in the territorial status 2021-01-01 nor in the crosswalk: " + keys[said].map(unplaced)).to_numpy()
    historic = set(crosswalk.loc[crosswalk["old_key"] != crosswalk["new_key"], "old_key"])
    blank = outside["value"].isna() & ~keys.isin(historic)
    reasons[blank] = (reasons[blank] + " and without a value here (marker " + outside.loc[blank, "flag"].astype(str) + "): nothing to convert").to_numpy()
    declared = outside[keys.isin(historic)]
    notes = {"rows_historic": int(len(outside)), "rows_in_crosswalk": int(len(declared))}
    # City districts (Berlin Bezirke and the like) belong to their city: summed into it or kept here.
    districts = city_districts(keys[~keys.isin(historic)].unique(), known)
    from_districts = outside.iloc[0:0]
    if districts:
        in_district = keys.isin(list(districts))
        from_districts, district_reasons, notes["rows_city_districts_summed"] = combine_city_districts(outside[in_district], inside, districts)
        reasons = reasons.drop(index=outside.index[in_district])
        reasons = pd.concat([reasons, district_reasons])
    if declared.empty:
        notes["rows_converted"] = notes.get("rows_city_districts_summed", 0)
        return from_districts, reasons, inside.index[0:0], notes, outside.iloc[0:0]

    dkeys = declared["region_id"].astype(str)
    prefix = "historic region key " + dkeys + " (" + dkeys.map(_describe(crosswalk)) + ")"
    empty = declared["value"].isna()
    reasons.loc[declared.index[empty]] = (prefix[empty] + ": no value here (marker " + declared.loc[empty, "flag"].astype(str) + "), nothing to convert").to_numpy()

    # Declared, but a 2021 unit it went to is not among the regions (a test's small set).
    unknown_target = crosswalk.loc[~crosswalk["new_key"].isin(known)].groupby("old_key")["new_key"].agg(lambda s: ", ".join(sorted(set(s))))
    lost = ~empty & dkeys.isin(unknown_target.index)
    if lost.any():
        reasons.loc[declared.index[lost]] = (prefix[lost] + ": the 2021 unit it went to (" + dkeys[lost].map(unknown_target) + ") is not in the regions").to_numpy()
    cw = crosswalk[~crosswalk["old_key"].isin(unknown_target.index)]
    valued = declared[~empty & ~lost]

    # One row per (historic row, 2021 unit it went to): a split Kreis feeds two.
    pairs = cw.drop_duplicates(["old_key", "new_key"])[["old_key", "new_key"]]
    parts = valued.reset_index(names="_row").merge(pairs, left_on=valued["region_id"].astype(str).to_numpy(), right_on="old_key")
    # The parts of each 2021 unit in each territorial status the crosswalk knows (a file
    # uses one status: its keys must be the whole set of one of them).
    statuses: dict[str, list[tuple[dt.date, dict[str, tuple[float, float]]]]] = {}
    for (new_key, status), g in cw.groupby(["new_key", "status_date"], sort=True):
        statuses.setdefault(new_key, []).append((status, {k: (sh, pop) for k, sh, pop in zip(g["old_key"], g["share"], g["population"])}))
    names = dict(zip(cw["new_key"], cw["new_name"]))
    old_names = dict(zip(cw["old_key"], cw["old_name"]))
    # Rows published for the 2021 units of the crosswalk (the rest cannot meet a converted value).
    targets_in = inside[inside["region_id"].isin(set(cw["new_key"]))]
    have_value = targets_in[targets_in["value"].notna()]
    # Their columns as lists once (iterating the Arrow strings of a frame is slow).
    hv_row, hv_indicator, hv_key, hv_period = (
        have_value.index.tolist(), have_value["indicator_id"].astype(str).tolist(), have_value["region_id"].astype(str).tolist(), have_value["period"].tolist()
    )
    hv_file, hv_value, hv_flag = have_value["source_file"].astype(str).tolist(), have_value["value"].tolist(), have_value["flag"].tolist()
    published = set(zip(hv_indicator, hv_key, hv_period))
    empty_inside = targets_in[targets_in["value"].isna()]
    empty_at = dict(zip(zip(empty_inside["indicator_id"].astype(str).tolist(), empty_inside["region_id"].astype(str).tolist(), empty_inside["period"].tolist()), empty_inside.index.tolist()))
    published_at = dict(zip(zip(hv_indicator, hv_key, hv_period), zip(hv_file, hv_value)))
    # The kept key's own row per file: in a file of the status before the merger it is one part.
    kept_in_file = dict(zip(zip(hv_indicator, hv_key, hv_period, hv_file), hv_row))
    # Flag and value of those rows, looked up once per group below.
    flag_of_row = dict(zip(hv_row, hv_flag))
    value_of_row = dict(zip(hv_row, hv_value))

    # Denominators published beside a rule-none indicator (the area of each part for its density).
    denominators = _denominators([valued, inside], crosswalk_keys=set(cw["old_key"]) | set(cw["new_key"]))

    # Columns as lists: the loop below reads a few items per group.
    old_col = parts["old_key"].tolist()
    row_col = parts["_row"].tolist()
    parts_value = parts["value"].to_numpy(dtype=float).tolist()
    file_col = parts["source_file"].astype(str).tolist()
    flag_col = parts["flag"].tolist()
    failed: dict[int, str] = {}
    succeeded: set[int] = set()
    superseded: list[tuple[int, str, str, float]] = []  # (row, 2021 key, file of its published value, that value)
    chosen: list[tuple[int, str, float]] = []  # (position in parts, or in kept_parts after them, target, weight)
    targets: list[tuple[str, str, object, str]] = []
    kept_parts: list[tuple[object, str]] = []  # (index in inside, 2021 key): kept-key rows used as a part
    kept_failed: dict[object, str] = {}  # kept-key rows of an old-status file whose 2021 unit gets no value
    counts = {"converted_values": 0, "converted_one_to_one": 0, "superseded": 0, "kept_key_parts": 0, "kept_key_no_value": 0, "partial_coverage": 0, "rule_none": 0, "split_count": 0, "no_weight": 0, "flagged_parts": 0, "several_files": 0, "mixed_status": 0, "rule_none_equal_parts": 0, "rule_none_weighted_by_denominator": 0}
    # Each status's parts as a set too, made once (not once per group).
    status_keys = {k: [(set(need), need) for _, need in v] for k, v in statuses.items()}
    groups = group_positions([parts["indicator_id"], parts["new_key"], parts["period"]])
    for (indicator, new_key, period), pos in groups.items():
        indicator = str(indicator)
        label = f"{new_key} {names[new_key]}"
        rule = INDICATORS_BY_ID[indicator].aggregation
        have = {old_col[p] for p in pos}
        # The same file gives the kept key of the 2021 unit too, and the crosswalk lists it as a part
        # in a status with these historic keys: the file is in the status before the merger, so that
        # row is the old territory of the kept key, one part of the 2021 unit, not the unit's figure.
        files = {file_col[p] for p in pos}
        kept = kept_in_file.get((indicator, new_key, period, next(iter(files)))) if len(files) == 1 else None
        if kept is not None and not any(have | {new_key} <= keys for keys, _ in status_keys[new_key]):
            kept = None
        if kept is not None:
            have = have | {new_key}
        candidates = [(keys, need) for keys, need in status_keys[new_key] if have <= keys]
        best = min(candidates, key=lambda c: len(c[0] - have), default=None)
        missing = sorted(best[0] - have) if best else []
        need = best[1] if best else {}
        # A pure renumbering: the 2021 unit had this one part, whole, in that status.
        one_to_one = best is not None and not missing and len(need) == 1 and next(iter(need.values()))[0] == 1
        reason = None
        if kept is None and (indicator, new_key, period) in published:
            # Not unmapped: the publisher gives the 2021 unit's own figure for this period. These rows
            # go to the duplicates table (file and lines), not to the quarantine.
            kept_file, kept_value = published_at[(indicator, new_key, period)]
            superseded.extend((row_col[p], new_key, kept_file, kept_value) for p in pos)
            counts["superseded"] += len(pos)
            continue
        weigh = None  # rule none: how its parts are combined, where the kit allows it (``_rule_none_weights``)
        if best is None:
            reason, kind = f"the parts of {label} here belong to no single territorial status of the crosswalk: not combined", "mixed_status"
        elif missing:
            lacking = ", ".join(f"{k} {old_names.get(k, names.get(k, ''))}".strip() for k in missing)
            reason, kind = f"converting to {label} needs {lacking} for this period too (partial coverage: no value made)", "partial_coverage"
        elif len(files) > 1 or len(pos) + (kept is not None) != len(have):
            reason, kind = f"the parts of {label} come from different files or twice: not combined", "several_files"
        elif any(isinstance(flag_col[p], str) for p in pos) or (kept is not None and isinstance(flag_of_row[kept], str)):
            found = sorted({f for f in [*(flag_col[p] for p in pos), flag_of_row[kept] if kept is not None else None] if isinstance(f, str)})
            reason, kind = f"parts of {label} carry flags ({', '.join(found)}) that one converted value cannot keep", "flagged_parts"
        elif rule == "sum" and any(sh < 1 for sh, _ in need.values()):
            split = ", ".join(f"{k} {old_names[k]}" for k, (sh, _) in need.items() if sh < 1)
            reason, kind = f"{split} was split across several 2021 Kreise: a count cannot be divided, no value made for {label}", "split_count"
        elif rule == "none" and not one_to_one:
            values = {old_col[p]: parts_value[p] for p in pos} | ({new_key: float(value_of_row[kept])} if kept is not None else {})
            weigh, kind, reason = _rule_none_weights(indicator, values, need, (next(iter(files)), period), denominators, label)
        elif rule != "sum" and len(need) > 1 and any(pd.isna(pop) for _, pop in need.values()):
            reason, kind = f"no population weight declared for a part of {label}: no weighted mean", "no_weight"
        if reason is not None:
            counts[kind] += len(pos)
            for p in pos:
                failed.setdefault(row_col[p], reason)
            if kept is not None:
                # Its value covers only part of the 2021 unit: not kept as the unit's figure either.
                kept_failed[kept] = (
                    f"published value of {label} in {next(iter(files))}, a file in the status before the merger (it also gives "
                    f"{', '.join(sorted(have - {new_key}))}): the old territory of {new_key}, one part of the 2021 unit, "
                    f"not the unit's figure; no value for {label}: {reason}"
                )
                counts["kept_key_no_value"] += 1
            continue
        for p in pos:
            share, pop = need[old_col[p]]
            # One part (a new key only): its value, whatever its weight.
            chosen.append((p, new_key, weigh[old_col[p]] if weigh else share * float(pop) if rule != "sum" and len(need) > 1 else 1.0))
        if kept is not None:
            share, pop = need[new_key]
            chosen.append((len(parts) + len(kept_parts), new_key, weigh[new_key] if weigh else share * float(pop) if rule != "sum" else 1.0))
            kept_parts.append((kept, new_key))
            counts["kept_key_parts"] += 1
        if weigh:
            counts[kind] += 1
        succeeded.update(row_col[p] for p in pos)
        counts["converted_values"] += 1
        counts["converted_one_to_one"] += int(one_to_one)
        if (indicator, new_key, period) in empty_at:
            targets.append(empty_at[(indicator, new_key, period)])

    converted = outside.iloc[0:0]
    if chosen:
        take = pd.DataFrame(chosen, columns=["pos", "target", "weight"])
        pool, origin = parts, valued
        if kept_parts:
            own = [k for k, _ in kept_parts]
            extra = inside.loc[own].reset_index(names="_row").assign(old_key=[t for _, t in kept_parts], new_key=[t for _, t in kept_parts])
            pool = pd.concat([parts, extra[[c for c in parts.columns if c in extra.columns]]], ignore_index=True)
            origin = pd.concat([valued, inside.loc[own]])
        picked = pool.iloc[take["pos"].to_numpy()].reset_index(drop=True)
        picked["_target"] = take["target"].to_numpy()
        picked["_weight"] = take["weight"].to_numpy()
        frames = []
        for indicator, rows in picked.groupby("indicator_id", sort=False, observed=True):
            # Rule none reaches here through a pure renumbering (one part, weight 1: its value unchanged)
            # or with the weights of ``_rule_none_weights`` (equal parts, or a denominator of the same file).
            rule = INDICATORS_BY_ID[str(indicator)].aggregation
            rule = "mean_population" if rule == "none" else rule
            values = aggregate(rows[["indicator_id", "region_id", "period", "value"]], None, weights=rows["_weight"], rule=rule, parents=rows["_target"])
            # Provenance of each made value: the first part's row, its column and every part's key.
            first = rows.drop_duplicates(["_target", "period"]).set_index(["_target", "period"])
            old_keys = rows["old_key"].tolist()
            text_at = {i: " + ".join(sorted(old_keys[p] for p in pos)) for i, pos in group_positions([rows["_target"], rows["period"]]).items()}
            out = origin.loc[first["_row"].to_numpy()].copy()
            index = list(zip(first.index.get_level_values(0), first.index.get_level_values(1)))
            value_at = dict(zip(zip(values["region_id"], values["period"]), values["value"]))
            out["region_id"] = pd.array(first.index.get_level_values(0), dtype=outside["region_id"].dtype)
            out["value"] = [float(value_at[i]) for i in index]
            out["flag"] = FLAG
            out["line"] = None
            out["raw"] = None
            out["column"] = [f"{c} of {text_at[i]} (territorial_changes)" for c, i in zip(first["column"], index)]
            frames.append(out)
        converted = pd.concat(frames)
    # Markers: where no part of a 2021 unit has a value in a file, the unit has none either, under the
    # same marker (e.g. every part ``not_reported``): one row for the unit instead of its parts'.
    marks, marked, marked_kept = _carry_markers(declared[empty], inside, cw, statuses, {(str(i), str(k), p) for i, k, p in groups})
    if len(marks):
        converted = pd.concat([converted, marks])
    counts["markers_carried"] = len(marks)
    # A historic row leaves the quarantine only when every conversion it takes part in succeeded.
    if failed:
        rows = list(failed)
        reasons.loc[rows] = (prefix.loc[rows] + ": " + pd.Series([failed[r] for r in rows], index=rows)).to_numpy()
    if kept_failed:
        reasons = pd.concat([reasons, pd.Series(kept_failed, dtype=object)])
    consumed = [r for r in succeeded if r not in failed]
    counts["rows_marker_carried"] = len(marked)
    counts["rows_converted"] = len(consumed) + notes.get("rows_city_districts_summed", 0)
    converted = pd.concat([converted, from_districts]) if len(from_districts) else converted
    counts["published_empty_cells_replaced"] = len(targets)
    notes.update(counts)
    dropped = pd.DataFrame(superseded, columns=["_row", "superseded_by", "kept_file", "kept_value"]).drop_duplicates("_row")
    dropped = dropped[~dropped["_row"].isin(failed)]
    superseded_rows = outside.loc[dropped["_row"].to_numpy()].assign(
        superseded_by=dropped["superseded_by"].to_numpy(), kept_file=dropped["kept_file"].to_numpy(), kept_value=dropped["kept_value"].to_numpy(), role="superseded"
    )
    reasons = reasons.drop(index=[*consumed, *marked, *superseded_rows.index])
    if kept_parts:
        # The kept key's published rows that became a part: recorded with the value that replaced them.
        made = dict(zip(zip(converted["indicator_id"].astype(str), converted["region_id"].astype(str), converted["period"]), converted["value"]))
        own = inside.loc[[k for k, _ in kept_parts]]
        superseded_rows = pd.concat([superseded_rows, own.assign(
            superseded_by=[t for _, t in kept_parts], kept_file=own["source_file"].astype(str).to_numpy(),
            kept_value=[made[(str(i), t, p)] for (i, p), (_, t) in zip(zip(own["indicator_id"], own["period"]), kept_parts)], role="kept_key_part",
        )])
    # Rows published for a 2021 key that leave the observations: empty cells replaced by a converted
    # value, and kept-key rows of a file in the status before a merger (a part, converted or not).
    replaced = pd.Index([*targets, *(k for k, _ in kept_parts), *kept_failed, *marked_kept])
    return converted, reasons, replaced, notes, superseded_rows
