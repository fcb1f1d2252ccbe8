"""The logic of the Compare and Trends pages: pure functions, no Streamlit calls.

In: frames read from the warehouse (``regions``, observations of one indicator,
map shapes, ``projects``/``project_regions``). Out: search hits, peer groups,
neighbours, ranks, gaps to a median, indexed and per-inhabitant series,
period labels and series-break positions, the projects of a set of regions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.catalogue import GERMANY_ID
from dashboard import fmt

MAX_REGIONS = 6
PREFERRED_INDICATOR = "bb_hh_all_50"  # households, all technologies, >= 50 Mbit/s: the longest broadband series

# ---------------------------------------------------------------- search

def clean_selection(selected: Iterable[str], known: Iterable[str], limit: int = MAX_REGIONS) -> tuple[list[str], list[str]]:
    """The selection with unknown keys and duplicates removed, cut to ``limit``;
    also what was left out (unknown or beyond the limit), to tell the user."""
    known = set(known)
    kept, dropped = [], []
    for rid in selected:
        rid = str(rid).strip()
        if not rid or rid in kept:
            continue
        if rid not in known or len(kept) >= limit:
            dropped.append(rid)
        else:
            kept.append(rid)
    return kept, dropped


# ---------------------------------------------------------------- ranks and gaps


def rank_values(values: pd.Series, better: str) -> pd.Series:
    """Rank 1 = best (highest unless lower is better; 'neutral' ranks the highest
    first). Ties share the better rank; missing values get no rank."""
    ascending = better == "lower"
    return values.astype(float).rank(ascending=ascending, method="min")


def rank_change_table(frame_a: pd.DataFrame, frame_b: pd.DataFrame, group: Sequence[str], better: str) -> pd.DataFrame:
    """Ranks of the ``group`` in periods A and B, among all regions of their level
    and among the group itself.

    ``frame_a``/``frame_b``: every region of the levels concerned with region_id,
    level and value (NaN where there is none). A positive change means the
    region moved up (to a better rank) from A to B.
    """
    cols = ["region_id", "value_a", "value_b", "rank_a", "rank_b", "n_a", "n_b", "change", "group_rank_a", "group_rank_b", "group_change"]
    if not len(group):
        return pd.DataFrame(columns=cols)
    parts = []
    for suffix, frame in (("a", frame_a), ("b", frame_b)):
        f = frame[["region_id", "level", "value"]].copy()
        f["rank"] = f.groupby("level")["value"].transform(lambda s: rank_values(s, better))
        f["n"] = f.groupby("level")["value"].transform("count")
        f = f.set_index("region_id")
        parts.append(f.rename(columns={"value": f"value_{suffix}", "rank": f"rank_{suffix}", "n": f"n_{suffix}"}).drop(columns="level"))
    out = pd.DataFrame({"region_id": list(group)}).set_index("region_id")
    out = out.join(parts[0]).join(parts[1])
    out["change"] = out["rank_a"] - out["rank_b"]
    out["group_rank_a"] = rank_values(out["value_a"], better)
    out["group_rank_b"] = rank_values(out["value_b"], better)
    out["group_change"] = out["group_rank_a"] - out["group_rank_b"]
    return out.reset_index()[cols]


def gaps_to_median(values: pd.Series, peers: Sequence[str]) -> tuple[float, pd.DataFrame]:
    """The median of the ``peers``' values and each region's gap to it.

    ``values``: region_id → value. Returns (median, frame with region_id, value,
    gap (value − median, in the indicator's unit), gap_pct (relative to the
    median, NaN when the median is 0 or missing)).
    """
    peer_values = values.reindex(list(peers)).astype(float).dropna()
    median = float(peer_values.median()) if len(peer_values) else math.nan
    out = pd.DataFrame({"region_id": values.index, "value": values.astype(float).to_numpy()})
    out["gap"] = out["value"] - median
    out["gap_pct"] = out["gap"] / abs(median) * 100 if median and not math.isnan(median) else math.nan
    return median, out


def comparison_table(frame_a: pd.DataFrame, frame_b: pd.DataFrame, group: Sequence[str], median_of: Sequence[str], regions: pd.DataFrame, better: str) -> tuple[pd.DataFrame, float]:
    """The Vergleich page's table (one row per region of ``group``, best first
    in the group): value B with its gap to the median of ``median_of``, value
    A, ranks among the level and within the group in A and B, the flag of B;
    and the median."""
    by_id_b = frame_b.set_index("region_id")
    median, gaps = gaps_to_median(by_id_b["value"].reindex(group), median_of)
    ranks = rank_change_table(frame_a, frame_b, group, better)
    table = gaps.merge(ranks.drop(columns=["value_b"]), on="region_id")
    table.insert(1, "name", regions["name"].reindex(table["region_id"]).to_numpy())
    table.insert(2, "level", regions["level"].reindex(table["region_id"]).to_numpy())
    table["median"] = median
    table["flag_b"] = by_id_b["flag"].reindex(table["region_id"]).to_numpy()
    return table.sort_values(["group_rank_b", "region_id"], na_position="last").reset_index(drop=True), median


def gap_unit(unit: str, lang: str = "de") -> str:
    """The unit of a difference: shares in % differ by percentage points."""
    if unit.strip().startswith("%"):
        return "Prozentpunkte" if lang == "de" else "percentage points"
    return unit


def window_around(ordered: Sequence[str], anchor: str, size: int) -> list[str]:
    """At most ``size`` keys of ``ordered`` centred on ``anchor`` (kept in order);
    used to show the anchor among its nearest peers in the ranking of a big group."""
    ordered = list(ordered)
    if len(ordered) <= size:
        return ordered
    if anchor not in ordered:
        return ordered[:size]
    i = ordered.index(anchor)
    start = min(max(0, i - size // 2), len(ordered) - size)
    return ordered[start : start + size]


# ---------------------------------------------------------------- indicator choices and periods


def default_indicator(available: Sequence[str], topics: dict[str, str]) -> str | None:
    """The preferred broadband indicator, else the first broadband one, else the first."""
    available = list(available)
    if not available:
        return None
    if PREFERRED_INDICATOR in available:
        return PREFERRED_INDICATOR
    broadband = [i for i in available if topics.get(i) == "broadband"]
    return broadband[0] if broadband else available[0]


def default_period_a(counts: pd.Series, period_b: str, min_share: float = 0.9) -> str | None:
    """The earliest period before B with (almost) as many values as B.

    ``counts``: period (ISO text, ascending) → number of values at the level. A
    period with far fewer values than B (e.g. Kreise "not reported" 2010–2014)
    would make ranks among a different set of regions.
    """
    if period_b not in counts.index:
        return None
    need = counts[period_b] * min_share
    before = counts[(counts.index < period_b) & (counts >= need)]
    if len(before):
        return str(before.index[0])
    earlier = counts[counts.index < period_b]
    return str(earlier.index[-1]) if len(earlier) else period_b


# ---------------------------------------------------------------- trends


def period_text(period, period_type: str, lang: str = "de") -> str:
    """'Mitte 2019' / 'Ende 2019' for half-years, '2019' for years, '01.01.2019' for a Stichtag."""
    return fmt.period(period, period_type, lang)


def period_ticks(periods: pd.DataFrame, lang: str = "de", max_ticks: int = 16) -> tuple[list[pd.Timestamp], list[str]]:
    """Tick positions (the period dates) and labels; every n-th when there are many."""
    p = periods.drop_duplicates("period").sort_values("period")
    step = max(1, math.ceil(len(p) / max_ticks))
    p = p.iloc[::step]
    return [pd.Timestamp(x) for x in p["period"]], [period_text(x, t, lang) for x, t in zip(p["period"], p["period_type"])]


def complete_periods(frame: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Every series on every period of ``periods`` (missing rows as NaN) so a
    line breaks where a period has no value instead of bridging it."""
    if frame.empty:
        return frame
    keys = frame[["series"]].drop_duplicates()
    grid = keys.merge(periods[["period", "period_type"]].drop_duplicates("period"), how="cross")
    out = grid.merge(frame.drop(columns=["period_type"], errors="ignore"), on=["series", "period"], how="left")
    fill = frame.drop_duplicates("series").set_index("series")
    for col in ("region_id", "label", "role"):
        if col in fill.columns:
            out[col] = out["series"].map(fill[col])
    # Keep the series in the order they came (the user's order of regions, then context lines).
    order = {s: i for i, s in enumerate(keys["series"])}
    out["_order"] = out["series"].map(order)
    return out.sort_values(["_order", "period"]).drop(columns="_order").reset_index(drop=True)


SMALL_BASE_SHARE = 0.02  # a base below 2 % of the series' median makes an index of thousands


def small_bases(frame: pd.DataFrame, base: str) -> list[str]:
    """Series whose value at ``base`` is positive but tiny against their own
    median (the indexed line would climb to thousands)."""
    at = pd.Timestamp(base)
    out = []
    for series, part in frame.groupby("series", sort=False):
        values = part["value"].dropna()
        base_value = part.loc[part["period"] == at, "value"]
        if len(values) and len(base_value) and pd.notna(base_value.iloc[0]) and 0 < base_value.iloc[0] < SMALL_BASE_SHARE * values.median():
            out.append(series)
    return out


def index_series(frame: pd.DataFrame, base_period) -> tuple[pd.DataFrame, list[str]]:
    """Each series (column ``series``) as an index, value at ``base_period`` = 100.

    Returns the indexed frame and the series without a usable base value
    (missing, flagged empty or zero): those are left out rather than scaled
    to another period silently.
    """
    base = pd.Timestamp(base_period)
    at_base = frame[pd.to_datetime(frame["period"]) == base].set_index("series")["value"].astype(float)
    out = frame.copy()
    denom = out["series"].map(at_base).astype(float)
    usable = denom.notna() & (denom != 0)
    out["value"] = np.where(usable, out["value"].astype(float) / denom * 100, np.nan)
    missing = sorted(set(frame["series"]) - set(at_base[(at_base.notna()) & (at_base != 0)].index))
    out = out[~out["series"].isin(missing)]
    return out.reset_index(drop=True), missing


@dataclass(frozen=True)
class PerCapita:
    factor: float  # from the published unit to the base unit (Mio. EUR → EUR: 1e6)
    per: int  # per how many inhabitants
    unit_de: str
    unit_en: str


_PREFIX = {"mio.": 1e6, "mio": 1e6, "mrd.": 1e9, "mrd": 1e9, "tsd.": 1e3, "tsd": 1e3, "1000": 1e3, "1.000": 1e3}
# Base units that a head count can divide: money and counts. Shares, rates,
# areas and indices already are relative or are not about people.
_BASE = {
    "eur": (1, "EUR je Einwohner", "EUR per inhabitant"),
    "anzahl": (10_000, "je 10.000 Einwohner", "per 10,000 inhabitants"),
    "personen": (1_000, "je 1.000 Einwohner", "per 1,000 inhabitants"),
}
# The population itself (and the economy accounts' inhabitants): a ratio to itself says nothing.
POPULATION_INDICATORS = {"population", "population_male", "population_female", "inhabitants_thousand"}


def per_capita_spec(indicator_id: str, unit: str, aggregation: str, topic: str = "") -> PerCapita | None:
    """How to show an indicator per inhabitant, or None where that is not meaningful
    (only summable counts and money; not the population itself)."""
    if aggregation != "sum" or indicator_id in POPULATION_INDICATORS or topic == "population":
        return None
    parts = unit.strip().lower().split()
    factor = 1.0
    if len(parts) == 2 and parts[0] in _PREFIX:
        factor, parts = _PREFIX[parts[0]], parts[1:]
    if len(parts) != 1 or parts[0] not in _BASE:
        return None
    per, de, en = _BASE[parts[0]]
    return PerCapita(factor, per, de, en)


def per_capita(frame: pd.DataFrame, population: pd.DataFrame, spec: PerCapita) -> pd.DataFrame:
    """Values per inhabitant: divided by the population of the same region at the
    nearest period on or before the value's period.

    ``frame``: region_id, period, value (other columns kept); ``population``:
    region_id, period, value. Adds ``population`` and ``population_period``
    (the one used); NaN where no population on or before the period exists.
    """
    out = frame.copy()
    out["_order"] = range(len(out))
    # One resolution on both sides: merge_asof refuses datetime64[s] against [us].
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[us]")
    pop = population[population["value"].notna()][["region_id", "period", "value"]].copy()
    pop["period"] = pd.to_datetime(pop["period"]).astype("datetime64[us]")
    pop = pop.rename(columns={"value": "population", "period": "population_period"})
    # merge_asof wants identical key dtypes: an empty population frame comes back as object.
    out["region_id"] = out["region_id"].astype(str)
    pop["region_id"] = pop["region_id"].astype(str)
    left = out.sort_values("period")
    right = pop.sort_values("population_period")
    right["period"] = right["population_period"]
    merged = pd.merge_asof(left, right, on="period", by="region_id", direction="backward")
    merged["value"] = merged["value"].astype(float) * spec.factor / merged["population"].astype(float) * spec.per
    return merged.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def population_use(frame: pd.DataFrame) -> pd.DataFrame:
    """Which population date divided which periods, per series: series,
    population_period, first, last, same (every period of the span is the
    population's own date, i.e. no older figure stood in)."""
    cols = ["series", "population_period", "first", "last", "same"]
    used = frame[frame["population_period"].notna() & frame["value"].notna()]
    if used.empty:
        return pd.DataFrame(columns=cols)
    used = used.assign(_same=pd.to_datetime(used["period"]) == pd.to_datetime(used["population_period"]))
    out = used.groupby(["series", "population_period"], sort=True).agg(first=("period", "min"), last=("period", "max"), same=("_same", "all"))
    return out.reset_index()[cols]


def parse_breaks(text: object) -> list[dict]:
    """The catalogue's series breaks (JSON list of {date, explanation_de, explanation_en})."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return []
    return [b for b in items if isinstance(b, dict) and b.get("date")]


def break_positions(breaks: Sequence[dict], periods: Iterable) -> list[tuple[pd.Timestamp, dict]]:
    """Where to draw each break that falls inside the shown periods.

    A break's date is the first period after it; the line goes halfway between
    the last shown period before it and that date, so it reads "between these
    two points". Breaks before the first or after the last period are left out.
    """
    ps = sorted({pd.Timestamp(p) for p in periods})
    out = []
    if not ps:
        return out
    for b in breaks:
        date = pd.Timestamp(b["date"])
        before = [p for p in ps if p < date]
        if not before or date > ps[-1]:
            continue
        out.append((before[-1] + (date - before[-1]) / 2, b))
    return out


def breaks_between(breaks: Sequence[dict], start, end) -> list[dict]:
    """The breaks after ``start`` and on or before ``end`` (ranks across them compare different methods)."""
    lo, hi = sorted((pd.Timestamp(start), pd.Timestamp(end)))
    return [b for b in breaks if lo < pd.Timestamp(b["date"]) <= hi]


def flag_counts(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Counts by flag of flagged rows without a value (drawn as gaps) and with one."""
    flagged = frame[frame["flag"].notna()] if "flag" in frame.columns else frame.iloc[0:0]
    gaps = flagged[flagged["value"].isna()]["flag"].value_counts()
    kept = flagged[flagged["value"].notna()]["flag"].value_counts()
    return gaps, kept


# ---------------------------------------------------------------- projects


def projects_of_regions(projects: pd.DataFrame, links: pd.DataFrame, region_ids: Sequence[str]) -> pd.DataFrame:
    """The projects linked to each region, or to a region inside it.

    A project linked to a Gemeinde counts for its Kreis and Land too (keys are
    hierarchical: the Kreis key is the first 5 digits of the Gemeinde key);
    ``via`` names the linked key when it is not the region itself. Germany
    ("DG") collects every linked project.
    """
    cols = ["region_id", "registry_id", "project_id", "via", "role"]
    if projects is None or links is None or links.empty or not len(region_ids):
        return pd.DataFrame(columns=cols)
    rows = []
    link_ids = links["region_id"].astype(str)
    for rid in region_ids:
        hit = links if rid == GERMANY_ID else links[(link_ids == rid) | link_ids.str.startswith(rid)]
        if hit.empty:
            continue
        part = hit.assign(via=np.where(hit["region_id"] == rid, None, hit["region_id"]), region_id=rid)
        rows.append(part.reindex(columns=cols))
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    # One row per region and project: a direct link wins over a link through a contained unit.
    out["_direct"] = out["via"].isna()
    out = out.sort_values(["region_id", "registry_id", "project_id", "_direct"], ascending=[True, True, True, False])
    out = out.drop_duplicates(["region_id", "registry_id", "project_id"]).drop(columns="_direct")
    keep = [c for c in ("registry_id", "project_id", "title", "round", "category", "year", "status_group", "funding_federal_eur", "funding_total_eur", "source_id") if c in projects.columns]
    return out.merge(projects[keep], on=["registry_id", "project_id"], how="left").reset_index(drop=True)
