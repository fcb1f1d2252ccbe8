"""Applies the schema and writes the warehouse atomically, with its manifest.

The new warehouse is written to a temporary folder beside the target, every
table is conformed and validated, and only then is it swapped in: a build that
fails at any point leaves the last good warehouse untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import paths
from etl.catalogue import TABLES_BY_NAME
from etl.schema import arrow_schema, conform, validate

MANIFEST_VERSION = 1
ROW_GROUP_SIZE = 100_000


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


def write_warehouse(target: Path, tables: dict[str, pd.DataFrame], manifest: dict) -> Path:
    """Validate every table, write them to a temporary folder, then swap it in."""
    prepared = {name: prepare_table(name, frame) for name, frame in tables.items()}
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, frame in prepared.items():
            _write_table(tmp, name, frame)
        manifest = dict(manifest)
        manifest["row_counts"] = {name: int(len(frame)) for name, frame in prepared.items()}
        manifest["tables"] = sorted(prepared)
        paths.manifest_path(tmp).write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_manifest(warehouse: Path) -> dict | None:
    path = paths.manifest_path(warehouse)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
