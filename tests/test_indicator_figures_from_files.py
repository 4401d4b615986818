"""The demo's Q2 roll-up: every provincial indicator figure equals a recomputation by its
kind's rule from the accepted files themselves (read here with python-calamine, each file
as the agency sent it; the ledger is asked only which files were accepted), and no
figure is a sum or median of agencies' rates or averages. Last year's FY 2567 Q4 reports
give the baseline, and the annual report carries the year's verdict per indicator."""

from __future__ import annotations

import re
import sqlite3
import statistics
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import schemas
from pipeline.demo import build_demo
from pipeline.run import run_nightly
from pipeline.workspace import Workspace

KIND_BY_LABEL = {
    "ร้อยละจากจำนวนนับ (ตัวตั้ง/ตัวหาร)": "percent_of_counts", "จำนวนนับ": "count",
    "จำนวนเงิน (บาท)": "amount", "ค่าเฉลี่ยต่อหน่วยงาน": "agency_mean",
    "ค่าเฉลี่ยถ่วงน้ำหนัก (ค่าเฉลี่ย + จำนวนผู้เข้าสอบ)": "weighted_mean",
    "มี/ไม่มี รายหน่วยงาน": "yes_no",
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo13")
    ws = Workspace.open(root)
    build_demo(ws)
    assert run_nightly(ws, send=False, quiet=True) == 0
    return root


def _accepted_files(root: Path, fy: int, q: int) -> list[Path]:
    """The archived originals of the counted submissions (the ledger says which)."""
    db = sqlite3.connect(root / "state" / "ledger.sqlite")
    shas = [r[0] for r in db.execute(
        "SELECT sha256 FROM submissions WHERE status = 'accepted' AND fiscal_year = ? "
        "AND quarter = ?", (fy, q))]
    db.close()
    out = []
    for sha in shas:
        (path,) = (root / "state" / "archive" / sha[:2]).glob(f"{sha}*")
        out.append(path)
    return out


def _plan_kinds(root: Path, fy: int) -> dict[str, dict]:
    """code -> kind, provincial target, direction, minimum reporters, rhythm: from the plan
    workbook as the office keeps it."""
    ws = openpyxl.load_workbook(root / "plan" / f"{fy}.xlsx")[schemas.PLAN_INDICATORS.name]
    header = [str(c.value).split("\n")[1] if c.value else None for c in ws[3]]
    out = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        rec = dict(zip(header, row, strict=False))
        if rec.get("Indicator code"):
            out[str(rec["Indicator code"])] = rec
    return out


def _rows_of(path: Path) -> list[dict]:
    """The indicator rows of one file, by the header labels (Thai above English)."""
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(schemas.INDICATORS.name).to_python()
    h = schemas.INDICATORS.header_row - 1
    header = [str(v).split("\n")[-1] for v in rows[h]]
    return [dict(zip(header, r, strict=False)) for r in rows[h + 1:] if r and r[0] not in ("", None)]


def _num(v):
    return None if v in ("", None) else float(v)


def _recompute(files: list[Path], kinds: dict[str, str]) -> dict[str, tuple[float | None, int,
                                                                             list[float]]]:
    """code -> (provincial figure by the kind's rule, reporters, the agencies' own values)."""
    acc: dict[str, dict] = {}
    for path in files:
        for r in _rows_of(path):
            code = str(r["Indicator code"])
            kind = kinds[code]
            a = acc.setdefault(code, {"n": 0, "num": 0.0, "den": 0.0, "vw": 0.0, "w": 0.0,
                                      "v": 0.0, "yes": 0, "own": []})
            value, num, den = _num(r["Value"]), _num(r["Numerator"]), _num(r["Denominator"])
            weight, answer = _num(r["Weight (e.g. test takers)"]), r["Yes / no"]
            if kind == "percent_of_counts" and num is not None and den is not None:
                a["num"] += num
                a["den"] += den
                if den:
                    a["own"].append(100 * num / den)
            elif kind == "weighted_mean" and value is not None and weight:
                a["vw"] += value * weight
                a["w"] += weight
                a["own"].append(value)
            elif kind == "yes_no" and answer in ("มี", "ไม่มี"):
                a["yes"] += answer == "มี"
                a["own"].append(100.0 if answer == "มี" else 0.0)
            elif kind in ("count", "amount", "agency_mean") and value is not None:
                a["v"] += value
                a["own"].append(value)
            else:
                continue
            a["n"] += 1
    out = {}
    for code, a in acc.items():
        kind = kinds[code]
        if kind == "percent_of_counts":
            figure = 100 * a["num"] / a["den"]
        elif kind == "weighted_mean":
            figure = a["vw"] / a["w"]
        elif kind == "yes_no":
            figure = 100 * a["yes"] / a["n"]
        elif kind == "agency_mean":
            figure = a["v"] / a["n"]
        else:  # count, amount
            figure = a["v"]
        out[code] = (figure, a["n"], a["own"])
    return out


def _sheet_rows(path: Path, sheet: str) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    header = [str(c.value).split("\n")[-1] if c.value else None for c in ws[4]]
    return {str(r[0]): dict(zip(header, r, strict=False))
            for r in ws.iter_rows(min_row=5, values_only=True)
            if r[0] and re.fullmatch(r"\d+\.\d+", str(r[0]))}


def test_q2_provincial_figures_equal_a_recomputation_from_the_accepted_files(demo_run):
    plan = _plan_kinds(demo_run, 2568)
    kinds = {c: KIND_BY_LABEL[rec["Indicator kind"]] for c, rec in plan.items()}
    assert set(kinds.values()) == set(KIND_BY_LABEL.values())  # every kind is exercised
    files = _accepted_files(demo_run, 2568, 2)
    assert len(files) > 120
    expected = _recompute(files, kinds)
    rollup = demo_run / "outbox" / "2568" / "Q2" / "rollup-2568-Q2.xlsx"
    rows = _sheet_rows(rollup, "ตัวชี้วัด (Indicators)")
    assert set(rows) == set(plan)
    checked = 0
    for code, rec in plan.items():
        row = rows[code]
        rhythm = str(rec["Reporting rhythm"])
        if rhythm.isdigit() and int(rhythm) > 2:  # annual, due in Q3/Q4: not asked yet
            assert row["Provincial result"] is None and code not in expected
            assert row["Verdict"] == "ยังไม่ถึงรอบรายงาน (not due this quarter)"
            continue
        figure, n, own = expected[code]
        assert row["Provincial result"] == pytest.approx(figure, rel=1e-12), code
        assert row["Reporters"] == n, code
        target = float(rec["Provincial target"])
        met = figure >= target if rec["Direction"] == "ยิ่งมากยิ่งดี" else figure <= target
        enough = n >= row["Expected"] * (float(rec["Minimum reporters (%)"] or 50) / 100)
        want = ("บรรลุ (achieved)" if met else "ไม่บรรลุ (not achieved)") if enough \
            else "ข้อมูลไม่พอ (too few reporters)"
        assert row["Verdict"] == want, code
        if kinds[code] not in ("count", "amount") and len(own) > 2:
            # never a sum or a median of the agencies' own rates or averages
            assert row["Provincial result"] != pytest.approx(sum(own))
            assert row["Provincial result"] != pytest.approx(statistics.median(own))
        checked += 1
    assert checked >= 15


def test_baseline_comes_from_last_years_12_month_reports(demo_run):
    """FY 2567 Q4 is in the ledger: its consolidated figures are this year's baselines."""
    plan = _plan_kinds(demo_run, 2567)
    kinds = {c: KIND_BY_LABEL[rec["Indicator kind"]] for c, rec in plan.items()}
    last_year = _recompute(_accepted_files(demo_run, 2567, 4), kinds)
    rows = _sheet_rows(demo_run / "outbox" / "2568" / "Q2" / "rollup-2568-Q2.xlsx",
                       "ตัวชี้วัด (Indicators)")
    for code, row in rows.items():
        assert row["Baseline"] == pytest.approx(last_year[code][0], rel=1e-12), code
        assert row["Baseline from"] == "ผลปีก่อนจากฐานข้อมูล (ledger)"
        if row["Provincial result"] is not None:
            assert row["Change"] == pytest.approx(row["Provincial result"] - last_year[code][0])


def test_summary_counts_indicators_achieved_out_of_those_due(demo_run):
    rollup = demo_run / "outbox" / "2568" / "Q2" / "rollup-2568-Q2.xlsx"
    rows = _sheet_rows(rollup, "ตัวชี้วัด (Indicators)")
    due = [r for r in rows.values() if r["Verdict"] != "ยังไม่ถึงรอบรายงาน (not due this quarter)"]
    achieved = sum(r["Verdict"] == "บรรลุ (achieved)" for r in due)
    assert 0 < achieved < len(due) < len(rows)
    summary = openpyxl.load_workbook(rollup)["สรุป (Summary)"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert (f"ตัวชี้วัดที่บรรลุเป้าหมาย {achieved} จาก {len(due)} ตัวชี้วัดที่ถึงรอบรายงาน"
            in " ".join(texts))


def test_breakdowns_and_annual_verdicts_are_in_the_workbooks(demo_run):
    rollup = openpyxl.load_workbook(demo_run / "outbox" / "2568" / "Q2" / "rollup-2568-Q2.xlsx")
    b = rollup["ตัวชี้วัดจำแนก (By group)"]
    values = [[c.value for c in r] for r in b.iter_rows(min_row=5)]
    districts = {r[2] for r in values if r[0] == "1.2"}
    assert "เมืองศรีสะเกษ" in districts and "สพฐ. (สพป.) (OBEC primary area)" in districts
    annual = openpyxl.load_workbook(demo_run / "outbox" / "2568" / "annual" / "annual-2568.xlsx")
    sh = annual["ตัวชี้วัด (Indicators)"]
    header = [str(c.value).split("\n")[-1] if c.value else None for c in sh[4]]
    year_col = header.index("Year's verdict")
    verdicts = {r[0]: r[year_col] for r in sh.iter_rows(min_row=5, values_only=True)
                if r[0] and re.fullmatch(r"\d+\.\d+", str(r[0]))}
    assert len(verdicts) == 20
    assert verdicts["2.1"] == "ยังไม่ถึงรอบรายงาน (not due this quarter)"  # O-NET: Q3
    assert {"บรรลุ (achieved)", "ไม่บรรลุ (not achieved)"} <= set(verdicts.values())
