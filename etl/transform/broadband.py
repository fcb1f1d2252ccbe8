"""Broadband observations from the Breitbandatlas, packages 1–3 (2005–2021).

In: every file of ``bnetza_breitbandatlas/Paket_1..3`` (read by
``etl.extract.breitbandatlas``). Out: ``observations`` of the ``bb_*``
indicators (``etl.catalogue.indicators.broadband``) for Germany (``DG``), Länder,
Kreise and Gemeinden; figures published twice go to ``duplicates`` through the
one rule for copies (``etl.copies``).

Vintages and their reference dates
----------------------------------
- ``Paket_1/<year>_DSL_Verf?gbarkeit_Deutschland.xlsx`` (2005–2008; the ``ü`` of
  the name is a broken byte, so the files are globbed by ``*_DSL_*``): DSL share
  of households → ``bb_hh_dsl``, period 31.12. of the year (``year``): the files
  name only the year, dated like the later annual values.
- ``Paket_1/verf_privat_alle_2010_2018.xls``: wide, one column per class and
  year (``verf_300_50_2013``) → ``bb_hh_all_{2,16,50}``, period 31.12. (``year``).
  Measured: its 2018 Kreis values equal ``landkreis_privat_2018_2`` (end 2018)
  within ±0.5 (rounding) in all 400 common Kreise, but differ from mid-2018 by up
  to 41 points: the annual columns are year-end figures.
- ``Paket_2/Verf_Gemeinden_atene[ _]Mitte 18.csv``: Gemeinden mid-2018
  (2018-06-30). The two variants are not copies: one has the wired/wireless
  columns (``100_*``, ``200_*``), the other all technologies (``300_*``) and single
  technologies; they share only the key column, so both are loaded.
- ``Paket_2/2021_BBA_Kreisdaten.xls``: named 2021 (and listed as end 2021), but
  measured as mid-2021: each of its 402×23 household and business figures
  equals ``landkreis_*_2021_1`` (mid-2021) rounded to a whole percent (|Δ| ≤ 0.5),
  while end 2020 differs by up to 56 points; the federal reports give mid-2021 as
  the last survey before the new TKG (Dec 2021). Period 2021-06-30; its school
  columns (``schulen_alle_tech_*``) exist nowhere else and are loaded from it.
- ``Paket_3/<level>_<segment>_<period>.csv``: ``_1``/``mitte`` → 30.06.,
  ``_2``/``ende`` → 31.12. (``half_year``). Segments: ``privat`` households,
  ``gew`` business sites, ``gewerbe_gwg`` business sites in commercial zones,
  ``mobilfunk_stats`` mobile coverage by area type. Column styles:
  ``verf_300_50`` or ``alle Technologien ≥ 50 Mbit/s`` (``leitungsg.`` = wired =
  code 100; ``mobile Technologien`` = wireless = code 200: the Gemeinde rows of
  kreisfreie Städte carry the same 1/2/6 Mbit/s figures as ``verf_200_*`` of
  their Kreis, e.g. Flensburg mid-2019 100/99.97/98.15).
  ``gemeinde_gewerbe_gwg_2019_mitte.csv`` holds firm counts per commercial zone
  (``firmen_angeschlossen_*``) with no technology or speed class: not loaded
  (one quarantine entry for the file, and a manifest note).

Technology-specific columns (DSL, CATV, FTTH/B, LTE, …) are outside the
indicator set and not loaded; the manifest notes list them per family.

Keys
----
- Spreadsheets store keys as numbers (``1001`` for 01001): ``normalise_key``.
- ``gemeinde_bezirke_*`` files are the Gemeinde files plus 58 city districts
  with pseudo-keys of the city key and a district number (Hamburg 02000001–007,
  Bremen 04011001–005, Köln 05315001–009, München 09162001–025, Berlin
  11000001–012). They are not Gemeinden of the 2021 status and cannot be
  aggregated (no household counts), while the city's own row is in the same
  file: they are quarantined with that reason.
- Keys of an older territorial status go to ``finalize_observations``: historic
  Kreise (Göttingen/Osterode in every Paket_3 Kreis file, the 2008 Kreise of the
  DSL workbooks) are converted to their 2021 Kreis by the declared crosswalk
  (``etl.territory``, flag ``harmonised``); merged Gemeinden are quarantined.

The 2010–2014 zeros ("not reported")
------------------------------------
Measured on ``verf_privat_alle_2010_2018.xls``: in 2010–2014, 243 of 401 Kreise
and 6 577–6 720 of 11 127 Gemeinden per year show exactly 0 in *every* class of
the year (also ≥ 2 Mbit/s, which the national row gives as 94.8–99.6 %): all
Kreise of the Länder 08–16 and 20 of 36 in Rheinland-Pfalz, while the Land sheet
has values for every Land. From 2015 no Kreis and 24–65 Gemeinden are all zero.
Zeros in units with a value > 0 in another class of the same year are genuine:
the population-weighted mean over Gemeinden of Schleswig-Holstein,
Niedersachsen, Nordrhein-Westfalen and Hessen matches the Land sheet within 1–3
points in every year (e.g. ≥ 50 Mbit/s 2010, Schleswig-Holstein: 93 % of
Gemeinden 0, weighted mean 15.8 vs. Land 17.0). Rule: in 2010–2014, on the
Kreis and Gemeinde sheets, a unit whose values of a year are all exactly 0 gets
value NaN with flag ``not_reported`` for every class of that year.

Duplicates
----------
The same (indicator, region, period) from two files follows the one rule for
copies (``etl.copies``), after the validity checks, so an invalid figure never
displaces a valid one. Between packages the precedence
``breitbandatlas_packages`` (``etl.catalogue.precedence``) applies: the later
package wins (Paket_3 over Paket_2 over Paket_1), which keeps the publisher's
latest release and its half-yearly files (the 2021 Kreisdaten round Paket_3 to
whole percent). Overlaps in the kit: end 2018 (annual workbook vs. Paket_3: Land
and Kreis within 1.3 points; Gemeinden differ by more than rounding in about
10 %, up to 85 points, so the two releases are not the same computation) and
mid-2021 (Kreisdaten vs. Paket_3, within 0.5). Each (kept file, dropped file,
indicator, period) is a row of ``duplicates`` with the count of figures and how
many differ. Copies within one package have no precedence: identical ones
collapse, differing ones go to the quarantine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from etl.catalogue import GERMANY_ID, KEY_LENGTH
from etl.catalogue.indicators.broadband import (
    DSL_ID,
    INDICATORS,
    MOBILE_AREAS,
    MOBILE_TECHNOLOGIES,
    mobile_indicator_id,
    speed_indicator_id,
)
from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.breitbandatlas import RawTable, is_blank, is_number, open_workbook, parse_numbers, read_csv, read_sheet
from etl.regions import normalise_key
from etl.steps import Step
from etl.territory import city_districts, place_named_gemeinden
from etl.transform.observations import finalize_observations

SOURCE_ID = "bnetza_breitbandatlas"
STEP_NAME = "broadband"
BASE = "bnetza_breitbandatlas"

# Paket_3 file names: level, segment, year, half.
PAKET3_NAME = re.compile(
    r"^(deutschland|bundesland|landkreis|gemeinde_bezirke|gemeinde)_(privat|gewerbe_gwg|gew|mobilfunk_stats)_(\d{4})_(1|2|mitte|ende)\.csv$"
)
LEVEL_OF_FILE = {"deutschland": "bund", "bundesland": "land", "landkreis": "kreis", "gemeinde": "gemeinde", "gemeinde_bezirke": "gemeinde"}
SEGMENT_OF_FILE = {"privat": "hh", "gew": "biz", "gewerbe_gwg": "bizpark"}
HALF = {"1": "06-30", "mitte": "06-30", "2": "12-31", "ende": "12-31"}

TECH_CODE = {"100": "wired", "200": "wireless", "300": "all"}
TECH_LABEL = {"alle": "all", "leitungsg.": "wired", "mobile": "wireless"}
CODE_COLUMN = re.compile(r"^(?:verf_)?(100|200|300)_(\d+)$")  # verf_300_50 (Paket_3), 300_50 (Paket_2)
LABEL_COLUMN = re.compile(r"^(alle|leitungsg\.|mobile) Technologien\s*≥\s*(\d+)\s*Mbit/s$")
ANNUAL_COLUMN = re.compile(r"^verf_(100|200|300)_(\d+)_(\d{4})$")  # verf_300_50_2013
KREIS_2021_COLUMN = re.compile(r"^(priv|gew|schulen)_(alle_tech|lg_tech)_(\d+)$")
KREIS_2021_SEGMENT = {"priv": "hh", "gew": "biz", "schulen": "school"}
KREIS_2021_TECH = {"alle_tech": "all", "lg_tech": "wired"}
# Families of columns deliberately not loaded (single technologies, geometry, names).
NOT_LOADED_FAMILY = re.compile(r"^(?:verf_|priv_|gew_)?([A-Za-z0-9/]+?)(?:[_ ].*)?$")

NATIONAL_NAMES = {"deutschland", "staat"}
KEY_COLUMNS = ("ags", "staat", "krs")  # read as text: leading zeros
MOBILE_TEXT_COLUMNS = ("Technologie", "Flaechenart", "Flaechen Gruppe Name")
NOT_REPORTED_YEARS = range(2010, 2015)
PACKAGES = ("Paket_1", "Paket_2", "Paket_3")

# One categorical dtype for every part: concatenation keeps it, and it makes the
# per-row work on millions of Gemeinde figures (de-duplication, finalize) cheap.
INDICATOR_DTYPE = pd.CategoricalDtype([i.id for i in INDICATORS])

LONG_COLUMNS = [
    "indicator_id", "region_id", "period", "period_type", "value", "flag",
    "source_file", "sheet", "line", "column", "raw",
]


@dataclass
class Loaded:
    """Long rows of one file, one frame per level (sheet), plus the columns it left out."""

    parts: list[pd.DataFrame]
    not_loaded_columns: list[str]


def _note_by_file(ctx: BuildContext, key: str, file: str, value: object) -> None:
    """One manifest note per kind, with an entry per file."""
    ctx.note(STEP_NAME, key, {**ctx.notes.get(STEP_NAME, {}).get(key, {}), file: value})


def _period(year: int, month_day: str) -> pd.Timestamp:
    return pd.Timestamp(f"{year}-{month_day}")


def _quarantine(ctx: BuildContext, table: RawTable, mask: np.ndarray | pd.Series, column: str | None, values: pd.Series, reason) -> None:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    frame = pd.DataFrame(
        {
            "file": table.file,
            "sheet": table.sheet,
            "line": table.lines[mask],
            "column": column,
            "value": np.asarray(values)[mask],
            "reason": reason if isinstance(reason, str) else np.asarray(reason)[mask],
        }
    )
    ctx.quarantine.add_frame(frame, source_id=SOURCE_ID, target_table="observations")


def map_keys(ctx: BuildContext, table: RawTable, key_column: str, level: str) -> pd.Series:
    """Region keys for the key cells of a table (None where the cell is not a key).

    Cells that are not a key of ``level`` are quarantined here.
    """
    cells = table.column(key_column)
    if level == "bund":
        ok = cells.str.strip().str.lower().isin(NATIONAL_NAMES)
        if not ok.all() or len(cells) != 1:
            raise InputError(
                table.file,
                f"expected one national row named Deutschland/staat, found {cells.tolist()[:5]}",
                sheet=table.sheet,
                column=key_column,
            )
        return pd.Series(GERMANY_ID, index=cells.index, dtype="object")
    codes, distinct = pd.factorize(cells.to_numpy(dtype=object))
    width = KEY_LENGTH[level]
    # Keys already in shape (most of them) need no work; the rest go through normalise_key.
    mapped = np.array(
        [k if isinstance(k, str) and len(k) == width and k.isdigit() else normalise_key(k, level) for k in distinct] + [None],
        dtype=object,
    )
    keys = pd.Series(mapped[codes], index=cells.index, dtype=object)  # code -1 (missing) → None
    bad = keys.isna().to_numpy()
    _quarantine(ctx, table, bad, key_column, cells, f"not a {level} key (AGS)")
    return keys


def quarantine_city_districts(ctx: BuildContext, table: RawTable, keys: pd.Series, gemeinden: set[str] | None = None) -> pd.Series:
    """Quarantine the city-district pseudo-keys of a gemeinde_bezirke file; None in their place.

    A district key is not a Gemeinde of 2021 while its first five digits + ``000``
    are (the city); historic keys fail the second test (e.g. 03152001: no 03152000).
    """
    gemeinden = gemeinden if gemeinden is not None else ctx.region_ids("gemeinde")
    districts = city_districts(keys.dropna().unique(), gemeinden)
    mask = keys.isin(list(districts)).to_numpy()
    if mask.any():
        reason = np.array(
            [
                f"city district (Stadtbezirk) {k} of the city {districts[k]}: not a Gemeinde AGS of 2021-01-01; "
                "the city's own row is loaded from the same file"
                if k in districts else ""
                for k in keys
            ],
            dtype=object,
        )
        _quarantine(ctx, table, mask, table.cells.columns[0], table.cells.iloc[:, 0], reason)
        _note_by_file(ctx, "city_districts_quarantined_by_file", table.file, int(mask.sum()))
    return keys.where(~mask, None)


def melt_values(
    ctx: BuildContext,
    table: RawTable,
    keys: pd.Series,
    columns: dict[str, tuple[str, pd.Timestamp, str]],
) -> pd.DataFrame:
    """Long rows for ``columns`` (raw column → (indicator, period, period type)).

    Rows without a key were quarantined by ``map_keys``; cells that are neither
    empty nor a number are quarantined here. Empty cells stay NaN without a flag
    (``finalize_observations`` quarantines them). Built with numpy arrays (object
    dtype for text): the Gemeinde files give 250 000–300 000 figures each.
    """
    if not columns:
        return pd.DataFrame(columns=LONG_COLUMNS)
    names = list(columns)
    keep = keys.notna().to_numpy()
    n = int(keep.sum())
    value = np.empty((len(names), n), dtype="float64")
    raw = np.empty((len(names), n), dtype=object)
    not_number = np.zeros((len(names), n), dtype=bool)
    for j, name in enumerate(names):
        col = table.cells[name].to_numpy()[keep]
        raw[j] = col
        if col.dtype.kind == "f":  # parsed by the CSV reader: the number is the raw value
            value[j] = col
        else:
            value[j] = parse_numbers(col)
            not_number[j] = np.isnan(value[j]) & ~is_blank(col)
    # Column by column: all rows of the first column, then of the second, ...
    value, raw, not_number = value.reshape(-1), raw.reshape(-1), not_number.reshape(-1)
    line = np.tile(table.lines[keep], len(names))
    column = np.repeat(np.array(names, dtype=object), n)
    if not_number.any():
        bad_raw = raw[not_number]
        date_like = pd.Series(bad_raw, dtype=object).astype(str).str.match(r"^\d{1,2},\d{1,2},\d{4}$").to_numpy(dtype=bool)
        ctx.quarantine.add_frame(
            pd.DataFrame(
                {
                    "file": table.file,
                    "sheet": table.sheet,
                    "line": line[not_number],
                    "column": column[not_number],
                    "value": bad_raw,
                    "reason": np.where(date_like, "value stored as a date-like text, not a share", "value is not a number"),
                }
            ),
            source_id=SOURCE_ID,
            target_table="observations",
        )
    ok = ~not_number
    spec = [columns[c] for c in names]
    codes = np.array([INDICATOR_DTYPE.categories.get_loc(s[0]) for s in spec], dtype="int32")
    frame = pd.DataFrame(
        {
            "indicator_id": pd.Categorical.from_codes(np.repeat(codes, n)[ok], dtype=INDICATOR_DTYPE),
            "region_id": pd.Series(np.tile(keys.to_numpy(dtype=object)[keep], len(names))[ok], dtype=object),
            "period": np.repeat(np.array([s[1] for s in spec], dtype="datetime64[ns]"), n)[ok],
            "period_type": pd.Series(np.repeat(np.array([s[2] for s in spec], dtype=object), n)[ok], dtype=object),
            "value": value[ok],
            "flag": pd.Series([None] * int(ok.sum()), dtype=object),
            "source_file": pd.Series([table.file] * int(ok.sum()), dtype=object),
            "sheet": pd.Series([table.sheet] * int(ok.sum()), dtype=object),
            "line": line[ok],
            "column": pd.Series(column[ok], dtype=object),
            "raw": pd.Series(raw[ok], dtype=object),
        }
    )
    return frame[LONG_COLUMNS]


def _not_loaded(columns: list[str], used: set[str], key_columns: set[str]) -> list[str]:
    return [c for c in columns if c not in used and c not in key_columns]


# --- Paket_3 ---------------------------------------------------------------------------


def speed_columns(columns: list[str], segment: str) -> dict[str, str]:
    """Raw column → indicator id for the code and label header styles."""
    out = {}
    for c in columns:
        m = CODE_COLUMN.match(c)
        tech = TECH_CODE.get(m.group(1)) if m else None
        if not m:
            m = LABEL_COLUMN.match(c)
            tech = TECH_LABEL.get(m.group(1)) if m else None
        if m and tech:
            out[c] = speed_indicator_id(segment, tech, int(m.group(2)))
    return out


def _key_column(table: RawTable, level: str) -> str:
    lower = {c.lower(): c for c in table.cells.columns}
    for name in ("ags", "staat", "krs"):
        if name in lower:
            return lower[name]
    raise InputError(table.file, f"no key column (ags/AGS/staat) among {list(table.cells.columns)[:6]}…", sheet=table.sheet, column="ags")


def load_paket3_file(ctx: BuildContext, path: Path, gemeinden: set[str] | None = None) -> Loaded | None:
    file = ctx.relpath(path)
    m = PAKET3_NAME.match(path.name)
    if m is None:
        return None
    level = LEVEL_OF_FILE[m.group(1)]
    segment_raw, year, half = m.group(2), int(m.group(3)), m.group(4)
    period = _period(year, HALF[half])
    table = read_csv(path, file, text_columns=KEY_COLUMNS + MOBILE_TEXT_COLUMNS)
    if segment_raw == "mobilfunk_stats":
        return Loaded([load_mobile(ctx, table, level, period)], [])
    segment = SEGMENT_OF_FILE[segment_raw]
    cols = speed_columns(list(table.cells.columns), segment)
    key_column = _key_column(table, level)
    if not cols:
        # gemeinde_gewerbe_gwg_2019_mitte.csv: firm counts per commercial zone, no class.
        ctx.quarantine.add(
            source_id=SOURCE_ID,
            file=file,
            column=", ".join(table.cells.columns),
            value=f"{len(table.cells)} records",
            reason="file not loaded: no column with a technology and speed class (layout of firm counts per commercial zone, meaning of 'angeschlossen' not documented)",
            target_table="observations",
        )
        _note_by_file(ctx, "files_not_loaded", file, "no technology/speed columns (firm counts per commercial zone)")
        return Loaded([], [])
    keys = map_keys(ctx, table, key_column, level)
    if m.group(1) == "gemeinde_bezirke":
        keys = quarantine_city_districts(ctx, table, keys, gemeinden)
    spec = {c: (ind, period, "half_year") for c, ind in cols.items()}
    rows = melt_values(ctx, table, keys, spec)
    return Loaded([rows], _not_loaded(list(table.cells.columns), set(cols), {key_column}))


def load_mobile(ctx: BuildContext, table: RawTable, level: str, period: pd.Timestamp) -> pd.DataFrame:
    """Mobile coverage: already long (AGS, Technologie, Flaechenart, Verfügbarkeit)."""
    cells = table.cells
    for name in ("AGS", "Technologie", "Flaechenart", "Verfügbarkeit"):
        table.column(name)
    keys = map_keys(ctx, table, "AGS", level) if level != "bund" else pd.Series(
        np.where(cells["AGS"].str.strip().str.lower().isin(NATIONAL_NAMES), GERMANY_ID, None), index=cells.index, dtype="object"
    )
    if level == "bund":
        _quarantine(ctx, table, keys.isna(), "AGS", cells["AGS"], "national file: key is not Deutschland")
    known = cells["Technologie"].isin(list(MOBILE_TECHNOLOGIES)) & cells["Flaechenart"].isin(list(MOBILE_AREAS))
    _quarantine(
        ctx, table, (~known).to_numpy(), "Technologie", cells["Technologie"] + " / " + cells["Flaechenart"],
        "unknown technology or area type (no indicator declared)",
    )
    ok = (known & keys.notna()).to_numpy()
    sub = cells[ok]
    ids = [mobile_indicator_id(t, a) for t, a in zip(sub["Technologie"], sub["Flaechenart"], strict=True)]
    raw = sub["Verfügbarkeit"]
    frame = pd.DataFrame(
        {
            "indicator_id": pd.Categorical(ids, dtype=INDICATOR_DTYPE),
            "region_id": keys[ok].to_numpy(),
            "period": period,
            "period_type": "half_year",
            "raw": raw.to_numpy(),
            "line": table.lines[ok],
            "column": "Verfügbarkeit",
        }
    )
    bad = ~is_number(raw) & ~is_blank(raw)
    _quarantine(ctx, RawTable(table.file, None, sub, table.lines[ok]), bad, "Verfügbarkeit", raw, "value is not a number")
    frame = frame[~bad]
    return frame.assign(
        value=parse_numbers(frame["raw"]), flag=None, source_file=table.file, sheet=None
    )[LONG_COLUMNS]


# --- Paket_2 ---------------------------------------------------------------------------


def load_gemeinden_mid2018(ctx: BuildContext, path: Path) -> Loaded:
    file = ctx.relpath(path)
    m = re.search(r"Mitte\s*(\d{2})", path.name)
    if m is None:
        raise InputError(file, "cannot read the half-year from the file name (expected 'Mitte YY')")
    period = _period(2000 + int(m.group(1)), "06-30")
    table = read_csv(path, file, text_columns=KEY_COLUMNS)
    cols = speed_columns(list(table.cells.columns), "hh")
    keys = map_keys(ctx, table, _key_column(table, "gemeinde"), "gemeinde")
    spec = {c: (ind, period, "half_year") for c, ind in cols.items()}
    rows = melt_values(ctx, table, keys, spec)
    return Loaded([rows], _not_loaded(list(table.cells.columns), set(cols), {"AGS"}))


def load_kreisdaten_2021(ctx: BuildContext, path: Path) -> Loaded:
    file = ctx.relpath(path)
    book = open_workbook(path, file)
    table = read_sheet(book, file, book.sheet_names[0])
    period = _period(2021, "06-30")  # measured: mid-2021 (module docstring)
    spec = {}
    for c in table.cells.columns:
        m = KREIS_2021_COLUMN.match(c)
        if m:
            ind = speed_indicator_id(KREIS_2021_SEGMENT[m.group(1)], KREIS_2021_TECH[m.group(2)], int(m.group(3)))
            spec[c] = (ind, period, "half_year")
    if not spec:
        raise InputError(file, "no columns like priv_alle_tech_50 found", sheet=table.sheet)
    keys = map_keys(ctx, table, "krs", "kreis")
    rows = melt_values(ctx, table, keys, spec)
    return Loaded([rows], _not_loaded(list(table.cells.columns), set(spec), {"krs", "lan", "name"}))


# --- Paket_1 ---------------------------------------------------------------------------

ANNUAL_SHEETS = {"deutschland": ("bund", "gebiet"), "bundesland": ("land", "ags"), "landkreis": ("kreis", "ags"), "gemeinde": ("gemeinde", "ags")}


def load_annual_2010_2018(ctx: BuildContext, path: Path) -> Loaded:
    file = ctx.relpath(path)
    book = open_workbook(path, file)
    names = book.sheet_names
    parts, not_loaded = [], []
    sheets = {}
    for word in ANNUAL_SHEETS:  # all four levels must be there before anything is read
        matches = [s for s in names if re.search(rf"(^|_){word}(_|$)", s)]
        if len(matches) != 1:
            raise InputError(file, f"expected one sheet for level {word!r}, found {matches} among {names}", sheet=f"*{word}*")
        sheets[word] = matches[0]
    for word, (level, key_column) in ANNUAL_SHEETS.items():
        table = read_sheet(book, file, sheets[word])
        spec = {}
        for c in table.cells.columns:
            m = ANNUAL_COLUMN.match(c)
            if m:
                ind = speed_indicator_id("hh", TECH_CODE[m.group(1)], int(m.group(2)))
                spec[c] = (ind, _period(int(m.group(3)), "12-31"), "year")
        if not spec:
            raise InputError(file, "no columns like verf_300_50_2013", sheet=table.sheet)
        keys = map_keys(ctx, table, table.column(key_column).name, level)
        rows = melt_values(ctx, table, keys, spec)
        if level in ("kreis", "gemeinde"):
            rows = flag_not_reported(rows)
        parts.append(rows)
        not_loaded += _not_loaded(list(table.cells.columns), set(spec), {key_column, "id", "gen", "column_1"})
    return Loaded(parts, not_loaded)


def flag_not_reported(rows: pd.DataFrame) -> pd.DataFrame:
    """2010–2014: a unit whose values of a year are all exactly 0 → NaN, flag not_reported.

    See the module docstring for the measurement behind the rule.
    """
    year = pd.DatetimeIndex(rows["period"]).year
    in_window = np.isin(year, list(NOT_REPORTED_YEARS))
    zero = rows["value"].eq(0) & in_window
    groups = [rows["region_id"], year]
    all_zero = zero.groupby(groups).transform("all") & in_window
    out = rows.copy()
    out.loc[all_zero, "value"] = np.nan
    out.loc[all_zero, "flag"] = "not_reported"
    return out


def load_dsl_year(ctx: BuildContext, path: Path, named: list[pd.DataFrame] | None = None) -> Loaded:
    """One of the 2005–2008 DSL workbooks: sheets *_gem, *_krs, *_lan, *_sta.

    ``named`` receives the Gemeinde list of the *_gem sheet (key, name ``gen``,
    population ``ewz``), which places historic keys by their names."""
    named = [] if named is None else named
    file = ctx.relpath(path)
    m = re.match(r"^(\d{4})_DSL_", path.name)
    if m is None:
        raise InputError(file, "cannot read the year from the file name (expected '<year>_DSL_…')")
    year = int(m.group(1))
    period = _period(year, "12-31")
    book = open_workbook(path, file)
    names = book.sheet_names
    parts = []
    for suffix, level in (("sta", "bund"), ("lan", "land"), ("krs", "kreis"), ("gem", "gemeinde")):
        sheet = f"verf_{year}_dsl_{suffix}"
        if sheet not in names:
            raise InputError(file, f"sheet for level {level} missing; sheets are {names}", sheet=sheet)
        table = read_sheet(book, file, sheet)
        table.column("verf_dsl")
        if level == "bund":
            keys = map_keys(ctx, table, "gen", "bund")
        else:
            ags = table.column("ags")
            # Records with a name only (no key, no value): Gemeinden formed after the
            # vintage, appended to the sheet (e.g. Seeland, Elbe-Parey in 2005).
            name_only = (ags.str.strip() == "") & (table.cells["verf_dsl"].str.strip() == "")
            _quarantine(
                ctx, table, name_only.to_numpy(), "gen", table.cells.get("gen", ags),
                f"record without key and value (a unit named but not covered by the {year} vintage)",
            )
            table = RawTable(table.file, table.sheet, table.cells[~name_only].reset_index(drop=True), table.lines[~name_only.to_numpy()])
            keys = map_keys(ctx, table, "ags", level)
            if level == "gemeinde":
                # The sheet's Gemeinde list (keys, names, ewz) places historic keys by name (etl.territory).
                named.append(
                    pd.DataFrame(
                        {"ags": keys, "name": table.cells["gen"].astype(str).str.strip() if "gen" in table.cells else "", "population": parse_numbers(table.cells["ewz"]) if "ewz" in table.cells else np.nan,
                         "status_date": period.date(), "file": f"{file} ({sheet})"}
                    ).dropna(subset=["ags"])
                )
        spec = {"verf_dsl": (DSL_ID, period, "year")}
        parts.append(melt_values(ctx, table, keys, spec))
    return Loaded(parts, [])


# --- the step ------------------------------------------------------------------------------


def _families(columns: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in columns:
        m = NOT_LOADED_FAMILY.match(c)
        fam = (m.group(1) if m else c).lower()
        out[fam] = out.get(fam, 0) + 1
    return dict(sorted(out.items()))


def load_all(ctx: BuildContext) -> tuple[list[pd.DataFrame], dict[str, int], list[str]]:
    """Long rows per file or sheet (before de-duplication), figures per file, files not recognised."""
    parts: list[pd.DataFrame] = []
    not_loaded: list[str] = []
    unknown: list[str] = []
    loaders = [
        ("Paket_1/*_DSL_*.xlsx", load_dsl_year),
        ("Paket_1/verf_privat_alle_*.xls", load_annual_2010_2018),
        ("Paket_2/*Kreisdaten*.xls", load_kreisdaten_2021),
        ("Paket_2/Verf_Gemeinden*Mitte*.csv", load_gemeinden_mid2018),
    ]
    seen: set[Path] = set()
    named: list[pd.DataFrame] = []
    for pattern, loader in loaders:
        for path in ctx.glob(f"{BASE}/{pattern}"):
            seen.add(path)
            result = loader(ctx, path, named) if loader is load_dsl_year else loader(ctx, path)
            parts += result.parts
            not_loaded += result.not_loaded_columns
    gemeinden = ctx.region_ids("gemeinde")
    for path in ctx.glob(f"{BASE}/Paket_3/*.csv"):
        seen.add(path)
        result = load_paket3_file(ctx, path, gemeinden)
        if result is None:
            unknown.append(ctx.relpath(path))
            continue
        parts += result.parts
        not_loaded += result.not_loaded_columns
    for package in PACKAGES:
        for path in sorted((ctx.raw_dir / BASE / package).glob("*")):
            if path.is_file() and path not in seen:
                unknown.append(ctx.relpath(path))
    per_file: dict[str, int] = {}
    for p in parts:
        if len(p):
            per_file[p["source_file"].iloc[0]] = per_file.get(p["source_file"].iloc[0], 0) + len(p)
    if named:
        ctx.note(STEP_NAME, "historic_gemeinden_by_name", place_named_gemeinden(ctx, pd.concat(named, ignore_index=True)))
    ctx.note(STEP_NAME, "columns_not_loaded_by_family", _families(not_loaded))
    if unknown:
        ctx.note(STEP_NAME, "files_not_recognised", unknown)
        ctx.log(f"broadband: files of an unknown layout, not read: {unknown}")
    return parts, per_file, unknown


def one_period_type(rows: pd.DataFrame) -> pd.DataFrame:
    """The annual workbook's 31.12. of a year that the half-year files also
    cover (2018) is that half-year's stand, "Ende 2018": one period of an
    indicator has one period type, whichever package a region's figure comes
    from (else the app would list the period twice, "2018" and "Ende 2018")."""
    half = (rows["period_type"] == "half_year").to_numpy()
    # (indicator, period) as one integer per row: millions of rows, few distinct pairs.
    indicator = pd.factorize(rows["indicator_id"], use_na_sentinel=False)[0].astype(np.int64)
    period, periods = pd.factorize(rows["period"], use_na_sentinel=False)
    pair = indicator * len(periods) + period
    same = ~half & np.isin(pair, np.unique(pair[half]))
    if same.any():
        period_type = rows["period_type"].copy()
        period_type[same] = "half_year"
        rows = rows.assign(period_type=period_type)
    return rows


def transform_broadband(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    parts, per_file, _ = load_all(ctx)
    ctx.note(STEP_NAME, "figures_read_by_file", per_file)
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True)
    ctx.note(STEP_NAME, "not_reported_2010_2014", int((rows["flag"] == "not_reported").sum()))
    rows = one_period_type(rows)
    # Copies of one figure in several packages: the declared precedence (etl.copies, etl.catalogue.precedence).
    obs = finalize_observations(rows, ctx, source_id=SOURCE_ID, step=STEP_NAME)
    obs["indicator_id"] = obs["indicator_id"].astype("string")
    ctx.log(f"broadband: {sum(per_file.values())} figures read, {len(obs)} observations")
    return {"observations": obs}


STEP = Step(STEP_NAME, 20, (SOURCE_ID,), transform_broadband)
