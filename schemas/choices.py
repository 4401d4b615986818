"""Fixed lists of allowed values (the domain's, not a plan's).

Each choice has a stable key (stored in the ledger), a Thai label (what the dropdown
shows and the clerk sees) and an English label. Plan-dependent lists (strategies) are
built from the plan at run time, in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    key: str
    th: str
    en: str

    @property
    def label(self) -> str:
        """What a dropdown offers: the Thai label."""
        return self.th


BUDGET_SOURCES = [
    Choice("basic", "งบประมาณพื้นฐาน", "basic-necessity budget"),
    Choice("strategic", "งบประมาณยุทธศาสตร์", "strategy-effectiveness budget"),
    Choice("other", "เงินนอกงบประมาณ/อื่น ๆ", "other / extra-budgetary"),
]

# "capital" spending is investment; everything else is "current" spending.
EXPENDITURE_CATEGORIES = [
    Choice("personnel", "งบบุคลากร", "personnel"),
    Choice("operating", "งบดำเนินงาน", "operating"),
    Choice("investment", "งบลงทุน", "investment"),
    Choice("subsidy", "งบเงินอุดหนุน", "subsidy"),
    Choice("other", "งบรายจ่ายอื่น", "other expenditure"),
]
CAPITAL_CATEGORIES = frozenset({"investment"})

PROGRESS_STATUSES = [
    Choice("not_started", "ยังไม่ดำเนินการ", "not started"),
    Choice("in_progress", "อยู่ระหว่างดำเนินการ", "in progress"),
    Choice("done", "ดำเนินการแล้วเสร็จ", "completed"),
    Choice("cancelled", "ยกเลิก", "cancelled"),
]

AGENCY_TYPES = [
    Choice("school", "โรงเรียน", "school"),
    Choice("area_office", "สำนักงานเขตพื้นที่การศึกษา", "education service area office"),
    Choice("vocational", "วิทยาลัยอาชีวศึกษา", "vocational college"),
    Choice("private_school", "โรงเรียนเอกชน", "private school"),
    Choice("municipal_school", "โรงเรียนสังกัดองค์กรปกครองส่วนท้องถิ่น", "municipal school"),
    Choice("nfe_centre", "ศูนย์ส่งเสริมการเรียนรู้ (สกร.)", "non-formal education centre"),
    Choice("bpp_school", "โรงเรียนตำรวจตระเวนชายแดน", "border patrol police school"),
    Choice("office", "สำนักงาน/หน่วยงานอื่น", "other office"),
]

AFFILIATIONS = [
    Choice("obec_primary", "สพฐ. (สพป.)", "OBEC primary area"),
    Choice("obec_secondary", "สพฐ. (สพม.)", "OBEC secondary area"),
    Choice("ovec", "สอศ.", "Office of the Vocational Education Commission"),
    Choice("opec", "สช.", "Office of the Private Education Commission"),
    Choice("dla", "อปท.", "Local administration"),
    Choice("dole", "สกร.", "Department of Learning Encouragement"),
    Choice("bpp", "ตชด.", "Border Patrol Police"),
    Choice("ops", "สป.ศธ.", "Office of the Permanent Secretary"),
    Choice("other", "อื่น ๆ", "other"),
]

UNITS = [
    Choice("percent", "ร้อยละ", "percent"),
    Choice("count", "จำนวน", "count"),
    Choice("mean_score", "คะแนนเฉลี่ย", "mean score"),
    Choice("baht", "บาท", "baht"),
    Choice("ratio", "อัตราส่วน", "ratio"),
    Choice("level", "ระดับ", "level"),
]
# units whose provincial figure is a sum of the agencies' results
SUMMABLE_UNITS = frozenset({"count", "baht"})

DIRECTIONS = [
    Choice("higher", "ยิ่งมากยิ่งดี", "higher is better"),
    Choice("lower", "ยิ่งน้อยยิ่งดี", "lower is better"),
]

FIXED_CHOICES: dict[str, list[Choice]] = {
    "budget_source": BUDGET_SOURCES,
    "expenditure_category": EXPENDITURE_CATEGORIES,
    "progress_status": PROGRESS_STATUSES,
    "agency_type": AGENCY_TYPES,
    "affiliation": AFFILIATIONS,
    "unit": UNITS,
    "direction": DIRECTIONS,
}


def by_key(list_name: str) -> dict[str, Choice]:
    return {c.key: c for c in FIXED_CHOICES[list_name]}
