"""Steps run side by side (etl.parallel): the schedule follows the declared
dependencies, a step in a process of its own gives the same warehouse as one
process, and a failure in either process fails the build with the same error
and keeps the last good warehouse. Small steps of our own on the real kit's
inventory (the build checks the files of their sources)."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from etl import build as build_module
from etl import load as load_module
from etl import paths
from etl import steps as steps_module
from etl.catalogue import INDICATORS_BY_ID
from etl.errors import MissingRawFile, ValidationError
from etl.load import read_manifest, write_warehouse
from etl.quarantine import quarantine_counts
from etl.steps import (
    REGIONS_STEP,
    Step,
    depends_on,
    discover_steps,
    select_steps,
    separate_steps,
)

POPULATION_SOURCES = INDICATORS_BY_ID["population"].source_ids


def _observations(indicator_id: str, region_ids: list[str], source_id: str, value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"indicator_id": indicator_id, "region_id": region_ids, "period": pd.Timestamp("2020-12-31").date(),
                         "period_type": "year", "value": value, "flag": None, "source_id": source_id, "source_file": "f.csv"})


def _regions(ctx):
    return {}


def _population(ctx):
    ctx.quarantine.add(source_id="destatis_genesis_12411", file="p.csv", reason="a row of the population", target_table="observations")
    ctx.note("pop", "rows", 2)
    return {"observations": _observations("population", ["01", "02"], "destatis_genesis_12411", 100.0)}


def _slow(ctx):
    """The long step: its rows, a quarantine entry, a note, a duplicate, an edition."""
    ctx.quarantine.add(source_id="bnetza_breitbandatlas", file="b.csv", line=3, value="x", reason="a row of the slow step", target_table="observations")
    ctx.note("slow", "pid_differs", os.getpid() != int(os.environ["PARENT_PID"]))
    ctx.record_edition("bnetza_breitbandatlas", "2020-12-31", "b.csv", "line 1")
    ctx.duplicates.append({"source_id": "bnetza_breitbandatlas", "kept_file": "b.csv", "dropped_file": "c.csv", "indicator_id": "bb_hh_all_50",
                           "period": None, "rows": 1, "rows_differing": 0, "note": "a copy"})
    time.sleep(float(os.environ.get("SLOW_SECONDS", "0")))
    return {"observations": _observations("bb_hh_all_50", ["01", "02", "03"], "bnetza_breitbandatlas")}


def _after(ctx):
    # Reads the population, written by the step before the slow one.
    population = ctx.tables["observations"]
    assert set(population["indicator_id"]) == {"population"}, "the slow step's rows are read by no step"
    return {"observations": _observations("cars", ["01"], "kba_fz1", float(population["value"].sum()))}


def _steps(slow=_slow, after=_after):
    return [
        Step(REGIONS_STEP, 0, ("bkg_vg5000",), _regions),
        Step("pop", 10, POPULATION_SOURCES, _population),
        Step("slow", 20, ("bnetza_breitbandatlas",), slow),
        Step("after", 30, ("kba_fz1",), after, reads=("observations:population",)),
    ]


@pytest.fixture
def own_process(monkeypatch):
    """The step ``slow`` runs in a process of its own when the build may use two."""
    monkeypatch.setattr(steps_module, "OWN_PROCESS", ("slow",))
    monkeypatch.setenv("PARENT_PID", str(os.getpid()))


def _build(kit_dir, target, monkeypatch, workers: int, steps=None, log=None, only=None):
    monkeypatch.setenv("DSR_BUILD_WORKERS", str(workers))
    monkeypatch.setattr(build_module, "discover_steps", lambda: steps or _steps())
    return build_module.build(raw_dir=kit_dir, out=target, only=only, log=log if log is not None else (lambda m: None))


def _leftovers(target) -> list[str]:
    """What is in the versions folder besides the lock and the current version."""
    current = os.readlink(target).split("/")[-1] if os.path.lexists(target) else None
    return sorted(p.name for p in paths.versions_dir(target).iterdir() if p.name not in {".lock", current})


def _good_warehouse(target):
    from etl.build import flags_table

    write_warehouse(target, {"flags": flags_table()}, {"built_at": "good"})


def test_the_real_steps_run_broadband_beside_the_others_after_the_population():
    steps = discover_steps()
    by_name = {s.name: s for s in steps}
    assert [s.name for s in separate_steps(steps, steps)] == ["broadband"]
    # Broadband reads the Breitbandatlas, one of the population's sources, but does not make the population.
    assert not depends_on(by_name["charging"], by_name["broadband"], steps)
    assert depends_on(by_name["charging"], by_name["population"], steps)
    assert depends_on(by_name["broadband"], by_name["population"], steps, every_step_reads=True)
    assert not depends_on(by_name["broadband"], by_name["population"], steps)
    assert [s.name for s in select_steps(steps, "broadband")] == ["broadband"]
    # A step something depends on never runs apart.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(steps_module, "OWN_PROCESS", ("population", "broadband"))
        assert [s.name for s in separate_steps(steps, steps)] == ["broadband"]


def test_a_step_in_its_own_process_gives_the_warehouse_of_one_process(kit_dir, tmp_path, monkeypatch, own_process):
    lines: list[str] = []
    two = _build(kit_dir, tmp_path / "two", monkeypatch, 2, log=lines.append)
    one = _build(kit_dir, tmp_path / "one", monkeypatch, 1)
    assert two["notes"]["slow"]["pid_differs"] is True and one["notes"]["slow"]["pid_differs"] is False
    for manifest in (one, two):
        manifest["notes"]["slow"].pop("pid_differs")
    for key in ("row_counts", "parts", "tables", "step_tables", "notes", "editions", "quarantine_by_source_and_reason"):
        assert two[key] == one[key], key
    assert two["parts"]["quarantine"] == {"pop": 1, "slow": 1} and two["parts"]["duplicates"] == {"slow": 1}
    assert list(two["step_tables"]) == ["regions", "pop", "slow", "after"]
    for name in two["tables"]:
        a, b = (paths.table_path(t.resolve(), name) for t in (tmp_path / "one", tmp_path / "two"))
        read = (lambda p: pd.concat([pd.read_parquet(f) for f in sorted(p.iterdir())], ignore_index=True)) if a.is_dir() else pd.read_parquet
        pd.testing.assert_frame_equal(read(a), read(b), obj=name)
    assert {"wait_for_processes", "write_in_processes", "slow", "after", "map_files", "validate_and_write"} <= set(two["stage_seconds"])
    assert "wait_for_processes" not in one["stage_seconds"]
    # The log: the slow step's own start and done lines, from its process.
    assert "step slow: in a process of its own, beside the next steps" in lines
    assert lines.index("step slow: in a process of its own, beside the next steps") < lines.index("step after: start (kba_fz1)")
    assert any(line.startswith("step slow: done in") for line in lines)
    assert _leftovers(tmp_path / "two") == []


def test_the_build_process_writes_its_tables_while_the_step_process_runs(kit_dir, tmp_path, monkeypatch, own_process):
    """The part of the step after the slow one is in the staging folder before
    the slow step ends (it waits for it); the manifest is written once, with
    the final timings and the quarantine's summary counted in memory, the same
    as counted from the files, also on partial builds (parts carried over)."""
    target = tmp_path / "wh"

    def slow(ctx):
        deadline, seen = time.monotonic() + 20, False
        while not seen and time.monotonic() < deadline and os.getpid() != int(os.environ["PARENT_PID"]):
            seen = any(paths.versions_dir(target).glob(".staging-*/observations/after.parquet"))
            time.sleep(0.05)
        ctx.note("slow", "saw_after", seen)
        return _slow(ctx)

    manifests: list[dict] = []
    write_manifest = load_module.write_manifest
    monkeypatch.setattr(load_module, "write_manifest", lambda directory, manifest: (manifests.append(dict(manifest)), write_manifest(directory, manifest)))
    full = _build(kit_dir, target, monkeypatch, 2, _steps(slow=slow))
    assert full["notes"]["slow"]["saw_after"] is True
    assert len(manifests) == 1 and manifests[0]["total_seconds"] == full["total_seconds"]
    assert {"write_beside_processes", "wait_for_processes", "validate_and_write"} <= set(full["stage_seconds"])

    def summary_of_files():
        folder = paths.table_path(target.resolve(), "quarantine")
        rows = pd.concat([pd.read_parquet(f, columns=["source_id", "reason"]) for f in sorted(folder.iterdir())], ignore_index=True)
        return build_module._quarantine_summary([quarantine_counts(rows)])

    assert full["quarantine_by_source_and_reason"] == summary_of_files() == {
        "bnetza_breitbandatlas": {"a row of the slow step": 1}, "destatis_genesis_12411": {"a row of the population": 1}}
    for only, workers in (("kba_fz1", 2), ("bnetza_breitbandatlas", 2), ("bnetza_breitbandatlas", 1)):
        again = _build(kit_dir, target, monkeypatch, workers, _steps(slow=slow), only=only)
        assert again["quarantine_by_source_and_reason"] == summary_of_files() == full["quarantine_by_source_and_reason"], (only, workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_step_in_its_own_process_fails_the_build_with_its_error(kit_dir, tmp_path, monkeypatch, own_process, workers):
    target = tmp_path / "wh"
    _good_warehouse(target)

    def fail(ctx):
        ctx.quarantine.add(source_id="bnetza_breitbandatlas", file="b.csv", reason="before the failure", target_table="observations")
        raise MissingRawFile("bnetza_breitbandatlas/missing.csv", str(ctx.raw_dir))

    with pytest.raises(MissingRawFile) as raised:
        _build(kit_dir, target, monkeypatch, workers, _steps(slow=fail))
    assert "bnetza_breitbandatlas/missing.csv" in str(raised.value)
    assert str(raised.value) == str(MissingRawFile("bnetza_breitbandatlas/missing.csv", str(kit_dir.resolve())))
    if workers == 2:
        assert "in the process of step slow" in str(raised.value.__cause__)
    assert read_manifest(target)["built_at"] == "good"
    assert _leftovers(target) == []


def test_a_step_process_that_dies_fails_the_build(kit_dir, tmp_path, monkeypatch, own_process):
    target = tmp_path / "wh"
    _good_warehouse(target)
    with pytest.raises(RuntimeError, match=r"step slow: its process ended without an answer \(exit code 3\)"):
        _build(kit_dir, target, monkeypatch, 2, _steps(slow=lambda ctx: os._exit(3)))
    assert read_manifest(target)["built_at"] == "good"
    assert _leftovers(target) == []


def test_a_failure_in_the_build_process_ends_the_step_process(kit_dir, tmp_path, monkeypatch, own_process):
    target = tmp_path / "wh"
    _good_warehouse(target)
    monkeypatch.setenv("SLOW_SECONDS", "60")

    def explode(ctx):
        raise ValueError("simulated failure beside the slow step")

    started = time.perf_counter()
    with pytest.raises(ValueError, match="simulated failure beside"):
        _build(kit_dir, target, monkeypatch, 2, _steps(after=explode))
    assert time.perf_counter() - started < 30, "the build waited for the slow step"
    assert read_manifest(target)["built_at"] == "good"
    assert _leftovers(target) == []


def test_a_key_shared_with_a_part_written_in_another_process_is_rejected(kit_dir, tmp_path, monkeypatch, own_process):
    def clash(ctx):
        return {"observations": _observations("bb_hh_all_50", ["01"], "bnetza_breitbandatlas")}

    def same(ctx):
        return {"observations": _observations("bb_hh_all_50", ["01"], "kba_fz1")}

    for workers in (1, 2):
        target = tmp_path / f"wh{workers}"
        _good_warehouse(target)
        with pytest.raises(ValidationError, match=r"share a primary key"):
            _build(kit_dir, target, monkeypatch, workers, _steps(slow=clash, after=same))
        assert read_manifest(target)["built_at"] == "good"
        assert _leftovers(target) == []


def test_a_part_written_in_another_process_is_checked_against_the_parts_carried_over(kit_dir, tmp_path, monkeypatch, own_process):
    def slow(ctx):
        return {"observations": _observations(os.environ.get("SLOW_INDICATOR", "bb_hh_all_50"), ["01"], "bnetza_breitbandatlas")}

    def other(ctx):
        return {"observations": _observations("gdp_mio_eur", ["01"], "vgrdl_kreise")}

    steps = [*_steps(slow=slow), Step("other", 40, ("vgrdl_kreise",), other)]
    target = tmp_path / "wh"
    first = _build(kit_dir, target, monkeypatch, 1, steps)
    # A partial build reruns the slow step (and the population, of the same source), not "other", carried over.
    monkeypatch.setenv("SLOW_INDICATOR", "gdp_mio_eur")
    for workers in (1, 2):
        with pytest.raises(ValidationError, match=r"share a primary key"):
            _build(kit_dir, target, monkeypatch, workers, steps, only="bnetza_breitbandatlas")
        assert read_manifest(target)["built_at"] == first["built_at"]
        assert _leftovers(target) == []
    monkeypatch.delenv("SLOW_INDICATOR")
    again = _build(kit_dir, target, monkeypatch, 2, steps, only="bnetza_breitbandatlas")
    assert again["rebuilt_steps"] == ["pop", "slow", "after"] and again["parts"] == first["parts"]


def test_a_step_that_writes_what_a_step_beside_it_reads_is_built_again_in_one_process(kit_dir, tmp_path, monkeypatch, own_process):
    """The slow step's sources make it no writer of the population (etl.steps._writes),
    but it writes population rows: the build notices and builds again in one process."""

    def population_too(ctx):
        return {"observations": _observations("population", ["03"], "bnetza_breitbandatlas", 50.0)}

    def after(ctx):
        return {"observations": _observations("cars", ["01"], "kba_fz1", float(ctx.tables["observations"]["value"].sum()))}

    lines: list[str] = []
    steps = _steps(slow=population_too, after=after)
    two = _build(kit_dir, tmp_path / "two", monkeypatch, 2, steps, log=lines.append)
    one = _build(kit_dir, tmp_path / "one", monkeypatch, 1, steps)
    assert any("wrote observations, read by steps run beside it: building again, one step after the other" in line for line in lines)
    after_rows = lambda t: pd.read_parquet(paths.part_path(t.resolve(), "observations", "after"))
    assert after_rows(tmp_path / "two")["value"].tolist() == after_rows(tmp_path / "one")["value"].tolist() == [250.0]
    assert two["row_counts"] == one["row_counts"]
    assert _leftovers(tmp_path / "two") == []
