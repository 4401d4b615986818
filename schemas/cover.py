"""Submission sheet "cover": who reports, for which agency, year and quarter."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CODE, DATE, EMAIL, INT, TEXT, col


class Cover(pa.DataFrameModel):
    agency_code: Series[str] = col("รหัสหน่วยงาน", "Agency code", CODE, required=True, locked=True)
    agency_name: Series[str] = col("ชื่อหน่วยงาน", "Agency name", TEXT, required=True, locked=True)
    fiscal_year: Series[int] = col(
        "ปีงบประมาณ (พ.ศ.)", "Fiscal year (BE)", INT, required=True, locked=True
    )
    quarter: Series[int] = col("ไตรมาส", "Quarter", INT, required=True, locked=True, ge=1, le=4)
    period: Series[str] = col("ช่วงเวลาที่รายงาน (สะสม)", "Period covered (cumulative)", TEXT, locked=True)
    due_date: Series[object] = col("กำหนดส่ง", "Due date", DATE, locked=True)
    reporter_name: Series[str] = col(
        "ชื่อ-สกุล ผู้รายงาน", "Reporter's name", TEXT, required=True,
        help_th="ชื่อและนามสกุลผู้กรอกรายงาน", help_en="full name of the person reporting",
    )
    reporter_position: Series[str] = col("ตำแหน่ง", "Position", TEXT)
    reporter_phone: Series[str] = col("โทรศัพท์", "Phone", TEXT, help_th="เช่น 045-612345")
    reporter_email: Series[str] = col("อีเมล", "E-mail", EMAIL)
    report_date: Series[object] = col(
        "วันที่รายงาน", "Report date", DATE,
        help_th="วัน เดือน ปี พ.ศ. เช่น 10 ม.ค. 2568", help_en="date, e.g. 10 Jan 2568 (BE)",
    )
