"""Plan sheet "settings": one value per row (province, fiscal year, due days)."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import DATE, EMAIL, INT, TEXT, col


class PlanSettings(pa.DataFrameModel):
    province: Series[str] = col("จังหวัด", "Province", TEXT, required=True, width=30)
    office_name: Series[str] = col(
        "หน่วยงานผู้รวบรวม", "Consolidating office", TEXT, required=True, width=40
    )
    office_email: Series[str] = col(
        "อีเมลสำนักงาน", "Office e-mail (replies are sent from it)", EMAIL, required=True
    )
    fiscal_year: Series[int] = col(
        "ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)", INT, required=True, ge=2500, le=2700,
        help_th="ปีงบประมาณแบบ พ.ศ. เช่น 2568", help_en="Buddhist Era year, e.g. 2568",
    )
    due_day: Series[int] = col(
        "วันครบกำหนดส่ง (วันที่)", "Due day of month", INT, required=True, ge=1, le=28,
        help_th="วันที่ของเดือนถัดจากสิ้นไตรมาส (ปกติ 15)",
        help_en="day of the month after the quarter (usually 15)",
    )
    due_date_q1: Series[object] = col("วันครบกำหนด ไตรมาส 1", "Due date Q1 (override)", DATE)
    due_date_q2: Series[object] = col("วันครบกำหนด ไตรมาส 2", "Due date Q2 (override)", DATE)
    due_date_q3: Series[object] = col("วันครบกำหนด ไตรมาส 3", "Due date Q3 (override)", DATE)
    due_date_q4: Series[object] = col("วันครบกำหนด ไตรมาส 4", "Due date Q4 (override)", DATE)
    open_quarters: Series[str] = col(
        "ไตรมาสที่เปิดรับรายงาน", "Quarters open for reports", TEXT, required=True,
        help_th="เช่น 1,2", help_en="e.g. 1,2",
    )
