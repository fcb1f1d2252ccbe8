"""The projects of every registry on the indicator map: filters, outlines and a
table of the projects behind the outlined regions.

A project linked to a Gemeinde is shown on its Gemeinde and, at coarser map
levels, on the Kreis and Land that contain it. A project is identified by
``registry_id`` and ``project_id`` together (etl/catalogue/tables_projects.py):
every join here uses both.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, projects, projects_ui, state
from dashboard.charts import html_escape
from dashboard.i18n import md_escape, t
from dashboard.projects import KEY
from dashboard.state import Param
from etl.catalogue import KEY_LENGTH

P_SHOW = Param("proj", False)  # the URL says proj=True; parsed back as text
DIMS = ("registry", "sector", "round", "category")
PARAMS = [P_SHOW, *projects_ui.filter_params(DIMS)]

MAX_TITLES = 8  # project titles listed in a region's hover text


def controls(v: str, page: str) -> dict | None:
    """Sidebar filters (the pages' one project filter); returns the chosen
    values per dimension, or None when projects are off."""
    if not projects_ui.available(v):
        return None
    st.markdown(f"**{t('projects_on_map')}**")
    k = state.key(page, P_SHOW)
    st.session_state[k] = show_value(st.session_state.get(k))  # a toggle needs a bool, the URL gives text
    show = st.toggle(t("projects_on_map"), key=state.key(page, P_SHOW), label_visibility="collapsed")
    if not show:
        return None  # nothing more to compute on every rerun of the map
    return projects_ui.filter_widgets(projects_ui.page_tables(v), page, DIMS, columns=1)


def show_value(value: object) -> bool:
    """The toggle's value from session state or the URL ("True", "1", "ja" …)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja", "on")
    return bool(value)


def filtered_projects(v: str, selection: dict) -> pd.DataFrame:
    """The projects that pass the filters (on registry_id + project_id)."""
    keys = projects.matching_keys(data.project_assignments(v), selection)
    return projects.select_projects(data.table(v, "projects"), keys)


def outlines_frame(chosen: pd.DataFrame, links: pd.DataFrame, level: str, names: pd.Series) -> pd.DataFrame:
    """Regions of the map level with at least one of ``chosen``'s projects:
    region_id, name, n_projects, project_ids ("registry:project", …) and the hover text."""
    columns = ["region_id", "name", "n_projects", "project_ids", "projects_text"]
    links = links.merge(chosen[KEY].drop_duplicates(), on=KEY, how="inner")
    length = KEY_LENGTH[level]
    lengths = links["region_id"].str.len()
    # A unit's key begins with the key of each unit containing it, except that a
    # Gemeindeverband's (ARS, 9 digits) is no beginning of its Gemeinden's (AGS, 8):
    # on a Gemeinde map, "071325010"[:8] would be another Gemeinde.
    links = links[(lengths >= length) & ~((length == KEY_LENGTH["gemeinde"]) & (lengths == KEY_LENGTH["verband"]))]
    if links.empty:
        return pd.DataFrame(columns=columns)
    links = links.assign(map_id=links["region_id"].str[:length], key=projects.key_series(links))
    titles = dict(zip(projects.key_series(chosen), chosen["title"]))
    rows = []
    for rid, keys in links.groupby("map_id")["key"]:
        if rid not in names.index:
            continue
        keys = sorted(set(keys))
        shown = sorted(str(titles.get(k, k)) for k in keys)[:MAX_TITLES]
        more = f"<br>… +{len(keys) - MAX_TITLES}" if len(keys) > MAX_TITLES else ""
        rows.append(
            {
                "region_id": rid, "name": names[rid], "n_projects": len(keys), "project_ids": ", ".join(keys),
                "projects_text": f"{t('projects')}: {len(keys)}<br>" + "<br>".join(html_escape(s) for s in shown) + more,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def outlines(v: str, selection: dict, level: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Regions of the map level that have at least one selected project, with a hover text."""
    return outlines_frame(filtered_projects(v, selection), data.table(v, "project_regions"), level, frame.set_index("region_id")["name"])


def source_ids(selection: dict, assign: pd.DataFrame) -> list[str]:
    """The registries behind the outlines: the chosen ones, else every registry
    (``assign``: the project assignments, ``data.project_assignments``)."""
    return list(selection.get("registry") or projects.dimension_values(assign, "registry"))


def table(outlined: pd.DataFrame) -> None:
    st.markdown(f"**{md_escape(t('projects_on_map'))}**")
    st.dataframe(
        outlined[["region_id", "name", "n_projects", "project_ids"]].rename(
            columns={"region_id": t("key"), "name": t("name"), "n_projects": t("n_projects"), "project_ids": t("projects")}
        ),
        hide_index=True, width="stretch",
    )
