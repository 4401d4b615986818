"""The shared openpyxl look of every workbook a person fills in (plan, templates).

One place for the Thai font, header fills, borders, number formats and the Buddhist-Era
date format, so the plan workbook and the templates look like one product. Also the
pieces both writers need: dropdown lists on a hidden "_lists" sheet, input messages,
and a deterministic save (same content -> same bytes, so atomic writes can skip
unchanged files and a template can be re-issued without looking "new").
"""

from __future__ import annotations

import copy
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .atomic import write_bytes_atomic

FONT_NAME = "TH Sarabun New"  # Debian/Ubuntu render it with its free twin, TLWG Laksaman
BODY_SIZE = 14
TITLE_SIZE = 16

BODY_FONT = Font(name=FONT_NAME, size=BODY_SIZE)
BOLD_FONT = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=BODY_SIZE, bold=True, color="1F3864")
TITLE_FONT = Font(name=FONT_NAME, size=TITLE_SIZE, bold=True, color="1F3864")
SUBTITLE_FONT = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
HELP_FONT = Font(name=FONT_NAME, size=BODY_SIZE, italic=True, color="595959")

HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")  # pale blue: column headers
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")  # grey: pre-filled, protected
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")  # white: the clerk types here
FORM_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")

_THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")
LEFT_TOP = Alignment(vertical="top")
FORM_VALUE_ALIGN = Alignment(vertical="top", horizontal="left", wrap_text=True)

LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

# number formats
TEXT_FORMAT = "@"  # codes stay text: Excel must not turn 0331 into 331 or 1.10 into 1.1
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"  # percents are plain numbers (54.0 means 54 %)
INT_FORMAT = "0"
NUMBER_FORMAT = "General"
# d mmm yyyy in the Thai Buddhist calendar (calendar 07, Thai locale 041E):
# Excel and LibreOffice both show 15 เม.ย. 2568 for 2025-04-15.
BE_DATE_FORMAT = "[$-107041E]d mmm yyyy;@"

PAGE_A4 = 9
LINE_HEIGHT = 22.5  # points per line at 14 pt TH Sarabun (Laksaman is as tall)

# Excel's limits for data-validation texts: longer ones make Excel "repair" the file
PROMPT_TITLE_MAX = 32  # also the error title
PROMPT_MAX = 255  # also the error message


def style_cell(cell, *, locked: bool, number_format: str | None = None,
               wrap: bool = False) -> None:
    """A data/input cell: body font, border, grey when pre-filled and protected."""
    cell.font = BODY_FONT
    cell.border = BORDER
    cell.fill = LOCKED_FILL if locked else INPUT_FILL
    cell.protection = LOCKED if locked else UNLOCKED
    cell.alignment = WRAP_TOP if wrap else LEFT_TOP
    if number_format:
        cell.number_format = number_format


def style_column(ws: Worksheet, column: int, first: int, last: int, *, locked: bool,
                 number_format: str | None = None, wrap: bool = False) -> None:
    """Style a column's cells from ``first`` to ``last`` like :func:`style_cell`.

    Styles the first cell and copies its style record to the others: assigning fonts,
    fills and borders cell by cell costs openpyxl a hash per attribute (a 150-row budget
    table took 0.25 s; copying takes a few ms)."""
    if last < first:
        return
    model = ws.cell(row=first, column=column)
    style_cell(model, locked=locked, number_format=number_format, wrap=wrap)
    for r in range(first + 1, last + 1):
        ws.cell(row=r, column=column)._style = copy.copy(model._style)


def style_header(cell) -> None:
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = BORDER
    cell.alignment = HEADER_ALIGN
    cell.protection = LOCKED


def lines_needed(text: str, width: float) -> int:
    """A rough count of wrapped lines (greedy word wrap), so rows are tall enough:
    Excel does not grow row heights when it opens a file."""
    capacity = max(width * 0.95, 4.0)  # character widths per line of a ``width`` column
    total = 0
    for part in str(text).split("\n"):
        lines, used = 1, 0.0
        for word in part.split(" "):
            n = _visible_len(word)
            if used and used + 1 + n <= capacity:
                used += 1 + n
            elif not used and n <= capacity:
                used = n
            else:
                if used:
                    lines += 1
                extra = max(0, math.ceil(n / capacity) - 1)
                lines += extra
                used = n - extra * capacity
        total += lines
    return total


def _visible_len(text: str) -> float:
    """The width of ``text`` in average characters: Thai vowel and tone marks above or
    below a consonant take no space; Thai letters and capitals are a little wider."""
    width = 0.0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            continue
        width += 1.15 if "\u0e00" <= ch <= "\u0e7f" or ch.isupper() else 1.0
    return width


def set_row_height(ws: Worksheet, row: int, lines: int) -> None:
    """Row heights are written explicitly: without one, Excel and LibreOffice size rows
    for the default 11 pt font and Thai text with marks above and below gets clipped."""
    ws.row_dimensions[row].height = max(1, lines) * LINE_HEIGHT + 4


def number_format_for(kind: str) -> str | None:
    """The display format of a schema kind (schemas/_base.py)."""
    return {
        "code": TEXT_FORMAT,
        "text": TEXT_FORMAT,
        "email": TEXT_FORMAT,
        "emails": TEXT_FORMAT,
        "choice": TEXT_FORMAT,
        "money": MONEY_FORMAT,
        "percent": PERCENT_FORMAT,
        "int": INT_FORMAT,
        "number": NUMBER_FORMAT,
        "date": BE_DATE_FORMAT,
    }.get(kind)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def prompt_text(help_th: str, help_en: str) -> str:
    """An input message: Thai first, English below, within Excel's 255 characters."""
    text = help_th if not help_en else f"{help_th}\n{help_en}" if help_th else help_en
    return clip(text, PROMPT_MAX)


def with_prompt(dv: DataValidation, title: str, text: str) -> DataValidation:
    dv.showInputMessage = True
    dv.promptTitle = clip(title, PROMPT_TITLE_MAX)
    dv.prompt = text
    return dv


def prompt_only(title: str, text: str) -> DataValidation:
    """A validation that accepts anything and only shows an input message."""
    return with_prompt(DataValidation(allow_blank=True), title, text)


def list_validation(formula: str, title: str, text: str) -> DataValidation:
    """A dropdown pointing at a range on the hidden lists sheet (never an inline list:
    inline lists are limited to 255 characters and break on commas in labels)."""
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "เลือกจากรายการ / Pick one"
    dv.error = "กรุณาเลือกค่าจากรายการที่กำหนด\nPlease pick a value from the dropdown list."
    return with_prompt(dv, title, text or "เลือกจากรายการ\nPick from the list")


def decimal_validation(title: str, text: str, *, minimum: float = 0) -> DataValidation:
    """A number >= minimum; the error message says what to type, in Thai and English."""
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual",
                        formula1=f"{minimum:g}", allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = "ต้องเป็นตัวเลข / Number required"
    dv.error = (f"กรอกเป็นตัวเลขไม่ติดลบ (ไม่ต่ำกว่า {minimum:g}) ไม่ต้องใส่หน่วย\n"
                f"Type a number of at least {minimum:g}, without units.")
    return with_prompt(dv, title, text)


class ListsSheet:
    """The hidden "_lists" sheet: one column per dropdown list, name in row 1,
    values from row 2. Returns the absolute range a validation points at."""

    def __init__(self, wb: Workbook, title: str) -> None:
        self.ws = wb.create_sheet(title)
        self.ws.sheet_state = "hidden"
        self.columns: dict[str, str] = {}

    def add(self, name: str, values: Sequence[str]) -> str:
        if name in self.columns:
            return self.columns[name]
        col = len(self.columns) + 1
        letter = get_column_letter(col)
        self.ws.cell(row=1, column=col, value=name)
        for i, v in enumerate(values, start=2):
            c = self.ws.cell(row=i, column=col, value=v)
            c.number_format = TEXT_FORMAT
        last = max(2, len(values) + 1)
        ref = f"{quote_sheetname(self.ws.title)}!${letter}$2:${letter}${last}"
        # quote_sheetname leaves plain names bare; a leading "_" is safer quoted
        if not ref.startswith("'"):
            ref = f"'{self.ws.title}'!${letter}$2:${letter}${last}"
        self.columns[name] = ref
        self.ws.column_dimensions[letter].width = max([len(v) for v in values] + [12])
        return ref


def page_setup(ws: Worksheet, *, landscape: bool, header_row: int | None) -> None:
    """A4, fit to one page wide, header row repeated on every printed page."""
    ws.page_setup.paperSize = PAGE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes with no clock in them: fixed document dates and zip entry times,
    so writing the same content twice gives the same file."""
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>2000-01-01T00:00:00Z\g<3>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


def save_workbook(wb: Workbook, path: Path) -> Path:
    """Save atomically and deterministically; an unchanged file is left untouched."""
    path = Path(path)
    write_bytes_atomic(path, workbook_bytes(wb))
    return path
