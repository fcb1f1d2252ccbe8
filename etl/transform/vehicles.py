"""Passenger cars by Kreis and fuel (KBA FZ 1): observations on 1 January 2019–2025.

In: the three ``kba_fz1`` conversions (``etl.extract.kba``). Out: ``observations``
of ``cars``, ``cars_bev``, ``cars_hybrid`` (published per registration district;
Land and Germany as sums over the districts, flagged ``derived``), the shares
``cars_bev_share_pct`` and ``cars_hybrid_share_pct`` (computed at every level
from the counts) and ``cars_per_1000`` (published, districts only). Period:
the Stichtag, 1 January, period_type "year".

Decisions, with the evidence:

- 2019 has no total column: cars = the sum of the six fuel columns, as the
  converter's own check does (in 2020–2025 INSGESAMT equals the sum of the fuel
  columns on every row; the build notes any row where it does not).
- Several rows of one key in one year (SOURCES.md names 03159 Göttingen) are
  summed; for the car density the rows are combined through their implied
  population (cars / density), and that value is flagged ``derived``.
- Registration district 07211 "TRIER-SAARBURG" is the Zulassungsbezirk of the
  city of Trier (Kreis 07211) and the Landkreis Trier-Saarburg (07235), which has
  no row of its own. Its implied population in FZ 1.1 2020 (151,991 cars at
  586 per 1,000 → 259,370) is Trier's 110,636 plus Trier-Saarburg's 148,945
  (Gemeindeverzeichnis 31.12.2018), so it is no single Kreis: its rows are
  quarantined at Kreis level and counted in the sums of Rheinland-Pfalz and
  Germany.
- Eisenach (16056) joined the Wartburgkreis (16063) on 1 July 2021; from
  01.01.2022 KBA reports one district 16063. The regions are at the 2021-01-01
  status, where both exist: 16063's rows from the first year without 16056 are
  flagged ``break``.
- Keys that are not in the 2021-01-01 status are quarantined by
  ``finalize_observations`` (none in the kit); they still count in the Land and
  Germany sums, which are sums over every district row with a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.catalogue import GERMANY_ID
from etl.context import BuildContext
from etl.extract.kba import MARKERS, extract_fz1_stacked, extract_fz12_2019
from etl.steps import Step
from etl.transform.observations import finalize_observations

SOURCE_ID = "kba_fz1"
FILE_2019 = "kba_fz1/pkw-bestand-20190101.csv"
FILE_FZ12 = "kba_fz1/fz1_2_pkw_kraftstoff_kreise_2020-2025.csv"
FILE_FZ11 = "kba_fz1/fz1_1_pkw_kreise_2020-2025.csv"

FUELS_2019 = ("Benzin", "Diesel", "Gas", "Hybrid", "Elektro", "Sonstige Kraftstoffart")
FUELS_FZ12 = ("BENZIN", "DIESEL", "GAS (EINSCHL. BIVALENT)", "HYBRID INSGESAMT", "ELEKTRO (BEV)", "SONSTIGE")
COUNT_COLUMNS_FZ12 = {"cars": "INSGESAMT", "cars_bev": "ELEKTRO (BEV)", "cars_hybrid": "HYBRID INSGESAMT"}
COUNT_COLUMNS_2019 = {"cars_bev": "Elektro", "cars_hybrid": "Hybrid"}
FZ11_CARS = "PERSONENKRAFTWAGEN"
FZ11_DENSITY = "PKW-DICHTE JE 1.000 EINWOHNER"
COUNTS = ("cars", "cars_bev", "cars_hybrid")
SHARES = {"cars_bev_share_pct": "cars_bev", "cars_hybrid_share_pct": "cars_hybrid"}

# Registration districts that cover more than one Kreis of the 2021 status (see module docstring).
COMBINED_DISTRICTS = {"07211": ("07211", "07235")}
# (absorbed Kreis, absorbing Kreis): from the first year the absorbed one has no row, the other is flagged "break".
MERGERS = (("16056", "16063"),)


def _number_text(value: float) -> str | None:
    if pd.isna(value):
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _values(frame: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """value, flag, raw text and "bad" (empty or not a number without a marker) of one value column."""
    marker = frame[f"{column}__marker"]
    flag = marker.map(lambda m: None if m is None else MARKERS.get(m, "invalid"))
    value = frame[column].where(flag != "zero", 0.0)
    raw = np.where(marker.isna(), frame[column].map(_number_text), marker)
    return value, flag.where(flag.isin(["zero", "unknown", "not_meaningful"]), None), pd.Series(raw, index=frame.index, dtype=object), flag.isin(["invalid", "empty"])


def _long(frame: pd.DataFrame, file: str, columns: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """District rows → long rows per indicator; returns (rows, bad cells)."""
    parts, bad_parts = [], []
    for indicator, column in columns.items():
        value, flag, raw, bad = _values(frame, column)
        rows = pd.DataFrame(
            {"indicator_id": indicator, "year": frame["year"], "key": frame["key"], "key_raw": frame["key_raw"], "value": value, "flag": flag,
             "line": frame["line"], "column": column, "raw": raw, "source_file": file}
        )
        parts.append(rows[~bad])
        bad_parts.append(rows[bad])
    return pd.concat(parts, ignore_index=True), pd.concat(bad_parts, ignore_index=True)


def _cars_2019(frame: pd.DataFrame) -> pd.DataFrame:
    """The 2019 total as the sum of the fuel columns (a copy of ``frame`` with a cars column)."""
    out = frame.copy()
    vals, bad = [], pd.Series(False, index=frame.index)
    for col in FUELS_2019:
        value, flag, _, invalid = _values(frame, col)
        vals.append(value)
        bad |= invalid | value.isna()
    total = sum(vals)
    out["cars"] = total.where(~bad)
    out["cars__marker"] = pd.Series(np.where(bad, "not a sum: a fuel column is not a number", None), index=frame.index, dtype=object)
    return out


def _quarantine(ctx: BuildContext, rows: pd.DataFrame, reason) -> None:
    if rows.empty:
        return
    ctx.quarantine.add_frame(
        pd.DataFrame({"file": rows["source_file"], "line": rows["line"], "column": rows["column"], "value": rows["raw"], "reason": reason}, index=rows.index),
        source_id=SOURCE_ID,
        target_table="observations",
    )


def _sum_duplicates(rows: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Several rows of one key in one year and file: one row with the sum."""
    key = ["indicator_id", "source_file", "year", "key"]
    dup = rows.duplicated(key, keep=False)
    if not dup.any():
        return rows
    groups = rows[dup].groupby(key, as_index=False, sort=False)
    summed = groups.agg(
        key_raw=("key_raw", "first"), value=("value", lambda s: s.sum(min_count=len(s))), flag=("flag", "first"),
        line=("line", "first"), column=("column", "first"), raw=("raw", lambda s: " + ".join(str(v) for v in s)),
    )
    ctx.note("vehicles", "rows_summed_by_key", {f"{f} {y} {k}": int(n) for (i, f, y, k), n in rows[dup].groupby(key).size().items() if i == "cars"})
    return pd.concat([rows[~dup], summed], ignore_index=True)


def _totals(rows: pd.DataFrame, lands: set[str]) -> pd.DataFrame:
    """Land and Germany sums over every district row with a number (flag derived)."""
    base = rows[rows["key"].notna() & rows["key"].str[:2].isin(lands)]
    out = []
    for level_key in (base["key"].str[:2], pd.Series(GERMANY_ID, index=base.index)):
        g = base.assign(region_id=level_key).groupby(["indicator_id", "source_file", "year", "region_id"], as_index=False)
        agg = g.agg(value=("value", lambda s: s.sum(min_count=len(s))), n=("value", "size"))
        out.append(agg)
    totals = pd.concat(out, ignore_index=True)
    totals["flag"] = np.where(totals["value"].notna(), "derived", "unknown")
    totals["column"] = None
    totals["raw"] = None
    totals["line"] = None
    return totals.drop(columns="n")


def _shares(counts: pd.DataFrame) -> pd.DataFrame:
    wide = counts.pivot_table(index=["region_id", "year"], columns="indicator_id", values="value", aggfunc="first")
    files = counts.drop_duplicates(["region_id", "year"]).set_index(["region_id", "year"])["source_file"]
    breaks = counts[counts["flag"] == "break"].drop_duplicates(["region_id", "year"]).set_index(["region_id", "year"]).index
    parts = []
    for share, part in SHARES.items():
        if part not in wide or "cars" not in wide:
            continue
        ok = wide["cars"] > 0
        value = (wide[part] / wide["cars"] * 100).where(ok)
        frame = value.rename("value").reset_index()
        frame["indicator_id"] = share
        parts.append(frame[frame["value"].notna()])
    out = pd.concat(parts, ignore_index=True)
    out["source_file"] = files.reindex(pd.MultiIndex.from_frame(out[["region_id", "year"]])).to_numpy()
    out["flag"] = np.where(pd.MultiIndex.from_frame(out[["region_id", "year"]]).isin(breaks), "break", None)
    return out


def _density(ctx: BuildContext, fz11: pd.DataFrame) -> pd.DataFrame:
    """cars_per_1000 per district; duplicates combined through the implied population."""
    value, flag, raw, bad = _values(fz11, FZ11_DENSITY)
    cars, *_ = _values(fz11, FZ11_CARS)
    rows = pd.DataFrame(
        {"indicator_id": "cars_per_1000", "year": fz11["year"], "key": fz11["key"], "key_raw": fz11["key_raw"], "value": value, "flag": flag,
         "line": fz11["line"], "column": FZ11_DENSITY, "raw": raw, "source_file": FILE_FZ11, "cars": cars}
    )
    _quarantine(ctx, rows[bad], "car density is not a number")
    rows = rows[~bad]
    dup = rows.duplicated(["year", "key"], keep=False) & rows["key"].notna()
    if dup.any():
        d = rows[dup].assign(pop=rows["cars"] / rows["value"] * 1000)
        combined = d.groupby(["year", "key"], as_index=False).agg(
            key_raw=("key_raw", "first"), cars=("cars", "sum"), pop=("pop", "sum"), line=("line", "first"), raw=("raw", lambda s: " + ".join(map(str, s))),
        )
        combined["value"] = combined["cars"] / combined["pop"] * 1000
        combined = combined.assign(indicator_id="cars_per_1000", flag="derived", column=FZ11_DENSITY, source_file=FILE_FZ11).drop(columns="pop")
        rows = pd.concat([rows[~dup], combined], ignore_index=True)
    return rows.drop(columns="cars")


def _check_totals(ctx: BuildContext, fz12: pd.DataFrame, fz11: pd.DataFrame) -> None:
    fuel_sum = sum(fz12[c] for c in FUELS_FZ12)
    ctx.note("vehicles", "fz12_rows_where_total_differs_from_fuel_sum", int((fuel_sum - fz12["INSGESAMT"]).abs().gt(0.5).sum()))
    both = fz12.merge(fz11, on=["year", "key_raw"], suffixes=("", "_fz11"))
    ctx.note("vehicles", "fz11_rows_where_cars_differ_from_fz12", int((both["INSGESAMT"] - both[FZ11_CARS]).abs().gt(0.5).sum()))


def _flag_mergers(obs: pd.DataFrame) -> pd.DataFrame:
    """Flag the absorbing Kreis "break" in the years after the absorbed one stops appearing."""
    for absorbed, absorbing in MERGERS:
        years_with = set(obs.loc[obs["region_id"] == absorbed, "year"])
        later = [y for y in sorted(set(obs["year"])) if y not in years_with and any(w < y for w in years_with)]
        if later:
            hit = (obs["region_id"] == absorbing) & obs["year"].isin(later)
            obs.loc[hit, "flag"] = "break"
    return obs


def run(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    a2019 = extract_fz12_2019(ctx.path(FILE_2019), FILE_2019)
    fz12 = extract_fz1_stacked(ctx.path(FILE_FZ12), FILE_FZ12, ("INSGESAMT", *FUELS_FZ12))
    fz11 = extract_fz1_stacked(ctx.path(FILE_FZ11), FILE_FZ11, (FZ11_CARS, FZ11_DENSITY))
    _check_totals(ctx, fz12, fz11)

    rows19, bad19 = _long(_cars_2019(a2019), FILE_2019, {"cars": "cars", **COUNT_COLUMNS_2019})
    rows19.loc[rows19["indicator_id"] == "cars", "column"] = " + ".join(FUELS_2019)
    rows12, bad12 = _long(fz12, FILE_FZ12, COUNT_COLUMNS_FZ12)
    bad = pd.concat([bad19, bad12], ignore_index=True)
    _quarantine(ctx, bad, "value is not a number (no publisher marker)")
    counts = pd.concat([rows19, rows12], ignore_index=True)

    no_key = counts["key"].isna()
    _quarantine(ctx, counts[no_key].assign(column="KS / STATISTISCHE KENNZIFFER UND ZULASSUNGSBEZIRK", raw=counts.loc[no_key, "key_raw"]), "no Kreis key in the field")
    counts = _sum_duplicates(counts[~no_key], ctx)

    lands = ctx.region_ids("land")
    totals = _totals(counts, lands)
    density = _density(ctx, fz11)
    no_key = density["key"].isna()
    _quarantine(ctx, density[no_key].assign(column="STATISTISCHE KENNZIFFER UND ZULASSUNGSBEZIRK", raw=density.loc[no_key, "key_raw"]), "no Kreis key in the field")
    density = density[~no_key]

    kreis = pd.concat([counts, density], ignore_index=True).rename(columns={"key": "region_id"})
    combined = kreis["region_id"].isin(COMBINED_DISTRICTS)
    reason = kreis.loc[combined, "region_id"].map(
        lambda k: f"registration district {k} covers the Kreise {' and '.join(COMBINED_DISTRICTS[k])}: no single Kreis (counted in the Land and Germany sums)"
    )
    _quarantine(ctx, kreis[combined], reason)
    kreis = kreis[~combined]
    ctx.note("vehicles", "combined_districts_quarantined", int(combined.sum()))

    kreis = _flag_mergers(kreis)
    count_rows = pd.concat([kreis[kreis["indicator_id"].isin(COUNTS)], totals], ignore_index=True)
    shares = _shares(count_rows)
    obs = pd.concat([kreis.drop(columns=["key_raw"]), totals, shares], ignore_index=True)
    obs["period"] = pd.to_datetime(obs["year"].astype(int).astype(str) + "-01-01")
    obs["period_type"] = "year"
    obs["flag"] = obs["flag"].astype(object).where(obs["flag"].notna(), None)
    obs = finalize_observations(obs, ctx, source_id=SOURCE_ID, step="vehicles")
    ctx.note("vehicles", "observations_by_indicator", {k: int(v) for k, v in obs["indicator_id"].value_counts().items()})
    return {"observations": obs}


STEP = Step("vehicles", 30, (SOURCE_ID,), run)
