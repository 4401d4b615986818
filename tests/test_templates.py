"""Per-agency templates: pre-filled cover, budget dropdowns, the agency's indicators,
protection, the hidden stamp, file names."""

from __future__ import annotations

import dataclasses
import io
import json
import unicodedata
from datetime import datetime

import openpyxl
import pytest
from conftest import STRATEGY_NAMES, make_small_plan
from openpyxl.worksheet.cell_range import CellRange

import schemas
from pipeline import calendar as fcal
from pipeline.plan import Agency
from pipeline.templates import (
    NAME_MAX,
    build_template,
    stamp_checksum,
    template_filename,
    write_templates,
)
from schemas.choices import BUDGET_SOURCES, EXPENDITURE_CATEGORIES, PROGRESS_STATUSES

SCHOOL, AREA_OFFICE, COLLEGE = "1033530001", "33010000", "1333000101"


def saved(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    """What a user opens: the workbook saved and loaded again."""
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return openpyxl.load_workbook(buf)


@pytest.fixture(scope="module")
def school_wb() -> openpyxl.Workbook:
    return saved(build_template(make_small_plan(), SCHOOL, 2))


def list_values(wb: openpyxl.Workbook, formula: str) -> list[str]:
    sheet, ref = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


def validation_for(ws, cell: str):
    hits = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(hits) == 1, f"{ws.title}!{cell}: {len(hits)} validations"
    return hits[0]


def test_sheet_order_and_visibility(school_wb):
    assert school_wb.sheetnames == [s.name for s in schemas.SUBMISSION_SHEETS] + [
        schemas.LISTS_SHEET, schemas.STAMP_SHEET]
    states = [school_wb[n].sheet_state for n in school_wb.sheetnames]
    assert states == ["visible", "visible", "visible", "visible", "hidden", "veryHidden"]


def test_cover_prefilled_and_locked(school_wb):
    ws = school_wb[schemas.COVER.name]
    cols = schemas.COVER.columns
    assert [ws.cell(row=4 + i, column=1).value for i in range(len(cols))] == [
        c.header for c in cols]
    assert ws["B4"].value == SCHOOL
    assert ws["B5"].value == "โรงเรียนบ้านหนองแวง"
    assert ws["B6"].value == 2568
    assert ws["B7"].value == 2
    assert ws["B8"].value == "1 ต.ค. 2567 – 31 มี.ค. 2568 (6 เดือน)"
    assert ws["B9"].value == datetime(2025, 4, 15)
    assert "107041E" in ws["B9"].number_format
    for i, col in enumerate(cols):
        cell = ws.cell(row=4 + i, column=2)
        assert cell.protection.locked is col.locked, col.name
        if not col.locked:
            assert cell.value is None
            assert validation_for(ws, cell.coordinate).prompt, col.name
    assert [c.name for c in cols if not c.locked] == [
        "reporter_name", "reporter_position", "reporter_phone", "reporter_email", "report_date"]
    assert validation_for(ws, "B10").prompt.startswith("ชื่อและนามสกุลผู้กรอกรายงาน")


def test_table_sheet_heading_rows(school_wb):
    for spec in (schemas.BUDGET, schemas.INDICATORS):
        ws = school_wb[spec.name]
        assert ws["A1"].value == f"{spec.title_th} / {spec.title_en}"
        assert "โรงเรียนบ้านหนองแวง" in ws["A2"].value
        assert fcal.period_text_th(2568, 2) in ws["A2"].value
        assert ws["A3"].value
        assert [c.value for c in ws[4][: len(spec.columns)]] == [c.header for c in spec.columns]
        assert ws.freeze_panes == "A5"
        assert ws.print_title_rows == "$4:$4"
        assert ws.page_setup.paperSize == 9
        assert ws["A4"].font.name == "TH Sarabun New"
    assert school_wb[schemas.BUDGET.name].page_setup.orientation == "landscape"
    assert school_wb[schemas.BUDGET.name].column_dimensions["B"].width == \
        schemas.BUDGET.column("project_name").width


def test_budget_rows_dropdowns_and_money(school_wb):
    ws = school_wb[schemas.BUDGET.name]
    last = 4 + schemas.BUDGET_TEMPLATE_ROWS
    assert all(ws.cell(row=r, column=j).protection.locked is False
               for r in (5, last) for j in range(1, 11))
    assert ws.cell(row=5, column=1).value is None
    assert ws.cell(row=last + 1, column=1).protection.locked is True  # below the table
    assert len(ws.data_validations.dataValidation) == len(schemas.BUDGET.columns)
    lists = {
        "C": [f"{i}. {th}" for i, (th, _) in enumerate(STRATEGY_NAMES, start=1)],
        "D": [c.th for c in BUDGET_SOURCES],
        "E": [c.th for c in EXPENDITURE_CATEGORIES],
        "I": [c.th for c in PROGRESS_STATUSES],
    }
    for letter, labels in lists.items():
        dv = validation_for(ws, f"{letter}5")
        assert dv.type == "list"
        assert set(dv.sqref.ranges) == {CellRange(f"{letter}5:{letter}{last}")}
        assert dv.formula1.startswith("'_lists'!$")
        assert list_values(school_wb, dv.formula1) == labels
    for letter in "FGH":
        dv = validation_for(ws, f"{letter}77")
        assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        assert dv.showErrorMessage and "ตัวเลข" in dv.error and "number" in dv.error
        assert dv.prompt.startswith("จำนวนเงินบาท")
        assert ws[f"{letter}77"].number_format == "#,##0.00"
    assert ws["A5"].number_format == "@"


def test_indicators_follow_agency_type():
    plan = make_small_plan()

    def rows(code):
        ws = saved(build_template(plan, code, 1))[schemas.INDICATORS.name]
        out = []
        r = 5
        while ws.cell(row=r, column=1).value is not None:
            out.append([ws.cell(row=r, column=j).value for j in range(1, 6)])
            r += 1
        return ws, out

    ws, school = rows(SCHOOL)
    assert school == [  # the agency target (E) only where the plan sets one
        ["1.1", "ร้อยละของนักเรียนที่ได้รับการคัดกรองด้วยระบบดูแลช่วยเหลือนักเรียน", "ร้อยละ",
         "ยิ่งมากยิ่งดี", 95],
        ["2.1", "คะแนนเฉลี่ย O-NET ชั้นประถมศึกษาปีที่ 6 วิชาภาษาไทย", "คะแนนเฉลี่ย",
         "ยิ่งมากยิ่งดี", None],
        ["4.1", "จำนวนนักเรียนออกกลางคัน", "จำนวน", "ยิ่งน้อยยิ่งดี", None],
    ]
    assert all(ws.cell(row=r, column=j).protection.locked for r in (5, 7) for j in range(1, 6))
    # only the inputs of each row's kind are open: F value, G numerator, H denominator,
    # I weight, J yes/no; K evidence always; L says how the row is reported
    open_cells = {r: [c for c in "FGHIJK" if not ws[f"{c}{r}"].protection.locked]
                  for r in (5, 6, 7)}
    assert open_cells == {5: ["G", "H", "K"], 6: ["F", "I", "K"], 7: ["F", "K"]}
    assert [ws[f"L{r}"].value for r in (5, 6, 7)] == [
        "ร้อยละจากจำนวนนับ (ตัวตั้ง/ตัวหาร)", "ค่าเฉลี่ยถ่วงน้ำหนัก (ค่าเฉลี่ย + จำนวนผู้เข้าสอบ)",
        "จำนวนนับ"]
    dv = validation_for(ws, "F6")
    assert dv.type == "decimal" and set(dv.sqref.ranges) == {CellRange("F6"), CellRange("F7")}
    assert dv.prompt.startswith("ตัวเลข เช่น 52.75")
    assert validation_for(ws, "G5").type == "decimal" and validation_for(ws, "I6").type == "decimal"
    _, area = rows(AREA_OFFICE)
    assert [r[0] for r in area] == ["1.1", "6.1"]
    _, college = rows(COLLEGE)
    assert [r[0] for r in college] == ["1.1", "4.1", "6.1"]


def test_sheets_protected_without_password_structure_locked(school_wb):
    for spec in schemas.SUBMISSION_SHEETS:
        p = school_wb[spec.name].protection
        assert p.sheet is True and p.password is None
        # openpyxl: False = the action is allowed on the protected sheet
        assert (p.insertRows, p.formatColumns, p.formatRows, p.sort, p.autoFilter) == (
            False, False, False, False, False)
        assert p.deleteColumns is True and p.insertColumns is True
    assert school_wb.security.lockStructure is True
    assert school_wb.security.workbookPassword is None


def test_stamp_values_and_checksum(school_wb):
    plan = make_small_plan()
    ws = school_wb[schemas.STAMP_SHEET]
    stamp = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
             for r in range(1, ws.max_row + 1)}
    assert list(stamp) == ["template_id", "schema_version", "agency_code", "fiscal_year",
                           "quarter", "plan_fingerprint", "locked_indicators", "checksum"]
    assert all(isinstance(v, str) for v in stamp.values())
    assert stamp["template_id"] == f"EDR-2568-Q2-{SCHOOL}-{plan.fingerprint[:8]}"
    assert stamp["schema_version"] == schemas.SCHEMA_VERSION
    assert (stamp["agency_code"], stamp["fiscal_year"], stamp["quarter"]) == (SCHOOL, "2568", "2")
    assert stamp["plan_fingerprint"] == plan.fingerprint
    assert json.loads(stamp["locked_indicators"]) == [["1.1", 95.0], ["2.1", None], ["4.1", None]]
    assert len(stamp["checksum"]) == 16
    assert stamp["checksum"] == stamp_checksum(stamp)
    edited = dict(stamp, locked_indicators='[["1.1",80.0],["2.1",50.0],["4.1",5.0]]')
    assert stamp_checksum(edited) != stamp["checksum"]
    assert stamp_checksum(dict(stamp, quarter="3")) != stamp["checksum"]


def test_plan_change_changes_stamp():
    plan = make_small_plan()
    other = dataclasses.replace(plan, indicators={
        **plan.indicators,
        "1.1": dataclasses.replace(plan.indicators["1.1"], agency_target=90.0)})
    a = saved(build_template(plan, SCHOOL, 2))[schemas.STAMP_SHEET]
    b = saved(build_template(other, SCHOOL, 2))[schemas.STAMP_SHEET]
    assert a["B1"].value != b["B1"].value  # template_id carries the plan fingerprint
    assert b["B7"].value.startswith('[["1.1",90.0]')


def test_file_names(tmp_path):
    plan = make_small_plan()
    assert template_filename(plan, plan.agencies[SCHOOL], 2) == \
        "2568-Q2-1033530001-โรงเรียนบ้านหนองแวง.xlsx"
    assert template_filename(plan, AREA_OFFICE, 4) == \
        "2568-Q4-33010000-สำนักงานเขตพื้นที่การศึกษาประถมศึกษาศรีสะเกษ เขต 1.xlsx"
    odd = Agency("1033539999", 'โรงเรียน "บ้านโคก"/สาขา:๒?  <ใหม่>*|', "school", "obec_primary",
                 "เมือง")
    name = template_filename(plan, odd, 1)
    assert not set('<>:"/\\|?*') & set(name)
    assert name == "2568-Q1-1033539999-โรงเรียน บ้านโคก สาขา ๒ ใหม่.xlsx"
    long = Agency("1033538888", "โรงเรียนบ้านหนองแวงใหญ่ศึกษาวิทยาคารสามัคคีวิทยาประชานุเคราะห์" * 3,
                  "school", "obec_primary", "เมือง")
    stem = template_filename(plan, long, 1).removesuffix(".xlsx")
    agency_part = stem.split("-", 3)[3]
    assert len(agency_part) <= NAME_MAX
    assert unicodedata.category(stem[-1]) not in ("Mn", "Mc")
    assert long.name_th.startswith(agency_part)


def test_write_templates_one_file_per_agency(tmp_path):
    plan = make_small_plan()
    paths = write_templates(plan, 2, [SCHOOL, COLLEGE], tmp_path / "out")
    assert [p.name for p in paths] == [template_filename(plan, SCHOOL, 2),
                                       template_filename(plan, COLLEGE, 2)]
    wb = openpyxl.load_workbook(paths[1])
    assert wb[schemas.COVER.name]["B4"].value == COLLEGE
    first = paths[0].read_bytes()
    again = write_templates(plan, 2, [SCHOOL], tmp_path / "again")[0].read_bytes()
    assert first == again  # deterministic: no timestamps in the file


def test_unknown_quarter_or_agency_refused():
    plan = make_small_plan()
    with pytest.raises(ValueError):
        build_template(plan, SCHOOL, 5)
    with pytest.raises(KeyError):
        build_template(plan, "9999999999", 1)


def test_validation_texts_within_excel_limits():
    """Excel declares a file corrupt when a validation title exceeds 32 characters or a
    message 255: check every one."""
    plan = make_small_plan()
    for code in (SCHOOL, AREA_OFFICE):  # every kind of column and sheet appears in these
        wb = saved(build_template(plan, code, 3))
        for ws in wb.worksheets:
            for dv in ws.data_validations.dataValidation:
                for title in (dv.promptTitle, dv.errorTitle):
                    assert title is None or len(title) <= 32, title
                for text in (dv.prompt, dv.error):
                    assert text is None or len(text) <= 255, text
                assert dv.showInputMessage and dv.prompt


def test_agency_without_indicators_gets_an_empty_indicator_table():
    plan = make_small_plan()
    centre = Agency("5033000301", "ศูนย์ส่งเสริมการเรียนรู้อำเภอกันทรลักษ์", "nfe_centre", "dole",
                    "กันทรลักษ์", None, ("kantharalak@dole.example.go.th",))
    plan.agencies[centre.code] = centre
    plan.indicators["1.1"] = dataclasses.replace(plan.indicators["1.1"],
                                                 agency_types=frozenset({"school"}))
    wb = saved(build_template(plan, centre.code, 1))
    ws = wb[schemas.INDICATORS.name]
    assert [c.value for c in ws[4][:2]] == [c.header for c in schemas.INDICATORS.columns[:2]]
    assert ws["A5"].value is None
    assert ws.data_validations.dataValidation == []
    stamp = wb[schemas.STAMP_SHEET]
    assert stamp["B7"].value == "[]"
    assert stamp["B8"].value == stamp_checksum({stamp.cell(row=r, column=1).value:
                                                stamp.cell(row=r, column=2).value
                                                for r in range(1, 8)})


def test_result_may_be_negative_only_when_the_plan_allows():
    plan = make_small_plan()
    ws = saved(build_template(plan, SCHOOL, 2))[schemas.INDICATORS.name]
    assert validation_for(ws, "F7").formula1 == "0"
    plan.indicators["4.1"] = dataclasses.replace(plan.indicators["4.1"], plausible_min=-20.0)
    ws = saved(build_template(plan, SCHOOL, 2))[schemas.INDICATORS.name]
    assert validation_for(ws, "F7").formula1 == "-20"
    assert "-20" in validation_for(ws, "F7").error
    assert validation_for(ws, "G5").formula1 == "0"  # a numerator is never negative
