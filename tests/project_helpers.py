"""A small plan with a project register: two projects of a school (one revised mid-year),
one of an area office passing budget on to its schools, one of a vocational college."""

from __future__ import annotations

from dataclasses import replace

from conftest import make_small_plan

from pipeline.plan import Plan, Project

SCHOOL = "1033530001"
SCHOOL2 = "1033530002"
AREA = "33010000"
COLLEGE = "1333000101"


def make_project_plan(fiscal_year: int = 2568) -> Plan:
    projects = [
        Project("P-01", "โครงการพัฒนาทักษะการอ่านออกเขียนได้", 2, SCHOOL, "basic", "operating",
                5_000_000, goal="กลยุทธ์ที่ 1 พัฒนาคุณภาพผู้เรียน", unit="กลุ่มบริหารวิชาการ",
                period="ต.ค. 67 - ก.ย. 68", output_target="นักเรียน ป.1-3 จำนวน 120 คน",
                outcome_target="อ่านออกเขียนได้ร้อยละ 95"),
        Project("P-02", "โครงการปรับปรุงห้องสมุดมีชีวิต", 3, SCHOOL, "strategic", "investment",
                12_000_000, output_target="ห้องสมุด 1 ห้อง", revised_allocation=9_000_000,
                revised_from_quarter=2),
        Project("A-01", "โอนจัดสรรงบพัฒนาคุณภาพให้สถานศึกษา", 2, AREA, "basic", "subsidy",
                50_000_000, output_target="สถานศึกษาในสังกัด 2 แห่ง", passed_on=True),
        Project("V-01", "โครงการทวิภาคีสู่สถานประกอบการ", 3, COLLEGE, "strategic", "operating",
                8_000_000, output_target="นักศึกษา 60 คน"),
    ]
    return replace(make_small_plan(fiscal_year), projects={p.code: p for p in projects})
