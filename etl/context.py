"""What every build step gets: where the raw files are, the regions built so
far, the quarantine, a place for notes that go into the manifest, and the
editions that steps read from their files (``record_edition``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.errors import MissingRawFile
from etl.quarantine import Quarantine


def _print_progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class BuildContext:
    raw_dir: Path
    quarantine: Quarantine = field(default_factory=Quarantine)
    regions: pd.DataFrame | None = None
    notes: dict[str, dict] = field(default_factory=dict)
    duplicates: list[dict] = field(default_factory=list)
    log: Callable[[str], None] = _print_progress
    # Tables that earlier steps produced, for steps that need them (e.g. population).
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # The declared crosswalk of territorial changes (etl.territory), read once per build.
    territorial_changes: pd.DataFrame | None = None
    # Source id → the edition its file states: {"date", "file", "origin"} (record_edition).
    editions: dict[str, dict] = field(default_factory=dict)
    # Why a historic key outside the crosswalk could not be placed (etl.territory.match_gemeinde_names).
    unplaced_keys: dict[str, str] = field(default_factory=dict)

    def path(self, relpath: str) -> Path:
        """The absolute path of a raw file; a clear error when it is missing."""
        path = self.raw_dir / relpath
        if not path.exists():
            raise MissingRawFile(relpath, str(self.raw_dir))
        return path

    def glob(self, pattern: str) -> list[Path]:
        """Raw files matching a pattern relative to the raw-data directory, sorted."""
        found = sorted(self.raw_dir.glob(pattern))
        if not found:
            raise MissingRawFile(pattern, str(self.raw_dir))
        return found

    def relpath(self, path: Path) -> str:
        return path.relative_to(self.raw_dir).as_posix()

    def region_ids(self, level: str | None = None) -> set[str]:
        if self.regions is None:
            raise RuntimeError("regions are not built yet; the regions step runs first")
        frame = self.regions if level is None else self.regions[self.regions["level"] == level]
        return set(frame["region_id"])

    def note(self, step: str, key: str, value: object) -> None:
        self.notes.setdefault(step, {})[key] = value

    def record_edition(self, source_id: str, date: str, file: str, where: str) -> None:
        """Records the edition (ISO date) that a source's raw ``file`` states
        and ``where`` it says so (sheet, line, the text read). The build's
        ``sources`` table, the attribution and the manifest follow it, not the
        catalogue's default (``etl.build.sources_table``)."""
        self.editions[source_id] = {"date": date, "file": file, "origin": f"{file}, {where}"}
