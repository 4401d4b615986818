"""The year-end report's about sheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ... import calendar as fcal
from ...consolidate import (
    QuarterFigures,
)
from ...plan import Plan, plan_fingerprint
from ..layout import HEADER_HEIGHT, HEADER_ROW, Formats, _page, _put, _titles, be_datetime, fit_row
from .about import METHODS


def _annual_about(sh: Any, fm: Formats, plan: Plan, fy: int, figs: list[QuarterFigures],
                  as_of: datetime | None, sub: str) -> None:
    _titles(sh, fm, "เกี่ยวกับรายงานประจำปี (About the annual report)", sub)
    sh.set_column(0, 0, 42)
    sh.set_column(1, 2, 60)
    facts: list[tuple[str, Any, str]] = [
        ("ข้อมูล ณ (as of)", be_datetime(as_of), "รายงานที่ผ่านการตรวจสอบล่าสุด / latest accepted"),
        ("ปีงบประมาณ (fiscal year)", str(fy),
         f"{fcal.format_thai_date(fcal.fiscal_year_bounds(fy)[0])} – "
         f"{fcal.format_thai_date(fcal.fiscal_year_bounds(fy)[1])}"),
        ("รหัสแผน (plan fingerprint)", plan_fingerprint(plan), ""),
    ]
    for fig in figs:
        c = fig.status_counts
        facts.append((f"ไตรมาส {fig.quarter} (Q{fig.quarter}) ไฟล์", (
            f"รับ {c.get('accepted', 0)} · ส่งคืน {c.get('rejected', 0)} · กักไว้ "
            f"{c.get('quarantined', 0)} / accepted {c.get('accepted', 0)}, rejected "
            f"{c.get('rejected', 0)}, quarantined {c.get('quarantined', 0)}"),
            f"ข้อมูล ณ {be_datetime(fig.as_of)}"))
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate((("รายการ", "Item"), ("ค่า", "Value"), ("หมายเหตุ", "Note"))):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    r = HEADER_ROW + 1
    for label, value, note in facts:
        sh.write_string(r, 0, label, fm.label)
        _put(sh, r, 1, value, fm.wrap)
        sh.write_string(r, 2, note, fm.wrap)
        fit_row(sh, r, [(str(value), 60), (note, 60)])
        r += 1
    r += 1
    sh.set_row(r, 30)  # the 18 pt title
    sh.write_string(r, 0, "วิธีคำนวณ (How each figure is computed)", fm.title)
    r += 1
    for th, en, text_th, text_en in [("ไตรมาส", "Quarters",
                                      "ยอดสะสม 3, 6, 9, 12 เดือน ไตรมาส 4 คือทั้งปี",
                                      "cumulative 3, 6, 9 and 12 months; Q4 is the year"),
                                     *METHODS]:
        sh.write_string(r, 0, f"{th} ({en})", fm.label)
        sh.write_string(r, 1, text_th, fm.wrap)
        sh.write_string(r, 2, text_en, fm.wrap)
        fit_row(sh, r, [(text_th, 60), (text_en, 60)])
        r += 1
    _page(sh, HEADER_ROW, 3)
