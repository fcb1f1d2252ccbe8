"""Text alternatives of charts: what a chart shows, its period, its highest and
lowest values and the regions without a value, as a few sentences in German or
English (the ``desc_*`` labels of labels.toml; numbers and periods through
``dashboard.fmt``), like the description Datawrapper puts under a chart.

In: the chart's kind and title (``kind_and_title`` reads them from the plotly
figure) and the chart's data as its download describes it
(``export.describe``: ``name``, ``value``, ``unit``, ``period``,
``indicator_id``); ``Shown`` names other columns where a chart draws them.
Out: text. ``ui.chart_block`` (and the Karte page's map) shows it under every
chart and puts it in the XLSX's "Info" sheet; ``categories`` counts the bars or
boxes a chart draws, so that a chart of one category becomes a sentence.
No Streamlit here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dashboard import fmt
from dashboard.i18n import LABELS

MAX_NAMES = 10  # regions named in a list of missing ones; the rest are counted
MAX_TIED = 3  # regions named that share the highest or lowest value
KINDS = {"bar": "bar", "scatter": "line", "scattergl": "line", "treemap": "treemap",
         "choropleth": "map", "choroplethmap": "map", "choroplethmapbox": "map", "scattergeo": "map"}


@dataclass(frozen=True)
class Shown:
    """Which columns of a chart's data the chart draws.

    ``label`` names a bar, line, box or region; ``value`` holds what is drawn
    (None: a map that only locates its regions); ``series`` splits a bar or box
    into parts (stacks, leaves), which are summed to the bar; ``period`` holds
    the periods (ISO dates), ``period_text`` says the period when the data has
    no such column. ``unit`` and ``decimals`` default to the data's ``unit``
    column and the indicator's decimals; ``unit_one`` follows exactly 1 ("1 Projekt"). ``kind`` and ``title`` are for a figure
    made only on click (the Karte page's map)."""

    label: str = "name"
    value: str | None = "value"
    series: str | None = None
    period: str = "period"
    period_text: str | None = None
    unit: str | None = None
    unit_one: str | None = None  # the unit after exactly 1 ("1 Projekt"), where it differs
    decimals: int | None = None
    kind: str | None = None
    title: str | None = None


def say(key: str, lang: str, **kwargs) -> str:
    text = LABELS[key][1 if lang == "en" else 0]
    return text.format(**kwargs) if kwargs else text


def plain(text: object) -> str:
    """A plotly title as plain text: tags removed, entities resolved."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(text or ""))).split())


def kind_and_title(fig) -> tuple[str, str]:
    """('bar' | 'line' | 'map' | 'treemap', the title) of a plotly figure."""
    types = [getattr(trace, "type", "") or "" for trace in fig.data]
    kinds = [KINDS[t] for t in types if t in KINDS]
    kind = "map" if "map" in kinds else (kinds[0] if kinds else "bar")
    return kind, plain(fig.layout.title.text)


def categories(fig) -> int | None:
    """How many bars (distinct categories, with a value or not) or treemap leaves the figure draws;
    None for lines and maps, where one category is still worth a chart."""
    bars: set = set()
    kind = None
    for trace in fig.data:
        if trace.type == "bar":
            kind = "bar"
            # A row without a value counts: the chart says "keine Daten" there.
            bars.update((trace.y if trace.orientation == "h" else trace.x) or [])
        elif trace.type == "treemap":
            kind = "treemap"
            parents = set(trace.parents or [])
            bars.update(i for i in (trace.ids or []) if i not in parents)
    return len(bars) if kind else None


def listing(names: Sequence[str], lang: str, most: int = MAX_NAMES) -> str:
    """'A, B und 3 weitere' / 'A, B and 3 more': at most ``most`` names."""
    names = list(dict.fromkeys(str(n) for n in names))
    shown, rest = names[:most], len(names) - most
    text = ", ".join(shown)
    return text + (" " + say("desc_more", lang, n=fmt.integer(rest, lang)) if rest > 0 else "")


def names(table: pd.DataFrame, column: str) -> pd.Series:
    """The labels of ``column``; a name two regions share gets its key
    ("Fürth (09563)", "Fürth (09573)"), as the charts write it."""
    labels = table[column].astype(object).astype(str) if column in table.columns else pd.Series("", index=table.index)
    if "region_id" in table.columns:
        keys = table["region_id"].astype(str)
        pairs = pd.DataFrame({"label": labels, "key": keys}).drop_duplicates()
        shared = labels.isin(pairs.loc[pairs["label"].duplicated(), "label"])
        labels = labels.where(~shared, labels + " (" + keys + ")")
    return labels


def points(names: Sequence[str], periods: Sequence[str] | None, lang: str) -> str:
    """Regions sharing a highest or lowest value, the first few named; in a
    time series each with its periods: 'München (Ende 2020, Mitte 2021)'."""
    if periods is None:
        return listing(names, lang, MAX_TIED)
    when: dict[str, list[str]] = {}
    for name, period in zip(names, periods):
        when.setdefault(str(name), []).append(str(period))
    return listing([f"{name} ({listing(ps, lang, MAX_TIED)})" for name, ps in when.items()], lang, MAX_TIED)


def period_of(value: object, period_type: object, lang: str) -> str:
    return fmt.period(value, period_type if isinstance(period_type, str) else "year", lang)


def text(kind: str | None, title: str, table: pd.DataFrame, shown: Shown, lang: str, indicators: pd.DataFrame | None = None) -> str:
    """The description of a chart of ``kind`` titled ``title`` drawing ``table``.

    ``indicators`` (the catalogue's, indexed by id) gives an indicator's
    title, unit and published decimals where ``table`` has an
    ``indicator_id`` column; values of several indicators (the Steckbrief's
    panels) are described one indicator after another."""
    known = indicators if indicators is not None else pd.DataFrame(columns=["title_de", "title_en", "unit", "unit_en", "decimals"])
    title = title.rstrip(". ")
    # No kind: the text stands in for a chart that is not drawn (one category).
    sentences = [say("desc_intro", lang, kind=say(f"desc_kind_{kind}", lang), title=title) if kind else f"{title}."]
    if shown.value is None or shown.value not in table.columns:
        names = [n for n in table[shown.label].dropna()] if shown.label in table.columns else []
        if names:
            sentences.append(say("desc_shows", lang, names=listing(names, lang)))
        return " ".join(sentences)
    if "indicator_id" in table.columns and table["indicator_id"].nunique() > 1:
        for ind_id, part in table.groupby("indicator_id", sort=False):
            name = str(known.at[ind_id, "title_en" if lang == "en" else "title_de"]) if ind_id in known.index else str(ind_id)
            sentences.append(f"{name}: " + about(part, indicator_shown(shown, known, ind_id, lang), lang))
    else:
        ind_id = table["indicator_id"].iloc[0] if "indicator_id" in table.columns and len(table) else None
        sentences.append(about(table, indicator_shown(shown, known, ind_id, lang), lang, bool(shown.period_text) and shown.period_text in title))
    return " ".join(s for s in sentences if s)


def indicator_shown(shown: Shown, indicators: pd.DataFrame, indicator_id: object, lang: str) -> Shown:
    """``shown`` with the indicator's unit and decimals where it does not set them."""
    if indicator_id not in indicators.index:
        return shown
    row = indicators.loc[indicator_id]
    unit = shown.unit if shown.unit is not None else str(row["unit_en" if lang == "en" else "unit"])
    decimals = shown.decimals if shown.decimals is not None else (int(row["decimals"]) if not fmt.is_missing(row["decimals"]) else None)
    return replace(shown, unit=unit, decimals=decimals)


def about(table: pd.DataFrame, shown: Shown, lang: str, title_says: bool = False) -> str:
    """Period (unless the title says it: ``title_says``), extremes and missing
    regions of one indicator's values."""
    values = pd.to_numeric(table[shown.value], errors="coerce")
    unit = shown.unit if shown.unit is not None else (str(table["unit"].dropna().iloc[0]) if "unit" in table.columns and table["unit"].notna().any() else "")
    decimals = shown.decimals
    if decimals is None:
        whole = values.dropna()
        decimals = 0 if len(whole) and (whole == whole.round()).all() else 1
    number = lambda x: fmt.with_unit(x, decimals, shown.unit_one if shown.unit_one and x == 1 else unit, lang)  # noqa: E731
    types = table["period_type"] if "period_type" in table.columns else pd.Series(None, index=table.index, dtype=object)
    periods = pd.Series(table[shown.period].to_numpy(), index=table.index) if shown.period in table.columns else pd.Series(None, index=table.index, dtype=object)
    distinct = sorted(pd.unique(periods.dropna().astype(str).to_numpy(dtype=object)))
    out = []
    if shown.period_text:
        if not title_says:
            out.append(say("desc_period", lang, period=shown.period_text))
    elif len(distinct) == 1:
        out.append(say("desc_period", lang, period=period_of(distinct[0], types.dropna().iloc[0] if types.notna().any() else None, lang)))
    elif distinct:
        first, last = periods.astype(str) == distinct[0], periods.astype(str) == distinct[-1]
        out.append(say("desc_span", lang, start=period_of(distinct[0], types[first].dropna().iloc[0] if types[first].notna().any() else None, lang),
                       end=period_of(distinct[-1], types[last].dropna().iloc[0] if types[last].notna().any() else None, lang)))
    labels = names(table, shown.label)
    have = values.notna()
    when = None  # the period of each point of a time series
    if len(distinct) > 1 and shown.series is None:
        # A time series: the extremes are points (a region in a period).
        named = labels[have].to_numpy(dtype=object)
        when = np.array([period_of(p, pt, lang) for p, pt in zip(periods[have], types[have])], dtype=object)
        drawn = values[have].to_numpy(dtype=float)
    elif shown.series:
        # Stacked parts (``series``) add up to their bar or box.
        totals = values[have].groupby(labels[have], sort=False).sum()
        named, drawn = totals.index.to_numpy(dtype=object), totals.to_numpy(dtype=float)
    else:
        named, drawn = labels[have].to_numpy(dtype=object), values[have].to_numpy(dtype=float)
    if len(drawn) == 1:
        sentence = say("desc_one", lang, name=named[0], value=number(drawn[0]))
        if shown.series and shown.series in table.columns and have.sum() > 1:
            parts = [f"{s}: {number(x)}" for s, x in zip(table.loc[have, shown.series].astype(str), values[have])]
            sentence += " " + say("desc_parts", lang, parts="; ".join(parts))
        out.append(sentence)
    elif len(drawn):
        # Regions that tie (as shown, rounded) share the place: the first few are named.
        rounded = np.round(drawn, decimals)
        hi, lo = rounded.max(), rounded.min()
        tied = lambda x: points(named[rounded == x], None if when is None else when[rounded == x], lang)  # noqa: E731
        out.append(say("desc_extremes", lang, high=tied(hi), high_value=number(hi), low=tied(lo), low_value=number(lo)))
    any_value = have.groupby(labels, sort=False).any()
    missing = list(any_value.index[~any_value.to_numpy()])
    if missing:
        out.append(say("desc_missing", lang, names=listing(missing, lang)))
    return " ".join(out)
