"""`edurollup validate`: exit codes 0/1/2, the JSON report, hostile files, feedback copies.

Runs the real click command on real files: a clean and a flawed filled template, a
corrupt file, against a plan workbook written by T's write_plan into a workspace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_small_plan
from test_validate_rules import BUDGET, PROJECTS, filled_template

from pipeline.cli import main
from pipeline.plan_workbook import write_plan


# the files are only read by the command: build them once for the module
@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    write_plan(make_small_plan(), ws / "plan" / "2568.xlsx")
    return ws


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("in") / "2568-Q2-1033530001-ดี.xlsx"
    filled_template(make_small_plan()).save(path)
    return path


@pytest.fixture(scope="module")
def flawed_file(tmp_path_factory) -> Path:
    projects = [list(p) for p in PROJECTS]
    projects[0][7] = 100000.01  # H5: disbursed > allocated
    path = tmp_path_factory.mktemp("in") / "2568-Q2-1033530002-ผิด.xlsx"
    filled_template(make_small_plan(), agency="1033530002",
                    projects=[tuple(p) for p in projects],
                    results={"1.1": 96, "2.1": 51, "4.1": 650}).save(path)  # F7 warning
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


def test_clean_file_exits_0(workspace, clean_file):
    res = run(str(clean_file), "--workspace", str(workspace))
    assert res.exit_code == 0, res.output
    assert f"✓ {clean_file.name}: ผ่าน (valid), 0 คำเตือน (warnings)" in res.output
    assert "files: 1, valid: 1, invalid: 0" in res.output


def test_errors_exit_1_with_table_and_verdict(workspace, clean_file, flawed_file):
    res = run(str(clean_file), str(flawed_file), "--workspace", str(workspace))
    assert res.exit_code == 1
    out = res.output
    assert f"{BUDGET}!H5" in out and "100,000.01" in out
    assert "budget.disbursed-over-allocated" in out
    assert "Disbursed 100,000.01 baht is more than the allocated 100,000.00 baht" in out
    assert f"✗ {flawed_file.name}: 1 ข้อผิดพลาด (errors), 1 คำเตือน (warnings)" in out
    assert "files: 2, valid: 1, invalid: 1, errors: 1, warnings: 1" in out


def test_json_report_structure(workspace, clean_file, flawed_file):
    plan_file = workspace / "plan" / "2568.xlsx"
    res = run(str(clean_file), str(flawed_file), "--plan", str(plan_file), "--json")
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert doc["format"] == "edurollup.validate/1"
    assert doc["summary"] == {"files": 2, "valid": 1, "invalid": 1, "errors": 1, "warnings": 1}
    clean, flawed = doc["files"]
    assert clean["file"] == clean_file.name and clean["valid"] is True
    assert (clean["agency_code"], clean["fiscal_year"], clean["quarter"]) == ("1033530001", 2568, 2)
    assert clean["template_version"] == "2.0" and len(clean["sha256"]) == 64
    assert flawed["valid"] is False and (flawed["errors"], flawed["warnings"]) == (1, 1)
    by_code = {p["code"]: p for p in flawed["problems"]}
    h5 = by_code["budget.disbursed-over-allocated"]
    assert (h5["severity"], h5["sheet"], h5["cell"], h5["file"]) == (
        "error", BUDGET, "H5", flawed_file.name)
    assert set(h5) >= {"code", "severity", "file", "sheet", "cell", "column", "value",
                       "message_th", "message_en", "fix_th", "fix_en"}
    assert by_code["plausibility.result-outside-range"]["severity"] == "warning"


def test_unreadable_file_is_an_error_of_that_file(workspace, clean_file, tmp_path):
    junk = tmp_path / "รายงานไตรมาส2.xlsx"
    junk.write_bytes(b"%PDF-1.4\n" + b"\x00" * 200)
    empty = tmp_path / "ว่าง.xlsx"
    empty.write_bytes(b"")
    res = run(str(junk), str(empty), str(clean_file), "--workspace", str(workspace), "--json")
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert [f["valid"] for f in doc["files"]] == [False, False, True]
    assert doc["files"][0]["problems"][0]["code"] == "file.not-a-workbook"
    assert doc["files"][1]["problems"][0]["code"] == "file.empty"
    assert "Traceback" not in res.output


def test_no_plan_for_the_year_is_an_error(clean_file, tmp_path):
    # not a workspace at all: the folder is refused, the file is not blamed (issue #16)
    res = run(str(clean_file), "--workspace", str(tmp_path / "empty-ws"), "--json")
    assert res.exit_code == 2
    assert "empty-ws" in res.output and "edurollup init" in res.output
    assert "plan-mismatch" not in res.output
    # a workspace without that year's plan: the file's year has no plan
    assert CliRunner().invoke(main, ["init", str(tmp_path / "empty-ws")]).exit_code == 0
    res = run(str(clean_file), "--workspace", str(tmp_path / "empty-ws"), "--json")
    assert res.exit_code == 1
    codes = [p["code"] for p in json.loads(res.output)["files"][0]["problems"]]
    assert codes[0] == "intake.plan-mismatch"


def test_usage_errors_exit_2(tmp_path, workspace):
    assert run().exit_code == 2  # no file
    assert run(str(tmp_path / "missing.xlsx")).exit_code == 2
    assert run("--plan", str(tmp_path / "nope.xlsx"), str(tmp_path)).exit_code == 2


def test_feedback_option_writes_copies_for_files_with_problems(workspace, clean_file,
                                                               flawed_file, tmp_path):
    out = tmp_path / "fb"
    res = run(str(clean_file), str(flawed_file), "--workspace", str(workspace),
              "--feedback", str(out))
    assert res.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == [f"{flawed_file.stem}-feedback.xlsx"]


def test_broken_plan_given_with_plan_is_a_usage_error(clean_file, tmp_path):
    not_a_plan = tmp_path / "แผน.xlsx"
    filled_template(make_small_plan()).save(not_a_plan)  # a report, not a plan workbook
    res = run(str(clean_file), "--plan", str(not_a_plan))
    assert res.exit_code == 2
    assert "structure.missing-sheet" in res.output and "Traceback" not in res.output
