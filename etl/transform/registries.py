"""Build step ``registries``: the associations' registries kept by ``import-registry``.

In: every registry in the registry store (``DSR_REGISTRIES``, default
``data/registries/<id>/``: the file as imported and ``import.json`` with the
title, publisher, licence, attribution, URL, time and checksum of the import),
the regions and their shapes (coordinates are checked against them).
Out: the step's parts of ``projects``, ``project_regions``, ``project_sectors``
and ``registries`` (``<table>/registries.parquet``), its quarantine entries
(source_id = the registry's id), and per registry a manifest note
(``notes.registries.<id>``: file, checksum, import time and counts).

Each registry is checked as on import (``etl.registry_import.check_registry``).
A kept registry that can no longer be read, or has no valid row against these
regions, is left out with a quarantine entry and a log line; the others load.
``python -m etl import-registry`` keeps the file and reruns this step alone
(``build --only registries``); a full build runs it like any other step.
"""

from __future__ import annotations

import pandas as pd

from etl.catalogue import TABLES_BY_NAME
from etl.context import BuildContext
from etl.errors import InputError
from etl.registry_import import REGISTRIES_STEP, check_registry, kept_registries, registry_tables
from etl.resolver import Resolver
from etl.steps import Step
from etl.transform.projects import SectorMapping, add_quarantine

TABLES = ("projects", "project_regions", "project_sectors", "registries")


def build_registries(ctx: BuildContext) -> dict[str, pd.DataFrame]:
    kept = kept_registries()
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    if kept:
        resolver = Resolver.from_files(ctx.regions, shapes=ctx.tables.get("region_shapes"))
        mapping = SectorMapping.load()
    for registry_id, file, meta in kept:
        try:
            result = check_registry(file, registry_id, resolver, mapping, meta.get("licence"))
        except (InputError, OSError) as err:
            ctx.quarantine.add(source_id=registry_id, file=file.name, reason=f"kept registry not loaded: {err}", target_table="projects")
            ctx.note(REGISTRIES_STEP, registry_id, {"file": file.name, "status": f"not loaded: {err}"})
            ctx.log(f"registry {registry_id}: not loaded: {err}")
            continue
        for name, frame in registry_tables(result, meta).items():
            parts[name].append(frame)
        add_quarantine(ctx, result.build)
        summary = result.build.summary()
        ctx.note(REGISTRIES_STEP, registry_id, {"file": file.name, "sha256": meta.get("sha256"), "imported_at": meta.get("imported_at"),
                                                "status": "loaded", **summary})
        ctx.log(f"registry {registry_id}: {summary['projects']} projects from {file.name}")
    return {name: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TABLES_BY_NAME[name].column_names)
            for name, frames in parts.items()}


# After the kit's registries (step projects); sources: none of the kit (``--only registries`` names the step).
STEP = Step(REGISTRIES_STEP, 95, (), build_registries, reads=("region_shapes",))
