"""Completeness and timeliness of the quarter's reports, and the agencies to chase."""

from __future__ import annotations

from typing import Any

from ... import calendar as fcal
from ...consolidate import (
    STATE_LABELS,
    QuarterFigures,
    choice_label,
)
from ..layout import HEADER_ROW, Col, Formats, _page, _table, _titles, received_cell

COMPLETENESS_COLS = [
    Col("รหัส", "Key", "key", "text", 15),
    Col("สังกัด / อำเภอ", "Affiliation / district", "label", "wrap", 40),
    Col("ต้องส่ง", "Expected", "expected", "int", 10),
    Col("ส่งแล้ว", "Submitted", "submitted", "int", 10),
    Col("ตรงเวลา", "On time", "on_time", "int", 10),
    Col("ล่าช้า", "Late", "late", "int", 10),
    Col("ถูกส่งคืน ยังไม่แก้ไข", "Rejected, not fixed", "rejected", "int", 18),
    Col("ยังไม่ส่ง", "Missing", "missing", "int", 19),  # the chase list's received date below
    Col("ความครบถ้วน", "Submitted rate", "submitted_rate", "rate", 12),
    Col("ตรงเวลา (%)", "On-time rate", "on_time_rate", "rate", 12),
]


def _completeness_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> tuple[int, int]:
    _titles(sh, fm, "ความครบถ้วนและความทันเวลาของการส่งรายงาน (Completeness and timeliness)",
            sub + f" · กำหนดส่ง (due) {fcal.format_thai_date(fig.plan.due_date(fig.quarter))}")
    aff = fig.completeness_by["affiliation"]
    nxt = _table(sh, fm, HEADER_ROW, COMPLETENESS_COLS, aff.to_dict("records"),
                 fig.completeness_total)
    chart_rows = (HEADER_ROW + 1, nxt - 2)
    top = nxt + 2
    sh.write_string(top, 0, "รายอำเภอ (by district)", fm.label)
    nxt = _table(sh, fm, top + 1, COMPLETENESS_COLS, fig.completeness_by["district"]
                 .to_dict("records"), fig.completeness_total, set_widths=False)
    top = nxt + 2
    sh.write_string(top, 0, "หน่วยงานที่ต้องติดตาม (Agencies to chase)", fm.label)
    recs = []
    for r in fig.chase.to_dict("records"):
        th, en = STATE_LABELS[r["state"]]
        recs.append({**r, "state_label": f"{th} ({en})",
                     "affiliation_label": choice_label("affiliation", r["affiliation"]),
                     "received": received_cell(r["received_at"])})
    cols = [Col("รหัสหน่วยงาน", "Agency code", "agency_code"),
            Col("หน่วยงาน", "Agency", "agency_name", "wrap"),
            Col("สังกัด", "Affiliation", "affiliation_label", "wrap"),
            Col("อำเภอ", "District", "district"),
            Col("สถานะ", "State", "state_label", "wrap"),
            Col("อีเมลติดต่อ", "Contact e-mail", "emails", "wrap"),
            Col("ไฟล์ล่าสุด", "Latest file", "file", "wrap"),
            Col("ได้รับเมื่อ", "Received", "received", "datetime"),
            Col("เหตุผล", "Reason", "reason", "wrap")]
    _table(sh, fm, top + 1, cols, recs, set_widths=False)
    _page(sh, HEADER_ROW, len(COMPLETENESS_COLS), 2)
    return chart_rows
