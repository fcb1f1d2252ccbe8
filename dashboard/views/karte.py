"""Karte / Map: a classed choropleth of any indicator, level and period, with
the projects of every registry on the same map and the numbers in a table below."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, mapview, projects_overlay, state, ui
from dashboard.i18n import fmt_number, lang, md_escape, pick, register, t
from dashboard.state import Param

register({
    "map_zoom_in": ("Hineinzoomen", "Zoom in"),
    "map_zoom_out": ("Herauszoomen", "Zoom out"),
    "map_zoom_reset": ("Ganz Deutschland", "All of Germany"),
    "map_error": ("Die Karte konnte nicht geladen werden", "The map could not be loaded"),
    "map_hint": (
        "Zeigen Sie auf eine Region für Wert und Rang, klicken Sie sie an für Steckbrief und Vergleich. Verschieben durch Ziehen; zoomen mit + und −, Doppelklick oder Strg + Mausrad.",
        "Point at a region for its value and rank, click it for its profile and comparison. Drag to move; zoom with + and −, a double click or Ctrl + mouse wheel.",
    ),
    "map_selected": ("Gewählt", "Selected"),
    "map_open_profile": ("Steckbrief von {name}", "Profile of {name}"),
    "map_compare": ("{name} vergleichen", "Compare {name}"),
    "map_clear": ("Auswahl aufheben", "Clear selection"),
})

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
labels = {i: f"{pick(de, en)} ({unit})" for i, de, en, unit in zip(choices.index, choices["title_de"], choices["title_en"], choices["unit"])}
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
    st.markdown(f"**{t('classification')}**")
    methods = ["quantile", "equal", "jenks", "manual"]
    state.choose(PAGE, P_CLS, methods)
    method = st.radio(t("classification"), methods, format_func=lambda m: t(f"cls_{m}"), key=state.key(PAGE, P_CLS), label_visibility="collapsed")
    state.choose(PAGE, P_K, [3, 4, 5, 6, 7], default=5)
    k = st.select_slider(t("classes"), options=[3, 4, 5, 6, 7], key=state.key(PAGE, P_K))
    manual_text = ""
    if method == "manual":
        manual_text = st.text_input(t("manual_breaks"), key=state.key(PAGE, P_BREAKS), placeholder=t("manual_breaks_help"))
    overlay = projects_overlay.controls(v, PAGE)

frame = data.values(v, indicator_id, level, period).copy()
has_value = frame["value"].notna()
if not has_value.any():
    ui.empty()
    state.stop(PAGE, PARAMS)

manual = None
if method == "manual":
    try:
        manual = [float(x.replace(",", ".")) for x in manual_text.split(";") if x.strip()]
        if manual != sorted(manual) or len(set(manual)) != len(manual):
            raise ValueError
    except ValueError:
        st.warning(t("manual_breaks_invalid"))
        manual, method = None, "quantile"
    if not manual:
        method = "quantile"
classes = charts.classify(frame["value"], method, k, manual)
frame["class"] = classes.assign(frame["value"])
ascending = ind["better"] == "lower"
frame["rank"] = frame["value"].rank(ascending=ascending, method="min")
# Send no more digits than the indicator shows: the values go over the wire on every rerun.
frame["value"] = frame["value"].round(int(ind["decimals"]))
n_ranked = int(has_value.sum())
decimals = int(ind["decimals"])
unit = ind["unit"]
fl = data.flags(v)
flag_label = {f: pick(fl.loc[f, "label_de"], fl.loc[f, "label_en"]) for f in fl.index}
frame["no_data_text"] = t("no_data")
flagged_missing = frame["flag"].notna() & frame["value"].isna()
frame.loc[flagged_missing, "no_data_text"] = t("no_data") + ": " + frame.loc[flagged_missing, "flag"].map(flag_label).astype(str)

source_ids = [s for s in frame["source_id"].dropna().unique()] or ind["source_ids"].split(",")
source_ids = [*source_ids, "bkg_vg5000"]
title = f"{pick(ind['title_de'], ind['title_en'])}, {t('level_' + level)}, {ui.period_label(period, period_types[period])}"
fmt = lambda x: fmt_number(x, decimals)  # noqa: E731
class_labels = charts.class_labels(classes, fmt)
colours = charts.palette(classes.k, reverse=(ind["better"] == "lower"))
outlines = projects_overlay.outlines(v, overlay, level, frame) if overlay else None
if outlines is not None and not outlines.empty:
    source_ids += projects_overlay.source_ids(overlay)
line = ui.source_line(v, source_ids)
map_url, map_ids = data.map_shapes(v, level)
# A region chosen at another level stays chosen as the region containing it.
selected = st.session_state[K_SEL] = mapview.selection_at(st.session_state.get(K_SEL), set(map_ids))
shown_map = mapview.payload(
    frame, map_ids, map_url,
    colours=colours, labels=class_labels, no_data_colour=charts.NO_DATA_COLOUR, highlight_colour=charts.HIGHLIGHT,
    title=title, source=line, unit=unit, decimals=decimals, locale="de-DE" if lang() == "de" else "en-GB",
    n_ranked=n_ranked,
    text={"no_data": t("no_data"), "rank": t("rank"), "zoom_in": t("map_zoom_in"), "zoom_out": t("map_zoom_out"), "zoom_reset": t("map_zoom_reset"), "error": t("map_error")},
    outlines=outlines, outline_label=t("projects_on_map"), selected=selected,
)


def export_figure():
    """The same map as a plotly figure, for the PNG, SVG and PDF downloads."""
    unit_html = unit.replace("&", "&amp;").replace("<", "&lt;")
    hover = f"<b>%{{properties.n}}</b> (%{{location}})<br>%{{customdata[0]:,.{decimals}f}} {unit_html}<br>{t('rank')} %{{customdata[1]}} / {n_ranked}<extra></extra>"
    fig = charts.choropleth(
        frame, data.shapes_geojson(v, level), classes, class_labels, colours, t("no_data"), hover, title, line,
        outlines=outlines, outline_name=t("projects_on_map"),
        highlight=(selected, str(data.regions(v)["name"].get(selected, selected))) if selected else None,
    )
    return fig.update_layout(separators=",." if lang() == "de" else ".,")

# What changes the meaning of the numbers, said above the map.
flagged = frame[frame["flag"].notna()]
if not flagged.empty:
    not_reported = int((flagged["flag"] == "not_reported").sum())
    if not_reported:
        st.warning(t("not_reported_note", n=not_reported))
    other = flagged[flagged["flag"] != "not_reported"]["flag"].value_counts()
    if not other.empty:
        st.caption(t("flagged_note", n=int(other.sum()), flags=", ".join(f"{pick(fl.loc[f, 'label_de'], fl.loc[f, 'label_en'])} ({n})" for f, n in other.items())))

def choose_region(region_id: str) -> None:
    st.session_state[K_SEL] = region_id or None


permalink = state.permalink(PAGE, PAGE, PARAMS)
table = frame.assign(unit=unit)[["region_id", "name", "type", "value", "unit", "rank", "flag", "source_id"]].sort_values(["rank", "region_id"])
mapview.show(shown_map, key="karte.map", on_click=choose_region)
st.caption(t("map_hint"))
if selected:
    chosen = frame.set_index("region_id").loc[selected] if selected in set(frame["region_id"]) else None
    name = str(data.regions(v)["name"].get(selected, selected))
    if chosen is not None and chosen["value"] == chosen["value"]:
        figure = f"{fmt(chosen['value'])} {md_escape(unit)} · {t('rank')} {int(chosen['rank'])} / {n_ranked}"
    else:
        figure = md_escape(t("no_data") if chosen is None else chosen["no_data_text"])
    st.markdown(f"**{t('map_selected')}: {md_escape(name)}** ({selected}) · {figure}")
    c1, c2, c3 = st.columns([2, 2, 1])
    with c1:
        st.page_link("views/steckbrief.py", label=t("map_open_profile", name=md_escape(name)), query_params={"region": selected}, icon=":material/article:")
    with c2:
        st.page_link("views/vergleich.py", label=t("map_compare", name=md_escape(name)), query_params={"regions": selected}, icon=":material/compare_arrows:")
    with c3:
        st.button(t("map_clear"), key="karte.clear", on_click=choose_region, args=("",), type="tertiary", icon=":material/close:")
ui.downloads(export_figure, table, f"dsr_{indicator_id}_{level}_{period}", permalink, key="map")
ui.indicator_notes(v, indicator_id)

# The table loads when opened: at Gemeinde level it has 11,000 rows, and
# neither the wire nor the browser should pay for them before the map shows.
with st.expander(t("data_table"), icon=":material/table:", key="karte.table", on_change="rerun") as table_box:
    if table_box.open:
        shown = table.rename(columns={"region_id": t("key"), "name": t("name"), "type": t("type"), "value": t("value"), "unit": t("unit"), "rank": t("rank"), "flag": t("flag"), "source_id": t("source")})
        st.dataframe(shown, hide_index=True, width="stretch", height=360)
ui.caption_sources(v, source_ids)
if outlines is not None and not outlines.empty:
    projects_overlay.table(outlines)
state.sync(PAGE, PARAMS)
