"""Territorial changes: historic Kreis keys converted to the status of 2021-01-01.

In: ``data/territorial_changes.csv``, a reviewed file with one row per change
event, historic Kreis key and 2021 Kreis: ``event_date`` (first day of the new
status), ``old_key``/``old_name``, ``new_key``/``new_name`` (the VG5000 2021
name), ``share`` (part of the old Kreis that went to the new one: 1 for a whole
Kreis, a fraction where a Kreis was split), ``population`` and
``population_date`` (the old Kreis' population, the weight of its part in a
weighted mean), ``basis`` (where share and population come from) and
``reference`` (the Land law and the publisher's notice). Out: observations of
the 2021 Kreise, flag ``harmonised`` (``etl.catalogue.flags``), made from the
rows that publishers keep giving under the historic keys.

The rules (``harmonise``), applied by ``etl.transform.observations`` to every
row whose key is not in the 2021 status:

- A value is made for a 2021 Kreis, indicator and period only when every
  declared part of that Kreis has a value in the same file: counts are summed
  and shares weighted by the population of each part (``etl.aggregate``, by the
  indicator's declared rule). Partial coverage makes no value.
- Households: the Breitbandatlas' household shares (rule
  ``mean_households``) are weighted by population too, because the kit
  publishes no household counts; within one Kreis merger the two differ little.
- A count of a Kreis that was split (``share`` < 1, Demmin 2011) cannot be
  divided without a figure for its part: no value. A share of a split Kreis is
  taken as valid for each of its parts, weighted by ``share × population``.
- Indicators with rule ``none`` are not converted (no weights are published).
- A value the publisher gives directly for the 2021 key and period is never
  overwritten: the historic rows stay in the quarantine, saying so. A published
  empty cell (GENESIS ``-``: the new Kreis did not exist yet) is replaced by the
  converted value, and counted in the manifest notes.
- Parts whose values carry a flag are not converted (one flag cannot keep two).

Every historic row that does not become part of a converted value stays in the
quarantine with a reason saying why. Historic Gemeinde keys are not in the
crosswalk yet and keep the reason "historic or unknown key".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pandas as pd

from etl import paths
from etl.aggregate import aggregate
from etl.catalogue import INDICATORS_BY_ID
from etl.errors import InputError

COLUMNS = ["event_date", "old_key", "old_name", "new_key", "new_name", "share", "population", "population_date", "basis", "reference"]
FLAG = "harmonised"
KREIS_KEY = re.compile(r"^\d{5}$")
SHARE_TOLERANCE = 0.001


def _relname(path: Path) -> str:
    try:
        return path.relative_to(paths.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _date(text: str, file: str, line: int, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(file, f"{text!r} is not a date (YYYY-MM-DD)", line=line, column=column) from None


def read_crosswalk(path: Path = paths.TERRITORIAL_CHANGES_FILE) -> pd.DataFrame:
    """The declared crosswalk, checked row by row; errors name file, line and column."""
    file = _relname(path)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != COLUMNS:
            raise InputError(file, f"expected the columns {COLUMNS}, found {reader.fieldnames}", line=1)
        records = []
        for row in reader:
            line = reader.line_num
            rec = {c: (row[c] or "").strip() for c in COLUMNS}
            for col in ("old_key", "new_key"):
                if not KREIS_KEY.match(rec[col]):
                    raise InputError(file, f"{rec[col]!r} is not a 5-digit Kreis key (write the leading zero)", line=line, column=col)
            if rec["old_key"] == rec["new_key"]:
                raise InputError(file, "old and new key are the same", line=line, column="new_key")
            rec["event_date"] = _date(rec["event_date"], file, line, "event_date")
            try:
                share = float(rec["share"])
            except ValueError:
                raise InputError(file, f"share {rec['share']!r} is not a number", line=line, column="share") from None
            if not 0 < share <= 1:
                raise InputError(file, f"share {share} is not in (0, 1]", line=line, column="share")
            rec["share"] = share
            if rec["population"]:
                if not rec["population"].isdigit() or int(rec["population"]) <= 0:
                    raise InputError(file, f"population {rec['population']!r} is not a positive whole number", line=line, column="population")
                rec["population"] = int(rec["population"])
                rec["population_date"] = _date(rec["population_date"], file, line, "population_date")
            else:
                rec["population"] = None
                rec["population_date"] = None
            for col in ("old_name", "new_name", "basis", "reference"):
                if not rec[col]:
                    raise InputError(file, f"{col} is empty: every row says what it maps, on what basis and by which law", line=line, column=col)
            rec["line"] = line
            records.append(rec)
    frame = pd.DataFrame(records, columns=[*COLUMNS, "line"])
    dup = frame.duplicated(["old_key", "new_key"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise InputError(file, f"{first['old_key']} → {first['new_key']} is declared twice", line=int(first["line"]))
    totals = frame.groupby("old_key")["share"].sum()
    off = totals[(totals - 1).abs() > SHARE_TOLERANCE]
    if len(off):
        key = off.index[0]
        line = int(frame.loc[frame["old_key"] == key, "line"].iloc[0])
        raise InputError(file, f"the shares of {key} add up to {off.iloc[0]:g}, not 1", line=line, column="share")
    frame["population"] = frame["population"].astype("Int64")
    frame.attrs["file"] = file
    return frame


def check_crosswalk(crosswalk: pd.DataFrame, regions: pd.DataFrame) -> None:
    """Every new key is a Kreis of the 2021 status with the declared name; no old key is."""
    kreise = regions[regions["level"] == "kreis"].set_index("region_id")["name"]
    file = crosswalk.attrs.get("file", "territorial changes")
    for row in crosswalk.itertuples(index=False):
        if row.old_key in set(regions["region_id"]):
            raise InputError(file, f"{row.old_key} is a key of the 2021 status, not a historic one", line=row.line, column="old_key")
        if row.new_key not in kreise.index:
            raise InputError(file, f"{row.new_key} is not a Kreis of the 2021 status", line=row.line, column="new_key")
        if kreise[row.new_key] != row.new_name:
            raise InputError(file, f"{row.new_key} is {kreise[row.new_key]!r} in VG5000 2021, not {row.new_name!r}", line=row.line, column="new_name")


def crosswalk_of(ctx) -> pd.DataFrame:
    """The crosswalk of a build: read once (the regions step checks it against the regions)."""
    if ctx.territorial_changes is None:
        ctx.territorial_changes = read_crosswalk()
    return ctx.territorial_changes


def _label(row) -> str:
    return f"{row.old_key} {row.old_name}"


def harmonise(outside: pd.DataFrame, inside: pd.DataFrame, crosswalk: pd.DataFrame, known: set[str]) -> tuple[pd.DataFrame, pd.Series, pd.Index, dict]:
    """Convert rows of historic keys to the 2021 status where the crosswalk allows it.

    ``outside``: rows whose key is not in the 2021 status; ``inside``: the rows
    of the same call that are (to find values published for the new key).
    Returns (converted rows with the columns of ``outside``, the reason for every
    row of ``outside`` that stays in the quarantine, the index of ``inside``
    rows replaced by a converted value, counts for the manifest notes).
    """
    keys = outside["region_id"].astype(str)
    reasons = pd.Series(
        "region key " + keys + " not in the territorial status 2021-01-01 (historic or unknown key, not declared in data/territorial_changes.csv)",
        index=outside.index,
        dtype=object,
    )
    # Without a value (a publisher's marker such as GENESIS "-" for a Kreis dissolved before
    # the table starts) there is nothing to convert, declared or not.
    blank = outside["value"].isna() & ~keys.isin(set(crosswalk["old_key"]))
    reasons[blank] = (reasons[blank] + " and without a value here (marker " + outside.loc[blank, "flag"].astype(str) + "): nothing to convert").to_numpy()
    declared = outside[keys.isin(set(crosswalk["old_key"]))]
    notes = {"rows_historic": int(len(outside)), "rows_in_crosswalk": int(len(declared))}
    if declared.empty:
        return outside.iloc[0:0], reasons, inside.index[0:0], notes

    events = crosswalk.drop_duplicates("old_key").set_index("old_key")
    dkeys = declared["region_id"].astype(str)
    until = dkeys.map(events["event_date"]).map(lambda d: (d - dt.timedelta(days=1)).isoformat())
    prefix = "historic region key " + dkeys + " (" + dkeys.map(events["old_name"]) + ", until " + until + ")"
    empty = declared["value"].isna()
    reasons.loc[declared.index[empty]] = (prefix[empty] + ": no value here (marker " + declared.loc[empty, "flag"].astype(str) + "), nothing to convert").to_numpy()

    # Declared, but a 2021 Kreis it went to is not among the regions (a test's small set).
    unknown_target = crosswalk.loc[~crosswalk["new_key"].isin(known)].groupby("old_key")["new_key"].agg(", ".join)
    lost = ~empty & dkeys.isin(unknown_target.index)
    if lost.any():
        reasons.loc[declared.index[lost]] = (prefix[lost] + ": the 2021 Kreis it went to (" + dkeys[lost].map(unknown_target) + ") is not in the regions").to_numpy()
    cw = crosswalk[~crosswalk["old_key"].isin(unknown_target.index)]
    valued = declared[~empty & ~lost]

    # One row per (historic row, 2021 Kreis it went to): a split Kreis feeds two.
    parts = valued.reset_index(names="_row").merge(
        cw[["old_key", "new_key", "new_name", "share", "population"]], left_on=valued["region_id"].astype(str).to_numpy(), right_on="old_key"
    )
    parts_of = cw.groupby("new_key")
    required = {k: g for k, g in parts_of}
    published = inside[inside["value"].notna()].set_index(["indicator_id", "region_id", "period"]).index
    published = set(zip(published.get_level_values(0).astype(str), published.get_level_values(1).astype(str), published.get_level_values(2)))
    empty_inside = inside[inside["value"].isna()]
    empty_at = {(str(i), str(r), p): idx for idx, i, r, p in zip(empty_inside.index, empty_inside["indicator_id"], empty_inside["region_id"], empty_inside["period"])}

    failed: dict[int, str] = {}
    succeeded: set[int] = set()
    converted: list[pd.DataFrame] = []
    replaced: list[int] = []
    counts = {"converted_values": 0, "published_kept": 0, "partial_coverage": 0, "rule_none": 0, "split_count": 0, "no_weight": 0, "flagged_parts": 0, "several_files": 0}
    for (indicator, new_key, period), group in parts.groupby(["indicator_id", "new_key", "period"], sort=False, observed=True):
        indicator = str(indicator)
        need = required[new_key]
        label = f"{new_key} {need['new_name'].iloc[0]}"
        rule = INDICATORS_BY_ID[indicator].aggregation
        have = set(group["old_key"])
        missing = need[~need["old_key"].isin(have)]
        reason = None
        if rule == "none":
            reason, kind = f"indicator {indicator} has aggregation rule none (no published weights): not converted to {label}", "rule_none"
        elif (indicator, new_key, period) in published:
            reason, kind = f"the publisher gives {label} for this period directly; that value is kept, this one is not converted", "published_kept"
        elif len(missing):
            lacking = ", ".join(_label(r) for r in missing.itertuples())
            reason, kind = f"converting to {label} needs {lacking} for this period too (partial coverage: no value made)", "partial_coverage"
        elif group["source_file"].nunique() > 1 or group["old_key"].duplicated().any():
            reason, kind = f"the parts of {label} come from different files or twice: not combined", "several_files"
        elif group["flag"].notna().any():
            reason, kind = f"parts of {label} carry flags ({', '.join(sorted(set(group['flag'].dropna().astype(str))))}) that one converted value cannot keep", "flagged_parts"
        elif rule == "sum" and (need["share"] < 1).any():
            split = ", ".join(_label(r) for r in need[need["share"] < 1].itertuples())
            reason, kind = f"{split} was split across several 2021 Kreise: a count cannot be divided, no value made for {label}", "split_count"
        elif rule != "sum" and need["population"].isna().any():
            reason, kind = f"no population weight declared for a part of {label}: no weighted mean", "no_weight"
        if reason is not None:
            counts[kind] += len(group)
            for row in group["_row"]:
                failed.setdefault(row, reason)
            continue
        weights = group["share"] * group["population"].astype(float) if rule != "sum" else None
        frame = group.assign(region_id=new_key)
        value = aggregate(frame[["indicator_id", "region_id", "period", "value"]], None, weights=weights, rule=rule, parents=frame["region_id"])
        first = valued.loc[group["_row"].iloc[0]]
        out = valued.loc[[group["_row"].iloc[0]]].copy()
        out["region_id"] = pd.array([new_key], dtype=outside["region_id"].dtype)
        out["value"] = float(value["value"].iloc[0])
        out["flag"] = FLAG
        out["line"] = None
        out["raw"] = None
        parts_text = " + ".join(f"{k} × {s:g}" if s < 1 else k for k, s in zip(group["old_key"], group["share"]))
        out["column"] = f"{first['column']} of {parts_text} (data/territorial_changes.csv)"
        converted.append(out)
        succeeded.update(group["_row"])
        counts["converted_values"] += 1
        if (indicator, new_key, period) in empty_at:
            replaced.append(empty_at[(indicator, new_key, period)])
    # A historic row leaves the quarantine only when every conversion it takes part in succeeded.
    for row, reason in failed.items():
        reasons.loc[row] = f"{prefix[row]}: {reason}"
    consumed = [r for r in succeeded if r not in failed]
    reasons = reasons.drop(index=consumed)
    counts["rows_converted"] = len(consumed)
    counts["published_empty_cells_replaced"] = len(replaced)
    notes.update(counts)
    result = pd.concat(converted) if converted else outside.iloc[0:0]
    return result, reasons, pd.Index(replaced), notes

