"""Templates ask each agency only for the indicators it reports in that quarter: schools
by the levels they teach (a primary school is not asked about grade 9 O-NET, a secondary
school not about grade 1 reading), annual results only in their named quarter."""

import io

from openpyxl import load_workbook

import schemas
from pipeline.demo_data import make_demo_plan
from pipeline.templates import build_template
from pipeline.xlstyle import workbook_bytes


def _codes(plan, agency_code: str, quarter: int) -> list[str]:
    wb = load_workbook(io.BytesIO(workbook_bytes(build_template(plan, agency_code, quarter))))
    ws = wb[schemas.INDICATORS.name]
    return [str(ws.cell(row=r, column=1).value)
            for r in range(schemas.INDICATORS.header_row + 1, ws.max_row + 1)
            if ws.cell(row=r, column=1).value]


def _school(plan, levels: frozenset[str]) -> str:
    return next(a.code for a in plan.agencies.values()
                if a.agency_type == "school" and a.levels == levels)


def test_primary_and_secondary_schools_get_the_indicators_of_their_levels():
    plan = make_demo_plan()
    primary = _school(plan, frozenset({"early_childhood", "primary"}))
    secondary = _school(plan, frozenset({"lower_secondary", "upper_secondary"}))
    p2, s2 = _codes(plan, primary, 2), _codes(plan, secondary, 2)
    assert "2.3" in p2 and "2.3" not in s2  # grade 1 reading: primary only
    assert set(p2) - {"2.3"} == set(s2)
    p3, s3 = _codes(plan, primary, 3), _codes(plan, secondary, 3)
    assert "2.1" in p3 and "2.2" not in p3  # O-NET grade 6 for a primary school
    assert "2.2" in s3 and "2.1" not in s3  # O-NET grade 9 for a secondary school
    extended = _school(plan, frozenset({"early_childhood", "primary", "lower_secondary"}))
    assert {"2.1", "2.2", "2.3"} <= set(_codes(plan, extended, 3))


def test_a_q2_template_does_not_ask_for_an_annual_result_due_in_q3():
    plan = make_demo_plan()
    assert plan.indicators["2.1"].report_quarter == 3
    primary = _school(plan, frozenset({"early_childhood", "primary"}))
    assert "2.1" not in _codes(plan, primary, 2)
    assert "2.1" in _codes(plan, primary, 3)
    assert "2.1" not in _codes(plan, primary, 4)  # asked once, in its quarter
    college = next(a.code for a in plan.agencies.values() if a.agency_type == "vocational")
    assert "2.4" not in _codes(plan, college, 3) and "2.4" in _codes(plan, college, 4)
    office = next(a.code for a in plan.agencies.values() if a.agency_type == "office")
    # "share of schools that ..." is never asked of the provincial office itself
    assert "1.1" not in _codes(plan, office, 2) and "5.1" not in _codes(plan, office, 2)
