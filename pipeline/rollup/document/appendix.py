"""The appendix: completeness by affiliation, the agencies that have not reported, how much
of the plan the counted reports cover, and where the figures come from."""

from __future__ import annotations

from typing import Any

from ... import calendar as fcal
from ...consolidate import STATE_LABELS, choice_label
from ...plan import plan_fingerprint
from ..layout import be_datetime
from .edition import Edition
from .style import baht, count, heading, para, percent, table, thai

HEADING = "ภาคผนวก การส่งรายงานของหน่วยงาน (Appendix: who has reported)"
ALL_REPORTED = "ทุกหน่วยงานส่งรายงานแล้ว / every agency has reported"


def write_appendix(doc: Any, ed: Edition) -> None:
    fig = ed.fig
    heading(doc, HEADING, 1)
    heading(doc, "ก. ความครบถ้วนของการส่งรายงานรายสังกัด (Completeness by affiliation)", 2)
    cols = ("expected", "submitted", "on_time", "late", "rejected", "missing")
    rows = [[thai(r["label"]), *(count(r[c]) for c in cols), percent(r["submitted_rate"])]
            for r in [*fig.completeness_by["affiliation"].to_dict("records"),
                      {**fig.completeness_total, "label": "รวม (Total)"}]]
    table(doc, ["สังกัด", "ต้องส่ง", "ส่งแล้ว", "ตรงเวลา", "ล่าช้า", "ถูกส่งคืน", "ยังไม่ส่ง",
                "ความครบถ้วน"], rows, [4.4, 1.4, 1.4, 1.4, 1.4, 1.6, 1.6, 2.4], "lrrrrrrr",
          bold_last=True)
    heading(doc, "ข. หน่วยงานที่ยังไม่ส่งรายงานหรือถูกส่งคืน (Agencies not yet reported)", 2)
    chase = fig.chase
    if not len(chase):
        para(doc, ALL_REPORTED)
    else:
        rows = [[r["agency_code"], r["agency_name"],
                 thai(choice_label("affiliation", r["affiliation"])),
                 r["district"], STATE_LABELS[r["state"]][0]] for r in chase.to_dict("records")]
        table(doc, ["รหัส", "หน่วยงาน", "สังกัด", "อำเภอ", "สถานะ"], rows,
              [3.1, 4.7, 3.0, 2.4, 2.8], "lllll")
    cov = fig.coverage
    heading(doc, "ค. ที่มาของตัวเลข (Where the figures come from)", 2)
    facts = [
        ["ข้อมูล ณ (as of)", be_datetime(ed.as_of)],
        ["ระยะเวลาที่รายงาน (period)", ed.period_text],
        ["กำหนดส่งรายงาน (due date)", fcal.format_thai_date(fig.plan.due_date(fig.quarter))],
        ["รหัสแผน (plan fingerprint)", plan_fingerprint(ed.plan)],
    ]
    if cov.get("agencies_expected"):
        facts.append(["หน่วยงานที่นับรวม (agencies counted)",
                      f"{count(cov['agencies_counted'])} จาก {count(cov['agencies_expected'])}"])
    if cov.get("planned_total"):
        facts.append(["งบตามแผนของหน่วยงานที่นับรวม (planned budget covered)",
                      f"{baht(cov['planned_covered'])} จาก {baht(cov['planned_total'])} บาท"])
    if cov.get("passed_on"):
        facts.append(["งบที่ส่งต่อให้หน่วยงานที่รายงานเอง ไม่นับซ้ำ (passed on, not counted twice)",
                      f"{baht(cov['passed_on'])} บาท"])
    table(doc, ["รายการ", "ค่า"], facts, [7, 9], "ll")
    revisions = cov.get("revisions") or []
    if revisions:
        heading(doc, "ง. การปรับงบประมาณจัดสรรระหว่างปี (Allocations revised during the year)", 2)
        rows = [[r["agency_code"], r["project_code"] or "-", f"ไตรมาส {r['from_quarter']}",
                 baht(r["allocated_before"]), baht(r["allocated_after"])] for r in revisions]
        table(doc, ["หน่วยงาน", "โครงการ", "ตั้งแต่", "จัดสรรเดิม (บาท)", "จัดสรรใหม่ (บาท)"],
              rows, [3.1, 3.0, 2.3, 3.8, 3.8], "lllrr")
    para(doc, "ตัวเลขในเอกสารนี้มาจากชุดตัวเลขเดียวกับแฟ้มสรุปผล (Excel) ของรอบเดียวกัน "
              "วิธีคำนวณดูได้ที่แผ่นงาน เกี่ยวกับ (About) / every figure here is the workbook's",
         size=14)
