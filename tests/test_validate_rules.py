"""Every validation rule on real filled templates: code, sheet, A1 cell and severity.

Each test fills engineer T's template with openpyxl the way a clerk would (only the
white cells, unless the test is about someone breaking a locked one), saves it, reads
it back with the real reader and validates it against the small Sisaket plan.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from indicator_inputs import write_inputs
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

import schemas
from pipeline.plan import Plan
from pipeline.read import read_workbook
from pipeline.templates import build_template, stamp_checksum
from pipeline.validate import (
    DISBURSEMENT_AHEAD_MARGIN,
    DISBURSEMENT_BEHIND_FRACTION,
    validate_workbook,
)

COVER = schemas.COVER.name
BUDGET = schemas.BUDGET.name
INDICATORS = schemas.INDICATORS.name
SCHOOL = "1033530001"
STRAT2 = "2. การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน"
STRAT4 = "4. การสร้างโอกาสและความเสมอภาคทางการศึกษา"

# project rows as a clerk types them (baht, Thai dropdown labels); Q2 target is 54 %
PROJECTS = [
    ("P001", "โครงการพัฒนาห้องสมุดมีชีวิต", STRAT2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
     100000, 10000, 55000, "อยู่ระหว่างดำเนินการ", None),
    ("P002", "โครงการอาหารกลางวันนักเรียน", STRAT4, "งบประมาณพื้นฐาน", "งบเงินอุดหนุน",
     200000.50, 0, 110000.25, "อยู่ระหว่างดำเนินการ", "จ่ายตามจำนวนนักเรียน"),
    ("P003", "โครงการซ่อมแซมอาคารเรียน", STRAT4, "งบประมาณยุทธศาสตร์", "งบลงทุน",
     50000, 20000, 25000, "ดำเนินการแล้วเสร็จ", None),
]
RESULTS = {"1.1": 96.5, "2.1": 51.25, "4.1": 3}


def filled_template(plan: Plan, agency: str = SCHOOL, quarter: int = 2,
                    projects: list[tuple] | None = None,
                    results: dict[str, float] | None = None) -> Workbook:
    """T's template for ``agency``, filled in its white cells like a clerk would."""
    wb = build_template(plan, agency, quarter)
    cover = wb[COVER]
    for ref, value in (("B10", "นางสาวสมใจ ใจดี"), ("B11", "ครูชำนาญการ"),
                       ("B12", "045-612345"), ("B13", "somjai@school.example.th"),
                       ("B14", "10 เม.ย. 2568")):
        assert cover[ref].protection.locked is False
        cover[ref] = value
    budget = wb[BUDGET]
    for i, row in enumerate(PROJECTS if projects is None else projects):
        for j, value in enumerate(row):
            budget.cell(row=5 + i, column=1 + j, value=value)
    ind = wb[INDICATORS]
    res = RESULTS if results is None else results
    for r in range(5, ind.max_row + 1):
        code = ind.cell(row=r, column=1).value
        if code in res:
            write_inputs(ind, r, plan.indicators[code].kind, res[code])
    return wb


def validate_saved(wb: Workbook, tmp_path: Path, plan: Plan, name: str = "report.xlsx"):
    path = tmp_path / name
    wb.save(path)
    return validate_workbook(read_workbook(path), plan)


def found(report) -> set[tuple[str, str | None, str | None, str]]:
    return {(p.code, p.sheet, p.cell, p.severity) for p in report.problems}


def restamp(wb: Workbook, **changes: str) -> None:
    """Edit the hidden stamp AND recompute its checksum (a newer/older template)."""
    ws = wb[schemas.STAMP_SHEET]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value
              for r in range(1, ws.max_row + 1)}
    values.update(changes)
    values["checksum"] = stamp_checksum({k: v for k, v in values.items() if k != "checksum"})
    for r in range(1, ws.max_row + 1):
        ws.cell(row=r, column=2, value=values[ws.cell(row=r, column=1).value])


# ---- a clean file ---------------------------------------------------------------------------
def test_clean_file_is_valid_with_clean_frames(small_plan, tmp_path):
    rep = validate_saved(filled_template(small_plan), tmp_path, small_plan)
    assert rep.problems == []
    assert rep.valid and rep.stamp_found
    assert (rep.agency_code, rep.fiscal_year, rep.quarter) == (SCHOOL, 2568, 2)
    assert rep.template_version == schemas.SCHEMA_VERSION
    assert rep.plan_fingerprint == small_plan.fingerprint
    assert rep.cover["reporter_name"] == "นางสาวสมใจ ใจดี"
    b = rep.budget
    assert list(b["project_code"]) == ["P001", "P002", "P003"]
    assert list(b["strategy"]) == [2, 4, 4]
    assert list(b["budget_source"]) == ["basic", "basic", "strategic"]
    assert list(b["expenditure_category"]) == ["operating", "subsidy", "investment"]
    assert list(b["allocated"]) == [10000000, 20000050, 5000000]  # satang, exact
    assert list(b["disbursed"]) == [5500000, 11000025, 2500000]
    assert str(b["allocated"].dtype) == "Int64"
    assert list(b["_row"]) == [5, 6, 7]
    i = rep.indicators
    assert list(i["indicator_code"]) == ["1.1", "2.1", "4.1"]
    assert list(i["result"]) == [None, 51.25, 3.0]  # 1.1 is a percent from counts
    assert list(i["numerator"]) == [96.5, None, None]
    assert list(i["denominator"]) == [100.0, None, None]
    assert list(i["weight"]) == [None, 10.0, None]  # 2.1 is a mean weighted by test takers


# ---- structure ------------------------------------------------------------------------------
def test_missing_sheet(small_plan, tmp_path):
    wb = filled_template(small_plan)
    del wb[INDICATORS]
    rep = validate_saved(wb, tmp_path, small_plan)
    assert found(rep) == {("structure.missing-sheet", INDICATORS, None, "error")}
    assert INDICATORS in rep.problems[0].message_th
    assert not rep.valid and rep.indicators is None and rep.budget is None


def test_missing_column(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[BUDGET]["E4"] = None  # the clerk cleared the "งบรายจ่าย" header
    rep = validate_saved(wb, tmp_path, small_plan)
    missing = [p for p in rep.problems if p.code == "structure.missing-column"]
    assert missing and missing[0].sheet == BUDGET and missing[0].severity == "error"
    assert "งบรายจ่าย" in missing[0].message_th
    assert not rep.valid


def test_template_too_old(small_plan, tmp_path):
    wb = filled_template(small_plan)
    restamp(wb, schema_version="0.9")
    rep = validate_saved(wb, tmp_path, small_plan)
    assert found(rep) == {("structure.template-too-old", None, None, "error")}
    assert rep.template_version == "0.9"


def test_stamp_tampered(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[schemas.STAMP_SHEET]["B5"] = "1"  # quarter edited without the checksum
    rep = validate_saved(wb, tmp_path, small_plan)
    assert ("structure.stamp-tampered", schemas.STAMP_SHEET, None, "error") in found(rep)


def test_cover_agency_edited_is_a_stamp_mismatch(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[COVER]["B4"] = "1033530002"  # another school's code typed over the locked cell
    rep = validate_saved(wb, tmp_path, small_plan)
    assert found(rep) == {("structure.stamp-mismatch", COVER, "B4", "error")}
    (p,) = rep.problems
    assert p.value == "1033530002" and "1033530001" in p.message_en


def test_cover_quarter_edited_is_a_period_mismatch(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[COVER]["B7"] = 3
    wb[COVER]["B6"] = 2569
    rep = validate_saved(wb, tmp_path, small_plan)
    assert found(rep) == {("cover.period-mismatch", COVER, "B7", "error"),
                          ("cover.period-mismatch", COVER, "B6", "error")}
    assert rep.quarter == 2  # the stamp decides


def test_agency_not_in_plan(small_plan, tmp_path):
    wb = filled_template(small_plan)
    del wb[schemas.STAMP_SHEET]  # a copy without the stamp ...
    wb[COVER]["B4"] = "9999999999"  # ... for an agency the plan does not know
    rep = validate_saved(wb, tmp_path, small_plan)
    assert ("agency.unknown", COVER, "B4", "error") in found(rep)
    assert ("structure.no-stamp", None, None, "warning") in found(rep)


def test_locked_indicator_code_and_target_changed(small_plan, tmp_path):
    wb = filled_template(small_plan)
    ind = wb[INDICATORS]
    assert ind["A6"].protection.locked is True
    ind["A6"] = "2.9"  # code overwritten
    ind["E5"] = 80  # target lowered
    rep = validate_saved(wb, tmp_path, small_plan)
    assert found(rep) == {("structure.locked-cell-changed", INDICATORS, "A6", "error"),
                          ("structure.locked-cell-changed", INDICATORS, "E5", "error")}
    by_cell = {p.cell: p for p in rep.problems}
    assert "2.1" in by_cell["A6"].fix_th and by_cell["A6"].value == "2.9"
    assert "95" in by_cell["E5"].message_en


def test_removed_indicator_row(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[INDICATORS].delete_rows(6)  # the 2.1 row
    rep = validate_saved(wb, tmp_path, small_plan)
    rows = [p for p in rep.problems if p.code == "indicator.missing-row"]
    assert [(p.sheet, p.value, p.severity) for p in rows] == [(INDICATORS, "2.1", "error")]
    assert {p.code for p in rep.problems} == {"indicator.missing-row"}


def test_formula_in_money_cell(small_plan, tmp_path):
    wb = filled_template(small_plan)
    wb[BUDGET]["H5"] = "=F5/2"  # openpyxl saves no cached result
    rep = validate_saved(wb, tmp_path, small_plan)
    assert ("structure.formula-no-value", BUDGET, "H5", "error") in found(rep)


# ---- values ---------------------------------------------------------------------------------
def test_value_rules_at_their_cells(small_plan, tmp_path):
    projects = [list(p) for p in PROJECTS]
    projects[0][1] = None  # required project name empty           -> B5
    projects[0][2] = "ยุทธศาสตร์ที่ 9"  # not a strategy of the plan  -> C5
    projects[1][3] = "งบกลาง"  # not a budget source                  -> D6
    projects[1][4] = "งบพิเศษ"  # not an expenditure category         -> E6
    projects[2][8] = "เสร็จแล้วบางส่วน"  # not a progress status       -> I7
    projects[2][0] = "P001"  # duplicate project code                -> A7
    projects[2][6] = -500  # negative committed                       -> G7
    rep = validate_saved(filled_template(small_plan, projects=[tuple(p) for p in projects]),
                         tmp_path, small_plan)
    assert found(rep) == {
        ("value.required", BUDGET, "B5", "error"),
        ("value.not-allowed", BUDGET, "C5", "error"),
        ("value.not-allowed", BUDGET, "D6", "error"),
        ("value.not-allowed", BUDGET, "E6", "error"),
        ("value.not-allowed", BUDGET, "I7", "error"),
        ("value.duplicate", BUDGET, "A7", "error"),
        ("value.negative-money", BUDGET, "G7", "error"),
    }
    by_cell = {p.cell: p for p in rep.problems}
    assert by_cell["C5"].value == "ยุทธศาสตร์ที่ 9"
    assert STRAT2 in by_cell["C5"].fix_th  # the allowed Thai labels are offered
    assert "งบประมาณพื้นฐาน" in by_cell["D6"].fix_th
    assert by_cell["A7"].message_en == '"P001" repeats row 5'
    assert by_cell["B5"].column == "ชื่อโครงการ/กิจกรรม (Project / activity)"


def test_text_where_a_number_belongs(small_plan, tmp_path):
    projects = [list(p) for p in PROJECTS]
    projects[1][5] = "สองแสนบาท"
    rep = validate_saved(filled_template(small_plan, projects=[tuple(p) for p in projects]),
                         tmp_path, small_plan)
    assert found(rep) == {("value.not-a-number", BUDGET, "F6", "error")}
    assert rep.problems[0].value == "สองแสนบาท"


def test_percent_result_over_100_is_an_error(small_plan, tmp_path):
    rep = validate_saved(filled_template(small_plan, results={"1.1": 120, "2.1": 51, "4.1": 2}),
                         tmp_path, small_plan)  # 120 of 100: the numerator is above
    assert found(rep) == {("indicator.numerator-over-denominator", INDICATORS, "G5", "error")}
    one_over = {"1.1": {"numerator": 101, "denominator": 100}, "2.1": 51, "4.1": 2}
    rep = validate_saved(filled_template(small_plan, results=one_over), tmp_path, small_plan)
    assert found(rep) == {("indicator.numerator-over-denominator", INDICATORS, "G5", "error")}
    assert rep.problems[0].value == "101" and "100" in rep.problems[0].message_en
    equal = {"1.1": {"numerator": 100, "denominator": 100}, "2.1": 51, "4.1": 2}
    assert validate_saved(filled_template(small_plan, results=equal), tmp_path,
                          small_plan).problems == []
    # a per-agency average in percent above 100: out of range at the value cell
    college = {"1.1": 90, "4.1": 2, "6.1": 100.5}
    rep = validate_saved(filled_template(small_plan, agency="1333000101", results=college),
                         tmp_path, small_plan)
    assert found(rep) == {("value.out-of-range", INDICATORS, "F7", "error")}


def test_missing_result_is_an_error_or_a_warning_as_the_plan_says(small_plan, tmp_path):
    rep = validate_saved(filled_template(small_plan, results={"1.1": 97, "2.1": 51}),
                         tmp_path, small_plan)  # 4.1: the plan says a warning
    assert found(rep) == {("indicator.result-missing", INDICATORS, "F7", "warning")}
    assert rep.valid
    plan = dataclasses.replace(small_plan, indicators={
        **small_plan.indicators,
        "2.1": dataclasses.replace(small_plan.indicators["2.1"], when_empty="error")})
    rep = validate_saved(filled_template(plan, results={"1.1": 97, "4.1": 2}),
                         tmp_path, plan)  # 2.1: the plan says an error
    assert found(rep) == {("indicator.result-missing", INDICATORS, "F6", "error")}
    assert not rep.valid


@pytest.mark.parametrize("inputs, problem", [
    ({"result": 51.0}, ("indicator.input-missing", "I6")),  # a mean without its weight
    ({"weight": 30}, ("indicator.input-missing", "F6")),  # a weight without its mean
    ({"result": 51.0, "weight": 0}, ("indicator.weight-not-positive", "I6")),
    ({"result": 51.0, "weight": 1}, None),  # one test taker: fine
])
def test_weighted_mean_needs_a_weight_above_zero(small_plan, tmp_path, inputs, problem):
    rep = validate_saved(filled_template(small_plan, results={"1.1": 97, "2.1": inputs,
                                                              "4.1": 2}), tmp_path, small_plan)
    assert found(rep) == (set() if problem is None else {(*problem[:1], INDICATORS,
                                                           problem[1], "error")})


@pytest.mark.parametrize("inputs, problem", [
    ({"numerator": 5, "denominator": 0}, ("indicator.denominator-zero", "H5")),
    ({"numerator": 0, "denominator": 0}, None),  # nobody to count: no rate, no error
    ({"numerator": 5}, ("indicator.input-missing", "H5")),
    ({"denominator": 40}, ("indicator.input-missing", "G5")),
    ({"numerator": -1, "denominator": 40}, ("value.out-of-range", "G5")),
])
def test_percent_from_counts_needs_both_counts(small_plan, tmp_path, inputs, problem):
    rep = validate_saved(filled_template(small_plan, results={"1.1": inputs, "2.1": 51,
                                                              "4.1": 2}), tmp_path, small_plan)
    assert found(rep) == (set() if problem is None else {(*problem[:1], INDICATORS,
                                                           problem[1], "error")})
    for p in rep.problems:
        assert p.message_th and p.message_en and p.fix_th and p.fix_en


# ---- across fields --------------------------------------------------------------------------
def test_disbursed_over_allocated_reported_once_per_row(small_plan, tmp_path):
    projects = [list(p) for p in PROJECTS]
    projects[0][7] = 100000.01  # disbursed > allocated (committed 10,000 too): one problem
    projects[1][6] = 100000  # committed + disbursed 210,000.25 > 200,000.50
    rep = validate_saved(filled_template(small_plan, projects=[tuple(p) for p in projects]),
                         tmp_path, small_plan)
    assert found(rep) == {("budget.disbursed-over-allocated", BUDGET, "H5", "error"),
                          ("budget.spent-over-allocated", BUDGET, "G6", "error")}
    by_cell = {p.cell: p for p in rep.problems}
    assert "100,000.01" in by_cell["H5"].message_th and "100,000.00" in by_cell["H5"].message_th
    assert "210,000.25" in by_cell["G6"].message_en


# ---- plausibility ---------------------------------------------------------------------------
def test_result_outside_plausible_range_is_a_warning(small_plan, tmp_path):
    rep = validate_saved(filled_template(small_plan, results={"1.1": 96, "2.1": 51, "4.1": 650}),
                         tmp_path, small_plan)
    assert found(rep) == {("plausibility.result-outside-range", INDICATORS, "F7", "warning")}
    assert rep.valid


def _one_project(disbursed: float) -> list[tuple]:
    return [("P001", "โครงการเดียว", STRAT2, "งบประมาณพื้นฐาน", "งบดำเนินงาน",
             100000, 0, disbursed, "อยู่ระหว่างดำเนินการ", None)]


@pytest.mark.parametrize(("rate", "code"), [
    (54 + DISBURSEMENT_AHEAD_MARGIN + 1, "plausibility.disbursement-ahead"),
    (54 + DISBURSEMENT_AHEAD_MARGIN, None),  # exactly at the threshold: fine
    (54 * DISBURSEMENT_BEHIND_FRACTION - 1, "plausibility.disbursement-behind"),
    (54 * DISBURSEMENT_BEHIND_FRACTION, None),
    (54, None),
])
def test_overall_disbursement_rate_against_the_quarter_target(small_plan, tmp_path, rate, code):
    rep = validate_saved(filled_template(small_plan, projects=_one_project(1000 * rate)),
                         tmp_path, small_plan)
    expected = set() if code is None else {(code, BUDGET, None, "warning")}
    assert found(rep) == expected
    assert rep.valid


# ---- many files at once, and plan sheets ------------------------------------------------------
def test_batched_validation_equals_one_file_at_a_time(small_plan, tmp_path):
    """validate_workbooks runs one pandera call per sheet for all files; results stay per file."""
    from pipeline.validate import validate_workbooks

    dup = [list(p) for p in PROJECTS]
    dup[2][0] = "P001"  # a duplicate inside this file only: P001 in another file is fine
    over = [list(p) for p in PROJECTS]
    over[1][7] = 300000
    files = [
        (filled_template(small_plan), "a.xlsx"),
        (filled_template(small_plan, agency="1033530002",
                         projects=[tuple(p) for p in dup]), "b.xlsx"),
        (filled_template(small_plan, agency="1333000101", projects=[tuple(p) for p in over],
                         results={"1.1": 101, "4.1": 2, "6.1": 88}), "c.xlsx"),
    ]
    raws = []
    for wb, name in files:
        wb.save(tmp_path / name)
        raws.append(read_workbook(tmp_path / name))
    one_by_one = [validate_workbook(raw, small_plan) for raw in raws]
    batched = validate_workbooks([(raw, small_plan) for raw in raws])
    assert [r.problems for r in batched] == [r.problems for r in one_by_one]
    assert [found(r) for r in batched] == [
        set(),
        {("value.duplicate", BUDGET, "A7", "error")},
        {("budget.disbursed-over-allocated", BUDGET, "H6", "error"),
         ("plausibility.disbursement-ahead", BUDGET, None, "warning"),  # 108.6% vs 54%
         ("indicator.numerator-over-denominator", INDICATORS, "G5", "error")},
    ]
    assert list(batched[0].budget["allocated"]) == list(one_by_one[0].budget["allocated"])


def test_schema_problems_on_a_plan_sheet():
    """The plan loader uses schema_problems: unique, pattern, choices and ranges on plan sheets."""
    import pandas as pd

    from pipeline.model import SheetFrame
    from pipeline.validate import schema_problems

    spec = schemas.PLAN_AGENCIES
    frame = pd.DataFrame({
        "agency_code": ["1033530001", "1033530001", "10335 30003"],
        "name_th": ["โรงเรียนบ้านหนองแวง", "โรงเรียนซ้ำ", None],
        "agency_type": ["school", "school", "ค่ายลูกเสือ"],
        "affiliation": ["obec_primary", "obec_primary", "obec_primary"],
        "district": ["เมืองศรีสะเกษ", "กันทรลักษ์", "ขุขันธ์"],
        "parent_code": [None, None, None],
        "sender_emails": ["a@school.example.th", "b@school.example.th", "ไม่มีอีเมล"],
        "_row": [4, 5, 6],
    })
    refs = {c.name: get_column_letter(i + 1) for i, c in enumerate(spec.columns)}
    sf = SheetFrame("agencies", spec.name, frame, refs, {c.name: c.header for c in spec.columns},
                    raw_text={("agency_type", 6): "ค่ายลูกเสือ"})
    got = {(p.code, p.cell) for p in schema_problems(sf, spec, "plan.xlsx")}
    assert got == {("value.duplicate", "A5"), ("value.bad-format", "A6"),
                   ("value.required", "B6"), ("value.not-allowed", "C6"),
                   ("value.not-an-email", "G6")}
    spec = schemas.PLAN_DISBURSEMENT
    frame = pd.DataFrame({"quarter": pd.array([1, 5], dtype="Int64"),
                          "overall_pct": pd.array([30.0, 120.0], dtype="Float64"),
                          "current_pct": pd.array([None, None], dtype="Float64"),
                          "capital_pct": pd.array([None, -1.0], dtype="Float64"),
                          "_row": [4, 5]})
    refs = {c.name: "ABCD"[i] for i, c in enumerate(spec.columns)}
    sf = SheetFrame("disbursement", spec.name, frame, refs, {})
    ps = schema_problems(sf, spec, "plan.xlsx")
    assert {(p.code, p.cell) for p in ps} == {("value.out-of-range", "A5"),
                                             ("value.out-of-range", "B5"),
                                             ("value.out-of-range", "D5")}
    assert {p.cell: p.message_en for p in ps}["B5"] == "120 is out of range (0 - 100)"
