"""Static exports: kaleido (plotly's exporter) with Debian's Chromium and the
locally served topojson, so an export works offline like the app."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

from dashboard.data import STATIC_DIR


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
