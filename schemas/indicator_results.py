"""Submission sheet "indicators": the plan's indicators (locked) and the agency's results."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CODE, NUMBER, TEXT, col


class IndicatorResults(pa.DataFrameModel):
    indicator_code: Series[str] = col(
        "รหัสตัวชี้วัด", "Indicator code", CODE, required=True, locked=True, width=10
    )
    indicator_name: Series[str] = col(
        "ตัวชี้วัด", "Indicator", TEXT, required=True, locked=True, width=56
    )
    unit: Series[str] = col("หน่วยนับ", "Unit", TEXT, locked=True, width=12)
    direction: Series[str] = col("ทิศทาง", "Direction", TEXT, locked=True, width=14)
    target: Series[float] = col("ค่าเป้าหมาย", "Target", NUMBER, locked=True, width=12)
    result: Series[float] = col(
        "ผลการดำเนินงาน", "Result", NUMBER, width=14,
        help_th="ตัวเลข เช่น 95.87 (ร้อยละไม่ต้องใส่ %)", help_en="a number, e.g. 95.87",
    )
    evidence: Series[str] = col(
        "หลักฐาน/หมายเหตุ", "Evidence / remarks", TEXT, width=36
    )
