"""Cells of the statistical offices' workbooks (Destatis, VGRdL): empty cells,
keys stored as numbers, numbers with decimal commas, and value markers."""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and math.isnan(value))


def as_text(value: object) -> str:
    """A cell as text; whole numbers without ".0" (keys and counts come as floats from calamine)."""
    if isinstance(value, str):  # most cells: a blank one strips to "" as well
        return value.strip()
    if is_empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_cell(value: object, markers: dict[str, str]) -> tuple[float, str | None, str | None]:
    """(value, flag, problem) of one data cell.

    A number passes; a marker of the publisher (``markers``: text → flag)
    becomes its flag (value 0 for "zero", else NaN); a number written as text
    (decimal comma or point) is read; anything else is a problem. An empty cell
    gives NaN without flag and problem: the caller decides what that means.
    """
    if is_empty(value):
        return math.nan, None, None
    if isinstance(value, bool):
        return math.nan, None, f"unexpected boolean cell {value!r}"
    if isinstance(value, (int, float)):
        return float(value), None, None
    text = str(value).strip()
    if text in markers:
        flag = markers[text]
        return (0.0 if flag == "zero" else math.nan), flag, None
    compact = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if _NUMBER.match(compact):
        return float(compact.replace(",", ".")), None, None
    return math.nan, None, f"unknown value marker {text!r}: neither a number nor a marker of this publisher"
