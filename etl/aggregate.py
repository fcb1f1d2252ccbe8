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
    rows = obs[obs["indicator_id"].isin(wanted) & obs["value"].notna()]
    rows = rows[rows["region_id"].isin(verband_of.index)]
    if rows.empty:
        return pd.DataFrame(columns=_VERBAND_COLUMNS), notes
    members = verband_of.value_counts()
    flag_text = rows["flag"].astype(object).fillna("")
    rank = flag_text.map(_MIXABLE_FLAGS).fillna(_UNMIXABLE).astype(int)
    rows = rows.assign(_verband=rows["region_id"].map(verband_of).astype(str), _flag=flag_text, _rank=rank)
    keys = ["indicator_id", "_verband", "period"]
    groups = rows.groupby(keys, sort=False, observed=True).agg(
        n=("region_id", "nunique"), rows=("region_id", "size"), files=("source_file", "nunique"), flags=("_flag", "nunique"), _first=("_flag", "first"), _top=("_rank", "max"),
    )
    complete = groups["n"].to_numpy() == groups.index.get_level_values("_verband").map(members).to_numpy()
    notes["incomplete_units"] = int((~complete).sum())
    uniform = (groups["files"] == 1) & ((groups["flags"] == 1) | (groups["_top"] < _UNMIXABLE)) & (groups["rows"] == groups["n"])
    notes["mixed_files_or_flags"] = int((complete & ~uniform).sum())
    good = groups[complete & uniform].copy()
    good["_combined"] = good["_first"].where(good["flags"] == 1, good["_top"].map(_FLAG_OF_RANK))
    rows = rows.join(good[["n", "_combined"]], on=keys, how="inner")
    parts = []
    for indicator, part in rows.groupby("indicator_id", sort=False, observed=True):
        rule = INDICATORS_BY_ID[indicator].aggregation
        weights = None
        if rule != "sum":
            # One Gemeinde: its value, whatever its weight; several: each needs a population.
            weights = part["region_id"].map(population) if population is not None else pd.Series(float("nan"), index=part.index)
            weights = weights.where(part["n"] > 1, 1.0)
            lacking = part.loc[weights.isna(), ["_verband", "period"]].drop_duplicates()
            if len(lacking):
                notes["no_population_weight"] += len(lacking)
                drop = part.set_index(["_verband", "period"]).index.isin(pd.MultiIndex.from_frame(lacking))
                part, weights = part[~drop], weights[~drop]
            if part.empty:
                continue
        values = aggregate(part[["indicator_id", "region_id", "period", "value"]], None, weights=weights, rule=rule, parents=part["_verband"])
        first = part.drop_duplicates(["_verband", "period"]).set_index(["_verband", "period"])
        out = first.loc[list(zip(values["region_id"], values["period"]))].reset_index()
        single = out["n"].to_numpy() == 1
        out["value"] = values["value"].to_numpy()
        out["region_id"] = out["_verband"]
        out["flag"] = out["_combined"].where(out["_combined"] != "", None)
        how = "Summe der Gemeinden" if rule == "sum" else "bevölkerungsgewichtetes Mittel der Gemeinden"
        out["column"] = [f"{'Wert der einzigen Gemeinde' if one else how}: {c}" for one, c in zip(single, out["column"].astype(object).fillna(""))]
        out["line"] = None
        out["raw"] = None
        parts.append(out[_VERBAND_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=_VERBAND_COLUMNS), notes
    made = pd.concat(parts, ignore_index=True)
    notes["values_made"] = len(made)
    return made, notes
