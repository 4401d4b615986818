"""A small plan with a project register: two projects of a school (one revised mid-year),
one of an area office passing budget on to its schools, one of a vocational college."""

from __future__ import annotations

import io
from dataclasses import replace

from conftest import make_small_plan

import schemas
from pipeline.plan import Plan, Project
from pipeline.templates import build_template

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


def fill_template(plan: Plan, agency: str, quarter: int, planned: dict[str, dict],
                  unplanned: list[dict] | None = None,
                  narrative: list[tuple[str, str | None, str | None, str]] | None = None
                  ) -> bytes:
    """The agency's template (build_template) filled as a clerk does: amounts of its
    planned rows (code -> field -> value), unplanned rows below, narrative entries
    (kind label, strategy label, project code, text)."""
    cols = {c.name: i for i, c in enumerate(schemas.BUDGET.columns, start=1)}
    wb = build_template(plan, agency, quarter)
    names = [c.name for c in schemas.COVER.columns]
    wb[schemas.COVER.name].cell(row=schemas.COVER.header_row + names.index("reporter_name"),
                                column=2, value="นางสมพร ศรีสุข")
    b = wb[schemas.BUDGET.name]
    r = schemas.BUDGET.header_row + 1
    while b.cell(row=r, column=1).value is not None:
        code = b.cell(row=r, column=1).value
        for name, value in planned.get(code, {}).items():
            b.cell(row=r, column=cols[name], value=value)
        r += 1
    for line in unplanned or []:
        for name, value in line.items():
            b.cell(row=r, column=cols[name], value=value).data_type = (
                "s" if isinstance(value, str) else b.cell(row=r, column=cols[name]).data_type)
        r += 1
    n = wb[schemas.NARRATIVE.name]
    for i, (kind, strategy, project, text) in enumerate(narrative or [],
                                                        start=schemas.NARRATIVE.header_row + 1):
        for j, v in enumerate((kind, strategy, project, text), start=1):
            if v is not None:
                n.cell(row=i, column=j, value=v).data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
