"""``python -m etl build``: raw kit → validated warehouse, atomically.

Checks the raw files against the catalogue's inventory, runs every step
(``etl.steps``) in order, adds the catalogue tables (sources,
indicators, flags), the quarantine and the duplicates, validates every table
against its declaration and swaps the new warehouse in with its manifest
(build time, code version, input checksums and warnings, row counts, stage
timings, notes).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from etl import paths
from etl.catalogue import FLAGS, INDICATORS, SOURCES, SOURCES_BY_ID, TABLES_BY_NAME
from etl.context import BuildContext
from etl.catalogue.inventory import check_inputs
from etl.errors import MissingInputs
from etl.load import (
    MANIFEST_VERSION,
    code_version,
    locate_warehouse,
    now_iso,
    read_manifest,
    recover_warehouse,
    stage_warehouse,
    switch_warehouse,
    warehouse_lock,
    write_manifest,
)
from etl.mapfiles import map_files
from etl.steps import discover_steps

# Tables gathered from all steps; rows carry their source_id.
STACKED = ("observations", "duplicates")


def sources_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source_id": s.id,
                "kind": s.kind,
                "title": s.title,
                "publisher": s.publisher,
                "url": s.url,
                "licence": s.licence,
                "licence_url": s.licence_url,
                "attribution": s.attribution,
                "attribution_url": s.attribution_url,
                "reference_date": s.reference_date,
                "description_de": s.description_de,
                "description_en": s.description_en,
                "caveats_de": "\n".join(s.caveats_de),
                "caveats_en": "\n".join(s.caveats_en),
                "files": "\n".join(f.path for f in s.files),
            }
            for s in SOURCES
        ]
    )


def indicators_table() -> pd.DataFrame:
    rows = []
    for i in INDICATORS:
        rows.append(
            {
                "indicator_id": i.id,
                "topic": i.topic,
                "title_de": i.title_de,
                "title_en": i.title_en,
                "unit": i.unit,
                "definition_de": i.definition_de,
                "definition_en": i.definition_en,
                "better": i.better,
                "aggregation": i.aggregation,
                "levels": ",".join(i.levels),
                "derived": i.derived,
                "formula": i.formula or None,
                "source_ids": ",".join(i.source_ids),
                "breaks": json.dumps([b.__dict__ for b in i.breaks], ensure_ascii=False) if i.breaks else None,
                "caveats_de": "\n".join(i.caveats_de) or None,
                "caveats_en": "\n".join(i.caveats_en) or None,
                "decimals": i.decimals,
            }
        )
    return pd.DataFrame(rows, columns=TABLES_BY_NAME["indicators"].column_names)


def flags_table() -> pd.DataFrame:
    return pd.DataFrame([{"flag": f.code, "label_de": f.label_de, "label_en": f.label_en, "has_value": f.has_value} for f in FLAGS])


def _read_previous(warehouse: Path, name: str) -> pd.DataFrame | None:
    path = paths.table_path(warehouse, name)
    if not path.exists():
        return None
    if TABLES_BY_NAME[name].geo:
        import geopandas as gpd

        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def build(raw_dir: Path | None = None, out: Path | None = None, only: str | None = None, log=None,
          without: tuple[str, ...] | list[str] = ()) -> dict:
    """Build the warehouse; returns the manifest. Raises on failure, leaving ``out`` untouched.

    First, under the warehouse's lock, the debris of interrupted builds is
    removed and a half-swapped warehouse restored (``etl.load.recover_warehouse``),
    and the raw directory is compared with the catalogue's inventory: a missing
    expected file stops the build (``MissingInputs``) before any step runs.

    ``only`` rebuilds the steps that read that source (plus regions and every
    step that works on the whole warehouse, such as region attributes) on top of
    the existing warehouse: rows of the sources those steps read are replaced,
    everything else is kept as it was. ``without`` skips every step that reads
    one of these sources.
    """
    raw_dir = (raw_dir or paths.raw_dir()).resolve()
    out = locate_warehouse(out or paths.warehouse_dir())
    ctx = BuildContext(raw_dir=raw_dir)
    if log is not None:
        ctx.log = log
    with warehouse_lock(out):
        manifest = _build(ctx, out, only, tuple(without))
    if only is None:
        # A full build starts from the raw kit; the associations' registries
        # kept by import-registry go back in (a partial build keeps them anyway).
        from etl.registry_import import restore_registries

        if restore_registries(out, ctx.log):
            manifest = read_manifest(out)
    return manifest


def _build(ctx: BuildContext, out: Path, only: str | None, without: tuple[str, ...]) -> dict:
    raw_dir = ctx.raw_dir
    recovered = recover_warehouse(out)
    for action in recovered:
        ctx.log(f"recovery: {action}")
    steps = discover_steps()
    unknown = [sid for sid in (*without, *([only] if only else [])) if sid not in SOURCES_BY_ID]
    if unknown:
        raise SystemExit(f"unknown source {', '.join(map(repr, unknown))}; known: {', '.join(SOURCES_BY_ID)}")
    previous_manifest = None
    if only is not None:
        previous_manifest = read_manifest(out)
        if previous_manifest is None:
            raise SystemExit(f"--only needs an existing warehouse in {out}; run a full build first")
        selected = [s for s in steps if s.name == "regions" or only in s.source_ids or "regions" in s.owns_tables]
    else:
        selected = steps
    skipped = [s for s in selected if set(s.source_ids) & set(without)]
    for step in skipped:
        if step.name == "regions":
            raise SystemExit(f"--without: every step needs the regions, built from {', '.join(step.source_ids)}; it cannot be left out")
    selected = [s for s in selected if s not in skipped]
    for step in skipped:
        ctx.log(f"step {step.name}: skipped (--without {', '.join(sorted(set(step.source_ids) & set(without)))})")
    rebuilt_sources = sorted({sid for s in selected for sid in s.source_ids})

    started = time.perf_counter()
    report = check_inputs(raw_dir, rebuilt_sources)
    ctx.log(report.format_table())
    if report.missing_sources:
        raise MissingInputs(report)
    input_warnings = report.warnings()
    for warning in input_warnings:
        ctx.log(f"warning: {warning['message']}")

    timings: dict[str, float] = {"check_inputs": round(time.perf_counter() - started, 2)}
    produced: dict[str, list[pd.DataFrame]] = {}
    previous_stacked: dict[str, pd.DataFrame] = {}
    if only is not None:
        # Start from the previous warehouse: later steps may read its tables
        # (e.g. population for per-inhabitant figures).
        for name in TABLES_BY_NAME:
            if name in ("sources", "indicators", "flags", "quarantine", "regions", "region_shapes"):
                continue
            previous = _read_previous(out, name)
            if previous is None:
                continue
            if name in STACKED:
                previous_stacked[name] = previous
            ctx.tables[name] = previous
        prev_q = _read_previous(out, "quarantine")
        if prev_q is not None:
            rerun = {s.name for s in selected}
            ctx.quarantine.extend(prev_q[~prev_q["step"].isin(rerun)])
    step_tables: dict[str, list[str]] = {}
    for step in selected:
        ctx.log(f"step {step.name}: start ({', '.join(step.source_ids)})")
        t0 = time.perf_counter()
        ctx.quarantine.step = step.name
        result = step.run(ctx)
        if ctx.duplicates:
            # Figures a step's observations recorded as published twice (historic keys, etl.territory).
            extra = pd.DataFrame(ctx.duplicates, columns=TABLES_BY_NAME["duplicates"].column_names)
            ctx.duplicates.clear()
            result = {**result, "duplicates": pd.concat([result["duplicates"], extra], ignore_index=True) if "duplicates" in result else extra}
        timings[step.name] = round(time.perf_counter() - t0, 2)
        step_tables[step.name] = sorted(result)
        for name, frame in result.items():
            if name == "regions":
                ctx.regions = frame
            if name in STACKED:
                produced.setdefault(name, []).append(frame)
                base = [previous_stacked[name]] if name in previous_stacked else []
                ctx.tables[name] = pd.concat([*base, *produced[name]], ignore_index=True)
            else:
                ctx.tables[name] = frame
        ctx.log(f"step {step.name}: done in {timings[step.name]} s ({', '.join(f'{k} {len(v)}' for k, v in result.items())})")

    t0 = time.perf_counter()
    tables: dict[str, pd.DataFrame] = dict(ctx.tables)
    for name, previous in previous_stacked.items():
        # Replace the previous rows of the sources whose steps made this table anew.
        remade = {sid for s in selected if name in step_tables.get(s.name, []) for sid in s.source_ids}
        kept = previous[~previous["source_id"].isin(remade)]
        tables[name] = pd.concat([kept, *produced.get(name, [])], ignore_index=True)
    quarantine = ctx.quarantine.to_frame()
    for name in STACKED:
        if name not in tables:
            tables[name] = pd.DataFrame(columns=TABLES_BY_NAME[name].column_names)
    tables["quarantine"] = quarantine
    tables["sources"] = sources_table()
    tables["indicators"] = indicators_table()
    tables["flags"] = flags_table()

    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "built_at": now_iso(),
        "code_version": code_version(),
        "raw_dir": str(raw_dir),
        "partial_build_of": only,
        "built_without": sorted(without),
        "skipped_steps": [s.name for s in skipped],
        "inputs": report.inputs(),
        "input_warnings": input_warnings,
        "recovered": recovered,
        "stage_seconds": timings,
        "notes": ctx.notes,
        "quarantine_by_source_and_reason": _quarantine_summary(quarantine),
        "step_tables": step_tables,
    }
    if previous_manifest is not None:
        manifest["inputs"] = {**previous_manifest.get("inputs", {}), **manifest["inputs"]}
        rechecked = {w["file"] for w in input_warnings} | set(report.inputs())
        manifest["input_warnings"] = [w for w in previous_manifest.get("input_warnings", []) if w["file"] not in rechecked] + input_warnings
        manifest["stage_seconds"] = {**previous_manifest.get("stage_seconds", {}), **timings}
        manifest["notes"] = {**previous_manifest.get("notes", {}), **ctx.notes}
        manifest["step_tables"] = {**previous_manifest.get("step_tables", {}), **step_tables}
    t_maps = time.perf_counter()
    # Map files need the regions and their shapes (a fixture build may have neither).
    files = map_files(tables["regions"], tables["region_shapes"]) if {"regions", "region_shapes"} <= set(tables) else {}
    timings["map_files"] = round(time.perf_counter() - t_maps, 2)
    staged = stage_warehouse(out, tables, manifest, files)
    timings["validate_and_write"] = round(time.perf_counter() - t0, 2)
    total = round(time.perf_counter() - started, 2)
    # The staged manifest gets the final timings before the switch.
    on_disk = read_manifest(staged)
    on_disk.update(stage_seconds={**manifest["stage_seconds"], **timings}, total_seconds=total)
    write_manifest(staged, on_disk)
    switch_warehouse(out, staged)
    ctx.log(f"warehouse written to {out} in {total} s; quarantined rows: {len(quarantine)}; input warnings: {len(input_warnings)}")
    return on_disk


def _quarantine_summary(quarantine: pd.DataFrame) -> dict:
    if quarantine.empty:
        return {}
    summary: dict[str, dict[str, int]] = {}
    grouped = quarantine.assign(reason_kind=quarantine["reason"].str.replace(r"\b\d{2,12}\b", "…", regex=True))
    for (sid, reason), n in grouped.groupby(["source_id", "reason_kind"]).size().items():
        summary.setdefault(sid, {})[reason] = int(n)
    return summary
