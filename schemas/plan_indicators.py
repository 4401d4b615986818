"""Plan sheet "indicators": indicators, who reports them, and the year's target."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, INT, NUMBER, TEXT, col


class PlanIndicators(pa.DataFrameModel):
    indicator_code: Series[str] = col(
        "รหัสตัวชี้วัด", "Indicator code", CODE, required=True, unique=True, width=12,
        str_matches=r"^[0-9A-Za-z.\-_]{1,20}$",
    )
    name_th: Series[str] = col("ตัวชี้วัด", "Indicator (Thai)", TEXT, required=True, width=60)
    unit: Series[str] = col("หน่วยนับ", "Unit", CHOICE, required=True, choices="unit", width=14)
    direction: Series[str] = col(
        "ทิศทาง", "Direction", CHOICE, required=True, choices="direction", width=16
    )
    strategy_no: Series[int] = col(
        "ยุทธศาสตร์ที่", "Strategy no.", INT, required=True, ge=1, le=20, width=10
    )
    agency_types: Series[str] = col(
        "ประเภทหน่วยงานที่รายงาน", "Reported by agency types", TEXT, required=True, width=30,
        help_th="ทั้งหมด หรือชื่อประเภทคั่นด้วย ,", help_en="'ทั้งหมด' (all) or types separated by ,",
    )
    target: Series[float] = col("ค่าเป้าหมาย", "Target", NUMBER, required=True, width=12)
    previous_result: Series[float] = col(
        "ผลปีที่แล้ว (จังหวัด)", "Last year's provincial result", NUMBER, width=14
    )
    plausible_min: Series[float] = col("ค่าต่ำสุดที่สมเหตุผล", "Plausible minimum", NUMBER, width=12)
    plausible_max: Series[float] = col("ค่าสูงสุดที่สมเหตุผล", "Plausible maximum", NUMBER, width=12)
