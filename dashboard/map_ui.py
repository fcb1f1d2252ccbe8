"""The Streamlit side of the Karte page around the map itself: the
classification controls, the no-data texts, the card of a region chosen on the
map and the data table. The map is ``dashboard.mapview``; classes are
``dashboard.charts.classify``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, fmt, state
from dashboard.i18n import fmt_number, lang, md_escape, pick, t
from dashboard.state import Param

METHODS = ["quantile", "equal", "jenks", "manual"]
CLASS_COUNTS = [3, 4, 5, 6, 7]


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


def classification_controls(page: str, p_cls: Param, p_k: Param, p_breaks: Param) -> tuple[str, int, list[float] | None]:
    """Method, number of classes and (for manual classes) the breaks. Manual
    classes without valid breaks are drawn as quantiles, and the page says so."""
    st.markdown(f"**{t('classification')}**")
    state.choose(page, p_cls, METHODS)
    method = st.radio(t("classification"), METHODS, format_func=lambda m: t(f"cls_{m}"), key=state.key(page, p_cls), label_visibility="collapsed")
    state.choose(page, p_k, CLASS_COUNTS, default=5)
    k = st.select_slider(t("classes"), options=CLASS_COUNTS, key=state.key(page, p_k))
    if method != "manual":
        return method, k, None
    text = st.text_input(t("manual_breaks"), key=state.key(page, p_breaks), placeholder=t("manual_breaks_help"))
    breaks = parse_breaks(text)
    if breaks is None:
        st.warning(t("manual_breaks_invalid") if (text or "").strip() else t("manual_breaks_missing"))
        return "quantile", k, None
    return method, k, breaks


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
