"""Build steps: each transform module that defines ``STEP`` takes part in the build.

A step reads the raw files of its sources and returns tables (``observations``,
``duplicates`` and its own); steps run by ``order``, so a step can read what
earlier ones produced from ``ctx.tables`` (e.g. population for per-inhabitant
figures). What it reads there it declares in ``reads``, so that a partial
build (``--only SOURCE``) reruns exactly the steps of that source and the
steps that depend on them (``select_steps``), and loads only what they read.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from etl.context import BuildContext


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    source_ids: tuple[str, ...]
    run: Callable[[BuildContext], dict[str, pd.DataFrame]]
    # Tables this step writes whole (not per source), replaced on a partial build.
    owns_tables: tuple[str, ...] = ()
    # What it reads from ``ctx.tables`` besides the regions (which every step
    # reads): table names, or "observations:<indicator_id>" for the
    # observations of one indicator.
    reads: tuple[str, ...] = ()


REGIONS_STEP = "regions"


def depends_on(step: Step, earlier: Step) -> bool:
    """Whether ``step`` reads what ``earlier`` writes: the regions (every step),
    a table ``earlier`` owns, or observations of an indicator of ``earlier``'s
    sources (the catalogue's ``Indicator.source_ids``)."""
    if earlier.order >= step.order:
        return False
    if earlier.name == REGIONS_STEP:
        return True
    from etl.catalogue import INDICATORS_BY_ID

    for item in step.reads:
        table, _, indicator = item.partition(":")
        if table in earlier.owns_tables:
            return True
        if indicator and set(INDICATORS_BY_ID[indicator].source_ids) & set(earlier.source_ids):
            return True
    return False


def select_steps(steps: list[Step], source_id: str) -> list[Step]:
    """The steps a rebuild of one source reruns: those reading its files (or
    the step of that name, e.g. ``registries``, which reads no raw file) and,
    in order, every step that depends on one already selected."""
    selected: list[Step] = []
    for step in steps:
        if source_id in step.source_ids or step.name == source_id or any(depends_on(step, s) for s in selected):
            selected.append(step)
    return selected


def discover_steps() -> list[Step]:
    import etl.transform as transform_pkg
    from etl.regions import build_regions

    steps = [Step(REGIONS_STEP, 0, ("bkg_vg5000",), build_regions, ("regions", "region_shapes", "territorial_changes"))]
    for info in pkgutil.iter_modules(transform_pkg.__path__):
        module = importlib.import_module(f"etl.transform.{info.name}")
        step = getattr(module, "STEP", None)
        if step is not None:
            steps.append(step)
    names = [s.name for s in steps]
    if len(names) != len(set(names)):
        raise ValueError(f"two steps share a name: {names}")
    return sorted(steps, key=lambda s: (s.order, s.name))
