"""The plan's project register (schemas/plan_projects.py) is written, read back and
checked like every other sheet: `edurollup plan check` names the sheet and cell of a
project whose agency or strategy is not listed, or whose revision is half filled; a plan
without the sheet (written before the register existed) still loads, with no projects."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import make_small_plan
from project_helpers import AREA, make_project_plan

import schemas
from pipeline.cli import main
from pipeline.plan_load import check_plan, load_plan
from pipeline.plan_workbook import write_plan

PROJECTS = schemas.PLAN_PROJECTS.name


def _col(name: str) -> str:
    names = [c.name for c in schemas.PLAN_PROJECTS.columns]
    return openpyxl.utils.get_column_letter(names.index(name) + 1)


def test_register_round_trips(tmp_path: Path) -> None:
    plan = make_project_plan()
    path = write_plan(plan, tmp_path / "2568.xlsx")
    loaded = load_plan(path)
    assert check_plan(path) == []
    assert loaded.projects == plan.projects
    assert loaded.fingerprint == plan.fingerprint
    p2 = loaded.projects["P-02"]
    assert (p2.planned, p2.revised_allocation, p2.revised_from_quarter) == (
        12_000_000, 9_000_000, 2)
    assert not p2.revised_in(1) and p2.revised_in(2)
    assert loaded.projects["A-01"].passed_on and not loaded.projects["P-01"].passed_on
    ws = openpyxl.load_workbook(path)[PROJECTS]
    assert ws[f"{_col('planned')}4"].value == 50_000  # baht, as a person types it
    assert ws[f"{_col('project_code')}4"].value == "P-01"


def test_plan_without_the_register_still_loads(tmp_path: Path) -> None:
    path = write_plan(make_small_plan(), tmp_path / "2568.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb[PROJECTS]
    wb.save(path)
    assert check_plan(path) == []
    assert load_plan(path).projects == {}


def test_plan_check_names_each_wrong_cell(tmp_path: Path) -> None:
    path = write_plan(make_project_plan(), tmp_path / "2568.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[PROJECTS]
    ws[f"{_col('agency_code')}4"] = "9999999999"  # P-01: not in the registry
    ws[f"{_col('strategy_no')}5"] = 9  # P-02: no strategy 9
    ws[f"{_col('revised_from_quarter')}6"] = 3  # quarter without an allocation
    ws[f"{_col('planned')}7"] = -5  # V-01: negative
    ws[f"{_col('project_code')}8"] = "P-01"  # a copied row repeats a code
    ws[f"{_col('name_th')}8"] = "ซ้ำ"
    ws[f"{_col('strategy_no')}8"] = 1
    ws[f"{_col('agency_code')}8"] = AREA
    ws[f"{_col('budget_source')}8"] = "งบประมาณพื้นฐาน"
    ws[f"{_col('expenditure_category')}8"] = "งบดำเนินงาน"
    ws[f"{_col('planned')}8"] = 1
    wb.save(path)
    found = {(p.code, p.cell) for p in check_plan(path) if p.sheet == PROJECTS}
    assert found == {
        ("plan.project-agency-not-listed", f"{_col('agency_code')}4"),
        ("plan.strategy-not-listed", f"{_col('strategy_no')}5"),
        ("plan.revision-incomplete", f"{_col('revised_allocation')}6"),
        ("value.negative-money", f"{_col('planned')}7"),
        ("value.duplicate", f"{_col('project_code')}8"),
    }
    result = CliRunner().invoke(main, ["plan", "check", str(path)])
    assert result.exit_code == 1
    assert "plan.revision-incomplete" in result.output


def test_output_target_bounded(tmp_path: Path) -> None:
    path = write_plan(make_project_plan(), tmp_path / "2568.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[PROJECTS]
    ws[f"{_col('output_target')}4"] = "ก" * 500  # exactly the limit
    ws[f"{_col('output_target')}5"] = "ก" * 501  # one over
    wb.save(path)
    found = [(p.code, p.cell) for p in check_plan(path) if p.is_error]
    assert found == [("value.text-too-long", f"{_col('output_target')}5")]
