"""The year-end report's summary sheet, the one it opens on: the year's headline and
each quarter's budget, indicators and reporting side by side."""

from __future__ import annotations

from typing import Any

from ...consolidate import QuarterFigures
from ..layout import HEADER_ROW, Col, Formats, _page, _table, _titles
from .annual_completeness import _not_yet
from .annual_indicators import year_headline

SUMMARY_COLS = [
    Col("ไตรมาส", "Quarter", "label", "wrap", 26),
    Col("จัดสรร (บาท)", "Allocated (baht)", "allocated", "money", 17),
    Col("เบิกจ่ายสะสม (บาท)", "Disbursed (baht)", "disbursed", "money", 17),
    Col("อัตราเบิกจ่ายสะสม", "Disbursement rate", "disbursement_rate", "rate", 13),
    Col("เป้าหมายสะสม", "Cumulative target", "target", "rate", 13),
    Col("ตัวชี้วัดที่บรรลุ", "Indicators achieved", "achieved", "int", 12),
    Col("ตัวชี้วัดที่ถึงรอบ", "Indicators due", "due", "int", 12),
    Col("หน่วยงานที่ส่ง", "Agencies reported", "submitted", "int", 12),
    Col("หน่วยงานที่ต้องส่ง", "Agencies expected", "expected", "int", 12),
    Col("ความครบถ้วน", "Completeness", "submitted_rate", "rate", 13),
]


def quarter_summary(fig: QuarterFigures) -> dict[str, Any]:
    """One quarter's line: blank where nothing was reported yet (not zero)."""
    rec: dict[str, Any] = {"label": f"ไตรมาส {fig.quarter} (Q{fig.quarter}, "
                                    f"{3 * fig.quarter} เดือน/months)"}
    if not len(fig.current):
        rec["target"] = fig.budget_total["target"]
        rec["expected"] = fig.completeness_total["expected"]
        if _not_yet(fig):
            rec["label"] += " ยังไม่เปิดรับ (not open)"
        return rec
    t, ct = fig.budget_total, fig.completeness_total
    achieved, due = fig.indicators_achieved
    return {**rec, "allocated": t["allocated"], "disbursed": t["disbursed"],
            "disbursement_rate": t["disbursement_rate"], "target": t["target"],
            "achieved": achieved, "due": due, "submitted": ct["submitted"],
            "expected": ct["expected"], "submitted_rate": ct["submitted_rate"]}


def _annual_summary(sh: Any, fm: Formats, figs: list[QuarterFigures], sub: str) -> None:
    _titles(sh, fm, "สรุปผลการดำเนินงานประจำปี (Summary of the year)", sub)
    nxt = _table(sh, fm, HEADER_ROW, SUMMARY_COLS, [quarter_summary(f) for f in figs])
    sh.set_row(nxt + 1, 30)
    sh.write_string(nxt + 1, 0, year_headline(figs), fm.big_text)
    sh.write_string(nxt + 2, 0, "ไตรมาส 4 คือผลทั้งปี; รายละเอียดอยู่ในแผ่นงานถัดไป / Q4 is the year; "
                    "the sheets that follow give the detail", fm.text)
    _page(sh, HEADER_ROW, len(SUMMARY_COLS), 1)
    sh.fit_to_pages(1, 1)
