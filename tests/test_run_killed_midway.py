"""kill -9 at several points of the nightly run (a real SIGKILL of a real process, through the
EDUROLLUP_CRASH_AT test hook), then a plain rerun: every manifest file is recorded exactly
once and the outbox equals the one of a run that never crashed."""

from __future__ import annotations

import re
import signal
import sqlite3
from pathlib import Path

import pytest
from run_helpers import (  # noqa: F401 (session fixtures)
    copy_tree,
    demo_built,
    demo_ran,
    demo_reference,
    manifest,
    subprocess_run,
)

pytestmark = pytest.mark.slow


def _ledger(root: Path) -> dict:
    con = sqlite3.connect(root / "state" / "ledger.sqlite")
    con.row_factory = sqlite3.Row
    try:
        subs = [dict(r) for r in con.execute("SELECT * FROM submissions ORDER BY id")]
        by_id = {s["id"]: s["sha256"] for s in subs}
        arrivals = sorted((r["sha256"], r["source_path"], r["part_index"], by_id.get(
            r["submission_id"])) for r in con.execute("SELECT * FROM arrivals"))
        return {
            "submissions": sorted(
                (s["sha256"], s["status"], s["agency_code"], s["fiscal_year"], s["quarter"],
                 s["late"], s["errors"], s["warnings"], s["feedback_path"],
                 by_id.get(s["superseded_by"])) for s in subs),
            "arrivals": arrivals,
            "problems": sorted((by_id[r["submission_id"]], r["code"], r["sheet"] or "",
                                r["cell"] or "") for r in con.execute("SELECT * FROM problems")),
            "budget_lines": con.execute("SELECT COUNT(*) FROM budget_lines").fetchone()[0],
            "indicator_results": con.execute(
                "SELECT COUNT(*) FROM indicator_results").fetchone()[0],
            "inbox_items": con.execute("SELECT COUNT(*) FROM inbox_items").fetchone()[0],
            "integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
        }
    finally:
        con.close()


_DATE = re.compile(rb"^Date: .*\n", re.M)


def _outbox(root: Path) -> dict[str, bytes]:
    """Outbox content; the run's own clock is left out (run reports are named by it, the
    status page shows it, a reply's Date is the ledger's decision time)."""
    out = {}
    for p in sorted((root / "outbox").rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root / "outbox").as_posix()
        if rel.startswith("runs/"):
            continue
        data = p.read_bytes()
        if rel == "status.html":
            data = b"present"
        elif rel.endswith(".eml"):
            data = _DATE.sub(b"", data, count=1)
        out[rel] = data
    return out


# after-feedback:2: the ledger holds every file, two of the feedback workbooks it owes are
# written (feedback comes after the ledger): the rerun writes the others
@pytest.mark.parametrize("crash_at", ["after-archive:3", "after-ledger:120", "during-ledger:150",
                                      "after-feedback:2", "during-rollup"])
def test_rerun_after_kill_completes_the_work(crash_at, demo_built, demo_reference,  # noqa: F811
                                            tmp_path):
    reference_root = demo_reference
    ws = copy_tree(demo_built, tmp_path / "ws")

    crashed = subprocess_run(ws, env={"EDUROLLUP_CRASH_AT": crash_at})
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr[-2000:])
    # the kill left its marks: something was archived and the work is unfinished
    assert any((ws.root / "state" / "archive").rglob("*.*"))
    assert not (ws.root / "outbox" / "runs").exists() or not any(
        (ws.root / "outbox" / "runs").glob("*.json"))

    rerun = subprocess_run(ws)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    got, want = _ledger(ws.root), _ledger(reference_root)
    assert got["integrity"] == "ok"
    shas = [s[0] for s in got["submissions"]]
    assert len(shas) == len(set(shas))  # no file counted twice
    assert len(got["arrivals"]) == len(set(got["arrivals"]))
    for f in manifest(ws.root)["files"]:
        assert f["sha256"] in shas, f["path"]
    assert got == want

    assert _outbox(ws.root) == _outbox(reference_root)
    # and a third run has nothing left to do
    third = subprocess_run(ws)
    assert third.returncode == 0 and "nothing new" in (ws.log_dir / "run.log").read_text("utf-8")


@pytest.mark.parametrize("point", ["during-ledger", "after-ledger"])
def test_a_kill_inside_a_ledger_batch_loses_the_batch_and_the_rerun_redoes_it(
        point, demo_built, demo_reference, tmp_path):  # noqa: F811
    """Arrivals are recorded in batches, one transaction each: a kill after the 30th arrival
    was written into its batch's open transaction leaves none of that batch in the ledger
    (and no inbox item of it marked); a kill after the 30th is committed leaves it and all
    before it. Either way the rerun ends exactly like a run that was never killed."""
    ws = copy_tree(demo_built, tmp_path / "ws")
    crashed = subprocess_run(ws, env={"EDUROLLUP_CRASH_AT": f"{point}:30"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    con = sqlite3.connect(ws.root / "state" / "ledger.sqlite")
    try:
        arrivals = con.execute("SELECT COUNT(*) FROM arrivals").fetchone()[0]
        items = con.execute("SELECT COUNT(*) FROM inbox_items").fetchone()[0]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    if point == "during-ledger":
        assert arrivals < 30 and items <= arrivals  # the open batch is gone, whole
    else:
        assert arrivals >= 30
    rerun = subprocess_run(ws)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _ledger(ws.root) == _ledger(demo_reference)
    assert _outbox(ws.root) == _outbox(demo_reference)


def test_leftovers_of_a_write_killed_half_way_are_swept(tmp_path):
    """A kill in the middle of an atomic write leaves '.<name>.<random>.tmp' beside the
    target (never the target itself); the next run removes it."""
    from run_helpers import small_workspace

    ws, _plan = small_workspace(tmp_path)
    half = ws.outbox / "2568" / "Q1" / ".rollup-2568-Q1.xlsx.k3j4.tmp"
    half.parent.mkdir(parents=True)
    half.write_bytes(b"PK\x03\x04 half a workbook")
    scratch = ws.state / "feedback-abc123"
    scratch.mkdir()
    (scratch / "x-feedback.xlsx").write_bytes(b"PK")
    result = subprocess_run(ws)
    assert result.returncode == 0, result.stderr
    assert not half.exists() and not scratch.exists()
    assert "leftovers of an interrupted run" in (ws.log_dir / "run.log").read_text("utf-8")
