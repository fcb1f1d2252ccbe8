"""Steckbrief / Region profile: type a town or district (name or key) and get
its key figures with rank, Land, Germany and peer median, their trends, its
location, its projects, and the whole as a one- or two-page PDF briefing."""

from __future__ import annotations

import dataclasses
import functools

import pandas as pd
import streamlit as st

from dashboard import briefing_pdf, charts_steckbrief, compare_ui, data, describe, profile_ui, region_profile, state, ui
from dashboard.i18n import lang, md_escape, t
from dashboard.state import Param
from etl.catalogue import GERMANY_ID

PAGE = "steckbrief"
P_Q = Param("q", "")
P_REGION = Param("region", None)
PARAMS = [P_Q, P_REGION]

v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
st.title(t("page_profile"))
regions = data.regions(v)
region_id = profile_ui.region_choice(v, PAGE, P_Q, P_REGION, PARAMS)

# ---- the profile ----------------------------------------------------------
row = regions.loc[region_id]
level = str(row["level"])
ctx = region_profile.region_context(region_id, regions)
inds = data.indicators(v)
holders = (region_id, *region_profile.ancestors(region_id, regions), GERMANY_ID)
obs = data.observations_of(v, holders, region_profile.FIGURE_INDICATORS)
peers = compare_ui.peer_group(v, region_id)
figures, missing = region_profile.key_figures(region_id, regions, obs, inds, lambda i, lv, p: data.values(v, i, lv, p), peers)
projects_tbl, links_tbl, registries = data.table(v, "projects"), data.table(v, "project_regions"), data.table(v, "registries")
has_projects = projects_tbl is not None and links_tbl is not None
projects = region_profile.region_projects(region_id, regions, projects_tbl, links_tbl) if has_projects else None
permalink = state.permalink(PAGE, PAGE, PARAMS)

st.header(md_escape(t("sb_title", name=ctx["name"])))
subtitle = [*region_profile.where_parts(ctx), f"{t('key')} {region_id}"]
st.caption(" · ".join(md_escape(s) for s in subtitle))

# ---- charts (built once: shown on the page and rendered into the PDF) -----
panels = region_profile.trend_panels(figures, obs, inds, regions)
trend_sources = list(dict.fromkeys(f.source_id for f in figures if len(f.series) >= 2))
trend_source = ui.source_line(v, trend_sources)
trend_fig = (
    charts_steckbrief.trend_grid(panels, t("sb_trends_title", name=ctx["name"]), trend_source, ctx["name"], t("germany"), t("series_break"), lang=lang())
    if panels else None
)
map_level, context_ids = region_profile.locator_context(region_id, regions)
context_url = data.map_geojson_url(v, map_level)
context_shapes, highlight_shape = data.locator_shapes(v, region_id, map_level, tuple(context_ids))
export_shapes = {context_url: context_shapes}  # kaleido cannot fetch the app's URL
highlight_frame = regions.loc[[region_id], ["region_id", "name"]]
map_source = ui.source_line(v, ["bkg_vg5000"])
locator = functools.partial(
    charts_steckbrief.locator_map, regions.loc[[i for i in context_ids if i != region_id], ["region_id", "name"]],
    context_url, highlight_frame, highlight_shape, t("sb_map_title", name=ctx["name"]),
)
map_fig = locator(map_source)

# The texts now (the language lives in this session); images and PDF on click.
briefing = region_profile.build_briefing(
    region_id, regions, figures, missing, peers, inds, data.sources(v), data.flags(v),
    projects, registries, permalink, str(data.manifest(v).get("built_at", ""))[:10],
)
images_failed = t("sb_images_failed", error="{error}")


def _pdf_bytes() -> bytes:
    # The PDF's images carry no source line of their own: the PDF prints it as text under each.
    wanted = {"map": (charts_steckbrief.with_inline_shapes(locator(""), export_shapes), 700, 520)}
    captions = {"map": map_source}
    if trend_fig is not None:
        pdf_trends = charts_steckbrief.trend_grid(
            panels, t("sb_trends_title", name=ctx["name"]), "", ctx["name"], t("germany"), t("series_break"), lang=lang(),
        )
        wanted["trends"] = (pdf_trends, 1200, int(pdf_trends.layout.height or 600))
        captions["trends"] = trend_source
    try:
        images = briefing_pdf.render_images(wanted)
        notes = briefing.notes
    except Exception as error:  # noqa: BLE001 - no browser for kaleido: a text-only briefing is still useful
        images, notes = {}, [*briefing.notes, images_failed.format(error=type(error).__name__)]
    return briefing_pdf.render_briefing(dataclasses.replace(briefing, notes=notes), images, captions=captions)


st.download_button(
    t("sb_pdf"), data=_pdf_bytes, file_name=f"steckbrief_{region_id}.pdf", mime="application/pdf",
    key=f"{PAGE}.pdf", on_click="ignore", icon=":material/picture_as_pdf:", type="primary",
)

profile_ui.key_figures(v, PAGE, region_id, figures, missing, peers, permalink)

# ---- trends and location ---------------------------------------------------
st.subheader(t("sb_trends"))
if trend_fig is None:
    st.info(t("sb_no_trends"))
else:
    trend_data = pd.concat([f.series.assign(indicator_id=f.indicator_id, region_id=f.holder_id) for f in figures if len(f.series) >= 2], ignore_index=True)
    ui.chart_block(trend_fig, trend_data, f"steckbrief_{region_id}_trends", permalink, key=f"{PAGE}.trends")
    ui.caption_sources(v, trend_sources)

st.subheader(t("sb_map"))
ui.chart_block(map_fig, highlight_frame.reset_index(drop=True), f"steckbrief_{region_id}_map", permalink, key=f"{PAGE}.map", geojsons=export_shapes, source_ids=["bkg_vg5000"], shown=describe.Shown(value=None))
ui.caption_sources(v, ["bkg_vg5000"])

profile_ui.projects_section(v, projects)
profile_ui.definitions(v, figures)
state.sync(PAGE, PARAMS)
