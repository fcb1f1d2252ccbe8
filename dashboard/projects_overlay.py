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

from dashboard import data, projects, state
from dashboard.i18n import md_escape, t
from dashboard.projects import KEY, decode_option, encode_option
from dashboard.state import Param
from etl.catalogue import KEY_LENGTH

P_SHOW = Param("proj", False)  # the URL says proj=True; parsed back as text
P_REG = Param("reg", [], "list")
P_SEC = Param("sec", [], "list")
P_RND = Param("rnd", [], "list")
P_CAT = Param("cat", [], "list")
PARAMS = [P_SHOW, P_REG, P_SEC, P_RND, P_CAT]

MAX_TITLES = 8  # project titles listed in a region's hover text


def available(v: str) -> bool:
    return projects.available(v)


def controls(v: str, page: str) -> dict | None:
    """Sidebar filters; returns the selection, or None when projects are off."""
    if not available(v):
        return None
    st.markdown(f"**{t('projects_on_map')}**")
    k = state.key(page, P_SHOW)
    st.session_state[k] = show_value(st.session_state.get(k))  # a toggle needs a bool, the URL gives text
    show = st.toggle(t("projects_on_map"), key=state.key(page, P_SHOW), label_visibility="collapsed")
    if not show:
        return None  # nothing more to compute on every rerun of the map
    assign = projects.cached_assignments(v)
    labels = {
        dim: projects.value_labels(dim, projects.dimension_values(assign, dim), data.table(v, "sectors"), data.table(v, "registries"), data.regions(v))
        for dim in ("registry", "sector", "round", "category")
    }
    chosen: dict[str, list[str]] = {}
    sectors = data.table(v, "sectors")
    sector_order = list(sectors.sort_values("sort_order")["sector_id"]) if sectors is not None else []
    for dim, param, label in (("registry", P_REG, "registry"), ("sector", P_SEC, "sector"), ("round", P_RND, "round"), ("category", P_CAT, "category")):
        values = projects.dimension_values(assign, dim)
        if dim == "sector":
            values = [s for s in sector_order if s in values] + [s for s in values if s not in sector_order]
        options = [encode_option(x) for x in values]
        state.choose(page, param, options)
        picked = st.multiselect(t(label), options, format_func=lambda o, dim=dim: labels[dim].get(decode_option(o), decode_option(o)), key=state.key(page, param), placeholder=t("all"))
        chosen[dim] = [decode_option(o) for o in picked]
    return {
        "registries": chosen["registry"], "sectors": chosen["sector"], "rounds": chosen["round"], "categories": chosen["category"],
        "all_registries": projects.dimension_values(assign, "registry"),
    }


def show_value(value: object) -> bool:
    """The toggle's value from session state or the URL ("True", "1", "ja" …)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja", "on")
    return bool(value)


def _dims(selection: dict) -> dict[str, list[str]]:
    return {
        "registry": list(selection.get("registries") or []),
        "sector": list(selection.get("sectors") or []),
        "round": list(selection.get("rounds") or []),
        "category": list(selection.get("categories") or []),
    }


def filtered_projects(v: str, selection: dict) -> pd.DataFrame:
    """The projects that pass the filters (on registry_id + project_id)."""
    keys = projects.matching_keys(projects.cached_assignments(v), _dims(selection))
    return projects.select_projects(data.table(v, "projects"), keys)


def outlines_frame(chosen: pd.DataFrame, links: pd.DataFrame, level: str, names: pd.Series) -> pd.DataFrame:
    """Regions of the map level with at least one of ``chosen``'s projects:
    region_id, name, n_projects, project_ids ("registry:project", …) and the hover text."""
    columns = ["region_id", "name", "n_projects", "project_ids", "projects_text"]
    links = links.merge(chosen[KEY].drop_duplicates(), on=KEY, how="inner")
    length = KEY_LENGTH[level]
    links = links[links["region_id"].str.len() >= length]
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
                "projects_text": f"{t('projects')}: {len(keys)}<br>" + "<br>".join(_esc(s) for s in shown) + more,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def outlines(v: str, selection: dict, level: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Regions of the map level that have at least one selected project, with a hover text."""
    return outlines_frame(filtered_projects(v, selection), data.table(v, "project_regions"), level, frame.set_index("region_id")["name"])


def source_ids(selection: dict) -> list[str]:
    """The registries behind the outlines: the chosen ones, else every registry in the warehouse."""
    return list(selection.get("registries") or selection.get("all_registries") or [])


def table(outlined: pd.DataFrame) -> None:
    st.markdown(f"**{md_escape(t('projects_on_map'))}**")
    st.dataframe(
        outlined[["region_id", "name", "n_projects", "project_ids"]].rename(
            columns={"region_id": t("key"), "name": t("name"), "n_projects": t("n_projects"), "project_ids": t("projects")}
        ),
        hide_index=True, width="stretch",
    )


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
