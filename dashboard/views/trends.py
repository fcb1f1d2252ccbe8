"""Trends: time series of one indicator for up to six regions, absolute, as an
index (base period = 100) or per inhabitant, with series breaks, flagged gaps
and optional lines for Germany and the Land."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts_compare, compare, compare_ui, data, describe, fmt, state, ui
from dashboard.i18n import lang, pick, t
from dashboard.state import Param
from etl.catalogue import GERMANY_ID, LEVELS


PAGE = "trends"
P_REGIONS = Param("regions", [], "list")
P_TOPIC = Param("topic", None)
P_IND = Param("ind", None)
P_MODE = Param("mode", "absolute")
P_BASE = Param("base", None)
P_CTX = Param("ctx", [], "list")
PARAMS = [P_REGIONS, P_TOPIC, P_IND, P_MODE, P_BASE, P_CTX]


v = ui.require_warehouse()
state.restore(PAGE, PARAMS)
st.title(t("page_trends"))
st.caption(t("trd_intro"))

regions = data.regions(v)
inds = data.indicators(v)
selected = compare_ui.region_picker(v, PAGE, P_REGIONS)
if not selected:
    ui.empty("cmp_pick_regions")
    state.stop(PAGE, PARAMS)

levels = tuple(lv for lv in LEVELS if lv in set(regions.loc[selected, "level"]))
c1, c2, c3 = st.columns([1, 2.6, 1.4])
indicator_id = compare_ui.indicator_picker(v, PAGE, P_TOPIC, P_IND, levels, c1, c2)
if indicator_id is None:
    ui.empty()
    state.stop(PAGE, PARAMS)
ind = inds.loc[indicator_id]
unit = fmt.unit(ind, lang())
decimals = int(ind["decimals"])
spec = compare.per_capita_spec(indicator_id, unit, str(ind["aggregation"]), str(ind["topic"]))
modes = ["absolute", "index"] + (["per_capita"] if spec else [])
with c3:
    state.choose(PAGE, P_MODE, modes)
    mode = st.radio(t("mode"), modes, format_func={m: t(f"mode_{m}") for m in modes}.get, key=state.key(PAGE, P_MODE), horizontal=True)

# Context lines: Germany, and the Land of every chosen region below Land level.
land_ids = list(dict.fromkeys(
    regions.loc[r, "land_id"] for r in selected if regions.loc[r, "level"] in ("rbz", "kreis", "verband", "gemeinde")
))
ctx_options = ["bund"] + (["land"] if land_ids else [])
state.choose(PAGE, P_CTX, ctx_options)
context = st.pills(t("trd_context"), ctx_options, selection_mode="multi", format_func={c: t(f"trd_ctx_{c}") for c in ctx_options}.get, key=state.key(PAGE, P_CTX)) or []

series_specs = [(r, compare_ui.short_name(regions, r), "region") for r in selected]
if "bund" in context and GERMANY_ID not in selected:
    series_specs.append((GERMANY_ID, t("germany"), "bund"))
if "land" in context:
    series_specs += [(lid, t("trd_land_line", name=regions.loc[lid, "name"]), "land") for lid in land_ids if lid not in selected]
ids = tuple(dict.fromkeys(r for r, _, _ in series_specs))
obs = data.series(v, indicator_id, ids).copy()
obs["period"] = pd.to_datetime(obs["period"])
spec_frame = pd.DataFrame(series_specs, columns=["region_id", "label", "role"])
spec_frame["series"] = spec_frame["region_id"]
frame = spec_frame.merge(obs, on="region_id", how="inner")
if frame.empty or frame["value"].notna().sum() == 0:
    ui.empty()
    state.stop(PAGE, PARAMS)
empty_series = [lbl for rid, lbl, _ in series_specs if not frame.loc[(frame["region_id"] == rid), "value"].notna().any()]
periods = frame[["period", "period_type"]].drop_duplicates("period").sort_values("period")
raw = frame.copy()
frame = compare.complete_periods(frame, periods)
missing_rows = int(frame["source_id"].isna().sum())  # grid points with no observation row at all

# --- transform
fmt_p = lambda p, pt: compare.period_text(p, pt, lang())  # noqa: E731
if mode == "index":
    frame, y_title, decimals = compare_ui.indexed(PAGE, P_BASE, frame, periods, spec_frame)
    shown_unit, notes = "", []
elif mode == "per_capita" and spec:
    frame, notes = compare_ui.per_inhabitant(v, frame, periods, spec, spec_frame, ids)
    shown_unit = y_title = pick(spec.unit_de, spec.unit_en)
    decimals = 2
else:
    mode, y_title, shown_unit, notes = "absolute", unit, unit, []

if frame["value"].notna().sum() == 0:
    for note in notes:
        st.caption(note)
    ui.empty()
    state.stop(PAGE, PARAMS)

# --- hover texts, breaks, chart
flag_label = compare_ui.flag_labeller(v)
frame["hover"] = compare_ui.trend_hover(frame, mode, decimals, shown_unit, flag_label)
breaks = compare.parse_breaks(ind["breaks"])
positions = compare.break_positions(breaks, periods["period"])
break_marks = [(pos, t("trd_break_label", i=i + 1)) for i, (pos, _) in enumerate(positions)]
tickvals, ticktext = compare.period_ticks(periods, lang())
source_ids = list(dict.fromkeys(raw["source_id"].dropna())) or str(ind["source_ids"]).split(",")
if mode == "per_capita":
    source_ids += [s for s in data.series(v, "population", ids)["source_id"].dropna().unique() if s not in source_ids]
line = ui.source_line(v, source_ids)
mode_text = "" if mode == "absolute" else f" – {t('mode_' + mode)}"
title = f"{pick(ind['title_de'], ind['title_en'])}{mode_text}"
gaps, kept = compare.flag_counts(frame)
# Circles help where few values carry a flag; where most do, they would hide the lines: say it in words only.
mark_flags = 0 < kept.sum() <= 0.5 * frame["value"].notna().sum()
fig = charts_compare.trend_chart(
    frame, title, line, y_title, tickvals, ticktext, break_marks, flagged_name=t("trd_flagged_legend"),
    lang=lang(), mark_flags=mark_flags,
)

compare_ui.trend_notes(gaps, kept, mark_flags, missing_rows, empty_series, flag_label)

export_cols = ["label", "region_id", "role", "period", "period_type", "value", "flag", "source_id"]
export = frame.assign(unit=shown_unit or "index", period_text=[fmt_p(p, pt) for p, pt in zip(frame["period"], frame["period_type"])])
if mode == "per_capita":
    export_cols += ["population", "population_period"]
export = export[[*export_cols[:4], "period_text", *export_cols[4:6], "unit", *export_cols[6:]]]
export["period"] = export["period"].dt.date
permalink = state.permalink(PAGE, PAGE, PARAMS)
ui.chart_block(fig, export, f"dsr_trends_{indicator_id}_{mode}", permalink, key="trend", indicator_id=indicator_id, decimals=decimals, shown=describe.Shown(label="label", unit=shown_unit))
for note in notes:
    st.caption(note)
compare_ui.breaks_list(positions)
ui.caption_sources(v, source_ids)
ui.indicator_notes(v, indicator_id)
state.sync(PAGE, PARAMS)
