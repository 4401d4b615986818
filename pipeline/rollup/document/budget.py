"""Part 3, budget use: by source, category, affiliation and district, the strategies and
the year's curve against its targets as charts, and the previous year beside this one."""

from __future__ import annotations

from typing import Any

from ...consolidate import DIMENSIONS, total_row
from .charts import disbursement_curve, strategy_bars
from .edition import Edition
from .style import baht, heading, para, percent, picture, table, thai

HEADING = "ส่วนที่ 3 การใช้จ่ายงบประมาณ (Budget use)"
NO_PREVIOUS = ("ฐานข้อมูลยังไม่มีข้อมูลของปีงบประมาณก่อน / the ledger has nothing of the "
               "previous fiscal year")


def _budget_table(doc: Any, ed: Edition, dim: str) -> None:
    fig = ed.fig
    t = fig.budget[dim]
    rows = [[thai(r["label"]), baht(r["allocated"]), baht(r["disbursed"]),
             percent(r["disbursement_rate"]), percent(r["target"])]
            for r in [*t.to_dict("records"), total_row(t, fig.targets)]]
    th, _ = DIMENSIONS[dim]
    table(doc, [th, "จัดสรร (บาท)", "เบิกจ่าย (บาท)", "อัตราเบิกจ่าย", "เป้าหมายสะสม"], rows,
          [3.8, 3.9, 3.9, 2.2, 2.2], "lrrrr", bold_last=True)


def curve_data(ed: Edition) -> tuple[list[float | None], dict[int, float]]:
    """The plan's cumulative target per quarter, and each quarter's reported rate (the
    quarters up to the report's, with accepted reports)."""
    targets = []
    for q in (1, 2, 3, 4):
        t = ed.plan.disbursement.get(q)
        targets.append(None if t is None or t.overall_pct is None else t.overall_pct / 100)
    actual = {}
    for f in ed.figs:
        rate = f.budget_total["disbursement_rate"]
        if len(f.current) and rate is not None and f.quarter <= ed.fig.quarter:
            actual[f.quarter] = float(rate)
    return targets, actual


def write_budget(doc: Any, ed: Edition) -> None:
    fig = ed.fig
    heading(doc, HEADING, 1)
    for i, dim in enumerate(("budget_source", "expenditure_category", "affiliation",
                             "district"), start=1):
        th, en = DIMENSIONS[dim]
        heading(doc, f"3.{i} จำแนกตาม{th} (by {en.lower()})", 2)
        _budget_table(doc, ed, dim)
    heading(doc, "3.5 อัตราเบิกจ่ายรายยุทธศาสตร์ (Disbursement by strategy)", 2)
    st = fig.budget["strategy"]
    picture(doc, strategy_bars([str(x) for x in st["label"]],
                               [None if r is None else float(r) for r in
                                st["disbursement_rate"].tolist()],
                               fig.targets.overall,
                               "อัตราเบิกจ่ายสะสมรายยุทธศาสตร์เทียบเป้าหมาย"), 16)
    heading(doc, "3.6 การเบิกจ่ายสะสมเทียบเป้าหมายรายไตรมาส (The year's curve)", 2)
    targets, actual = curve_data(ed)
    prev = fig.previous_year
    prev_point = ((int(prev["quarter"]), float(prev["rate"]))
                  if prev and prev.get("rate") is not None else None)
    picture(doc, disbursement_curve([1, 2, 3, 4], targets, actual, prev_point,
                                    f"การเบิกจ่ายสะสมเทียบเป้าหมาย ปีงบประมาณ {ed.fiscal_year}"), 15)
    rows = [[f"ไตรมาส {q}", percent(targets[q - 1]),
             percent(actual.get(q)) if q in actual else "-"] for q in (1, 2, 3, 4)]
    table(doc, ["ไตรมาส", "เป้าหมายสะสม", "ผลเบิกจ่ายสะสม"], rows, [4, 4, 4], "lrr")
    heading(doc, "3.7 เทียบกับปีงบประมาณก่อน (Previous year)", 2)
    if not prev:
        para(doc, NO_PREVIOUS)
        return
    t = fig.budget_total
    table(doc, ["", "จัดสรร (บาท)", "เบิกจ่าย (บาท)", "อัตราเบิกจ่าย"], [
        [f"ปีงบประมาณ {prev['fiscal_year']} ไตรมาส {prev['quarter']}", baht(prev["allocated"]),
         baht(prev["disbursed"]), percent(prev["rate"])],
        [f"ปีงบประมาณ {fig.fiscal_year} ไตรมาส {fig.quarter}", baht(t["allocated"]),
         baht(t["disbursed"]), percent(t["disbursement_rate"])],
    ], [4.6, 3.9, 3.9, 3.6], "lrrr")
