"""A money cell is judged by its value whatever its number format: a number a clerk (or a
pasted format) shows as a date is the same number at every size. The reader gives such a
cell as a date while its value is a valid date serial (up to 2,958,465) and as a plain
number beyond; both must give the same verdict, the amount itself."""

from __future__ import annotations

import pytest
from test_validate_rules import BUDGET, PROJECTS, filled_template, validate_saved


@pytest.mark.parametrize("allocated, number_format", [
    (100_000, "d/m/yyyy"),          # a valid date serial: comes back from the reader as a date
    (5_000_000, "d/m/yyyy"),        # past 9999-12-31: comes back as a number
    (2_958_465, "d mmm yyyy"),      # exactly the last valid date, 31 Dec 9999
    (2_958_466, "d mmm yyyy"),      # one past it
    (150_000.5, "[h]:mm:ss"),       # a duration format: half a day, fifty satang
    (120_000, "#,##0.00"),          # the template's own format, for comparison
])
def test_money_formatted_as_a_date_is_read_as_its_value(small_plan, tmp_path, allocated,
                                                        number_format):
    projects = [list(p) for p in PROJECTS]
    projects[0][5] = allocated  # F5: allocated of P001 (disbursed 55,000 stays below it)
    wb = filled_template(small_plan, projects=[tuple(p) for p in projects])
    wb[BUDGET]["F5"].number_format = number_format
    report = validate_saved(wb, tmp_path, small_plan)
    at_f5 = [(p.code, p.cell) for p in report.problems if p.cell == "F5"]
    assert not [p for p in report.problems if p.code == "value.not-a-number"], at_f5
    assert report.budget is not None, [p.code for p in report.errors]
    first = report.budget.sort_values("_row").iloc[0]
    assert int(first["allocated"]) == round(allocated * 100)
