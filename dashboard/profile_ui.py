"""The Streamlit side of the Steckbrief (region profile): the region choice,
the key-figure cards and comparison, the projects and the definitions. The
logic itself lives in ``dashboard.region_profile``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import compare_ui, data, fmt, region_profile, state, ui
from dashboard.i18n import lang, md_escape, pick, t
from dashboard.state import Param
from etl import gazetteer


def _matches(v: str, query: str) -> pd.DataFrame:
    """The gazetteer's hits (as on every page), without Germany as a whole."""
    hits = data.search_regions(v, query)
    return hits[hits["level"].isin(region_profile.SEARCH_LEVELS)]


def region_choice(v: str, page: str, p_query: Param, p_region: Param, params: list[Param]) -> str:
    """The search box (its best hit is chosen at once) and the list of hits;
    a key from a link that lost its leading zero is restored. Stops the page
    when there is nothing to show."""
    regions = data.regions(v)
    k_query, k_region = state.key(page, p_query), state.key(page, p_region)

    def pick_best_match() -> None:
        hits = _matches(v, st.session_state.get(k_query) or "")
        if not hits.empty:
            st.session_state[k_region] = hits["region_id"].iloc[0]

    current = st.session_state.get(k_region)
    unknown_key = None
    if isinstance(current, str) and current not in regions.index:
        fixed = [k for k in gazetteer.key_candidates(current) if k in regions.index]
        unknown_key = None if fixed else current
        st.session_state[k_region] = current = fixed[0] if fixed else None
    c1, c2 = st.columns([1, 2])
    with c1:
        query = st.text_input(t("search_region"), key=k_query, on_change=pick_best_match, placeholder=t("sb_placeholder"))
    matches = _matches(v, query or "")
    options = list(matches["region_id"])
    if isinstance(current, str) and current not in options and regions.loc[current, "level"] in region_profile.SEARCH_LEVELS:
        options.insert(0, current)
    state.choose(page, p_region, options)
    if unknown_key:
        st.warning(t("sb_unknown_region", region=md_escape(unknown_key)))
    if (query or "").strip() and matches.empty:
        st.info(t("no_match", q=md_escape(query)))
    if not options:
        if not (query or "").strip():
            st.info(t("sb_start"))
        state.stop(page, params)
    labels = data.region_labels(v)
    with c2:
        region_id = st.selectbox(t("choose_region"), options, format_func=labels.get, key=k_region)
    same_name = gazetteer.ambiguous_name(matches)
    if same_name:
        st.info(t("sb_ambiguous", n=int(matches["exact"].sum()), name=md_escape(same_name)))
    return region_id


def key_figures(v: str, page: str, region_id: str, figures, missing, peers, permalink: str) -> None:
    """The cards (value, sparkline, rank, date), then the comparison with Land,
    Germany and the peer group (named, with a link that opens it on Vergleich),
    its notes and downloads."""
    regions, inds = data.regions(v), data.indicators(v)
    st.subheader(t("sb_key_figures"))
    if not figures:
        ui.empty()
        return
    columns = st.columns(3)
    for i, f in enumerate(figures):
        meta = inds.loc[f.indicator_id]
        with columns[i % 3]:
            st.metric(
                md_escape(region_profile.short_label(f, meta)), region_profile.card_value(f, meta),
                chart_data=f.series["value"].tolist() if len(f.series) >= 2 else None, chart_type="line", border=True,
                help=md_escape(f"{fmt.title_and_unit(region_profile.figure_title(meta), fmt.unit(meta, lang()))}: {pick(meta['definition_de'], meta['definition_en'])}"),
            )
            details = [region_profile.holder_text(f, regions), region_profile.rank_text(f, meta), f"{t('reference_date')} {region_profile.period_text(f.period, f.period_type)}"]
            st.caption(md_escape(" · ".join(d for d in details if d)))
    st.subheader(t("sb_comparison"))
    st.caption(f"{md_escape(compare_ui.peer_description(peers, regions))} [{t('peer_open_compare')}]({compare_ui.peer_link(peers, lang())})")
    st.dataframe(region_profile.figure_table(figures, regions, inds), hide_index=True, width="stretch")
    notes = [t("sb_rank_note"), *region_profile.figure_notes(figures, missing, regions, inds, data.flags(v))]
    st.caption("\n".join(f"- {md_escape(note)}" for note in notes))
    numbers = ui.described(region_profile.figures_frame(figures))
    numbers_info = ui.info_sheet(numbers, permalink)
    d1, d2, _ = st.columns([1, 1, 3])
    with d1:
        st.download_button(t("sb_figures_download"), data=lambda: ui.csv_bytes(numbers), file_name=f"steckbrief_{region_id}.csv", mime="text/csv", key=f"{page}.csv", on_click="ignore", icon=":material/table:")
    with d2:
        st.download_button(t("sb_figures_download_xlsx"), data=lambda: ui.xlsx_bytes(numbers, numbers_info), file_name=f"steckbrief_{region_id}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{page}.xlsx", on_click="ignore", icon=":material/grid_on:")
    ui.caption_sources(v, [f.source_id for f in figures])


def projects_section(v: str, projects: pd.DataFrame | None) -> None:
    """The region's projects (its own and those of the units it lies in or contains)."""
    st.subheader(t("sb_projects"))
    if projects is None:
        st.info(t("sb_projects_unavailable"))
        return
    if projects.empty:
        st.info(t("sb_projects_none"))
        return
    st.dataframe(
        region_profile.project_table(projects, data.regions(v), data.table(v, "registries")), hide_index=True, width="stretch",
        column_config={
            t("sb_title_col"): st.column_config.TextColumn(width="large"),
            t("registry"): st.column_config.TextColumn(width="small"),
            t("link"): st.column_config.LinkColumn(t("link"), width="small"),
        },
    )
    ui.caption_sources(v, [s for s in dict.fromkeys(projects["source_id"].dropna())])


def definitions(v: str, figures) -> None:
    inds = data.indicators(v)
    with st.expander(t("definition")):
        for f in figures:
            meta = inds.loc[f.indicator_id]
            st.markdown(f"**{md_escape(fmt.title_and_unit(region_profile.figure_title(meta), fmt.unit(meta, lang())))}**: {md_escape(pick(meta['definition_de'], meta['definition_en']))}")
