"""The exports' renderer (``export.render``): one headless Chromium per
process, kept between exports and closed when unused."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import plotly.graph_objects as go

from dashboard import export


def _children() -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields["PPid"]) == os.getpid():
            pids.append(int(fields["Pid"]))
    return pids


def test_one_browser_is_kept_between_exports_and_closed_when_unused(monkeypatch):
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    png = export.render(fig, "png", 400, 300, 1)
    first = export._RENDERER._kaleido  # noqa: SLF001 - the object under test
    svg = export.render(fig, "svg", 400, 300)
    assert png.startswith(b"\x89PNG") and svg.lstrip().startswith(b"<svg")
    assert export._RENDERER._kaleido is first  # noqa: SLF001 - the same browser drew both
    assert _children()
    # Sessions exporting at once (threads) each get their own figure.
    out: dict[int, bytes] = {}

    def export_one(i: int) -> None:
        out[i] = export.render(go.Figure(go.Bar(x=["a"], y=[i]), layout={"title": f"Figur-{i}"}), "svg", 400, 300)

    threads = [threading.Thread(target=export_one, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(f"Figur-{i}".encode() in out[i] and all(f"Figur-{j}".encode() not in out[i] for j in range(3) if j != i) for i in range(3))
    monkeypatch.setattr(export, "RENDER_IDLE_S", 1)
    time.sleep(1.2)
    loop = export._RENDERER._loop  # noqa: SLF001 - look now, not in ten minutes
    loop.call_soon_threadsafe(export._RENDERER._check_idle, loop)  # noqa: SLF001
    deadline = time.time() + 30
    while (export._RENDERER._kaleido is not None or _children()) and time.time() < deadline:  # noqa: SLF001
        time.sleep(0.2)
    assert export._RENDERER._kaleido is None and not _children()  # noqa: SLF001
    assert export.render(fig, "png", 400, 300, 1).startswith(b"\x89PNG")  # opened again on demand
