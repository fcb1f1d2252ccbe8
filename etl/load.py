"""Applies the schema and writes the warehouse atomically, with its manifest.

Layout: the warehouse path (``DSR_WAREHOUSE``) is a symbolic link to one
complete build in ``<warehouse>.versions/<id>/``. A build writes every table
and then the manifest to ``<warehouse>.versions/.staging-<id>/``, renames it to
``<id>`` and switches the link with one ``rename`` of a new link over the old
one: readers see the old version or the new one, never a mix and never none.
A build that fails or is killed at any step leaves the last good warehouse in
place; every build first removes what interrupted builds left behind and
restores a link left missing (``recover_warehouse``), and after the switch
keeps only the current and the previous versions. One lock per warehouse
(``<warehouse>.versions/.lock``) keeps two builds from writing it at once.

Tables declared ``per_step`` (observations, quarantine, duplicates) are folders
with one file per build step; a new version can take any table or part of the
current one unchanged by hard link (``carry``), so a partial build or an
import writes only what it changed.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import paths
from etl.catalogue import TABLES_BY_NAME
from etl.mapfiles import FOLDER as FILES_FOLDER  # files of the build besides the tables
from etl.errors import ValidationError, WarehouseBusy
from etl.schema import arrow_schema, conform, sort_by_key, validate

MANIFEST_VERSION = 1
ROW_GROUP_SIZE = 100_000
WRITE_THREADS = min(4, os.cpu_count() or 1)
# Versions kept before the current one, for readers that opened them: builds
# can follow each other quickly (a full build, then imports of registries, each
# a switch of its own).
KEEP_PREVIOUS = 2
LOCK_FILE = ".lock"
VERSION_ID = re.compile(r"^\d{8}T\d{12}Z-\d+(-moved)?$")
DEBRIS_PREFIXES = (".staging-", ".link-", ".trash-")
# The part of a table stored per step for rows of no step (the quarantine of
# the build itself) and, empty, for a table no step wrote rows to.
BUILD_PART = "build"


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
    """``frame`` in the declared shape, checked, and (a table with a primary key,
    not geometry) sorted by the key: DuckDB skips every row group whose min/max
    cannot match (e.g. one indicator of 4.5 M observations)."""
    table = TABLES_BY_NAME[name]
    if table.geo:
        shaped = conform(table, frame)
        validate(table, shaped.drop(columns=[c.name for c in table.columns if c.dtype == "geometry"]))
        return shaped
    shaped, duplicated = sort_by_key(table, frame)
    shaped = conform(table, shaped)
    validate(table, shaped, duplicated)
    return shaped


def _write_table(directory: Path, name: str, frame: pd.DataFrame, part: str | None = None) -> Path:
    table = TABLES_BY_NAME[name]
    if part is None:
        target = directory / f"{name}.parquet"
    else:
        target = paths.part_path(directory, name, part)
        target.parent.mkdir(exist_ok=True)
    if table.geo:
        gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=frame.crs if hasattr(frame, "crs") else 4326)
        gdf.to_parquet(target, index=False, compression="zstd", write_covering_bbox=False)
    else:
        # In the key's order (prepare_table), in small row groups.
        arrow = pa.Table.from_pandas(frame, preserve_index=False).cast(arrow_schema(table))
        pq.write_table(arrow, target, compression="zstd", row_group_size=ROW_GROUP_SIZE)
    return target


def write_part(staging: Path, name: str, frame: pd.DataFrame, part: str | None = None) -> tuple[int, list]:
    """Validates and writes one table, or one part of a table stored per step,
    into the staging folder (an empty part is not written); returns its row
    count and the values of its key's first column (to check the key across
    parts, ``stage_warehouse``)."""
    if part is not None and frame.empty:
        return 0, []
    prepared = prepare_table(name, frame)
    _fsync(_write_table(staging, name, prepared, part))
    key = TABLES_BY_NAME[name].primary_key
    return len(prepared), (prepared[key[0]].dropna().unique().tolist() if key and part is not None else [])


def write_ahead(staging: Path, tables: dict[str, pd.DataFrame | dict[str, pd.DataFrame]]) -> dict[str, dict[str | None, tuple[int, list]]]:
    """Validates and writes ``tables`` (as in ``stage_warehouse``) into the
    staging folder before the rest of the version is known, by a few threads:
    the build's process does it while a step process runs (``etl.build``).
    Returns what ``stage_warehouse`` takes as ``written``: {table: {part:
    (rows, the values of the key's first column)}}, a table written whole
    under the part ``None``."""
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        jobs = {}
        for name, value in tables.items():
            if TABLES_BY_NAME[name].per_step:
                jobs[name] = {part: pool.submit(write_part, staging, name, frame, part) for part, frame in split_parts(name, value).items()}
            else:
                jobs[name] = {None: pool.submit(write_part, staging, name, value)}
        return {name: {part: job.result() for part, job in parts.items()} for name, parts in jobs.items()}


def split_parts(name: str, value: pd.DataFrame | dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The parts (build step → rows) of a table stored per step: given as such,
    or split by the ``step`` column (the quarantine's)."""
    if isinstance(value, dict):
        return value
    if "step" not in value.columns:
        raise ValueError(f"table {name} is stored per build step: give its rows by step")
    steps = value["step"].fillna("").replace("", BUILD_PART)
    return {str(step): part for step, part in value.groupby(steps, sort=True)}


def _check_key_across_parts(name: str, new: dict[str, pd.DataFrame], carried: list[Path]) -> None:
    """The primary key of a table stored per step holds across its parts: the
    keys of the parts written now against those carried over (read by DuckDB,
    only the row groups of the same indicators)."""
    table = TABLES_BY_NAME[name]
    key = list(table.primary_key)
    frames = [f[key] for f in new.values() if not f.empty]
    if not key or not frames:
        return
    if not carried:
        # Each part's own key was checked with its schema (prepare_table): rows of
        # different parts can only clash where they share a value of the key's first column.
        firsts = pd.Series([v for f in frames for v in f[key[0]].unique()]).value_counts()
        shared = firsts.index[firsts > 1]
        frames = [f[f[key[0]].isin(shared)] for f in frames] if len(shared) else []
        frames = [f for f in frames if not f.empty]
        if not frames:
            return
    keys = pd.concat(frames, ignore_index=True)
    dup = keys.duplicated(keep=False)
    if carried and not dup.any():
        import duckdb

        con = duckdb.connect()
        con.register("new_keys", keys)
        files = ", ".join("'" + p.as_posix().replace("'", "''") + "'" for p in carried)
        cols = ", ".join(key)
        first = key[0]
        clash = con.execute(
            f"SELECT {cols} FROM read_parquet([{files}]) WHERE {first} IN (SELECT DISTINCT {first} FROM new_keys) "
            f"INTERSECT SELECT {cols} FROM new_keys LIMIT 5"
        ).df()
        con.close()
        if not clash.empty:
            raise ValidationError(f"table {name}: rows of {sorted(new)} share a primary key {tuple(key)} with rows kept from other steps, e.g. {clash.to_dict('records')}")
        return
    if dup.any():
        examples = keys[dup].drop_duplicates().head(5).to_dict("records")
        raise ValidationError(f"table {name}: {int(dup.sum())} rows share a primary key {tuple(key)}, e.g. {examples}")


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


def new_staging(target: Path) -> Path:
    """A new, empty staging folder in ``<target>.versions/`` (removed as debris
    by the next build if this one never finishes it)."""
    versions = paths.versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    staging = versions / f".staging-{_new_version_id()}"
    staging.mkdir()
    return staging


def _written_keys(staging: Path, name: str, written: dict[str, tuple[int, list]], new: dict[str, pd.DataFrame],
                  carried: bool) -> dict[str, pd.DataFrame]:
    """The keys of the parts of table ``name`` that another process wrote into
    ``staging`` (``written``: part → (rows, the values of the key's first
    column)) that can clash with another part, read from the files: beside
    parts ``carried`` from the current version all of them (checked against
    those by DuckDB), else only the rows of first values two parts share."""
    key = list(TABLES_BY_NAME[name].primary_key)
    if not key or not written:
        return {}
    firsts = pd.Series([v for f in new.values() if not f.empty for v in f[key[0]].unique()]
                       + [v for _, values in written.values() for v in values]).value_counts()
    shared = sorted(firsts.index if carried else firsts.index[firsts > 1])
    if not shared:
        return {}
    # In the dtypes of the parts made here (prepare_table), to compare equal keys as equal (dates).
    like = next((f for f in new.values() if not f.empty), None)
    out = {}
    for part, (_, values) in written.items():
        if set(values) & set(shared):
            keys = pd.read_parquet(paths.part_path(staging, name, part), columns=key, filters=[(key[0], "in", shared)])
            if like is not None:
                keys = pd.DataFrame({c: keys[c] if keys[c].dtype == like[c].dtype
                                     else (pd.to_datetime(keys[c]) if pd.api.types.is_datetime64_any_dtype(like[c]) else keys[c]).astype(like[c].dtype)
                                     for c in key})
            out[part] = keys
    return out


def stage_warehouse(target: Path, tables: dict[str, pd.DataFrame | dict[str, pd.DataFrame]], manifest: dict,
                    files: dict[str, bytes] | None = None, *, carry: tuple[str, ...] | list[str] = (),
                    staging: Path | None = None, written: dict[str, dict[str | None, tuple[int, list]]] | None = None,
                    complete: Callable[[dict], None] | None = None) -> Path:
    """Validates every table and writes them, the build's ``files`` and the
    manifest to a staging folder in ``<target>.versions/``: complete, but not
    yet the warehouse.

    ``tables`` maps a name to its rows; a table stored per build step
    (``Table.per_step``) is written as one file per part, given as
    ``{step: rows}`` or split by its ``step`` column. ``carry`` names what is
    taken unchanged from the current version, by hard link: whole tables
    (``"regions"``, or every part of ``"observations"``) and single parts
    (``"observations/population"``); nothing
    carried is read, validated or rewritten, except the primary keys of the
    parts beside new ones (``_check_key_across_parts``). Without ``files``,
    the current version's files are carried too.

    ``staging``: a staging folder made before (``new_staging``) into which
    another process of the build wrote parts of tables stored per step
    (``etl.parallel``), or the build's process wrote tables and parts ahead
    (``write_ahead``); ``written`` names them, {table: {part: (rows, the
    values of the key's first column)}}, a table written whole under the part
    ``None``: they are counted and the parts checked against the other parts'
    keys (reading only rows of shared first values), not rewritten (a table
    also in ``tables`` is written again). ``complete`` is called with the
    manifest just before it is written (e.g. to add the final timings). On
    failure the staging folder is removed, given or not.
    """
    written = written or {}
    written_whole = {name: by_part[None][0] for name, by_part in written.items() if None in by_part and name not in tables}
    written = {name: by_part for name, by_part in written.items() if None not in by_part}
    base = target.resolve() if os.path.lexists(target) and target.exists() else None
    previous = (read_manifest(base) or {}) if base is not None else {}
    carried_parts: dict[str, list[str]] = {}
    carried_tables: list[str] = []
    for item in carry:
        name, _, part = item.partition("/")
        if name not in TABLES_BY_NAME:
            raise ValueError(f"cannot carry {item!r}: no such table")
        if base is None:
            raise ValueError(f"cannot carry {item!r}: {target} has no current version")
        if name in tables and not (part and TABLES_BY_NAME[name].per_step):
            raise ValueError(f"{name} is both carried and written")
        if part:
            carried_parts.setdefault(name, []).append(part)
        else:
            carried_tables.append(name)
    per_step = {name: split_parts(name, value) for name, value in tables.items() if TABLES_BY_NAME[name].per_step}
    for name in [*carried_parts, *written]:
        per_step.setdefault(name, {})
    # Tables and parts are validated and written by a few threads: pyarrow's
    # conversions, compression and writes run beside the next table's pandas work.
    pool = ThreadPoolExecutor(max_workers=WRITE_THREADS)
    try:
        prepared = {name: pool.submit(prepare_table, name, frame) for name, frame in tables.items() if name not in per_step}
        prepared_parts = {name: {part: pool.submit(prepare_table, name, frame) for part, frame in parts.items()} for name, parts in per_step.items()}
        prepared = {name: job.result() for name, job in prepared.items()}
        prepared_parts = {name: {part: job.result() for part, job in parts.items()} for name, parts in prepared_parts.items()}
        for name, parts in prepared_parts.items():
            carried_files = [paths.part_path(base, name, p) for p in carried_parts.get(name, [])]
            beside = _written_keys(staging, name, written.get(name, {}), parts, bool(carried_files)) if staging is not None else {}
            _check_key_across_parts(name, {**parts, **beside}, carried_files)
        if staging is None:
            staging = new_staging(target)
    except BaseException:
        pool.shutdown(cancel_futures=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    row_counts: dict[str, int] = {}
    part_rows: dict[str, dict[str, int]] = {}
    try:
        written_files = [pool.submit(_write_table, staging, name, frame) for name, frame in prepared.items()]
        for name, frame in prepared.items():
            row_counts[name] = int(len(frame))
        for name, rows in written_whole.items():
            row_counts[name] = int(rows)
        for name in carried_tables:
            src = paths.table_path(base, name)
            if src.is_dir():  # every part of a table stored per step
                (staging / name).mkdir()
                for part in sorted(src.iterdir()):
                    _link_or_copy(str(part), str(staging / name / part.name))
                part_rows[name] = previous.get("parts", {}).get(name, {})
            else:
                _link_or_copy(str(src), str(staging / src.name))
            row_counts[name] = int(previous.get("row_counts", {})[name])
        for name, parts in prepared_parts.items():
            rows = {}
            for part in carried_parts.get(name, []):
                (staging / name).mkdir(exist_ok=True)
                _link_or_copy(str(paths.part_path(base, name, part)), str(paths.part_path(staging, name, part)))
                rows[part] = int(previous.get("parts", {}).get(name, {})[part])
            for part, frame in parts.items():
                if not frame.empty:
                    written_files.append(pool.submit(_write_table, staging, name, frame, part))
                    rows[part] = int(len(frame))
            for part, (count, _) in written.get(name, {}).items():
                if count:
                    rows[part] = count
            if not rows:  # no step wrote rows: one empty part keeps the table readable
                empty = prepare_table(name, pd.DataFrame(columns=TABLES_BY_NAME[name].column_names))
                _fsync(_write_table(staging, name, empty, BUILD_PART))
                rows[BUILD_PART] = 0
            part_rows[name] = dict(sorted(rows.items()))
            row_counts[name] = sum(rows.values())
        for job in written_files:
            _fsync(job.result())
        for name in prepared_parts:
            _fsync(staging / name)
        written = _stage_files(staging, target, files)
        checkpoint("tables written")
        manifest = dict(manifest)
        manifest["row_counts"] = dict(sorted(row_counts.items()))
        manifest["parts"] = part_rows
        manifest["tables"] = sorted(row_counts)
        manifest["files"] = written
        if complete is not None:
            complete(manifest)
        write_manifest(staging, manifest)
        checkpoint("manifest written")
    except BaseException:
        pool.shutdown(cancel_futures=True)  # waits for the writes under way
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pool.shutdown()
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


def write_warehouse(target: Path, tables: dict[str, pd.DataFrame], manifest: dict, *, based_on: Path | None = None,
                    carry: tuple[str, ...] | list[str] = ()) -> Path:
    """Validate every table, write them as a new version, then switch it in.

    ``target`` stays the path readers open (a link to the current version). A
    build that fails or is killed at any point leaves the last good warehouse
    in place; the next write cleans up after it (``recover_warehouse``).
    ``based_on`` is the version folder the tables were read from (an import
    that adds to the warehouse): if another build switched the warehouse in
    the meantime, nothing is written (``WarehouseBusy``) rather than that
    build's result being lost. ``carry``: tables (and parts) taken unchanged
    from the current version (``stage_warehouse``).
    """
    target = locate_warehouse(target)
    with warehouse_lock(target):
        if based_on is not None and target.resolve() != based_on.resolve():
            raise WarehouseBusy(f"{target} was rebuilt while this import read it; nothing written: run the import again")
        recover_warehouse(target)
        staged = stage_warehouse(target, tables, manifest, carry=carry)
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
