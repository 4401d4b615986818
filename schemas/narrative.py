"""Submission sheet "narrative": ปัญหาอุปสรรค, ข้อเสนอแนะ, ผลงานเด่น (seed 004's follow-up
and report), each optionally tied to a strategy or a project. Plain text, bounded: the
roll-up groups them by strategy and affiliation. Optional: templates issued before the
sheet existed stay valid."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import CHOICE, CODE, TEXT, col

NARRATIVE_MAX_CHARS = 1000


class Narrative(pa.DataFrameModel):
    kind: Series[str] = col(
        "ประเภท", "Kind", CHOICE, required=True, choices="narrative_kind", width=18,
        help_th="ปัญหาอุปสรรค ข้อเสนอแนะ หรือผลงานเด่น",
        help_en="problem/obstacle, suggestion or highlight")
    strategy: Series[int] = col(
        "ยุทธศาสตร์", "Strategy", CHOICE, choices="strategy", width=30,
        help_th="ว่างได้ ถ้าไม่เกี่ยวกับยุทธศาสตร์ใด", help_en="optional")
    project_code: Series[str] = col(
        "รหัสโครงการ", "Project code", CODE, width=14,
        help_th="ว่างได้ รหัสโครงการในแผ่นงานงบประมาณ", help_en="optional; a budget-sheet code")
    text: Series[str] = col(
        "รายละเอียด", "Details", TEXT, required=True, width=80,
        str_length={"max_value": NARRATIVE_MAX_CHARS},
        help_th=f"ข้อความสั้น ๆ ไม่เกิน {NARRATIVE_MAX_CHARS} ตัวอักษร",
        help_en=f"plain text, at most {NARRATIVE_MAX_CHARS} characters")
