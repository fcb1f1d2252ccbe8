"""Every directory the project uses, derived from two settings.

Nothing else in the code base builds paths to raw data or to the warehouse:

- ``DSR_RAW_DIR``: where the raw files lie, as published. Default ``data/raw/``;
  when that is missing or empty, ``../shared/data/`` beside the project (the kit).
- ``DSR_WAREHOUSE``: where the build writes and the app reads. Default
  ``data/warehouse`` (ignored by git). Since the crash-safe swap this path is a
  symbolic link to one complete build in ``<warehouse>.versions/<id>/``,
  switched in one atomic step by each build (see ``etl.load``); readers open
  the path as a folder, as before.

Imported registries are kept in ``DSR_REGISTRIES`` (default ``data/registries/``,
ignored by git: they are the associations' data) so that a full build can add
them again.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_RAW_DIR = DATA_DIR / "raw"
KIT_RAW_DIR = PROJECT_ROOT.parent / "shared" / "data"
DEFAULT_WAREHOUSE = DATA_DIR / "warehouse"
DEFAULT_REGISTRIES = DATA_DIR / "registries"

# Reviewed, hand-written inputs that belong to the project (not raw data).
SECTOR_MAPPING_FILE = DATA_DIR / "sector_mapping.csv"
RESOLVER_OVERRIDES_FILE = DATA_DIR / "resolver_overrides.csv"
TERRITORIAL_CHANGES_FILE = DATA_DIR / "territorial_changes.csv"
CITY_DISTRICTS_FILE = DATA_DIR / "city_districts.csv"
TEMPLATES_DIR = DATA_DIR / "templates"


def _has_files(path: Path) -> bool:
    return path.is_dir() and any(p.name != ".gitkeep" for p in path.iterdir())


def raw_dir() -> Path:
    """The raw-data directory: ``DSR_RAW_DIR``, else data/raw/, else the kit."""
    configured = os.environ.get("DSR_RAW_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    if _has_files(DEFAULT_RAW_DIR):
        return DEFAULT_RAW_DIR
    if _has_files(KIT_RAW_DIR):
        return KIT_RAW_DIR
    return DEFAULT_RAW_DIR


def warehouse_dir() -> Path:
    """The warehouse path: ``DSR_WAREHOUSE``, else data/warehouse (a link to the current version)."""
    configured = os.environ.get("DSR_WAREHOUSE")
    if configured:
        return warehouse_location(Path(configured))
    return DEFAULT_WAREHOUSE


def warehouse_location(path: Path) -> Path:
    """``path`` made absolute without following its last component.

    The last component is the link that each build switches to a new version;
    resolving it would give the version folder of one build, and a build
    writing there would replace that folder instead of switching the link.
    """
    path = path.expanduser()
    return path.parent.resolve() / path.name


def versions_dir(warehouse: Path) -> Path:
    """Where the builds of ``warehouse`` live: one complete folder per build."""
    return warehouse.parent / f"{warehouse.name}.versions"


def registries_dir() -> Path:
    """Where imported registries are kept: ``DSR_REGISTRIES``, else data/registries/."""
    configured = os.environ.get("DSR_REGISTRIES")
    if configured:
        return Path(configured).expanduser().resolve()
    return DEFAULT_REGISTRIES


def table_path(warehouse: Path, table: str) -> Path:
    """The Parquet file of one warehouse table, or the folder of its parts for a
    table stored per build step (``Table.per_step``: ``<table>/<step>.parquet``);
    ``pandas.read_parquet`` reads either."""
    folder = warehouse / table
    return folder if folder.is_dir() else warehouse / f"{table}.parquet"


def part_path(warehouse: Path, table: str, part: str) -> Path:
    """The Parquet file of one part (a build step's rows) of a table stored per step."""
    return warehouse / table / f"{part}.parquet"


def manifest_path(warehouse: Path) -> Path:
    return warehouse / "manifest.json"
