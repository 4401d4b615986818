"""The web page's queue as the nightly run sees it: a queued submission is archived,
decided and recorded once with source "web" and the link's agency as the sender; a rerun
changes nothing; half-written queue items are not arrivals; a queued file that names
another agency than the link's (the page refuses it; this is the run's own guard) is
quarantined, never merged."""

from __future__ import annotations

import json
import time

from run_helpers import ledger_rows, run_cli
from web_helpers import valid_report, web_workspace, ws_key

from pipeline.collect import web_arrivals
from pipeline.lock import run_lock
from pipeline.web import intake
from pipeline.web.checks import CheckStore
from pipeline.web.links import agency_token, demo_lines

A, B = "1033530001", "1033530002"


def test_queued_submission_is_recorded_once_as_web(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    store = CheckStore(ws, 3600)
    check = store.new(A, "รายงาน ไตรมาส 2.xlsx", valid_report(plan, A, key=ws_key(ws)))
    assert check.submittable
    queued = intake.enqueue(ws, check)
    assert intake.enqueue(ws, check) == queued  # a second submit of the same check
    assert intake.waiting(ws) == [check.id]
    assert run_cli(ws).exit_code == 0
    rows = ledger_rows(ws, "SELECT a.source, a.sender, a.original_name, a.source_path, "
                           "s.status, s.agency_code, s.sha256 FROM arrivals a "
                           "JOIN submissions s ON s.id = a.submission_id")
    assert rows == [{"source": "web", "sender": A, "original_name": "รายงาน ไตรมาส 2.xlsx",
                     "source_path": intake.item_path(ws, check.id), "status": "accepted",
                     "agency_code": A, "sha256": check.sha256}]
    assert (ws.archive / check.sha256[:2]).is_dir()
    assert intake.waiting(ws) == []
    assert intake.recorded(ws, check.id)["first_arrival"] == 1
    assert not list(ws.replies_dir.glob("*.eml"))  # the receipt was the page
    before = ledger_rows(ws, "SELECT COUNT(*) AS n FROM arrivals")
    assert run_cli(ws).exit_code == 0  # nothing new: nothing recorded again
    assert ledger_rows(ws, "SELECT COUNT(*) AS n FROM arrivals") == before


def test_half_written_queue_items_are_not_arrivals(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    folder = intake.queue_dir(ws)
    folder.mkdir(parents=True)
    (folder / ("a" * 32 + ".data")).write_bytes(valid_report(plan, A, key=ws_key(ws)))  # no JSON yet
    (folder / ".bbbb.123.tmp").write_text("{")  # a JSON being written
    (folder / ("c" * 32 + ".json")).write_text(json.dumps(  # its data is missing
        {"agency_code": A, "original_name": "x.xlsx", "received_at": "2025-04-10T09:00:00+07:00",
         "data": "c" * 32 + ".data", "sha256": "0" * 64}))
    (folder / ("d" * 32 + ".json")).write_text("{not json")
    assert list(web_arrivals(ws)) == []


def test_a_queued_file_of_another_agency_is_quarantined(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    check = CheckStore(ws, 3600).new(B, "r.xlsx", valid_report(plan, A, key=ws_key(ws)))  # A's file, B's link
    assert not check.submittable
    assert check.decision.status == "quarantined"
    intake.enqueue(ws, check)  # as if the page had let it through
    assert run_cli(ws).exit_code == 0
    (sub,) = ledger_rows(ws, "SELECT * FROM submissions")
    assert (sub["status"], sub["sender"]) == ("quarantined", B)
    codes = {r["code"] for r in ledger_rows(ws, "SELECT code FROM problems")}
    assert "intake.sender-not-registered" in codes


def test_demo_prints_the_serve_command_a_link_and_a_file_to_try(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    data = valid_report(plan, A, key=ws_key(ws))
    check = CheckStore(ws, 3600).new(A, "r.xlsx", data)
    original = ws.archive / check.sha256[:2] / f"{check.sha256}.xlsx"
    original.parent.mkdir(parents=True)
    original.write_bytes(data)
    manifest = {"files": [
        {"agency_code": B, "flaws": [], "sha256": "1" * 64, "attachment": "a.xlsx"},
        {"agency_code": A, "sha256": check.sha256, "attachment": "r.xlsx",
         "flaws": [{"cell": "H5", "flaw": "disbursed-over-allocated"}]}]}
    lines = demo_lines(ws, manifest, "http://127.0.0.1:8617")
    assert "serve --workspace" in lines[0] and str(ws.root) in lines[0]
    assert lines[1].endswith(f"http://127.0.0.1:8617/a/{agency_token(ws, A)}/")
    assert str(original) in lines[2] and "H5" in lines[3]


def test_the_runner_waits_out_a_held_lock_then_records(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    check = CheckStore(ws, 3600).new(A, "r.xlsx", valid_report(plan, A, key=ws_key(ws)))
    runner = intake.IntakeRunner(ws, retry=0.5)
    with run_lock(ws.lock_path, wait=0):  # the nightly run, as far as anyone can tell
        intake.enqueue(ws, check)
        runner.start()
        deadline = time.monotonic() + 60
        while runner.runs < 2:  # tried at once, and again while the lock is held
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert intake.waiting(ws) == [check.id]  # queued, safe, not recorded
    try:
        deadline = time.monotonic() + 120
        while intake.waiting(ws):  # the lock is free: the next try records it
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        runner.stop()
    (row,) = ledger_rows(ws, "SELECT source, sender FROM arrivals")
    assert row == {"source": "web", "sender": A}
