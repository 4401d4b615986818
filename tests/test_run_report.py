"""The run report (outbox/runs/<UTC time>.json), the summary on the console, the log file
and the exit codes: what was imported, rejected, ignored as a duplicate, and why."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from run_helpers import (
    ICT,
    drop_email,
    filled_report,
    ledger_counts,
    report_email,
    run_cli,
    small_workspace,
)

RESULTS = {"1.1": 97.0, "2.1": 52.0, "4.1": 1}


def _pdf_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "admin@sriwittaya.example.th"
    msg["To"] = "plan@sisaket-peo.example.go.th"
    msg["Subject"] = "รายงาน (PDF)"
    msg["Date"] = format_datetime(datetime(2025, 1, 9, 11, 0, tzinfo=ICT))
    msg["Message-ID"] = "<pdf-1@sriwittaya.example.th>"
    msg.set_content("ส่งเป็น PDF ค่ะ")
    msg.add_attachment(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF\n", maintype="application",
                       subtype="pdf", filename="รายงาน.pdf")
    return msg.as_bytes()


@pytest.mark.slow
def test_run_report_lists_every_file_with_its_outcome(tmp_path):
    ws, plan = small_workspace(tmp_path)
    good = filled_report(plan, "1033530002", 1, [
        ("KT-01", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], RESULTS)
    bad = filled_report(plan, "1033530001", 1, [
        ("NW-01", "โครงการห้องสมุด", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "50000.00", "0", "61000.00")], RESULTS)
    drop_email(ws, "a.eml", report_email("clerk.ktl@school.example.th", "กันทรลักษ์ Q1.xlsx",
                                         good, datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<a@x.th>"))
    drop_email(ws, "b.eml", report_email("nongwaeng@school.example.th", "หนองแวง Q1.xlsx", bad,
                                         datetime(2025, 1, 9, 10, 0, tzinfo=ICT), "<b@x.th>"))
    drop_email(ws, "c.eml", _pdf_email())
    (ws.inbox / "copy-of-ktl.xlsx").write_bytes(good)  # staff dropped the same file again

    result = run_cli(ws)
    assert result.exit_code == 0, result.output
    assert "นำเข้า 1 (imported)" in result.output and "ไม่ผ่าน 2 (rejected)" in result.output
    assert "ซ้ำ 1 (duplicates ignored)" in result.output

    (report_path,) = list(ws.runs_dir.glob("*.json"))
    report = json.loads(report_path.read_text("utf-8"))
    assert report["format"] == "edurollup.run/1"
    assert report["counts"] == {"imported": 1, "updated": 0, "rejected": 2, "quarantined": 0,
                                "ignored": 1, "failed": 0, "files": 4}
    files = {f["name"]: f for f in report["files"]}
    assert files["กันทรลักษ์ Q1.xlsx"]["action"] == "imported"
    assert files["กันทรลักษ์ Q1.xlsx"]["agency_code"] == "1033530002"
    dup = files["copy-of-ktl.xlsx"]
    assert dup["action"] == "ignored" and dup["status"] == "duplicate"
    assert "กันทรลักษ์ Q1.xlsx" in dup["reason"]
    assert [p["code"] for p in dup["problems"]] == ["intake.duplicate"]

    rejected = files["หนองแวง Q1.xlsx"]
    assert rejected["action"] == "rejected" and rejected["errors"] >= 1
    assert {"code": "budget.disbursed-over-allocated", "where": "งบประมาณ (Budget)!H5"}.items() \
        <= next(p for p in rejected["problems"]
                if p["code"] == "budget.disbursed-over-allocated").items()
    assert (ws.outbox / rejected["feedback"]).exists()
    assert (ws.outbox / rejected["reply"]).exists()

    pdf = files["รายงาน.pdf"]
    assert pdf["action"] == "rejected" and pdf["feedback"] is None
    assert [p["code"] for p in pdf["problems"]] == ["file.unsupported-type"]
    assert (ws.outbox / pdf["reply"]).exists()
    assert "rollup-2568-Q1.xlsx" in " ".join(report["rollups"])

    log_text = (ws.log_dir / "run.log").read_text("utf-8")
    assert "imported inbox/a.eml" in log_text and "run done" in log_text

    # nothing new: no report, a log line, and the console says so
    again = run_cli(ws)
    assert again.exit_code == 0
    assert "ไม่มีอะไรใหม่ (nothing new)" in again.output
    assert list(ws.runs_dir.glob("*.json")) == [report_path]
    assert "nothing new" in (ws.log_dir / "run.log").read_text("utf-8")
    assert ledger_counts(ws)["runs"] == 1


def test_a_failing_run_exits_1_with_traceback_in_the_log(tmp_path):
    ws, _plan = small_workspace(tmp_path)
    ws.ledger_path.mkdir(parents=True)  # a folder where the ledger file should be
    result = run_cli(ws, "--quiet")
    assert result.exit_code == 1
    assert "การประมวลผลล้มเหลว (the run failed)" in result.output
    assert "run.log" in result.output
    assert "Traceback" in (ws.log_dir / "run.log").read_text("utf-8")


@pytest.mark.slow
def test_a_broken_plan_stops_the_import_with_exit_3_until_fixed(tmp_path):
    ws, plan = small_workspace(tmp_path)
    good = filled_report(plan, "1033530002", 1, [
        ("KT-01", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], RESULTS)
    drop_email(ws, "a.eml", report_email("clerk.ktl@school.example.th", "กันทรลักษ์ Q1.xlsx",
                                         good, datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<a@x.th>"))
    plan_file = ws.plan_file(2568)
    plan_bytes = plan_file.read_bytes()
    plan_file.write_bytes(plan_bytes[: len(plan_bytes) // 3])  # a half-copied plan workbook

    result = run_cli(ws, "--quiet")
    assert result.exit_code == 3, result.output
    assert "edurollup plan check" in result.output
    assert ledger_counts(ws)["submissions"] == 0  # nothing quarantined for the office's error

    plan_file.write_bytes(plan_bytes)  # fixed: the waiting file is imported by the next run
    result = run_cli(ws, "--quiet")
    assert result.exit_code == 0, result.output
    assert ledger_counts(ws)["submissions"] == 1
