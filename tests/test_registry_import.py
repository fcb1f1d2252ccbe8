"""``python -m etl import-registry``: the template, good and bad files, the step ``registries``.

Fixtures: the shipped template (data/templates/registry_template.csv/.xlsx) as
the good file; tests/data/registries/import/bad_rows.csv with one problem per
row (unknown region, an amount "12 Mio", year 1850, ``=HYPERLINK(…)``, ``@`` and
``-5`` at the start of a cell, a duplicate id with different content, an exact
copy, a partly unknown region list, a bare "Mühlhausen" with and without Land,
an end before the start, no id); Latin-1, formula and missing-column files are
written by the tests. The warehouse is a small one (real regions, the sources
table, one quarantine row of another source) written with ``write_warehouse``.
An import keeps the file and rebuilds the build step ``registries`` alone
(``build --only registries``), which loads every kept registry.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from etl import paths
from etl.build import build, sources_table
from etl.catalogue import TABLES_BY_NAME
from etl.cli import main
from etl.errors import InputError
from etl.extract.registries import read_csv_records, read_xlsx_records
from etl.load import read_manifest, write_warehouse
from etl.registry_import import COLUMN_NAMES, REQUIRED, TEMPLATE_COLUMNS, NoValidRows, import_registry, kept_registries
from etl.transform.region_attributes import peer_types
from etl.warehouse import Warehouse

IMPORT_FIXTURES = Path(__file__).parent / "data" / "registries" / "import"
TEMPLATE_CSV = paths.TEMPLATES_DIR / "registry_template.csv"
TEMPLATE_XLSX = paths.TEMPLATES_DIR / "registry_template.xlsx"


@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory, kit_regions) -> Path:
    out = tmp_path_factory.mktemp("import") / "wh"
    other = pd.DataFrame([{"source_id": "kba_fz1", "file": "kba_fz1/x.csv", "sheet": None, "line": 3, "column": "a",
                           "value": "x", "reason": "an earlier entry of another source", "target_table": "observations", "step": "vehicles"}])
    regions = kit_regions.assign(peer_type=peer_types(kit_regions))  # a column the build's attribute step adds
    write_warehouse(out, {"regions": regions, "sources": sources_table(), "quarantine": other}, {"built_at": "test", "notes": {"x": 1}})
    return out


@pytest.fixture
def wh(base_warehouse, tmp_path) -> Path:
    target = tmp_path / "wh"
    shutil.copytree(base_warehouse, target)
    return target


def table(wh: Path, name: str) -> pd.DataFrame:
    return Warehouse(wh).table(name)


# ---------------------------------------------------------------- the template


def test_template_imports_and_keeps_the_other_tables(wh):
    result = import_registry(TEMPLATE_CSV, "verein-test", warehouse=wh, title="Testregister", licence="CC BY 4.0")
    assert result.written and result.messages == []
    projects = table(wh, "projects")
    assert sorted(projects["project_id"]) == ["MPSC-2019-02", "MPSC-2020-39", "MPSC-2021-61"]
    regions = table(wh, "project_regions").set_index(["project_id", "region_id"])
    assert regions.loc[("MPSC-2020-39", "02000000"), "role"] == "lead"
    assert regions.loc[("MPSC-2020-39", "09162000"), "role"] == "partner"
    assert regions.loc[("MPSC-2021-61", "09763000"), "method"] == "key"
    assert set(table(wh, "project_sectors")["project_id"]) == set(projects["project_id"])
    reg = table(wh, "registries").set_index("registry_id").loc["verein-test"]
    assert reg["origin"] == "import" and reg["projects"] == 3 and reg["title"] == "Testregister"
    # the rest of the warehouse is as it was
    assert len(table(wh, "sources")) == len(sources_table())
    q = table(wh, "quarantine")
    assert q["reason"].tolist() == ["an earlier entry of another source"]
    manifest = read_manifest(wh)
    assert manifest["notes"]["x"] == 1 and manifest["notes"]["registries"]["verein-test"]["projects"] == 3
    assert manifest["row_counts"]["projects"] == 3 and manifest["parts"]["projects"] == {"registries": 3}
    assert manifest["partial_build_of"] == "registries" and manifest["rebuilt_steps"] == ["registries"]
    # only the step's parts and the catalogue's tables are new files; regions is carried by hard link
    assert (wh.resolve() / "regions.parquet").stat().st_nlink > 1


def test_xlsx_template_has_the_csv_rows_and_imports_the_same(wh, tmp_path):
    csv_rows = read_csv_records(TEMPLATE_CSV, TEMPLATE_CSV.name).drop(columns=["_problem", "line"])
    xlsx_rows, sheet = read_xlsx_records(TEMPLATE_XLSX, TEMPLATE_XLSX.name, sheet="projects")
    assert sheet == "projects"
    pd.testing.assert_frame_equal(csv_rows, xlsx_rows.drop(columns=["_problem", "line"]), check_dtype=False)
    import_registry(TEMPLATE_CSV, "aus-csv", warehouse=wh)
    import_registry(TEMPLATE_XLSX, "aus-xlsx", warehouse=wh)
    pr = table(wh, "project_regions")
    by = {rid: sorted(zip(g["project_id"], g["region_id"], g["role"])) for rid, g in pr.groupby("registry_id")}
    assert by["aus-csv"] == by["aus-xlsx"]


def test_template_readme_documents_every_column_and_the_attribution():
    readme = (paths.TEMPLATES_DIR / "README.md").read_text(encoding="utf-8")
    header = read_csv_records(TEMPLATE_CSV, TEMPLATE_CSV.name).columns
    assert [c for c in header if c not in ("line", "_problem")] == list(COLUMN_NAMES)
    for col in TEMPLATE_COLUMNS:
        assert f"| `{col.name}` | {'yes' if col.required else 'no'} |" in readme, col.name
    assert "Modellprojekte Smart Cities (BMWSB/KfW), compiled from public notices" in readme
    assert REQUIRED == ("project_id", "title", "regions")


# ---------------------------------------------------------------- bad rows


def test_bad_rows_are_quarantined_per_row_and_column_and_valid_rows_load(wh):
    result = import_registry(IMPORT_FIXTURES / "bad_rows.csv", "verein-bad", warehouse=wh)
    projects = table(wh, "projects").set_index("project_id")
    assert sorted(projects.index) == ["P-001", "P-007", "P-008", "P-010"]
    q = table(wh, "quarantine")
    q = q[q["source_id"] == "verein-bad"]
    reasons = {(int(r.line), r.column): r.reason for r in q.itertuples() if not pd.isna(r.column)}
    assert reasons[(3, "regions")].startswith("no region resolves")
    assert reasons[(4, "funding_federal_eur")].startswith("amount is not a number")
    assert reasons[(5, "start_year")].startswith("year out of range 1990–2050")
    assert "formula injection" in reasons[(6, "title")]
    assert "different content" in reasons[(7, "project_id")] and "different content" in reasons[(8, "project_id")]
    assert reasons[(10, "project_id")] == "duplicate project_id: exact copy of line 9, not loaded again"
    assert reasons[(11, "regions")].startswith("region not linked: unknown region name 'Atlantis'")
    assert "16064046 Mühlhausen/Thüringen" in reasons[(12, "regions")]  # refused with its candidates
    assert reasons[(14, "end_year")].startswith("end_year before start_year")
    assert reasons[(15, "project_id")].startswith("project_id is empty")
    assert "formula injection" in reasons[(16, "title")] and "formula injection" in reasons[(17, "funding_total_eur")]
    # partial problems of a loaded row
    assert reasons[(2, "themes")] == "theme not in sector mapping"
    assert reasons[(2, "sectors")].startswith("unknown sector")
    assert reasons[(2, "url")].startswith("not a web address")
    # a formula is stored neutralised (as text for any spreadsheet that opens an export)
    assert q.loc[(q["line"] == 6) & (q["column"] == "title"), "value"].iloc[0] == "'=HYPERLINK(\"http://evil.example\",\"klick\")"
    # messages name file, line and column
    assert "bad_rows.csv, line 4, column 'funding_federal_eur': amount is not a number" in "\n".join(result.messages)
    # loaded rows: values as given, Land context, declared sector
    assert projects.loc["P-001", "funding_total_eur"] == 12000.5 and projects.loc["P-001", "urls"] == "https://example.org/p1"
    pr = table(wh, "project_regions").set_index("project_id")
    assert pr.loc["P-010", "region_id"] == "16064046" and pr.loc["P-010", "method"] == "land"
    assert pr.loc["P-008", "region_id"] == "16053000"
    ps = table(wh, "project_sectors")
    assert set(ps.loc[ps["project_id"] == "P-001", "basis"]) == {"theme", "declared"}
    reg = table(wh, "registries").set_index("registry_id").loc["verein-bad"]
    assert reg["rows_read"] == 16 and reg["projects"] == 4 and reg["projects_quarantined"] == 12


def test_formula_cells_in_xlsx_are_rejected(wh, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "projects"
    sheet.append(["project_id", "title", "regions"])
    sheet.append(["X-1", '=HYPERLINK("http://evil.example","klick")', "Jena"])
    sheet.append(["X-2", "Gutes Projekt", "16053000"])
    sheet.append([3, "Zahl als Id", 9162000])  # numbers from a spreadsheet: the key lost its leading zero
    f = tmp_path / "formel.xlsx"
    book.save(f)
    result = import_registry(f, "verein-xlsx", warehouse=wh)
    loaded = table(wh, "projects")
    assert sorted(loaded["project_id"]) == ["3", "X-2"]
    assert any("sheet 'projects', line 2, column 'title'" in m and "formula" in m for m in result.messages)
    pr = table(wh, "project_regions").set_index("project_id")
    assert pr.loc["3", "region_id"] == "09162000"


# ---------------------------------------------------------------- files that cannot be read


def test_latin1_file_is_refused_and_the_warehouse_untouched(wh, tmp_path):
    before = (wh / "manifest.json").read_text(encoding="utf-8")
    f = tmp_path / "latin1.csv"
    f.write_bytes("project_id;title;regions\nP-1;Bürgerportal;Köln\n".encode("latin-1"))
    with pytest.raises(InputError) as err:
        import_registry(f, "verein-latin", warehouse=wh)
    assert err.value.line == 2 and "not UTF-8" in str(err.value) and "CSV UTF-8" in str(err.value)
    assert (wh / "manifest.json").read_text(encoding="utf-8") == before


def test_missing_column_and_wrong_format_are_refused(wh, tmp_path):
    f = tmp_path / "ohne.csv"
    f.write_text("project_id,title\nP-1,Test\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_registry(f, "verein-x", warehouse=wh)
    assert err.value.column == "regions" and err.value.line == 1
    g = tmp_path / "liste.ods"
    g.write_bytes(b"PK")
    with pytest.raises(InputError, match="expected a .csv or .xlsx"):
        import_registry(g, "verein-x", warehouse=wh)


def test_ids_of_kit_sources_and_odd_ids_are_refused(wh):
    with pytest.raises(InputError, match="source of the kit"):
        import_registry(TEMPLATE_CSV, "mpsc", warehouse=wh)
    with pytest.raises(InputError, match="lower-case"):
        import_registry(TEMPLATE_CSV, "Mein Register", warehouse=wh)


def test_a_warehouse_of_the_layout_before_the_step_is_refused_and_nothing_kept(wh, tmp_path):
    """The project tables stored whole (a warehouse built before the step registries): exit 2, run a full build."""
    import json

    pd.DataFrame(columns=TABLES_BY_NAME["projects"].column_names).to_parquet(wh / "projects.parquet")
    manifest = json.loads((wh / "manifest.json").read_text(encoding="utf-8"))
    (wh / "manifest.json").write_text(json.dumps({**manifest, "tables": [*manifest["tables"], "projects"]}), encoding="utf-8")
    with pytest.raises(InputError, match="run a full build first"):
        import_registry(TEMPLATE_CSV, "verein-alt", warehouse=wh)
    assert kept_registries() == []


def test_no_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="run `python -m etl build` first"):
        import_registry(TEMPLATE_CSV, "verein-x", warehouse=tmp_path / "leer")


# ---------------------------------------------------------------- re-import, dry run, command line


def test_importing_the_same_id_again_replaces_it(wh):
    import_registry(IMPORT_FIXTURES / "bad_rows.csv", "verein-neu", warehouse=wh)
    import_registry(TEMPLATE_CSV, "verein-neu", warehouse=wh)
    assert len(table(wh, "projects")) == 3
    q = table(wh, "quarantine")
    assert (q["source_id"] == "verein-neu").sum() == 0  # the old entries of this id are gone
    assert len(table(wh, "registries")) == 1


def test_dry_run_writes_nothing(wh):
    before = (wh / "manifest.json").read_text(encoding="utf-8")
    result = import_registry(IMPORT_FIXTURES / "bad_rows.csv", "verein-probe", warehouse=wh, dry_run=True)
    assert not result.written and result.build.summary()["projects"] == 4
    assert (wh / "manifest.json").read_text(encoding="utf-8") == before
    assert kept_registries() == []


def test_an_import_is_kept_and_a_rebuilt_warehouse_gets_it_again(wh, base_warehouse, tmp_path):
    import_registry(IMPORT_FIXTURES / "bad_rows.csv", "verein-alt", warehouse=wh)
    import_registry(TEMPLATE_CSV, "verein-keep", warehouse=wh, title="Testregister", licence="CC BY 4.0", url="https://example.org/register")
    (registry_id_a, file_a, _), (registry_id_b, file_b, meta_b) = kept_registries()
    assert (registry_id_a, file_a.name) == ("verein-alt", "bad_rows.csv")
    assert (registry_id_b, file_b.name) == ("verein-keep", TEMPLATE_CSV.name)
    assert {k: meta_b[k] for k in ("title", "licence", "url")} == {"title": "Testregister", "licence": "CC BY 4.0", "url": "https://example.org/register"}
    assert meta_b["sha256"] and meta_b["imported_at"][:4].isdigit()
    assert file_b.read_bytes() == TEMPLATE_CSV.read_bytes()
    # Importing an id again replaces what is kept of it, and its rows.
    import_registry(TEMPLATE_CSV, "verein-alt", warehouse=wh)
    assert [(rid, f.name) for rid, f, _ in kept_registries()] == [("verein-alt", TEMPLATE_CSV.name), ("verein-keep", TEMPLATE_CSV.name)]
    assert not (paths.registries_dir() / "verein-alt" / "bad_rows.csv").exists()
    assert sorted(p.name for p in paths.registries_dir().iterdir()) == ["verein-alt", "verein-keep"]  # no debris of the swap

    # A warehouse without them gets both back by rerunning the step, as imported.
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(base_warehouse, rebuilt)
    build(raw_dir=tmp_path, out=rebuilt, only="registries", log=lambda m: None)
    for name in ("projects", "project_regions", "project_sectors", "registries", "quarantine"):
        before, after = table(wh, name), table(rebuilt, name)
        pd.testing.assert_frame_equal(after.sort_values(list(after.columns)).reset_index(drop=True),
                                      before.sort_values(list(before.columns)).reset_index(drop=True), check_dtype=False)
    reg = table(rebuilt, "registries").set_index("registry_id").loc["verein-keep"]
    assert reg["title"] == "Testregister" and reg["licence"] == "CC BY 4.0" and reg["date"] == meta_b["imported_at"][:10]
    assert set(read_manifest(rebuilt)["notes"]["registries"]) == {"verein-alt", "verein-keep"}


def test_a_kept_registry_that_can_no_longer_be_read_is_reported_and_the_others_load(wh, base_warehouse, tmp_path):
    import_registry(TEMPLATE_CSV, "verein-a", warehouse=wh)
    import_registry(TEMPLATE_CSV, "verein-b", warehouse=wh)
    (paths.registries_dir() / "verein-a" / TEMPLATE_CSV.name).write_bytes("project_id;title\nP-1;Stra\xdfe\n".encode("latin-1"))
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(base_warehouse, rebuilt)
    log = []
    build(raw_dir=tmp_path, out=rebuilt, only="registries", log=log.append)
    assert set(table(rebuilt, "registries")["registry_id"]) == {"verein-b"}
    assert any(m.startswith("registry verein-a: not loaded") and "not UTF-8" in m for m in log)
    q = table(rebuilt, "quarantine")
    assert q.loc[q["source_id"] == "verein-a", "reason"].str.startswith("kept registry not loaded").all()
    assert read_manifest(rebuilt)["notes"]["registries"]["verein-a"]["status"].startswith("not loaded")


def test_the_registries_step_reads_the_store_in_every_full_build():
    """A full build runs every discovered step: the kept registries are one of them, after the kit's."""
    from etl.steps import discover_steps, select_steps

    steps = {s.name: s for s in discover_steps()}
    assert steps["registries"].source_ids == () and steps["registries"].order > steps["projects"].order
    assert [s.name for s in select_steps(list(steps.values()), "registries")] == ["registries"]
    assert "registries" in [s.name for s in select_steps(sorted(steps.values(), key=lambda s: s.order), "bkg_vg5000")]


def test_an_import_into_the_kit_warehouse_rewrites_only_the_parts_of_the_step(warehouse, tmp_path):
    """On a full build of the kit: the step registries alone reruns; every
    other table, part and map file is the previous version's file (hard link)."""
    if "projects" not in warehouse.manifest.get("parts", {}):
        pytest.skip("the reused warehouse (DSR_TEST_WAREHOUSE) stores the project tables whole: rebuild it")
    target = tmp_path / "wh"
    shutil.copytree(warehouse.directory, target, copy_function=os.link)
    import_registry(TEMPLATE_CSV, "verein-kit", warehouse=target, title="Testregister")
    new = target.resolve()
    manifest = read_manifest(new)
    assert manifest["rebuilt_steps"] == ["registries"] and manifest["partial_build_of"] == "registries"
    for name in ("projects", "project_regions", "project_sectors", "registries"):
        assert manifest["parts"][name]["projects"] == warehouse.manifest["parts"][name]["projects"]  # the kit's rows kept
        assert manifest["parts"][name]["registries"] == len(table(new, name).query("registry_id == 'verein-kit'"))
    assert manifest["row_counts"]["projects"] == warehouse.manifest["parts"]["projects"]["projects"] + 3  # the test's store holds only verein-kit
    rewritten = {"sources.parquet", "indicators.parquet", "flags.parquet", "manifest.json"}
    rewritten |= {f"{name}/registries.parquet" for name in ("projects", "project_regions", "project_sectors", "registries")}
    for file in sorted(p for p in new.rglob("*") if p.is_file()):
        rel = file.relative_to(new).as_posix()
        before = warehouse.directory / rel
        same = before.exists() and file.stat().st_ino == before.stat().st_ino
        assert same == (rel not in rewritten), f"{rel}: {'carried' if same else 'rewritten'}"


def test_a_failed_rebuild_leaves_the_kept_copy_and_the_warehouse_as_they_were(wh, monkeypatch):
    import etl.build as build_module

    import_registry(TEMPLATE_CSV, "verein-fest", warehouse=wh, title="Erste Fassung")
    kept_before = [(rid, f.read_bytes(), meta) for rid, f, meta in kept_registries()]
    manifest_before = (wh / "manifest.json").read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "stage_warehouse", broken)
    with pytest.raises(OSError, match="disk full"):
        import_registry(IMPORT_FIXTURES / "bad_rows.csv", "verein-fest", warehouse=wh, title="Zweite Fassung")
    assert [(rid, f.read_bytes(), meta) for rid, f, meta in kept_registries()] == kept_before
    assert (wh / "manifest.json").read_text(encoding="utf-8") == manifest_before
    with pytest.raises(OSError):  # a new id is not kept either
        import_registry(TEMPLATE_CSV, "verein-neu", warehouse=wh)
    assert [rid for rid, _, _ in kept_registries()] == ["verein-fest"]
    assert sorted(p.name for p in paths.registries_dir().iterdir()) == ["verein-fest"]


def test_command_line_exit_codes(wh, tmp_path, capsys):
    assert main(["import-registry", str(TEMPLATE_CSV), "--id", "verein-cli", "--warehouse", str(wh)]) == 0
    assert main(["import-registry", str(IMPORT_FIXTURES / "bad_rows.csv"), "--id", "verein-cli2", "--warehouse", str(wh)]) == 1
    err = capsys.readouterr().err
    assert "bad_rows.csv, line 5, column 'start_year': year out of range" in err
    f = tmp_path / "latin1.csv"
    f.write_bytes("project_id,title,regions\nP-1,Straße,Köln\n".encode("latin-1"))
    assert main(["import-registry", str(f), "--id", "verein-cli3", "--warehouse", str(wh)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


# ---------------------------------------------------------------- a file without valid rows never replaces a registry


def test_header_only_import_keeps_the_registry_and_its_kept_copy(wh, capsys):
    import_registry(TEMPLATE_CSV, "verein-leer", warehouse=wh, title="Testregister")
    manifest_before = (wh / "manifest.json").read_text(encoding="utf-8")
    kept_before = [(rid, f.read_bytes(), meta) for rid, f, meta in kept_registries()]
    header_only = IMPORT_FIXTURES / "header_only.csv"
    with pytest.raises(NoValidRows, match="header_only.csv: has a header but no rows; nothing imported"):
        import_registry(header_only, "verein-leer", warehouse=wh)
    assert (wh / "manifest.json").read_text(encoding="utf-8") == manifest_before
    assert [(rid, f.read_bytes(), meta) for rid, f, meta in kept_registries()] == kept_before
    assert len(table(wh, "projects")) == 3
    # the command line: exit 2, the file named, the registry untouched
    assert main(["import-registry", str(header_only), "--id", "verein-leer", "--warehouse", str(wh)]) == 2
    err = capsys.readouterr().err
    assert "header_only.csv: has a header but no rows" in err and "'verein-leer'" in err
    assert (wh / "manifest.json").read_text(encoding="utf-8") == manifest_before


def test_a_file_whose_every_row_is_refused_is_refused_as_a_whole(wh, tmp_path, capsys):
    f = tmp_path / "alle_falsch.csv"
    f.write_text("project_id,title,regions\nP-1,Test,Atlantis\nP-2,,Jena\n", encoding="utf-8")
    assert main(["import-registry", str(f), "--id", "verein-falsch", "--warehouse", str(wh)]) == 2
    err = capsys.readouterr().err
    assert "alle_falsch.csv, line 2, column 'regions': no region resolves" in err
    assert "alle_falsch.csv: has no valid row (2 read, all refused" in err
    assert kept_registries() == [] and "registries" not in read_manifest(wh)["tables"]  # nothing written


@pytest.mark.parametrize(
    "lat, lon, point, problem",
    [
        ("50,9375", "6,9603", (50.9375, 6.9603), None),  # decimal comma
        ("50.9375", " 6.9603", (50.9375, 6.9603), None),
        ("6.9603", "50.9375", None, "look swapped"),
        ("40.4168", "-3.7038", None, "outside Germany"),
        ("50.9375", "", None, "go together"),
        ("50°56'15\"N", "6°57'37\"E", None, "not a decimal degree"),
    ],
)
def test_coordinates_are_read_or_refused_with_the_reason(lat, lon, point, problem):
    from etl.registry_import import parse_point

    got, why = parse_point(lat.strip(), lon.strip())
    assert got == point and (problem is None) == (why is None) and (problem is None or problem in why)


def test_a_namesake_among_other_regions_is_the_one_in_their_land(wh, tmp_path):
    """"Nürnberg; Fürth; Erlangen" means the Bavarian Fürth, "Darmstadt; Fürth"
    the one in Hessen (Kreis Bergstraße); "Fürth" alone stays ambiguous, and so
    does a namesake beside regions of two Länder."""
    header = ",".join(COLUMN_NAMES)
    rows = [
        ("P-1", "Nürnberg; Fürth; Erlangen"), ("P-2", "Darmstadt; Fürth"), ("P-3", "Fürth"),
        ("P-4", "Erlangen; Darmstadt; Fürth"), ("P-5", "Fürth; Nürnberg"),
    ]
    lines = [header] + [",".join([pid, "Projekt", f'"{regions}"'] + [""] * (len(COLUMN_NAMES) - 3)) for pid, regions in rows]
    path = tmp_path / "fuerth.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = import_registry(path, "fuerth", warehouse=wh)
    links = table(wh, "project_regions")
    linked = links.groupby("project_id")["region_id"].agg(set).to_dict()
    assert linked["P-1"] == {"09564000", "09563000", "09562000"}
    assert linked["P-2"] == {"06411000", "06431007"}
    assert "P-3" not in linked  # refused: no other region to tell
    assert linked["P-4"] == {"09562000", "06411000"}  # two Länder: Fürth not linked
    assert linked["P-5"] == {"09564000", "09563000"}
    lead = links[(links["project_id"] == "P-5") & (links["region_id"] == "09563000")]
    assert lead["role"].tolist() == ["lead"]
    assert any("'Fürth'" in m and "ambiguous" in m for m in result.messages)
