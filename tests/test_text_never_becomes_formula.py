"""Text a sender typed that starts with "=", "+", "-" or "@" stays a string cell in every
output workbook (no <f> in the sheet XML), and is escaped text in status.html."""

import re
import zipfile

import openpyxl
import pytest
from rollup_helpers import HAZARDS, HTML_HAZARD, scenario_copy

from pipeline.rollup import ANNUAL_SHEETS, SHEETS, annual_path, rollup_path

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def _cells_with(wb, sheet_name, texts):
    found = {}
    for row in wb[sheet_name].iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value in texts:
                found.setdefault(c.value, []).append(c)
    return found


def _no_formula_xml(path):
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n)]
        assert sheets
        for n in sheets:
            xml = z.read(n)
            assert b"<f>" not in xml and b"<f " not in xml, n


def test_typed_formulas_stay_strings_in_the_quarter_rollup(scenario):
    ws, _, _ = scenario
    path = rollup_path(ws, 2568, 2)
    _no_formula_xml(path)
    wb = openpyxl.load_workbook(path)
    found = _cells_with(wb, SHEETS["data"], set(HAZARDS))
    assert set(found) == set(HAZARDS), found.keys()  # names and remarks of the accepted file
    for cells in found.values():
        assert all(c.data_type == "s" for c in cells)
    # the rejected file's typed values are shown on the problems sheet, as text
    probs = _cells_with(wb, SHEETS["problems"], {HAZARDS[0], HTML_HAZARD})
    assert set(probs) == {HAZARDS[0], HTML_HAZARD}
    assert all(c.data_type == "s" for cells in probs.values() for c in cells)


def test_typed_formulas_stay_strings_in_the_annual_report(scenario):
    ws, _, _ = scenario
    path = annual_path(ws, 2568)
    _no_formula_xml(path)
    wb = openpyxl.load_workbook(path)
    found = _cells_with(wb, ANNUAL_SHEETS["data"], set(HAZARDS))
    assert set(found) == set(HAZARDS)
    assert all(c.data_type == "s" for cells in found.values() for c in cells)


def test_status_page_escapes_what_senders_typed(scenario):
    ws, _, _ = scenario
    page = (ws.outbox / "status.html").read_text("utf-8")
    assert HTML_HAZARD not in page
    assert "onmouseover=\"alert" not in page
    assert "&lt;b onmouseover=&quot;alert(1)&quot;&gt;ห้าพัน&lt;/b&gt;" in page
    assert "<script" not in page.lower()
