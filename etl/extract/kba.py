"""Extract the KBA FZ 1 conversions (format only).

In: three UTF-8 CSV files of ``kba_fz1/`` in two layouts (see SOURCES.md):

- ``pkw-bestand-20190101.csv`` (FZ 1.2, 01.01.2019): ``KS`` is the 5-digit Kreis
  key as text, ``Zulassungsbezirk`` the name in capitals, whole numbers;
- ``fz1_2_pkw_kraftstoff_kreise_2020-2025.csv`` and ``fz1_1_pkw_kreise_2020-2025.csv``
  (FZ 1.2 and FZ 1.1, stacked over the years in ``DATE``): key and name share one
  field ("08111 STUTTGART,STADT"), numbers are written as floats ("307367.0").

Out: a frame per file with ``year`` (int), ``key`` (5-digit string, None when
the field holds no key), ``name``, the value columns as float under the file's
own names, a ``<column>__marker`` column where a cell was not a number, and
``line`` (1-based line in the file, header = line 1).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from etl.errors import InputError

_KEY_AND_NAME = re.compile(r"^\s*(\d{4,5})\s+(.*?)\s*$")
# Markers of German official statistics, in case a later conversion keeps them.
MARKERS = {"-": "zero", ".": "unknown", "x": "not_meaningful", "": "empty"}


def _read_text(path: Path, file: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(file, f"not UTF-8 (byte {data[exc.start]:#x} at offset {exc.start}); the conversions are UTF-8", line=line) from exc


def _read_csv(path: Path, file: str, required: tuple[str, ...]) -> pd.DataFrame:
    text = _read_text(path, file)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(file, "empty file", line=1) from None
    header = [h.strip() for h in header]
    for col in required:
        if col not in header:
            raise InputError(file, f"column missing from the header (have: {', '.join(header[:6])} …)", line=1, column=col)
    rows = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(file, f"{len(row)} fields where the header has {len(header)} (truncated or shifted line)", line=number)
        rows.append(row + [number])
    frame = pd.DataFrame(rows, columns=[*header, "line"], dtype=object)
    frame["line"] = frame["line"].astype(int)
    return frame


def _parse_numbers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Value columns → float; a non-number leaves NaN and its text in ``<col>__marker``."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        text = frame[col].astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce")
        out[col] = values.astype("float64")
        bad = values.isna()
        out[f"{col}__marker"] = pd.Series(np.where(bad, text, None), index=frame.index, dtype=object)
    return out


def extract_fz12_2019(path: Path, file: str) -> pd.DataFrame:
    """The 2019 file: KS, Zulassungsbezirk, fuel and emission columns."""
    fuels = ["Benzin", "Diesel", "Gas", "Hybrid", "Elektro", "Sonstige Kraftstoffart"]
    raw = _read_csv(path, file, ("KS", "Zulassungsbezirk", *fuels))
    value_cols = [c for c in raw.columns if c not in ("KS", "Zulassungsbezirk", "line")]
    key = raw["KS"].astype(str).str.strip()
    out = pd.DataFrame(
        {
            "year": 2019,
            # A 4-digit key lost its leading zero in a spreadsheet: restore it.
            "key": key.where(key.str.fullmatch(r"\d{5}"), key.str.zfill(5).where(key.str.fullmatch(r"\d{4}"))),
            "key_raw": raw["KS"],
            "name": raw["Zulassungsbezirk"].astype(str).str.strip(),
            "line": raw["line"],
        }
    )
    return pd.concat([out, _parse_numbers(raw, value_cols)], axis=1)


def extract_fz1_stacked(path: Path, file: str, value_columns: tuple[str, ...]) -> pd.DataFrame:
    """A 2020–2025 file: DATE, LAND, "STATISTISCHE KENNZIFFER UND ZULASSUNGSBEZIRK", values."""
    key_col = "STATISTISCHE KENNZIFFER UND ZULASSUNGSBEZIRK"
    raw = _read_csv(path, file, ("DATE", "LAND", key_col, *value_columns))
    year = pd.to_numeric(raw["DATE"].astype(str).str.strip(), errors="coerce")
    bad_year = year.isna() | (year % 1 != 0)
    if bad_year.any():
        first = raw[bad_year].iloc[0]
        raise InputError(file, f"DATE {first['DATE']!r} is not a year", line=int(first["line"]), column="DATE")
    parts = raw[key_col].astype(str).str.extract(_KEY_AND_NAME)
    value_cols = [c for c in raw.columns if c not in ("DATE", "LAND", key_col, "line")]
    out = pd.DataFrame(
        {
            "year": year.astype(int),
            "key": parts[0].str.zfill(5).where(parts[0].notna(), None),
            "key_raw": raw[key_col],
            "name": parts[1],
            "land": raw["LAND"].astype(str).str.strip(),
            "line": raw["line"],
        }
    )
    return pd.concat([out, _parse_numbers(raw, value_cols)], axis=1)
