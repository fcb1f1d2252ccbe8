"""``etl fetch`` against a local stand-in for the publishers' websites (the only
thing mocked in this project: the real hosts are unreachable here)."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile

import pytest

from etl import fetch as fetch_module
from etl.catalogue.model import RawFile, Source


@pytest.fixture()
def publisher(tmp_path):
    """An HTTP server on loopback serving files from a folder."""
    root = tmp_path / "site"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _source(base: str) -> Source:
    return Source(
        id="demo", title="t", publisher="p", url=base, licence="l", licence_url=base, attribution="a",
        reference_date="2021-01-01", description_de="d", description_en="d",
        files=(
            RawFile("demo/table.csv", f"{base}/table.csv"),
            RawFile("demo/shapes/A.shp", f"{base}/pack.zip", "pack/inner/A.shp"),
            RawFile("demo/md/*.md", f"{base}/pack.zip", "pack/md/"),
        ),
    )


def _sha(b: bytes) -> dict:
    return {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)}


def test_fetch_downloads_unpacks_and_checks_checksums(publisher, tmp_path, monkeypatch):
    root, base = publisher
    csv = "ags;wert\n01001;1,5\n".encode("latin-1")
    (root / "table.csv").write_bytes(csv)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pack/inner/A.shp", b"SHP")
        z.writestr("pack/md/one.md", b"---\ntitle: a\n---\n")
        z.writestr("pack/md/two.md", b"---\ntitle: b\n---\n")
        z.writestr("pack/md/sub/three.md", b"not at this level")
    (root / "pack.zip").write_bytes(buf.getvalue())

    monkeypatch.setattr(fetch_module, "SOURCES", (_source(base),))
    monkeypatch.setattr(fetch_module, "SOURCES_BY_ID", {"demo": _source(base)})
    monkeypatch.setattr(fetch_module, "load_checksums", lambda: {"demo/table.csv": _sha(csv), "demo/shapes/A.shp": _sha(b"OTHER")})

    target = tmp_path / "raw"
    results = {r.path: r.status for r in fetch_module.fetch(target, log=lambda m: None)}
    assert results == {"demo/table.csv": "ok", "demo/shapes/A.shp": "changed", "demo/md/one.md": "ok", "demo/md/two.md": "ok"}
    assert (target / "demo/table.csv").read_bytes() == csv
    # A changed file is kept aside, never in place of the version the ETL knows.
    assert not (target / "demo/shapes/A.shp").exists()
    assert (target / "demo/shapes/A.shp.new").read_bytes() == b"SHP"
    # Present files are not downloaded again.
    again = {r.path: r.status for r in fetch_module.fetch(target, log=lambda m: None)}
    assert again["demo/table.csv"] == "present"


def test_fetch_offline_fails_with_a_clear_message(tmp_path, monkeypatch):
    # Port 9 on loopback: nothing listens, like a blocked outside host.
    src = _source("http://127.0.0.1:9")
    monkeypatch.setattr(fetch_module, "SOURCES", (src,))
    with pytest.raises(fetch_module.FetchError, match="DSR_RAW_DIR"):
        fetch_module.fetch(tmp_path / "raw", log=lambda m: None)


def test_the_recorded_checksums_match_the_kit(kit_dir):
    sums = fetch_module.load_checksums()
    assert sums, "etl/catalogue/checksums.json is empty"
    for rel, expected in list(sums.items())[:50]:
        path = kit_dir / rel
        if path.exists():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == expected["sha256"], rel
