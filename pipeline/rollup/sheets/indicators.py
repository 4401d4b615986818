"""The quarter's indicators: provincial result against the provincial target, grouped
by strategy."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    QuarterFigures,
    blank,
)
from ..layout import (
    HEADER_ROW,
    Col,
    Formats,
    _grouped_table,
    _improved_text,
    _page,
    _strategy_groups,
    _titles,
    _verdict_colours,
    verdict_text,
)

INDICATOR_COLS = [
    Col("รหัส", "Code", "code", "text", 8),
    Col("ตัวชี้วัด", "Indicator", "name", "wrap", 44),
    Col("ชนิด", "Kind", "kind_label", "wrap", 18),
    Col("หน่วยนับ", "Unit", "unit_label", "wrap", 12),
    Col("ค่าเป้าหมายจังหวัด", "Provincial target", "target", "number", 12),
    Col("ผลระดับจังหวัด", "Provincial result", "figure", "number", 13),
    Col("ผลการประเมิน", "Verdict", lambda r: verdict_text(r.get("verdict")), "wrap", 18),
    Col("หน่วยงานที่รายงาน", "Reporters", "reported", "int", 11),
    Col("หน่วยงานที่ต้องรายงาน", "Expected", "expected", "int", 11),
    Col("ค่าฐาน (ปีก่อน)", "Baseline", "previous", "number", 12),
    Col("ที่มาค่าฐาน", "Baseline from", lambda r: {
        "ledger": "ผลปีก่อนจากฐานข้อมูล (ledger)", "plan": "แผน (plan)"}.get(
        r.get("previous_source") or ""), "wrap", 16),
    Col("เปลี่ยนแปลง", "Change", "change", "number", 11),
    Col("ดีขึ้น/ไม่ดีขึ้น", "Better / worse", _improved_text, "wrap", 14),
    Col("ผลของไตรมาส", "Results of", lambda r: None if blank(r.get("counted_quarter")) else (
        f"ไตรมาส {int(r['counted_quarter'])}" + (
            f" ปีการศึกษา {int(r['academic_year'])}" if not blank(r.get("academic_year"))
            else "")), "wrap", 14),
]
VERDICT_COL = 6


def _indicators_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ผลการดำเนินงานตามตัวชี้วัด: ผลระดับจังหวัดเทียบค่าเป้าหมายจังหวัด "
            "(Indicators: the province against its targets)", sub)
    recs = _strategy_groups(fig, fig.indicators.to_dict("records") if len(fig.indicators)
                            else [])
    nxt = _grouped_table(sh, fm, HEADER_ROW, INDICATOR_COLS, recs)
    _verdict_colours(sh, fm, HEADER_ROW + 1, nxt - 1, VERDICT_COL)
    if nxt - 1 > HEADER_ROW:  # every column filters (the strategy headings are rows too)
        sh.autofilter(HEADER_ROW, 0, nxt - 1, len(INDICATOR_COLS) - 1)
    sh.set_row(nxt + 1, 66)
    sh.merge_range(nxt + 1, 0, nxt + 1, 9, "", fm.note)
    sh.write_string(nxt + 1, 0, (
        "ผลระดับจังหวัดคำนวณตามชนิดของตัวชี้วัด: ร้อยละจากจำนวนนับ = ผลรวมตัวตั้ง ÷ ผลรวมตัวหาร; "
        "จำนวนและบาท = ผลรวม; ค่าเฉลี่ยถ่วงน้ำหนัก = ถ่วงด้วยจำนวนผู้เข้าสอบ; มี/ไม่มี = ร้อยละของหน่วยงาน"
        "ที่ตอบมี; ค่าเฉลี่ยต่อหน่วยงาน = ค่าเฉลี่ยของหน่วยงานที่รายงาน (ไม่รวมหรือหามัธยฐานของร้อยละ) / "
        "The provincial result follows the indicator's kind: percent from counts = sum of "
        "numerators / sum of denominators; counts and baht = sum; weighted mean = weighted "
        "by test takers; yes/no = share of agencies answering yes; per-agency average = mean "
        "over reporters (never a sum or median of rates). See docs/indicators.md."), fm.note)
    _page(sh, HEADER_ROW, len(INDICATOR_COLS), 2)
