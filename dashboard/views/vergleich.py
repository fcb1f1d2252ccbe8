"""Vergleich / Compare: up to six regions, or one region and its peer group, on
one indicator: the gap to the peers' median, ranks and rank changes between two
periods, and the digital projects each of them ran."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts_compare, compare, compare_ui, data, fmt, peers, state, ui
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
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
by_id_b = frame_b.set_index("region_id")
values_b = by_id_b["value"].reindex(group)
median, gaps = compare.gaps_to_median(values_b, median_of)
ranks = compare.rank_change_table(frame_a, frame_b, group, ind["better"])
table = gaps.merge(ranks.drop(columns=["value_b"]), on="region_id")
table.insert(1, "name", [regions.loc[r, "name"] for r in table["region_id"]])
table.insert(2, "level", [regions.loc[r, "level"] for r in table["region_id"]])
table["median"] = median
table["flag_b"] = by_id_b["flag"].reindex(table["region_id"]).to_numpy()
table = table.sort_values(["group_rank_b", "region_id"], na_position="last").reset_index(drop=True)

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
no_value = int(values_b.isna().sum())
if no_value:
    st.caption(t("cmp_values_missing", n=no_value))


def _signed(x: float, digits: int) -> str:
    if pd.isna(x):
        return "–"
    return ("+" if x > 0 else "") + fmt_number(x, digits)


chart_rows = table.set_index("region_id").loc[shown].reset_index()
chart_rows = chart_rows.sort_values("value", ascending=(ind["better"] == "lower"), na_position="last")
chart_frame = pd.DataFrame(
    {
        "label": [compare_ui.short_name(regions, r) for r in chart_rows["region_id"]],
        "value": chart_rows["value"].to_numpy(),
        "text": [f"{fmt_number(x, decimals)} ({_signed(g, decimals)})" for x, g in zip(chart_rows["value"], chart_rows["gap"])],
        "hover": [
            f"{t('value')}: {fmt_number(x, decimals)} {unit}<br>{t('cmp_median_col')}: {fmt_number(median, decimals)} {unit}"
            f"<br>{t('cmp_gap')}: {_signed(g, decimals)} {gunit} ({fmt.percent(p, 1, lang(), signed=True)})"
            for x, g, p in zip(chart_rows["value"], chart_rows["gap"], chart_rows["gap_pct"])
        ],
        "highlight": (chart_rows["region_id"] == anchor).to_numpy(),
    }
)
source_ids = [s for s in by_id_b.reindex(group)["source_id"].dropna().unique()] or str(ind["source_ids"]).split(",")
line = ui.source_line(v, source_ids)
title = f"{pick(ind['title_de'], ind['title_en'])}, {fmt_period(period_b)}"
fig = charts_compare.gap_bar_chart(
    chart_frame, median, title, line, f"{pick(ind['title_de'], ind['title_en'])} ({unit})",
    t("cmp_median_value", value=f"{fmt_number(median, decimals)} {unit}"), t("no_data"),
    lang=lang(),
)

# What changes the meaning of the numbers, said above the chart.
flagged = table[table["flag_b"].notna()]
if not flagged.empty:
    fl = data.flags(v)
    counts_flag = flagged["flag_b"].value_counts()
    st.caption(t("flagged_note", n=int(counts_flag.sum()), flags=", ".join(
        f"{pick(fl.loc[f, 'label_de'], fl.loc[f, 'label_en']) if f in fl.index else f} ({n})" for f, n in counts_flag.items())))

export = table.assign(unit=unit, period_a=period_a, period_b=period_b)[
    ["region_id", "name", "level", "value", "unit", "median", "gap", "gap_pct", "period_b", "value_a", "period_a",
     "rank_a", "n_a", "rank_b", "n_b", "change", "group_rank_a", "group_rank_b", "group_change", "flag_b"]
].rename(columns={"value": "value_b"})
permalink = state.permalink(PAGE, PAGE, PARAMS)
ui.chart_block(fig, export, f"dsr_vergleich_{indicator_id}_{period_b}", permalink, key="cmp", indicator_id=indicator_id)
ui.caption_sources(v, source_ids)
ui.indicator_notes(v, indicator_id)

# --- ranking table
st.subheader(t("cmp_ranking"))
st.caption(t("cmp_rank_help", best=t(f"cmp_best_{ind['better']}")))
breaks = compare.breaks_between(compare.parse_breaks(ind["breaks"]), period_a, period_b)
for b in breaks:
    st.warning(t("cmp_break_between", date=md_escape(compare.period_text(b["date"], "year", lang())), text=md_escape(pick(b["explanation_de"], b["explanation_en"]))))
if period_a == period_b:
    st.caption(t("cmp_same_period"))


def _rank_text(rank: float, n: float) -> str:
    return "–" if pd.isna(rank) else f"{int(rank)} {t('cmp_rank_of')} {int(n)}"


def _change_text(x: float) -> str:
    if pd.isna(x):
        return "–"
    return f"▲ {int(x)}" if x > 0 else (f"▼ {int(-x)}" if x < 0 else "=")


shown_table = pd.DataFrame(
    {
        t("name"): table["name"],
        t("key"): table["region_id"],
        t("cmp_value_b"): [fmt_number(x, decimals) for x in table["value"]],
        t("cmp_median_col"): fmt_number(median, decimals),
        f"{t('cmp_gap')} ({gunit})": [_signed(x, decimals) for x in table["gap"]],
        t("cmp_gap_pct"): [_signed(x, 1) for x in table["gap_pct"]],
        t("cmp_value_a"): [fmt_number(x, decimals) for x in table["value_a"]],
        t("cmp_rank_a"): [_rank_text(r, n) for r, n in zip(table["rank_a"], table["n_a"])],
        t("cmp_rank_b"): [_rank_text(r, n) for r, n in zip(table["rank_b"], table["n_b"])],
        t("cmp_change"): [_change_text(x) for x in table["change"]],
        t("cmp_group_rank_a"): [_rank_text(r, len(group) - int(pd.isna(table["value_a"]).sum())) for r in table["group_rank_a"]],
        t("cmp_group_rank_b"): [_rank_text(r, len(group) - int(pd.isna(table["value"]).sum())) for r in table["group_rank_b"]],
        t("cmp_group_change"): [_change_text(x) for x in table["group_change"]],
    }
)
st.dataframe(shown_table, hide_index=True, width="stretch", height=min(420, 40 + 35 * len(shown_table)))

# --- projects of the regions in the chart
st.subheader(t("cmp_projects_title"))
projects = data.table(v, "projects")
links = data.table(v, "project_regions")
if projects is None or links is None:
    st.caption(t("cmp_projects_missing"))
else:
    ran = compare.projects_of_regions(projects, links, shown)
    if ran.empty:
        st.caption(t("cmp_projects_none"))
    else:
        summary = ran.groupby("region_id").agg(n=("project_id", "size"), registries=("registry_id", lambda s: ", ".join(sorted(set(s)))))
        summary = summary.reindex(shown).fillna({"n": 0, "registries": ""})
        st.dataframe(
            pd.DataFrame({t("name"): [compare_ui.short_name(regions, r) for r in summary.index], t("n_projects"): summary["n"].astype(int).to_numpy(), t("registry"): summary["registries"].to_numpy()}),
            hide_index=True, width="stretch",
        )
        detail = pd.DataFrame(
            {
                t("name"): [compare_ui.short_name(regions, r) for r in ran["region_id"]],
                t("cmp_title_col"): ran["title"].to_numpy() if "title" in ran else ran["project_id"].to_numpy(),
                t("registry"): ran["registry_id"].to_numpy(),
                t("round"): ran["round"].to_numpy() if "round" in ran else None,
                t("category"): ran["category"].to_numpy() if "category" in ran else None,
                t("cmp_year"): ran["year"].to_numpy() if "year" in ran else None,
                t("cmp_funding_federal"): ran["funding_federal_eur"].to_numpy() if "funding_federal_eur" in ran else None,
                t("cmp_role"): ran["role"].to_numpy(),
                t("cmp_via"): [labels.get(x, x) if isinstance(x, str) else "" for x in ran["via"]],
            }
        )
        st.dataframe(detail, hide_index=True, width="stretch", height=min(420, 40 + 35 * len(detail)))
        st.caption(t("cmp_projects_note"))
        registry_sources = [s for s in ran.get("source_id", pd.Series(dtype=str)).dropna().unique()] or sorted(ran["registry_id"].unique())
        ui.caption_sources(v, registry_sources)
        registries = data.table(v, "registries")
        if registries is not None:
            known = set(data.sources(v).index)
            for r in registries[registries["registry_id"].isin(ran["registry_id"]) & ~registries["registry_id"].isin(known)].itertuples():
                st.caption(f"{t('source')}: {md_escape(r.attribution)} ({t('licence')}: {md_escape(r.licence)})")

state.sync(PAGE, PARAMS)
