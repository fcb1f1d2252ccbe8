"""Projekte / Projects: every project of every registry, searchable (title,
description, themes, region names; umlauts may be written out) and filterable,
as a table with CSV/XLSX download; a project's view (``?project=registry:id``)
with its description, reported funding, links, its regions on a small map and
their key figures beside the national and peer medians, and the registry's
attribution and licence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts_projects, compare_ui, data, fmt, i18n, projects, projects_ui, state, ui
from etl import mapfiles
from dashboard.text import cell_text
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
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
MAP_ASPECT = 2.4  # width:height of the project map's plot area on a wide page

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


def render_map(own_links: pd.DataFrame, title: str, registry_id: str, project_id: str) -> None:
    """The project's regions in red over the Kreise around them, fitted to the project's regions."""
    highlights, export_ids, boxes, url_level = [], {}, [], {}
    for level, part in own_links.groupby("level", sort=False):
        level = str(level)
        url = data.map_geojson_url(v, level)
        url_level[url] = level
        frame = part[["region_id", "name"]].assign(name=lambda d: d["name"].fillna(d["region_id"]).astype(str))
        frame["label"] = frame["name"] + " (" + frame["region_id"].astype(str) + ")"
        highlights.append((frame, url))
        feature_boxes = data.feature_bounds(v, level)
        boxes += [feature_boxes.get(r) for r in frame["region_id"]]
        export_ids.setdefault(url, set()).update(frame["region_id"])
    box = projects.union_bounds(boxes)
    padded = projects.fit_aspect(projects.pad_bounds(box), MAP_ASPECT) if box is not None else None
    kreis_url = data.map_geojson_url(v, "kreis")
    url_level[kreis_url] = "kreis"
    context = pd.DataFrame(columns=["region_id", "name"])
    if padded is not None:
        near = [rid for rid, b in data.feature_bounds(v, "kreis").items() if projects.intersects(b, padded) and rid in regions.index]
        context = regions.loc[near, ["region_id", "name"]]
        export_ids.setdefault(kreis_url, set()).update(context["region_id"])
    fig = charts_projects.project_map(context, kreis_url, highlights, padded, t("pj_map_title", title=title), ui.source_line(v, ["bkg_vg5000"]))
    # Exports only (kaleido cannot fetch the app's URLs): built on click, just these shapes.
    geojsons = lambda: {url: mapfiles.subset(data.shapes_geojson(v, url_level[url]), ids) for url, ids in export_ids.items()}  # noqa: E731
    table = own_links[["region_id", "name", "type", "level", "role", "name_published", "method"]]
    ui.chart_block(fig, table, f"dsr_project_{registry_id}_{project_id}_map", state.permalink(PAGE, PAGE, PARAMS), key=f"{PAGE}.map", geojsons=geojsons)


def render_profile(region_ids: list[str]) -> None:
    """Key figures of the project's regions beside the national and peer medians."""
    st.markdown(f"**{t('pj_profile')}**")
    inds = data.indicators(v)
    wanted = [i for i in projects.PROFILE_INDICATORS if i in inds.index]
    profile = projects.indicator_profile(projects.profile_regions(region_ids, regions), regions, lambda i, lv: data.latest_level_values(v, i, lv), wanted)
    if profile.empty or profile["value"].isna().all():
        st.info(t("pj_profile_none"))
        return

    def shown_value(value: float, ind_id: str) -> str:
        return projects.value_with_unit(value, int(inds.at[ind_id, "decimals"]), fmt.unit(inds.loc[ind_id], lang()))

    shown = pd.DataFrame(
        {
            t("pj_col_region"): [f"{regions.at[r, 'name']} ({t('level1_' + str(regions.at[r, 'level']))}, {r})" for r in profile["region_id"]],
            t("pj_col_indicator"): [pick(inds.at[i, "title_de"], inds.at[i, "title_en"]) for i in profile["indicator_id"]],
            t("pj_col_period"): [ui.period_label(pp, pt) for pp, pt in zip(profile["period"], profile["period_type"])],
            t("pj_col_value"): [shown_value(x, i) for x, i in zip(profile["value"], profile["indicator_id"])],
            t("pj_col_median_de"): [t("pj_n", value=shown_value(x, i), n=n) for x, i, n in zip(profile["median_de"], profile["indicator_id"], profile["n_de"])],
            t("pj_col_median_peer"): [
                t("pj_n", value=shown_value(x, i), n=n) for x, i, n in zip(profile["median_peer"], profile["indicator_id"], profile["n_peer"])
            ],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    levels = list(dict.fromkeys(str(regions.at[r, "level"]) for r in profile["region_id"]))
    st.caption(t("pj_level_median_help", level=", ".join(t(f"level1_{lv}") for lv in levels)))
    groups = {g.region_id: g for g in profile["peer_group"]}
    st.caption("\n".join(f"- {md_escape(regions.at[r, 'name'])}: {md_escape(compare_ui.peer_description(g, regions))}" for r, g in groups.items()))
    ui.caption_sources(v, [s for s in dict.fromkeys(profile["source_id"]) if s])


with view_box:
    if unknown:
        st.warning(t("pj_unknown", project=md_escape(current)))
    if project:
        p = by_key.loc[project]
        registry_id, project_id = projects.parse_project_key(project)
        own_links = links[(links["registry_id"] == registry_id) & (links["project_id"] == project_id)]
        own_links = own_links.assign(_l=(own_links["role"] != "lead").astype(int)).sort_values(["_l", "region_id"])
        row = projects.project_table(
            all_projects[(all_projects["registry_id"] == registry_id) & (all_projects["project_id"] == project_id)],
            assign, own_links, sectors, registries, regions,
        ).iloc[0]

        st.header(md_escape(row["title"]))
        status = row["status"] or (row["status_group"] if p.get("status_group") != "unknown" else "")
        facts = [row["registry"], cell_text(p.get("programme")), row["round"], row["category"], status, projects.years_text(p)]
        st.caption(" · ".join(md_escape(x) for x in dict.fromkeys(facts) if x))
        st.button(t("pj_close"), on_click=close_view, key=f"{PAGE}.close", icon=":material/close:")
        left, right = st.columns([1, 1], gap="large")
        with left:
            st.markdown(f"**{t('pj_description')}**")
            description = cell_text(p.get("description"))
            st.markdown(projects.text_markdown(description) if description else f"_{t('pj_no_description')}_")
            if row["themes"]:
                st.markdown(f"**{t('pj_themes')}:** {md_escape(row['themes'])}")
            if row["sectors"]:
                st.markdown(f"**{t('pj_sectors')}:** {md_escape(row['sectors'])}")
            st.markdown(f"**{t('pj_funding')}**")
            lines = [
                f"- {t('pj_federal')}: {md_escape(projects.amount_text(row['funding_federal_eur']))}",
                f"- {t('pj_total')}: {md_escape(projects.amount_text(row['funding_total_eur']))}",
            ]
            if row["funding_note"]:
                lines.append(f"- {t('pj_funding_note')}: {md_escape(row['funding_note'])}")
            st.markdown("\n".join(lines))
            st.caption(t("pj_funding_caveat"))
            urls = projects.safe_urls(p.get("urls"))
            st.markdown(f"**{t('pj_links')}:** " + ("" if urls else t("pj_no_links")))
            if urls:
                st.markdown("\n".join(f"- {projects.markdown_link(u)}" for u in urls))
        with right:
            st.markdown(f"**{t('pj_region_list')}**")
            if own_links.empty:
                st.info(t("pj_map_none"))
            else:
                items = []
                for r in own_links.to_dict("records"):
                    name = r["name"] if isinstance(r["name"], str) else r["region_id"]
                    bez = r["type"] if isinstance(r["type"], str) else ""
                    role = t(f"pj_role_{r['role']}") if r["role"] in ("lead", "partner") else str(r["role"])
                    items.append(f"- {md_escape(name)} ({md_escape(bez)}, {md_escape(r['region_id'])}) — {md_escape(role)}")
                st.markdown("\n".join(items))
        if not own_links.empty:
            render_map(own_links, row["title"], registry_id, project_id)
            render_profile(list(dict.fromkeys(own_links["region_id"])))

        st.markdown(f"**{t('pj_registry_block')}**")
        if registry_id in sources.index:
            ui.caption_sources(v, [registry_id])
        else:
            st.caption(projects.registry_caption(registry_id, registries))
        reg_row = registries.set_index("registry_id").loc[registry_id] if registries is not None and registry_id in set(registries["registry_id"]) else None
        details = []
        if reg_row is not None:
            details.append(f"{t('registry')}: {md_escape(reg_row['title'])} — {md_escape(reg_row['publisher'])}")
        if row["licence"]:
            details.append(f"{t('pj_entry_licence')}: {md_escape(row['licence'])}")
        line_no = f", {t('pj_line')} {int(p['line'])}" if pd.notna(p.get("line")) else ""
        details.append(f"{t('pj_source_file')}: {md_escape(cell_text(p.get('source_file')))}{line_no}")
        st.caption(" · ".join(details))
        st.divider()

state.sync(PAGE, PARAMS)
