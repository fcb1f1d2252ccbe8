"""Destatis population and area (and the Breitbandatlas' ewz) → observations:
layouts and quirks of each file, bad input, duplicates across files, derived
sums, and end-to-end checks on the real kit."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES, make_context
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.aggregate import aggregate
from etl.catalogue import INDICATORS_BY_ID, TABLES_BY_NAME
from etl.copies import resolve_copies
from etl.errors import InputError
from etl.extract.destatis import (
    GENESIS_MARKERS,
    GV_MARKERS,
    extract_dsl_population,
    extract_genesis_csv,
    extract_gv_gemeinden,
    extract_gv_kreise,
    parse_cell,
    strip_footnote,
)
from etl.transform import population
from etl.transform.population import (
    GENESIS_FILE,
    GENESIS_TABLE,
    GV_GEMEINDEN_FILES,
    GV_KREISE_FILE,
    derive_density,
    derive_sums,
    transform_genesis,
)

GENESIS_DIR = FIXTURES / "destatis_genesis_12411"
KREISE_DIR = FIXTURES / "destatis_gv_kreise"
GEMEINDEN_DIR = FIXTURES / "destatis_gv_gemeinden"
GV_2016, GV_2017 = GV_GEMEINDEN_FILES

# The fixtures' units of the 2021 status (real keys; values in the fixtures are invented).
FIXTURE_UNITS = [
    ("DG", "Deutschland", "DE"),
    ("01", "Schleswig-Holstein", "DEF"), ("02", "Hamburg", "DE6"), ("03", "Niedersachsen", "DE9"),
    ("05", "Nordrhein-Westfalen", "DEA"), ("07", "Rheinland-Pfalz", "DEB"), ("11", "Berlin", "DE3"),
    ("14", "Sachsen", "DED"), ("16", "Thüringen", "DEG"), ("051", "Düsseldorf", "DEA1"),
    ("01001", "Flensburg", "DEF01"), ("01051", "Dithmarschen", "DEF05"), ("02000", "Hamburg", "DE600"),
    ("03159", "Göttingen", "DE91C"), ("05154", "Kleve", "DEA1B"), ("11000", "Berlin", "DE300"),
    ("14522", "Mittelsachsen", "DED43"), ("16056", "Eisenach", "DEG0N"), ("16063", "Wartburgkreis", "DEG0P"),
    ("01001000", "Flensburg", "DEF01"), ("01051011", "Brunsbüttel", "DEF05"), ("01051044", "Heide", "DEF05"),
    ("01051003", "Averlak", "DEF05"), ("02000000", "Hamburg", "DE600"), ("03159001", "Adelebsen", "DE91C"),
    ("05154004", "Bedburg-Hau", "DEA1B"), ("05154008", "Emmerich am Rhein", "DEA1B"), ("11000000", "Berlin", "DE300"),
    ("16056000", "Eisenach", "DEG0N"), ("16063004", "Barchfeld-Immelborn", "DEG0P"), ("16063076", "Treffurt", "DEG0P"),
    ("16063104", "Amt Creuzburg", "DEG0P"),  # created in 2019: not in the Gemeindeverzeichnis 2017
]


def fixture_regions() -> pd.DataFrame:
    """A regions frame in the shape of etl.regions.build_regions for the fixture units."""
    level = {2: "land", 3: "rbz", 5: "kreis", 8: "gemeinde"}
    rbz = {u[0] for u in FIXTURE_UNITS if len(u[0]) == 3}
    rows = []
    for rid, name, nuts in FIXTURE_UNITS:
        lvl = "bund" if rid == "DG" else level[len(rid)]
        rows.append(
            {
                "region_id": rid, "ars": rid, "level": lvl, "name": name, "type": "", "nuts_id": nuts,
                "land_id": None if rid == "DG" else rid[:2],
                "rbz_id": rid[:3] if lvl in ("rbz", "kreis", "gemeinde") and rid[:3] in rbz else None,
                "kreis_id": rid[:5] if lvl in ("kreis", "gemeinde") else None,
                "area_km2": 1.0, "lat": 50.0, "lon": 10.0,
                "urban_rural_type": pd.NA, "degurba": pd.NA, "population": pd.NA, "population_date": pd.NaT, "population_class": pd.NA,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("urban_rural_type", "degurba", "population"):
        frame[col] = frame[col].astype("Int64")
    frame["population_class"] = frame["population_class"].astype("string")
    return frame


# --- Breitbandatlas DSL workbook with ewz: written per test (its real name has a broken byte) ----------


def write_dsl_workbook(path: Path, year: int, *, drop_sheet: str | None = None, krs_header=("ags", "gen", "bez", "verf_dsl", "ewz")) -> Path:
    """A small DSL workbook in the real layout: one sheet per level, ``ags`` as numbers,
    names of later units appended without key or values at the bottom."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {
        "gem": [("id", "ags", "gen", "verf_dsl", "ewz"), (0, 1001000, "Flensburg", 90.71, 86080), (4, 1051011, "Brunsbüttel", 80.5, 13390),
                (8, 14181370, "Mittweida", 70.2, 15960), (None, None, "Vorpommern-Greifswald", None, None)],
        "krs": [krs_header, (1001, "Flensburg", "Kreisfreie Stadt", 90.71, 86080), (1051, "Dithmarschen", "Kreis", 75.3, 137000),
                (2000, "Hamburg", "Kreisfreie Stadt", 89.42, 1743627), (14181, "Mittweida", "Landkreis", 66.0, 131000),
                (None, "Mittelsachsen", "Landkreis", None, None)],
        "lan": [("ags", "gen", "verf_dsl", "ewz"), (1, "Schleswig-Holstein", 83.73, 2813812), (2, "Hamburg", 89.42, 1743627)],
        "sta": [("gen", "verf_dsl", "ewz"), ("Deutschland", 81.78, 81952936)],
    }
    for suffix, rows in sheets.items():
        if suffix == drop_sheet:
            continue
        ws = wb.create_sheet(f"verf_{year}_dsl_{suffix}")
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def dsl_name(year: int) -> str:
    # As distributed, the "ü" of "Verfügbarkeit" is the replacement character U+FFFD.
    return f"{year}_DSL_Verf\ufffdgbarkeit_Deutschland.xlsx"


def build_raw_dir(tmp_path: Path) -> Path:
    """A raw-data folder holding every fixture of the population step."""
    raw = tmp_path / "raw"
    for fixture_dir in (GENESIS_DIR, KREISE_DIR, GEMEINDEN_DIR):
        shutil.copytree(fixture_dir, raw, dirs_exist_ok=True)
    paket = raw / "bnetza_breitbandatlas" / "Paket_1"
    paket.mkdir(parents=True)
    write_dsl_workbook(paket / dsl_name(2005), 2005)
    return raw


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    raw = build_raw_dir(tmp_path_factory.mktemp("population"))
    ctx = make_context(raw, fixture_regions())
    out = population.run(ctx)
    return ctx, out["observations"], pd.DataFrame(ctx.duplicates, columns=TABLES_BY_NAME["duplicates"].column_names), ctx.quarantine.to_frame()


def _obs(obs, indicator, region, period):
    row = obs[(obs["indicator_id"] == indicator) & (obs["region_id"] == region) & (obs["period"] == pd.Timestamp(period).date())]
    assert len(row) == 1, f"{indicator} {region} {period}: {len(row)} rows"
    return row.iloc[0]


# --- cells and markers ----------------------------------------------------------------------------------


def test_markers_become_flags_and_genesis_dash_means_no_value():
    assert parse_cell("-", GENESIS_MARKERS)[1] == "no_value" and math.isnan(parse_cell("-", GENESIS_MARKERS)[0])
    assert parse_cell("-", GV_MARKERS)[:2] == (0.0, "zero")
    value, flag, problem = parse_cell("/", GV_MARKERS)
    assert math.isnan(value) and flag == "not_reliable" and problem is None
    assert parse_cell("1234,5", GV_MARKERS)[0] == 1234.5
    assert parse_cell("n.v.", GV_MARKERS)[2] is not None


def test_footnote_numbers_are_split_from_names():
    assert strip_footnote("Kerken4)") == ("Kerken", "4")
    assert strip_footnote("Bad Driburg, Stadt4)") == ("Bad Driburg, Stadt", "4")
    assert strip_footnote("Flensburg, Stadt") == ("Flensburg, Stadt", None)


# --- GENESIS CSV ------------------------------------------------------------------------------------------

GENESIS_PATH = GENESIS_DIR / GENESIS_FILE


def test_genesis_reads_latin1_header_dates_and_footer():
    table = extract_genesis_csv(GENESIS_PATH, GENESIS_FILE, table_code=GENESIS_TABLE)
    assert table.encoding == "iso-8859-1"
    assert table.dates[0] == "2009-12-31" and table.dates[-1] == "2016-12-31"
    assert table.footer[0] == "Ab 2011: Ergebnisse auf Grundlage des Zensus 2011."
    goe = table.cells[(table.cells["key"] == "03152") & (table.cells["date"] == "2016-12-31")].iloc[0]
    assert goe["name"] == "Göttingen, Landkreis (bis 31.10.2016)"
    assert goe["flag"] == "no_value" and math.isnan(goe["value"]) and goe["raw"] == "-"
    flensburg = table.cells[(table.cells["key"] == "01001") & (table.cells["date"] == "2011-12-31")].iloc[0]
    assert flensburg["value"] == 82801 and flensburg["line"] == 7 and flensburg["column"] == "31.12.2011"


def test_genesis_in_utf8_is_detected_not_garbled(tmp_path):
    path = tmp_path / "utf8.csv"
    path.write_bytes(GENESIS_PATH.read_bytes().decode("iso-8859-1").encode("utf-8"))
    table = extract_genesis_csv(path, "utf8.csv", table_code=GENESIS_TABLE)
    assert table.encoding == "utf-8"
    assert "Göttingen, Landkreis" in set(table.cells["name"])


def test_genesis_in_windows_1252_is_detected(tmp_path):
    path = tmp_path / "cp1252.csv"
    text = GENESIS_PATH.read_bytes().decode("iso-8859-1").replace("Osterode am Harz", "Osterode „am Harz“")
    path.write_bytes(text.encode("cp1252"))
    table = extract_genesis_csv(path, "cp1252.csv", table_code=GENESIS_TABLE)
    assert table.encoding == "cp1252" and "Osterode „am Harz“, Landkreis (bis 31.10.2016)" in set(table.cells["name"])


def test_genesis_in_utf16_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes(GENESIS_PATH.read_bytes().decode("iso-8859-1").encode("utf-16"))
    with pytest.raises(InputError, match=r"utf16\.csv: .*UTF-16"):
        extract_genesis_csv(path, "utf16.csv", table_code=GENESIS_TABLE)


def test_genesis_truncated_file_without_footer_is_refused(tmp_path):
    lines = GENESIS_PATH.read_bytes().split(b"\n")
    path = tmp_path / "cut.csv"
    path.write_bytes(b"\n".join(lines[:10]))
    with pytest.raises(InputError, match="truncated") as err:
        extract_genesis_csv(path, "cut.csv", table_code=GENESIS_TABLE)
    assert err.value.line == 10


def test_genesis_damaged_line_names_its_line(tmp_path):
    lines = GENESIS_PATH.read_bytes().split(b"\n")
    lines[8] = lines[8].rsplit(b";", 2)[0]  # a record cut short
    path = tmp_path / "short.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as err:
        extract_genesis_csv(path, "short.csv", table_code=GENESIS_TABLE)
    assert err.value.line == 9 and "fields" in str(err.value)


def test_genesis_other_table_or_bad_date_header_is_refused(tmp_path):
    text = GENESIS_PATH.read_bytes().decode("iso-8859-1")
    path = tmp_path / "other.csv"
    path.write_bytes(text.replace("12411-0015", "12411-0001").encode("iso-8859-1"))
    with pytest.raises(InputError, match="12411-0001"):
        extract_genesis_csv(path, "other.csv", table_code=GENESIS_TABLE)
    path.write_bytes(text.replace(";31.12.2013;", ";2013;").encode("iso-8859-1"))
    with pytest.raises(InputError, match="not a date") as err:
        extract_genesis_csv(path, "other.csv", table_code=GENESIS_TABLE)
    assert err.value.line == 6 and err.value.column == "field 7"


def test_genesis_cell_that_is_no_number_goes_to_quarantine(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(GENESIS_DIR, raw)
    path = raw / GENESIS_FILE
    path.write_bytes(path.read_bytes().replace(b"01001;Flensburg, kreisfreie Stadt;88502", b"01001;Flensburg, kreisfreie Stadt;88 5O2"))
    ctx = make_context(raw, fixture_regions())
    rows = transform_genesis(ctx)
    q = ctx.quarantine.to_frame()
    assert len(q) == 1
    assert q.iloc[0]["line"] == 7 and q.iloc[0]["column"] == "31.12.2009" and q.iloc[0]["value"] == "88 5O2"
    assert "neither a number" in q.iloc[0]["reason"]
    assert not ((rows["region_id"] == "01001") & (rows["period"] == "2009-12-31")).any()


# --- Gemeindeverzeichnis: Kreise --------------------------------------------------------------------------

KREISE_PATH = KREISE_DIR / GV_KREISE_FILE


def test_kreise_table_rows_land_subtotals_and_national_total():
    table = extract_gv_kreise(KREISE_PATH, GV_KREISE_FILE)
    assert table.sheet == "Kreisfreie Städte u. Landkreise" and table.reference_date == "2018-12-31"
    rows = table.cells.drop_duplicates("line").set_index("line")
    assert rows.loc[9, ["kind", "key", "name"]].tolist() == ["kreis", "01001", "Flensburg, Stadt"]
    # The subtotal row has no key: it takes the Land heading above it.
    assert rows.loc[11, ["kind", "key"]].tolist() == ["land_total", "01"]
    assert rows.loc[32, "kind"] == "national_total"
    # Headings (Länder, regions, the Direktionsbezirk stored as the number 145) carry no figures.
    assert (25, "145", "Direktionsbezirk Chemnitz") in table.headings
    assert any(f.startswith("Quelle:") for f in table.footnotes)
    total = table.cells[(table.cells["kind"] == "national_total") & (table.cells["measure"] == "population")]["value"].iloc[0]
    kreise = table.cells[(table.cells["kind"] == "kreis") & (table.cells["measure"] == "population")]["value"].sum()
    assert total == kreise


def _edit_kreise(tmp_path, edit) -> Path:
    wb = openpyxl.load_workbook(KREISE_PATH)
    edit(wb)
    path = tmp_path / "kreise.xlsx"
    wb.save(path)
    return path


def test_kreise_missing_sheet_is_refused(tmp_path):
    def rename(wb):
        wb["Kreisfreie Städte u. Landkreise"].title = "Tabelle1"
    with pytest.raises(InputError, match="missing") as err:
        extract_gv_kreise(_edit_kreise(tmp_path, rename), "kreise.xlsx")
    assert err.value.sheet == "Kreisfreie Städte u. Landkreise"


def test_kreise_renamed_column_names_sheet_line_and_column(tmp_path):
    def rename(wb):
        wb["Kreisfreie Städte u. Landkreise"]["F5"] = "zusammen"
    with pytest.raises(InputError) as err:
        extract_gv_kreise(_edit_kreise(tmp_path, rename), "kreise.xlsx")
    assert (err.value.sheet, err.value.line, err.value.column) == ("Kreisfreie Städte u. Landkreise", 4, "Bevölkerung insgesamt")


def test_kreise_truncated_sheet_is_refused(tmp_path):
    def cut(wb):
        wb["Kreisfreie Städte u. Landkreise"].delete_rows(20, 30)
    with pytest.raises(InputError, match="national total"):
        extract_gv_kreise(_edit_kreise(tmp_path, cut), "kreise.xlsx")


def test_truncated_workbook_bytes_are_refused(tmp_path):
    path = tmp_path / "half.xlsx"
    data = KREISE_PATH.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cannot be read as an Excel workbook"):
        extract_gv_kreise(path, "half.xlsx")


# --- Gemeindeverzeichnis: Gemeinden -----------------------------------------------------------------------


@pytest.mark.parametrize("relpath", GV_GEMEINDEN_FILES)
def test_gemeinden_records_keys_coordinates_and_degurba(relpath):
    table = extract_gv_gemeinden(GEMEINDEN_DIR / relpath, relpath)
    records = table.records
    assert set(records["record_type"]) == {"land", "rbz", "kreis", "gemeindeverband", "gemeinde"}
    g = records[records["record_type"] == "gemeinde"].set_index("ags")
    # The key is split over Land, RB, Kreis, VB, Gem: AGS = Land + RB + Kreis + Gem.
    assert g.loc["16063076", "ars"] == "160630076076"
    assert g.loc["01001000", "lon"] == pytest.approx(9.43751) and g.loc["01001000", "lat"] == pytest.approx(54.78252)
    assert g.loc["01051003", "degurba"] == "03" and g.loc["01001000", "degurba"] == "01"
    # The condominium has no centre (2016: empty cells).
    assert math.isnan(g.loc["07000999", "lon"])
    assert table.reference_date == f"{relpath.split('/')[-1][4:8]}-12-31"
    assert not table.other_rows


def test_gemeinden_2016_slash_is_not_reliable_and_the_footnote_is_kept():
    table = extract_gv_gemeinden(GEMEINDEN_DIR / GV_2016, GV_2016)
    cells = table.cells[table.cells["ags"] == "05154008"].set_index("measure")
    assert cells.loc["population", "flag"] == "not_reliable" and cells.loc["population", "raw"] == "/"
    assert cells.loc["area_km2", "value"] == pytest.approx(80.11)
    record = table.records[table.records["ags"] == "05154008"].iloc[0]
    assert record["name"] == "Emmerich am Rhein, Stadt" and record["footnote"] == "4"


def _edit_gemeinden(tmp_path, edit, relpath=GV_2017) -> Path:
    wb = openpyxl.load_workbook(GEMEINDEN_DIR / relpath)
    edit(wb[wb.sheetnames[1]])
    path = tmp_path / "gv.xlsx"
    wb.save(path)
    return path


def test_gemeinden_missing_degurba_column_is_refused(tmp_path):
    def drop(ws):
        ws["S3"] = "Sonstiges"
    with pytest.raises(InputError) as err:
        extract_gv_gemeinden(_edit_gemeinden(tmp_path, drop), "gv.xlsx")
    assert err.value.column == "Grad der Verstädterung Schlüssel" and err.value.line == 3


def test_gemeinden_truncated_sheet_is_refused(tmp_path):
    def cut(ws):
        ws.delete_rows(40, 30)
    with pytest.raises(InputError, match="truncated"):
        extract_gv_gemeinden(_edit_gemeinden(tmp_path, cut), "gv.xlsx")


def test_gemeinden_missing_sheet_is_refused(tmp_path):
    def rename(ws):
        ws.title = "Daten"
    with pytest.raises(InputError, match="Onlineprodukt_Gemeinden"):
        extract_gv_gemeinden(_edit_gemeinden(tmp_path, rename), "gv.xlsx")


# --- Breitbandatlas ewz --------------------------------------------------------------------------------------


def test_dsl_population_reads_ewz_of_every_level(tmp_path):
    path = write_dsl_workbook(tmp_path / "dsl.xlsx", 2006)
    cells = extract_dsl_population(path, "dsl.xlsx")
    assert set(cells["level"]) == {"bund", "land", "kreis", "gemeinde"}
    flensburg = cells[(cells["level"] == "gemeinde") & (cells["key"] == "1001000")].iloc[0]
    assert flensburg["value"] == 86080 and flensburg["sheet"] == "verf_2006_dsl_gem" and flensburg["line"] == 2
    blank = cells[(cells["level"] == "kreis") & (cells["key"] == "")].iloc[0]
    assert blank["name"] == "Mittelsachsen" and blank["problem"] == "empty cell"


def test_dsl_population_missing_sheet_or_column_is_refused(tmp_path):
    with pytest.raises(InputError) as err:
        extract_dsl_population(write_dsl_workbook(tmp_path / "a.xlsx", 2006, drop_sheet="lan"), "a.xlsx")
    assert err.value.sheet == "verf_YYYY_dsl_lan"
    with pytest.raises(InputError) as err:
        extract_dsl_population(write_dsl_workbook(tmp_path / "b.xlsx", 2006, krs_header=("ags", "gen", "bez", "verf_dsl", "einwohner")), "b.xlsx")
    assert (err.value.sheet, err.value.line, err.value.column) == ("verf_2006_dsl_krs", 1, "ewz")


# --- the step on the fixtures ------------------------------------------------------------------------------


def test_genesis_values_breaks_and_no_value_flags(fixture_run):
    _, obs, _, _ = fixture_run
    assert _obs(obs, "population", "01001", "2011-12-31")["value"] == 82801
    # 03159 did not exist before 2016-11-01 (GENESIS "-"): the crosswalk sums its two predecessors.
    goettingen = _obs(obs, "population", "03159", "2012-12-31")
    assert goettingen["flag"] == "harmonised" and goettingen["value"] == 247988 + 75245
    assert _obs(obs, "population", "03159", "2016-12-31")["source_id"] == "destatis_genesis_12411"
    assert [b.date for b in INDICATORS_BY_ID["population"].breaks] == ["2011-12-31", "2016-12-31"]


def test_historic_genesis_keys_are_converted_or_quarantined_with_reason(fixture_run):
    _, obs, _, q = fixture_run
    genesis = q[q["file"] == GENESIS_FILE]
    # Göttingen and Osterode: 2009–2015 summed into 03159; their "-" of 2016 stays, explained.
    for key in ("03152", "03156"):
        rows = genesis[genesis["reason"].str.contains(f"historic region key {key} ")]
        assert rows["reason"].str.contains("no value here (marker no_value), nothing to convert", regex=False).all()
        assert len(rows) == 1, key
    assert genesis["reason"].str.contains("historic region key 03201 .*no value here", regex=True).sum() == 8
    # 13001 went to 13075, which the fixture regions lack.
    assert genesis["reason"].str.contains("historic region key 13001 (Greifswald, kreisfreie Stadt, until 2011-09-03): the 2021 unit it went to (13075) is not in the regions", regex=False).sum() == 2
    for key in ("03152", "03156", "03201", "13001"):
        assert not (obs["region_id"] == key).any()


def test_land_and_national_rows_of_the_kreise_table(fixture_run):
    _, obs, _, _ = fixture_run
    period = "2018-12-31"
    kreise = obs[(obs["indicator_id"] == "population") & (obs["region_id"].str.len() == 5) & (obs["period"] == pd.Timestamp(period).date())]
    assert _obs(obs, "population", "DG", period)["value"] == kreise["value"].sum()
    assert _obs(obs, "population", "16", period)["value"] == kreise[kreise["region_id"].str[:2] == "16"]["value"].sum()
    # Hamburg and Berlin have no subtotal row: their single Kreis row is the Land row.
    assert _obs(obs, "population", "02", period)["value"] == _obs(obs, "population", "02000", period)["value"] == 1841179
    assert _obs(obs, "population_density", "01001", period)["value"] == 1578 and pd.isna(_obs(obs, "population_density", "01001", period)["flag"])
    assert _obs(obs, "population_male", "DG", period)["value"] + _obs(obs, "population_female", "DG", period)["value"] == _obs(obs, "population", "DG", period)["value"]


def test_gemeinde_rows_markers_and_derived_sums(fixture_run):
    ctx, obs, _, q = fixture_run
    emmerich = _obs(obs, "population", "05154008", "2016-12-31")
    assert emmerich["flag"] == "not_reliable" and pd.isna(emmerich["value"])
    # 2017: Kreis, Land and Germany are sums of their Gemeinden (flag derived) …
    dith = _obs(obs, "population", "01051", "2017-12-31")
    assert dith["flag"] == "derived" and dith["value"] == 12603 + 21562 + 571
    assert _obs(obs, "area_km2", "01051", "2017-12-31")["value"] == pytest.approx(65.24 + 31.97 + 5.83)
    density = _obs(obs, "population_density", "01051", "2017-12-31")
    assert density["flag"] == "derived" and density["value"] == pytest.approx(dith["value"] / (65.24 + 31.97 + 5.83))
    # … without the condominium outside any Kreis (its own row is quarantined: no unit of 2021).
    assert not ((obs["region_id"] == "07") & (obs["indicator_id"] == "area_km2")).any()
    assert ctx.notes["population"]["left_out_of_sums_2017"] == ["07000999"]
    assert q["reason"].str.contains("region key 07000999").any()
    # 2016: Kleve has a "/" Gemeinde, so Kleve, NRW and Germany get no 2016 sum (Kleve keeps GENESIS).
    for rid in ("05", "DG"):
        assert not ((obs["region_id"] == rid) & (obs["indicator_id"] == "population") & (obs["period"] == pd.Timestamp("2016-12-31").date())).any()
    assert _obs(obs, "population", "05154", "2016-12-31")["source_id"] == "destatis_genesis_12411"
    assert ctx.notes["population"]["no_sum_2016_gemeinde_without_value"]["population"] == ["05154", "05", "DG"]
    # Published Gemeinde density stays as published.
    assert _obs(obs, "population_density", "01001000", "2017-12-31")["value"] == round(88519 / 56.73)


def test_published_genesis_beats_the_sum_of_gemeinden_and_the_pair_is_recorded(fixture_run):
    _, obs, dups, _ = fixture_run
    assert _obs(obs, "population", "01051", "2016-12-31")["source_id"] == "destatis_genesis_12411"
    row = dups[(dups["indicator_id"] == "population") & (dups["period"] == dt.date(2016, 12, 31))].iloc[0]
    assert row["kept_file"] == GENESIS_FILE and row["dropped_file"] == GV_2016
    # Flensburg, Dithmarschen, Hamburg, Göttingen, Berlin, Eisenach, Wartburgkreis (Kleve has no sum);
    # the fixture holds only some Gemeinden of Dithmarschen, Göttingen and the Wartburgkreis.
    assert row["rows"] == 7 and row["rows_differing"] == 3


def test_ewz_rows_keys_and_quarantine(fixture_run):
    _, obs, _, q = fixture_run
    assert _obs(obs, "population", "01001000", "2005-12-31")["value"] == 86080
    assert _obs(obs, "population", "02", "2005-12-31")["source_id"] == "bnetza_breitbandatlas"
    assert _obs(obs, "population", "DG", "2005-12-31")["value"] == 81952936
    dsl = q[q["source_id"] == "bnetza_breitbandatlas"]
    assert (dsl["reason"].str.startswith("row without key and without value")).sum() == 2
    assert dsl["reason"].str.contains("region key 14181 not in").any()


def test_every_observation_is_declared_and_dated_at_year_end(fixture_run):
    _, obs, _, _ = fixture_run
    assert set(obs["indicator_id"]) == {"population", "population_male", "population_female", "area_km2", "population_density"}
    assert all(p.month == 12 and p.day == 31 for p in obs["period"])
    assert obs["value"].notna().sum() + obs["flag"].isin(["no_value", "not_reliable"]).sum() == len(obs)


# --- unit tests with inline frames ------------------------------------------------------------------------


def _rows(*records):
    cols = ["indicator_id", "region_id", "period", "value", "flag", "source_id", "source_file"]
    frame = pd.DataFrame(records, columns=cols)
    return frame.assign(period_type="year", sheet=None, line=None, column="c", raw=None)


def test_copies_in_two_tables_keep_the_declared_one_and_count_differences():
    genesis, gv = "destatis_genesis/12411-0015_bevoelkerung_kreise_2009-2016.csv", "destatis_gemeindeverzeichnis/31122016_Auszug_GV.xlsx"
    cands = _rows(
        ("population", "01001", dt.date(2016, 12, 31), 100.0, "derived", "destatis_gv_gemeinden", gv),
        ("population", "01001", dt.date(2016, 12, 31), 100.0, None, "destatis_genesis_12411", genesis),
        ("population", "01002", dt.date(2016, 12, 31), 90.0, "derived", "destatis_gv_gemeinden", gv),
        ("population", "01002", dt.date(2016, 12, 31), 95.0, None, "destatis_genesis_12411", genesis),
        ("population", "01003", dt.date(2016, 12, 31), 50.0, "derived", "destatis_gv_gemeinden", gv),
    )
    out = resolve_copies(cands)  # the one rule (etl.copies), precedence population_tables
    assert sorted(out.kept["source_file"]) == [gv, genesis, genesis] and out.conflicting.empty
    dups = out.duplicates
    assert len(dups) == 1 and dups.iloc[0][["source_id", "kept_file", "dropped_file", "rows", "rows_differing"]].tolist() == [
        "destatis_genesis_12411", genesis, gv, 2, 1
    ]
    assert dups.iloc[0]["note"].startswith("declared precedence population_tables") and "max |difference| 5" in dups.iloc[0]["note"]


def test_density_is_derived_only_where_not_published():
    cands = _rows(
        ("population", "01001", "2017-12-31", 1000.0, None, "s", "f"),
        ("area_km2", "01001", "2017-12-31", 10.0, None, "s", "f"),
        ("population_density", "01001", "2017-12-31", 99.0, None, "s", "f"),
        ("population", "01002", "2017-12-31", 500.0, "derived", "s", "f"),
        ("area_km2", "01002", "2017-12-31", 4.0, "derived", "s", "f"),
        ("population", "01003", "2017-12-31", 500.0, None, "s", "other"),
        ("area_km2", "01003", "2017-12-31", 4.0, None, "s", "f"),
    )
    density = derive_density(cands)
    assert density[["region_id", "value", "flag"]].values.tolist() == [["01002", 125.0, "derived"]]


def test_density_counts_identical_copies_once_and_none_from_conflicting_ones():
    cands = _rows(
        ("population", "01001", "2017-12-31", 1000.0, None, "s", "f"),
        ("population", "01001", "2017-12-31", 1000.0, None, "s", "f"),  # the record printed twice, as GV 2017 does
        ("area_km2", "01001", "2017-12-31", 10.0, None, "s", "f"),
        ("population", "01002", "2017-12-31", 500.0, None, "s", "f"),
        ("population", "01002", "2017-12-31", 400.0, None, "s", "f"),  # conflicting copies: quarantined by etl.copies
        ("area_km2", "01002", "2017-12-31", 4.0, None, "s", "f"),
    )
    density = derive_density(cands)
    assert density[["region_id", "value", "flag"]].values.tolist() == [["01001", 100.0, "derived"]]


def test_derived_sums_need_every_gemeinde():
    ctx = make_context(FIXTURES, fixture_regions())
    gemeinden = _rows(
        ("population", "01051011", "2017-12-31", 10.0, None, "destatis_gv_gemeinden", "gv.xlsx"),
        ("population", "01051044", "2017-12-31", np.nan, "not_reliable", "destatis_gv_gemeinden", "gv.xlsx"),
        ("population", "01001000", "2017-12-31", 7.0, None, "destatis_gv_gemeinden", "gv.xlsx"),
    )
    out = derive_sums(ctx, gemeinden, kreise={"01051", "01001"}, reference_date="2017-12-31")
    assert out[["region_id", "value"]].values.tolist() == [["01001", 7.0]]
    assert set(out["flag"]) == {"derived"}


@settings(max_examples=20, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["01001000", "01051011", "01051044", "02000000", "03159001", "05154004", "05154008", "16063004", "16063076"]),
        st.integers(0, 4_000_000),
        min_size=1,
    )
)
def test_gemeinde_population_aggregates_to_the_same_national_sum(pops):
    """Gemeinde → Kreis → Land → Germany with etl.aggregate, and derive_sums, keep the total."""
    obs = pd.DataFrame({"indicator_id": "population", "region_id": list(pops), "period": "2017-12-31", "value": [float(v) for v in pops.values()]})
    kreis = aggregate(obs, "kreis")
    land = aggregate(kreis, "land")
    germany = aggregate(land, "bund")
    total = float(sum(pops.values()))
    assert kreis["value"].sum() == land["value"].sum() == germany["value"].iloc[0] == total
    ctx = make_context(FIXTURES, fixture_regions())
    derived = derive_sums(ctx, _rows(*[("population", r, "2017-12-31", float(v), None, "destatis_gv_gemeinden", "gv.xlsx") for r, v in pops.items()]),
                          kreise={r[:5] for r in pops}, reference_date="2017-12-31")
    by_len = derived.groupby(derived["region_id"].str.len())["value"].sum()
    assert by_len[5] == total and derived.loc[derived["region_id"] == "DG", "value"].iloc[0] == total
    assert derived[derived["region_id"].str.len() == 2].query("region_id != 'DG'")["value"].sum() == total


# --- end to end on the real kit -----------------------------------------------------------------------------


def test_regions_have_16_laender_and_401_kreise(warehouse):
    counts = warehouse.sql("SELECT level, count(*) AS n FROM regions GROUP BY level").set_index("level")["n"]
    assert counts["land"] == 16 and counts["kreis"] == 401


def test_kreis_population_2018_sums_to_the_national_total_of_the_same_table(warehouse):
    frame = warehouse.sql(
        "SELECT region_id, value FROM observations WHERE indicator_id = 'population' AND period = DATE '2018-12-31' AND source_id = 'destatis_gv_kreise'"
    ).set_index("region_id")["value"]
    kreise = frame[frame.index.str.len() == 5]
    laender = frame[(frame.index.str.len() == 2) & (frame.index != "DG")]
    assert len(kreise) == 401 and len(laender) == 16
    assert kreise.sum() == frame["DG"] == laender.sum()
    for land, value in laender.items():
        assert kreise[kreise.index.str[:2] == land].sum() == value, land


def test_genesis_historic_keys_are_in_quarantine(warehouse):
    q = warehouse.sql(f"SELECT reason FROM quarantine WHERE source_id = 'destatis_genesis_12411' AND file = '{GENESIS_FILE}'")
    # Göttingen/Osterode 2009–2015 and the Mecklenburg-Vorpommern Kreise of 2009–2010 are converted
    # (etl.territory); what stays is the publisher's "-" for dates after the change, or a part of
    # the split Demmin (a count cannot be divided).
    for key, n in (("03152", 1), ("03156", 1), ("13001", 8), ("13052", 8)):
        assert q["reason"].str.contains(f"historic region key {key} ").sum() == n, key
    # 2009 and 2010 of the seven parts of 13071 and 13075 (Demmin feeds both).
    assert q["reason"].str.contains("a count cannot be divided").sum() == 2 * 7
    kept = warehouse.sql("SELECT count(DISTINCT region_id) AS n FROM observations WHERE source_id = 'destatis_genesis_12411'")["n"].iloc[0]
    assert kept == 401


def test_genesis_and_gemeinde_sums_agree_for_2016(warehouse):
    dups = warehouse.sql("SELECT * FROM duplicates WHERE indicator_id = 'population' AND source_id = 'destatis_genesis_12411'")
    assert len(dups) == 1 and dups["rows"].iloc[0] >= 390 and dups["rows_differing"].iloc[0] == 0


def test_population_series_of_a_kreis_is_complete_2009_to_2018(warehouse):
    years = warehouse.sql(
        "SELECT year(period) AS y FROM observations WHERE indicator_id = 'population' AND region_id = '01001' AND value IS NOT NULL ORDER BY 1"
    )["y"].tolist()
    assert years == list(range(2005, 2019))


@pytest.mark.parametrize(
    ("cell", "text"),
    [(" Kerken4) ", "Kerken4)"), ("   ", ""), ("", ""), (None, ""), (float("nan"), ""), (1001.0, "1001"), (9.5, "9.5"), (7, "7"), (True, "True")],
)
def test_a_cell_as_text(cell, text):
    from etl.extract.cells import as_text

    assert as_text(cell) == text
