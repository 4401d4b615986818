"""Thai data-entry habits become exact typed values; what cannot be read is reported at
its cell. Cell-level parsers are checked one habit per case; a real workbook checks that
values, dtypes and problem cells come out of the whole step."""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import make_small_plan
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from pipeline.calendar import to_thai_digits
from pipeline.normalise import (
    Bad,
    clean_text,
    split_emails,
    strategy_lookup,
    to_choice,
    to_date,
    to_float,
    to_int,
    to_satang,
)
from pipeline.normalise import normalise_workbook as normalise
from pipeline.read import read_workbook

PLAN = make_small_plan()


# ---- money: integer satang, exact --------------------------------------------------------
@pytest.mark.parametrize(("typed", "satang"), [
    (1234.5, 123450),  # a number cell
    (0.1 + 0.2, 30),  # float noise is not a third decimal
    (1234.56, 123456),
    (100, 10000),
    ("1234", 123400),  # number stored as text
    ("1,234.5", 123450),
    ("1,234.50 บาท", 123450),
    ("฿1,234.50", 123450),
    ("THB 1234.50", 123450),
    ("๑,๒๓๔.๕๐ บาท", 123450),  # Thai digits
    ("\u200b1,234.50\xa0", 123450),  # zero-width and NBSP from copy-paste
    ("1 234.50", 123450),  # space as thousands separator
    ("(1,234.00)", -123400),  # accounting negative stays negative (validator reports it)
    ("-1,234", -123400),
    ("500.-", 50000),  # whole baht, receipt style
    ("1,000 บ.", 100000),
    ("-", None), ("–", None), ("—", None), ("  ", None), (None, None),
    (12_345_678.9, 1_234_567_890),
    # a number cell formatted as a date is judged by its value (the serial), at any size:
    # the reader gives it as a date only while it is a valid one (tests/test_money_by_value.py)
    (date(2025, 1, 15), 4_567_200),
])
def test_money_to_satang(typed: object, satang: int | None) -> None:
    assert to_satang(typed) == satang


@pytest.mark.parametrize(("typed", "code"), [
    ("1234.567", "money.too-many-decimals"),
    (1234.567, "money.too-many-decimals"),
    ("๑๒.๓๔๕", "money.too-many-decimals"),
    ("12,34", "value.not-a-number"),  # not a thousands grouping
    ("หนึ่งพัน", "value.not-a-number"),
    ("1,234.50%", "value.not-a-number"),
    ("#DIV/0!", "value.not-a-number"),
    (True, "value.not-a-number"),
    (99999999999999999999, "value.out-of-range"),  # would overflow Int64 satang
    ("100,000,000,000,000.00", "value.out-of-range"),
    (1e300, "value.out-of-range"),
    (float("inf"), "value.not-a-number"),
])
def test_money_that_cannot_be_read(typed: object, code: str) -> None:
    with pytest.raises(Bad) as info:
        to_satang(typed)
    assert info.value.code == code


# ---- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "out"), [
    (2568.0, 2568), ("๒๕๖๘", 2568), (" 2,568 ", 2568), ("2568.00", 2568), (7, 7), ("-", None),
])
def test_int(typed: object, out: int | None) -> None:
    assert to_int(typed) == out


@pytest.mark.parametrize(("typed", "code"), [
    (2.5, "value.not-an-integer"), ("2.5", "value.not-an-integer"), ("สอง", "value.not-a-number"),
    (10**20, "value.out-of-range"),
])
def test_int_refuses_fractions_words_and_overflow(typed: object, code: str) -> None:
    with pytest.raises(Bad) as info:
        to_int(typed)
    assert info.value.code == code


@pytest.mark.parametrize(("typed", "out"), [
    ("95.87%", 95.87), ("๙๕.๘๗ %", 95.87), ("ร้อยละ 54", 54.0), (95.87, 95.87), (0.9587, 0.9587), ("54", 54.0),
])
def test_percent(typed: object, out: float) -> None:
    assert to_float(typed, allow_percent=True) == out


def test_percent_sign_refused_where_no_percent_is_expected() -> None:
    with pytest.raises(Bad):
        to_float("3%")


# ---- dates ---------------------------------------------------------------------------------
JAN15 = date(2025, 1, 15)


@pytest.mark.parametrize(("typed", "out"), [
    ("15 ม.ค. 2568", JAN15),
    ("15 มกราคม 2568", JAN15),
    ("15 ม.ค.68", JAN15),
    ("15/01/2568", JAN15),
    ("15-01-2568", JAN15),
    ("15.1.2568", JAN15),
    ("15/1/68", JAN15),  # two-digit BE year
    ("๑๕ ม.ค. ๒๕๖๘", JAN15),
    ("วันที่ 15 มกราคม พ.ศ. 2568", JAN15),
    ("15 Jan 2568", JAN15),
    ("15/01/2568 10:30 น.", JAN15),
    ("15 ม.ค. 2568 เวลา 09.15", JAN15),
    (datetime(2025, 1, 15, 9, 30), JAN15),
    (JAN15, JAN15),
    (45672, JAN15),  # Excel serial
    (45672.0, JAN15),
    (date(2568, 1, 15), JAN15),  # BE year typed into a date cell in Excel
    ("-", None),
])
def test_dates(typed: object, out: date | None) -> None:
    assert to_date(typed) == (out, None)


@pytest.mark.parametrize(("typed", "year"), [("15/01/2025", 2025), ("15 ม.ค. 2025", 2025)])
def test_ce_year_is_read_as_ce_with_a_warning(typed: str, year: int) -> None:
    assert to_date(typed) == (JAN15, year)


@pytest.mark.parametrize("typed", ["พรุ่งนี้", "32/01/2568", "15/13/2568", "15 ABC 2568",
                                   "1/2/3", True, "29/02/2568"])
def test_garbage_is_not_a_date(typed: object) -> None:
    with pytest.raises(Bad) as info:
        to_date(typed)
    assert info.value.code == "value.not-a-date"


# ---- choices, codes, e-mails ------------------------------------------------------------------
STRATEGIES = strategy_lookup(PLAN)


@pytest.mark.parametrize(("typed", "key"), [
    ("2", 2), (2.0, 2), ("2.", 2), ("ยุทธศาสตร์ที่ 2", 2), ("ยุทธศาสตร์ที่๒", 2),
    ("2. การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน", 2),
    ("การพัฒนาคุณภาพผู้เรียนและเพิ่มขีดความสามารถในการแข่งขัน", 2),
    ("learner quality and competitiveness", 2),
    ("9", "9"),  # not a strategy of the plan: kept for the validator to name
    ("ยุทธศาสตร์ใหม่", "ยุทธศาสตร์ใหม่"),
])
def test_strategy_choice(typed: object, key: object) -> None:
    assert to_choice(typed, "strategy", STRATEGIES, PLAN) == key


@pytest.mark.parametrize(("typed", "key"), [
    ("งบประมาณพื้นฐาน", "basic"), (" งบประมาณ\xa0พื้นฐาน ", "basic"),
    ("Basic-Necessity Budget", "basic"), ("basic", "basic"), ("งบพื้นฐาน", "งบพื้นฐาน"),
])
def test_fixed_choice(typed: str, key: str) -> None:
    assert to_choice(typed, "budget_source", STRATEGIES, PLAN) == key


def test_text_and_codes_are_cleaned() -> None:
    assert clean_text(" \u200bโรงเรียน\xa0บ้านหนองแวง\ufeff ") == "โรงเรียน บ้านหนองแวง"
    assert clean_text(1033530001.0) == "1033530001"
    assert clean_text("-") == "-"  # "-" means nothing only where a value is typed


def test_sender_emails_split_and_checked() -> None:
    assert split_emails("A@x.th; b@Y.th\nc@z.th ,") == ["a@x.th", "b@y.th", "c@z.th"]
    with pytest.raises(Bad) as info:
        split_emails("a@x.th, not-an-address")
    assert info.value.code == "value.not-an-email"


# ---- the whole step on a real workbook -----------------------------------------------------
@functools.cache
def _report(tmp: str) -> tuple:
    """A report pasted without template: each habit in its own row and cell."""
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = schemas.COVER.name
    labels = {c.name: c.header for c in schemas.COVER.columns}
    values = {"agency_code": 1033530001, "fiscal_year": "๒๕๖๘", "quarter": 2.0,
              "reporter_email": " Clerk@School.Example.th", "report_date": "10/04/2025",
              "due_date": "๑๕ เม.ย. ๒๕๖๘"}
    for i, (name, label) in enumerate(labels.items()):
        cover.cell(row=4 + i, column=1, value=label)
        cover.cell(row=4 + i, column=2, value=values.get(name))
    budget = wb.create_sheet(schemas.BUDGET.name)
    for j, c in enumerate(schemas.BUDGET.columns):
        budget.cell(row=4, column=1 + j, value=c.header)
    rows = [
        ("P1", "ก", "ยุทธศาสตร์ที่ 1", "งบประมาณพื้นฐาน", "งบลงทุน", "๑,๒๓๔.๕๐ บาท", "-", 0.1 + 0.2),
        ("P2", "ข", 2, "strategic", "Operating", "1,000.555", None, "(100.00)"),
        ("P3", "ค", "๒.", "อื่น ๆ", "งบดำเนินงาน", "หนึ่งพัน", "=SUM(1)", 5),
    ]
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            budget.cell(row=5 + i, column=1 + j, value=v)
    ind = wb.create_sheet(schemas.INDICATORS.name)
    for j, c in enumerate(schemas.INDICATORS.columns):
        ind.cell(row=4, column=1 + j, value=c.header)
    results = [("1.1", "95.87%"), ("2.1", "๕๑.๒๕"), ("4.1", "3%"), ("6.1", "#DIV/0!")]
    for i, (code, result) in enumerate(results):  # openpyxl stores "#DIV/0!" as an error
        ind.cell(row=5 + i, column=1, value=code)
        ind.cell(row=5 + i, column=6, value=result)
    path = Path(tmp) / "habits.xlsx"
    wb.save(path)
    raw = read_workbook(path)
    return raw, *normalise(raw, PLAN)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return _report(str(tmp_path_factory.mktemp("habits")))


def test_budget_frame_values_and_dtypes(report: tuple) -> None:
    _raw, frames, _problems = report
    b = frames["budget"].frame
    assert list(b["_row"]) == [5, 6, 7]
    assert str(b["allocated"].dtype) == "Int64"
    assert b["allocated"].tolist()[0] == 123450
    assert b["committed"].isna().all()
    assert b["disbursed"].tolist()[:2] == [30, -10000]
    assert list(b["strategy"]) == [1, 2, 2]
    assert list(b["budget_source"]) == ["basic", "strategic", "อื่น ๆ"]
    assert list(b["expenditure_category"]) == ["investment", "operating", "operating"]


def test_problems_name_their_cells(report: tuple) -> None:
    _raw, frames, problems = report
    found = {(p.code, p.sheet, p.cell, p.value) for p in problems}
    budget = schemas.BUDGET.name
    assert ("money.too-many-decimals", budget, "F6", "1,000.555") in found
    assert ("value.not-a-number", budget, "F7", "หนึ่งพัน") in found
    # openpyxl saves a formula without its result: the sender must save it in Excel
    assert ("structure.formula-no-value", budget, "G7", "=SUM(1)") in found
    assert ("value.not-a-number", schemas.INDICATORS.name, "F7", "3%") in found
    assert ("value.year-looks-ce", schemas.COVER.name, "B14", "2025") in found
    # calamine shows error cells as empty; the reader puts the error back for the sender
    assert ("value.not-a-number", schemas.INDICATORS.name, "F8", "#DIV/0!") in found
    assert {("allocated", 6), ("allocated", 7), ("committed", 7)} <= frames["budget"].unparsed
    assert len(problems) == 6


def test_cover_and_indicator_values(report: tuple) -> None:
    _raw, frames, _problems = report
    cover = frames["cover"]
    row = cover.frame.iloc[0].to_dict()
    assert row["agency_code"] == "1033530001"
    assert row["fiscal_year"] == 2568 and row["quarter"] == 2
    assert row["reporter_email"] == "clerk@school.example.th"
    assert row["report_date"] == date(2025, 4, 10)
    assert row["due_date"] == date(2025, 4, 15)
    assert cover.cell("report_date", row["_row"]) == "B14"
    ind = frames["indicators"].frame
    assert ind["result"].tolist()[:2] == [95.87, 51.25]
    assert str(ind["result"].dtype) == "Float64"


# ---- property: however a clerk writes an amount, the satang are exact -----------------------
@given(st.integers(min_value=-10**13, max_value=10**13), st.sampled_from(["plain", "grouped"]),
       st.booleans(), st.sampled_from(["", " บาท", "บาท", " THB", "฿"]), st.booleans())
@settings(max_examples=300, deadline=None)
def test_any_written_amount_is_exact(satang: int, grouping: str, thai: bool, unit: str,
                                     parens: bool) -> None:
    baht, st_part = divmod(abs(satang), 100)
    number = f"{baht:,}" if grouping == "grouped" else str(baht)
    text = f"{number}.{st_part:02d}"
    if thai:
        text = to_thai_digits(text)
    negative = satang < 0
    if negative and parens:
        text = f"({text})"
    elif negative:
        text = "-" + text
    text = (f"฿{text}" if unit == "฿" else f"{text}{unit}")
    assert to_satang(text) == satang


@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False))
@settings(max_examples=300, deadline=None)
def test_number_cells_with_two_decimals_are_exact(amount: Decimal) -> None:
    """A float cell holding baht with 2 decimals is the same satang as the text."""
    assert to_satang(float(amount)) == int(amount * 100)
