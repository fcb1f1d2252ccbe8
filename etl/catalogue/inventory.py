"""The inventory of expected raw files: which files each source reads, their
checksums, the edition each checksum belongs to and, for text tables, their
line counts. Checked at the start of every build, before any step runs.

In: the sources' declared files (``sources.py``; a pattern such as
``Paket_3/*`` stands for the members recorded here) and ``checksums.json``
(relative path → ``sha256``, ``bytes``, ``edition``, and ``lines`` for CSV/TSV
files). Out: an ``InventoryReport`` with one row per expected or found file:

- ``as catalogued``: present with the recorded checksum;
- ``changed``: present with another checksum (another edition, or a damaged
  download): used, with a warning in the log and the manifest;
- ``cut``: changed, and far fewer lines than the catalogued edition (a file cut
  at a line end, e.g. an interrupted download): used, with a warning naming
  the file, its checksum and its line count;
- ``not catalogued``: matched by a source's pattern but not recorded: used, with
  a warning;
- ``missing``: recorded but absent: the build stops (exit 2) unless it is told
  to build without that source (``--without SOURCE``).

``python -m etl checksums`` records the inventory from a raw directory; that is
how a maintainer accepts a new edition (README, "Data").
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from etl.catalogue.model import RawFile, Source
from etl.catalogue.sources import SOURCES, SOURCES_BY_ID

INVENTORY_FILE = Path(__file__).parent / "checksums.json"
LINE_COUNTED = (".csv", ".tsv")
# A changed text file with fewer lines than this share of its catalogued
# edition's is reported as cut (the kit's editions never shrank by a tenth).
CUT_RATIO = 0.9

STATUSES = ("as catalogued", "changed", "cut", "not catalogued", "missing")


def load_inventory(file: Path | None = None) -> dict[str, dict]:
    """Relative path → recorded facts of every expected raw file."""
    file = file or INVENTORY_FILE
    if not file.exists():
        return {}
    return json.loads(file.read_text(encoding="utf-8"))


def _matches(raw: RawFile, rel: str) -> bool:
    if "*" not in raw.path:
        return rel == raw.path
    base, pattern = raw.path.rsplit("/", 1)
    return posixpath.dirname(rel) == base and fnmatch.fnmatchcase(posixpath.basename(rel), pattern)


def source_of(rel: str) -> str | None:
    """The source that declares the raw file ``rel`` (None when none does)."""
    for source in SOURCES:
        if any(_matches(raw, rel) for raw in source.files):
            return source.id
    return None


def expected_files(source: Source, inventory: dict[str, dict]) -> list[str]:
    """The relative paths a source expects: its named files and the recorded members of its patterns."""
    out: list[str] = []
    for raw in source.files:
        if "*" in raw.path:
            out += sorted(rel for rel in inventory if _matches(raw, rel))
        else:
            out.append(raw.path)
    return out


def found_files(source: Source, raw_dir: Path) -> list[str]:
    """The relative paths of the files in ``raw_dir`` that a source's declarations match."""
    out = set()
    for raw in source.files:
        for path in raw_dir.glob(raw.path):
            # ``<name>.new``: a changed download that ``fetch`` kept aside, not used.
            if path.is_file() and not path.name.endswith(".new"):
                out.add(path.relative_to(raw_dir).as_posix())
    return sorted(out)


def file_facts(path: Path) -> dict:
    """What the inventory records of a file: checksum, size and, for text tables, lines."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    facts = {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}
    if path.suffix.lower() in LINE_COUNTED:
        facts["lines"] = lines
    return facts


@dataclass
class InventoryRow:
    source_id: str
    path: str
    status: str
    catalogued: dict | None  # the inventory's entry
    found: dict | None  # file_facts of the file on disk

    @property
    def warning(self) -> str | None:
        c, f = self.catalogued or {}, self.found or {}
        if self.status == "changed":
            return (f"{self.path}: checksum {f['sha256']} differs from the catalogued edition {c.get('edition', '?')} "
                    f"({c['sha256']}); used as found")
        if self.status == "cut":
            return (f"{self.path}: {f['lines']} lines, far below the {c['lines']} of the catalogued edition "
                    f"{c.get('edition', '?')} (checksum {f['sha256']}, catalogued {c['sha256']}): the file looks cut short; "
                    "used as found")
        if self.status == "not catalogued":
            return (f"{self.path}: matches the files of {self.source_id} but is not in the inventory "
                    f"(checksum {f['sha256']}); read by the build if its step reads such files")
        return None


@dataclass
class InventoryReport:
    raw_dir: Path
    rows: list[InventoryRow] = field(default_factory=list)

    def of_status(self, status: str) -> list[InventoryRow]:
        return [r for r in self.rows if r.status == status]

    @property
    def missing_sources(self) -> list[str]:
        return sorted({r.source_id for r in self.of_status("missing")})

    def warnings(self) -> list[dict]:
        """The manifest's record of every file used although it is not as catalogued."""
        out = []
        for r in self.rows:
            if r.warning is None:
                continue
            c, f = r.catalogued or {}, r.found or {}
            out.append({
                "file": r.path,
                "source_id": r.source_id,
                "status": r.status,
                "catalogued_sha256": c.get("sha256"),
                "found_sha256": f.get("sha256"),
                "catalogued_edition": c.get("edition"),
                "catalogued_lines": c.get("lines"),
                "found_lines": f.get("lines"),
                "message": r.warning,
            })
        return out

    def inputs(self) -> dict[str, dict]:
        """Relative path → checksum and size of every file found (the manifest's ``inputs``)."""
        return {r.path: {"sha256": r.found["sha256"], "bytes": r.found["bytes"]} for r in self.rows if r.found is not None}

    def format_table(self) -> str:
        """One table: per source the files as catalogued, then one line per file that is not."""
        header = ("status", "source", "file", "catalogued sha256", "found sha256")
        lines: list[tuple[str, ...]] = []
        for sid in dict.fromkeys(r.source_id for r in self.rows):
            rows = [r for r in self.rows if r.source_id == sid]
            ok = sum(r.status == "as catalogued" for r in rows)
            if ok:
                lines.append(("as catalogued", sid, f"{ok} file{'s' if ok != 1 else ''}", "", ""))
            for r in rows:
                if r.status != "as catalogued":
                    lines.append((r.status, sid, r.path, (r.catalogued or {}).get("sha256", "–"), (r.found or {}).get("sha256", "–")))
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
        text = [f"inputs in {self.raw_dir} against the inventory ({INVENTORY_FILE.name}):"]
        for row in [header, *lines]:
            text.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        return "\n".join(text)


def check_inputs(raw_dir: Path, source_ids: list[str], inventory: dict[str, dict] | None = None) -> InventoryReport:
    """Compares the raw directory with the inventory for these sources (hashes every file found)."""
    inventory = load_inventory() if inventory is None else inventory
    report = InventoryReport(raw_dir)
    for sid in source_ids:
        source = SOURCES_BY_ID[sid]
        expected = expected_files(source, inventory)
        for rel in sorted(set(expected) | set(found_files(source, raw_dir))):
            catalogued = inventory.get(rel)
            path = raw_dir / rel
            found = file_facts(path) if path.is_file() else None
            if found is None:
                status = "missing"
            elif catalogued is None:
                status = "not catalogued"
            elif found["sha256"] == catalogued["sha256"]:
                status = "as catalogued"
            elif "lines" in catalogued and found.get("lines", 0) < CUT_RATIO * catalogued["lines"]:
                status = "cut"
            else:
                status = "changed"
            report.rows.append(InventoryRow(sid, rel, status, catalogued, found))
    return report


def record_inventory(raw_dir: Path, source_ids: list[str] | None = None, edition: str | None = None,
                     previous: dict[str, dict] | None = None) -> tuple[dict[str, dict], list[str]]:
    """The inventory with the files of these sources (all by default) as found in ``raw_dir``.

    Unchanged files keep their edition; a file recorded for the first time gets
    its source's reference date; a file whose checksum changed gets ``edition``
    (required then: the maintainer says which edition is accepted). Files of
    these sources that are no longer found are dropped from the inventory.
    Returns the new inventory and the changed paths.
    """
    previous = load_inventory() if previous is None else previous
    out = dict(previous)
    changed: list[str] = []
    for sid in source_ids or [s.id for s in SOURCES]:
        source = SOURCES_BY_ID[sid]
        for rel in expected_files(source, previous):
            out.pop(rel, None)
        for rel in found_files(source, raw_dir):
            facts = file_facts(raw_dir / rel)
            before = previous.get(rel)
            if before is None:
                facts["edition"] = edition or source.reference_date
            elif before["sha256"] == facts["sha256"]:
                facts["edition"] = before.get("edition") or source.reference_date
            else:
                if edition is None:
                    raise ValueError(f"{rel} changed (catalogued {before['sha256']}, found {facts['sha256']}): "
                                     "name the edition it belongs to with --edition")
                facts["edition"] = edition
                changed.append(rel)
            out[rel] = facts
    return dict(sorted(out.items())), changed


def write_inventory(inventory: dict[str, dict], file: Path | None = None) -> None:
    (file or INVENTORY_FILE).write_text(json.dumps(inventory, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
