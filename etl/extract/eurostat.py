"""Eurostat tables, in either of the two shapes they come in.

In: (a) Eurostat's TSV: a first column that joins the dimensions with commas and
ends in ``geo\\time`` (bulk download) or ``geo\\TIME_PERIOD`` (API), then one
tab-separated column per period; each cell is a value followed by the status
flags (``55 p``, ``80``, ``:`` missing, ``: c`` confidential); or (b) the long
CSV of converted copies (``dataset,indic_is,unit,geo,time,value``), whose value
column may carry flags the same way.

Out: a long frame with the dimensions as published (``indic_is``, ``unit``,
``geo``, ...), ``time`` (text), ``raw`` (cell text), ``value`` (float or NaN),
``status`` (the flag letters, e.g. ``"p"``, ``"bp"``, empty when none),
``missing`` (the value was ``:``), ``line`` (1-based), ``column`` (the raw column
name) and ``problem`` for cells that cannot be read. Format only: no filtering.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from etl.errors import InputError

# A cell: a number (optionally signed, decimal point) or ":", then optional flag letters.
_CELL = re.compile(r"^(?P<value>:|-?\d+(?:\.\d+)?)\s*(?P<status>[a-z]*)$")
LONG_COLUMNS = ["line", "column", "geo", "time", "raw", "value", "status", "missing", "problem"]


def parse_eurostat_value(text: str) -> tuple[float, str, bool]:
    """(value, status letters, missing) of one Eurostat cell; ValueError if it is none.

    ``"55 p"`` → (55.0, "p", False); ``":"`` → (nan, "", True); ``": c"`` →
    (nan, "c", True); ``"80.0"`` → (80.0, "", False).
    """
    cell = text.strip()
    m = _CELL.match(cell)
    if not m:
        raise ValueError(f"not a Eurostat value: {text!r}")
    if m["value"] == ":":
        return math.nan, m["status"], True
    return float(m["value"]), m["status"], False


def _read_text(path: Path, relpath: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(relpath, f"not UTF-8 (byte {exc.object[exc.start]:#x} at offset {exc.start})", line=line) from exc


def _cell_row(line: int, column: str, dims: dict, time: str, raw: str) -> dict:
    try:
        value, status, missing = parse_eurostat_value(raw)
        problem = None
    except ValueError:
        value, status, missing, problem = math.nan, "", False, f"not a Eurostat value: {raw!r}"
    return {"line": line, "column": column, **dims, "time": time, "raw": raw, "value": value, "status": status, "missing": missing, "problem": problem}


def _extract_tsv(text: str, relpath: str) -> pd.DataFrame:
    lines = text.splitlines()
    header = lines[0].split("\t")
    first = header[0]
    if "\\" not in first:
        raise InputError(relpath, f"first header cell {first!r} does not end in 'geo\\time' or 'geo\\TIME_PERIOD'", line=1, column=first)
    dim_part, _ = first.split("\\", 1)
    dims = [d.strip() for d in dim_part.split(",")]
    if "geo" not in dims:
        raise InputError(relpath, f"no 'geo' dimension in the first header cell {first!r}", line=1, column=first)
    times = [h.strip() for h in header[1:]]
    rows = []
    for n, raw_line in enumerate(lines[1:], start=2):
        if not raw_line.strip():
            continue
        cells = raw_line.split("\t")
        keys = [k.strip() for k in cells[0].split(",")]
        if len(keys) != len(dims):
            raise InputError(relpath, f"{len(keys)} dimension values for {len(dims)} dimensions {dims}", line=n, column=first)
        if len(cells) != len(header):
            raise InputError(relpath, f"{len(cells)} cells for {len(header)} header columns (truncated line?)", line=n)
        values = dict(zip(dims, keys, strict=True))
        for time, raw in zip(times, cells[1:], strict=True):
            rows.append(_cell_row(n, time, values, time, raw.strip()))
    return pd.DataFrame(rows, columns=[*LONG_COLUMNS[:2], *[d for d in dims if d != "geo"], *LONG_COLUMNS[2:]])


def _extract_csv(text: str, relpath: str) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    for required in ("geo", "time", "value"):
        if required not in header:
            raise InputError(relpath, f"column {required!r} missing (header: {header})", line=1, column=required)
    dims = [h for h in header if h not in ("time", "value")]
    rows = []
    for cells in reader:
        n = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError(relpath, f"{len(cells)} fields for {len(header)} columns (truncated line?)", line=n)
        record = dict(zip(header, cells, strict=True))
        rows.append(_cell_row(n, "value", {d: record[d].strip() for d in dims}, record["time"].strip(), record["value"].strip()))
    return pd.DataFrame(rows, columns=[*LONG_COLUMNS[:2], *[d for d in dims if d != "geo"], *LONG_COLUMNS[2:]])


def extract_eurostat(path: Path, relpath: str) -> pd.DataFrame:
    """Read a Eurostat TSV or a long CSV conversion, recognised by its first line."""
    text = _read_text(path, relpath)
    if not text.strip():
        raise InputError(relpath, "file is empty")
    first = text.splitlines()[0]
    if "\t" in first:
        return _extract_tsv(text, relpath)
    if "," in first:
        return _extract_csv(text, relpath)
    raise InputError(relpath, f"neither Eurostat TSV nor long CSV: first line {first[:80]!r}", line=1)
