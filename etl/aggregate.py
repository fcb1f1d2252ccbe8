"""Aggregation of observations to a higher level by each indicator's rule.

``sum`` adds counts; ``mean_population`` and ``mean_households`` weight shares by
population (or households); ``none`` refuses. Used for counts located at
Gemeinde level (charging points), for Kreis sums of Gemeinden (population) and
for the crosswalk of territorial changes (historic keys → 2021 keys, see
``etl.territory``), which passes its own ``parents`` instead of a level.
"""

from __future__ import annotations

import pandas as pd

from etl.catalogue import GERMANY_ID, INDICATORS_BY_ID


def parent_key(region_ids: pd.Series, to_level: str) -> pd.Series:
    if to_level == "bund":
        return pd.Series(GERMANY_ID, index=region_ids.index, dtype="string")
    length = {"land": 2, "rbz": 3, "kreis": 5}[to_level]
    return region_ids.str[:length]


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
