"""`edurollup run --send` delivers the reply drafts to a real SMTP server (aiosmtpd on
127.0.0.1): the right recipients, a Thai subject, the feedback workbook attached; a second
`--send` sends nothing."""

from __future__ import annotations

import io
import socket
from datetime import datetime
from email import message_from_bytes, policy

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from run_helpers import (
    ICT,
    drop_email,
    filled_report,
    ledger_rows,
    report_email,
    run_cli,
    small_workspace,
)

RESULTS = {"1.1": 97.0, "2.1": 52.0, "4.1": 1}


class Inbox:
    """aiosmtpd handler keeping every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.mark.slow
def test_send_delivers_replies_once(tmp_path, smtp_server):
    inbox, port = smtp_server
    ws, plan = small_workspace(tmp_path, smtp_port=port)
    bad = filled_report(plan, "1033530001", 1, [
        ("NW-01", "โครงการพัฒนาห้องสมุด", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "50000.00", "0", "61000.00")], RESULTS)
    good = filled_report(plan, "1033530002", 1, [
        ("KT-01", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], RESULTS)
    drop_email(ws, "bad.eml", report_email(
        "nongwaeng@school.example.th", "รายงานไตรมาส 1.xlsx", bad,
        datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<bad-1@school.example.th>"))
    drop_email(ws, "good.eml", report_email(
        "clerk.ktl@school.example.th", "รายงาน ไตรมาส 1 กันทรลักษ์.xlsx", good,
        datetime(2025, 1, 20, 9, 0, tzinfo=ICT), "<good-1@school.example.th>"))

    result = run_cli(ws, "--quiet", "--send")
    assert result.exit_code == 0, result.output
    assert len(inbox.envelopes) == 2
    by_rcpt = {tuple(e.rcpt_tos): e for e in inbox.envelopes}
    assert set(by_rcpt) == {("nongwaeng@school.example.th",), ("clerk.ktl@school.example.th",)}

    rejected = message_from_bytes(by_rcpt[("nongwaeng@school.example.th",)].content,
                                  policy=policy.default)
    assert rejected["From"].addresses[0].addr_spec == "plan@sisaket-peo.example.go.th"
    subject = str(rejected["Subject"])  # decoded from RFC 2047
    assert subject.startswith("ไม่ผ่าน ต้องแก้ไข / rejected")  # the verdict first (#16)
    assert "รายงานไตรมาส 1.xlsx" in subject and len(subject) <= 100
    assert "ไตรมาส 1/2568" in subject
    assert rejected["In-Reply-To"] == "<bad-1@school.example.th>"
    # deterministic headers: Date is the decision time in the ledger, Message-ID from the hash
    (sub,) = ledger_rows(ws, "SELECT sha256, decided_at FROM submissions WHERE agency_code = ?",
                         ("1033530001",))
    assert rejected["Date"].datetime == datetime.fromisoformat(sub["decided_at"])
    assert rejected["Message-ID"] == f"<reply-{sub['sha256'][:32]}@sisaket-peo.example.go.th>"
    text = rejected.get_body(("plain",)).get_content()
    assert "งบประมาณ (Budget)!H5" in text  # sheet!cell of the disbursed amount
    assert "How to fix:" in text and "วิธีแก้ไข:" in text
    (attachment,) = list(rejected.iter_attachments())
    assert attachment.get_filename().endswith("-feedback.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert "ปัญหา (Problems)" in wb.sheetnames[0]

    receipt = message_from_bytes(by_rcpt[("clerk.ktl@school.example.th",)].content,
                                 policy=policy.default)
    assert "accepted" in str(receipt["Subject"])
    body = receipt.get_body(("plain",)).get_content()
    assert "หลังกำหนดส่ง" in body and "after the due date" in body  # received 20 Jan: late
    assert list(receipt.iter_attachments()) == []

    assert sorted(p.name for p in (ws.replies_dir / "sent").glob("*.eml")) == sorted(
        f"{s['sha256'][:12]}-{s['agency_code']}.eml"
        for s in ledger_rows(ws, "SELECT sha256, agency_code FROM submissions"))
    assert list(ws.replies_dir.glob("*.eml")) == []

    again = run_cli(ws, "--quiet", "--send")
    assert again.exit_code == 0, again.output
    assert len(inbox.envelopes) == 2  # nothing sent twice
    assert len(list((ws.replies_dir / "sent").glob("*.eml"))) == 2


@pytest.mark.slow
def test_send_failure_keeps_drafts_pending(tmp_path):
    """No SMTP server listening: the run reports failure, the drafts stay for next time."""
    ws, plan = small_workspace(tmp_path, smtp_port=_free_port())
    good = filled_report(plan, "1033530002", 1, [
        ("KT-01", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], RESULTS)
    drop_email(ws, "good.eml", report_email(
        "clerk.ktl@school.example.th", "รายงาน.xlsx", good,
        datetime(2025, 1, 9, 9, 0, tzinfo=ICT), "<good-2@school.example.th>"))
    result = run_cli(ws, "--quiet", "--send")
    assert result.exit_code == 1
    assert "SMTP" in result.output or "ส่งอีเมล" in result.output
    assert len(list(ws.replies_dir.glob("*.eml"))) == 1
    # the import itself was kept
    assert [s["status"] for s in ledger_rows(ws, "SELECT status FROM submissions")] == ["accepted"]
