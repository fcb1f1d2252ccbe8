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

from dashboard import data, projects, state
from dashboard.i18n import t
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
