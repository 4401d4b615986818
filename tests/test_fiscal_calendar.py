"""The Thai fiscal calendar at its edges."""

from datetime import UTC, date, datetime

import pytest

from pipeline import calendar as fcal


def test_fy_2568_runs_from_1_oct_2024_to_30_sep_2025():
    assert fcal.fiscal_year_bounds(2568) == (date(2024, 10, 1), date(2025, 9, 30))


@pytest.mark.parametrize(
    ("day", "fy", "quarter"),
    [
        (date(2024, 9, 30), 2567, 4),
        (date(2024, 10, 1), 2568, 1),
        (date(2024, 12, 31), 2568, 1),
        (date(2025, 1, 1), 2568, 2),
        (date(2025, 3, 31), 2568, 2),
        (date(2025, 4, 1), 2568, 3),
        (date(2025, 6, 30), 2568, 3),
        (date(2025, 7, 1), 2568, 4),
        (date(2025, 9, 30), 2568, 4),
        (date(2025, 10, 1), 2569, 1),
    ],
)
def test_fiscal_year_and_quarter_of_a_date(day, fy, quarter):
    assert fcal.fiscal_year_of(day) == fy
    assert fcal.quarter_of(day) == quarter


def test_quarter_bounds_include_leap_day():
    # FY 2567 Q2 = Jan-Mar 2024, and 2024 is a leap year
    assert fcal.quarter_bounds(2567, 2) == (date(2024, 1, 1), date(2024, 3, 31))
    assert fcal.fiscal_year_of(date(2024, 2, 29)) == 2567
    assert fcal.quarter_of(date(2024, 2, 29)) == 2


@pytest.mark.parametrize(("quarter", "end", "months"), [
    (1, date(2024, 12, 31), 3), (2, date(2025, 3, 31), 6),
    (3, date(2025, 6, 30), 9), (4, date(2025, 9, 30), 12),
])
def test_cumulative_period_starts_on_1_october(quarter, end, months):
    assert fcal.cumulative_period(2568, quarter) == (date(2024, 10, 1), end)
    assert fcal.months_covered(quarter) == months


@pytest.mark.parametrize(("quarter", "due"), [
    (1, date(2025, 1, 15)), (2, date(2025, 4, 15)), (3, date(2025, 7, 15)), (4, date(2025, 10, 15)),
])
def test_due_dates_are_the_15th_of_the_month_after(quarter, due):
    assert fcal.due_date(2568, quarter) == due


def test_due_day_and_override_from_the_plan():
    assert fcal.due_date(2568, 2, due_day=20) == date(2025, 4, 20)
    assert fcal.due_date(2568, 2, override=date(2025, 4, 30)) == date(2025, 4, 30)
    with pytest.raises(ValueError):
        fcal.due_date(2568, 5)


def test_late_is_after_the_whole_due_day_in_thai_time():
    due = date(2025, 1, 15)
    assert not fcal.is_late(datetime(2025, 1, 15, 23, 59), due)
    assert fcal.is_late(datetime(2025, 1, 16, 0, 0), due)
    # 17:30 UTC on the 15th is 00:30 on the 16th in Thailand: late
    assert fcal.is_late(datetime(2025, 1, 15, 17, 30, tzinfo=UTC), due)
    assert not fcal.is_late(datetime(2025, 1, 15, 16, 59, tzinfo=UTC), due)
    assert not fcal.is_late(date(2025, 1, 15), due)


def test_be_ce_conversion_and_confusion():
    assert fcal.be_to_ce(2568) == 2025
    assert fcal.ce_to_be(2024) == 2567
    assert fcal.looks_like_ce(2024)
    assert not fcal.looks_like_ce(2567)


def test_thai_month_names_both_ways():
    assert fcal.month_from_name("ม.ค.") == 1
    assert fcal.month_from_name("มกราคม") == 1
    assert fcal.month_from_name("มค") == 1
    assert fcal.month_from_name(" ธ.ค. ") == 12
    assert fcal.month_from_name("เม.ย") == 4
    assert fcal.month_from_name("Sep") == 9
    assert fcal.month_from_name("ไม่ใช่เดือน") is None
    assert fcal.format_thai_date(date(2025, 1, 15)) == "15 ม.ค. 2568"
    assert fcal.format_thai_date(date(2025, 1, 15), abbr=False) == "15 มกราคม 2568"
    assert fcal.format_thai_date(date(2025, 1, 15), thai_digits=True) == "๑๕ ม.ค. ๒๕๖๘"
    assert fcal.period_text_th(2568, 2) == "1 ต.ค. 2567 – 31 มี.ค. 2568 (6 เดือน)"


def test_thai_digits():
    assert fcal.to_arabic_digits("๑,๒๓๔.๕๐") == "1,234.50"
    assert fcal.to_thai_digits("2568") == "๒๕๖๘"
