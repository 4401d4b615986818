"""Two runs at once: the second waits briefly for state/run.lock, then exits 75 with a Thai
and English message and touches nothing; the first finishes normally."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime

import pytest
from run_helpers import (
    ICT,
    drop_email,
    filled_report,
    ledger_counts,
    ledger_rows,
    report_email,
    small_workspace,
    subprocess_run,
)

from pipeline.lock import EXIT_LOCKED, LockBusy, run_lock


def _wait_for_holder(ws, proc, timeout: float = 60.0) -> None:
    """Until the first process has written its pid into the lock file (it holds the lock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ws.lock_path.exists() and f"pid {proc.pid} " in ws.lock_path.read_text("utf-8"):
            return
        if proc.poll() is not None:
            pytest.fail(f"first run ended early: {proc.communicate()}")
        time.sleep(0.05)
    pytest.fail("first run never took the lock")


@pytest.mark.slow
def test_second_concurrent_run_exits_with_lock_code(tmp_path):
    ws, plan = small_workspace(tmp_path)
    data = filled_report(plan, "1033530002", 1, [
        ("KT-01", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], {"1.1": 97.0, "2.1": 52.0, "4.1": 1})
    drop_email(ws, "a.eml", report_email("clerk.ktl@school.example.th", "รายงาน.xlsx", data,
                                         datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<l1@x.th>"))

    first = subprocess_run(ws, env={"EDUROLLUP_PAUSE_AT": "after-lock:4"}, wait=False)
    _wait_for_holder(ws, first)
    started = time.monotonic()
    second = subprocess_run(ws, env={"EDUROLLUP_LOCK_WAIT": "1"})
    waited = time.monotonic() - started
    assert second.returncode == EXIT_LOCKED, second.stderr
    assert "มีการประมวลผลอีกชุดหนึ่งกำลังทำงานอยู่" in second.stderr
    assert "Another run is in progress" in second.stderr
    assert waited >= 1.0  # it did wait for the lock before giving up

    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    # exactly one import, intact ledger, and the loser left no trace in the outbox
    assert ledger_counts(ws)["submissions"] == 1
    assert ledger_counts(ws)["runs"] == 1
    con = sqlite3.connect(ws.ledger_path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert len(list(ws.runs_dir.glob("*.json"))) == 1
    assert "lock busy" in (ws.log_dir / "run.log").read_text("utf-8")

    # a third run, alone: nothing new, nothing doubled
    third = subprocess_run(ws)
    assert third.returncode == 0, third.stderr
    assert [r["status"] for r in ledger_rows(ws, "SELECT status FROM submissions")] == ["accepted"]


@pytest.mark.slow
def test_second_run_waits_and_proceeds_when_lock_frees_in_time(tmp_path):
    ws, _plan = small_workspace(tmp_path)
    first = subprocess_run(ws, env={"EDUROLLUP_PAUSE_AT": "after-lock:1.5"}, wait=False)
    _wait_for_holder(ws, first)
    second = subprocess_run(ws, env={"EDUROLLUP_LOCK_WAIT": "60"})
    assert second.returncode == 0, second.stderr
    assert first.wait(timeout=120) == 0


def test_lock_is_exclusive_and_released(tmp_path):
    path = tmp_path / "state" / "run.lock"
    with run_lock(path, wait=0):
        with pytest.raises(LockBusy) as busy:
            with run_lock(path, wait=0.2):
                pass
        assert "Another run is in progress" in str(busy.value)
        assert "pid" in busy.value.holder
    with run_lock(path, wait=0):  # released on exit
        pass
