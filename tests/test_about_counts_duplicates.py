"""The roll-up's About sheet counts the files that arrived again (the same bytes are one
submission with several arrivals); it used to count a status that never occurs: 0."""

from __future__ import annotations

from datetime import datetime

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

from pipeline.rollup import SHEETS

LINE = [("P-KTL-01", "โครงการห้องเรียนคุณภาพ", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "250000.00", "10000.00", "81234.25")]


def _about(ws) -> dict:
    wb = openpyxl.load_workbook(ws.rollup_dir(2568, 1) / "rollup-2568-Q1.xlsx", read_only=True)
    return {r[0]: r[1] for r in wb[SHEETS["about"]].iter_rows(values_only=True) if r and r[0]}


@pytest.mark.slow
def test_about_sheet_counts_the_same_file_sent_again(tmp_path):
    ws, plan = small_workspace(tmp_path)
    data = filled_report(plan, "1033530002", 1, LINE, {"1.1": 96.0})
    sender = "anuban.ktl@school.example.th"
    drop_email(ws, "first.eml", report_email(sender, "รายงาน.xlsx", data,
                                             datetime(2025, 1, 8, 9, 0, tzinfo=ICT), "<a@s>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    assert _about(ws)["ไฟล์ซ้ำ (duplicates)"] == 0  # one arrival: no duplicate

    for n in (1, 2):  # the clerk sends the very same file twice more
        drop_email(ws, f"again-{n}.eml", report_email(
            sender, "รายงาน (สำเนา).xlsx", data, datetime(2025, 1, 9, 9, n, tzinfo=ICT),
            f"<again-{n}@s>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    assert len(ledger_rows(ws, "SELECT id FROM submissions")) == 1
    assert len(ledger_rows(ws, "SELECT id FROM arrivals")) == 3
    about = _about(ws)
    assert about["ไฟล์ซ้ำ (duplicates)"] == 2
    assert about["ไฟล์ที่รับ (files accepted)"] == 1
