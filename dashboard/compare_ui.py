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
