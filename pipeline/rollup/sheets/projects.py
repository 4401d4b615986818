"""The quarter's projects by strategy: planned, allocated, committed, disbursed, rate,
progress and output against target, plan projects and unplanned activities, with the
headline counts (done / in progress / not started / no data) and what the figures cover."""

from __future__ import annotations

from typing import Any

from schemas.choices import by_key

from ...consolidate import QuarterFigures, baht_text
from ..layout import HEADER_ROW, Col, Formats, _fmt, _page, _put, _table, _titles

NO_DATA_TEXT = "ไม่มีข้อมูล: ไม่มีรายงานที่ผ่านการตรวจ (no data: no accepted report)"
NO_REGISTER = "แผนนี้ไม่มีทะเบียนโครงการ / this plan has no project register"


def _progress_label(key: str) -> str:
    if key == "no_data":
        return NO_DATA_TEXT
    c = by_key("progress_status").get(key)
    return f"{c.th} ({c.en})" if c else key


COLS = [
    Col("รหัสโครงการ", "Project code", "project_code", "text", 11),
    Col("โครงการ/กิจกรรม", "Project / activity", "project", "wrap", 36),
    Col("หน่วยงานที่รับผิดชอบ", "Responsible agency", "agency_name", "wrap", 30),
    Col("ตามแผน/นอกแผน", "Planned / unplanned", "_in_plan", "text", 14),
    Col("งบตามแผน (บาท)", "Planned (baht)", "planned", "money", 15),
    Col("ได้รับจัดสรร (บาท)", "Allocated (baht)", "allocated", "money", 15),
    Col("ก่อหนี้ผูกพัน (บาท)", "Committed (baht)", "committed", "money", 15),
    Col("เบิกจ่าย (บาท)", "Disbursed (baht)", "disbursed", "money", 15),
    Col("อัตราเบิกจ่าย", "Rate", "rate", "rate", 10),
    Col("สถานะ", "Progress", "_progress", "wrap", 22),
    Col("เป้าหมายผลผลิต", "Output target", "output_target", "wrap", 26),
    Col("ผลผลิตที่ได้", "Output achieved", "output_achieved", "wrap", 26),
    Col("หมายเหตุ", "Remarks", "remarks", "wrap", 24),
]


def headline(counts: dict[str, int]) -> str:
    return (f"โครงการทั้งหมด {counts['total']} · แล้วเสร็จ {counts['done']} · "
            f"ระหว่างดำเนินการ {counts['in_progress']} · ยังไม่ดำเนินการ {counts['not_started']} · "
            f"ไม่มีข้อมูล {counts['no_data']} (projects {counts['total']}: done "
            f"{counts['done']}, in progress {counts['in_progress']}, not started "
            f"{counts['not_started']}, no data {counts['no_data']})")


def coverage_text(fig: QuarterFigures) -> str:
    """What the quarter's figures cover, one sentence in Thai and English."""
    c = fig.coverage
    if not c:
        return ""
    counted, expected = c.get("agencies_counted", 0), c.get("agencies_expected", 0)
    text = (f"ตัวเลขนับจากรายงานที่ผ่านการตรวจของ {counted} จาก {expected} หน่วยงาน "
            f"(figures cover {counted} of {expected} agencies)")
    if c.get("planned_total"):
        covered, total = c["planned_covered"], c["planned_total"]
        text += (f"; งบตามแผนของหน่วยงานเหล่านี้ {baht_text(covered)} จาก {baht_text(total)} บาท "
                 f"({covered / total:.1%}) (planned budget covered: {baht_text(covered)} of "
                 f"{baht_text(total)} baht)")
    if c.get("passed_on"):
        text += (f"; งบที่โอนจัดสรรให้หน่วยงานที่รายงานเอง {baht_text(c['passed_on'])} บาท "
                 f"ไม่นับซ้ำในยอดรวม (passed on to agencies that report it themselves, "
                 f"not counted twice)")
    for r in c.get("revisions", []):
        text += (f"; ปรับแผนกลางปี {r['project_code']} ตั้งแต่ไตรมาส {r['from_quarter']}: "
                 f"{baht_text(r['allocated_before'])} → {baht_text(r['allocated_after'])} บาท "
                 f"(mid-year revision)")
    return text


def _projects_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "โครงการรายยุทธศาสตร์ (Projects by strategy)", sub)
    projects = fig.projects
    sh.write_string(2, 0, headline(fig.project_counts) if len(projects) else NO_REGISTER,
                    fm.label)
    nxt = _table(sh, fm, HEADER_ROW, COLS, [])
    strategies = fig.plan.strategies
    fmts = [_fmt(fm, c.kind) for c in COLS]
    r = nxt
    for no, group in (projects.groupby("strategy_no", sort=True) if len(projects) else []):
        s = strategies.get(int(no))
        label = s.label if s else f"{no}. ?"
        sh.merge_range(r, 0, r, len(COLS) - 1, "", fm.group)
        sh.write_string(r, 0, f"ยุทธศาสตร์ที่ {label} (strategy {no})", fm.group)
        r += 1
        for rec in group.to_dict("records"):
            rec["_in_plan"] = "ตามแผน (planned)" if rec["in_plan"] else "นอกแผน (unplanned)"
            rec["_progress"] = _progress_label(rec["progress"])
            rec = {k: (None if v == "" else v) for k, v in rec.items()}  # blank, not ""
            for c, col in enumerate(COLS):
                _put(sh, r, c, col.value(rec), fmts[c])
            r += 1
    if not len(projects) and not fig.plan.projects:
        sh.write_string(r, 0, NO_REGISTER, fm.note)
        r += 1
    cover = coverage_text(fig)
    if cover:
        sh.merge_range(r + 1, 0, r + 1, len(COLS) - 1, "", fm.note)
        sh.write_string(r + 1, 0, cover, fm.note)
        sh.set_row(r + 1, 66)
    _page(sh, HEADER_ROW, len(COLS), 2)
