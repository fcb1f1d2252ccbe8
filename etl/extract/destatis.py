"""Population and area files of Destatis (and the ``ewz`` columns of the
Breitbandatlas DSL workbooks), as published → frames with the publisher's
columns. Format only: encodings, header junk, record types, markers.

In:
- a GENESIS-Online CSV export (table 12411-0015): ISO-8859-1, ``;``, six header
  lines with the reference dates in the 6th, one row per Kreis, a footer after a
  ``__________`` line; ``-`` = no value for that date;
- the Gemeindeverzeichnis workbook of the Kreise (04-kreise, 31.12.2018): a
  cover sheet, then a data sheet with a two-row header, a row of column numbers,
  Land and Regierungsbezirk heading rows (keys without values), Kreis rows,
  Land subtotal rows without key ("Insgesamt" under the Land heading), the
  national total ("Deutschland", "Insgesamt") and footnotes;
- the Gemeindeverzeichnis workbooks of the Gemeinden (Auszug GV, 31.12.2016 and
  31.12.2017): a contents sheet, then ``Onlineprodukt_Gemeinden_3112YY`` with a
  three-row header, one row per record (``Satzart`` 10 Land … 60 Gemeinde), the
  key split over the columns Land, RB, Kreis, VB, Gem, centre coordinates as
  text with a decimal comma, footnote numbers glued to names ("Kerken4)") and
  footnotes below;
- the Breitbandatlas DSL workbooks 2005–2008 (one sheet per level, ``ags`` stored
  as a number): only the population column ``ewz`` is read here; the broadband
  columns belong to ``etl.extract.breitbandatlas``.

Out: long frames of data cells with the raw text, the number, the publisher's
marker as a flag code and a ``problem`` for cells that are neither; records of
the Gemeindeverzeichnis keep their attribute columns (names, DEGURBA,
coordinates). Keys stay as published text; nothing is checked against regions.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from etl.errors import InputError
from etl.extract.cells import as_text, is_empty, parse_cell

# Zeichenerklärung of Destatis (GENESIS and Gemeindeverzeichnis): "." unknown or
# secret, "x" not meaningful, "/" no figure because not reliable enough. "-" means
# "exactly zero" in the printed tables but, in this GENESIS export, "no value for
# that date" (Kreise before their creation or after their dissolution, e.g.
# Göttingen 03159 before 01.11.2016): the two meanings get two flags.
MARKERS: dict[str, str] = {".": "unknown", "x": "not_meaningful", "X": "not_meaningful", "/": "not_reliable"}
GV_MARKERS: dict[str, str] = {**MARKERS, "-": "zero", "–": "zero"}
GENESIS_MARKERS: dict[str, str] = {**MARKERS, "-": "no_value"}

CELL_COLUMNS = ["line", "column", "raw", "value", "flag", "problem"]
_FOOTNOTE_MARK = re.compile(r"\s*(\d+\))+\s*$")
_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_DIGITS = {n: re.compile(rf"\d{{{n}}}") for n in (1, 2, 3, 4)}  # one per key part's width, compiled once


# --- cells ------------------------------------------------------------------------


def parse_decimal_comma(value: object) -> float:
    """A coordinate written as text with a decimal comma ("9,43751"); NaN when empty or not a number."""
    if is_empty(value):
        return math.nan
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return math.nan


def strip_footnote(text: str) -> tuple[str, str | None]:
    """("Kerken", "4") from "Kerken4)": the Gemeindeverzeichnis glues footnote numbers to names."""
    match = _FOOTNOTE_MARK.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(), re.sub(r"\D+", ",", match.group(0)).strip(",")


def _norm_header(value: object) -> str:
    """Header text without footnote numbers, hyphens of line breaks and extra spaces, lower case."""
    text = as_text(value).lower()
    text = re.sub(r"\d\)", " ", text)  # "bevölkerung2)" → "bevölkerung"
    text = text.replace("-", "")  # "satz-art", "post-leit-zahl", "schlüssel-nummer"
    return re.sub(r"\s+", " ", text).strip()


# --- workbooks ----------------------------------------------------------------------


def open_workbook(path: Path, relpath: str) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken zips and non-xlsx files
        raise InputError(relpath, f"cannot be read as an Excel workbook (truncated or not xlsx?): {exc}") from exc


def read_rows(workbook: python_calamine.CalamineWorkbook, sheet: str, relpath: str) -> list[list]:
    """All rows of a sheet from A1 (so list index + 1 is the sheet's line)."""
    try:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputError(relpath, f"sheet cannot be read (truncated file?): {exc}", sheet=sheet) from exc


def _header_labels(rows: list[list], first: int, count: int) -> list[str]:
    """One label per column from ``count`` header rows; the top row is carried to the right
    over empty cells, because merged group headings ("Bevölkerung" over insgesamt,
    männlich, weiblich, je km2) fill only their first cell."""
    width = max(len(r) for r in rows[first : first + count])
    top = list(rows[first]) + [""] * (width - len(rows[first]))
    carried, current = [], ""
    for cell in top:
        current = as_text(cell) or current
        carried.append(current)
    labels = []
    for j in range(width):
        parts = [carried[j]]
        for r in rows[first + 1 : first + count]:
            if j < len(r) and not is_empty(r[j]):
                parts.append(as_text(r[j]))
        labels.append(_norm_header(" ".join(parts)))
    return labels


def _match_columns(
    labels: list[str], patterns: dict[str, str], required: tuple[str, ...], relpath: str, sheet: str, line: int, shown: dict[str, str]
) -> dict[str, int]:
    """Column index per role: each pattern must match exactly one header label."""
    found: dict[str, int] = {}
    for role, pattern in patterns.items():
        hits = [j for j, label in enumerate(labels) if re.search(pattern, label)]
        if len(hits) > 1:
            raise InputError(relpath, f"header {shown[role]!r} found in several columns {hits}", sheet=sheet, line=line, column=shown[role])
        if not hits:
            if role in required:
                raise InputError(relpath, f"column {shown[role]!r} missing from the header (renamed or removed?)", sheet=sheet, line=line, column=shown[role])
            continue
        found[role] = hits[0]
    return found


def _cell(row: list, j: int | None) -> object:
    return row[j] if j is not None and j < len(row) else None


# --- GENESIS CSV ------------------------------------------------------------------------

GENESIS_HEADER_LINES = 6
GENESIS_FOOTER = "__________"


@dataclass
class GenesisTable:
    code: str
    title: list[str]  # header lines 2–4 (title, statistic, measure)
    dates: list[str]  # ISO dates of the value columns
    encoding: str
    cells: pd.DataFrame  # key, name + CELL_COLUMNS; one row per Kreis and date
    footer: list[str] = field(default_factory=list)


def _decode(data: bytes, relpath: str) -> tuple[str, str]:
    """The file's text. GENESIS exports ISO-8859-1; an export saved as UTF-8 (or
    Windows-1252) is detected rather than read as mojibake; UTF-16 or binary data
    is refused."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise InputError(relpath, "not ISO-8859-1 text: the file looks like UTF-16 or binary data (expected a GENESIS CSV export in ISO-8859-1)")
    try:
        text = data.decode("utf-8-sig")
        if any(ord(c) > 127 for c in text):
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    if any(0x80 <= b <= 0x9F for b in data):
        # C1 control bytes do not occur in ISO-8859-1 text; they are Windows-1252 punctuation.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(relpath, f"byte {data[exc.start]:#04x} is neither ISO-8859-1 text nor UTF-8 nor Windows-1252", line=line) from exc
    return data.decode("iso-8859-1"), "iso-8859-1"


def _genesis_date(text: str) -> str | None:
    match = _DATE.match(text.strip())
    if not match:
        return None
    day, month, year = match.groups()
    return f"{year}-{month}-{day}"


def extract_genesis_csv(path: Path, relpath: str, *, table_code: str) -> GenesisTable:
    """Read a GENESIS CSV export of one table with a key and a name column and one column per date."""
    data = path.read_bytes()
    text, encoding = _decode(data, relpath)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0].strip().split(";")[0] if lines else ""
    if not first.startswith("GENESIS-Tabelle:"):
        raise InputError(relpath, f"first line is {first[:60]!r}, expected 'GENESIS-Tabelle: {table_code}'", line=1)
    code = first.split(":", 1)[1].strip()
    if code != table_code:
        raise InputError(relpath, f"GENESIS table {code!r}, expected {table_code!r}", line=1)
    if len(lines) <= GENESIS_HEADER_LINES:
        raise InputError(relpath, f"only {len(lines)} lines: the {GENESIS_HEADER_LINES} header lines and the data are missing (truncated file?)")
    date_fields = lines[GENESIS_HEADER_LINES - 1].split(";")
    dates: list[tuple[int, str, str]] = []  # (field index, raw header, ISO date)
    for j, raw in enumerate(date_fields[2:], start=2):
        iso = _genesis_date(raw)
        if iso is None:
            raise InputError(relpath, f"header field {raw!r} is not a date DD.MM.YYYY", line=GENESIS_HEADER_LINES, column=f"field {j + 1}")
        dates.append((j, raw.strip(), iso))
    if not dates:
        raise InputError(relpath, "no date columns in the header", line=GENESIS_HEADER_LINES)
    width = len(date_fields)

    rows: list[dict] = []
    footer: list[str] | None = None
    for i in range(GENESIS_HEADER_LINES, len(lines)):
        line_text = lines[i]
        line = i + 1
        if line_text.strip().startswith(GENESIS_FOOTER):
            footer = [t.strip() for t in lines[i + 1 :] if t.strip()]
            break
        if not line_text.strip():
            continue
        fields = line_text.split(";")
        if len(fields) != width:
            raise InputError(relpath, f"{len(fields)} fields, the header has {width} (truncated or damaged line?)", line=line)
        key, name = fields[0].strip(), fields[1].strip()
        for j, raw_header, iso in dates:
            raw = fields[j].strip()
            value, flag, problem = parse_cell(raw, GENESIS_MARKERS)
            if problem is None and flag is None and math.isnan(value):
                problem = "empty cell"
            rows.append({"key": key, "name": name, "date": iso, "line": line, "column": raw_header, "raw": raw, "value": value, "flag": flag, "problem": problem})
    if footer is None:
        raise InputError(relpath, f"no footer line {GENESIS_FOOTER!r} after the data: the file is truncated", line=len(lines))
    cells = pd.DataFrame(rows, columns=["key", "name", "date", *CELL_COLUMNS])
    title = [ln.split(";")[0].strip() for ln in lines[1:4]]
    return GenesisTable(code=code, title=title, dates=[d for _, _, d in dates], encoding=encoding, cells=cells, footer=footer)


# --- Gemeindeverzeichnis: Kreise -----------------------------------------------------------

KREISE_SHEET = "Kreisfreie Städte u. Landkreise"
KREISE_MEASURES = ("area_km2", "population", "population_male", "population_female", "density_per_km2")
_KREISE_PATTERNS = {
    "key": r"^schlüsselnummer",
    "type": r"^regionale bezeichnung",
    "name": r"^kreisfreie stadt kreis / landkreis",
    "nuts3": r"^nuts ?3",
    "area_km2": r"^fläche in km2",
    "population": r"^bevölkerung insgesamt",
    "population_male": r"^bevölkerung männlich",
    "population_female": r"^bevölkerung weiblich",
    "density_per_km2": r"^bevölkerung je km2",
}
_KREISE_SHOWN = {
    "key": "Schlüssel-nummer",
    "type": "Regionale Bezeichnung",
    "name": "Kreisfreie Stadt / Kreis / Landkreis",
    "nuts3": "NUTS3",
    "area_km2": "Fläche in km2",
    "population": "Bevölkerung insgesamt",
    "population_male": "Bevölkerung männlich",
    "population_female": "Bevölkerung weiblich",
    "density_per_km2": "Bevölkerung je km2",
}


@dataclass
class GvKreise:
    sheet: str
    reference_date: str  # ISO, from "Gebietsstand: 31.12.2018"
    # One row per data row and measure: kind (kreis, land_total, national_total,
    # unknown), key (as published; the Land key for its subtotal row), land_key,
    # type, name, nuts3, measure, header + CELL_COLUMNS.
    cells: pd.DataFrame
    headings: list[tuple[int, str, str]]  # (line, key, name) of Land and Regierungsbezirk heading rows
    footnotes: list[str]


def _find_row(rows: list[list], predicate, limit: int = 20) -> int | None:
    for i, row in enumerate(rows[:limit]):
        if row and predicate(row):
            return i
    return None


def _reference_date(rows: list[list], relpath: str, sheet: str, limit: int) -> str:
    for i, row in enumerate(rows[:limit]):
        for cell in row:
            match = re.search(r"(?:Gebietsstand|am)\D*(\d{2}\.\d{2}\.\d{4})", as_text(cell))
            if match:
                return _genesis_date(match.group(1))
    raise InputError(relpath, "no 'Gebietsstand: DD.MM.YYYY' above the header", sheet=sheet)


def extract_gv_kreise(path: Path, relpath: str) -> GvKreise:
    """Read the data sheet of the Gemeindeverzeichnis' Kreise table."""
    workbook = open_workbook(path, relpath)
    if KREISE_SHEET not in workbook.sheet_names:
        raise InputError(relpath, f"sheet {KREISE_SHEET!r} missing (sheets: {', '.join(workbook.sheet_names)})", sheet=KREISE_SHEET)
    sheet = KREISE_SHEET
    rows = read_rows(workbook, sheet, relpath)
    h = _find_row(rows, lambda r: _norm_header(r[0]).startswith("schlüsselnummer"))
    if h is None:
        raise InputError(relpath, "no header row starting with 'Schlüssel-nummer' in the first 20 lines", sheet=sheet)
    reference_date = _reference_date(rows, relpath, sheet, h)
    labels = _header_labels(rows, h, 2)
    cols = _match_columns(labels, _KREISE_PATTERNS, tuple(_KREISE_PATTERNS), relpath, sheet, h + 1, _KREISE_SHOWN)

    out: list[dict] = []
    headings: list[tuple[int, str, str]] = []
    footnotes: list[str] = []
    land_key: str | None = None
    national_seen = False
    start = h + 2
    # The row below the header numbers the columns (1, "2", 3 … 9): layout, not data.
    if start < len(rows) and [as_text(c) for c in rows[start][:3]] == ["1", "2", "3"]:
        start += 1
    for i in range(start, len(rows)):
        row = rows[i]
        line = i + 1
        key = as_text(_cell(row, cols["key"]))
        type_ = as_text(_cell(row, cols["type"]))
        name = as_text(_cell(row, cols["name"]))
        has_values = any(not is_empty(_cell(row, cols[m])) for m in KREISE_MEASURES)
        if not has_values:
            if re.fullmatch(r"\d{1,4}", key):
                headings.append((line, key, type_))
                if len(key) <= 2:
                    land_key = key.zfill(2)
            elif key:
                footnotes.append(key)
            continue
        if not key and name == "Insgesamt" and type_ == "Deutschland":
            kind, row_key, national_seen = "national_total", None, True
        elif not key and name == "Insgesamt":
            kind, row_key = "land_total", land_key
        elif re.fullmatch(r"\d{4,5}", key):
            kind, row_key = "kreis", key  # 4 digits: a key stored as a number lost its zero
        else:
            kind, row_key = "unknown", key or None
        name_clean, _ = strip_footnote(name)
        for measure in KREISE_MEASURES:
            cell = _cell(row, cols[measure])
            value, flag, problem = parse_cell(cell, GV_MARKERS)
            if problem is None and flag is None and math.isnan(value):
                problem = "empty cell"
            out.append(
                {
                    "kind": kind, "key": row_key, "land_key": land_key, "type": type_, "name": name_clean,
                    "nuts3": as_text(_cell(row, cols["nuts3"])), "measure": measure, "line": line,
                    "column": _KREISE_SHOWN[measure], "raw": as_text(cell), "value": value, "flag": flag, "problem": problem,
                }
            )
    if not national_seen:
        raise InputError(relpath, "no national total row ('Deutschland', 'Insgesamt'): the sheet is truncated", sheet=sheet, line=len(rows))
    cells = pd.DataFrame(out, columns=["kind", "key", "land_key", "type", "name", "nuts3", "measure", *CELL_COLUMNS])
    return GvKreise(sheet=sheet, reference_date=reference_date, cells=cells, headings=headings, footnotes=footnotes)


# --- Gemeindeverzeichnis: Gemeinden ------------------------------------------------------------

GEMEINDEN_SHEET_PREFIX = "Onlineprodukt_Gemeinden"
GEMEINDEN_MEASURES = ("area_km2", "population", "population_male", "population_female", "density_per_km2")
SATZART = {"10": "land", "20": "rbz", "30": "region", "40": "kreis", "50": "gemeindeverband", "60": "gemeinde"}
_GEMEINDEN_PATTERNS = {
    "satzart": r"^satzart",
    "textkennzeichen": r"^textkennzeichen",
    "land": r"^regionalschlüssel \(rs\) land\b",
    "rb": r"^regionalschlüssel \(rs\) rb\b",
    "kreis": r"^regionalschlüssel \(rs\) kreis\b",
    "vb": r"^regionalschlüssel \(rs\) vb\b",
    "gem": r"^regionalschlüssel \(rs\) gem\b",
    "name": r"^gemeindename",
    "area_km2": r"^fläche km2",
    "population": r"^bevölkerung insgesamt",
    "population_male": r"^bevölkerung männlich",
    "population_female": r"^bevölkerung weiblich",
    "density_per_km2": r"^bevölkerung je km2",
    "postcode": r"^postleitzahl",
    "lon": r"mittelpunktkoordinaten l.ngengrad",
    "lat": r"mittelpunktkoordinaten breitengrad",
    "travel_region_key": r"^reisegebiete schlüssel",
    "travel_region": r"^reisegebiete bezeichnung",
    "degurba": r"^grad der verstädterung schlüssel",
    "degurba_label": r"^grad der verstädterung bezeichnung",
}
_GEMEINDEN_SHOWN = {
    "satzart": "Satz-art",
    "textkennzeichen": "Text-kenn-zeichen",
    "land": "Regionalschlüssel (RS) Land",
    "rb": "Regionalschlüssel (RS) RB",
    "kreis": "Regionalschlüssel (RS) Kreis",
    "vb": "Regionalschlüssel (RS) VB",
    "gem": "Regionalschlüssel (RS) Gem",
    "name": "Gemeindename",
    "area_km2": "Fläche km2",
    "population": "Bevölkerung insgesamt",
    "population_male": "Bevölkerung männlich",
    "population_female": "Bevölkerung weiblich",
    "density_per_km2": "Bevölkerung je km2",
    "postcode": "Post-leit-zahl",
    "lon": "Geografische Mittelpunktkoordinaten Längengrad",
    "lat": "Geografische Mittelpunktkoordinaten Breitengrad",
    "travel_region_key": "Reisegebiete Schlüssel",
    "travel_region": "Reisegebiete Bezeichnung",
    "degurba": "Grad der Verstädterung Schlüssel",
    "degurba_label": "Grad der Verstädterung Bezeichnung",
}
GEMEINDEN_REQUIRED = ("satzart", "land", "rb", "kreis", "vb", "gem", "name", *GEMEINDEN_MEASURES, "degurba")
GEMEINDEN_HEADER = _GEMEINDEN_SHOWN
RECORD_COLUMNS = [
    "line", "satzart", "record_type", "textkennzeichen", "land", "rb", "kreis", "vb", "gem", "ags", "ars",
    "name", "footnote", "postcode", "lon", "lat", "travel_region_key", "travel_region", "degurba", "degurba_label",
]


@dataclass
class GvGemeinden:
    sheet: str
    reference_date: str
    records: pd.DataFrame  # RECORD_COLUMNS, one row per record (all Satzarten)
    cells: pd.DataFrame  # line, ags, satzart, measure + CELL_COLUMNS, one row per record with values and measure
    footnotes: list[str]
    other_rows: list[tuple[int, str]]  # rows after the header that are neither records nor notes


def extract_gv_gemeinden(path: Path, relpath: str) -> GvGemeinden:
    """Read the ``Onlineprodukt_Gemeinden_…`` sheet of an Auszug GV workbook.

    A build reads each workbook in three steps (regions, population, region
    attributes): it is read once per file version (path, size, modification
    time); callers treat the result as read-only."""
    stat = path.stat()
    return _extract_gv_gemeinden(path, relpath, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _extract_gv_gemeinden(path: Path, relpath: str, size: int, mtime_ns: int) -> GvGemeinden:
    workbook = open_workbook(path, relpath)
    candidates = [s for s in workbook.sheet_names if s.startswith(GEMEINDEN_SHEET_PREFIX)]
    if len(candidates) != 1:
        raise InputError(
            relpath,
            f"expected one sheet named '{GEMEINDEN_SHEET_PREFIX}_…', found {candidates or 'none'} (sheets: {', '.join(workbook.sheet_names)})",
            sheet=f"{GEMEINDEN_SHEET_PREFIX}_…",
        )
    sheet = candidates[0]
    rows = read_rows(workbook, sheet, relpath)
    h = _find_row(rows, lambda r: _norm_header(r[0]) == "satzart")
    if h is None:
        raise InputError(relpath, "no header row starting with 'Satz-art' in the first 20 lines", sheet=sheet)
    reference_date = _reference_date(rows, relpath, sheet, h + 3)
    labels = _header_labels(rows, h, 3)
    cols = _match_columns(labels, _GEMEINDEN_PATTERNS, GEMEINDEN_REQUIRED, relpath, sheet, h + 1, _GEMEINDEN_SHOWN)

    records: list[dict] = []
    cells: list[dict] = []
    footnotes: list[str] = []
    other: list[tuple[int, str]] = []
    source_seen = False
    for i in range(h + 3, len(rows)):
        row = rows[i]
        line = i + 1
        satzart = as_text(_cell(row, cols["satzart"]))
        if not satzart:
            if any(not is_empty(c) for c in row):
                other.append((line, next(as_text(c) for c in row if not is_empty(c))))
            continue
        if not _DIGITS[2].fullmatch(satzart):
            # Below the records: "Quelle: …", footnotes "1) …" and the copyright lines.
            if satzart.startswith("Quelle"):
                source_seen = True
            footnotes.append(satzart)
            continue
        if source_seen:
            other.append((line, satzart))
            continue
        parts = {k: as_text(_cell(row, cols[k])) for k in ("land", "rb", "kreis", "vb", "gem")}
        ags = parts["land"] + parts["rb"] + parts["kreis"] + parts["gem"]
        ags_ok = bool(_DIGITS[2].fullmatch(parts["land"]) and _DIGITS[1].fullmatch(parts["rb"]) and _DIGITS[2].fullmatch(parts["kreis"]) and _DIGITS[3].fullmatch(parts["gem"]))
        ars_ok = ags_ok and bool(_DIGITS[4].fullmatch(parts["vb"]))
        name, footnote = strip_footnote(as_text(_cell(row, cols["name"])))
        lon = parse_decimal_comma(_cell(row, cols.get("lon")))
        lat = parse_decimal_comma(_cell(row, cols.get("lat")))
        if lon == 0 and lat == 0:
            # Gemeindefreie Gebiete without a centre (coastal waters, the German–Luxembourg
            # condominium) carry 0/0 in 2017 and nothing in 2016: no position.
            lon = lat = math.nan
        records.append(
            {
                "line": line, "satzart": satzart, "record_type": SATZART.get(satzart), **parts,
                "textkennzeichen": as_text(_cell(row, cols.get("textkennzeichen"))),
                "ags": ags if ags_ok else None,
                "ars": parts["land"] + parts["rb"] + parts["kreis"] + parts["vb"] + parts["gem"] if ars_ok else None,
                "name": name, "footnote": footnote, "postcode": as_text(_cell(row, cols.get("postcode"))) or None,
                "lon": lon, "lat": lat,
                "travel_region_key": as_text(_cell(row, cols.get("travel_region_key"))) or None,
                "travel_region": as_text(_cell(row, cols.get("travel_region"))) or None,
                "degurba": as_text(_cell(row, cols["degurba"])) or None,
                "degurba_label": as_text(_cell(row, cols.get("degurba_label"))) or None,
            }
        )
        if not any(not is_empty(_cell(row, cols[m])) for m in GEMEINDEN_MEASURES):
            continue  # heading records (Land … Gemeindeverband) carry no figures
        for measure in GEMEINDEN_MEASURES:
            cell = _cell(row, cols[measure])
            value, flag, problem = parse_cell(cell, GV_MARKERS)
            if problem is None and flag is None and math.isnan(value):
                problem = "empty cell"
            cells.append(
                {"line": line, "ags": ags if ags_ok else None, "satzart": satzart, "measure": measure,
                 "column": _GEMEINDEN_SHOWN[measure], "raw": as_text(cell), "value": value, "flag": flag, "problem": problem}
            )
    if not source_seen:
        raise InputError(relpath, "no 'Quelle: …' line below the records: the sheet is truncated", sheet=sheet, line=len(rows))
    return GvGemeinden(
        sheet=sheet,
        reference_date=reference_date,
        records=pd.DataFrame(records, columns=RECORD_COLUMNS),
        cells=pd.DataFrame(cells, columns=["ags", "satzart", "measure", *CELL_COLUMNS]),
        footnotes=footnotes,
        other_rows=other,
    )


# --- Breitbandatlas DSL workbooks: population (ewz) only -----------------------------------------

DSL_LEVELS = {"sta": "bund", "lan": "land", "krs": "kreis", "gem": "gemeinde"}


def extract_dsl_population(path: Path, relpath: str) -> pd.DataFrame:
    """The ``ewz`` column of every level sheet (``verf_YYYY_dsl_gem|krs|lan|sta``).

    Out: sheet, level, line, key (``ags`` as text, leading zeros lost as
    published; empty on the national sheet, which has no ``ags``), name (``gen``),
    column, raw, value, flag, problem.
    """
    workbook = open_workbook(path, relpath)
    out: list[pd.DataFrame] = []
    for suffix, level in DSL_LEVELS.items():
        matches = [s for s in workbook.sheet_names if re.fullmatch(rf"verf_\d{{4}}_dsl_{suffix}", s.strip())]
        if len(matches) != 1:
            raise InputError(relpath, f"expected one sheet 'verf_YYYY_dsl_{suffix}', found {matches or 'none'} (sheets: {', '.join(workbook.sheet_names)})", sheet=f"verf_YYYY_dsl_{suffix}")
        sheet = matches[0]
        rows = read_rows(workbook, sheet, relpath)
        if not rows:
            raise InputError(relpath, "empty sheet", sheet=sheet)
        header = [as_text(c).lower() for c in rows[0]]
        needed = ["ewz", "gen"] + ([] if level == "bund" else ["ags"])
        for name in needed:
            if name not in header:
                raise InputError(relpath, f"column {name!r} missing from the header {header}", sheet=sheet, line=1, column=name)
        j_ewz, j_gen = header.index("ewz"), header.index("gen")
        j_ags = header.index("ags") if "ags" in header else None
        records = []
        for i in range(1, len(rows)):
            row = rows[i]
            if all(is_empty(c) for c in row):
                continue
            cell = _cell(row, j_ewz)
            value, flag, problem = parse_cell(cell, GV_MARKERS)
            if problem is None and flag is None and math.isnan(value):
                problem = "empty cell"
            records.append(
                {"sheet": sheet, "level": level, "line": i + 1, "key": as_text(_cell(row, j_ags)) if j_ags is not None else "",
                 "name": as_text(_cell(row, j_gen)), "column": "ewz", "raw": as_text(cell), "value": value, "flag": flag, "problem": problem}
            )
        out.append(pd.DataFrame(records, columns=["sheet", "level", "key", "name", *CELL_COLUMNS]))
    return pd.concat(out, ignore_index=True)
