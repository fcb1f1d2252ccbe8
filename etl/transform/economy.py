"""Economy observations from the VGRdL Kreis workbook (Reihe 2, Band 1, edition 2018).

In: ``vgrdl/vgrdl_r2b1_bip_bws_kreise_1992-2016.xlsx`` (see ``etl.extract.vgrdl``).
Out: ``observations`` for 28 indicators (one per series sheet, ``SHEETS``) at
Germany, Land, Regierungsbezirk and Kreis level, calendar years 1992 and
1994–2016 as period YYYY-12-31.

Decisions, with the evidence:
- Germany is the row with EU-Code "DE"; its Regional-schlüssel is "17" (the row
  after the 16 Länder), which is no Land key, so the key of that row is not used.
- The level of a row comes from its EU-Code (NUTS 1 = Land, NUTS 2 =
  Regierungsbezirk or statistical region, NUTS 3 = Kreis). NUTS-2 rows that are
  not Regierungsbezirke of the 2021 status (Niedersachsen's and Rheinland-Pfalz'
  "Statistische Region …", Sachsen's "…, NUTS 2-Region", the Direktionsbezirke
  abolished in 2012) are quarantined row by row with that reason.
- Berlin and Hamburg have no Kreis row: their Land row is marked "NUTS 3" as well,
  and the 2021 regions list them as Kreise 11000 and 02000, so the Land row also
  gives the Kreis value.
- Employment (1000 persons) and hours worked (million) are rounded to one decimal:
  the imprint of the workbook allows publication with one decimal only.
- Markers become flags (see ``etl.extract.vgrdl.MARKERS``); a cell that is
  neither a number nor a marker is quarantined with sheet, line and column.
"""

from __future__ import annotations

import re

import pandas as pd

from etl.catalogue import GERMANY_ID
from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.vgrdl import extract_vgrdl_sheet, find_sheet, open_workbook
from etl.regions import normalise_key
from etl.steps import Step
from etl.transform.observations import finalize_observations

SOURCE_ID = "vgrdl_kreise"
STEP_NAME = "economy"
RELPATH = "vgrdl/vgrdl_r2b1_bip_bws_kreise_1992-2016.xlsx"
EXPECTED_YEARS: tuple[int, ...] = (1992, *range(1994, 2017))

# Series sheet (name without the trailing spaces of the file) → indicator, the
# unit line printed under its title, and decimals to round to (None: as published).
SHEETS: dict[str, tuple[str, str, int | None]] = {
    "BIP": ("gdp_mio_eur", "in Mill. EUR", None),
    "BIP Veränderungsrate": ("gdp_change_pct", "in %", None),
    "BIP Anteil am Land": ("gdp_share_of_land_pct", "in %", None),
    "BWS insg.": ("gva_mio_eur", "in Mill. EUR", None),
    "BWS A": ("gva_a_mio_eur", "in Mill. EUR", None),
    "BWS B-F": ("gva_b_f_mio_eur", "in Mill. EUR", None),
    "BWS B-E": ("gva_b_e_mio_eur", "in Mill. EUR", None),
    "BWS C": ("gva_c_mio_eur", "in Mill. EUR", None),
    "BWS F": ("gva_f_mio_eur", "in Mill. EUR", None),
    "BWS G-T": ("gva_g_t_mio_eur", "in Mill. EUR", None),
    "BWS G-J": ("gva_g_j_mio_eur", "in Mill. EUR", None),
    "BWS K-N": ("gva_k_n_mio_eur", "in Mill. EUR", None),
    "BWS O-T": ("gva_o_t_mio_eur", "in Mill. EUR", None),
    "ET insg.": ("employed_thousand", "in 1000 Personen", 1),
    "ET A": ("employed_a_thousand", "in 1000 Personen", 1),
    "ET B-F": ("employed_b_f_thousand", "in 1000 Personen", 1),
    "ET B-E": ("employed_b_e_thousand", "in 1000 Personen", 1),
    "ET C": ("employed_c_thousand", "in 1000 Personen", 1),
    "ET F": ("employed_f_thousand", "in 1000 Personen", 1),
    "ET G-T": ("employed_g_t_thousand", "in 1000 Personen", 1),
    "ET G-J": ("employed_g_j_thousand", "in 1000 Personen", 1),
    "ET K-N": ("employed_k_n_thousand", "in 1000 Personen", 1),
    "ET O-T": ("employed_o_t_thousand", "in 1000 Personen", 1),
    "BIP je ET": ("gdp_per_employed_eur", "in EUR", None),
    "EW": ("inhabitants_thousand", "in 1000 Personen", None),
    "BIP je EW": ("gdp_per_inhabitant_eur", "in EUR", None),
    "ArbStd. ET": ("working_hours_mio", "in Mill. Arbeitsstunden", 1),
    "BIP je ArbStd. ET": ("gdp_per_hour_eur", "in EUR", None),
}

# Sheets that are no per-region series, and why they are not read.
OTHER_SHEETS: dict[str, str] = {
    "Titel": "cover page",
    "Impressum": "imprint (publisher, licence notice, rounding rule for employment)",
    "Vorwort": "foreword (text)",
    "InfoRev2014": "notes on the 2014 revision (text)",
    "Definitionen": "definitions and explanation of symbols (text)",
    "Datenangebot": "overview of the data on offer (text)",
    "Schaubild": "diagram of national-accounts concepts",
    "WZ08": "classification of economic sectors (WZ 2008)",
    "Anschriften": "addresses of the statistical offices",
    "Inhalt": "table of contents",
}

_NUTS = re.compile(r"^DE[0-9A-Z]{1,3}$")
_LEVEL_BY_NUTS_LENGTH = {3: "land", 4: "rbz", 5: "kreis"}
_LEVEL_BY_KEY_LENGTH = {1: "land", 2: "land", 3: "rbz", 4: "kreis", 5: "kreis"}


def _normalise_space(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def classify_row(eu_code: str, key: str) -> tuple[str | None, str | None]:
    """(level, region_id) of a row from its EU-Code, else from the length of its key.

    Germany is recognised by its EU-Code "DE" alone: its Regional-schlüssel "17" is no key.
    """
    if eu_code == "DE":
        return "bund", GERMANY_ID
    if _NUTS.match(eu_code):
        level = _LEVEL_BY_NUTS_LENGTH[len(eu_code)]
    else:
        level = _LEVEL_BY_KEY_LENGTH.get(len(key))
    if level is None:
        return None, None
    return level, normalise_key(key, level)


def _quarantine_rows(ctx: BuildContext, rows: pd.DataFrame, reason: pd.Series | str, column: str | None = None, value: pd.Series | None = None) -> None:
    frame = pd.DataFrame(
        {
            "file": RELPATH,
            "sheet": rows["sheet"],
            "line": rows["line"],
            "column": rows["column"] if column is None else column,
            "value": rows["raw"] if value is None else value,
            "reason": reason,
        }
    )
    ctx.quarantine.add_frame(frame, source_id=SOURCE_ID, target_table="observations")


def read_sheets(ctx: BuildContext, sheets: dict[str, tuple[str, str, int | None]], expected_years: tuple[int, ...]) -> pd.DataFrame:
    """Every declared series sheet in long form, with indicator_id and rounding; checks layout and unit."""
    path = ctx.path(RELPATH)
    workbook = open_workbook(path, RELPATH)
    declared = set(SHEETS) | set(sheets)
    skipped, undeclared = {}, []
    for name in workbook.sheet_names:
        clean = name.strip()
        if clean in OTHER_SHEETS:
            skipped[clean] = OTHER_SHEETS[clean]
        elif clean not in declared:
            undeclared.append(clean)
    if undeclared:
        ctx.log(f"{STEP_NAME}: sheets not declared in SHEETS, not read: {undeclared}")
    ctx.note(STEP_NAME, "sheets_not_series", skipped)
    ctx.note(STEP_NAME, "sheets_undeclared_not_read", undeclared)

    frames, footnotes, without_key, layout = [], {}, [], 0
    for clean, (indicator_id, unit_line, decimals) in sheets.items():
        sheet = find_sheet(workbook, clean, RELPATH)
        data = extract_vgrdl_sheet(workbook, sheet, relpath=RELPATH, expected_years=expected_years)
        if not frames:
            # The edition is the range of years the workbook's header states
            # (a later edition adds a year), recorded for the sources table.
            first, last = data.years[0], data.years[-1]
            ctx.record_edition(SOURCE_ID, f"{first}/{last}", RELPATH, f"sheet {sheet!r}, line {data.header_line}: year columns {first} … {last}")
        if _normalise_space(data.unit_line) != unit_line:
            raise InputError(
                RELPATH,
                f"unit line {data.unit_line!r} under the title, expected {unit_line!r} for indicator {indicator_id}",
                sheet=sheet,
                line=data.unit_line_number or 1,
            )
        for note in data.footnotes:
            footnotes.setdefault(note, []).append(clean)
        without_key += [{"sheet": sheet, "line": line, "raw": text} for line, text in data.rows_without_key]
        layout += data.layout_lines
        frames.append(data.rows.assign(indicator_id=indicator_id, decimals=decimals))
    ctx.note(STEP_NAME, "footnotes", footnotes)
    ctx.note(STEP_NAME, "layout_lines_ignored", layout)
    if without_key:
        rows = pd.DataFrame(without_key)
        _quarantine_rows(ctx, rows, "row with values but neither EU-Code nor Regional-schlüssel", column="Regional-schlüssel")
    return pd.concat(frames, ignore_index=True)


def transform_economy(
    ctx: BuildContext, sheets: dict[str, tuple[str, str, int | None]] = SHEETS, expected_years: tuple[int, ...] = EXPECTED_YEARS
) -> dict[str, pd.DataFrame]:
    """Observations of the declared sheets (all of ``SHEETS`` in the build; tests pass fewer)."""
    cells = read_sheets(ctx, sheets, expected_years)
    ctx.note(STEP_NAME, "cells_read", len(cells))

    bad = cells["problem"].notna()
    if bad.any():
        _quarantine_rows(ctx, cells[bad], cells.loc[bad, "problem"])
        cells = cells[~bad]

    # One classification per distinct region row, then joined back to its cells.
    rows = cells[["eu_code", "key"]].drop_duplicates()
    classified = [classify_row(e, k) for e, k in zip(rows["eu_code"], rows["key"], strict=True)]
    rows = rows.assign(level=[c[0] for c in classified], region_id=[c[1] for c in classified])
    cells = cells.merge(rows, on=["eu_code", "key"], how="left")

    no_key = cells["region_id"].isna()
    if no_key.any():
        lines = cells[no_key].drop_duplicates(["sheet", "line"])
        _quarantine_rows(
            ctx,
            lines,
            "Regional-schlüssel " + lines["key"].map(repr) + " with EU-Code " + lines["eu_code"].map(repr) + " is not a region key",
            column="Regional-schlüssel",
            value=lines["key"],
        )
        cells = cells[~no_key]

    rbz_ids = ctx.region_ids("rbz")
    not_rbz = (cells["level"] == "rbz") & ~cells["region_id"].isin(rbz_ids)
    if not_rbz.any():
        lines = cells[not_rbz].drop_duplicates(["sheet", "line"])
        _quarantine_rows(
            ctx,
            lines,
            "NUTS-2 region " + lines["eu_code"] + " (" + lines["name"] + ") is no Regierungsbezirk of the 2021 status "
            "(statistical region or former Direktionsbezirk): not loaded",
            column="Regional-schlüssel",
            value=lines["key"],
        )
        ctx.note(STEP_NAME, "nuts2_regions_not_rbz", sorted(lines["eu_code"].unique().tolist()))
        cells = cells[~not_rbz]

    # Berlin and Hamburg: the Land row is the Kreis row too ("NUTS 3" column = 3).
    kreis_ids = ctx.region_ids("kreis")
    city = cells[(cells["level"] == "land") & (cells["nuts3"].str.strip() == "3")]
    city = city.assign(region_id=city["region_id"] + "000", level="kreis")
    city = city[city["region_id"].isin(kreis_ids)]
    ctx.note(STEP_NAME, "land_rows_also_kreis", sorted(city["region_id"].unique().tolist()))
    cells = pd.concat([cells, city], ignore_index=True)

    # Rounding required by the publisher for employment and hours (see module docstring).
    rounded = cells["decimals"].notna()
    cells.loc[rounded, "value"] = [round(v, int(d)) for v, d in zip(cells.loc[rounded, "value"], cells.loc[rounded, "decimals"], strict=True)]

    frame = pd.DataFrame(
        {
            "indicator_id": cells["indicator_id"],
            "region_id": cells["region_id"],
            "period": pd.to_datetime(cells["year"].astype(str) + "-12-31"),
            "period_type": "year",
            "value": cells["value"].astype("float64"),
            "flag": cells["flag"].astype("object").where(cells["flag"].notna(), None),
            "source_file": RELPATH,
            "sheet": cells["sheet"],
            "line": cells["line"],
            "column": cells["column"],
            "raw": cells["raw"],
        }
    )
    obs = finalize_observations(frame, ctx, source_id=SOURCE_ID, step=STEP_NAME)
    ctx.note(STEP_NAME, "observations_by_flag", {str(k): int(v) for k, v in obs["flag"].fillna("none").value_counts().items()})
    return {"observations": obs}


STEP = Step(STEP_NAME, 20, (SOURCE_ID,), transform_economy)
