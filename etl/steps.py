"""Build steps: each transform module that defines ``STEP`` takes part in the build.

A step reads the raw files of its sources and returns tables (``observations``,
``duplicates`` and its own); steps run by ``order``, so a step can read what
earlier ones produced from ``ctx.tables`` (e.g. population for per-inhabitant
figures).
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


def discover_steps() -> list[Step]:
    import etl.transform as transform_pkg
    from etl.regions import build_regions

    steps = [Step("regions", 0, ("bkg_vg5000",), build_regions, ("regions", "region_shapes", "territorial_changes"))]
    for info in pkgutil.iter_modules(transform_pkg.__path__):
        module = importlib.import_module(f"etl.transform.{info.name}")
        step = getattr(module, "STEP", None)
        if step is not None:
            steps.append(step)
    names = [s.name for s in steps]
    if len(names) != len(set(names)):
        raise ValueError(f"two steps share a name: {names}")
    return sorted(steps, key=lambda s: (s.order, s.name))
