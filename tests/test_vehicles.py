"""KBA FZ 1 conversions: both layouts, sums by key, combined districts, mergers.

Fixtures under tests/data/kba_fz1/: invented numbers with real keys in the three
files' layouts (2019: KS as text, names in capitals, no total; 2020–2025: key
and name in one field, floats, two years stacked, Göttingen on two rows in 2022,
an old Göttingen key 03152, Trier-Saarburg as one district, Eisenach absent
from 2022).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

try:  # tests/ imported as a package (tests/__init__.py) or as plain modules
    from tests.conftest import FIXTURES, make_context, small_regions
except ModuleNotFoundError:
    from conftest import FIXTURES, make_context, small_regions
from etl.errors import InputError
from etl.extract.kba import extract_fz1_stacked, extract_fz12_2019
from etl.transform import vehicles

KEYS = ("01", "03", "07", "08", "16", "01001", "03159", "07211", "07235", "08111", "08115", "16056", "16063")
F19 = "kba_fz1/pkw-bestand-20190101.csv"
F12 = "kba_fz1/fz1_2_pkw_kraftstoff_kreise_2020-2025.csv"
F11 = "kba_fz1/fz1_1_pkw_kreise_2020-2025.csv"


def _run(raw_dir):
    ctx = make_context(raw_dir, small_regions(*KEYS))
    obs = vehicles.run(ctx)["observations"]
    return ctx, obs, ctx.quarantine.to_frame()


@pytest.fixture(scope="module")
def fixture_run():
    return _run(FIXTURES)


def _value(obs, indicator, region, year):
    rows = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == dt.date(year, 1, 1))]
    assert len(rows) == 1, (indicator, region, year, len(rows))
    return rows.iloc[0]


def _copy_fixtures(tmp_path):
    shutil.copytree(FIXTURES / "kba_fz1", tmp_path / "kba_fz1")
    return tmp_path


# --- extract -------------------------------------------------------------------


def test_extract_2019_keeps_keys_as_text():
    f = extract_fz12_2019(FIXTURES / F19, F19)
    assert f["key"].tolist()[0] == "01001" and f["name"].iloc[0] == "FLENSBURG,STADT"
    assert f["Elektro"].dtype == "float64" and f["line"].iloc[0] == 2


def test_extract_stacked_splits_key_and_name():
    f = extract_fz1_stacked(FIXTURES / F12, F12, ("INSGESAMT",))
    first = f.iloc[0]
    assert (first["year"], first["key"], first["name"]) == (2020, "01001", "FLENSBURG,STADT")
    assert first["INSGESAMT"] == 39115.0 and first["line"] == 2
    assert f.loc[f["key"] == "16056", "name"].iloc[0] == "EISENACH, STADT"


def test_wrong_encoding_names_file_and_line(tmp_path):
    raw = _copy_fixtures(tmp_path)
    path = raw / F19
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(InputError) as err:
        extract_fz12_2019(path, F19)
    assert F19 in str(err.value) and "line 3" in str(err.value) and "UTF-8" in str(err.value)  # GÖTTINGEN is on line 3


def test_missing_column_is_named(tmp_path):
    raw = _copy_fixtures(tmp_path)
    path = raw / F12
    path.write_text(path.read_text(encoding="utf-8").replace("ELEKTRO (BEV)", "ELEKTRO"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        vehicles.run(make_context(raw, small_regions(*KEYS)))
    assert F12 in str(err.value) and "'ELEKTRO (BEV)'" in str(err.value) and "line 1" in str(err.value)


def test_truncated_line_is_named(tmp_path):
    raw = _copy_fixtures(tmp_path)
    path = raw / F11
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4][:40]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        extract_fz1_stacked(path, F11, ("PERSONENKRAFTWAGEN",))
    assert F11 in str(err.value) and "line 5" in str(err.value)


def test_year_that_is_not_a_year_is_named(tmp_path):
    raw = _copy_fixtures(tmp_path)
    path = raw / F12
    path.write_text(path.read_text(encoding="utf-8").replace("\n2022,BADEN", "\nzweitausend,BADEN", 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        extract_fz1_stacked(path, F12, ())
    assert "'DATE'" in str(err.value) and "zweitausend" in str(err.value)


# --- the step on the fixture ---------------------------------------------------


def test_2019_total_is_the_sum_of_fuels(fixture_run):
    _, obs, _ = fixture_run
    assert _value(obs, "cars", "08111", 2019)["value"] == 196000 + 97000 + 2000 + 4800 + 1600 + 80
    assert _value(obs, "cars_bev", "01001", 2019)["value"] == 80
    assert pd.isna(_value(obs, "cars", "08111", 2019)["flag"])


def test_rows_of_one_key_are_summed(fixture_run):
    ctx, obs, _ = fixture_run
    assert _value(obs, "cars", "03159", 2022)["value"] == 150825 + 28555
    assert _value(obs, "cars_bev", "03159", 2022)["value"] == 1500 + 250
    density = _value(obs, "cars_per_1000", "03159", 2022)
    # Combined through the implied population, not averaged.
    assert density["value"] == pytest.approx((150825 + 28555) / (150825 / 570 + 28555 / 580))
    assert density["flag"] == "derived"
    assert "kba_fz1/fz1_2_pkw_kraftstoff_kreise_2020-2025.csv 2022 03159" in ctx.notes["vehicles"]["rows_summed_by_key"]


def test_combined_district_is_quarantined_but_counted_in_sums(fixture_run):
    _, obs, q = fixture_run
    assert not ((obs["region_id"] == "07211")).any()
    trier = q[q["reason"].str.contains("covers the Kreise 07211 and 07235")]
    assert len(trier) == 3 + 3 * 2 + 2  # 2019 three counts, 2020 and 2022 three counts, two densities
    assert set(trier["file"]) == {F19, F12, F11}
    assert _value(obs, "cars", "07", 2020)["value"] == 150910
    assert _value(obs, "cars", "07", 2020)["flag"] == "derived"


def test_historic_key_is_quarantined_and_counted_in_sums(fixture_run):
    """Göttingen's historic key 03152: not a value of its own; where the file
    also gives the 2021 Kreis 03159 the row is recorded as superseded
    (duplicates), otherwise quarantined; never lost, and in the Land's sum."""
    ctx, obs, q = fixture_run
    quarantined = q[q["reason"].str.contains("03152")]
    superseded = [d for d in ctx.duplicates if "03152" in d["note"]]
    assert len(quarantined) + sum(d["rows"] for d in superseded) >= 3
    assert quarantined["file"].isin([F12, F11]).all() and all(d["dropped_file"] in (F12, F11) for d in superseded)
    assert "03152" not in set(obs["region_id"])
    assert _value(obs, "cars", "03", 2020)["value"] == 179660 + 1522


def test_germany_and_land_are_sums_of_all_districts(fixture_run):
    _, obs, _ = fixture_run
    for year in (2019, 2020, 2022):
        for ind in ("cars", "cars_bev", "cars_hybrid"):
            lands = obs[(obs["indicator_id"] == ind) & (obs["region_id"].str.len() == 2) & (obs["region_id"] != "DG") & (obs["period"] == dt.date(year, 1, 1))]
            assert lands["value"].sum() == _value(obs, ind, "DG", year)["value"]
            assert (lands["flag"] == "derived").all()
    f12 = extract_fz1_stacked(FIXTURES / F12, F12, ())
    assert _value(obs, "cars", "DG", 2022)["value"] == f12.loc[f12["year"] == 2022, "INSGESAMT"].sum()


def test_shares_are_computed_at_every_level(fixture_run):
    _, obs, _ = fixture_run
    assert _value(obs, "cars_bev_share_pct", "08111", 2020)["value"] == pytest.approx(2700 / 307066 * 100)
    dg = _value(obs, "cars_bev_share_pct", "DG", 2022)["value"]
    assert dg == pytest.approx(_value(obs, "cars_bev", "DG", 2022)["value"] / _value(obs, "cars", "DG", 2022)["value"] * 100)
    assert _value(obs, "cars_hybrid_share_pct", "08", 2019)["value"] == pytest.approx((4800 + 3200) / (301480 + 251985) * 100)


def test_eisenach_merger_flags_the_wartburgkreis(fixture_run):
    _, obs, _ = fixture_run
    assert pd.isna(_value(obs, "cars", "16063", 2020)["flag"])
    assert _value(obs, "cars", "16063", 2022)["flag"] == "break"
    assert _value(obs, "cars_bev_share_pct", "16063", 2022)["flag"] == "break"
    assert _value(obs, "cars_per_1000", "16063", 2022)["flag"] == "break"
    assert not ((obs["region_id"] == "16056") & (obs["period"] == dt.date(2022, 1, 1))).any()
    assert _value(obs, "cars", "16056", 2020)["value"] == 21348


def test_period_is_the_first_of_january(fixture_run):
    _, obs, _ = fixture_run
    assert {p.month for p in obs["period"]} == {1} and {p.day for p in obs["period"]} == {1}
    assert set(obs["period_type"]) == {"year"}
    assert _value(obs, "cars_per_1000", "08111", 2020)["value"] == 484


def test_markers_and_non_numbers(tmp_path):
    raw = _copy_fixtures(tmp_path)
    path = raw / F12
    text = path.read_text(encoding="utf-8").splitlines()
    # Flensburg 2020: BEV "-" (zero), hybrid "." (unknown); Stuttgart 2020: INSGESAMT "k.A.".
    cells = text[1].split(",")
    cells[8], cells[9] = ".", "-"  # HYBRID INSGESAMT, ELEKTRO (BEV) after the quoted key field's comma
    text[1] = ",".join(cells)
    text[5] = text[5].replace("307066.0", "k.A.", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    _, obs, q = _run(raw)
    bev = _value(obs, "cars_bev", "01001", 2020)
    assert bev["value"] == 0 and bev["flag"] == "zero"
    hybrid = _value(obs, "cars_hybrid", "01001", 2020)
    assert pd.isna(hybrid["value"]) and hybrid["flag"] == "unknown"
    bad = q[(q["file"] == F12) & (q["line"] == 6) & (q["column"] == "INSGESAMT")].iloc[0]
    assert bad["value"] == "k.A." and "not a number" in bad["reason"]
    assert not ((obs["indicator_id"] == "cars") & (obs["region_id"] == "08111") & (obs["period"] == dt.date(2020, 1, 1))).any()


# --- end to end on the real kit ------------------------------------------------


def test_warehouse_kreis_sums_match_germany(warehouse, kit_dir):
    obs = warehouse.sql("SELECT *, year(period) AS year FROM observations WHERE source_id = 'kba_fz1'")
    f12 = extract_fz1_stacked(kit_dir / F12, F12, ())
    f19 = extract_fz12_2019(kit_dir / F19, F19)
    assert sorted(obs["year"].unique()) == list(range(2019, 2026))
    for year in range(2019, 2026):
        year_obs = obs[obs["year"] == year]
        if year == 2019:
            trier = f19.loc[f19["key"] == "07211", list(vehicles.FUELS_2019)].sum(axis=1).sum()
        else:
            trier = f12.loc[(f12["year"] == year) & (f12["key"] == "07211"), "INSGESAMT"].sum()
        cars = year_obs[year_obs["indicator_id"] == "cars"]
        kreise = cars[cars["region_id"].str.len() == 5]
        dg = cars.loc[cars["region_id"] == "DG", "value"].iloc[0]
        assert kreise["value"].sum() + trier == dg, year
        lands = cars[(cars["region_id"].str.len() == 2) & (cars["region_id"] != "DG")]
        assert len(lands) == 16 and lands["value"].sum() == dg
        assert len(kreise) == (399 if year <= 2021 else 398)  # 400 / 399 districts minus Trier-Saarburg
    assert 47_000_000 < obs.loc[(obs["indicator_id"] == "cars") & (obs["region_id"] == "DG"), "value"].min()


def test_warehouse_known_values(warehouse):
    def one(ind, region, year):
        return warehouse.sql(
            "SELECT value, flag FROM observations WHERE indicator_id = ? AND region_id = ? AND period = ?",
            [ind, region, dt.date(year, 1, 1)],
        ).iloc[0]

    # SOURCES.md: Wolfsburg's battery-electric stock jumps from 2,054 to 9,495.
    assert one("cars_bev", "03103", 2020)["value"] == 2054 and one("cars_bev", "03103", 2021)["value"] == 9495
    assert one("cars", "08111", 2020)["value"] == 307367
    assert one("cars_per_1000", "08111", 2020)["value"] == 484
    assert one("cars", "16063", 2022)["flag"] == "break"
    shares = warehouse.sql("SELECT value FROM observations WHERE indicator_id LIKE 'cars_%_share_pct'")["value"]
    assert shares.between(0, 100).all()
