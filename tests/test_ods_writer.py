"""The tiny .ods writer: what it writes reads back the same through python-calamine
(the product's reader) and through a real LibreOffice."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import date, datetime

import pytest
from conftest import soffice_or_skip
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from pipeline.ods import MIMETYPE, OdsSheet, ods_bytes, sheets_from_openpyxl, write_ods

COVER = OdsSheet("ปก (Cover)", [
    ["แบบรายงานผลการดำเนินงาน"],
    [],
    ["รหัสหน่วยงาน\nAgency code", "1033530001"],
    ["ชื่อหน่วยงาน\nAgency name", "โรงเรียนบ้านหนองแวง"],
    ["วันที่รายงาน\nReport date", date(2025, 1, 10)],
    ["ส่งเมื่อ\nSent", datetime(2025, 1, 10, 14, 30, 5)],
])
BUDGET = OdsSheet("งบประมาณ (Budget)", [
    ["รหัสโครงการ\nProject code", "ชื่อโครงการ\nProject", "จัดสรร\nAllocated", "ครบ\nDone"],
    ["68-1-01", '=HYPERLINK("http://x","คลิก") โครงการ', 125000.5, True],
    ["68-2-02", "  สองช่องว่าง  ข้างใน", 20000, False],
    [None, None, None, None],
    ["68-3-03", "ใส่ &<> ได้", 0.01, None],
])
STAMP = OdsSheet("_stamp", [["agency_code", "1033530001"], ["quarter", "2"]], hidden=True)


def _book(data: bytes) -> CalamineWorkbook:
    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def test_values_thai_text_and_dates_round_trip_through_calamine():
    book = _book(ods_bytes([COVER, BUDGET, STAMP]))
    assert book.sheet_names == ["ปก (Cover)", "งบประมาณ (Budget)", "_stamp"]
    cover = book.get_sheet_by_name("ปก (Cover)").to_python()
    assert cover[0][0] == "แบบรายงานผลการดำเนินงาน"
    assert cover[2] == ["รหัสหน่วยงาน\nAgency code", "1033530001"]  # text stays text
    assert cover[3][1] == "โรงเรียนบ้านหนองแวง"
    assert cover[4][1] == date(2025, 1, 10)
    assert cover[5][1] == datetime(2025, 1, 10, 14, 30, 5)
    budget = book.get_sheet_by_name("งบประมาณ (Budget)").to_python()
    assert budget[1] == ["68-1-01", '=HYPERLINK("http://x","คลิก") โครงการ', 125000.5, True]
    assert budget[2] == ["68-2-02", "  สองช่องว่าง  ข้างใน", 20000.0, False]
    assert budget[3] == ["", "", "", ""]  # the blank row keeps its place
    assert budget[4][:3] == ["68-3-03", "ใส่ &<> ได้", 0.01]


def test_hidden_sheet_is_hidden_and_visible_sheets_are_not():
    book = _book(ods_bytes([COVER, STAMP]))
    visible = {m.name: m.visible for m in book.sheets_metadata}
    assert visible["ปก (Cover)"] == SheetVisibleEnum.Visible
    assert visible["_stamp"] != SheetVisibleEnum.Visible
    assert book.get_sheet_by_name("_stamp").to_python() == [["agency_code", "1033530001"],
                                                            ["quarter", "2"]]


def test_package_layout_and_same_bytes_every_time(tmp_path):
    data = ods_bytes([COVER, BUDGET, STAMP])
    assert data == ods_bytes([COVER, BUDGET, STAMP])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype").decode() == MIMETYPE
        assert "content.xml" in zf.namelist() and "META-INF/manifest.xml" in zf.namelist()
    path = tmp_path / "report.ods"
    assert write_ods(path, [COVER]) is True
    assert write_ods(path, [COVER]) is False  # unchanged: not rewritten
    assert path.read_bytes() == ods_bytes([COVER])


def test_openpyxl_workbook_saved_as_ods_keeps_values_and_hidden_sheets():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "ตัวชี้วัด (Indicators)"
    ws["A1"] = "รหัสตัวชี้วัด\nIndicator code"
    ws["A2"] = "1.1"
    ws["B2"] = 95.5
    ws["C2"] = "=SUM(B2:B2)"  # a formula has no saved result in openpyxl: left empty
    ws["D2"] = "=1+1 โครงการ"
    ws["D2"].data_type = "s"  # text that looks like a formula stays text
    hidden = wb.create_sheet("_lists")
    hidden["A1"] = "งบดำเนินงาน"
    hidden.sheet_state = "hidden"
    book = _book(ods_bytes(sheets_from_openpyxl(wb)))
    rows = book.get_sheet_by_name("ตัวชี้วัด (Indicators)").to_python()
    assert rows[1] == ["1.1", 95.5, "", "=1+1 โครงการ"]
    meta = {m.name: m.visible for m in book.sheets_metadata}
    assert meta["_lists"] != SheetVisibleEnum.Visible


@pytest.mark.slow
def test_libreoffice_opens_it(tmp_path):
    exe = soffice_or_skip()
    src = tmp_path / "report.ods"
    write_ods(src, [COVER, BUDGET, STAMP])
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "out"), str(src)],
                   check=True, capture_output=True, timeout=120)
    book = CalamineWorkbook.from_path(str(tmp_path / "out" / "report.xlsx"))
    assert book.sheet_names == ["ปก (Cover)", "งบประมาณ (Budget)", "_stamp"]
    budget = book.get_sheet_by_name("งบประมาณ (Budget)").to_python()
    assert budget[1][1] == '=HYPERLINK("http://x","คลิก") โครงการ'
    assert budget[1][2] == 125000.5
    assert book.get_sheet_by_name("ปก (Cover)").to_python()[4][1] == date(2025, 1, 10)
    assert {m.name: m.visible for m in book.sheets_metadata}["_stamp"] != SheetVisibleEnum.Visible
