"""A flawed filled template saved by LibreOffice as .ods and as .xls validates the same.

Clerks open the template in LibreOffice and save in its own format or old Excel's; the
problems found (code, sheet, cell) must not depend on the format. Feedback for a
format openpyxl cannot open is rebuilt from the values and still marks the cells.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import soffice_or_skip
from test_validate_rules import BUDGET, INDICATORS, PROJECTS, filled_template

from pipeline.feedback import ERROR_FILL, PROBLEMS_SHEET, write_feedback
from pipeline.read import read_workbook
from pipeline.validate import validate_workbook

pytestmark = pytest.mark.slow


def _convert(exe: str, src: Path, fmt: str, out_dir: Path, filter_name: str = "") -> Path:
    profile = out_dir / f"lo-profile-{fmt}"
    target = f"{fmt}:{filter_name}" if filter_name else fmt
    subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", target, "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=180)
    out = out_dir / f"{src.stem}.{fmt}"
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


def test_ods_and_xls_report_the_same_problems_at_the_same_cells(small_plan, tmp_path):
    exe = soffice_or_skip()
    projects = [list(p) for p in PROJECTS]
    projects[0][7] = 100000.01  # H5 disbursed > allocated
    projects[1][2] = "ยุทธศาสตร์ที่ 9"  # C6 not a strategy
    projects[2][0] = "P001"  # A7 duplicate code
    projects[2][5] = 12.345  # F7 three decimals of baht
    wb = filled_template(small_plan, projects=[tuple(p) for p in projects],
                         results={"1.1": 96.5, "2.1": None, "4.1": 650})  # F6 missing, F7 odd
    wb[INDICATORS]["E5"] = 80  # locked target changed
    src = tmp_path / "2568-Q2-1033530001.xlsx"
    wb.save(src)

    def seen(path: Path) -> set[tuple[str, str | None, str | None]]:
        rep = validate_workbook(read_workbook(path), small_plan)
        return {(p.code, p.sheet, p.cell) for p in rep.problems}

    expected = seen(src)
    assert expected == {
        ("budget.disbursed-over-allocated", BUDGET, "H5"),
        ("value.not-allowed", BUDGET, "C6"),
        ("value.duplicate", BUDGET, "A7"),
        ("money.too-many-decimals", BUDGET, "F7"),
        ("indicator.result-missing", INDICATORS, "F6"),
        ("plausibility.result-outside-range", INDICATORS, "F7"),
        ("structure.locked-cell-changed", INDICATORS, "E5"),
    }
    ods = _convert(exe, src, "ods", tmp_path)
    xls = _convert(exe, src, "xls", tmp_path)
    xlsm = _convert(exe, src, "xlsm", tmp_path, "Calc MS Excel 2007 VBA XML")
    assert seen(ods) == expected
    assert seen(xls) == expected
    assert seen(xlsm) == expected

    # feedback for an .xlsm stays a macro workbook (.xlsm) that openpyxl opens
    rep = validate_workbook(read_workbook(xlsm), small_plan)
    assert rep.format == "xlsm"
    out = write_feedback(rep, tmp_path / "fb")
    assert out.suffix == ".xlsm"
    fb = openpyxl.load_workbook(out, keep_vba=True)
    assert fb.sheetnames[0] == PROBLEMS_SHEET
    assert fb[INDICATORS]["E5"].comment is not None

    # feedback for an .xls: rebuilt from values, cells still marked, problems sheet first
    rep = validate_workbook(read_workbook(xls), small_plan)
    out = write_feedback(rep, tmp_path / "fb")
    fb = openpyxl.load_workbook(out)
    assert fb.sheetnames[0] == PROBLEMS_SHEET
    assert fb[BUDGET]["H5"].fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert fb[BUDGET]["H5"].value == 100000.01
    assert "more than the allocated" in fb[BUDGET]["H5"].comment.text
