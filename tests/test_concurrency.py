"""Many people at once: several browser sessions open every page at the same
time on a freshly started app (cold caches, as right after a deploy or a
rebuild). No page may end in Streamlit's error box and the server log must stay
clean. The app shares one warehouse object between all sessions' script
threads; this test fails when a query runs on a connection another thread is
using (DuckDB: "connection is busy with another call")."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from browser import PAGES, log_errors, run_sessions, running_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
SESSIONS = 4
ROUNDS = 2


def test_sessions_opening_every_page_at_once_on_a_cold_app_see_no_error(warehouse):
    log = ARTIFACTS / "streamlit-concurrency.log"
    with running_app(warehouse.directory, log) as (base, _proc):
        loads = run_sessions(base, sessions=SESSIONS, rounds=ROUNDS)
    assert len(loads) == SESSIONS * ROUNDS * len(PAGES)
    failed = [(load["session"], load["slug"], load["errors"][0][:300]) for load in loads if load["errors"]]
    assert failed == [], failed
    assert log_errors(log) == []


def test_queries_from_many_threads_share_one_warehouse_object(warehouse):
    """The data layer's contract without a browser: one Warehouse, many threads,
    every query answered (each runs on its own cursor)."""
    from etl.warehouse import Warehouse

    wh = Warehouse(warehouse.directory)
    errors: list[BaseException] = []
    counts: list[int] = []

    def work():
        try:
            for _ in range(20):
                frame = wh.sql("SELECT count(*) AS n FROM observations o JOIN regions r USING (region_id) WHERE r.level = 'kreis'")
                counts.append(int(frame["n"].iloc[0]))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(counts) == 120 and len(set(counts)) == 1
