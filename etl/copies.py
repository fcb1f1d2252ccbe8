"""One rule for invalid values and copies of an observation key, declared once.

Applied by ``etl.transform.observations.finalize_observations`` to the rows of
every indicator transform, in this order:

1. **Validity** (``invalid_values``), before any choice between copies: a share
   (unit ``%``) outside 0–100, a value that is not finite, an empty value
   without a publisher marker. Such a row goes to the quarantine with its
   reason; it never displaces a valid copy of another file.
2. **Copies** (``resolve_copies``): rows with the same indicator, region and
   period.

   - A declared precedence (``etl.catalogue.precedence``) ranks the files: the
     copy of the first-ranked file is kept, every other copy is *displaced* and
     recorded in ``duplicates`` (kept and dropped file, how many differ, the
     declaration's reason).
   - Copies without a precedence between them (the same file, files of the same
     rank, files no declaration names) that are identical (value and flag)
     collapse to one row, the first in reading order; the others are recorded
     in ``duplicates`` as identical copies.
   - Copies without a precedence that differ all go to the quarantine, each
     with a reason that lists every copy's value, file and line: none is kept,
     whatever the indicator. So do the displaced copies of such a key (the
     preferred file contradicts itself, so nothing can be chosen).

Identical means the same flag and values within 1e-9 (both empty counts as the
same).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.catalogue import INDICATORS_BY_ID, TABLES_BY_NAME
from etl.catalogue.model import Precedence
from etl.catalogue.precedence import PRECEDENCES

KEY = ["indicator_id", "region_id", "period"]
SAME = 1e-9
DUPLICATES_COLUMNS = TABLES_BY_NAME["duplicates"].column_names
IDENTICAL_NOTE = (
    "identical copies (same indicator, region, period, value and flag) without a declared precedence between "
    "their files: collapsed to one row, the first in reading order"
)


def invalid_values(df: pd.DataFrame) -> pd.Series:
    """The reason for every invalid row of ``df`` (indexed like those rows)."""
    value = df["value"]
    shares = df["indicator_id"].isin([i for i in pd.unique(df["indicator_id"]) if INDICATORS_BY_ID[str(i)].unit == "%"])
    reasons = pd.Series(None, index=df.index, dtype=object)
    reasons[shares & value.notna() & ((value < 0) | (value > 100))] = "share outside 0–100 %"
    reasons[value.notna() & ~np.isfinite(value.to_numpy(dtype="float64"))] = "value is not a finite number"
    reasons[value.isna() & df["flag"].isna()] = "empty value without a publisher marker"
    return reasons.dropna()


def _ranks(rows: pd.DataFrame, precedences: tuple[Precedence, ...]) -> pd.Series:
    """(declaration, rank) of each row's file under the declaration of its indicator; NaN where none."""
    rank = pd.Series(np.nan, index=rows.index)
    declared = pd.Series(None, index=rows.index, dtype=object)
    for p in precedences:
        mine = rows["indicator_id"].astype(str).isin(p.indicators)
        if not mine.any():
            continue
        files = rows.loc[mine, "source_file"].astype(str)
        by_file = {}
        for f in files.unique():
            by_file[f] = next((i for i, pattern in enumerate(p.files) if fnmatch.fnmatchcase(f, pattern)), np.nan)
        rank[mine] = files.map(by_file).astype(float)
        declared[mine] = p.id
    return rank.where(declared.notna())


@dataclass
class Copies:
    """What ``resolve_copies`` decided: the rows kept, ``duplicates`` rows, the rows to quarantine."""

    rows: pd.DataFrame  # the rows given
    keep: np.ndarray  # one bool per row given: kept
    duplicates: pd.DataFrame
    conflicting: pd.DataFrame  # the rows, with a column ``reason``

    @property
    def kept(self) -> pd.DataFrame:
        """The rows kept (a caller that filters the rows further combines ``keep`` with its own
        mask instead: one copy of millions of rows, not two)."""
        return self.rows if self.keep.all() else self.rows[self.keep]


def _describe(rows: pd.DataFrame) -> pd.Series:
    line = rows["line"].map(lambda n: f" line {int(n)}" if pd.notna(n) else "")
    sheet = rows["sheet"].map(lambda s: f" ({s})" if isinstance(s, str) and s else "")
    value = rows["value"].map(lambda v: "empty" if pd.isna(v) else f"{v:g}")
    flag = rows["flag"].map(lambda f: f" [{f}]" if isinstance(f, str) and f else "")
    return value + flag + " in " + rows["source_file"].astype(str) + sheet + line


def _records(dropped: pd.DataFrame, kept: pd.DataFrame, note: pd.Series | str) -> pd.DataFrame:
    """``duplicates`` rows: per kept file, dropped file, indicator and period."""
    heads = kept.set_index("_g")
    pair = dropped.assign(
        _kept_file=dropped["_g"].map(heads["source_file"]).astype(str),
        _kept_source=dropped["_g"].map(heads["source_id"]).astype(str),
        _gap=(dropped["value"] - dropped["_g"].map(heads["value"])).abs(),
        _note=note,
    )
    # rows_differing counts values (a published and a derived copy of one number agree).
    pair["_differs"] = pair["_gap"].gt(SAME) | (pair["value"].isna() != dropped["_g"].map(heads["value"]).isna())
    pair["indicator_id"] = pair["indicator_id"].astype(str)
    pair["source_file"] = pair["source_file"].astype(str)
    out = pair.groupby(["_kept_source", "_kept_file", "source_file", "indicator_id", "period", "_note"], as_index=False, sort=True).agg(
        rows=("value", "size"), rows_differing=("_differs", "sum"), gap=("_gap", "max")
    )
    gap = out["gap"].map(lambda g: "" if pd.isna(g) or g <= SAME else f"; max |difference| {g:g}")
    return pd.DataFrame(
        {
            "source_id": out["_kept_source"], "kept_file": out["_kept_file"], "dropped_file": out["source_file"],
            "indicator_id": out["indicator_id"], "period": out["period"], "rows": out["rows"].astype("int64"),
            "rows_differing": out["rows_differing"].astype("int64"), "note": out["_note"] + gap,
        }
    )[DUPLICATES_COLUMNS]


def resolve_copies(df: pd.DataFrame, precedences: tuple[Precedence, ...] = PRECEDENCES, invalid: pd.Index | None = None) -> Copies:
    """Apply the rule of the module docstring to ``df`` (with ``source_id``, ``source_file``,
    ``value``, ``flag`` and the provenance columns ``sheet`` and ``line``).

    ``invalid``: labels of rows that take no part (``invalid_values``: they never displace
    a valid copy) and are not kept. Passed here rather than filtered out before, so that
    millions of rows are copied once, not twice."""
    valid = np.ones(len(df), dtype=bool) if invalid is None or not len(invalid) else ~df.index.isin(invalid)
    if valid.all():
        dup = df.duplicated(KEY, keep=False)
    else:
        dup = pd.Series(False, index=df.index)
        dup[valid] = df.loc[valid, KEY].duplicated(keep=False)
    if not dup.any():
        return Copies(df, valid, pd.DataFrame(columns=DUPLICATES_COLUMNS), df.iloc[0:0].assign(reason=pd.Series(dtype=object)))
    sub = df[dup].copy()
    sub["_g"] = sub.groupby(KEY, sort=False, observed=True, dropna=False).ngroup()
    sub["_rank"] = _ranks(sub, precedences)
    by_group = sub.groupby("_g")["_rank"]
    ranked = ~sub["_rank"].isna().groupby(sub["_g"]).transform("any")
    displaced = ranked & sub["_rank"].gt(by_group.transform("min"))

    rest = sub[~displaced].copy()
    rest["_n"] = rest.groupby("_g").cumcount()
    head = rest[rest["_n"] == 0].set_index("_g")
    hv, hf = rest["_g"].map(head["value"]), rest["_g"].map(head["flag"])
    same = ((rest["value"] - hv).abs().le(SAME) | (rest["value"].isna() & hv.isna())) & rest["flag"].fillna("").eq(hf.fillna(""))
    agree = same.groupby(rest["_g"]).transform("all")
    conflict_groups = set(rest.loc[~agree, "_g"])

    conflicting = sub[sub["_g"].isin(conflict_groups)]
    if len(conflicting):
        described = _describe(conflicting)
        listing = described.groupby(conflicting["_g"]).agg(lambda s: "; ".join(s))
        key_text = conflicting["indicator_id"].astype(str) + ", " + conflicting["region_id"].astype(str) + ", " + conflicting["period"].astype(str)
        reason = (
            "conflicting copies of (" + key_text + ") without a declared precedence between them, none kept: "
            + conflicting["_g"].map(listing)
        )
        conflicting = conflicting.assign(reason=reason.to_numpy())
    kept_heads = rest[agree & rest["_n"].eq(0)]
    identical = rest[agree & rest["_n"].gt(0)]
    displaced_ok = sub[displaced & ~sub["_g"].isin(conflict_groups)]
    records = []
    if len(displaced_ok):
        decl = {p.id: p for p in precedences}
        ids = displaced_ok["indicator_id"].astype(str)
        note = ids.map({i: f"declared precedence {p.id}: {p.reason}" for p in decl.values() for i in p.indicators})
        records.append(_records(displaced_ok, kept_heads, note))
    if len(identical):
        records.append(_records(identical, kept_heads, IDENTICAL_NOTE))
    dropped = sub.index[displaced | sub["_g"].isin(conflict_groups)].union(identical.index)
    duplicates = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=DUPLICATES_COLUMNS)
    return Copies(df, valid & ~df.index.isin(dropped), duplicates, conflicting.drop(columns=["_g", "_rank"]))
