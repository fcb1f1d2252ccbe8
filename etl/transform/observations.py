"""Shared last step of every indicator transform: checks observations against
the catalogue and the regions, quarantines what does not fit, returns the rows of
the ``observations`` table.

Input: a frame with indicator_id, region_id, period, period_type, value, flag,
source_file and, for provenance, optional sheet, line, column and raw (and
source_id where a step reads several sources). First the one rule for invalid
values and copies of a key (``etl.copies``): invalid rows are quarantined before
any choice, copies are resolved by the declared precedence, identical ones
collapse, conflicting ones are quarantined. Then region
keys that are not in the 2021-01-01 status go through the declared crosswalk of
territorial changes (``etl.territory``): rows of historic units become values of
the 2021 unit (flag ``harmonised``) where every part is covered; rows for whose
2021 unit the publisher gives the figure directly are recorded in ``duplicates``
(via ``ctx.duplicates``, with file and line). In a file of the status before a
merger, the row of the key the 2021 unit kept is one of its parts: replaced by
the harmonised value (and recorded in ``duplicates``) or, where none can be
made, quarantined with the historic rows. Every other such row is quarantined
with the reason it could not be converted, and the counts go to the manifest
notes (``territorial_changes``).
Last, the Gemeinde rows give the values of their Gemeindeverbände
(``etl.aggregate.verband_values``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.catalogue import FLAGS_BY_CODE, INDICATORS_BY_ID, TABLES_BY_NAME
from etl.context import BuildContext
from etl.copies import IDENTICAL_NOTE, invalid_values, resolve_copies
from etl.territory import crosswalk_of, harmonise

OBS_COLUMNS = TABLES_BY_NAME["observations"].column_names
_PROV = ["sheet", "line", "column", "raw"]


def _quarantine(ctx: BuildContext, rows: pd.DataFrame, reason) -> None:
    """Quarantine ``rows`` (with their ``source_id``) with ``reason`` (text, or one per row)."""
    q = pd.DataFrame(
        {
            "file": rows["source_file"],
            "sheet": rows.get("sheet"),
            "line": rows.get("line"),
            "column": rows.get("column"),
            # The cell as published; the number where no raw text was kept (e.g. a derived value).
            "value": rows["raw"].where(rows["raw"].notna(), rows["value"]) if "raw" in rows else rows["value"],
            "reason": reason,
        }
    )
    for source_id, part in q.groupby(rows["source_id"], sort=False):
        ctx.quarantine.add_frame(part, source_id=str(source_id), target_table="observations")


def _record_superseded(ctx: BuildContext, rows: pd.DataFrame) -> None:
    """Historic-key figures for which the publisher gives the 2021 unit's own figure: duplicates.

    They are no rejected rows (nothing is wrong with them, and there is nothing to
    map): the same period is published for the unit the historic one became. One
    row of ``duplicates`` per kept file, file of the historic rows, indicator and
    period; the note names every historic key with its line, so each figure stays
    traceable to its cell. Rows of role ``kept_key_part`` are the published rows of a
    2021 key in a file of the status before a merger into it: used as one part of the
    harmonised value that replaces them (kept and dropped file are the same file; the
    note gives each key, line and published value).
    """
    if rows.empty:
        return
    notes = {
        "superseded": "historic region keys (territorial_changes) whose 2021 unit the publisher gives directly for this period: "
        "that figure is kept, these are not converted (figures of the units before the change, not comparable with it): ",
        "kept_key_part": "published value of a 2021 key in a file of the status before a merger (the file also gives keys merged "
        "into it): the old territory of that key, used as one part of the harmonised value that replaces it (kept_file, "
        "same file; rows_differing: the harmonised value differs from the published one): ",
    }
    rows = rows.assign(
        _differs=(rows["value"] - rows["kept_value"]).abs().gt(1e-9) | rows["value"].isna(),
        # (pandas ≥ 3 keeps a missing value missing through astype(str): each part says so in words)
        _where=rows["region_id"].astype(str).fillna("?") + "→" + rows["superseded_by"].astype(str).fillna("?")
        + rows["line"].map(lambda n: f" line {int(n)}" if pd.notna(n) else "")
        + rows["sheet"].map(lambda s: f" ({s})" if isinstance(s, str) and s else ""),
    )
    for (source_id, role, kept_file, file, indicator, period), g in rows.groupby(
        ["source_id", "role", "kept_file", "source_file", "indicator_id", "period"], sort=True, observed=True
    ):
        ctx.duplicates.append(
            {
                "source_id": source_id, "kept_file": kept_file, "dropped_file": file, "indicator_id": indicator, "period": period,
                "rows": len(g), "rows_differing": int(g["_differs"].sum()),
                "note": notes[role] + ", ".join(g["_where"] + (" value " + g["value"].map(repr) if role == "kept_key_part" else "")),
            }
        )


def finalize_observations(frame: pd.DataFrame, ctx: BuildContext, *, source_id: str | None = None, step: str) -> pd.DataFrame:
    """Validate and tidy observations of one step; quarantine the rest.

    The rows are of ``source_id``, or of the source in their own ``source_id``
    column (a step that reads several sources passes them at once, so that the
    one rule for copies sees every copy, ``etl.copies``)."""
    missing = [c for c in ("indicator_id", "region_id", "period", "period_type", "value", "flag", "source_file") if c not in frame]
    if missing:
        raise ValueError(f"{step}: observations lack columns {missing}")
    df = frame.reset_index(drop=True)
    if "source_id" not in df:
        if source_id is None:
            raise ValueError(f"{step}: observations without source_id")
        df["source_id"] = np.full(len(df), source_id, dtype=object)
    else:
        df["source_id"] = df["source_id"].astype(object)
    # Each file's source, from the distinct (file, source) pairs (one integer per row: millions of rows).
    files, file_names = pd.factorize(df["source_file"], use_na_sentinel=False)
    sources, source_names = pd.factorize(df["source_id"], use_na_sentinel=False)
    pairs = pd.unique(files.astype(np.int64) * len(source_names) + sources)
    source_of_file = {file_names[p // len(source_names)]: source_names[p % len(source_names)] for p in pairs.tolist()}
    for col in _PROV:
        if col not in df:
            df[col] = None
    unknown = set(df["indicator_id"].unique()) - set(INDICATORS_BY_ID)
    if unknown:
        raise ValueError(f"{step}: indicators not declared in the catalogue: {sorted(unknown)}")
    bad_flags = set(df["flag"].dropna().unique()) - set(FLAGS_BY_CODE)
    if bad_flags:
        raise ValueError(f"{step}: flags not declared in the catalogue: {sorted(bad_flags)}")
    df["region_id"] = df["region_id"].astype("string")
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype("float64")
    # datetime.date values (vectorised through numpy; .dt.date is three times slower).
    days = pd.to_datetime(df["period"]).to_numpy().astype("datetime64[D]")
    day, distinct_days = pd.factorize(days, use_na_sentinel=False)  # a few distinct periods: each made once
    df["period"] = pd.Series(np.asarray(distinct_days).astype("datetime64[D]").astype(object)[day], index=df.index)

    # 1. Validity, then copies of one key: the one rule of etl.copies (invalid rows never
    #    displace a valid copy; precedence as declared, identical copies collapse, conflicts
    #    are quarantined).
    invalid = invalid_values(df)
    if len(invalid):
        _quarantine(ctx, df.loc[invalid.index], invalid)
    copies = resolve_copies(df, invalid=invalid.index)  # drops the invalid rows in the same copy
    if len(copies.conflicting):
        _quarantine(ctx, copies.conflicting, copies.conflicting["reason"])
    if len(copies.duplicates):
        ctx.duplicates.extend(copies.duplicates.to_dict("records"))
        identical = copies.duplicates["note"].str.startswith(IDENTICAL_NOTE)
        ctx.note(step, "identical_copies_collapsed", int(copies.duplicates.loc[identical, "rows"].sum()))
        ctx.note(step, "copies_displaced_by_precedence", int(copies.duplicates.loc[~identical, "rows"].sum()))
    if len(copies.conflicting):
        ctx.note(step, "conflicting_copies_quarantined", len(copies.conflicting))

    # 2. Region keys outside the 2021-01-01 status: converted by the crosswalk, or quarantined.
    #    (Masks over all rows given, combined with the copies' ``keep``: the millions of rows
    #    inside the status are copied once.)
    known = ctx.region_ids()
    keep = copies.keep
    outside = ~df["region_id"].isin(known).to_numpy()
    if (keep & outside).any():
        rows, inside = df[keep & outside], df[keep & ~outside]
        converted, reasons, replaced, notes, superseded = harmonise(rows, inside, crosswalk_of(ctx), known, ctx.unplaced_keys)
        _record_superseded(ctx, superseded)
        # Mostly historic rows; also kept-key rows of a file in the status before a merger whose
        # 2021 unit gets no value there (etl.territory.harmonise).
        left = df.loc[reasons.index]
        _quarantine(ctx, left, reasons)
        counts = left.groupby(["source_file"]).size().to_dict()
        ctx.note(step, "historic_or_unknown_keys_by_file", {k: int(v) for k, v in counts.items()})
        ctx.note(step, "historic_or_unknown_keys_distinct", int(left["region_id"].nunique()))
        previous = ctx.notes.get(step, {}).get("territorial_changes", {})
        ctx.note(step, "territorial_changes", {k: previous.get(k, 0) + notes.get(k, 0) for k in {**previous, **notes}})
        df = pd.concat([inside[~inside.index.isin(replaced)], converted], ignore_index=True)
    else:
        df = copies.kept

    df = _with_verband_values(df, ctx, step)
    # Converted and Verband rows name their file; each file belongs to one source.
    sources = set(source_of_file.values())
    df["source_id"] = sources.pop() if len(sources) == 1 else df["source_file"].map(source_of_file)
    df["flag"] = df["flag"].astype("string")
    df["period_type"] = df["period_type"].astype("string")
    return df[OBS_COLUMNS].reset_index(drop=True)


def _with_verband_values(df: pd.DataFrame, ctx: BuildContext, step: str) -> pd.DataFrame:
    """``df`` plus the values of the Gemeindeverbände made from its Gemeinde rows."""
    regions = ctx.regions
    if regions is None or "verband_id" not in regions:
        return df
    from etl.aggregate import verband_values
    from etl.transform.region_attributes import latest_population

    gemeinden = regions[(regions["level"] == "gemeinde") & regions["verband_id"].notna()]
    verband_of = gemeinden.set_index("region_id")["verband_id"].astype(str)
    # The step's own population rows first (the population step), else earlier steps'.
    population = latest_population(ctx) if "observations" in ctx.tables else None
    population = None if population is None or population.empty else population
    own = df[(df["indicator_id"] == "population") & df["value"].notna()]
    if not own.empty:
        own = own.assign(_p=pd.to_datetime(own["period"])).sort_values("_p").drop_duplicates("region_id", keep="last")
        population = own.set_index("region_id")["value"]
    elif population is not None:
        population = population.set_index("region_id")["population"]
    made, notes = verband_values(df, verband_of, population)
    if any(notes.values()):
        ctx.note(step, "verband_values", notes)
    if made.empty:
        return df
    return pd.concat([df, made.astype({"region_id": "string"})], ignore_index=True)
