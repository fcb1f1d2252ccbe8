"""Applies the schema and writes the warehouse atomically, with its manifest.

Layout: the warehouse path (``DSR_WAREHOUSE``) is a symbolic link to one
complete build in ``<warehouse>.versions/<id>/``. A build writes every table
and then the manifest to ``<warehouse>.versions/.staging-<id>/``, renames it to
``<id>`` and switches the link with one ``rename`` of a new link over the old
one: readers see the old version or the new one, never a mix and never none.
A build that fails or is killed at any step leaves the last good warehouse in
place; every build first removes what interrupted builds left behind and
restores a link left missing (``recover_warehouse``), and after the switch
keeps only the current and the previous version. One lock per warehouse
(``<warehouse>.versions/.lock``) keeps two builds from writing it at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import paths
from etl.catalogue import TABLES_BY_NAME
from etl.mapfiles import FOLDER as FILES_FOLDER  # files of the build besides the tables
from etl.errors import WarehouseBusy
from etl.schema import arrow_schema, conform, validate

MANIFEST_VERSION = 1
ROW_GROUP_SIZE = 100_000
# Versions kept before the current one, for readers that opened them: a full
# build that restores kept registries switches twice in a row.
KEEP_PREVIOUS = 2
LOCK_FILE = ".lock"
VERSION_ID = re.compile(r"^\d{8}T\d{12}Z-\d+(-moved)?$")
DEBRIS_PREFIXES = (".staging-", ".link-", ".trash-")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_version() -> str:
    """The git commit of the code that built the warehouse (with '+dirty' for local changes)."""
    root = paths.PROJECT_ROOT
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "etl"], capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def prepare_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    table = TABLES_BY_NAME[name]
    shaped = conform(table, frame)
    validate(table, shaped.drop(columns=[c.name for c in table.columns if c.dtype == "geometry"]))
    return shaped


def _write_table(directory: Path, name: str, frame: pd.DataFrame) -> None:
    table = TABLES_BY_NAME[name]
    target = paths.table_path(directory, name)
    if table.geo:
        gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=frame.crs if hasattr(frame, "crs") else 4326)
        gdf.to_parquet(target, index=False, compression="zstd", write_covering_bbox=False)
    else:
        if table.primary_key:
            # Sorted by the key in small row groups: DuckDB skips every row group
            # whose min/max cannot match (e.g. one indicator of 4.5 M observations).
            frame = frame.sort_values(list(table.primary_key), kind="stable")
        arrow = pa.Table.from_pandas(frame, preserve_index=False).cast(arrow_schema(table))
        pq.write_table(arrow, target, compression="zstd", row_group_size=ROW_GROUP_SIZE)


def checkpoint(step: str) -> None:
    """Called between the steps of the swap. Does nothing; the fault-injection
    test replaces it to kill the build at each step (tests/test_swap.py)."""


def _new_version_id(at: float | None = None) -> str:
    # Sorts by time: later builds have greater ids (used to tell old from new).
    stamp = dt.datetime.fromtimestamp(time.time() if at is None else at, dt.timezone.utc)
    return f"{stamp:%Y%m%dT%H%M%S%fZ}-{os.getpid()}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Removes a folder or link; a folder is first renamed to a dot name, so a
    removal cut short leaves debris that the next build recognises, never a
    half-deleted version that looks complete."""
    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if not path.name.startswith("."):
        trash = path.parent / f".trash-{path.name}"
        os.rename(path, trash)
        path = trash
    shutil.rmtree(path, ignore_errors=True)


def _is_version_link(target: Path) -> bool:
    return target.is_symlink() and os.readlink(target).startswith(f"{paths.versions_dir(target).name}/")


def current_version(target: Path) -> str | None:
    """The id of the version ``target`` points to (None for no link)."""
    return Path(os.readlink(target)).name if _is_version_link(target) else None


def locate_warehouse(target: Path) -> Path:
    """The path whose link the build switches: ``target``, or where a link of the
    user's own (e.g. data/warehouse → a bigger disk) leads."""
    target = paths.warehouse_location(target)
    for _ in range(40):
        if target.parent.name.endswith(".versions") and VERSION_ID.match(target.name):
            raise OSError(f"{target} is one version of the warehouse {target.parent.with_suffix('')}: write to that instead")
        if not target.is_symlink() or _is_version_link(target):
            return target
        target = paths.warehouse_location(target.parent / os.readlink(target))
    raise OSError(f"{target}: too many levels of symbolic links")


@contextlib.contextmanager
def warehouse_lock(target: Path):
    """One build or import at a time per warehouse (released when the process dies)."""
    versions = paths.versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    with (versions / LOCK_FILE).open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(f"another build or import is writing {target} (lock {versions / LOCK_FILE}); try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _complete_versions(versions: Path) -> list[Path]:
    if not versions.is_dir():
        return []
    return sorted(p for p in versions.iterdir() if VERSION_ID.match(p.name) and p.is_dir() and paths.manifest_path(p).exists())


def _switch_link(target: Path, version_id: str) -> None:
    versions = paths.versions_dir(target)
    tmp = versions / f".link-{version_id}"
    if os.path.lexists(tmp):
        tmp.unlink()
    os.symlink(f"{versions.name}/{version_id}", tmp)
    checkpoint("linked")
    os.replace(tmp, target)  # atomic: readers see the old version or the new one
    _fsync(target.parent)
    checkpoint("switched")


def prune_versions(target: Path, keep_previous: int = KEEP_PREVIOUS) -> list[str]:
    """Removes what is not the current version or one of the ``keep_previous``
    versions before it: unfinished staging folders, temporary links, versions
    of builds that never switched. The previous version stays for readers that
    opened it before the switch (the app notices a new manifest on its next run)."""
    versions = paths.versions_dir(target)
    if not versions.is_dir():
        return []
    current = current_version(target)
    complete = [p.name for p in _complete_versions(versions)]
    if current is None:
        keep = set(complete)  # nothing to tell old from new: recover_warehouse links the newest
    else:
        older = [n for n in complete if n < current]
        keep = {current, *(older[-keep_previous:] if keep_previous else [])}
    removed = []
    for path in sorted(versions.iterdir()):
        if path.name in keep or not (VERSION_ID.match(path.name) or path.name.startswith(DEBRIS_PREFIXES)):
            continue  # the lock, and anything this code did not make
        _remove(path)
        removed.append(f"removed {path}")
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swaps two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # a second name for the file: no copy of the data
    except OSError:
        shutil.copy2(src, dst)


def _move_into_versions(target: Path) -> str:
    """Turns a warehouse of the earlier layout (a plain folder) into the first
    version and ``target`` into a link to it, with no moment without a warehouse
    where the system can exchange a folder and a link in one step."""
    versions = paths.versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    # Named by the time it was built, so that it sorts before every later build.
    version_id = _new_version_id(paths.manifest_path(target).stat().st_mtime) + "-moved"
    staging = versions / f".staging-{version_id}"
    shutil.copytree(target, staging, copy_function=_link_or_copy)
    os.rename(staging, versions / version_id)
    checkpoint("moved")
    tmp = versions / f".link-{version_id}"
    os.symlink(f"{versions.name}/{version_id}", tmp)
    if _exchange(tmp, target):
        checkpoint("exchanged")
        _remove(tmp)  # now the old folder; its files live on in the version
    else:
        # Two renames: a kill between them leaves no ``target`` but a complete
        # version, which recover_warehouse links.
        os.rename(target, versions / f".trash-{version_id}")
        os.replace(tmp, target)
        _remove(versions / f".trash-{version_id}")
    _fsync(target.parent)
    return f"moved {target} to {versions / version_id}"


def recover_warehouse(target: Path) -> list[str]:
    """Before any build: removes the debris of interrupted builds and restores a
    warehouse left half-swapped. Returns what it did, for the log and manifest.

    Also converts the layout of earlier code (``target`` a plain folder,
    swapped by two renames through ``.NAME.old-PID`` and ``.NAME.new-*``):
    a folder ``.NAME.old-PID`` without ``NAME`` is the last good warehouse of a
    build that died between those renames, and is restored.
    """
    actions: list[str] = []
    parent, name = target.parent, target.name
    versions = paths.versions_dir(target)
    for path in sorted(parent.glob(f".{name}.new-*")):
        _remove(path)
        actions.append(f"removed {path} (unfinished build)")
    old_copies = sorted(
        (p for p in parent.glob(f".{name}.old-*") if paths.manifest_path(p).exists()),
        key=lambda p: paths.manifest_path(p).stat().st_mtime,
    )
    if not os.path.lexists(target) and old_copies:
        os.rename(old_copies.pop(), target)
        actions.append(f"restored {target} from the copy a build moved aside")
    for path in sorted(parent.glob(f".{name}.old-*")):
        _remove(path)
        actions.append(f"removed {path} (replaced copy)")
    if target.is_symlink() and not target.exists():
        target.unlink()
        actions.append(f"removed the dangling link {target}")
    if target.is_dir() and not target.is_symlink():
        if not paths.manifest_path(target).exists():
            raise OSError(f"{target} is a folder without manifest.json, not a warehouse: move it away or choose another DSR_WAREHOUSE")
        actions.append(_move_into_versions(target))
    elif os.path.lexists(target) and not _is_version_link(target):
        raise OSError(f"{target} is neither a warehouse folder nor a link to one of its versions")
    if not os.path.lexists(target):
        complete = _complete_versions(versions)
        if complete:
            _switch_link(target, complete[-1].name)
            actions.append(f"restored {target} → {complete[-1].name} (a build stopped during the switch)")
    actions += prune_versions(target)
    return actions


def _stage_files(staging: Path, target: Path, files: dict[str, bytes] | None) -> list[str]:
    """Writes the build's files (e.g. ``maps/kreis.map.json``) into the staging
    folder; without new ones, hard-links those of the current version (an
    import that changes only tables keeps the map files)."""
    if files is None:
        current = target / FILES_FOLDER
        files_found = sorted(p for p in current.rglob("*") if p.is_file()) if current.is_dir() else []
        for path in files_found:
            rel = path.relative_to(target)
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(str(path), str(staging / rel))
        return [p.relative_to(target).as_posix() for p in files_found]
    for rel, content in files.items():
        path = staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        _fsync(path)
    return sorted(files)


def stage_warehouse(target: Path, tables: dict[str, pd.DataFrame], manifest: dict, files: dict[str, bytes] | None = None) -> Path:
    """Validates every table and writes them, the build's ``files`` and the
    manifest to a staging folder in ``<target>.versions/``: complete, but not
    yet the warehouse."""
    prepared = {name: prepare_table(name, frame) for name, frame in tables.items()}
    versions = paths.versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    staging = versions / f".staging-{_new_version_id()}"
    staging.mkdir()
    try:
        for name, frame in prepared.items():
            _write_table(staging, name, frame)
            _fsync(paths.table_path(staging, name))
        written = _stage_files(staging, target, files)
        checkpoint("tables written")
        manifest = dict(manifest)
        manifest["row_counts"] = {name: int(len(frame)) for name, frame in prepared.items()}
        manifest["tables"] = sorted(prepared)
        manifest["files"] = written
        write_manifest(staging, manifest)
        checkpoint("manifest written")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def switch_warehouse(target: Path, staged: Path) -> Path:
    """Makes a staged folder the warehouse: one rename to its version id, one
    atomic switch of the link, then the removal of older versions."""
    version_id = staged.name.removeprefix(".staging-")
    version = staged.parent / version_id
    os.rename(staged, version)
    _fsync(staged.parent)
    checkpoint("version complete")
    _switch_link(target, version_id)
    prune_versions(target)
    checkpoint("pruned")
    return version


def write_warehouse(target: Path, tables: dict[str, pd.DataFrame], manifest: dict, *, based_on: Path | None = None) -> Path:
    """Validate every table, write them as a new version, then switch it in.

    ``target`` stays the path readers open (a link to the current version). A
    build that fails or is killed at any point leaves the last good warehouse
    in place; the next write cleans up after it (``recover_warehouse``).
    ``based_on`` is the version folder the tables were read from (an import
    that adds to the warehouse): if another build switched the warehouse in
    the meantime, nothing is written (``WarehouseBusy``) rather than that
    build's result being lost.
    """
    target = locate_warehouse(target)
    with warehouse_lock(target):
        if based_on is not None and target.resolve() != based_on.resolve():
            raise WarehouseBusy(f"{target} was rebuilt while this import read it; nothing written: run the import again")
        recover_warehouse(target)
        staged = stage_warehouse(target, tables, manifest)
        switch_warehouse(target, staged)
    return target


def write_manifest(directory: Path, manifest: dict) -> None:
    """Writes manifest.json whole or not at all (temporary file, fsync, rename)."""
    path = paths.manifest_path(directory)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_manifest(warehouse: Path) -> dict | None:
    path = paths.manifest_path(warehouse)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
