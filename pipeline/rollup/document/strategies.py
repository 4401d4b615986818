"""Part 2, results strategy by strategy: the strategy's budget, its indicators (provincial
target, result, verdict) and its projects (budget, disbursed, progress)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from schemas.choices import by_key

from ...consolidate import QuarterFigures, blank
from ..layout import verdict_text
from .edition import Edition
from .style import baht, heading, number, para, percent, table, thai

HEADING = "ส่วนที่ 2 ผลการดำเนินงานตามยุทธศาสตร์ (Results by strategy)"
NO_REGISTER = "แผนนี้ไม่มีทะเบียนโครงการ / this plan has no project register"
PROJECTS_SHOWN = 15  # per strategy, largest allocation first; the workbook lists them all


def progress_text(key: Any) -> str:
    if blank(key) or key == "no_data":
        return "ไม่มีข้อมูล (no data)"
    c = by_key("progress_status").get(str(key))
    return c.th if c else str(key)


def _budget_line(fig: QuarterFigures, no: int) -> str:
    t = fig.budget["strategy"]
    rec = t[t["key"] == no].to_dict("records") if len(t) else []
    if not rec:
        return "ไม่มีรายการงบประมาณในยุทธศาสตร์นี้ (no budget lines)"
    r = rec[0]
    return (f"งบประมาณจัดสรร {baht(r['allocated'])} บาท เบิกจ่ายสะสม {baht(r['disbursed'])} บาท "
            f"อัตราเบิกจ่าย {percent(r['disbursement_rate'])} (เป้าหมายสะสม "
            f"{percent(r['target'])})")


def _indicators(doc: Any, ind: pd.DataFrame) -> None:
    if not len(ind):
        para(doc, "ไม่มีตัวชี้วัดในยุทธศาสตร์นี้ (no indicators)")
        return
    rows = [[r["code"], r["name"], thai(r["unit_label"]), number(r["target"]),
             number(r["figure"]), thai(verdict_text(r["verdict"])) or "-"]
            for r in ind.to_dict("records")]
    table(doc, ["รหัส", "ตัวชี้วัด", "หน่วยนับ", "ค่าเป้าหมายจังหวัด", "ผลระดับจังหวัด",
                "ผลการประเมิน"], rows, [1.4, 5.2, 2.0, 2.6, 2.6, 2.2], "lllrrl")


def _projects(doc: Any, projects: pd.DataFrame) -> None:
    if not len(projects):
        para(doc, "ไม่มีโครงการในยุทธศาสตร์นี้ (no projects under this strategy)")
        return
    shown = projects.sort_values("allocated", ascending=False, na_position="last",
                                 kind="stable").head(PROJECTS_SHOWN)
    rows = [[(r["project_code"] + " " if r["project_code"] else "") + r["project"]
             + ("" if r["in_plan"] else " (นอกแผน)") + f" ({r['agency_name']})",
             baht(r["allocated"]), baht(r["disbursed"]), percent(r["rate"]),
             thai(progress_text(r["progress"]))] for r in shown.to_dict("records")]
    table(doc, ["โครงการ/กิจกรรม (หน่วยงาน)", "จัดสรร (บาท)", "เบิกจ่าย (บาท)", "อัตรา",
                "ความก้าวหน้า"], rows, [4.8, 3.3, 3.3, 2.1, 2.5], "lrrrl")
    if len(projects) > len(shown):
        para(doc, f"แสดง {len(shown)} โครงการที่ได้รับจัดสรรมากที่สุด และอีก "
                  f"{len(projects) - len(shown)} โครงการ ดูในแฟ้มสรุปผล (Excel) / the "
                  f"{len(shown)} largest; {len(projects) - len(shown)} more in the workbook",
             size=14)


def write_strategies(doc: Any, ed: Edition) -> None:
    fig = ed.fig
    heading(doc, HEADING, 1)
    projects = fig.projects  # plan projects and unplanned activities, as consolidated
    if not fig.plan.projects:
        para(doc, NO_REGISTER)
    ind = fig.indicators
    for s in sorted(fig.plan.strategies.values(), key=lambda s: s.no):
        heading(doc, f"ยุทธศาสตร์ที่ {s.label}", 2)
        para(doc, _budget_line(fig, s.no), indent_cm=1.25)
        heading(doc, "ตัวชี้วัด (Indicators)", 3)
        _indicators(doc, ind[ind["strategy_no"] == s.no] if len(ind) else ind)
        if len(projects):
            heading(doc, "โครงการ/กิจกรรม (Projects)", 3)
            _projects(doc, projects[projects["strategy_no"] == s.no])
