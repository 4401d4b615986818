"""The demo province with its project register, run once: a Q3 template for a demo school
opens pre-filled with its plan projects and the amounts of its accepted Q2 file; the Q2
roll-up's project, narrative and coverage figures equal a recomputation from the accepted
files themselves (read with openpyxl; the ledger only says which files were accepted);
the budget the area office passes on to its schools is counted once; the Q1 -> Q2 change
of the provincial allocation is explained by coverage and the mid-year revision."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_helpers import copy_tree, demo_ran  # noqa: F401 - a fixture

import schemas
from pipeline import demo_data as dd
from pipeline.cli import main
from pipeline.consolidate import consolidate_quarter
from pipeline.plan_load import load_plan

KINDS = {c.th: c.key for c in schemas.choices.NARRATIVE_KINDS}


def _accepted(root: Path, fy: int, q: int) -> dict[str, Path]:
    """agency code -> the archived original of its counted file (the ledger says which)."""
    db = sqlite3.connect(root / "state" / "ledger.sqlite")
    rows = db.execute("SELECT agency_code, sha256 FROM submissions WHERE status = 'accepted'"
                      " AND fiscal_year = ? AND quarter = ?", (fy, q)).fetchall()
    db.close()
    out = {}
    for code, sha in rows:
        (path,) = (root / "state" / "archive" / sha[:2]).glob(f"{sha}*")
        out[code] = path
    return out


def _budget(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=True)
    if schemas.BUDGET.name not in wb.sheetnames:  # an .ods keeps the names too
        raise AssertionError(path)
    ws = wb[schemas.BUDGET.name]
    header = [str(c.value).split("\n")[-1] if c.value else None
              for c in ws[schemas.BUDGET.header_row]]
    out = []
    for row in ws.iter_rows(min_row=schemas.BUDGET.header_row + 1, values_only=True):
        rec = dict(zip(header, row, strict=False))
        if rec.get("Project code") and rec.get("Allocated (baht)") not in (None, ""):
            out.append(rec)
    return out


def _narrative(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[schemas.NARRATIVE.name]
    header = [str(c.value).split("\n")[-1] if c.value else None
              for c in ws[schemas.NARRATIVE.header_row]]
    return [dict(zip(header, r, strict=False)) for r in ws.iter_rows(
        min_row=schemas.NARRATIVE.header_row + 1, values_only=True) if r[0]]


def _satang(v) -> int:
    return 0 if v in (None, "") else round(float(str(v).replace(",", "").replace(" บาท", ""))
                                           * 100)


@pytest.fixture(scope="module")
def demo(demo_ran, tmp_path_factory) -> Path:  # noqa: F811 - the fixture above
    root, output, code = demo_ran
    assert code == 0, output[-2000:]
    return root


def _xlsx_only(files: dict[str, Path]) -> dict[str, Path]:
    return {k: v for k, v in files.items() if v.suffix == ".xlsx"}


def test_q3_template_of_a_demo_school_carries_its_q2_file(demo, tmp_path) -> None:
    plan = load_plan(demo / "plan" / "2568.xlsx")
    q2 = _xlsx_only(_accepted(demo, 2568, 2))
    school = dd.revised_agency(plan)
    assert school in q2
    ws = copy_tree(demo, tmp_path / "ws")
    out = tmp_path / "q3"
    result = CliRunner().invoke(main, ["template", "--fy", "2568", "--quarter", "3", "--agency",
                                       school, "--out", str(out), "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("2568-Q3-*.xlsx")
    got = _budget(path)
    sent = _budget(q2[school])
    mine = plan.projects_for(school)
    assert [r["Project code"] for r in got] == [p.code for p in mine]
    assert [(r["Project code"], _satang(r["Allocated (baht)"]), _satang(r["Disbursed, cumulative (baht)"]),
             _satang(r["Committed / PO (baht)"]), r["Progress"]) for r in got] == [
        (r["Project code"], _satang(r["Allocated (baht)"]), _satang(r["Disbursed, cumulative (baht)"]),
         _satang(r["Committed / PO (baht)"]), r["Progress"]) for r in sent]
    assert got[0]["Output target"] == mine[0].output_target
    b = openpyxl.load_workbook(path)[schemas.BUDGET.name]
    first = schemas.BUDGET.header_row + 1
    assert b.cell(row=first, column=1).protection.locked  # the code: locked
    assert not b.cell(row=first, column=6).protection.locked  # allocated: open


def test_q2_projects_narrative_coverage_match_the_files(demo) -> None:
    plan = load_plan(demo / "plan" / "2568.xlsx")
    files = _accepted(demo, 2568, 2)
    fig = consolidate_quarter(demo / "state" / "ledger.sqlite", plan, 2568, 2)
    lines = {code: _budget(p) for code, p in _xlsx_only(files).items()}
    assert len(lines) >= len(files) - 1  # at most the one .ods file is read by its totals
    ods = set(files) - set(lines)
    passed = {(p.agency_code, p.code) for p in plan.projects.values() if p.passed_on}
    assert len(passed) == 1

    proj = fig.projects[fig.projects["in_plan"]].set_index(["agency_code", "project_code"])
    for p in plan.projects.values():
        row = proj.loc[(p.agency_code, p.code)]
        if p.agency_code not in files:
            assert row["allocated"] is fig.projects["allocated"].dtype.na_value or \
                str(row["allocated"]) == "<NA>"
            assert row["progress"] == "no_data"
            continue
        if p.agency_code in ods:
            continue
        mine = [r for r in lines[p.agency_code] if r["Project code"] == p.code]
        assert int(row["allocated"]) == sum(_satang(r["Allocated (baht)"]) for r in mine)
        assert int(row["disbursed"]) == sum(_satang(r["Disbursed, cumulative (baht)"]) for r in mine)
    missing = {a for a in plan.agencies if a not in files}
    assert missing, "the demo has agencies without an accepted Q2 file"
    assert fig.project_counts["no_data"] == sum(
        1 for p in plan.projects.values() if p.agency_code in missing)
    assert fig.project_counts["total"] == len(fig.projects)

    # provincial totals: the passed-on budget once (in the schools' own reports only)
    own = sum(_satang(r["Allocated (baht)"]) for code, rows in lines.items() for r in rows
              if (code, r["Project code"]) not in passed)
    ods_total = sum(int(fig.budget["agency"].set_index("key").loc[c, "allocated"]) for c in ods)
    assert fig.budget_total["allocated"] == own + ods_total
    passed_sent = sum(_satang(r["Allocated (baht)"]) for code, rows in lines.items()
                      for r in rows if (code, r["Project code"]) in passed)
    assert passed_sent > 0 and fig.coverage["passed_on"] == passed_sent

    # narratives: every entry of the accepted files, with its agency
    want = Counter()
    for code, path in _xlsx_only(files).items():
        for e in _narrative(path):
            want[(code, KINDS[e["Kind"]], " ".join(str(e["Details"]).split()))] += 1
    got = Counter(zip(fig.narratives["agency_code"], fig.narratives["kind"],
                      fig.narratives["text"], strict=True))
    assert want and {k: v for k, v in got.items() if k[0] not in ods} == want

    # coverage: counted agencies, planned baht of the counted agencies
    assert fig.coverage["agencies_counted"] == len(files)
    assert fig.coverage["agencies_expected"] == len(plan.agencies)
    assert fig.coverage["planned_covered"] == sum(
        p.planned for p in plan.projects.values() if p.agency_code in files)
    assert fig.previous_year is not None and fig.previous_year["fiscal_year"] == 2567
    assert fig.previous_year["quarter"] == 4  # FY 2567 has its 12-month report only


def test_q1_to_q2_allocation_change_is_explained(demo) -> None:
    """Q2 - Q1 provincial allocation = what agencies counted in one quarter only brought
    + the mid-year revision + the rest of the counted agencies' changes, and the revision
    is stated in the coverage."""
    plan = load_plan(demo / "plan" / "2568.xlsx")
    db = demo / "state" / "ledger.sqlite"
    q1, q2 = (consolidate_quarter(db, plan, 2568, q) for q in (1, 2))
    a1 = q1.budget["agency"].set_index("key")["allocated"]
    a2 = q2.budget["agency"].set_index("key")["allocated"]
    c1, c2 = set(q1.current["agency_code"]), set(q2.current["agency_code"])
    only1 = sum(int(a1[c]) for c in c1 - c2)
    only2 = sum(int(a2[c]) for c in c2 - c1)
    (rev,) = q2.coverage["revisions"]
    revision = rev["allocated_after"] - rev["allocated_before"]
    both = c1 & c2
    others = sum(int(a2[c]) - int(a1[c]) for c in both) - (revision if rev["agency_code"]
                                                           in both else 0)
    change = q2.budget_total["allocated"] - q1.budget_total["allocated"]
    assert change == only2 - only1 + (revision if rev["agency_code"] in both else 0) + others
    assert others == 0  # the demo's allocations change only through coverage and revision
    assert q1.coverage["agencies_counted"] != q2.coverage["agencies_counted"] or only1 or only2
