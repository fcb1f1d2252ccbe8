"""Shared fixtures: the raw kit, one end-to-end warehouse built once per session,
and the small hand-written fixtures under tests/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

# Property tests check invariants, not speed: the machine (2 cores, CI) is noisy.
settings.register_profile("dsr", deadline=None, max_examples=60)
settings.load_profile("dsr")

from etl import paths
from etl.context import BuildContext

FIXTURES = Path(__file__).parent / "data"


@pytest.fixture(scope="session", autouse=True)
def _no_export_warm():
    """Pages do not start the exporter's browser in the background (each test
    process would run one); an export test starts it when it exports."""
    import os

    os.environ.setdefault("DSR_EXPORT_WARM", "0")


@pytest.fixture(scope="session", autouse=True)
def _session_registry_store(tmp_path_factory):
    """No test reads or writes the developer's kept registries (data/registries/)."""
    import os

    previous = os.environ.get("DSR_REGISTRIES")
    os.environ["DSR_REGISTRIES"] = str(tmp_path_factory.mktemp("registries"))
    yield
    if previous is None:
        os.environ.pop("DSR_REGISTRIES", None)
    else:
        os.environ["DSR_REGISTRIES"] = previous


@pytest.fixture(autouse=True)
def _registry_store(tmp_path, monkeypatch):
    """Each test its own, empty registry store."""
    monkeypatch.setenv("DSR_REGISTRIES", str(tmp_path / "registries"))


@pytest.fixture(scope="session")
def kit_dir() -> Path:
    """The real raw kit (../shared/data or DSR_RAW_DIR). CI has it beside the clone."""
    raw = paths.raw_dir()
    if not (raw / "SOURCES.md").exists() and not any(raw.iterdir()):
        pytest.fail(f"raw kit not found in {raw}: set DSR_RAW_DIR")
    return raw


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory, kit_dir):
    """A full build of the warehouse from the real kit, shared by all end-to-end tests.

    ``DSR_TEST_WAREHOUSE`` names an existing build of the kit to reuse instead
    (a developer's shortcut for app tests on a busy machine; CI always builds)."""
    import os

    from etl.build import build
    from etl.warehouse import Warehouse

    reuse = os.environ.get("DSR_TEST_WAREHOUSE")
    if reuse and not os.environ.get("CI"):
        return Warehouse(Path(reuse))
    out = tmp_path_factory.mktemp("warehouse") / "wh"
    build(raw_dir=kit_dir, out=out, log=lambda m: None)
    return Warehouse(out)


APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def open_app(warehouse, monkeypatch):
    """Opens the app in Streamlit's AppTest on the session's warehouse:
    ``open_app(page, check=True, map_drawn=True, **query_params)`` runs it
    once and, with ``check``, fails on an exception shown by the app;
    ``map_drawn=False`` opens the Karte page's first view."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DSR_WAREHOUSE", str(warehouse.directory))

    def open_page(page: str | None = None, check: bool = True, map_drawn: bool = True, **params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        if map_drawn:
            # As after the first view in a browser, whose map reports itself
            # drawn (AppTest has none): the Karte page shows everything.
            at.session_state["karte.map_drawn"] = True
        for key, value in params.items():
            at.query_params[key] = value
        if page:
            at.switch_page(page)
        at.run()
        if check:
            assert not at.exception, at.exception
        return at

    return open_page


@pytest.fixture(scope="session")
def kit_regions(kit_dir) -> pd.DataFrame:
    """The regions table built from the real VG5000 (for unit tests that need keys)."""
    from etl.regions import build_regions

    ctx = BuildContext(raw_dir=kit_dir, log=lambda m: None)
    return build_regions(ctx)["regions"]


def make_context(raw_dir: Path, regions: pd.DataFrame | None = None) -> BuildContext:
    """A build context over a fixture folder, with the given regions."""
    return BuildContext(raw_dir=raw_dir, regions=regions, log=lambda m: None)


def small_regions(*ids: str) -> pd.DataFrame:
    """A regions frame with just these keys (level from key length) for unit tests."""
    level = {2: "land", 3: "rbz", 5: "kreis", 8: "gemeinde"}
    rows = [{"region_id": "DG", "level": "bund"}] + [{"region_id": i, "level": level[len(i)]} for i in ids]
    return pd.DataFrame(rows)
