"""The Streamlit side of the Karte page around the map itself: the
classification controls, the period slider that plays the map through its
periods, the no-data texts, the card of a region chosen on the map and the
data table. The map is ``dashboard.mapview``; classes are
``dashboard.charts.classify``, over all periods at once (``data.period_classes``)."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from dashboard import data, fmt, state
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
from dashboard.state import Param

METHODS = ["quantile", "equal", "jenks", "manual"]
CLASS_COUNTS = [3, 4, 5, 6, 7]
# Seconds from one period to the next while the map plays: one fragment rerun
# of the playing session each (a Gemeinde map sends 11,000 values a step).
PLAY_SECONDS = {"land": 1.5, "kreis": 1.5, "verband": 2.5, "gemeinde": 3.0}


def parse_breaks(text: str) -> list[float] | None:
    """Manual class breaks "20; 40,5; 60" (decimal comma or point), ascending
    and distinct; None when the text is no such list."""
    try:
        breaks = [float(x.replace(",", ".")) for x in (text or "").split(";") if x.strip()]
    except ValueError:
        return None
    if not breaks or breaks != sorted(breaks) or len(set(breaks)) != len(breaks):
        return None
    return breaks


def classification_controls(page: str, p_cls: Param, p_k: Param, p_breaks: Param, draw: bool = True) -> tuple[str, int, list[float] | None]:
    """Method, number of classes and (for manual classes) the breaks. Manual
    classes without valid breaks are drawn as quantiles, and the page says so.
    With ``draw=False`` the same choice is read from the session (the URL's
    values, or the defaults) without drawing the controls or the warning."""
    state.choose(page, p_cls, METHODS)
    state.choose(page, p_k, CLASS_COUNTS, default=5)
    if draw:
        st.markdown(f"**{t('classification')}**")
        method = st.radio(t("classification"), METHODS, format_func=lambda m: t(f"cls_{m}"), key=state.key(page, p_cls), label_visibility="collapsed")
        k = st.select_slider(t("classes"), options=CLASS_COUNTS, key=state.key(page, p_k))
    else:
        method, k = st.session_state[state.key(page, p_cls)], st.session_state[state.key(page, p_k)]
    if method != "manual":
        return method, k, None
    if draw:
        text = st.text_input(t("manual_breaks"), key=state.key(page, p_breaks), placeholder=t("manual_breaks_help"))
    else:
        text = st.session_state.get(state.key(page, p_breaks))
    breaks = parse_breaks(text)
    if breaks is None:
        if draw:
            st.warning(t("manual_breaks_invalid") if (text or "").strip() else t("manual_breaks_missing"))
        return "quantile", k, None
    return method, k, breaks


def period_choices(at_level: pd.DataFrame, indicator_id: str) -> tuple[list[str], dict[str, str]]:
    """The periods of an indicator at a level (``data.coverage_at``), in
    order, and each one's type: one entry per period (a period given by most
    regions as a half-year and by one as a year is the half-year)."""
    periods = at_level[at_level["indicator_id"] == indicator_id].sort_values(["period", "n_values"], ascending=[True, False]).drop_duplicates("period")
    options = [str(p) for p in periods["period"]]
    return options, dict(zip(options, periods["period_type"]))


def first_view(page: str, drawn_key: str):
    """In the session's first view of the page, the callback the map calls
    once drawn (it sets ``st.session_state[drawn_key]``); else None.

    The first view is the map: until the map reports itself drawn, the
    sidebar's choices (``choice``, ``side_controls``) are read from the link
    or the defaults without drawing them, nor anything below the map, so that
    the browser's first second goes to the map (issue 14); they follow in the
    run the report causes, which does not redraw the map. A link that turns
    the projects on shows everything at once: their filters decide what the
    map outlines."""
    from dashboard import projects_overlay

    def drawn() -> None:
        st.session_state[drawn_key] = True

    shown = projects_overlay.show_value(st.session_state.get(state.key(page, projects_overlay.P_SHOW)))
    return None if st.session_state.get(drawn_key) or shown else drawn


def choice(page: str, param: Param, options: list, label: str, format_func, draw: bool, default=None, where=None):
    """One of the map's choices (level, topic, indicator): a select box in
    ``where`` (the sidebar unless given), or with ``draw=False`` (the first
    view) the link's or the default value (``state.choose``) without drawing it."""
    state.choose(page, param, options, default=default)
    key = state.key(page, param)
    if not draw:
        return st.session_state[key]
    with where or st.sidebar:
        return st.selectbox(label, options, format_func=format_func, key=key)


# The height of the row above the map that holds the indicator's select box
# (its label and box): kept in the first view, before the box is drawn, so
# that the map does not move when it comes.
CHOICE_ROW_PX = 76


def side_controls(v: str, page: str, p_cls: Param, p_k: Param, p_breaks: Param, draw: bool):
    """The classification (``classification_controls``) and the projects
    overlay in the sidebar below the choices; with ``draw=False`` (the first
    view) only the classification, read from the session."""
    from dashboard import projects_overlay

    if not draw:
        return classification_controls(page, p_cls, p_k, p_breaks, draw=False), None
    with st.sidebar:
        return classification_controls(page, p_cls, p_k, p_breaks), projects_overlay.controls(v, page)


def map_texts() -> dict[str, str]:
    """The map component's own texts in the session's language."""
    return {key: t(label) for key, label in (("no_data", "no_data"), ("rank", "rank"), ("zoom_in", "map_zoom_in"),
                                             ("zoom_out", "map_zoom_out"), ("zoom_reset", "map_zoom_reset"), ("error", "map_error"))}


def no_data_texts(v: str, frame: pd.DataFrame) -> pd.Series:
    """"keine Daten", with the publisher's marker where a value is missing for a reason."""
    fl = data.flags(v)
    meaning = {f: pick(fl.loc[f, "label_de"], fl.loc[f, "label_en"]) for f in fl.index}
    texts = pd.Series(t("no_data"), index=frame.index)
    flagged = frame["flag"].notna() & frame["value"].isna()
    return texts.mask(flagged, t("no_data") + ": " + frame["flag"].map(meaning).astype(str))


def chosen_region(v: str, frame: pd.DataFrame, selected: str, unit: str, n_ranked: int, number, choose) -> None:
    """The region chosen on the map: its value and rank, links to its profile and to the comparison."""
    chosen = frame.set_index("region_id").loc[selected] if selected in set(frame["region_id"]) else None
    name = str(data.regions(v)["name"].get(selected, selected))
    if chosen is not None and chosen["value"] == chosen["value"]:
        figure = f"{number(chosen['value'])} {md_escape(unit)} · {t('rank')} {fmt_number(chosen['rank'], 0)} / {fmt_number(n_ranked, 0)}"
    else:
        figure = md_escape(t("no_data") if chosen is None else chosen["no_data_text"])
    st.markdown(f"**{t('map_selected')}: {md_escape(name)}** ({selected}) · {figure}")
    c1, c2, c3 = st.columns([2, 2, 1])
    with c1:
        st.page_link("views/steckbrief.py", label=t("map_open_profile", name=md_escape(name)), query_params={"region": selected}, icon=":material/article:")
    with c2:
        st.page_link("views/vergleich.py", label=t("map_compare", name=md_escape(name)), query_params={"regions": selected}, icon=":material/compare_arrows:")
    with c3:
        st.button(t("map_clear"), key="karte.clear", on_click=choose, args=("",), type="tertiary", icon=":material/close:")


def data_table(table: pd.DataFrame, decimals: int) -> None:
    """The map's numbers as a table. It loads when opened: at Gemeinde level it
    has 11,000 rows, and neither the wire nor the browser should pay for them
    before the map shows."""
    with st.expander(t("data_table"), icon=":material/table:", key="karte.table", on_change="rerun") as box:
        if box.open:
            shown = fmt.columns_as_text(table, {"value": decimals, "rank": 0}, lang()).rename(
                columns={"region_id": t("key"), "name": t("name"), "type": t("type"), "value": t("value"), "unit": t("unit"), "rank": t("rank"), "flag": t("flag"), "source_id": t("source")}
            )
            st.dataframe(shown, hide_index=True, width="stretch", height=360)


# --------------------------------------------------------------------------
# The period slider and play/pause. The map and everything that depends on
# the period run in a fragment (``st.fragment``) that Streamlit reruns every
# ``PLAY_SECONDS`` while this session plays; each of those runs shows the next
# period and writes it to the URL. Play and pause rerun the whole page once,
# which starts or stops the fragment's timer; the last period stops it.
# --------------------------------------------------------------------------


def _play_keys(page: str) -> tuple[str, str]:
    return f"{page}.playing", f"{page}.play_restart"


def is_playing(page: str) -> bool:
    return bool(st.session_state.get(_play_keys(page)[0], False))


def play_interval(page: str, level: str) -> float | None:
    """Seconds between two periods while the map plays, None when it does not
    (the ``run_every`` of the page's fragment)."""
    return PLAY_SECONDS.get(level, 3.0) if is_playing(page) else None


def next_period(options: list[str], current: str | None) -> tuple[str, bool]:
    """The period a playing map shows next, and whether it plays on after it
    (not after the last period)."""
    i = options.index(current) + 1 if current in options else 0
    i = min(i, len(options) - 1)
    return options[i], i < len(options) - 1


def _set_playing(page: str, playing: bool) -> None:
    """Start or stop; the next run of the page draws a new slider (see ``period_player``)."""
    k_play, k_restart = _play_keys(page)
    st.session_state[k_play] = playing
    st.session_state[k_restart] = True
    st.session_state[f"{page}.play_gen"] = st.session_state.get(f"{page}.play_gen", 0) + 1


def pause(page: str) -> None:
    """Stop playing (a callback: a click on the map)."""
    if is_playing(page):
        _set_playing(page, False)


def _toggle(page: str, k_period: str, options: list[str]) -> None:
    playing = not is_playing(page)
    if playing and st.session_state.get(k_period) == options[-1]:
        st.session_state[k_period] = options[0]  # play again from the start
    _set_playing(page, playing)


def _moved(page: str, k_period: str, k_slider: str) -> None:
    # Only the slider on the screen chooses: a value for an earlier one is a late message.
    if st.session_state.get(f"{page}.slider_key") == k_slider and not is_playing(page):
        st.session_state[k_period] = st.session_state[k_slider]


def _due(page: str) -> bool:
    """Whether the period shown has been on the screen long enough for the next:
    a busy server answers the browser's timer late, and two steps would then
    reach the browser at once (one of them never seen)."""
    shown = st.session_state.get(f"{page}.shown_at")
    interval = st.session_state.get(f"{page}.play_seconds", 1.5)
    return shown is None or time.monotonic() - shown >= 0.7 * interval


def period_shown(page: str, level: str, period: str) -> None:
    """The end of a run that sent ``period`` to the browser (see ``_due``)."""
    if st.session_state.get(f"{page}.shown_period") != period:
        st.session_state[f"{page}.shown_period"] = period
        st.session_state[f"{page}.shown_at"] = time.monotonic()
    st.session_state[f"{page}.play_seconds"] = PLAY_SECONDS.get(level, 3.0)


def slider_key(page: str) -> str:
    """The key of the period slider on the screen (a new one after each play or pause)."""
    return st.session_state.get(f"{page}.slider_key", f"{page}.period_slider")


def period_player(page: str, p_period: Param, options: list[str], label, tick: bool) -> str:
    """The period slider with its play/pause button; returns the period to show.

    ``tick``: this run is a rerun of the fragment alone (not of the page);
    while playing, such a run steps to the next period. ``label(period)`` is
    the period as text.

    The period itself is plain session state (``state.key(page, p_period)``,
    what the URL holds), not a slider's value: a browser asks for the next step
    while the last one may still be on its way, sending the slider's value as
    it knew it, a period behind. So while playing, the slider is a disabled
    widget that only shows the period (what the browser sends for it is never
    read); stopped, the slider chooses, and after every play or pause it is a
    new widget (``slider_key``), so that no late message about an earlier one
    moves the map back."""
    k_period = state.key(page, p_period)
    k_play, k_restart = _play_keys(page)
    if st.session_state.pop(k_restart, False) and tick:
        st.rerun()  # play or pause pressed: the whole page again, with or without the timer
    if tick and st.session_state.get(k_play) and _due(page):
        st.session_state[k_period], playing_on = next_period(options, st.session_state.get(k_period))
        if not playing_on:
            _set_playing(page, False)
            st.rerun()  # the last period: shown by a page run without the timer
    if len(options) < 2:
        st.caption(f"{t('period')}: {label(options[0])}" if options else t("period"))
        return st.session_state.get(k_period)
    playing = is_playing(page)
    gen = st.session_state.get(f"{page}.play_gen", 0)
    k_slider = f"{page}.period_playing" if playing else (f"{page}.period_slider.{gen}" if gen else f"{page}.period_slider")
    st.session_state[f"{page}.slider_key"] = k_slider
    st.session_state[k_slider] = st.session_state[k_period]
    c1, c2 = st.columns([1.2, 8], vertical_alignment="bottom")
    with c2:
        st.select_slider(t("period"), options, format_func=label, key=k_slider, disabled=playing, on_change=_moved, args=(page, k_period, k_slider))
    with c1:
        st.button(
            t("map_pause") if playing else t("map_play"), key=f"{page}.play", on_click=_toggle, args=(page, k_period, options),
            icon=":material/pause:" if playing else ":material/play_arrow:", help=t("map_play_help"), width="stretch",
        )
    return st.session_state[k_period]
