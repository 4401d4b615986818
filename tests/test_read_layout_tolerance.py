"""The reader finds the data where senders leave it: inserted rows, headers moved down,
extra columns, rows added below the table, renamed sheets, data pasted into a new file."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import make_small_plan

import schemas
from pipeline.normalise import normalise_workbook
from pipeline.read import read_workbook
from pipeline.templates import build_template

AGENCY = "1033530001"
PROJECTS = [
    ("P-001", "พัฒนาห้องสมุดโรงเรียน", "2. การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน",
     "งบประมาณพื้นฐาน", "งบดำเนินงาน", 120000, 15000.5, 80000, "อยู่ระหว่างดำเนินการ", None),
    ("P-002", "อบรมครูภาษาไทย", "3. การพัฒนาครูและบุคลากรทางการศึกษา", "งบประมาณยุทธศาสตร์",
     "งบดำเนินงาน", "50,000.00", None, "๑๒,๕๐๐.๒๕", "ดำเนินการแล้วเสร็จ", "อบรม 2 รุ่น"),
]


@functools.cache
def _filled_template_bytes() -> bytes:
    """T's template for one school, filled the way a clerk would (built once)."""
    wb = build_template(make_small_plan(), AGENCY, 2)
    cover = wb[schemas.COVER.name]
    cover["B10"] = "นางสาวสมศรี ใจดี"
    cover["B13"] = "Somsri@School.example.th "
    cover["B14"] = "10 เม.ย. 2568"
    ws = wb[schemas.BUDGET.name]
    for i, values in enumerate(PROJECTS):
        for j, v in enumerate(values):
            ws.cell(row=5 + i, column=1 + j, value=v)
    ind = wb[schemas.INDICATORS.name]
    ind["F5"], ind["F6"], ind["F7"] = "95.87%", 51.25, 3
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled_template() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(_filled_template_bytes()))


def save(wb: openpyxl.Workbook, tmp_path: Path, name: str = "report.xlsx") -> Path:
    path = tmp_path / name
    wb.save(path)
    return path


def budget_cells(raw, field: str) -> list[tuple[str, object]]:
    return [(cells[field].ref, cells[field].value) for _row, cells in raw.sheets["budget"].rows
            if field in cells]


def test_template_as_issued_reads_every_cell_where_it_is(tmp_path: Path) -> None:
    raw = read_workbook(save(filled_template(), tmp_path))
    assert [p.code for p in raw.problems] == []
    assert raw.format == "xlsx"
    assert raw.stamp["agency_code"] == AGENCY and raw.stamp["quarter"] == "2"
    budget = raw.sheets["budget"]
    assert budget.header_row == 4
    assert budget.column_refs["allocated"] == "F"
    assert budget_cells(raw, "project_code") == [("A5", "P-001"), ("A6", "P-002")]
    assert budget_cells(raw, "disbursed") == [("H5", 80000.0), ("H6", "๑๒,๕๐๐.๒๕")]
    cover = raw.sheets["cover"]
    (_row, cells), = cover.rows
    assert cells["reporter_name"].ref == "B10"
    assert cells["reporter_name"].value == "นางสาวสมศรี ใจดี"
    frames, problems = normalise_workbook(raw, make_small_plan())
    assert problems == []
    b = frames["budget"].frame
    assert list(b["allocated"]) == [12_000_000, 5_000_000]
    assert list(b["disbursed"]) == [8_000_000, 1_250_025]
    assert list(b["strategy"]) == [2, 3]
    assert list(b["budget_source"]) == ["basic", "strategic"]
    cover_sf = frames["cover"]
    assert cover_sf.cell("report_date", int(cover_sf.frame["_row"].iloc[0])) == "B14"
    assert cover_sf.frame["reporter_email"].iloc[0] == "somsri@school.example.th"


def test_header_moved_down_and_blank_rows_inserted(tmp_path: Path) -> None:
    wb = filled_template()
    ws = wb[schemas.BUDGET.name]
    ws.insert_rows(1, 3)  # header now on row 7, data on 8 and 9
    ws.insert_rows(9, 2)  # two blank rows between the projects: second project on row 11
    raw = read_workbook(save(wb, tmp_path))
    budget = raw.sheets["budget"]
    assert budget.header_row == 7
    assert [row for row, _ in budget.rows] == [8, 11]
    assert budget_cells(raw, "allocated") == [("F8", 120000.0), ("F11", "50,000.00")]
    assert not [p for p in raw.problems if p.code.startswith("structure.missing")]


def test_extra_columns_to_the_right_are_ignored_and_listed(tmp_path: Path) -> None:
    wb = filled_template()
    ws = wb[schemas.BUDGET.name]
    ws["K4"] = "ผู้รับผิดชอบ"
    ws["L4"] = "เบอร์โทร"
    ws["K5"] = "ครูสมชาย"
    ws["L6"] = "081-2345678"
    raw = read_workbook(save(wb, tmp_path))
    budget = raw.sheets["budget"]
    assert budget.extra_columns == ["ผู้รับผิดชอบ", "เบอร์โทร"]
    assert all(set(cells) <= {c.name for c in schemas.BUDGET.columns}
               for _row, cells in budget.rows)
    assert budget_cells(raw, "remarks") == [("J6", "อบรม 2 รุ่น")]


def test_rows_added_below_the_formatted_table_and_total_row(tmp_path: Path) -> None:
    wb = filled_template()
    ws = wb[schemas.BUDGET.name]
    far = 4 + schemas.BUDGET_TEMPLATE_ROWS + 30  # well below the template's formatted rows
    for j, v in enumerate(("P-003", "ทัศนศึกษา", "1", "งบประมาณพื้นฐาน", "งบดำเนินงาน", 9000)):
        ws.cell(row=far, column=1 + j, value=v)
    ws.cell(row=far + 1, column=2, value="รวม")
    ws.cell(row=far + 1, column=6, value=179000)
    raw = read_workbook(save(wb, tmp_path))
    assert budget_cells(raw, "project_code") == [("A5", "P-001"), ("A6", "P-002"),
                                                 (f"A{far}", "P-003")]
    assert [row for row, _ in raw.sheets["budget"].rows] == [5, 6, far]


def test_renamed_sheet_is_recognised_by_its_headers(tmp_path: Path) -> None:
    wb = filled_template()
    wb[schemas.BUDGET.name].title = "งบ 2568"
    raw = read_workbook(save(wb, tmp_path))
    assert [p.code for p in raw.problems] == []
    assert raw.sheets["budget"].sheet == "งบ 2568"
    assert budget_cells(raw, "project_code") == [("A5", "P-001"), ("A6", "P-002")]


def test_data_pasted_into_a_fresh_workbook_without_stamp(tmp_path: Path) -> None:
    """English-only headers with odd spacing, two rows lower, on sheets named Sheet1/2/3."""
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "Sheet1"
    for i, c in enumerate(schemas.COVER.columns):
        cover.cell(row=2 + i, column=1, value=c.en.upper())
    cover["B2"] = AGENCY
    budget = wb.create_sheet("Sheet2")
    for j, c in enumerate(schemas.BUDGET.columns):
        budget.cell(row=6, column=1 + j, value=f"  {c.en}\xa0")
    budget["A7"], budget["F7"] = "P-009", "1,000"
    ind = wb.create_sheet("Sheet3")
    for j, c in enumerate(schemas.INDICATORS.columns):
        ind.cell(row=1, column=1 + j, value=f"{c.th} {c.en}")
    ind["A2"], ind["F2"] = "1.1", 90
    raw = read_workbook(save(wb, tmp_path))
    codes = [p.code for p in raw.problems]
    assert codes == ["structure.no-stamp"]
    assert raw.stamp is None
    assert {k: s.sheet for k, s in raw.sheets.items()} == {
        "cover": "Sheet1", "budget": "Sheet2", "indicators": "Sheet3"}
    assert raw.sheets["budget"].header_row == 6
    assert budget_cells(raw, "allocated") == [("F7", "1,000")]
    (_r, cells), = raw.sheets["cover"].rows
    assert cells["agency_code"].ref == "B2"
    assert raw.sheets["indicators"].rows[0][1]["result"].ref == "F2"


def test_deleted_column_and_deleted_sheet_are_reported_where_they_were(tmp_path: Path) -> None:
    wb = filled_template()
    wb[schemas.BUDGET.name].delete_cols(8)  # "disbursed" (H) gone; I, J shift left
    del wb[schemas.INDICATORS.name]
    raw = read_workbook(save(wb, tmp_path))
    missing = [(p.code, p.sheet, p.cell) for p in raw.problems]
    assert missing == [
        ("structure.missing-column", schemas.BUDGET.name, "4:4"),
        ("structure.missing-sheet", schemas.INDICATORS.name, None),
    ]
    assert raw.sheets["budget"].missing_columns == ["disbursed"]
    assert raw.sheets["budget"].column_refs["progress_status"] == "H"
    assert "indicators" not in raw.sheets


@pytest.mark.parametrize("header", [
    "เบิกจ่ายสะสม (บาท)", "Disbursed, cumulative (baht)", "เบิกจ่ายสะสม\u200b (บาท)\nDISBURSED, "
    "cumulative (baht)", "เบิกจ่ายสะสม (บาท) (Disbursed, cumulative (baht))",
])
def test_header_spellings_accepted(tmp_path: Path, header: str) -> None:
    wb = filled_template()
    wb[schemas.BUDGET.name]["H4"] = header
    raw = read_workbook(save(wb, tmp_path))
    assert raw.problems == []
    assert raw.sheets["budget"].column_refs["disbursed"] == "H"
    assert raw.sheets["budget"].column_labels["disbursed"] == header.strip()
