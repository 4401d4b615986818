"""The year-end report: every quarter side by side (budget by strategy, indicators,
completeness), each quarter's figures equal to that quarter's accepted files; rebuilt
from the same ledger it is byte-identical."""

import hashlib
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from rollup_helpers import budget_of_file, scenario_copy

from pipeline.cli import main
from pipeline.rollup import ANNUAL_SHEETS, annual_path

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def test_quarters_side_by_side(scenario):
    ws, plan, sent = scenario
    path = annual_path(ws, 2568)
    assert path == ws.outbox / "2568" / "annual" / "annual-2568.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(ANNUAL_SHEETS.values())
    sh = wb[ANNUAL_SHEETS["strategies"]]
    assert [sh.cell(3, c).value.split(" ")[1] for c in (2, 6, 10, 14)] == ["1", "2", "3", "4"]
    rows = {r[0].value: [c.value for c in r] for r in sh.iter_rows(min_row=5) if r[0].value}
    for q in (1, 2):
        expected = defaultdict(lambda: defaultdict(Decimal))
        for s in sent:
            if s.quarter == q and s.accepted:
                for r in budget_of_file(s.path):
                    for m in ("allocated", "disbursed"):
                        expected[r["strategy_no"]][m] += r[m]
                        expected["total"][m] += r[m]
        c0 = 1 + (q - 1) * 4
        for no, strategy in plan.strategies.items():
            got = rows[strategy.label]
            assert Decimal(str(got[c0])) == expected[no]["allocated"], (q, no)
            assert Decimal(str(got[c0 + 1])) == expected[no]["disbursed"], (q, no)
            assert got[c0 + 3] == plan.disbursement[q].overall_pct / 100
        total = rows["รวม (Total)"]
        assert Decimal(str(total[c0])) == expected["total"]["allocated"]
    # Q3 and Q4 have no reports yet: blank money, not zero
    assert rows["รวม (Total)"][9] is None and rows["รวม (Total)"][13] is None

    comp = wb[ANNUAL_SHEETS["completeness"]]
    per_q = {r[0].value: [c.value for c in r] for r in comp.iter_rows(min_row=5, max_row=8)}
    assert per_q["Q1"][2:8] == [5, 4, 4, 0, 0, 1]  # expected, submitted, on time, late, rej, miss
    assert per_q["Q2"][2:8] == [5, 3, 2, 1, 1, 1]
    # Q3 is not open in the plan and has no reports: nothing counted, not "all missing"
    assert "not open" in per_q["Q3"][1] and per_q["Q3"][2] == 5 and per_q["Q3"][3:8] == [None] * 5

    ind = wb[ANNUAL_SHEETS["indicators"]]
    header = [c.value for c in ind[4]]
    assert header[6] == "ผลจังหวัด\nProvincial" and header[7] == "ผลประเมิน\nVerdict"
    assert header[14:19] == ["ผลประจำปี\nYear's result", "ผลประเมินประจำปี\nYear's verdict",
                             "ผู้รายงาน\nReporters", "ต้องรายงาน\nExpected",
                             "เทียบค่าฐาน\nVs baseline"]
    assert ind.cell(row=3, column=15).value == "ผลประจำปี ณ ไตรมาส 2 (the year, as of Q2)"
    one = next([c.value for c in r] for r in ind.iter_rows(min_row=5) if r[0].value == "1.1")
    assert one[6] is not None and one[8] is not None  # Q1 and Q2 figures
    assert one[10] is None and one[12] is None  # Q3, Q4: no reports yet
    assert one[14] == one[8]  # the year so far: Q2's figure
    assert one[15] in ("บรรลุ (achieved)", "ไม่บรรลุ (not achieved)",
                       "ข้อมูลไม่พอ (too few reporters)")
    assert one[17] == 5  # expected


def test_rebuilt_annual_report_is_byte_identical(scenario):
    ws, _, _ = scenario
    path = annual_path(ws, 2568)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    result = CliRunner().invoke(main, ["report", "--fy", "2568", "--annual", "--workspace",
                                       str(ws.root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime
