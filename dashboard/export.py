"""Static exports: kaleido (plotly's exporter) with Debian's Chromium and the
locally served topojson, so an export works offline like the app.

``figure_bytes`` is the one export path of every chart's PNG, SVG and PDF
download: the figure as shown, with the permalink under its source line and
map shapes inline, at a fixed width. ``render`` draws any figure through one
headless Chromium per app process, kept open while the app is used: starting
Chromium costs 2–10 s, more than drawing most figures, so ``warm`` starts it in
the background when a page offers an export (``DSR_EXPORT_WARM=0`` leaves that
to the first export, as the tests do); ``RENDER_IDLE_S`` without use close it.
``describe`` makes the data of every CSV/XLSX download say what it is
(indicator, unit, period, region, value as published, flag and its meaning,
source and licence); ``info_rows`` is the XLSX's "Info" sheet."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
import time
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
RENDER_TABS = 1  # figures drawn at the same time in one app process; more wait (a tab holds ~70 MB)
RENDER_TIMEOUT_S = 120
RENDER_IDLE_S = 600  # the renderer closes after this long without a page offering exports or an export


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

    from dashboard import charts

    if kind not in MIMES:
        raise ValueError(f"unknown export format {kind!r}: expected one of {sorted(MIMES)}")
    out = charts.with_permalink(fig, permalink) if permalink else go.Figure(fig)
    if geojsons:
        for trace in out.data:
            if isinstance(getattr(trace, "geojson", None), str) and trace.geojson in geojsons:
                trace.geojson = geojsons[trace.geojson]
    height = int(out.layout.height or 700) + 30
    return render(out, kind, EXPORT_WIDTH, height, scale=2 if kind == "png" else 1)


def render(fig, kind: str, width: int, height: int, scale: float = 1) -> bytes:
    """``fig`` (a Figure or its dict) drawn by the process's headless Chromium
    as ``kind`` (png, svg, pdf) at ``width`` × ``height`` layout pixels. Any
    thread may call it; up to ``RENDER_TABS`` figures are drawn at once. A
    renderer that fails (e.g. its Chromium died) is replaced once."""
    spec = fig if isinstance(fig, dict) else fig.to_dict()
    opts = {"format": kind, "width": width, "height": height, "scale": scale}
    try:
        return _RENDERER.render(spec, opts)
    except Exception:  # noqa: BLE001 - a broken browser: start a new one and try once more
        _RENDERER.close()
        return _RENDERER.render(spec, opts)


def warm() -> None:
    """Start the renderer in the background (no wait), unless it runs or
    ``DSR_EXPORT_WARM`` is ``0``."""
    if os.environ.get("DSR_EXPORT_WARM", "1") == "0":
        return
    _RENDERER.used()
    if not _RENDERER.started:
        threading.Thread(target=_RENDERER.start_quietly, name="dsr-export-warm", daemon=True).start()


class _Renderer:
    """One kaleido (a headless Chromium with ``RENDER_TABS`` tabs) on an
    event loop of its own thread, opened at the first figure (or ``warm``),
    closed after ``RENDER_IDLE_S`` without use and at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None
        self._warm_failed = False
        self._last_use = time.monotonic()
        self._busy = 0

    def used(self) -> None:
        self._last_use = time.monotonic()

    @property
    def started(self) -> bool:
        return self._kaleido is not None or self._lock.locked() or self._warm_failed

    def start_quietly(self) -> None:
        try:
            self._open()
        except Exception:  # noqa: BLE001 - no browser: the first export says why (and no page retries in the background)
            self._warm_failed = True

    def _open(self):
        with self._lock:
            if self._kaleido is None:
                import kaleido

                configure_kaleido()
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="dsr-export-renderer", daemon=True).start()
                # mathjax=False: no LaTeX in our figures, and no fetch from a CDN.
                k = kaleido.Kaleido(n=RENDER_TABS, timeout=RENDER_TIMEOUT_S, mathjax=False)
                try:
                    asyncio.run_coroutine_threadsafe(k.open(), loop).result(timeout=RENDER_TIMEOUT_S)
                except BaseException:
                    loop.call_soon_threadsafe(loop.stop)
                    raise
                self._loop, self._kaleido = loop, k
                loop.call_soon_threadsafe(self._check_idle, loop)
            return self._loop, self._kaleido

    def _check_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the renderer's loop: close it once unused for ``RENDER_IDLE_S``, else look again then."""
        if loop is not self._loop:
            return  # closed already
        idle = time.monotonic() - self._last_use
        if self._busy == 0 and idle >= RENDER_IDLE_S:
            threading.Thread(target=self.close, name="dsr-export-idle-close", daemon=True).start()
        else:
            loop.call_later(max(1.0, RENDER_IDLE_S - idle), self._check_idle, loop)

    def render(self, spec: dict, opts: dict) -> bytes:
        import plotly.io as pio

        self._busy += 1  # (a count for the idle check only: a race costs at most an early close)
        try:
            loop, k = self._open()
            job = k.calc_fig(spec, opts=opts, topojson=pio.defaults.topojson)
            return asyncio.run_coroutine_threadsafe(job, loop).result(timeout=RENDER_TIMEOUT_S + 10)
        finally:
            self._busy -= 1
            self.used()

    def close(self) -> None:
        with self._lock:
            loop, k, self._loop, self._kaleido = self._loop, self._kaleido, None, None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(timeout=20)
        except Exception:  # noqa: BLE001 - closing a browser that is gone already
            pass
        loop.call_soon_threadsafe(loop.stop)


_RENDERER = _Renderer()
atexit.register(_RENDERER.close)


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
        out["period"] = _iso_column(out["period"])
    known = "indicator_id" in out.columns
    ind = None
    if known:  # the catalogue's row of each row's indicator (taken by code: downloads have 200,000 rows)
        codes, ids = pd.factorize(out["indicator_id"], use_na_sentinel=False)
        columns = [c for c in ("title_de", "title_en", "unit", "unit_en", "decimals", "source_ids") if c in cat.indicators.columns]
        ind = cat.indicators[columns].reindex(ids).iloc[codes]
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
        meanings = cat.flags[label].to_dict()
        meaning = out[column].astype(object).map(lambda f: meanings.get(f, f) if isinstance(f, str) else None)
        # A value the row lacks without a flag saying why: "keine Daten", as in the chart and the table.
        value = "value" + column[len("flag"):]
        if value in out.columns:
            missing = meaning.isna() & out[value].isna()
            meaning = meaning.astype(object).mask(missing, fmt.no_data(lang))
        out.insert(out.columns.get_loc(column) + 1, f"{column}_meaning", meaning)
    # Source and licence of every row.
    fallback = None
    if source_ids:
        fallback = pd.Series(",".join(source_ids), index=out.index, dtype=object)
    elif known:
        fallback = pd.Series(ind["source_ids"].fillna("").to_numpy(dtype=object), index=out.index)
    ids = out["source_id"].astype(object) if "source_id" in out.columns else fallback
    if ids is not None and fallback is not None:  # a region without an observation row: the indicator's sources
        ids = ids.where(ids.notna() & (ids.astype(str) != ""), fallback)
    if ids is not None:
        codes, unique = pd.factorize(ids, use_na_sentinel=False)
        described = [_source(s, cat) for s in unique]
        out["source"] = np.array([d[0] for d in described], dtype=object)[codes]
        out["licence"] = np.array([d[1] for d in described], dtype=object)[codes]
    first = [c for c in LEADING if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


def _iso_column(values: pd.Series) -> pd.Series | list:
    """Dates as ISO 8601 text (``2021-06-30``); a date column at once."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)
    return [_iso(p) for p in values]


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
            rows.append((INFO_LABELS["indicator"][i], f"{fmt.title_and_unit(str(title), str(unit))} [{ind_id}]"))
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
