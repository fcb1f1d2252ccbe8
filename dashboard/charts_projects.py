"""Pure figures of the project pages: stacked bars (sector × another
dimension), a treemap (sector → registry or category) and the small map of a
project's regions. Frames in, plotly Figures out; no Streamlit calls.

Every figure carries its title and source line (``charts.with_title_and_source``);
text from data is HTML-escaped before plotly renders it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import fmt
from dashboard.charts import NO_DATA_COLOUR, html_escape, wrap_text, footer_width, localise, with_title_and_source

# Colour-blind-friendly qualitative colours (Okabe–Ito first, then Paul Tol's
# "muted"), enough for the 16 Länder and "none" without repeating.
COLOURS = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#332288",
    "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255", "#aa4499", "#6b6b6b",
]
NONE_COLOUR = "#bdbdbd"
LEGEND_ENTRY_PX = 20  # a line of a vertical legend (12 px type)
TREEMAP_LABEL_CHARS = 16  # characters per line of a label in a treemap's box
HIGHLIGHT = "#c0392b"
CONTEXT_FILL = "#e3e3e3"


def colour_map(values: Sequence[str], none_value: str | None = None) -> dict[str, str]:
    """A fixed colour per value, in order; the "none" value grey."""
    out, i = {}, 0
    for v in values:
        if v == none_value:
            out[v] = NONE_COLOUR
        else:
            out[v] = COLOURS[i % len(COLOURS)]
            i += 1
    return out


def stacked_bars(
    frame: pd.DataFrame,
    a_order: Sequence[str],
    a_labels: dict[str, str],
    b_order: Sequence[str],
    b_labels: dict[str, str],
    colours: dict[str, str],
    title: str, source_line: str, value_title: str, hover_value: str, legend_title: str = "", note: str = "", lang: str = "de",
) -> go.Figure:
    """Horizontal bars, one per a-value (sector), stacked by b-values.

    ``frame`` has a, b, value, n, N and cell (the id a click selects, sent back
    as customdata). ``hover_value`` is a hover template fragment for the value
    (e.g. "%{x:,.1f} Mio. EUR"), formatted in the separators of ``lang``; n of
    N is added under it.
    """
    fig = go.Figure()
    y_labels = [a_labels.get(a, a) for a in a_order]
    for b in b_order:
        part = frame[frame["b"] == b].set_index("a").reindex(a_order)
        part = part[part["value"].notna() & (part["value"] > 0)]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                y=[html_escape(a_labels.get(a, a)) for a in part.index],
                x=part["value"],
                orientation="h",
                name=html_escape(b_labels.get(b, b)),
                marker_color=colours.get(b, NO_DATA_COLOUR),
                customdata=np.column_stack([part["cell"].to_numpy(dtype=object), part["n"].to_numpy(), part["N"].to_numpy()]),
                hovertemplate=f"<b>%{{y}}</b><br>{html_escape(b_labels.get(b, b))}<br>{hover_value}<extra></extra>",
            )
        )
    height, top, bottom = max(360, 60 + 34 * len(a_order)) + 110, 70, 170
    # Every legend entry must fit beside the bars: a taller legend scrolls,
    # and an exported image then hides its last entries.
    entries = len(fig.data) + (1 if legend_title else 0)
    height += max(0, LEGEND_ENTRY_PX * entries + 10 - (height - top - bottom))
    fig.update_layout(
        barmode="stack", height=height, margin=dict(l=10, r=10, t=top, b=bottom),
        legend=dict(title_text=html_escape(legend_title), orientation="v", x=1.01, y=1, xanchor="left", traceorder="normal"),
        xaxis_title=html_escape(value_title), clickmode="event+select",
    )
    fig.update_yaxes(categoryorder="array", categoryarray=[html_escape(y) for y in y_labels], autorange="reversed")
    # Below the axis title: the note, then the source line.
    return _footer(localise(with_title_and_source(fig, title, source_line), lang), note, source_line, top=-64, width=footer_width(y_labels, 115))


def treemap(
    frame: pd.DataFrame,
    a_order: Sequence[str],
    a_labels: dict[str, str],
    b_labels: dict[str, str],
    colours_a: dict[str, str],
    dim_b: str,
    title: str, source_line: str, value_text: str, note: str = "", lang: str = "de",
) -> go.Figure:
    """Sector boxes, each split by the b-values (registry, category…).

    ``frame`` has a, b, value, n, N; a box's id is the cell a click selects
    ("sector" for a sector box, "sector|dim|value" for a leaf). The b-dimension
    must be single-valued per project, so a sector's box is the sum of its leaves.
    Each box shows its value as text in the number format of ``lang``.
    """
    ids, labels, parents, values, colours, custom = [], [], [], [], [], []
    frame = frame[frame["value"].notna() & (frame["value"] > 0)]
    for a in a_order:
        part = frame[frame["a"] == a]
        if part.empty:
            continue
        ids.append(a)
        labels.append(html_escape(a_labels.get(a, a)))
        parents.append("")
        values.append(float(part["value"].sum()))
        colours.append(colours_a.get(a, NO_DATA_COLOUR))
        custom.append([int(part["n"].sum()), int(part["N"].sum())])
        for row in part.itertuples(index=False):
            ids.append(f"{a}|{dim_b}|{row.b}")
            labels.append(html_escape(b_labels.get(row.b, row.b)))
            parents.append(a)
            values.append(float(row.value))
            colours.append(colours_a.get(a, NO_DATA_COLOUR))
            custom.append([int(row.n), int(row.N)])
    fig = go.Figure(
        go.Treemap(
            ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
            marker=dict(colors=colours, line=dict(color="#ffffff", width=1)),
            # In the box the label is wrapped to fit narrow boxes (hover and path bar keep it on one line).
            customdata=custom,
            text=[f"{wrap_text(label, TREEMAP_LABEL_CHARS)}<br>{fmt.number(x, 1, lang, trim=True)}" for label, x in zip(labels, values)],
            texttemplate="%{text}", hovertemplate=f"<b>%{{label}}</b><br>{value_text}<extra></extra>",
            maxdepth=2, sort=False, tiling=dict(pad=2), pathbar=dict(visible=True),
        )
    )
    # Labels are wrapped to fit narrow boxes; one that would still have to shrink below
    # 10 px is left out rather than drawn unreadably small (its box keeps the hover, and
    # the table and the text alternative list it). Every label is drawn at one size.
    fig.update_layout(height=600, margin=dict(l=10, r=10, t=70, b=100), uniformtext=dict(minsize=10, mode="hide"))
    return _footer(localise(with_title_and_source(fig, title, source_line), lang), note, source_line, top=-6, width=150)


def _footer(fig: go.Figure, note: str, source_line: str, top: int, width: int) -> go.Figure:
    """A sentence that changes the meaning of the numbers, then the source line
    under it (``top``: pixels below the plot area where the footer starts;
    ``width``: characters per line, narrower where a legend takes the right side)."""
    if note:
        wrapped = wrap_text(html_escape(note), width)
        fig.add_annotation(
            text=wrapped, xref="paper", yref="paper", x=0, y=0, yshift=top, xanchor="left", yanchor="top",
            showarrow=False, align="left", font=dict(size=11, color="#333333"), name="note",
        )
        top -= 16 * (wrapped.count("<br>") + 1) + 4
    source = wrap_text(html_escape(source_line), width)
    fig.update_annotations(selector=dict(name="source_line"), yshift=top, text=source)
    # The margin (and the figure, so the plot keeps its size) grows to hold every line.
    needed = -top + 14 * (source.count("<br>") + 1) + 10
    extra = needed - (fig.layout.margin.b or 0)
    if extra > 0:
        fig.update_layout(margin=dict(b=needed), height=(fig.layout.height or 450) + extra)
    return fig


def project_map(
    context: pd.DataFrame,
    context_geojson: str | dict,
    highlights: Sequence[tuple[pd.DataFrame, str | dict]],
    bounds: tuple[float, float, float, float] | None,
    title: str,
    source_line: str,
    height: int = 420,
) -> go.Figure:
    """The project's regions in red over the surrounding Kreise in grey.

    ``context`` and each highlight frame have region_id and name (and for
    highlights a hover text ``label``); the highlights may come from several
    levels (a Landkreis and its Gemeinden). With ``bounds`` (lon_min, lat_min,
    lon_max, lat_max, already padded) the view is fitted to the project's
    regions, not to the grey context around them.
    """
    fig = go.Figure()
    if not context.empty:
        fig.add_trace(
            go.Choropleth(
                geojson=context_geojson, locations=context["region_id"], z=np.zeros(len(context)),
                colorscale=[[0, CONTEXT_FILL], [1, CONTEXT_FILL]], showscale=False, marker_line_color="#ffffff", marker_line_width=0.7,
                customdata=context[["name"]].map(html_escape).to_numpy(), hovertemplate="%{customdata[0]}<extra></extra>",
                showlegend=False, name="context",
            )
        )
    for frame, geojson in highlights:
        if frame.empty:
            continue
        labels = frame["label"] if "label" in frame else frame["name"]
        fig.add_trace(
            go.Choropleth(
                geojson=geojson, locations=frame["region_id"], z=np.zeros(len(frame)),
                colorscale=[[0, HIGHLIGHT], [1, HIGHLIGHT]], showscale=False, marker_opacity=0.75,
                marker_line_color="#7f0000", marker_line_width=1.0,
                customdata=np.column_stack([labels.map(html_escape).to_numpy()]), hovertemplate="<b>%{customdata[0]}</b><extra></extra>",
                showlegend=False, name="project",
            )
        )
    if bounds is not None:
        fig.update_geos(
            fitbounds=False, visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)",
            lonaxis_range=[bounds[0], bounds[2]], lataxis_range=[bounds[1], bounds[3]],
            center=dict(lon=(bounds[0] + bounds[2]) / 2, lat=(bounds[1] + bounds[3]) / 2),
        )
    else:
        fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=50, b=60), dragmode=False)
    return with_title_and_source(fig, title, source_line)
