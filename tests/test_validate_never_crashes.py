"""Whatever a sender types in any cell, validation returns a FileReport, never an exception.

Property tests (hypothesis, bounded so the file stays fast): arbitrary text (Thai,
"=..." formulas-as-text, control characters, huge numbers, NaN) goes into any field of
a filled template, either straight into the read cells (every possible string, even
ones an .xlsx cannot hold) or through a real saved workbook; the report, its JSON and
the console table are always produced.
"""

from __future__ import annotations

import copy
import io
import json
import math
import string
from datetime import date

import openpyxl
from conftest import make_small_plan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from test_validate_rules import filled_template

from pipeline.model import RawCell, RawWorkbook
from pipeline.read import read_workbook
from pipeline.report import print_reports, reports_to_json
from pipeline.validate import validate_workbook
from schemas import BUDGET, COVER, INDICATORS

PLAN = make_small_plan()
_BUF = io.BytesIO()
filled_template(PLAN).save(_BUF)
TEMPLATE_BYTES = _BUF.getvalue()

FIELDS = ([("cover", c.name) for c in COVER.columns]
          + [("budget", c.name) for c in BUDGET.columns]
          + [("indicators", c.name) for c in INDICATORS.columns])
SHEET_OF = {"cover": COVER, "budget": BUDGET, "indicators": INDICATORS}

thai = st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), max_size=12)
tricky = st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\",\"คลิก\")", "@SUM(A1)", "+66", "-",
                          "๑,๒๓๔.๕๐ บาท", "(1,234.00)", "95.87%", "15/01/2568", "\x00\x07",
                          "\u200b", "1e309", "NaN", "-0", "๐", " " * 50, "a" * 5000])
values = st.one_of(
    st.text(max_size=40), thai, tricky,
    st.builds(lambda a, b: a + b, tricky, st.text(max_size=10)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 2**63, -2**63 - 1, 10**20]),
    st.integers(-10**30, 10**30),
    st.booleans(), st.dates(min_value=date(1, 1, 1)), st.none(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), row_pick=st.integers(0, 2), value=values,
       plan=st.sampled_from([PLAN, None]))
def test_any_value_in_any_read_cell_gives_a_report(field, row_pick, value, plan):
    raw: RawWorkbook = _raw()
    key, name = field
    sheet = raw.sheets[key]
    row, cells = sheet.rows[min(row_pick, len(sheet.rows) - 1)]
    ref = cells[next(iter(cells))].ref
    letter = sheet.column_refs.get(name, "Z")
    cells[name] = RawCell(value, f"{letter}{row}" if key != "cover" else ref)
    report = validate_workbook(raw, plan)  # with the plan, and with none found
    assert report.display_name == raw.display_name
    assert report.valid == (report.budget is not None)
    # a readable file never ends in the safety net (an exception inside a rule)
    assert "file.unreadable" not in {p.code for p in report.problems}
    json.dumps(reports_to_json([report]), ensure_ascii=False)
    for p in report.problems:
        assert p.code and p.severity in ("error", "warning")


_RAW: dict[str, RawWorkbook] = {}


def _raw() -> RawWorkbook:
    if "r" not in _RAW:
        import tempfile
        from pathlib import Path

        path = Path(tempfile.mkdtemp()) / "filled.xlsx"
        path.write_bytes(TEMPLATE_BYTES)
        _RAW["r"] = read_workbook(path)
        assert validate_workbook(_RAW["r"], PLAN).problems == []
    return copy.deepcopy(_RAW["r"])


printable = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30).map(
    lambda s: ILLEGAL_CHARACTERS_RE.sub("", s))
_COUNT: list[int] = []
CELLS = [(COVER.name, f"B{r}") for r in range(4, 15)] + [
    (BUDGET.name, f"{c}{r}") for c in "ABCDEFGHIJ" for r in (5, 6)] + [
    (INDICATORS.name, f"{c}{r}") for c in "AEFG" for r in (5, 7)]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(CELLS),
       text=st.one_of(printable, thai, st.builds(lambda s: "=" + s, printable),
                      st.sampled_from([string.punctuation, "๑๒๓", "1,2,3", "TRUE"])))
def test_any_text_typed_in_a_saved_workbook_gives_a_report(tmp_path, capsys, where, text):
    wb = openpyxl.load_workbook(io.BytesIO(TEMPLATE_BYTES))
    cell = wb[where[0]][where[1]]
    cell.value = text
    cell.data_type = "s"  # typed as text, even "=..."
    _COUNT.append(1)
    path = tmp_path / f"f{len(_COUNT)}.xlsx"
    wb.save(path)
    report = validate_workbook(read_workbook(path), PLAN)
    print_reports([report])
    assert report.display_name in capsys.readouterr().out


def test_a_twenty_digit_number_is_a_problem_at_its_cell(tmp_path):
    wb = openpyxl.load_workbook(io.BytesIO(TEMPLATE_BYTES))
    wb[BUDGET.name]["F5"] = 99999999999999999999  # a clerk's typo in the allocated cell
    path = tmp_path / "big.xlsx"
    wb.save(path)
    report = validate_workbook(read_workbook(path), PLAN)
    assert {(p.code, p.cell) for p in report.problems} == {("value.out-of-range", "F5")}
