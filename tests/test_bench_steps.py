"""bench/steps.py times the processes the run spawns, not only the run's own.

A night's reading, normalising and validating happen in worker processes and its feedback
workbooks in one more, so a step split taken in the run's process alone says "waiting
for the workers" where the issue asks for read, normalise and validate. The bench gives the
pools initialisers of its own; each process writes its CPU seconds by step after every task.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_parallel_run_matches_serial import _inbox_files, _night

from pipeline import parallel

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def steps(monkeypatch):
    """bench/steps.py as the module ``steps`` (a spawned process imports it by that name),
    with what it patches put back afterwards."""
    monkeypatch.syspath_prepend(str(BENCH))
    import steps as module

    monkeypatch.setattr(parallel, "_init", parallel._init)
    monkeypatch.setattr(parallel, "_guard", parallel._guard)
    monkeypatch.setenv(module.ENV_DIR, "")
    return module


@pytest.mark.slow
def test_workers_and_feedback_process_say_where_their_cpu_went(steps, small_plan, tmp_path,
                                                               monkeypatch):
    files = _inbox_files(small_plan)
    monkeypatch.setattr(parallel, "MIN_FILES", 2)  # a small night: use workers anyway
    monkeypatch.setattr(parallel, "FEEDBACK_MIN", 1)  # its one rejected file: the process
    monkeypatch.setenv("EDUROLLUP_WORKERS", "2")
    where = tmp_path / "split"
    where.mkdir()
    steps.time_processes(where)
    assert "bench" in sys.modules[parallel._init.__module__].__file__  # the bench's own

    _night(tmp_path / "ws", small_plan, files)

    roles = steps.process_split(where)
    assert set(roles) == {"workers", "feedback"}
    workers = roles["workers"]
    assert 1 <= workers["processes"] <= 2
    assert workers["alive_s"] > 0  # initialiser to the end of the last task, beside the CPU
    # every workbook of the night was read, normalised and validated in a worker
    calls = _calls(where, "workers")
    assert calls["read"] == len(files)
    assert calls["read: calamine"] >= 3 * len(files)  # cover, budget, indicators at least
    assert calls["normalise"] == len(files)
    assert calls["validate"] >= 1  # once per chunk of up to 32 files
    for step in ("read", "read: calamine", "read: prescan", "normalise", "validate", "imports"):
        assert workers["steps_cpu_s"][step] > 0, step
    # the parts add up to the processes' CPU (other: pickling, the pool's loop)
    assert abs(sum(workers["steps_cpu_s"].values()) - workers["cpu_s"]) < 0.01
    assert workers["steps_cpu_s"]["other"] >= 0
    # the rejected file's feedback workbook was made by the feedback process
    fb = roles["feedback"]
    assert fb["processes"] == 1 and _calls(where, "feedback") == {"feedback": 1}
    assert fb["steps_cpu_s"]["feedback"] > 0


def test_one_split_of_the_night_adds_up_to_its_cpu(steps):
    run_main_thread = {"write": 2.0, "ledger": 1.0, "read": 0.1, "other": 0.4}
    roles = {"workers": {"processes": 2, "cpu_s": 6.0,
                         "steps_cpu_s": {"read": 3.0, "validate": 2.0, "other": 1.0}},
             "feedback": {"processes": 1, "cpu_s": 1.5,
                          "steps_cpu_s": {"feedback": 1.2, "other": 0.3}}}
    whole = steps.cpu_by_step(run_main_thread, run_process_s=4.0, main_thread_s=3.5,
                              roles=roles, children_s=8.0)
    assert whole["read"] == 3.1  # the run's own reads and the workers'
    assert whole["handover"] == 0.5  # the run's pool threads
    assert whole["spawn"] == 0.5  # the children's CPU outside initialiser and tasks
    assert whole["other"] == 1.7
    assert abs(sum(whole.values()) - (4.0 + 8.0)) < 1e-9
    assert list(whole)[0] == "read"  # largest first


def _calls(where: Path, role: str) -> dict[str, int]:
    import json

    total: dict[str, int] = {}
    for path in where.glob(f"{role}-*.json"):
        for step, n in json.loads(path.read_text("utf-8"))["calls"].items():
            total[step] = total.get(step, 0) + n
    return total
