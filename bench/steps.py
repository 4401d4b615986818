"""Time the nightly run's steps from outside, without touching the product's code.

``python bench/steps.py WORKSPACE OUT.json`` is ``edurollup run --workspace WORKSPACE
--quiet`` (the same click command, in this process) with the step functions wrapped by a
timer. Each step's time is *exclusive*: time spent in a wrapped function called from
another wrapped function counts for the inner step only (the roll-up writer's calls to
consolidate and to the ledger count as consolidate and ledger, not write). What no wrapped
function covers (run bookkeeping, the run report, imports) is ``other``.

The processes the run spawns are timed too: the run's pool is given initialisers of this
module (``worker_init``, ``feedback_init``) that wrap, inside each worker, the steps it runs
(read, normalise, validate, the plan, the ledger rows) and, in the feedback process, the
feedback workbooks, then run the product's own initialiser. Each such process writes its
CPU seconds by step (``time.thread_time``, exclusive; ``imports`` and ``other``: pickling,
the pool's loop) to a file after every task; the run's JSON gets them summed by role
(``processes``) and, with the run's own main thread, one CPU split of the whole night by
step (``cpu_by_step_s``: what the issue's "time split by step" asks, across every core).

Why from outside: the run report (outbox/runs/*.json) records only the total seconds.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# step -> (module, attribute) pairs; "Class.method" wraps a method on the class
STEPS: dict[str, list[tuple[str, str]]] = {
    "plan": [("pipeline.plan_load", "load_plan")],
    # the inbox walked, each item read and hashed (archive.store excluded: its own step)
    "collect": [("pipeline.collect", "collect"), ("pipeline.run", "NightlyRun.collect")],
    "archive": [("pipeline.archive", "store")],
    "read": [("pipeline.read", "read_workbook")],
    "normalise": [("pipeline.normalise", "normalise_workbook")],
    "validate": [("pipeline.validate", "validate_workbook"),
                 ("pipeline.validate", "validate_workbooks")],
    "decide": [("pipeline.decide", "decide"), ("pipeline.decide", "duplicate_decision")],
    # feedback workbooks: written in the loop (older checkouts), or after the ledger: the
    # run's own share and its wait for the feedback process beside the roll-ups
    "feedback": [("pipeline.run", "NightlyRun.write_feedback"),
                 ("pipeline.run", "NightlyRun.start_feedback"),
                 ("pipeline.run", "NightlyRun.finish_feedback")],
    "ledger": [("pipeline.ledger", f"Ledger.{m}") for m in (
        "seen_item", "mark_item", "mark_items", "find_submission", "find_arrival", "record",
        "record_many", "submissions", "has_submissions", "submissions_with_sender",
        "current_submissions", "budget_lines", "indicator_results", "problems", "arrivals",
        "periods", "period_digest", "__init__", "migrate", "feedback_owed",
        "feedback_written")],
    "consolidate": [("pipeline.consolidate", "consolidate_quarter"),
                    ("pipeline.consolidate", "record_cross_quarter_problems")],
    "write": [("pipeline.rollup", "write_quarter_rollup"),
              ("pipeline.rollup", "write_annual_report"),
              ("pipeline.status_page", "write_status_page")],
    "replies": [("pipeline.run", "NightlyRun.replies")],
    # waiting for the worker processes that read + normalise + validate (pipeline/parallel.py)
    "workers_wait": [("pipeline.parallel", "Prevalidator.get"),
                     ("pipeline.parallel", "Prevalidator.__init__"),
                     ("pipeline.parallel", "Prevalidator.close")],
}

# inside the spawned processes (pipeline/parallel.py): a validating worker, the feedback process
WORKER_STEPS: dict[str, list[tuple[str, str]]] = {
    "read": [("pipeline.read", "read_workbook")],
    # within read: calamine's parse of a sheet (the floor's work), and the sheet-XML prescan
    "read: calamine": [("pipeline.read", "_Reader.grid")],
    "read: prescan": [("pipeline.read", "_Reader.prescan_xlsx")],
    "normalise": [("pipeline.normalise", "normalise_workbook")],
    "validate": [("pipeline.validate", "validate_workbooks")],
    "plan": [("pipeline.plans", "fiscal_year_of"), ("pipeline.plans", "Plans.get")],
    "ledger": [("pipeline.ledger", "data_rows_from_lists")],  # the accepted data's rows
}
FEEDBACK_STEPS: dict[str, list[tuple[str, str]]] = {
    "feedback": [("pipeline.feedback", "write_owed")],
}
ENV_DIR = "EDUROLLUP_BENCH_PROCESS_STEPS"  # where the spawned processes write their split


class StepTimer:
    """Exclusive wall time and CPU time (of the run's main thread: ``time.thread_time``)
    per step, with a stack so nested steps are not counted twice. Wall time says where the
    run waits; CPU time says what the run's own process spends while the workers also want
    the cores."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []  # [start, start cpu, nested wall, nested cpu]

    def wrap(self, step: str, fn: Any) -> Any:
        if getattr(fn, "_bench_step", None):
            return fn

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), time.thread_time(), 0.0, 0.0]
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                spent = time.perf_counter() - frame[0]
                used = time.thread_time() - frame[1]
                self.totals[step] = self.totals.get(step, 0.0) + spent - frame[2]
                self.cpu[step] = self.cpu.get(step, 0.0) + used - frame[3]
                self.calls[step] = self.calls.get(step, 0) + 1
                if self._stack:
                    self._stack[-1][2] += spent
                    self._stack[-1][3] += used

        timed._bench_step = step  # type: ignore[attr-defined]
        return timed


def install(timer: StepTimer, steps: dict[str, list[tuple[str, str]]] | None = None,
            modules: list[str] | None = None) -> None:
    """Wrap every step function wherever a pipeline module holds a reference to it
    (``from .consolidate import consolidate_quarter`` copies the name into rollup);
    ``modules``: only these are imported and searched (a spawned process: no imports it
    would not make itself)."""
    import pipeline

    names = modules if modules is not None else [  # subpackages too (pipeline.rollup.*)
        m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline.")
        if not m.name.endswith("__main__")]
    mods = [importlib.import_module(name) for name in names]
    for step, targets in (STEPS if steps is None else steps).items():
        for mod_name, attr in targets:
            try:
                mod = importlib.import_module(mod_name)
            except ImportError:  # a module this checkout does not have (yet)
                continue
            if "." in attr:
                cls_name, meth = attr.split(".")
                cls = getattr(mod, cls_name)
                if meth in vars(cls):
                    setattr(cls, meth, timer.wrap(step, vars(cls)[meth]))
                continue
            original = getattr(mod, attr, None)
            if original is None:
                continue
            wrapped = timer.wrap(step, original)
            for m in mods:
                for name, value in list(vars(m).items()):
                    if value is original:
                        setattr(m, name, wrapped)


# ---- the spawned processes --------------------------------------------------------------
def _timed_process(role: str, steps: dict[str, list[tuple[str, str]]], task: str,
                   modules: list[str]) -> None:
    """In a spawned process: import what it imports anyway (timed as ``imports``), wrap its
    steps, and have ``pipeline.parallel.<task>`` (the pool calls it by that name) write this
    process's split after each task, so a process killed at shutdown has said its part."""
    born, start = time.monotonic(), time.thread_time()
    for name in modules:
        importlib.import_module(name)
    timer = StepTimer()
    timer.cpu["imports"] = time.thread_time() - start
    install(timer, steps, modules)
    parallel = importlib.import_module("pipeline.parallel")
    original = getattr(parallel, task)
    target = Path(os.environ[ENV_DIR]) / f"{role}-{os.getpid()}.json"

    @functools.wraps(original)
    def task_then_dump(*args: Any, **kwargs: Any) -> Any:
        try:
            return original(*args, **kwargs)
        finally:
            used = resource.getrusage(resource.RUSAGE_SELF)
            data = {"role": role, "cpu_s": used.ru_utime + used.ru_stime,
                    "alive_s": time.monotonic() - born,  # from its initialiser to this task's end
                    "steps_cpu_s": timer.cpu, "calls": timer.calls}
            part = target.with_suffix(".part")
            part.write_text(json.dumps(data), "utf-8")
            os.replace(part, target)

    setattr(parallel, task, task_then_dump)


def worker_init(*args: Any) -> None:
    """The validating workers' initialiser: timers, then the product's own (``_init``)."""
    _timed_process("workers", WORKER_STEPS, "_check",
                   ["pipeline.run", "pipeline.read", "pipeline.normalise", "pipeline.validate",
                    "pipeline.ledger"])
    importlib.import_module("pipeline.parallel")._init(*args)


def feedback_init(*args: Any) -> None:
    """The feedback process's initialiser: timers, then the product's own (``_guard``)."""
    _timed_process("feedback", FEEDBACK_STEPS, "_write_owed", ["pipeline.feedback"])
    importlib.import_module("pipeline.parallel")._guard(*args)


def time_processes(where: Path) -> None:
    """Give the run's process pools this module's initialisers (checkouts without them,
    via ``--product-src``, are left as they are)."""
    os.environ[ENV_DIR] = str(where)
    parallel = importlib.import_module("pipeline.parallel")
    if hasattr(parallel, "_init") and hasattr(parallel, "_check"):
        parallel._init = worker_init  # type: ignore[attr-defined]
    if hasattr(parallel, "_guard") and hasattr(parallel, "_write_owed"):
        parallel._guard = feedback_init  # type: ignore[attr-defined]


def process_split(where: Path) -> dict[str, Any]:
    """The spawned processes' CPU seconds by step, summed by role; ``other`` is what no
    step covers (unpickling, pickling, the pool's loop); ``alive_s``: their time from the
    initialiser to the end of their last task (CPU well below it: they waited)."""
    roles: dict[str, Any] = {}
    for path in sorted(where.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        role = roles.setdefault(data["role"], {"processes": 0, "cpu_s": 0.0, "alive_s": 0.0,
                                               "steps_cpu_s": {}})
        role["processes"] += 1
        role["cpu_s"] += data["cpu_s"]
        role["alive_s"] += data.get("alive_s", 0.0)
        for step, sec in data["steps_cpu_s"].items():
            role["steps_cpu_s"][step] = role["steps_cpu_s"].get(step, 0.0) + sec
    for role in roles.values():
        role["steps_cpu_s"]["other"] = role["cpu_s"] - sum(role["steps_cpu_s"].values())
        role["cpu_s"] = round(role["cpu_s"], 2)
        role["alive_s"] = round(role["alive_s"], 2)
        role["steps_cpu_s"] = {k: round(v, 3) for k, v in role["steps_cpu_s"].items()}
    return roles


def cpu_by_step(run_cpu: dict[str, float], run_process_s: float, main_thread_s: float,
                roles: dict[str, Any], children_s: float) -> dict[str, float]:
    """One CPU split of the night by step across every process, adding up to the night's
    CPU: the run's main thread, its pool threads (``handover``: feeding the workers, taking
    their results), the workers and the feedback process, and (``spawn``) what those
    spent starting and exiting, outside their initialiser and tasks."""
    total: dict[str, float] = {}
    for step, sec in run_cpu.items():
        total[step] = total.get(step, 0.0) + sec
    total["handover"] = total.get("handover", 0.0) + max(0.0, run_process_s - main_thread_s)
    for role in roles.values():
        for step, sec in role["steps_cpu_s"].items():
            total[step] = total.get(step, 0.0) + sec
    if roles:
        total["spawn"] = max(0.0, children_s - sum(r["cpu_s"] for r in roles.values()))
    return {k: round(v, 2) for k, v in sorted(total.items(), key=lambda kv: -kv[1])}


def main(argv: list[str]) -> int:
    workspace, out = argv[0], Path(argv[1])
    t0 = time.perf_counter()
    timer = StepTimer()
    install(timer)
    process_dir = Path(tempfile.mkdtemp(prefix="bench-steps-"))
    time_processes(process_dir)
    from pipeline import run as run_mod
    from pipeline.cli import main as cli

    # when the last arrival is in the ledger: the roll-ups start (the goal "per workbook,
    # end to end through the ledger" is the wall time up to here)
    marks: dict[str, float] = {}
    rollups = run_mod.NightlyRun.rollups

    def marked(self: Any, *args: Any, **kwargs: Any) -> Any:
        marks.setdefault("through_ledger_s", round(time.perf_counter() - t0, 3))
        return rollups(self, *args, **kwargs)

    run_mod.NightlyRun.rollups = marked  # type: ignore[method-assign]

    code = 0
    try:
        cli.main(["run", "--workspace", workspace, "--quiet"], standalone_mode=False)
    except SystemExit as exc:  # the run command exits with the run's code
        code = int(exc.code or 0)
    wall = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, once reaped
    cpu = {"run_process": round(own.ru_utime + own.ru_stime, 2),
           "workers": round(kids.ru_utime + kids.ru_stime, 2)}
    steps = {k: round(v, 3) for k, v in timer.totals.items()}
    steps["other"] = round(wall - sum(timer.totals.values()), 3)
    main_cpu = time.thread_time()  # the main thread (the pool's helper threads are apart)
    steps_cpu = {k: round(v, 3) for k, v in timer.cpu.items()}
    steps_cpu["other"] = round(main_cpu - sum(timer.cpu.values()), 3)
    roles = process_split(process_dir)
    shutil.rmtree(process_dir, ignore_errors=True)
    whole = cpu_by_step(steps_cpu, own.ru_utime + own.ru_stime, main_cpu, roles,
                        kids.ru_utime + kids.ru_stime)
    out.write_text(json.dumps({"wall_s": round(wall, 3), "exit_code": code, "steps_s": steps,
                               "steps_cpu_s": steps_cpu, "cpu_s": cpu, "marks": marks,
                               "processes": roles, "cpu_by_step_s": whole,
                               "calls": timer.calls}, indent=1), "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
