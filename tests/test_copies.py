"""The one rule for invalid values and copies of an observation key (etl.copies),
on inline frames and on the Breitbandatlas fixtures in their real formats
(tests/data/bnetza_breitbandatlas): an exact duplicate, a conflicting duplicate,
and an out-of-range share beside a valid figure of another package. Nothing is
lost: every input figure ends as an observation, a row of ``duplicates`` or a
quarantine entry.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import shutil
from pathlib import Path

import pandas as pd
import pytest

from etl.catalogue import INDICATORS_BY_ID, TABLES_BY_NAME
from etl.catalogue.inventory import load_inventory
from etl.catalogue.precedence import PRECEDENCES
from etl.copies import IDENTICAL_NOTE, invalid_values, resolve_copies
from etl.transform import broadband as bb
from etl.transform.observations import finalize_observations
from tests.conftest import FIXTURES, make_context, small_regions

FIXTURE_RAW = FIXTURES / "bnetza_breitbandatlas"
BASE = "bnetza_breitbandatlas"
REGION_IDS = (
    "01", "02", "03", "11",
    "01001", "01002", "02000", "03159", "11000",
    "01001000", "01002000", "02000000", "03159016", "11000000",
)
KREIS_2018 = f"{BASE}/Paket_3/landkreis_privat_2018_2.csv"
KREIS_2021 = f"{BASE}/Paket_3/landkreis_privat_2021_1.csv"
ANNUAL = f"{BASE}/Paket_1/verf_privat_alle_2010_2018.xls"
KREISDATEN = f"{BASE}/Paket_2/2021_BBA_Kreisdaten.xls"


def _rows(*copies: tuple[str, str, float | None, str | None], indicator: str = "bb_hh_all_50") -> pd.DataFrame:
    """Copies of one key: (source_id, source_file, value, flag) each."""
    return pd.DataFrame(
        {
            "indicator_id": indicator, "region_id": "01001", "period": dt.date(2018, 12, 31), "period_type": "year",
            "value": [c[2] for c in copies], "flag": [c[3] for c in copies], "source_id": [c[0] for c in copies],
            "source_file": [c[1] for c in copies], "sheet": None, "line": range(2, 2 + len(copies)), "column": "c", "raw": None,
        }
    ).astype({"value": "float64"})


# --- the rule on inline frames ---------------------------------------------------------------


def test_identical_copies_collapse_with_a_note_that_names_no_precedence():
    rows = _rows(("kba_fz1", "kba_fz1/a.csv", 5.0, None), ("kba_fz1", "kba_fz1/a.csv", 5.0, None), indicator="cars")
    out = resolve_copies(rows)
    assert len(out.kept) == 1 and out.conflicting.empty
    assert out.duplicates[["kept_file", "dropped_file", "rows", "rows_differing", "note"]].values.tolist() == [
        ["kba_fz1/a.csv", "kba_fz1/a.csv", 1, 0, IDENTICAL_NOTE]
    ]
    assert list(out.duplicates.columns) == TABLES_BY_NAME["duplicates"].column_names


@pytest.mark.parametrize("indicator", ["bb_hh_all_50", "bb_mob_5g2_autobahn", "population", "cars", "gdp_mio_eur"])
def test_conflicting_copies_are_all_quarantined_for_every_indicator(indicator):
    assert indicator in INDICATORS_BY_ID
    rows = _rows(("s", "s/a.csv", 97.0, None), ("s", "s/a.csv", 98.0, None), indicator=indicator)
    out = resolve_copies(rows)
    assert out.kept.empty and out.duplicates.empty
    assert out.conflicting["value"].tolist() == [97.0, 98.0]
    reason = out.conflicting["reason"].iloc[0]
    assert "97 in s/a.csv line 2" in reason and "98 in s/a.csv line 3" in reason and "none kept" in reason
    assert out.conflicting["reason"].nunique() == 1


def test_precedence_keeps_the_declared_file_in_any_order_and_records_the_other():
    a = ("bnetza_breitbandatlas", f"{BASE}/Paket_1/a.xls", 98.14, None)
    b = ("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 98.0, None)
    for copies in ((a, b), (b, a)):
        out = resolve_copies(_rows(*copies))
        assert out.kept["source_file"].tolist() == [b[1]] and out.conflicting.empty
        dup = out.duplicates.iloc[0]
        assert (dup["kept_file"], dup["dropped_file"], dup["rows"], dup["rows_differing"]) == (b[1], a[1], 1, 1)
        assert dup["note"].startswith("declared precedence breitbandatlas_packages: the later package is kept")


def test_no_precedence_between_files_of_one_package_nor_outside_its_indicators():
    same_rank = _rows(("bnetza_breitbandatlas", f"{BASE}/Paket_3/a.csv", 97.0, None), ("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 98.0, None))
    assert len(resolve_copies(same_rank).conflicting) == 2
    # The Breitbandatlas packages rank broadband figures, not a car count that happened to sit in those folders.
    other = _rows(("x", f"{BASE}/Paket_1/a.xls", 1.0, None), ("x", f"{BASE}/Paket_3/b.csv", 2.0, None), indicator="cars")
    assert len(resolve_copies(other).conflicting) == 2


def test_a_preferred_file_that_contradicts_itself_keeps_nothing_and_loses_nothing():
    rows = _rows(
        ("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 97.0, None),
        ("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 98.0, None),
        ("bnetza_breitbandatlas", f"{BASE}/Paket_1/a.xls", 98.14, None),
    )
    out = resolve_copies(rows)
    assert out.kept.empty and out.duplicates.empty and len(out.conflicting) == 3
    assert "98.14 in bnetza_breitbandatlas/Paket_1/a.xls" in out.conflicting["reason"].iloc[0]


def test_empty_copies_with_the_same_marker_are_identical():
    rows = _rows(("s", "s/a.csv", None, "no_value"), ("s", "s/b.csv", None, "no_value"), indicator="population")
    out = resolve_copies(rows)
    assert len(out.kept) == 1 and out.duplicates["rows_differing"].tolist() == [0]
    # A marker against a number differs.
    assert len(resolve_copies(_rows(("s", "s/a.csv", None, "no_value"), ("s", "s/b.csv", 5.0, None), indicator="population")).conflicting) == 2


def test_invalid_values_name_their_reason():
    rows = pd.concat(
        [
            _rows(("s", "s/a.csv", 180.5, None)),
            _rows(("s", "s/a.csv", -0.5, None)),
            _rows(("s", "s/a.csv", 100.0, None)),
            _rows(("s", "s/a.csv", None, None)),
            _rows(("s", "s/a.csv", float("inf"), None), indicator="cars"),
            _rows(("s", "s/a.csv", 250.0, None), indicator="cars"),
        ],
        ignore_index=True,
    )
    assert invalid_values(rows).to_dict() == {
        0: "share outside 0–100 %", 1: "share outside 0–100 %", 3: "empty value without a publisher marker", 4: "value is not a finite number",
    }


@pytest.mark.parametrize("other_key", [False, True])
def test_invalid_rows_take_no_part_in_the_copies_and_are_not_kept(other_key):
    rows = _rows(
        ("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 180.5, None),
        ("bnetza_breitbandatlas", f"{BASE}/Paket_2/a.xls", 99.0, None),
        ("bnetza_breitbandatlas", f"{BASE}/Paket_2/a.xls", 98.0, None),
    )
    if other_key:  # no copies left among the valid rows
        rows.loc[2, "region_id"] = "01002"
    invalid = invalid_values(rows).index
    out = resolve_copies(rows, invalid=invalid)
    assert list(invalid) == [0] and 0 not in out.kept.index and out.duplicates.empty
    assert (sorted(out.kept.index), len(out.conflicting)) == (([1, 2], 0) if other_key else ([], 2))
    # Without it the invalid row would be one of the copies (and, preferred by Paket_3, displace them).
    assert len(resolve_copies(rows).kept) == (2 if other_key else 1)


def test_an_invalid_copy_never_displaces_a_valid_one_in_finalize():
    rows = _rows(("bnetza_breitbandatlas", f"{BASE}/Paket_3/b.csv", 180.5, None), ("bnetza_breitbandatlas", f"{BASE}/Paket_2/a.xls", 99.0, None))
    ctx = make_context(FIXTURE_RAW, small_regions("01001"))
    obs = finalize_observations(rows, ctx, step="t")
    assert obs[["source_file", "value"]].values.tolist() == [[f"{BASE}/Paket_2/a.xls", 99.0]]
    q = ctx.quarantine.to_frame()
    assert q[["file", "value", "reason", "source_id"]].values.tolist() == [[f"{BASE}/Paket_3/b.csv", "180.5", "share outside 0–100 %", "bnetza_breitbandatlas"]]
    assert ctx.duplicates == []


def test_precedences_are_declared_completely():
    inventory = load_inventory()
    seen: set[str] = set()
    for p in PRECEDENCES:
        assert p.reason and len(p.files) >= 2
        assert set(p.indicators) <= set(INDICATORS_BY_ID), p.id
        assert not seen & set(p.indicators), f"{p.id}: an indicator under two precedences"
        seen |= set(p.indicators)
        for pattern in p.files:  # every pattern names files of the kit's inventory
            assert any(fnmatch.fnmatchcase(f, pattern) for f in inventory), (p.id, pattern)


# --- the rule on the Breitbandatlas fixtures ---------------------------------------------------


def _run(tmp_path: Path, files: dict[str, bytes]):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    for rel, content in files.items():
        (raw / rel).write_bytes(content)
    ctx = make_context(raw, small_regions(*REGION_IDS))
    obs = bb.transform_broadband(ctx)["observations"]
    dups = pd.DataFrame(ctx.duplicates, columns=TABLES_BY_NAME["duplicates"].column_names)
    return obs, dups, ctx.quarantine.to_frame()


def _at(obs: pd.DataFrame, indicator: str, region: str, period: str) -> pd.DataFrame:
    return obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == dt.date.fromisoformat(period))]


def test_fixture_exact_duplicate_collapses_and_is_counted(tmp_path):
    # The Kreis line of Flensburg twice, and the whole file once more under the other Paket_3 name of end 2018.
    text = (FIXTURE_RAW / KREIS_2018).read_bytes()
    twice = text.replace(b'"01002"', b'"01001";100.00;100.00;98.00\n"01002"', 1)
    obs, dups, quarantine = _run(tmp_path, {KREIS_2018: twice, f"{BASE}/Paket_3/landkreis_privat_2018_ende.csv": text})
    row = _at(obs, "bb_hh_all_50", "01001", "2018-12-31")
    assert row[["source_file", "value"]].values.tolist() == [[KREIS_2018, 98.0]]
    same = dups[(dups["indicator_id"] == "bb_hh_all_50") & (dups["note"] == IDENTICAL_NOTE) & (dups["period"] == dt.date(2018, 12, 31))]
    assert same[["kept_file", "dropped_file", "rows", "rows_differing"]].sort_values("dropped_file").values.tolist() == [
        [KREIS_2018, KREIS_2018, 1, 0],  # the line twice: 01001
        [KREIS_2018, f"{BASE}/Paket_3/landkreis_privat_2018_ende.csv", 3, 0],  # the copied file: 01001, 01002, 03152
    ]
    # The annual workbook's copies are displaced by the declared precedence, with its name, not the identical note.
    annual = dups[(dups["dropped_file"] == ANNUAL) & (dups["indicator_id"] == "bb_hh_all_50") & (dups["period"] == dt.date(2018, 12, 31))]
    assert annual["note"].str.startswith("declared precedence breitbandatlas_packages").all() and len(annual)
    assert not quarantine["reason"].str.startswith("conflicting copies").any()


def test_fixture_conflicting_duplicate_goes_to_the_quarantine_with_both_values(tmp_path):
    text = (FIXTURE_RAW / KREIS_2018).read_bytes()
    conflicting = text.replace(b'"01002"', b'"01001";100.00;100.00;97.00\n"01002"', 1)
    obs, dups, quarantine = _run(tmp_path, {KREIS_2018: conflicting})
    assert _at(obs, "bb_hh_all_50", "01001", "2018-12-31").empty  # none kept silently
    q = quarantine[quarantine["reason"].str.startswith("conflicting copies of (bb_hh_all_50, 01001, 2018-12-31)")]
    # Both values of the doubled line, and the annual workbook's copy it would have displaced: nothing lost.
    assert sorted(zip(q["file"], q["line"].astype(int), q["value"])) == [(ANNUAL, 2, "98.14"), (KREIS_2018, 2, "98.0"), (KREIS_2018, 3, "97.0")]
    assert q["reason"].str.contains(f"98 in {KREIS_2018} line 2").all() and q["reason"].str.contains(f"97 in {KREIS_2018} line 3").all()
    # The other columns of the doubled line agree: they collapse, counted as identical copies.
    assert _at(obs, "bb_hh_all_2", "01001", "2018-12-31")["value"].tolist() == [100.0]
    same = dups[(dups["note"] == IDENTICAL_NOTE) & (dups["period"] == dt.date(2018, 12, 31))]
    assert sorted(same["indicator_id"]) == ["bb_hh_all_16", "bb_hh_all_2"]
    # The workbook's Kreis copies of bb_hh_all_50 displaced by Paket_3: 01002 and 03152, not Flensburg's (quarantined).
    displaced = dups[(dups["indicator_id"] == "bb_hh_all_50") & (dups["kept_file"] == KREIS_2018) & (dups["dropped_file"] == ANNUAL)]
    assert displaced["rows"].tolist() == [2]


def test_fixture_out_of_range_share_never_displaces_the_other_package(tmp_path):
    text = (FIXTURE_RAW / KREIS_2021).read_bytes()
    assert b'"01001";99.23;' in text
    obs, dups, quarantine = _run(tmp_path, {KREIS_2021: text.replace(b'"01001";99.23;', b'"01001";180.5;', 1)})
    row = _at(obs, "bb_hh_all_50", "01001", "2021-06-30")
    assert row[["source_file", "value"]].values.tolist() == [[KREISDATEN, 99.0]]  # the Kreisdaten's valid figure
    bad = quarantine[(quarantine["file"] == KREIS_2021) & (quarantine["value"] == "180.5")]
    assert bad[["line", "column", "reason"]].values.tolist() == [[2, "verf_300_50", "share outside 0–100 %"]]
    moved = dups[(dups["indicator_id"] == "bb_hh_all_50") & (dups["dropped_file"] == KREISDATEN)]
    assert moved["rows"].tolist() == [2]  # 01002 and 03152 still displaced by Paket_3; Flensburg not
    # The other Kreis keeps the Paket_3 figure.
    assert _at(obs, "bb_hh_all_50", "01002", "2021-06-30")["value"].tolist() == [96.64]
