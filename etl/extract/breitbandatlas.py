"""Breitbandatlas files (CSV, .xls, .xlsx) → tables of raw cells, format only.

In: one raw file of the Breitbandatlas packages. Out: a ``RawTable`` per file or
sheet with the publisher's column names and the 1-based line or row of each
record in the raw file. Sheet cells come as text (numbers stored by a
spreadsheet as ``1001`` rather than ``1001.0``); CSV key columns as text (leading
zeros kept), CSV value columns as floats where every cell is a number, else as
text. ``parse_numbers`` turns text cells into floats (decimal point or comma).
Reshaping, keys and indicators are the transform's business
(``etl.transform.broadband``).

Format quirks handled here, as found in the kit (checked 2025 on Pakete 1–3):

- Encodings differ between vintages: most Paket_3 files are UTF-8 (the label
  headers carry ``≥``), the Paket_2 CSVs are plain ASCII, older exports may be
  Latin-1. ``decode_text`` reads UTF-8 (with or without BOM) and falls back to
  Windows-1252/Latin-1; text that is neither (UTF-16, double-encoded UTF-8 such
  as ``â‰¥`` for ``≥``) raises an ``InputError`` naming the line.
- Separators: ``;`` in most files, ``,`` in some 2019–2021 exports; detected
  from the header line. Decimal commas (``100,00`` in the Paket_2 CSVs) are
  detected on the first 50 records of a ``;`` file and parsed by the reader.
- Short or long records (a truncated download) raise an ``InputError`` with
  the line; blank lines are skipped without shifting line numbers.
- Speed: the Gemeinde files have 11 000 records × up to 54 columns; the C
  reader parses the numbers, record lengths are counted with numpy, and text
  cells are parsed once per distinct value.
- Workbooks are read with calamine (fast for .xls and .xlsx); rows keep their
  sheet row number even where a sheet has blank rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from etl.errors import InputError

# Signs that text was decoded with the wrong codec: the replacement character,
# or UTF-8 read as Latin-1 and saved again ("Ã¼" for "ü", "â‰¥" for "≥").
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]|â[\u0080-\u00bf€‰]")
_DECIMAL_COMMA = re.compile(r"(^|;)\"?-?\d+,\d+\"?(;|$)", re.MULTILINE)
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)\s*$")


@dataclass
class RawTable:
    """Cells of one CSV file or one sheet with their raw line numbers."""

    file: str  # path relative to the raw-data directory
    sheet: str | None
    cells: pd.DataFrame  # one column per raw column (publisher's names): text (object, "" = empty) or float64
    lines: np.ndarray  # 1-based line (CSV) or row (sheet) of each record
    encoding: str | None = None
    separator: str | None = None

    def column(self, name: str) -> pd.Series:
        """A column by its raw name; an ``InputError`` naming file and sheet when it is missing."""
        if name not in self.cells:
            raise InputError(self.file, f"column {name!r} not found; columns are {list(self.cells.columns)}", sheet=self.sheet, column=name)
        return self.cells[name]


def decode_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode a text file: UTF-8 (BOM or not), else Windows-1252, else Latin-1.

    Raises ``InputError`` for UTF-16/binary data and for text that shows the
    signs of a wrong or double encoding, naming the first line affected.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise InputError(file, "contains NUL bytes (UTF-16 or binary?): expected a text CSV in UTF-8 or Latin-1", line=1)
    if data.startswith(codecs.BOM_UTF8):
        text, encoding = data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, encoding = data.decode("latin-1"), "latin-1"
    suspicious = not text.isascii() and any(mark in text for mark in ("\ufffd", "Ã", "â"))
    bad = _MOJIBAKE.search(text) if suspicious else None
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(
            file,
            f"text looks mis-encoded near {text[max(0, bad.start() - 15):bad.end() + 15]!r} (read as {encoding}): "
            "expected UTF-8 or Latin-1 without double encoding",
            line=line,
        )
    return text, encoding


def detect_separator(header: str) -> str:
    """``;`` or ``,``: whichever separates more fields of the header line (quotes ignored)."""
    unquoted = re.sub(r'"[^"]*"', "", header)
    return ";" if unquoted.count(";") >= unquoted.count(",") else ","


def _field_counts(lines: list[str], sep: str) -> tuple[np.ndarray, np.ndarray]:
    """Fields and characters per line (quotes are checked only where counts differ)."""
    return np.array([line.count(sep) + 1 for line in lines]), np.array([len(line) for line in lines])


def read_csv(path: Path, file: str, text_columns: tuple[str, ...] = ()) -> RawTable:
    """Read a Breitbandatlas CSV: encoding, separator and decimal mark detected.

    Columns named in ``text_columns`` (case-insensitive; the keys) stay text, so
    leading zeros survive. The other columns are floats where every cell is a
    number or empty, text otherwise (for ``parse_numbers`` to sort out cell by cell).
    """
    text, encoding = decode_text(path.read_bytes(), file)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    all_lines = text.split("\n")
    if all_lines and all_lines[-1] == "":
        all_lines.pop()  # the final newline
    header = all_lines[0] if all_lines else ""
    if not header.strip():
        raise InputError(file, "the first line (header) is empty", line=1)
    sep = detect_separator(header)
    names = [n.strip() for n in next(csv.reader([header], delimiter=sep))]
    if len(set(names)) != len(names):
        raise InputError(file, f"header repeats column names {sorted({n for n in names if names.count(n) > 1})}", line=1)
    # Record lengths: a truncated download ends in a short record.
    fields, chars = _field_counts(all_lines, sep)
    blank = chars == 0
    wrong = np.flatnonzero((fields != len(names)) & ~blank)
    for i in wrong:  # re-count quote-aware before complaining (a separator inside quotes)
        n = len(next(csv.reader([all_lines[i]], delimiter=sep)))
        if n != len(names):
            last = i == len(fields) - 1
            what = "truncated file: the last record" if last and n < len(names) else "record"
            raise InputError(file, f"{what} has {n} fields, the header {len(names)}", line=int(i) + 1)
    data_lines = np.arange(2, len(fields) + 1)[~blank[1:]]
    if len(data_lines) == 0:
        raise InputError(file, "no data rows below the header", line=2)
    sample = "\n".join(all_lines[1:50])
    decimal = "," if sep == ";" and _DECIMAL_COMMA.search(sample) else "."
    lowered = {t.lower() for t in text_columns}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            names=names,
            header=0,
            dtype={n: object for n in names if n.lower() in lowered},
            decimal=decimal,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(file, f"malformed CSV ({exc})") from exc
    if len(frame) != len(data_lines):
        raise InputError(file, f"read {len(frame)} records but the file has {len(data_lines)} non-blank lines below the header")
    for name in names:
        if frame[name].dtype != object and not pd.api.types.is_float_dtype(frame[name]):
            frame[name] = frame[name].astype("float64") if pd.api.types.is_numeric_dtype(frame[name]) else frame[name].astype(object)
    return RawTable(file=file, sheet=None, cells=frame, lines=data_lines, encoding=encoding, separator=sep)


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell: integral floats without ``.0``, empty for None."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return str(value)
    return str(value).strip()


def open_workbook(path: Path, file: str) -> python_calamine.CalamineWorkbook:
    """Open an .xls or .xlsx workbook with calamine; an ``InputError`` if it is not one."""
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputError(file, f"cannot be read as a workbook ({type(exc).__name__}: {exc})") from exc


def read_sheet(book: python_calamine.CalamineWorkbook, file: str, sheet: str, header_row: int = 1) -> RawTable:
    """Read one sheet of an open workbook; ``header_row`` is the 1-based row with the column names."""
    if sheet not in book.sheet_names:
        raise InputError(file, f"sheet not found; sheets are {book.sheet_names}", sheet=sheet)
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if len(rows) < header_row:
        raise InputError(file, "sheet has no header row", sheet=sheet, line=header_row)
    header = [cell_text(v) for v in rows[header_row - 1]]
    # Unnamed header cells (e.g. the name column of the Bundesland sheet) get a stable name.
    header = [h if h else f"column_{i + 1}" for i, h in enumerate(header)]
    if len(set(header)) != len(header):
        raise InputError(file, f"header repeats column names {sorted({h for h in header if header.count(h) > 1})}", sheet=sheet, line=header_row)
    width = len(header)
    body = [r[:width] + [None] * (width - len(r)) for r in rows[header_row:]]
    block = np.empty((len(body), width), dtype=object)
    if body:
        block[:] = body
    text = _map_distinct(block.reshape(-1), cell_text, object, "").reshape(block.shape)
    frame = pd.DataFrame(text, columns=header, dtype=object)
    lines = np.arange(len(frame)) + header_row + 1
    blank = (text == "").all(axis=1) if len(frame) else np.zeros(0, dtype=bool)
    return RawTable(file=file, sheet=sheet, cells=frame.loc[~blank].reset_index(drop=True), lines=lines[~blank])


def _map_distinct(cells: pd.Series | np.ndarray, fn, dtype, missing) -> np.ndarray:
    """Apply ``fn`` once per distinct cell text (tables repeat a few thousand values)."""
    cells = np.asarray(cells, dtype=object)
    codes, uniques = pd.factorize(np.asarray(cells, dtype=object), use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques], dtype=dtype)
    out = np.full(len(codes), missing, dtype=dtype)
    ok = codes >= 0
    out[ok] = mapped[codes[ok]]
    return out


def _parse_one(text: object) -> float:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not _NUMBER.match(text):
        return float("nan")
    return float(text.strip().replace(",", "."))


def parse_numbers(cells: pd.Series | np.ndarray) -> np.ndarray:
    """Floats from cell text with a decimal point or comma; NaN for empty cells and non-numbers."""
    return _map_distinct(cells, _parse_one, "float64", np.nan)


def is_number(cells: pd.Series | np.ndarray) -> np.ndarray:
    """Whether each cell holds a number (decimal point or comma)."""
    return _map_distinct(cells, lambda u: bool(_NUMBER.match(str(u))), bool, False)


def is_blank(cells: pd.Series | np.ndarray) -> np.ndarray:
    """Whether each cell is empty (or only spaces)."""
    return _map_distinct(cells, lambda u: not str(u).strip(), bool, True)
