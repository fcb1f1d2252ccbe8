"""The crosswalk of territorial changes (etl.territory): read, checked, applied by
each indicator's rule, and never mixing partial sums or overwriting published values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import territory
from etl.catalogue import FLAGS_BY_CODE, INDICATORS
from etl.errors import InputError
from etl.transform import broadband as bb
from etl.transform.observations import finalize_observations
from tests.conftest import FIXTURES, make_context, small_regions

BB_RAW = FIXTURES / "bnetza_breitbandatlas"
BB_REGIONS = small_regions("01", "03", "01001", "01002", "02000", "03159", "11000", "02", "11", "01001000", "01002000", "02000000", "03159016", "11000000")
HEADER = ",".join(territory.COLUMNS)
# Population weights of the declared crosswalk (GENESIS 12411-0015, 31.12.2015).
POP_GOETTINGEN, POP_OSTERODE = 255653, 73885


def _crosswalk(tmp_path: Path, *rows: str) -> pd.DataFrame:
    path = tmp_path / "territorial_changes.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return territory.read_crosswalk(path)


def _row(old: str, new: str, share: float = 1, population: int | str = 1000, old_name: str = "Alt", new_name: str = "Neu") -> str:
    pop_date = "2010-12-31" if population != "" else ""
    return f"2011-09-04,{old},{old_name},{new},{new_name},{share},{population},{pop_date},test basis,test law"


def _obs(*rows: tuple) -> pd.DataFrame:
    """Observation candidates: (indicator, region, period, value[, flag[, file]])."""
    records = []
    for i, r in enumerate(rows):
        indicator, region, period, value = r[:4]
        records.append(
            {
                "indicator_id": indicator, "region_id": region, "period": period, "period_type": "year", "value": value,
                "flag": r[4] if len(r) > 4 else None, "source_file": r[5] if len(r) > 5 else "f.csv",
                "sheet": None, "line": i + 2, "column": "c", "raw": None if value is None else str(value),
            }
        )
    return pd.DataFrame(records)


def _finalize(tmp_path, frame: pd.DataFrame, crosswalk: pd.DataFrame, *regions: str, with_context: bool = False):
    ctx = make_context(tmp_path, small_regions(*regions))
    ctx.territorial_changes = crosswalk
    obs = finalize_observations(frame, ctx, source_id="test", step="test")
    out = obs, ctx.quarantine.to_frame(), ctx.notes["test"]["territorial_changes"]
    return (*out, ctx) if with_context else out


def _one(obs: pd.DataFrame, indicator: str, region: str, period: str) -> pd.Series:
    rows = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == dt.date.fromisoformat(period))]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- the declared file -------------------------------------------------------------------------


def test_the_declared_crosswalk_is_complete_and_fits_the_2021_kreise(kit_regions):
    cw = territory.read_crosswalk()
    territory.check_crosswalk(cw, kit_regions)
    assert {("03152", "03159"), ("03156", "03159"), ("13052", "13071"), ("13052", "13075")} <= set(zip(cw["old_key"], cw["new_key"]))
    assert (cw["reference"].str.len() > 10).all() and (cw["basis"].str.len() > 10).all()
    # Every historic Kreis key of the kit that carries values is declared (measured on a build: the
    # Paket_3 Kreis files, the DSL workbooks 2005–2008 and GENESIS 12411-0015).
    assert {"03152", "03156", "05313", "05354", *(f"130{n:02d}" for n in (1, 2, 5, 6)), *(f"130{n}" for n in range(51, 63))} <= set(cw["old_key"])


def test_the_flag_is_declared_with_both_languages():
    flag = FLAGS_BY_CODE[territory.FLAG]
    assert flag.has_value and "Gebietsstand 2021-01-01" in flag.label_de and "territorial status of 2021-01-01" in flag.label_en


@pytest.mark.parametrize(
    ("row", "line", "column", "message"),
    [
        (_row("3152", "03159"), 2, "old_key", "5-digit Kreis or 8-digit Gemeinde key"),
        (_row("03152", "03159012"), 2, "new_key", "different levels"),
        (_row("03152", "03159", share=0.5), 2, "share", "add up to 0.5"),
        ("2016-11-31,03152,Alt,03159,Neu,1,10,2015-12-31,b,r", 2, "event_date", "not a date"),
        ("2016-11-01,03152,Alt,03159,Neu,1,10,2015-12-31,b,", 2, "reference", "reference is empty"),
        ("2016-11-01,03152,Alt,03159,Neu,1,-10,2015-12-31,b,r", 2, "population", "positive whole number"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path, row, line, column, message):
    with pytest.raises(InputError) as err:
        _crosswalk(tmp_path, row)
    assert (err.value.line, err.value.column) == (line, column) and message in str(err.value)
    assert "territorial_changes.csv" in str(err.value)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_row("03152", "03999", new_name="Göttingen"), "new_key", "03999 is not a Kreis of the 2021 status"),
        (_row("03155", "03159", new_name="Göttingen"), "old_key", "03155 is a key of the 2021 status, not a historic one"),
        (_row("03152", "03159", new_name="Goettingen"), "new_name", "03159 is 'Göttingen' in VG5000 2021, not 'Goettingen'"),
    ],
)
def test_a_crosswalk_that_does_not_fit_the_2021_status_is_refused(tmp_path, row, column, message):
    cw = _crosswalk(tmp_path, _row("03156", "03159", share=1, new_name="Göttingen"), row)
    regions = pd.DataFrame({"region_id": ["03159", "03155", "03155001"], "level": ["kreis", "kreis", "gemeinde"], "name": ["Göttingen", "Northeim", "Bad Gandersheim"]})
    territory.check_crosswalk(cw.iloc[:1], regions)  # the first row fits
    with pytest.raises(InputError, match=message) as err:
        territory.check_crosswalk(cw, regions)
    assert (err.value.line, err.value.column) == (3, column)


# --- the rules on inline frames ------------------------------------------------------------------


def test_merger_sums_counts_and_replaces_the_publishers_empty_cell(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159", population=255653), _row("03156", "03159", population=73885))
    frame = _obs(
        ("population", "03152", "2015-12-31", 255653), ("population", "03156", "2015-12-31", 73885),
        ("population", "03159", "2015-12-31", None, "no_value"),  # GENESIS "-": 03159 did not exist yet
        ("population", "03159", "2016-12-31", 327065),
        ("population", "03152", "2016-12-31", None, "no_value"), ("population", "03156", "2016-12-31", None, "no_value"),
    )
    obs, q, notes = _finalize(tmp_path, frame, cw, "03159")
    merged = _one(obs, "population", "03159", "2015-12-31")
    assert merged["value"] == 255653 + 73885 and merged["flag"] == "harmonised"
    assert _one(obs, "population", "03159", "2016-12-31")["value"] == 327065
    assert len(q) == 2 and q["reason"].str.contains("no value here (marker no_value)", regex=False).all()
    assert notes["converted_values"] == 1 and notes["published_empty_cells_replaced"] == 1 and notes["rows_converted"] == 2


def test_merger_weights_shares_by_population(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159", population=3000), _row("03156", "03159", population=1000))
    obs, q, _ = _finalize(tmp_path, _obs(("bb_hh_all_50", "03152", "2021-06-30", 90.0), ("bb_hh_all_50", "03156", "2021-06-30", 50.0)), cw, "03159")
    assert _one(obs, "bb_hh_all_50", "03159", "2021-06-30")["value"] == pytest.approx(80.0)  # (90×3000 + 50×1000) / 4000
    assert q.empty


def test_partial_coverage_makes_no_value_and_keeps_the_rows_with_the_reason(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"), _row("03156", "03159", old_name="Osterode"))
    frame = _obs(("population", "03152", "2015-12-31", 255653), ("population", "03156", "2014-12-31", 73793))
    obs, q, notes = _finalize(tmp_path, frame, cw, "03159")
    assert obs.empty
    assert len(q) == 2 and q["reason"].str.contains("partial coverage: no value made").all()
    assert q["reason"].str.contains("needs 03156 Osterode for this period too", regex=False).sum() == 1
    assert notes["partial_coverage"] == 2 and notes["converted_values"] == 0


def test_a_published_value_of_the_new_key_is_never_overwritten(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"), _row("03156", "03159"))
    frame = _obs(("bb_hh_all_50", "03152", "2018-12-31", 90.0), ("bb_hh_all_50", "03156", "2018-12-31", 50.0), ("bb_hh_all_50", "03159", "2018-12-31", 87.52))
    obs, q, notes, ctx = _finalize(tmp_path, frame, cw, "03159", with_context=True)
    kept = _one(obs, "bb_hh_all_50", "03159", "2018-12-31")
    assert kept["value"] == 87.52 and pd.isna(kept["flag"])
    # Superseded, not unmapped: recorded as duplicates with file and lines, not quarantined.
    assert q.empty and notes["superseded"] == 2
    (dup,) = ctx.duplicates
    assert (dup["kept_file"], dup["dropped_file"], dup["indicator_id"], dup["rows"], dup["rows_differing"]) == ("f.csv", "f.csv", "bb_hh_all_50", 2, 2)
    assert "03152→03159 line 2, 03156→03159 line 3" in dup["note"]


def test_a_split_kreis_weights_shares_by_its_part_and_refuses_counts(tmp_path):
    cw = _crosswalk(
        tmp_path,
        _row("13052", "13071", share=0.75, population=1000), _row("13052", "13075", share=0.25, population=1000),
        _row("13001", "13075", population=250),
    )
    frame = _obs(
        ("bb_hh_dsl", "13052", "2008-12-31", 80.0), ("bb_hh_dsl", "13001", "2008-12-31", 40.0),
        ("population", "13052", "2008-12-31", 1000), ("population", "13001", "2008-12-31", 250),
    )
    obs, q, notes = _finalize(tmp_path, frame, cw, "13071", "13075")
    assert _one(obs, "bb_hh_dsl", "13071", "2008-12-31")["value"] == pytest.approx(80.0)
    assert _one(obs, "bb_hh_dsl", "13075", "2008-12-31")["value"] == pytest.approx(60.0)  # (80×250 + 40×250) / 500
    assert not (obs["indicator_id"] == "population").any()
    assert len(q) == 2 and q["reason"].str.contains("a count cannot be divided").all()
    assert notes["rows_converted"] == 2  # the two dsl rows; the population rows stay


def test_keys_outside_the_crosswalk_and_rule_none_stay_in_the_quarantine(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"), _row("03156", "03159"))
    frame = _obs(
        ("bb_hh_all_50", "03999", "2021-06-30", 90.0),  # no such Kreis, not declared
        ("population", "14161", "2009-12-31", None, "no_value"),  # Chemnitz until 2008: GENESIS "-", not declared
        ("bb_biz_wired_50", "03152", "2021-06-30", 90.0), ("bb_biz_wired_50", "03156", "2021-06-30", 80.0),  # rule none
    )
    obs, q, _ = _finalize(tmp_path, frame, cw, "03159")
    assert obs.empty
    assert q["reason"].str.contains("region key 03999 not in the territorial status 2021-01-01 (historic or unknown key, not declared", regex=False).sum() == 1
    assert q["reason"].str.contains("aggregation rule none").sum() == 2
    assert q["reason"].str.contains("region key 14161 not in the territorial status 2021-01-01 (historic or unknown key, not declared in data/territorial_changes.csv, in no Gemeindeverzeichnis of the kit and not named by its file: cannot be placed in a 2021 unit) and without a value here (marker no_value)", regex=False).sum() == 1


def test_a_renumbered_unit_carries_its_value_whatever_the_rule(tmp_path):
    # 03152 became 03159 alone (a pure renumbering): even rule none (business sites) keeps its value.
    cw = _crosswalk(tmp_path, _row("03152", "03159", population=""))
    frame = _obs(("bb_biz_wired_50", "03152", "2021-06-30", 88.0), ("population", "03152", "2015-12-31", 1234))
    obs, q, notes = _finalize(tmp_path, frame, cw, "03159")
    assert q.empty and notes["converted_one_to_one"] == 2
    biz = _one(obs, "bb_biz_wired_50", "03159", "2021-06-30")
    assert biz["value"] == 88.0 and biz["flag"] == "harmonised"
    assert _one(obs, "population", "03159", "2015-12-31")["value"] == 1234


def test_flagged_parts_are_not_combined(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"), _row("03156", "03159"))
    frame = _obs(("population", "03152", "2015-12-31", 10, "estimated"), ("population", "03156", "2015-12-31", 20))
    obs, q, _ = _finalize(tmp_path, frame, cw, "03159")
    assert obs.empty and q["reason"].str.contains("carry flags (estimated)", regex=False).all()


# --- the broadband fixtures, through the whole step -------------------------------------------------


def test_broadband_fixture_gives_goettingen_a_harmonised_value_for_mid_2021():
    ctx = make_context(BB_RAW, BB_REGIONS)
    out = bb.transform_broadband(ctx)
    obs, q = out["observations"], ctx.quarantine.to_frame()
    total = POP_GOETTINGEN + POP_OSTERODE
    row = _one(obs, "bb_hh_all_50", "03159", "2021-06-30")
    assert row["flag"] == "harmonised"
    assert row["value"] == pytest.approx((97.33 * POP_GOETTINGEN + 98.19 * POP_OSTERODE) / total)
    assert _one(obs, "bb_hh_wired_50", "03159", "2021-06-30")["value"] == pytest.approx((97.33 * POP_GOETTINGEN + 98.10 * POP_OSTERODE) / total)
    # End 2018: only 03152 in landkreis_privat_2018_2.csv, so no value and the reason says why.
    assert obs[(obs["region_id"] == "03159") & (obs["period"] == dt.date(2018, 12, 31))].empty
    partial = q[q["file"].str.endswith("landkreis_privat_2018_2.csv") & q["reason"].str.contains("partial coverage")]
    assert len(partial) == 3


# --- Gemeinden: mergers found by coordinates --------------------------------------------------------


def _gemeinden_2021():
    import geopandas as gpd
    from shapely.geometry import box

    # Two 2021 Gemeinden side by side (EPSG:4326): X formed by a merger, Y that kept its key.
    return gpd.GeoDataFrame(
        {"region_id": ["01059083", "01059090"], "name": ["Süderbrarup", "Ulsnis"]},
        geometry=[box(9.70, 54.60, 9.80, 54.70), box(9.80, 54.60, 9.90, 54.70)],
        crs=4326,
    )


STATUS_2017 = dt.date(2017, 12, 31)


def _status_2017() -> pd.DataFrame:
    # Centres as the Gemeindeverzeichnis gives them; 01059014 and 01059021 merged into 01059083
    # (which kept its key), 01059099 into 01059090, and one record has no coordinates.
    return pd.DataFrame(
        {
            "ags": ["01059083", "01059014", "01059021", "01059090", "01059099", "01059098"],
            "name": ["Süderbrarup", "Brebel", "Dollrottfeld", "Ulsnis", "Altdorf", "Ohneort"],
            "lon": [9.75, 9.72, 9.78, 9.85, 9.88, None],
            "lat": [54.65, 54.62, 54.68, 54.65, 54.61, None],
            "population": [4283, 397, 274, 900, 100, 50],
        }
    )


def test_gemeinde_mergers_are_found_by_their_centres():
    known = {"01059083", "01059090"}
    cw, notes = territory.derive_gemeinde_changes({STATUS_2017: _status_2017()}, _gemeinden_2021(), known)
    parts = {k: set(g["old_key"]) for k, g in cw.groupby("new_key")}
    assert parts == {"01059083": {"01059083", "01059014", "01059021"}, "01059090": {"01059090", "01059099"}}
    assert (cw["status_date"] == STATUS_2017).all() and (cw["level"] == "gemeinde").all()
    assert cw.set_index("old_key").loc["01059014", "population"] == 397
    assert notes["2017-12-31"]["unlocated"] == ["01059098"] and notes["2017-12-31"]["located"] == 3


def _kept_cw():
    known = {"01059083", "01059090"}
    cw, _ = territory.derive_gemeinde_changes({STATUS_2017: _status_2017()}, _gemeinden_2021(), known)
    return cw, known


def test_a_file_in_the_old_status_makes_the_kept_key_one_part_of_the_merger(tmp_path):
    # Brebel (01059014) and Dollrottfeld (01059021) merged into Süderbrarup (01059083, which kept its
    # key); a file giving all three is in the status before: 01059083's row is its old territory.
    cw, known = _kept_cw()
    period = "2018-12-31"
    frame = _obs(
        ("bb_hh_all_50", "01059083", period, 70.0), ("bb_hh_all_50", "01059014", period, 50.0), ("bb_hh_all_50", "01059021", period, 90.0),
        ("population", "01059083", "2017-12-31", 4283), ("population", "01059014", "2017-12-31", 397), ("population", "01059021", "2017-12-31", 274),
    )
    obs, q, notes, ctx = _finalize(tmp_path, frame, cw, *known, with_context=True)
    share = _one(obs, "bb_hh_all_50", "01059083", period)
    assert share["value"] == pytest.approx((70.0 * 4283 + 50.0 * 397 + 90.0 * 274) / (4283 + 397 + 274)) and share["flag"] == "harmonised"
    count = _one(obs, "population", "01059083", "2017-12-31")
    assert count["value"] == 4283 + 397 + 274 and count["flag"] == "harmonised"
    assert len(obs) == 2 and q.empty
    assert notes["kept_key_parts"] == 2 and notes["superseded"] == 0 and notes["converted_values"] == 2
    # The published kept-key rows are not lost: duplicates, one per file, indicator and period, with line and value.
    kept = [d for d in ctx.duplicates if d["indicator_id"] == "bb_hh_all_50"]
    assert len(kept) == 1 and kept[0]["rows"] == 1 and kept[0]["rows_differing"] == 1
    assert "01059083→01059083 line 2 value 70.0" in kept[0]["note"] and "harmonised value that replaces it" in kept[0]["note"]


def test_a_file_in_the_new_status_keeps_the_published_value(tmp_path):
    # The kept key and none of the keys absorbed into it (the file already uses the 2021 status): its
    # value stays, nothing is recorded for it; the file's other historic key goes its own way.
    cw, known = _kept_cw()
    frame = _obs(("bb_hh_all_50", "01059083", "2021-06-30", 70.0), ("bb_hh_all_50", "01059099", "2021-06-30", 80.0))
    obs, q, notes, ctx = _finalize(tmp_path, frame, cw, *known, with_context=True)
    row = _one(obs, "bb_hh_all_50", "01059083", "2021-06-30")
    assert row["value"] == 70.0 and pd.isna(row["flag"]) and len(obs) == 1 and ctx.duplicates == []
    assert len(q) == 1 and q["reason"].iloc[0].startswith("historic region key 01059099") and notes["kept_key_parts"] == 0


def test_the_historic_keys_of_another_file_are_superseded_by_the_kept_keys_figure(tmp_path):
    # The 2021 unit's figure comes from a file without the historic keys: kept; the other file's rows are duplicates.
    cw, known = _kept_cw()
    period = "2018-12-31"
    frame = _obs(
        ("bb_hh_all_50", "01059083", period, 70.0, None, "new.csv"),
        ("bb_hh_all_50", "01059014", period, 50.0, None, "old.csv"), ("bb_hh_all_50", "01059021", period, 90.0, None, "old.csv"),
    )
    obs, q, notes, ctx = _finalize(tmp_path, frame, cw, *known, with_context=True)
    assert _one(obs, "bb_hh_all_50", "01059083", period)["value"] == 70.0
    assert q.empty and notes["superseded"] == 2 and notes["kept_key_parts"] == 0
    assert [(d["kept_file"], d["dropped_file"], d["rows"]) for d in ctx.duplicates] == [("new.csv", "old.csv", 2)]


def test_rule_none_in_the_old_status_gives_no_value_and_says_why(tmp_path):
    cw, known = _kept_cw()
    period = "2018-12-31"
    indicator = next(i.id for i in INDICATORS if i.aggregation == "none")
    frame = _obs((indicator, "01059083", period, 7.0), (indicator, "01059014", period, 5.0), (indicator, "01059021", period, 9.0))
    obs, q, notes = _finalize(tmp_path, frame, cw, *known)
    assert obs.empty and len(q) == 3
    assert q["reason"].str.contains("aggregation rule none", regex=False).all()
    kept = q[q["reason"].str.startswith("published value of 01059083 Süderbrarup")]
    assert len(kept) == 1 and kept["value"].iloc[0] == "7.0" and "status before the merger" in kept["reason"].iloc[0]
    assert notes["kept_key_no_value"] == 1 and notes["rule_none"] == 2


def test_a_missing_part_in_the_old_status_gives_no_value(tmp_path):
    # Brebel is given, Dollrottfeld not: 01059083 gets no value for this file and period.
    cw, known = _kept_cw()
    period = "2018-12-31"
    frame = _obs(("bb_hh_all_50", "01059083", period, 70.0), ("bb_hh_all_50", "01059014", period, 50.0), ("bb_hh_all_16", "01059099", period, 80.0))
    obs, q, notes = _finalize(tmp_path, frame, cw, *known)
    assert obs.empty and len(q) == 3
    assert q["reason"].str.contains("needs 01059021 Dollrottfeld for this period too (partial coverage", regex=False).sum() == 2
    # 01059090 has no row of its own for this indicator: 01059099 alone is a partial coverage.
    assert q["reason"].str.contains("needs 01059090 Ulsnis for this period too (partial coverage", regex=False).sum() == 1
    assert notes["kept_key_no_value"] == 1 and notes["converted_values"] == 0


def test_a_gemeinde_merger_into_a_new_key_sums_counts_and_weights_shares(tmp_path):
    # As in Thüringen 2019: two Gemeinden of the 2017 status form a Gemeinde with a new key.
    known = {"01059083", "01059090"}
    status = _status_2017()
    status.loc[status["ags"] == "01059083", "ags"] = "01059013"  # the old Süderbrarup had another key
    cw, _ = territory.derive_gemeinde_changes({STATUS_2017: status}, _gemeinden_2021(), known)
    frame = _obs(
        ("population", "01059013", "2017-12-31", 4283), ("population", "01059014", "2017-12-31", 397), ("population", "01059021", "2017-12-31", 274),
        ("bb_hh_all_50", "01059013", "2018-12-31", 70.0), ("bb_hh_all_50", "01059014", "2018-12-31", 50.0), ("bb_hh_all_50", "01059021", "2018-12-31", 90.0),
    )
    obs, q, _ = _finalize(tmp_path, frame, cw, *known)
    assert q.empty
    assert _one(obs, "population", "01059083", "2017-12-31")["value"] == 4283 + 397 + 274
    share = _one(obs, "bb_hh_all_50", "01059083", "2018-12-31")
    assert share["flag"] == "harmonised"
    assert share["value"] == pytest.approx((70 * 4283 + 50 * 397 + 90 * 274) / (4283 + 397 + 274))


def test_the_declared_goettingen_gemeinden_cover_the_2021_kreis(kit_regions):
    cw = territory.read_crosswalk()
    gem = cw[cw["level"] == "gemeinde"]
    territory.check_crosswalk(gem, kit_regions)
    today = set(kit_regions.loc[(kit_regions["level"] == "gemeinde") & kit_regions["region_id"].str.startswith("03159"), "region_id"])
    assert set(gem.loc[gem["new_key"].str.startswith("03159"), "new_key"]) == today  # every Gemeinde of 2021 has its predecessor
    walkenried = gem[gem["new_key"] == "03159036"]
    assert set(walkenried["old_name"]) == {"Walkenried", "Wieda", "Zorge"} and walkenried["population"].notna().all()


# --- invariants ------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(
    targets=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=8),
    values=st.lists(st.integers(min_value=0, max_value=10_000), min_size=8, max_size=8),
    weights=st.lists(st.integers(min_value=1, max_value=10_000), min_size=8, max_size=8),
)
def test_mergers_keep_totals_and_means_stay_between_their_parts(targets, values, weights):
    """Historic Kreise 03101… merged into the 2021 Kreise 03151…: the converted counts add up
    to the parts, and a converted share lies between the smallest and the largest part."""
    olds = [f"031{i:02d}" for i in range(1, len(targets) + 1)]
    news = [f"0315{t}" for t in targets]
    rows = [
        {"level": "kreis", "event_date": dt.date(2016, 11, 1), "status_date": dt.date(2016, 10, 31), "old_key": o, "old_name": o,
         "new_key": n, "new_name": n, "share": 1.0, "population": w, "population_date": dt.date(2015, 12, 31), "basis": "b", "reference": "r"}
        for o, n, w in zip(olds, news, weights)
    ]
    cw = pd.DataFrame(rows).astype({"population": "Int64"})
    frame = _obs(
        *[("population", o, "2015-12-31", v) for o, v in zip(olds, values)],
        *[("bb_hh_all_50", o, "2015-12-31", v / 100) for o, v in zip(olds, values)],
    )
    outside = frame.assign(period=[dt.date(2015, 12, 31)] * len(frame))
    converted, reasons, _, _, _ = territory.harmonise(outside, outside.iloc[0:0], cw, set(news))
    assert reasons.empty
    counts = converted[converted["indicator_id"] == "population"].set_index("region_id")["value"]
    assert counts.sum() == sum(values[: len(olds)])
    for new in set(news):
        parts = [v / 100 for v, n in zip(values, news) if n == new]
        share = converted[(converted["indicator_id"] == "bb_hh_all_50") & (converted["region_id"] == new)]["value"].iloc[0]
        assert min(parts) - 1e-9 <= share <= max(parts) + 1e-9
        assert counts[new] == sum(v for v, n in zip(values, news) if n == new)


# --- Gemeinde keys placed by the names a source gives ------------------------------------------

DSL_STATUS = dt.date(2008, 12, 31)
DSL_FILE = "bnetza_breitbandatlas/Paket_1/2008_DSL_Verfügbarkeit_Deutschland.xlsx (verf_2008_dsl_gem)"
GEMEINDEN_2021 = pd.DataFrame(
    {
        "region_id": ["03254021", "03254042", "03155011", "03155012", "03155013", "01059083"],
        "name": ["Hildesheim", "Freden (Leine)", "Bad Gandersheim", "Altenau", "Altenau", "Süderbrarup"],
    }
)


def _named(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [{"ags": a, "name": n, "population": p, "status_date": DSL_STATUS, "file": DSL_FILE} for a, n, p in rows]
    )


def test_an_old_key_is_placed_by_its_name_only_where_its_old_kreis_is_fully_placed(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"))  # any Kreis row; the Gemeinden below are not in it
    named = _named(
        # Kreis 03155: Bad Gandersheim only got a new key.
        ("03155001", "Bad Gandersheim", 10500),
        # Kreis 03254: Freden (Leine) matched by name, Everode not (merged into it in 2016), a key without a name.
        ("03254016", "Freden (Leine)", 3169), ("03254015", "Everode", 524), ("03254099", "", 100), ("03254021", "Hildesheim", 103000),
        # Two 2021 Gemeinden of the Kreis share the name: not matched.
        ("03155002", "altenau", 50),
    )
    rows, reasons = territory.match_gemeinde_names(named, GEMEINDEN_2021, cw)
    # 03155: 03155002 (ambiguous) stays unplaced, so its Kreis is not fully placed: no rows.
    assert rows.empty
    assert "no 2021 Gemeinde of its Kreis" in reasons["03155002"] and "Everode" in reasons["03254015"]
    assert "by its name part of 2021 Gemeinde 03254042 Freden (Leine)" in reasons["03254016"] and "no value made" in reasons["03254016"]
    assert "without a name" in reasons["03254099"]

    rows, reasons = territory.match_gemeinde_names(named[named["ags"] != "03155002"], GEMEINDEN_2021, cw)
    assert rows[["old_key", "new_key"]].values.tolist() == [["03155001", "03155011"]]
    assert rows["population"].tolist() == [10500] and "03155001" not in reasons


def test_a_name_of_an_older_status_is_placed_through_the_crosswalk(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"))
    gv = pd.DataFrame(
        [{"level": "gemeinde", "status_date": dt.date(2017, 12, 31), "old_key": "01059014", "old_name": "Brebel", "new_key": "01059083", "share": 1.0}]
    )
    rows, reasons = territory.match_gemeinde_names(_named(("01059999", "Brebel", 400)), GEMEINDEN_2021, pd.concat([cw, gv], ignore_index=True))
    assert rows[["old_key", "new_key"]].values.tolist() == [["01059999", "01059083"]] and not reasons


def test_keys_placed_by_name_convert_and_the_others_say_why(tmp_path):
    ctx = make_context(tmp_path, small_regions("03155011", "03254042", "03254021"))
    ctx.regions = ctx.regions.assign(name=ctx.regions["region_id"].map(dict(zip(GEMEINDEN_2021["region_id"], GEMEINDEN_2021["name"]))))
    ctx.territorial_changes = _crosswalk(tmp_path, _row("03152", "03159"))
    notes = territory.place_named_gemeinden(ctx, _named(("03155001", "Bad Gandersheim", 10500), ("03254016", "Freden (Leine)", 3169), ("03254015", "Everode", 524)))
    assert notes == {"keys_placed_by_name": 1, "keys_matched_by_name_but_parts_unknown": 1, "keys_unplaced": 1}
    frame = _obs(("bb_hh_dsl", "03155001", "2008-12-31", 91.0), ("bb_hh_dsl", "03254016", "2008-12-31", 98.0), ("bb_hh_dsl", "03254015", "2008-12-31", 98.1))
    obs = finalize_observations(frame, ctx, source_id="test", step="test")
    q = ctx.quarantine.to_frame()
    moved = _one(obs, "bb_hh_dsl", "03155011", "2008-12-31")
    assert moved["value"] == 91.0 and moved["flag"] == "harmonised"
    assert len(q) == 2 and q["reason"].str.contains("cannot be placed|no value made").all()


# --- city districts ---------------------------------------------------------------------------------


def test_a_citys_districts_are_summed_only_when_every_one_is_present(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"))
    bremen = [("population", f"04011{i:03d}", "2020-12-31", 1000 * i) for i in range(1, 6)]  # all 5 Stadtbezirke
    koeln = [("population", f"05315{i:03d}", "2020-12-31", 100) for i in range(1, 9)]  # 8 of 9
    berlin = [("bb_hh_all_50", f"11000{i:03d}", "2020-12-31", 99.0) for i in range(1, 13)]  # shares: no weights
    obs, q, notes = _finalize(tmp_path, _obs(*bremen, *koeln, *berlin), cw, "04011000", "05315000", "11000000", "03159")
    city = _one(obs, "population", "04011000", "2020-12-31")
    assert city["value"] == 15000 and city["flag"] == "harmonised"
    assert not (obs["region_id"] == "05315000").any() and not (obs["region_id"] == "11000000").any()
    assert q["reason"].str.contains("needs 05315009 for this period too (partial coverage", regex=False).sum() == 8
    assert q["reason"].str.contains("a share of districts cannot be combined").sum() == 12
    assert notes["rows_city_districts_summed"] == 5


def test_a_district_beside_its_citys_own_figure_stays(tmp_path):
    cw = _crosswalk(tmp_path, _row("03152", "03159"))
    frame = _obs(*[("population", f"04011{i:03d}", "2020-12-31", 10) for i in range(1, 6)], ("population", "04011000", "2020-12-31", 60))
    obs, q, _ = _finalize(tmp_path, frame, cw, "04011000", "03159")
    assert _one(obs, "population", "04011000", "2020-12-31")["value"] == 60
    assert len(q) == 5 and q["reason"].str.contains("the city's own figure is published for this period and kept").all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["bb_hh_all_50", "population", None]), st.sampled_from(["03152", "03156", "03159"]),
                          st.sampled_from([dt.date(2018, 12, 31), dt.date(2019, 6, 30), None])), max_size=40))
def test_group_positions_are_those_of_groupby_indices(rows):
    """``group_positions`` (harmonise's groups by integer codes) gives pandas' groups: the same
    keys in the same order (first row first), the same positions, rows with a missing key left out."""
    frame = pd.DataFrame(rows, columns=["indicator_id", "new_key", "period"]).astype({"new_key": object, "period": object})
    frame["indicator_id"] = frame["indicator_id"].astype(pd.CategoricalDtype(["population", "bb_hh_all_50"]))
    frame["new_key"] = frame["new_key"].astype("string")
    expected = frame.groupby(["indicator_id", "new_key", "period"], sort=False, observed=True).indices
    got = territory.group_positions([frame["indicator_id"], frame["new_key"], frame["period"]])
    assert list(got) == list(expected)
    assert {k: list(v) for k, v in got.items()} == {k: list(v) for k, v in expected.items()}
