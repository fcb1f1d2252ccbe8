"""Eurostat isoc_r_iuse_i → daily internet users: value + flag cells, the TSV and
the long CSV, NUTS → region keys through regions.nuts_id, other countries out of
scope, bad input, and end-to-end checks on the real kit."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest
from conftest import FIXTURES, make_context

from etl.errors import InputError
from etl.extract.eurostat import extract_eurostat, parse_eurostat_value
from etl.transform import internet
from etl.transform.internet import RELPATH, map_nuts_to_regions, map_status_to_flag, transform_internet

FIXTURE_DIR = FIXTURES / "eurostat_isoc_r_iuse_i"
TSV = FIXTURE_DIR / "isoc_r_iuse_i_sample.tsv"

# Region keys and NUTS codes as in VG5000 2021 (a few of them).
REGIONS = pd.DataFrame(
    [
        ("DG", "bund", "DE"),
        ("08", "land", "DE1"),
        ("11", "land", "DE3"),
        ("01", "land", "DEF"),
        ("081", "rbz", "DE11"),
        ("08111", "kreis", "DE111"),
        ("08111000", "gemeinde", "DE111"),
    ],
    columns=["region_id", "level", "nuts_id"],
)


def _run(raw_dir=FIXTURE_DIR):
    ctx = make_context(raw_dir, REGIONS)
    obs = transform_internet(ctx)["observations"]
    return ctx, obs, ctx.quarantine.to_frame()


@pytest.fixture(scope="module")
def csv_run():
    return _run()


def _obs(obs, region, year):
    row = obs[(obs["region_id"] == region) & (obs["period"] == pd.Timestamp(f"{year}-12-31").date())]
    assert len(row) == 1, f"{region} {year}: {len(row)} rows"
    return row.iloc[0]


# --- cells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "status", "missing"),
    [("80.0", 80.0, "", False), ("55 p", 55.0, "p", False), ("55p", 55.0, "p", False), ("78 bp", 78.0, "bp", False), (":", math.nan, "", True), (": c", math.nan, "c", True), (" 64 ", 64.0, "", False), ("0.5 e", 0.5, "e", False)],
)
def test_eurostat_cells_are_value_plus_flags(text, value, status, missing):
    got, got_status, got_missing = parse_eurostat_value(text)
    assert got_status == status and got_missing == missing
    assert (math.isnan(got) and math.isnan(value)) or got == value


@pytest.mark.parametrize("text", ["n/a", "", "55 P", "5,5", "p 55"])
def test_other_text_is_not_a_eurostat_value(text):
    with pytest.raises(ValueError):
        parse_eurostat_value(text)


@pytest.mark.parametrize(
    ("status", "missing", "flag"),
    [("", False, None), ("p", False, "provisional"), ("e", False, "estimated"), ("b", False, "break"), ("bp", False, "break"), ("", True, "unknown"), ("c", True, "unknown")],
)
def test_eurostat_flags_map_to_catalogue_flags(status, missing, flag):
    assert map_status_to_flag(status, missing) == (flag, None)


def test_a_eurostat_flag_without_catalogue_code_is_a_problem():
    flag, problem = map_status_to_flag("u", False)
    assert flag is None and "'u'" in problem


# --- NUTS → keys ---------------------------------------------------------------------


def test_nuts_codes_map_through_the_regions_table_without_gemeinden():
    nuts = map_nuts_to_regions(REGIONS)
    assert nuts == {"DE": "DG", "DE1": "08", "DE3": "11", "DEF": "01", "DE11": "081", "DE111": "08111"}


def test_the_real_regions_map_nuts1_to_the_lander_as_expected(kit_regions):
    nuts = map_nuts_to_regions(kit_regions)
    expected = {"DE1": "08", "DE2": "09", "DE3": "11", "DE4": "12", "DE5": "04", "DE6": "02", "DE7": "06", "DE8": "13", "DE9": "03", "DEA": "05", "DEB": "07", "DEC": "10", "DED": "14", "DEE": "15", "DEF": "01", "DEG": "16"}
    assert {k: nuts[k] for k in expected} == expected
    assert nuts["DE"] == "DG"


# --- the long CSV fixture ----------------------------------------------------------------


def test_germany_and_lander_with_their_flags(csv_run):
    _, obs, _ = csv_run
    assert _obs(obs, "DG", 2019)["value"] == 81.0 and pd.isna(_obs(obs, "DG", 2019)["flag"])
    assert _obs(obs, "11", 2019)["value"] == 86.0 and _obs(obs, "11", 2019)["flag"] == "provisional"
    missing = _obs(obs, "01", 2019)
    assert pd.isna(missing["value"]) and missing["flag"] == "unknown"
    assert _obs(obs, "08", 2018)["flag"] == "break"
    assert _obs(obs, "DG", 2006)["flag"] == "estimated"
    assert _obs(obs, "081", 2019)["value"] == 79.0, "a NUTS 2 code with a 2021 region is kept"
    assert set(obs["period_type"]) == {"year"} and set(obs["indicator_id"]) == {"internet_daily_users_pct"}


def test_other_countries_are_counted_not_quarantined(csv_run):
    ctx, obs, q = csv_run
    assert ctx.notes["internet"]["rows_other_countries_out_of_scope"] == 3  # AT, AT1, FR
    assert not q["value"].isin(["80.0", "82.0", "77.0"]).any()
    assert not obs["region_id"].str.startswith("A").any()


def test_bad_german_rows_are_quarantined_with_line_and_reason(csv_run):
    _, obs, q = csv_run
    by_value = q.set_index("value")
    assert "DED1" in by_value.loc["74.0", "reason"] and by_value.loc["74.0", "line"] == 9
    assert "'u'" in by_value.loc["83 u", "reason"] and by_value.loc["83 u", "line"] == 13
    assert "not a Eurostat value" in by_value.loc["n/a", "reason"] and by_value.loc["n/a", "line"] == 14
    assert set(q["column"]) == {"value"} and set(q["file"]) == {RELPATH}
    assert len(q) == 3 and len(obs) == 8


# --- the original TSV -----------------------------------------------------------------------


def test_the_tsv_gives_dimensions_values_and_flags():
    frame = extract_eurostat(TSV, "isoc_r_iuse_i_sample.tsv")
    assert {"freq", "indic_is", "unit", "geo", "time"} <= set(frame.columns)
    cell = frame[(frame["geo"] == "DE1") & (frame["time"] == "2013")].iloc[0]
    assert cell["value"] == 66.0 and cell["status"] == "p" and cell["line"] == 4 and cell["column"] == "2013"
    conf = frame[(frame["geo"] == "DE3") & (frame["time"] == "2012")].iloc[0]
    assert conf["missing"] and conf["status"] == "c"


def test_the_transform_reads_the_tsv_at_the_declared_path(tmp_path):
    (tmp_path / "eurostat").mkdir()
    shutil.copy(TSV, tmp_path / RELPATH)
    ctx, obs, q = _run(tmp_path)
    assert _obs(obs, "DG", 2013)["value"] == 67.0
    assert _obs(obs, "08", 2012)["flag"] == "unknown"
    assert _obs(obs, "11", 2011)["flag"] == "break"
    assert _obs(obs, "11", 2012)["flag"] == "unknown"
    assert ctx.notes["internet"]["rows_other_countries_out_of_scope"] == 3
    assert q.empty


def test_the_old_bulk_tsv_header_is_read(tmp_path):
    path = tmp_path / "bulk.tsv"
    path.write_text("indic_is,unit,geo\\time\t2019 \t2018 \nI_IDAY,PC_IND,DE\t81 \t79 p\n", encoding="utf-8")
    frame = extract_eurostat(path, "bulk.tsv")
    assert list(frame["value"]) == [81.0, 79.0] and list(frame["status"]) == ["", "p"]


# --- bad input ---------------------------------------------------------------------------------


def _write(tmp_path, text: str | bytes):
    (tmp_path / "eurostat").mkdir(exist_ok=True)
    target = tmp_path / RELPATH
    target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return target


def test_a_missing_column_is_an_input_error(tmp_path):
    _write(tmp_path, "dataset,indic_is,unit,nuts,time,value\nisoc_r_iuse_i,I_IDAY,PC_IND,DE,2019,81.0\n")
    with pytest.raises(InputError, match="'geo' missing") as err:
        _run(tmp_path)
    assert err.value.file == RELPATH and err.value.line == 1 and err.value.column == "geo"


def test_a_truncated_line_is_an_input_error_naming_the_line(tmp_path):
    _write(tmp_path, "dataset,indic_is,unit,geo,time,value\nisoc_r_iuse_i,I_IDAY,PC_IND,DE,2019,81.0\nisoc_r_iuse_i,I_IDAY,PC_IND,DE1\n")
    with pytest.raises(InputError, match="truncated") as err:
        _run(tmp_path)
    assert err.value.line == 3


def test_a_truncated_tsv_line_is_an_input_error(tmp_path):
    _write(tmp_path, "freq,indic_is,unit,geo\\TIME_PERIOD\t2011 \t2012 \nA,I_IDAY,PC_IND,DE\t64 \n")
    with pytest.raises(InputError, match="truncated") as err:
        _run(tmp_path)
    assert err.value.line == 2


def test_another_indicator_is_an_input_error(tmp_path):
    _write(tmp_path, "dataset,indic_is,unit,geo,time,value\nisoc_r_iuse_i,I_IDAY,PC_IND,DE,2019,81.0\nisoc_r_iuse_i,I_IUSE,PC_IND,DE,2019,90.0\n")
    with pytest.raises(InputError, match="I_IUSE") as err:
        _run(tmp_path)
    assert err.value.line == 3 and err.value.column == "indic_is"


def test_a_file_not_in_utf8_is_an_input_error(tmp_path):
    _write(tmp_path, "dataset,indic_is,unit,geo,time,value\nisoc_r_iuse_i,I_IDAY,PC_IND,DE,2019,81.0\n".encode() + "x,I_IDAY,PC_IND,DE,2018,Ä\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as err:
        _run(tmp_path)
    assert err.value.line == 3


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(InputError, match="isoc_r_iuse_i"):
        _run(tmp_path)


def test_step_is_registered():
    assert internet.STEP.order == 20 and internet.STEP.source_ids == ("eurostat_isoc_r_iuse_i",)


# --- end to end on the real kit -----------------------------------------------------------------


def test_sixteen_lander_have_values_for_2011_to_2019(warehouse):
    frame = warehouse.sql(
        """
        SELECT o.region_id, year(o.period) AS year, o.value
        FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = 'internet_daily_users_pct' AND r.level = 'land'
        """
    )
    assert frame["value"].notna().all()
    counts = frame.groupby("year")["region_id"].nunique()
    assert list(counts.index) == list(range(2011, 2020)) and (counts == 16).all()
    assert frame["value"].between(30, 100).all()


def test_germany_has_values_from_2006_and_lies_between_the_lander(warehouse):
    frame = warehouse.sql(
        "SELECT region_id, year(period) AS year, value FROM observations WHERE indicator_id = 'internet_daily_users_pct'"
    )
    germany = frame[frame["region_id"] == "DG"].set_index("year")["value"].sort_index()
    assert list(germany.index) == list(range(2006, 2020)) and germany.notna().all()
    lander = frame[frame["region_id"] != "DG"].groupby("year")["value"]
    recent = germany.loc[2011:2019]
    assert len(recent) == 9
    assert ((recent >= lander.min()) & (recent <= lander.max())).all()


def test_eurostat_quarantine_is_empty_for_the_kit(warehouse):
    q = warehouse.sql("SELECT * FROM quarantine WHERE source_id = 'eurostat_isoc_r_iuse_i'")
    assert q.empty
