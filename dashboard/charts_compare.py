"""Pure figure functions of the Compare and Trends pages: frames in, plotly Figures out.

Texts (values, gaps, labels) arrive formatted by the caller in the page's
language (``dashboard.fmt``); axis ticks follow ``lang`` (``charts.localise``);
titles and labels from data are escaped here. Every figure gets its
title and source line through ``charts.with_title_and_source``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import CATEGORY_COLOURS, html_escape, wrap_text, footer_width, localise, with_title_and_source

ANCHOR_COLOUR = "#e69138"
BAR_COLOUR = "#0b5394"
MEDIAN_COLOUR = "#cc0000"
CONTEXT_COLOURS = {"bund": "#444444", "land": "#888888"}
LAND_SHADES = ["#888888", "#666666", "#aaaaaa"]
LAND_DASHES = ["dash", "dashdot", "longdash"]
AXIS_TITLE_LINE_PX = 17  # a further line of an axis title (14 px type)


def gap_bar_chart(
    frame: pd.DataFrame,
    median: float | None,
    title: str,
    source_line: str,
    value_title: str,
    median_label: str,
    no_data_text: str,
    lang: str = "de",
) -> go.Figure:
    """Horizontal bars, one per region, with the median of the peers as a dashed line.

    ``frame``: label, value, text (value as shown on the bar), hover (the value,
    median and gap, formatted), highlight (bool: the anchor). Regions without a
    value keep their row, marked ``no_data_text`` at its place (an annotation:
    plotly draws no text on a bar without a value).
    """
    f = frame.reset_index(drop=True)
    colours = [ANCHOR_COLOUR if h else BAR_COLOUR for h in f["highlight"]]
    labels = [html_escape(x) for x in f["label"]]
    texts = [t if pd.notna(v) else no_data_text for v, t in zip(f["value"], f["text"])]
    fig = go.Figure(
        go.Bar(
            x=f["value"], y=labels, orientation="h",
            marker_color=colours, text=[html_escape(t) for t in texts], textposition="auto",
            customdata=[html_escape(h) for h in f["hover"]], hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>",
            showlegend=False, cliponaxis=False,
        )
    )
    # A bar without a value is drawn as nothing, and so is its text: say "keine Daten" at its place.
    for label, value in zip(labels, f["value"]):
        if pd.isna(value):
            fig.add_annotation(
                x=0, y=label, xref="x", yref="y", xanchor="left", showarrow=False, text=html_escape(no_data_text),
                font=dict(size=12, color="#555555"), name="no_data",
            )
    if median is not None and pd.notna(median):
        fig.add_vline(x=float(median), line_dash="dash", line_color=MEDIAN_COLOUR, line_width=2)
        # The label runs away from the nearer edge of the plot, so it never leaves the image.
        values = [0.0, float(median), *f["value"].dropna().astype(float)]
        lo, hi = min(values), max(values)
        right = hi > lo and (float(median) - lo) / (hi - lo) > 0.5
        fig.add_annotation(
            x=float(median), y=1, yref="paper", yanchor="bottom", xanchor="right" if right else "left", showarrow=False,
            text=html_escape(median_label), font=dict(size=11, color=MEDIAN_COLOUR), name="median",
        )
    # The axis title (14 px type, about 9 px a character against the footer's 6)
    # is centred under the bars, right of their labels: wrapped to that width,
    # each further line pushes the source line down and the figure grows.
    width = footer_width(f["label"], 110)
    axis_title = wrap_text(html_escape(value_title), width * 2 // 3)
    extra = AXIS_TITLE_LINE_PX * axis_title.count("<br>")
    height = max(320, 150 + 34 * len(f)) + extra
    fig.update_layout(height=height, margin=dict(l=10, r=30, t=80, b=110), xaxis_title=axis_title, bargap=0.25)
    fig.update_yaxes(autorange="reversed")
    return _source_below_axis(localise(with_title_and_source(fig, title, source_line), lang), 58 + extra, width=width)


def trend_chart(
    frame: pd.DataFrame,
    title: str,
    source_line: str,
    y_title: str,
    tickvals: Sequence[pd.Timestamp],
    ticktext: Sequence[str],
    breaks: Sequence[tuple[pd.Timestamp, str]] = (),
    flagged_name: str = "",
    lang: str = "de",
    mark_flags: bool = True,
) -> go.Figure:
    """Time series, one line per series; gaps where there is no value.

    ``frame``: series, label, role (region, land, bund), period, value, hover
    (formatted text per point), flag (flag code of values kept with a flag).
    Context lines are grey: Germany dotted, Länder dashed. ``breaks``: (position,
    short label) drawn as dashed vertical lines. ``mark_flags`` circles the
    values that carry a flag (legend entry ``flagged_name``).
    """
    fig = go.Figure()
    regions_seen = 0
    lands_seen = 0
    for series, part in frame.groupby("series", sort=False):
        part = part.sort_values("period")
        role = part["role"].iloc[0]
        label = str(part["label"].iloc[0])
        if role == "region":
            line = dict(color=CATEGORY_COLOURS[regions_seen % len(CATEGORY_COLOURS)], width=2.4)
            regions_seen += 1
        elif role == "land":
            # Several Länder: told apart by shade and dash pattern, all quieter than the regions.
            line = dict(color=LAND_SHADES[lands_seen % len(LAND_SHADES)], width=1.6, dash=LAND_DASHES[lands_seen % len(LAND_DASHES)])
            lands_seen += 1
        else:
            line = dict(color=CONTEXT_COLOURS.get(role, "#888888"), width=1.6, dash="dot")
        fig.add_trace(
            go.Scatter(
                x=part["period"], y=part["value"], name=html_escape(label), mode="lines+markers", connectgaps=False,
                line=line, marker=dict(size=6), customdata=[html_escape(h) for h in part["hover"]],
                hovertemplate=f"%{{customdata}}<extra>{html_escape(label)}</extra>",
            )
        )
    if mark_flags and "flag" in frame.columns:
        marked = frame[frame["flag"].notna() & frame["value"].notna()]
        if not marked.empty:
            fig.add_trace(
                go.Scatter(
                    x=marked["period"], y=marked["value"], mode="markers", name=html_escape(flagged_name),
                    marker=dict(symbol="circle-open", size=13, color="#000000", line=dict(width=1.5)),
                    customdata=[html_escape(h) for h in marked["hover"]], hovertemplate="%{customdata}<extra></extra>",
                )
            )
    for position, label in breaks:
        fig.add_vline(x=pd.Timestamp(position).timestamp() * 1000, line_dash="dash", line_color=MEDIAN_COLOUR, line_width=1.4)
        fig.add_annotation(
            x=pd.Timestamp(position), y=1, yref="paper", yanchor="bottom", showarrow=False,
            text=html_escape(label), font=dict(size=10, color=MEDIAN_COLOUR), name="break",
        )
    fig.update_xaxes(tickmode="array", tickvals=list(tickvals), ticktext=[html_escape(t) for t in ticktext], tickangle=-45 if len(tickvals) > 8 else 0)
    fig.update_layout(
        height=560, margin=dict(l=10, r=10, t=80, b=190), yaxis_title=html_escape(y_title),
        hovermode="closest", legend=dict(orientation="h", yanchor="top", y=-0.2 if len(tickvals) > 8 else -0.12, x=0),
    )
    return _source_below_axis(localise(with_title_and_source(fig, title, source_line), lang), 140 if len(tickvals) > 8 else 110)


def _source_below_axis(fig: go.Figure, pixels: int, width: int = 150) -> go.Figure:
    """Move the source line under the axis labels (and legend): ``with_title_and_source``
    puts it right below the plot area, where an x axis has its tick labels.
    ``width``: characters per line (the line starts at the plot area, right of
    long bar labels, so a bar chart needs shorter lines)."""
    for a in fig.layout.annotations:
        if a.name == "source_line":
            a.text = wrap_text(a.text.replace("<br>", " "), width)
    fig.update_annotations(selector=dict(name="source_line"), yshift=-pixels)
    lines = max((a.text.count("<br>") + 1 for a in fig.layout.annotations if a.name == "source_line"), default=1)
    fig.update_layout(margin=dict(b=pixels + 15 * lines + 12))
    return fig
