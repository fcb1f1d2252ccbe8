"""Internet-use observations from Eurostat isoc_r_iuse_i (daily users, % of individuals).

In: ``eurostat/isoc_r_iuse_i_I_IDAY_PC_IND_2006-2019.csv`` (long CSV conversion;
the Eurostat TSV the catalogue fetches is read the same way, see
``etl.extract.eurostat``). Out: ``observations`` of ``internet_daily_users_pct``
for Germany (``DG``, from 2006) and the Länder (NUTS 1, from 2011), period YYYY-12-31.

NUTS codes are matched to region keys through ``regions.nuts_id`` (VG5000 2021
carries the NUTS code of every unit), not through a table of our own. Rows of
other countries are out of scope: counted in the manifest notes, not quarantined.
German NUTS codes without a region (e.g. NUTS 2 codes of an older NUTS version)
are quarantined.
"""

from __future__ import annotations

import pandas as pd

from etl.context import BuildContext
from etl.errors import InputError
from etl.extract.eurostat import extract_eurostat
from etl.steps import Step
from etl.transform.observations import finalize_observations

SOURCE_ID = "eurostat_isoc_r_iuse_i"
STEP_NAME = "internet"
RELPATH = "eurostat/isoc_r_iuse_i_I_IDAY_PC_IND_2006-2019.csv"
INDICATOR_ID = "internet_daily_users_pct"
# The file holds one indicator in one unit; anything else is not the declared file.
EXPECTED_DIMENSIONS = {"indic_is": "I_IDAY", "unit": "PC_IND"}

# Eurostat status flags → our flag codes. Several letters on one value ("bp"):
# the first in this order wins, because a break changes comparability most.
STATUS_FLAGS: dict[str, str] = {
    "b": "break",
    "p": "provisional",
    "e": "estimated",
    "c": "unknown",  # confidential, always with ":"
    "z": "not_meaningful",  # not applicable
}


def map_nuts_to_regions(regions: pd.DataFrame) -> dict[str, str]:
    """NUTS code → region key for Germany, Länder, Regierungsbezirke and Kreise.

    Gemeinden carry their Kreis' NUTS 3 code and are left out.
    """
    frame = regions[regions["level"].isin(["bund", "land", "rbz", "kreis"]) & regions["nuts_id"].notna()]
    dup = frame["nuts_id"].duplicated(keep=False)
    if dup.any():
        raise ValueError(f"regions: NUTS codes shared by several units: {sorted(frame.loc[dup, 'nuts_id'].unique())}")
    return dict(zip(frame["nuts_id"], frame["region_id"], strict=True))


def map_status_to_flag(status: str, missing: bool) -> tuple[str | None, str | None]:
    """(flag, problem) for Eurostat status letters; a letter we have no flag for is a problem."""
    flag = None
    for letter in STATUS_FLAGS:
        if letter in status:
            flag = STATUS_FLAGS[letter]
            break
    unknown = sorted(set(status) - set(STATUS_FLAGS))
    if unknown:
        return None, f"Eurostat flag {''.join(unknown)!r} has no flag code in the catalogue"
    if missing and flag is None:
        flag = "unknown"  # ":" not available
    return flag, None


def _quarantine(ctx: BuildContext, rows: pd.DataFrame, reason) -> None:
    frame = pd.DataFrame({"file": RELPATH, "line": rows["line"], "column": rows["column"], "value": rows["raw"], "reason": reason})
    ctx.quarantine.add_frame(frame, source_id=SOURCE_ID, target_table="observations")


def transform_internet(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    path = ctx.path(RELPATH)
    cells = extract_eurostat(path, RELPATH)
    ctx.note(STEP_NAME, "rows_read", len(cells))
    for dim, expected in EXPECTED_DIMENSIONS.items():
        if dim not in cells:
            raise InputError(RELPATH, f"dimension {dim!r} missing", line=1, column=dim)
        other = cells[cells[dim] != expected]
        if not other.empty:
            first = other.iloc[0]
            raise InputError(RELPATH, f"{dim} {first[dim]!r}, expected only {expected!r}", line=int(first["line"]), column=dim)

    germany = cells["geo"].str.startswith("DE")
    ctx.note(STEP_NAME, "rows_other_countries_out_of_scope", int((~germany).sum()))
    cells = cells[germany]

    bad = cells["problem"].notna()
    if bad.any():
        _quarantine(ctx, cells[bad], cells.loc[bad, "problem"])
        cells = cells[~bad]

    flags = [map_status_to_flag(s, m) for s, m in zip(cells["status"], cells["missing"], strict=True)]
    cells = cells.assign(flag=[f for f, _ in flags], flag_problem=[p for _, p in flags])
    bad = cells["flag_problem"].notna()
    if bad.any():
        _quarantine(ctx, cells[bad], cells.loc[bad, "flag_problem"])
        cells = cells[~bad]

    nuts = map_nuts_to_regions(ctx.regions)
    cells = cells.assign(region_id=cells["geo"].map(nuts))
    unmatched = cells["region_id"].isna()
    if unmatched.any():
        rows = cells[unmatched]
        _quarantine(ctx, rows, "NUTS code " + rows["geo"] + " matches no region of the 2021 status (regions.nuts_id)")
        cells = cells[~unmatched]

    year = pd.to_numeric(cells["time"], errors="coerce")
    not_year = year.isna() | (year % 1 != 0)
    if not_year.any():
        rows = cells[not_year]
        _quarantine(ctx, rows, "period " + rows["time"] + " is not a year")
        cells, year = cells[~not_year], year[~not_year]

    frame = pd.DataFrame(
        {
            "indicator_id": INDICATOR_ID,
            "region_id": cells["region_id"],
            "period": pd.to_datetime(year.astype(int).astype(str) + "-12-31"),
            "period_type": "year",
            "value": cells["value"].astype("float64"),
            "flag": cells["flag"],
            "source_file": RELPATH,
            "line": cells["line"],
            "column": cells["column"],
            "raw": cells["raw"],
        }
    )
    obs = finalize_observations(frame, ctx, source_id=SOURCE_ID, step=STEP_NAME)
    levels = obs["region_id"].map(ctx.regions.set_index("region_id")["level"])
    ctx.note(STEP_NAME, "observations_by_level", {str(k): int(v) for k, v in levels.value_counts().items()})
    return {"observations": obs}


STEP = Step(STEP_NAME, 20, (SOURCE_ID,), transform_internet)
