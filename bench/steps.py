"""Time the nightly run's steps from outside, without touching the product's code.

``python bench/steps.py WORKSPACE OUT.json`` is ``edurollup run --workspace WORKSPACE
--quiet`` (the same click command, in this process) with the step functions wrapped by a
timer. Each step's time is *exclusive*: time spent in a wrapped function called from
another wrapped function counts for the inner step only (the roll-up writer's calls to
consolidate and to the ledger count as consolidate and ledger, not write). What no wrapped
function covers (run bookkeeping, the run report, imports) is ``other``.

Why from outside: the run report (outbox/runs/*.json) records only the total seconds.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import resource
import sys
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


def install(timer: StepTimer) -> None:
    """Wrap every step function wherever a pipeline module holds a reference to it
    (``from .consolidate import consolidate_quarter`` copies the name into rollup)."""
    import pipeline

    mods = [importlib.import_module(f"pipeline.{m.name}")
            for m in pkgutil.iter_modules(pipeline.__path__) if m.name != "__main__"]
    for step, targets in STEPS.items():
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


def main(argv: list[str]) -> int:
    workspace, out = argv[0], Path(argv[1])
    t0 = time.perf_counter()
    timer = StepTimer()
    install(timer)
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
    out.write_text(json.dumps({"wall_s": round(wall, 3), "exit_code": code, "steps_s": steps,
                               "steps_cpu_s": steps_cpu, "cpu_s": cpu, "marks": marks,
                               "calls": timer.calls}, indent=1), "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
