"""Aggregation of observations to a higher level by each indicator's rule.

``sum`` adds counts; ``mean_population`` and ``mean_households`` weight shares by
population (or households); ``none`` refuses. Used for counts located at
Gemeinde level (charging points), for Kreis sums of Gemeinden (population), for
the crosswalk of territorial changes (historic keys → 2021 keys, see
``etl.territory``), which passes its own ``parents`` instead of a level, and for
the Gemeindeverbände (``verband_values``: every Verband value is made from its
Gemeinden, since no kit source publishes that level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.catalogue import GERMANY_ID, INDICATORS_BY_ID, KEY_LENGTH


def parent_key(region_ids: pd.Series, to_level: str) -> pd.Series:
    if to_level == "bund":
        return pd.Series(GERMANY_ID, index=region_ids.index, dtype="string")
    if to_level not in ("land", "rbz", "kreis"):
        # A Gemeinde's Verband is in its ARS, not its AGS: see verband_values.
        raise ValueError(f"no key prefix leads to level {to_level!r}")
    return region_ids.str[:KEY_LENGTH[to_level]]


def aggregate(
    obs: pd.DataFrame,
    to_level: str | None,
    weights: pd.Series | None = None,
    rule: str | None = None,
    parents: pd.Series | None = None,
) -> pd.DataFrame:
    """Aggregate rows of one indicator (columns region_id, period, value) to ``to_level``.

    ``rule`` defaults to the indicator's declared aggregation; ``weights``
    (indexed like ``obs``) is needed for weighted means. ``parents`` (indexed
    like ``obs``) gives the target key of each row instead of the key prefix of
    ``to_level`` (the crosswalk of territorial changes). Rows with a missing
    value are left out of sums and means; the result says how many regions
    were combined in ``n_regions``.
    """
    indicators = obs["indicator_id"].unique()
    if len(indicators) != 1:
        raise ValueError("aggregate one indicator at a time")
    rule = rule or INDICATORS_BY_ID[indicators[0]].aggregation
    if parents is None:
        if to_level is None:
            raise ValueError("aggregate needs a level or the parents of the rows")
        parents = parent_key(obs["region_id"].astype("string"), to_level)
    frame = obs.assign(parent=parents.reindex(obs.index))
    frame = frame[frame["value"].notna()]
    if rule == "sum":
        out = frame.groupby(["parent", "period"], as_index=False).agg(value=("value", "sum"), n_regions=("region_id", "nunique"))
    elif rule in ("mean_population", "mean_households"):
        if weights is None:
            raise ValueError(f"{indicators[0]}: a weighted mean needs weights")
        frame = frame.assign(w=weights.reindex(frame.index))
        frame = frame[frame["w"].notna()]
        frame = frame.assign(wv=frame["value"] * frame["w"])
        out = frame.groupby(["parent", "period"], as_index=False).agg(wv=("wv", "sum"), w=("w", "sum"), n_regions=("region_id", "nunique"))
        out["value"] = out["wv"] / out["w"]
        out = out.drop(columns=["wv", "w"])
    else:
        raise ValueError(f"{indicators[0]} does not aggregate (rule {rule!r})")
    out = out.rename(columns={"parent": "region_id"})
    out["indicator_id"] = indicators[0]
    return out


# Columns of an observation row that verband_values fills (the observations table's, less source_id).
_VERBAND_COLUMNS = ["indicator_id", "region_id", "period", "period_type", "value", "flag", "source_file", "sheet", "line", "column", "raw"]
# Flags a Verband value can carry when its Gemeinden's differ, the most cautious
# winning: a sum with a lower bound in it is a lower bound; with a part converted
# to the 2021 status (a Gemeinde merged since), converted. Any other mix
# (provisional, estimated, break …) makes no value.
_MIXABLE_FLAGS = {"": 0, "zero": 0, "derived": 1, "harmonised": 2, "lower_bound": 3}
_FLAG_OF_RANK = {0: "", 1: "derived", 2: "harmonised", 3: "lower_bound"}
_UNMIXABLE = 100
# What a Verband value is, by its rule: not weighted, weighted (its ``column`` says so).
HOW = ("Summe der Gemeinden", "bevölkerungsgewichtetes Mittel der Gemeinden")


def verband_values(obs: pd.DataFrame, verband_of: pd.Series, population: pd.Series | None) -> tuple[pd.DataFrame, dict]:
    """Values of the Gemeindeverbände from the Gemeinde rows of ``obs``.

    ``obs`` has observation columns (indicator_id, region_id, period,
    period_type, value, flag, source_file, sheet, column); ``verband_of`` maps
    each Gemeinde key to its Verband (``regions.verband_id``); ``population``
    (Gemeinde key → inhabitants) weights the means. Only indicators that declare
    the level ``verband`` take part, by their declared rule. A value is made
    only when every Gemeinde of the Verband has a value for that indicator and
    period, from one file. Flags: parts with one flag give it to the Verband (a
    Verband of ``lower_bound`` Gemeinden is a lower bound too); parts whose
    flags differ give the most cautious of ``lower_bound``, ``harmonised``,
    ``derived`` (``_MIXABLE_FLAGS``), any other mix makes no value. No flag is
    added for the aggregation itself: every value of the level is made from its
    Gemeinden (as the charging step's Kreis sums are), which the level's
    description and each row's ``column`` say ("Summe der Gemeinden: …"). A
    weighted mean needs the population of every part. ``mean_households`` is weighted by population, as in ``etl.territory``: the
    kit publishes no household counts per Gemeinde.

    Returns the rows and counts for the manifest: values made and units left
    without a value, by reason.
    """
    wanted = [i for i in obs["indicator_id"].unique() if "verband" in INDICATORS_BY_ID[i].levels and INDICATORS_BY_ID[i].aggregation != "none"]
    notes = {"values_made": 0, "incomplete_units": 0, "mixed_files_or_flags": 0, "no_population_weight": 0}
    # Every step below works on integer codes (millions of Gemeinde rows): the
    # position of each row's Gemeinde in ``verband_of``, its Verband, period, file, flag.
    region, region_ids = pd.factorize(obs["region_id"])
    at = verband_of.index.get_indexer(region_ids)[region]
    use = (at >= 0) & obs["indicator_id"].isin(wanted).to_numpy() & obs["value"].notna().to_numpy()
    rows = obs.loc[use, ["indicator_id", "region_id", "period", "period_type", "value", "flag", "source_file", "sheet", "column"]]
    at, region = at[use], region[use]
    if rows.empty:
        return pd.DataFrame(columns=_VERBAND_COLUMNS), notes
    verband_codes, verbands = pd.factorize(verband_of.astype(str).to_numpy())
    members = np.bincount(verband_codes)
    verband = verband_codes[at]
    indicator, indicators = pd.factorize(rows["indicator_id"])
    period, periods = pd.factorize(rows["period"])
    files, _ = pd.factorize(rows["source_file"])
    flag_text = rows["flag"].astype(object).fillna("").to_numpy()
    flag, flag_values = pd.factorize(flag_text)
    rank = np.array([_MIXABLE_FLAGS.get(f, _UNMIXABLE) for f in flag_values], dtype=np.int64)[flag]
    group, _ = pd.factorize((indicator.astype(np.int64) * len(verbands) + verband) * len(periods) + period)
    n_groups = int(group.max()) + 1

    def distinct(codes: np.ndarray, width: int) -> np.ndarray:
        """Per group, how many distinct ``codes`` its rows have."""
        first = ~pd.Series(group.astype(np.int64) * width + codes).duplicated().to_numpy()
        return np.bincount(group[first], minlength=n_groups)

    size = np.bincount(group, minlength=n_groups)
    n = distinct(at, len(verband_of))
    n_files = distinct(files, int(files.max()) + 1)
    n_flags = distinct(flag, len(flag_values))
    first_row = np.flatnonzero(~pd.Series(group).duplicated().to_numpy())  # group k first appears at first_row[k]
    top = pd.Series(rank).groupby(group).max().to_numpy()
    complete = n == members[verband[first_row]]
    notes["incomplete_units"] = int((~complete).sum())
    uniform = (n_files == 1) & ((n_flags == 1) | (top < _UNMIXABLE)) & (size == n)
    notes["mixed_files_or_flags"] = int((complete & ~uniform).sum())
    flag_of_rank = np.array([_FLAG_OF_RANK.get(r, "") for r in range(_UNMIXABLE + 1)], dtype=object)
    combined = np.where(n_flags == 1, flag_text[first_row], flag_of_rank[top])
    good = complete & uniform

    weighted = np.array([INDICATORS_BY_ID[i].aggregation != "sum" for i in indicators])[indicator[first_row]]
    value = rows["value"].to_numpy(dtype="float64")
    weight = np.full(len(rows), np.nan)
    if weighted[group].any():
        # One Gemeinde: its value, whatever its weight; several: each needs a population.
        if population is not None:
            found = population.index.get_indexer(region_ids)[region]
            weight = np.where(found >= 0, population.to_numpy(dtype="float64", na_value=np.nan)[found], np.nan)
        weight = np.where(n[group] > 1, weight, 1.0)
        lacking = np.zeros(n_groups, dtype=bool)
        lacking[group[np.isnan(weight)]] = True
        lacking &= good & weighted
        notes["no_population_weight"] = int(lacking.sum())
        good &= ~lacking
    keep = good[group]
    if not keep.any():
        return pd.DataFrame(columns=_VERBAND_COLUMNS), notes
    # Sums per group in the rows' order (a weighted mean: Σ value·weight / Σ weight).
    sums = pd.DataFrame({"g": group[keep], "value": value[keep], "wv": value[keep] * weight[keep], "w": weight[keep]}).groupby("g").sum()
    made_groups = sums.index.to_numpy()
    made_value = sums["value"].to_numpy().copy()
    np.divide(sums["wv"].to_numpy(), sums["w"].to_numpy(), out=made_value, where=weighted[made_groups])
    # Indicators in the order they first appear among the rows used, each by Verband and period.
    order_of_indicator = pd.factorize(indicator[keep])[1]
    indicator_rank = np.empty(int(indicator.max()) + 1, dtype=np.int64)
    indicator_rank[order_of_indicator] = np.arange(len(order_of_indicator))
    verband_rank = np.argsort(np.argsort(verbands, kind="stable"), kind="stable")
    period_rank = np.argsort(np.argsort(np.asarray(periods, dtype=object), kind="stable"), kind="stable")
    at_first = first_row[made_groups]
    sort = np.lexsort((period_rank[period[at_first]], verband_rank[verband[at_first]], indicator_rank[indicator[at_first]]))
    made_groups, made_value, at_first = made_groups[sort], made_value[sort], at_first[sort]

    out = rows.iloc[at_first][["indicator_id", "period", "period_type", "source_file", "sheet"]].reset_index(drop=True)
    single = n[made_groups] == 1
    flags = combined[made_groups]
    # The few distinct texts are made once each.
    column, column_texts = pd.factorize(rows["column"].iloc[at_first].astype(object).fillna(""))
    kinds, kind = np.unique((column.astype(np.int64) * 2 + single) * 2 + weighted[made_groups], return_inverse=True)
    texts = np.array([f"{'Wert der einzigen Gemeinde' if k // 2 % 2 else HOW[k % 2]}: {column_texts[k // 4]}" for k in kinds], dtype=object)
    out["region_id"] = pd.array(verbands[verband[at_first]], dtype=str)
    out["value"] = made_value
    out["flag"] = pd.Series(np.where(flags != "", flags, None), dtype=object)
    out["column"] = pd.array(texts[kind], dtype=str)
    out["line"] = None
    out["raw"] = None
    made = out[_VERBAND_COLUMNS]
    notes["values_made"] = len(made)
    return made, notes
