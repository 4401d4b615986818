"""The same file dropped and e-mailed: archived once, one submission, two arrivals, and the
second copy reported as a duplicate instead of being processed again."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from pipeline import archive
from pipeline.collect import collect, trusted
from pipeline.decide import decide, duplicate_decision
from pipeline.ledger import Ledger
from pipeline.read import read_workbook
from pipeline.templates import build_template
from pipeline.validate import validate_workbook
from pipeline.workspace import Workspace

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filled_template(plan, path: Path) -> bytes:
    wb = build_template(plan, "1033530001", 2)
    for row in wb["ปก (Cover)"].iter_rows(min_row=1, max_row=30):
        if str(row[0].value or "").startswith("ชื่อ-สกุล"):
            row[1].value = "นายสมชาย รักเรียน"
    budget = wb["งบประมาณ (Budget)"]
    for col, v in enumerate(["P01", "โครงการห้องสมุดมีชีวิต", plan.strategies[2].label,
                             "งบประมาณพื้นฐาน", "งบดำเนินงาน", 50000, 0, 25000.25], start=1):
        budget.cell(5, col).value = v
    wb.save(path)
    return path.read_bytes()


def process(ws: Workspace, ledger: Ledger, plan) -> list:
    """What the nightly run does with each arrival, in order."""
    decisions = []
    for a in collect(ws, seen=ledger.seen_item):
        stored = archive.store(ws, a.sha256, a.data, a.suffix)
        earlier = ledger.find_submission(a.sha256)
        if earlier is not None:
            decision, report = duplicate_decision(earlier, a), None
        else:
            report = validate_workbook(read_workbook(stored, display_name=a.original_name), plan)
            decision = decide(report, a, plan, trusted(ws, a))
        ledger.record(a, report, decision, None)
        ledger.mark_item(*a.item_key)
        decisions.append((a, decision))
    return decisions


def test_dropped_then_emailed_is_one_submission_two_arrivals(tmp_path, small_plan):
    ws = Workspace(tmp_path)
    ws.ensure()
    data = filled_template(small_plan, ws.inbox / "รายงานไตรมาส 2.xlsx")
    os.utime(ws.inbox / "รายงานไตรมาส 2.xlsx",
             ns=(int(datetime(2025, 4, 8, 3, 0, tzinfo=UTC).timestamp() * 1e9),) * 2)
    msg = EmailMessage()
    msg["From"] = "โรงเรียนบ้านหนองแวง <nongwaeng@school.example.th>"
    msg["To"] = small_plan.office_email
    msg["Subject"] = "ส่งรายงานไตรมาส 2"
    msg["Date"] = "Wed, 09 Apr 2025 10:00:00 +0700"
    msg["Message-ID"] = "<again@school.example.th>"
    msg.set_content("ส่งซ้ำอีกครั้งค่ะ")
    msg.add_attachment(data, maintype="application", subtype=XLSX.split("/")[1],
                       filename="REPORT-Q2.XLSX")
    (ws.maildir / "new").mkdir(parents=True)
    (ws.maildir / "cur").mkdir()
    (ws.maildir / "new" / "1744167600.M1.host").write_bytes(msg.as_bytes())

    with Ledger(ws.ledger_path) as ledger:
        (first, d1), (second, d2) = process(ws, ledger, small_plan)
        assert (first.source, second.source) == ("dropped", "maildir")
        assert first.sha256 == second.sha256
        assert d1.status == "accepted"
        assert d2.status == "duplicate" and d2.duplicate_of is not None
        assert [p.code for p in d2.problems] == ["intake.duplicate"]
        assert d2.problems[0].value == "8 เม.ย. 2568"

        subs = ledger.submissions()
        assert [(s["status"], s["original_name"], s["sender"]) for s in subs] == [
            ("accepted", "รายงานไตรมาส 2.xlsx", None)]
        arrivals = ledger.arrivals(subs[0]["id"])
        assert [(a["source"], a["original_name"], a["sender"]) for a in arrivals] == [
            ("dropped", "รายงานไตรมาส 2.xlsx", None),
            ("maildir", "REPORT-Q2.XLSX", "nongwaeng@school.example.th")]
        assert ledger.budget_lines(2568, 2)["disbursed"].tolist() == [2500025]

        stored = [p for p in ws.archive.rglob("*") if p.is_file()]
        assert [p.name for p in stored] == [f"{first.sha256}.xlsx"]
        assert stored[0].read_bytes() == data
        mtime = stored[0].stat().st_mtime_ns
        assert archive.store(ws, first.sha256, data, ".XLSX") == stored[0]
        assert stored[0].stat().st_mtime_ns == mtime  # present already: nothing written

        assert process(ws, ledger, small_plan) == []  # a rerun: nothing new, nothing recorded
        assert len(ledger.arrivals()) == 2


def test_a_batch_stores_once_without_fsync_per_file_then_syncs(tmp_path, monkeypatch):
    """A night's originals go through archive.Batch: the same bytes under two names are kept
    once, nothing is fsynced per file, one sync makes the batch durable, and a short copy
    left by a power cut before that sync is written again by the next run."""
    import hashlib

    from pipeline import atomic

    ws = Workspace(tmp_path)
    ws.ensure()
    fsyncs: list[int] = []
    syncs: list[Path] = []
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: fsyncs.append(fd))
    monkeypatch.setattr(archive, "sync_filesystem", lambda path: syncs.append(path))
    one, two = b"PK\x03\x04 one" * 100, b"PK\x03\x04 two" * 100
    sha1, sha2 = hashlib.sha256(one).hexdigest(), hashlib.sha256(two).hexdigest()

    batch = archive.Batch(ws)
    p1 = archive.store(ws, sha1, one, ".xlsx", batch)
    assert archive.store(ws, sha1, one, ".XLS", batch) == p1  # same bytes, another name
    p2 = archive.store(ws, sha2, two, "", batch)
    assert fsyncs == [] and syncs == []
    batch.sync()
    assert syncs == [ws.archive] and batch.pending == 0
    batch.sync()  # nothing new: no second sync
    assert syncs == [ws.archive]
    assert sorted(p.name for p in ws.archive.rglob("*") if p.is_file()) == sorted(
        [f"{sha1}.xlsx", sha2])
    assert p1.read_bytes() == one and p2.read_bytes() == two
    assert archive.find(ws, sha1) == p1 and archive.find(ws, sha2) == p2

    p1.write_bytes(b"")  # what a power cut before the sync may leave
    again = archive.Batch(ws)
    assert archive.store(ws, sha1, one, ".xlsx", again) == p1
    assert p1.read_bytes() == one and again.pending == 1


def test_a_batch_finds_what_the_folder_holds_without_sorting_it_each_time(tmp_path):
    """A night's batch indexes each hash folder once: it finds originals archived by earlier
    nights and by itself, and picks the same name a plain directory lookup picks when one
    hash was archived under two suffixes (the first in sorted order)."""
    import hashlib

    (tmp_path / "ws").mkdir()
    ws = Workspace.open(tmp_path / "ws")
    data = [f"original {i}".encode() for i in range(6)]
    shas = [hashlib.sha256(d).hexdigest() for d in data]
    earlier = archive.store(ws, shas[0], data[0], ".xlsx")  # an earlier night's copy
    other = earlier.parent / f"{shas[0]}.ods"  # the same bytes under another suffix
    other.write_bytes(data[0])
    batch = archive.Batch(ws)
    assert archive.find(ws, shas[0], batch) == archive.find(ws, shas[0]) == other  # ".ods" < ".xlsx"
    assert archive.find(ws, shas[1], batch) is None
    written = archive.store(ws, shas[1], data[1], ".xls", batch)
    assert archive.find(ws, shas[1], batch) == written == archive.find(ws, shas[1])
    assert archive.store(ws, shas[1], data[1], ".xlsx", batch) == written  # kept once
    batch.sync()
    assert sorted(p.name for p in written.parent.iterdir() if p.name.startswith(shas[1])) \
        == [written.name]
