"""The plan workbook loads back to the same plan, and every typo in it is reported at
its sheet and cell by `edurollup plan check` (exit 1), or passes (exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import make_small_plan

import schemas
from pipeline.cli import main
from pipeline.plan_load import PlanError, check_plan, load_plan
from pipeline.plan_workbook import write_blank_plan, write_plan

AGENCIES = schemas.PLAN_AGENCIES.name
INDICATORS = schemas.PLAN_INDICATORS.name
DISBURSEMENT = schemas.PLAN_DISBURSEMENT.name
SETTINGS = schemas.PLAN_SETTINGS.name


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    return write_plan(make_small_plan(), tmp_path / "2568.xlsx")


def edit(path: Path, changes: dict[tuple[str, str], object]) -> Path:
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in changes.items():
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_round_trip_keeps_the_fingerprint(plan_file: Path) -> None:
    original = make_small_plan()
    loaded = load_plan(plan_file)
    assert loaded.fingerprint == original.fingerprint
    assert loaded.agencies["1033530002"].sender_emails == (
        "anuban.ktl@school.example.th", "clerk.ktl@school.example.th")
    assert loaded.indicators["1.1"].agency_types is None
    assert loaded.indicators["2.1"].agency_types == frozenset({"school", "private_school"})
    assert loaded.open_quarters == frozenset({1, 2})
    assert loaded.path == plan_file
    assert check_plan(plan_file) == []


def test_clerk_habits_in_the_plan_are_accepted(plan_file: Path) -> None:
    edit(plan_file, {
        (AGENCIES, "G4"): "NongWaeng@School.example.th;\nครู@school.example.th",
        (AGENCIES, "C8"): "private school",
        (INDICATORS, "E4"): "๑",
        (INDICATORS, "F4"): " ทั้งหมด ",
        (INDICATORS, "F5"): "โรงเรียน; โรงเรียนเอกชน",
        (INDICATORS, "G4"): "95%",
        (DISBURSEMENT, "B5"): "๕๔%",
        (SETTINGS, "B12"): "๑-๒",
        (SETTINGS, "B8"): "20 ม.ค. 2568",
    })
    plan = load_plan(plan_file)
    assert plan.agencies["1033530001"].sender_emails == ("nongwaeng@school.example.th",
                                                         "ครู@school.example.th")
    assert plan.agencies["2033000201"].agency_type == "private_school"
    assert plan.indicators["1.1"].strategy_no == 1 and plan.indicators["1.1"].agency_types is None
    assert plan.indicators["2.1"].agency_types == frozenset({"school", "private_school"})
    assert plan.disbursement[2].overall_pct == 54.0
    assert plan.open_quarters == frozenset({1, 2})
    assert str(plan.due_date(1)) == "2025-01-20"


def test_typos_are_reported_at_their_cells(plan_file: Path) -> None:
    edit(plan_file, {
        (AGENCIES, "D5"): "สพฐ",  # affiliation typo
        (AGENCIES, "F4"): "33019999",  # parent not listed
        (AGENCIES, "G6"): "plan@sisaket1",  # not an e-mail
        (AGENCIES, "A8"): "1033530001",  # duplicate code
        (INDICATORS, "E6"): 9,  # no strategy 9
        (INDICATORS, "F7"): "สำนักงานเขต, มหาวิทยาลัย",  # unknown agency types
        (DISBURSEMENT, "B6"): 120,  # percent over 100
        (DISBURSEMENT, "C5"): 20,  # cumulative target falls (Q1 is 32)
        (SETTINGS, "B12"): "1,5",
    })
    problems = check_plan(plan_file)
    found = {(p.code, p.sheet, p.cell) for p in problems}
    assert found == {
        ("value.not-allowed", AGENCIES, "D5"),
        ("plan.parent-not-listed", AGENCIES, "F4"),
        ("value.not-an-email", AGENCIES, "G6"),
        ("value.duplicate", AGENCIES, "A8"),
        ("plan.strategy-not-listed", INDICATORS, "E6"),
        ("plan.agency-type-unknown", INDICATORS, "F7"),
        ("value.out-of-range", DISBURSEMENT, "B6"),
        ("plan.targets-decreasing", DISBURSEMENT, "C5"),
        ("plan.bad-quarters", SETTINGS, "B12"),
    }
    by_code = {p.code: p for p in problems}
    assert by_code["plan.parent-not-listed"].value == "33019999"
    assert by_code["plan.agency-type-unknown"].value == "สำนักงานเขต"
    assert by_code["value.out-of-range"].value == "120"
    assert all(p.message_th and p.message_en and p.fix_th for p in problems)
    with pytest.raises(PlanError) as info:
        load_plan(plan_file)
    assert {p.code for p in info.value.problems} == {code for code, _s, _c in found}


def test_plan_check_command_exit_codes(plan_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(main, ["plan", "check", str(plan_file)])
    assert good.exit_code == 0, good.output
    edit(plan_file, {(INDICATORS, "E5"): 7})
    bad = runner.invoke(main, ["plan", "check", str(plan_file)])
    assert bad.exit_code == 1
    assert "E5" in bad.output
    as_json = runner.invoke(main, ["plan", "check", "--json", str(plan_file)])
    assert as_json.exit_code == 1
    (p,) = json.loads(as_json.output)["problems"]
    assert (p["code"], p["sheet"], p["cell"], p["value"]) == (
        "plan.strategy-not-listed", INDICATORS, "E5", "7")


def test_blank_plan_lists_what_to_fill_in(tmp_path: Path) -> None:
    path = write_blank_plan(2569, tmp_path / "2569.xlsx")
    problems = check_plan(path)
    assert problems and all(p.is_error for p in problems)
    assert ("value.required", SETTINGS, "B3") in {(p.code, p.sheet, p.cell) for p in problems}
    with pytest.raises(PlanError):
        load_plan(path)


def test_not_a_plan_is_a_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"%PDF-1.4 nothing here")
    assert [p.code for p in check_plan(path)] == ["file.not-a-workbook"]
    result = CliRunner().invoke(main, ["plan", "check", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_agency_type_labels_with_a_slash_stay_one_type(tmp_path: Path) -> None:
    # "สำนักงาน/หน่วยงานอื่น" (office) holds a "/": it must not split into two unknown types
    plan = make_small_plan()
    ind = plan.indicators["6.1"]
    plan.indicators["6.1"] = type(ind)(**{**ind.__dict__,
                                          "agency_types": frozenset({"office", "area_office"})})
    path = write_plan(plan, tmp_path / "2568.xlsx")
    assert check_plan(path) == []
    assert load_plan(path).indicators["6.1"].agency_types == frozenset({"office", "area_office"})
