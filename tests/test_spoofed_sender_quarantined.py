"""A valid report e-mailed from an address the plan does not register for the agency is
quarantined (intake.sender-not-registered) and never reaches the roll-up."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy

import openpyxl
import pytest
from run_helpers import (
    ICT,
    drop_email,
    filled_report,
    ledger_rows,
    report_email,
    run_cli,
    small_workspace,
)


def _all_cell_values(path) -> list:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            values.extend(v for v in row if v is not None)
    return values


@pytest.mark.slow
def test_spoofed_sender_is_quarantined_and_not_rolled_up(tmp_path):
    ws, plan = small_workspace(tmp_path)
    genuine = filled_report(plan, "1033530002", 1, [
        ("P-KTL-01", "โครงการห้องเรียนคุณภาพ", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "250000.00", "10000.00", "81234.25")], {"1.1": 96.0, "2.1": 51.5, "4.1": 3})
    spoofed = filled_report(plan, "1033530001", 1, [
        ("P-FAKE-01", "โครงการปลอมแปลงตัวเลข", 1, "งบประมาณพื้นฐาน", "งบลงทุน",
         "999999.00", "0", "999999.00")], {"1.1": 100.0, "2.1": 99.0, "4.1": 0})
    drop_email(ws, "genuine.eml", report_email(
        "anuban.ktl@school.example.th", "รายงานไตรมาส 1 อนุบาลกันทรลักษ์.xlsx", genuine,
        datetime(2025, 1, 10, 9, 0, tzinfo=ICT), "<g1@school.example.th>"))
    drop_email(ws, "spoofed.eml", report_email(
        "someone@freemail.example.com", "รายงานไตรมาส 1 บ้านหนองแวง.xlsx", spoofed,
        datetime(2025, 1, 11, 9, 0, tzinfo=ICT), "<s1@freemail.example.com>"))

    result = run_cli(ws, "--quiet")
    assert result.exit_code == 0, result.output

    subs = {s["original_name"]: s for s in ledger_rows(ws, "SELECT * FROM submissions")}
    bad = subs["รายงานไตรมาส 1 บ้านหนองแวง.xlsx"]
    good = subs["รายงานไตรมาส 1 อนุบาลกันทรลักษ์.xlsx"]
    assert bad["status"] == "quarantined"
    assert bad["sender"] == "someone@freemail.example.com"
    assert good["status"] == "accepted"
    codes = [p["code"] for p in ledger_rows(
        ws, "SELECT code FROM problems WHERE submission_id = ?", (bad["id"],))]
    assert "intake.sender-not-registered" in codes
    # nothing of the spoofed file is kept as accepted data
    assert ledger_rows(ws, "SELECT * FROM budget_lines WHERE submission_id = ?", (bad["id"],)) == []

    rollup = ws.rollup_dir(2568, 1) / "rollup-2568-Q1.xlsx"
    assert rollup.exists()
    values = _all_cell_values(rollup)
    texts = " ".join(str(v) for v in values)
    assert "โครงการห้องเรียนคุณภาพ" in texts  # the genuine project is rolled up
    assert "โครงการปลอมแปลงตัวเลข" not in texts and "P-FAKE-01" not in texts
    assert 999999.0 not in values and 81234.25 in values

    # the sender hears why, naming the rule (Thai and English)
    draft = next(ws.replies_dir.glob(f"{bad['sha256'][:12]}-*.eml"))
    msg = message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert msg["To"] == "someone@freemail.example.com"
    assert msg["In-Reply-To"] == "<s1@freemail.example.com>"
    text = msg.get_body(("plain",)).get_content()
    assert "ไม่ได้ลงทะเบียน" in text and "not registered" in text


@pytest.mark.slow
def test_quarantined_file_forwarded_by_the_registered_sender_is_accepted(tmp_path):
    """A clerk first mails the report from a private address (quarantined); the school then
    forwards the very same attachment from its registered address: decided again, accepted."""
    ws, plan = small_workspace(tmp_path)
    data = filled_report(plan, "1033530002", 1, [
        ("P-KTL-02", "โครงการอ่านออกเขียนได้", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "120000.00", "0", "45000.50")], {"1.1": 96.0, "2.1": 51.5, "4.1": 3})
    drop_email(ws, "private.eml", report_email(
        "krusomchai@freemail.example.com", "รายงาน Q1.xlsx", data,
        datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<p1@freemail.example.com>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    [first] = ledger_rows(ws, "SELECT id, status FROM submissions")
    assert first["status"] == "quarantined"

    drop_email(ws, "forwarded.eml", report_email(
        "anuban.ktl@school.example.th", "รายงาน Q1.xlsx", data,
        datetime(2025, 1, 10, 9, 0, tzinfo=ICT), "<f1@school.example.th>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    rows = ledger_rows(ws, "SELECT id, status, sender FROM submissions")
    assert rows == [{"id": first["id"], "status": "accepted",
                     "sender": "anuban.ktl@school.example.th"}]
    assert len(ledger_rows(ws, "SELECT id FROM arrivals")) == 2  # both arrivals kept
    lines = ledger_rows(ws, "SELECT disbursed FROM budget_lines WHERE submission_id = ?",
                        (first["id"],))
    assert lines == [{"disbursed": 4_500_050}]
