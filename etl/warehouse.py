"""The one data-access module: reads the warehouse through DuckDB.

Every table is a view over its Parquet file (or the files of its parts, for a
table stored per build step), so users and the app query the same names (``regions``, ``observations`` …) with SQL. Geometry comes through
geopandas (GeoParquet), filtered by level and resolution when read.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from etl import paths
from etl.catalogue import TABLES_BY_NAME


# Parts of the manifest a reader does not keep in memory; ``read_manifest``
# reads them from disk when they are shown. The quarantine summary is 6 MB of
# JSON (15,000 reasons naming Gemeinden; 12 MB as Python objects) that only
# the app's Quellen page shows, and the app keeps one reader per warehouse.
MANIFEST_ON_DEMAND = ("quarantine_by_source_and_reason",)
ALLOCATOR_FLUSH_THRESHOLD = "4MB"


class WarehouseMissing(Exception):
    def __init__(self, warehouse: Path):
        super().__init__(f"no warehouse in {warehouse}: run `python -m etl build` first (or set DSR_WAREHOUSE)")


class Warehouse:
    def __init__(self, directory: Path | None = None):
        # Resolved once: the warehouse path is a link that a build switches to a
        # new version; this reader stays on the version it opened (kept by the
        # next build as the previous one), never a mix of two builds.
        self.directory = (directory or paths.warehouse_dir()).resolve()
        if not paths.manifest_path(self.directory).exists():
            raise WarehouseMissing(self.directory)
        self.manifest: dict = {k: v for k, v in self.read_manifest().items() if k not in MANIFEST_ON_DEMAND}
        self.con = duckdb.connect(database=":memory:")
        self.con.execute("SET threads TO 2")
        # DuckDB's allocator (its own jemalloc) keeps what a query freed in
        # per-thread caches until a query peaks above the flush threshold
        # (default 128 MB, which the app's small queries never reach); flushed
        # after each query above 4 MB and purged by its background threads,
        # the app's process ended the benchmark's visits about 15 MB lower
        # (README, app_rss_mb). Settings of the process-wide allocator.
        self.con.execute(f"SET allocator_flush_threshold = '{ALLOCATOR_FLUSH_THRESHOLD}'")
        self.con.execute("SET allocator_background_threads = true")
        for name in self.manifest.get("tables", []):
            table = TABLES_BY_NAME.get(name)
            if table is None or table.geo:
                continue
            path = paths.table_path(self.directory, name)
            # A table stored per build step is the union of its parts (same schema).
            file = (f"{path.as_posix()}/*.parquet" if path.is_dir() else path.as_posix()).replace("'", "''")
            self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{file}')")

    @property
    def version(self) -> str:
        """Changes whenever the warehouse is rebuilt: a cache key for readers."""
        return f"{self.manifest.get('built_at')}|{self.manifest.get('code_version')}"

    def read_manifest(self) -> dict:
        """The whole manifest, ``MANIFEST_ON_DEMAND`` included, read from disk
        now (the file of this reader's version; nothing kept)."""
        return json.loads(paths.manifest_path(self.directory).read_text(encoding="utf-8"))

    def has(self, table: str) -> bool:
        return table in self.manifest.get("tables", [])

    def sql(self, query: str, params: list | dict | None = None) -> pd.DataFrame:
        """Runs one query on its own cursor. A DuckDB connection runs one call at
        a time; the app's sessions share this object from several threads, so no
        query may run on the shared connection itself (a cursor is a new
        connection to the same in-memory catalogue: it sees the same views)."""
        with self.con.cursor() as cur:
            return cur.execute(query, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        return self.sql(f"SELECT * FROM {name}")

    def shapes(self, level: str, resolution: str = "map"):
        import geopandas as gpd

        return gpd.read_parquet(
            paths.table_path(self.directory, "region_shapes"),
            filters=[("level", "=", level), ("resolution", "=", resolution)],
        )
