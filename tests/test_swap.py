"""The crash-safe swap (etl/load.py): a build killed or failing at any step of
writing and switching leaves a complete warehouse, and the next build removes
what it left behind.

Each step of the swap calls ``etl.load.checkpoint(step)``; these tests kill a
writer there (SIGKILL in a subprocess: no ``finally`` runs) or raise there (in
process), then open the warehouse as the app does and run the next build.
The warehouse is a small fixture (the flags table), not the kit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from etl import load, paths
from etl.catalogue import FLAGS
from etl.load import read_manifest, recover_warehouse, write_warehouse
from etl.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
SWAP_STEPS = ("tables written", "manifest written", "version complete", "linked", "switched", "pruned")


def _flags() -> pd.DataFrame:
    return pd.DataFrame([{"flag": f.code, "label_de": f.label_de, "label_en": f.label_en, "has_value": f.has_value} for f in FLAGS])


def _old_layout(target: Path, built_at: str) -> None:
    """A warehouse as the code before the versioned swap left it: a plain folder."""
    target.mkdir(parents=True)
    _flags().to_parquet(paths.table_path(target, "flags"), index=False)
    paths.manifest_path(target).write_text(json.dumps({"built_at": built_at, "tables": ["flags"]}), encoding="utf-8")


def _kill_writer_at(step: str, target: Path, built_at: str) -> int:
    """Runs write_warehouse in a subprocess that SIGKILLs itself at ``step``."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        import pandas as pd
        from etl import load
        from etl.catalogue import FLAGS

        def checkpoint(step):
            if step == {step!r}:
                os.kill(os.getpid(), signal.SIGKILL)

        load.checkpoint = checkpoint
        frame = pd.DataFrame([{{"flag": f.code, "label_de": f.label_de, "label_en": f.label_en, "has_value": f.has_value}} for f in FLAGS])
        load.write_warehouse(Path({str(target)!r}), {{"flags": frame}}, {{"built_at": {built_at!r}}})
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, f"the writer was not killed at {step!r}: {done.stderr}"
    return done.returncode


def _assert_complete_and_clean(target: Path, allowed: set[str]) -> str:
    """The warehouse opens as the app opens it; nothing but the link, its versions and the lock remain."""
    wh = Warehouse(target)
    assert wh.table("flags").shape == (len(FLAGS), 4)
    built_at = wh.manifest["built_at"]
    assert built_at in allowed
    versions = paths.versions_dir(target)
    assert sorted(p.name for p in target.parent.iterdir()) == sorted([target.name, versions.name])
    entries = sorted(p.name for p in versions.iterdir())
    complete = [n for n in entries if not n.startswith(".")]
    assert [n for n in entries if n.startswith(".") and n != load.LOCK_FILE] == [], f"debris left: {entries}"
    assert os.readlink(target) == f"{versions.name}/{complete[-1]}"
    assert 1 <= len(complete) <= 1 + load.KEEP_PREVIOUS
    for name in complete:
        assert paths.manifest_path(versions / name).exists()
    return built_at


@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_writer_killed_at_each_step_leaves_a_complete_warehouse(step, tmp_path, monkeypatch):
    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    _kill_writer_at(step, target, "second")

    # The app, before any other build: a complete warehouse, old or new.
    monkeypatch.setenv("DSR_WAREHOUSE", str(target))
    expected = "second" if step in ("switched", "pruned") else "first"
    assert Warehouse(paths.warehouse_dir()).manifest["built_at"] == expected
    from dashboard import data

    assert data.version() is not None

    # The next build cleans up and switches to its own version.
    write_warehouse(target, {"flags": _flags()}, {"built_at": "third"})
    assert _assert_complete_and_clean(target, {"third"}) == "third"
    previous = sorted(p.name for p in paths.versions_dir(target).iterdir() if not p.name.startswith("."))[-2]  # the one before the current
    assert read_manifest(paths.versions_dir(target) / previous)["built_at"] == expected


@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_writer_failing_at_each_step_leaves_a_complete_warehouse(step, tmp_path, monkeypatch):
    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})

    def fail(at):
        if at == step:
            raise KeyboardInterrupt(f"interrupted at {at}")

    monkeypatch.setattr(load, "checkpoint", fail)
    with pytest.raises(KeyboardInterrupt):
        write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    monkeypatch.setattr(load, "checkpoint", lambda at: None)
    expected = "second" if step in ("switched", "pruned") else "first"
    assert Warehouse(target).manifest["built_at"] == expected
    assert recover_warehouse(target) is not None
    assert _assert_complete_and_clean(target, {expected}) == expected


@pytest.mark.parametrize("step", ("moved", "exchanged"))
def test_a_build_killed_while_moving_the_old_layout_leaves_a_warehouse(step, tmp_path):
    """The first build with this code moves a plain-folder warehouse into its versions."""
    target = tmp_path / "wh"
    _old_layout(target, "old layout")
    _kill_writer_at(step, target, "second")
    assert Warehouse(target).manifest["built_at"] == "old layout", "no moment without a warehouse"
    recover_warehouse(target)
    assert _assert_complete_and_clean(target, {"old layout"}) == "old layout"


def test_moving_the_old_layout_without_an_atomic_exchange(tmp_path, monkeypatch):
    """Where renameat2 is missing: two renames; a failure between them is recovered."""
    target = tmp_path / "wh"
    _old_layout(target, "old layout")
    monkeypatch.setattr(load, "_exchange", lambda a, b: False)
    real_replace = os.replace

    def fail_once(src, dst):
        monkeypatch.setattr(os, "replace", real_replace)
        raise KeyboardInterrupt("killed between the two renames")

    monkeypatch.setattr(os, "replace", fail_once)
    with pytest.raises(KeyboardInterrupt):
        recover_warehouse(target)
    assert not os.path.lexists(target)
    actions = recover_warehouse(target)
    assert any("restored" in a for a in actions)
    assert _assert_complete_and_clean(target, {"old layout"}) == "old layout"


def test_the_old_layout_left_half_swapped_is_restored(tmp_path):
    """The code before this one swapped by two renames: killed between them it
    left ``.wh.old-PID`` (the good copy), no ``wh``, and a ``.wh.new-*`` folder."""
    target = tmp_path / "wh"
    _old_layout(tmp_path / ".wh.old-4242", "good copy")
    unfinished = tmp_path / ".wh.new-abc123"
    unfinished.mkdir()
    (unfinished / "observations.parquet").write_bytes(b"PAR1 half written")
    assert not target.exists()
    actions = recover_warehouse(target)
    assert any("restored" in a for a in actions) and any(".wh.new-abc123" in a for a in actions)
    assert _assert_complete_and_clean(target, {"good copy"}) == "good copy"


def test_the_next_full_build_recovers_and_records_it(tmp_path, monkeypatch):
    """etl.build.build runs the recovery first and lists what it did in the manifest."""
    from etl import build as build_module

    target = tmp_path / "wh"
    _old_layout(tmp_path / ".wh.old-4242", "good copy")
    (tmp_path / ".wh.new-xyz").mkdir()
    monkeypatch.setattr(build_module, "discover_steps", lambda: [])
    manifest = build_module.build(raw_dir=tmp_path, out=target, log=lambda m: None)
    assert any(".wh.new-xyz" in a for a in manifest["recovered"])
    assert _assert_complete_and_clean(target, {manifest["built_at"]}) == manifest["built_at"]
    previous = sorted(p.name for p in paths.versions_dir(target).iterdir() if not p.name.startswith("."))[-2]  # the one before the current
    assert read_manifest(paths.versions_dir(target) / previous)["built_at"] == "good copy"


def test_only_the_current_and_two_previous_versions_are_kept(tmp_path):
    """Two: builds can switch twice in a row (a build, then an import of a
    registry), and a session that opened the version before that must still find it."""
    target = tmp_path / "wh"
    for n in range(4):
        write_warehouse(target, {"flags": _flags()}, {"built_at": f"build {n}"})
    versions = sorted(p.name for p in paths.versions_dir(target).iterdir() if not p.name.startswith("."))
    assert [read_manifest(paths.versions_dir(target) / v)["built_at"] for v in versions] == ["build 1", "build 2", "build 3"]


def test_a_reader_stays_on_the_version_it_opened(tmp_path):
    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    reader = Warehouse(target)
    write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    assert reader.manifest["built_at"] == "first" and len(reader.table("flags")) == len(FLAGS)
    assert Warehouse(target).manifest["built_at"] == "second"


def test_the_app_sees_a_new_version_on_its_next_run_and_a_run_keeps_its_own(tmp_path, monkeypatch):
    """A script run takes ``data.version()`` once and reads everything with it:
    a switch between that and the run's first read must not hand the run the
    new version under the old version's cache key."""
    from dashboard import data

    target = tmp_path / "wh"
    monkeypatch.setenv("DSR_WAREHOUSE", str(target))
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    v = data.version()
    write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    assert data.manifest(v)["built_at"] == "first"
    assert data.version() != v and data.manifest(data.version())["built_at"] == "second"


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    from etl.errors import WarehouseBusy

    target = tmp_path / "wh"
    with load.warehouse_lock(target):
        with pytest.raises(WarehouseBusy, match="another build"):
            write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    assert Warehouse(target).manifest["built_at"] == "second"


def test_a_link_of_the_users_own_is_followed(tmp_path):
    """data/warehouse → a folder on a bigger disk: the build switches there, the link stays."""
    elsewhere = tmp_path / "disk" / "wh"
    elsewhere.parent.mkdir()
    write_warehouse(elsewhere, {"flags": _flags()}, {"built_at": "first"})
    link = tmp_path / "warehouse"
    link.symlink_to(elsewhere)
    write_warehouse(link, {"flags": _flags()}, {"built_at": "second"})
    assert os.readlink(link) == str(elsewhere)
    assert Warehouse(link).manifest["built_at"] == "second"


def test_an_import_does_not_overwrite_a_build_that_switched_meanwhile(tmp_path):
    """write_warehouse(based_on=...) refuses when the link moved after the tables were read."""
    from etl.errors import WarehouseBusy

    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    read_from = target.resolve()
    write_warehouse(target, {"flags": _flags()}, {"built_at": "rebuilt meanwhile"})
    with pytest.raises(WarehouseBusy, match="rebuilt while this import read it"):
        write_warehouse(target, {"flags": _flags()}, {"built_at": "import"}, based_on=read_from)
    assert Warehouse(target).manifest["built_at"] == "rebuilt meanwhile"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "import"}, based_on=target.resolve())
    assert Warehouse(target).manifest["built_at"] == "import"


def test_a_version_folder_is_not_a_target_and_foreign_files_are_left_alone(tmp_path):
    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    notes = paths.versions_dir(target) / "README.txt"
    notes.write_text("someone's note")
    with pytest.raises(OSError, match="one version of the warehouse"):
        write_warehouse(target.resolve(), {"flags": _flags()}, {"built_at": "second"})
    write_warehouse(target, {"flags": _flags()}, {"built_at": "second"})
    assert notes.exists() and Warehouse(target).manifest["built_at"] == "second"


def test_the_build_files_are_carried_into_a_version_that_changes_only_tables(tmp_path):
    """An import rewrites tables only: the map files of the build stay (hard-linked)."""
    from etl.load import stage_warehouse, switch_warehouse

    target = tmp_path / "wh"
    write_warehouse(target, {"flags": _flags()}, {"built_at": "first"})
    staged = stage_warehouse(target, {"flags": _flags()}, {"built_at": "with maps"}, {"maps/kreis.map.json": b'{"ids": ["01001"]}'})
    switch_warehouse(target, staged)
    write_warehouse(target, {"flags": _flags()}, {"built_at": "import"})
    assert (target / "maps" / "kreis.map.json").read_bytes() == b'{"ids": ["01001"]}'
    assert read_manifest(target)["files"] == ["maps/kreis.map.json"]
