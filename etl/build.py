"""``python -m etl build``: raw kit → validated warehouse, atomically.

Checks the raw files against the catalogue's inventory, runs every step
(``etl.steps``) in order, a long one no other step depends on in a process of
its own beside the next ones (``etl.parallel``), adds the catalogue tables
(sources in the editions the steps read from their files, indicators, flags),
the quarantine and the duplicates, validates every table against its
declaration and swaps the new warehouse in with its manifest (build time,
code version, input checksums and warnings, editions, row counts, stage
timings, notes). The stage timings (``stage_seconds``) are each step's own
time in the process that ran it, ``map_files``, and, with a step process,
``write_beside_processes`` (the build's process validating and writing, while
the step process runs, what does not depend on its answer: its own steps'
tables and parts, its quarantine, indicators and flags),
``wait_for_processes`` (how long the build's process then waited for it:
what the step process added to the build's time) and ``write_in_processes``
(its validating and writing of its parts, after its step), then
``validate_and_write`` (the rest, in the build's process, until the
manifest, written once with these timings). Stages that ran side by side add up to more than ``total_seconds``.
A partial build
(``only``) reruns the steps of one source and their dependants and carries
everything else over from the current version (``etl.load.stage_warehouse``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path

import pandas as pd

from etl import paths
from etl.catalogue import FLAGS, INDICATORS, SOURCES, SOURCES_BY_ID, TABLES_BY_NAME
from etl.context import BuildContext
from etl.catalogue.inventory import check_inputs
from etl.errors import MissingInputs
from etl.load import (
    BUILD_PART,
    MANIFEST_VERSION,
    code_version,
    locate_warehouse,
    new_staging,
    now_iso,
    read_manifest,
    recover_warehouse,
    split_parts,
    stage_warehouse,
    switch_warehouse,
    warehouse_lock,
    write_ahead,
)
from etl.mapfiles import map_files
from etl.parallel import ScheduleConflict, StepProcess, build_workers, check_side_by_side
from etl.quarantine import quarantine_counts
from etl.steps import EVERY_STEP_READS, REGIONS_STEP, discover_steps, run_step, select_steps, separate_steps


CATALOGUE_EDITION = "the catalogue's default (etl/catalogue/sources.py)"


def sources_table(editions: dict[str, dict] | None = None) -> pd.DataFrame:
    """The catalogue's sources, each in the edition its files state.

    ``editions`` maps a source id to the edition a step read from the file
    (``BuildContext.record_edition``: {"date", "origin"}); its reference date,
    title and attribution follow that edition (``Source.in_edition``). A source
    without one keeps the catalogue's reference date."""
    editions = editions or {}
    rows = []
    for source in SOURCES:
        read = editions.get(source.id)
        s = source.in_edition(read["date"]) if read else source
        rows.append((s, read["origin"] if read else CATALOGUE_EDITION))
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
                "reference_date_origin": origin,
                "description_de": s.description_de,
                "description_en": s.description_en,
                "caveats_de": "\n".join(s.caveats_de),
                "caveats_en": "\n".join(s.caveats_en),
                "files": "\n".join(f.path for f in s.files),
            }
            for s, origin in rows
        ]
    )


def edition_warnings(editions: dict[str, dict]) -> list[dict]:
    """One warning per source whose file states another edition than the catalogue's."""
    out = []
    for sid, read in sorted(editions.items()):
        catalogued = SOURCES_BY_ID[sid].reference_date
        if read["date"] == catalogued:
            continue
        out.append({
            "file": read["file"],
            "source_id": sid,
            "status": "other edition",
            "catalogued_edition": catalogued,
            "found_edition": read["date"],
            "message": (f"{sid}: the file states the edition {read['date']} ({read['origin']}), not the catalogue's "
                        f"{catalogued}: the sources table, the attribution and the periods follow the file"),
        })
    return out


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
                "unit_en": i.unit_en,
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


def _read_previous(warehouse: Path, name: str, parts: list[str] | None = None, indicators: set[str] | None = None,
                   columns: list[str] | None = None) -> pd.DataFrame | None:
    """A table of the previous warehouse (for a table stored per step, only
    ``parts``; for observations, only ``indicators`` when given)."""
    table = TABLES_BY_NAME[name]
    if table.per_step:
        files = [paths.part_path(warehouse, name, p) for p in (parts or [])]
        files = [str(f) for f in files if f.exists()]
        if not files:
            return pd.DataFrame(columns=columns or table.column_names)
        filters = [("indicator_id", "in", sorted(indicators))] if indicators is not None else None
        return pd.concat([pd.read_parquet(f, filters=filters, columns=columns) for f in files], ignore_index=True)
    path = paths.table_path(warehouse, name)
    if not path.exists():
        return None
    if table.geo:
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

    ``only`` reruns the steps that read that source (or the step of that
    name, e.g. ``registries``) and every step that reads
    what they write (``etl.steps.select_steps``) on top of the existing
    warehouse: they get only what they read from it (``Step.reads``, and the
    regions); their tables and their parts of the tables stored per step are
    replaced; every other table, part and map file is carried over by hard
    link, neither read nor rewritten. ``without`` skips every step that reads
    one of these sources.
    """
    raw_dir = (raw_dir or paths.raw_dir()).resolve()
    out = locate_warehouse(out or paths.warehouse_dir())
    ctx = BuildContext(raw_dir=raw_dir)
    if log is not None:
        ctx.log = log
    with warehouse_lock(out):
        try:
            return _build(ctx, out, only, tuple(without), build_workers())
        except ScheduleConflict as conflict:
            ctx.log(f"{conflict}: building again, one step after the other")
            return _build(BuildContext(raw_dir=raw_dir, log=ctx.log), out, only, tuple(without), 1)


def _read_later(name: str, frame: pd.DataFrame, reads: set[str]) -> pd.DataFrame:
    """The rows of a table stored per step that later steps read (``reads`` as
    in ``Step.reads``): all of it, the rows of the indicators named, or none;
    not millions of rows joined again after every step."""
    if name in reads:
        return frame
    indicators = {item.partition(":")[2] for item in reads if item.startswith(f"{name}:")}
    if "indicator_id" not in frame:
        return frame.iloc[0:0]
    return frame[frame["indicator_id"].isin(indicators)]


def _keep(ctx: BuildContext, name: str, frame: pd.DataFrame) -> None:
    """Adds rows of a table stored per step to what later steps read of it (``ctx.tables``)."""
    before = ctx.tables.get(name)
    ctx.tables[name] = frame if before is None or before.empty else pd.concat([before, frame], ignore_index=True)


def _take_result(ctx: BuildContext, step: str, result: dict[str, pd.DataFrame], parts: dict[str, dict[str, pd.DataFrame]],
                 later_reads: set[str]) -> None:
    """Keeps a step's tables: those stored per step as its parts, for the write,
    and what later steps read of them in ``ctx.tables`` (``_read_later``);
    the others in ``ctx.tables`` (the regions also as ``ctx.regions``)."""
    for name, frame in result.items():
        if name == "regions":
            ctx.regions = frame
        if TABLES_BY_NAME[name].per_step:
            # Later steps read what earlier ones produced (e.g. population).
            parts.setdefault(name, {})[step] = frame
            _keep(ctx, name, _read_later(name, frame, later_reads))
        else:
            ctx.tables[name] = frame


def _take_answer(ctx: BuildContext, answer: dict) -> None:
    """Adds to the build's context what steps run in a process of their own
    made (``etl.parallel``): their tables, the rows of their parts that steps
    read, notes, editions, and the Gemeinden they placed by name in the
    crosswalk (its table and the reasons of keys left unplaced)."""
    for name, by_step in answer["later"].items():
        for frame in by_step.values():
            if not frame.empty:
                _keep(ctx, name, frame)
    for name, frame in answer["whole"].items():
        if name == "regions":
            ctx.regions = frame
        ctx.tables[name] = frame
    ctx.notes.update(answer["notes"])
    ctx.editions.update(answer["editions"])
    ctx.unplaced_keys.update(answer["unplaced_keys"])
    added = answer["crosswalk_added"]
    if added is not None and len(added):
        ctx.territorial_changes = pd.concat([ctx.territorial_changes, added], ignore_index=True)
    added = answer["table_added"]
    if added is not None and len(added):
        ctx.tables["territorial_changes"] = pd.concat([ctx.tables["territorial_changes"], added], ignore_index=True)


def _build(ctx: BuildContext, out: Path, only: str | None, without: tuple[str, ...], workers: int = 1) -> dict:
    raw_dir = ctx.raw_dir
    recovered = recover_warehouse(out)
    for action in recovered:
        ctx.log(f"recovery: {action}")
    steps = discover_steps()
    step_names = {s.name for s in steps}
    unknown = [sid for sid in without if sid not in SOURCES_BY_ID] + [only] * (only is not None and only not in SOURCES_BY_ID and only not in step_names)
    if unknown:
        raise SystemExit(f"unknown source {', '.join(map(repr, unknown))}; known: {', '.join(SOURCES_BY_ID)} (--only also takes a step: {', '.join(sorted(step_names))})")
    previous_manifest = None
    if only is not None:
        previous_manifest = read_manifest(out)
        if previous_manifest is None:
            raise SystemExit(f"--only needs an existing warehouse in {out}; run a full build first")
        per_step_tables = [n for n in previous_manifest.get("tables", []) if n in TABLES_BY_NAME and TABLES_BY_NAME[n].per_step]
        if any(n not in previous_manifest.get("parts", {}) for n in per_step_tables):
            raise SystemExit(f"--only needs a warehouse whose tables are stored per build step; {out} is of an earlier layout: run a full build first")
        selected = select_steps(steps, only)
    else:
        selected = steps
    skipped = [s for s in selected if set(s.source_ids) & set(without)]
    for step in skipped:
        if step.name == REGIONS_STEP:
            raise SystemExit(f"--without: every step needs the regions, built from {', '.join(step.source_ids)}; it cannot be left out")
    selected = [s for s in selected if s not in skipped]
    for step in skipped:
        ctx.log(f"step {step.name}: skipped (--without {', '.join(sorted(set(step.source_ids) & set(without)))})")
    rebuilt_sources = sorted({sid for s in selected for sid in s.source_ids})
    rerun = {s.name for s in selected}
    # What steps read of the tables earlier steps wrote (Step.reads; every step's
    # Gemeindeverband values read the population, etl.transform.observations):
    # only that is kept in ``ctx.tables`` between steps, as a partial build reads it.
    later_reads = {item for s in selected for item in s.reads} | set(EVERY_STEP_READS)

    started = time.perf_counter()
    report = check_inputs(raw_dir, rebuilt_sources)
    ctx.log(report.format_table())
    if report.missing_sources:
        raise MissingInputs(report)
    input_warnings = report.warnings()
    for warning in input_warnings:
        ctx.log(f"warning: {warning['message']}")

    timings: dict[str, float] = {"check_inputs": round(time.perf_counter() - started, 2)}
    kept_parts: dict[str, list[str]] = {}
    if only is not None:
        # Only what the rerun steps read comes from the previous warehouse: the
        # regions, and the tables and observations they declare (Step.reads).
        t0 = time.perf_counter()
        previous_dir = out.resolve()
        kept_parts = {name: [p for p in parts if p not in rerun] for name, parts in previous_manifest["parts"].items()}
        # What every step reads too (the population, for its Gemeindeverband
        # values): without it a rerun step made no Verband values at all.
        reads = {item for s in selected for item in s.reads} | set(EVERY_STEP_READS)
        if REGIONS_STEP not in rerun:
            # Every step keys its rows to the regions and converts historic keys
            # with the crosswalk the regions step made (derived Gemeinden too).
            reads |= {"regions", "territorial_changes"}
        for name in sorted({item.partition(":")[0] for item in reads}):
            indicators = {i.partition(":")[2] for i in reads if i.startswith(f"{name}:")}
            whole = name in reads
            ctx.tables[name] = _read_previous(previous_dir, name, kept_parts.get(name), None if whole or not indicators else indicators)
        ctx.regions = ctx.tables.get("regions")
        ctx.territorial_changes = ctx.tables.get("territorial_changes")
        timings["read_previous"] = round(time.perf_counter() - t0, 2)

    parts: dict[str, dict[str, pd.DataFrame]] = {}
    step_tables: dict[str, list[str]] = {}
    step_seconds: dict[str, float] = {}
    # A long step no other step depends on runs in a process of its own, beside
    # the next steps and the map files (etl.parallel); it writes its parts into
    # the staging folder of the new version itself.
    separate = {s.name for s in separate_steps(selected, steps)[: workers - 1]}
    processes: list[StepProcess] = []
    written: dict[str, dict[str, tuple[int, list]]] = {}
    overlapping: dict[str, float] = {}
    # A failure anywhere until the new version is staged ends the step
    # processes and removes the staging folder they wrote into.
    with contextlib.ExitStack() as on_failure:
        staging = new_staging(out) if separate else None
        if staging is not None:
            on_failure.callback(shutil.rmtree, staging, ignore_errors=True)
        on_failure.callback(lambda: [process.stop() for process in processes])
        for step in selected:
            for process in processes:
                process.poll()
            if step.name in separate:
                ctx.log(f"step {step.name}: in a process of its own, beside the next steps")
                processes.append(StepProcess([step], ctx, staging, lambda name, frame: _read_later(name, frame, later_reads)))
                continue
            result, step_seconds[step.name] = run_step(step, ctx)
            step_tables[step.name] = sorted(result)
            _take_result(ctx, step.name, result, parts, later_reads)

        t_maps = time.perf_counter()
        # Map files need the regions and their shapes (a fixture build may have
        # neither); unless the regions step ran, those of the previous version
        # stay. No step in a process of its own writes them (every step depends
        # on the regions step, and the map layer is its).
        files = None
        if REGIONS_STEP in rerun:
            made = {name for names in step_tables.values() for name in names}
            files = map_files(ctx.tables["regions"], ctx.tables["region_shapes"]) if {"regions", "region_shapes"} <= made else {}
        overlapping["map_files"] = round(time.perf_counter() - t_maps, 2)

        # The build's process's quarantine is complete (a step process keeps its own).
        quarantine = ctx.quarantine.to_frame()
        quarantine_parts = split_parts("quarantine", quarantine)
        counts = [quarantine_counts(quarantine)]
        ahead: dict[str, pd.DataFrame | dict[str, pd.DataFrame]] = {}
        if processes:
            # While the step processes run, the build's process validates and
            # writes what does not depend on their answers: its steps' tables
            # and parts, its quarantine, the catalogue's indicators and flags.
            t_ahead = time.perf_counter()
            ahead = {**_made_tables(ctx, step_tables, parts, quarantine_parts), "indicators": indicators_table(), "flags": flags_table()}
            written = write_ahead(staging, ahead)
            overlapping["write_beside_processes"] = round(time.perf_counter() - t_ahead, 2)

        t_wait = time.perf_counter()
        write_seconds = 0.0
        answers = []
        for process in processes:
            answer = process.wait()
            answers.append(answer)
            _take_answer(ctx, answer)
            step_seconds.update(answer["seconds"])
            step_tables.update(answer["step_tables"])
            for name, by_part in answer["written"].items():
                written.setdefault(name, {}).update(by_part)
            write_seconds += answer["write_seconds"]
        if processes:
            overlapping["wait_for_processes"] = round(time.perf_counter() - t_wait, 2)
            overlapping["write_in_processes"] = round(write_seconds, 2)
            first = min(i for i, s in enumerate(selected) if s.name in separate)
            check_side_by_side(answers, [s for s in selected[first:] if s.name not in separate], quarantine)
        # In the order of the steps, whichever process ran them.
        order = {s.name: i for i, s in enumerate(selected)}
        step_tables = {name: step_tables[name] for name in sorted(step_tables, key=order.__getitem__)}
        timings.update({name: step_seconds[name] for name in step_tables})
        timings.update(overlapping)
        ctx.notes = dict(sorted(ctx.notes.items(), key=lambda item: order.get(item[0], -1)))

        t0 = time.perf_counter()
        # Tables written now: those of the steps that ran, the quarantine of those
        # steps, the catalogue's tables, but what was written ahead and not
        # changed by the answers (a table the answers replaced or added rows to,
        # e.g. the crosswalk's, is written again; the parts of the build's process
        # do not change); on a partial build, everything else is carried from the
        # previous version unchanged (hard links).
        tables = _made_tables(ctx, step_tables, parts, quarantine_parts)
        for name, value in list(tables.items()):
            if name in ahead and TABLES_BY_NAME[name].per_step:
                tables[name] = {part: frame for part, frame in value.items() if part not in written[name]}
            elif name in ahead and value is ahead[name]:
                del tables[name]
        for name in TABLES_BY_NAME:
            if TABLES_BY_NAME[name].per_step and name not in tables:
                tables[name] = {}
        editions = {**(previous_manifest or {}).get("editions", {}), **ctx.editions}
        for sid in rebuilt_sources:
            if sid not in ctx.editions:
                editions.pop(sid, None)  # read again: no edition found this time
        tables["sources"] = sources_table(editions)
        if not ahead:
            tables["indicators"] = indicators_table()
            tables["flags"] = flags_table()
        carry: list[str] = []
        if only is not None:
            for name in previous_manifest.get("tables", []):
                if name not in TABLES_BY_NAME:
                    continue
                if TABLES_BY_NAME[name].per_step:
                    # The empty part of a table no step wrote to is not carried; stage_warehouse adds it where needed.
                    carry += [f"{name}/{p}" for p in kept_parts.get(name, []) if p != BUILD_PART or previous_manifest["parts"][name][p]]
                elif name not in tables:
                    carry.append(name)
        new_warnings = edition_warnings(ctx.editions)
        for warning in new_warnings:
            ctx.log(f"warning: {warning['message']}")
        input_warnings = input_warnings + new_warnings

        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "built_at": now_iso(),
            "code_version": code_version(),
            "raw_dir": str(raw_dir),
            "partial_build_of": only,
            "rebuilt_steps": [s.name for s in selected],
            "built_without": sorted(without),
            "skipped_steps": [s.name for s in skipped],
            "inputs": report.inputs(),
            "input_warnings": input_warnings,
            "editions": editions,
            "recovered": recovered,
            "stage_seconds": timings,
            "notes": ctx.notes,
            "step_tables": step_tables,
        }
        if previous_manifest is not None:
            manifest["inputs"] = {**previous_manifest.get("inputs", {}), **manifest["inputs"]}
            rechecked = {w["file"] for w in input_warnings} | set(report.inputs())
            manifest["input_warnings"] = [w for w in previous_manifest.get("input_warnings", []) if w["file"] not in rechecked] + input_warnings
            manifest["stage_seconds"] = {**previous_manifest.get("stage_seconds", {}), **timings}
            manifest["notes"] = {**{k: v for k, v in previous_manifest.get("notes", {}).items() if k not in rerun}, **ctx.notes}
            manifest["step_tables"] = {**previous_manifest.get("step_tables", {}), **step_tables}
            manifest["built_without"] = sorted(set(previous_manifest.get("built_without", [])) | set(without))
        # The quarantine's summary, counted from the rows in memory, the counts the
        # step processes sent, and on a partial build the parts carried over.
        counts += [answer["quarantine_counts"] for answer in answers]
        new_parts = set(quarantine_parts) | set(written.get("quarantine", {}))
        carried = [item.partition("/")[2] for item in carry if item.startswith("quarantine/")]
        carried = [part for part in carried if part not in new_parts]
        if carried:
            counts.append(quarantine_counts(_read_previous(previous_dir, "quarantine", carried, columns=["source_id", "reason"])))
        summary = _quarantine_summary(counts)

        def complete(staged_manifest: dict) -> None:
            # The final timings, just before the manifest is written (once).
            timings["validate_and_write"] = round(time.perf_counter() - t0, 2)
            staged_manifest.update(stage_seconds={**staged_manifest["stage_seconds"], **timings},
                                   total_seconds=round(time.perf_counter() - started, 2),
                                   quarantine_by_source_and_reason=summary)

        staged = stage_warehouse(out, tables, manifest, files, carry=carry, staging=staging, written=written, complete=complete)
        on_failure.pop_all()
    on_disk = read_manifest(staged)
    switch_warehouse(out, staged)
    ctx.log(f"warehouse written to {out} in {on_disk['total_seconds']} s; quarantined rows: {on_disk['row_counts']['quarantine']}; input warnings: {len(on_disk['input_warnings'])}")
    return on_disk


def _made_tables(ctx: BuildContext, step_tables: dict[str, list[str]], parts: dict[str, dict[str, pd.DataFrame]],
                 quarantine_parts: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.DataFrame] | pd.DataFrame]:
    """The tables the steps of ``step_tables`` made, those stored per step as
    the parts the build's process holds (a step process writes its own), and
    the parts of its quarantine."""
    tables: dict[str, pd.DataFrame | dict[str, pd.DataFrame]] = {}
    for name in {name for names in step_tables.values() for name in names}:
        tables[name] = parts.get(name, {}) if TABLES_BY_NAME[name].per_step else ctx.tables[name]
    tables["quarantine"] = quarantine_parts
    return tables


def _quarantine_summary(counts: list[pd.DataFrame]) -> dict:
    """The manifest's ``quarantine_by_source_and_reason`` from rows counted per
    source and reason (``etl.quarantine.quarantine_counts``)."""
    counts = [c for c in counts if not c.empty]
    if not counts:
        return {}
    summary: dict[str, dict[str, int]] = {}
    for (sid, reason), n in pd.concat(counts, ignore_index=True).groupby(["source_id", "reason"])["n"].sum().items():
        summary.setdefault(sid, {})[reason] = int(n)
    return summary
