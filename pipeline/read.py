"""Read a submitted (or plan) workbook into cells that keep their sheet and A1 position.

One reader for .xlsx, .xlsm, .xlsb, .xls and .ods (python-calamine), guarded by
safety.py. Sheets are found by name, or, when a sender copied the data into a fresh
workbook or renamed a sheet, by their header labels. Headers are matched tolerantly
(Thai, English or both; stray spaces; moved a few rows down), so inserted blank rows,
rows added below the table and extra columns on the right do not stop a file. Nothing
here raises for a bad file: every failure is a Problem in ``RawWorkbook.problems``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import python_calamine as pc

import schemas
from schemas import SUBMISSION_SHEETS, ColumnSpec, SheetSpec

from . import catalog
from .cells import col_index, col_letter
from .model import RawCell, RawSheet, RawWorkbook
from .normalise import spec_columns
from .safety import (
    Inspection,
    Limits,
    check_xml_parts,
    inspect_bytes,
    ods_scan,
    read_member,
    xlsb_used_cells,
    xml_is_hostile,
)

CELL_LOOKBACK = 40_000  # bytes from a value back to its cell's start (formulas <= 8k chars)
HEADER_SEARCH_ROWS = 20  # rows below the declared header row still searched for it
FORM_LABEL_COLUMNS = 3  # a form's labels may sit in column A, B or C
FORM_VALUE_REACH = 3  # a form value is the first filled cell this far right of its label
FORM_SCAN_ROWS = 60  # a renamed form sheet is recognised by the labels in its first rows
TOTAL_WORDS = {"รวม", "รวมทั้งสิ้น", "รวมทั้งหมด", "ยอดรวม", "total", "grand total", "รวม total"}

_SPACE_RE = re.compile(r"\s+")
_DIGITS = re.compile(r"[0-9]+")
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


# ---- small helpers ---------------------------------------------------------------------------
def norm_label(text: Any) -> str:
    """Header/label text as compared: NFC, no zero-width, any whitespace as one space,
    casefolded. 'ชื่อหน่วยงาน\\nAgency name' == 'ชื่อหน่วยงาน  agency NAME'."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    return _norm_label(text) if len(text) < 200 else _norm_label.__wrapped__(text)


@functools.lru_cache(maxsize=8192)
def _norm_label(s: str) -> str:
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
        if _INVISIBLE_RE.search(s):
            s = _INVISIBLE_RE.sub("", s)
    return _SPACE_RE.sub(" ", s).strip().casefold()


def label_keys(column: ColumnSpec) -> set[str]:
    """Every spelling of a column's header we accept."""
    th, en = column.th, column.en
    return {norm_label(x) for x in (th, en, f"{th} {en}", column.header, f"{th} ({en})",
                                    f"{th} / {en}", f"{en} {th}")}


# every character str.isspace() (and so the regex \s) knows, then the invisible ones that
# norm_label drops: a text made only of these is blank (tests/test_read_blank_chars.py)
_BLANK_CHARS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
                "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
                "\u200b\u200c\u200d\u2060\ufeff\u00ad")


def _blank(value: Any) -> bool:
    """None, or text that is empty once whitespace and zero-width characters are gone
    (what ``not norm_label(value)`` says, in one C-level strip: ~140 cells a file)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip(_BLANK_CHARS)
    return False


def _stamp_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else str(value).strip()


# ---- formulas in xlsx/xlsm: which cells hold one, and whether a result was saved -----------
# Formula cells: found from their <f> element (rare) rather than by matching every cell.
# An empty value (<v/>, <v />, or <v></v> as openpyxl writes it with lxml) is no saved result.
_CELL_F_FAST = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>(<f[^>]*/>|<f[^>]*>([^<]*)</f>)(<v></v>|<v>|<v/>|<v />)?')
_F_START = re.compile(rb"<(?:\w+:)?f[\s>/]")
_C_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
_F_BODY = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?f>)")
# Filled cells: found from their value/formula tags, then the cell start before them.
_VALUE_TAG = re.compile(rb"<(?:v|is|f)[\s>/]")
_VALUE_TAG_NS = re.compile(rb"<(?:\w+:)?(?:v|is|f)[\s>/]")
_REF_PARTS = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_FILLED_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)><(?:v|is)[\s>/]')
_ROW_R = re.compile(rb'<(?:\w+:)?row\b[^>]*\br="([0-9]{1,7})"')
_CELL_OPEN = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ATTR_RE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')
_SHEET_TAG_RE = re.compile(r"<(?:\w+:)?sheet\b([^>]*)/?>")
_REL_TAG_RE = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)/?>")


def _attrs(tag_body: str) -> dict[str, str]:
    return {k.split(":")[-1] if k != "r:id" else "r:id": html.unescape(v)
            for k, v in _ATTR_RE.findall(tag_body)}


def xlsx_sheet_parts(zf: zipfile.ZipFile, members: dict[str, bytes] | None = None
                     ) -> dict[str, str]:
    """Sheet name -> zip member of its XML, from workbook.xml and its relationships
    (the bytes read are left in ``members`` when given, so they are inflated once)."""
    members = {} if members is None else members
    try:
        for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            if name not in members:
                members[name] = read_member(zf, name)
    except KeyError:
        return {}
    wb_xml = members["xl/workbook.xml"].decode("utf-8", "replace")
    rels_xml = members["xl/_rels/workbook.xml.rels"].decode("utf-8", "replace")
    targets = {}
    for body in _REL_TAG_RE.findall(rels_xml):
        a = _attrs(body)
        if "Id" in a and "Target" in a:
            t = a["Target"]
            targets[a["Id"]] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    parts = {}
    for body in _SHEET_TAG_RE.findall(wb_xml):
        a = _attrs(body)
        rid = a.get("r:id") or a.get("id")
        if "name" in a and rid in targets:
            parts[a["name"]] = targets[rid]
    return parts


def xlsx_formulas(sheet_xml: bytes, refless: bool | None = None,
                  ns: bool | None = None) -> dict[str, tuple[str, bool]]:
    """A1 -> (formula text, has cached value) for every formula cell of a sheet part.
    Cells written without their reference cannot be placed cheaply: not detected.
    ``refless`` / ``ns`` (cells spelt with a namespace prefix): when already known."""
    found: dict[str, tuple[str, bool]] = {}
    if refless is None:
        refless = _CELL_WITHOUT_REF.search(sheet_xml) is not None
    if refless or not _F_START.search(sheet_xml):
        return found
    if ns is None:
        ns = has_prefixed_cells(sheet_xml)
    if not ns:  # the usual spelling: one C-level pass
        for ref, _f_tag, f_text, v_tag in _CELL_F_FAST.findall(sheet_xml):
            text = html.unescape(f_text.decode("utf-8", "replace"))
            cached = v_tag == b"<v>"
            found[ref.decode()] = ("=" + text if text else "=(shared formula)", cached)
        return found
    done = 0  # formulas before here were looked at already (linear whatever the nesting)
    for m in _F_START.finditer(sheet_xml):
        pos = m.start()
        if pos < done:
            continue
        lo = max(done, pos - CELL_LOOKBACK)
        start = max(sheet_xml.rfind(b"<c ", lo, pos), sheet_xml.rfind(b":c ", lo, pos))
        if start < 0:
            continue
        ref = _C_REF.search(sheet_xml, start, pos)
        if ref is None:
            continue
        body = _F_BODY.match(sheet_xml, pos)
        text = html.unescape((body.group(1) or b"").decode("utf-8", "replace")) if body else ""
        after = body.end() if body else m.end()
        nxt = _NEXT_IN_CELL.search(sheet_xml, after)  # a value before the cell's end?
        cached = (nxt is not None and nxt.group(0).endswith(b"v>")
                  and not sheet_xml.startswith(b"</", nxt.end()))  # <v></v>: empty
        done = nxt.start() if nxt is not None else len(sheet_xml)
        found[ref.group(1).decode()] = ("=" + text if text else "=(shared formula)", cached)
    return found


# An error cell's start tag (t="e" among its attributes: [^>]* never leaves the tag), and
# the first of: the next cell tag, the cell's end, a value: where its value is looked for.
_ERROR_CELL_TAG = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt="e"[^>]*>')
_ERROR_REF = re.compile(rb'\br="([A-Z]{1,3}[0-9]{1,7})"')
_NEXT_IN_CELL = re.compile(rb"<(?:/?(?:\w+:)?c[\s>/]|(?:\w+:)?v>)")


def xlsx_error_cells(sheet_xml: bytes) -> dict[str, str]:
    """A1 -> the error shown ('#DIV/0!') for cells holding an error value.

    Linear in the part's size whatever the nesting: each error cell's value is looked
    for only up to the next cell tag, and those stretches never overlap (a backtracking
    pattern spanning cells took 40 s on 12,000 nested error cells)."""
    found: dict[str, str] = {}
    for m in _ERROR_CELL_TAG.finditer(sheet_xml):
        ref = _ERROR_REF.search(m.group(0))
        if ref is None:
            continue
        nxt = _NEXT_IN_CELL.search(sheet_xml, m.end())
        if nxt is None or not nxt.group(0).endswith(b"v>"):
            continue
        end = sheet_xml.find(b"<", nxt.end())
        text = sheet_xml[nxt.end():end if end >= 0 else len(sheet_xml)]
        found[ref.group(1).decode()] = html.unescape(text.decode("utf-8", "replace"))
    return found


def xlsx_used_cells(sheet_xml: bytes, stop_at: int | None = None) -> tuple[int, int]:
    """(rows x columns of the bounding box of filled cells, number of filled cells):
    what calamine would allocate, computed before calamine sees the sheet. With
    ``stop_at``, the scan stops as soon as the box is larger (a 300,000-row sheet is
    refused after the first ~200,000 cells' worth of it, not after all of it).

    Linear in the part's size: each stretch between two value tags is searched once for
    a cell start (a cell holding thousands of values is one cell, found once)."""
    ns = has_prefixed_cells(sheet_xml)
    if not ns and _CELL_WITHOUT_REF.search(sheet_xml):
        return _used_cells_without_refs(sheet_xml)
    if not ns and not _F_START.search(sheet_xml):
        # the usual spelling, no formulas: when every value tag directly follows its
        # cell's start tag, one C-level pass finds every filled cell with its reference
        refs = _FILLED_CELL.findall(sheet_xml)
        if len(refs) == len(_VALUE_TAG.findall(sheet_xml)):
            if not refs:
                return 0, 0
            rows_ = [int(r) for _c, r in refs]
            cols_ = [col_index(c.decode()) for c in {c for c, _r in refs}]
            return ((max(rows_) - min(rows_) + 1) * (max(cols_) - min(cols_) + 1), len(refs))
    pattern = _VALUE_TAG_NS if ns else _VALUE_TAG
    rows: list[int] = []
    cols: list[int] = []
    count = 0
    last_start = -1
    last_pos = 0
    box: tuple[int, int, int, int] | None = None  # min/max row, min/max column so far
    for m in pattern.finditer(sheet_xml):
        pos = m.start()
        # after the first cell, only the bytes since the previous value tag: a new cell
        # starts there, or this tag belongs to the cell found before
        lo = last_pos if last_start >= 0 else max(0, pos - CELL_LOOKBACK)
        last_pos = pos
        start = sheet_xml.rfind(b"<c ", lo, pos)
        if ns:
            start = max(start, sheet_xml.rfind(b":c ", lo, pos))
        if start < 0 and last_start >= 0:
            continue  # the same cell's formula and value
        last_start = start
        ref = _REF_PARTS.search(sheet_xml, start, pos) if start >= 0 else None
        if ref is None:
            return _used_cells_without_refs(sheet_xml)
        rows.append(int(ref.group(2)))
        cols.append(col_index(ref.group(1).decode()))
        if len(rows) >= 4096:
            count += len(rows)
            box = _grow(box, rows, cols)
            rows, cols = [], []
            if stop_at is not None and _box_area(box) > stop_at:
                break
    if rows:
        count += len(rows)
        box = _grow(box, rows, cols)
    return (_box_area(box), count) if box is not None else (0, 0)


def _grow(box: tuple[int, int, int, int] | None, rows: list[int], cols: list[int]
          ) -> tuple[int, int, int, int]:
    r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
    if box is None:
        return r0, r1, c0, c1
    return min(box[0], r0), max(box[1], r1), min(box[2], c0), max(box[3], c1)


def _box_area(box: tuple[int, int, int, int] | None) -> int:
    return 0 if box is None else (box[1] - box[0] + 1) * (box[3] - box[2] + 1)


# One pass each: a cell whose reference is past column Z or row 999, a cell without its
# reference first (calamine then places it after the previous one).
_FAR_REF = re.compile(rb'r="(?:[A-Z]{2,3}[0-9]|[A-Z][0-9]{4,})')
_CELL_WITHOUT_REF = re.compile(rb'<c(?:>| (?!r="))')
# "<!" (a DTD can start only so), _CELL_WITHOUT_REF or _F_START, in one pass (half the
# time of three): when none is there, a sheet part needs none of their slower checks
_ODD_MARKUP = re.compile(rb'<(?:!|c>|c (?!r=")|f[\s>/]|\w+:f[\s>/])')
_ERROR_TYPE = re.compile(rb't="e"')  # an error cell; re's literal search beats `in` here


def has_prefixed_cells(sheet_xml: bytes) -> bool:
    """Whether the part holds ":c " (cells spelt with a namespace prefix, ``<x:c ``): the
    same answer as ``b":c " in sheet_xml``, found by jumping from colon to colon (memchr:
    a sheet has a handful) instead of a substring search over the whole part (3 vs 39 us
    on a 57 KB budget sheet)."""
    i = sheet_xml.find(b":")
    while i != -1:
        if sheet_xml.startswith(b"c ", i + 1):
            return True
        i = sheet_xml.find(b":", i + 1)
    return False


def xlsx_area_bound(sheet_xml: bytes, max_cells: int, refless: bool | None = None,
                    ns: bool | None = None) -> int:
    """An upper bound of the used area, cheap for ordinary sheets: when every cell
    starts with its reference and none is past column Z or row 999, the area is at most
    999 x 26 without looking at each cell; otherwise the exact scan decides."""
    if refless is None:
        refless = _CELL_WITHOUT_REF.search(sheet_xml) is not None
    if ns is None:
        ns = has_prefixed_cells(sheet_xml)
    if (not refless and not ns and 999 * 26 <= max_cells
            and not _FAR_REF.search(sheet_xml)):
        return 999 * 26 if b"<c " in sheet_xml else 0
    return xlsx_used_cells(sheet_xml, stop_at=max_cells)[0]


def _used_cells_without_refs(sheet_xml: bytes) -> tuple[int, int]:
    """Some writers omit cell references: rows x the widest row, conservatively."""
    chunks = sheet_xml.split(b"</row>")
    widest = max((len(_CELL_OPEN.findall(c)) for c in chunks), default=0)
    numbered = [int(r) for r in _ROW_R.findall(sheet_xml)]
    height = max(numbered + [len(chunks)])
    return height * widest, sum(len(_CELL_OPEN.findall(c)) for c in chunks)


# ---- the reader ------------------------------------------------------------------------------
class _Abort(Exception):
    """Stop reading this file; the problem is already recorded."""


class _Reader:
    def __init__(self, wb: RawWorkbook, data: bytes, specs: list[SheetSpec], limits: Limits):
        self.wb = wb
        self.data = data
        self.specs = specs
        self.limits = limits
        self.file = wb.display_name
        self.started = time.monotonic()
        self.insp: Inspection | None = None
        self.book: pc.CalamineWorkbook | None = None
        self.parts: dict[str, str] = {}
        self.grids: dict[str, list[list[Any]]] = {}
        self.formulas: dict[str, dict[str, tuple[str, bool]]] = {}
        self.errors: dict[str, dict[str, str]] = {}  # sheet -> A1 -> "#DIV/0!"
        self.counted: dict[str, int] = {}  # sheet -> cells calamine parsed (workbook budget)

    # -- guards
    def fail(self, code: str, **params: Any) -> None:
        self.wb.problems.append(catalog.problem(code, file=self.file, **params))
        raise _Abort

    def check_time(self) -> None:
        spent = time.monotonic() - self.started
        if spent > self.limits.max_seconds:
            self.fail("file.timeout", detail=f"{spent:.0f} s > {self.limits.max_seconds:.0f} s")

    # -- steps
    def run(self) -> None:
        insp = inspect_bytes(self.data, self.file, self.limits)
        self.insp = insp
        self.wb.format = insp.format
        self.wb.has_macros = insp.has_macros
        self.wb.problems.extend(insp.problems)
        if insp.fatal:
            return
        if insp.zip is not None and insp.format in ("xlsx", "xlsm"):
            members: dict[str, bytes] = {}
            self.parts = xlsx_sheet_parts(insp.zip, members)
            common = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml",
                      "xl/styles.xml"]
            problems = check_xml_parts(insp.zip, common, self.file, members)
            if problems:
                self.wb.problems.extend(problems)
                return
            self.prescan_xlsx(insp.zip)
        elif insp.zip is not None and insp.format == "ods":
            problems = check_xml_parts(insp.zip, ["content.xml", "styles.xml"], self.file)
            if problems:
                self.wb.problems.extend(problems)
                return
            # calamine parses every sheet of an .ods when it opens it: bound them all first
            areas, self.formulas = ods_scan(read_member(insp.zip, "content.xml"),
                                             self.limits.max_cells)
            self.check_areas(areas)
        elif insp.zip is not None and insp.format == "xlsb":
            self.check_areas({n: xlsb_used_cells(read_member(insp.zip, n)) for n in insp.zip.namelist()
                              if n.startswith("xl/worksheets/") and n.endswith(".bin")})
        try:
            self.book = pc.CalamineWorkbook.from_filelike(io.BytesIO(self.data))
        except pc.PasswordError:
            self.fail("file.encrypted")
        except Exception as exc:  # noqa: BLE001 - calamine raises several kinds
            self.fail("file.unreadable", detail=f"{type(exc).__name__}: {exc}"[:300])
        self.check_time()
        self.read_sheets()

    def check_areas(self, areas: dict[str, int]) -> None:
        for name, area in areas.items():
            if area > self.limits.max_cells:
                self.fail("file.too-many-cells",
                          detail=f"{name}: {area:,} > {self.limits.max_cells:,}")

    def prescan_xlsx(self, zf: zipfile.ZipFile) -> None:
        """Every sheet part, before calamine: no DTD, used area within the limit, and
        which cells hold formulas."""
        present = set(zf.namelist())
        for name, part in self.parts.items():
            if part not in present:
                continue
            xml = read_member(zf, part)
            # one pass says whether any of the three rare things is there at all
            odd = _ODD_MARKUP.search(xml) is not None
            if odd and xml_is_hostile(xml):
                self.fail("file.hostile-xml", detail=f"DOCTYPE/ENTITY in {part}")
            refless = odd and _CELL_WITHOUT_REF.search(xml) is not None
            ns = has_prefixed_cells(xml)
            area = xlsx_area_bound(xml, self.limits.max_cells, refless, ns)
            if area > self.limits.max_cells:
                self.fail("file.too-many-cells",
                          detail=f"{name}: {area:,} > {self.limits.max_cells:,}")
            self.formulas[name] = xlsx_formulas(xml, refless, ns) if odd else {}
            if _ERROR_TYPE.search(xml) is not None:
                self.errors[name] = xlsx_error_cells(xml)

    def grid(self, name: str) -> list[list[Any]]:
        """The sheet's values from A1, after the size guards."""
        if name in self.grids:
            return self.grids[name]
        assert self.book is not None
        try:
            sheet = self.book.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001
            self.fail("file.unreadable", detail=f"{name}: {type(exc).__name__}: {exc}"[:300])
        self.count(name, sheet)
        rows = sheet.to_python(skip_empty_area=False)
        self.grids[name] = rows
        self.check_time()
        return rows

    def count(self, name: str, sheet: pc.CalamineSheet) -> None:
        """A sheet calamine parsed: within the per-sheet limit, and all sheets parsed
        within the workbook's (a thousand large sheets are refused, not all read)."""
        # total_height/total_width are the last row/column index (0-based), the grid from A1
        area = (sheet.total_height + 1) * (sheet.total_width + 1) if sheet.height else 0
        if area > self.limits.max_cells:
            self.fail("file.too-many-cells", detail=f"{name}: {area:,} > {self.limits.max_cells:,}")
        self.counted[name] = area
        total = sum(self.counted.values())
        if total > self.limits.max_workbook_cells:
            self.fail("file.too-many-cells", detail=f"{len(self.counted)} sheets: {total:,} > "
                                                    f"{self.limits.max_workbook_cells:,}")

    def head(self, name: str, nrows: int) -> list[list[Any]]:
        """The first ``nrows`` rows of a sheet (to recognise it by its headers): the rest
        is never turned into Python values, and the sheet counts against the budget."""
        if name in self.grids:
            return self.grids[name][:nrows]
        assert self.book is not None
        try:
            sheet = self.book.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001
            self.fail("file.unreadable", detail=f"{name}: {type(exc).__name__}: {exc}"[:300])
        self.count(name, sheet)
        return sheet.to_python(skip_empty_area=False, nrows=nrows)

    def read_sheets(self) -> None:
        assert self.book is not None
        names = list(self.book.sheet_names)
        if schemas.STAMP_SHEET in names:
            self.wb.stamp = self.read_stamp(schemas.STAMP_SHEET)
        elif _expects_stamp(self.specs):
            self.wb.problems.append(catalog.problem("structure.no-stamp", file=self.file,
                                                    severity="warning"))
        taken = {schemas.STAMP_SHEET, schemas.LISTS_SHEET}
        pending: list[SheetSpec] = []
        for spec in self.specs:
            if spec.name in names:
                self.wb.sheets[spec.key] = self.read_spec(spec, spec.name)
                taken.add(spec.name)
            else:
                pending.append(spec)
        if pending:
            self.recognise(pending, [n for n in names if n not in taken])

    def recognise(self, pending: list[SheetSpec], candidates: list[str]) -> None:
        """Find renamed/copied sheets by their labels: best-scoring sheet per spec."""
        scores: list[tuple[int, int, SheetSpec, str]] = []
        reach = max([FORM_SCAN_ROWS] + [s.header_row + HEADER_SEARCH_ROWS for s in pending])
        heads = {name: self.head(name, reach) for name in candidates}
        for order, spec in enumerate(pending):
            for name in candidates:
                score = _best_score(spec, heads[name])
                if score >= _min_score(spec):
                    scores.append((score, -order, spec, name))
        used: set[str] = set()
        found: set[str] = set()
        for _score, _o, spec, name in sorted(scores, key=lambda s: (s[0], s[1]), reverse=True):
            if spec.key in found or name in used:
                continue
            self.wb.sheets[spec.key] = self.read_spec(spec, name)
            found.add(spec.key)
            used.add(name)
        for spec in pending:
            if spec.key not in found and not spec.optional:
                self.wb.problems.append(catalog.problem(
                    "structure.missing-sheet", file=self.file, sheet=spec.name,
                    expected=spec.name))

    def read_stamp(self, name: str) -> dict[str, str]:
        stamp: dict[str, str] = {}
        for row in self.grid(name):
            if len(row) >= 2 and not _blank(row[0]):
                stamp[_stamp_text(row[0])] = _stamp_text(row[1])
        return stamp

    def cell(self, sheet: str, row0: int, col0: int, value: Any) -> RawCell:
        ref = f"{col_letter(col0)}{row0 + 1}"
        f = self.formulas.get(sheet, {}).get(ref)
        if value == "":
            # calamine shows error cells (#DIV/0!, #REF!) as empty: show the error instead
            value = self.errors.get(sheet, {}).get(ref)
        if f is None:
            return RawCell(value, ref)
        return RawCell(value, ref, formula=f[0], has_cached_value=f[1])

    def read_spec(self, spec: SheetSpec, name: str) -> RawSheet:
        grid = self.grid(name)
        if spec.layout == "form":
            return self.read_form(spec, name, grid)
        return self.read_table(spec, name, grid)

    def read_table(self, spec: SheetSpec, name: str, grid: list[list[Any]]) -> RawSheet:
        columns = spec_columns(spec)
        header0, matches = _find_header(spec, grid)
        raw = RawSheet(spec.key, name, None, {}, {}, [])
        if header0 is None:
            raw.missing_columns = [c.name for c in columns]
            for c in columns:
                self.missing_column(spec, name, c, None)
            return raw
        raw.header_row = header0 + 1
        header = grid[header0]
        field_cols: dict[str, int] = {}
        for col0, field_name in matches.items():
            field_cols[field_name] = col0
            raw.column_refs[field_name] = col_letter(col0)
            raw.column_labels[field_name] = str(header[col0]).strip()
        for c in columns:
            if c.name not in field_cols:
                raw.missing_columns.append(c.name)
                self.missing_column(spec, name, c, raw.header_row)
        raw.extra_columns = [str(v).strip() for i, v in enumerate(header)
                             if i not in matches and not _blank(v)]
        sheet_formulas = self.formulas.get(name, {})
        sheet_errors = self.errors.get(name, {})
        formulas = {**sheet_errors, **sheet_formulas} if sheet_errors else sheet_formulas
        key_field = columns[0].name
        special_rows = {int(_DIGITS.search(ref).group()) for ref in formulas}
        fields = [(f, col0, col_letter(col0)) for f, col0 in field_cols.items()]
        for row0 in range(header0 + 1, len(grid)):
            values = grid[row0]
            width = len(values)
            if values.count("") == width and row0 + 1 not in special_rows:
                continue  # an empty (perhaps formatted) row: the common case, decided in C
            row_text = str(row0 + 1)
            cells: dict[str, RawCell] = {}
            for field_name, col0, letter in fields:
                v = values[col0] if col0 < width else None
                ref = letter + row_text
                if v is None or v == "" or (isinstance(v, str) and _blank(v)):
                    if ref not in formulas:
                        continue
                    if v == "":  # calamine shows error cells as empty: show the error
                        v = sheet_errors.get(ref)
                f = sheet_formulas.get(ref)
                cells[field_name] = (RawCell(v, ref) if f is None else
                                     RawCell(v, ref, formula=f[0], has_cached_value=f[1]))
            if not cells:
                continue
            if key_field not in cells and _is_total_row(cells):
                continue
            raw.rows.append((row0 + 1, cells))
        return raw

    def read_form(self, spec: SheetSpec, name: str, grid: list[list[Any]]) -> RawSheet:
        lookup = _lookup(spec)
        raw = RawSheet(spec.key, name, None, {}, {}, [])
        cells: dict[str, RawCell] = {}
        first_row: int | None = None
        for row0, values in enumerate(grid):
            for col0 in range(min(FORM_LABEL_COLUMNS, len(values))):
                field_name = lookup.get(norm_label(values[col0]))
                if field_name is None or field_name in cells:
                    continue
                value_col = col0 + 1
                for c in range(col0 + 1, min(col0 + 1 + FORM_VALUE_REACH, len(values))):
                    if not _blank(values[c]):
                        value_col = c
                        break
                v = values[value_col] if value_col < len(values) else None
                cells[field_name] = self.cell(name, row0, value_col, v)
                raw.column_refs[field_name] = col_letter(value_col)
                raw.column_labels[field_name] = str(values[col0]).strip()
                first_row = row0 + 1 if first_row is None else first_row
                break
        raw.header_row = first_row
        for c in spec_columns(spec):
            if c.name not in cells:
                raw.missing_columns.append(c.name)
                self.missing_column(spec, name, c, None)
        # a form keeps every field found, even empty, so later steps can point at its cell
        raw.rows = [(first_row or spec.header_row, cells)] if cells else []
        return raw

    def missing_column(self, spec: SheetSpec, name: str, c: ColumnSpec, row: int | None) -> None:
        if c.optional:
            return  # a column added later: older files without it stay readable
        self.wb.problems.append(catalog.problem(
            "structure.missing-column", file=self.file, sheet=name,
            cell=f"{row}:{row}" if row else None, column=c.header,
            expected=f"{c.th} ({c.en})"))


def _expects_stamp(specs: Iterable[SheetSpec]) -> bool:
    return any(s in SUBMISSION_SHEETS for s in specs)


def _min_score(spec: SheetSpec) -> int:
    return min(3, len(spec_columns(spec)))


def _header_matches(values: list[Any], lookup: dict[str, str]) -> dict[int, str]:
    """Column index -> field for the cells of one row that match a label (first wins)."""
    found: dict[int, str] = {}
    seen: set[str] = set()
    for i, v in enumerate(values):
        if _blank(v) or not isinstance(v, str):
            continue
        field_name = lookup.get(norm_label(v))
        if field_name and field_name not in seen:
            found[i] = field_name
            seen.add(field_name)
    return found


@functools.cache
def _lookup(spec: SheetSpec) -> dict[str, str]:
    return {k: c.name for c in spec_columns(spec) for k in label_keys(c)}


def _find_header(spec: SheetSpec, grid: list[list[Any]]) -> tuple[int | None, dict[int, str]]:
    """The row (0-based) among the first rows that matches the most header labels."""
    lookup = _lookup(spec)
    best: tuple[int | None, dict[int, str]] = (None, {})
    declared = spec.header_row - 1
    if declared < len(grid):  # the usual case: every header where the template put it
        m = _header_matches(grid[declared], lookup)
        if len(m) == len(spec_columns(spec)):
            return declared, m
    limit = min(len(grid), spec.header_row + HEADER_SEARCH_ROWS)
    for row0 in range(limit):
        m = _header_matches(grid[row0], lookup)
        if len(m) > len(best[1]):
            best = (row0, m)
    if len(best[1]) < _min_score(spec):
        return None, {}
    return best


def _best_score(spec: SheetSpec, grid: list[list[Any]]) -> int:
    if spec.layout == "form":
        lookup = _lookup(spec)
        hits = {lookup.get(norm_label(v)) for row in grid[:FORM_SCAN_ROWS]
                for v in row[:FORM_LABEL_COLUMNS]}
        hits.discard(None)
        return len(hits)
    return len(_find_header(spec, grid)[1])


def _is_total_row(cells: dict[str, RawCell]) -> bool:
    return any(isinstance(c.value, str) and norm_label(c.value) in TOTAL_WORDS
               for c in cells.values())


def read_workbook(path: Path, display_name: str | None = None,
                  sheets: list[SheetSpec] = SUBMISSION_SHEETS,
                  limits: Limits | None = None) -> RawWorkbook:
    """Read the sheets ``sheets`` (+ the stamp) of a workbook; never raises for a bad file."""
    limits = limits or Limits()
    name = display_name or Path(path).name
    path = Path(path)
    wb = RawWorkbook(path=path, display_name=name, sha256="", format="", stamp=None, sheets={})
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            wb.problems.append(catalog.problem(
                "file.too-large", file=name,
                detail=f"{size / 2**20:.1f} MB > {limits.max_bytes / 2**20:.0f} MB"))
            with path.open("rb") as fh:
                h = hashlib.sha256()
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            wb.sha256 = h.hexdigest()
            return wb
        data = path.read_bytes()
    except OSError as exc:
        wb.problems.append(catalog.problem("file.unreadable", file=name, detail=str(exc)))
        return wb
    wb.sha256 = hashlib.sha256(data).hexdigest()
    try:
        _Reader(wb, data, list(sheets), limits).run()
    except _Abort:
        wb.sheets = {}  # a refused file yields no data (the stamp still tells whose it is)
    except Exception as exc:  # noqa: BLE001 - a bad file must never stop the nightly run
        wb.problems.append(catalog.problem(
            "file.unreadable", file=name, detail=f"{type(exc).__name__}: {exc}"[:300]))
    except BaseException as exc:
        # a Rust panic inside calamine reaches Python as pyo3's PanicException, which
        # derives from BaseException (so `except Exception` lets it through)
        if type(exc).__name__ != "PanicException":
            raise
        wb.sheets = {}
        wb.problems.append(catalog.problem(
            "file.reader-crashed", file=name, detail=f"PanicException: {exc}"[:300]))
    return wb
