"""The sheet-XML prescan costs time linear in the part's size, whatever the nesting, and the
limits stop the work early: a 300,000-row sheet is refused in well under 2 s, a workbook of
many large sheets is refused at the workbook-wide budget instead of read in full, and a
package that repeats a member name is refused as malformed.

Linearity is asserted by comparing sizes (4x the input may cost at most ~8x the time:
quadratic would be 16x), not by wall-clock thresholds alone.
"""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from test_hostile_files import budget_part, rezip, template_bytes

import schemas
from pipeline.read import (
    FORM_SCAN_ROWS,
    _Reader,
    read_workbook,
    xlsx_error_cells,
    xlsx_formulas,
    xlsx_used_cells,
)
from pipeline.safety import Limits

HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def nested_error_cells(n: int) -> bytes:
    """n error cells, each opened inside the previous one (the 40 s case of the issue)."""
    return (HEAD + b'<row r="1">' + b'<c r="A1" t="e">' * n + b"<v>#N/A</v>" + b"</c>" * n
            + b"</row>" + TAIL)


def nested_prefixed_formulas(n: int) -> bytes:
    """n formula elements nested in prefixed cells (the namespace path of the scan)."""
    return (HEAD + b'<row r="1">' + b'<x:c r="A1"><x:f>' * n + b"1+1" + b"</x:f></x:c>" * n
            + b"</row>" + TAIL)


def values_in_one_cell(n: int) -> bytes:
    """One cell holding n value elements: one cell, found once."""
    return HEAD + b'<row r="1"><c r="B2">' + b"<v>1</v>" * n + b"</c></row>" + TAIL


def _seconds(fn: Callable[[bytes], object], data: bytes) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - t)
    return best


@pytest.mark.parametrize("build, scan", [
    (nested_error_cells, xlsx_error_cells),
    (nested_error_cells, xlsx_used_cells),
    (nested_prefixed_formulas, xlsx_formulas),
    (nested_prefixed_formulas, xlsx_used_cells),
    (values_in_one_cell, xlsx_used_cells),
], ids=["error-cells", "used-area-nested", "formulas-prefixed", "used-area-prefixed",
        "values-in-one-cell"])
def test_prescan_time_grows_linearly_with_nesting(build, scan):
    small, large = build(12_000), build(48_000)
    assert len(large) > 3.9 * len(small)
    t_small, t_large = _seconds(scan, small), _seconds(scan, large)
    assert t_large < 1.0, f"{t_large:.2f} s for {len(large):,} bytes"
    # linear: ~4x; quadratic would be ~16x (a floor of 2 ms keeps timer noise out)
    assert t_large <= 8 * max(t_small, 0.002), (t_small, t_large)


def test_nested_error_cells_still_show_their_error():
    assert xlsx_error_cells(nested_error_cells(3))["A1"] == "#N/A"
    plain = HEAD + b'<row r="2"><c r="C2" t="e"><v>#DIV/0!</v></c><c r="D2"><v>1</v></c></row>' + TAIL
    assert xlsx_error_cells(plain) == {"C2": "#DIV/0!"}
    assert xlsx_used_cells(values_in_one_cell(10)) == (1, 1)


def _long_sheet(rows: int) -> bytes:
    body = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r)
                    for r in range(1, rows + 1))
    return HEAD + body + TAIL


@pytest.fixture(scope="module")
def template() -> bytes:
    return template_bytes()


@pytest.mark.parametrize("rows, refused", [(200_000, False), (200_001, True), (300_000, True)])
def test_a_sheet_over_the_cell_limit_is_refused_fast_whatever_its_size(template, rows, refused):
    """One column: the area is the row count, so 200,000 rows is exactly the limit."""
    data = rezip(template, {budget_part(template): _long_sheet(rows)})
    area, _count = xlsx_used_cells(_long_sheet(rows), stop_at=Limits().max_cells)
    assert (area > Limits().max_cells) == refused
    if not refused:
        return
    started = time.perf_counter()
    wb = _read(data)
    seconds = time.perf_counter() - started
    assert [p.code for p in wb.problems if p.is_error] == ["file.too-many-cells"]
    assert seconds < 1.5, seconds  # the count stops at the limit, nothing is parsed


def _read(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "report.xlsx"
        path.write_bytes(data)
        return read_workbook(path)


def _many_sheets(template: bytes, n: int, rows: int) -> bytes:
    """The template with its budget sheet renamed and n more sheets of ``rows`` x 10
    cells (all under the per-sheet limit), each a candidate for the renamed one."""
    src = zipfile.ZipFile(io.BytesIO(template))
    wb_xml = src.read("xl/workbook.xml")
    rels = src.read("xl/_rels/workbook.xml.rels")
    types = src.read("[Content_Types].xml")
    sheet = HEAD + b"".join(
        b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (bytes([65 + c]), r, c)
                                        for c in range(10)) + b"</row>"
        for r in range(1, rows + 1)) + TAIL
    entries, rel_entries, type_entries = [], [], []
    add: dict[str, bytes] = {}
    for i in range(n):
        name = f"xl/worksheets/extra{i}.xml"
        add[name] = sheet
        entries.append(b'<sheet name="extra %d" sheetId="%d" r:id="rX%d"/>' % (i, 1000 + i, i))
        rel_entries.append(b'<Relationship Id="rX%d" Type="http://schemas.openxmlformats.org/'
                           b'officeDocument/2006/relationships/worksheet" '
                           b'Target="worksheets/extra%d.xml"/>' % (i, i))
        type_entries.append(b'<Override PartName="/%s" ContentType="application/vnd.'
                            b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            % name.encode())
    renamed = wb_xml.replace(schemas.BUDGET.name.encode("utf-8"), "งบ 2568".encode())
    replace = {
        "xl/workbook.xml": renamed.replace(b"</sheets>", b"".join(entries) + b"</sheets>"),
        "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>",
                                                   b"".join(rel_entries) + b"</Relationships>"),
        "[Content_Types].xml": types.replace(b"</Types>", b"".join(type_entries) + b"</Types>"),
    }
    return rezip(template, replace, add)


def test_many_large_sheets_stop_at_the_workbook_budget(template, monkeypatch):
    """A renamed budget sheet among 60 sheets of 25,000 cells each: finding it reads each
    candidate's first rows only (never a whole grid), and stops at the workbook-wide budget
    (5 x the per-sheet limit) instead of parsing and keeping every sheet."""
    limits = Limits()
    heads: list[tuple[str, int]] = []
    real_head, real_grid = _Reader.head, _Reader.grid

    def head(self, name, nrows):
        rows = real_head(self, name, nrows)
        heads.append((name, len(rows)))
        return rows

    def grid(self, name):
        assert name.startswith("_") or not name.startswith("extra"), "a whole candidate read"
        return real_grid(self, name)

    monkeypatch.setattr(_Reader, "head", head)
    monkeypatch.setattr(_Reader, "grid", grid)
    data = _many_sheets(template, 60, 2500)
    started = time.perf_counter()
    wb = _read(data)
    seconds = time.perf_counter() - started
    errors = [p for p in wb.problems if p.is_error]
    assert [p.code for p in errors] == ["file.too-many-cells"], wb.problems
    assert f"> {limits.max_workbook_cells:,}" in errors[0].message_en
    # 25,000 cells each: the budget is spent within 40 sheets, the other 20 are never parsed
    assert len(heads) <= limits.max_workbook_cells // 25_000 + 1, len(heads)
    assert all(n <= max(FORM_SCAN_ROWS, schemas.BUDGET.header_row + 20) for _n, n in heads)
    assert seconds < 5.0, seconds  # was 10 s and 1.2 GB (every sheet read and kept)


def test_a_renamed_sheet_among_a_few_is_still_found(template):
    wb = _read(_many_sheets(template, 3, 50))
    assert not [p for p in wb.problems if p.is_error], wb.problems
    assert "budget" in wb.sheets


def test_a_repeated_member_name_is_a_malformed_package(template):
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(template))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        part = budget_part(template)
        with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile writes it anyway
            dst.writestr(part, src.read(part))  # the same name twice
    wb = _read(out.getvalue())
    assert [(p.code, p.is_error) for p in wb.problems] == [("file.malformed-package", True)]
    assert part in wb.problems[0].message_en
    # names that differ only in case are the same part name for the packaging standard
    out2 = io.BytesIO()
    with zipfile.ZipFile(out2, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("XL/STYLES.XML", src.read("xl/styles.xml"))
    assert [p.code for p in _read(out2.getvalue()).problems] == ["file.malformed-package"]
