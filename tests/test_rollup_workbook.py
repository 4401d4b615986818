"""The quarter roll-up workbook: its sheets, table, charts, formats and print setup; the same
ledger gives the same bytes (run, then `edurollup report` twice) and leaves the mtime alone;
long data beyond the row limit goes to a UTF-8-BOM CSV beside the workbook."""

import csv
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from rollup_helpers import budget_of_file, scenario_copy

from pipeline.cli import main
from pipeline.consolidate import consolidate_quarter
from pipeline.plan_load import load_plan
from pipeline.rollup import SHEETS, rollup_path, write_rollup_workbook

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sheets_table_charts_and_formats(scenario):
    ws, plan, _ = scenario
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, 2))
    assert wb.sheetnames == list(SHEETS.values())
    assert wb.active.title == SHEETS["summary"]

    summary = wb[SHEETS["summary"]]
    assert len(summary._charts) == 2
    kinds = sorted(type(c).__name__ for c in summary._charts)
    assert kinds == ["BarChart", "BarChart"]  # columns (+ a target line) and stacked bars
    column = next(c for c in summary._charts if c.type == "col")
    # the columns and the target line, combined in one chart
    assert [type(c).__name__ for c in column._charts] == ["BarChart", "LineChart"]
    bars = next(c for c in summary._charts if c.type == "bar")
    assert bars.grouping == "stacked" and len(bars.series) == 4

    data = wb[SHEETS["data"]]
    assert list(data.tables) == ["RollupData"]
    ref = data.tables["RollupData"].ref
    assert ref.startswith("A4:")
    assert data.tables["RollupData"].autoFilter is not None
    header = [c.value for c in data[4]]
    assert header[-1] == "จำนวนเงิน (บาท) (Amount (baht))"
    money = [r[-1] for r in data.iter_rows(min_row=5) if r[-1].value is not None]
    assert money and all(c.number_format == "#,##0.00" for c in money)
    # long format: three measures per project line
    lines = int(ref.split(":")[1][1:]) - 4
    assert lines % 3 == 0 and lines > 0

    strategies = wb[SHEETS["strategies"]]
    assert strategies.freeze_panes == "B5"
    assert strategies["B5"].number_format == "#,##0.00"  # allocated
    assert strategies["F5"].number_format == "0.00%"  # disbursement rate
    assert strategies["F4"].value == "อัตราเบิกจ่าย\nDisbursement rate"
    rules = [r for rng in strategies.conditional_formatting for r in rng.rules]
    assert len(rules) >= 3 and all(r.type == "expression" for r in rules)
    assert any("F5>=$G5" in (r.formula[0] if r.formula else "") for r in rules)
    assert strategies.page_setup.orientation == "landscape"
    assert strategies.page_setup.paperSize == 9  # A4
    assert strategies.print_title_rows == "$1:$4"
    assert wb[SHEETS["agencies"]].freeze_panes == "C5"

    # Thai font throughout
    assert strategies["A5"].font.name == "TH Sarabun New"

    about = wb[SHEETS["about"]]
    facts = {r[0].value: r[1].value for r in about.iter_rows(min_row=5, max_row=16)}
    assert facts["รหัสแผน (plan fingerprint)"] == load_plan(ws.plan_file(2568)).fingerprint
    assert facts["ไฟล์ที่รับ (files accepted)"] == 3
    assert facts["ไฟล์ที่ส่งคืน (rejected)"] == 1
    assert facts["ไฟล์ที่ถูกแทนที่ (superseded)"] == 1
    assert facts["ข้อมูล ณ (as of)"] == "17 เม.ย. 2568 11:00 น."  # the late file, Thai time


def test_problems_sheet_lists_rejected_and_warned_files(scenario):
    ws, _, _ = scenario
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, 2))
    sh = wb[SHEETS["problems"]]
    rows = [[c.value for c in r] for r in sh.iter_rows(min_row=5) if r[0].value]
    codes = {(r[1], r[7]) for r in rows}
    assert ("2033000201", "value.not-a-number") in codes
    assert ("1033530002", "crossquarter.cumulative-fell") in codes
    assert ("1333000101", "intake.late") in codes
    fell = next(r for r in rows if r[7] == "crossquarter.cumulative-fell")
    assert fell[9] == "H5" and fell[11] == "1.00"


def test_same_ledger_same_bytes_and_untouched_mtime(scenario):
    ws, _, _ = scenario
    target = rollup_path(ws, 2568, 2)
    from_run = _sha(target)
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["report", "--fy", "2568", "--quarter", "2",
                                      "--workspace", str(ws.root)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert str(target) in result.output
        assert _sha(target) == from_run
        assert target.stat().st_mtime_ns == 1_000_000_000
    # the zip entries carry a fixed date, and the document a fixed 'created' time
    with zipfile.ZipFile(target) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2025-04-17T04:00:00Z" in core  # as-of: the latest accepted file, in UTC


def test_workbooks_written_later_in_a_process_equal_a_fresh_process(scenario, tmp_path):
    # xlsxwriter once mutated shared workbook options: later files' styles.xml differed
    ws, _, _ = scenario
    fig = consolidate_quarter(ws.ledger_path, load_plan(ws.plan_file(2568)), 2568, 2)
    first = write_rollup_workbook(fig, tmp_path / "a" / "rollup.xlsx")
    second = write_rollup_workbook(fig, tmp_path / "b" / "rollup.xlsx")
    target = rollup_path(ws, 2568, 2)
    target.unlink()
    fresh = subprocess.run([sys.executable, "-m", "pipeline", "report", "--fy", "2568",
                            "--quarter", "2", "--workspace", str(ws.root)],
                           capture_output=True, text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    assert _sha(first) == _sha(second) == _sha(target)


def test_long_data_beyond_the_limit_goes_to_csv(scenario, tmp_path):
    ws, _, sent = scenario
    plan = load_plan(ws.plan_file(2568))
    fig = consolidate_quarter(ws.ledger_path, plan, 2568, 2)
    target = tmp_path / "big" / "rollup-2568-Q2.xlsx"
    write_rollup_workbook(fig, target, data_row_limit=10)
    csv_path = target.with_suffix(".data.csv")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][-1] == "จำนวนเงิน (บาท) (Amount (baht))"
    total = sum(Decimal(r[-1]) for r in rows[1:] if r[15].startswith("เบิกจ่าย"))
    expected = sum(r["disbursed"] for s in sent if s.quarter == 2 and s.accepted
                   for r in budget_of_file(s.path))
    assert total == expected
    wb = openpyxl.load_workbook(target)
    assert not wb[SHEETS["data"]].tables
    assert csv_path.name in wb[SHEETS["data"]]["A4"].value
    about = [c.value for r in wb[SHEETS["about"]].iter_rows() for c in r if c.value]
    assert any(isinstance(v, str) and csv_path.name in v for v in about)


def test_report_without_a_ledger_says_so_and_creates_nothing(tmp_path):
    from conftest import make_small_plan

    from pipeline.plan_workbook import write_plan
    from pipeline.workspace import Workspace

    ws = Workspace.open(tmp_path)
    write_plan(make_small_plan(), ws.plan_file(2568))
    result = CliRunner().invoke(main, ["report", "--fy", "2568", "--quarter", "1",
                                       "--workspace", str(tmp_path)])
    assert result.exit_code == 1  # a message, never a traceback (issue #16)
    assert isinstance(result.exception, SystemExit)
    assert "edurollup run" in result.output and "Q1 FY 2568" in result.output
    assert not ws.ledger_path.exists() and not ws.rollup_dir(2568, 1).exists()
