"""Turn Thai data-entry habits into clean typed values, before any type check.

Clerks type "๑,๒๓๔.๕๐ บาท", "(1,234.00)", "95.87%", "15 ม.ค. 68", leave NBSP and
zero-width spaces from copy-paste, and write "-" for nothing. This step accepts all of
that and produces one typed column per schema field (see ColumnSpec.kind):

=========== ============================== ==========================================
kind        output                         notes
=========== ============================== ==========================================
money       Int64 satang                   exact (Decimal); >2 decimals is an error
                                           (money.too-many-decimals), never rounded;
                                           negatives keep their sign (V's range check
                                           reports them)
int         Int64                          2568.0 fine, 2.5 is value.not-an-integer
number      Float64                        "%" accepted for percent-unit indicators
percent     Float64                        "95.87%" -> 95.87; a bare number as is
text/code   str or None                    stripped; numeric codes lose the ".0"
email(s)    lower-case str or None         shape checked here (value.not-an-email)
date        datetime.date or None          cells, serials, Thai text, BE/CE years
choice      stable key (str; int strategy) unknown values kept as cleaned text so the
                                           validator's isin check names them
=========== ============================== ==========================================

Cells that cannot be parsed are reported here (with their A1 cell) and listed in
``SheetFrame.unparsed`` so the validator does not report them twice.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from schemas import SUBMISSION_SHEETS, ColumnSpec, SheetSpec
from schemas._base import (
    CHOICE,
    CODE,
    DATE,
    EMAIL,
    EMAILS,
    INT,
    MONEY,
    NUMBER,
    PERCENT,
)
from schemas.choices import FIXED_CHOICES

from . import calendar as fcal
from . import catalog
from .model import Problem, RawCell, RawSheet, RawWorkbook, SheetFrame
from .plan import Plan

_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_THAI_DIGIT_RE = re.compile("[๐-๙]")
_SPACES = re.compile(r"[\s\xa0\u2000-\u200a\u202f\u205f\u3000]+")
NOTHING = {"", "-", "--", "–", "—", "−", "_", "ー"}
_CURRENCY = re.compile(r"(บาท|baht|thb|฿|บ\.$)", re.IGNORECASE)  # "1,000 บ." too
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_EMAIL_RE = re.compile(r"^[^@\s,;<>()]+@[^@\s,;<>()]+\.[^@\s,;<>()]+$")
_EMAIL_SPLIT = re.compile(r"[,;\s]+")
EXCEL_EPOCH = date(1899, 12, 30)
BE_YEAR_MIN, BE_YEAR_MAX = 2400, 2800


@functools.cache
def spec_columns(spec: SheetSpec) -> list[ColumnSpec]:
    """A sheet's column specs, built once (building them from pandera costs ~1 ms)."""
    return spec.columns


class Bad(Exception):
    """A cell value that cannot become its column's type: code + catalog params."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


# ---- text --------------------------------------------------------------------------------
def clean_text(value: Any) -> str | None:
    """Stripped text without zero-width characters; NBSP and other spaces as plain
    spaces; None for blank."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        s = str(int(value)) if value.is_integer() else format(value, ".15g")
    elif isinstance(value, datetime):
        s = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    elif isinstance(value, date):
        s = value.isoformat()
    elif type(value) is str:
        if value.isascii():
            return value.strip() or None
        # the same labels, names and choices come back in every file of a night
        return _clean_unicode(value) if len(value) < 200 else _clean_unicode.__wrapped__(value)
    else:
        s = str(value)
    if not s.isascii():  # the slow path only for text that can hold NBSP or zero-width
        return _clean_unicode.__wrapped__(s)
    s = s.strip()
    return s or None


@functools.lru_cache(maxsize=8192)
def _clean_unicode(s: str) -> str | None:
    s = unicodedata.normalize("NFC", s)
    if _INVISIBLE_RE.search(s):
        s = _INVISIBLE_RE.sub("", s)
    s = s.replace("\xa0", " ").strip()
    return s or None


def arabic_digits(text: str) -> str:
    """Thai digits as Arabic ones (translate only when there are any: it is slow)."""
    return fcal.to_arabic_digits(text) if _THAI_DIGIT_RE.search(text) else text


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def norm_key(text: Any) -> str:
    """Comparison form: clean, single spaces, Arabic digits, casefolded."""
    s = clean_text(text)
    return arabic_digits(_squash(s)).casefold() if s else ""


# ---- numbers -------------------------------------------------------------------------------
def to_decimal(value: Any, *, allow_percent: bool = False) -> Decimal | None:
    """A number from a cell: numeric cells exactly (via their shortest repr), text with
    Thai digits, separators, currency words, parentheses negatives. None for blank."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise Bad("value.not-a-number")
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Bad("value.not-a-number")
        return Decimal(repr(value))
    if isinstance(value, (date, datetime, timedelta)):
        value = excel_serial(value)  # a number shown with a date or time format
        return Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    s = clean_text(value)
    if s is None:
        return None
    s = arabic_digits(_SPACES.sub("", s))
    if s in NOTHING:
        return None
    s = _CURRENCY.sub("", s)
    if s.endswith(".-"):  # "500.-" is how Thai receipts write whole baht
        s = s[:-2]
    if s.startswith("ร้อยละ") and allow_percent:  # "ร้อยละ 54" (spaces already gone)
        s = s[len("ร้อยละ"):]
    if s.endswith("%"):
        if not allow_percent:
            raise Bad("value.not-a-number")
        s = s[:-1]
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    s = s.replace("−", "-").replace("–", "-")
    if s.endswith("-") and not s.startswith("-"):  # "1,234-" (accounting style)
        negative, s = not negative, s[:-1]
    if not s or s in NOTHING or not _NUMBER.match(s) or not any(ch.isdigit() for ch in s):
        raise Bad("value.not-a-number")
    try:
        d = Decimal(s.replace(",", ""))
    except InvalidOperation as exc:
        raise Bad("value.not-a-number") from exc
    return -d if negative else d


def excel_serial(value: date | datetime | timedelta) -> int | float:
    """The number a cell holds when it shows as a date, time or duration (Excel's 1900
    date system): how a number cell is judged by its value whatever its format. The
    reader gives such a number as a date only while it is a valid date (up to 9999-12-31,
    serial 2,958,465) and as the number beyond: 100,000 and 5,000,000 baht formatted as
    dates must be read alike."""
    if isinstance(value, timedelta):
        days = value.total_seconds() / 86400
    elif isinstance(value, datetime):
        day = value.date()
        days = (_serial_day(day) + (value - datetime.combine(day, datetime.min.time()))
                .total_seconds() / 86400)
    else:
        days = _serial_day(value)
    return int(days) if float(days).is_integer() else days


def _serial_day(day: date) -> int:
    # serials 1-59 are 1900-01-01..02-28; Excel counts a 29 Feb 1900 that never was (60)
    return (day - (EXCEL_EPOCH if day >= date(1900, 3, 1) else date(1899, 12, 31))).days


MAX_SATANG = 10**16 - 1  # 99,999,999,999,999.99 baht: far above any budget, fits Int64
MAX_INT = 2**53  # beyond this a whole number is a typo (and floats lose it)


def to_satang(value: Any) -> int | None:
    """Baht -> integer satang, exactly. A float cell is read through its shortest repr
    (1234.5 -> 123450); float noise past 15 significant digits (0.1+0.2) is Excel's own
    precision, so it is dropped before counting decimals."""
    d = to_decimal(value)
    if d is None:
        return None
    q = d * 100
    if q != q.to_integral_value():
        if isinstance(value, float):
            q = Decimal(format(value, ".15g")) * 100
        if q != q.to_integral_value():
            raise Bad("money.too-many-decimals")
    if abs(q) > MAX_SATANG:
        raise Bad("value.out-of-range", expected=f"≤ {MAX_SATANG // 100:,}.99")
    return int(q)


def to_int(value: Any) -> int | None:
    d = to_decimal(value)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise Bad("value.not-an-integer")
    if abs(d) > MAX_INT:
        raise Bad("value.out-of-range", expected=f"≤ {MAX_INT:,}")
    return int(d)


def to_float(value: Any, *, allow_percent: bool = False) -> float | None:
    if isinstance(value, float) and math.isfinite(value):
        return value
    d = to_decimal(value, allow_percent=allow_percent)
    return None if d is None else float(d)


# ---- dates ----------------------------------------------------------------------------------
_DMY = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{2,4})$")
_YMD = re.compile(r"^(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})$")
_D_MONTH_Y = re.compile(r"^(\d{1,2})\s*([^\d\s].*?)\s*(\d{2,4})$")
_TIME_TAIL = re.compile(r"\s+(?:เวลา\s*)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:น\.?|นาฬิกา)?$")
_DATE_NOISE = re.compile(r"(วันที่|พ\.\s?ศ\.|ค\.\s?ศ\.|^วัน\S*\s+)")


def _year_to_ce(year_text: str) -> tuple[int, int | None]:
    """(CE year, the typed year when it looked CE) for a typed year."""
    y = int(year_text)
    if len(year_text) <= 2:
        return 2500 + y - fcal.BE_OFFSET, None
    if BE_YEAR_MIN <= y <= BE_YEAR_MAX:
        return fcal.be_to_ce(y), None
    if fcal.looks_like_ce(y):
        return y, y
    raise Bad("value.not-a-date")


def to_date(value: Any) -> tuple[date | None, int | None]:
    """(date, year typed as CE or None). Excel keeps a BE year typed into a date cell
    as a CE year 543 years ahead; such cells are moved back."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        d: date = value.date()
    elif isinstance(value, date):
        d = value
    elif isinstance(value, bool):
        raise Bad("value.not-a-date")
    elif isinstance(value, (int, float)):
        if not (isinstance(value, int) or math.isfinite(value)) or not 1 <= value < 2958466:
            raise Bad("value.not-a-date")
        d = EXCEL_EPOCH + timedelta(days=int(value))
    elif isinstance(value, str):
        return _text_date(value)
    else:
        raise Bad("value.not-a-date")
    if d.year >= BE_YEAR_MIN:
        try:
            d = d.replace(year=d.year - fcal.BE_OFFSET)
        except ValueError as exc:  # 29 Feb of a BE year that is no CE leap year
            raise Bad("value.not-a-date") from exc
    return d, None


def _text_date(value: str) -> tuple[date | None, int | None]:
    s = clean_text(value)
    if s is None or s in NOTHING:
        return None, None
    s = _squash(_DATE_NOISE.sub(" ", arabic_digits(s)))
    s = _TIME_TAIL.sub("", s)  # "15/01/2568 10:30 น." - the time is not part of the date
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return to_date(float(s))
    for pattern, order in ((_DMY, "dmy"), (_YMD, "ymd")):
        m = pattern.match(s)
        if m:
            a, b, c = m.groups()
            day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
            return _make_date(year, int(month), int(day))
    m = _D_MONTH_Y.match(s)
    if m:
        month = fcal.month_from_name(m.group(2))
        if month is None:
            raise Bad("value.not-a-date")
        return _make_date(m.group(3), month, int(m.group(1)))
    raise Bad("value.not-a-date")


def _make_date(year_text: str, month: int, day: int) -> tuple[date, int | None]:
    year, typed_ce = _year_to_ce(year_text)
    try:
        return date(year, month, day), typed_ce
    except ValueError as exc:
        raise Bad("value.not-a-date") from exc


# ---- choices --------------------------------------------------------------------------------
def choice_key(text: Any) -> str:
    """Choices compare without any spaces: a stray space inside Thai words is common."""
    if isinstance(text, str) and len(text) < 200:
        return _choice_key_cached(text)
    return norm_key(text).replace(" ", "")


@functools.lru_cache(maxsize=4096)
def _choice_key_cached(text: str) -> str:
    return norm_key(text).replace(" ", "")


def _fixed_lookup(list_name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for c in FIXED_CHOICES.get(list_name, []):
        for text in (c.key, c.th, c.en, f"{c.th} ({c.en})", f"{c.th} {c.en}"):
            table.setdefault(choice_key(text), c.key)
    return table


_FIXED = {name: _fixed_lookup(name) for name in FIXED_CHOICES}
_STRATEGY_NO = re.compile(r"^(?:ยุทธศาสตร์\s*(?:ที่)?|strategy|ยศ\.?)?\s*(\d{1,2})\s*(?:[.):]|\s|$)")


def strategy_lookup(plan: Plan | None) -> dict[str, int]:
    table: dict[str, int] = {}
    if plan is None:
        return table
    for s in plan.strategies.values():
        for text in (str(s.no), f"{s.no}.", f"ยุทธศาสตร์ที่ {s.no}", s.label, s.name_th,
                     s.name_en, f"ยุทธศาสตร์ที่ {s.no} {s.name_th}"):
            if text:
                table.setdefault(choice_key(text), s.no)
    return table


_STRATEGY_CACHE: dict[int, tuple[Plan, int, dict[str, int]]] = {}


def _strategies_of(plan: Plan | None) -> dict[str, int]:
    """strategy_lookup, remembered per plan object (a night validates many files)."""
    if plan is None:
        return {}
    hit = _STRATEGY_CACHE.get(id(plan))
    if hit is not None and hit[0] is plan and hit[1] == len(plan.strategies):
        return hit[2]
    table = strategy_lookup(plan)
    if len(_STRATEGY_CACHE) > 32:
        _STRATEGY_CACHE.clear()
    _STRATEGY_CACHE[id(plan)] = (plan, len(plan.strategies), table)
    return table


def to_choice(value: Any, list_name: str | None, strategies: dict[str, int],
              plan: Plan | None) -> Any:
    """The stable key of a choice (int for strategies); unknown -> the cleaned text."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if text is None or text in NOTHING:
        return None
    key = choice_key(text)
    if list_name == "strategy":
        if key in strategies:
            return strategies[key]
        m = _STRATEGY_NO.match(norm_key(text))
        if m:
            no = int(m.group(1))
            if plan is None or no in plan.strategies:
                return no
        return text
    table = _FIXED.get(list_name or "", {})
    return table.get(key, text)


# ---- e-mail ---------------------------------------------------------------------------------
def to_email(value: Any) -> str | None:
    text = clean_text(value)
    if text is None or text in NOTHING:
        return None
    text = _squash(text).lower()
    if text.startswith("mailto:"):
        text = text[7:]
    if not _EMAIL_RE.match(text):
        raise Bad("value.not-an-email")
    return text


def split_emails(value: Any) -> list[str]:
    """'a@x.th; B@y.th\\nc@z.th' -> ['a@x.th', 'b@y.th', 'c@z.th'] (raises on a bad one)."""
    text = clean_text(value)
    if text is None:
        return []
    out = []
    for part in _EMAIL_SPLIT.split(text):
        if part and part not in NOTHING:
            email = to_email(part)
            if email:
                out.append(email)
    return out


# ---- sheets ---------------------------------------------------------------------------------
_DTYPE = {MONEY: "Int64", INT: "Int64", NUMBER: "Float64", PERCENT: "Float64"}
_PERCENT_UNITS = {"percent", "ร้อยละ", "%", "ร้อยละ (percent)"}


def _raw_text(cell: RawCell) -> str:
    v = cell.value
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


class _SheetNormaliser:
    def __init__(self, raw: RawSheet, spec: SheetSpec, plan: Plan | None, file: str):
        self.raw = raw
        self.spec = spec
        self.plan = plan
        self.file = file
        self.problems: list[Problem] = []
        self.strategies = _strategies_of(plan)
        self.form = spec.layout == "form"

    def report(self, code: str, column: ColumnSpec, cell: RawCell, row: int,
               sf: SheetFrame, **params: Any) -> None:
        label = self.raw.column_labels.get(column.name) or column.header
        if "\n" not in label:
            label = column.header
        self.problems.append(catalog.problem(
            code, file=self.file, sheet=self.raw.sheet, cell=cell.ref, column=label,
            value=params.pop("value", _raw_text(cell)), **params))
        sf.unparsed.add((column.name, row))

    def percent_ok(self, cells: dict[str, RawCell]) -> bool:
        """A '%' is fine in an indicator's figures when the indicator is a percentage
        (known from the plan by its code, else from the row's unit cell)."""
        if self.plan is not None and "indicator_code" in cells:
            code = clean_text(cells["indicator_code"].value)
            ind = self.plan.indicators.get(code or "")
            if ind is not None:
                return ind.unit == "percent"
        unit = cells.get("unit")
        return unit is not None and norm_key(unit.value) in _PERCENT_UNITS

    def convert(self, column: ColumnSpec, value: Any, cells: dict[str, RawCell]
                ) -> tuple[Any, int | None]:
        kind = column.kind
        if kind == MONEY:
            return to_satang(value), None
        if kind == INT:
            return to_int(value), None
        if kind == NUMBER:
            percent = isinstance(value, str) and value.rstrip().endswith("%")
            return to_float(value, allow_percent=percent and self.percent_ok(cells)), None
        if kind == PERCENT:
            return to_float(value, allow_percent=True), None
        if kind == DATE:
            return to_date(value)
        if kind == CHOICE:
            return to_choice(value, column.choices, self.strategies, self.plan), None
        if kind == EMAIL:
            return to_email(value), None
        if kind == EMAILS:
            emails = split_emails(value)
            return (", ".join(emails) or None), None
        if kind == CODE:
            text = clean_text(value)
            if text is None or text in NOTHING:
                return None, None
            return arabic_digits(text), None
        text = clean_text(value)  # TEXT and anything unknown
        return (None if text in NOTHING else text), None

    def run(self) -> tuple[SheetFrame, list[Problem]]:
        raw, spec = self.raw, self.spec
        columns = spec_columns(spec)
        sf = _LazySheetFrame(spec.key, raw.sheet, None, dict(raw.column_refs),
                             {c.name: raw.column_labels.get(c.name, c.header) for c in columns})
        data: dict[str, list[Any]] = {c.name: [] for c in columns}
        rows: list[int] = []
        for row, cells in raw.rows:
            rows.append(row)
            for column in columns:
                data[column.name].append(self.value(column, cells, row, sf))
            if self.form:
                sf.field_cells = {k: c.ref for k, c in cells.items()}
        for name in raw.missing_columns:  # already reported by the reader
            for row in rows:
                sf.unparsed.add((name, row))
        sf.values = {**data, "_row": rows}
        sf.kinds = {c.name: c.kind for c in columns}
        return sf, self.problems

    def value(self, column: ColumnSpec, cells: dict[str, RawCell], row: int,
              sf: SheetFrame) -> Any:
        cell = cells.get(column.name)
        if cell is None:
            return None
        value = cell.value
        if cell.formula is not None and not column.locked:
            if not cell.has_cached_value:
                self.report("structure.formula-no-value", column, cell, row, sf,
                            value=cell.formula)
                return None
            self.report("structure.formula-instead-of-value", column, cell, row, sf,
                        value=cell.formula)
            sf.unparsed.discard((column.name, row))
        if isinstance(value, str) or column.kind in (MONEY, DATE):
            text = _raw_text(cell)
            if text:
                sf.raw_text[(column.name, row)] = text
        try:
            out, typed_ce = self.convert(column, value, cells)
        except Bad as bad:
            self.report(bad.code, column, cell, row, sf, **bad.params)
            return None
        if typed_ce is not None:
            self.problems.append(catalog.problem(
                "value.year-looks-ce", file=self.file, sheet=self.raw.sheet, cell=cell.ref,
                column=column.header, value=typed_ce, expected=fcal.ce_to_be(typed_ce)))
        return out


class _LazySheetFrame(SheetFrame):
    """A SheetFrame whose pandas frame is built from its plain ``values`` on first use.

    Validation reads the plain lists (a frame per sheet per file cost ~1 ms of a ~8 ms
    file); the plan loader, tests and anyone else asking for ``frame`` get the same
    typed frame as before, built once."""

    kinds: dict[str, str]

    @property  # type: ignore[override]
    def frame(self) -> pd.DataFrame:
        fr = self.__dict__.get("_frame")
        if fr is None and self.values is not None:
            values = self.values
            fr = _frame([(name, kind, values[name]) for name, kind in self.kinds.items()],
                        values["_row"])
            self.__dict__["_frame"] = fr
        return fr

    @frame.setter
    def frame(self, value: pd.DataFrame | None) -> None:
        self.__dict__["_frame"] = value


def _array(values: list[Any], kind: str) -> Any:
    """A typed column; object columns stay object (pandas 3 would make them str with NaN
    for blanks, and blanks must stay None)."""
    dtype = _DTYPE.get(kind)
    if dtype is not None:
        return pd.array(values, dtype=dtype)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _frame(columns: list[tuple[str, str, list[Any]]], rows: list[int]) -> pd.DataFrame:
    """The sheet's frame. Building it column by column through pd.Series costs ~0.1 ms a
    column; pandas' array constructor does it in one step (with a public fallback)."""
    index = pd.RangeIndex(len(rows))
    names = [name for name, _k, _v in columns] + ["_row"]
    arrays = [_array(values, kind) for _n, kind, values in columns]
    arrays.append(np.asarray(rows, dtype="int64"))
    try:
        return pd.DataFrame._from_arrays(arrays, columns=pd.Index(names), index=index,
                                         verify_integrity=False)
    except (AttributeError, TypeError):  # pragma: no cover - a future pandas without it
        return pd.DataFrame({n: pd.Series(a, index=index, copy=False)
                             for n, a in zip(names, arrays, strict=True)}, index=index)


def normalise_sheet(raw_sheet: RawSheet, spec: SheetSpec, plan: Plan | None,
                    file: str) -> tuple[SheetFrame, list[Problem]]:
    """One sheet -> a typed SheetFrame and the problems of cells that could not be read."""
    return _SheetNormaliser(raw_sheet, spec, plan, file).run()


def normalise_workbook(raw: RawWorkbook, plan: Plan | None,
                       sheets: list[SheetSpec] | None = None
                       ) -> tuple[dict[str, SheetFrame], list[Problem]]:
    """Every sheet the reader found, normalised; the specs default to the submission's
    (pass the plan's sheets for a plan workbook)."""
    specs = {s.key: s for s in (sheets or SUBMISSION_SHEETS)}
    frames: dict[str, SheetFrame] = {}
    problems: list[Problem] = []
    for key, raw_sheet in raw.sheets.items():
        spec = specs.get(key)
        if spec is None:
            continue
        sf, found = normalise_sheet(raw_sheet, spec, plan, raw.display_name)
        frames[key] = sf
        problems.extend(found)
    return frames, problems
