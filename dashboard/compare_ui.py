"""The Streamlit side shared by the Compare and Trends pages: their labels,
cached warehouse readers (search index, neighbours, level values, population)
and the region picker. The logic itself lives in ``dashboard.compare``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import compare, data, i18n, state
from dashboard.i18n import md_escape, t
from dashboard.state import Param

i18n.register(
    {
        "cmp_search_help": (
            "Name oder Schlüssel (AGS) eines Landes, Kreises oder einer Gemeinde; Umlaute dürfen fehlen (Muenchen, Munchen).",
            "Name or key (AGS) of a Land, district or municipality; umlauts may be left out (Muenchen, Munchen).",
        ),
        "cmp_regions_help": ("Bis zu {n} Regionen; die Suche oben füllt die Liste.", "Up to {n} regions; the search above fills the list."),
        "cmp_regions_placeholder": ("Regionen wählen", "Choose regions"),
        "cmp_dropped": ("Nicht übernommen (unbekannt oder mehr als {n}): {ids}", "Not taken (unknown or more than {n}): {ids}"),
        "cmp_pick_regions": ("Bitte wählen Sie mindestens eine Region (Suche oben).", "Please choose at least one region (search above)."),
        "cmp_hits": ("{n} Treffer für „{q}“ stehen in der Auswahlliste.", "{n} matches for '{q}' are in the list."),
    }
)

P_QUERY_SUFFIX = "q"


@st.cache_data(max_entries=2, show_spinner=False)
def search_index(v: str) -> pd.DataFrame:
    return compare.search_index(data.regions(v))


@st.cache_data(max_entries=2, show_spinner=False)
def labels(v: str) -> dict[str, str]:
    return compare.region_labels(data.regions(v))


@st.cache_data(max_entries=8, show_spinner="…")
def neighbours(v: str, level: str) -> pd.DataFrame:
    """Border-sharing pairs of one level, from the map shapes (about 1 s for Gemeinden, once)."""
    if level == "bund":
        return pd.DataFrame(columns=["region_id", "neighbour_id"], dtype="string")
    return compare.compute_neighbours(data._wh(v).shapes(level, "map"))


@st.cache_data(max_entries=64, show_spinner=False)
def level_values(v: str, indicator_id: str, levels: tuple[str, ...], period: str) -> pd.DataFrame:
    """Every region of the levels with its value (NaN where none) in one period."""
    frames = [data.values(v, indicator_id, level, period).assign(level=level) for level in levels]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["region_id", "level", "value"])


@st.cache_data(max_entries=8, show_spinner=False)
def latest_population(v: str, level: str) -> pd.DataFrame:
    """Latest population per region of a level: region_id, value, period."""
    obs = data._wh(v).sql(
        """
        SELECT o.region_id, o.period, o.value FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = 'population' AND r.level = ? AND o.value IS NOT NULL
        """,
        [level],
    )
    return compare.latest_values(obs)


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
    hits = compare.search_regions(search_index(v), query) if query else []
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
    return str(name) if region_id == compare.GERMANY_ID else f"{name} ({region_id})"
