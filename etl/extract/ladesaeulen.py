"""Extract the Bundesnetzagentur's Ladesäulenregister workbook (format only).

In: ``Ladesaeulenregister.xlsx`` — one sheet, about ten lines of title and notes
("Hinweis: …", "Stand: 01.01.2022"), a row of group headings ("Allgemeine
Informationen", "1. Ladepunkt" …), then the header row and one row per station.

Out: a :class:`Register` with one row per station under the publisher's column
names, numbers parsed (decimal commas repaired), dates as ``datetime.date``, text
as stripped strings, the 1-based sheet row in ``line``, the raw cell text of the
parsed columns for the quarantine, which coordinates were text with a decimal
comma, and the register's date ("Stand").

The header row is found by its content (the row naming both coordinate columns),
not by a fixed offset: the number of note lines above it changes between monthly
editions. python-calamine reads the 25,868-row sheet in under a second (openpyxl
takes about 20 s).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook, ZipError

from etl.errors import InputError

# Canonical column → accepted header spellings. The publisher writes "Art der
# Ladeeinrichung" (sic, without the t) in the 2022 editions.
COLUMNS: dict[str, tuple[str, ...]] = {
    "Betreiber": ("Betreiber",),
    "Straße": ("Straße", "Strasse"),
    "Hausnummer": ("Hausnummer",),
    "Adresszusatz": ("Adresszusatz",),
    "Postleitzahl": ("Postleitzahl",),
    "Ort": ("Ort",),
    "Bundesland": ("Bundesland",),
    "Kreis/kreisfreie Stadt": ("Kreis/kreisfreie Stadt",),
    "Breitengrad": ("Breitengrad",),
    "Längengrad": ("Längengrad",),
    "Inbetriebnahmedatum": ("Inbetriebnahmedatum",),
    "Anschlussleistung": ("Anschlussleistung",),
    "Art der Ladeeinrichtung": ("Art der Ladeeinrichung", "Art der Ladeeinrichtung"),
    "Anzahl Ladepunkte": ("Anzahl Ladepunkte",),
}
OPTIONAL = {"Adresszusatz"}
NUMERIC = ("Breitengrad", "Längengrad", "Anschlussleistung", "Anzahl Ladepunkte")
DATE_COLUMN = "Inbetriebnahmedatum"
HEADER_SCAN_ROWS = 60

_STAND = re.compile(r"Stand:?\s*(\d{1,2})\.(\d{1,2})\.(\d{4})")
# A number as typed into the sheet: "48.5", "48,5", "48,65269693493334." (a stray
# trailing dot seen in the 2022 edition), optional sign and blanks.
_NUMBER = re.compile(r"^\s*([+-]?\d+)(?:([.,])(\d*))?\.?\s*$")


@dataclass
class Register:
    frame: pd.DataFrame  # canonical column names + line
    raw: pd.DataFrame  # raw cell text of NUMERIC and DATE_COLUMN, same index
    decimal_comma: pd.DataFrame  # bool per NUMERIC column: text with a decimal comma
    stand: dt.date | None  # the register's date, from the "Stand:" note
    sheet: str
    header_line: int
    stand_line: int | None = None  # the 1-based sheet row of the "Stand:" note
    stand_text: str | None = None  # that note as written

    @property
    def stand_origin(self) -> str | None:
        """Where the register states its date, for the build's record of editions."""
        if self.stand_line is None:
            return None
        return f"sheet {self.sheet!r}, line {self.stand_line}: {self.stand_text!r}"


def parse_decimal(value: object) -> tuple[float, bool]:
    """A number from a cell: floats as they are, text with a decimal comma or point.

    Returns (value, repaired) where repaired says a decimal comma was turned into a
    point; (nan, False) when the cell is empty or not a number.
    """
    if value is None or value == "":
        return np.nan, False
    if isinstance(value, bool):
        return np.nan, False
    if isinstance(value, (int, float)):
        return float(value), False
    match = _NUMBER.match(str(value))
    if not match:
        return np.nan, False
    whole, sep, frac = match.groups()
    if sep is None or frac == "":
        return float(whole), False
    return float(f"{whole}.{frac}"), sep == ","


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
    return None


def _as_text(value: object) -> str | None:
    """Cell → text; whole numbers lose the ".0" a numeric cell gives them (house number 50.0 → "50")."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _raw_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _find_header(rows: list[list], file: str, sheet: str) -> int:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = {str(c).strip() for c in row}
        if "Breitengrad" in cells and "Längengrad" in cells:
            return i
    raise InputError(
        file,
        f"no header row naming 'Breitengrad' and 'Längengrad' in the first {HEADER_SCAN_ROWS} rows",
        sheet=sheet,
    )


def _find_stand(rows: list[list]) -> tuple[dt.date | None, int | None, str | None]:
    """The register's date, the 1-based row and the text of its "Stand:" note."""
    for i, row in enumerate(rows):
        for cell in row:
            match = _STAND.search(str(cell))
            if match:
                day, month, year = (int(g) for g in match.groups())
                return dt.date(year, month, day), i + 1, str(cell).strip()
    return None, None, None


def extract_register(path: Path, file: str) -> Register:
    """Read the register workbook at ``path`` (``file`` is its name relative to the raw dir)."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (ZipError, CalamineError) as exc:
        raise InputError(file, f"not a readable .xlsx workbook (truncated or another format?): {exc}") from exc
    if not workbook.sheet_names:
        raise InputError(file, "the workbook has no sheet")
    sheet = workbook.sheet_names[0]
    # skip_empty_area=False keeps row i at sheet row i + 1, so ``line`` is the row users see in Excel.
    rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    h = _find_header(rows, file, sheet)
    header = [str(c).strip() for c in rows[h]]
    position: dict[str, int] = {}
    for name, spellings in COLUMNS.items():
        found = [header.index(s) for s in spellings if s in header]
        if found:
            position[name] = found[0]
        elif name not in OPTIONAL:
            raise InputError(file, f"column missing from the header row (expected one of {list(spellings)})", sheet=sheet, line=h + 1, column=name)

    body = rows[h + 1 :]
    # Trailing blank rows end the table; an inner blank row is kept (and quarantined later).
    while body and all(c in ("", None) for c in body[-1]):
        body.pop()
    lines = np.arange(h + 2, h + 2 + len(body))
    cols: dict[str, list] = {name: [r[i] if i < len(r) else "" for r in body] for name, i in position.items()}

    frame = pd.DataFrame(index=pd.RangeIndex(len(body)))
    raw = pd.DataFrame(index=frame.index)
    comma = pd.DataFrame(index=frame.index)
    for name, values in cols.items():
        if name in NUMERIC:
            parsed = [parse_decimal(v) for v in values]
            frame[name] = np.array([p[0] for p in parsed], dtype="float64")
            comma[name] = np.array([p[1] for p in parsed], dtype=bool)
            raw[name] = pd.array([_raw_text(v) for v in values], dtype="string")
        elif name == DATE_COLUMN:
            frame[name] = pd.Series([_as_date(v) for v in values], dtype=object)
            raw[name] = pd.array([_raw_text(v) for v in values], dtype="string")
        elif all(type(v) is str for v in values):
            # Fast path: a column of text cells (most of them) only needs stripping.
            text = pd.Series(values, dtype="string").str.strip()
            frame[name] = text.mask(text == "")
        else:
            frame[name] = pd.array([_as_text(v) for v in values], dtype="string")
    # A postcode typed as a number loses its leading zero (01067 Dresden → 1067.0).
    frame["Postleitzahl"] = frame["Postleitzahl"].str.zfill(5).where(frame["Postleitzahl"].str.fullmatch(r"\d{4,5}"), frame["Postleitzahl"])
    if "Adresszusatz" not in frame:
        frame["Adresszusatz"] = pd.array([None] * len(frame), dtype="string")
    frame["line"] = lines
    stand, stand_line, stand_text = _find_stand(rows[:h])
    return Register(frame=frame, raw=raw, decimal_comma=comma, stand=stand, sheet=sheet, header_line=h + 1,
                    stand_line=stand_line, stand_text=stand_text)
