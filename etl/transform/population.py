"""Population and area: Destatis tables (and the Breitbandatlas' ``ewz``) → observations.

In (see ``etl.extract.destatis``):
- GENESIS 12411-0015: Kreise, 31.12.2009–31.12.2016;
- Gemeindeverzeichnis, Kreise, 31.12.2018: Kreise, Land subtotals, Germany;
- Gemeindeverzeichnis, Gemeinden, 31.12.2016 and 31.12.2017;
- Breitbandatlas DSL workbooks 2005–2008: ``ewz`` per Gemeinde, Kreis, Land, Germany.

Out: ``observations`` of ``population``, ``population_male``,
``population_female``, ``area_km2`` and ``population_density`` (period
YYYY-12-31, period_type year) and ``duplicates``.

Decisions, with the evidence:
- GENESIS ``-`` means "no value for this date" (Kreise before their creation or
  after their dissolution): flag ``no_value``. Rows of historic keys (03152 and
  03156 before the Göttingen merger of 01.11.2016, 13001… before the
  Mecklenburg-Vorpommern reform of 2011, 03201 Hannover before 2001 …) go to
  ``finalize_observations``: the declared crosswalk (``etl.territory``) sums them
  into their 2021 Kreis where every part has a value (flag ``harmonised``; it
  replaces the new Kreis' ``-`` of those dates); the rest is quarantined with
  the reason (a ``-`` after the change, a part of the split Demmin, Sachsen 2008
  and Sachsen-Anhalt 2007 keys that have no value at all).
- The 2011 census break (footer of the GENESIS file) and the methodological
  change from 2016 (footnote 2 of the Gemeindeverzeichnis) are series breaks of
  the indicator ``population``, not per-cell flags: the publisher marks no cell.
- Gemeindeverzeichnis 2016: six NRW Gemeinden carry ``/`` ("Zahlenwert nicht
  sicher genug", footnote 4: implausible result) → flag ``not_reliable``.
- Land subtotals of the Kreise table have no key: the key is the Land heading
  above them. Hamburg and Berlin have no subtotal row: they are Land and Kreis at
  once, so their Kreis row (02000, 11000) is also their Land row.
- Areas are rounded to the published two decimals (the Land subtotals are Excel
  sums that carry float noise, e.g. 47709.50999999999 for Niedersachsen).
- Population density is kept as published (whole inhabitants per km²). Where a
  region and period has population and area but no published density, it is
  derived as population / area (flag ``derived``).
- Kreis, Land and Germany figures for 31.12.2016 and 31.12.2017 that no file
  publishes are derived as sums of the Gemeinden of the Gemeindeverzeichnis
  (flag ``derived``), only where every Gemeinde of the unit has a value (the
  2016 ``/`` cells leave Kleve, Borken, Höxter, Märkischer Kreis, Unna, NRW and
  Germany without a 2016 sum). Gemeindefreie Gebiete outside any Kreis (Kreis
  part ``00``: coastal waters of Mecklenburg-Vorpommern, the German–Luxembourg
  condominium) are left out of these sums, as the Kreise table leaves them out of
  its Land areas (its footnote 1).
- One figure, two files: the one rule for copies (``etl.copies``) with the
  declared precedence ``population_tables`` (``etl.catalogue.precedence``): the
  more specific table wins (GENESIS 12411 > GV Kreise > GV Gemeinden and the sums
  of its Gemeinden > Breitbandatlas ewz), the other copy goes to ``duplicates``.
  In the kit this happens for the Kreis population of 31.12.2016 (GENESIS vs. the
  sum of the Gemeinden of GV 2016): GENESIS is kept, being the publisher's own
  Kreis table.
- ``ewz`` of the Breitbandatlas is the atlas' population basis, not the official
  update: its national total (81.95 million in the 2005 file) is the atlas' own.
  The files do not give its reference date; the period is the end of the atlas
  year (YYYY-12-31), as for the atlas' DSL shares. All four files use one
  territorial status of 2008/2009 (after the Sachsen reform of 08/2008, before
  the Aachen merger of 10/2009: Kreise 05313/05354, 03152/03156 and the old
  Mecklenburg-Vorpommern Kreise are there): their Kreis figures are summed into
  the 2021 Kreise by the crosswalk, Gemeinde keys not in the 2021 status are
  quarantined by ``finalize_observations``. Rows
  with neither key nor value (names of later units appended at the bottom of the
  sheets, e.g. "Vorpommern-Greifswald") are quarantined with that reason.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from etl.aggregate import aggregate, parent_key
from etl.catalogue import GERMANY_ID
from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.destatis import extract_dsl_population, extract_genesis_csv, extract_gv_gemeinden, extract_gv_kreise
from etl.regions import normalise_key
from etl.steps import Step
from etl.territory import place_named_gemeinden
from etl.transform.observations import finalize_observations

STEP_NAME = "population"
SOURCE_GENESIS = "destatis_genesis_12411"
SOURCE_GV_KREISE = "destatis_gv_kreise"
SOURCE_GV_GEMEINDEN = "destatis_gv_gemeinden"
SOURCE_BBA = "bnetza_breitbandatlas"

GENESIS_FILE = "destatis_genesis/12411-0015_bevoelkerung_kreise_2009-2016.csv"
GENESIS_TABLE = "12411-0015"
GV_KREISE_FILE = "destatis_gemeindeverzeichnis/04-kreise_2018-12-31.xlsx"
GV_GEMEINDEN_FILES = (
    "destatis_gemeindeverzeichnis/31122016_Auszug_GV.xlsx",
    "destatis_gemeindeverzeichnis/31122017_Auszug_GV.xlsx",
)
# The "ü" of "Verfügbarkeit" is a broken byte in the distributed file names.
DSL_PATTERN = "bnetza_breitbandatlas/Paket_1/20??_DSL_Verf*_Deutschland.xlsx"

MEASURE_INDICATOR = {
    "population": "population",
    "population_male": "population_male",
    "population_female": "population_female",
    "area_km2": "area_km2",
    "density_per_km2": "population_density",
}
SUMMED = ("population", "population_male", "population_female", "area_km2")
AREA_DECIMALS = 2

CANDIDATE_COLUMNS = [
    "indicator_id", "region_id", "period", "period_type", "value", "flag",
    "source_id", "source_file", "sheet", "line", "column", "raw",
]


def _quarantine_cells(ctx: BuildContext, cells: pd.DataFrame, *, source_id: str, file: str, reason, sheet: str | None = None) -> None:
    if cells.empty:
        return
    frame = pd.DataFrame(
        {
            "file": file,
            "sheet": cells["sheet"] if "sheet" in cells else sheet,
            "line": cells["line"],
            "column": cells["column"],
            "value": cells["raw"],
            "reason": reason,
        }
    )
    ctx.quarantine.add_frame(frame, source_id=source_id, target_table="observations")


def _split_problems(ctx: BuildContext, cells: pd.DataFrame, *, source_id: str, file: str, sheet: str | None = None) -> pd.DataFrame:
    """Quarantine cells that are neither a number nor a marker (or empty); return the rest."""
    bad = cells["problem"].notna()
    if bad.any():
        reason = cells.loc[bad, "problem"].map(lambda p: "empty cell without a publisher marker" if p == "empty cell" else p)
        _quarantine_cells(ctx, cells[bad], source_id=source_id, file=file, reason=reason, sheet=sheet)
    return cells[~bad]


def _candidates(frame: pd.DataFrame, **constants) -> pd.DataFrame:
    out = frame.assign(**constants)
    for col in CANDIDATE_COLUMNS:
        if col not in out:
            out[col] = None
    return out[CANDIDATE_COLUMNS]


def _round_area(frame: pd.DataFrame) -> pd.DataFrame:
    is_area = frame["indicator_id"] == "area_km2"
    frame.loc[is_area, "value"] = frame.loc[is_area, "value"].round(AREA_DECIMALS)
    return frame


# --- GENESIS 12411-0015 --------------------------------------------------------------------


def transform_genesis(ctx: BuildContext) -> pd.DataFrame:
    table = extract_genesis_csv(ctx.path(GENESIS_FILE), GENESIS_FILE, table_code=GENESIS_TABLE)
    ctx.note(STEP_NAME, "genesis_encoding", table.encoding)
    ctx.note(STEP_NAME, "genesis_footer", table.footer)
    cells = _split_problems(ctx, table.cells, source_id=SOURCE_GENESIS, file=GENESIS_FILE)
    cells = cells.assign(region_id=cells["key"].map(lambda k: normalise_key(k, "kreis")))
    no_key = cells["region_id"].isna()
    if no_key.any():
        _quarantine_cells(ctx, cells[no_key], source_id=SOURCE_GENESIS, file=GENESIS_FILE, reason="first field " + cells.loc[no_key, "key"] + " is not a Kreis key")
        cells = cells[~no_key]
    return _candidates(
        cells.rename(columns={"date": "period"}),
        indicator_id="population",
        period_type="year",
        source_id=SOURCE_GENESIS,
        source_file=GENESIS_FILE,
    )


# --- Gemeindeverzeichnis, Kreise 2018 ------------------------------------------------------------


def transform_gv_kreise(ctx: BuildContext) -> pd.DataFrame:
    table = extract_gv_kreise(ctx.path(GV_KREISE_FILE), GV_KREISE_FILE)
    cells = table.cells.assign(sheet=table.sheet)
    unknown = cells["kind"] == "unknown"
    if unknown.any():
        _quarantine_cells(ctx, cells[unknown], source_id=SOURCE_GV_KREISE, file=GV_KREISE_FILE, reason="row with figures but without a Kreis key or 'Insgesamt'")
        cells = cells[~unknown]
    cells = _split_problems(ctx, cells, source_id=SOURCE_GV_KREISE, file=GV_KREISE_FILE)
    region = pd.Series(None, index=cells.index, dtype="object")
    kreis = cells["kind"] == "kreis"
    region[kreis] = cells.loc[kreis, "key"].map(lambda k: normalise_key(k, "kreis"))
    region[cells["kind"] == "land_total"] = cells.loc[cells["kind"] == "land_total", "land_key"]
    region[cells["kind"] == "national_total"] = GERMANY_ID
    cells = cells.assign(region_id=region)
    no_key = cells["region_id"].isna()
    if no_key.any():
        _quarantine_cells(ctx, cells[no_key], source_id=SOURCE_GV_KREISE, file=GV_KREISE_FILE, reason="Kreis row whose key cannot be read, or subtotal without a Land heading")
        cells = cells[~no_key]

    # City-states: a Land without a subtotal row and with a single Kreis row is that Kreis.
    kreis_rows = cells[cells["kind"] == "kreis"]
    with_total = set(cells.loc[cells["kind"] == "land_total", "region_id"])
    kreise_per_land = kreis_rows.groupby(kreis_rows["region_id"].str[:2])["region_id"].nunique()
    single = [land for land, n in kreise_per_land.items() if n == 1 and land not in with_total]
    city_states = kreis_rows[kreis_rows["region_id"].str[:2].isin(single)].assign(region_id=lambda f: f["region_id"].str[:2])
    if single:
        ctx.note(STEP_NAME, "gv_kreise_land_rows_from_their_single_kreis", sorted(single))
    cells = pd.concat([cells, city_states], ignore_index=True)
    cells = cells.assign(indicator_id=cells["measure"].map(MEASURE_INDICATOR))
    return _round_area(
        _candidates(cells, period=table.reference_date, period_type="year", source_id=SOURCE_GV_KREISE, source_file=GV_KREISE_FILE)
    )


# --- Gemeindeverzeichnis, Gemeinden 2016 and 2017 ---------------------------------------------------


def transform_gv_gemeinden(ctx: BuildContext, relpath: str) -> pd.DataFrame:
    table = extract_gv_gemeinden(ctx.path(relpath), relpath)
    if table.other_rows:
        for line, text in table.other_rows:
            ctx.quarantine.add(source_id=SOURCE_GV_GEMEINDEN, file=relpath, sheet=table.sheet, line=line, value=text,
                               reason="row that is neither a record (Satzart) nor a note", target_table="observations")
    cells = table.cells.assign(sheet=table.sheet)
    not_gemeinde = cells["satzart"] != "60"
    if not_gemeinde.any():
        _quarantine_cells(ctx, cells[not_gemeinde], source_id=SOURCE_GV_GEMEINDEN, file=relpath,
                          reason="figures on a record of Satzart " + cells.loc[not_gemeinde, "satzart"] + " (only Gemeinden, Satzart 60, carry figures)")
        cells = cells[~not_gemeinde]
    no_key = cells["ags"].isna()
    if no_key.any():
        _quarantine_cells(ctx, cells[no_key], source_id=SOURCE_GV_GEMEINDEN, file=relpath, reason="key columns Land, RB, Kreis, Gem do not form an 8-digit AGS")
        cells = cells[~no_key]
    cells = _split_problems(ctx, cells, source_id=SOURCE_GV_GEMEINDEN, file=relpath)
    flagged = cells["flag"].value_counts().to_dict()
    if flagged:
        ctx.note(STEP_NAME, f"flags_{table.reference_date[:4]}_gemeinden", {k: int(v) for k, v in flagged.items()})
    cells = cells.assign(region_id=cells["ags"], indicator_id=cells["measure"].map(MEASURE_INDICATOR))
    gemeinden = _round_area(_candidates(cells, period=table.reference_date, period_type="year", source_id=SOURCE_GV_GEMEINDEN, source_file=relpath))
    kreise = table.records.loc[table.records["record_type"] == "kreis", ["land", "rb", "kreis"]].astype(str).sum(axis=1)
    derived = derive_sums(ctx, gemeinden, kreise=set(kreise), reference_date=table.reference_date)
    return pd.concat([gemeinden, derived], ignore_index=True)


def derive_sums(ctx: BuildContext, gemeinden: pd.DataFrame, *, kreise: set[str], reference_date: str) -> pd.DataFrame:
    """Kreis, Land and Germany totals of the summable indicators from Gemeinde rows,
    only where every Gemeinde of the unit has a value. Gemeinde rows outside the
    file's Kreise (``kreise``: keys of its Satzart-40 records) are left out."""
    in_kreis = gemeinden["region_id"].str[:5].isin(kreise)
    inside = gemeinden[in_kreis]
    outside = gemeinden.loc[~in_kreis, "region_id"].unique()
    if len(outside):
        ctx.note(STEP_NAME, f"left_out_of_sums_{reference_date[:4]}", sorted(outside))
    parts = []
    incomplete: dict[str, list[str]] = {}
    for indicator in SUMMED:
        rows = inside[inside["indicator_id"] == indicator]
        if rows.empty:
            continue
        first = rows.iloc[0]
        for level in ("kreis", "land", "bund"):
            out = aggregate(rows[["indicator_id", "region_id", "period", "value"]], level)
            expected = rows.groupby(parent_key(rows["region_id"], level))["region_id"].nunique()
            out = out.assign(expected=out["region_id"].map(expected))
            short = expected[~expected.index.isin(out.loc[out["n_regions"] == out["expected"], "region_id"])]
            if len(short):
                incomplete.setdefault(indicator, []).extend(sorted(map(str, short.index)))
            out = out[out["n_regions"] == out["expected"]]
            parts.append(
                out.assign(
                    period_type="year", flag="derived", source_id=SOURCE_GV_GEMEINDEN, source_file=first["source_file"],
                    sheet=first["sheet"], line=None, column=f"Summe der Gemeinden: {first['column']}", raw=None,
                )
            )
    if incomplete:
        ctx.note(STEP_NAME, f"no_sum_{reference_date[:4]}_gemeinde_without_value", incomplete)
    if not parts:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    return _round_area(pd.concat(parts, ignore_index=True)[CANDIDATE_COLUMNS])


# --- Breitbandatlas DSL workbooks: ewz -------------------------------------------------------------


def transform_dsl_population(ctx: BuildContext) -> pd.DataFrame:
    frames = []
    for path in ctx.glob(DSL_PATTERN):
        relpath = ctx.relpath(path)
        year = path.name[:4]
        cells = extract_dsl_population(path, relpath)
        sheet_years = {re.search(r"verf_(\d{4})_dsl", s).group(1) for s in cells["sheet"].unique()}
        if sheet_years != {year}:
            raise InputError(relpath, f"the file name says {year}, its sheets say {sorted(sheet_years)}")
        blank = (cells["key"] == "") & (cells["level"] != "bund") & (cells["problem"] == "empty cell")
        if blank.any():
            _quarantine_cells(ctx, cells[blank], source_id=SOURCE_BBA, file=relpath,
                              reason="row without key and without value (name of a unit of a later territorial status, appended without data)")
            cells = cells[~blank]
        cells = _split_problems(ctx, cells, source_id=SOURCE_BBA, file=relpath)
        region = [GERMANY_ID if level == "bund" else normalise_key(key, level) for key, level in zip(cells["key"], cells["level"])]
        cells = cells.assign(region_id=region)
        no_key = cells["region_id"].isna()
        if no_key.any():
            _quarantine_cells(ctx, cells[no_key], source_id=SOURCE_BBA, file=relpath, reason="ags " + cells.loc[no_key, "key"] + " is not a key of the sheet's level")
            cells = cells[~no_key]
        gem = cells[cells["level"] == "gemeinde"]
        if len(gem):
            # The sheet's Gemeinde list (keys, names, ewz) places historic keys by name (etl.territory).
            named = pd.DataFrame(
                {"ags": gem["region_id"], "name": gem["name"].fillna("").astype(str).str.strip(), "population": gem["value"],
                 "status_date": dt.date(int(year), 12, 31), "file": relpath + " (" + gem["sheet"] + ")"}
            )
            ctx.note(STEP_NAME, f"historic_gemeinden_by_name_{year}", place_named_gemeinden(ctx, named))
        frames.append(_candidates(cells, indicator_id="population", period=f"{year}-12-31", period_type="year", source_id=SOURCE_BBA, source_file=relpath))
    return pd.concat(frames, ignore_index=True)


# --- across files ---------------------------------------------------------------------------------------


def derive_density(candidates: pd.DataFrame) -> pd.DataFrame:
    """population / area_km2 where one file gives a region and period both but no density.

    Within one file only, so that every derived density has one provenance; and only
    from an unambiguous figure: identical copies count once, copies that differ give no
    density (they go to the quarantine by the one rule for copies, ``etl.copies``)."""
    key = ["source_file", "region_id", "period"]
    have = candidates[candidates["value"].notna()]

    def unambiguous(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.drop_duplicates(key + ["value"])
        return rows[~rows.duplicated(key, keep=False)]

    pop = unambiguous(have[have["indicator_id"] == "population"])
    area = unambiguous(have[have["indicator_id"] == "area_km2"])
    density = have.loc[have["indicator_id"] == "population_density", key].drop_duplicates()
    both = pop.merge(area[key + ["value", "column"]], on=key, suffixes=("", "_area"))
    both = both[both["value_area"] > 0]
    both = both.merge(density, on=key, how="left", indicator=True)
    both = both[both["_merge"] == "left_only"]
    return both.assign(
        indicator_id="population_density",
        value=both["value"] / both["value_area"],
        flag="derived",
        line=None,
        column=both["column"] + " / " + both["column_area"],
        raw=None,
    )[CANDIDATE_COLUMNS]


def run(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    parts = [transform_genesis(ctx), transform_gv_kreise(ctx)]
    parts += [transform_gv_gemeinden(ctx, relpath) for relpath in GV_GEMEINDEN_FILES]
    parts.append(transform_dsl_population(ctx))
    candidates = pd.concat(parts, ignore_index=True)
    candidates["period"] = pd.to_datetime(candidates["period"]).dt.strftime("%Y-%m-%d")
    candidates = pd.concat([candidates, derive_density(candidates)], ignore_index=True)
    # One call for every source: copies in two files follow the declared precedence
    # population_tables (etl.copies, etl.catalogue.precedence) and go to duplicates.
    obs = finalize_observations(candidates, ctx, step=STEP_NAME)
    counts = obs.groupby(["source_file", "indicator_id"]).size()
    ctx.note(STEP_NAME, "observations_by_file_and_indicator", {f"{f} | {i}": int(n) for (f, i), n in counts.items()})
    ctx.log(f"population: {len(obs)} observations")
    return {"observations": obs}


STEP = Step(
    name=STEP_NAME,
    order=10,
    source_ids=(SOURCE_GENESIS, SOURCE_GV_KREISE, SOURCE_GV_GEMEINDEN, SOURCE_BBA),
    run=run,
)
