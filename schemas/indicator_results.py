"""Submission sheet "indicators": the plan's indicators (locked) and the agency's inputs.

Columns A-F keep the layout of schema 1.0 (code, name, unit, direction, target, value); the
inputs of the other kinds follow, then the evidence and how the row is reported. Each row
has the input cells of its kind unlocked (schemas.choices.INDICATOR_KINDS):
numerator and denominator; a value and its weight; yes/no; or a value. The reader uses
these raw inputs, never a computed rate.
"""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, NUMBER, TEXT, col


class IndicatorResults(pa.DataFrameModel):
    indicator_code: Series[str] = col(
        "รหัสตัวชี้วัด", "Indicator code", CODE, required=True, locked=True, width=9
    )
    indicator_name: Series[str] = col(
        "ตัวชี้วัด", "Indicator", TEXT, required=True, locked=True, width=46
    )
    unit: Series[str] = col("หน่วยนับ", "Unit", TEXT, locked=True, width=10)
    direction: Series[str] = col("ทิศทาง", "Direction", TEXT, locked=True, width=12)
    target: Series[float] = col(
        "ค่าเป้าหมายของหน่วยงาน", "Agency target", NUMBER, locked=True, width=11
    )
    result: Series[float] = col(
        "ผล / ค่าเฉลี่ย / จำนวน", "Value", NUMBER, width=12,
        help_th="ตัวเลข เช่น 52.75 หรือ 3", help_en="a number, e.g. 52.75 or 3",
    )
    numerator: Series[float] = col(
        "ตัวตั้ง", "Numerator", NUMBER, ge=0, width=11,
        help_th="จำนวนที่ผ่านเกณฑ์ เช่น นักเรียนที่อ่านคล่อง", help_en="count meeting the criterion",
    )
    denominator: Series[float] = col(
        "ตัวหาร", "Denominator", NUMBER, ge=0, width=11,
        help_th="จำนวนทั้งหมด เช่น นักเรียนที่ได้รับการประเมิน", help_en="total count assessed",
    )
    weight: Series[float] = col(
        "จำนวนผู้เข้าสอบ/น้ำหนัก", "Weight (e.g. test takers)", NUMBER, width=12,
        help_th="จำนวนมากกว่า 0 เช่น จำนวนนักเรียนที่เข้าสอบ", help_en="more than 0, e.g. test takers",
    )
    answer: Series[str] = col(
        "มี/ไม่มี", "Yes / no", CHOICE, choices="yes_no", width=9,
        help_th="เลือก มี หรือ ไม่มี", help_en="pick yes or no",
    )
    evidence: Series[str] = col(
        "หลักฐาน/หมายเหตุ", "Evidence / remarks", TEXT, width=30
    )
    kind: Series[str] = col("วิธีรายงาน", "How to report", TEXT, locked=True, width=20)
