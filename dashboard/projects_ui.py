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

from dashboard import data, i18n, projects, state
from dashboard.i18n import fmt_number, md_escape, t
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
