"""A night checked by worker processes ends exactly like the same night checked by the run alone.

pipeline/parallel.py moves reading + normalising + validating (and building the ledger rows
of accepted data) into spawned workers, and the feedback workbooks into one more process
that works beside the roll-ups; the run still decides, writes and records. Same inbox, two workspaces: one run with workers, one with
EDUROLLUP_WORKERS=0; the ledgers must agree on every submission's status, agency,
period and problems (code and cell), and on the accepted figures.
"""

import os
import re
import sqlite3
from pathlib import Path

import pytest

from pipeline import demo, feedback, parallel
from pipeline.plan_workbook import write_plan
from pipeline.run import run_nightly
from pipeline.workspace import Workspace

CONFIG = "[intake]\ntrust_dropped_files = true\n"


def _inbox_files(plan) -> dict[str, bytes]:
    """Q1 of every agency, a resubmission of each (another reporter phone), and one file
    with a progress status that is not on the list (rejected, feedback workbook)."""
    files: dict[str, bytes] = {}
    for (code, q), rep in sorted(demo.make_reports(plan).items()):
        if q != 1:
            continue
        filled = demo.fill(plan, rep)
        files[f"{code}-q1.xlsx"] = demo.xlsx_bytes(filled)
        filled.sheet("cover")[filled.cell("cover", "reporter_phone")] = "045-999999"
        files[f"{code}-q1-แก้ไข.xlsx"] = demo.xlsx_bytes(filled)
    code = sorted(plan.agencies)[0]
    filled = demo.fill(plan, demo.make_reports(plan)[(code, 1)])
    ref = filled.cell("budget", "progress_status", min(filled.budget_rows.values()))
    filled.sheet("budget")[ref] = "ไม่ทราบสถานะ"
    files[f"{code}-q1-ผิด.xlsx"] = demo.xlsx_bytes(filled)
    return files


def _night(root: Path, plan, files: dict[str, bytes]) -> Workspace:
    ws = Workspace.open(root)
    ws.ensure()
    (root / "edurollup.toml").write_text(CONFIG, "utf-8")
    ws = Workspace.open(root)
    write_plan(plan, ws.plan_file(plan.fiscal_year))
    for i, (name, data) in enumerate(sorted(files.items())):
        path = ws.inbox / name
        path.write_bytes(data)
        t = 1_736_000_000 + 60 * i  # 4 Jan 2025, before the Q1 due date
        if "แก้ไข" in name:
            t += 3600  # resubmissions an hour later
        os.utime(path, (t, t))
    assert run_nightly(ws, quiet=True) == 0
    return ws


def _ledger(ws: Workspace) -> dict[str, list]:
    db = sqlite3.connect(ws.ledger_path)
    everything = {
        "all_submissions": db.execute(
            "SELECT id, sha256, arrival_id, original_name, agency_code, fiscal_year, quarter, "
            "template_version, plan_fingerprint, status, reason, late, errors, warnings, "
            "feedback_path, superseded_by FROM submissions ORDER BY id").fetchall(),
        "all_problems": db.execute("SELECT * FROM problems ORDER BY id").fetchall(),
        "all_budget": db.execute("SELECT * FROM budget_lines ORDER BY 1, 2").fetchall(),
        "all_indicators": db.execute("SELECT * FROM indicator_results ORDER BY 1, 2").fetchall(),
        "all_cover": db.execute("SELECT * FROM cover ORDER BY 1").fetchall(),
        "inbox_items": db.execute("SELECT source_path, size, mtime_ns FROM inbox_items "
                                  "ORDER BY 1").fetchall(),
        "feedback": {p.name: p.read_bytes() for p in sorted(ws.feedback_dir.glob("*"))},
    }
    subs = db.execute(
        "SELECT s.original_name, s.status, s.agency_code, s.fiscal_year, s.quarter, s.late "
        "FROM submissions s ORDER BY s.original_name").fetchall()
    probs = db.execute(
        "SELECT s.original_name, p.code, p.sheet, p.cell FROM problems p "
        "JOIN submissions s ON s.id = p.submission_id ORDER BY 1, 2, 3, 4").fetchall()
    money = db.execute(
        "SELECT s.original_name, b.allocated, b.disbursed FROM budget_lines b JOIN "
        "submissions s ON s.id = b.submission_id ORDER BY 1, 2, 3").fetchall()
    db.close()
    return {"submissions": subs, "problems": probs, "money": money, **everything}


@pytest.mark.slow
def test_workers_and_run_alone_record_the_same_night(tmp_path, small_plan, monkeypatch):
    files = _inbox_files(small_plan)
    monkeypatch.setattr(parallel, "MIN_FILES", 2)  # 11 files: use workers anyway
    monkeypatch.setattr(parallel, "FEEDBACK_MIN", 1)  # one rejected file: its own process

    spawned: list[int] = []
    started: list[tuple[int, int]] = []  # (workbooks handed over at start, originals archived)
    real_init = parallel.Prevalidator.__init__

    def counting_init(self, root, items, workers):
        items = list(items)
        archive = Workspace.open(Path(root)).archive
        started.append((len(items), sum(1 for p in archive.rglob("*") if p.is_file())))
        spawned.append(workers)
        real_init(self, root, items, workers)

    monkeypatch.setattr(parallel.Prevalidator, "__init__", counting_init)
    # feedback workbooks built from this process's code: by the run's own reader child (a
    # fork of it, isolate.py), never the run's process itself; the spawned feedback process
    # does not see this patch. One line "<pid> <name>" per workbook, from whichever process.
    built_log = tmp_path / "built-here.txt"
    real_bytes = feedback.feedback_bytes

    def counting_bytes(report):
        with open(built_log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {report.display_name}\n")
        return real_bytes(report)

    def built_here() -> list[tuple[int, str]]:
        if not built_log.exists():
            return []
        return [(int(pid), name) for pid, name in
                (line.split(" ", 1) for line in built_log.read_text("utf-8").splitlines())]

    monkeypatch.setattr(feedback, "feedback_bytes", counting_bytes)
    monkeypatch.setenv("EDUROLLUP_WORKERS", "2")
    with_workers = _ledger(_night(tmp_path / "workers", small_plan, files))
    assert spawned == [2], "the run did not use worker processes"
    # the workers start as soon as the night holds MIN_FILES new workbooks, while the run is
    # still archiving the rest (they get each later one as it is archived)
    assert started == [(2, 2)], started
    assert len(files) > 2
    assert built_here() == [], "the feedback process, not the run's, builds the workbook"

    monkeypatch.setenv("EDUROLLUP_WORKERS", "0")
    alone = _ledger(_night(tmp_path / "alone", small_plan, files))
    assert spawned == [2], "EDUROLLUP_WORKERS=0 must keep the run alone"
    assert len(built_here()) == 1
    assert built_here()[0][0] != os.getpid(), "the run's reader child builds it, not the run"

    assert with_workers == alone  # same rows, ids, feedback files byte for byte
    assert len(alone["feedback"]) == 1
    statuses = {name: status for name, status, *_ in alone["submissions"]}
    assert len(statuses) == len(files)
    wrong = next(n for n in statuses if "ผิด" in n)
    assert statuses[wrong] == "rejected"
    assert any(name == wrong and code == "value.not-allowed" and re.fullmatch(r"[A-Z]+\d+", cell)
               for name, code, _sheet, cell in alone["problems"])
    # every agency's resubmission counts, its first file is kept as superseded
    assert sum(1 for s in statuses.values() if s == "superseded") == len(small_plan.agencies)
    assert alone["money"], "accepted figures were recorded"
