"""``python -m etl fetch``: gets the raw files from their publishers.

For each file of the catalogue: download its URL (or the archive that holds it),
check the SHA-256 recorded in the inventory (``etl/catalogue/inventory.py``) and write it to
the raw-data directory under the same relative path. A file whose checksum
differs is kept beside as ``<name>.new`` and reported: the publisher has
changed it, and the ETL was written against the recorded version. Without a
network it fails with a clear message (municipal networks often block outside
hosts: copy the kit by hand and point ``DSR_RAW_DIR`` at it).
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from etl.catalogue import SOURCES, SOURCES_BY_ID
from etl.catalogue.inventory import load_inventory as load_checksums
from etl.catalogue.model import RawFile

TIMEOUT_S = 60


class FetchError(Exception):
    pass


@dataclass
class FetchResult:
    path: str
    status: str  # ok, changed, present


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "dsr-dashboard-etl/1 (+open data)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(
            f"cannot download {url}: {getattr(exc, 'reason', exc)}. Without internet access, copy the raw kit "
            "by hand and set DSR_RAW_DIR to its folder."
        ) from None


def _members(raw: RawFile, archive: zipfile.ZipFile) -> dict[str, bytes]:
    """Relative raw path → bytes for every archive member that ``raw`` stands for."""
    found = {}
    if "*" in raw.path:
        prefix = raw.member or ""
        pattern = raw.path.rsplit("/", 1)[1]
        base = raw.path.rsplit("/", 1)[0]
        for name in archive.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                rest = name[len(prefix):]
                if "/" not in rest and fnmatch.fnmatch(rest, pattern):
                    found[f"{base}/{rest}"] = archive.read(name)
    else:
        found[raw.path] = archive.read(raw.member)
    if not found:
        raise FetchError(f"the archive holds nothing for {raw.path} (member {raw.member})")
    return found


def fetch(target: Path, source_ids: list[str] | None = None, force: bool = False, log=print) -> list[FetchResult]:
    checksums = load_checksums()
    results: list[FetchResult] = []
    archives: dict[str, zipfile.ZipFile] = {}
    for source in SOURCES if not source_ids else [SOURCES_BY_ID[s] for s in source_ids]:
        for raw in source.files:
            if not force and "*" not in raw.path and (target / raw.path).exists():
                results.append(FetchResult(raw.path, "present"))
                continue
            if raw.member is not None:
                if raw.url not in archives:
                    log(f"downloading {raw.url}")
                    try:
                        archives[raw.url] = zipfile.ZipFile(io.BytesIO(_download(raw.url)))
                    except zipfile.BadZipFile:
                        raise FetchError(f"{raw.url} is not a zip archive") from None
                files = _members(raw, archives[raw.url])
            else:
                log(f"downloading {raw.url}")
                files = {raw.path: _download(raw.url)}
            for rel, content in files.items():
                results.append(_store(target, rel, content, checksums.get(rel)))
    return results


def _store(target: Path, rel: str, content: bytes, expected: dict | None) -> FetchResult:
    digest = hashlib.sha256(content).hexdigest()
    path = target / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if expected is not None and expected["sha256"] != digest:
        path.with_name(path.name + ".new").write_bytes(content)
        return FetchResult(rel, "changed")
    path.write_bytes(content)
    return FetchResult(rel, "ok")
