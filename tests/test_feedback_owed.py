"""Feedback workbooks written after the ledger: by the run, or by one process beside the
roll-ups that the run helps once its own work is done (pipeline/parallel.FeedbackWriter).

Every owed workbook is written exactly once, byte for byte what the run would write alone,
and a workbook that cannot be made is reported, not lost.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
from test_feedback_workbook import _flawed

from pipeline import parallel
from pipeline.feedback import PROBLEMS_SHEET, feedback_bytes, write_owed
from pipeline.model import FeedbackOwed, FileReport
from pipeline.read import read_workbook
from pipeline.validate import validate_workbook


def _owed(plan, root: Path, n: int) -> list[FeedbackOwed]:
    """n rejected originals in the workspace's archive, each owed its feedback workbook."""
    src = _flawed(plan, root)
    report = validate_workbook(read_workbook(src), plan)
    owed = []
    for i in range(n):
        archived = root / "state" / "archive" / f"{i:02x}" / f"{i:064x}.xlsx"
        archived.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, archived)
        owed.append(FeedbackOwed(i + 1, f"feedback/{i:02d}-รายงาน-feedback.xlsx",
                                 archived.relative_to(root).as_posix(), f"รายงาน {i}.xlsx",
                                 report.format, report.problems))
    return owed


def test_the_process_and_the_run_write_each_owed_workbook_once(small_plan, tmp_path):
    owed = _owed(small_plan, tmp_path, 12)
    writer = parallel.FeedbackWriter(tmp_path, owed)
    assert writer.pool is not None
    here: list[int] = []

    def write_here(o: FeedbackOwed) -> None:
        here.append(o.submission_id)
        write_owed(tmp_path, o)

    results = list(writer.finish(write_here))
    assert writer.pool is None  # the process is gone
    assert sorted(o.submission_id for o, _exc in results) == list(range(1, 13))
    assert all(exc is None for _o, exc in results)
    assert len(here) < 12  # the process made some of them (at least the first it was given)
    for o in owed:
        out = tmp_path / "outbox" / o.target
        assert out.is_file(), o.target
        # the same bytes whoever made it: what the run alone would write
        alone = feedback_bytes(FileReport(path=tmp_path / o.source, display_name=o.display_name,
                                          sha256="", format=o.format, problems=o.problems))
        assert out.read_bytes() == alone
    wb = openpyxl.load_workbook(tmp_path / "outbox" / owed[0].target)
    assert wb.sheetnames[0] == PROBLEMS_SHEET
    assert "รายงาน 0.xlsx" in str(wb[PROBLEMS_SHEET]["A1"].value)


def test_a_workbook_that_cannot_be_made_is_reported_and_the_rest_are_written(small_plan,
                                                                            tmp_path):
    owed = _owed(small_plan, tmp_path, 4)
    (tmp_path / owed[1].source).unlink()  # its original is gone
    owed[2].source = "state/archive/nowhere.xlsx"
    results = dict((o.submission_id, exc) for o, exc in
                   parallel.FeedbackWriter(tmp_path, owed).finish(
                       lambda o: write_owed(tmp_path, o)))
    assert results[1] is None and results[4] is None
    assert isinstance(results[2], OSError) and isinstance(results[3], OSError)
    assert (tmp_path / "outbox" / owed[0].target).is_file()
    assert not (tmp_path / "outbox" / owed[1].target).exists()


def test_a_big_night_gets_the_process_a_small_one_or_workers_off_does_not(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("EDUROLLUP_WORKERS", raising=False)
    assert parallel.feedback_process_wanted(parallel.FEEDBACK_MIN)
    assert not parallel.feedback_process_wanted(parallel.FEEDBACK_MIN - 1)
    monkeypatch.setenv("EDUROLLUP_WORKERS", "0")
    assert not parallel.feedback_process_wanted(10_000)


def test_a_feedback_process_that_dies_leaves_its_work_to_the_run(small_plan, tmp_path):
    """The process is killed after it was given work: the run makes those workbooks itself,
    and nothing is reported failed or lost."""
    import os
    import signal

    owed = _owed(small_plan, tmp_path, 6)
    writer = parallel.FeedbackWriter(tmp_path, owed)
    assert writer.pool is not None
    for pid in list(writer.pool._processes):  # no public handle on the pool's processes
        os.kill(pid, signal.SIGKILL)
    here: list[int] = []

    def write_here(o: FeedbackOwed) -> None:
        here.append(o.submission_id)
        write_owed(tmp_path, o)

    results = list(writer.finish(write_here))
    assert sorted(o.submission_id for o, _exc in results) == [1, 2, 3, 4, 5, 6]
    assert [exc for _o, exc in results if exc is not None] == []
    assert all((tmp_path / "outbox" / o.target).is_file() for o in owed)
    assert len(here) >= 2  # at least the two it held when it died (it had not even started)


def test_feedback_workbooks_are_synced_before_the_ledger_strikes_them_off(small_plan, tmp_path,
                                                                          monkeypatch):
    """No fsync per feedback workbook (two each, waiting behind the roll-ups' large writes):
    one filesystem sync per batch, always before the ledger says the batch is written, so a
    crash can leave a workbook owed (made again) but never struck off and lost."""
    from test_parallel_run_matches_serial import _night

    from pipeline import atomic, feedback
    from pipeline import run as run_mod
    from pipeline.demo import fill, make_reports, xlsx_bytes
    from pipeline.ledger import Ledger

    files: dict[str, bytes] = {}
    reports = make_reports(small_plan)
    for code in sorted(small_plan.agencies)[:5]:  # five rejected files: a progress status off the list
        filled = fill(small_plan, reports[(code, 1)])
        ref = filled.cell("budget", "progress_status", min(filled.budget_rows.values()))
        filled.sheet("budget")[ref] = "ไม่ทราบสถานะ"
        files[f"{code}-q1.xlsx"] = xlsx_bytes(filled)
    monkeypatch.setenv("EDUROLLUP_WORKERS", "0")  # the run writes them itself, here
    monkeypatch.setattr(run_mod, "LEDGER_BATCH", 2)
    # the run builds each workbook in its reader child (a fork of this process, isolate.py),
    # which inherits these patches: every event, from either process, is one line of a log
    log = tmp_path / "events.jsonl"
    real_write, real_sync, real_struck = (feedback.write_owed, run_mod.sync_filesystem,
                                          Ledger.feedback_written)
    real_fsync = atomic.os.fsync

    def event(kind, value):
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps([kind, value if isinstance(value, (bool, int)) else str(value)])
                     + "\n")

    def write(root, owed, durable=True):
        event("write", durable)
        return real_write(root, owed, durable)

    def fsync(fd):
        event("fsync", fd)
        return real_fsync(fd)

    monkeypatch.setattr(feedback, "write_owed", write)
    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(run_mod, "sync_filesystem",
                        lambda path: (event("sync", path), real_sync(path))[1])
    monkeypatch.setattr(Ledger, "feedback_written",
                        lambda self, ids: (event("strike", len(ids)),
                                           real_struck(self, ids))[1])
    ws = _night(tmp_path, small_plan, files)
    events = [tuple(json.loads(line)) for line in log.read_text("utf-8").splitlines()]

    fb = events[next(i for i, e in enumerate(events) if e[0] == "write"):]
    fb = fb[:max(i for i, e in enumerate(fb) if e[0] == "strike") + 1]
    kinds = [k for k, _v in fb]
    assert kinds == ["write", "write", "sync", "strike", "write", "write", "sync", "strike",
                     "write", "sync", "strike"], kinds
    assert all(v is False for k, v in fb if k == "write")  # not durable one by one
    assert [v for k, v in fb if k == "strike"] == [2, 2, 1]
    assert all(Path(v) == ws.outbox for k, v in fb if k == "sync")
    assert len(list(ws.feedback_dir.glob("*-feedback.xlsx"))) == 5
    assert Ledger(ws.ledger_path).feedback_owed() == []
