"""The quarter's project, narrative and coverage figures (consolidate.QuarterFigures)
match a recomputation from the accepted files themselves, read with openpyxl (the ledger
only says which files were accepted). The case: a school with two plan projects (one
revised mid-year from Q2), an area office passing budget on to schools that report it
themselves, a college, one school that never reports and one whose Q2 file is rejected.
Provincial totals count the passed-on budget once; the revision is no "cumulative fell"
finding while a disbursement that fell still is; a missing report reads as "no data"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from project_helpers import AREA, COLLEGE, SCHOOL, SCHOOL2, fill_template, make_project_plan
from run_helpers import run_cli

import schemas
from pipeline.consolidate import consolidate_quarter
from pipeline.plan_workbook import write_plan
from pipeline.workspace import Workspace

STRAT = make_project_plan().strategies
IN_PROGRESS, DONE = "อยู่ระหว่างดำเนินการ", "ดำเนินการแล้วเสร็จ"


def _reports(plan) -> dict[tuple[str, int], bytes]:
    out = {}
    out[(SCHOOL, 1)] = fill_template(plan, SCHOOL, 1, {
        "P-01": {"allocated": 50_000, "disbursed": 10_000, "progress_status": IN_PROGRESS},
        "P-02": {"allocated": 120_000, "disbursed": 0}})
    out[(SCHOOL, 2)] = fill_template(plan, SCHOOL, 2, {
        "P-01": {"allocated": 50_000, "committed": 2_500.25, "disbursed": 47_000,
                 "progress_status": DONE, "output_achieved": "นักเรียนอ่านออก 118 คน"},
        "P-02": {"allocated": 90_000, "disbursed": 30_000, "remarks": "ปรับแผนกลางปี"}},
        unplanned=[{"project_code": "X-01", "project_name": "กิจกรรมวันเด็ก",
                    "strategy": STRAT[2].label, "budget_source": "เงินนอกงบประมาณ/อื่น ๆ",
                    "expenditure_category": "งบดำเนินงาน", "allocated": 5_000,
                    "disbursed": 5_000}],
        narrative=[("ปัญหาอุปสรรค", None, "P-02", "ผู้รับจ้างส่งของช้า"),
                   ("ผลงานเด่น", STRAT[2].label, None, "นักเรียนชนะการแข่งขันอ่านเขียน ระดับเขต"),
                   ("ข้อเสนอแนะ", None, None, "ควรโอนงบ  เร็วขึ้น")])
    area = {"A-01": {"allocated": 500_000, "disbursed": 500_000, "progress_status": DONE}}
    out[(AREA, 1)] = fill_template(plan, AREA, 1, area)
    out[(AREA, 2)] = fill_template(plan, AREA, 2, area, unplanned=[
        {"project_code": "AO-9", "project_name": "ประชุมผู้บริหารสถานศึกษา",
         "strategy": STRAT[6].label, "budget_source": "งบประมาณพื้นฐาน",
         "expenditure_category": "งบดำเนินงาน", "allocated": 20_000, "disbursed": 8_000}])
    out[(COLLEGE, 1)] = fill_template(plan, COLLEGE, 1, {
        "V-01": {"allocated": 80_000, "disbursed": 20_000}})
    # Q2: the college's file has disbursed above allocated: rejected, so "no data" in Q2
    out[(COLLEGE, 2)] = fill_template(plan, COLLEGE, 2, {
        "V-01": {"allocated": 80_000, "disbursed": 90_000}})
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict]:
    root = tmp_path_factory.mktemp("projects") / "ws"
    ws = Workspace.open(root)
    ws.ensure()
    plan = make_project_plan()
    write_plan(plan, ws.plan_file(2568))
    (root / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = true\n", "utf-8")
    ws = Workspace.open(root)
    reports = _reports(plan)
    files = {}
    for q in (1, 2):
        for (code, rq), data in reports.items():
            if rq == q:
                name = f"2568-Q{q}-{code}.xlsx"
                (ws.inbox / name).write_bytes(data)
                (root.parent / name).write_bytes(data)  # the test's own copy to read back
                files[name] = root.parent / name
        assert run_cli(ws).exit_code == 0
    return ws, files


def _accepted(ws: Workspace, q: int) -> list[str]:
    db = sqlite3.connect(ws.ledger_path)
    return [r[0] for r in db.execute(
        "SELECT original_name FROM submissions WHERE status = 'accepted' AND quarter = ?"
        " ORDER BY original_name", (q,))]


def _satang(v) -> int:
    return 0 if v is None else round(float(v) * 100)


def _from_file(path: Path) -> tuple[str, list[dict], list[dict]]:
    """(agency, budget rows, narrative rows) as the workbook holds them."""
    wb = openpyxl.load_workbook(path, data_only=True)
    cover = wb[schemas.COVER.name]
    agency = str(cover.cell(row=schemas.COVER.header_row, column=2).value)
    names = [c.name for c in schemas.BUDGET.columns]
    rows = []
    for row in wb[schemas.BUDGET.name].iter_rows(min_row=schemas.BUDGET.header_row + 1,
                                                 values_only=True):
        rec = dict(zip(names, row, strict=False))
        if rec["project_code"] and rec["allocated"] is not None:
            rows.append(rec)
    nnames = [c.name for c in schemas.NARRATIVE.columns]
    narr = [dict(zip(nnames, row, strict=False)) for row in wb[schemas.NARRATIVE.name].iter_rows(
        min_row=schemas.NARRATIVE.header_row + 1, values_only=True) if row[0]]
    return agency, rows, narr


def test_q2_figures_match_the_accepted_files(workspace) -> None:
    ws, files = workspace
    plan = make_project_plan()
    accepted = _accepted(ws, 2)
    assert accepted == [f"2568-Q2-{SCHOOL}.xlsx", f"2568-Q2-{AREA}.xlsx"]  # college rejected
    fig = consolidate_quarter(ws.ledger_path, plan, 2568, 2)

    lines, narr = [], []
    for name in accepted:
        agency, rows, entries = _from_file(files[name])
        lines += [{**r, "agency": agency} for r in rows]
        narr += [{**e, "agency": agency} for e in entries]
    counted = {r["agency"] for r in lines}
    planned_keys = {(p.agency_code, p.code) for p in plan.projects.values()}
    passed = {(p.agency_code, p.code) for p in plan.projects.values() if p.passed_on}

    # provincial totals: every accepted line once, the passed-on budget left out
    own = [r for r in lines if (r["agency"], r["project_code"]) not in passed]
    assert fig.budget_total["allocated"] == sum(_satang(r["allocated"]) for r in own)
    assert fig.budget_total["disbursed"] == sum(_satang(r["disbursed"]) for r in own)
    passed_on = sum(_satang(r["allocated"]) for r in lines
                    if (r["agency"], r["project_code"]) in passed)
    assert passed_on == 50_000_000

    # projects: one row per plan project, "no data" for agencies without an accepted file
    p = fig.projects.set_index(["agency_code", "project_code", "project"])
    for proj in plan.projects.values():
        row = p.loc[(proj.agency_code, proj.code, proj.name_th)]
        mine = [r for r in lines if (r["agency"], r["project_code"]) == (proj.agency_code,
                                                                           proj.code)]
        if proj.agency_code in counted:
            assert row["allocated"] == sum(_satang(r["allocated"]) for r in mine)
            assert row["disbursed"] == sum(_satang(r["disbursed"]) for r in mine)
            assert row["committed"] == sum(_satang(r["committed"]) for r in mine)
            assert row["planned"] == proj.planned
        else:
            assert row["allocated"] is pd.NA and row["progress"] == "no_data"
    unplanned = [r for r in lines if (r["agency"], r["project_code"]) not in planned_keys]
    got = fig.projects[~fig.projects["in_plan"]]
    assert sorted(zip(got["agency_code"], got["project"], got["allocated"].astype(int),
                      strict=True)) == sorted(
        (r["agency"], r["project_name"], _satang(r["allocated"])) for r in unplanned)
    assert set(got["project_code"]) == {""}
    p01 = p.loc[(SCHOOL, "P-01", plan.projects["P-01"].name_th)]
    assert (p01["progress"], p01["output_achieved"], p01["rate"]) == (
        "done", "นักเรียนอ่านออก 118 คน", 0.94)
    progress = fig.projects["progress"].tolist()
    assert fig.project_counts == {
        "total": 6, "done": progress.count("done"), "in_progress": progress.count("in_progress"),
        "not_started": progress.count("not_started"), "no_data": 1}
    # P-01 and A-01 marked done; P-02 and AO-9 partly spent, X-01 fully spent, no status
    # given: read from the money; V-01: the college's Q2 file was rejected
    by_code = dict(zip(fig.projects["project_code"] + fig.projects["project"],
                       progress, strict=True))
    assert by_code == {"P-01" + plan.projects["P-01"].name_th: "done",
                       "P-02" + plan.projects["P-02"].name_th: "in_progress",
                       "A-01" + plan.projects["A-01"].name_th: "done",
                       "V-01" + plan.projects["V-01"].name_th: "no_data",
                       "กิจกรรมวันเด็ก": "done", "ประชุมผู้บริหารสถานศึกษา": "in_progress"}

    # narrative: every entry of the accepted files, with its agency, text tidied
    assert sorted(zip(fig.narratives["agency_code"], fig.narratives["kind"],
                      fig.narratives["text"], strict=True)) == sorted(
        (e["agency"], {"ปัญหาอุปสรรค": "obstacle", "ข้อเสนอแนะ": "suggestion",
                       "ผลงานเด่น": "highlight"}[e["kind"]], " ".join(e["text"].split()))
        for e in narr)
    tied = fig.narratives.set_index("kind")
    assert tied.loc["highlight", "strategy_no"] == 2
    assert tied.loc["obstacle", "project_code"] == "P-02"
    assert tied.loc["suggestion", "strategy_no"] is pd.NA

    # coverage: counted agencies and the planned budget they hold
    cov = fig.coverage
    assert (cov["agencies_counted"], cov["agencies_expected"]) == (len(counted),
                                                                   len(plan.agencies))
    assert cov["planned_total"] == sum(x.planned for x in plan.projects.values())
    assert cov["planned_covered"] == sum(x.planned for x in plan.projects.values()
                                         if x.agency_code in counted)
    assert cov["passed_on"] == passed_on
    assert cov["revisions"] == [{"agency_code": SCHOOL, "project_code": "P-02",
                                 "from_quarter": 2, "allocated_before": 12_000_000,
                                 "allocated_after": 9_000_000}]
    assert fig.previous_year is None  # nothing of FY 2567 in this ledger


def test_q1_to_q2_change_is_explained(workspace) -> None:
    """Allocation Q1 -> Q2: the difference is the rejected college (coverage) plus the
    revision (P-02 120,000 -> 90,000) plus the new unplanned lines; the revision is no
    cumulative-fell finding."""
    ws, _files = workspace
    plan = make_project_plan()
    q1 = consolidate_quarter(ws.ledger_path, plan, 2568, 1)
    q2 = consolidate_quarter(ws.ledger_path, plan, 2568, 2)
    assert q1.coverage["agencies_counted"] == 3 and q2.coverage["agencies_counted"] == 2
    college_q1 = int(q1.projects.set_index("project_code").loc["V-01", "allocated"])
    change = q2.budget_total["allocated"] - q1.budget_total["allocated"]
    revision = 9_000_000 - 12_000_000
    new_lines = 500_000 + 2_000_000  # X-01, AO-9
    assert change == -college_q1 + revision + new_lines
    db = sqlite3.connect(ws.ledger_path)
    fell = db.execute("SELECT column_label FROM problems WHERE code LIKE 'crossquarter.%'"
                      ).fetchall()
    assert fell == []


def test_disbursed_falling_is_still_flagged(tmp_path: Path) -> None:
    """A revised project whose disbursement falls is flagged; its allocation is not."""
    ws = Workspace.open(tmp_path / "ws")
    ws.ensure()
    plan = make_project_plan()
    write_plan(plan, ws.plan_file(2568))
    (ws.root / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = true\n", "utf-8")
    ws = Workspace.open(ws.root)
    (ws.inbox / "q1.xlsx").write_bytes(fill_template(plan, SCHOOL, 1, {
        "P-02": {"allocated": 120_000, "disbursed": 40_000}}))
    assert run_cli(ws).exit_code == 0
    (ws.inbox / "q2.xlsx").write_bytes(fill_template(plan, SCHOOL, 2, {
        "P-02": {"allocated": 90_000, "disbursed": 30_000}}))
    assert run_cli(ws).exit_code == 0
    db = sqlite3.connect(ws.ledger_path)
    rows = db.execute("SELECT value FROM problems WHERE code = 'crossquarter.cumulative-fell'"
                      " ORDER BY value").fetchall()
    assert rows == [("30,000.00",), ("30,000.00",)]  # the project's and the agency's total
    assert SCHOOL2 not in {r[0] for r in db.execute("SELECT agency_code FROM submissions")}


def test_rollup_sheets_show_projects_narrative_and_coverage(workspace) -> None:
    """What the office reads in the Q2 roll-up: the Projects sheet by strategy with the
    headline counts and "no data", the Narrative sheet with each entry's agency, the
    Summary's coverage lines, the Agencies sheet blank (not 0.00) for the college."""
    from pipeline.rollup import rollup_path
    from pipeline.rollup.layout import SHEETS

    ws, files = workspace
    plan = make_project_plan()
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, 2))
    sh = wb[SHEETS["projects"]]
    assert sh["A3"].value.startswith("โครงการทั้งหมด 6 · แล้วเสร็จ 3 · ระหว่างดำเนินการ 2 · "
                                     "ยังไม่ดำเนินการ 0 · ไม่มีข้อมูล 1")
    header = [c.value.split("\n")[1] for c in sh[4] if c.value]
    rows = [[c.value for c in r] for r in sh.iter_rows(min_row=5)]
    groups = [r[0] for r in rows if r[0] and str(r[0]).startswith("ยุทธศาสตร์ที่")]
    assert groups == [f"ยุทธศาสตร์ที่ {plan.strategies[n].label} (strategy {n})"
                      for n in (2, 3, 6)]
    by = {(r[0], r[1]): dict(zip(header, r, strict=False)) for r in rows if r[1]}
    p01 = by[("P-01", plan.projects["P-01"].name_th)]
    assert (p01["Planned (baht)"], p01["Allocated (baht)"], p01["Committed (baht)"],
            p01["Disbursed (baht)"], p01["Rate"]) == (50_000, 50_000, 2_500.25, 47_000, 0.94)
    assert p01["Output target"] == "นักเรียน ป.1-3 จำนวน 120 คน"
    assert p01["Output achieved"] == "นักเรียนอ่านออก 118 คน"
    v01 = by[("V-01", plan.projects["V-01"].name_th)]
    assert v01["Allocated (baht)"] is None and v01["Disbursed (baht)"] is None
    assert v01["Progress"].startswith("ไม่มีข้อมูล")
    x01 = by[(None, "กิจกรรมวันเด็ก")]
    assert x01["Planned / unplanned"] == "นอกแผน (unplanned)"
    coverage = [r[0] for r in rows if r[0] and str(r[0]).startswith("ตัวเลขนับจาก")]
    assert coverage and "2 จาก 5 หน่วยงาน" in coverage[0] and "500,000.00" in coverage[0]

    narr = wb[SHEETS["narrative"]]
    nrows = [[c.value for c in r] for r in narr.iter_rows(min_row=5)]
    entries = [r for r in nrows if r[4]]
    assert {(r[1], r[4]) for r in entries} == {
        (plan.agencies[SCHOOL].name_th, "ผู้รับจ้างส่งของช้า"),
        (plan.agencies[SCHOOL].name_th, "นักเรียนชนะการแข่งขันอ่านเขียน ระดับเขต"),
        (plan.agencies[SCHOOL].name_th, "ควรโอนงบ เร็วขึ้น")}
    # grouped: the project-tied obstacle sits under P-02's strategy 3, the suggestion apart
    order = [r[0] for r in nrows if r[0] and (str(r[0]).startswith("ยุทธศาสตร์ที่")
                                              or str(r[0]).startswith("ไม่ระบุ"))]
    assert order == [f"ยุทธศาสตร์ที่ {plan.strategies[2].label} (strategy 2)",
                     f"ยุทธศาสตร์ที่ {plan.strategies[3].label} (strategy 3)",
                     "ไม่ระบุยุทธศาสตร์ (not tied to a strategy)"]

    summary = wb[SHEETS["summary"]]
    head = {str(r[0].value).split(" / ")[-1]: (r[1].value, r[3].value)
            for r in summary.iter_rows(min_row=5, max_row=40) if r[0].value}
    assert head["Agencies counted in the figures"] == (2, "จาก 5 หน่วยงาน (of 5)")
    assert head["Passed on, not counted twice (baht)"][0] == 500_000
    covered = sum(x.planned for x in plan.projects.values() if x.agency_code in (SCHOOL, AREA))
    assert head["Planned budget covered (baht)"][0] == covered / 100

    agencies = wb[SHEETS["agencies"]]
    college = next(r for r in agencies.iter_rows(min_row=5) if r[0].value == COLLEGE)
    assert college[7].value is None and "ถูกส่งคืน" in college[5].value


def test_annual_report_states_coverage_and_revision_per_quarter(workspace) -> None:
    """The year-end report's budget-by-strategy sheet says, per quarter, how many agencies
    its figures count, the planned baht they hold, the revision and the passed-on budget."""
    from pipeline.rollup import annual_path
    from pipeline.rollup.layout import ANNUAL_SHEETS

    ws, _files = workspace
    sh = openpyxl.load_workbook(annual_path(ws, 2568))[ANNUAL_SHEETS["strategies"]]
    rows = {str(r[0].value): [c.value for c in r] for r in sh.iter_rows(min_row=5)
            if r[0].value}
    width = 4  # allocated, disbursed, rate, target per quarter
    agencies = rows["หน่วยงานที่นับ (agencies counted)"]
    assert [agencies[1 + i * width] for i in range(4)] == ["3 / 5", "2 / 5", None, None]
    revised = rows["ปรับแผนกลางปี: ยอดเปลี่ยน (mid-year revisions, change)"]
    assert [revised[1 + i * width] for i in range(2)] == [0, -30_000]
    passed = rows["โอนจัดสรรให้หน่วยงานที่รายงานเอง ไม่นับซ้ำ (passed on, not counted twice)"]
    assert [passed[1 + i * width] for i in range(2)] == [500_000, 500_000]
