"""`edurollup template`: one pre-filled template per agency from the workspace's plan."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_small_plan

import schemas
from pipeline.cli import main
from pipeline.plan_workbook import write_plan
from pipeline.templates import template_filename


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_plan(make_small_plan(), tmp_path / "plan" / "2568.xlsx")
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, ["template", *args])


def test_all_agencies(workspace, tmp_path):
    out = tmp_path / "out"
    result = run("--fy", "2568", "--quarter", "2", "--all", "--out", str(out),
                 "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    assert "5" in result.output
    plan = make_small_plan()
    expected = sorted(template_filename(plan, a, 2) for a in plan.agencies.values())
    assert sorted(p.name for p in out.iterdir()) == expected
    assert "2568-Q2-1033530001-โรงเรียนบ้านหนองแวง.xlsx" in expected
    for agency in plan.agencies.values():
        wb = openpyxl.load_workbook(out / template_filename(plan, agency, 2))
        cover = wb[schemas.COVER.name]
        assert (cover["B4"].value, cover["B5"].value, cover["B7"].value) == (
            agency.code, agency.name_th, 2)
        stamp = wb[schemas.STAMP_SHEET]
        # the plan read back from the workbook is the same plan: same fingerprint
        assert stamp["B6"].value == plan.fingerprint


def test_one_agency_with_explicit_plan(workspace, tmp_path):
    out = tmp_path / "one"
    result = run("--fy", "2568", "--quarter", "1", "--agency", "33010000", "--out", str(out),
                 "--plan", str(workspace / "plan" / "2568.xlsx"))
    assert result.exit_code == 0, result.output
    files = list(out.iterdir())
    assert [f.name for f in files] == [
        "2568-Q1-33010000-สำนักงานเขตพื้นที่การศึกษาประถมศึกษาศรีสะเกษ เขต 1.xlsx"]
    ind = openpyxl.load_workbook(files[0])[schemas.INDICATORS.name]
    assert [ind["A5"].value, ind["A6"].value, ind["A7"].value] == ["1.1", "6.1", None]


def test_usage_errors(workspace, tmp_path):
    out = str(tmp_path / "x")
    unknown = run("--fy", "2568", "--quarter", "2", "--agency", "9999", "--out", out,
                  "--workspace", str(workspace))
    assert unknown.exit_code == 2 and "9999" in unknown.output
    neither = run("--fy", "2568", "--quarter", "2", "--out", out, "--workspace", str(workspace))
    assert neither.exit_code == 2
    bad_quarter = run("--fy", "2568", "--quarter", "5", "--all", "--out", out,
                      "--workspace", str(workspace))
    assert bad_quarter.exit_code == 2
    assert not Path(out).exists()


def test_missing_or_broken_plan_is_reported_not_a_traceback(tmp_path):
    out = tmp_path / "out"
    assert run("--fy", "2569", "--quarter", "1", "--all", "--out", str(out),
               "--workspace", str(tmp_path)).exit_code == 2  # not a workspace yet
    assert CliRunner().invoke(main, ["init", str(tmp_path)]).exit_code == 0
    missing = run("--fy", "2569", "--quarter", "1", "--all", "--out", str(out),
                  "--workspace", str(tmp_path))
    assert missing.exit_code == 1
    assert missing.exception is None or isinstance(missing.exception, SystemExit)
    assert "2569.xlsx" in missing.output
    assert "plan new --fy 2569" in missing.output and "file.unreadable" not in missing.output
    broken = tmp_path / "plan" / "2568.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "ไม่ใช่แผน"
    wb.save(broken)
    result = run("--fy", "2568", "--quarter", "1", "--all", "--out", str(out),
                 "--workspace", str(tmp_path))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "2568.xlsx" in result.output
    assert not out.exists()
