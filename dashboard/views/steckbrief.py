"""Steckbrief / Region profile: type a town or district (name or key) and get
its key figures with rank, Land, Germany and peer median, their trends, its
location, its projects, and the whole as a one- or two-page PDF briefing."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard import briefing_pdf, charts_steckbrief, compare_ui, data, fmt, region_profile, state, ui
from dashboard.i18n import lang, md_escape, pick, t
from dashboard.state import Param
from etl import gazetteer
from etl.catalogue import GERMANY_ID

PAGE = "steckbrief"
P_Q = Param("q", "")
P_REGION = Param("region", None)
PARAMS = [P_Q, P_REGION]
K_Q, K_REGION = state.key(PAGE, P_Q), state.key(PAGE, P_REGION)

v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
st.title(t("page_profile"))
regions = data.regions(v)


def _matches(query: str) -> pd.DataFrame:
    """The gazetteer's hits (as on every page), without Germany as a whole."""
    hits = data.search_regions(v, query)
    return hits[hits["level"].isin(region_profile.SEARCH_LEVELS)]


def _pick_best_match() -> None:
    """A new search selects its best match; the list below offers the others."""
    hits = _matches(st.session_state.get(K_Q) or "")
    if not hits.empty:
        st.session_state[K_REGION] = hits["region_id"].iloc[0]


# A key from a link may have lost its leading zero (?region=9162).
current = st.session_state.get(K_REGION)
unknown_key = None
if isinstance(current, str) and current not in regions.index:
    fixed = [k for k in gazetteer.key_candidates(current) if k in regions.index]
    unknown_key = None if fixed else current
    st.session_state[K_REGION] = current = fixed[0] if fixed else None

c1, c2 = st.columns([1, 2])
with c1:
    query = st.text_input(t("search_region"), key=K_Q, on_change=_pick_best_match, placeholder=t("sb_placeholder"))
matches = _matches(query or "")
options = list(matches["region_id"])
if isinstance(current, str) and current not in options and regions.loc[current, "level"] in region_profile.SEARCH_LEVELS:
    options.insert(0, current)
labels = data.region_labels(v)
state.choose(PAGE, P_REGION, options)
if unknown_key:
    st.warning(t("sb_unknown_region", region=md_escape(unknown_key)))
if (query or "").strip() and matches.empty:
    st.info(t("no_match", q=md_escape(query)))
if not options:
    if not (query or "").strip():
        st.info(t("sb_start"))
    state.stop(PAGE, PARAMS)
with c2:
    region_id = st.selectbox(t("choose_region"), options, format_func=labels.get, key=K_REGION)
same_name = gazetteer.ambiguous_name(matches)
if same_name:
    st.info(t("sb_ambiguous", n=int(matches["exact"].sum()), name=md_escape(same_name)))

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
trend_fig = (
    charts_steckbrief.trend_grid(panels, t("sb_trends_title", name=ctx["name"]), ui.source_line(v, trend_sources), ctx["name"], t("germany"), t("series_break"), lang=lang())
    if panels else None
)
map_level, context_ids = region_profile.locator_context(region_id, regions)
context_url = data.map_geojson_url(v, map_level)
context_shapes, highlight_shape = region_profile.cached_locator_shapes(v, region_id)
export_shapes = {context_url: context_shapes}  # kaleido cannot fetch the app's URL
highlight_frame = regions.loc[[region_id], ["region_id", "name"]]
map_fig = charts_steckbrief.locator_map(
    regions.loc[[i for i in context_ids if i != region_id], ["region_id", "name"]], context_url, highlight_frame, highlight_shape,
    t("sb_map_title", name=ctx["name"]), ui.source_line(v, ["bkg_vg5000"]),
)

# The texts now (the language lives in this session); images and PDF on click.
briefing = region_profile.build_briefing(
    region_id, regions, figures, missing, peers, inds, data.sources(v), data.flags(v),
    projects, registries, permalink, str(data.manifest(v).get("built_at", ""))[:10],
)
images_failed = t("sb_images_failed", error="{error}")


def _pdf_bytes() -> bytes:
    wanted = {"map": (charts_steckbrief.with_inline_shapes(map_fig, export_shapes), 900, 520)}
    if trend_fig is not None:
        wanted["trends"] = (trend_fig, 1200, int(trend_fig.layout.height or 600))
    try:
        images = briefing_pdf.render_images(wanted)
        notes = briefing.notes
    except Exception as error:  # noqa: BLE001 - no browser for kaleido: a text-only briefing is still useful
        images, notes = {}, [*briefing.notes, images_failed.format(error=type(error).__name__)]
    return briefing_pdf.render_briefing(dataclasses.replace(briefing, notes=notes), images)


st.download_button(
    t("sb_pdf"), data=_pdf_bytes, file_name=f"steckbrief_{region_id}.pdf", mime="application/pdf",
    key=f"{PAGE}.pdf", on_click="ignore", icon=":material/picture_as_pdf:", type="primary",
)

# ---- key figures ----------------------------------------------------------
st.subheader(t("sb_key_figures"))
if not figures:
    ui.empty()
else:
    columns = st.columns(3)
    for i, f in enumerate(figures):
        meta = inds.loc[f.indicator_id]
        with columns[i % 3]:
            st.metric(
                md_escape(region_profile.short_label(f, meta)), region_profile.card_value(f, meta),
                chart_data=f.series["value"].tolist() if len(f.series) >= 2 else None, chart_type="line", border=True,
                help=md_escape(f"{region_profile.figure_title(meta)} ({fmt.unit(meta, lang())}): {pick(meta['definition_de'], meta['definition_en'])}"),
            )
            details = [region_profile.holder_text(f, regions), region_profile.rank_text(f, meta), f"{t('reference_date')} {region_profile.period_text(f.period, f.period_type)}"]
            st.caption(md_escape(" · ".join(d for d in details if d)))

    st.subheader(t("sb_comparison"))
    st.caption(f"{md_escape(compare_ui.peer_description(peers, regions))} [{t('peer_open_compare')}]({compare_ui.peer_link(peers, lang())})")
    table = region_profile.figure_table(figures, regions, inds)
    st.dataframe(table, hide_index=True, width="stretch")
    notes = [t("sb_rank_note"), *region_profile.figure_notes(figures, missing, regions, inds, data.flags(v))]
    st.caption("\n".join(f"- {md_escape(note)}" for note in notes))
    numbers = ui.described(region_profile.figures_frame(figures))
    numbers_info = ui.info_sheet(numbers, permalink)
    d1, d2, _ = st.columns([1, 1, 3])
    with d1:
        st.download_button(t("sb_figures_download"), data=lambda: ui.csv_bytes(numbers), file_name=f"steckbrief_{region_id}.csv", mime="text/csv", key=f"{PAGE}.csv", on_click="ignore", icon=":material/table:")
    with d2:
        st.download_button(t("sb_figures_download_xlsx"), data=lambda: ui.xlsx_bytes(numbers, numbers_info), file_name=f"steckbrief_{region_id}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{PAGE}.xlsx", on_click="ignore", icon=":material/grid_on:")
    ui.caption_sources(v, [f.source_id for f in figures])

# ---- trends and location ---------------------------------------------------
st.subheader(t("sb_trends"))
if trend_fig is None:
    st.info(t("sb_no_trends"))
else:
    trend_data = pd.concat([f.series.assign(indicator_id=f.indicator_id, region_id=f.holder_id) for f in figures if len(f.series) >= 2], ignore_index=True)
    ui.chart_block(trend_fig, trend_data, f"steckbrief_{region_id}_trends", permalink, key=f"{PAGE}.trends")
    ui.caption_sources(v, trend_sources)

st.subheader(t("sb_map"))
ui.chart_block(map_fig, highlight_frame.reset_index(drop=True), f"steckbrief_{region_id}_map", permalink, key=f"{PAGE}.map", geojsons=export_shapes, source_ids=["bkg_vg5000"])
ui.caption_sources(v, ["bkg_vg5000"])

# ---- projects ----------------------------------------------------------------
st.subheader(t("sb_projects"))
if projects is None:
    st.info(t("sb_projects_unavailable"))
elif projects.empty:
    st.info(t("sb_projects_none"))
else:
    st.dataframe(
        region_profile.project_table(projects, regions, registries), hide_index=True, width="stretch",
        column_config={
            t("sb_title_col"): st.column_config.TextColumn(width="large"),
            t("registry"): st.column_config.TextColumn(width="small"),
            t("link"): st.column_config.LinkColumn(t("link"), width="small"),
        },
    )
    ui.caption_sources(v, [s for s in dict.fromkeys(projects["source_id"].dropna())])

with st.expander(t("definition")):
    for f in figures:
        meta = inds.loc[f.indicator_id]
        st.markdown(f"**{md_escape(region_profile.figure_title(meta))}** ({md_escape(fmt.unit(meta, lang()))}): {md_escape(pick(meta['definition_de'], meta['definition_en']))}")
state.sync(PAGE, PARAMS)
