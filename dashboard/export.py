"""Static exports: kaleido (plotly's exporter) with Debian's Chromium and the
locally served topojson, so an export works offline like the app.

``figure_bytes`` is the one export path of every chart's PNG, SVG and PDF
download: the figure as shown, with the permalink under its source line and
map shapes inline, at a fixed width. ``describe`` makes the data of every
CSV/XLSX download say what it is (indicator, unit, period, region, value as
published, flag and its meaning, source and licence); ``info_rows`` is the
XLSX's "Info" sheet."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import fmt
from dashboard.data import STATIC_DIR

EXPORT_WIDTH = 1200  # pixels (PNG at twice that)
MIMES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


@lru_cache(maxsize=1)
def configure_kaleido() -> None:
    import plotly.io as pio

    topo = STATIC_DIR / "topojson"
    if (topo / "europe_50m.json").exists():
        # kaleido fetches the base topojson like the browser does: point it at the local copy.
        pio.defaults.topojson = Path(topo).resolve().as_uri() + "/"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(chromium):
        os.environ.setdefault("BROWSER_PATH", chromium)


def figure_bytes(fig, kind: str, permalink: str | None = None, geojsons: dict | None = None) -> bytes:
    """``fig`` as PNG, SVG or PDF (``kind``). ``permalink`` goes under the
    source line (``charts.with_permalink``); ``geojsons`` replaces shape URLs
    (served by the app, out of kaleido's reach) by the shapes themselves."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from dashboard import charts

    if kind not in MIMES:
        raise ValueError(f"unknown export format {kind!r}: expected one of {sorted(MIMES)}")
    configure_kaleido()
    out = charts.with_permalink(fig, permalink) if permalink else go.Figure(fig)
    if geojsons:
        for trace in out.data:
            if isinstance(getattr(trace, "geojson", None), str) and trace.geojson in geojsons:
                trace.geojson = geojsons[trace.geojson]
    height = int(out.layout.height or 700) + 30
    return pio.to_image(out, format=kind, width=EXPORT_WIDTH, height=height, scale=2 if kind == "png" else 1)


# ---------------------------------------------------------------- self-describing downloads

# Columns holding values of the indicator (rounded to its published decimals).
VALUE_COLUMNS = ("value", "value_a", "value_b", "median", "gap", "land_value", "germany_value", "peer_median")
FIXED_DECIMALS = {"gap_pct": 1, "population": 0}
LEADING = ("indicator_id", "indicator", "unit", "period", "region_id", "name")
INFO_LABELS = {
    "title": ("Inhalt", "Content"),
    "indicator": ("Indikator", "Indicator"),
    "period": ("Zeitpunkt", "Period"),
    "source": ("Quelle", "Source"),
    "licence": ("Lizenz", "Licence"),
    "permalink": ("Link zu dieser Ansicht", "Link to this view"),
    "columns": ("Spalten", "Columns"),
    "columns_text": (
        "indicator_id, indicator, unit: Indikator und Einheit; period: Zeitpunkt (ISO 8601); region_id: amtlicher Schlüssel; "
        "value: Wert, gerundet wie veröffentlicht; flag, flag_meaning: Kennzeichen und seine Bedeutung; source, licence: Quelle und Lizenz",
        "indicator_id, indicator, unit: indicator and unit; period: period (ISO 8601); region_id: official key; "
        "value: value, rounded as published; flag, flag_meaning: flag and its meaning; source, licence: source and licence",
    ),
}


@dataclass(frozen=True)
class Catalogue:
    """The warehouse tables a download is described from (``data``'s readers)."""

    indicators: pd.DataFrame  # indexed by indicator_id: title_de, title_en, unit, decimals, source_ids
    regions: pd.DataFrame  # indexed by region_id: name
    flags: pd.DataFrame  # indexed by flag: label_de, label_en
    sources: pd.DataFrame  # indexed by source_id: attribution, licence, licence_url
    registries: pd.DataFrame | None = None  # registry_id, attribution, licence (imported registries)


def describe(
    frame: pd.DataFrame, cat: Catalogue, lang: str, indicator_id: str | None = None, period: object = None,
    decimals: int | None = None, source_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The data of a download, saying what it is: indicator id and title, unit,
    period, region key and name first; values rounded as published
    (``decimals``, else the indicator's); every flag column followed by its
    meaning; source and licence last (of the row's ``source_id``, else of
    ``source_ids``, else of the indicator). Whole-number columns become integers
    (a rank is ``4``, not ``4.0``). Columns the frame has are kept as they are;
    only missing ones are added."""
    out = frame.copy()
    if indicator_id is not None and "indicator_id" not in out.columns:
        out.insert(0, "indicator_id", indicator_id)
    if period is not None and "period" not in out.columns:
        out["period"] = period
    if "period" in out.columns:
        out["period"] = [_iso(p) for p in out["period"]]
    known = "indicator_id" in out.columns
    ind = cat.indicators.reindex(out["indicator_id"]) if known else None
    if known:
        if "indicator" not in out.columns:
            out["indicator"] = (ind["title_en"] if lang == "en" else ind["title_de"]).fillna(ind["title_de"]).to_numpy()
        if "unit" not in out.columns:
            out["unit"] = (ind["unit_en"] if lang == "en" else ind["unit"]).to_numpy()
    if "region_id" in out.columns and "name" not in out.columns:
        out["name"] = cat.regions["name"].reindex(out["region_id"]).to_numpy()
    # Values as published.
    row_decimals = pd.Series(decimals if decimals is not None else np.nan, index=out.index, dtype=float)
    if decimals is None and known:
        row_decimals = pd.Series(pd.to_numeric(ind["decimals"], errors="coerce").to_numpy(dtype=float), index=out.index)
    for column in out.columns:
        if column in VALUE_COLUMNS and pd.api.types.is_numeric_dtype(out[column]):
            values = out[column].astype(float)
            for d in row_decimals.dropna().unique():  # per indicator: its own decimals
                rows = row_decimals == d
                values[rows] = values[rows].round(int(d))
            out[column] = values
        elif column in FIXED_DECIMALS and pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(float).round(FIXED_DECIMALS[column])
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            values = out[column].dropna()
            if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
                out[column] = out[column].round().astype("Int64")
    # Flags with their meaning, right after them.
    label = "label_en" if lang == "en" else "label_de"
    for column in [c for c in out.columns if c == "flag" or c.startswith("flag_")]:
        if column.endswith("_meaning"):
            continue
        meaning = out[column].map(lambda f: cat.flags[label].get(f, f) if isinstance(f, str) else None)
        # A value the row lacks without a flag saying why: "keine Daten", as in the chart and the table.
        value = "value" + column[len("flag"):]
        if value in out.columns:
            missing = (meaning.isna() & out[value].isna()).to_numpy()
            meaning = pd.Series([fmt.no_data(lang) if m else x for x, m in zip(meaning, missing)], index=out.index, dtype=object)
        out.insert(out.columns.get_loc(column) + 1, f"{column}_meaning", meaning)
    # Source and licence of every row.
    fallback = [",".join(source_ids)] * len(out) if source_ids else (list(ind["source_ids"].fillna("")) if known else None)
    ids = list(out["source_id"]) if "source_id" in out.columns else fallback
    if ids is not None and fallback is not None:  # a region without an observation row: the indicator's sources
        ids = [s if isinstance(s, str) and s else f for s, f in zip(ids, fallback)]
    if ids is not None:
        described = {s: _source(s, cat) for s in set(ids)}
        out["source"] = [described[s][0] for s in ids]
        out["licence"] = [described[s][1] for s in ids]
    first = [c for c in LEADING if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


def _iso(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _source(source_ids: object, cat: Catalogue) -> tuple[str, str]:
    """(attribution, licence) of one source id or a comma-separated list."""
    if not isinstance(source_ids, str) or not source_ids:
        return "", ""
    attributions, licences = [], []
    regs = cat.registries.set_index("registry_id") if cat.registries is not None else None
    for sid in [s.strip() for s in source_ids.split(",") if s.strip()]:
        if sid in cat.sources.index:
            row = cat.sources.loc[sid]
        elif regs is not None and sid in regs.index:
            row = regs.loc[sid]
        else:
            raise KeyError(f"download: source {sid!r} is neither in the sources nor in the registries of the warehouse")
        attributions.append(str(row["attribution"]))
        licences.append(str(row["licence"]))
    return " · ".join(dict.fromkeys(attributions)), " · ".join(dict.fromkeys(licences))


def info_rows(described: pd.DataFrame, lang: str, permalink: str | None, source_line: str) -> list[tuple[str, str]]:
    """The "Info" sheet of an XLSX download: what the table holds, the exact
    attribution (``source_line``, as under the chart) and the permalink."""
    i = 1 if lang == "en" else 0
    rows = []
    if "indicator" in described.columns:
        for ind_id, title, unit in described[["indicator_id", "indicator", "unit"]].drop_duplicates().itertuples(index=False):
            rows.append((INFO_LABELS["indicator"][i], f"{title} ({unit}) [{ind_id}]"))
    for column in [c for c in described.columns if c == "period" or c.startswith("period_")]:
        periods = sorted({str(p) for p in described[column].dropna()})
        if periods:
            rows.append((INFO_LABELS["period"][i], periods[0] if len(periods) == 1 else f"{periods[0]} – {periods[-1]}"))
    if source_line:
        rows.append((INFO_LABELS["source"][i], source_line))
    if "licence" in described.columns:
        rows.append((INFO_LABELS["licence"][i], " · ".join(dict.fromkeys(x for x in described["licence"] if x))))
    if permalink:
        rows.append((INFO_LABELS["permalink"][i], permalink))
    rows.append((INFO_LABELS["columns"][i], INFO_LABELS["columns_text"][i]))
    return rows
