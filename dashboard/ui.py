"""Building blocks every page shares: source lines from the catalogue, the chart
block (chart, source, downloads, permalink) and friendly empty states."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, describe, export, fmt
from dashboard.text import cell_text
from dashboard.i18n import lang, md_escape, pick, t

TOPOJSON_URL = f"{data.STATIC_URL}/topojson/"
PLOTLY_CONFIG = {
    "topojsonURL": TOPOJSON_URL,  # served by the app: no CDN
    "displaylogo": False,
    "modeBarButtonsToRemove": ["toImage", "select2d", "lasso2d"],
    "scrollZoom": False,
}


def require_warehouse() -> str:
    """The warehouse version, or stop the page with a message saying how to build it."""
    v = data.version()
    if v is None or data.warehouse() is None:
        st.info(t("no_warehouse"))
        st.stop()
    return v


def source_line(v: str, source_ids: Iterable[str], with_links: bool = False) -> str:
    """'Quelle: <attribution> (Stand …; Lizenz …)' for each source, from the catalogue."""
    srcs = data.sources(v)
    parts = []
    for sid in dict.fromkeys(source_ids):
        if sid not in srcs.index:
            # An imported registry: its attribution is in the registries table.
            regs = data.table(v, "registries") if data.has_table(v, "registries") else None
            if regs is not None and sid in set(regs["registry_id"]):
                r = regs[regs["registry_id"] == sid].iloc[0]
                parts.append(f"{r['attribution']} ({t('reference_date')} {r['date']}; {t('licence')}: {r['licence']})")
            continue
        s = srcs.loc[sid]
        text = f"{s['attribution']} ({t('reference_date')} {s['reference_date']}; {t('licence')}: {s['licence']})"
        if with_links:
            text = f"[{md_escape(s['attribution'])}]({s['attribution_url'] or s['url']}) ({t('reference_date')} {md_escape(s['reference_date'])}; {t('licence')}: [{md_escape(s['licence'])}]({s['licence_url']}))"
        parts.append(text)
    prefix = "Quelle" if lang() == "de" else "Source"
    if len(parts) > 1:
        prefix = "Quellen" if lang() == "de" else "Sources"
    return f"{prefix}: " + " · ".join(parts)


def caption_sources(v: str, source_ids: Iterable[str]) -> None:
    st.caption(source_line(v, source_ids, with_links=True))


def empty(message_key: str = "empty_selection", **kwargs) -> None:
    st.info(t(message_key, **kwargs))


def _export_figure(fig, permalink: str, kind: str, geojsons: dict | None) -> bytes:
    return export.figure_bytes(fig() if callable(fig) else fig, kind, permalink, geojsons() if callable(geojsons) else geojsons)


def chart_block(
    fig: go.Figure,
    frame: pd.DataFrame,
    name: str,
    permalink: str,
    key: str,
    geojsons=None,
    selectable: bool = False,
    indicator_id: str | None = None,
    period: object = None,
    decimals: int | None = None,
    source_ids: Sequence[str] | None = None,
    shown: describe.Shown | None = None,
) -> list:
    """The chart as shown, its description (``describe``, in an expander),
    then its downloads (see ``downloads``). A bar chart of one bar or a treemap
    of one box is no chart: its description and a small table take its place,
    and only the data is offered for download. ``shown`` says which columns
    of ``frame`` the chart draws, where they are not ``name`` and ``value``.
    With ``selectable`` a click on bars or boxes reruns the page; the selected
    points are returned."""
    shown = shown or describe.Shown()
    n = describe.categories(fig)
    single = n is not None and n <= 1
    event = None
    if single:
        pass  # said in words by ``downloads``
    elif selectable:
        event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key=f"{key}.chart", width="stretch", on_select="rerun", selection_mode="points")
    else:
        event = st.plotly_chart(fig, config=PLOTLY_CONFIG, key=f"{key}.chart", width="stretch")
    downloads(fig, frame, name, permalink, key, geojsons, indicator_id=indicator_id, period=period, decimals=decimals, source_ids=source_ids, shown=shown, single=single)
    try:
        return list(event.selection.points) if selectable and event is not None else []
    except AttributeError:  # no selection state (e.g. a run without a browser)
        return []


def downloads(
    fig, frame: pd.DataFrame, name: str, permalink: str, key: str, geojsons=None,
    indicator_id: str | None = None, period: object = None, decimals: int | None = None, source_ids: Sequence[str] | None = None,
    shown: describe.Shown | None = None, single: bool = False,
) -> None:
    """The chart's description (``chart_description``), then PNG, SVG, PDF of
    exactly this chart (with the permalink added), the data behind it as CSV
    and XLSX, and the permalink. With ``single`` (a chart of one category,
    not drawn) the description is said as a sentence over a small table, and
    there is no image to download.

    ``fig`` is a Figure or a function returning one, called only when a file is
    asked for (then ``shown`` gives its kind and title). ``geojsons`` (a dict,
    or a function returning one, called only on export) replaces shape URLs by
    the shapes themselves. The data says what it is (``export.describe``:
    ``indicator_id``, ``period``, ``decimals`` and ``source_ids`` where the
    frame does not have them); the XLSX has an "Info" sheet with the
    attribution, the description and the permalink. Files are made on click,
    outside the script run: everything that needs the session (language) is
    taken now.
    """
    export.warm()  # the exporter's browser starts now, not at the click
    table = _describer(frame, indicator_id, period, decimals, source_ids)
    shown = shown or describe.Shown()
    if decimals is not None and shown.decimals is None:
        shown = dataclasses.replace(shown, decimals=decimals)
    description = chart_description(fig, frame, shown, single, indicator_id, period)
    info = _info(frame, indicator_id, permalink, source_ids, description)
    sheet = "Daten" if lang() == "de" else "Data"
    files = [
        *((kind, lambda kind=kind: _export_figure(fig, permalink, kind, geojsons), export.MIMES[kind], ":material/download:") for kind in ("png", "svg", "pdf") if not single),
        ("csv", lambda: csv_bytes(table()), "text/csv", ":material/table:"),
        ("xlsx", lambda: (lambda described: xlsx_bytes(described, info(described), sheet))(table()),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ":material/grid_on:"),
    ]
    for col, (kind, content, mime, icon) in zip(st.columns(len(files)), files):
        with col:
            st.download_button(
                t(f"download_{kind}"), data=content, file_name=f"{name}.{kind}", mime=mime,
                key=f"{key}.{kind}", on_click="ignore", icon=icon,
            )
    show_permalink(permalink)


def chart_description(fig, frame: pd.DataFrame, shown: describe.Shown, single: bool = False, indicator_id: str | None = None, period: object = None) -> str:
    """The chart's text alternative (``describe.text``), shown under it in an
    expander (a screen reader reaches it as the next element after the chart);
    for a chart of one category, shown instead of it with a small table.
    Made from the chart's data as given (the names of its regions and its
    indicator added where it has only their keys), not from the described
    download, which is made on click."""
    if shown.kind and shown.title is not None:
        kind, title = shown.kind, shown.title
    else:
        kind, title = describe.kind_and_title(fig() if callable(fig) else fig)
    v = data.version()
    table = frame
    if shown.label == "name" and "name" not in table.columns and "region_id" in table.columns:
        table = table.assign(name=data.regions(v)["name"].reindex(table["region_id"]).to_numpy())
    if indicator_id is not None and "indicator_id" not in table.columns:
        table = table.assign(indicator_id=indicator_id)
    if period is not None and shown.period not in table.columns:
        table = table.assign(**{shown.period: period})
    inds = data.indicators(v)
    text = describe.text(None if single else kind, title, table, shown, lang(), inds)
    if single:
        st.caption(t("desc_single"))
        st.markdown(md_escape(text))
        columns = [c for c in dict.fromkeys((shown.label, shown.series, shown.value)) if c and c in table.columns]
        if shown.value in columns:
            small = table[columns].dropna(subset=[shown.value])
            about = describe.indicator_shown(shown, inds, table["indicator_id"].iloc[0] if "indicator_id" in table.columns and len(table) else None, lang())
            small = fmt.columns_as_text(small, {shown.value: about.decimals if about.decimals is not None else 0}, lang())
            st.dataframe(small.rename(columns={"name": t("name"), "label": t("name"), "value": t("value"), "value_b": t("value")}), hide_index=True)
        return text
    label = t("desc_expander_map") if kind == "map" else t("desc_expander")
    with st.expander(label, icon=":material/description:"):
        st.markdown(md_escape(text))
    return text


def show_permalink(permalink: str) -> None:
    st.markdown(f"**{t('permalink')}:** [{md_escape(permalink)}]({permalink})")


def catalogue(v: str) -> export.Catalogue:
    """The warehouse tables that describe a download."""
    registries = data.table(v, "registries") if data.has_table(v, "registries") else None
    return export.Catalogue(data.indicators(v), data.regions(v), data.flags(v), data.sources(v), registries)


def described(frame: pd.DataFrame, indicator_id: str | None = None, period: object = None, decimals: int | None = None, source_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """``frame`` as a self-describing download in the session's language (``export.describe``)."""
    return _describer(frame, indicator_id, period, decimals, source_ids)()


def _describer(frame: pd.DataFrame, indicator_id, period, decimals, source_ids=None):
    cat, language = catalogue(data.version()), lang()
    return lambda: export.describe(frame, cat, language, indicator_id, period, decimals, source_ids)


def info_sheet(described_frame: pd.DataFrame, permalink: str | None, source_ids: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """The "Info" sheet (``xlsx_bytes``) of a described download, made now."""
    return _info(described_frame, None, permalink, source_ids)(described_frame)


def _info(frame: pd.DataFrame, indicator_id: str | None, permalink: str | None, source_ids: Sequence[str] | None = None, description: str = ""):
    """A function of the described table giving its "Info" sheet; the source
    line is rendered now, as under the chart."""
    v, language = data.version(), lang()
    ids = list(dict.fromkeys(frame["source_id"].dropna())) if "source_id" in frame.columns else list(source_ids or [])
    inds = data.indicators(v)
    for ind_id in ([indicator_id] if indicator_id else []) + (list(dict.fromkeys(frame["indicator_id"].dropna())) if "indicator_id" in frame.columns else []):
        if not ids and ind_id in inds.index:
            ids += [s for s in str(inds.at[ind_id, "source_ids"]).split(",") if s]
    line = source_line(v, ids) if ids else ""
    about = [(t("desc_info"), description)] if description else []
    return lambda table: [*export.info_rows(table, language, permalink, line), *about]


def full_data_downloads(v: str, key: str) -> None:
    """Any indicator's whole data, every level and period, as one tidy file in
    CSV and Parquet (``full_data``), made when a button is clicked."""
    inds = data.indicators(v)
    st.subheader(t("full_data_title"))
    st.markdown(t("full_data_text"))
    labels = {i: f"{indicator_label(row)} · {i}" for i, row in inds.iterrows()}
    indicator_id = st.selectbox(t("indicator"), list(labels), format_func=labels.get, key=f"{key}.full")
    table = _full_data_maker(v, indicator_id)
    files = [
        ("csv", lambda: csv_bytes(table()), "text/csv", ":material/table:"),
        ("parquet", lambda: parquet_bytes(table()), "application/vnd.apache.parquet", ":material/database:"),
    ]
    for col, (kind, content, mime, icon) in zip(st.columns(4), files):
        with col:
            st.download_button(
                t(f"download_{kind}"), data=content, file_name=f"dsr_{indicator_id}_all_levels.{kind}", mime=mime,
                key=f"{key}.full.{kind}", on_click="ignore", icon=icon,
            )


def full_data(v: str, indicator_id: str, language: str) -> pd.DataFrame:
    """Every observation of one indicator at every level, described
    (``export.describe``): indicator id and title, unit, period, region key,
    name and level, value as published, flag and its meaning, source and licence."""
    return _full_data_maker(v, indicator_id, language)()


def _full_data_maker(v: str, indicator_id: str, language: str | None = None):
    cat, language = catalogue(v), language or lang()  # taken now: the file is made outside the script run
    return lambda: export.describe(data.indicator_observations(v, indicator_id), cat, language)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return _neutralise(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, info: Sequence[tuple[str, str]] = (), sheet: str = "Data") -> bytes:
    """The table as an XLSX workbook (sheet ``sheet``); ``info`` (label, text) rows go to a sheet "Info"."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        _neutralise(frame).to_excel(writer, index=False, sheet_name=sheet)
        if info:
            _neutralise(pd.DataFrame(list(info), columns=["", " "])).to_excel(writer, index=False, header=False, sheet_name="Info")
    return buf.getvalue()


def _neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading quote."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            if out[col].dtype == object:
                formula = out[col].map(lambda v: isinstance(v, str) and v[:1] in ("=", "+", "-", "@")).astype(bool)
            else:  # a string column: tested at once (a download may have 200,000 rows)
                formula = out[col].str.match(r"[=+\-@]").fillna(False).astype(bool)
            if formula.any():
                cells = out[col].astype(object)
                out[col] = cells.mask(formula, "'" + cells[formula].astype(str))
    return out


def indicator_label(row: pd.Series) -> str:
    return fmt.title_and_unit(pick(row["title_de"], row["title_en"]), fmt.unit(row, lang()))


def period_label(period, period_type: str) -> str:
    """The period in the session's language (``dashboard.fmt.period``)."""
    return fmt.period(period, period_type, lang())


def indicator_notes(v: str, indicator_id: str) -> None:
    """Definition, formula, caveats and series breaks of an indicator, in an expander."""
    import json

    ind = data.indicators(v).loc[indicator_id]
    with st.expander(f"{t('definition')}: {pick(ind['title_de'], ind['title_en'])}"):
        st.markdown(md_escape(pick(ind["definition_de"], ind["definition_en"])))
        if ind["derived"] and cell_text(ind["formula"]):
            st.markdown(t("derived_formula", formula=f"`{ind['formula']}`"))
        caveats = pick(cell_text(ind["caveats_de"]), cell_text(ind["caveats_en"]))
        if caveats:
            st.markdown(f"**{t('caveats')}:**\n" + "\n".join(f"- {md_escape(c)}" for c in caveats.split("\n") if c))
        if isinstance(ind["breaks"], str) and ind["breaks"]:
            for b in json.loads(ind["breaks"]):
                st.markdown(f"**{t('series_break')} {b['date']}:** {md_escape(pick(b['explanation_de'], b['explanation_en']))}")


def flag_note(v: str, flags: pd.Series) -> None:
    """What changes the meaning of the numbers shown, said above the chart or
    map: years the publisher did not report (a warning), and how many values
    carry each other flag, with its meaning."""
    flagged = flags.dropna()
    not_reported = int((flagged == "not_reported").sum())
    if not_reported:
        st.warning(t("not_reported_note", n=not_reported))
    other = flagged[flagged != "not_reported"].value_counts()
    if not other.empty:
        fl = data.flags(v)
        meaning = {f: pick(fl.loc[f, "label_de"], fl.loc[f, "label_en"]) if f in fl.index else f for f in other.index}
        st.caption(t("flagged_note", n=int(other.sum()), flags=", ".join(f"{meaning[f]} ({n})" for f, n in other.items())))
