"""Trends: time series of one indicator for up to six regions, absolute, as an
index (base period = 100) or per inhabitant, with series breaks, flagged gaps
and optional lines for Germany and the Land."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts_compare, compare, compare_ui, data, i18n, state, ui
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
from dashboard.state import Param
from etl.catalogue import GERMANY_ID, LEVELS, TOPICS

i18n.register(
    {
        "trd_intro": (
            "Zeitreihen eines Indikators für bis zu sechs Regionen. Halbjahreswerte stehen Mitte (30.06.) und Ende (31.12.) des Jahres.",
            "Time series of one indicator for up to six regions. Half-year values sit at mid-year (30 June) and year end (31 Dec).",
        ),
        "trd_context": ("Vergleichslinien", "Context lines"),
        "trd_ctx_bund": ("Deutschland", "Germany"),
        "trd_ctx_land": ("Land", "Land"),
        "trd_land_line": ("{name} (Land)", "{name} (Land)"),
        "trd_index_title": ("Index ({base} = 100)", "Index ({base} = 100)"),
        "trd_no_base": ("Ohne Wert zum Basiszeitpunkt {base} (nicht gezeigt): {names}.", "No value in the base period {base} (not shown): {names}."),
        "trd_per_capita_note": (
            "Je Einwohner: geteilt durch die Einwohnerzahl (Indikator „Bevölkerung“) derselben Region zum nächsten Stichtag am oder vor dem Zeitpunkt. Verwendet: {used}.",
            "Per inhabitant: divided by the population (indicator 'population') of the same region at the nearest date on or before the period. Used: {used}.",
        ),
        "trd_pop_used": ("{series}: Bevölkerung vom {pop} für {periods}", "{series}: population of {pop} for {periods}"),
        "trd_pop_same": ("jeweils die Bevölkerung desselben Stichtags", "the population of the same date throughout"),
        "trd_pop_same_except": ("die Bevölkerung desselben Stichtags, außer {items}", "the population of the same date, except {items}"),
        "trd_pop_missing": ("{n} Werte ohne Einwohnerzahl am oder vor ihrem Zeitpunkt (Lücke).", "{n} values without a population on or before their period (gap)."),
        "trd_break_label": ("Bruch {i}", "Break {i}"),
        "trd_breaks_title": ("Brüche in der Reihe (gestrichelte Linien)", "Series breaks (dashed lines)"),
        "trd_break_item": ("**{label}** – ab {date}: {text}", "**{label}** – from {date}: {text}"),
        "trd_gap_note": ("Lücken: {items}. Diese Zeitpunkte haben keinen Wert und werden nicht verbunden.", "Gaps: {items}. These periods have no value and are not joined."),
        "trd_flag_kept_note": ("Mit Kennzeichen (offener Kreis): {items}.", "Flagged (open circle): {items}."),
        "trd_flag_kept_words": ("Werte mit Kennzeichen: {items}.", "Values with a flag: {items}."),
        "trd_flagged_legend": ("Wert mit Kennzeichen", "Flagged value"),
        "trd_missing_rows": ("{n} Zeitpunkte ohne veröffentlichten Wert für einzelne Reihen (Lücke).", "{n} periods without a published value for some series (gap)."),
        "trd_no_context": ("Keine Werte für: {names}.", "No values for: {names}."),
        "trd_population_label": ("Bevölkerung", "Population"),
    }
)

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
available, topic_of, preferred, topics = compare_ui.indicators_at(v, levels)
if available.empty:
    ui.empty()
    state.stop(PAGE, PARAMS)

c1, c2, c3 = st.columns([1, 2.6, 1.4])
with c1:
    state.imply(PAGE, P_IND, P_TOPIC, topic_of)
    state.choose(PAGE, P_TOPIC, topics, default=topic_of[preferred])
    topic = st.selectbox(t("topic"), topics, format_func={k: pick(*TOPICS.get(k, (k, k))) for k in topics}.get, key=state.key(PAGE, P_TOPIC))
choices = available[available["topic"] == topic]
ind_labels = {i: ui.indicator_label(choices.loc[i]) for i in choices.index}
with c2:
    state.choose(PAGE, P_IND, list(ind_labels), default=preferred)
    indicator_id = st.selectbox(t("indicator"), list(ind_labels), format_func=ind_labels.get, key=state.key(PAGE, P_IND))
ind = inds.loc[indicator_id]
unit = str(ind["unit"])
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
y_title = unit
shown_unit = unit
notes: list[str] = []
fmt_p = lambda p, pt: compare.period_text(p, pt, lang())  # noqa: E731
if mode == "index":
    base_options = [str(p.date()) for p in periods["period"]]
    base_types = dict(zip(base_options, periods["period_type"]))
    with_all = [p for p in base_options if frame[(frame["period"] == pd.Timestamp(p)) & (frame["role"] == "region")]["value"].notna().all()]
    state.choose(PAGE, P_BASE, base_options, default=with_all[0] if with_all else base_options[0])
    base = st.selectbox(t("base_period"), base_options, format_func={p: fmt_p(p, base_types[p]) for p in base_options}.get, key=state.key(PAGE, P_BASE))
    frame, no_base = compare.index_series(frame, base)
    base_text = fmt_p(base, base_types[base])
    if no_base:
        names = [spec_frame.set_index("series").loc[s, "label"] for s in no_base]
        st.warning(t("trd_no_base", base=base_text, names=md_escape(", ".join(names))))
    y_title = t("trd_index_title", base=base_text)
    shown_unit = ""
    decimals = 1
elif mode == "per_capita" and spec:
    population = data.series(v, "population", ids)
    had_value = frame["value"].notna().to_numpy()
    frame = compare.per_capita(frame, population, spec)
    shown_unit = pick(spec.unit_de, spec.unit_en)
    y_title = shown_unit
    decimals = 2
    use = compare.population_use(frame)
    periods_type = dict(zip(periods["period"], periods["period_type"]))
    label_of = dict(zip(spec_frame["series"], spec_frame["label"]))
    date_fmt = "%d.%m.%Y" if lang() == "de" else "%Y-%m-%d"
    parts = []
    for row in use[~use["same"]].itertuples():
        span = fmt_p(row.first, periods_type.get(row.first, "year"))
        if row.last != row.first:
            span += "–" + fmt_p(row.last, periods_type.get(row.last, "year"))
        parts.append(t("trd_pop_used", series=label_of.get(row.series, row.series), pop=pd.Timestamp(row.population_period).strftime(date_fmt), periods=span))
    used_text = "; ".join(parts) if parts else t("trd_pop_same")
    if parts and use["same"].any():
        used_text = t("trd_pop_same_except", items=used_text)
    notes.append(t("trd_per_capita_note", used=md_escape(used_text)))
    lacking = int((frame["population_period"].isna().to_numpy() & had_value).sum())
    if lacking:
        notes.append(t("trd_pop_missing", n=lacking))
else:
    mode = "absolute"

if frame["value"].notna().sum() == 0:
    for note in notes:
        st.caption(note)
    ui.empty()
    state.stop(PAGE, PARAMS)

# --- hover texts, breaks, chart
fl = data.flags(v)
flag_label = lambda f: pick(fl.loc[f, "label_de"], fl.loc[f, "label_en"]) if f in fl.index else str(f)  # noqa: E731


def _hover(row) -> str:
    when = fmt_p(row["period"], row["period_type"])
    if pd.isna(row["value"]):
        text = f"{when}: {t('no_data')}"
    else:
        text = f"{when}: {fmt_number(row['value'], decimals)} {shown_unit}".rstrip()
    if isinstance(row.get("flag"), str):
        text += f" ({flag_label(row['flag'])})"
    if mode == "per_capita" and pd.notna(row.get("population_period")):
        text += f"<br>{t('trd_population_label')} {pd.Timestamp(row['population_period']).year}: {fmt_number(row['population'], 0)}"
    return text


frame["hover"] = [_hover(r) for _, r in frame.iterrows()] if not frame.empty else []
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
    separators=",." if lang() == "de" else ".,", mark_flags=mark_flags,
)

if not gaps.empty:
    st.caption(t("trd_gap_note", items=", ".join(f"{flag_label(f)} ({n})" for f, n in gaps.items())))
if not kept.empty:
    st.caption(t("trd_flag_kept_note" if mark_flags else "trd_flag_kept_words", items=", ".join(f"{flag_label(f)} ({n})" for f, n in kept.items())))
if missing_rows:
    st.caption(t("trd_missing_rows", n=missing_rows))
if empty_series:
    st.caption(t("trd_no_context", names=md_escape(", ".join(empty_series))))

export_cols = ["label", "region_id", "role", "period", "period_type", "value", "flag", "source_id"]
export = frame.assign(unit=shown_unit or "index", period_text=[fmt_p(p, pt) for p, pt in zip(frame["period"], frame["period_type"])])
if mode == "per_capita":
    export_cols += ["population", "population_period"]
export = export[[*export_cols[:4], "period_text", *export_cols[4:6], "unit", *export_cols[6:]]]
export["period"] = export["period"].dt.date
permalink = state.permalink(PAGE, PAGE, PARAMS)
ui.chart_block(fig, export, f"dsr_trends_{indicator_id}_{mode}", permalink, key="trend")
for note in notes:
    st.caption(note)
if positions:
    st.markdown(f"**{t('trd_breaks_title')}**")
    for i, (_, b) in enumerate(positions):
        when = pd.Timestamp(b["date"]).strftime("%d.%m.%Y" if lang() == "de" else "%Y-%m-%d")
        st.markdown(t("trd_break_item", label=t("trd_break_label", i=i + 1), date=md_escape(when), text=md_escape(pick(b["explanation_de"], b["explanation_en"]))))
ui.caption_sources(v, source_ids)
ui.indicator_notes(v, indicator_id)
state.sync(PAGE, PARAMS)
