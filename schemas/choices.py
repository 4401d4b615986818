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


DIRECTIONS = [
    Choice("higher", "ยิ่งมากยิ่งดี", "higher is better"),
    Choice("lower", "ยิ่งน้อยยิ่งดี", "lower is better"),
]


@dataclass(frozen=True)
class IndicatorKind(Choice):
    """How agencies report an indicator and how their reports combine into the province's
    figure. ``inputs`` are the submission columns the agency fills for it; ``formula_*``
    is what the template, the roll-up and docs/indicators.md say about the rule."""

    formula_th: str = ""
    formula_en: str = ""
    inputs: tuple[str, ...] = ()


# The kinds of indicator, declared once (plan workbook, template, validator, consolidation,
# roll-up and docs read this list). Never a sum or a median of agencies' rates or averages.
INDICATOR_KINDS = [
    IndicatorKind("percent_of_counts", "ร้อยละจากจำนวนนับ (ตัวตั้ง/ตัวหาร)", "percent from counts",
                  "ผลจังหวัด = ผลรวมตัวตั้ง ÷ ผลรวมตัวหาร × 100",
                  "province = sum of numerators / sum of denominators x 100",
                  ("numerator", "denominator")),
    IndicatorKind("count", "จำนวนนับ", "count",
                  "ผลจังหวัด = ผลรวมของทุกหน่วยงาน", "province = sum over agencies", ("result",)),
    IndicatorKind("amount", "จำนวนเงิน (บาท)", "amount (baht)",
                  "ผลจังหวัด = ผลรวมของทุกหน่วยงาน", "province = sum over agencies", ("result",)),
    IndicatorKind("weighted_mean", "ค่าเฉลี่ยถ่วงน้ำหนัก (ค่าเฉลี่ย + จำนวนผู้เข้าสอบ)",
                  "mean with a weight",
                  "ผลจังหวัด = ผลรวม(ค่าเฉลี่ย × น้ำหนัก) ÷ ผลรวมน้ำหนัก",
                  "province = sum(mean x weight) / sum of weights", ("result", "weight")),
    IndicatorKind("yes_no", "มี/ไม่มี รายหน่วยงาน", "yes/no per agency",
                  "ผลจังหวัด = ร้อยละของหน่วยงานที่ตอบ \"มี\" จากหน่วยงานที่รายงาน",
                  "province = % of reporting agencies answering yes", ("answer",)),
    IndicatorKind("agency_mean", "ค่าเฉลี่ยต่อหน่วยงาน", "per-agency average",
                  "ผลจังหวัด = ค่าเฉลี่ยของหน่วยงานที่รายงาน",
                  "province = mean over reporting agencies", ("result",)),
]
KINDS: dict[str, IndicatorKind] = {k.key: k for k in INDICATOR_KINDS}
# every input column an indicator row may have (the template unlocks a kind's own)
INDICATOR_INPUTS = ("result", "numerator", "denominator", "weight", "answer")

YES_NO = [
    Choice("yes", "มี", "yes"),
    Choice("no", "ไม่มี", "no"),
]

# A plan project whose budget the agency passes on to agencies that report it themselves
PASSED_ON = [
    Choice("yes", "ใช่", "yes"),
    Choice("no", "ไม่ใช่", "no"),
]

# Kinds of entry of the template's narrative sheet (seed 004's follow-up and report)
NARRATIVE_KINDS = [
    Choice("obstacle", "ปัญหาอุปสรรค", "problem / obstacle"),
    Choice("suggestion", "ข้อเสนอแนะ", "suggestion"),
    Choice("highlight", "ผลงานเด่น", "highlight"),
]

# Levels a school teaches (the agency registry); indicators may be asked only of schools
# teaching a level (O-NET grade 9: lower secondary).
LEVELS = [
    Choice("early_childhood", "ปฐมวัย (อนุบาล)", "early childhood"),
    Choice("primary", "ประถมศึกษา", "primary"),
    Choice("lower_secondary", "มัธยมศึกษาตอนต้น", "lower secondary"),
    Choice("upper_secondary", "มัธยมศึกษาตอนปลาย", "upper secondary"),
]

# What an empty indicator in a report is: the plan says, per indicator.
WHEN_EMPTY = [
    Choice("error", "ข้อผิดพลาด (ต้องรายงาน)", "error (must report)"),
    Choice("warning", "คำเตือน", "warning"),
]

# The verdict of a provincial figure against the provincial target.
VERDICTS = [
    Choice("achieved", "บรรลุ", "achieved"),
    Choice("not_achieved", "ไม่บรรลุ", "not achieved"),
    Choice("not_due", "ยังไม่ถึงรอบรายงาน", "not due this quarter"),
    Choice("insufficient", "ข้อมูลไม่พอ", "too few reporters"),
]

FIXED_CHOICES: dict[str, list[Choice]] = {
    "budget_source": BUDGET_SOURCES,
    "expenditure_category": EXPENDITURE_CATEGORIES,
    "progress_status": PROGRESS_STATUSES,
    "agency_type": AGENCY_TYPES,
    "affiliation": AFFILIATIONS,
    "unit": UNITS,
    "direction": DIRECTIONS,
    "indicator_kind": INDICATOR_KINDS,  # type: ignore[dict-item]
    "yes_no": YES_NO,
    "when_empty": WHEN_EMPTY,
    "level": LEVELS,
    "verdict": VERDICTS,
    "passed_on": PASSED_ON,
    "narrative_kind": NARRATIVE_KINDS,
}


def by_key(list_name: str) -> dict[str, Choice]:
    return {c.key: c for c in FIXED_CHOICES[list_name]}
