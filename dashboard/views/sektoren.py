"""Sektoren / Sectors: the projects of every registry by sector and by
registry, round, category, status, Land and type of region — counts, and the
funding the projects report with how many of them report it; a click on a bar
or a treemap box lists the projects behind it, each linked to its view on the
Projekte page."""

from __future__ import annotations

import streamlit as st

from dashboard import charts_projects, fmt, i18n, projects, projects_ui, state, ui
from dashboard.i18n import t
from dashboard.projects import NONE
from dashboard.state import Param


PAGE = "sektoren"
FILTER_DIMS = ("registry", "sector", "round", "category", "status", "land", "region_type", "urban_rural")
STACK_DIMS = ("registry", "round", "category", "status", "land", "region_type", "urban_rural")
TREE_DIMS = ("registry", "category", "round", "status")  # single-valued per project: a sector box is the sum of its leaves
P_STACK = Param("stack", "registry")
P_MEASURE = Param("measure", "count")
P_TREE = Param("tree", "registry")
P_CELL = Param("cell", "")
FILTER_PARAMS = projects_ui.filter_params(FILTER_DIMS)
PARAMS = [*FILTER_PARAMS, P_STACK, P_MEASURE, P_TREE, P_CELL]
K_CELL = state.key(PAGE, P_CELL)

v, tables = projects_ui.open_page(PAGE, PARAMS, "page_sectors")
all_projects, assign, regions, sectors, registries, sources, sector_order = tables
st.caption(t("sk_intro"))


# Labels are looked up, not translated, inside format functions: those may run
# outside the script (AppTest formats values in the test thread).
LABELS = projects_ui.value_labels(tables, projects.DIMENSIONS)
DIM_NAMES = {dim: t(f"pj_dim_{dim}") for dim in projects.DIMENSIONS}

# ---- filters --------------------------------------------------------------
any_filter = any(state.get(PAGE, p) for p in FILTER_PARAMS)
with st.expander(t("sk_filters"), expanded=any_filter):
    selection = projects_ui.filter_widgets(tables, PAGE, FILTER_DIMS, columns=4)

keys = projects.matching_keys(assign, selection)
sub = projects.restrict(assign, selection, keys)
chosen_projects = projects.select_projects(all_projects, keys)
if chosen_projects.empty:
    ui.empty("sk_empty")
    state.stop(PAGE, PARAMS)

# ---- what to show ---------------------------------------------------------
c1, c2, c3 = st.columns(3)
with c1:
    state.choose(PAGE, P_STACK, STACK_DIMS)
    stack = st.selectbox(t("sk_stack"), STACK_DIMS, format_func=DIM_NAMES.get, key=state.key(PAGE, P_STACK))
with c2:
    state.choose(PAGE, P_MEASURE, projects.MEASURES)
    measure_names = {m: t(f"pj_measure_{m}") for m in projects.MEASURES}
    measure = st.selectbox(t("sk_measure"), projects.MEASURES, format_func=measure_names.get, key=state.key(PAGE, P_MEASURE))
with c3:
    state.choose(PAGE, P_TREE, TREE_DIMS)
    tree_dim = st.selectbox(t("sk_tree"), TREE_DIMS, format_func=DIM_NAMES.get, key=state.key(PAGE, P_TREE))

federal, total, n_sel, n_assign = projects_ui.funding_summary(chosen_projects, sub)

registry_ids = sorted(chosen_projects["registry_id"].unique())
line = projects.registry_source_line(registry_ids, sources, registries)
permalink = state.permalink(PAGE, PAGE, PARAMS)
measure_label = t(f"pj_measure_{measure}")
if measure == "count":
    note = t("sk_count_note", N=n_sel, k=n_assign)
    hover, axis = t("sk_hover_count"), t("sk_axis_count")
    tree_hover = t("sk_tree_hover_count")
else:
    rep = federal if measure == "federal" else total
    note = t("sk_funding_note", n=rep.n_reporting, N=rep.n_projects)
    hover, axis = t("sk_hover_funding"), t("sk_axis_funding")
    tree_hover = t("sk_tree_hover_funding")
bar_note = note + (" " + t("sk_multi_note", dim=DIM_NAMES[stack]) if stack in projects.MULTI_VALUED else "")


export_frame = lambda table, dim_b: projects_ui.sector_numbers(table, dim_b, LABELS)  # noqa: E731
cells: dict[str, str] = {}  # cell id → label, for the fallback selector
cell_label = lambda a, dim_b=None, b=None: projects_ui.cell_label(LABELS, a, dim_b, b)  # noqa: E731
filters = projects_ui.filter_text(selection, LABELS)  # named in every chart's title


# ---- stacked bars ---------------------------------------------------------
bars = projects.measure_values(projects.crosstab(sub, chosen_projects, "sector", stack), measure)
bars["cell"] = [projects.cell_id(a, stack, b) for a, b in zip(bars["a"], bars["b"])]
a_order = projects.order_a(bars, sector_order)
b_order = [x for x in projects.dimension_values(sub, stack) if x in set(bars["b"])]
has_values = bool((bars["value"] > 0).any())
if not has_values:
    st.info(t("sk_funding_none"))
else:
    colours = charts_projects.colour_map(projects.dimension_values(assign, stack), NONE)  # stable across filters
    fig = charts_projects.stacked_bars(
        bars, a_order, LABELS["sector"], b_order, LABELS[stack], colours,
        t("sk_bars_title", measure=measure_label, dim=t(f"pj_dim_{stack}")) + filters, line, axis, hover,
        legend_title=t(f"pj_dim_{stack}"), note=bar_note, lang=i18n.lang(),
    )
    points = projects_ui.selectable_chart_block(fig, export_frame(bars, stack), f"dsr_sectors_{stack}_{measure}", permalink, key=f"{PAGE}.bars", source_ids=registry_ids, shown=projects_ui.sector_shown(stack, measure))
    picked = projects.selected_cell(points)
    if projects_ui.take_new_selection(f"{PAGE}._seen_bars", picked) and picked:
        st.session_state[K_CELL] = picked

    # ---- treemap ----------------------------------------------------------
    tree = projects.measure_values(projects.crosstab(sub, chosen_projects, "sector", tree_dim), measure)
    if (tree["value"] > 0).sum() > 1:  # one box: the sentence in place of the bars says it
        tree_order = projects.order_a(tree, sector_order)
        tree_colours = charts_projects.colour_map([x for x in sector_order if x in set(tree["a"])] + [x for x in tree_order if x not in sector_order], NONE)
        tree_fig = charts_projects.treemap(
            tree, tree_order, LABELS["sector"], LABELS[tree_dim], tree_colours, tree_dim,
            t("sk_tree_title", measure=measure_label, dim=t(f"pj_dim_{tree_dim}")) + filters, line, tree_hover, note=note, lang=i18n.lang(),
        )
        points = projects_ui.selectable_chart_block(tree_fig, export_frame(tree, tree_dim), f"dsr_sectors_tree_{tree_dim}_{measure}", permalink, key=f"{PAGE}.tree", source_ids=registry_ids, shown=projects_ui.sector_shown(tree_dim, measure))
        picked = projects.selected_cell(points)
        if projects_ui.take_new_selection(f"{PAGE}._seen_tree", picked) and picked:
            st.session_state[K_CELL] = picked
        for a, b in zip(tree["a"], tree["b"]):
            cells[projects.cell_id(a, tree_dim, b)] = cell_label(a, tree_dim, b)

# ---- the projects behind a bar or box ------------------------------------
# Every sector and every (sector, split) with projects can be chosen, whatever the measure shows.
counts = projects.crosstab(sub, chosen_projects, "sector", stack)
cell, parsed = projects_ui.cell_choice(PAGE, P_CELL, cells, counts, stack, a_order, sub, LABELS)
if parsed:
    projects_ui.cell_projects(v, tables, PAGE, projects.select_projects(chosen_projects, projects.cell_keys(sub, "sector", parsed)), sub, cells.get(cell, cell))

with st.expander(t("sk_table")):
    numbers = export_frame(counts, stack).drop(columns=["sector_id", stack])
    numbers = fmt.columns_as_text(numbers, {t(c): 0 for c in ("sk_col_projects", "sk_col_federal_n", "sk_col_federal", "sk_col_total_n", "sk_col_total")}, i18n.lang())
    st.dataframe(numbers, hide_index=True, width="stretch")

kit_ids = [r for r in registry_ids if r in sources.index]
if kit_ids:
    ui.caption_sources(v, kit_ids)
for rid in projects.imported_registries(registry_ids, sources):
    st.caption(projects.registry_caption(rid, registries))
state.sync(PAGE, PARAMS)
