"""The feedback copy sets the template's trailing empty, pre-formatted rows aside while
openpyxl works and puts them back byte for byte (openpyxl spent half its time on them).
The copy must be the same workbook as the plain openpyxl round trip, cell for cell and
format for format, well-formed, rows in order, and the plain way must be taken whenever
openpyxl would hold something in those rows."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace

import openpyxl
from openpyxl.comments import Comment
from test_feedback_workbook import _flawed
from test_validate_rules import BUDGET

from pipeline import feedback
from pipeline.model import Problem
from pipeline.read import read_workbook
from pipeline.validate import validate_workbook


def _plain(report) -> bytes:
    out = feedback._save(feedback.build_feedback(report), {})
    assert out is not None
    return out


def _model(data: bytes) -> dict:
    """Everything a user sees of each sheet, as openpyxl reads it."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    seen = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: (c.value, c.number_format, repr(c.font), repr(c.fill),
                                repr(c.border), repr(c.protection), repr(c.alignment),
                                c.comment.text if c.comment else None,
                                c.hyperlink.location if c.hyperlink else None)
                 for row in ws.iter_rows() for c in row}
        seen[ws.title] = (cells, {k: d.height for k, d in ws.row_dimensions.items()},
                          sorted(map(str, ws.merged_cells.ranges)),
                          [str(v.sqref) for v in ws.data_validations.dataValidation],
                          ws.max_row, ws.sheet_state, ws.protection.sheet)
    return seen


def _rows_in_order(data: bytes) -> None:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                root = ET.fromstring(z.read(name))  # well-formed
                numbers = [int(r.get("r")) for r in root.iter(f"{ns}row")]
                assert numbers == sorted(set(numbers)), name


def test_the_copy_is_the_plain_round_trip_with_the_empty_rows_put_back(small_plan, tmp_path):
    src = _flawed(small_plan, tmp_path)
    report = validate_workbook(read_workbook(src), small_plan)
    slim, aside = feedback.set_aside_empty_rows(src.read_bytes(), report.problems)
    assert BUDGET in aside  # the template's pre-formatted budget rows
    first, rows = aside[BUDGET]
    assert first > 7 and rows.count(b"<row ") > 100
    fast = feedback.feedback_bytes(report)
    assert _model(fast) == _model(_plain(report))
    _rows_in_order(fast)
    assert feedback.feedback_bytes(report) == fast  # the same report, the same bytes


def test_a_problem_in_an_empty_row_keeps_that_row_in_openpyxls_hands(small_plan, tmp_path):
    src = _flawed(small_plan, tmp_path)
    report = validate_workbook(read_workbook(src), small_plan)
    lost = Problem(code="structure.missing-value", severity="error", file=src.name,
                   sheet=BUDGET, cell="C40",
                   message_th="ขาดข้อมูล", message_en="missing", fix_th="กรอก", fix_en="fill in")
    report = replace(report, problems=[*report.problems, lost])
    _slim, aside = feedback.set_aside_empty_rows(src.read_bytes(), report.problems)
    assert aside[BUDGET][0] == 41  # rows after the problem's row only
    fast = feedback.feedback_bytes(report)
    assert _model(fast) == _model(_plain(report))
    wb = openpyxl.load_workbook(io.BytesIO(fast))
    assert wb[BUDGET]["C40"].comment is not None
    _rows_in_order(fast)


def test_anything_of_openpyxls_in_those_rows_means_the_plain_way(small_plan, tmp_path):
    """A comment the sender left in an empty row: openpyxl makes a cell for it, so the rows
    cannot go back after it; the copy is then exactly the plain round trip."""
    src = _flawed(small_plan, tmp_path)
    wb = openpyxl.load_workbook(src)
    wb[BUDGET]["J100"].comment = Comment("ผมจะส่งเพิ่มเติม", "ครู")
    wb.save(src)
    report = validate_workbook(read_workbook(src), small_plan)
    _slim, aside = feedback.set_aside_empty_rows(src.read_bytes(), report.problems)
    if BUDGET in aside:  # the row itself holds nothing: the comment lives in another part
        assert feedback.feedback_bytes(report) == _plain(report)
    assert _model(feedback.feedback_bytes(report))[BUDGET][0]["J100"][7] == "ผมจะส่งเพิ่มเติม"


def test_a_sheet_written_otherwise_is_left_as_it_is():
    """Only rows spelt the plain way are set aside: a prefix, spaces between rows or a cell
    with a value stop the walk."""
    def sheet(rows: bytes) -> bytes:
        return b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>' + \
            rows + b"</sheetData></worksheet>"

    empty = b'<row r="2"><c r="A2" s="3"/></row><row r="3" ht="20" customHeight="1"/>'
    assert feedback._trailing_empty_rows(sheet(empty), set())[2] == 2
    assert feedback._trailing_empty_rows(sheet(empty), {3}) is None
    assert feedback._trailing_empty_rows(sheet(b'<row r="2"><c r="A2"><v>1</v></c></row>'),
                                         set()) is None
    assert feedback._trailing_empty_rows(sheet(b'<row r="2"><c r="A2" s="3"/></row>\n'),
                                         set()) is None
    assert feedback._trailing_empty_rows(
        re.sub(rb"<(/?)(\w)", rb"<\1x:\2", sheet(empty)), set()) is None

