"""Quellen & Methodik / Sources & method: every source with publisher, licence,
attribution, reference date and link; indicator definitions and breaks; the
build manifest; the quarantine summary (what was left out and why)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard import data, state, ui
from dashboard.text import cell_text
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
from dashboard.state import Param
from etl.catalogue import TOPICS


def territorial_section(v: str) -> None:
    """The territorial status of the data and how historic keys were converted, with counts."""
    summary = data.territorial_summary(v)
    st.subheader(t("terr_title"))
    st.markdown(t("terr_text"))
    rows = [(t(f"terr_level_{r['level']}"), r["rows"], r["old_keys"], r["new_units"]) for r in summary["levels"]]
    st.dataframe(pd.DataFrame(rows, columns=[t("level"), t("terr_rows"), t("terr_old_keys"), t("terr_new_units")]), hide_index=True)
    st.markdown(t("terr_converted", n=summary["harmonised_values"], k=summary["harmonised_regions"]))
    left = pd.DataFrame(summary["left_out"], columns=[t("q_reason"), t("q_rows")])
    st.markdown(t("terr_left_out", n=int(left[t("q_rows")].sum()) if not left.empty else 0))
    st.dataframe(left, hide_index=True, width="stretch")


def quarantine_section(v: str, by_source: dict[str, dict[str, int]]) -> None:
    """The build's count of quarantined rows by source and reason (nothing
    recomputed per rerun), and the rows themselves, of one source or all."""
    if not by_source:
        st.info(t("empty_selection"))
        return
    st.subheader(t("q_summary"))
    summary = pd.DataFrame(
        [(sid, reason, n) for sid, reasons in by_source.items() for reason, n in reasons.items()],
        columns=[t("source"), t("q_reason"), t("q_rows")],
    ).sort_values(t("q_rows"), ascending=False)
    st.dataframe(summary, hide_index=True, width="stretch")
    options = ["", *sorted(by_source)]
    state.choose(PAGE, P_SRC, options)
    names = {s: s or t("all") for s in options}  # taken now: AppTest formats values outside the session
    src = st.selectbox(t("q_filter"), options, format_func=names.get, key=state.key(PAGE, P_SRC))
    st.dataframe(data.quarantine(v, src or None, limit=QUARANTINE_SHOWN), hide_index=True, width="stretch", height=360)
    st.caption(t("q_shown", n=fmt_number(QUARANTINE_SHOWN, 0)))
    st.download_button(
        t("download_csv"), data=lambda: ui.csv_bytes(data.quarantine(v, src or None)), file_name=f"dsr_quarantine{'_' + src if src else ''}.csv",
        mime="text/csv", on_click="ignore", key="q.csv",
    )


def manifest_tabs(v: str, tab_q, tab_build) -> None:
    """The Quality and Build tabs from the whole manifest, read for this run
    only: its quarantine summary is not kept in the app's memory (a local
    here, dropped when the function returns, not a global of the page).
    Build: when and from which code, row counts, step times, the manifest."""
    m = data.full_manifest(v)
    with tab_q:
        quarantine_section(v, m.get("quarantine_by_source_and_reason", {}))
        territorial_section(v)
        dups = data.table(v, "duplicates")
        if dups is not None and not dups.empty:
            st.subheader(t("dups"))
            st.dataframe(dups, hide_index=True, width="stretch")
    with tab_build:
        st.markdown(t("built", built=m["built_at"], code=m["code_version"]))
        c1, c2 = st.columns(2)
        with c1:
            st.markdown(f"**{t('row_counts')}**")
            st.dataframe(pd.DataFrame(list(m.get("row_counts", {}).items()), columns=["table", t("q_rows")]), hide_index=True)
        with c2:
            st.markdown(f"**{t('stage_times')}**")
            st.dataframe(pd.DataFrame(list(m.get("stage_seconds", {}).items()), columns=["step", "s"]), hide_index=True)
        with st.expander(t("manifest")):
            st.json({k: val for k, val in m.items() if k != "inputs"}, expanded=False)
            st.json(m.get("inputs", {}), expanded=False)


PAGE = "quellen"
P_SRC = Param("src", "")
PARAMS = [P_SRC]
QUARANTINE_SHOWN = 5000  # rows in the table on the page; the download has them all

v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
st.title(t("page_sources"))
st.markdown(t("src_intro"))

tab_src, tab_ind, tab_q, tab_build = st.tabs([t("tab_sources"), t("tab_indicators"), t("tab_quality"), t("tab_build")])

with tab_src:
    for _, s in data.sources(v).iterrows():
        with st.container(border=True):
            st.markdown(f"#### {md_escape(s['title'])}")
            st.markdown(md_escape(pick(s["description_de"], s["description_en"])))
            st.markdown(
                f"- **{t('src_publisher')}:** {md_escape(s['publisher'])}\n"
                f"- **{t('reference_date')}:** {md_escape(s['reference_date'])}\n"
                f"- **{t('licence')}:** [{md_escape(s['licence'])}]({s['licence_url']})\n"
                f"- **{t('src_attribution')}:** [{md_escape(s['attribution'])}]({s['attribution_url'] or s['url']})\n"
                f"- **{t('link')}:** [{md_escape(s['url'])}]({s['url']})"
            )
            caveats = pick(cell_text(s["caveats_de"]), cell_text(s["caveats_en"]))
            if caveats:
                st.markdown(f"**{t('caveats')}:**\n" + "\n".join(f"- {md_escape(c)}" for c in caveats.split("\n") if c))
            with st.expander(t("src_files")):
                st.code(s["files"], language=None)
    st.subheader(t("method"))
    st.markdown(t("method_text"))

with tab_ind:
    inds = data.indicators(v)
    shown = pd.DataFrame(
        {
            t("indicator"): [pick(a, b) for a, b in zip(inds["title_de"], inds["title_en"])],
            "id": inds["indicator_id"],
            t("topic"): [pick(*TOPICS.get(k, (k, k))) for k in inds["topic"]],
            t("unit"): inds["unit_en"] if lang() == "en" else inds["unit"],
            t("definition"): [pick(a, b) for a, b in zip(inds["definition_de"], inds["definition_en"])],
            t("better"): [t(f"better_{b}") for b in inds["better"]],
            t("aggregation"): inds["aggregation"],
            t("level"): inds["levels"],
            t("source"): inds["source_ids"],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch", height=420)
    breaks = inds[inds["breaks"].notna()]
    if not breaks.empty:
        st.markdown(f"**{t('series_break')}**")
        for _, ind in breaks.iterrows():
            for b in json.loads(ind["breaks"]):
                st.markdown(f"- **{md_escape(pick(ind['title_de'], ind['title_en']))}**, {b['date']}: {md_escape(pick(b['explanation_de'], b['explanation_en']))}")
    fl = data.flags(v)
    st.markdown(f"**{t('flags_title')}**")
    st.dataframe(
        pd.DataFrame({"flag": fl["flag"], t("definition"): [pick(a, b) for a, b in zip(fl["label_de"], fl["label_en"])]}),
        hide_index=True, width="stretch",
    )
    ui.full_data_downloads(v, PAGE)

manifest_tabs(v, tab_q, tab_build)

state.sync(PAGE, PARAMS)
