"""A clerk fills the template the way Excel lets them: only unlocked cells, picks from
the dropdowns, inserts a budget row. What they saved reads back as they typed it."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import make_small_plan
from python_calamine import CalamineWorkbook

import schemas
from pipeline.templates import write_templates

SCHOOL = "1033530001"


def lists_column(wb: openpyxl.Workbook, ws, letter: str) -> list[str]:
    """The labels the dropdown on ``letter``5 offers (what the clerk can pick)."""
    dv = next(d for d in ws.data_validations.dataValidation if f"{letter}5" in d.sqref)
    sheet, ref = dv.formula1.rsplit("!", 1)
    return [c.value for row in wb[sheet.strip("'")][ref.replace("$", "")] for c in row]


def type_into(ws, ref: str, value) -> None:
    """Excel refuses typing into a locked cell of a protected sheet: so does the clerk."""
    assert ws.protection.sheet
    assert ws[ref].protection.locked is False, f"{ws.title}!{ref} is locked"
    ws[ref] = value


def insert_row_like_excel(ws, row: int) -> None:
    """Insert a row above ``row`` and give it the formatting of the row above, as Excel
    does (openpyxl leaves inserted cells unformatted)."""
    assert ws.protection.insertRows is False  # inserting rows is allowed
    ws.insert_rows(row)
    for col in range(1, ws.max_column + 1):
        src, dst = ws.cell(row=row - 1, column=col), ws.cell(row=row, column=col)
        dst._style = copy.copy(src._style)


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    plan = make_small_plan()
    path = write_templates(plan, 2, [SCHOOL], tmp_path / "templates")[0]
    wb = openpyxl.load_workbook(path)
    cover = wb[schemas.COVER.name]
    type_into(cover, "B10", "นางสาวสมศรี ใจดี")
    type_into(cover, "B11", "ครูชำนาญการ")
    type_into(cover, "B12", "045-612345")
    type_into(cover, "B13", "somsri@school.example.th")
    type_into(cover, "B14", datetime(2025, 4, 10))

    budget = wb[schemas.BUDGET.name]
    strategies = lists_column(wb, budget, "C")
    sources = lists_column(wb, budget, "D")
    categories = lists_column(wb, budget, "E")
    statuses = lists_column(wb, budget, "I")
    rows = [
        ["P001", "โครงการส่งเสริมการอ่านออกเขียนได้", strategies[1], sources[0], categories[1],
         120000, 20000, 54321.5, statuses[1], "ไตรมาส 2"],
        ["P002", "โครงการโรงเรียนปลอดภัย", strategies[0], sources[1], categories[2],
         350000.25, None, 100000, statuses[2], None],
    ]
    for r, values in enumerate(rows, start=5):
        for j, v in enumerate(values, start=1):
            if v is not None:
                type_into(budget, f"{openpyxl.utils.get_column_letter(j)}{r}", v)
    insert_row_like_excel(budget, 6)  # a project forgotten between the two
    for j, v in enumerate(["P001a", "กิจกรรมย่อย อบรมครู", strategies[2], sources[2],
                           categories[0], 15000, 0, 7500, statuses[0], "แทรกแถว"], start=1):
        type_into(budget, f"{openpyxl.utils.get_column_letter(j)}6", v)

    ind = wb[schemas.INDICATORS.name]
    # 1.1: numerator G5 and denominator H5; 2.1: mean F6 and test takers I6; 4.1: count F7
    for ref, v in (("G5", 193), ("H5", 200), ("K5", "รายงานระบบดูแลช่วยเหลือ"), ("F6", 51.25),
                   ("I6", 42), ("F7", 3)):
        type_into(ind, ref, v)
    wb.save(path)
    return path


def test_locked_cells_refuse_the_clerk(tmp_path):
    path = write_templates(make_small_plan(), 2, [SCHOOL], tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    for sheet, ref in ((schemas.COVER.name, "B4"), (schemas.COVER.name, "B9"),
                       (schemas.INDICATORS.name, "E5"), (schemas.INDICATORS.name, "A6")):
        with pytest.raises(AssertionError, match="is locked"):
            type_into(wb[sheet], ref, "x")


def test_values_read_back_with_calamine(filled):
    book = CalamineWorkbook.from_path(str(filled))
    assert book.sheet_names[:4] == [s.name for s in schemas.SUBMISSION_SHEETS]
    cover = book.get_sheet_by_name(schemas.COVER.name).to_python()
    assert cover[3][1] == SCHOOL  # B4
    assert cover[9][1] == "นางสาวสมศรี ใจดี"  # B10
    assert cover[12][1] == "somsri@school.example.th"
    assert str(cover[13][1]).startswith("2025-04-10")  # B14, a real date
    budget = book.get_sheet_by_name(schemas.BUDGET.name).to_python()
    assert budget[3][:3] == [c.header for c in schemas.BUDGET.columns][:3]  # header row 4
    assert budget[4][:8] == ["P001", "โครงการส่งเสริมการอ่านออกเขียนได้",
                             "2. การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน",
                             "งบประมาณพื้นฐาน", "งบดำเนินงาน", 120000.0, 20000.0, 54321.5]
    assert budget[5][:6] == ["P001a", "กิจกรรมย่อย อบรมครู",
                             "3. การพัฒนาครูและบุคลากรทางการศึกษา", "เงินนอกงบประมาณ/อื่น ๆ",
                             "งบบุคลากร", 15000.0]
    assert budget[6][0] == "P002" and budget[6][5] == 350000.25
    assert budget[6][8] == "ดำเนินการแล้วเสร็จ"
    ind = book.get_sheet_by_name(schemas.INDICATORS.name).to_python()
    assert [row[0] for row in ind[4:7]] == ["1.1", "2.1", "4.1"]
    assert [row[5] for row in ind[4:7]] == ["", 51.25, 3.0]
    assert ind[4][6:8] == [193.0, 200.0] and ind[5][8] == 42.0
    assert ind[4][10] == "รายงานระบบดูแลช่วยเหลือ"


def test_inserted_row_keeps_the_input_format(filled):
    wb = openpyxl.load_workbook(filled)
    ws = wb[schemas.BUDGET.name]
    assert ws["F6"].number_format == "#,##0.00"
    assert ws["F6"].protection.locked is False
    assert wb[schemas.STAMP_SHEET].sheet_state == "veryHidden"


def test_reader_finds_every_row_and_the_stamp(filled):
    """The product's reader sees the three projects (with the inserted one in its place)
    and the intact stamp."""
    from pipeline.read import read_workbook

    raw = read_workbook(filled)
    assert raw.stamp["agency_code"] == SCHOOL
    budget = raw.sheets["budget"]
    codes = [(row, cells["project_code"].value, cells["project_code"].ref)
             for row, cells in budget.rows]
    assert codes == [(5, "P001", "A5"), (6, "P001a", "A6"), (7, "P002", "A7")]
    cover = raw.sheets["cover"].rows[0][1]
    assert cover["reporter_name"].value == "นางสาวสมศรี ใจดี"
    assert cover["reporter_name"].ref == "B10"


def test_filled_template_passes_validation(filled):
    """Filled as the template asks, the file has no errors: the template and the
    validator agree."""
    from pipeline.read import read_workbook
    from pipeline.validate import validate_workbook

    report = validate_workbook(read_workbook(filled), make_small_plan())
    assert [p.code for p in report.problems] == []
    assert report.valid
