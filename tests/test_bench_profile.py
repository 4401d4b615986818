"""bench/profile.py: py-spy's collapsed stacks summarised per pipeline step and function."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _profile_module():
    spec = importlib.util.spec_from_file_location("bench_profile", BENCH / "profile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN = 'process 10:"/venv/bin/python -m pipeline run --workspace ws"'
WORKER = ('process 11:"/venv/bin/python -B -c from multiprocessing.spawn import spawn_main; '
          'spawn_main(tracker_fd=13, pipe_handle=17) --multiprocessing-fork"')
WORKER_TOP = ("<module> (<string>:1);spawn_main (multiprocessing/spawn.py:122);"
              "_process_worker (concurrent/futures/process.py:261);"
              "_check (pipeline/parallel.py:143)")
RUN_TOP = "run (pipeline/cli.py:153);_run_locked (pipeline/run.py:871)"

# the shape py-spy --subprocesses --format raw writes: frames root first, the count last
RAW = "\n".join([
    # a worker reading a sheet: calamine's native work ends in _Reader.grid
    f"{RUN};{WORKER};{WORKER_TOP};read_workbook (/x/pipeline/read.py:640);"
    "_Reader.grid (/x/pipeline/read.py:420) 300",
    # the reader's own checks
    f"{RUN};{WORKER};{WORKER_TOP};read_workbook (/x/pipeline/read.py:640);"
    "_Reader.prescan_xlsx (/x/pipeline/read.py:390);read_member (/x/pipeline/safety.py:210);"
    "ZipExtFile.read (zipfile.py:930) 100",
    # openpyxl's time counts for the feedback step that called it
    f"{RUN};{WORKER};{WORKER_TOP};_write_owed (/x/pipeline/parallel.py:280);"
    "feedback_bytes (/x/pipeline/feedback.py:300);load_workbook (openpyxl/reader/excel.py:340) 200",
    # the run's own process: the ledger, then xlsxwriter under the roll-up
    f"{RUN};{RUN_TOP};Ledger.record_many (/x/pipeline/ledger.py:322);"
    "_record (/x/pipeline/ledger.py:350) 150",
    f"{RUN};{RUN_TOP};write_quarter_rollup (/x/pipeline/rollup.py:364);"
    "Workbook.close (xlsxwriter/workbook.py:466) 50",
    # a module loading counts as imports, not as the step whose module it is
    f"{RUN};{RUN_TOP};<module> (/x/pipeline/read.py:1);"
    "_call_with_frames_removed (<frozen importlib._bootstrap>:241) 20",
    # the thread that feeds the pool
    f"{RUN};_ExecutorManagerThread.run (concurrent/futures/process.py:335) 30",
    "not a stack line",
]) + "\n"


def test_summary_splits_time_by_step_and_process():
    text = _profile_module().summarise(RAW.splitlines(keepends=True), rate=100, top=5)
    lines = text.splitlines()
    assert lines[0] == "samples: 850 at 100 Hz = 8.5 s busy (run 2.5 s, workers 6.0 s)"
    steps = {line[:22].strip(): line[22:].split() for line in lines[2:12] if line.strip()}
    assert steps["read: calamine"] == ["0.0", "3.0", "35.3%"]
    assert steps["feedback"] == ["0.0", "2.0", "23.5%"]
    assert steps["ledger"] == ["1.5", "0.0", "17.6%"]
    assert steps["read"] == ["0.0", "1.0", "11.8%"]
    assert steps["write"] == ["0.5", "0.0", "5.9%"]
    assert steps["workers (IPC)"] == ["0.3", "0.0", "3.5%"]
    assert steps["imports"] == ["0.2", "0.0", "2.4%"]
    # the heaviest step first
    assert lines[3].startswith("read: calamine")


def test_summary_lists_pipeline_functions_inclusive_per_process():
    text = _profile_module().summarise(RAW.splitlines(keepends=True), rate=100, top=3)
    workers = text.split("heaviest pipeline functions, workers")[1].splitlines()[1:4]
    assert workers[0].split() == ["6.0", "100.0%", "_check", "(pipeline/parallel.py)"]
    assert workers[1].split() == ["4.0", "66.7%", "read_workbook", "(pipeline/read.py)"]
    assert workers[2].split() == ["3.0", "50.0%", "_Reader.grid", "(pipeline/read.py)"]
    run = text.split("heaviest pipeline functions, run")[1].split("heaviest")[0]
    assert "Ledger.record_many (pipeline/ledger.py)" in run
    assert "openpyxl" not in text.split("heaviest pipeline functions")[1]  # libraries: by step


def test_no_samples():
    assert _profile_module().summarise(["garbage\n"], rate=100) == "no samples\n"
