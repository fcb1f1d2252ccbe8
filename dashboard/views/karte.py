"""Karte / Map: a classed choropleth of any indicator, level and period, with
the projects of every registry on the same map and the numbers in a table below."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, fmt, map_ui, mapview, projects_overlay, state, ui
from dashboard.fmt import d3_number, locale_tag
from dashboard.i18n import fmt_number, lang, pick, t
from dashboard.state import Param


PAGE = "karte"
LEVELS = ("land", "kreis", "verband", "gemeinde")
P_LEVEL = Param("level", "kreis")
P_TOPIC = Param("topic", None)
P_IND = Param("ind", None)
P_PERIOD = Param("period", None)
P_CLS = Param("cls", "quantile")
P_K = Param("k", 5, "int")
P_BREAKS = Param("breaks", "")
P_SEL = Param("sel", None)  # a region chosen on the map
PARAMS = [P_LEVEL, P_TOPIC, P_IND, P_PERIOD, P_CLS, P_K, P_BREAKS, P_SEL, *projects_overlay.PARAMS]
K_SEL = state.key(PAGE, P_SEL)

v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
st.title(t("page_map"))

inds = data.indicators(v)

c1, c2, c3, c4 = st.columns([1, 1.2, 2.6, 1.2])
with c1:
    state.choose(PAGE, P_LEVEL, LEVELS)
    level = st.selectbox(t("level"), LEVELS, format_func=lambda lv: t(f"level_{lv}"), key=state.key(PAGE, P_LEVEL))
at_level = data.coverage_at(v, level)
available = inds[inds["indicator_id"].isin(at_level["indicator_id"])]
if available.empty:
    ui.empty()
    state.stop(PAGE, PARAMS)
topics = list(dict.fromkeys(available["topic"]))
from etl.catalogue import TOPICS  # noqa: E402  (labels of topics)

with c2:
    state.imply(PAGE, P_IND, P_TOPIC, dict(zip(available["indicator_id"], available["topic"])))
    state.choose(PAGE, P_TOPIC, topics, default="broadband")
    topic = st.selectbox(t("topic"), topics, format_func=lambda k: pick(*TOPICS.get(k, (k, k))), key=state.key(PAGE, P_TOPIC))
choices = available[available["topic"] == topic]
labels = {i: f"{pick(de, en)} ({u})" for i, de, en, u in zip(choices.index, choices["title_de"], choices["title_en"], choices["unit_en" if lang() == "en" else "unit"])}
with c3:
    # Households with ≥ 50 Mbit/s: the broadband figure policymakers ask for first.
    state.choose(PAGE, P_IND, list(labels), default="bb_hh_all_50")
    indicator_id = st.selectbox(t("indicator"), list(labels), format_func=labels.get, key=state.key(PAGE, P_IND))
periods = at_level[at_level["indicator_id"] == indicator_id].sort_values("period")
period_options = [str(p) for p in periods["period"]]
period_types = dict(zip(period_options, periods["period_type"]))
with c4:
    state.choose(PAGE, P_PERIOD, period_options, default=period_options[-1] if period_options else None)
    period = st.selectbox(t("period"), period_options, format_func=lambda p: ui.period_label(p, period_types[p]), key=state.key(PAGE, P_PERIOD))

ind = inds.loc[indicator_id]
with st.sidebar:
    method, k, manual = map_ui.classification_controls(PAGE, P_CLS, P_K, P_BREAKS)
    overlay = projects_overlay.controls(v, PAGE)

frame = data.values(v, indicator_id, level, period).copy()
has_value = frame["value"].notna()
if not has_value.any():
    ui.empty()
    state.stop(PAGE, PARAMS)

classes = charts.classify(frame["value"], method, k, manual)
frame["class"] = classes.assign(frame["value"])
ascending = ind["better"] == "lower"
frame["rank"] = frame["value"].rank(ascending=ascending, method="min")
# Send no more digits than the indicator shows: the values go over the wire on every rerun.
frame["value"] = frame["value"].round(int(ind["decimals"]))
n_ranked = int(has_value.sum())
decimals = int(ind["decimals"])
unit = fmt.unit(ind, lang())
frame["no_data_text"] = map_ui.no_data_texts(v, frame)

source_ids = [s for s in frame["source_id"].dropna().unique()] or ind["source_ids"].split(",")
source_ids = [*source_ids, "bkg_vg5000"]
title = f"{pick(ind['title_de'], ind['title_en'])}, {t('level_' + level)}, {ui.period_label(period, period_types[period])}"
number = lambda x: fmt_number(x, decimals)  # noqa: E731
class_labels = charts.class_labels(classes, number)
colours = charts.palette(classes.k, reverse=(ind["better"] == "lower"))
outlines = projects_overlay.outlines(v, overlay, level, frame) if overlay else None
if outlines is not None and not outlines.empty:
    source_ids += projects_overlay.source_ids(overlay, data.project_assignments(v))
line = ui.source_line(v, source_ids)
map_url, map_ids = data.map_shapes(v, level)
# A region chosen at another level stays chosen as the region containing it.
selected = st.session_state[K_SEL] = mapview.selection_at(st.session_state.get(K_SEL), set(map_ids))
shown_map = mapview.payload(
    frame, map_ids, map_url,
    colours=colours, labels=class_labels, no_data_colour=charts.NO_DATA_COLOUR, highlight_colour=charts.HIGHLIGHT,
    title=title, source=line, unit=unit, decimals=decimals, locale=locale_tag(lang()),
    n_ranked=n_ranked,
    text={"no_data": t("no_data"), "rank": t("rank"), "zoom_in": t("map_zoom_in"), "zoom_out": t("map_zoom_out"), "zoom_reset": t("map_zoom_reset"), "error": t("map_error")},
    outlines=outlines, outline_label=t("projects_on_map"), selected=selected,
)


def export_figure():
    """The same map as a plotly figure, for the PNG, SVG and PDF downloads."""
    unit_html = unit.replace("&", "&amp;").replace("<", "&lt;")
    hover = f"<b>%{{properties.n}}</b> (%{{location}})<br>%{{customdata[0]:{d3_number(decimals)}}} {unit_html}<br>{t('rank')} %{{customdata[1]:{d3_number(0)}}} / {fmt_number(n_ranked, 0)}<extra></extra>"
    fig = charts.choropleth(
        frame, data.shapes_geojson(v, level), classes, class_labels, colours, t("no_data"), hover, title, line,
        outlines=outlines, outline_name=t("projects_on_map"),
        highlight=(selected, str(data.regions(v)["name"].get(selected, selected))) if selected else None, lang=lang(), unit=unit,
    )
    return fig

ui.flag_note(v, frame["flag"])  # what changes the meaning of the numbers, said above the map


def choose_region(region_id: str) -> None:
    st.session_state[K_SEL] = region_id or None


permalink = state.permalink(PAGE, PAGE, PARAMS)
table = frame.assign(unit=unit)[["region_id", "name", "type", "value", "unit", "rank", "flag", "source_id"]].sort_values(["rank", "region_id"])
mapview.show(shown_map, key="karte.map", on_click=choose_region)
st.caption(t("map_hint"))
if selected:
    map_ui.chosen_region(v, frame, selected, unit, n_ranked, number, choose_region)
ui.downloads(export_figure, table, f"dsr_{indicator_id}_{level}_{period}", permalink, key="map", indicator_id=indicator_id, period=period)
ui.indicator_notes(v, indicator_id)

map_ui.data_table(table, decimals)
ui.caption_sources(v, source_ids)
if outlines is not None and not outlines.empty:
    projects_overlay.table(outlines)
state.sync(PAGE, PARAMS)
