"""Numbers, amounts, dates and periods as text, per language: the one home of
number formatting for pages, tables, charts, exports and the PDF briefing.

In: a value and the language ("de" or "en") explicitly (no Streamlit here;
``dashboard.i18n.fmt_number`` is the shortcut that passes the session's
language). Out: text, or the plotly settings that make a figure format the
same way: ``separators`` (German: decimal comma, thousands dot), d3 formats
that respect them, and explicit axis ticks where plotly would otherwise write
SI suffixes ("35k" → "35 Tsd.").

German follows DIN 5008 / Duden: ``1.750``, ``22,5``, ``22,5 %`` (a space
before the percent sign), ``35 Tsd.``, ``1,2 Mio.``, ``3,4 Mrd.``; English:
``1,750``, ``22.5``, ``22.5%``, ``35k``, ``1.2M``, ``3.4bn``. A missing value
(None, NaN) is "keine Daten" / "no data", never "nan" or "None".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pandas as pd

LANGS = ("de", "en")
NO_DATA = {"de": "keine Daten", "en": "no data"}
MINUS = "−"  # U+2212: as wide as the plus sign, not a hyphen that a line may break after
# (scale, German suffix, English suffix) for compact numbers, largest first.
COMPACT_SCALES = ((1e9, "\u00a0Mrd.", "bn"), (1e6, "\u00a0Mio.", "M"), (1e3, "\u00a0Tsd.", "k"))
COMPACT_FROM = 10_000  # plotly writes "10k" from here on: the axis ticks switch to Tsd./k there too


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: expected one of {LANGS}")
    return lang


def is_missing(value: object) -> bool:
    """None, NaN and pandas' NA: no value to show."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def no_data(lang: str) -> str:
    return NO_DATA[_lang(lang)]


def number(value: float | None, decimals: int = 1, lang: str = "de", *, signed: bool = False, trim: bool = False) -> str:
    """``1.234,5`` (German) or ``1,234.5`` (English), rounded to ``decimals``.

    ``signed`` writes a plus before positive numbers (differences); ``trim``
    drops trailing zeros of the decimals (``2,50`` → ``2,5``, ``3,00`` → ``3``).
    Negative numbers carry a true minus sign; a value that rounds to zero has
    no sign.
    """
    _lang(lang)
    if is_missing(value):
        return NO_DATA[lang]
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    decimals = max(0, int(decimals))
    text = f"{abs(value):,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    is_zero = set(text) <= set("0.,")
    if value < 0 and not is_zero:
        return MINUS + text
    if signed and value > 0 and not is_zero:
        return "+" + text
    return text


def integer(value: float | None, lang: str = "de") -> str:
    """A count or a rank: ``10.957`` / ``10,957`` (never ``4.0``)."""
    return number(value, 0, lang)


def percent(value: float | None, decimals: int = 1, lang: str = "de", *, signed: bool = False) -> str:
    """``22,5 %`` (German, with a narrow no-break space) or ``22.5%`` (English)."""
    text = number(value, decimals, lang, signed=signed)
    if is_missing(value):
        return text
    return f"{text}\u202f%" if lang == "de" else f"{text}%"


def with_unit(value: float | None, decimals: int, unit: str, lang: str = "de") -> str:
    """``22,5 %`` or ``1.750 Ladepunkte``: the number and its unit; no unit for a
    missing value. A percentage is written as ``percent`` writes it (``22.5%`` in English)."""
    if unit.strip() == "%":
        return percent(value, decimals, lang)
    text = number(value, decimals, lang)
    if is_missing(value) or not unit:
        return text
    return f"{text} {unit}".strip()


def title_and_unit(title: str, unit_text: str) -> str:
    """``Breitband ≥ 50 Mbit/s (%)``: a title and its unit in brackets, unless
    the title already says the unit ("Ladepunkte je 10.000 Einwohner" is not
    followed by "(je 10.000 Einwohner)") or there is none."""
    unit_text = unit_text.strip()
    if not unit_text or unit_text.casefold() in title.casefold():
        return title
    return f"{title} ({unit_text})"


def unit(indicator, lang: str = "de") -> str:
    """An indicator's unit in the language (``unit`` as published, ``unit_en``)."""
    return str(indicator["unit_en"] if _lang(lang) == "en" else indicator["unit"])


def compact(value: float | None, lang: str = "de", decimals: int | None = None) -> str:
    """A large number in short form: ``35 Tsd.``, ``1,2 Mio.``, ``3,4 Mrd.``
    (German) or ``35k``, ``1.2M``, ``3.4bn`` (English); below 1,000 the plain
    number. ``decimals`` defaults to one significant decimal where it matters
    (``1,2 Mio.``, ``35 Tsd.``), up to two below 1,000 (``0,46``)."""
    _lang(lang)
    if is_missing(value):
        return NO_DATA[lang]
    value = float(value)
    for scale, de, en in COMPACT_SCALES:
        if abs(value) >= scale:
            scaled = value / scale
            d = decimals if decimals is not None else (1 if abs(scaled) < 10 else 0)
            return number(scaled, d, lang, trim=decimals is None) + (de if lang == "de" else en)
    return number(value, decimals if decimals is not None else 2, lang, trim=decimals is None)


def amount_eur(eur: float | None, lang: str = "de", decimals: int = 1) -> str:
    """Money in millions: ``1,2 Mio. EUR`` / ``1.2 million EUR``."""
    if is_missing(eur):
        return no_data(lang)
    return f"{number(float(eur) / 1e6, decimals, lang)} {'Mio. EUR' if lang == 'de' else 'million EUR'}"


# ---------------------------------------------------------------- dates and periods


def date(value: object, lang: str = "de") -> str:
    """``31.12.2023`` (German) or ``2023-12-31`` (English, ISO 8601)."""
    _lang(lang)
    if is_missing(value):
        return NO_DATA[lang]
    ts = pd.Timestamp(value)
    return ts.strftime("%d.%m.%Y") if lang == "de" else ts.strftime("%Y-%m-%d")


def period(value: object, period_type: str, lang: str = "de") -> str:
    """A period as its publisher names it: 'Mitte 2019' / 'Ende 2019' for
    half-years, '2019' for a year (or a year-end value), '01.01.2019' for a
    Stichtag at the start of a year, else the date."""
    _lang(lang)
    if is_missing(value):
        return NO_DATA[lang]
    ts = pd.Timestamp(value)
    if period_type == "half_year":
        if lang == "de":
            return f"{'Mitte' if ts.month <= 6 else 'Ende'} {ts.year}"
        return f"{'mid' if ts.month <= 6 else 'end'} {ts.year}"
    if ts.month == 1 and ts.day == 1:
        return f"01.01.{ts.year}" if lang == "de" else f"1 Jan {ts.year}"
    if ts.month == 12 and ts.day == 31:
        return str(ts.year)
    return date(ts, lang)


# ---------------------------------------------------------------- plotly and the browser


def separators(lang: str) -> str:
    """plotly's ``layout.separators``: decimal mark, then thousands separator."""
    return ",." if _lang(lang) == "de" else ".,"


def locale_tag(lang: str) -> str:
    """The BCP 47 tag for the browser's ``Intl.NumberFormat`` (the canvas map)."""
    return "de-DE" if _lang(lang) == "de" else "en-GB"


def d3_number(decimals: int | None = None) -> str:
    """A d3 format for hover texts that honours ``layout.separators``:
    ``decimals`` fixed, or (None) up to two, trailing zeros trimmed."""
    return ",.2~f" if decimals is None else f",.{max(0, int(decimals))}f"


def d3_date(lang: str) -> str:
    """A d3 time format for hover texts: ``31.12.2023`` or ``2023-12-31``."""
    return "%d.%m.%Y" if _lang(lang) == "de" else "%Y-%m-%d"


AXIS_TICKFORMAT = ",~r"  # plotly's own ticks, in the figure's separators, never with SI suffixes


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (steps of 1, 2 or 5 × 10^k, as d3's
    ``ticks``) inside [lo, hi]."""
    if is_missing(lo) or is_missing(hi):
        return []
    lo, hi = float(min(lo, hi)), float(max(lo, hi))
    if lo == hi:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    power = 10 ** math.floor(math.log10(raw))
    error = raw / power
    step = power * (10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def tick_labels(ticks: Sequence[float], lang: str = "de") -> list[str]:
    """Labels for axis ticks: compact (``35 Tsd.``, ``1,2 Mio.``) once the
    ticks reach 10,000, with as many decimals as the step between them needs,
    so that no two labels are equal."""
    _lang(lang)
    ticks = [float(x) for x in ticks]
    if not ticks:
        return []
    top = max(abs(x) for x in ticks)
    step = min((abs(b - a) for a, b in zip(ticks, ticks[1:]) if b != a), default=top or 1)
    scale, suffix = 1.0, ""
    if top >= COMPACT_FROM:
        scale, de, en = next(s for s in COMPACT_SCALES if top >= s[0])
        suffix = de if lang == "de" else en
    decimals = _step_decimals(step / scale)
    if scale > 1 and decimals > 2:  # "1,000004 Mio." says less than "1.000.004"
        scale, suffix = 1.0, ""
        decimals = _step_decimals(step)
    return [number(x / scale, decimals, lang) + suffix if x != 0 else "0" for x in ticks]


def _step_decimals(step: float) -> int:
    """How many decimals show a multiple of ``step`` (1, 2 or 5 × 10^k) exactly: 0.2 → 1, 20 → 0."""
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0


_GERMAN_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+(?!\d)|\d+(?:,\d+)?")


def label_text(text: str, lang: str = "de") -> str:
    """A label written in German in the data (the published size classes
    "100.000–500.000", "≥ 10 Mio.") with its numbers in the way of ``lang``."""
    if _lang(lang) == "de" or not isinstance(text, str):
        return text

    def english(match: re.Match) -> str:
        token = match.group(0)
        value = float(token.replace(".", "").replace(",", "."))
        return number(value, len(token.split(",")[1]) if "," in token else 0, lang)

    return _GERMAN_NUMBER.sub(english, text).replace("Mio.", "million").replace("Mrd.", "billion").replace("Tsd.", "thousand")


def columns_as_text(frame: pd.DataFrame, decimals: dict[str, int], lang: str = "de") -> pd.DataFrame:
    """A copy of ``frame`` for display, the named columns written as numbers of
    ``lang`` with their decimals (tables on a page; downloads keep numbers)."""
    out = frame.copy()
    for column, d in decimals.items():
        if column not in out.columns:
            raise KeyError(f"columns_as_text: no column {column!r} in {list(out.columns)}")
        out[column] = [number(x, d, lang) for x in out[column]]
    return out
