"""Replies read well in an inbox: a short subject with the verdict first; a quarantine
reply says what to do and nothing about cells; Thai names survive Python's default
parser after drafting and after SMTP (issue #16)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from test_smtp_replies import smtp_server  # noqa: F401 - the aiosmtpd fixture

from pipeline.catalog import problem
from pipeline.replies import ReplyFacts, send_pending, subject, write_draft
from pipeline.workspace import SmtpConfig

OFFICE = "สำนักงานศึกษาธิการจังหวัดศรีสะเกษ"
LONG = "รายงานผลการดำเนินงานและการใช้จ่ายงบประมาณไตรมาสที่ 1 โรงเรียนอนุบาลกันทรลักษ์.xlsx"
DECIDED = datetime(2025, 1, 10, 3, 0, tzinfo=UTC)


def _facts(status: str, codes: list[str], **kw) -> ReplyFacts:
    probs = [problem(c, file=LONG, value="x", expected="1033530002") for c in codes]
    base = dict(sha256="ab" * 32, original_name=LONG, sender="krusomchai@freemail.example.com",
                status=status, decided_at=DECIDED, agency_code="1033530002",
                agency_name="โรงเรียนอนุบาลกันทรลักษ์", fiscal_year=2568, quarter=1,
                problems=probs)
    base.update(kw)
    return ReplyFacts(**base)


@pytest.mark.parametrize("status,late,starts", [
    ("accepted", False, "รับแล้ว / accepted:"),
    ("accepted", True, "รับแล้ว (ส่งช้า) / accepted (late):"),
    ("superseded", False, "รับแล้ว / accepted:"),
    ("rejected", False, "ไม่ผ่าน ต้องแก้ไข / rejected, please fix:"),
    ("quarantined", False, "ยังไม่นำเข้า / on hold:"),
])
def test_subject_is_short_with_the_verdict_first(status, late, starts):
    text = subject(_facts(status, [], late=late))
    assert text.startswith(starts)
    assert len(text) <= 100  # was ~230 with the verdict last
    assert "ไตรมาส 1/2568 " in text
    assert text.endswith("….xlsx")  # the long name cut, its extension kept
    short = subject(_facts(status, [], original_name="Q1.xlsx", late=late))
    assert short.endswith(" Q1.xlsx")


def _body(path) -> tuple[object, str]:
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    return msg, msg.get_body(("plain",)).get_content()


def test_unregistered_sender_is_told_to_register_and_nothing_about_cells(tmp_path):
    feedback = tmp_path / "fb.xlsx"
    feedback.write_bytes(b"PK\x03\x04 not looked at")
    facts = _facts("quarantined", ["intake.sender-not-registered", "budget.disbursed-over-allocated"],
                   feedback=feedback)
    msg, text = _body(write_draft(tmp_path / "replies", facts, "plan@sisaket.example.go.th", OFFICE))
    assert "ลงทะเบียน" in text and "register" in text
    assert "krusomchai@freemail.example.com" in text
    for cell_talk in ("highlighted", "ช่องที่ต้องแก้ไข", "How to fix", "วิธีแก้ไข", "!H", "cells"):
        assert cell_talk not in text
    assert "nothing in the file needs fixing" in text
    assert list(msg.iter_attachments()) == []


def test_period_not_open_says_when_it_opens(tmp_path):
    facts = _facts("quarantined", ["intake.period-not-open"], fiscal_year=2568, quarter=2)
    _, text = _body(write_draft(tmp_path, facts, "plan@sisaket.example.go.th", OFFICE))
    assert "1 เมษายน 2568" in text and "opens on 2025-04-01" in text
    # decided after that day: the date has passed, the office announces the opening
    later = _facts("quarantined", ["intake.period-not-open"], quarter=1,
                   sha256="cd" * 32, decided_at=datetime(2025, 2, 1, tzinfo=UTC))
    _, text = _body(write_draft(tmp_path, later, "plan@sisaket.example.go.th", OFFICE))
    assert "opens when the office announces it" in text and "2025-01-01" not in text


def test_thai_names_survive_the_default_parser_and_smtp(tmp_path, smtp_server):  # noqa: F811
    inbox, port = smtp_server
    facts = _facts("rejected", ["budget.disbursed-over-allocated"])
    replies = tmp_path / "replies"
    draft = write_draft(replies, facts, "plan@sisaket.example.go.th", OFFICE)
    msg, _ = _body(draft)
    assert msg["From"].addresses[0].display_name == OFFICE  # not "ศึกษาธิ การ"
    assert str(msg["Subject"]) == subject(facts)
    assert max(len(line) for line in draft.read_bytes().split(b"\n")) < 998
    send_pending(replies, SmtpConfig(host="127.0.0.1", port=port))
    (envelope,) = inbox.envelopes
    got = message_from_bytes(envelope.content, policy=policy.default)
    assert got["From"].addresses[0].display_name == OFFICE
    assert str(got["Subject"]) == subject(facts)
