"""Projekte / Projects: every project of every registry, searchable (title,
description, themes, region names; umlauts may be written out) and filterable,
as a table with CSV/XLSX download; a project's view (``?project=registry:id``)
with its description, reported funding, links, its regions on a small map and
their key figures beside the national and peer medians, and the registry's
attribution and licence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, i18n, projects, projects_ui, state, ui
from dashboard.i18n import fmt_number, md_escape, t
from dashboard.state import Param


PAGE = "projekte"
FILTER_DIMS = ("registry", "sector", "status", "round", "category", "land")
P_Q = Param("q", "")
P_YEARS = Param("years", "")
P_PROJECT = Param("project", "")
PARAMS = [P_Q, *projects_ui.filter_params(FILTER_DIMS), P_YEARS, P_PROJECT]
K_PROJECT = state.key(PAGE, P_PROJECT)
K_YEARS = state.key(PAGE, P_YEARS)
K_YEARS_WIDGET = f"{PAGE}._years_widget"
K_YEARS_WRITTEN = f"{PAGE}._years_written"

v, tables = projects_ui.open_page(PAGE, PARAMS, "page_projects")
all_projects, assign, regions, sectors, registries, sources, sector_order = tables
links = data.project_links(v)
all_keys = projects.key_series(all_projects)
by_key = all_projects.assign(key=all_keys.to_numpy()).set_index("key")
LABELS = projects_ui.value_labels(tables, projects.DIMENSIONS)

# A project opened (by link, the selector or a row click) shows on top, the
# list folds away below it; without one the list is the page.
opened = st.session_state.get(K_PROJECT) or ""
opened = opened if opened in by_key.index else ""
view_box = st.container()
list_box = st.expander(t("pj_list"), expanded=False, icon=":material/list_alt:") if opened else st.container()
with list_box:
    if not opened:
        st.subheader(t("pj_list"))
    st.caption(t("pj_intro"))

    # ---- search and filters ---------------------------------------------------
    query = st.text_input(t("pj_search"), key=state.key(PAGE, P_Q), placeholder=t("pj_search_placeholder"), help=t("pj_search_help"))
    selection = projects_ui.filter_widgets(tables, PAGE, FILTER_DIMS, columns=3)

    bounds = projects.year_bounds(all_projects)
    years = None
    if bounds is not None and bounds[0] < bounds[1]:
        # The URL keeps "2014-2021" (nothing at the full range), the slider a tuple.
        # A URL value we did not write ourselves (a permalink) moves the slider;
        # otherwise the slider is the truth.
        param_value = st.session_state.get(K_YEARS) or ""
        if K_YEARS_WIDGET not in st.session_state or param_value != st.session_state.get(K_YEARS_WRITTEN):
            st.session_state[K_YEARS_WIDGET] = projects.parse_year_range(param_value, bounds)
        years = st.slider(t("pj_years"), min_value=bounds[0], max_value=bounds[1], key=K_YEARS_WIDGET, help=t("pj_years_help"))
        st.session_state[K_YEARS] = st.session_state[K_YEARS_WRITTEN] = projects.dump_year_range(years, bounds)
    else:
        st.session_state[K_YEARS] = ""

    keys = projects.matching_keys(assign, selection)
    mask = pd.MultiIndex.from_frame(all_projects[projects.KEY]).isin(keys)
    mask &= projects.search_mask(data.project_haystack(v), query).to_numpy()
    mask &= projects.year_mask(all_projects, years, bounds).to_numpy()
    filtered = all_projects[mask]

    base = projects_ui.app_base(PAGE)
    table = projects.project_table(
        filtered, assign, links.merge(filtered[projects.KEY], on=projects.KEY), sectors, registries, regions,
        view_url=lambda k: projects_ui.project_view_url(base, k, i18n.lang()),
    ).sort_values(["registry", "title"]).reset_index(drop=True)

    st.markdown(f"**{t('pj_count', n=fmt_number(len(table), 0), N=fmt_number(len(all_projects), 0))}**")
    if table.empty:
        ui.empty("pj_empty")
    else:
        shown_cols = {
            "title": t("pj_title"), "registry": t("registry"), "sectors": t("pj_sectors"), "regions": t("pj_regions"), "round": t("round"),
            "category": t("category"), "status": t("pj_status"), "year": t("pj_year"), "funding_federal_eur": f"{t('pj_federal')} (EUR)",
            "funding_total_eur": f"{t('pj_total')} (EUR)", "view": "view",
        }
        event = st.dataframe(
            table[list(shown_cols)].rename(columns=shown_cols), hide_index=True, width="stretch", height=420,
            key=f"{PAGE}.table", on_select="rerun", selection_mode="single-row",
            column_config={
                "view": st.column_config.LinkColumn(t("pj_view_col"), display_text=t("pj_open")),
                t("pj_year"): st.column_config.NumberColumn(format="%d"),
                f"{t('pj_federal')} (EUR)": st.column_config.NumberColumn(format="localized"),
                f"{t('pj_total')} (EUR)": st.column_config.NumberColumn(format="localized"),
            },
        )
        rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        picked = table["key"].iloc[rows[0]] if rows and rows[0] < len(table) else None
        if projects_ui.take_new_selection(f"{PAGE}._seen_row", picked) and picked:
            st.session_state[K_PROJECT] = picked
            st.rerun()  # start again with the view on top and the list folded
        export = table.drop(columns=["key"])
        d1, d2, _ = st.columns([1, 1, 3])
        d1.download_button(t("pj_download_csv"), data=lambda: ui.csv_bytes(export), file_name="dsr_projekte.csv", mime="text/csv",
                           key=f"{PAGE}.csv", on_click="ignore", icon=":material/table:")
        d2.download_button(t("pj_download_xlsx"), data=lambda: ui.xlsx_bytes(export), file_name="dsr_projekte.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{PAGE}.xlsx",
                           on_click="ignore", icon=":material/grid_on:")

    # ---- which project --------------------------------------------------------
    current = st.session_state.get(K_PROJECT) or ""
    unknown = bool(current) and current not in by_key.index
    titles = dict(zip(table["key"], table["title"] + " — " + table["registry"]))
    options = ["", *table["key"]]
    if current and not unknown and current not in titles:
        options.insert(1, current)  # opened by link: shown even when the filters would hide it
        reg_id = current.split(":", 1)[0]
        titles[current] = f"{by_key.at[current, 'title']} — {LABELS['registry'].get(reg_id, reg_id)}"
    state.choose(PAGE, P_PROJECT, options)
    titles[""] = t("pj_choose_none")
    st.selectbox(t("pj_choose"), options, format_func=lambda k: titles.get(k, k), key=K_PROJECT)
    registry_ids = sorted(filtered["registry_id"].unique()) or sorted(all_projects["registry_id"].unique())
    kit_ids = [r for r in registry_ids if r in sources.index]
    if kit_ids:
        ui.caption_sources(v, kit_ids)
    for rid in projects.imported_registries(registry_ids, sources):
        st.caption(projects.registry_caption(rid, registries))
project = st.session_state.get(K_PROJECT) or ""


def close_view() -> None:
    st.session_state[K_PROJECT] = ""


# ---- the project view -----------------------------------------------------


with view_box:
    if unknown:
        st.warning(t("pj_unknown", project=md_escape(current)))
    if project:
        projects_ui.project_view(v, tables, PAGE, PARAMS, project, close_view)

state.sync(PAGE, PARAMS)
