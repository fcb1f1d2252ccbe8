"""VGRdL Kreis workbook → economy observations: layout, markers, keys, bad input,
and end-to-end checks on the real kit (Kreise add up to Länder, Länder to Germany)."""

from __future__ import annotations

import math
import shutil

import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES, make_context, small_regions

from etl.catalogue import INDICATORS_BY_ID
from etl.errors import InputError
from etl.extract.vgrdl import MARKERS, list_sheets, parse_cell, parse_year
from etl.transform import economy
from etl.transform.economy import OTHER_SHEETS, RELPATH, SHEETS, classify_row, transform_economy

FIXTURE_DIR = FIXTURES / "vgrdl_kreise"
# The fixture holds five of the 28 series sheets, in the real layout.
FIXTURE_SHEETS = {name: SHEETS[name] for name in ("BIP", "BIP Anteil am Land", "BWS A", "ET insg.", "EW", "BIP je EW")}
REGIONS = small_regions("02", "03", "04", "06", "16", "064", "02000", "03101", "03159", "04011", "04012", "06411", "16056", "16063")


def _run(raw_dir=FIXTURE_DIR, sheets=FIXTURE_SHEETS):
    ctx = make_context(raw_dir, REGIONS)
    obs = transform_economy(ctx, sheets=sheets)["observations"]
    return ctx, obs, ctx.quarantine.to_frame()


@pytest.fixture(scope="module")
def fixture_run():
    return _run()


def _value(obs, indicator, region, year):
    row = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == pd.Timestamp(f"{year}-12-31").date())]
    assert len(row) == 1, f"{indicator} {region} {year}: {len(row)} rows"
    return row.iloc[0]


def _copy_fixture(tmp_path):
    target = tmp_path / "vgrdl"
    target.mkdir()
    shutil.copy(FIXTURE_DIR / RELPATH, tmp_path / RELPATH)
    return tmp_path / RELPATH


# --- cells and keys ------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value", "flag"),
    [(1234.5, 1234.5, None), (100, 100.0, None), ("-", 0.0, "zero"), ("–", 0.0, "zero"), (".", math.nan, "unknown"), ("...", math.nan, "later"), ("…", math.nan, "later"), ("X", math.nan, "not_meaningful"), ("x", math.nan, "not_meaningful"), ("512,25", 512.25, None)],
)
def test_cells_give_numbers_or_the_publishers_marker_as_flag(cell, value, flag):
    got, got_flag, problem = parse_cell(cell)
    assert problem is None and got_flag == flag
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_an_unknown_marker_is_a_problem_not_a_number():
    value, flag, problem = parse_cell("k.A.")
    assert math.isnan(value) and flag is None and "k.A." in problem


def test_every_marker_maps_to_a_declared_flag():
    from etl.catalogue import FLAGS_BY_CODE

    assert set(MARKERS.values()) <= set(FLAGS_BY_CODE)


@pytest.mark.parametrize(("cell", "year"), [(1992, 1992), (1992.0, 1992), ("2016", 2016), (" 2016 ", 2016), ("1995a", None), ("Jahr 1995", None), (1.5, None), (None, None)])
def test_year_headers(cell, year):
    assert parse_year(cell) == year


@pytest.mark.parametrize(
    ("eu_code", "key", "expected"),
    [("DE", "17", ("bund", "DG")), ("DE1", "08", ("land", "08")), ("DE1", "8", ("land", "08")), ("DE11", "081", ("rbz", "081")), ("DE111", "08111", ("kreis", "08111")), ("DE502", "4012", ("kreis", "04012")), ("", "04012", ("kreis", "04012")), ("DE111", "081", ("kreis", None))],
)
def test_rows_are_classified_by_eu_code_and_germany_is_not_land_17(eu_code, key, expected):
    assert classify_row(eu_code, key) == expected


# --- the fixture workbook -------------------------------------------------------


def test_the_edition_is_the_range_of_years_in_the_header(fixture_run):
    from etl.build import edition_warnings, sources_table

    ctx, _, _ = fixture_run
    read = ctx.editions["vgrdl_kreise"]
    assert read["date"] == "1992/2016" and "sheet 'BIP'" in read["origin"] and "1992 … 2016" in read["origin"]
    row = sources_table(ctx.editions).set_index("source_id").loc["vgrdl_kreise"]
    assert row["reference_date"] == "1992/2016" and row["reference_date_origin"] == read["origin"]
    assert edition_warnings(ctx.editions) == []
    other = {"vgrdl_kreise": {**read, "date": "1992/2017"}}
    assert sources_table(other).set_index("source_id").loc["vgrdl_kreise", "reference_date"] == "1992/2017"
    assert "1992/2017" in edition_warnings(other)[0]["message"]


def test_germany_row_is_dg_and_key_17_is_no_land(fixture_run):
    _, obs, _ = fixture_run
    assert "17" not in set(obs["region_id"])
    assert _value(obs, "gdp_mio_eur", "DG", 2016)["value"] > _value(obs, "gdp_mio_eur", "04", 2016)["value"]


def test_city_state_land_row_also_gives_the_kreis(fixture_run):
    _, obs, _ = fixture_run
    land = _value(obs, "gdp_mio_eur", "02", 2010)
    kreis = _value(obs, "gdp_mio_eur", "02000", 2010)
    assert land["value"] == kreis["value"]
    # Bremen's Land row is no Kreis (NUTS 3 column empty): its Kreise are 04011 and 04012.
    assert "04000" not in set(obs["region_id"])


def test_markers_become_flags(fixture_run):
    _, obs, _ = fixture_run
    eisenach = _value(obs, "gdp_mio_eur", "16056", 1994)
    assert eisenach["flag"] == "unknown" and pd.isna(eisenach["value"])
    later = _value(obs, "employed_thousand", "16063", 1999)
    assert later["flag"] == "later" and pd.isna(later["value"])
    germany_share = _value(obs, "gdp_share_of_land_pct", "DG", 2016)
    assert germany_share["flag"] == "not_meaningful"
    hyphen = _value(obs, "gva_a_mio_eur", "06411", 1992)
    dash = _value(obs, "gva_a_mio_eur", "02000", 1992)
    assert hyphen["value"] == dash["value"] == 0.0 and hyphen["flag"] == dash["flag"] == "zero"
    plain = _value(obs, "gdp_mio_eur", "04011", 2016)
    assert pd.isna(plain["flag"]) and plain["value"] > 0


def test_numeric_keys_and_text_numbers_are_read(fixture_run):
    _, obs, _ = fixture_run
    # In the EW sheet Bremerhaven's key is stored as the number 4012, Bremen 2000 as text "655,000"-style.
    assert _value(obs, "inhabitants_thousand", "04012", 2016)["value"] > 0
    bremen_2000 = _value(obs, "inhabitants_thousand", "04", 2000)["value"]
    assert bremen_2000 == pytest.approx(_value(obs, "inhabitants_thousand", "04011", 2000)["value"] + _value(obs, "inhabitants_thousand", "04012", 2000)["value"], abs=0.01)


def test_employment_is_rounded_to_one_decimal_as_the_publisher_requires(fixture_run):
    _, obs, _ = fixture_run
    employed = obs[obs["indicator_id"] == "employed_thousand"]["value"].dropna()
    assert (employed.round(1) == employed).all()
    gdp = obs[obs["indicator_id"] == "gdp_mio_eur"]["value"].dropna()
    assert (gdp.round(1) != gdp).any(), "other series keep their decimals"


def test_all_rows_are_yearly_at_the_end_of_the_year(fixture_run):
    _, obs, _ = fixture_run
    assert set(obs["period_type"]) == {"year"}
    periods = pd.to_datetime(obs["period"])
    assert (periods.dt.month == 12).all() and (periods.dt.day == 31).all()
    assert 1993 not in set(periods.dt.year) and {1992, 1994, 2016} <= set(periods.dt.year)


def test_statistical_regions_are_quarantined_per_row(fixture_run):
    _, obs, q = fixture_run
    assert "031" not in set(obs["region_id"])
    rows = q[q["reason"].str.contains("DE91 .* no Regierungsbezirk", regex=True)]
    assert len(rows) == len(FIXTURE_SHEETS)  # one row per sheet, not one per cell
    assert set(rows["line"]) == {9} and set(rows["value"]) == {"031"}
    assert "064" in set(obs["region_id"]), "a Regierungsbezirk of 2021 is kept"


def test_historic_kreis_keys_are_quarantined_by_finalize(fixture_run):
    ctx, obs, q = fixture_run
    assert "03152" not in set(obs["region_id"])
    old = q[q["reason"].str.contains("03152")]
    assert len(old) > 0 and set(old["sheet"]) >= {"BIP"}
    assert ctx.notes["economy"]["historic_or_unknown_keys_distinct"] == 1


def test_unknown_marker_is_quarantined_with_sheet_line_and_column(fixture_run):
    _, obs, q = fixture_run
    row = q[q["value"] == "k.A."]
    assert len(row) == 1
    assert row.iloc[0]["sheet"] == "BIP je EW " and row.iloc[0]["line"] == 10 and row.iloc[0]["column"] == "2010"
    assert "unknown value marker" in row.iloc[0]["reason"]
    assert obs[(obs["indicator_id"] == "gdp_per_inhabitant_eur") & (obs["region_id"] == "03101") & (obs["period"] == pd.Timestamp("2010-12-31").date())].empty


def test_a_row_with_values_but_no_key_is_quarantined(fixture_run):
    _, _, q = fixture_run
    rows = q[q["reason"].str.contains("neither EU-Code nor Regional-schlüssel")]
    # In every sheet but ET insg. (the fixture left it out there), at line 19.
    assert len(rows) == len(FIXTURE_SHEETS) - 1 and set(rows["line"]) == {19}
    assert rows.iloc[0]["value"].startswith("Rhein-Main")


def test_footnotes_and_skipped_sheets_are_noted(fixture_run):
    ctx, _, _ = fixture_run
    notes = ctx.notes["economy"]
    footnote = "1) Angaben zum Wartburgkreis bis 1995 einschließlich Eisenach, Kreisfreie Stadt."
    assert "ET insg." not in notes["footnotes"][footnote] and "BIP" in notes["footnotes"][footnote]
    assert set(notes["sheets_not_series"]) == {"Titel", "Inhalt"}
    assert notes["land_rows_also_kreis"] == ["02000"]
    assert notes["layout_lines_ignored"] > 0


# --- bad input ------------------------------------------------------------------


def test_a_missing_sheet_is_an_input_error_naming_it():
    with pytest.raises(InputError, match="sheet 'BWS C'") as err:
        _run(sheets={**FIXTURE_SHEETS, "BWS C": SHEETS["BWS C"]})
    assert err.value.file == RELPATH and err.value.sheet == "BWS C"


def test_a_renamed_year_column_is_an_input_error_naming_sheet_line_and_column(tmp_path):
    path = _copy_fixture(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["BIP"]["K5"] = "1995a"  # the header cell of 1995
    wb.save(path)
    with pytest.raises(InputError) as err:
        _run(tmp_path)
    assert err.value.sheet == "BIP" and err.value.line == 5 and err.value.column == "1995a"
    assert "neither a year" in str(err.value)


def test_a_missing_year_column_is_an_input_error(tmp_path):
    path = _copy_fixture(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["EW "].delete_cols(31)  # 2015
    wb.save(path)
    with pytest.raises(InputError, match="2015") as err:
        _run(tmp_path)
    assert err.value.sheet == "EW " and err.value.line == 5 and err.value.column == "2015"


def test_a_missing_key_column_is_an_input_error(tmp_path):
    path = _copy_fixture(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["BIP"]["B5"] = None  # EU-Code
    wb.save(path)
    with pytest.raises(InputError, match="'EU-Code' missing") as err:
        _run(tmp_path)
    assert err.value.sheet == "BIP" and err.value.line == 5 and err.value.column == "EU-Code"


def test_a_sheet_with_another_unit_is_an_input_error(tmp_path):
    path = _copy_fixture(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["BIP"]["A3"] = "in 1000 EUR"
    wb.save(path)
    with pytest.raises(InputError, match="expected 'in Mill. EUR'") as err:
        _run(tmp_path)
    assert err.value.sheet == "BIP" and err.value.line == 3


def test_a_sheet_without_header_is_an_input_error(tmp_path):
    path = _copy_fixture(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["EW "]["C5"] = "Schlüssel"
    wb.save(path)
    with pytest.raises(InputError, match="Regional-schlüssel") as err:
        _run(tmp_path)
    assert err.value.sheet == "EW "


def test_a_missing_workbook_names_the_file(tmp_path):
    with pytest.raises(InputError, match="vgrdl_r2b1"):
        _run(tmp_path)


def test_a_file_that_is_no_workbook_is_an_input_error(tmp_path):
    (tmp_path / "vgrdl").mkdir()
    (tmp_path / RELPATH).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match="cannot be read as an Excel workbook"):
        _run(tmp_path)


# --- the catalogue ----------------------------------------------------------------


def test_every_sheet_indicator_is_declared_and_published_not_derived():
    for indicator_id, _, _ in SHEETS.values():
        ind = INDICATORS_BY_ID[indicator_id]
        assert ind.source_ids == ("vgrdl_kreise",) and not ind.derived
    assert len({i for i, _, _ in SHEETS.values()}) == len(SHEETS) == 28
    rules = {i: INDICATORS_BY_ID[i].aggregation for i, _, _ in SHEETS.values()}
    assert rules["gdp_mio_eur"] == rules["employed_thousand"] == rules["inhabitants_thousand"] == "sum"
    assert rules["gdp_change_pct"] == rules["gdp_share_of_land_pct"] == rules["gdp_per_employed_eur"] == "none"


def test_every_sheet_of_the_real_workbook_is_read_or_skipped_for_a_reason(kit_dir):
    names = {n.strip() for n in list_sheets(kit_dir / RELPATH)}
    assert len(names) == 38
    assert names == set(SHEETS) | set(OTHER_SHEETS)


# --- end to end on the real kit ------------------------------------------------------


def _by_level(warehouse, indicator, year):
    return warehouse.sql(
        """
        SELECT o.region_id, r.level, r.land_id, o.value, o.flag
        FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = ? AND o.period = ?::DATE
        """,
        [indicator, f"{year}-12-31"],
    )


@pytest.mark.parametrize(("indicator", "tolerance"), [("gdp_mio_eur", 0.05), ("gva_mio_eur", 0.05), ("inhabitants_thousand", 0.05), ("employed_thousand", 1.0)])
def test_kreise_add_up_to_their_land_and_lander_to_germany(warehouse, indicator, tolerance):
    # Employment is rounded to 0.1 per Kreis (publisher's rule): up to ~100 Kreise × 0.05.
    for year in (2000, 2016):
        frame = _by_level(warehouse, indicator, year)
        kreise = frame[frame["level"] == "kreis"].groupby("land_id")["value"].sum()
        lander = frame[frame["level"] == "land"].set_index("region_id")["value"]
        assert len(lander) == 16 and len(kreise) == 16
        diff = (kreise - lander).abs()
        assert diff.max() <= tolerance, f"{indicator} {year}: {diff.idxmax()} differs by {diff.max()}"
        germany = frame.loc[frame["region_id"] == "DG", "value"].iloc[0]
        assert lander.sum() == pytest.approx(germany, abs=tolerance * 2)


def test_gdp_per_inhabitant_is_published_for_every_kreis_in_2016(warehouse):
    frame = _by_level(warehouse, "gdp_per_inhabitant_eur", 2016)
    kreise = frame[frame["level"] == "kreis"]
    assert len(kreise) == 401 and kreise["value"].notna().all()
    assert not INDICATORS_BY_ID["gdp_per_inhabitant_eur"].derived
    # Published ratio agrees with GDP / inhabitants for Germany (within EUR rounding).
    gdp = _by_level(warehouse, "gdp_mio_eur", 2016).set_index("region_id")["value"]
    inhabitants = _by_level(warehouse, "inhabitants_thousand", 2016).set_index("region_id")["value"]
    assert frame.set_index("region_id").loc["DG", "value"] == pytest.approx(gdp["DG"] / inhabitants["DG"] * 1000, abs=1)


def test_every_kreis_of_2021_has_gdp_from_2000_on(warehouse):
    counts = warehouse.sql(
        """
        SELECT year(o.period) AS year, count(*) AS n
        FROM observations o JOIN regions r USING (region_id)
        WHERE o.indicator_id = 'gdp_mio_eur' AND r.level = 'kreis' AND o.value IS NOT NULL
        GROUP BY 1
        """
    ).set_index("year")["n"]
    assert (counts.loc[2000:2016] == 401).all()


def test_vgrdl_quarantine_holds_only_the_nuts2_regions(warehouse):
    q = warehouse.sql("SELECT sheet, line, reason FROM quarantine WHERE source_id = 'vgrdl_kreise'")
    assert len(q) == 10 * 28
    assert q["reason"].str.contains("no Regierungsbezirk of the 2021 status").all()


def test_step_is_registered():
    assert economy.STEP.order == 20 and economy.STEP.source_ids == ("vgrdl_kreise",)
