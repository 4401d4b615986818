"""A plan of the old shape (an indicators sheet without a kind column) is refused with a
clear error naming the missing columns and how to fix them: nothing falls back to a sum
or a median silently."""

import json

from click.testing import CliRunner
from openpyxl import load_workbook

import schemas
from pipeline.cli import main
from pipeline.plan_load import check_plan
from pipeline.plan_workbook import write_plan

NEW_COLUMNS = ("kind", "agency_target", "levels", "report_quarter", "academic_year",
               "min_reporting_pct", "when_empty")


def _old_plan(small_plan, tmp_path, drop=NEW_COLUMNS):
    path = tmp_path / "2568.xlsx"
    write_plan(small_plan, path)
    wb = load_workbook(path)
    ws = wb[schemas.PLAN_INDICATORS.name]
    names = [c.name for c in schemas.PLAN_INDICATORS.columns]
    for name in sorted(drop, key=names.index, reverse=True):
        ws.delete_cols(names.index(name) + 1)
    wb.save(path)
    return path


def test_old_shape_plan_names_the_missing_columns(small_plan, tmp_path):
    problems = check_plan(_old_plan(small_plan, tmp_path))
    (old,) = [p for p in problems if p.code == "plan.indicator-columns-missing"]
    assert old.is_error and old.sheet == schemas.PLAN_INDICATORS.name
    assert "ชนิดตัวชี้วัด (Indicator kind)" in old.value
    assert "Reporting rhythm" in old.value and "Agency target (optional)" in old.value
    assert "edurollup plan new" in old.fix_en and "docs/indicators.md" in old.fix_en
    missing = {p.column for p in problems if p.code == "structure.missing-column"}
    assert any("Indicator kind" in (c or "") for c in missing)


def test_only_the_kind_missing_is_still_the_old_shape(small_plan, tmp_path):
    problems = check_plan(_old_plan(small_plan, tmp_path, drop=("kind",)))
    (old,) = [p for p in problems if p.code == "plan.indicator-columns-missing"]
    assert old.value == "ชนิดตัวชี้วัด (Indicator kind)"


def test_plan_check_exits_1_on_an_old_plan(small_plan, tmp_path):
    path = _old_plan(small_plan, tmp_path)
    result = CliRunner().invoke(main, ["plan", "check", "--json", str(path)])
    assert result.exit_code == 1
    codes = {p["code"] for p in json.loads(result.output)["problems"]}
    assert "plan.indicator-columns-missing" in codes


def test_a_new_plan_without_a_kind_in_a_row_is_a_required_value(small_plan, tmp_path):
    path = tmp_path / "2568.xlsx"
    write_plan(small_plan, path)
    wb = load_workbook(path)
    ws = wb[schemas.PLAN_INDICATORS.name]
    ws["K5"] = None  # the kind of the second indicator
    wb.save(path)
    got = {(p.code, p.cell) for p in check_plan(path) if p.is_error}
    assert got == {("value.required", "K5")}


def test_an_empty_when_empty_cell_means_an_error(small_plan, tmp_path):
    """The plan's default for an indicator left empty in a report is an error."""
    from pipeline.plan_load import load_plan

    path = tmp_path / "2568.xlsx"
    write_plan(small_plan, path)
    wb = load_workbook(path)
    ws = wb[schemas.PLAN_INDICATORS.name]
    assert ws["Q4"].value == "คำเตือน"
    ws["Q4"] = None
    wb.save(path)
    plan = load_plan(path)
    assert plan.indicators["1.1"].when_empty == "error"
    assert plan.indicators["2.1"].when_empty == "warning"
