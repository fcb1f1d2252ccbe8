"""The Streamlit side shared by the Compare and Trends pages: their labels,
cached readers (search index, level values), the region picker and the words
for a peer group (also used by the Steckbrief). The logic itself lives in
``dashboard.compare`` and ``dashboard.peers``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import compare, data, fmt, i18n, peers, state, ui
from dashboard.i18n import md_escape, t
from dashboard.state import Param
from etl.catalogue import GERMANY_ID


P_QUERY_SUFFIX = "q"


def labels(v: str) -> dict[str, str]:
    return data.region_labels(v)


@st.cache_data(max_entries=64, show_spinner=False)
def level_values(v: str, indicator_id: str, levels: tuple[str, ...], period: str) -> pd.DataFrame:
    """Every region of the levels with its value (NaN where none) in one period."""
    frames = [data.values(v, indicator_id, level, period).assign(level=level) for level in levels]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["region_id", "level", "value"])


def indicators_at(v: str, levels: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, str], str | None, list[str]]:
    """Indicators with values at any of ``levels``: the frame, each one's topic,
    the preferred default and the topics in catalogue order (Compare and Trends)."""
    cov = data.coverage(v)
    cov = cov[(cov["n_values"] > 0) & cov["level"].isin(levels)]
    inds = data.indicators(v)
    available = inds[inds["indicator_id"].isin(cov["indicator_id"])]
    topic_of = dict(zip(available["indicator_id"], available["topic"]))
    preferred = compare.default_indicator(list(available["indicator_id"]), topic_of)
    return available, topic_of, preferred, list(dict.fromkeys(available["topic"]))


def indicator_picker(v: str, page: str, p_topic: Param, p_ind: Param, levels: tuple[str, ...], topic_col, ind_col) -> str | None:
    """Topic and indicator selectboxes (in the given columns) over the indicators
    with values at ``levels``; a link's indicator implies its topic. None when
    no indicator has values there."""
    from etl.catalogue import TOPICS

    available, topic_of, preferred, topics = indicators_at(v, levels)
    if available.empty:
        return None
    with topic_col:
        state.imply(page, p_ind, p_topic, topic_of)
        state.choose(page, p_topic, topics, default=topic_of[preferred])
        topic = st.selectbox(t("topic"), topics, format_func={k: i18n.pick(*TOPICS.get(k, (k, k))) for k in topics}.get, key=state.key(page, p_topic))
    choices = available[available["topic"] == topic]
    ind_labels = {i: ui.indicator_label(choices.loc[i]) for i in choices.index}
    with ind_col:
        state.choose(page, p_ind, list(ind_labels), default=preferred)
        return st.selectbox(t("indicator"), list(ind_labels), format_func=ind_labels.get, key=state.key(page, p_ind))


def region_picker(v: str, page: str, param: Param) -> list[str]:
    """Search (tolerant of umlauts) plus a multiselect of up to six regions.

    The multiselect offers the chosen regions and the current search hits, so
    the browser never gets all 11 000 names; the chosen keys live in the URL.
    """
    regions = data.regions(v)
    names = labels(v)
    key = state.key(page, param)
    wanted = list(st.session_state.get(key) or [])
    kept, dropped = compare.clean_selection(wanted, regions.index, compare.MAX_REGIONS)
    st.session_state[key] = kept
    query = st.text_input(t("search_region"), key=f"{page}.{P_QUERY_SUFFIX}", help=t("cmp_search_help"))
    hits = list(data.search_regions(v, query)["region_id"]) if query else []
    options = kept + [h for h in hits if h not in kept]
    chosen = st.multiselect(
        t("regions"), options, format_func=lambda r: names.get(r, r), key=key,
        max_selections=compare.MAX_REGIONS, help=t("cmp_regions_help", n=compare.MAX_REGIONS),
        placeholder=t("cmp_regions_placeholder"),
    )
    if query and not hits:
        st.caption(t("no_match", q=md_escape(query)))
    elif query:
        st.caption(t("cmp_hits", n=len(hits), q=md_escape(query)))
    if dropped:
        st.warning(t("cmp_dropped", n=compare.MAX_REGIONS, ids=md_escape(", ".join(dropped))))
    return list(chosen)


def short_name(regions: pd.DataFrame, region_id: str) -> str:
    """'München (09162)': the name with the key, for legends and axes."""
    if region_id not in regions.index:
        return region_id
    name = regions.loc[region_id, "name"]
    return str(name) if region_id == GERMANY_ID else f"{name} ({region_id})"


def peer_group(v: str, region_id: str, criteria=peers.DEFAULT, relax: bool = True) -> peers.PeerGroup:
    """The peer group of a region from the build's attributes (one rule for every page)."""
    regions = data.regions(v)
    level = str(regions.at[region_id, "level"])
    nb = data.neighbours(v, level) if "neighbours" in criteria else None
    return peers.peer_group(regions, region_id, criteria, neighbours=nb, relax=relax)


def peer_description(group: peers.PeerGroup, regions: pd.DataFrame) -> str:
    """'Kreise, Art „Landkreis“, 300.000–500.000 Einwohner – 33 Regionen.' (what the group shares)."""
    parts = [t(f"level_{group.level}")]
    if "type" in group.criteria:
        parts.append(t("peer_desc_kind", kind=group.kind))
    if "size" in group.criteria and group.size_class:
        parts.append(t("peer_desc_size", size=fmt.label_text(group.size_class, i18n.lang())))
    if "land" in group.criteria:
        land = regions.at[group.region_id, "land_id"]
        parts.append(t("peer_desc_land", land=regions.at[land, "name"] if land in regions.index else land))
    if "neighbours" in group.criteria:
        parts.append(t("peer_desc_neighbours"))
    desc = ", ".join(parts)
    if group.relaxed:
        desc = f"{desc} {t('peer_desc_relaxed')}"
    return t("peer_desc_group", desc=desc, n=len(group.ids))


def peer_link(group: peers.PeerGroup, lang: str) -> str:
    """Relative URL of the Vergleich page showing exactly this group (its criteria as used)."""
    from urllib.parse import urlencode

    query = {"regions": group.region_id, "peers": ",".join(group.criteria) or "none"}
    if lang != "de":
        query["lang"] = lang
    return f"vergleich?{urlencode(query, safe=',')}"


def signed(x: float, digits: int) -> str:
    """A gap with its sign ("+1,5", "–" when missing), in the session's language."""
    if pd.isna(x):
        return "–"
    return ("+" if x > 0 else "") + i18n.fmt_number(x, digits)


def _rank_text(rank: float, n: float) -> str:
    return "–" if pd.isna(rank) else f"{int(rank)} {t('cmp_rank_of')} {int(n)}"


def _change_text(x: float) -> str:
    if pd.isna(x):
        return "–"
    return f"▲ {int(x)}" if x > 0 else (f"▼ {int(-x)}" if x < 0 else "=")


def ranking_section(table: pd.DataFrame, ind: pd.Series, n_group: int, median: float, gunit: str, period_a: str, period_b: str) -> None:
    """The Vergleich page's ranking: ranks among all regions of the level and
    within the group, in A and B, with a warning for a series break between them."""
    decimals = int(ind["decimals"])
    st.subheader(t("cmp_ranking"))
    st.caption(t("cmp_rank_help", best=t(f"cmp_best_{ind['better']}")))
    for b in compare.breaks_between(compare.parse_breaks(ind["breaks"]), period_a, period_b):
        st.warning(t("cmp_break_between", date=md_escape(compare.period_text(b["date"], "year", i18n.lang())), text=md_escape(i18n.pick(b["explanation_de"], b["explanation_en"]))))
    if period_a == period_b:
        st.caption(t("cmp_same_period"))
    number = i18n.fmt_number
    shown = pd.DataFrame(
        {
            t("name"): table["name"],
            t("key"): table["region_id"],
            t("cmp_value_b"): [number(x, decimals) for x in table["value"]],
            t("cmp_median_col"): number(median, decimals),
            f"{t('cmp_gap')} ({gunit})": [signed(x, decimals) for x in table["gap"]],
            t("cmp_gap_pct"): [signed(x, 1) for x in table["gap_pct"]],
            t("cmp_value_a"): [number(x, decimals) for x in table["value_a"]],
            t("cmp_rank_a"): [_rank_text(r, n) for r, n in zip(table["rank_a"], table["n_a"])],
            t("cmp_rank_b"): [_rank_text(r, n) for r, n in zip(table["rank_b"], table["n_b"])],
            t("cmp_change"): [_change_text(x) for x in table["change"]],
            t("cmp_group_rank_a"): [_rank_text(r, n_group - int(pd.isna(table["value_a"]).sum())) for r in table["group_rank_a"]],
            t("cmp_group_rank_b"): [_rank_text(r, n_group - int(pd.isna(table["value"]).sum())) for r in table["group_rank_b"]],
            t("cmp_group_change"): [_change_text(x) for x in table["group_change"]],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch", height=min(420, 40 + 35 * len(shown)))


def projects_section(v: str, shown: list[str]) -> None:
    """The digital projects of the regions in the chart, with their registries' sources."""
    regions = data.regions(v)
    labels = data.region_labels(v)
    st.subheader(t("cmp_projects_title"))
    projects = data.table(v, "projects")
    links = data.table(v, "project_regions")
    if projects is None or links is None:
        st.caption(t("cmp_projects_missing"))
    else:
        ran = compare.projects_of_regions(projects, links, shown)
        if ran.empty:
            st.caption(t("cmp_projects_none"))
        else:
            summary = ran.groupby("region_id").agg(n=("project_id", "size"), registries=("registry_id", lambda s: ", ".join(sorted(set(s)))))
            summary = summary.reindex(shown).fillna({"n": 0, "registries": ""})
            st.dataframe(
                pd.DataFrame({t("name"): [short_name(regions, r) for r in summary.index], t("n_projects"): summary["n"].astype(int).to_numpy(), t("registry"): summary["registries"].to_numpy()}),
                hide_index=True, width="stretch",
            )
            detail = pd.DataFrame(
                {
                    t("name"): [short_name(regions, r) for r in ran["region_id"]],
                    t("cmp_title_col"): ran["title"].to_numpy() if "title" in ran else ran["project_id"].to_numpy(),
                    t("registry"): ran["registry_id"].to_numpy(),
                    t("round"): ran["round"].to_numpy() if "round" in ran else None,
                    t("category"): ran["category"].to_numpy() if "category" in ran else None,
                    t("cmp_year"): ran["year"].to_numpy() if "year" in ran else None,
                    t("cmp_funding_federal"): ran["funding_federal_eur"].to_numpy() if "funding_federal_eur" in ran else None,
                    t("cmp_role"): ran["role"].to_numpy(),
                    t("cmp_via"): [labels.get(x, x) if isinstance(x, str) else "" for x in ran["via"]],
                }
            )
            st.dataframe(detail, hide_index=True, width="stretch", height=min(420, 40 + 35 * len(detail)))
            st.caption(t("cmp_projects_note"))
            registry_sources = [s for s in ran.get("source_id", pd.Series(dtype=str)).dropna().unique()] or sorted(ran["registry_id"].unique())
            ui.caption_sources(v, registry_sources)
            registries = data.table(v, "registries")
            if registries is not None:
                known = set(data.sources(v).index)
                for r in registries[registries["registry_id"].isin(ran["registry_id"]) & ~registries["registry_id"].isin(known)].itertuples():
                    st.caption(f"{t('source')}: {md_escape(r.attribution)} ({t('licence')}: {md_escape(r.licence)})")


def gap_chart(table: pd.DataFrame, shown: list[str], anchor: str | None, ind: pd.Series, median: float, title: str, source_line: str):
    """The bars of the regions shown with their gap to the median (the anchor
    highlighted), the median as a dashed line."""
    from dashboard import charts_compare

    lang = i18n.lang()
    number = i18n.fmt_number
    unit, decimals = fmt.unit(ind, lang), int(ind["decimals"])
    gunit = compare.gap_unit(unit, lang)
    regions = table.set_index("region_id")
    rows = regions.loc[shown].reset_index().sort_values("value", ascending=(ind["better"] == "lower"), na_position="last")
    frame = pd.DataFrame(
        {
            "label": [n if r == GERMANY_ID else f"{n} ({r})" for n, r in zip(rows["name"], rows["region_id"])],
            "value": rows["value"].to_numpy(),
            "text": [f"{number(x, decimals)} ({signed(g, decimals)})" for x, g in zip(rows["value"], rows["gap"])],
            "hover": [
                f"{t('value')}: {number(x, decimals)} {unit}<br>{t('cmp_median_col')}: {number(median, decimals)} {unit}"
                f"<br>{t('cmp_gap')}: {signed(g, decimals)} {gunit} ({fmt.percent(p, 1, lang, signed=True)})"
                for x, g, p in zip(rows["value"], rows["gap"], rows["gap_pct"])
            ],
            "highlight": (rows["region_id"] == anchor).to_numpy(),
        }
    )
    name = i18n.pick(ind["title_de"], ind["title_en"])
    return charts_compare.gap_bar_chart(
        frame, median, title, source_line, fmt.title_and_unit(name, unit), t("cmp_median_value", value=f"{number(median, decimals)} {unit}"), t("no_data"), lang=lang,
    )


# ---------------------------------------------------------------- Trends


def indexed(page: str, p_base: Param, frame: pd.DataFrame, periods: pd.DataFrame, spec_frame: pd.DataFrame) -> tuple[pd.DataFrame, str, int]:
    """The series indexed to a base period (= 100) the user chooses; by default
    the first period where every chosen region has a positive value. A base
    far below the series' usual level (a fiftieth of its median) is warned of:
    the index would climb to thousands. Returns the frame, the axis title and
    the decimals."""
    lang = i18n.lang()
    base_options = [str(p.date()) for p in periods["period"]]
    base_types = dict(zip(base_options, periods["period_type"]))
    regions = frame[frame["role"] == "region"]
    positive = [p for p in base_options if (regions.loc[regions["period"] == pd.Timestamp(p), "value"] > 0).all()
                and regions.loc[regions["period"] == pd.Timestamp(p), "value"].notna().any()]
    state.choose(page, p_base, base_options, default=positive[0] if positive else base_options[0])
    labels = {p: compare.period_text(p, base_types[p], lang) for p in base_options}
    base = st.selectbox(t("base_period"), base_options, format_func=labels.get, key=state.key(page, p_base))
    small = compare.small_bases(frame, base)
    indexed_frame, no_base = compare.index_series(frame, base)
    names = spec_frame.set_index("series")["label"]
    if no_base:
        st.warning(t("trd_no_base", base=labels[base], names=md_escape(", ".join(names.get(s, s) for s in no_base))))
    if small:
        st.warning(t("trd_small_base", base=labels[base], names=md_escape(", ".join(names.get(s, s) for s in small))))
    return indexed_frame, t("trd_index_title", base=labels[base]), 1


def per_inhabitant(v: str, frame: pd.DataFrame, periods: pd.DataFrame, spec, spec_frame: pd.DataFrame, ids: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """The series divided by the population of the same region at the nearest
    date on or before each period, and notes saying which population was used."""
    lang = i18n.lang()
    had_value = frame["value"].notna().to_numpy()
    out = compare.per_capita(frame, data.series(v, "population", ids), spec)
    use = compare.population_use(out)
    periods_type = dict(zip(periods["period"], periods["period_type"]))
    label_of = dict(zip(spec_frame["series"], spec_frame["label"]))
    parts = []
    for row in use[~use["same"]].itertuples():
        span = compare.period_text(row.first, periods_type.get(row.first, "year"), lang)
        if row.last != row.first:
            span += "–" + compare.period_text(row.last, periods_type.get(row.last, "year"), lang)
        parts.append(t("trd_pop_used", series=label_of.get(row.series, row.series), pop=fmt.date(row.population_period, lang), periods=span))
    used_text = "; ".join(parts) if parts else t("trd_pop_same")
    if parts and use["same"].any():
        used_text = t("trd_pop_same_except", items=used_text)
    notes = [t("trd_per_capita_note", used=md_escape(used_text))]
    lacking = int((out["population_period"].isna().to_numpy() & had_value).sum())
    if lacking:
        notes.append(t("trd_pop_missing", n=lacking))
    return out, notes


def flag_labeller(v: str):
    """flag → its meaning in the session's language."""
    fl = data.flags(v)
    return lambda f: i18n.pick(fl.loc[f, "label_de"], fl.loc[f, "label_en"]) if f in fl.index else str(f)


def trend_hover(frame: pd.DataFrame, mode: str, decimals: int, unit: str, flag_label) -> list[str]:
    """The hover text of every point: period, value with unit (or no data), its flag, the population used."""
    lang = i18n.lang()
    out = []
    for _, row in frame.iterrows():
        when = compare.period_text(row["period"], row["period_type"], lang)
        text = f"{when}: {t('no_data')}" if pd.isna(row["value"]) else f"{when}: {i18n.fmt_number(row['value'], decimals)} {unit}".rstrip()
        if isinstance(row.get("flag"), str):
            text += f" ({flag_label(row['flag'])})"
        if mode == "per_capita" and pd.notna(row.get("population_period")):
            text += f"<br>{t('trd_population_label')} {pd.Timestamp(row['population_period']).year}: {i18n.fmt_number(row['population'], 0)}"
        out.append(text)
    return out


def trend_notes(gaps: pd.Series, kept: pd.Series, mark_flags: bool, missing_rows: int, empty_series: list[str], flag_label) -> None:
    """What the lines leave out or mark, said under the chart."""
    if not gaps.empty:
        st.caption(t("trd_gap_note", items=", ".join(f"{flag_label(f)} ({n})" for f, n in gaps.items())))
    if not kept.empty:
        st.caption(t("trd_flag_kept_note" if mark_flags else "trd_flag_kept_words", items=", ".join(f"{flag_label(f)} ({n})" for f, n in kept.items())))
    if missing_rows:
        st.caption(t("trd_missing_rows", n=missing_rows))
    if empty_series:
        st.caption(t("trd_no_context", names=md_escape(", ".join(empty_series))))


def breaks_list(positions: list) -> None:
    """The series breaks drawn in the chart, each with its explanation."""
    if not positions:
        return
    st.markdown(f"**{t('trd_breaks_title')}**")
    for i, (_, b) in enumerate(positions):
        st.markdown(t("trd_break_item", label=t("trd_break_label", i=i + 1), date=md_escape(fmt.date(b["date"], i18n.lang())), text=md_escape(i18n.pick(b["explanation_de"], b["explanation_en"]))))
