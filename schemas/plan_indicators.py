"""Plan sheet "indicators": each indicator's kind, who reports it and when, and its targets.

The kind (schemas.choices.INDICATOR_KINDS) fixes what agencies type and how the province's
figure is computed; the provincial target is what the verdict (บรรลุ / ไม่บรรลุ) uses, the
agency target only the agency's own feedback. See docs/indicators.md.
"""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, INT, NUMBER, PERCENT, TEXT, col


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
    target: Series[float] = col(
        "ค่าเป้าหมายระดับจังหวัด", "Provincial target", NUMBER, required=True, width=12
    )
    previous_result: Series[float] = col(
        "ค่าฐาน: ผลปีที่แล้ว (จังหวัด)", "Baseline: last year's provincial result", NUMBER,
        width=14,
    )
    plausible_min: Series[float] = col("ค่าต่ำสุดที่สมเหตุผล", "Plausible minimum", NUMBER, width=12)
    plausible_max: Series[float] = col("ค่าสูงสุดที่สมเหตุผล", "Plausible maximum", NUMBER, width=12)
    kind: Series[str] = col(
        "ชนิดตัวชี้วัด", "Indicator kind", CHOICE, required=True, choices="indicator_kind",
        width=26, help_th="วิธีรายงานและวิธีคำนวณผลระดับจังหวัด (ดู docs/indicators.md)",
        help_en="how agencies report it and how the province's figure is computed",
    )
    agency_target: Series[float] = col(
        "ค่าเป้าหมายระดับหน่วยงาน", "Agency target (optional)", NUMBER, width=12
    )
    levels: Series[str] = col(
        "ระดับที่เปิดสอน (สถานศึกษา)", "Levels taught (schools)", TEXT, width=30,
        help_th="ว่าง = ทุกหน่วยงานตามประเภท; หรือระดับคั่นด้วย , เช่น มัธยมศึกษาตอนต้น",
        help_en="empty = every agency of those types; or levels separated by ,",
    )
    report_quarter: Series[str] = col(
        "รอบการรายงาน", "Reporting rhythm", TEXT, width=16,
        help_th="ว่าง/ทุกไตรมาส = ทุกไตรมาส (สะสม); หรือเลขไตรมาสเดียว 1-4 (ผลรายปี เช่น O-NET)",
        help_en="empty/'ทุกไตรมาส' = every quarter (cumulative); or one quarter 1-4 (annual)",
    )
    academic_year: Series[int] = col(
        "ปีการศึกษา", "Academic year (BE)", INT, ge=2500, le=2700, width=10,
        help_th="ปีการศึกษาของผลรายปี เช่น 2567", help_en="academic year of an annual result",
    )
    min_reporting_pct: Series[float] = col(
        "ผู้รายงานขั้นต่ำ (%)", "Minimum reporters (%)", PERCENT, ge=0, le=100, width=12,
        help_th="ต่ำกว่านี้ = ข้อมูลไม่พอ (ว่าง = 50)", help_en="below it: too few reporters (default 50)",
    )
    when_empty: Series[str] = col(
        "หากไม่กรอก", "When left empty", CHOICE, choices="when_empty", width=16,
        help_th="ว่าง = ข้อผิดพลาด", help_en="empty = error",
    )
