"""The projects of every registry on the indicator map: filters, outlines and a
table of the projects behind the outlined regions.

A project linked to a Gemeinde is shown on its Gemeinde and, at coarser map
levels, on the Kreis and Land that contain it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, state
from dashboard.i18n import pick, t
from dashboard.state import Param

P_SHOW = Param("proj", "")
P_REG = Param("reg", [], "list")
P_SEC = Param("sec", [], "list")
P_RND = Param("rnd", [], "list")
P_CAT = Param("cat", [], "list")
PARAMS = [P_SHOW, P_REG, P_SEC, P_RND, P_CAT]

LEVEL_KEY_LENGTH = {"land": 2, "kreis": 5, "gemeinde": 8}


def available(v: str) -> bool:
    return data.table(v, "projects") is not None and data.table(v, "project_regions") is not None


def controls(v: str, page: str) -> dict | None:
    """Sidebar filters; returns the selection, or None when projects are off."""
    if not available(v):
        return None
    projects = data.table(v, "projects")
    registries = data.table(v, "registries")
    sectors = data.table(v, "sectors")
    st.markdown(f"**{t('projects_on_map')}**")
    show = st.toggle(t("projects_on_map"), key=state.key(page, P_SHOW), label_visibility="collapsed")
    if not show:
        return None
    reg_ids = list(registries["registry_id"]) if registries is not None else sorted(projects["registry_id"].unique())
    reg_titles = dict(zip(registries["registry_id"], registries["title"])) if registries is not None else {}
    state.choose(page, P_REG, reg_ids)
    regs = st.multiselect(t("registry"), reg_ids, format_func=lambda r: reg_titles.get(r, r), key=state.key(page, P_REG))
    sec_ids = list(sectors["sector_id"]) if sectors is not None else []
    sec_names = {r.sector_id: pick(r.name_de, r.name_en) for r in sectors.itertuples()} if sectors is not None else {}
    state.choose(page, P_SEC, sec_ids)
    secs = st.multiselect(t("sector"), sec_ids, format_func=lambda s: sec_names.get(s, s), key=state.key(page, P_SEC))
    rounds = sorted(str(r) for r in projects["round"].dropna().unique())
    state.choose(page, P_RND, rounds)
    rnds = st.multiselect(t("round"), rounds, key=state.key(page, P_RND))
    cats = sorted(str(c) for c in projects["category"].dropna().unique())
    state.choose(page, P_CAT, cats)
    cat = st.multiselect(t("category"), cats, key=state.key(page, P_CAT))
    return {"registries": regs, "sectors": secs, "rounds": rnds, "categories": cat}


def filtered_projects(v: str, selection: dict) -> pd.DataFrame:
    projects = data.table(v, "projects")
    keep = pd.Series(True, index=projects.index)
    if selection.get("registries"):
        keep &= projects["registry_id"].isin(selection["registries"])
    if selection.get("rounds"):
        keep &= projects["round"].astype("string").isin(selection["rounds"])
    if selection.get("categories"):
        keep &= projects["category"].astype("string").isin(selection["categories"])
    if selection.get("sectors"):
        ps = data.table(v, "project_sectors")
        ids = set(ps.loc[ps["sector_id"].isin(selection["sectors"]), "project_id"])
        keep &= projects["project_id"].isin(ids)
    return projects[keep]


def outlines(v: str, selection: dict, level: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Regions of the map level that have at least one selected project, with a hover text."""
    projects = filtered_projects(v, selection)
    links = data.table(v, "project_regions")
    links = links[links["project_id"].isin(projects["project_id"])]
    if links.empty:
        return pd.DataFrame(columns=["region_id", "name", "projects_text", "n_projects"])
    length = LEVEL_KEY_LENGTH[level]
    links = links[links["region_id"].str.len() >= length].assign(map_id=lambda d: d["region_id"].str[:length])
    titles = projects.set_index("project_id")["title"]
    grouped = links.groupby("map_id")["project_id"].agg(lambda ids: sorted(set(ids)))
    names = frame.set_index("region_id")["name"]
    rows = []
    for rid, ids in grouped.items():
        if rid not in names.index:
            continue
        shown = [str(titles.get(i, i)) for i in ids[:8]]
        more = f"<br>… +{len(ids) - 8}" if len(ids) > 8 else ""
        rows.append({"region_id": rid, "name": names[rid], "n_projects": len(ids), "project_ids": ", ".join(ids),
                     "projects_text": f"{t('projects')}: {len(ids)}<br>" + "<br>".join(_esc(s) for s in shown) + more})
    return pd.DataFrame(rows)


def source_ids(selection: dict) -> list[str]:
    return selection.get("registries") or ["mpsc", "codefor"]


def table(outlined: pd.DataFrame) -> None:
    st.markdown(f"**{t('projects_on_map')}**")
    st.dataframe(
        outlined[["region_id", "name", "n_projects", "project_ids"]].rename(
            columns={"region_id": t("key"), "name": t("name"), "n_projects": t("n_projects"), "project_ids": t("projects")}
        ),
        hide_index=True, width="stretch",
    )


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
