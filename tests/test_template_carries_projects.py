"""Templates carry the plan's projects and the last accepted quarter forward: the Q2
template of a school lists its plan projects (identity locked, the revision's allocation
pre-filled), the clerk fills it with an unplanned line below and a narrative entry, the
night's run accepts it, and the Q3 template opens pre-filled with the Q2 amounts,
progress, output and remarks, the unplanned line open below the planned ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from project_helpers import SCHOOL, make_project_plan
from run_helpers import run_cli

import schemas
from pipeline.cli import main
from pipeline.plan_workbook import write_plan
from pipeline.workspace import Workspace

COLS = {c.name: openpyxl.utils.get_column_letter(i)
        for i, c in enumerate(schemas.BUDGET.columns, start=1)}
NCOLS = {c.name: openpyxl.utils.get_column_letter(i)
         for i, c in enumerate(schemas.NARRATIVE.columns, start=1)}
FIRST = schemas.BUDGET.header_row + 1


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "ws")
    ws.ensure()
    write_plan(make_project_plan(), ws.plan_file(2568))
    (ws.root / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = true\n", "utf-8")
    return Workspace.open(ws.root)


def _template(ws: Workspace, quarter: int, out: Path) -> Path:
    result = CliRunner().invoke(main, ["template", "--fy", "2568", "--quarter", str(quarter),
                                       "--agency", SCHOOL, "--out", str(out),
                                       "--workspace", str(ws.root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (path,) = out.glob(f"2568-Q{quarter}-{SCHOOL}-*.xlsx")
    return path


def _sign(wb: openpyxl.Workbook) -> None:
    """The reporter's name on the cover, as every clerk types it."""
    names = [c.name for c in schemas.COVER.columns]
    wb[schemas.COVER.name].cell(row=schemas.COVER.header_row + names.index("reporter_name"),
                                column=2, value="นางสาวสมใจ ใจดี")


def _row(ws: openpyxl.worksheet.worksheet.Worksheet, r: int) -> dict[str, object]:
    return {name: ws[f"{letter}{r}"].value for name, letter in COLS.items()}


def test_q3_template_opens_with_projects_and_q2_amounts(workspace: Workspace,
                                                         tmp_path: Path) -> None:
    q2 = _template(workspace, 2, tmp_path / "q2")
    wb = openpyxl.load_workbook(q2)
    b = wb[schemas.BUDGET.name]
    first, second = _row(b, FIRST), _row(b, FIRST + 1)
    assert (first["project_code"], first["project_name"]) == (
        "P-01", "โครงการพัฒนาทักษะการอ่านออกเขียนได้")
    assert first["output_target"] == "นักเรียน ป.1-3 จำนวน 120 คน"
    assert first["allocated"] is None  # nothing accepted before Q2: nothing to carry
    assert second["project_code"] == "P-02" and second["allocated"] == 90_000  # revised in Q2
    assert _row(b, FIRST + 2)["project_code"] is None  # only this school's projects
    assert b[f"{COLS['project_code']}{FIRST}"].protection.locked
    assert b[f"{COLS['output_target']}{FIRST}"].protection.locked
    assert not b[f"{COLS['allocated']}{FIRST}"].protection.locked
    assert not b[f"{COLS['project_code']}{FIRST + 2}"].protection.locked

    # the clerk updates the planned rows, adds an unplanned one, and a problem
    b[f"{COLS['allocated']}{FIRST}"] = 50_000
    b[f"{COLS['committed']}{FIRST}"] = 1_000
    b[f"{COLS['disbursed']}{FIRST}"] = 20_000.5
    b[f"{COLS['progress_status']}{FIRST}"] = "อยู่ระหว่างดำเนินการ"
    b[f"{COLS['output_achieved']}{FIRST}"] = "นักเรียนอ่านคล่อง 96 คน"
    b[f"{COLS['remarks']}{FIRST}"] = "รอจัดซื้อหนังสือ"
    b[f"{COLS['disbursed']}{FIRST + 1}"] = 30_000
    unplanned = {"project_code": "X-01", "project_name": "กิจกรรมวันเด็กแห่งชาติ",
                 "strategy": "2. การพัฒนาคุณภาพการศึกษา", "budget_source": "เงินนอกงบประมาณ/อื่น ๆ",
                 "expenditure_category": "งบดำเนินงาน", "allocated": 5_000, "disbursed": 5_000,
                 "progress_status": "ดำเนินการแล้วเสร็จ"}
    strategy_label = make_project_plan().strategies[2].label
    unplanned["strategy"] = strategy_label
    for name, value in unplanned.items():
        b[f"{COLS[name]}{FIRST + 2}"] = value
    n = wb[schemas.NARRATIVE.name]
    r = schemas.NARRATIVE.header_row + 1
    n[f"{NCOLS['kind']}{r}"] = "ปัญหาอุปสรรค"
    n[f"{NCOLS['project_code']}{r}"] = "P-02"
    n[f"{NCOLS['text']}{r}"] = "ผู้รับจ้างส่งของล่าช้า เบิกจ่ายไม่ทันไตรมาส"
    _sign(wb)
    wb.save(workspace.inbox / q2.name)

    result = run_cli(workspace)
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(workspace.ledger_path)
    assert db.execute("SELECT status FROM submissions").fetchall() == [("accepted",)]
    assert db.execute("SELECT kind, strategy_no, project_code, text FROM narratives"
                      ).fetchall() == [("obstacle", None, "P-02",
                                        "ผู้รับจ้างส่งของล่าช้า เบิกจ่ายไม่ทันไตรมาส")]

    q3 = _template(workspace, 3, tmp_path / "q3")
    b3 = openpyxl.load_workbook(q3)[schemas.BUDGET.name]
    first, second, third = _row(b3, FIRST), _row(b3, FIRST + 1), _row(b3, FIRST + 2)
    assert (first["project_code"], first["allocated"], first["committed"],
            first["disbursed"]) == ("P-01", 50_000, 1_000, 20_000.5)
    assert first["progress_status"] == "อยู่ระหว่างดำเนินการ"
    assert first["output_achieved"] == "นักเรียนอ่านคล่อง 96 คน"
    assert first["remarks"] == "รอจัดซื้อหนังสือ"
    assert (second["project_code"], second["allocated"], second["disbursed"]) == (
        "P-02", 90_000, 30_000)
    assert (third["project_code"], third["project_name"], third["allocated"],
            third["strategy"]) == ("X-01", "กิจกรรมวันเด็กแห่งชาติ", 5_000, strategy_label)
    assert b3[f"{COLS['project_code']}{FIRST + 1}"].protection.locked
    assert not b3[f"{COLS['project_code']}{FIRST + 2}"].protection.locked  # unplanned: open
    assert _row(b3, FIRST + 3)["project_code"] is None


def test_untouched_planned_rows_are_not_a_report_line(workspace: Workspace,
                                                      tmp_path: Path) -> None:
    """A Q1 template whose planned rows the clerk left as they came (no amounts) reports
    those projects as not yet reported, not as half-typed lines with a missing allocation;
    the one project the clerk filled is counted."""
    q1 = _template(workspace, 1, tmp_path / "q1")
    wb = openpyxl.load_workbook(q1)
    b = wb[schemas.BUDGET.name]
    b[f"{COLS['allocated']}{FIRST}"] = 50_000
    b[f"{COLS['disbursed']}{FIRST}"] = 0
    _sign(wb)
    wb.save(workspace.inbox / q1.name)
    assert run_cli(workspace).exit_code == 0
    db = sqlite3.connect(workspace.ledger_path)
    assert db.execute("SELECT status, errors FROM submissions").fetchall() == [("accepted", 0)]
    assert db.execute("SELECT project_code, allocated, output_target FROM budget_lines"
                      ).fetchall() == [("P-01", 5_000_000, "นักเรียน ป.1-3 จำนวน 120 คน")]
    # a half-typed line the clerk added (no allocation) is still an error
    b[f"{COLS['project_code']}{FIRST + 2}"] = "X-02"
    b[f"{COLS['project_name']}{FIRST + 2}"] = "กิจกรรมไม่ครบ"
    wb.save(tmp_path / "half.xlsx")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "half.xlsx"), "--plan",
                                       str(workspace.plan_file(2568))])
    assert result.exit_code != 0
    assert f"{COLS['allocated']}{FIRST + 2}" in result.output


def test_template_from_a_ledger_not_yet_migrated(workspace: Workspace, tmp_path: Path) -> None:
    """Right after an upgrade, before the night's run migrates the ledger, `edurollup
    template` still carries the amounts (the output column reads as empty)."""
    q1 = _template(workspace, 1, tmp_path / "q1")
    wb = openpyxl.load_workbook(q1)
    b = wb[schemas.BUDGET.name]
    b[f"{COLS['allocated']}{FIRST}"] = 50_000
    b[f"{COLS['disbursed']}{FIRST}"] = 12_000
    _sign(wb)
    wb.save(workspace.inbox / q1.name)
    assert run_cli(workspace).exit_code == 0
    db = sqlite3.connect(workspace.ledger_path)
    db.execute("ALTER TABLE budget_lines DROP COLUMN output_achieved")
    db.commit()
    db.close()
    q2 = openpyxl.load_workbook(_template(workspace, 2, tmp_path / "q2"))[schemas.BUDGET.name]
    row = _row(q2, FIRST)
    assert (row["project_code"], row["allocated"], row["disbursed"], row["output_achieved"]) == (
        "P-01", 50_000, 12_000, None)
