"""Static exports: kaleido (plotly's exporter) with Debian's Chromium and the
locally served topojson, so an export works offline like the app.

``figure_bytes`` is the one export path of every chart's PNG, SVG and PDF
download: the figure as shown, with the permalink under its source line and
map shapes inline, at a fixed width."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

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
