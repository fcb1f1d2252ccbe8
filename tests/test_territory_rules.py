"""The crosswalk's rules for what has no weight of its own (etl.territory): rule-none indicators
combined only where the kit allows it exactly, and markers carried where no part has a value."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_territory import _crosswalk, _finalize, _kept_cw, _obs, _one, _row

GOE = ("03152", "03156")  # Göttingen and Osterode am Harz → 03159 (2016-11-01)


def _goettingen(tmp_path):
    return _crosswalk(tmp_path, _row(GOE[0], "03159"), _row(GOE[1], "03159"))


def test_rule_none_parts_with_one_value_give_that_value(tmp_path):
    # Business sites (rule none: their number per part is published nowhere): both parts 100 %, so any
    # weighted mean is 100 %, whatever the weights.
    frame = _obs(("bb_biz_wired_50", GOE[0], "2021-06-30", 100.0), ("bb_biz_wired_50", GOE[1], "2021-06-30", 100.0))
    obs, q, notes = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    row = _one(obs, "bb_biz_wired_50", "03159", "2021-06-30")
    assert row["value"] == 100.0 and row["flag"] == "harmonised" and q.empty
    assert notes["rule_none_equal_parts"] == 1 and notes["rule_none"] == 0


def test_rule_none_parts_that_differ_stay_and_say_which_weights_are_missing(tmp_path):
    frame = _obs(("bb_biz_wired_50", GOE[0], "2021-06-30", 90.0), ("bb_biz_wired_50", GOE[1], "2021-06-30", 80.0))
    obs, q, notes = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    assert obs.empty and len(q) == 2 and notes["rule_none"] == 2
    assert q["reason"].str.contains("parts differ here (80 to 90) and their weights (the number of business sites of each part) are published nowhere in the kit", regex=False).all()


def test_rule_none_equal_parts_still_need_every_part(tmp_path):
    # One part alone is a partial coverage, whatever its value.
    frame = _obs(("bb_biz_wired_50", GOE[0], "2021-06-30", 100.0))
    obs, q, _ = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    assert obs.empty and q["reason"].str.contains("needs 03156 Alt for this period too (partial coverage", regex=False).all()


def test_a_density_is_weighted_by_the_area_of_its_parts_in_the_same_file(tmp_path):
    # Density = population / area: the merged unit's density is the area-weighted mean of its parts'.
    period = "2015-12-31"
    frame = _obs(
        ("population_density", GOE[0], period, 200.0), ("population_density", GOE[1], period, 100.0),
        ("area_km2", GOE[0], period, 1000.0), ("area_km2", GOE[1], period, 500.0),
    )
    obs, q, notes = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    assert q.empty and notes["rule_none_weighted_by_denominator"] == 1
    density = _one(obs, "population_density", "03159", period)
    assert density["value"] == pytest.approx((200 * 1000 + 100 * 500) / 1500) and density["flag"] == "harmonised"
    assert _one(obs, "area_km2", "03159", period)["value"] == 1500


def test_a_density_without_the_area_of_every_part_stays(tmp_path):
    period = "2015-12-31"
    frame = _obs(
        ("population_density", GOE[0], period, 200.0), ("population_density", GOE[1], period, 100.0),
        ("area_km2", GOE[0], period, 1000.0), ("area_km2", GOE[1], period, 500.0, None, "other.csv"),
    )
    obs, q, _ = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    dens = q[q["reason"].str.contains("population_density")]
    assert len(dens) == 2 and dens["reason"].str.contains("area_km2 for every part in the same file", regex=False).all()
    assert obs[obs["indicator_id"] == "population_density"].empty


def test_a_unit_whose_parts_all_carry_one_marker_gets_that_marker(tmp_path):
    # The 2010–2014 zeros of the wide workbook (not_reported) for Süderbrarup's three parts of the old
    # status, the kept key's row included: one row for the 2021 unit, no value, the same marker.
    cw, known = _kept_cw()
    period = "2013-12-31"
    frame = _obs(*((("bb_hh_all_50", k, period, None, "not_reported")) for k in ("01059083", "01059014", "01059021")))
    obs, q, notes = _finalize(tmp_path, frame, cw, *known)
    assert q.empty and notes["markers_carried"] == 1 and notes["rows_marker_carried"] == 2
    row = _one(obs, "bb_hh_all_50", "01059083", period)
    assert pd.isna(row["value"]) and row["flag"] == "not_reported" and len(obs) == 1


def test_a_marker_is_not_carried_when_a_part_has_a_value_or_is_missing(tmp_path):
    cw, known = _kept_cw()
    period = "2013-12-31"
    # Brebel has a value: the group is a valued one (partial coverage), the markers stay as they are.
    frame = _obs(("bb_hh_all_50", "01059083", period, None, "not_reported"), ("bb_hh_all_50", "01059014", period, 5.0), ("bb_hh_all_50", "01059021", period, None, "not_reported"))
    obs, q, notes = _finalize(tmp_path, frame, cw, *known)
    assert notes["markers_carried"] == 0 and len(q) == 2
    # Dollrottfeld is missing: the parts are not all known to share the marker.
    frame = _obs(("bb_hh_all_50", "01059083", period, None, "not_reported"), ("bb_hh_all_50", "01059014", period, None, "not_reported"))
    obs, q, notes = _finalize(tmp_path, frame, cw, *known)
    assert notes["markers_carried"] == 0 and len(q) == 1 and q["reason"].str.contains("no value here (marker not_reported)", regex=False).all()


def test_a_kept_key_is_declared_as_its_own_part_only_beside_what_it_absorbed(tmp_path):
    from etl.errors import InputError

    mochau = "2016-01-01,14522370,Mochau,14522080,Döbeln,1,2311,2014-12-31,absorbed,Landkreis notice"
    doebeln = "2016-01-01,14522080,Döbeln (before),14522080,Döbeln,1,21516,2014-12-31,kept key,Landkreis notice"
    cw = _crosswalk(tmp_path, mochau, doebeln)
    assert set(zip(cw["old_key"], cw["new_key"])) == {("14522370", "14522080"), ("14522080", "14522080")}
    with pytest.raises(InputError, match="only a key kept by a merger is its own part"):
        _crosswalk(tmp_path, doebeln)


def test_an_absorption_into_a_kept_key_converts_a_file_of_the_status_before(tmp_path):
    # Mochau went into Döbeln (2016-01-01), which kept its key; a file of 2018 still gives both: Döbeln's
    # row there is its old territory, and the 2021 Döbeln is the sum / the population-weighted mean.
    cw = _crosswalk(
        tmp_path,
        "2016-01-01,14522370,Mochau,14522080,Döbeln,1,2311,2014-12-31,absorbed,Landkreis notice",
        "2016-01-01,14522080,Döbeln (before),14522080,Döbeln,1,21516,2014-12-31,kept key,Landkreis notice",
    )
    frame = _obs(("bb_hh_all_50", "14522080", "2018-12-31", 90.0), ("bb_hh_all_50", "14522370", "2018-12-31", 60.0))
    obs, q, notes = _finalize(tmp_path, frame, cw, "14522080")
    row = _one(obs, "bb_hh_all_50", "14522080", "2018-12-31")
    assert row["value"] == pytest.approx((90.0 * 21516 + 60.0 * 2311) / (21516 + 2311)) and row["flag"] == "harmonised"
    assert q.empty and notes["kept_key_parts"] == 1


def test_a_condominium_section_says_why_it_has_no_2021_unit(tmp_path):
    from etl import territory

    frame = _obs(("bb_hh_all_50", "07932001", "2018-12-31", 0.0), ("bb_hh_all_50", "07999001", "2018-12-31", 0.0))
    obs, q, _ = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159", "07232001")
    assert obs.empty and len(q) == 2
    condo = q[q["reason"].str.startswith("region key 07932001")]["reason"].iloc[0]
    assert "07232001" in condo and "German–Luxembourg condominium" in condo
    assert territory.condominium_bank("07999001", {"07232001"}) is None
    assert territory.condominium_bank("07932001", {"03159"}) is None  # the bank Gemeinde must exist


def test_keys_whose_form_says_what_they_are_get_a_reason_that_says_so(tmp_path):
    frame = _obs(("bb_hh_all_50", "13000999", "2018-12-31", 0.0), ("bb_hh_all_50", "09472457", "2018-12-31", 100.0))
    obs, q, _ = _finalize(tmp_path, frame, _goettingen(tmp_path), "03159")
    reasons = dict(zip(q["reason"].str.extract(r"region key (\d+)")[0], q["reason"]))
    assert "outside every Kreis" in reasons["13000999"] and "cannot be placed" in reasons["13000999"]
    assert "gemeindefreies Gebiet of Bavaria" in reasons["09472457"] and "cannot be placed" in reasons["09472457"]
