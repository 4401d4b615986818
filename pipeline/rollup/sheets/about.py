"""The quarter's about sheet: facts of the run and how each figure is computed."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

from ... import calendar as fcal
from ...consolidate import (
    QuarterFigures,
)
from ...plan import plan_fingerprint
from ..layout import (
    HEADER_HEIGHT,
    HEADER_ROW,
    SHEETS,
    Formats,
    _page,
    _put,
    _titles,
    be_datetime,
    fit_row,
)

# ---- about ---------------------------------------------------------------------------------------
METHODS = [
    ("ข้อมูลที่นับ", "What counts",
     "รายงานที่ผ่านการตรวจสอบล่าสุดของแต่ละหน่วยงานในปีงบประมาณและไตรมาสนี้ (ไฟล์ที่ส่งใหม่แทนที่ไฟล์เดิม)",
     "The latest accepted report of each agency for this fiscal year and quarter (a newer "
     "accepted file supersedes the older one)."),
    ("ยอดเงิน", "Money",
     "ยอดสะสมตั้งแต่ 1 ต.ค. รวมจากรายโครงการเป็นจำนวนเต็มสตางค์ ตรงกันทุกระดับ",
     "Cumulative since 1 October, summed per project in whole satang; totals reconcile at "
     "every level."),
    ("อัตราเบิกจ่าย", "Disbursement rate",
     "เบิกจ่าย ÷ จัดสรร; อัตราใช้จ่าย = (ก่อหนี้ผูกพัน + เบิกจ่าย) ÷ จัดสรร; เทียบกับเป้าหมายสะสมของแผน",
     "disbursed ÷ allocated; spent rate = (committed + disbursed) ÷ allocated; compared with "
     "the plan's cumulative target for the quarter."),
    ("รายจ่ายลงทุน/ประจำ", "Capital / current",
     "รายจ่ายลงทุน = งบลงทุน; รายจ่ายประจำ = งบรายจ่ายอื่นทั้งหมด",
     "capital = investment; current = every other expenditure category."),
    ("สีสถานะ", "Traffic lights",
     "เขียว: ถึงเป้า; เหลือง: ต่ำกว่าเป้าไม่เกิน 10 จุด; แดง: ต่ำกว่าเป้าเกิน 10 จุด",
     "green: at or above target; amber: up to 10 points behind; red: further behind."),
    ("ตัวชี้วัด", "Indicators",
     "ผลระดับจังหวัดตามชนิด: ผลรวมตัวตั้ง ÷ ผลรวมตัวหาร, ผลรวม, ค่าเฉลี่ยถ่วงน้ำหนัก, ร้อยละของหน่วยงาน"
     "ที่ตอบมี, ค่าเฉลี่ยของหน่วยงาน; บรรลุ/ไม่บรรลุ = ผลจังหวัดเทียบค่าเป้าหมายจังหวัดตามทิศทาง; "
     "ข้อมูลไม่พอ = ผู้รายงานน้อยกว่าขั้นต่ำของแผน; ค่าฐาน = ผลปีงบประมาณก่อนจากฐานข้อมูล หรือจากแผน",
     "the provincial result by kind: sum of numerators / sum of denominators, sum, weighted "
     "mean, share of agencies answering yes, mean over agencies; achieved / not achieved = "
     "the provincial result against the provincial target by direction; too few reporters "
     "= fewer than the plan's minimum share; baseline = the previous fiscal year's figure "
     "from the ledger, else the plan's."),
    ("ความครบถ้วน", "Completeness",
     "ตามทะเบียนหน่วยงานของแผน; ล่าช้า = ได้รับหลังวันกำหนดส่ง; ถูกส่งคืน = ไฟล์ล่าสุดถูกส่งคืน/กักไว้ "
     "และยังไม่มีไฟล์ที่ผ่าน",
     "against the plan's registry; late = received after the due date; rejected = latest "
     "file rejected or quarantined and no accepted one."),
    ("ตรวจข้ามไตรมาส", "Cross-quarter check",
     "ยอดสะสมรายโครงการหรือรวมของหน่วยงานที่ลดลงจากไตรมาสก่อน แสดงเป็นคำเตือนในแผ่นงานปัญหา",
     "a project's or an agency's cumulative figure lower than last quarter is a warning on "
     "the problems sheet."),
]


def _about_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str, csv_path: Path | None,
                 data_rows: int) -> None:
    _titles(sh, fm, "เกี่ยวกับรายงานนี้ (About this roll-up)", sub)
    sh.set_column(0, 0, 42)
    sh.set_column(1, 1, 60)
    sh.set_column(2, 2, 60)
    counts = fig.status_counts
    facts = [
        ("ข้อมูล ณ (as of)", be_datetime(fig.as_of),
         "เวลาที่ได้รับรายงานที่ผ่านการตรวจสอบล่าสุด / received time of the latest accepted report"),
        ("เวลา (UTC)", fig.as_of.astimezone(UTC).isoformat() if fig.as_of else "-", ""),
        ("ปีงบประมาณ / ไตรมาส (fiscal year / quarter)", f"{fig.fiscal_year} / Q{fig.quarter}",
         fcal.period_text_th(fig.fiscal_year, fig.quarter)),
        ("กำหนดส่ง (due date)", fcal.format_thai_date(fig.plan.due_date(fig.quarter)), ""),
        ("รหัสแผน (plan fingerprint)", plan_fingerprint(fig.plan), ""),
        ("ไฟล์ที่รับ (files accepted)", counts.get("accepted", 0), "ไฟล์ที่ใช้คำนวณ / counted"),
        ("ไฟล์ที่ถูกแทนที่ (superseded)", counts.get("superseded", 0), ""),
        ("ไฟล์ที่ส่งคืน (rejected)", counts.get("rejected", 0), ""),
        ("ไฟล์ที่กักไว้ (quarantined)", counts.get("quarantined", 0), ""),
        ("ไฟล์ซ้ำ (duplicates)", counts.get("duplicate", 0), ""),
        ("แถวข้อมูลแบบยาว (long-format rows)", data_rows,
         (f"บันทึกเป็น {csv_path.name} ข้างไฟล์นี้ / written beside this file as {csv_path.name}"
          if csv_path else f"ในแผ่นงาน {SHEETS['data']} / on the data sheet")),
    ]
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate((("รายการ", "Item"), ("ค่า", "Value"), ("หมายเหตุ", "Note"))):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    r = HEADER_ROW + 1
    for label, value, note in facts:
        sh.write_string(r, 0, label, fm.label)
        _put(sh, r, 1, value, fm.int if isinstance(value, int) else fm.wrap)
        sh.write_string(r, 2, note, fm.wrap)
        fit_row(sh, r, [(str(value), 60), (note, 60)])
        r += 1
    r += 1
    sh.set_row(r, 30)  # the 18 pt title
    sh.write_string(r, 0, "วิธีคำนวณ (How each figure is computed)", fm.title)
    r += 1
    for th, en, text_th, text_en in METHODS:
        sh.write_string(r, 0, f"{th} ({en})", fm.label)
        sh.write_string(r, 1, text_th, fm.wrap)
        sh.write_string(r, 2, text_en, fm.wrap)
        fit_row(sh, r, [(text_th, 60), (text_en, 60)])
        r += 1
    _page(sh, HEADER_ROW, 3)
