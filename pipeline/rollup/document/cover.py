"""The cover page and the contents: office, fiscal year, period, as-of date."""

from __future__ import annotations

from typing import Any

from ..layout import be_datetime
from .edition import Edition
from .style import heading, page_break, para


def write_cover(doc: Any, ed: Edition) -> None:
    for _ in range(3):
        para(doc)
    para(doc, ed.title, bold=True, size=26, align="center")
    para(doc, f"({ed.title_en})", size=18, align="center")
    para(doc)
    para(doc, ed.office, bold=True, size=20, align="center")
    para(doc, f"ปีงบประมาณ พ.ศ. {ed.fiscal_year}", size=18, align="center")
    para(doc, f"ระยะเวลาที่รายงาน {ed.period_text}", size=18, align="center")
    para(doc, f"ข้อมูล ณ {be_datetime(ed.as_of)}", size=18, align="center")
    for _ in range(6):
        para(doc)
    para(doc, "จัดทำจากรายงานที่ผ่านการตรวจสอบในฐานข้อมูล Edu Roll-up "
              "ตัวเลขทุกตัวตรงกับแฟ้มสรุปผล (Excel) ของรอบเดียวกัน", size=14, align="center")
    page_break(doc)


def write_contents(doc: Any, headings: list[str]) -> None:
    heading(doc, "สารบัญ (Contents)", 1)
    for h in headings:
        para(doc, h, indent_cm=0.5)
    page_break(doc)
