"""Plan sheet "projects": the project register (seed 000: รายละเอียดโครงการ วัตถุประสงค์
หน่วยงานที่รับผิดชอบ ระยะเวลา งบประมาณ ผลผลิต/ผลลัพธ์), with the mid-year revision
(ปรับแผนกลางปี) and budget passed on to reporting agencies (โอนจัดสรรให้สถานศึกษา).

An agency's template lists its projects from here; the roll-up's Projects sheet reads
them. A plan without this sheet still loads (it has no project register)."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, INT, MONEY, TEXT, col

_MONEY_TH = "บาท ทศนิยมไม่เกิน 2 ตำแหน่ง"
_MONEY_EN = "baht, at most 2 decimals"


class PlanProjects(pa.DataFrameModel):
    project_code: Series[str] = col(
        "รหัสโครงการ", "Project code", CODE, required=True, unique=True, width=14,
        str_matches=r"^[0-9A-Za-z\-_./]{1,30}$",
        help_th="รหัสไม่ซ้ำ เช่น P-01", help_en="unique, e.g. P-01",
    )
    name_th: Series[str] = col("ชื่อโครงการ", "Project name", TEXT, required=True, width=44,
                               str_length={"max_value": 300})
    strategy_no: Series[int] = col("ยุทธศาสตร์ที่", "Strategy no.", INT, required=True, ge=1,
                                   le=20, width=10)
    goal: Series[str] = col("กลยุทธ์", "Goal (under the strategy)", TEXT, width=24,
                            help_th="ว่างได้ ถ้าไม่ใช้ระดับกลยุทธ์",
                            help_en="optional, where the office uses this level")
    agency_code: Series[str] = col(
        "รหัสหน่วยงานที่รับผิดชอบ", "Responsible agency code", CODE, required=True, width=14,
        help_th="รหัสที่มีในแผ่นงานหน่วยงาน", help_en="a code of the agencies sheet",
    )
    unit: Series[str] = col("กลุ่มงาน/ผู้รับผิดชอบ", "Responsible unit / person", TEXT, width=24)
    period: Series[str] = col("ระยะเวลาดำเนินการ", "Period", TEXT, width=20,
                              help_th="เช่น ต.ค. 67 - ก.ย. 68", help_en="e.g. Oct 2024 - Sep 2025")
    budget_source: Series[str] = col(
        "แหล่งงบประมาณ", "Budget source", CHOICE, required=True, choices="budget_source",
        width=22)
    expenditure_category: Series[str] = col(
        "งบรายจ่าย", "Expenditure category", CHOICE, required=True,
        choices="expenditure_category", width=16)
    planned: Series[int] = col("งบประมาณตามแผน (บาท)", "Planned budget (baht)", MONEY,
                               required=True, ge=0, width=18, help_th=_MONEY_TH,
                               help_en=_MONEY_EN)
    output_target: Series[str] = col("เป้าหมายผลผลิต", "Output target", TEXT, width=30,
                                     str_length={"max_value": 500})
    outcome_target: Series[str] = col("เป้าหมายผลลัพธ์", "Outcome target", TEXT, width=30,
                                      str_length={"max_value": 500})
    revised_allocation: Series[int] = col(
        "งบประมาณหลังปรับแผน (บาท)", "Revised allocation (baht)", MONEY, ge=0, width=18,
        help_th="ปรับแผนกลางปี: ยอดจัดสรรใหม่ (ว่างได้)",
        help_en="mid-year revision: the new allocation (optional)")
    revised_from_quarter: Series[int] = col(
        "มีผลตั้งแต่ไตรมาส", "Revision from quarter", INT, ge=1, le=4, width=12,
        help_th="ไตรมาสที่ยอดใหม่มีผล (1-4)", help_en="quarter the revision takes effect (1-4)")
    passed_on: Series[str] = col(
        "โอนจัดสรรให้หน่วยงานที่รายงานเอง", "Passed on to reporting agencies", CHOICE,
        choices="passed_on", width=18,
        help_th="ใช่ = งบที่โอนจัดสรรให้สถานศึกษาซึ่งรายงานเอง ไม่นับซ้ำในยอดรวมจังหวัด",
        help_en="yes = passed on to schools that report it themselves; not counted twice")
