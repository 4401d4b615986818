"""`edurollup status` and `edurollup history`: who sent what for a quarter (on time, late,
rejected, quarantined, missing) and one agency's submissions, as tables and as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_small_plan

from pipeline.cli import main
from pipeline.collect import Arrival
from pipeline.decide import decide
from pipeline.ledger import Ledger
from pipeline.plan_workbook import write_plan
from pipeline.read import read_workbook
from pipeline.templates import build_template
from pipeline.validate import validate_workbook
from pipeline.workspace import Workspace

TEMPLATES: dict = {}  # agency code -> issued template (filled again for each version)


def submit(ledger: Ledger, plan, tmp: Path, code: str, sender: str, received: datetime,
           disbursed: float, name: str) -> str:
    """Fill the agency's real template, validate it, decide and record it as the run does."""
    if code not in TEMPLATES:
        TEMPLATES[code] = build_template(plan, code, 2)
    wb = TEMPLATES[code]
    for row in wb["ปก (Cover)"].iter_rows(min_row=1, max_row=30):
        if str(row[0].value or "").startswith("ชื่อ-สกุล"):
            row[1].value = "ผู้รายงาน ทดสอบ"
    budget = wb["งบประมาณ (Budget)"]
    for col, v in enumerate(["P01", "โครงการพัฒนาครู", plan.strategies[3].label,
                             "งบประมาณยุทธศาสตร์", "งบดำเนินงาน", 10000, 0, disbursed], start=1):
        budget.cell(5, col).value = v
    path = tmp / name
    wb.save(path)
    report = validate_workbook(read_workbook(path, display_name=name), plan)
    data = path.read_bytes()
    arrival = Arrival(source="eml", source_path=f"inbox/{name}.eml", part_index=1,
                      original_name=name, safe_name=name, sender=sender, sender_display=None,
                      message_id=f"<{name}@x>", received_at=received, data=data)
    decision = decide(report, arrival, plan, trusted=False)
    fb = f"feedback/{name}" if decision.status != "accepted" else None
    ledger.record(arrival, report, decision, fb)
    return decision.status


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("ws")
    ws = Workspace(root)
    ws.ensure()
    plan = make_small_plan()
    write_plan(plan, ws.plan_file(2568))
    files = tmp_path_factory.mktemp("files")
    apr = lambda day: datetime(2025, 4, day, 3, 0, tzinfo=UTC)  # noqa: E731
    with Ledger(ws.ledger_path) as ledger:
        statuses = [
            submit(ledger, plan, files, "1033530001", "nongwaeng@school.example.th", apr(2),
                   20000, "หนองแวง-v1.xlsx"),  # disbursed > allocated: rejected
            submit(ledger, plan, files, "1033530001", "nongwaeng@school.example.th", apr(5),
                   3000, "หนองแวง-v2.xlsx"),
            submit(ledger, plan, files, "1033530001", "nongwaeng@school.example.th", apr(10),
                   4000, "หนองแวง-v3.xlsx"),
            submit(ledger, plan, files, "1033530002", "clerk.ktl@school.example.th", apr(20),
                   5000, "กันทรลักษ์.xlsx"),  # after 15 April: late
            submit(ledger, plan, files, "33010000", "plan@sisaket1.example.go.th", apr(11),
                   99999, "สพป.xlsx"),
            submit(ledger, plan, files, "1333000101", "someone@gmail.example.com", apr(12),
                   100, "เทคนิค.xlsx"),
        ]
    assert statuses == ["rejected", "accepted", "accepted", "accepted", "rejected",
                        "quarantined"]
    return ws


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_status_json_has_one_row_per_registry_agency(ws):
    code, out = run("status", "--fy", "2568", "--quarter", "2", "--json",
                    "--workspace", str(ws.root))
    assert code == 0
    rows = {r["agency_code"]: r for r in json.loads(out)}
    assert list(rows) == ["1033530001", "1033530002", "33010000", "1333000101", "2033000201"]
    assert {c: r["state"] for c, r in rows.items()} == {
        "1033530001": "on_time", "1033530002": "late", "33010000": "rejected",
        "1333000101": "quarantined", "2033000201": "missing"}
    school = rows["1033530001"]
    assert (school["original_name"], school["received_at"], school["submissions"]) == (
        "หนองแวง-v3.xlsx", "2025-04-10T03:00:00+00:00", 3)
    assert school["sender_emails"] == ["nongwaeng@school.example.th"]
    assert school["name_th"] == "โรงเรียนบ้านหนองแวง" and school["district"] == "เมืองศรีสะเกษ"
    assert rows["1033530002"]["late"] is True and rows["1033530002"]["warnings"] >= 1
    assert rows["33010000"]["errors"] >= 1
    assert rows["33010000"]["feedback_path"] == "feedback/สพป.xlsx"
    missing = rows["2033000201"]
    assert (missing["submission_id"], missing["received_at"], missing["due_date"]) == (
        None, None, "2025-04-15")


def test_status_table_is_readable_with_totals(ws):
    code, out = run("status", "--fy", "2568", "--quarter", "2", "--workspace", str(ws.root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("รหัส/Code")
    row = {ln.split()[0]: ln for ln in lines[2:-1]}
    assert "ส่งตรงเวลา (on time)" in row["1033530001"] and "10 เม.ย. 2568 10:00" in row[
        "1033530001"]
    assert "ส่งช้า (late)" in row["1033530002"]
    assert "ไม่ผ่านการตรวจ (rejected)" in row["33010000"]
    assert "กักไว้ตรวจสอบ (quarantined)" in row["1333000101"]
    assert "ยังไม่ส่ง (missing)" in row["2033000201"]
    assert lines[-1] == ("รวม 5 หน่วยงาน / total 5 agencies: ส่งตรงเวลา (on time) 1, "
                         "ส่งช้า (late) 1, ไม่ผ่านการตรวจ (rejected) 1, "
                         "กักไว้ตรวจสอบ (quarantined) 1, ยังไม่ส่ง (missing) 1")


def test_quarter_without_submissions_is_all_missing(ws):
    code, out = run("status", "--fy", "2568", "--quarter", "1", "--json",
                    "--workspace", str(ws.root))
    assert code == 0
    assert {r["state"] for r in json.loads(out)} == {"missing"}


def test_history_lists_every_submission_newest_first(ws):
    code, out = run("history", "--agency", "1033530001", "--json", "--workspace", str(ws.root))
    assert code == 0
    rows = json.loads(out)
    assert [(r["original_name"], r["status"]) for r in rows] == [
        ("หนองแวง-v3.xlsx", "accepted"), ("หนองแวง-v2.xlsx", "superseded"),
        ("หนองแวง-v1.xlsx", "rejected")]
    assert rows[1]["superseded_by"] == rows[0]["submission_id"]
    assert rows[2]["errors"] >= 1 and rows[2]["problems"] == rows[2]["errors"] + rows[2][
        "warnings"]
    assert all(r["arrivals"] == 1 and r["fiscal_year"] == 2568 for r in rows)

    code, out = run("history", "--agency", "1033530001", "--workspace", str(ws.root))
    lines = out.splitlines()
    assert "ถูกแทนที่ (superseded)" in lines[3] and "หนองแวง-v2.xlsx" in lines[3]
    assert lines[-1] == ("รวม 3 รายการ / total 3 submissions: รับแล้ว (accepted) 1, "
                         "ถูกแทนที่ (superseded) 1, ไม่ผ่านการตรวจ (rejected) 1")


def test_history_of_an_agency_that_never_sent_anything(ws, tmp_path):
    code, out = run("history", "--agency", "2033000201", "--workspace", str(ws.root))
    assert code == 0 and out.splitlines()[-1] == "รวม 0 รายการ / total 0 submissions"
    # a folder that is not a workspace is refused (issue #16: it used to answer [] with
    # exit 0), and nothing is created in it
    empty = Workspace(tmp_path)
    code, out = run("history", "--agency", "2033000201", "--json", "--workspace", str(tmp_path))
    assert code == 2 and "edurollup init" in out
    assert not empty.ledger_path.exists() and not empty.state.exists()
    # a workspace with a ledger but no plan: an agency never heard of is an error, exit 1
    ws.ensure()
    code, out = run("history", "--agency", "9999999999", "--workspace", str(ws.root))
    assert code == 1 and "9999999999" in out


def test_history_shows_each_submissions_problems_in_text_and_json(ws):
    code, out = run("history", "--agency", "1033530001", "--json", "--workspace", str(ws.root))
    rows = json.loads(out)
    rejected = rows[2]
    assert len(rejected["problem_list"]) == rejected["problems"] >= 1
    over = [p for p in rejected["problem_list"] if p["code"] == "budget.disbursed-over-allocated"]
    assert over and over[0]["severity"] == "error" and over[0]["cell"]
    assert over[0]["message_th"] and over[0]["message_en"]

    code, out = run("history", "--agency", "1033530001", "--workspace", str(ws.root))
    assert code == 0
    sheet_cell = f"{over[0]['sheet']}!{over[0]['cell']}"
    line = next(ln for ln in out.splitlines() if "budget.disbursed-over-allocated" in ln)
    assert sheet_cell in line and "[ผิด/E]" in line and over[0]["message_en"] in line
    assert f"#{rejected['submission_id']} หนองแวง-v1.xlsx" in out
