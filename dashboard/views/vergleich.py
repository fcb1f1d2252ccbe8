"""Vergleich / Compare: up to six regions, or one region and its peer group, on
one indicator: the gap to the peers' median, ranks and rank changes between two
periods, and the digital projects each of them ran."""

from __future__ import annotations

import streamlit as st

from dashboard import compare, compare_ui, data, describe, fmt, peers, state, ui
from dashboard.i18n import lang, md_escape, pick, t
from dashboard.state import Param
from etl.catalogue import LEVELS


PAGE = "vergleich"
P_REGIONS = Param("regions", [], "list")
P_PEERS = Param("peers", [], "list")
P_ANCHOR = Param("anchor", None)
P_TOPIC = Param("topic", None)
P_IND = Param("ind", None)
P_A = Param("pa", None)
P_B = Param("pb", None)
PARAMS = [P_REGIONS, P_PEERS, P_ANCHOR, P_TOPIC, P_IND, P_A, P_B]
CHART_ALL_UP_TO = 30  # bars in the chart; a bigger peer group shows the anchor among its nearest in rank
WINDOW = 15
# "level" alone: every region of the anchor's level; the others narrow it (dashboard.peers).
PEER_OPTIONS = ["level", *peers.CRITERIA]


v = ui.require_warehouse()
# Links made before criteria could be combined (?peer=type, ?peer=population) open the same group.
if "peer" in st.query_params and "peers" not in st.query_params:
    former = st.query_params.pop("peer")
    if former in PEER_OPTIONS or former == "population":
        st.query_params["peers"] = "size" if former == "population" else former
state.restore(PAGE, PARAMS)
st.title(t("page_compare"))
st.caption(t("cmp_intro"))

regions = data.regions(v)
inds = data.indicators(v)
labels = compare_ui.labels(v)

selected = compare_ui.region_picker(v, PAGE, P_REGIONS)
c1, c2 = st.columns([1.6, 1.4])
with c1:
    state.choose(PAGE, P_PEERS, PEER_OPTIONS)
    criteria = st.multiselect(
        t("peer_group"), PEER_OPTIONS, format_func={k: t(f"peer_{k}") for k in PEER_OPTIONS}.get,
        key=state.key(PAGE, P_PEERS), help=t("cmp_peers_help"), placeholder=t("peer_none"),
    )
anchor = None
if criteria and selected:
    state.choose(PAGE, P_ANCHOR, selected, default=selected[0])
    with c2:
        anchor = st.selectbox(t("cmp_anchor"), selected, format_func=lambda r: labels.get(r, r), key=state.key(PAGE, P_ANCHOR))

if not selected:
    ui.empty("cmp_pick_regions")
    state.stop(PAGE, PARAMS)

# --- the group: the selection itself, or the anchor and its peers (dashboard.peers, no relaxing:
# the group is exactly what the criteria say, so a Steckbrief's link rebuilds its group)
if not criteria:
    group = list(selected)
    median_of = group
    shown = group
else:
    peer_group = compare_ui.peer_group(v, anchor, peers.clean_criteria(criteria), relax=False)
    if not peer_group.ids:
        st.info(t("cmp_no_peers", name=md_escape(regions.loc[anchor, "name"])))
        state.stop(PAGE, PARAMS)
    group = [anchor, *peer_group.ids]
    median_of = list(peer_group.ids)
    shown = group  # narrowed to a window around the anchor below when the group is big
    st.caption(f"{md_escape(compare_ui.peer_description(peer_group, regions))} {t('cmp_peer_note', name=md_escape(labels.get(anchor, anchor)))}")

levels = tuple(lv for lv in LEVELS if lv in set(regions.loc[group, "level"]))

# --- indicator and periods
c1, c2, c3, c4 = st.columns([1, 2.6, 1, 1])
indicator_id = compare_ui.indicator_picker(v, PAGE, P_TOPIC, P_IND, levels, c1, c2)
if indicator_id is None:
    ui.empty()
    state.stop(PAGE, PARAMS)
ind = inds.loc[indicator_id]
cov = data.coverage(v)
ind_cov = cov[(cov["indicator_id"] == indicator_id) & (cov["n_values"] > 0) & cov["level"].isin(levels)]
period_types = dict(zip(ind_cov["period"], ind_cov["period_type"]))
period_options = sorted(period_types)
main_level = regions.loc[anchor, "level"] if anchor else levels[0]
counts = ind_cov[ind_cov["level"] == main_level].groupby("period")["n_values"].sum().sort_index()
if counts.empty:
    counts = ind_cov.groupby("period")["n_values"].sum().sort_index()
# Labels computed now, not in a lambda: the format function must not depend on the session (AppTest calls it outside).
period_labels = {p: compare.period_text(p, period_types[p], lang()) for p in period_options}
fmt_period = period_labels.get
with c4:
    state.choose(PAGE, P_B, period_options, default=str(counts.index[-1]))
    period_b = st.selectbox(t("cmp_period_b"), period_options, format_func=fmt_period, key=state.key(PAGE, P_B))
with c3:
    state.choose(PAGE, P_A, period_options, default=compare.default_period_a(counts, period_b))
    period_a = st.selectbox(t("cmp_period_a"), period_options, format_func=fmt_period, key=state.key(PAGE, P_A))

# --- values, median, gaps, ranks
frame_b = compare_ui.level_values(v, indicator_id, levels, period_b)
frame_a = compare_ui.level_values(v, indicator_id, levels, period_a)
table, median = compare.comparison_table(frame_a, frame_b, group, median_of, regions, ind["better"])

if len(group) > CHART_ALL_UP_TO and anchor:
    ordered = list(table["region_id"])
    shown = compare.window_around(ordered, anchor, WINDOW)
    st.caption(t("cmp_window", name=md_escape(regions.loc[anchor, "name"]), k=len(shown) - 1, n=len(group)))
elif not criteria:
    st.caption(t("cmp_own_note"))
if len(levels) > 1:
    st.caption(t("cmp_mixed_levels", levels=", ".join(t(f"level1_{lv}") for lv in levels)))

unit = fmt.unit(ind, lang())
decimals = int(ind["decimals"])
gunit = compare.gap_unit(unit, lang())
no_value = describe.names(table, "name")[table["value"].isna()]
if len(no_value):  # named, as in the chart ("keine Daten" at their place) and the table
    st.caption(t("cmp_values_missing", n=len(no_value), names=md_escape(describe.listing(no_value, lang()))))
source_ids = [s for s in frame_b.set_index("region_id").reindex(group)["source_id"].dropna().unique()] or str(ind["source_ids"]).split(",")
title = f"{pick(ind['title_de'], ind['title_en'])}, {fmt_period(period_b)}"
fig = compare_ui.gap_chart(table, shown, anchor, ind, median, title, ui.source_line(v, source_ids))

ui.flag_note(v, table["flag_b"])  # what changes the meaning of the numbers, said above the chart
export = table.assign(unit=unit, period_a=period_a, period_b=period_b)[
    ["region_id", "name", "level", "value", "unit", "median", "gap", "gap_pct", "period_b", "value_a", "period_a",
     "rank_a", "n_a", "rank_b", "n_b", "change", "group_rank_a", "group_rank_b", "group_change", "flag_b"]
].rename(columns={"value": "value_b"})
permalink = state.permalink(PAGE, PAGE, PARAMS)
drawn = describe.Shown(value="value_b", period="period_b", period_text=fmt_period(period_b))
ui.chart_block(fig, export, f"dsr_vergleich_{indicator_id}_{period_b}", permalink, key="cmp", indicator_id=indicator_id, shown=drawn)
ui.caption_sources(v, source_ids)
ui.indicator_notes(v, indicator_id)

compare_ui.ranking_section(table, ind, len(group), median, gunit, period_a, period_b)
compare_ui.projects_section(v, shown)

state.sync(PAGE, PARAMS)
