"""The feedback workbook: the sender's own file, problem cells marked and explained.

Built from a flawed filled template: red/amber fills and Thai+English comments at the
problem cells, a first sheet listing every problem with links that jump to the cell,
the original file untouched, and the same report always giving the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from pathlib import Path

import openpyxl
from test_validate_rules import BUDGET, INDICATORS, PROJECTS, filled_template

from pipeline.feedback import ERROR_FILL, PROBLEMS_SHEET, WARNING_FILL, write_feedback
from pipeline.read import read_workbook
from pipeline.validate import validate_workbook


def _flawed(plan, tmp_path: Path) -> Path:
    projects = [list(p) for p in PROJECTS]
    projects[0][7] = 100000.01  # disbursed > allocated          -> H5 error
    projects[1][3] = "งบกลาง"  # not a budget source               -> D6 error
    projects[2][1] = "=1+1 โครงการซ่อมแซม"  # a name that looks like a formula, kept as text
    wb = filled_template(plan, projects=[tuple(p) for p in projects],
                         results={"1.1": 96, "2.1": 51, "4.1": 650})  # F7 warning
    ws = wb[BUDGET]
    ws["B7"].data_type = "s"  # typed as text (Excel: a leading apostrophe)
    path = tmp_path / "2568-Q2-1033530001-โรงเรียนบ้านหนองแวง.xlsx"
    wb.save(path)
    return path


def test_feedback_marks_cells_lists_problems_and_keeps_the_original(small_plan, tmp_path):
    src = _flawed(small_plan, tmp_path)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    report = validate_workbook(read_workbook(src), small_plan)
    assert {(p.code, p.cell) for p in report.problems} == {
        ("budget.disbursed-over-allocated", "H5"), ("value.not-allowed", "D6"),
        ("plausibility.result-outside-range", "F7")}

    out = write_feedback(report, tmp_path / "feedback")
    assert out == tmp_path / "feedback" / "2568-Q2-1033530001-โรงเรียนบ้านหนองแวง-feedback.xlsx"
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # original never modified

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == PROBLEMS_SHEET
    assert wb.active.title == PROBLEMS_SHEET
    # the sender's cells: fill by severity and a Thai + English comment
    h5, d6, f7 = wb[BUDGET]["H5"], wb[BUDGET]["D6"], wb[INDICATORS]["F7"]
    assert h5.fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert d6.fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert f7.fill.fgColor.rgb.endswith(WARNING_FILL.fgColor.rgb[-6:])
    assert "มากกว่างบที่ได้รับจัดสรร" in h5.comment.text
    assert "more than the allocated" in h5.comment.text
    assert "งบประมาณพื้นฐาน" in d6.comment.text  # the fix lists the allowed labels
    assert wb[BUDGET]["H6"].comment is None and wb[BUDGET]["F5"].comment is None
    # the template's protection is off in the copy; values are the sender's
    assert wb[BUDGET].protection.sheet is False
    assert wb[BUDGET]["B7"].value == "=1+1 โครงการซ่อมแซม"
    assert wb[BUDGET]["B7"].data_type == "s"

    # the problems sheet: one row per problem, cell links jump to the sender's cell
    ps = wb[PROBLEMS_SHEET]
    rows = [[c.value for c in row] for row in ps.iter_rows(min_row=5, max_row=ps.max_row)]
    assert [(r[2], r[3], r[8]) for r in rows] == [
        (p.sheet, p.cell, p.code) for p in report.problems]
    links = {ps.cell(row=r, column=4).value: ps.cell(row=r, column=4).hyperlink.location
             for r in range(5, 5 + len(rows))}
    assert links == {"H5": f"'{BUDGET}'!H5", "D6": f"'{BUDGET}'!D6", "F7": f"'{INDICATORS}'!F7"}
    assert all("\n" in r[6] and "\n" in r[7] for r in rows)  # Thai line then English line
    assert ps["A5"].font.name == "TH Sarabun New"


def test_same_report_gives_identical_bytes(small_plan, tmp_path):
    src = _flawed(small_plan, tmp_path)
    report = validate_workbook(read_workbook(src), small_plan)
    a = write_feedback(report, tmp_path / "a").read_bytes()
    time.sleep(1.1)  # openpyxl stamps the save time (to the second) unless we fix it
    b = write_feedback(report, tmp_path / "b").read_bytes()
    assert a == b


def test_unreadable_file_gets_a_problems_sheet_only(tmp_path, small_plan):
    bad = tmp_path / "รายงาน.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    report = validate_workbook(read_workbook(bad), small_plan)
    assert report.problems and report.problems[0].code.startswith("file.")
    out = write_feedback(report, tmp_path / "fb")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [PROBLEMS_SHEET]
    assert wb[PROBLEMS_SHEET]["I5"].value == report.problems[0].code


def test_a_refused_file_is_never_opened_again(small_plan, tmp_path):
    """Hostile XML (entity expansion) in a sheet: the reader refuses it, and the feedback is
    the problems sheet alone; openpyxl never parses the hostile part."""
    buf = io.BytesIO()
    filled_template(small_plan).save(buf)
    src, out = zipfile.ZipFile(buf), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "lol">'
                                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><worksheet', 1)
            z.writestr(info, data)
    path = tmp_path / "report.xlsx"
    path.write_bytes(out.getvalue())
    report = validate_workbook(read_workbook(path), small_plan)
    assert [p.code for p in report.problems] == ["file.hostile-xml"]
    fb = openpyxl.load_workbook(write_feedback(report, tmp_path / "fb"))
    assert fb.sheetnames == [PROBLEMS_SHEET]
    assert fb[PROBLEMS_SHEET]["I5"].value == "file.hostile-xml"
