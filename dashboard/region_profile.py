"""Region profile (Steckbrief): find a region by name or key, then gather its
key figures with rank, Land and Germany values, peer median and trend.

In: the regions table, a region's observations (and those of its Kreis, Land
and Germany), a function giving all values of one indicator at one level and
period, the projects tables when the warehouse has them.
Out: plain frames and small dataclasses that the page, the charts and the PDF
briefing render. The search, peer, key-figure, project and map functions are
pure (frames in, frames out); the "Texts" section formats them in the
session's language (i18n); only the "Cached readers" at the end read the
warehouse. Unit tests: tests/test_profile.py. (Not named profile.py: `streamlit run` puts dashboard/ on sys.path, where that name would hide the standard library module.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from dashboard import compare_ui, fmt, i18n
from dashboard import peers as peers_mod
from dashboard import projects as projects_mod
from dashboard.text import cell_text
from dashboard.briefing_pdf import Briefing
from dashboard.i18n import fmt_number, pick, t
from etl import gazetteer
from etl.catalogue import GERMANY_ID


# --------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------

# The Steckbrief profiles every level but Germany as a whole (its search drops that hit).
SEARCH_LEVELS = ("land", "rbz", "kreis", "verband", "gemeinde")


def region_context(region_id: str, regions: pd.DataFrame) -> dict[str, str]:
    """Name, type, level, Kreis and Land of a region (for labels and headers)."""
    row = regions.loc[region_id]
    names = regions["name"]
    kreis = row.get("kreis_id")
    land = row.get("land_id")
    return {
        "region_id": region_id,
        "name": str(row["name"]),
        "type": str(row["type"]),
        "level": str(row["level"]),
        "kreis": str(names.get(kreis, "")) if isinstance(kreis, str) and kreis != region_id else "",
        "kreis_type": str(regions["type"].get(kreis, "")) if isinstance(kreis, str) and kreis != region_id else "",
        "land": str(names.get(land, "")) if isinstance(land, str) and land != region_id else "",
    }


def where_parts(context: dict[str, str]) -> list[str]:
    """Type, Kreis (unless the region is its own Kreis) and Land of a region:
    the subtitle of its profile and of its PDF."""
    parts = [context["type"]]
    if context["kreis"] and context["kreis"] != context["name"]:
        parts.append(gazetteer.kreis_label(context["kreis"], context["kreis_type"]))
    if context["land"]:
        parts.append(context["land"])
    return parts


def ancestors(region_id: str, regions: pd.DataFrame) -> list[str]:
    """The Gemeindeverband, Kreis and Land that contain a region (nearest first),
    existing ones only; a Verband that is the Gemeinde alone is left out."""
    row = regions.loc[region_id]
    out = []
    for col in ("verband_id", "kreis_id", "land_id"):
        key = row.get(col)
        if isinstance(key, str) and key != region_id and key in regions.index:
            if col == "verband_id" and (regions["verband_id"] == key).sum() <= 2:  # the Verband and its one Gemeinde
                continue
            out.append(key)
    return out


# --------------------------------------------------------------------------
# Key figures
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureSpec:
    key: str
    candidates: tuple[str, ...]  # indicator ids, first with data wins
    label_de: str  # short label for the cards and trend panels
    label_en: str
    implied_units: tuple[str, ...] = ()  # units the short label already says


# What a mayor's office asks for first, in this order. Each figure takes the
# first candidate indicator with a value for the region; where none exists at
# the region's level, the value of its Kreis or Land is shown and labelled
# (daily internet use is published for Länder only).
KEY_FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("population", ("population", "inhabitants_thousand"), "Einwohner", "Population", ("Personen",)),
    FigureSpec("area", ("area_km2",), "Fläche", "Area"),
    FigureSpec("density", ("population_density",), "Einwohner je km²", "Inhabitants per km²", ("Einw./km²",)),
    FigureSpec("broadband_50", ("bb_hh_all_50",), "Breitband ≥ 50 Mbit/s (Haushalte)", "Broadband ≥ 50 Mbit/s (households)"),
    FigureSpec("broadband_1000", ("bb_hh_all_1000",), "Gigabit ≥ 1.000 Mbit/s (Haushalte)", "Gigabit ≥ 1,000 Mbit/s (households)"),
    FigureSpec("gdp_per_inhabitant", ("gdp_per_inhabitant_eur",), "BIP je Einwohner", "GDP per inhabitant"),
    FigureSpec("charging_points", ("ev_points_per_10k",), "Ladepunkte je 10.000 Einwohner", "Charging points per 10,000 inhabitants", ("je 10.000 Einwohner",)),
    FigureSpec("bev_share", ("cars_bev_share_pct",), "Anteil Elektro-Pkw (BEV)", "Battery-electric car share"),
    FigureSpec("internet_daily", ("internet_daily_users_pct",), "Tägliche Internetnutzung", "Daily internet use"),
)
SPECS_BY_KEY = {f.key: f for f in KEY_FIGURES}
FIGURE_INDICATORS = tuple(dict.fromkeys(i for f in KEY_FIGURES for i in f.candidates))

ValuesAt = Callable[[str, str, str], pd.DataFrame]  # (indicator_id, level, ISO period) → region_id, value


@dataclass
class KeyFigure:
    key: str
    indicator_id: str
    region_id: str  # the region of the profile
    holder_id: str  # region whose value is shown: the region, or its Kreis/Land
    holder_level: str
    period: pd.Timestamp
    period_type: str
    value: float
    flag: str | None
    source_id: str
    rank: int | None
    n_ranked: int
    land_value: float | None
    germany_value: float | None
    peer_median: float | None
    n_peers: int
    series: pd.DataFrame  # period, period_type, value (the holder's, all periods with a value)
    breaks: list[dict] = field(default_factory=list)  # series breaks inside the series' span

    @property
    def fallback(self) -> bool:
        """The value is the Kreis' or Land's, not the region's own."""
        return self.holder_id != self.region_id


def rank_of(values: pd.DataFrame, region_id: str, better: str) -> tuple[int | None, int]:
    """Rank of a region among the regions with a value (1 = best; for neutral
    indicators 1 = largest) and how many were ranked. Ties share the best rank."""
    ranked = values[values["value"].notna()]
    if region_id not in set(ranked["region_id"]):
        return None, len(ranked)
    ranks = ranked["value"].rank(ascending=(better == "lower"), method="min")
    return int(ranks[ranked["region_id"] == region_id].iloc[0]), len(ranked)


def value_at(observations: pd.DataFrame, indicator_id: str, region_id: str, period: pd.Timestamp) -> float | None:
    rows = observations[(observations["indicator_id"] == indicator_id) & (observations["region_id"] == region_id) & (pd.to_datetime(observations["period"]) == period)]
    rows = rows[rows["value"].notna()]
    return float(rows["value"].iloc[0]) if not rows.empty else None


def breaks_within(breaks_json: object, first: pd.Timestamp, last: pd.Timestamp) -> list[dict]:
    """Series breaks whose date falls after the first and not after the last period shown."""
    if not isinstance(breaks_json, str) or not breaks_json.strip():
        return []
    return [b for b in json.loads(breaks_json) if first < pd.Timestamp(b["date"]) <= last]


def key_figures(
    region_id: str,
    regions: pd.DataFrame,
    observations: pd.DataFrame,
    indicators: pd.DataFrame,
    values_at: ValuesAt,
    peers: peers_mod.PeerGroup | None,
    specs: Sequence[FigureSpec] = KEY_FIGURES,
) -> tuple[list[KeyFigure], list[str]]:
    """The key figures of a region and the figure keys without a value.

    ``observations`` holds every observation of the region, its Kreis, its Land
    and Germany (``DG``); ``indicators`` is the indicators table indexed by id;
    ``values_at`` gives one indicator at one level and period for all regions
    (for ranks and the peer median).
    """
    obs = observations.assign(period=pd.to_datetime(observations["period"]))
    obs = obs[obs["value"].notna()]
    holders = [region_id, *ancestors(region_id, regions)]
    land_id = regions.loc[region_id].get("land_id")
    figures, missing = [], []
    for spec in specs:
        found = None
        for holder in holders:
            for ind in spec.candidates:
                if ind not in indicators.index:
                    continue
                # A Kreis' population is not its Gemeinde's: only rates and
                # means stand in for a missing value of the region itself.
                if holder != region_id and indicators.loc[ind, "aggregation"] == "sum":
                    continue
                series = obs[(obs["indicator_id"] == ind) & (obs["region_id"] == holder)].sort_values("period")
                if not series.empty:
                    found = (holder, ind, series)
                    break
            if found:
                break
        if not found:
            if any(ind in indicators.index for ind in spec.candidates):
                missing.append(spec.key)
            continue
        holder, ind, series = found
        meta = indicators.loc[ind]
        latest = series.iloc[-1]
        period = pd.Timestamp(latest["period"])
        level = str(regions.loc[holder, "level"])
        everyone = values_at(ind, level, period.strftime("%Y-%m-%d"))
        rank, n_ranked = rank_of(everyone, holder, str(meta["better"]))
        land_value = value_at(obs, ind, land_id, period) if isinstance(land_id, str) and land_id != holder else None
        peer_median, n_peers = None, 0
        if peers is not None and holder == region_id:
            peer_values = everyone[everyone["region_id"].isin(peers.ids) & everyone["value"].notna()]["value"]
            n_peers = len(peer_values)
            peer_median = float(peer_values.median()) if n_peers else None
        fig = KeyFigure(
            key=spec.key, indicator_id=ind, region_id=region_id, holder_id=holder, holder_level=level, period=period,
            period_type=str(latest["period_type"]), value=float(latest["value"]),
            flag=latest["flag"] if isinstance(latest.get("flag"), str) else None,
            source_id=str(latest["source_id"]), rank=rank, n_ranked=n_ranked,
            land_value=land_value, germany_value=value_at(obs, ind, GERMANY_ID, period),
            peer_median=peer_median, n_peers=n_peers,
            series=series[["period", "period_type", "value"]].reset_index(drop=True),
            breaks=breaks_within(meta.get("breaks"), series["period"].iloc[0], period),
        )
        figures.append(fig)
    return figures, missing


def figures_frame(figures: Sequence[KeyFigure]) -> pd.DataFrame:
    """The key figures as one flat table (for the downloads and the tests)."""
    rows = [
        {
            "figure": f.key, "indicator_id": f.indicator_id, "region_id": f.holder_id, "level": f.holder_level,
            "period": f.period.date(), "value": f.value, "flag": f.flag, "rank": f.rank, "n_ranked": f.n_ranked,
            "land_value": f.land_value, "germany_value": f.germany_value, "peer_median": f.peer_median,
            "n_peers": f.n_peers, "source_id": f.source_id,
        }
        for f in figures
    ]
    return pd.DataFrame(rows, columns=["figure", "indicator_id", "region_id", "level", "period", "value", "flag", "rank", "n_ranked", "land_value", "germany_value", "peer_median", "n_peers", "source_id"])


# --------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------

PROJECT_KEY = ("registry_id", "project_id")  # etl/catalogue/tables_projects.py


def region_projects(region_id: str, regions: pd.DataFrame, projects: pd.DataFrame | None, links: pd.DataFrame | None) -> pd.DataFrame:
    """Projects in the region (linked to it or to a unit inside it) and projects
    of the Kreis or Land that contains it, with ``relation`` "in" or "covering",
    ``linked_region_id`` and ``role`` (lead/partner) of the link, then the
    project's columns. Empty when the warehouse has no projects tables."""
    columns = [*PROJECT_KEY, "relation", "linked_region_id", "role"]
    needed_links = {*PROJECT_KEY, "region_id"}
    if projects is None or links is None or not needed_links <= set(links.columns) or not set(PROJECT_KEY) <= set(projects.columns):
        return pd.DataFrame(columns=columns)
    links = links.assign(region_id=links["region_id"].astype(str))
    if "role" not in links.columns:
        links = links.assign(role=pd.NA)
    keys = links["region_id"]
    members = regions.index[regions["verband_id"] == region_id] if "verband_id" in regions else []  # a Verband's Gemeinden: not a key prefix
    inside = links[(keys == region_id) | (keys.str.startswith(region_id) & (keys.str.len() > len(region_id))) | keys.isin(members)]
    covering = links[keys.isin(ancestors(region_id, regions))]
    rel = pd.concat(
        [
            inside.assign(relation="in", linked_region_id=inside["region_id"]),
            covering.assign(relation="covering", linked_region_id=covering["region_id"]),
        ]
    )
    # One row per project: its link inside the region wins over a covering one,
    # a lead link over a partner link.
    rel = rel.assign(_r=rel["relation"].map({"in": 0, "covering": 1}), _l=(rel["role"] != "lead").astype(int))
    rel = rel.sort_values(["_r", "_l", "linked_region_id"]).drop_duplicates(list(PROJECT_KEY))
    out = rel[columns].merge(projects, on=list(PROJECT_KEY), how="inner", suffixes=("", "_project"))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------
# Locator map
# --------------------------------------------------------------------------


def locator_context(region_id: str, regions: pd.DataFrame) -> tuple[str, list[str]]:
    """The map level and regions drawn around the highlighted region: the units
    of its level in its Land (Kreise for a Gemeinde, to keep the map light), or
    the Länder of Germany for a Land, a city state or a Regierungsbezirk."""
    row = regions.loc[region_id]
    level = str(row["level"])
    land = row.get("land_id")
    context_level = {"kreis": "kreis", "verband": "kreis", "gemeinde": "kreis"}.get(level, "land")
    if context_level == "kreis" and isinstance(land, str):
        ids = regions[(regions["level"] == "kreis") & (regions["land_id"] == land)]["region_id"].tolist()
        if len(ids) > 1:
            return "kreis", ids
    return "land", regions[regions["level"] == "land"]["region_id"].tolist()


# --------------------------------------------------------------------------
# Texts (current language): shared by the page and the PDF briefing
# --------------------------------------------------------------------------


def value_text(value: float | None, meta: pd.Series, unit: bool = True) -> str:
    if value is None or pd.isna(value):
        return "–"
    number = fmt_number(value, int(meta["decimals"]))
    return f"{number} {fmt.unit(meta, i18n.lang())}" if unit else number


def card_value(fig: KeyFigure, meta: pd.Series) -> str:
    """The value for a card: with its unit unless the short label says it."""
    spec = SPECS_BY_KEY.get(fig.key)
    return value_text(fig.value, meta, unit=not (spec and meta["unit"] in spec.implied_units))


def short_label(fig: KeyFigure, meta: pd.Series) -> str:
    spec = SPECS_BY_KEY.get(fig.key)
    return pick(spec.label_de, spec.label_en) if spec else figure_title(meta)


def figure_title(meta: pd.Series) -> str:
    return pick(meta["title_de"], meta["title_en"])


def holder_text(fig: KeyFigure, regions: pd.DataFrame) -> str:
    """'' for the region's own value, else 'value of the Land Bayern'."""
    if not fig.fallback:
        return ""
    name = str(regions.loc[fig.holder_id, "name"])
    return t("sb_value_of_land" if fig.holder_level == "land" else "sb_value_of_kreis", name=name)


def rank_text(fig: KeyFigure, meta: pd.Series, short: bool = False) -> str:
    if fig.rank is None:
        return "–"
    text = t("sb_rank_short" if short else "sb_rank", rank=fig.rank, n=fig.n_ranked)
    return f"{text} ({t('sb_by_size')})" if meta["better"] == "neutral" and not short else text


def figure_table(figures: Sequence[KeyFigure], regions: pd.DataFrame, indicators: pd.DataFrame, with_n: bool = True) -> pd.DataFrame:
    """The key figures as display texts: one row per figure, the unit with the
    title; ``with_n`` adds how many peers had a value to the peer median."""
    rows = []
    for f in figures:
        meta = indicators.loc[f.indicator_id]
        is_land = f.holder_level == "land"
        title = fmt.title_and_unit(figure_title(meta), fmt.unit(meta, i18n.lang())) + (f" – {holder_text(f, regions)}" if f.fallback else "")
        rows.append(
            {
                t("sb_figure"): title,
                t("value"): value_text(f.value, meta, unit=False),
                t("reference_date"): period_text(f.period, f.period_type),
                t("rank"): rank_text(f, meta, short=True),
                t("sb_land_value"): "–" if is_land else value_text(f.land_value, meta, unit=False),
                t("germany"): value_text(f.germany_value, meta, unit=False),
                t("peer_median"): (value_text(f.peer_median, meta, unit=False) + (f" (n = {f.n_peers})" if with_n else "") if f.peer_median is not None else "–"),
            }
        )
    return pd.DataFrame(rows)


def figure_notes(figures: Sequence[KeyFigure], missing: Sequence[str], regions: pd.DataFrame, indicators: pd.DataFrame, flags: pd.DataFrame) -> list[str]:
    """What changes the meaning of a figure: values of a higher level, series
    breaks inside the shown span, flags, figures without data."""
    notes = []
    for f in figures:
        meta = indicators.loc[f.indicator_id]
        title = figure_title(meta)
        if f.fallback:
            only_land = set(str(meta["levels"]).split(",")) <= {"bund", "land"}
            notes.append(t("sb_level_only" if only_land else "sb_fallback", title=title, holder=holder_text(f, regions)))
        for b in f.breaks:
            notes.append(t("sb_break_note", title=title, date=b["date"], text=pick(b["explanation_de"], b["explanation_en"])))
        if f.flag and f.flag in flags.index:
            notes.append(t("sb_flag_note", title=title, flag=pick(flags.loc[f.flag, "label_de"], flags.loc[f.flag, "label_en"])))
    if missing:
        titles = [figure_title(indicators.loc[next(i for i in spec.candidates if i in indicators.index)]) for spec in KEY_FIGURES if spec.key in missing]
        notes.append(t("sb_missing", items="; ".join(titles)))
    return notes


def period_text(period: pd.Timestamp, period_type: str) -> str:
    return fmt.period(period, period_type, i18n.lang())


# projects.status_group where a registry publishes no status of its own ("unknown" says nothing).
STATUS_GROUPS = {"active": ("laufend", "active"), "finished": ("abgeschlossen", "finished"), "stopped": ("eingestellt", "stopped")}


def registry_short(title: str) -> str:
    """'Code for Germany: Projekte und Labs (…)' → 'Code for Germany'."""
    return re.split(r"\s*[:(]", str(title), maxsplit=1)[0].strip() or str(title)


def project_table(projects: pd.DataFrame, regions: pd.DataFrame, registries: pd.DataFrame | None) -> pd.DataFrame:
    """The region's projects as display texts (title, registry, round/category, year, status, relation, link)."""
    titles = dict(zip(registries["registry_id"], registries["title"].map(registry_short))) if registries is not None else {}
    rows = []
    for p in projects.itertuples(index=False):
        p = p._asdict()
        relation = t("sb_rel_in") if p["relation"] == "in" else t("sb_rel_covering", name=str(regions["name"].get(p["linked_region_id"], p["linked_region_id"])))
        role = {"lead": t("sb_role_lead"), "partner": t("sb_role_partner")}.get(cell_text(p.get("role")), "")
        detail = " · ".join(x for x in (projects_mod.published_text(p.get("round"), i18n.lang()), projects_mod.published_text(p.get("category"), i18n.lang())) if x)
        urls = cell_text(p.get("urls")).strip()
        year = p.get("year")
        rows.append(
            {
                t("sb_title_col"): cell_text(p.get("title")) or str(p["project_id"]),
                t("registry"): str(titles.get(p["registry_id"], p["registry_id"])),
                t("category"): detail,
                t("sb_year"): "" if year is None or pd.isna(year) else str(int(year)),
                t("sb_status"): cell_text(p.get("status")) or STATUS_GROUPS.get(cell_text(p.get("status_group")), ("", ""))[i18n.lang() == "en"],
                t("sb_relation"): f"{relation} ({role})" if role else relation,
                t("link"): urls.splitlines()[0] if urls else "",
            }
        )
    return pd.DataFrame(rows)


def project_lines(table: pd.DataFrame) -> list[str]:
    """One line per project for the PDF: 'Title — registry · round · year · relation'."""
    lines = []
    for row in table.to_dict("records"):
        rest = " · ".join(v for k, v in row.items() if k not in (t("sb_title_col"), t("link")) and v)
        lines.append(f"{row[t('sb_title_col')]} — {rest}")
    return lines


def source_ids_used(figures: Sequence[KeyFigure], projects: pd.DataFrame | None) -> list[str]:
    """Every source behind the profile: the figures', the map's and the projects'."""
    ids = [f.source_id for f in figures] + ["bkg_vg5000"]
    if projects is not None and not projects.empty and "source_id" in projects.columns:
        ids += [str(s) for s in projects["source_id"].dropna()]
    return list(dict.fromkeys(ids))


def source_lines(source_ids: Sequence[str], sources: pd.DataFrame, registries: pd.DataFrame | None = None) -> list[str]:
    """'Attribution — Licence: … — URL' per source; imported registries (not in
    the catalogue) from the registries table."""
    lines = []
    for sid in source_ids:
        if sid in sources.index:
            s = sources.loc[sid]
            url = s["attribution_url"] if isinstance(s["attribution_url"], str) and s["attribution_url"] else s["url"]
            lines.append(f"{s['attribution']} ({t('reference_date')} {s['reference_date']}) — {t('licence')}: {s['licence']} — {url}")
        elif registries is not None and sid in set(registries["registry_id"]):
            r = registries.set_index("registry_id").loc[sid]
            lines.append(f"{r['attribution']} ({t('reference_date')} {r['date']}) — {t('licence')}: {r['licence']}" + (f" — {r['url']}" if isinstance(r["url"], str) and r["url"] else ""))
    return lines


def trend_panels(figures: Sequence[KeyFigure], observations: pd.DataFrame, indicators: pd.DataFrame, regions: pd.DataFrame) -> list:
    """One small trend chart per figure with at least two periods; rates and
    means get Germany's line for comparison (an absolute count would not compare)."""
    from dashboard.charts_steckbrief import TrendPanel

    germany = observations[(observations["region_id"] == GERMANY_ID) & observations["value"].notna()]
    germany = germany.assign(period=pd.to_datetime(germany["period"]))
    panels = []
    for f in figures:
        if len(f.series) < 2:
            continue
        meta = indicators.loc[f.indicator_id]
        comparison = None
        if meta["aggregation"] != "sum":
            comparison = germany[germany["indicator_id"] == f.indicator_id][["period", "value"]]
        panels.append(
            TrendPanel(
                title=fmt.title_and_unit(short_label(f, meta), fmt.unit(meta, i18n.lang())), subtitle=holder_text(f, regions),
                region=f.series, comparison=comparison,
                breaks=[(b["date"], t("series_break")) for b in f.breaks], hover_unit=fmt.unit(meta, i18n.lang()),
            )
        )
    return panels


def build_briefing(
    region_id: str,
    regions: pd.DataFrame,
    figures: Sequence[KeyFigure],
    missing: Sequence[str],
    peers: peers_mod.PeerGroup,
    indicators: pd.DataFrame,
    sources: pd.DataFrame,
    flags: pd.DataFrame,
    projects: pd.DataFrame | None,
    registries: pd.DataFrame | None,
    permalink: str,
    built: str,
) -> Briefing:
    """Everything the PDF says, in the current language."""
    c = region_context(region_id, regions)
    subtitle = [*where_parts(c), f"{t('sb_key')} {region_id}"]
    nuts = regions.loc[region_id].get("nuts_id")
    if isinstance(nuts, str) and nuts and c["level"] not in ("verband", "gemeinde"):
        subtitle.append(f"NUTS {nuts}")
    periods = sorted(f.period for f in figures)
    data_note = t("sb_data_note", first=periods[0].year if periods else "–", last=periods[-1].year if periods else "–", built=built)
    table = figure_table(figures, regions, indicators, with_n=False)
    ptable = project_table(projects, regions, registries) if projects is not None and not projects.empty else pd.DataFrame()
    return Briefing(
        title=t("sb_title", name=c["name"]),
        subtitle=" · ".join(subtitle),
        data_note=data_note,
        table_header=list(table.columns) if not table.empty else [],
        table_rows=table.astype(str).values.tolist(),
        notes=[compare_ui.peer_description(peers, regions), t("sb_rank_note"), *figure_notes(figures, missing, regions, indicators, flags)],
        projects_title=t("sb_projects"),
        projects=project_lines(ptable) if not ptable.empty else [],
        projects_empty=t("sb_projects_none") if projects is not None else t("sb_projects_unavailable"),
        more_projects=t("sb_more", n="{n}"),
        sources_title=t("sb_sources"),
        sources=source_lines(source_ids_used(figures, projects), sources, registries),
        permalink_label=t("permalink"),
        permalink=permalink,
        footer=t("sb_pdf_footer", name=c["name"]),
    )
