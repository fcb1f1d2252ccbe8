"""Breitbandatlas (bnetza_breitbandatlas): extract quirks, transform rules, bad
input, and end-to-end checks on the real kit.

Fixtures under tests/data/bnetza_breitbandatlas/ are small files written by us in
each real layout: the 2007 DSL workbook (.xlsx, numeric keys, broken byte in the
name), the annual 2010–2018 workbook (.xls, wide year-suffixed columns), the 2021
Kreisdaten (.xls), the two mid-2018 Gemeinde CSVs (";", CRLF, ASCII and Latin-1
with decimal commas) and Paket_3 CSVs in both header styles (";" and ",", UTF-8).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.catalogue import INDICATORS_BY_ID, TABLES_BY_NAME
from etl.catalogue.indicators import broadband as catalogue
from etl.errors import InputError
from etl.extract.breitbandatlas import decode_text, detect_separator, open_workbook, parse_numbers, read_csv, read_sheet
from etl.transform import broadband as bb
from tests.conftest import FIXTURES, make_context, small_regions

FIXTURE_RAW = FIXTURES / "bnetza_breitbandatlas"
P1 = FIXTURE_RAW / "bnetza_breitbandatlas" / "Paket_1"
P2 = FIXTURE_RAW / "bnetza_breitbandatlas" / "Paket_2"
P3 = FIXTURE_RAW / "bnetza_breitbandatlas" / "Paket_3"
REGION_IDS = (
    "01", "02", "03", "11",
    "01001", "01002", "02000", "03159", "11000",
    "01001000", "01002000", "02000000", "03159016", "11000000",
)  # 03152 / 03152012 (Göttingen before 2016) are deliberately missing: historic keys


@pytest.fixture(scope="module")
def fixture_run():
    ctx = make_context(FIXTURE_RAW, small_regions(*REGION_IDS))
    out = bb.transform_broadband(ctx)
    dups = pd.DataFrame(ctx.duplicates, columns=TABLES_BY_NAME["duplicates"].column_names)
    return out["observations"], dups, ctx.quarantine.to_frame(), ctx


def _value(obs, indicator, region, period):
    rows = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == dt.date.fromisoformat(period))]
    assert len(rows) == 1, (indicator, region, period, rows)
    return rows.iloc[0]


def _ctx_with(tmp_path: Path, files: dict[str, bytes | Path]):
    """A raw dir with the fixture kit plus replacements (name under Paket_x → bytes or a file to copy)."""
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    for rel, content in files.items():
        target = raw / "bnetza_breitbandatlas" / rel
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_bytes(content)
    return make_context(raw, small_regions(*REGION_IDS))


# --- extract: format quirks ----------------------------------------------------------------


def test_separator_is_detected_from_the_header():
    assert detect_separator('"AGS";"alle Technologien ≥ 1 Mbit/s"') == ";"
    assert detect_separator('"AGS","alle Technologien ≥ 1 Mbit/s"') == ","
    assert detect_separator('"a;b","c","d"') == ","  # separators inside quotes do not count


def test_utf8_latin1_and_bom_are_decoded():
    assert decode_text("AGS;Göttingen".encode("utf-8"), "f") == ("AGS;Göttingen", "utf-8")
    assert decode_text("AGS;Göttingen".encode("latin-1"), "f")[0] == "AGS;Göttingen"
    assert decode_text(b"\xef\xbb\xbfAGS;x", "f") == ("AGS;x", "utf-8-sig")


def test_double_encoded_utf8_is_an_input_error_with_the_line():
    text = "AGS;x\n01001000;1\n01002000;alle Technologien ≥ 50\n"
    mangled = text.encode("utf-8").decode("latin-1").encode("utf-8")  # "â‰¥"-style mojibake
    with pytest.raises(InputError) as err:
        decode_text(mangled, "Paket_3/x.csv")
    assert err.value.file == "Paket_3/x.csv" and err.value.line == 3
    assert "mis-encoded" in str(err.value)


def test_utf16_is_an_input_error(tmp_path):
    path = tmp_path / "gemeinde_privat_2018_ende.csv"
    path.write_bytes("AGS;verf_300_50\n01001000;98\n".encode("utf-16"))
    with pytest.raises(InputError) as err:
        read_csv(path, "Paket_3/gemeinde_privat_2018_ende.csv")
    assert "UTF-16" in str(err.value) and err.value.line == 1


def test_decimal_commas_latin1_and_crlf_are_read():
    table = read_csv(P2 / "Verf_Gemeinden_atene_Mitte 18.csv", "atene", text_columns=("AGS",))
    assert table.encoding == "cp1252" and table.separator == ";"
    assert table.cells["AGS"].tolist() == ["01001000", "03159016", "02000000"]  # leading zeros kept
    assert table.cells["GEN"].tolist()[1] == "Göttingen"
    assert table.cells["300_50"].tolist() == [97.0, 57.0, 98.0]
    assert table.lines.tolist() == [2, 3, 4]


def test_comma_separated_label_header_is_read():
    table = read_csv(P3 / "gemeinde_bezirke_privat_2021_mitte.csv", "x", text_columns=("AGS",))
    assert table.separator == ","
    assert "alle Technologien ≥ 50 Mbit/s" in table.cells.columns
    assert table.cells["AGS"].iloc[0] == "11000000"


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"ags";"verf_300_50"\n"01001";98.1\n\n"01002";97.2\n', encoding="utf-8")
    table = read_csv(path, "x.csv", text_columns=("ags",))
    assert table.lines.tolist() == [2, 4]


def test_truncated_csv_is_an_input_error_naming_the_line(tmp_path):
    path = tmp_path / "landkreis_privat_2018_2.csv"
    path.write_text('"ags";"verf_300_2";"verf_300_50"\n"01001";100.00;98.00\n"01002";100.0', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_csv(path, "Paket_3/landkreis_privat_2018_2.csv")
    assert err.value.line == 3 and "truncated" in str(err.value)


def test_long_record_is_an_input_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"ags";"verf_300_50"\n"01001";98.1;7\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_csv(path, "x.csv")
    assert err.value.line == 2


def test_separator_inside_quotes_is_not_a_long_record(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"AGS";"Flaechenart";"v"\n"01001";"Wald; Wiese";1.5\n', encoding="utf-8")
    assert read_csv(path, "x.csv").cells["Flaechenart"].tolist() == ["Wald; Wiese"]


def test_numbers_stored_by_a_spreadsheet_become_key_text():
    book = open_workbook(P1 / "verf_privat_alle_2010_2018.xls", "annual")
    table = read_sheet(book, "annual", "verf_landkreis_10_18_percent")
    assert table.cells["ags"].tolist()[:2] == ["1001", "1002"]  # no ".0"; normalise_key pads
    assert table.lines.tolist()[:2] == [2, 3]
    land = read_sheet(book, "annual", "verf_bundesland_10_18_percent")
    assert land.cells.columns[0] == "column_1"  # unnamed name column of the Bundesland sheet


def test_parse_numbers_point_comma_empty_and_text():
    got = parse_numbers(np.array(["98.5", "98,5", "", "x", "01,09,1978", 97.0, None], dtype=object))
    assert got[:2].tolist() == [98.5, 98.5] and got[5] == 97.0
    assert np.isnan(got[[2, 3, 4, 6]]).all()


# --- transform: layouts, keys, periods -----------------------------------------------------


@pytest.mark.parametrize(
    ("column", "segment", "expected"),
    [
        ("verf_300_50", "hh", "bb_hh_all_50"),
        ("verf_100_1000", "biz", "bb_biz_wired_1000"),
        ("200_16", "hh", "bb_hh_wireless_16"),
        ("alle Technologien ≥ 50 Mbit/s", "hh", "bb_hh_all_50"),
        ("leitungsg. Technologien ≥ 8 Mbit/s", "bizpark", "bb_bizpark_wired_8"),
        ("mobile Technologien ≥ 6 Mbit/s", "hh", "bb_hh_wireless_6"),
        ("verf_dsl_50", "hh", None),
        ("FTTH/B ≥ 1000 Mbit/s", "hh", None),
    ],
)
def test_both_header_styles_map_to_the_same_indicators(column, segment, expected):
    assert bb.speed_columns([column], segment).get(column) == expected


def test_every_mapped_indicator_is_declared():
    for seg in ("hh", "biz", "bizpark"):
        for tech in ("100", "200", "300"):
            for speed in (1, 2, 6, 16, 30, 50):
                ind = bb.speed_columns([f"verf_{tech}_{speed}"], seg).get(f"verf_{tech}_{speed}")
                if (seg, bb.TECH_CODE[tech]) in catalogue.SPEED_LEVELS:
                    assert ind in INDICATORS_BY_ID


def test_half_years_and_annual_files_get_their_periods(fixture_run):
    obs, *_ = fixture_run
    assert _value(obs, "bb_hh_all_50", "01001", "2018-12-31")["period_type"] == "half_year"  # _2
    assert _value(obs, "bb_hh_all_1000", "11000000", "2021-06-30")["period_type"] == "half_year"  # _mitte
    assert _value(obs, "bb_hh_all_50", "01001000", "2018-06-30")["value"] == 97.0  # atene "Mitte 18"
    assert _value(obs, "bb_hh_all_50", "DG", "2013-12-31")["period_type"] == "year"  # verf_300_50_2013
    assert _value(obs, "bb_hh_dsl", "DG", "2007-12-31")["value"] == 93.11
    # Kreisdaten 2021: measured mid-2021
    assert _value(obs, "bb_school_all_50", "01001", "2021-06-30")["value"] == 95.0


def test_numeric_keys_lose_no_zeros(fixture_run):
    obs, *_ = fixture_run
    dsl = obs[obs["indicator_id"] == "bb_hh_dsl"]
    assert {"01", "02", "01001", "01001000", "DG"} <= set(dsl["region_id"])
    assert obs["region_id"].str.fullmatch(r"DG|\d{2}|\d{5}|\d{8}").all()


def test_national_rows_in_every_key_layout(fixture_run):
    obs, *_ = fixture_run
    assert _value(obs, "bb_biz_wired_50", "DG", "2019-12-31")["value"] == 91.77  # "staat" as the last column
    assert _value(obs, "bb_bizpark_wired_50", "DG", "2019-12-31")["value"] == 87.5  # ags = "staat"


def test_the_two_mid_2018_variants_are_complementary(fixture_run):
    obs, dups, *_ = fixture_run
    mid = obs[obs["period"] == dt.date(2018, 6, 30)]
    def technologies(file):
        return set(mid.loc[mid["source_file"] == f"bnetza_breitbandatlas/Paket_2/{file}", "indicator_id"].str.split("_").str[2])

    assert technologies("Verf_Gemeinden_atene Mitte 18.csv") == {"wired", "wireless"}
    assert technologies("Verf_Gemeinden_atene_Mitte 18.csv") == {"all"}
    assert not dups["dropped_file"].str.contains("atene").any()


def test_city_districts_are_quarantined_with_their_reason(fixture_run):
    obs, _, quarantine, ctx = fixture_run
    assert not obs["region_id"].isin(["11000001", "02000001"]).any()
    rows = quarantine[quarantine["reason"].str.startswith("city district")]
    assert sorted(rows["value"]) == ["02000001", "11000001"]
    assert rows["reason"].str.contains("of the city 11000000").any()
    assert rows["file"].str.endswith("gemeinde_bezirke_privat_2021_mitte.csv").all()
    assert ctx.notes["broadband"]["city_districts_quarantined_by_file"] == {rows["file"].iloc[0]: 2}
    assert _value(obs, "bb_hh_all_50", "11000000", "2021-06-30")["value"] == 97.12  # the city itself


def test_historic_keys_go_to_the_quarantine_through_finalize(fixture_run):
    obs, _, quarantine, ctx = fixture_run
    assert not obs["region_id"].str.startswith("03152").any()
    historic = quarantine[quarantine["reason"].str.contains("region key 03152")]
    # The Kreis 03152 where 03156 is missing (end 2018) stays; the Gemeinde 03152012 (the city of
    # Göttingen, 03159016 since 2016-11-01) where the file also gives the new key is superseded:
    # recorded with the duplicates (file and line), not quarantined.
    assert historic["reason"].str.contains("historic region key 03152 (Göttingen, Landkreis, until 2016-10-31): converting to 03159", regex=False).any()
    assert not historic["reason"].str.contains("03152012", regex=False).any()
    superseded = [d for d in ctx.duplicates if "03152012→03159016 line" in d["note"]]
    assert superseded and all(d["kept_file"] == d["dropped_file"] for d in superseded)
    city = _value(obs, "bb_hh_all_50", "03159016", "2018-12-31")
    assert city["flag"] == "harmonised" and city["value"] == 80.0  # 03152012 in gemeinde_privat_2018_ende.csv
    assert ctx.notes["broadband"]["historic_or_unknown_keys_by_file"]["bnetza_breitbandatlas/Paket_3/landkreis_privat_2018_2.csv"] == 3


def test_dsl_workbook_quirks(fixture_run):
    obs, _, quarantine, _ = fixture_run
    dsl_q = quarantine[quarantine["file"].str.contains("2007_DSL")]
    date_like = dsl_q[dsl_q["reason"] == "value stored as a date-like text, not a share"]
    assert date_like[["sheet", "line", "column", "value"]].values.tolist() == [["verf_2007_dsl_gem", 5, "verf_dsl", "01,09,1978"]]
    name_only = dsl_q[dsl_q["reason"].str.startswith("record without key")]
    assert sorted(name_only["value"]) == ["Mecklenburgische Seenplatte", "Seeland"]
    assert ((dsl_q["reason"] == "share outside 0–100 %") & (dsl_q["value"] == "100.39")).any()
    assert _value(obs, "bb_hh_dsl", "03159016", "2007-12-31")["value"] == 0.0  # a real 0 stays


def test_not_reported_rule(fixture_run):
    obs, *_ = fixture_run
    kiel_2013 = obs[(obs["region_id"].isin(["01002", "01002000"])) & (obs["period"] == dt.date(2013, 12, 31))]
    assert len(kiel_2013) == 6 and kiel_2013["value"].isna().all() and (kiel_2013["flag"] == "not_reported").all()
    # Flensburg 2013: 0 at ≥ 50 but > 0 in the other classes → a genuine 0
    assert _value(obs, "bb_hh_all_50", "01001000", "2013-12-31")["value"] == 0.0
    # Hamburg 2015: all zero, but outside 2010–2014 → stays 0
    hh_2015 = _value(obs, "bb_hh_all_50", "02000000", "2015-12-31")
    assert hh_2015["value"] == 0.0 and pd.isna(hh_2015["flag"])
    assert set(obs.loc[obs["flag"] == "not_reported", "region_id"].str.len()) <= {5, 8}


def test_flag_not_reported_on_an_inline_frame():
    rows = pd.DataFrame(
        {
            "region_id": ["01001"] * 4 + ["01002"] * 2,
            "period": pd.to_datetime(["2012-12-31", "2012-12-31", "2016-12-31", "2016-12-31", "2012-12-31", "2012-12-31"]),
            "value": [0.0, 0.0, 0.0, 0.0, 0.0, 5.0],
            "flag": [None] * 6,
        }
    )
    out = bb.flag_not_reported(rows)
    assert out["flag"].tolist() == ["not_reported", "not_reported", None, None, None, None]


def test_duplicates_keep_the_later_package_and_count_differences(fixture_run):
    obs, dups, *_ = fixture_run
    krs = dups[(dups["indicator_id"] == "bb_hh_all_50") & (dups["period"] == dt.date(2018, 12, 31)) & dups["kept_file"].str.contains("landkreis")]
    assert krs[["kept_file", "dropped_file", "rows", "rows_differing"]].values.tolist() == [
        ["bnetza_breitbandatlas/Paket_3/landkreis_privat_2018_2.csv", "bnetza_breitbandatlas/Paket_1/verf_privat_alle_2010_2018.xls", 3, 3]
    ]  # 01001, 01002 and the historic 03152 (quarantined afterwards)
    assert _value(obs, "bb_hh_all_50", "01001", "2018-12-31")["value"] == 98.0  # Paket_3, not 98.14
    k21 = dups[dups["dropped_file"].str.endswith("2021_BBA_Kreisdaten.xls")]
    assert set(k21["indicator_id"]) == {"bb_hh_all_50", "bb_hh_all_1000", "bb_hh_wired_50"}
    assert (k21["kept_file"] == "bnetza_breitbandatlas/Paket_3/landkreis_privat_2021_1.csv").all()
    identical = dups[(dups["indicator_id"] == "bb_hh_all_2") & dups["kept_file"].str.contains("deutschland")]
    assert identical[["rows", "rows_differing"]].values.tolist() == [[1, 0]]  # 99.89 in both
    assert list(dups.columns) == TABLES_BY_NAME["duplicates"].column_names


def test_mobile_coverage_and_unknown_technology(fixture_run):
    obs, _, quarantine, _ = fixture_run
    assert _value(obs, "bb_mob_5g2_autobahn", "01001", "2021-06-30")["value"] == 94.47
    assert _value(obs, "bb_mob_lte10_forest_meadow", "01001", "2021-06-30")["value"] == 99.1
    unknown = quarantine[quarantine["reason"].str.startswith("unknown technology")]
    assert unknown["value"].tolist() == ["6G / Autobahn"] and unknown["line"].tolist() == [5]


def test_firm_count_layout_is_not_loaded_but_recorded(fixture_run):
    obs, _, quarantine, ctx = fixture_run
    assert not obs["source_file"].str.contains("gewerbe_gwg_2019_mitte").any()
    row = quarantine[quarantine["file"].str.endswith("gemeinde_gewerbe_gwg_2019_mitte.csv")]
    assert len(row) == 1 and row["reason"].iloc[0].startswith("file not loaded")
    assert list(ctx.notes["broadband"]["files_not_loaded"]) == ["bnetza_breitbandatlas/Paket_3/gemeinde_gewerbe_gwg_2019_mitte.csv"]


def test_values_are_shares_and_flags_explain_every_gap(fixture_run):
    obs, *_ = fixture_run
    assert obs["value"].dropna().between(0, 100).all()
    assert obs.loc[obs["value"].isna(), "flag"].eq("not_reported").all()


# --- bad input -----------------------------------------------------------------------------


def test_non_numeric_marker_is_quarantined_with_file_line_and_column(tmp_path):
    ctx = _ctx_with(tmp_path, {"Paket_3/landkreis_privat_2018_2.csv": b'"ags";"verf_300_2";"verf_300_50"\n"01001";100.00;98.00\n"01002";100.00;.\n'})
    obs = bb.transform_broadband(ctx)["observations"]
    q = ctx.quarantine.to_frame()
    bad = q[q["reason"] == "value is not a number"]
    assert bad[["file", "line", "column", "value"]].values.tolist() == [
        ["bnetza_breitbandatlas/Paket_3/landkreis_privat_2018_2.csv", 3, "verf_300_50", "."]
    ]
    # the xls figure for the same period is then the only one and is kept
    assert _value(obs, "bb_hh_all_50", "01002", "2018-12-31")["source_file"].endswith(".xls")


def test_missing_sheet_names_file_and_sheet(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    for name in ("verf_deutschland_10_18_percent", "verf_bundesland_10_18_percent", "verf_landkreis_10_18_percent"):
        sheet = book.add_sheet(name)
        sheet.write(0, 0, "ags")
        sheet.write(0, 1, "verf_300_50_2015")
    path = tmp_path / "verf_privat_alle_2010_2018.xls"
    book.save(str(path))
    ctx = _ctx_with(tmp_path, {"Paket_1/verf_privat_alle_2010_2018.xls": path})
    with pytest.raises(InputError) as err:
        bb.transform_broadband(ctx)
    assert err.value.file.endswith("Paket_1/verf_privat_alle_2010_2018.xls") and "gemeinde" in err.value.sheet


def test_missing_key_column_names_the_column(tmp_path):
    ctx = _ctx_with(tmp_path, {"Paket_3/landkreis_privat_2018_2.csv": b'"kreis";"verf_300_50"\n"01001";98.00\n'})
    with pytest.raises(InputError) as err:
        bb.transform_broadband(ctx)
    assert err.value.file.endswith("landkreis_privat_2018_2.csv") and err.value.column == "ags"


def test_kreisdaten_without_known_columns_is_an_input_error(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("krs_geom_tbl")
    for j, h in enumerate(("krs", "lan", "name", "geom_Area")):
        sheet.write(0, j, h)
    path = tmp_path / "k.xls"
    book.save(str(path))
    ctx = _ctx_with(tmp_path, {"Paket_2/2021_BBA_Kreisdaten.xls": path})
    with pytest.raises(InputError) as err:
        bb.transform_broadband(ctx)
    assert err.value.sheet == "krs_geom_tbl"


def test_missing_package_is_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    shutil.rmtree(raw / "bnetza_breitbandatlas" / "Paket_3")
    with pytest.raises(InputError) as err:
        bb.transform_broadband(make_context(raw, small_regions(*REGION_IDS)))
    assert "Paket_3" in err.value.file


# --- catalogue -----------------------------------------------------------------------------


def test_indicator_catalogue_is_systematic():
    ids = [i.id for i in catalogue.INDICATORS]
    assert len(ids) == len(set(ids))
    for ind in catalogue.INDICATORS:
        assert ind.unit == "%" and ind.better == "higher" and ind.title_de and ind.title_en
        if ind.id.startswith("bb_hh_"):
            assert ind.aggregation == "mean_households"
    with_annual = [INDICATORS_BY_ID[f"bb_hh_all_{s}"] for s in catalogue.ANNUAL_SPEEDS]
    for ind in with_annual:
        assert [b.date for b in ind.breaks] == ["2010-12-31", "2015-12-31"]
        assert any("not_reported" in c for c in ind.caveats_en)
    assert any("not comparable" in c for c in INDICATORS_BY_ID["bb_hh_dsl"].caveats_en)


# --- end to end on the real kit ------------------------------------------------------------


@pytest.fixture(scope="module")
def bb_obs(warehouse):
    return warehouse.sql("SELECT * FROM observations WHERE source_id = 'bnetza_breitbandatlas' AND indicator_id LIKE 'bb_%'")


def test_e2e_every_declared_indicator_has_data_at_its_declared_levels(bb_obs, warehouse):
    levels = warehouse.sql("SELECT region_id, level FROM regions").set_index("region_id")["level"]
    seen = bb_obs.assign(level=bb_obs["region_id"].map(levels)).groupby("indicator_id")["level"].agg(set)
    for ind in catalogue.INDICATORS:
        assert ind.id in seen.index, ind.id
        declared = INDICATORS_BY_ID[ind.id].levels  # with the Gemeindeverband level the catalogue adds (etl.catalogue.indicators)
        assert seen[ind.id] == set(declared), (ind.id, seen[ind.id], declared)


def test_e2e_values_are_shares(bb_obs):
    assert bb_obs["value"].dropna().between(0, 100).all()
    gaps = bb_obs[bb_obs["value"].isna()]
    assert (gaps["flag"] == "not_reported").all()
    years = pd.to_datetime(gaps["period"]).dt.year
    assert years.between(2010, 2014).all() and gaps["region_id"].str.len().isin([5, 8]).all()


def test_e2e_all_laender_in_every_paket3_period(bb_obs):
    land = bb_obs[(bb_obs["indicator_id"] == "bb_hh_all_50") & bb_obs["region_id"].str.fullmatch(r"\d{2}")]
    per_period = land[land["source_file"].str.contains("Paket_3")].groupby("period")["region_id"].nunique()
    assert len(per_period) == 7 and (per_period == 16).all()  # 2018-06-30 … 2021-06-30


def test_e2e_national_rows_agree_with_the_annual_workbook(bb_obs, kit_dir):
    """The Deutschland files and the national row of the annual workbook agree for end 2018."""
    path = kit_dir / "bnetza_breitbandatlas" / "Paket_1" / "verf_privat_alle_2010_2018.xls"
    table = read_sheet(open_workbook(path, "annual"), "annual", "verf_deutschland_10_18_percent")
    dg = bb_obs[(bb_obs["region_id"] == "DG") & (pd.to_datetime(bb_obs["period"]) == "2018-12-31")].set_index("indicator_id")
    for speed in (2, 16, 50):
        published = float(table.cells[f"verf_300_{speed}_2018"].iloc[0])
        assert dg.loc[f"bb_hh_all_{speed}", "source_file"].endswith("deutschland_privat_2018_2.csv")
        assert abs(dg.loc[f"bb_hh_all_{speed}", "value"] - published) < 0.1


def test_e2e_kreisdaten_2021_are_mid_2021_rounded(warehouse, kit_dir):
    """Supports dating 2021_BBA_Kreisdaten.xls to 2021-06-30: it equals mid-2021 rounded."""
    path = kit_dir / "bnetza_breitbandatlas" / "Paket_2" / "2021_BBA_Kreisdaten.xls"
    book = open_workbook(path, "k")
    table = read_sheet(book, "k", book.sheet_names[0])
    published = pd.Series(table.cells["priv_alle_tech_50"].astype(float).to_numpy(), index=table.cells["krs"])
    obs = warehouse.sql(
        "SELECT region_id, value FROM observations WHERE indicator_id = 'bb_hh_all_50' AND period = DATE '2021-06-30' AND length(region_id) = 5"
    ).set_index("region_id")["value"]
    common = obs.index.intersection(published.index)
    assert len(common) >= 395
    assert (obs[common] - published[common]).abs().max() <= 0.5


def test_e2e_duplicates_and_quarantine_are_recorded(warehouse):
    both = warehouse.sql("SELECT * FROM duplicates WHERE source_id = 'bnetza_breitbandatlas'")
    historic = both["note"].str.startswith("historic region keys")
    # Historic-key figures whose 2021 unit the publisher gives directly (etl.territory): with their lines.
    assert historic.any() and both.loc[historic, "note"].str.contains(r"→\d{5,8} line \d+", regex=True).all()
    # Kept-key rows of a file in the status before a merger: parts of the harmonised value, same file.
    parts = both["note"].str.startswith("published value of a 2021 key")
    assert parts.any() and (both.loc[parts, "kept_file"] == both.loc[parts, "dropped_file"]).all()
    assert all(re.search(r"(\d{8})→\1 line \d+.* value [\d.]+", note) for note in both.loc[parts, "note"])
    dups = both[~historic & ~parts]
    assert dups["kept_file"].str.contains("Paket_3").all()
    assert set(dups["dropped_file"].str.extract(r"(Paket_\d/[^/]+)$")[0]) == {
        "Paket_1/verf_privat_alle_2010_2018.xls", "Paket_2/2021_BBA_Kreisdaten.xls"
    }
    assert (dups["rows_differing"] <= dups["rows"]).all()
    q = warehouse.sql("SELECT reason, file FROM quarantine WHERE source_id = 'bnetza_breitbandatlas'")
    districts = q[q["reason"].str.startswith("city district")]
    assert districts.groupby("file").size().eq(58).sum() >= 8  # Hamburg, Bremen, Köln, München, Berlin
    # Every row with a key outside the 2021 status says why it was not converted (etl.territory).
    historic = q[q["reason"].str.contains("region key")]
    assert 40_000 < len(historic) < 56_000  # 48,511 in the kit (README; 61,269 before the rules for rule none, markers and declared Gemeinden)
    assert not historic["reason"].str.contains("the publisher gives").any()  # superseded: in duplicates
    why = (
        "cannot be placed", "no value made", "aggregation rule none", "partial coverage", "no value here", "a count cannot be divided",
        "city's own figure", "no weighted mean", "nothing in the 2021 status to map it to",
    )
    assert historic["reason"].str.contains("|".join(why)).all()
    # Brebel and Dollrottfeld stand beside Süderbrarup (which kept its key) at end 2018: the file is in
    # the status before the merger, so Süderbrarup's 2021 value there is made from all three.
    made = warehouse.sql(
        "SELECT value, flag FROM observations WHERE region_id = '01059083' AND indicator_id = 'bb_hh_all_50' AND period = DATE '2018-12-31'"
    )
    assert made["flag"].tolist() == ["harmonised"]


def test_e2e_dsl_series_is_2005_to_2008_at_year_end(bb_obs):
    dsl = bb_obs[bb_obs["indicator_id"] == "bb_hh_dsl"]
    assert sorted(pd.to_datetime(dsl["period"]).dt.strftime("%Y-%m-%d").unique()) == [f"{y}-12-31" for y in range(2005, 2009)]
    assert (dsl["region_id"] == "DG").sum() == 4


def test_a_year_end_that_a_half_year_file_covers_is_that_half_year():
    """The annual workbook's end-2018 column and Paket_3's ``_2018_ende`` are the
    same stand: a region known only from the workbook (a harmonised Kreis) gets
    "Ende 2018" like the others; the years before stay years."""
    rows = pd.DataFrame({
        "indicator_id": ["bb_hh_all_50"] * 4,
        "region_id": ["03159", "01001", "03159", "01001"],
        "period": pd.to_datetime(["2018-12-31", "2018-12-31", "2017-12-31", "2017-12-31"]),
        "period_type": ["year", "half_year", "year", "year"],
    })
    out = bb.one_period_type(rows)
    assert out["period_type"].tolist() == ["half_year", "half_year", "year", "year"]
    assert rows["period_type"].tolist()[0] == "year"  # the input is not changed


def test_e2e_one_period_type_per_indicator_and_period(bb_obs):
    types = bb_obs.groupby(["indicator_id", "period"])["period_type"].nunique()
    assert (types == 1).all(), types[types > 1].head()
