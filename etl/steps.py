"""Build steps: each transform module that defines ``STEP`` takes part in the build.

A step reads the raw files of its sources and returns tables (``observations``,
``duplicates`` and its own); steps run by ``order``, so a step can read what
earlier ones produced from ``ctx.tables`` (e.g. population for per-inhabitant
figures). What it reads there it declares in ``reads``, so that a partial
build (``--only SOURCE``) reruns exactly the steps of that source and the
steps that depend on them (``select_steps``), and loads only what they read.
The same dependencies let the build run a long step in a process of its own
beside the steps that do not read what it writes (``separate_steps``,
``etl.parallel``).
"""

from __future__ import annotations

import importlib
import pkgutil
import time
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
# What every step reads besides its ``reads``: the population, by which its
# Gemeindeverband values are weighted (etl.transform.observations); the step
# that writes it also extends the crosswalk every step converts historic keys
# with (Gemeinden placed by name, etl.territory.place_named_gemeinden). A
# partial build does not rerun every step after the population's for it, but a
# step never runs before it or beside it (``separate_steps``).
EVERY_STEP_READS = ("observations:population",)
# Steps run in a process of their own when the build may use several
# (``separate_steps``): broadband took 20.5 of the 49.7 s of a full build on
# the 2-core development machine (manifest ``stage_seconds``, issue 14), and
# no step reads what it writes.
OWN_PROCESS = ("broadband",)


def _writes(step: Step, item: str, steps: list[Step]) -> bool:
    """Whether ``step`` writes ``item`` of ``Step.reads``: a table it owns, or
    observations of an indicator made from its files. An indicator is made by
    the steps (of ``steps``) that read all of its sources
    (``Indicator.source_ids``), or, where none does, by every step that reads
    one of them: the population (Genesis, the Gemeindeverzeichnis and the
    Breitbandatlas' inhabitants) by the population step, not by broadband,
    which reads only the Breitbandatlas. A build that runs steps side by side
    checks this against the rows a step wrote (``etl.parallel``)."""
    from etl.catalogue import INDICATORS_BY_ID

    table, _, indicator = item.partition(":")
    if table in step.owns_tables:
        return True
    if not indicator:
        return False
    sources = set(INDICATORS_BY_ID[indicator].source_ids)
    if not sources & set(step.source_ids):
        return False
    return sources <= set(step.source_ids) or not any(sources <= set(s.source_ids) for s in steps)


def depends_on(step: Step, earlier: Step, steps: list[Step], *, every_step_reads: bool = False) -> bool:
    """Whether ``step`` reads what ``earlier`` writes (``_writes``, among
    ``steps``): the regions (every step), a table ``earlier`` owns, or
    observations of an indicator ``earlier`` makes. With ``every_step_reads``,
    also what every step reads (``EVERY_STEP_READS``): the order of a build
    that runs steps side by side."""
    if earlier.order >= step.order:
        return False
    if earlier.name == REGIONS_STEP:
        return True
    reads = step.reads + (EVERY_STEP_READS if every_step_reads else ())
    return any(_writes(earlier, item, steps) for item in reads)


def separate_steps(selected: list[Step], steps: list[Step]) -> list[Step]:
    """The steps of a build (``selected``, in order, of all ``steps``) that can
    run in a process of their own (``OWN_PROCESS``) beside the others: no other
    step of the build depends on them. Each starts once the steps before it
    have run, which include all it depends on."""
    return [s for s in selected if s.name in OWN_PROCESS
            and not any(depends_on(later, s, steps, every_step_reads=True) for later in selected)]


def run_step(step: Step, ctx: BuildContext) -> tuple[dict[str, pd.DataFrame], float]:
    """Runs one step on ``ctx`` (in the build's process or one of its own):
    its start and done lines in the log, its quarantine entries stamped with
    its name, the duplicates its observations recorded added to its tables.
    Returns its tables and its time in seconds."""
    from etl.catalogue import TABLES_BY_NAME

    ctx.log(f"step {step.name}: start ({', '.join(step.source_ids)})")
    t0 = time.perf_counter()
    ctx.quarantine.step = step.name
    result = step.run(ctx)
    if ctx.duplicates:
        # Figures a step's observations recorded as published twice (historic keys, etl.territory).
        extra = pd.DataFrame(ctx.duplicates, columns=TABLES_BY_NAME["duplicates"].column_names)
        ctx.duplicates.clear()
        result = {**result, "duplicates": pd.concat([result["duplicates"], extra], ignore_index=True) if "duplicates" in result else extra}
    seconds = round(time.perf_counter() - t0, 2)
    ctx.log(f"step {step.name}: done in {seconds} s ({', '.join(f'{k} {len(v)}' for k, v in result.items())})")
    return result, seconds


def select_steps(steps: list[Step], source_id: str) -> list[Step]:
    """The steps a rebuild of one source reruns: those reading its files (or
    the step of that name, e.g. ``registries``, which reads no raw file) and,
    in order, every step that depends on one already selected."""
    selected: list[Step] = []
    for step in steps:
        if source_id in step.source_ids or step.name == source_id or any(depends_on(step, s, steps) for s in selected):
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
