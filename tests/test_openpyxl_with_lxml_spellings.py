"""openpyxl writes an empty value as <v></v> and an empty styled cell as <c ...></c> when
lxml is installed (python-docx brings it), <v /> and <c .../> without: the formula prescan
and the feedback writer's empty rows read both spellings the same (with and without a
namespace prefix for the formulas)."""

from __future__ import annotations

import pytest

from pipeline.feedback import _EMPTY_ROW
from pipeline.read import xlsx_formulas


@pytest.mark.parametrize("empty", [b"<v></v>", b"<v/>", b"<v />", b""])
def test_a_formula_with_an_empty_value_has_no_saved_result(empty):
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1"><f>SUM(1)</f>' + empty +
           b'</c><c r="B1"><f>SUM(2)</f><v>2</v></c></row></sheetData></worksheet>')
    assert xlsx_formulas(xml) == {"A1": ("=SUM(1)", False), "B1": ("=SUM(2)", True)}
    ns = xml.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>").replace(
        b"<f>", b"<x:f>").replace(b"</f>", b"</x:f>").replace(b"<v", b"<x:v").replace(
        b"</v>", b"</x:v>")
    assert xlsx_formulas(ns) == {"A1": ("=SUM(1)", False), "B1": ("=SUM(2)", True)}


@pytest.mark.parametrize("row, empty", [
    (b'<row r="9"><c r="A9" s="1"/><c r="B9" s="2"/></row>', True),
    (b'<row r="9"><c r="A9" s="1" t="n"></c><c r="B9" s="2"></c></row>', True),
    (b'<row r="9"/>', True),
    (b'<row r="9"><c r="A9" s="1" t="n"><v>0</v></c></row>', False),
    (b'<row r="9"><c r="A9" s="1"></c><c r="B9" t="inlineStr"><is><t>x</t></is></c></row>',
     False),
])
def test_empty_rows_in_either_spelling(row, empty):
    m = _EMPTY_ROW.match(row)
    assert (m is not None and m.end() == len(row)) == empty
