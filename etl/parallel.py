"""Build steps in a process of their own, beside the build's other steps.

The build (``etl.build``) starts a process for a step that takes long and that
no other step of the build depends on (``etl.steps.separate_steps``) when its
turn comes, so once every step it depends on has run, and goes on with the
next steps while it runs. The process is forked: it gets the build's context
as it is at that moment, nothing pickled (the parent has no thread pool of its
own yet; ``etl.load.write_ahead`` and ``stage_warehouse`` make them later). It runs the step
(``etl.steps.run_step``), validates its parts of the tables stored per step,
its quarantine among them, and writes them into the staging folder of the new
version (``etl.load.write_part``), and sends back through
a pipe only what the build needs: the tables it writes whole, the rows of its
parts that steps read (``Step.reads``), the row counts and key values of the
parts it wrote, its quarantine counted per source and reason (for the
manifest's summary), its notes, editions, the territorial changes it added, its
time, and its log lines: printed by the process itself with the time they
happen to the terminal's log, or, a log of the caller's, forwarded to it
between the build's own steps.

An exception in the process is raised again in the build with the same type
and text (the process's traceback as its cause); a process that ends without
an answer fails the build too. The build then stops, removes the staging folder
and keeps the last good warehouse. A process dies with the build
(``PR_SET_PDEATHSIG``).

``DSR_BUILD_WORKERS`` (default: the machine's cores) is how many processes a
build may use; 1 runs every step in the build's process, one after the other.
"""

from __future__ import annotations

import copy
import ctypes
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.catalogue import TABLES_BY_NAME
from etl.context import BuildContext, _print_progress
from etl.load import split_parts, write_part
from etl.quarantine import Quarantine, quarantine_counts
from etl.steps import Step, run_step

WORKERS_SETTING = "DSR_BUILD_WORKERS"


def build_workers() -> int:
    """How many processes a build may use (``DSR_BUILD_WORKERS``, default the machine's cores)."""
    configured = os.environ.get(WORKERS_SETTING, "").strip()
    if not configured:
        return os.cpu_count() or 1
    try:
        workers = int(configured)
    except ValueError:
        raise SystemExit(f"{WORKERS_SETTING}={configured!r}: give a number of processes (1: every step in the build's process)") from None
    if workers < 1:
        raise SystemExit(f"{WORKERS_SETTING}={configured!r}: give at least 1")
    return workers


class ScheduleConflict(Exception):
    """A step run in a process of its own made what a step run beside it would
    have read had they run one after the other (``check_side_by_side``): the
    build is made again in one process (``etl.build.build``)."""


def check_side_by_side(answers: list[dict], beside: list[Step], quarantine: pd.DataFrame) -> None:
    """Raises ``ScheduleConflict`` where running steps side by side may have
    changed a table, the dependencies (``etl.steps.depends_on``) having missed
    something. ``answers`` are those of the step processes, ``beside`` the
    steps the build's process ran after the first of them, ``quarantine`` the
    build's process's quarantine. Two ways a step reads another's work unseen:

    - rows that steps read (``Step.reads``, ``EVERY_STEP_READS``; the answer's
      ``later``), or the regions (``ctx.regions``, read by every step);
    - Gemeinden placed by name in the crosswalk, and the reasons of keys left
      unplaced (``etl.territory.place_named_gemeinden``): in one process, a
      later step converts such a key or quarantines it with that reason. A key
      a step could not convert is in the reason of its quarantined row
      (``etl.territory.harmonise``), so a key of those among the 8-digit
      numbers in the reasons of the steps ``beside`` is a conflict.
    """
    names = {s.name for s in beside}
    for answer in answers:
        ran = ", ".join(answer["seconds"])
        made = [name for name, by_step in answer["later"].items() if any(not f.empty for f in by_step.values())]
        made += [name for name in answer["whole"] if name == "regions" or any(name == r.partition(":")[0] for s in beside for r in s.reads)]
        if made:
            raise ScheduleConflict(f"step {ran} (in a process of its own) wrote {', '.join(sorted(made))}, read by steps run beside it")
        keys = set(answer["unplaced_keys"])
        if answer["crosswalk_added"] is not None:
            keys |= set(answer["crosswalk_added"]["old_key"].astype(str))
        if not keys or quarantine.empty:
            continue
        reasons = quarantine.loc[quarantine["step"].isin(names), "reason"].dropna()
        met = set(reasons.str.findall(r"\b\d{8}\b").explode().dropna()) & keys
        if met:
            raise ScheduleConflict(f"step {ran} (in a process of its own) placed or explained Gemeinde keys that steps run beside it met, e.g. {sorted(met)[:3]}")


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a step's own process."""

    def __str__(self) -> str:
        return self.args[0]


def _exception_message(exc: BaseException) -> tuple:
    """An exception as the pieces to make it again in the build: its class,
    arguments and attributes (its own ``__init__`` may take other arguments
    than its ``args``), and the traceback as text."""
    tb = "".join(traceback.format_exception(exc))
    try:
        pickle.dumps((type(exc), exc.args, exc.__dict__))
        return ("error", type(exc), exc.args, exc.__dict__, tb)
    except Exception:  # noqa: BLE001 — an exception of a class or with attributes that cannot travel
        return ("error", RuntimeError, (f"{type(exc).__name__}: {exc}",), {}, tb)


def _die_with_parent(parent: int) -> None:
    """Asks Linux to end this process when the build's process ends (no
    orphan still writing, and holding the warehouse's lock, after a killed build)."""
    try:
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the build ended before the request
        os._exit(1)


def _run_in_process(conn, steps: list[Step], ctx: BuildContext, staging: Path, keep_for_later: Callable, parent: int) -> None:
    """The process of ``steps``: runs them on the forked context, writes their
    parts of the tables stored per step, sends the rest (see the module)."""
    _die_with_parent(parent)
    try:
        if ctx.log is not _print_progress:
            # A log of the caller's (e.g. a list): its lines go to the build's process.
            ctx.log = lambda message: conn.send(("log", message))
        # Only this process's entries: the build's quarantine has those of the steps before.
        ctx.quarantine = Quarantine()
        notes_before = copy.deepcopy(ctx.notes)
        editions_before = dict(ctx.editions)
        unplaced_before = dict(ctx.unplaced_keys)
        crosswalk_rows = 0 if ctx.territorial_changes is None else len(ctx.territorial_changes)
        table = ctx.tables.get("territorial_changes")  # none on a partial build of a warehouse without it
        table_rows = 0 if table is None else len(table)
        answer: dict = {"seconds": {}, "step_tables": {}, "whole": {}, "later": {}, "written": {}}
        t_write = 0.0
        for step in steps:
            result, answer["seconds"][step.name] = run_step(step, ctx)
            answer["step_tables"][step.name] = sorted(result)
            t0 = time.perf_counter()
            for name, frame in result.items():
                if not TABLES_BY_NAME[name].per_step:
                    answer["whole"][name] = frame
                    continue
                answer["later"].setdefault(name, {})[step.name] = keep_for_later(name, frame)
                answer["written"].setdefault(name, {})[step.name] = write_part(staging, name, frame, step.name)
            t_write += time.perf_counter() - t0
        t0 = time.perf_counter()
        quarantine = ctx.quarantine.to_frame()
        answer["quarantine_counts"] = quarantine_counts(quarantine)
        for part, frame in split_parts("quarantine", quarantine).items():
            answer["written"].setdefault("quarantine", {})[part] = write_part(staging, "quarantine", frame, part)
        answer["write_seconds"] = round(t_write + time.perf_counter() - t0, 2)
        answer["notes"] = {k: v for k, v in ctx.notes.items() if notes_before.get(k) != v}
        answer["editions"] = {k: v for k, v in ctx.editions.items() if editions_before.get(k) != v}
        answer["unplaced_keys"] = {k: v for k, v in ctx.unplaced_keys.items() if unplaced_before.get(k) != v}
        # Gemeinden placed by name (etl.territory.place_named_gemeinden): rows added at the end.
        answer["crosswalk_added"] = None if ctx.territorial_changes is None else ctx.territorial_changes.iloc[crosswalk_rows:]
        table = ctx.tables.get("territorial_changes")
        answer["table_added"] = None if table is None else table.iloc[table_rows:]
        conn.send(("result", answer))
    except BaseException as exc:  # noqa: BLE001 — everything goes back to the build, which raises it
        conn.send(_exception_message(exc))
    finally:
        conn.close()


class StepProcess:
    """A running process of one or more steps (``start``), its messages read by
    ``poll`` (between the build's steps) and ``wait`` (for its answer)."""

    def __init__(self, steps: list[Step], ctx: BuildContext, staging: Path, keep_for_later: Callable):
        mp = multiprocessing.get_context("fork")
        self.steps = steps
        self.log = ctx.log
        self.answer: dict | None = None
        self._conn, child = mp.Pipe(duplex=False)
        self.process = mp.Process(target=_run_in_process, args=(child, steps, ctx, staging, keep_for_later, os.getpid()),
                                  name=f"etl step {', '.join(s.name for s in steps)}", daemon=True)
        self.process.start()
        child.close()  # the parent's copy: the pipe ends when the process ends

    @property
    def names(self) -> str:
        return ", ".join(s.name for s in self.steps)

    def _take(self, message: tuple) -> None:
        kind = message[0]
        if kind == "log":
            self.log(message[1])
        elif kind == "result":
            self.answer = message[1]
        else:
            _, cls, args, attrs, tb = message
            exc = cls.__new__(cls)
            exc.args = args
            exc.__dict__.update(attrs)
            self.process.join()
            raise exc from RemoteTraceback(f"in the process of step {self.names}:\n{tb}")

    def poll(self) -> None:
        """Forwards the log lines that arrived; raises the step's error if it failed."""
        while self.answer is None and self._conn.poll():
            try:
                self._take(self._conn.recv())
            except EOFError:
                self._died()

    def wait(self) -> dict:
        """The answer of the process, once it has ended; raises its error."""
        while self.answer is None:
            try:
                self._take(self._conn.recv())
            except EOFError:
                self._died()
        self.process.join()
        self._conn.close()
        return self.answer

    def _died(self) -> None:
        self.process.join()
        raise RuntimeError(f"step {self.names}: its process ended without an answer (exit code {self.process.exitcode})")

    def stop(self) -> None:
        """Ends the process (the build failed elsewhere)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._conn.close()
