"""The Thai fiscal calendar: Buddhist Era years, fiscal quarters, due dates, lateness.

Fiscal year N (BE) runs 1 October of CE year N-544 to 30 September of CE year N-543:
FY 2568 = 2024-10-01 .. 2025-09-30. Reports are cumulative from 1 October and due on
the ``due_day`` of the month after the quarter (15 by default). BE is converted here,
at the edge; everything inside the product works with real ``datetime.date`` values.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

BE_OFFSET = 543
DEFAULT_DUE_DAY = 15
# The office's clock: Thailand, UTC+7, no daylight saving.
THAI_TZ = timezone(timedelta(hours=7), "ICT")

THAI_MONTHS = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]
THAI_MONTHS_ABBR = [
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]


def be_to_ce(year_be: int) -> int:
    return year_be - BE_OFFSET


def ce_to_be(year_ce: int) -> int:
    return year_ce + BE_OFFSET


def looks_like_ce(year: int) -> bool:
    """A year a Thai user typed that is probably CE where BE was meant (e.g. 2024 for 2567)."""
    return 1900 <= year <= 2200


def fiscal_year_of(d: date) -> int:
    """The BE fiscal year a date falls in (1 Oct starts the next fiscal year)."""
    return ce_to_be(d.year + 1 if d.month >= 10 else d.year)


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of a BE fiscal year."""
    start_ce = be_to_ce(fy) - 1
    return date(start_ce, 10, 1), date(start_ce + 1, 9, 30)


def quarter_of(d: date) -> int:
    """Fiscal quarter (1-4) of a date: Q1 Oct-Dec, Q2 Jan-Mar, Q3 Apr-Jun, Q4 Jul-Sep."""
    return ((d.month - 10) % 12) // 3 + 1


def _check_quarter(quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, got {quarter!r}")


def quarter_bounds(fy: int, quarter: int) -> tuple[date, date]:
    """First and last day of the quarter itself (three months)."""
    _check_quarter(quarter)
    start, _ = fiscal_year_bounds(fy)
    month0 = (start.month - 1) + 3 * (quarter - 1)
    year = start.year + month0 // 12
    month = month0 % 12 + 1
    end_month0 = month0 + 2
    end_year = start.year + end_month0 // 12
    end_month = end_month0 % 12 + 1
    return date(year, month, 1), date(end_year, end_month, _cal.monthrange(end_year, end_month)[1])


def cumulative_period(fy: int, quarter: int) -> tuple[date, date]:
    """The period a quarter's report covers: from 1 Oct to the quarter's end (3/6/9/12 months)."""
    start, _ = fiscal_year_bounds(fy)
    return start, quarter_bounds(fy, quarter)[1]


def months_covered(quarter: int) -> int:
    _check_quarter(quarter)
    return 3 * quarter


def due_date(fy: int, quarter: int, due_day: int = DEFAULT_DUE_DAY,
             override: date | None = None) -> date:
    """When a quarter's report is due: ``due_day`` of the month after the quarter, unless
    the plan sets the date itself."""
    if override is not None:
        return override
    end = quarter_bounds(fy, quarter)[1]
    nxt = end + timedelta(days=1)
    day = min(due_day, _cal.monthrange(nxt.year, nxt.month)[1])
    return date(nxt.year, nxt.month, day)


def to_thai_date(value: datetime | date) -> date:
    """The calendar day in Thailand of a timestamp (naive datetimes are taken as Thai time)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(THAI_TZ)
        return value.date()
    return value


def is_late(received: datetime | date, due: date) -> bool:
    """Late = received after the due date (the whole due day, Thai time, is on time)."""
    return to_thai_date(received) > due


@dataclass(frozen=True)
class Period:
    """A fiscal year and quarter, as reports name them."""

    fiscal_year: int
    quarter: int

    def __post_init__(self) -> None:
        _check_quarter(self.quarter)

    @property
    def label_th(self) -> str:
        return f"ปีงบประมาณ {self.fiscal_year} ไตรมาส {self.quarter}"

    @property
    def label_en(self) -> str:
        return f"FY {self.fiscal_year} Q{self.quarter}"

    def previous(self) -> Period | None:
        return Period(self.fiscal_year, self.quarter - 1) if self.quarter > 1 else None


def format_thai_date(d: date, *, abbr: bool = True, thai_digits: bool = False) -> str:
    """'15 ม.ค. 2568' (or '15 มกราคม 2568' with abbr=False)."""
    months = THAI_MONTHS_ABBR if abbr else THAI_MONTHS
    text = f"{d.day} {months[d.month - 1]} {ce_to_be(d.year)}"
    return to_thai_digits(text) if thai_digits else text


def period_text_th(fy: int, quarter: int) -> str:
    """'1 ต.ค. 2567 – 31 มี.ค. 2568 (6 เดือน)' for a quarter's cumulative period."""
    start, end = cumulative_period(fy, quarter)
    return f"{format_thai_date(start)} – {format_thai_date(end)} ({months_covered(quarter)} เดือน)"


THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)


def to_arabic_digits(text: str) -> str:
    return text.translate(_TO_ARABIC)


def to_thai_digits(text: str) -> str:
    return text.translate(_TO_THAI)


def _month_lookup() -> dict[str, int]:
    table: dict[str, int] = {}
    for i, (full, abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_ABBR, strict=True), start=1):
        table[full] = i
        table[abbr] = i
        table[abbr.replace(".", "")] = i  # "มค"
        table[abbr.replace(" ", "")] = i
    for i, name in enumerate(_cal.month_name[1:], start=1):
        table[name.lower()] = i
        table[name[:3].lower()] = i
    return table


MONTH_NUMBER = _month_lookup()


def month_from_name(name: str) -> int | None:
    """1-12 for a Thai or English month name or abbreviation ('ม.ค.', 'มกราคม', 'Jan')."""
    key = name.strip().lower()
    if key in MONTH_NUMBER:
        return MONTH_NUMBER[key]
    key = key.replace(" ", "")
    if key in MONTH_NUMBER:
        return MONTH_NUMBER[key]
    if key.rstrip(".") + "." in MONTH_NUMBER:
        return MONTH_NUMBER[key.rstrip(".") + "."]
    return None
