"""The inventory of expected raw files (etl/catalogue/inventory.py), checked by
every build before any step runs.

The build tests use a small fixture kit: the Eurostat fixture file under
tests/data, its own inventory recorded by ``record_inventory``, and the real
internet step; a first step stands in for the regions (a few keys with NUTS
codes) and records that it ran.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from etl import paths
from etl.catalogue import SOURCES
from etl.catalogue import inventory as inventory_module
from etl.catalogue.inventory import check_inputs, expected_files, load_inventory, record_inventory, source_of, write_inventory
from etl.cli import main
from etl.steps import Step
from etl.transform import internet

FIXTURE = Path(__file__).parent / "data" / "eurostat_isoc_r_iuse_i"
REL = internet.RELPATH
SOURCE = internet.SOURCE_ID
REGIONS = pd.DataFrame(
    [("DG", "bund", "DE"), ("08", "land", "DE1"), ("11", "land", "DE3"), ("01", "land", "DEF")],
    columns=["region_id", "level", "nuts_id"],
)


# --- the catalogue's inventory ---------------------------------------------------


def test_every_declared_file_is_in_the_inventory_with_checksum_and_edition():
    inventory = load_inventory()
    owners: dict[str, list[str]] = {}
    for source in SOURCES:
        expected = expected_files(source, inventory)
        assert expected, f"{source.id}: no expected files"
        for raw in source.files:
            assert any(inventory_module._matches(raw, rel) for rel in inventory), f"{source.id}: nothing recorded for {raw.path}"
        for rel in expected:
            assert rel in inventory, f"{source.id}: {rel} is declared but not in the inventory"
            owners.setdefault(rel, []).append(source.id)
    assert set(owners) == set(inventory), f"recorded but declared by no source: {sorted(set(inventory) - set(owners))}"
    assert all(len(o) == 1 for o in owners.values()), "a file declared by two sources"
    for rel, entry in inventory.items():
        assert len(entry["sha256"]) == 64 and entry["bytes"] > 0 and entry["edition"], rel
        assert ("lines" in entry) == rel.lower().endswith((".csv", ".tsv")), rel
        assert source_of(rel) == owners[rel][0]


def test_the_kit_is_as_catalogued(kit_dir):
    report = check_inputs(kit_dir, [s.id for s in SOURCES])
    assert {r.status for r in report.rows} == {"as catalogued"}, report.format_table()
    assert len(report.rows) == len(load_inventory())


# --- the build's check, on a fixture kit ------------------------------------------


@pytest.fixture
def fixture_kit(tmp_path, monkeypatch):
    """A raw directory with the Eurostat fixture, its inventory, and the two steps."""
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE, raw)
    inventory, _ = record_inventory(raw, [SOURCE], previous={})
    assert list(inventory) == [REL] and inventory[REL]["lines"] == 15
    catalogue = tmp_path / "checksums.json"
    write_inventory(inventory, catalogue)
    monkeypatch.setattr(inventory_module, "INVENTORY_FILE", catalogue)

    ran: list[str] = []

    def regions(ctx):
        ran.append("regions")
        ctx.regions = REGIONS
        return {}

    def run_internet(ctx):
        ran.append("internet")
        return internet.transform_internet(ctx)

    from etl import build as build_module

    monkeypatch.setattr(build_module, "discover_steps", lambda: [Step("fixture_regions", 0, (), regions), Step("internet", 20, (SOURCE,), run_internet)])
    return raw, tmp_path / "wh", ran


def _build(raw: Path, out: Path, *extra: str) -> int:
    return main(["build", "--raw", str(raw), "--out", str(out), *extra])


def test_a_missing_expected_file_stops_the_build_before_any_step(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    (raw / REL).unlink()
    assert _build(raw, out) == 2
    err = capsys.readouterr().err
    row = next(line.split() for line in err.splitlines() if line.strip().startswith("missing"))
    assert row[:3] == ["missing", SOURCE, REL]  # the table's row
    assert f"error: {REL}: 1 expected raw file missing" in err
    assert f"--without {SOURCE}" in err and "No step has run" in err
    assert ran == [], "a step ran although an expected file was missing"
    assert not (out / "manifest.json").exists()


def test_a_missing_file_of_a_source_left_out_is_no_error(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    (raw / REL).unlink()
    assert _build(raw, out, "--without", SOURCE) == 0
    manifest = json.loads(paths.manifest_path(out).read_text())
    assert manifest["built_without"] == [SOURCE] and manifest["skipped_steps"] == ["internet"]
    assert ran == ["regions"]


def test_a_changed_file_is_named_with_both_checksums_and_used_with_a_warning(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    catalogued = load_inventory()[REL]["sha256"]
    path = raw / REL
    path.write_text(path.read_text().replace("DE1,2019,80.0", "DE1,2019,79.0"))
    found = inventory_module.file_facts(path)["sha256"]
    assert _build(raw, out) == 0
    err = capsys.readouterr().err
    row = next(line for line in err.splitlines() if line.strip().startswith("changed"))
    assert REL in row and catalogued in row and found in row
    assert ran == ["regions", "internet"]
    manifest = json.loads(paths.manifest_path(out).read_text())
    [warning] = manifest["input_warnings"]
    assert warning["file"] == REL and warning["status"] == "changed"
    assert (warning["catalogued_sha256"], warning["found_sha256"]) == (catalogued, found)
    assert manifest["inputs"][REL]["sha256"] == found
    value = pd.read_parquet(paths.table_path(out, "observations")).query("region_id == '08' and period.astype('str') == '2019-12-31'")["value"]
    assert value.tolist() == [79.0], "the changed file is the one used"


def test_a_file_cut_at_a_line_end_is_named_with_its_checksum_and_line_count(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    path = raw / REL
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:6]))
    found = inventory_module.file_facts(path)
    assert _build(raw, out) == 0
    err = capsys.readouterr().err
    assert f"warning: {REL}: 6 lines, far below the 15 of the catalogued edition" in err
    [warning] = json.loads(paths.manifest_path(out).read_text())["input_warnings"]
    assert warning["status"] == "cut" and warning["found_sha256"] == found["sha256"]
    assert (warning["found_lines"], warning["catalogued_lines"]) == (6, 15)


def test_a_file_the_inventory_does_not_know_is_reported(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    catalogue = inventory_module.INVENTORY_FILE
    write_inventory({}, catalogue)
    assert _build(raw, out) == 0
    [warning] = json.loads(paths.manifest_path(out).read_text())["input_warnings"]
    assert warning["status"] == "not catalogued" and warning["file"] == REL


def test_accepting_a_new_edition_records_it(fixture_kit, capsys):
    raw, out, ran = fixture_kit
    path = raw / REL
    path.write_text(path.read_text() + "isoc_r_iuse_i,I_IDAY,PC_IND,DE1,2020,84.0\n")
    assert main(["checksums", "--raw", str(raw), "--source", SOURCE]) == 2
    assert "name the edition" in capsys.readouterr().err
    assert main(["checksums", "--raw", str(raw), "--source", SOURCE, "--edition", "2006/2020"]) == 0
    entry = load_inventory()[REL]
    assert entry["edition"] == "2006/2020" and entry["lines"] == 16
    assert entry["sha256"] == inventory_module.file_facts(path)["sha256"]
    assert _build(raw, out) == 0
    assert json.loads(paths.manifest_path(out).read_text())["input_warnings"] == []
