"""Shared fixtures: a small plan built in code (the demo province is in pipeline/demo*.py)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from pipeline.plan import Agency, DisbursementTarget, Indicator, Plan, Strategy

STRATEGY_NAMES = [
    ("การจัดการศึกษาเพื่อความมั่นคง", "Education for security"),
    ("การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน",
     "Learner quality and competitiveness"),
    ("การพัฒนาครูและบุคลากรทางการศึกษา", "Teachers and education personnel"),
    ("การสร้างโอกาสและความเสมอภาคทางการศึกษา", "Opportunity and equality"),
    ("การจัดการศึกษาเพื่อสร้างเสริมคุณภาพชีวิตที่เป็นมิตรกับสิ่งแวดล้อม",
     "Environment-friendly quality of life"),
    ("การพัฒนาประสิทธิภาพการบริหารจัดการและการมีส่วนร่วม", "Management and participation"),
]


def make_small_plan(fiscal_year: int = 2568) -> Plan:
    """Five agencies of three types, six strategies, four indicators."""
    agencies = [
        Agency("1033530001", "โรงเรียนบ้านหนองแวง", "school", "obec_primary", "เมืองศรีสะเกษ",
               "33010000", ("nongwaeng@school.example.th",)),
        Agency("1033530002", "โรงเรียนอนุบาลกันทรลักษ์", "school", "obec_primary", "กันทรลักษ์",
               "33010000", ("anuban.ktl@school.example.th", "clerk.ktl@school.example.th")),
        Agency("33010000", "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาศรีสะเกษ เขต 1", "area_office",
               "obec_primary", "เมืองศรีสะเกษ", None, ("plan@sisaket1.example.go.th",)),
        Agency("1333000101", "วิทยาลัยเทคนิคศรีสะเกษ", "vocational", "ovec", "เมืองศรีสะเกษ",
               None, ("plan@sstech.example.ac.th",)),
        Agency("2033000201", "โรงเรียนเอกชนศรีวิทยา", "private_school", "opec", "อุทุมพรพิสัย",
               None, ("admin@sriwittaya.example.th",)),
    ]
    indicators = [
        Indicator("1.1", "ร้อยละของนักเรียนที่ได้รับการคัดกรองด้วยระบบดูแลช่วยเหลือนักเรียน",
                  "percent", "higher", 1, None, 95.0, 92.5, 0.0, 100.0,
                  kind="percent_of_counts", agency_target=95.0, when_empty="warning"),
        Indicator("2.1", "คะแนนเฉลี่ย O-NET ชั้นประถมศึกษาปีที่ 6 วิชาภาษาไทย", "mean_score",
                  "higher", 2, frozenset({"school", "private_school"}), 50.0, 48.2, 0.0, 100.0,
                  kind="weighted_mean", when_empty="warning"),
        Indicator("4.1", "จำนวนนักเรียนออกกลางคัน", "count", "lower", 4,
                  frozenset({"school", "vocational", "private_school"}), 5.0, 7.0, 0.0, 500.0,
                  kind="count", when_empty="warning"),
        Indicator("6.1", "ร้อยละการเบิกจ่ายงบประมาณตามแผน", "percent", "higher", 6,
                  frozenset({"area_office", "vocational"}), 90.0, None, 0.0, 100.0,
                  kind="agency_mean", when_empty="warning"),
    ]
    return Plan(
        province="ศรีสะเกษ",
        office_name="สำนักงานศึกษาธิการจังหวัดศรีสะเกษ",
        office_email="plan@sisaket-peo.example.go.th",
        fiscal_year=fiscal_year,
        due_day=15,
        due_date_overrides={},
        open_quarters=frozenset({1, 2}),
        agencies={a.code: a for a in agencies},
        strategies={i: Strategy(i, th, en) for i, (th, en) in enumerate(STRATEGY_NAMES, start=1)},
        indicators={i.code: i for i in indicators},
        disbursement={
            1: DisbursementTarget(1, 30.0, 32.0, 20.0),
            2: DisbursementTarget(2, 54.0, 57.0, 45.0),
            3: DisbursementTarget(3, 77.0, 80.0, 65.0),
            4: DisbursementTarget(4, 100.0, 100.0, 100.0),
        },
    )


@pytest.fixture
def small_plan() -> Plan:
    return make_small_plan()


@pytest.fixture
def due_q2() -> date:
    return date(2025, 4, 15)


def soffice_or_skip() -> str:
    """The LibreOffice binary, or a loud skip: CI installs it through `make sysdeps`."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is NOT installed: run `make sysdeps` "
                    "(apt-get install libreoffice-calc-nogui) to run this test")
    return exe
