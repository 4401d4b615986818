"""The demo province: Sisaket's registry, strategies, indicators and targets for FY 2568.

Everything is invented but plausible (real district names, school-code-shaped codes,
"โรงเรียนบ้าน..." names) and built from a fixed seed, so the demo is the same on every
machine. Strategy wording follows the provincial plans in shared/seeds/.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass, field

from .plan import Agency, DisbursementTarget, Indicator, Plan, Project, Strategy

SEED = 2568
FISCAL_YEAR = 2568
PREVIOUS_FISCAL_YEAR = 2567
PROVINCE = "ศรีสะเกษ"
OFFICE_NAME = "สำนักงานศึกษาธิการจังหวัดศรีสะเกษ"
OFFICE_EMAIL = "plan.peo.sisaket@example.go.th"
OFFICE_CODE = "3300000001"

# The 22 districts, grouped by the primary education service area that covers them.
AREA_DISTRICTS: dict[int, list[str]] = {
    1: ["เมืองศรีสะเกษ", "ยางชุมน้อย", "วังหิน", "พยุห์", "โพธิ์ศรีสุวรรณ", "กันทรารมย์"],
    2: ["กันทรลักษ์", "ศรีรัตนะ", "ขุนหาญ", "ภูสิงห์", "น้ำเกลี้ยง", "เบญจลักษ์"],
    3: ["ขุขันธ์", "ปรางค์กู่", "ห้วยทับทัน", "ไพรบึง", "เมืองจันทร์"],
    4: ["อุทุมพรพิสัย", "ราษีไศล", "บึงบูรพ์", "ศิลาลาด", "โนนคูณ"],
}
DISTRICTS = [d for ds in AREA_DISTRICTS.values() for d in ds]

STRATEGIES = [
    ("การจัดการศึกษาเพื่อความมั่นคง", "Education for security"),
    ("การพัฒนาคุณภาพผู้เรียนและส่งเสริมการจัดการศึกษาเพื่อสร้างขีดความสามารถในการแข่งขัน",
     "Learner quality and competitiveness"),
    ("การส่งเสริม พัฒนาครูและบุคลากรทางการศึกษา", "Teachers and education personnel"),
    ("การส่งเสริมโอกาส ความเสมอภาค และความเท่าเทียมในการเข้าถึงบริการทางการศึกษา",
     "Opportunity and equality"),
    ("การจัดการศึกษาเพื่อสร้างเสริมคุณภาพชีวิตที่เป็นมิตรกับสิ่งแวดล้อม",
     "Environment-friendly quality of life"),
    ("การพัฒนาระบบบริหารจัดการและส่งเสริมให้ทุกภาคส่วนมีส่วนร่วมในการจัดการศึกษา",
     "Management and participation"),
]

_SCHOOLS = frozenset({"school", "private_school", "municipal_school", "bpp_school"})
_LEARNERS = _SCHOOLS | {"vocational", "nfe_centre"}
# Not "office": its Thai label "สำนักงาน/หน่วยงานอื่น" holds a "/", which the plan loader
# reads as a list separator in the indicators' agency-types column.
_OFFICES = frozenset({"area_office"})

_PRIMARY = frozenset({"primary"})
_LOWER_SECONDARY = frozenset({"lower_secondary"})
_KG_PRIMARY = frozenset({"early_childhood", "primary"})
_SECONDARY = frozenset({"lower_secondary", "upper_secondary"})

# Every kind of indicator, with provincial targets of the province's size (a count's target
# is the province's total; a rate's the province's rate) and agency targets where a school
# is judged on its own. Annual results (O-NET by academic year, graduates' employment, ITA)
# are reported once, in a named quarter: not due in Q1-Q2.
# (code, name, kind, unit, direction, strategy, agency types, levels, provincial target,
#  baseline, plausible min, max, agency target, report quarter, academic year)
INDICATORS: list[tuple] = [
    ("1.1", "ร้อยละของสถานศึกษาที่มีระบบดูแลช่วยเหลือนักเรียนที่มีคุณภาพ", "yes_no", "percent",
     "higher", 1, _LEARNERS, None, 95.0, 92.5, None, None, None, None, None),
    ("1.2", "ร้อยละของผู้เรียนที่มีความรู้ความเข้าใจและรู้เท่าทันภัยยาเสพติดและภัยรูปแบบใหม่",
     "percent_of_counts", "percent", "higher", 1, _LEARNERS, None, 90.0, 86.4, 0.0, 100.0,
     90.0, None, None),
    ("1.3", "จำนวนผู้เรียนที่เกี่ยวข้องกับยาเสพติด", "count", "count", "lower", 1, _LEARNERS,
     None, 60.0, 74.0, 0.0, 20.0, None, None, None),
    ("2.1", "คะแนนเฉลี่ยผลการทดสอบระดับชาติ (O-NET) ชั้นประถมศึกษาปีที่ 6 วิชาภาษาไทย",
     "weighted_mean", "mean_score", "higher", 2, _SCHOOLS, _PRIMARY, 52.0, 50.1, 0.0, 100.0,
     None, 3, 2567),
    ("2.2", "คะแนนเฉลี่ยผลการทดสอบระดับชาติ (O-NET) ชั้นมัธยมศึกษาปีที่ 3 วิชาคณิตศาสตร์",
     "weighted_mean", "mean_score", "higher", 2, _SCHOOLS, _LOWER_SECONDARY, 28.0, 25.4, 0.0,
     100.0, None, 3, 2567),
    ("2.3", "ร้อยละของนักเรียนชั้นประถมศึกษาปีที่ 1 ที่อ่านออกเขียนได้", "percent_of_counts",
     "percent", "higher", 2, _SCHOOLS, _PRIMARY, 90.0, 87.2, 0.0, 100.0, 90.0, None, None),
    ("2.4", "ร้อยละของผู้สำเร็จการศึกษาอาชีวศึกษาที่มีงานทำหรือศึกษาต่อภายใน 1 ปี",
     "percent_of_counts", "percent", "higher", 2, frozenset({"vocational"}), None, 85.0, 81.0,
     0.0, 100.0, None, 4, None),
    ("2.5", "จำนวนผู้เรียนที่ได้รับรางวัลการแข่งขันทักษะวิชาการระดับภาคขึ้นไป", "count", "count",
     "higher", 2, _LEARNERS, None, 250.0, 210.0, 0.0, 40.0, None, None, None),
    ("3.1", "ร้อยละของครูและบุคลากรทางการศึกษาที่ได้รับการพัฒนาไม่น้อยกว่า 20 ชั่วโมงต่อปี",
     "percent_of_counts", "percent", "higher", 3, None, None, 90.0, 84.6, 0.0, 100.0, None,
     None, None),
    ("3.2", "ร้อยละของครูที่ใช้เทคโนโลยีดิจิทัลในการจัดการเรียนรู้", "percent_of_counts",
     "percent", "higher", 3, _LEARNERS, None, 80.0, 72.3, 0.0, 100.0, None, None, None),
    ("4.1", "จำนวนนักเรียนออกกลางคัน", "count", "count", "lower", 4, _LEARNERS, None,
     150.0, 183.0, 0.0, 30.0, None, None, None),
    ("4.2", "ร้อยละของประชากรวัยเรียนที่ได้รับการศึกษาภาคบังคับ", "percent_of_counts", "percent",
     "higher", 4, frozenset({"area_office"}), None, 98.0, 97.1, 0.0, 100.0, None, None, None),
    ("4.3", "เงินทุนการศึกษาที่ได้รับจากภาคีเครือข่ายเพื่อนักเรียนยากจน", "amount", "baht",
     "higher", 4, _SCHOOLS, None, 3_000_000.0, 2_650_000.0, 0.0, 500_000.0, None, None, None),
    ("4.4", "ร้อยละของผู้เรียนนอกระบบที่ผ่านการประเมินคุณภาพการศึกษา (N-NET)",
     "percent_of_counts", "percent", "higher", 4, frozenset({"nfe_centre"}), None, 70.0, 64.8,
     0.0, 100.0, None, None, None),
    ("5.1", "ร้อยละของสถานศึกษาที่ผ่านเกณฑ์สถานศึกษาปลอดขยะ (Zero Waste School)", "yes_no",
     "percent", "higher", 5, _LEARNERS, None, 60.0, 48.0, None, None, None, None, None),
    ("5.2", "ค่าใช้จ่ายไฟฟ้าเฉลี่ยต่อเดือนของสถานศึกษา", "agency_mean", "baht", "lower", 5,
     _LEARNERS, None, 15000.0, 16850.0, 0.0, 500000.0, 15000.0, None, None),
    ("6.1", "ร้อยละการเบิกจ่ายงบประมาณตามแผน", "percent_of_counts", "percent", "higher", 6,
     frozenset({"area_office", "vocational"}), None, 90.0, 92.2, 0.0, 100.0, None, None, None),
    ("6.2", "คะแนนการประเมินคุณธรรมและความโปร่งใสในการดำเนินงาน (ITA)", "agency_mean",
     "mean_score", "higher", 6, _OFFICES | {"vocational"}, None, 90.0, 88.5, 0.0, 100.0, 90.0,
     4, None),
    ("6.3", "ร้อยละของสถานศึกษาที่มีระบบประกันคุณภาพภายในระดับดีขึ้นไป", "yes_no", "percent",
     "higher", 6, _LEARNERS, None, 85.0, 80.2, None, None, None, None, None),
    ("6.4", "จำนวนภาคีเครือข่ายที่มีส่วนร่วมในการจัดการศึกษา", "count", "count", "higher", 6,
     None, None, 600.0, 540.0, 0.0, 60.0, None, None, None),
]


def make_indicator(t: tuple) -> Indicator:
    (code, name, kind, unit, direction, strategy, types, levels, target, baseline, lo, hi,
     agency_target, report_quarter, academic_year) = t
    return Indicator(code, name, unit, direction, strategy, types, target, baseline, lo, hi,
                     kind=kind, agency_target=agency_target, levels=levels,
                     report_quarter=report_quarter, academic_year=academic_year)


DISBURSEMENT = [(1, 30.0, 32.0, 20.0), (2, 54.0, 57.0, 45.0), (3, 77.0, 80.0, 65.0),
                (4, 100.0, 100.0, 100.0)]

_VILLAGE_HEAD = ["หนอง", "โนน", "ห้วย", "โคก", "ดอน", "นา", "กุด", "สระ", "โพธิ์", "ตาเกษ",
                 "ละลม", "กระเบา", "หัวช้าง", "จาน", "ปะทาย", "ขะยูง", "เปือย", "ซำ"]
_VILLAGE_TAIL = ["แวง", "คูณ", "สำราญ", "ใหญ่", "น้อย", "ทอง", "เจริญ", "ศรี", "ม่วง", "บัว",
                 "แสง", "ขาม", "ยาง", "ไผ่", "เหล่า", "สะอาด", "พัฒนา", "ตะแบง", "กลาง", "จิก",
                 "หว้า", "อุดม", "ชัย", "มะเขือ"]
_SCHOOL_SUFFIX = ["", "", "", "", "", " (ประชาสามัคคี)", " (คุรุราษฎร์อุทิศ)", " (วิทยาคาร)"]

SECONDARY = [
    ("ศรีสะเกษวิทยาลัย", "เมืองศรีสะเกษ"), ("สตรีสิริเกศ", "เมืองศรีสะเกษ"),
    ("กันทรลักษ์วิทยา", "กันทรลักษ์"), ("ขุขันธ์ราษฎร์บำรุง", "ขุขันธ์"),
    ("อุทุมพรวิทยา", "อุทุมพรพิสัย"), ("ราษีไศล", "ราษีไศล"), ("ห้วยทับทันวิทยาคม", "ห้วยทับทัน"),
    ("ปรางค์กู่", "ปรางค์กู่"), ("ไพรบึงวิทยาคม", "ไพรบึง"), ("ยางชุมน้อยพิทยาคม", "ยางชุมน้อย"),
    ("ศรีรัตนวิทยา", "ศรีรัตนะ"), ("ขุนหาญวิทยาสรรค์", "ขุนหาญ"), ("กันทรารมณ์", "กันทรารมย์"),
    ("เบญจลักษ์พิทยา", "เบญจลักษ์"),
]
VOCATIONAL = [
    ("วิทยาลัยเทคนิคศรีสะเกษ", "เมืองศรีสะเกษ"),
    ("วิทยาลัยอาชีวศึกษาศรีสะเกษ", "เมืองศรีสะเกษ"),
    ("วิทยาลัยเกษตรและเทคโนโลยีศรีสะเกษ", "เมืองศรีสะเกษ"),
    ("วิทยาลัยเทคนิคกันทรลักษ์", "กันทรลักษ์"),
    ("วิทยาลัยการอาชีพขุขันธ์", "ขุขันธ์"),
    ("วิทยาลัยการอาชีพกันทรลักษ์", "กันทรลักษ์"),
]
PRIVATE = [
    ("โรงเรียนอนุบาลศรีวิทยา", "เมืองศรีสะเกษ"), ("โรงเรียนศรีสะเกษพณิชยการ", "เมืองศรีสะเกษ"),
    ("โรงเรียนมารีวิทย์ศรีสะเกษ", "เมืองศรีสะเกษ"), ("โรงเรียนอนุบาลปัญญาดี", "กันทรลักษ์"),
    ("โรงเรียนกันทรลักษ์ศึกษา", "กันทรลักษ์"), ("โรงเรียนอุทุมพรศึกษา", "อุทุมพรพิสัย"),
    ("โรงเรียนราษีไศลบริหารธุรกิจ", "ราษีไศล"), ("โรงเรียนขุขันธ์อนุบาลศึกษา", "ขุขันธ์"),
]
MUNICIPAL = [
    ("โรงเรียนเทศบาล 1 (บ้านเมืองเก่า)", "เมืองศรีสะเกษ"),
    ("โรงเรียนเทศบาล 2 (อนุบาลเมืองศรีสะเกษ)", "เมืองศรีสะเกษ"),
    ("โรงเรียนเทศบาล 3 (วัดพระโต)", "เมืองศรีสะเกษ"),
    ("โรงเรียนเทศบาลกันทรลักษ์", "กันทรลักษ์"),
    ("โรงเรียนเทศบาลตำบลขุขันธ์", "ขุขันธ์"),
    ("โรงเรียนเทศบาลราษีไศล", "ราษีไศล"),
]
NFE_DISTRICTS = ["เมืองศรีสะเกษ", "กันทรลักษ์", "ขุขันธ์", "อุทุมพรพิสัย", "ราษีไศล",
                 "ศรีรัตนะ", "ปรางค์กู่", "ห้วยทับทัน"]

N_PRIMARY = 100


def _village_names(rng: random.Random, n: int) -> list[str]:
    pool = [h + t for h in _VILLAGE_HEAD for t in _VILLAGE_TAIL]
    rng.shuffle(pool)
    return pool[:n]


def _emails(rng: random.Random, local: str, domain: str) -> tuple[str, ...]:
    """One or two registered senders: the agency address, sometimes a clerk's as well."""
    first = f"{local}@{domain}"
    if rng.random() < 0.35:
        return first, f"finance.{local}@{domain}"
    return (first,)


def make_agencies(rng: random.Random) -> list[Agency]:
    """About 150 agencies of every affiliation in the province."""
    out: list[Agency] = [
        Agency(OFFICE_CODE, OFFICE_NAME, "office", "ops", "เมืองศรีสะเกษ", None,
               ("plan.peo.sisaket@example.go.th",)),
    ]
    for area in range(1, 5):
        out.append(Agency(
            f"3301{area}000", f"สำนักงานเขตพื้นที่การศึกษาประถมศึกษาศรีสะเกษ เขต {area}",
            "area_office", "obec_primary", AREA_DISTRICTS[area][0], None,
            _emails(rng, f"plan.spp{area}", "example.go.th")))
    out.append(Agency("33100000", "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาศรีสะเกษ ยโสธร",
                      "area_office", "obec_secondary", "เมืองศรีสะเกษ", None,
                      _emails(rng, "plan.spm", "example.go.th")))
    villages = _village_names(rng, N_PRIMARY)
    per_area = N_PRIMARY // 4
    for i, village in enumerate(villages):
        area = i // per_area + 1
        district = AREA_DISTRICTS[area][i % len(AREA_DISTRICTS[area])]
        n = i % per_area + 1
        code = f"10335{area}{n:04d}"
        if n == 1:
            name = f"โรงเรียนอนุบาล{district.replace('เมือง', '')}"
        else:
            name = f"โรงเรียนบ้าน{village}{rng.choice(_SCHOOL_SUFFIX)}"
        # every fifth primary school also teaches lower secondary (ขยายโอกาส)
        levels = _KG_PRIMARY | (_LOWER_SECONDARY if n % 5 == 0 else frozenset())
        out.append(Agency(code, name, "school", "obec_primary", district, f"3301{area}000",
                          _emails(rng, f"s{code}", "example.ac.th"), levels))
    for i, (name, district) in enumerate(SECONDARY, start=1):
        code = f"10330{i:05d}"
        out.append(Agency(code, f"โรงเรียน{name}", "school", "obec_secondary", district,
                          "33100000", _emails(rng, f"s{code}", "example.ac.th"), _SECONDARY))
    for i, (name, district) in enumerate(VOCATIONAL, start=1):
        code = f"13330{i:05d}"
        out.append(Agency(code, name, "vocational", "ovec", district, None,
                          _emails(rng, f"plan.v{code[-3:]}", "example.ac.th")))
    for i, (name, district) in enumerate(PRIVATE, start=1):
        code = f"20330{i:05d}"
        levels = _KG_PRIMARY if "อนุบาล" in name else _KG_PRIMARY | _SECONDARY
        out.append(Agency(code, name, "private_school", "opec", district, None,
                          _emails(rng, f"admin{code[-3:]}", "example.th"), levels))
    for i, (name, district) in enumerate(MUNICIPAL, start=1):
        code = f"50330{i:05d}"
        out.append(Agency(code, name, "municipal_school", "dla", district, None,
                          _emails(rng, f"edu.m{code[-3:]}", "example.go.th"),
                          _KG_PRIMARY | _LOWER_SECONDARY))
    for i, district in enumerate(NFE_DISTRICTS, start=1):
        code = f"60330{i:05d}"
        out.append(Agency(code, f"ศูนย์ส่งเสริมการเรียนรู้ระดับอำเภอ{district}", "nfe_centre",
                          "dole", district, None, _emails(rng, f"skr{i:02d}", "example.go.th")))
    out.append(Agency("7033000001", "โรงเรียนตำรวจตระเวนชายแดนบ้านภูมิซรอล", "bpp_school",
                      "bpp", "กันทรลักษ์", None, ("bpp.phumisrol@example.go.th",),
                      _KG_PRIMARY))
    return out


def make_previous_plan() -> Plan:
    """The FY 2567 plan: the same registry and indicators, open for its Q4 (12-month)
    report only, in which every indicator was asked (the annual ones too), so the
    FY 2568 roll-ups compare with the previous year's consolidated figures from the
    ledger, not only with the plan's baselines."""
    plan = make_plan_without_projects()  # last year's plan kept no project register
    return dataclasses.replace(
        plan, fiscal_year=PREVIOUS_FISCAL_YEAR, open_quarters=frozenset({4}),
        indicators={c: dataclasses.replace(i, report_quarter=None, academic_year=None)
                    for c, i in plan.indicators.items()})


def make_demo_plan() -> Plan:
    """The FY 2568 plan of the demo province (deterministic), with its project register:
    every agency's projects as its reports carry them, one mid-year revision, one area
    office passing budget on to its schools."""
    return with_projects(make_plan_without_projects())


def make_plan_without_projects() -> Plan:
    rng = random.Random(SEED)
    agencies = make_agencies(rng)
    return Plan(
        province=PROVINCE,
        office_name=OFFICE_NAME,
        office_email=OFFICE_EMAIL,
        fiscal_year=FISCAL_YEAR,
        due_day=15,
        due_date_overrides={},
        open_quarters=frozenset({1, 2}),
        agencies={a.code: a for a in agencies},
        strategies={i: Strategy(i, th, en) for i, (th, en) in enumerate(STRATEGIES, start=1)},
        indicators={t[0]: make_indicator(t) for t in INDICATORS},
        disbursement={q: DisbursementTarget(q, o, c, k) for q, o, c, k in DISBURSEMENT},
    )


# ---- projects: the plan's register and what agencies report on them ---------------------
@dataclass
class DemoProject:
    """One project an agency reports on (the demo's generator; the plan's register is
    built from the same draws, so templates list exactly these)."""

    code: str
    name: str
    strategy_no: int
    source: str  # budget source key
    category: str  # expenditure category key
    allocated: int  # satang
    committed: dict[int, int] = field(default_factory=dict)  # quarter -> satang
    disbursed: dict[int, int] = field(default_factory=dict)  # quarter -> satang (cumulative)


PASS_ON_PROJECT = "โอนจัดสรรงบพัฒนาคุณภาพผู้เรียนให้สถานศึกษาในสังกัด"
REVISION_QUARTER = 2
REVISION_SHARE = 1.25  # the revised project's allocation grows by a quarter from Q2


def _money_range(agency: Agency) -> tuple[int, int]:
    if agency.agency_type in ("school", "municipal_school", "bpp_school", "nfe_centre"):
        return 20_000, 2_500_000
    if agency.agency_type == "private_school":
        return 20_000, 900_000
    return 50_000, 5_000_000


def pass_on_agency(plan: Plan) -> str:
    """The area office that passes budget on to its schools (the first by code)."""
    return min(a.code for a in plan.agencies.values() if a.agency_type == "area_office")


def revised_agency(plan: Plan) -> str:
    """The school whose first project is revised mid-year (the first school by code)."""
    return min(a.code for a in plan.agencies.values() if a.agency_type == "school")


def make_projects(rng: random.Random, plan: Plan, agency: Agency) -> list[DemoProject]:
    """2-8 projects of the agency; codes are unique in the province (agency code + n)."""
    lo, hi = _money_range(agency)
    n = rng.randint(2, 8)
    used: set[str] = set()
    out = []
    for k in range(1, n + 1):
        s = rng.randint(1, len(plan.strategies))
        name = rng.choice(PROJECTS[s])
        while name in used:
            s = rng.randint(1, len(plan.strategies))
            name = rng.choice(PROJECTS[s])
        used.add(name)
        # log-uniform: most projects are small, a few are large
        baht = math.exp(rng.uniform(math.log(lo), math.log(hi * 0.6 if k > 1 else hi)))
        allocated = int(round(baht, -2)) * 100
        invest = "ครุภัณฑ์" in name or "อาคาร" in name
        category = "investment" if invest else rng.choice(
            ["operating"] * 6 + ["subsidy"] * 2 + ["other", "personnel"])
        source = rng.choice(["basic", "basic", "strategic", "strategic", "other"])
        if k == 1 and agency.agency_type == "area_office" and agency.code == pass_on_agency(plan):
            name, s, category = PASS_ON_PROJECT, 2, "subsidy"
        out.append(DemoProject(f"{agency.code}-{k:02d}", name, s, source, category, allocated))
    return out


def _output_target(rng: random.Random, agency: Agency, name: str) -> str:
    if "ครุภัณฑ์" in name or "อาคาร" in name:
        return rng.choice(["ครุภัณฑ์ 1 ชุด", "ซ่อมแซมอาคาร 1 หลัง", "ห้องเรียน 2 ห้อง"])
    if name == PASS_ON_PROJECT:
        return "สถานศึกษาในสังกัดได้รับจัดสรรครบทุกแห่ง"
    who = "ครู" if "ครู" in name or "บุคลากร" in name else "นักเรียน"
    many = 40 if agency.agency_type in ("school", "private_school", "municipal_school",
                                        "bpp_school") else 300
    return f"{who}เข้าร่วม {rng.randint(many // 4, many) // 5 * 5} คน"


def with_projects(plan: Plan) -> Plan:
    """The plan with its project register: each agency's projects drawn as its reports
    draw them (the same seed), the planned budget their allocation."""
    projects: dict[str, Project] = {}
    passer, reviser = pass_on_agency(plan), revised_agency(plan)
    for agency in plan.agencies.values():
        rng = random.Random(f"{SEED}-{agency.code}")
        trng = random.Random(f"{SEED}-{agency.code}-targets")
        for k, p in enumerate(make_projects(rng, plan, agency)):
            revised = None
            if agency.code == reviser and k == 0:
                revised = int(round(p.allocated * REVISION_SHARE / 10_000)) * 10_000
            projects[p.code] = Project(
                code=p.code, name_th=p.name, strategy_no=p.strategy_no,
                agency_code=agency.code, budget_source=p.source,
                expenditure_category=p.category, planned=p.allocated,
                unit="กลุ่มบริหารงบประมาณ" if agency.agency_type == "area_office" else "",
                period="ต.ค. 2567 - ก.ย. 2568",
                output_target=_output_target(trng, agency, p.name),
                revised_allocation=revised,
                revised_from_quarter=REVISION_QUARTER if revised else None,
                passed_on=agency.code == passer and p.name == PASS_ON_PROJECT)
    return dataclasses.replace(plan, projects=projects)


# What clerks write on the narrative sheet: short, uneven, often nothing at all.
OBSTACLES = [
    "งบประมาณได้รับจัดสรรล่าช้า ทำให้ดำเนินโครงการไม่ทันตามแผน",
    "ครูติดภารกิจอบรมหลายครั้ง กิจกรรมเลื่อนออกไป",
    "ผู้รับจ้างส่งของล่าช้า",
    "ระบบ e-GP ขัดข้องช่วงปลายไตรมาส เบิกจ่ายไม่ทัน",
    "นร.ย้ายตามผู้ปกครองไปทำงานต่างจังหวัด",
    "ฝนตกหนัก น้ำท่วมเส้นทางเข้าโรงเรียน งดกิจกรรม 2 สัปดาห์",
    "ขาดครูวิชาเอกคณิต",
]
SUGGESTIONS = [
    "ควรโอนงบประมาณให้เร็วขึ้นตั้งแต่ต้นปีงบประมาณ",
    "อยากให้จัดอบรมการใช้ระบบจัดซื้อจัดจ้างให้เจ้าหน้าที่ใหม่",
    "ขอให้ลดการรายงานซ้ำซ้อน",
    "ควรมีงบซ่อมบำรุงคอมพิวเตอร์",
]
HIGHLIGHTS = [
    "นักเรียนได้รางวัลเหรียญทองงานศิลปหัตถกรรมระดับเขต",
    "โรงเรียนผ่านการประเมินโรงเรียนปลอดขยะระดับจังหวัด",
    "ครูได้รับรางวัลครูดีเด่น",
    "อ่านออกเขียนได้ ป.1 ครบทุกคน",
]


# ---- what clerks type ------------------------------------------------------------------
PROJECTS: dict[int, list[str]] = {
    1: ["โครงการโรงเรียนสีขาวปลอดยาเสพติดและอบายมุข", "โครงการพัฒนาระบบดูแลช่วยเหลือนักเรียน",
        "โครงการส่งเสริมประชาธิปไตยในสถานศึกษา", "โครงการลูกเสือต้านภัยยาเสพติด",
        "กิจกรรมเสริมสร้างความปลอดภัยในสถานศึกษา (MOE Safety Center)"],
    2: ["โครงการยกระดับผลสัมฤทธิ์ทางการเรียน O-NET", "โครงการพัฒนาการอ่านออกเขียนได้",
        "โครงการห้องเรียนคุณภาพ Active Learning", "โครงการส่งเสริมทักษะภาษาอังกฤษเพื่อการสื่อสาร",
        "โครงการค่ายวิทยาศาสตร์และคณิตศาสตร์", "โครงการพัฒนาทักษะอาชีพสู่ตลาดแรงงาน",
        "กิจกรรมแข่งขันทักษะวิชาการ"],
    3: ["โครงการพัฒนาครูด้วยกระบวนการ PLC", "โครงการอบรมครูด้านเทคโนโลยีดิจิทัล",
        "โครงการพัฒนาศักยภาพบุคลากรทางการศึกษา", "กิจกรรมนิเทศ ติดตาม การจัดการเรียนรู้"],
    4: ["โครงการอาหารกลางวันนักเรียน", "โครงการจัดหาวัสดุอุปกรณ์การเรียนสำหรับนักเรียนยากจน",
        "โครงการป้องกันนักเรียนออกกลางคัน", "โครงการสนับสนุนค่าใช้จ่ายในการจัดการศึกษา 15 ปี",
        "โครงการการศึกษาเพื่อคนพิการ"],
    5: ["โครงการโรงเรียนปลอดขยะ (Zero Waste School)", "โครงการประหยัดพลังงานในสถานศึกษา",
        "โครงการปรับปรุงภูมิทัศน์และสวนพฤกษศาสตร์โรงเรียน", "กิจกรรมธนาคารขยะรีไซเคิล"],
    6: ["โครงการพัฒนาระบบบริหารจัดการด้วยเทคโนโลยีสารสนเทศ", "โครงการประกันคุณภาพการศึกษาภายใน",
        "โครงการสร้างเครือข่ายความร่วมมือกับชุมชน", "โครงการปรับปรุงซ่อมแซมอาคารเรียน",
        "โครงการจัดซื้อครุภัณฑ์คอมพิวเตอร์"],
}

FIRST_NAMES = ["สมชาย", "สมหญิง", "วิไลวรรณ", "ประภาพร", "สุรชัย", "อนุชา", "กาญจนา", "ธนพล",
               "จิราพร", "พรทิพย์", "บุญมี", "สุดารัตน์", "ณัฐพล", "อรุณี", "ศิริพร", "เกียรติศักดิ์"]
#: the men's names of FIRST_NAMES (the rest are women's): a title must match the name
MALE_FIRST_NAMES = frozenset({"สมชาย", "สุรชัย", "อนุชา", "ธนพล", "บุญมี", "ณัฐพล",
                              "เกียรติศักดิ์"})


def title_for(first_name: str, drawn: str) -> str:
    """The title a clerk writes before ``first_name``: นาย for a man; for a woman the drawn
    นาง / นางสาว (นางสาว when นาย was drawn), so the random stream stays the same."""
    if first_name in MALE_FIRST_NAMES:
        return "นาย"
    return drawn if drawn != "นาย" else "นางสาว"


LAST_NAMES = ["ใจดี", "ศรีสุข", "บุญเรือง", "แก้วมณี", "ทองดี", "พรหมวงศ์", "สายสุด", "จันทร์หอม",
              "บุตรศรี", "ภูมิสะอาด", "มั่นคง", "ทองคำ", "วงศ์ใหญ่", "คำแสน"]
POSITIONS = ["ครู", "ครูชำนาญการ", "เจ้าหน้าที่การเงิน", "นักวิเคราะห์นโยบายและแผน",
             "ผู้อำนวยการโรงเรียน", "เจ้าหน้าที่ธุรการ", "รองผู้อำนวยการ"]
EVIDENCE = ["รายงานผลการดำเนินงาน", "ข้อมูลจากระบบ DMC", "แบบสรุปโครงการ", "ภาพกิจกรรม",
            "บันทึกข้อความรายงานผล", ""]
