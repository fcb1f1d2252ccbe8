"""Pure functions: frames in, plotly Figures out. No Streamlit calls here.

Every figure carries its title and a source line (publisher, reference date,
licence) inside the figure, so an exported image says where its numbers come
from; ``with_permalink`` adds the link that reopens the view. ``localise``
writes a figure's numbers the way of the interface's language (the figure
functions take ``lang``) and lets its axes make room for their labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import fmt
from etl.mapfiles import MapPaths

# ColorBrewer "Blues" (sequential, colour-blind safe), 3–7 classes; reversed
# when lower is better so that darker always reads as "better".
BLUES = ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"]
NO_DATA_COLOUR = "#d9d9d9"
OUTLINE = "#ffffff"
HIGHLIGHT = "#d94801"  # a region chosen on the map (outlined in this colour on the canvas map too)
FONT = "DejaVu Sans, Arial, sans-serif"
# A title line of the export (1,200 px less 12 px each side) in 17 px type,
# about 10.5 px a character; each further line takes this many pixels.
TITLE_CHARS = 110
TITLE_LINE_PX = 22
TITLE_BASELINE_PX = 30  # from the top of the image to a wrapped title's first baseline
# A line of the permalink under the source line (9 px type, about 5.7 px a
# character: 740 px, room for the bar labels left of it); a further line's height.
PERMALINK_CHARS = 130
PERMALINK_LINE_PX = 12
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
    shapes: MapPaths,
    classes: Classes,
    labels: list[str],
    colours: list[str],
    no_data_label: str,
    title: str,
    source_line: str,
    outlines: pd.DataFrame | None = None,
    outline_name: str = "",
    highlight: tuple[str, str] | None = None,
    height: int = 720,
    lang: str = "de",
    unit: str = "",
    legend_title: str = "",
) -> go.Figure:
    """The Karte page's map as a static figure (its PNG, SVG and PDF exports):
    one filled SVG path per class and one for "no data", drawn from the
    level's canvas map file (``shapes``, ``etl.mapfiles.svg_paths``; the
    projection of the map on the page), with a legend of the classes.

    ``frame`` has region_id and class (index or NaN); a region of the map
    without a row is "no data". ``outlines`` (region_id, …) are outlined in
    red and named ``outline_name`` in the legend; ``highlight`` (key, name)
    outlines one region, named in the legend; ``unit`` heads the legend, over
    ``legend_title`` (the Karte page: that the classes hold for every period);
    a class without a region in this period stays in the legend. Eleven paths instead of a
    plotly trace per region: 11,000 Gemeinden draw in a second. ``lang`` sets
    the figure's number format (``localise``); the labels arrive formatted.
    """
    cls = frame.set_index("region_id")["class"].reindex(list(shapes.paths))
    layers: list[tuple[str, list[str], dict]] = []  # (legend name, regions, shape style)
    for i in range(classes.k):
        layers.append((labels[i], cls.index[cls == i].tolist(), dict(fillcolor=colours[i], line=dict(color=OUTLINE, width=0.3))))
    layers.append((no_data_label, cls.index[cls.isna()].tolist(), dict(fillcolor=NO_DATA_COLOUR, line=dict(color=OUTLINE, width=0.3))))
    if outlines is not None and not outlines.empty:
        layers.append((outline_name, outlines["region_id"].tolist(), dict(fillcolor="rgba(0,0,0,0)", line=dict(color="#cc0000", width=1.6))))
    if highlight is not None:
        layers.append((html_escape(highlight[1]), [highlight[0]], dict(fillcolor="rgba(0,0,0,0)", line=dict(color=HIGHLIGHT, width=2.5))))
    fig = go.Figure()
    for i, (name, ids, style) in enumerate(layers):
        path = "".join(shapes.paths[r] for r in ids if r in shapes.paths)
        if path:
            fig.add_shape(type="path", path=path, xref="x", yref="y", fillrule="evenodd", layer="above", **style)
        elif i >= classes.k:
            continue  # no "no data", outline or highlight to name; an empty class stays in the legend
        filled = style["fillcolor"] != "rgba(0,0,0,0)"
        # The legend: a square of the class's colour (an empty trace; shapes have no legend symbol of their own).
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=name, showlegend=True, hoverinfo="skip",
            marker=dict(symbol="square" if filled else "square-open", size=13, color=style["fillcolor"] if filled else style["line"]["color"],
                        line=dict(color="#969696" if filled else style["line"]["color"], width=0.6 if filled else 2)),
        ))
    fig.update_xaxes(range=[0, shapes.width], visible=False, fixedrange=True, constrain="domain")
    fig.update_yaxes(range=[shapes.height, 0], visible=False, fixedrange=True, constrain="domain", scaleanchor="x", scaleratio=1)
    fig.update_layout(
        height=height,
        margin=dict(l=0, r=0, t=60, b=20),
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=True,
        legend=dict(title_text="<br>".join(html_escape(t) for t in (unit, legend_title) if t), title_font=dict(size=11), x=0.0, y=1.0, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.85)", itemclick=False, itemdoubleclick=False),
        dragmode=False,
    )
    return localise(with_title_and_source(fig, title, source_line), lang)


def with_title_and_source(fig: go.Figure, title: str, source_line: str) -> go.Figure:
    """Title at the top, the source line at the bottom, inside the figure.

    A title longer than a line of the export (1,200 px) is wrapped; the top
    margin and the figure grow by a line for each further line, so that the
    plot keeps its size and the title its distance from it."""
    title_text = wrap_text(html_escape(title), TITLE_CHARS)
    fig.update_layout(
        title=dict(text=title_text, x=0.01, xanchor="left", font=dict(size=17)),
        font=dict(family=FONT, size=12),
        paper_bgcolor="white",
    )
    extra = TITLE_LINE_PX * title_text.count("<br>")
    if extra:
        # Hung from the top: plotly centres only a title's first line in the
        # margin, and puts that line's baseline where the title is anchored.
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 100  # plotly's default
        height = (fig.layout.height or 450) + extra
        fig.update_layout(
            title=dict(y=1 - TITLE_BASELINE_PX / height, yref="container", yanchor="top"),
            margin=dict(t=top + extra), height=height,
        )
    text = wrap_text(html_escape(source_line), 150)
    # Below the x axis' tick labels and title where there are axes; the bottom
    # margin grows to hold every line of the source.
    cartesian = fig.layout.xaxis.visible is not False and any(
        getattr(tr, "type", "") in ("bar", "scatter", "scattergl", "box", "histogram") for tr in fig.data
    )
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


def localise(fig: go.Figure, lang: str) -> go.Figure:
    """Numbers in ``fig`` the way of ``lang`` (see ``dashboard.fmt``), and axes
    whose labels always fit into the image.

    Sets ``layout.separators`` (German: decimal comma, thousands dot), which
    every d3 format in tick and hover labels then follows. A value axis (y of
    lines, x of horizontal bars, stacked sums included) gets explicit ticks
    with compact labels once its values reach 10,000 ("35 Tsd.", never
    plotly's "35k"), else plotly's own ticks in a format without SI suffixes.
    Every cartesian axis gets ``automargin``: the margins grow with the tick
    labels instead of cutting them ("Mobilität" → "ät"); the template may not
    say so (Streamlit's template is empty, and exports use it).
    """
    fig.update_layout(separators=fmt.separators(lang))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    ranges: dict[str, list[float]] = {}
    stacks: dict[tuple[str, object], list[float]] = {}
    stacked = fig.layout.barmode in ("stack", "relative")
    for trace in fig.data:
        kind = getattr(trace, "type", "")
        if kind not in ("bar", "scatter", "scattergl"):
            continue
        horizontal = kind == "bar" and trace.orientation == "h"
        axis = _axis_name("x", trace.xaxis) if horizontal else _axis_name("y", trace.yaxis)
        values = pd.to_numeric(pd.Series(trace.x if horizontal else trace.y, dtype=object), errors="coerce")
        positions = list(trace.y if horizontal else trace.x) if (trace.y if horizontal else trace.x) is not None else list(range(len(values)))
        found = ranges.setdefault(axis, [])
        if kind == "bar":
            found.append(0.0)
            if stacked:
                for pos, v in zip(positions, values):
                    if pd.notna(v):
                        sums = stacks.setdefault((axis, pos), [0.0, 0.0])
                        sums[0 if v < 0 else 1] += float(v)
                continue
        found.extend(float(v) for v in values.dropna())
    for (axis, _), (neg, pos) in stacks.items():
        ranges[axis].extend([neg, pos])
    for shape in fig.layout.shapes or ():  # a median line belongs on the scale too
        for letter, ends in (("x", (shape.x0, shape.x1)), ("y", (shape.y0, shape.y1))):
            ref = shape[f"{letter}ref"] or letter
            axis = _axis_name(letter, ref)
            if " " not in ref and axis in ranges and all(isinstance(e, (int, float)) for e in ends):
                ranges[axis].extend(float(e) for e in ends)
    for axis, found in ranges.items():
        layout_axis = fig.layout[axis]
        if layout_axis.tickmode == "array" or not found:
            continue
        lo, hi = (layout_axis.range if layout_axis.range is not None else (min(found), max(found)))
        if max(abs(lo), abs(hi)) >= fmt.COMPACT_FROM:
            pad = 0.04 * (hi - lo)
            ticks = fmt.nice_ticks(lo - (pad if lo != 0 else 0), hi + (pad if hi != 0 else 0))
            fig.update_layout({axis: dict(tickmode="array", tickvals=ticks, ticktext=fmt.tick_labels(ticks, lang))})
        else:
            fig.update_layout({axis: dict(tickformat=fmt.AXIS_TICKFORMAT, exponentformat="none")})
    return fig


def footer_width(labels: Sequence[str], full: int = 150) -> int:
    """Characters per line of a footer (note, source line) that starts right of
    a bar chart's category labels (``labels``, 12 px) and must end inside the
    export (1,200 px; the footer's 10 px type is about 6 px a character)."""
    longest = max((len(str(x)) for x in labels), default=0)
    return max(50, min(full, 145 - round(1.25 * longest)))


def _axis_name(letter: str, ref: str | None) -> str:
    """'y2' → 'yaxis2' (the layout key of a trace's axis)."""
    suffix = (ref or letter)[1:]
    return f"{letter}axis{suffix}"


def with_permalink(fig: go.Figure, permalink: str) -> go.Figure:
    """A copy of ``fig`` with the permalink under the source line (for exports).
    A long link (many regions or filters) is broken after its ``&`` and commas
    into lines that fit the export; the bottom margin grows by its lines."""
    out = go.Figure(fig)
    lines = wrap_url(permalink, PERMALINK_CHARS)
    bottom = out.layout.margin.b or 60
    out.update_layout(margin=dict(b=bottom + 24 + PERMALINK_LINE_PX * (len(lines) - 1)))
    out.add_annotation(
        text="<br>".join(html_escape(line) for line in lines), xref="paper", yref="paper", x=0, y=0, yshift=-bottom + 6,
        xanchor="left", yanchor="top", showarrow=False, align="left", font=dict(size=9, color="#0b5394"), name="permalink",
    )
    return out


def wrap_url(url: str, width: int) -> list[str]:
    """``url`` in lines of at most ``width`` characters, broken after ``?``,
    ``&`` and commas (also as ``%2C``) where it can, else anywhere."""
    lines, line = [], ""
    for piece in re.split(r"(?<=[?&,])|(?<=%2C)", url):
        while len(piece) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line += piece
    return [*lines, line] if line else lines or [""]


def html_escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap_text(text: str, width: int) -> str:
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
