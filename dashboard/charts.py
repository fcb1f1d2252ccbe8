"""Pure functions: frames in, plotly Figures out. No Streamlit calls here.

Every figure carries its title and a source line (publisher, reference date,
licence) inside the figure, so an exported image says where its numbers come
from; ``with_permalink`` adds the link that reopens the view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# ColorBrewer "Blues" (sequential, colour-blind safe), 3–7 classes; reversed
# when lower is better so that darker always reads as "better".
BLUES = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"]
NO_DATA_COLOUR = "#d9d9d9"
OUTLINE = "#ffffff"
HIGHLIGHT = "#d94801"  # a region chosen on the map (outlined in this colour on the canvas map too)
FONT = "DejaVu Sans, Arial, sans-serif"
CATEGORY_COLOURS = ["#0b5394", "#e69138", "#6aa84f", "#cc0000", "#674ea7", "#45818e", "#bf9000", "#a64d79", "#3d85c6", "#93c47d", "#999999"]


@dataclass(frozen=True)
class Classes:
    breaks: list[float]  # k+1 edges, ascending
    method: str

    @property
    def k(self) -> int:
        return len(self.breaks) - 1

    def assign(self, values: pd.Series) -> pd.Series:
        """Class index 0..k-1 per value (NaN stays NaN)."""
        edges = np.asarray(self.breaks, dtype=float)
        idx = np.searchsorted(edges[1:-1], values.to_numpy(dtype=float), side="right")
        return pd.Series(np.where(values.isna(), np.nan, idx), index=values.index)


def classify(values: pd.Series, method: str, k: int = 5, manual: Sequence[float] | None = None) -> Classes:
    """Class breaks by quantiles, equal intervals, natural breaks (Jenks) or manual breaks."""
    x = values.dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return Classes([0.0, 1.0], method)
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        return Classes([lo, hi], method)
    k = max(2, min(k, 7, len(np.unique(x))))
    if method == "manual" and manual:
        inner = sorted(b for b in manual if lo < b < hi)
        edges = [lo, *inner, hi]
    elif method == "equal":
        edges = list(np.linspace(lo, hi, k + 1))
    elif method == "jenks":
        import jenkspy

        sample = x if len(x) <= 3000 else np.quantile(x, np.linspace(0, 1, 3000))
        edges = [float(b) for b in jenkspy.jenks_breaks(sample, n_classes=k)]
        edges[0], edges[-1] = lo, hi
    else:
        edges = sorted(set(float(e) for e in np.quantile(x, np.linspace(0, 1, k + 1))))
        if len(edges) - 1 < k:
            # Many equal values (e.g. 100 % broadband almost everywhere) collapse
            # quantile classes; natural breaks still separate the rest.
            import jenkspy

            sample = x if len(x) <= 3000 else np.quantile(x, np.linspace(0, 1, 3000))
            edges = [float(b) for b in jenkspy.jenks_breaks(sample, n_classes=k)]
            edges[0], edges[-1] = lo, hi
            method = "jenks"
    edges = sorted(set(float(e) for e in edges))
    if len(edges) < 2:
        edges = [lo, hi]
    return Classes(edges, "quantile" if method not in ("equal", "jenks", "manual") else method)


def class_labels(classes: Classes, fmt) -> list[str]:
    b = classes.breaks
    return [f"{fmt(b[i])} – {fmt(b[i + 1])}" for i in range(classes.k)]


def palette(k: int, reverse: bool = False) -> list[str]:
    idx = np.linspace(0, len(BLUES) - 1, k).round().astype(int) if k > 1 else [len(BLUES) // 2]
    colours = [BLUES[i] for i in idx]
    return colours[::-1] if reverse else colours


def choropleth(
    frame: pd.DataFrame,
    geojson: str | dict,
    classes: Classes,
    labels: list[str],
    colours: list[str],
    no_data_label: str,
    hover_template: str,
    title: str,
    source_line: str,
    outlines: pd.DataFrame | None = None,
    outline_name: str = "",
    highlight: tuple[str, str] | None = None,
    height: int = 720,
) -> go.Figure:
    """A classed choropleth: one trace per class (a readable legend), one for "no data".

    ``frame`` has region_id, value, rank and class (index or NaN); missing
    values have a ``no_data_text``. ``geojson`` is a URL (served by the app,
    loaded once by the browser) or a FeatureCollection (for exports); its
    features carry the region's name as ``properties.n``, so a rerun sends only
    keys and numbers: the hover template reads ``%{properties.n}``,
    ``%{customdata[0]}`` (value) and ``%{customdata[1]}`` (rank).
    ``highlight`` (key, name) outlines one region, named in the legend.
    """
    traces = []
    for i in range(classes.k):
        part = frame[frame["class"] == i]
        traces.append(_class_trace(part, geojson, colours[i], labels[i], part[["value", "rank"]].to_numpy(), hover_template))
    missing = frame[frame["class"].isna()]
    if not missing.empty:
        traces.append(
            _class_trace(missing, geojson, NO_DATA_COLOUR, no_data_label, None, "<b>%{properties.n}</b> (%{location})<br>%{text}<extra></extra>", text=missing["no_data_text"])
        )
    if outlines is not None and not outlines.empty:
        traces.append(
            dict(
                type="choropleth",
                geojson=geojson,
                locations=outlines["region_id"].tolist(),
                z=np.zeros(len(outlines)),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker=dict(line=dict(color="#cc0000", width=1.6)),
                name=outline_name,
                showlegend=True,
                customdata=outlines[["name", "projects_text"]].to_numpy(),
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
            )
        )
    if highlight is not None:
        traces.append(
            dict(
                type="choropleth", geojson=geojson, locations=[highlight[0]], z=[0],
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
                marker=dict(line=dict(color=HIGHLIGHT, width=2.5)),
                name=_html_escape(highlight[1]), showlegend=True, hoverinfo="skip",
            )
        )
    # Plain trace dicts without plotly's per-property validation: a map with
    # 11,000 regions is rebuilt on every rerun, and validating it costs more
    # than drawing the rest of the page. The attributes are fixed and tested.
    fig = go.Figure(data=traces, _validate=False)
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(
        height=height,
        margin=dict(l=0, r=0, t=60, b=60),
        legend=dict(title_text="", x=0.0, y=1.0, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.85)", itemclick=False, itemdoubleclick=False),
        dragmode=False,
    )
    return with_title_and_source(fig, title, source_line)


def _class_trace(part, geojson, colour, label, customdata, hover_template, text=None) -> dict:
    trace = dict(
        type="choropleth",
        geojson=geojson,
        locations=part["region_id"].tolist(),
        z=np.zeros(len(part)),
        colorscale=[[0, colour], [1, colour]],
        showscale=False,
        marker=dict(line=dict(color=OUTLINE, width=0.3)),
        name=label,
        showlegend=True,
        hovertemplate=hover_template,
    )
    if customdata is not None:
        trace["customdata"] = customdata
    if text is not None:
        trace["text"] = text.tolist()
    return trace


def with_title_and_source(fig: go.Figure, title: str, source_line: str) -> go.Figure:
    """Title at the top, the source line at the bottom, inside the figure."""
    fig.update_layout(
        title=dict(text=_html_escape(title), x=0.01, xanchor="left", font=dict(size=17)),
        font=dict(family=FONT, size=12),
        paper_bgcolor="white",
    )
    text = _wrap(_html_escape(source_line), 150)
    # Below the x axis' tick labels and title where there are axes; the bottom
    # margin grows to hold every line of the source.
    cartesian = any(getattr(tr, "type", "") in ("bar", "scatter", "scattergl", "box", "histogram") for tr in fig.data)
    gap = 52 if cartesian else 8
    lines = text.count("<br>") + 1
    needed = gap + 14 * lines + 10
    if (fig.layout.margin.b or 0) < needed:
        fig.update_layout(margin=dict(b=needed))
    fig.add_annotation(
        text=text,
        xref="paper", yref="paper", x=0, y=0, yshift=-gap, xanchor="left", yanchor="top",
        showarrow=False, align="left", font=dict(size=10, color="#555555"),
        name="source_line",
    )
    return fig


def with_permalink(fig: go.Figure, permalink: str) -> go.Figure:
    """A copy of ``fig`` with the permalink under the source line (for exports)."""
    out = go.Figure(fig)
    bottom = out.layout.margin.b or 60
    out.update_layout(margin=dict(b=bottom + 24))
    out.add_annotation(
        text=_html_escape(permalink), xref="paper", yref="paper", x=0, y=0, yshift=-bottom + 6,
        xanchor="left", yanchor="top", showarrow=False, font=dict(size=9, color="#0b5394"), name="permalink",
    )
    return out


def line_chart(frame: pd.DataFrame, title: str, source_line: str, y_title: str, breaks: Sequence[tuple[str, str]] = (), hover_unit: str = "") -> go.Figure:
    """Time series, one line per region (columns period, value, label).

    ``breaks`` are (ISO date, label) of series breaks, drawn as dashed lines.
    """
    fig = go.Figure()
    for i, (label, part) in enumerate(frame.groupby("label", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=part["period"], y=part["value"], name=str(label), mode="lines+markers",
                line=dict(color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], width=2),
                hovertemplate=f"%{{x|%d.%m.%Y}}: %{{y:,.2f}} {hover_unit}<extra>{_html_escape(label)}</extra>",
            )
        )
    for date, label in breaks:
        fig.add_vline(x=pd.Timestamp(date).timestamp() * 1000, line_dash="dash", line_color="#cc0000", line_width=1)
        fig.add_annotation(x=pd.Timestamp(date), y=1, yref="paper", text=_html_escape(label), showarrow=False, yanchor="bottom", font=dict(size=10, color="#cc0000"))
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=70, b=80), yaxis_title=y_title, hovermode="x unified", legend=dict(orientation="h", y=-0.15))
    return with_title_and_source(fig, title, source_line)


def bar_chart(frame: pd.DataFrame, x: str, y: str, title: str, source_line: str, colour: str | None = None, orientation: str = "h", text: str | None = None, height: int = 460, stack_by: str | None = None) -> go.Figure:
    fig = go.Figure()
    if stack_by:
        for i, (label, part) in enumerate(frame.groupby(stack_by, sort=False)):
            fig.add_trace(go.Bar(x=part[x] if orientation == "v" else part[y], y=part[y] if orientation == "v" else part[x], name=str(label), orientation=orientation, marker_color=CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]))
        fig.update_layout(barmode="stack")
    else:
        fig.add_trace(
            go.Bar(
                x=frame[x] if orientation == "v" else frame[y], y=frame[y] if orientation == "v" else frame[x],
                orientation=orientation, marker_color=colour or CATEGORY_COLOURS[0],
                text=frame[text] if text else None, textposition="auto",
            )
        )
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=70, b=80))
    if orientation == "h":
        fig.update_yaxes(autorange="reversed")
    return with_title_and_source(fig, title, source_line)


def _html_escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _wrap(text: str, width: int) -> str:
    """Break a long source line into lines of at most ``width`` characters."""
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)
