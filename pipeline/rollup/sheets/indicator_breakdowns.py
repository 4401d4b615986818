"""The quarter's indicators by affiliation and district."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    QuarterFigures,
)
from ..layout import HEADER_ROW, Col, Formats, _table, _titles, _verdict_colours, verdict_text

BREAKDOWN_COLS = [
    Col("รหัส", "Code", "code", "text", 8),
    Col("ตัวชี้วัด", "Indicator", "name", "wrap", 44),
    Col("สังกัด / อำเภอ", "Affiliation / district", "label", "wrap", 30),
    Col("ค่าเป้าหมายจังหวัด", "Provincial target", "target", "number", 16),
    Col("ผล", "Result", "figure", "number", 12),
    Col("ผลการประเมิน", "Verdict", lambda r: verdict_text(r.get("verdict")), "wrap", 20),
    Col("หน่วยงานที่รายงาน", "Reporters", "reported", "int", 11),
    Col("หน่วยงานที่ต้องรายงาน", "Expected", "expected", "int", 11),
]


def _indicator_breakdowns_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ตัวชี้วัดจำแนกตามสังกัดและอำเภอ (Indicators by affiliation and district)",
            sub)
    b = fig.indicator_breakdown
    top = HEADER_ROW
    for dim, (th, en) in (("affiliation", ("สังกัด", "affiliation")),
                          ("district", ("อำเภอ", "district"))):
        sh.write_string(top, 0, f"จำแนกตาม{th} (by {en})", fm.label)
        recs = b[b["dimension"] == dim].to_dict("records") if len(b) else []
        end = _table(sh, fm, top + 1, BREAKDOWN_COLS, recs)
        _verdict_colours(sh, fm, top + 2, end - 1, 5)
        top = end + 2
    sh.set_landscape()
    sh.set_paper(9)
    sh.fit_to_pages(1, 0)
