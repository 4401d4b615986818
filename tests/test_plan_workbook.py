"""The plan workbook the office edits: layout, values as typed, dropdowns, blank plan, CLI."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_small_plan
from openpyxl.worksheet.cell_range import CellRange

import schemas
from pipeline.cli import main
from pipeline.plan_load import check_plan, load_plan
from pipeline.plan_workbook import FORMATTED_ROWS, write_blank_plan, write_plan
from schemas.choices import AFFILIATIONS, AGENCY_TYPES, DIRECTIONS, UNITS


def list_values(wb: openpyxl.Workbook, formula: str) -> list[str]:
    """The values a list validation offers: resolve "'_lists'!$A$2:$A$9" on the workbook."""
    sheet, ref = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[ref.replace("$", "")] for c in row]


def validation_for(ws, cell: str):
    hits = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(hits) == 1, f"{ws.title}!{cell}: {len(hits)} validations"
    return hits[0]


@pytest.fixture(scope="module")
def plan_wb(tmp_path_factory) -> openpyxl.Workbook:
    plan = make_small_plan()
    plan.due_date_overrides = {2: date(2025, 4, 20)}
    path = write_plan(plan, tmp_path_factory.mktemp("plan") / "2568.xlsx")
    return openpyxl.load_workbook(path)


def test_sheets_in_schema_order_with_hidden_lists(plan_wb):
    assert plan_wb.sheetnames == [s.name for s in schemas.PLAN_SHEETS] + [schemas.LISTS_SHEET]
    assert plan_wb[schemas.LISTS_SHEET].sheet_state == "hidden"
    assert all(plan_wb[s.name].sheet_state == "visible" for s in schemas.PLAN_SHEETS)


def test_table_headers_titles_and_help(plan_wb):
    for spec in schemas.PLAN_SHEETS:
        ws = plan_wb[spec.name]
        assert ws["A1"].value == f"{spec.title_th} / {spec.title_en}"
        assert ws["A2"].value and " / " in ws["A2"].value
        if spec.layout == "table":
            got = [c.value for c in ws[spec.header_row][: len(spec.columns)]]
            assert got == [c.header for c in spec.columns]
            assert ws.freeze_panes == f"A{spec.header_row + 1}"
            assert ws[f"A{spec.header_row}"].alignment.wrap_text
        else:
            got = [ws.cell(row=spec.header_row + i, column=1).value
                   for i in range(len(spec.columns))]
            assert got == [c.header for c in spec.columns]


def test_settings_form_values(plan_wb):
    ws = plan_wb[schemas.PLAN_SETTINGS.name]
    by_label = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2)
                for r in range(3, 3 + len(schemas.PLAN_SETTINGS.columns))}
    col = schemas.PLAN_SETTINGS.column
    assert ws["B3"].value == "ศรีสะเกษ"
    assert by_label[col("office_name").header].value == "สำนักงานศึกษาธิการจังหวัดศรีสะเกษ"
    assert by_label[col("fiscal_year").header].value == 2568
    assert by_label[col("due_day").header].value == 15
    assert by_label[col("open_quarters").header].value == "1,2"
    q2 = by_label[col("due_date_q2").header]
    assert q2.value == datetime(2025, 4, 20)
    assert "107041E" in q2.number_format  # shown in the Buddhist calendar
    assert by_label[col("due_date_q1").header].value is None


def test_agencies_written_as_typed(plan_wb):
    ws = plan_wb[schemas.PLAN_AGENCIES.name]
    assert [c.value for c in ws[4][:7]] == [
        "1033530001", "โรงเรียนบ้านหนองแวง", "โรงเรียน", "สพฐ. (สพป.)", "เมืองศรีสะเกษ",
        "33010000", "nongwaeng@school.example.th"]
    assert ws["G5"].value == "anuban.ktl@school.example.th, clerk.ktl@school.example.th"
    assert ws["C6"].value == "สำนักงานเขตพื้นที่การศึกษา"
    assert ws["F6"].value is None  # no parent agency
    assert ws["A4"].number_format == "@"  # codes stay text
    assert ws["A9"].value is None  # five agencies: rows 4-8


def test_strategies_indicators_disbursement(plan_wb):
    st = plan_wb[schemas.PLAN_STRATEGIES.name]
    assert [st["A4"].value, st["B4"].value, st["C4"].value] == [
        1, "การจัดการศึกษาเพื่อความมั่นคง", "Education for security"]
    assert st["A9"].value == 6
    ind = plan_wb[schemas.PLAN_INDICATORS.name]
    assert [c.value for c in ind[4][:10]] == [
        "1.1", "ร้อยละของนักเรียนที่ได้รับการคัดกรองด้วยระบบดูแลช่วยเหลือนักเรียน", "ร้อยละ",
        "ยิ่งมากยิ่งดี", 1, "ทั้งหมด", 95, 92.5, 0, 100]
    # kind, agency target, levels, rhythm, academic year, minimum reporters, when empty
    assert [c.value for c in ind[4][10:17]] == [
        "ร้อยละจากจำนวนนับ (ตัวตั้ง/ตัวหาร)", 95, None, "ทุกไตรมาส", None, 50,
        "คำเตือน"]
    assert ind["K6"].value == "จำนวนนับ" and ind["Q6"].value == "คำเตือน"
    assert ind["F5"].value == "โรงเรียน, โรงเรียนเอกชน"
    assert ind["F7"].value == "สำนักงานเขตพื้นที่การศึกษา, วิทยาลัยอาชีวศึกษา"
    assert ind["D6"].value == "ยิ่งน้อยยิ่งดี"
    assert ind["H7"].value is None  # no last-year result
    d = plan_wb[schemas.PLAN_DISBURSEMENT.name]
    assert [[c.value for c in row[:4]] for row in d["A4:D7"]] == [
        [1, 30, 32, 20], [2, 54, 57, 45], [3, 77, 80, 65], [4, 100, 100, 100]]
    assert d["B5"].number_format == "0.0"


def test_dropdowns_point_at_lists_sheet(plan_wb):
    expected = {
        (schemas.PLAN_AGENCIES.name, "C"): [c.th for c in AGENCY_TYPES],
        (schemas.PLAN_AGENCIES.name, "D"): [c.th for c in AFFILIATIONS],
        (schemas.PLAN_INDICATORS.name, "C"): [c.th for c in UNITS],
        (schemas.PLAN_INDICATORS.name, "D"): [c.th for c in DIRECTIONS],
    }
    for (sheet, letter), labels in expected.items():
        ws = plan_wb[sheet]
        dv = validation_for(ws, f"{letter}4")
        assert dv.type == "list"
        assert dv.formula1.startswith(f"'{schemas.LISTS_SHEET}'!")
        assert '"' not in dv.formula1  # never an inline list
        assert list_values(plan_wb, dv.formula1) == labels
        assert CellRange(f"{letter}4:{letter}{3 + FORMATTED_ROWS}") in dv.sqref.ranges
        assert dv.prompt  # an input message
    # a column with help gets an input message
    ws = plan_wb[schemas.PLAN_AGENCIES.name]
    dv = validation_for(ws, "G10")
    assert dv.prompt.startswith("คั่นหลายอีเมลด้วย")


def test_validation_texts_within_excel_limits(plan_wb):
    for ws in plan_wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert dv.promptTitle is None or len(dv.promptTitle) <= 32, dv.promptTitle
            assert dv.errorTitle is None or len(dv.errorTitle) <= 32, dv.errorTitle
            assert dv.prompt is None or len(dv.prompt) <= 255
            assert dv.error is None or len(dv.error) <= 255


def test_same_plan_same_bytes(tmp_path):
    a = write_plan(make_small_plan(), tmp_path / "a.xlsx").read_bytes()
    b = write_plan(make_small_plan(), tmp_path / "b.xlsx").read_bytes()
    assert a == b
    changed = dataclasses.replace(make_small_plan(), province="อุบลราชธานี")
    assert write_plan(changed, tmp_path / "c.xlsx").read_bytes() != a


def test_blank_plan(tmp_path):
    wb = openpyxl.load_workbook(write_blank_plan(2569, tmp_path / "2569.xlsx"))
    s = wb[schemas.PLAN_SETTINGS.name]
    values = {c.name: s.cell(row=3 + i, column=2).value
              for i, c in enumerate(schemas.PLAN_SETTINGS.columns)}
    assert values["fiscal_year"] == 2569
    assert values["due_day"] == 15
    assert values["open_quarters"] == "1,2,3,4"
    assert values["province"] is None and values["office_name"] is None
    d = wb[schemas.PLAN_DISBURSEMENT.name]
    assert [[c.value for c in row[:4]] for row in d["A4:D7"]] == [
        [q, None, None, None] for q in range(1, 5)]
    ag = wb[schemas.PLAN_AGENCIES.name]
    assert ag["A4"].value is None
    last = 3 + FORMATTED_ROWS
    assert ag[f"C{last}"].border.left.style == "thin"  # formatted, empty rows
    assert validation_for(ag, f"C{last}").type == "list"
    ind = wb[schemas.PLAN_INDICATORS.name]
    assert validation_for(ind, "C4").type == "list"


def test_cli_plan_new_writes_then_refuses_overwrite(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["plan", "new", "--fy", "2568", "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "plan" / "2568.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb[schemas.PLAN_SETTINGS.name]["B6"].value == 2568
    before = path.read_bytes()
    again = runner.invoke(main, ["plan", "new", "--fy", "2568", "--workspace", str(tmp_path)])
    assert again.exit_code == 2
    assert "มีไฟล์นี้อยู่แล้ว" in again.output
    assert path.read_bytes() == before


def test_written_plan_loads_back_to_the_same_plan(tmp_path):
    """The reader (plan_load.py) and this writer agree on the layout: a round trip keeps
    the plan's content, so templates made from either carry the same fingerprint."""
    plan = make_small_plan()
    plan.due_date_overrides = {2: date(2025, 4, 20)}
    path = write_plan(plan, tmp_path / "2568.xlsx")
    assert check_plan(path) == []
    loaded = load_plan(path)
    assert loaded.agencies == plan.agencies
    assert loaded.strategies == plan.strategies
    assert loaded.indicators == plan.indicators
    assert loaded.disbursement == plan.disbursement
    assert loaded.due_date_overrides == plan.due_date_overrides
    assert loaded.fingerprint == plan.fingerprint


def test_blank_plan_check_names_what_to_fill(tmp_path):
    """A blank plan is not a valid plan yet: the checker points at the settings to fill
    in and the empty disbursement targets, by cell."""
    problems = check_plan(write_blank_plan(2569, tmp_path / "2569.xlsx"))
    cells = {(p.sheet, p.cell) for p in problems if p.code == "value.required"}
    settings, disb = schemas.PLAN_SETTINGS.name, schemas.PLAN_DISBURSEMENT.name
    assert {(settings, "B3"), (settings, "B4"), (settings, "B5")} <= cells
    assert {(disb, f"B{r}") for r in range(4, 8)} <= cells
    assert (settings, "B6") not in cells  # the fiscal year is pre-filled
