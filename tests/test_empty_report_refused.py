"""A report with no budget line and no indicator result is an error (report.empty), and
the agency does not count as submitted; one budget line or one result is enough."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from run_helpers import (
    ICT,
    drop_email,
    filled_report,
    ledger_rows,
    report_email,
    run_cli,
    small_workspace,
)

from pipeline.cli import main

LINE = [("P-KTL-01", "โครงการห้องเรียนคุณภาพ", 2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
         "250000.00", "10000.00", "81234.25")]


def _validate(ws, path):
    return CliRunner().invoke(main, ["validate", "--json", "--workspace", str(ws.root), str(path)])


@pytest.mark.parametrize("projects,results,empty", [
    ([], {}, True),  # only the reporter's name: the case from the issue
    (LINE, {}, False),  # one budget line, no result
    ([], {"1.1": 96.0}, False),  # one result, no budget line
])
def test_empty_report_is_an_error_and_one_line_or_result_is_enough(tmp_path, projects, results,
                                                                   empty):
    ws, plan = small_workspace(tmp_path)
    path = tmp_path / "report.xlsx"
    path.write_bytes(filled_report(plan, "1033530002", 1, projects, results))
    result = _validate(ws, path)
    report = json.loads(result.output)["files"][0]
    codes = [p["code"] for p in report["problems"]]
    assert ("report.empty" in codes) is empty
    if empty:
        assert result.exit_code == 1
        [p] = [p for p in report["problems"] if p["code"] == "report.empty"]
        assert p["severity"] == "error" and p["sheet"]
    else:
        assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_empty_report_does_not_count_as_submitted(tmp_path):
    ws, plan = small_workspace(tmp_path)
    drop_email(ws, "empty.eml", report_email(
        "anuban.ktl@school.example.th", "รายงาน.xlsx", filled_report(plan, "1033530002", 1, []),
        datetime(2025, 1, 10, 9, 0, tzinfo=ICT), "<e@school.example.th>"))
    assert run_cli(ws, "--quiet").exit_code == 0
    [sub] = ledger_rows(ws, "SELECT id, status FROM submissions")
    assert sub["status"] == "rejected"
    codes = [r["code"] for r in ledger_rows(ws, "SELECT code FROM problems WHERE submission_id = ?",
                                            (sub["id"],))]
    assert "report.empty" in codes
    status = CliRunner().invoke(main, ["status", "--fy", "2568", "--quarter", "1", "--json",
                                       "--workspace", str(ws.root)])
    rows = {r["agency_code"]: r for r in json.loads(status.output)}
    assert rows["1033530002"]["state"] == "rejected"  # not on_time / late: not submitted
