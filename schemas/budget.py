"""Submission sheet "budget": one row per project/activity, cumulative money in baht.

The template lists the agency's plan projects first (code, name, strategy, source,
category and output target locked), pre-filled with its last accepted report's amounts;
rows for activities not in the plan go below."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, MONEY, TEXT, col

MONEY_HELP_TH = "จำนวนเงินบาท ทศนิยมไม่เกิน 2 ตำแหน่ง ไม่ติดลบ ยอดสะสมตั้งแต่ 1 ต.ค."
MONEY_HELP_EN = "baht, at most 2 decimals, not negative, cumulative since 1 Oct"


class Budget(pa.DataFrameModel):
    project_code: Series[str] = col(
        "รหัสโครงการ", "Project code", CODE, required=True, width=14,
        help_th="รหัสโครงการ/กิจกรรม ไม่ซ้ำกัน", help_en="unique project/activity code",
    )
    project_name: Series[str] = col(
        "ชื่อโครงการ/กิจกรรม", "Project / activity", TEXT, required=True, width=44
    )
    strategy: Series[int] = col(
        "ยุทธศาสตร์", "Strategy", "choice", required=True, choices="strategy", width=30,
        help_th="เลือกจากรายการ", help_en="pick from the list",
    )
    budget_source: Series[str] = col(
        "แหล่งงบประมาณ", "Budget source", CHOICE, required=True, choices="budget_source", width=22,
        help_th="เลือกจากรายการ", help_en="pick from the list",
    )
    expenditure_category: Series[str] = col(
        "งบรายจ่าย", "Expenditure category", CHOICE, required=True,
        choices="expenditure_category", width=16,
        help_th="เลือกจากรายการ", help_en="pick from the list",
    )
    allocated: Series[int] = col(
        "งบประมาณที่ได้รับจัดสรร (บาท)", "Allocated (baht)", MONEY, required=True, ge=0, width=18,
        help_th=MONEY_HELP_TH, help_en=MONEY_HELP_EN,
    )
    committed: Series[int] = col(
        "ก่อหนี้ผูกพัน/PO (บาท)", "Committed / PO (baht)", MONEY, ge=0, width=18,
        help_th=MONEY_HELP_TH, help_en=MONEY_HELP_EN,
    )
    disbursed: Series[int] = col(
        "เบิกจ่ายสะสม (บาท)", "Disbursed, cumulative (baht)", MONEY, ge=0, width=18,
        help_th=MONEY_HELP_TH, help_en=MONEY_HELP_EN,
    )
    progress_status: Series[str] = col(
        "สถานะการดำเนินงาน", "Progress", CHOICE, choices="progress_status", width=20
    )
    remarks: Series[str] = col("หมายเหตุ", "Remarks", TEXT, width=30,
                               str_length={"max_value": 500})
    # Added with the plan's project register: older files without them stay readable.
    output_target: Series[str] = col(
        "เป้าหมายผลผลิต", "Output target", TEXT, locked=True, optional=True, width=26,
        help_th="จากแผน", help_en="from the plan")
    output_achieved: Series[str] = col(
        "ผลผลิตที่ได้", "Output achieved", TEXT, optional=True, width=26,
        str_length={"max_value": 500},
        help_th="ผลผลิตที่ทำได้เทียบกับเป้าหมาย", help_en="output achieved against the target")
