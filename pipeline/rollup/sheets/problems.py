"""Rejected and warned files of the quarter and their problems."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    QuarterFigures,
)
from ..layout import HEADER_ROW, Col, Formats, _page, _table, _titles, received_cell

PROBLEM_COLS = [
    Col("เลขที่", "Submission", "submission_id", "int", 12),
    Col("รหัสหน่วยงาน", "Agency code", "agency_code", "text", 13),
    Col("หน่วยงาน", "Agency", "agency_name", "wrap", 28),
    Col("ไฟล์", "File", "original_name", "wrap", 26),
    Col("ได้รับเมื่อ", "Received", "received", "datetime", 19),
    Col("สถานะ", "Status", "status_label", "text", 16),
    Col("ระดับ", "Severity", "severity_label", "wrap", 18),
    Col("รหัสปัญหา", "Code", "code", "text", 32),
    Col("แผ่นงาน", "Sheet", "sheet", "text", 18),
    Col("เซลล์", "Cell", "cell", "text", 8),
    Col("คอลัมน์", "Column", "column_label", "wrap", 20),
    Col("ค่าที่พบ", "Value seen", "value", "wrap", 18),
    Col("ปัญหา", "Problem", "message_th", "wrap", 40),
    Col("Problem (English)", "", "message_en", "wrap", 40),
    Col("วิธีแก้", "Fix", "fix_th", "wrap", 36),
]
STATUS_LABELS = {
    "accepted": "รับแล้ว (accepted)", "superseded": "ถูกแทนที่ (superseded)",
    "rejected": "ส่งคืน (rejected)", "quarantined": "กักไว้ (quarantined)",
    "duplicate": "ซ้ำ (duplicate)",
}


def problem_records(fig: QuarterFigures) -> list[dict[str, Any]]:
    """The period's recorded problems plus the cross-quarter findings computed now."""
    names = {a.code: a.name_th for a in fig.plan.agencies.values()}
    df = fig.problems
    recs = []
    recorded = set()
    for r in (df.to_dict("records") if len(df) else []):
        if r.get("code") == "crossquarter.cumulative-fell":
            recorded.add((r["submission_id"], r.get("cell"), r.get("column_label")))
        recs.append(r)
    subs = fig.current.set_index("id") if len(fig.current) else None
    for f in fig.cross_quarter:
        p = f.problem()
        if (f.submission_id, p.cell, p.column) in recorded:
            continue
        s = subs.loc[f.submission_id] if subs is not None else {}
        recs.append({"submission_id": f.submission_id, "agency_code": f.agency_code,
                     "original_name": f.file, "received_at": s.get("received_at"),
                     "status": "accepted", "reason": None, "code": p.code,
                     "severity": p.severity, "sheet": p.sheet, "cell": p.cell,
                     "column_label": p.column, "value": p.value, "message_th": p.message_th,
                     "message_en": p.message_en, "fix_th": p.fix_th, "fix_en": p.fix_en})
    for r in recs:
        r["agency_name"] = names.get(r.get("agency_code") or "", None)
        r["received"] = received_cell(r.get("received_at"))
        r["status_label"] = STATUS_LABELS.get(r.get("status") or "", r.get("status"))
        sev = r.get("severity")
        r["severity_label"] = {"error": "ข้อผิดพลาด (error)", "warning": "คำเตือน (warning)"}.get(
            sev or "", None)
        if r.get("code") is None:  # a rejected file without itemised problems
            r["message_th"] = r.get("reason")
    recs.sort(key=lambda r: (str(r.get("received_at") or ""), int(r["submission_id"])))
    return recs


def _problems_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ไฟล์ที่ถูกส่งคืนหรือมีคำเตือน และปัญหาที่พบ (Rejected and warned files)",
            sub)
    recs = problem_records(fig)
    nxt = _table(sh, fm, HEADER_ROW, PROBLEM_COLS, recs)
    if recs:
        sh.autofilter(HEADER_ROW, 0, nxt - 1, len(PROBLEM_COLS) - 1)
    else:
        sh.write_string(HEADER_ROW + 1, 0, "ไม่มีปัญหา (no problems)", fm.text)
    _page(sh, HEADER_ROW, len(PROBLEM_COLS), 2)
