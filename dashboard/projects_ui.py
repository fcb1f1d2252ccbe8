"""The Streamlit side shared by the pages that show projects (Projekte,
Sektoren and the map's project outlines): the tables they start from, the one
filter widget with its URL parameters, and small helpers for selections and
links. The logic itself lives in ``dashboard.projects``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
import streamlit as st

from dashboard import charts_projects, compare_ui, data, describe, fmt, i18n, projects, state, ui
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
from dashboard.text import cell_text
from etl import mapfiles
from dashboard.projects import decode_option, encode_option
from dashboard.state import Param

# Every filter dimension's URL parameter, the same on every page.
FILTER_PARAMS = {
    dim: Param(name, [], "list")
    for dim, name in (
        ("registry", "reg"), ("sector", "sec"), ("round", "rnd"), ("category", "cat"),
        ("status", "status"), ("land", "land"), ("region_type", "rtype"), ("urban_rural", "urt"),
    )
}


def filter_params(dims: Sequence[str]) -> list[Param]:
    return [FILTER_PARAMS[d] for d in dims]


def available(v: str) -> bool:
    return all(data.has_table(v, name) for name in ("projects", "project_regions", "project_sectors"))


class PageTables(NamedTuple):
    """What the pages that show projects start from."""

    projects: pd.DataFrame
    assign: pd.DataFrame
    regions: pd.DataFrame
    sectors: pd.DataFrame | None
    registries: pd.DataFrame | None
    sources: pd.DataFrame
    sector_order: list[str]


def page_tables(v: str) -> PageTables:
    sectors = data.table(v, "sectors")
    return PageTables(
        projects=data.table(v, "projects"),
        assign=data.project_assignments(v),
        regions=data.regions(v),
        sectors=sectors,
        registries=data.table(v, "registries"),
        sources=data.sources(v),
        sector_order=list(sectors.sort_values("sort_order")["sector_id"]) if sectors is not None else [],
    )


def open_page(page: str, params: Sequence[Param], title_key: str) -> tuple[str, PageTables]:
    """The start of a page that shows projects: the warehouse version, the
    link's state, the title, and its tables (or a message when the warehouse has
    no registries)."""
    from dashboard import ui

    v = ui.require_warehouse()
    state.restore(page, params)
    st.title(t(title_key))
    if not available(v):
        st.info(t("pj_no_projects"))
        state.stop(page, params)
    return v, page_tables(v)


def value_labels(tables: PageTables, dims: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each dimension's values with their labels in the session's language
    (computed now: a format function must not depend on the session)."""
    return {
        dim: projects.value_labels(dim, projects.dimension_values(tables.assign, dim), tables.sectors, tables.registries, tables.regions)
        for dim in dims
    }


def filter_widgets(tables: PageTables, page: str, dims: Sequence[str], columns: int = 3) -> dict[str, list[str]]:
    """One multiselect per dimension (sectors in their order, "all" when empty),
    kept in the URL; returns the chosen values per dimension."""
    labels = value_labels(tables, dims)
    cols = st.columns(columns)
    selection: dict[str, list[str]] = {}
    for i, dim in enumerate(dims):
        param = FILTER_PARAMS[dim]
        values = projects.dimension_values(tables.assign, dim)
        if dim == "sector":
            values = [s for s in tables.sector_order if s in values] + [s for s in values if s not in tables.sector_order]
        options = [encode_option(x) for x in values]
        state.choose(page, param, options)
        with cols[i % columns]:
            chosen = st.multiselect(
                t(f"pj_dim_{dim}"), options, format_func=lambda o, dim=dim: labels[dim].get(decode_option(o), decode_option(o)),
                key=state.key(page, param), placeholder=t("all"),
            )
        selection[dim] = [decode_option(o) for o in chosen]
    return selection


def take_new_selection(seen_key: str, signature: object) -> bool:
    """True once per new selection of a chart or table: a selection that stays
    in the widget across reruns must not override a choice made since."""
    text = json.dumps(signature, sort_keys=True, default=str)
    if st.session_state.get(seen_key) == text:
        return False
    st.session_state[seen_key] = text
    return bool(signature)


def selectable_chart_block(fig, frame: pd.DataFrame, name: str, permalink: str, key: str, **about):
    """``ui.chart_block`` for a chart whose bars or boxes can be clicked; returns the selected points."""
    from dashboard import ui

    return ui.chart_block(fig, frame, name, permalink, key, selectable=True, **about)


def project_view_url(page_url_base: str, key: str, lang: str) -> str:
    """Absolute URL of a project's view on the Projekte page."""
    from urllib.parse import urlencode

    query = {"project": key}
    if lang != "de":
        query["lang"] = lang
    return f"{page_url_base}/projekte?{urlencode(query)}"


def app_base(page: str) -> str:
    """The app's root URL, from the browser's URL of ``page``."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - not available outside a browser session (AppTest)
        url = None
    return state.app_base_url(url, page)


# ---------------------------------------------------------------- Sektoren


def funding_summary(chosen: pd.DataFrame, sub: pd.DataFrame):
    """Projects, registries and sector assignments as numbers, and the reported
    funding with how many projects report it (never a silent sum)."""
    n_sel = len(chosen)
    n_assign = int(((sub["dim"] == "sector") & (sub["value"] != projects.NONE)).sum())
    m1, m2, m3 = st.columns(3)
    m1.metric(t("sk_n_projects"), fmt_number(n_sel, 0))
    m2.metric(t("sk_n_registries"), fmt_number(chosen["registry_id"].nunique(), 0))
    m3.metric(t("sk_n_assignments"), fmt_number(n_assign, 0))
    federal = projects.reported(chosen, projects.FUNDING["federal"])
    total = projects.reported(chosen, projects.FUNDING["total"])
    st.markdown(f"- {md_escape(projects.reported_text(t('pj_federal'), federal))}\n- {md_escape(projects.reported_text(t('pj_total'), total))}")
    st.caption(t("pj_funding_caveat"))
    return federal, total, n_sel, n_assign


def filter_text(selection: dict[str, list[str]], labels: dict[str, dict[str, str]]) -> str:
    """" (Filter: Register = Modellprojekte Smart Cities; Sektor = Mobilität)" for a
    chart's title, "" without filters: an export says what it shows."""
    parts = [f"{t(f'pj_dim_{dim}')} = {', '.join(labels[dim].get(x, x) for x in values)}" for dim, values in selection.items() if values]
    return f" ({t('sk_filtered')}: {'; '.join(parts)})" if parts else ""


def sector_numbers(table: pd.DataFrame, dim_b: str, labels: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The numbers behind a Sektoren chart, with labels, for the CSV/XLSX downloads."""
    return pd.DataFrame(
        {
            "sector_id": table["a"],
            t("pj_dim_sector"): table["a"].map(labels["sector"]),
            dim_b: table["b"],
            t(f"pj_dim_{dim_b}"): table["b"].map(labels[dim_b]),
            t("sk_col_projects"): table["n_projects"],
            t("sk_col_federal_n"): table["federal_n"],
            t("sk_col_federal"): table["federal_eur"].where(table["federal_n"] > 0),
            t("sk_col_total_n"): table["total_n"],
            t("sk_col_total"): table["total_eur"].where(table["total_n"] > 0),
        }
    )


MEASURE_COLUMNS = {"count": "sk_col_projects", "federal": "sk_col_federal", "total": "sk_col_total"}


def sector_shown(dim_b: str, measure: str) -> describe.Shown:
    """What a Sektoren chart draws of ``sector_numbers``: sectors split by
    ``dim_b``, the projects or the funding reported."""
    unit = t("sk_axis_count") if measure == "count" else "EUR"
    return describe.Shown(label=t("pj_dim_sector"), series=t(f"pj_dim_{dim_b}"), value=t(MEASURE_COLUMNS[measure]), unit=unit,
                          unit_one=t("sk_unit_one") if measure == "count" else None, decimals=0)


def cell_label(labels: dict[str, dict[str, str]], a: str, dim_b: str | None = None, b: str | None = None) -> str:
    """'Mobilität · Register: Code for Germany': a bar or box of the Sektoren charts."""
    text = labels["sector"].get(a, a)
    return text if dim_b is None else f"{text} · {t(f'pj_dim_{dim_b}')}: {labels[dim_b].get(b, b)}"


def cell_projects(v: str, tables: PageTables, page: str, chosen: pd.DataFrame, sub: pd.DataFrame, cell_text: str) -> None:
    """The projects behind a chosen bar or box, each linked to its view."""
    if chosen.empty:
        st.info(t("sk_cell_empty"))
        return
    base = app_base(page)
    table = projects.project_table(
        chosen, sub, data.project_links(v).merge(chosen[projects.KEY], on=projects.KEY), tables.sectors, tables.registries, tables.regions,
        view_url=lambda k: project_view_url(base, k, i18n.lang()),
    ).sort_values(["registry", "title"])
    st.markdown(f"**{md_escape(t('sk_cell_projects', n=len(table), cell=cell_text))}**")
    shown = table[["title", "registry", "regions", "round", "category", "year", "funding_federal_eur", "funding_total_eur", "view"]].rename(
        columns={"title": t("pj_title"), "registry": t("registry"), "regions": t("pj_regions"), "round": t("round"), "category": t("category"),
                 "year": t("pj_year"), "funding_federal_eur": f"{t('pj_federal')} (EUR)", "funding_total_eur": f"{t('pj_total')} (EUR)"}
    )
    st.dataframe(
        shown, hide_index=True, width="stretch",
        column_config={
            "view": st.column_config.LinkColumn(t("pj_view_col"), display_text=t("pj_open")),
            t("pj_year"): st.column_config.NumberColumn(format="%d"),
            f"{t('pj_federal')} (EUR)": st.column_config.NumberColumn(format="localized"),
            f"{t('pj_total')} (EUR)": st.column_config.NumberColumn(format="localized"),
        },
    )
    first = table.iloc[0]
    query = {"project": first["key"], **({"lang": i18n.lang()} if i18n.lang() != "de" else {})}
    st.page_link("views/projekte.py", label=f"{t('sk_open_first')}: {md_escape(first['title'])}", query_params=query, icon=":material/open_in_new:")


def cell_choice(page: str, p_cell: Param, cells: dict[str, str], counts: pd.DataFrame, stack: str, a_order: list[str], sub: pd.DataFrame, labels) -> tuple[str, tuple | None]:
    """The bar or box whose projects are listed: every sector and every
    (sector, split) with projects can be chosen, whatever the measure shows; a
    cell from a link or the treemap's other split stays selectable."""
    for a, b in zip(counts["a"], counts["b"]):
        cells.setdefault(a, cell_label(labels, a))
        cells.setdefault(projects.cell_id(a, stack, b), cell_label(labels, a, stack, b))
    options = ["", *sorted(cells, key=lambda c: (a_order.index(c.split("|")[0]) if c.split("|")[0] in a_order else 99, c))]
    key = state.key(page, p_cell)
    current = st.session_state.get(key)
    parsed_current = projects.parse_cell(current)
    if parsed_current and current not in options and parsed_current[0] in set(sub.loc[sub["dim"] == "sector", "value"]):
        a, dim_b, b = parsed_current
        options.append(current)
        cells[current] = cell_label(labels, a, dim_b, b) if dim_b else cell_label(labels, a)
    state.choose(page, p_cell, options)
    st.subheader(t("projects"))
    cells[""] = t("sk_cell_none")
    cell = st.selectbox(t("sk_cell"), options, format_func=lambda c: cells.get(c, c), key=key)
    return cell, projects.parse_cell(cell)


# ---------------------------------------------------------------- Projekte

PROJECT_MAP_ASPECT = 2.4  # width:height of the project map's plot area on a wide page


def project_map(v: str, page: str, params: list[Param], own_links: pd.DataFrame, title: str, registry_id: str, project_id: str) -> None:
    """The project's regions in red over the Kreise around them, fitted to the project's regions."""
    regions = data.regions(v)
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
    padded = projects.fit_aspect(projects.pad_bounds(box), PROJECT_MAP_ASPECT) if box is not None else None
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
    ui.chart_block(fig, table, f"dsr_project_{registry_id}_{project_id}_map", state.permalink(page, page, params), key=f"{page}.map", geojsons=geojsons, shown=describe.Shown(value=None))


def project_profile(v: str, region_ids: list[str]) -> None:
    """Key figures of the project's regions beside the national and peer medians."""
    regions = data.regions(v)
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


def project_view(v: str, tables: PageTables, page: str, params: list[Param], project: str, close) -> None:
    """One project: title and facts, description, themes and sectors, reported
    funding in the sources' own words, links, its regions (list, map, key
    figures beside the national and peer medians) and the registry's licence."""
    all_projects, assign, regions, sectors, registries, sources, _ = tables
    links = data.project_links(v)
    p = all_projects.assign(key=projects.key_series(all_projects).to_numpy()).set_index("key").loc[project]
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
    st.button(t("pj_close"), on_click=close, key=f"{page}.close", icon=":material/close:")
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
        project_map(v, page, params, own_links, row["title"], registry_id, project_id)
        project_profile(v, list(dict.fromkeys(own_links["region_id"])))

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
