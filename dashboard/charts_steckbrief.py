"""Pure figure functions of the region profile (Steckbrief): the small trend
lines of its key figures and the locator map. Frames in, plotly Figures out;
no Streamlit calls. Titles and source lines go inside the figure
(``charts.with_title_and_source``) so exports and the PDF briefing carry them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import fmt
from dashboard.charts import CATEGORY_COLOURS, html_escape, wrap_text, localise, with_title_and_source

HIGHLIGHT = "#cc0000"
CONTEXT_FILL = "#e6e6e6"
COMPARISON_LINE = "#8c8c8c"
MIN_RELATIVE_SPAN = 0.05  # smallest y-range of a trend panel, relative to its values
PANEL_TITLE_PX = 1100  # width the panel titles share in an export (1,200 px less the margins)


@dataclass
class TrendPanel:
    title: str
    region: pd.DataFrame  # period, value
    comparison: pd.DataFrame | None = None  # period, value (Germany), drawn grey
    breaks: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (ISO date, label)
    hover_unit: str = ""
    subtitle: str = ""  # e.g. "value of the Land Bayern", in small type under the title


def trend_grid(
    panels: Sequence[TrendPanel],
    title: str,
    source_line: str,
    region_label: str,
    comparison_label: str,
    break_label: str,
    columns: int = 3,
    row_height: int = 190,
    lang: str = "de",
) -> go.Figure:
    """Small multiples: one small line chart per key figure, the region in
    blue, Germany in grey where given, series breaks as dashed red lines
    (explained in the legend and, in words, below the chart). Numbers and
    dates in ticks and hover labels are written the way of ``lang``."""
    hover = f"%{{x|{fmt.d3_date(lang)}}}: %{{y:{fmt.d3_number()}}}"
    n = max(len(panels), 1)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    titles = [_panel_title(p, PANEL_TITLE_PX // cols) for p in panels] or [""]
    # Lines of the first row's titles (wrapped, with subtitles): the top margin holds them.
    title_lines = max(t.count("<br>") + 1 for t in titles[:cols])
    fig = make_subplots(
        rows=rows, cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.08, vertical_spacing=min(0.45 / rows, 0.2) if rows > 1 else 0.1,
    )
    legend_done: set[str] = set()

    def legend(group: str) -> bool:
        first = group not in legend_done
        legend_done.add(group)
        return first

    for i, panel in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        unit = html_escape(panel.hover_unit)
        if panel.comparison is not None and len(panel.comparison) > 0:
            fig.add_trace(
                go.Scatter(
                    x=panel.comparison["period"], y=panel.comparison["value"], mode="lines",
                    line=dict(color=COMPARISON_LINE, width=1.5, dash="dot"), name=html_escape(comparison_label),
                    legendgroup="comparison", showlegend=legend("comparison"),
                    hovertemplate=f"{hover} {unit}<extra>{html_escape(comparison_label)}</extra>",
                ),
                row=r, col=c,
            )
        fig.add_trace(
            go.Scatter(
                x=panel.region["period"], y=panel.region["value"], mode="lines+markers",
                line=dict(color=CATEGORY_COLOURS[0], width=2), marker=dict(size=4), name=html_escape(region_label),
                legendgroup="region", showlegend=legend("region"),
                hovertemplate=f"{hover} {unit}<extra>{html_escape(region_label)}</extra>",
            ),
            row=r, col=c,
        )
        values = pd.concat([panel.region["value"], *([panel.comparison["value"]] if panel.comparison is not None and len(panel.comparison) else [])])
        lo, hi = float(values.min()), float(values.max())
        for date, _label in panel.breaks:
            x = pd.Timestamp(date)
            # A trace, not a shape: it shows in the legend and in exports alike.
            fig.add_trace(
                go.Scatter(
                    x=[x, x], y=[lo, hi], mode="lines", line=dict(color=HIGHLIGHT, width=1, dash="dash"),
                    name=html_escape(break_label), legendgroup="break", showlegend=legend("break"), hoverinfo="skip",
                ),
                row=r, col=c,
            )
        years = pd.to_datetime(panel.region["period"]).dt.year
        if years.max() - years.min() <= 5:  # few years: one tick per year, not per half-year
            fig.update_xaxes(dtick="M12", row=r, col=c)
        # A change of a few per mille (an area re-surveyed) must not fill the panel.
        span, scale = hi - lo, max(abs(hi), abs(lo))
        if scale > 0 and span < MIN_RELATIVE_SPAN * scale:
            mid = (hi + lo) / 2
            fig.update_yaxes(range=[mid - MIN_RELATIVE_SPAN * scale, mid + MIN_RELATIVE_SPAN * scale], row=r, col=c)
    fig.update_annotations(font_size=11, selector=dict(xref="paper", yref="paper"))
    # Year-end values (31.12.) sit inside their year's label, not under next year's tick.
    fig.update_xaxes(showgrid=False, tickformat="%Y", ticklabelmode="period", nticks=6, tickfont=dict(size=9))
    fig.update_yaxes(tickfont=dict(size=9), rangemode="normal")
    source_lines = wrap_text(html_escape(source_line), 150).count("<br>") + 1  # as with_title_and_source wraps it
    fig.update_layout(
        height=row_height * rows + 110 + 14 * source_lines + 14 * (title_lines - 1),
        margin=dict(l=50, r=10, t=76 + 14 * title_lines, b=40 + 14 * source_lines),
        # At the top right of the image, level with the title: never on a panel's title.
        legend=dict(orientation="h", x=1, xanchor="right", yref="container", y=0.995, yanchor="top", font=dict(size=10)),
        hovermode="closest",
    )
    fig = localise(with_title_and_source(fig, title, source_line), lang)
    # Below the x-axis tick labels of the last row, not on top of them.
    fig.update_annotations(yshift=-28, selector=dict(name="source_line"))
    return fig


def _panel_title(panel: TrendPanel, width_px: int) -> str:
    """The panel's title, wrapped to its column (11 px type: about 6.8 px a character)."""
    title = wrap_text(html_escape(panel.title), max(20, int(width_px / 6.8)))
    if panel.subtitle:
        title += f"<br><span style='font-size:9px'>{html_escape(panel.subtitle)}</span>"
    return title


def locator_map(
    context: pd.DataFrame,
    context_geojson: str | dict,
    highlight: pd.DataFrame,
    highlight_geojson: str | dict,
    title: str,
    source_line: str,
    height: int = 420,
) -> go.Figure:
    """The region in red among its neighbours in grey (``context`` and
    ``highlight`` have region_id and name). Both layers may use different
    shapes (Kreise around a Gemeinde)."""
    fig = go.Figure()
    for geojson, frame, fill, line, width, hover, name in (
        (context_geojson, context, CONTEXT_FILL, "#ffffff", 0.6, "%{customdata[0]}", "context"),
        (highlight_geojson, highlight, HIGHLIGHT, "#7f0000", 1.0, "<b>%{customdata[0]}</b>", "highlight"),
    ):
        fig.add_trace(
            go.Choropleth(
                geojson=geojson, locations=frame["region_id"], z=np.zeros(len(frame)),
                colorscale=[[0, fill], [1, fill]], showscale=False, marker_line_color=line, marker_line_width=width,
                customdata=frame[["name"]].to_numpy(), hovertemplate=f"{hover}<extra></extra>", showlegend=False, name=name,
            )
        )
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=50, b=60), dragmode=False)
    return with_title_and_source(fig, title, source_line)


def with_inline_shapes(fig: go.Figure, geojsons: dict[str, dict]) -> go.Figure:
    """A copy of a map whose shapes are URLs served by the app, with the shapes
    inline instead (kaleido renders offline and cannot fetch the app's URLs)."""
    out = go.Figure(fig)
    for trace in out.data:
        if isinstance(getattr(trace, "geojson", None), str) and trace.geojson in geojsons:
            trace.geojson = geojsons[trace.geojson]
    return out
