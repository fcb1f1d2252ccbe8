"""The Karte page's map: a classed choropleth drawn on a canvas in the browser.

A plotly map of 11,000 Gemeinden costs the browser a 4.7 MB library and an
SVG path per region, seconds before anything shows. This component draws the
same map on a canvas with a few hundred lines of JavaScript (``mapview.js``):

- the shapes of a level are one static file per warehouse version, made by
  the build (``etl.mapfiles``: projected to ETRS89-LAEA, quantised to a 100 m
  grid, delta-encoded), published gzip-compressed (``data._publish``) and
  fetched once by the browser, which decompresses it;
- every rerun sends only class, value and rank per region, in the file's order.

Exports (PNG, SVG, PDF) are the plotly figure of ``charts.choropleth``, drawn
from the same file (one SVG path per class) by kaleido on the server.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
NAME = "dsr_choropleth"


def payload(
    frame: pd.DataFrame,
    ids: list[str],
    url: str,
    *,
    colours: list[str],
    labels: list[str],
    no_data_colour: str,
    highlight_colour: str = "#d94801",
    title: str,
    source: str,
    unit: str,
    decimals: int,
    locale: str,
    n_ranked: int,
    text: dict[str, str],
    outlines: pd.DataFrame | None = None,
    outline_label: str = "",
    selected: str | None = None,
    legend_note: str = "",
    height: int = 640,
) -> dict:
    """What a rerun sends: per region of the map file (in its order) the class
    (-1 = no data), the value and the rank, plus legend and labels.

    ``frame`` has region_id, class, value, rank and no_data_text; regions of
    the file that are missing from it are drawn as "no data". ``selected`` (a
    key of the file) is outlined. ``legend_note`` heads the legend (e.g. that
    the classes hold for every period).
    """
    by_id = frame.set_index("region_id").reindex(ids)
    cls = by_id["class"].fillna(-1).to_numpy(dtype=np.int64)
    values = by_id["value"].to_numpy(dtype=float, na_value=np.nan).round(decimals)
    ranks = by_id["rank"].to_numpy(dtype=float, na_value=np.nan)
    missing = np.flatnonzero(cls < 0)
    reasons = by_id["no_data_text"].to_numpy(dtype=object)[missing]
    default_no_data = text["no_data"]
    # Only the reasons that say more than "no data" (e.g. a value marker).
    no_data = {str(i): str(msg) for i, msg in zip(missing.tolist(), reasons) if isinstance(msg, str) and msg != default_no_data}
    data = {
        "url": url,
        "cls": cls.tolist(),
        "val": [None if v != v else v for v in values.tolist()],  # NaN is not JSON
        "rank": [None if r != r else int(r) for r in ranks.tolist()],
        "nd": no_data,
        "colours": list(colours),
        "labels": list(labels),
        "legend_note": legend_note,
        "no_data_colour": no_data_colour,
        "highlight_colour": highlight_colour,
        "title": title,
        "source": source,
        "unit": unit,
        "decimals": int(decimals),
        "locale": locale,
        "n_ranked": int(n_ranked),
        "height": int(height),
        "line_width": 0.3 if len(ids) > 2000 else 0.6,
        "text": dict(text),
        "outline": None,
        "selected": ids.index(selected) if selected in ids else None,
    }
    if outlines is not None and not outlines.empty:
        position = {rid: i for i, rid in enumerate(ids)}
        rows = [(position[rid], str(txt)) for rid, txt in zip(outlines["region_id"], outlines["projects_text"]) if rid in position]
        data["outline"] = {"idx": [i for i, _ in rows], "text": [html.unescape(t.replace("<br>", "\n")) for _, t in rows], "label": outline_label}
    return data


def selection_at(selected: str | None, ids) -> str | None:
    """The selected region if the map shows it, else the region of the map that
    contains it (a Gemeinde's Kreis or Land), else None."""
    if not selected:
        return None
    if selected in ids:
        return selected
    for length in (5, 2):  # its Kreis, its Land
        if len(selected) > length and selected[:length] in ids:
            return selected[:length]
    return None


@cache
def _component():
    import streamlit as st

    return st.components.v2.component(NAME, js=(HERE / "mapview.js").read_text(encoding="utf-8"))


def prefetch(url: str, key: str, where) -> None:
    """Start loading the map's script and the shapes file at ``url`` now.

    The map's element is sent once its values are computed, and only then
    would the browser fetch the component's script, then the shapes, one after
    the other (issue 14). Mounted at the top of the page (in ``where``, a
    container where its empty element is out of the way), this instance of
    the same component draws nothing: it has the script loaded and the shapes
    fetched and decoded while the server computes the values, and the map
    takes them from there (the instances share the script and its cache)."""
    with where:
        _component()(data={"prefetch": url}, key=key, height="content")


def show(data: dict, key: str, on_click=None, on_drawn=None) -> None:
    """Mount the map (the component is registered on first use, not at import).

    ``on_click(region_id)`` runs before the rerun a click on the map causes,
    with the key of the clicked region ("" for a click beside every region).
    With ``on_drawn``, the map reports once that it is on the screen (drawn,
    or its error shown): ``on_drawn()`` runs before the rerun that causes, so
    that a page can send what its first view does without after the map."""
    import streamlit as st

    def clicked() -> None:
        if on_click is not None:
            on_click(st.session_state[key].get("clicked") or "")

    callbacks = {"on_drawn_change": on_drawn} if on_drawn is not None else {}
    _component()(data={**data, "report_drawn": on_drawn is not None}, key=key, height="content", on_clicked_change=clicked, **callbacks)
