"""A newer accepted file from the same agency for the same year and quarter supersedes the
older one: the ledger keeps both, the roll-up uses the newer figures, and an older file that
arrives late does not win back."""

from __future__ import annotations

import json
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

SENDER = "nongwaeng@school.example.th"
AGENCY = "1033530001"
RESULTS = {"1.1": 96.5, "2.1": 50.25, "4.1": 2}


def _report(plan, disbursed: str) -> bytes:
    return filled_report(plan, AGENCY, 1, [
        ("NW-01", "โครงการพัฒนาห้องสมุดมีชีวิต", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "120000.00", "5000.00", disbursed),
        ("NW-02", "โครงการอาหารกลางวัน", 4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
         "300000.00", "0", "95000.00")], RESULTS)


def _numbers(path) -> list[float]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.extend(v for v in row if isinstance(v, (int, float)))
    return out


def _last_run_report(ws) -> dict:
    """The newest run report: '<stamp>.json', then '<stamp>-2.json', ... for runs within one
    second (which a plain name sort would put first)."""
    def order(path):
        stamp, _, n = path.stem.partition("-")
        return stamp, int(n or 1)

    return json.loads(max(ws.runs_dir.glob("*.json"), key=order).read_text("utf-8"))


@pytest.mark.slow
def test_newer_file_supersedes_and_rollup_uses_it(tmp_path):
    ws, plan = small_workspace(tmp_path)
    first = _report(plan, "20001.11")
    drop_email(ws, "first.eml", report_email(
        SENDER, "รายงาน Q1.xlsx", first, datetime(2025, 1, 8, 10, 0, tzinfo=ICT), "<a1@x.th>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    rollup = ws.rollup_dir(2568, 1) / "rollup-2568-Q1.xlsx"
    assert 20001.11 in _numbers(rollup)

    second = _report(plan, "35002.22")
    drop_email(ws, "second.eml", report_email(
        SENDER, "รายงาน Q1 (แก้ไข).xlsx", second, datetime(2025, 1, 12, 16, 30, tzinfo=ICT),
        "<a2@x.th>"))
    result = run_cli(ws, "--quiet")
    assert result.exit_code == 0, result.output

    subs = ledger_rows(ws, "SELECT * FROM submissions WHERE agency_code = ? ORDER BY id", (AGENCY,))
    assert [s["status"] for s in subs] == ["superseded", "accepted"]
    assert subs[0]["superseded_by"] == subs[1]["id"]
    # both kept with their data
    for s in subs:
        assert ledger_rows(ws, "SELECT * FROM budget_lines WHERE submission_id = ?", (s["id"],))
    numbers = _numbers(rollup)
    assert 35002.22 in numbers and 20001.11 not in numbers

    report = _last_run_report(ws)
    (entry,) = report["files"]
    assert entry["action"] == "updated" and entry["supersedes"] == [subs[0]["id"]]
    assert report["counts"]["updated"] == 1

    # an older copy that turns up afterwards is recorded, superseded, and changes nothing
    older = _report(plan, "10003.33")
    drop_email(ws, "older.eml", report_email(
        SENDER, "รายงาน Q1 ฉบับเก่า.xlsx", older, datetime(2025, 1, 5, 8, 0, tzinfo=ICT),
        "<a0@x.th>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    subs = ledger_rows(ws, "SELECT * FROM submissions WHERE agency_code = ? ORDER BY id", (AGENCY,))
    assert [s["status"] for s in subs] == ["superseded", "accepted", "superseded"]
    assert subs[2]["superseded_by"] == subs[1]["id"]
    numbers = _numbers(rollup)
    assert 35002.22 in numbers and 10003.33 not in numbers
