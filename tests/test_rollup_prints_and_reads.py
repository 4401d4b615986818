"""The roll-up workbooks print and read right (issue #15's list): header rows tall enough
for their wrapped Thai and English, the Problems severity inside its column, the About
notes at full height, the fiscal year as 2568, the long listings out of the print range,
a summary sheet the annual report opens on, charts with short category labels and value
labels clear of the target line, received times as real date cells, and an autofilter over
every column of the Indicators sheet. Checked on the workbooks the nightly run writes, and
in LibreOffice."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import datetime

import openpyxl
import pytest
from conftest import soffice_or_skip
from openpyxl.utils import get_column_letter
from rollup_helpers import scenario_copy

from pipeline import calendar as fcal
from pipeline.consolidate import consolidate_quarter, parse_time
from pipeline.plan_load import load_plan
from pipeline.rollup import ANNUAL_SHEETS, SHEETS, annual_path, rollup_path
from pipeline.rollup.layout import LABEL_COL, PRINT_NOTE
from pipeline.rollup.sheets.about import METHODS

pytestmark = pytest.mark.slow
LINE_PT = 17  # the least height of one line of 14 pt Thai


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def _visible(text: str) -> int:
    return sum(1 for ch in text if unicodedata.category(ch) != "Mn")


def _lines(text: str, width: float) -> int:
    """At least this many lines: one character per unit of column width at best."""
    return sum(max(1, math.ceil(_visible(part) / width)) for part in str(text).split("\n"))


def _width(ws, col: int) -> float:
    """The column's width (openpyxl keeps equal neighbouring columns as one B:C group)."""
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= col <= dim.max:
            return dim.width
    return ws.column_dimensions[get_column_letter(col)].width


def _header_rows(ws) -> list[int]:
    return [r for r in range(1, min(ws.max_row, 400) + 1)
            if any(c.fill is not None and c.fill.fgColor.rgb in ("FFD9E1F2", "00D9E1F2")
                   and isinstance(c.value, str) for c in ws[r])]


@pytest.mark.parametrize("key", ["strategies", "breakdowns", "agencies", "indicators", "data"])
def test_header_rows_hold_their_wrapped_text(scenario, key):
    ws_, _, _ = scenario
    ws = openpyxl.load_workbook(rollup_path(ws_, 2568, 2))[SHEETS[key]]
    rows = [4] if key == "data" else _header_rows(ws)
    assert rows
    for r in rows:
        height = ws.row_dimensions[r].height
        for cell in ws[r]:
            if isinstance(cell.value, str) and cell.value:
                need = _lines(cell.value, _width(ws, cell.column)) * LINE_PT
                assert height >= need, (key, cell.coordinate, cell.value, height, need)


def test_problems_severity_wraps_inside_its_column(scenario):
    ws_, _, _ = scenario
    ws = openpyxl.load_workbook(rollup_path(ws_, 2568, 2))[SHEETS["problems"]]
    col = next(c.column for c in ws[4] if str(c.value).startswith("ระดับ"))
    labels = [ws.cell(r, col) for r in range(5, ws.max_row + 1) if ws.cell(r, col).value]
    assert {c.value for c in labels} >= {"ข้อผิดพลาด (error)"}
    for c in labels:
        assert c.alignment.wrap_text and _width(ws, col) >= _visible(c.value) - 2, c.coordinate


def test_about_notes_are_full_height(scenario):
    ws_, _, _ = scenario
    for book, name in ((rollup_path(ws_, 2568, 2), SHEETS["about"]),
                       (annual_path(ws_, 2568), ANNUAL_SHEETS["about"])):
        ws = openpyxl.load_workbook(book)[name]
        seen = 0
        for r in range(1, ws.max_row + 1):
            for th, en, text_th, text_en in METHODS:
                if ws.cell(r, 1).value == f"{th} ({en})":
                    seen += 1
                    need = max(_lines(text_th, _width(ws, 2)), _lines(text_en, _width(ws, 3)))
                    assert ws.cell(r, 2).alignment.wrap_text
                    assert (ws.row_dimensions[r].height or 15) >= need * LINE_PT, (name, th)
        assert seen == len(METHODS)


def test_data_fiscal_year_is_a_plain_year_and_long_listings_print_their_heading(scenario):
    ws_, _, _ = scenario
    wb = openpyxl.load_workbook(rollup_path(ws_, 2568, 2))
    data = wb[SHEETS["data"]]
    assert data["A5"].value == 2568 and data["A5"].number_format == "0"
    assert data["A3"].value == PRINT_NOTE
    assert data.print_area == f"'{SHEETS['data']}'!$A$1:$Q$4"
    by_agency = wb[SHEETS["agency_results"]]
    assert by_agency.print_area == f"'{SHEETS['agency_results']}'!$A$1:$K$4"
    for key in ("summary", "strategies", "agencies", "indicators", "problems", "about"):
        assert not wb[SHEETS[key]].print_area, key  # printed whole
    annual = openpyxl.load_workbook(annual_path(ws_, 2568))[ANNUAL_SHEETS["data"]]
    assert annual["A5"].number_format == "0"
    assert annual.print_area == f"'{ANNUAL_SHEETS['data']}'!$A$1:$Q$4"


def test_received_times_are_real_dates_in_thai_time(scenario):
    ws_, _, _ = scenario
    plan = load_plan(ws_.plan_file(2568))
    fig = consolidate_quarter(ws_.ledger_path, plan, 2568, 2)
    received = {r["agency_code"]: parse_time(r["received_at"])
                for r in fig.completeness.to_dict("records")}
    received = {k: v for k, v in received.items() if v is not None}
    wb = openpyxl.load_workbook(rollup_path(ws_, 2568, 2))
    ag = wb[SHEETS["agencies"]]
    assert ag["G4"].value.startswith("วันที่ได้รับ")
    checked = 0
    for r in range(5, ag.max_row + 1):
        code = ag.cell(r, 1).value
        if code in received:
            cell = ag.cell(r, 7)
            assert cell.is_date and "107041E" in cell.number_format and "yyyy" in cell.number_format
            thai = received[code].astimezone(fcal.THAI_TZ).replace(tzinfo=None)
            assert abs((cell.value - thai).total_seconds()) < 1, code
            checked += 1
    assert checked == len(received) > 3
    # text sorted "13 เม.ย." before "3 เม.ย."; date cells sort as time runs
    dates = [ag.cell(r, 7).value for r in range(5, ag.max_row + 1) if ag.cell(r, 7).value]
    assert all(isinstance(d, datetime) for d in dates)
    prob = wb[SHEETS["problems"]]
    col = next(c.column for c in prob[4] if str(c.value).startswith("ได้รับเมื่อ"))
    values = [prob.cell(r, col) for r in range(5, prob.max_row + 1) if prob.cell(r, col).value]
    assert values and all(c.is_date for c in values)


def test_indicators_autofilter_spans_every_column(scenario):
    ws_, _, _ = scenario
    ws = openpyxl.load_workbook(rollup_path(ws_, 2568, 2))[SHEETS["indicators"]]
    last_col = max(c.column for c in ws[4] if c.value)
    ref = ws.auto_filter.ref
    assert ref and ref.startswith("A4:") and re.match(
        rf"A4:{get_column_letter(last_col)}\d+$", ref), ref
    assert int(ref.split(get_column_letter(last_col))[1]) >= 5


def test_annual_report_opens_on_its_summary(scenario):
    ws_, _, _ = scenario
    plan = load_plan(ws_.plan_file(2568))
    wb = openpyxl.load_workbook(annual_path(ws_, 2568))
    assert wb.sheetnames[0] == ANNUAL_SHEETS["summary"] and wb.active.title == wb.sheetnames[0]
    ws = wb[ANNUAL_SHEETS["summary"]]
    rows = {str(r[0]).split(" ")[1]: r for r in ws.iter_rows(min_row=5, max_row=8,
                                                              values_only=True)}
    for q in (1, 2):
        fig = consolidate_quarter(ws_.ledger_path, plan, 2568, q)
        t, ct = fig.budget_total, fig.completeness_total
        achieved, due = fig.indicators_achieved
        row = rows[str(q)]
        assert row[1] == t["allocated"] / 100 and row[2] == t["disbursed"] / 100
        assert row[3] == pytest.approx(t["disbursement_rate"]) and row[4] == t["target"]
        assert (row[5], row[6], row[7], row[8]) == (achieved, due, ct["submitted"],
                                                      ct["expected"])
    assert rows["3"][1] is None and rows["4"][1] is None  # nothing reported: blank, not 0
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("ตัวชี้วัดที่บรรลุเป้าหมาย") and "as of Q2" in t for t in texts)


def _chart_xml(path, n: int) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/charts/chart{n}.xml").decode("utf-8")


def test_charts_short_labels_and_value_labels_clear_of_the_target(scenario):
    ws_, _, _ = scenario
    col = get_column_letter(LABEL_COL + 1)
    for path, sheet, chart in ((rollup_path(ws_, 2568, 2), SHEETS["summary"], 1),
                               (annual_path(ws_, 2568), ANNUAL_SHEETS["strategies"], 1)):
        xml = _chart_xml(path, chart)
        assert re.search(rf"<c:cat>.*?\${col}\$5:\${col}\$10", xml, re.S), path.name
        assert '<c:plotVisOnly val="1"/>' not in xml  # a hidden column's labels still show
        ws = openpyxl.load_workbook(path)[sheet]
        assert ws.column_dimensions[col].hidden
        assert [ws[f"{col}{r}"].value for r in range(5, 11)] == [
            f"ยุทธศาสตร์ที่ {n}" for n in range(1, 7)]
    assert '<c:dLblPos val="inBase"/>' in _chart_xml(rollup_path(ws_, 2568, 2), 1)


def test_rendered_in_libreoffice_long_listings_print_one_page_and_dates_in_be(scenario,
                                                                              tmp_path):
    soffice = soffice_or_skip()
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is NOT installed: run `make sysdeps` (poppler-utils)")
    ws_, _, _ = scenario
    out = tmp_path / "pdf"
    book = rollup_path(ws_, 2568, 2)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(book)],
                   capture_output=True, check=True, timeout=240)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / f"{book.stem}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert sum("(Long-format data for pivots)" in p for p in pages) == 1
    assert sum("(Each agency's own indicator results)" in p for p in pages) == 1
    # the received column shows Thai months and the Buddhist-Era year
    assert re.search(r"\d{1,2} (ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.) 2568 \d\d:\d\d", text)
