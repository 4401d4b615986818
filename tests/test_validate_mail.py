"""`edurollup validate mail.eml`: the mail checked as the nightly run would check it (its
sender, each attachment, the run's decision), with the ledger untouched."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage

import pytest
from click.testing import CliRunner
from run_helpers import ICT, filled_report, report_email, small_workspace

from pipeline.cli import main

REG = "anuban.ktl@school.example.th"
LINE = [("P-KTL-01", "โครงการห้องเรียนคุณภาพ", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "250000.00", "10000.00", "81234.25")]
WHEN = datetime(2025, 1, 10, 9, 0, tzinfo=ICT)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    ws, plan = small_workspace(root)
    good = filled_report(plan, "1033530002", 1, LINE, {"1.1": 96.0})
    return ws, good


def _check(ws, tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    result = CliRunner().invoke(main, ["validate", "--json", "--workspace", str(ws.root),
                                       str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.output)["files"]


def test_mail_from_the_registered_sender_is_valid(setup, tmp_path):
    ws, good = setup
    code, files = _check(ws, tmp_path, "mail.eml",
                         report_email(REG, "รายงาน.xlsx", good, WHEN, "<a@school>"))
    assert code == 0, files
    assert [f["file"] for f in files] == ["mail.eml: รายงาน.xlsx"]
    assert not ws.ledger_path.exists()  # the ledger is never touched
    assert not any(ws.state.glob("archive/*/*"))


def test_mail_from_a_stranger_would_be_quarantined(setup, tmp_path):
    ws, good = setup
    code, files = _check(ws, tmp_path, "mail.eml", report_email(
        "someone@freemail.example.com", "รายงาน.xlsx", good, WHEN, "<b@x>"))
    assert code == 1
    assert files[0]["problems"][0]["code"] == "intake.sender-not-registered"


def test_mail_whose_from_says_two_things_would_be_quarantined(setup, tmp_path):
    ws, good = setup
    raw = report_email(REG, "รายงาน.xlsx", good, WHEN, "<c@x>")
    raw = raw.replace(b"\nTo: ", b"\nFrom: stranger@evil.example\nTo: ", 1)
    code, files = _check(ws, tmp_path, "two-from.eml", raw)
    assert code == 1
    assert files[0]["problems"][0]["code"] == "intake.sender-unclear"


def test_mail_without_attachment_and_several_files(setup, tmp_path):
    ws, good = setup
    msg = EmailMessage()
    msg["From"] = REG
    msg["Subject"] = "ส่งรายงาน"
    msg.set_content("ลืมแนบไฟล์")
    code, files = _check(ws, tmp_path, "none.eml", msg.as_bytes())
    assert code == 1 and files[0]["problems"][0]["code"] == "intake.no-attachment"
    # a mail and a workbook in one call: each reported under its own name
    wb = tmp_path / "direct.xlsx"
    wb.write_bytes(good)
    mail = tmp_path / "ok.eml"
    mail.write_bytes(report_email(REG, "รายงาน.xlsx", good, WHEN, "<d@x>"))
    result = CliRunner().invoke(main, ["validate", "--json", "--workspace", str(ws.root),
                                       str(wb), str(mail)])
    assert result.exit_code == 0, result.output
    assert [f["file"] for f in json.loads(result.output)["files"]] == [
        "direct.xlsx", "ok.eml: รายงาน.xlsx"]
