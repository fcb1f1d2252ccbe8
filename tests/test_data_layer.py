"""The app's data layer (dashboard/data.py): the only code of the app that
touches the warehouse, its frames shared between sessions and never modified,
and the same answers on every page."""

from __future__ import annotations

import ast
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
PAGES = ["views/karte.py", "views/steckbrief.py", "views/vergleich.py", "views/trends.py", "views/sektoren.py", "views/projekte.py", "views/quellen.py"]
PAGE_PARAMS = {
    "views/steckbrief.py": {"region": "03159"},
    "views/vergleich.py": {"regions": "03159,09162", "peers": "type,size"},
    "views/trends.py": {"regions": "03159,09162"},
    "views/projekte.py": {"project": "mpsc:MPSC-2019-02"},
}


def _modules():
    for path in sorted(DASHBOARD.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_data_layer_touches_the_warehouse():
    """No other module of the app opens the warehouse, DuckDB or Parquet files."""
    offenders = []
    for path, tree in _modules():
        if path.name == "data.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("etl.warehouse", "duckdb", "pyarrow.parquet"):
                offenders.append(f"{path.relative_to(DASHBOARD)}: from {node.module}")
            if isinstance(node, ast.Import) and any(a.name in ("duckdb", "pyarrow.parquet") for a in node.names):
                offenders.append(f"{path.relative_to(DASHBOARD)}: import")
            if isinstance(node, ast.Attribute) and node.attr in ("read_parquet", "sql") and isinstance(node.value, (ast.Name, ast.Attribute)):
                offenders.append(f"{path.relative_to(DASHBOARD)}:{node.lineno}: .{node.attr}")
    assert offenders == []


def test_no_module_uses_a_private_name_of_another():
    """``module._name`` or ``from module import _name`` across the app's modules."""
    own = {p.stem for p in DASHBOARD.rglob("*.py")}
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if isinstance(node.value, ast.Name) and node.value.id in own and node.value.id != path.stem:
                    offenders.append(f"{path.relative_to(DASHBOARD)}:{node.lineno}: {node.value.id}.{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dashboard"):
                offenders += [f"{path.relative_to(DASHBOARD)}:{node.lineno}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []


def test_shared_frames_are_one_object_and_unchanged_after_every_page(open_app, warehouse, monkeypatch):
    from dashboard import data

    monkeypatch.setenv("DSR_WAREHOUSE", str(warehouse.directory))
    v = data.version()

    def readers() -> dict:
        return {
            "regions": data.regions(v), "indicators": data.indicators(v), "sources": data.sources(v),
            "projects": data.table(v, "projects"), "project_regions": data.table(v, "project_regions"),
            "kreis_neighbours": data.neighbours(v, "kreis"), "project_assignments": data.project_assignments(v),
        }

    shared = readers()
    snapshot = {name: frame.copy(deep=True) for name, frame in shared.items()}
    for page in PAGES:
        open_app(page, **PAGE_PARAMS.get(page, {}))
    again = readers()
    for name, frame in again.items():
        assert frame is shared[name], f"{name}: a copy per call, not one shared object"
        assert frame.equals(snapshot[name]), f"{name} was modified by a page"


def test_indicators_are_listed_in_natural_order_of_their_keys(warehouse, monkeypatch, open_app):
    """A series' thresholds by their number (≥ 2 before ≥ 10 Mbit/s), in the
    data layer and so in the Karte page's indicator list."""
    from dashboard import data

    monkeypatch.setenv("DSR_WAREHOUSE", str(warehouse.directory))
    ids = list(data.indicators(data.version()).index)
    series = [i for i in ids if i.startswith("bb_hh_all_") and i.removeprefix("bb_hh_all_").isdigit()]
    assert [int(i.rsplit("_", 1)[1]) for i in series] == sorted(int(i.rsplit("_", 1)[1]) for i in series)
    assert len(series) >= 10 and sorted(ids) == sorted(set(ids))
    at = open_app(level="kreis", topic="broadband")
    options = [o for o in at.selectbox(key="karte.ind").options if o.startswith("Breitband Haushalte, alle Technologien")]
    assert options.index("Breitband Haushalte, alle Technologien, ≥ 2 Mbit/s (%)") < options.index("Breitband Haushalte, alle Technologien, ≥ 10 Mbit/s (%)")


def test_the_quarantine_summary_is_read_when_shown_and_not_kept(open_app, warehouse, monkeypatch):
    """The manifest's quarantine summary (``MANIFEST_ON_DEMAND``, 12 MB as
    Python objects on the full kit) is in no reader's manifest and in no
    object of the app after the Quellen page showed it; the page reads it
    from the file (``data.full_manifest``)."""
    from dashboard import data
    from etl.warehouse import MANIFEST_ON_DEMAND, Warehouse

    monkeypatch.setenv("DSR_WAREHOUSE", str(warehouse.directory))
    v = data.version()
    on_disk = json.loads((Path(warehouse.directory) / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["quarantine_by_source_and_reason"] and "quarantine_by_source_and_reason" in MANIFEST_ON_DEMAND
    assert data.full_manifest(v) == on_disk
    for kept in (data.manifest(v), Warehouse(warehouse.directory).manifest):
        assert kept == {k: val for k, val in on_disk.items() if k not in MANIFEST_ON_DEMAND}
    at = open_app("views/quellen.py")
    assert any("Grund" in d.value.columns for d in at.dataframe), "the summary is shown"
    gc.collect()
    holders = [o for o in gc.get_objects() if isinstance(o, dict) and "quarantine_by_source_and_reason" in o and o is not on_disk]
    assert holders == [], "the whole manifest is kept after the page ran"


def test_arrow_buffers_are_allocated_by_the_system_allocator(open_app):
    """``dashboard.memory``: a process that starts the app (``streamlit run``
    imports pyarrow only with the first page) gets Arrow's system pool from the
    environment, unless the operator chose a pool; a process that imported
    pyarrow before (AppTest) gets pyarrow's default pool switched."""
    import pyarrow as pa

    code = "from dashboard.memory import use_system_allocator_for_arrow as use; use(); import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: val for k, val in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for chosen, expected in ((None, "system"), ("mimalloc", "mimalloc")):
        run_env = env if chosen is None else {**env, "ARROW_DEFAULT_MEMORY_POOL": chosen}
        out = subprocess.run([sys.executable, "-c", code], cwd=DASHBOARD.parent, env=run_env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        open_app("views/quellen.py")
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)


def test_duckdb_flushes_its_allocator_after_a_query(warehouse):
    """``etl.warehouse``: the reader's DuckDB flushes its allocator's thread
    caches after any query above ``ALLOCATOR_FLUSH_THRESHOLD`` (DuckDB's
    default, 128 MB, is never reached by the app's queries) and purges freed
    pages in background threads."""
    import duckdb

    from etl.warehouse import ALLOCATOR_FLUSH_THRESHOLD, Warehouse

    query = "SELECT current_setting('allocator_flush_threshold') AS flush, current_setting('allocator_background_threads') AS background"
    fresh = duckdb.connect()
    default = fresh.execute(query).fetchone()
    fresh.execute(f"SET allocator_flush_threshold = '{ALLOCATOR_FLUSH_THRESHOLD}'")
    wanted = fresh.execute(query).fetchone()[0]
    got = Warehouse(warehouse.directory).sql(query).iloc[0]
    assert wanted != default[0] and default[1] is False
    assert got["flush"] == wanted and bool(got["background"]) is True


@pytest.mark.parametrize("region_id", ["03159", "03159016"])
def test_a_region_has_the_same_population_and_peer_group_on_every_page(open_app, warehouse, region_id):
    """A Kreis and a Gemeinde: the population shown on the Steckbrief is the
    build's latest population (regions.population), and Steckbrief, Vergleich
    and Projekte use one peer group."""
    from dashboard import compare_ui, peers

    regions = warehouse.table("regions").set_index("region_id", drop=False)
    group = peers.peer_group(regions, region_id)
    profile = open_app("views/steckbrief.py", region=region_id)
    text = "\n".join(c.value for c in profile.caption).replace("\\", "")
    population = int(regions.at[region_id, "population"])
    assert f"{population:,}".replace(",", ".") in "\n".join(str(m.value) for m in profile.metric)
    assert f"{len(group.ids)} Regionen" in text
    link = f"vergleich?regions={region_id}&peers={','.join(group.criteria) or 'none'}"
    assert link in "\n".join(c.value for c in profile.caption)
    at = open_app("views/vergleich.py", regions=region_id, peers=",".join(group.criteria) or "level")
    ranking = at.dataframe[0].value
    assert set(ranking["Schlüssel"]) == {region_id, *group.ids}
    assert compare_ui.peer_description(group, regions).replace("\\", "") in text


def test_page_scripts_are_thin():
    """Pages are widgets and calls (issue 10: at most 150 lines each)."""
    long = {p.name: n for p in (DASHBOARD / "views").glob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 150}
    assert long == {}
