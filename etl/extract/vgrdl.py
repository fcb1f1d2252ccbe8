"""Workbooks of the Arbeitskreis "VGR der Länder", Reihe 2 (Kreisergebnisse).

In: one xlsx with a sheet per series. Each series sheet has title lines (the
series, then its unit, e.g. "in Mill. EUR"), a header row ("Lfd. Nr.", "EU-Code",
"Regional-schlüssel", "Land", "NUTS 1", "NUTS 2", "NUTS 3", "Gebietseinheit", then
one column per year), a blank line, one row per region (Länder, Regierungsbezirke
or NUTS-2 regions, Kreise, Germany) and footnotes below.

Out: per sheet, a ``VgrdlSheet`` with the title lines, the unit line, the
footnotes and a long frame (one row per region row and year) with the columns
as published: ``eu_code``, ``key`` (Regional-schlüssel as text), ``nuts3``,
``name``, ``year``, the raw cell text, the number, the publisher's marker as a
flag code and a ``problem`` for cells that are neither. Format only: keys stay as
published, regions are not checked here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from etl.errors import InputError
from etl.extract import cells
from etl.extract.cells import as_text, is_empty

# Zeichenerklärung of the publication (sheet "Definitionen"): "–" nothing (exactly
# zero), "." unknown or secret, "…" figure follows later, "x" not meaningful. The
# cells write "…" as three dots and "x" as a capital X ("BIP Anteil am Land", Germany).
MARKERS: dict[str, str] = {
    "-": "zero",
    "–": "zero",
    ".": "unknown",
    "...": "later",
    "…": "later",
    "x": "not_meaningful",
    "X": "not_meaningful",
}

# Header cells, compared without spaces and hyphens and in lower case
# ("Regional-schlüssel" is hyphenated in the file because of a line break).
ID_COLUMNS = {
    "lfd.nr.": "row_number",
    "eucode": "eu_code",
    "regionalschlüssel": "key",
    "land": "land",
    "nuts1": "nuts1",
    "nuts2": "nuts2",
    "nuts3": "nuts3",
    "gebietseinheit": "name",
}
REQUIRED_ID_COLUMNS = {"eu_code": "EU-Code", "key": "Regional-schlüssel", "nuts3": "NUTS 3", "name": "Gebietseinheit"}
HEADER_SEARCH_ROWS = 20
_FOOTNOTE = re.compile(r"^\s*(\d+\)|\*)")
_FOOTNOTE_MARK = re.compile(r"\s*\d+\)\s*$")

LONG_COLUMNS = ["sheet", "line", "column", "eu_code", "key", "nuts3", "name", "year", "raw", "value", "flag", "problem"]


@dataclass
class VgrdlSheet:
    name: str  # sheet name as in the workbook (may end in spaces)
    title: list[str]  # lines above the header, e.g. ["1 Bruttoinlandsprodukt …", "1.1 …", "in Mill. EUR"]
    unit_line: str | None  # the title line that starts with "in "
    unit_line_number: int | None
    header_line: int  # 1-based
    years: list[int]
    rows: pd.DataFrame  # LONG_COLUMNS
    footnotes: list[str] = field(default_factory=list)
    rows_without_key: list[tuple[int, str]] = field(default_factory=list)  # (line, text) with values but no key
    layout_lines: int = 0  # lines without key and without values (blank lines, headings)


def _norm_header(value: object) -> str:
    return re.sub(r"[\s\-]+", "", str(value)).lower()


def parse_year(value: object) -> int | None:
    """The year of a header cell (1992, 1992.0, "1992"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and not (isinstance(value, float) and (math.isnan(value) or not value.is_integer())):
        year = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\d{4}", value.strip()):
        year = int(value.strip())
    else:
        return None
    return year if 1900 <= year <= 2100 else None


def parse_cell(value: object) -> tuple[float, str | None, str | None]:
    """(value, flag, problem) of one data cell, with the VGRdL's markers (``-`` gives 0)."""
    return cells.parse_cell(value, MARKERS)


def list_sheets(path: Path) -> list[str]:
    return list(python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names)


def _find_header(rows: list[list], relpath: str, sheet: str) -> int:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_norm_header(c) == "regionalschlüssel" for c in row if not is_empty(c)):
            return i
    raise InputError(relpath, f"no header row with 'Regional-schlüssel' in the first {HEADER_SEARCH_ROWS} lines", sheet=sheet)


def extract_vgrdl_sheet(
    workbook: python_calamine.CalamineWorkbook, sheet: str, *, relpath: str, expected_years: tuple[int, ...]
) -> VgrdlSheet:
    """Read one series sheet into a long frame; raise InputError when its layout is not the declared one."""
    # skip_empty_area=False: the rows start at A1, so list index + 1 is the sheet's line.
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    h = _find_header(rows, relpath, sheet)
    header = rows[h]
    header_line = h + 1
    id_cols: dict[str, int] = {}
    year_cols: dict[int, int] = {}
    for j, cell in enumerate(header):
        if is_empty(cell):
            continue
        year = parse_year(cell)
        if year is not None:
            if year in year_cols:
                raise InputError(relpath, f"year {year} appears twice in the header", sheet=sheet, line=header_line, column=str(year))
            year_cols[year] = j
            continue
        role = ID_COLUMNS.get(_norm_header(cell))
        if role is None:
            raise InputError(
                relpath,
                f"column header {as_text(cell)!r} is neither a year nor one of the known columns "
                "(Lfd. Nr., EU-Code, Regional-schlüssel, Land, NUTS 1–3, Gebietseinheit)",
                sheet=sheet,
                line=header_line,
                column=as_text(cell),
            )
        id_cols[role] = j
    for role, wanted in REQUIRED_ID_COLUMNS.items():
        if role not in id_cols:
            raise InputError(relpath, f"column {wanted!r} missing from the header", sheet=sheet, line=header_line, column=wanted)
    missing = [y for y in expected_years if y not in year_cols]
    if missing:
        raise InputError(
            relpath,
            f"year column(s) {', '.join(map(str, missing))} missing from the header (found {sorted(year_cols)})",
            sheet=sheet,
            line=header_line,
            column=str(missing[0]),
        )

    title = [as_text(r[0]) for r in rows[:h] if r and not is_empty(r[0])]
    unit_line, unit_line_number = None, None
    for i, r in enumerate(rows[:h]):
        text = as_text(r[0]) if r else ""
        if text.lower().startswith("in "):
            unit_line, unit_line_number = text, i + 1
            break

    out: list[dict] = []
    footnotes: list[str] = []
    without_key: list[tuple[int, str]] = []
    layout = 0
    years = sorted(year_cols)
    width = len(header)
    for i in range(h + 1, len(rows)):
        row = list(rows[i]) + [None] * max(0, width - len(rows[i]))
        line = i + 1
        key = as_text(row[id_cols["key"]])
        eu_code = as_text(row[id_cols["eu_code"]])
        has_values = any(not is_empty(row[j]) for j in year_cols.values())
        if not key and not eu_code:
            first = next((as_text(c) for c in row if not is_empty(c)), "")
            if first and _FOOTNOTE.match(first) and not has_values:
                footnotes.append(first)
            elif has_values:
                without_key.append((line, first))
            else:
                layout += 1
            continue
        name = _FOOTNOTE_MARK.sub("", as_text(row[id_cols["name"]]))
        nuts3 = as_text(row[id_cols["nuts3"]])
        for year in years:
            cell = row[year_cols[year]]
            value, flag, problem = parse_cell(cell)
            out.append(
                {
                    "sheet": sheet,
                    "line": line,
                    "column": str(year),
                    "eu_code": eu_code,
                    "key": key,
                    "nuts3": nuts3,
                    "name": name,
                    "year": year,
                    "raw": as_text(cell),
                    "value": value,
                    "flag": flag,
                    "problem": problem,
                }
            )
    frame = pd.DataFrame(out, columns=LONG_COLUMNS)
    return VgrdlSheet(
        name=sheet,
        title=title,
        unit_line=unit_line,
        unit_line_number=unit_line_number,
        header_line=header_line,
        years=years,
        rows=frame,
        footnotes=footnotes,
        rows_without_key=without_key,
        layout_lines=layout,
    )


def open_workbook(path: Path, relpath: str) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken zips and non-xlsx files
        raise InputError(relpath, f"cannot be read as an Excel workbook: {exc}") from exc


def find_sheet(workbook: python_calamine.CalamineWorkbook, declared: str, relpath: str) -> str:
    """The workbook's name of a declared sheet: names in the file carry trailing spaces ("EW ")."""
    for name in workbook.sheet_names:
        if name.strip() == declared.strip():
            return name
    raise InputError(relpath, f"sheet {declared!r} not found; the workbook has {[n.strip() for n in workbook.sheet_names]}", sheet=declared)
