"""Karte / Map: a classed choropleth of any indicator, level and period, with
the projects of every registry on the same map and the numbers in a table below.
The indicator is chosen above the map, level, topic and classes in the
sidebar; a period slider below the map plays it, in the classes of all its
periods at once. The first view is the map; the choices and all below the map
follow once it is drawn (``map_ui.first_view``, issue 14)."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, describe, fmt, map_ui, mapview, projects_overlay, state, ui
from dashboard.fmt import locale_tag
from dashboard.i18n import fmt_number, lang, pick, t
from dashboard.state import Param
from etl.catalogue import TOPICS


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
K_DRAWN = f"{PAGE}.map_drawn"  # the map of this session has been drawn once

v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
state.choose(PAGE, P_LEVEL, LEVELS)
mapview.prefetch(data.map_shapes(v, st.session_state[state.key(PAGE, P_LEVEL)])[0], key="karte.shapes", where=st.sidebar)
st.title(t("page_map"))
indicator_row = st.container(height=map_ui.CHOICE_ROW_PX, border=False)  # the indicator's names are long: the page's width

inds = data.indicators(v)
# The first view is the map: the sidebar's choices and what is below the map follow once it is drawn.
on_drawn = map_ui.first_view(PAGE, K_DRAWN)
first_view = on_drawn is not None
if not first_view:
    st.sidebar.markdown(f"**{t('map_shows')}**")
level = map_ui.choice(PAGE, P_LEVEL, LEVELS, t("level"), lambda lv: t(f"level_{lv}"), not first_view)
at_level = data.coverage_at(v, level)
available = inds[inds["indicator_id"].isin(at_level["indicator_id"])]
if available.empty:
    ui.empty()
    state.stop(PAGE, PARAMS)
topics = list(dict.fromkeys(available["topic"]))
state.imply(PAGE, P_IND, P_TOPIC, dict(zip(available["indicator_id"], available["topic"])))
topic = map_ui.choice(PAGE, P_TOPIC, topics, t("topic"), lambda k: pick(*TOPICS.get(k, (k, k))), not first_view, default="broadband")
choices = available[available["topic"] == topic]
labels = {i: f"{pick(de, en)} ({u})" for i, de, en, u in zip(choices.index, choices["title_de"], choices["title_en"], choices["unit_en" if lang() == "en" else "unit"])}
# Households with ≥ 50 Mbit/s: the broadband figure policymakers ask for first.
indicator_id = map_ui.choice(PAGE, P_IND, list(labels), t("indicator"), labels.get, not first_view, default="bb_hh_all_50", where=indicator_row)
period_options, period_types = map_ui.period_choices(at_level, indicator_id)
state.choose(PAGE, P_PERIOD, period_options, default=period_options[-1] if period_options else None)
period_label = lambda p: ui.period_label(p, period_types[p])  # noqa: E731

ind = inds.loc[indicator_id]
(method, k, manual), overlay = map_ui.side_controls(v, PAGE, P_CLS, P_K, P_BREAKS, not first_view)

# One set of classes for every period of the indicator at this level.
classes = data.period_classes(v, indicator_id, level, method, k, tuple(manual) if manual else None)
decimals = int(ind["decimals"])
unit = fmt.unit(ind, lang())
number = lambda x: fmt_number(x, decimals)  # noqa: E731
class_labels = charts.class_labels(classes, number)
colours = charts.palette(classes.k, reverse=(ind["better"] == "lower"))
fixed_note = t("map_classes_fixed", first=period_label(period_options[0]), last=period_label(period_options[-1])) if len(period_options) > 1 else ""


def choose_region(region_id: str) -> None:
    map_ui.pause(PAGE)
    st.session_state[K_SEL] = region_id or None


runs: list[str] = []  # the periods the fragment below showed since this page run


@st.fragment(run_every=map_ui.play_interval(PAGE, level))
def period_map() -> None:
    """Everything that depends on the period; rerun alone while the map plays."""
    if first_view and st.session_state.get(K_DRAWN):
        st.rerun()  # the first view's map is drawn: the whole page, sidebar included
    shown = st.container()  # the map, with the period slider below it (not in the first view)
    period = st.session_state[state.key(PAGE, P_PERIOD)] if first_view else map_ui.period_player(PAGE, P_PERIOD, period_options, period_label, tick=bool(runs))
    runs.append(period)
    frame = data.values(v, indicator_id, level, period).copy()
    has_value = frame["value"].notna()
    if not has_value.any():
        ui.empty()
        return state.write_url(PAGE, PARAMS)
    frame["class"] = classes.assign(frame["value"])
    frame["rank"] = frame["value"].rank(ascending=ind["better"] == "lower", method="min")
    # Send no more digits than the indicator shows: the values go over the wire on every rerun.
    frame["value"] = frame["value"].round(decimals)
    n_ranked = int(has_value.sum())
    frame["no_data_text"] = map_ui.no_data_texts(v, frame)
    source_ids = [*([s for s in frame["source_id"].dropna().unique()] or ind["source_ids"].split(",")), "bkg_vg5000"]
    title = f"{pick(ind['title_de'], ind['title_en'])}, {t('level_' + level)}, {period_label(period)}"
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
        title=title, source=line, unit=unit, decimals=decimals, locale=locale_tag(lang()), n_ranked=n_ranked, legend_note=fixed_note,
        text=map_ui.map_texts(),
        outlines=outlines, outline_label=t("projects_on_map"), selected=selected,
    )

    def export_figure():
        """The same map as a plotly figure, for the PNG, SVG and PDF downloads."""
        return charts.choropleth(
            frame, data.map_paths(v, level), classes, class_labels, colours, t("no_data"), title, line,
            outlines=outlines, outline_name=t("projects_on_map"), legend_title=fixed_note,
            highlight=(selected, str(data.regions(v)["name"].get(selected, selected))) if selected else None, lang=lang(), unit=unit,
        )

    state.write_url(PAGE, PARAMS)  # the period shown, also while playing
    with shown:
        ui.flag_note(v, frame["flag"])  # what changes the meaning of the numbers, said above the map
        mapview.show(shown_map, key="karte.map", on_click=choose_region, on_drawn=on_drawn)
    if first_view:
        return map_ui.period_shown(PAGE, level, period)
    permalink = state.permalink(PAGE, PAGE, PARAMS)
    table = frame.assign(unit=unit)[["region_id", "name", "type", "value", "unit", "rank", "flag", "source_id"]].sort_values(["rank", "region_id"])
    st.caption(t("map_hint"))
    if selected:
        map_ui.chosen_region(v, frame, selected, unit, n_ranked, number, choose_region)
    ui.downloads(export_figure, table, f"dsr_{indicator_id}_{level}_{period}", permalink, key="map", indicator_id=indicator_id, period=period,
                 shown=describe.Shown(kind="map", title=title, period_text=period_label(period)))
    ui.indicator_notes(v, indicator_id)
    map_ui.data_table(table, decimals)
    ui.caption_sources(v, source_ids)
    if outlines is not None and not outlines.empty:
        projects_overlay.table(outlines)
    map_ui.period_shown(PAGE, level, period)


period_map()
state.sync(PAGE, PARAMS)
