"""Validation: pandera column checks and the report's cross-field rules -> a FileReport.

Two layers, both ending in catalogued Problems at the sender's cell:

* :func:`schema_problems` runs the sheet's pandera model (lazy, so every failure of a
  sheet is reported at once) and turns each failure case back into (sheet, A1 cell).
  It works on any SheetSpec, so the plan loader uses it too. The frames of many files
  can go through one pandera call (:func:`schema_problems_many`): each row carries the
  file it came from, and failures are grouped back per file; this is the door for
  validating a whole night's inbox at once (pandera's per-call overhead dominates small
  sheets).
* :func:`validate_workbook` adds the rules that need several fields, the stamp or the
  plan: stamp integrity, locked cells, disbursed vs allocated, plausibility.

Every rule code is listed in docs/validation.md.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

import schemas
from schemas import BUDGET, COVER, INDICATORS, ColumnSpec, SheetSpec
from schemas._base import (
    CODE,
    DATE,
    EMAIL,
    EMAILS,
    INT,
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
)
from schemas.choices import FIXED_CHOICES

from . import calendar as fcal
from . import catalog
from .isolate import IsolatedReader
from .model import FileReport, Problem, RawWorkbook, SheetFrame, unique_problems
from .plan import Plan, plan_fingerprint
from .workspace import Workspace

# ---- thresholds (the demo generator stays inside them) ------------------------------------
# overall disbursement rate of a file, in percentage points of allocated
DISBURSEMENT_AHEAD_MARGIN = 35.0  # warn when rate > quarter target + 35 points
DISBURSEMENT_BEHIND_FRACTION = 1 / 3  # warn when rate < quarter target / 3
TEXT_MAX_CHARS = 2000  # a text cell longer than this is an error (value.text-too-long)
# columns that must be unique in a sheet although the schema does not say so
EXTRA_UNIQUE: dict[str, tuple[str, ...]] = {"budget": ("project_code",)}

_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_NUMERIC_KINDS = {MONEY, INT, NUMBER, PERCENT}
_TYPED_KINDS = _NUMERIC_KINDS | {DATE, EMAIL, EMAILS}  # kinds _type_check looks into
FILE_COLUMN = "_file"  # tags each row with its file when frames of many files are checked


# ---- helpers shared by every rule ----------------------------------------------------------
def _field_cell(sf: SheetFrame, field_name: str, row: int) -> str:
    """A1 cell of a field in a row; forms may carry each field's own cell (field_cells)."""
    cells = getattr(sf, "field_cells", None)
    if cells and field_name in cells:
        return str(cells[field_name])
    return sf.cell(field_name, int(row))


def _label(sf: SheetFrame, spec: SheetSpec, field_name: str) -> str:
    """The column label as the sender sees it (header text found, else the template's)."""
    label = sf.labels.get(field_name)
    if label:
        return str(label)
    for c in _spec_columns(spec):
        if c.name == field_name:
            return c.header
    return field_name


def baht_text(satang: Any) -> str:
    """Integer satang as the sender typed baht: 123450 -> '1,234.50' (exact, no floats)."""
    if satang is None or (isinstance(satang, float) and math.isnan(satang)) or satang is pd.NA:
        return ""
    s = int(satang)
    sign = "-" if s < 0 else ""
    baht, st = divmod(abs(s), 100)
    return f"{sign}{baht:,}.{st:02d}"


_NA, _NAT = pd.NA, pd.NaT


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _plain(sf: SheetFrame) -> dict[str, list[Any]]:
    """The sheet's columns as plain lists with None for blanks, "_row" included: the
    normaliser's own lists when it kept them, else taken from the frame."""
    if sf.values is not None:
        return sf.values
    frame = sf.frame
    out = {str(c): [None if _is_missing(v) else v for v in frame[c].tolist()]
           for c in frame.columns}
    if "_row" in out:
        out["_row"] = [int(r) for r in out["_row"]]
    else:
        out["_row"] = list(range(1, len(frame) + 1))
    return out


def _records(values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = list(values)
    return [dict(zip(names, row, strict=True)) for row in zip(*values.values(), strict=True)]


def _shown(sf: SheetFrame, field_name: str, row: int, value: Any, kind: str) -> str:
    """The value as the sender saw it: the raw text kept by the normaliser, else formatted."""
    seen = sf.raw_text.get((field_name, int(row)))
    if seen is not None:
        return str(seen)
    if _is_missing(value):
        return ""
    if kind == MONEY and isinstance(value, Integral) and not isinstance(value, bool):
        return baht_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choice_key(c: Any) -> Any:
    return getattr(c, "key", c)


def _choice_label(c: Any) -> str:
    th = getattr(c, "th", None)
    if th is None:
        th = getattr(c, "label", None)
    return str(th if th is not None else c)


@dataclass(frozen=True)
class StrategyChoice:
    """A plan strategy in the shape of schemas.choices.Choice (key = strategy number)."""

    key: int
    th: str
    en: str = ""


def plan_choices(plan: Plan | None) -> dict[str, list[Any]]:
    """Allowed values per choice list: the fixed lists plus the plan's strategies."""
    out: dict[str, list[Any]] = dict(FIXED_CHOICES)
    if plan is not None:
        out["strategy"] = [StrategyChoice(s.no, s.label, s.name_en)
                           for s in sorted(plan.strategies.values(), key=lambda s: s.no)]
    return out


# ---- pandera: per-column checks --------------------------------------------------------------
def _range_text(checks: list[pa.Check]) -> tuple[Any, Any]:
    lo = hi = None
    for ch in checks:
        st = ch.statistics or {}
        if ch.name in ("greater_than_or_equal_to", "greater_than"):
            lo = st.get("min_value")
        elif ch.name in ("less_than_or_equal_to", "less_than"):
            hi = st.get("max_value")
        elif ch.name == "in_range":
            lo, hi = st.get("min_value"), st.get("max_value")
    return lo, hi


def _fmt_num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _expected_range(lo: Any, hi: Any, kind: str) -> str:
    f = (lambda v: baht_text(v)) if kind == MONEY else _fmt_num
    if lo is not None and hi is not None:
        return f"{f(lo)} - {f(hi)}"
    if lo is not None:
        return f"≥ {f(lo)}"
    if hi is not None:
        return f"≤ {f(hi)}"
    return ""


@lru_cache(maxsize=64)
def _model_schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    return model.to_schema()


@lru_cache(maxsize=64)
def _spec_columns(spec: SheetSpec) -> tuple[ColumnSpec, ...]:
    """The spec's columns, computed once (SheetSpec.columns rebuilds them on each call)."""
    return tuple(spec.columns)


@lru_cache(maxsize=256)
def _pandera_schema(spec: SheetSpec, fields: tuple[str, ...],
                    allowed: tuple[tuple[str, tuple[Any, ...]], ...]) -> pa.DataFrameSchema:
    """The spec's model as an untyped schema (types were checked before) plus isin checks."""
    model_schema = _model_schema(spec.model)
    allowed_by_list = dict(allowed)
    columns = {}
    for cs in _spec_columns(spec):
        if cs.name not in fields:
            continue
        base = model_schema.columns[cs.name]
        checks = list(base.checks)
        if cs.choices and cs.choices in allowed_by_list:
            checks.append(pa.Check.isin(list(allowed_by_list[cs.choices])))
        if not checks and base.nullable:
            continue  # nothing to check: pandera would only spend time on it
        columns[cs.name] = pa.Column(None, checks=checks, nullable=base.nullable,
                                     required=False)
    return pa.DataFrameSchema(columns, strict=False)


def _type_check(value: Any, kind: str) -> tuple[str | None, Any]:
    """(problem code or None, value to check further) for one non-blank cell."""
    if kind in _NUMERIC_KINDS:
        if isinstance(value, bool) or not isinstance(value, Real):
            return ("value.not-an-integer" if kind == INT and _looks_numeric(value)
                    else "value.not-a-number"), None
        if isinstance(value, float) and not math.isfinite(value):
            return "value.not-a-number", None
        if kind in (MONEY, INT) and not float(value).is_integer():
            return ("money.too-many-decimals" if kind == MONEY else "value.not-an-integer"), None
        return None, value
    if kind == DATE:
        return (None, value) if isinstance(value, date) else ("value.not-a-date", None)
    if kind == EMAIL:
        return (None, value) if _EMAIL_RE.match(str(value).strip()) else ("value.not-an-email", None)
    if kind == EMAILS:
        parts = [p for p in re.split(r"[,;\s]+", str(value)) if p]
        ok = parts and all(_EMAIL_RE.match(p) for p in parts)
        return (None, value) if ok else ("value.not-an-email", None)
    if kind in (TEXT, CODE) and len(str(value)) > TEXT_MAX_CHARS:
        return "value.text-too-long", None
    return None, value


def _looks_numeric(value: Any) -> bool:
    try:
        float(str(value).replace(",", ""))
    except ValueError:
        return False
    return True


@dataclass
class _Item:
    sf: SheetFrame
    file: str


def schema_problems(sf: SheetFrame, spec: SheetSpec, file: str,
                    choices: dict[str, list[Any]] | None = None) -> list[Problem]:
    """Every column-level problem of one typed sheet (pandera, lazy), at the sender's cells.

    ``choices`` maps a choice-list name ("strategy", "budget_source", ...) to its allowed
    values (Choice-like objects with .key/.th, or bare keys); default: the fixed lists.
    Cells in ``sf.unparsed`` were already reported by the normaliser and are skipped.
    """
    return schema_problems_many([(sf, file)], spec, choices)[0]


def schema_problems_many(items: list[tuple[SheetFrame, str]], spec: SheetSpec,
                         choices: dict[str, list[Any]] | None = None) -> list[list[Problem]]:
    """:func:`schema_problems` for the same sheet of many files in ONE pandera call.

    Rows are tagged with their item number (the file); failures are grouped back per
    item (the result is aligned with ``items``), in sheet order. Uniqueness is checked
    per file, never across files.
    """
    if choices is None:
        choices = dict(FIXED_CHOICES)
    result: list[list[Problem]] = [[] for _ in items]
    columns = _spec_columns(spec)
    kinds = {c.name: c.kind for c in columns}
    by_name = {c.name: c for c in columns}
    # every problem keyed by (item no, field, row) so one cell gets one problem
    found: dict[tuple[int, str, int], Problem] = {}
    plains = [_plain(sf) for sf, _ in items]
    fields = [c.name for c in columns if any(c.name in values for values in plains)]
    data: dict[str, list[Any]] = {f: [] for f in fields}
    skipped: dict[str, list[bool]] = {f: [] for f in fields}
    item_col: list[int] = []
    row_col: list[int] = []
    for n, ((sf, file), values) in enumerate(zip(items, plains, strict=True)):
        rows = values["_row"]
        item_col += [n] * len(rows)
        row_col += rows
        for f in fields:
            if f not in values:  # this file lacks the column (reported by the reader)
                data[f] += [None] * len(rows)
                skipped[f] += [True] * len(rows)
                continue
            kind = kinds[f]
            textual = kind not in _TYPED_KINDS  # text, code, choice: only a length limit
            unparsed = sf.unparsed
            col_data, col_skipped = data[f], skipped[f]
            for row, v in zip(rows, values[f], strict=True):
                if unparsed and (f, row) in unparsed:
                    col_data.append(None)
                    col_skipped.append(True)
                    continue
                if v is None or v is _NA or v is _NAT or (isinstance(v, float) and v != v):
                    col_data.append(None)  # _is_missing(v), inlined: it runs for every cell
                    col_skipped.append(False)
                    continue
                if textual and type(v) is str and len(v) <= TEXT_MAX_CHARS:
                    col_data.append(v)  # what _type_check would say, without the call
                    col_skipped.append(False)
                    continue
                code, checked = _type_check(v, kind)
                if code:
                    found[(n, f, row)] = _make(code, sf, spec, file, f, row, v, kind,
                                               detail=f"> {TEXT_MAX_CHARS}")
                    col_data.append(None)
                    col_skipped.append(True)
                else:
                    col_data.append(checked)
                    col_skipped.append(False)
    if not item_col:
        return result
    allowed = tuple(sorted(
        (name, tuple(_choice_key(c) for c in values)) for name, values in choices.items()
        if any(by_name[f].choices == name for f in fields)))
    schema = _pandera_schema(spec, tuple(fields), allowed)
    checked = [f for f in fields if f in schema.columns]  # columns without checks are left out
    arrays: list[Any] = []
    for f in checked:
        kind = kinds[f]
        if kind in (MONEY, INT):
            arrays.append(_int64([None if v is None else int(v) for v in data[f]]))
        elif kind in (NUMBER, PERCENT):
            arrays.append(_float64([None if v is None else float(v) for v in data[f]]))
        else:
            arrays.append(_objects(data[f]))
    failures: list[dict[str, Any]] = []
    if checked:
        big = _frame_of(checked, arrays, len(item_col))
        try:
            schema.validate(big, lazy=True, inplace=True)  # nothing is coerced: no copy
        except pa.errors.SchemaErrors as exc:
            failures = exc.failure_cases.to_dict("records")
    for rec in failures:
        f = rec.get("column")
        idx = rec.get("index")
        if f not in kinds or idx is None or _is_missing(idx):
            continue
        idx = int(idx)
        if skipped[f][idx]:
            continue
        n, row = item_col[idx], row_col[idx]
        if (n, f, row) in found:
            continue
        sf, file = items[n]
        kind = kinds[f]
        check = str(rec.get("check") or "")
        value = data[f][idx]
        cs = by_name[f]
        if check == "not_nullable":
            p = _make("value.required", sf, spec, file, f, row, None, kind)
        elif check.startswith("isin"):
            options = choices.get(cs.choices or "", [])
            labels = ", ".join(_choice_label(c) for c in options)
            p = _make("value.not-allowed", sf, spec, file, f, row, value, kind, allowed=labels)
            labels_en = ", ".join(
                f"{_choice_label(c)} ({c.en})" if getattr(c, "en", "") else _choice_label(c)
                for c in options)
            p = replace(p, fix_en=catalog.CATALOG["value.not-allowed"].fix_en.replace(
                "{allowed}", labels_en))
        elif check.startswith(("greater_than", "less_than", "in_range")):
            lo, hi = _range_text(list(schema.columns[f].checks))
            if kind == MONEY and lo is not None and _num(value) < 0:
                p = _make("value.negative-money", sf, spec, file, f, row, value, kind)
            else:
                p = _make("value.out-of-range", sf, spec, file, f, row, value, kind,
                          expected=_expected_range(lo, hi, kind))
        elif check.startswith("str_matches"):
            p = _make("value.bad-format", sf, spec, file, f, row, value, kind)
        elif check == "field_uniqueness":
            continue  # uniqueness is done below, naming the first row
        else:
            p = _make("value.not-allowed", sf, spec, file, f, row, value, kind, allowed=check)
        found[(n, f, row)] = p
    # uniqueness per file (never across files), naming the row it repeats
    model_schema = _model_schema(spec.model)
    unique_fields = [f for f in fields if model_schema.columns[f].unique]
    unique_fields += [f for f in EXTRA_UNIQUE.get(spec.key, ()) if f in fields]
    for f in unique_fields:
        first: dict[tuple[int, Any], int] = {}
        for idx, v in enumerate(data[f]):
            if v is None or skipped[f][idx]:
                continue
            n, row = item_col[idx], row_col[idx]
            key = (n, _unique_key(v))
            if key not in first:
                first[key] = row
                continue
            if (n, f, row) in found:
                continue
            sf, file = items[n]
            found[(n, f, row)] = _make("value.duplicate", sf, spec, file, f, row, v,
                                       kinds[f], other=first[key])
    order = {c: i for i, c in enumerate(kinds)}
    for (n, _f, _r), p in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][2],
                                                                  order.get(kv[0][1], 99))):
        result[n].append(p)
    return result


_SKIP = object()


def _unique_key(v: Any) -> Any:
    return str(v).strip().casefold() if isinstance(v, str) else v


def _offset(parts: list[pd.DataFrame], n: int) -> int:
    return sum(len(p) for p in parts[:n])


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _make(code: str, sf: SheetFrame, spec: SheetSpec, file: str, field_name: str, row: Any,
          value: Any, kind: str, **params: Any) -> Problem:
    row = int(row)
    shown = None if code == "value.required" else _shown(sf, field_name, row, value, kind)
    return catalog.problem(code, file=file, sheet=sf.sheet, cell=_field_cell(sf, field_name, row),
                           column=_label(sf, spec, field_name), value=shown, **params)


# ---- the whole file ---------------------------------------------------------------------------
def _version_tuple(v: str | None) -> tuple[int, ...]:
    parts = re.findall(r"\d+", str(v or ""))
    return tuple(int(p) for p in parts) or (0,)


def _to_int(v: Any) -> int | None:
    """A year/quarter as found in a stamp or a cover cell, or None when it is not one."""
    if _is_missing(v) or isinstance(v, bool):
        return None
    try:
        f = float(str(v).strip())
    except ValueError:
        return None
    return int(f) if f.is_integer() else None


def _cover_values(sf: SheetFrame | None) -> tuple[dict[str, Any], int | None]:
    if sf is None:
        return {}, None
    values = _plain(sf)
    if not values["_row"]:
        return {}, None
    rec = {k: v[0] for k, v in values.items()}
    row = rec.pop("_row", None)
    return {k: (None if _is_missing(v) else v) for k, v in rec.items()}, _to_int(row)


def _cover_cell(sf: SheetFrame, field_name: str, row: int | None) -> str | None:
    cells = getattr(sf, "field_cells", None)
    if cells and field_name in cells:
        return str(cells[field_name])
    if row is None:
        return None
    # a form: one field per row, in schema order, from the first field's row
    names = [c.name for c in COVER.columns]
    col_letter = sf.refs.get(field_name)
    if col_letter and col_letter[-1:].isdigit():  # refs may already be full cells
        return col_letter
    offset = names.index(field_name) if field_name in names else 0
    return f"{col_letter or 'B'}{row + offset}"


def _stamp_problems(raw: RawWorkbook, file: str, key: bytes | None = None) -> list[Problem]:
    """Template version and stamp integrity (checksum over the other stamp values, keyed
    with the workspace's ``key`` once it has one: a recomputed plain checksum is forged)."""
    stamp = raw.stamp
    if not stamp:
        return []
    out: list[Problem] = []
    version = stamp.get("schema_version")
    if _version_tuple(version) < _version_tuple(schemas.MIN_SCHEMA_VERSION):
        out.append(catalog.problem("structure.template-too-old", file=file, value=version,
                                   found=version, expected=schemas.MIN_SCHEMA_VERSION))
    try:
        from .templates import stamp_checksum
    except ImportError:  # templates not installed in this build: cannot check the checksum
        return out
    values = {k: v for k, v in stamp.items() if k != "checksum"}
    try:
        expected = stamp_checksum(values, key)
    except Exception:  # noqa: BLE001 - a stamp missing keys is a tampered stamp
        expected = None
    if stamp.get("checksum") != expected:
        out.append(catalog.problem("structure.stamp-tampered", file=file,
                                   sheet=schemas.STAMP_SHEET))
    return out


def _issued_indicators(raw: RawWorkbook, plan: Plan | None, agency_code: str | None
                       ) -> list[tuple[str, float | None]] | None:
    """The indicator rows the template was issued with: the stamp's, else the plan's."""
    stamp = raw.stamp or {}
    text = stamp.get("locked_indicators")
    if text:
        try:
            rows = json.loads(text)
            return [(str(c), None if t is None else float(t)) for c, t in rows]
        except (ValueError, TypeError):
            return None
    if plan is not None and agency_code in plan.agencies:
        return [(i.code, i.target) for i in plan.indicators_for(plan.agencies[agency_code])]
    return None


def _cover_rules(rep: FileReport, sf: SheetFrame, raw: RawWorkbook, plan: Plan | None,
                 file: str) -> list[Problem]:
    out: list[Problem] = []
    cover, row = _cover_values(sf)
    stamp = raw.stamp or {}
    for f, code in (("agency_code", "structure.stamp-mismatch"),
                    ("fiscal_year", "cover.period-mismatch"),
                    ("quarter", "cover.period-mismatch")):
        issued = stamp.get(f)
        seen = cover.get(f)
        if issued in (None, "") or seen is None:
            continue
        same = (str(seen).strip() == str(issued).strip() if f == "agency_code"
                else _to_int(seen) == _to_int(issued))
        if not same:
            seen_text = sf.raw_text.get((f, row or 0), seen)
            out.append(catalog.problem(code, file=file, sheet=sf.sheet,
                                       cell=_cover_cell(sf, f, row),
                                       column=_label(sf, COVER, f), value=seen_text,
                                       expected=issued))
    if plan is not None and rep.agency_code and rep.agency_code not in plan.agencies:
        out.append(catalog.problem("agency.unknown", file=file, sheet=sf.sheet,
                                   cell=_cover_cell(sf, "agency_code", row),
                                   column=_label(sf, COVER, "agency_code"),
                                   value=rep.agency_code))
    if plan is not None and rep.fiscal_year is not None and rep.fiscal_year != plan.fiscal_year:
        out.append(catalog.problem("intake.plan-mismatch", file=file, sheet=sf.sheet,
                                   cell=_cover_cell(sf, "fiscal_year", row),
                                   column=_label(sf, COVER, "fiscal_year"),
                                   value=rep.fiscal_year))
    fp = stamp.get("plan_fingerprint")
    if plan is not None and fp and fp != plan_fingerprint(plan):
        out.append(catalog.problem("plan.fingerprint-mismatch", file=file, value=fp))
    return out


def _budget_rules(sf: SheetFrame, plan: Plan | None, quarter: int | None, file: str,
                  skip: set[tuple[str, int]]) -> list[Problem]:
    """Disbursed/committed vs allocated per row, and the file's overall disbursement rate."""
    out: list[Problem] = []
    values = _plain(sf)
    if not values["_row"]:
        return [catalog.problem("budget.no-projects", file=file, sheet=sf.sheet)]
    total_alloc = total_disb = 0
    for rec in _records(values):
        row = int(rec["_row"])
        alloc, comm, disb = (_money(rec.get(k), sf, k, row, skip)
                             for k in ("allocated", "committed", "disbursed"))
        if alloc is not None and disb is not None:
            total_alloc += alloc
            total_disb += disb
        if alloc is None:
            continue
        if disb is not None and disb > alloc:
            out.append(catalog.problem(
                "budget.disbursed-over-allocated", file=file, sheet=sf.sheet,
                cell=sf.cell("disbursed", row), column=_label(sf, BUDGET, "disbursed"),
                value=baht_text(disb), expected=baht_text(alloc)))
        elif comm is not None and (comm + (disb or 0)) > alloc:
            out.append(catalog.problem(
                "budget.spent-over-allocated", file=file, sheet=sf.sheet,
                cell=sf.cell("committed", row), column=_label(sf, BUDGET, "committed"),
                value=baht_text(comm + (disb or 0)), expected=baht_text(alloc)))
    target = plan.disbursement.get(quarter) if plan is not None and quarter else None
    if target is not None and total_alloc > 0:
        rate = 100.0 * total_disb / total_alloc
        goal = float(target.overall_pct)
        code = None
        if rate > goal + DISBURSEMENT_AHEAD_MARGIN:
            code = "plausibility.disbursement-ahead"
        elif rate < goal * DISBURSEMENT_BEHIND_FRACTION:
            code = "plausibility.disbursement-behind"
        if code:
            out.append(catalog.problem(code, file=file, sheet=sf.sheet,
                                       column=_label(sf, BUDGET, "disbursed"),
                                       value=f"{rate:.1f}%", expected=f"{goal:.1f}%"))
    return out


def _money(v: Any, sf: SheetFrame, f: str, row: int, skip: set[tuple[str, int]]) -> int | None:
    if (f, row) in sf.unparsed or (f, row) in skip or _is_missing(v):
        return None
    if isinstance(v, bool) or not isinstance(v, Real) or not float(v).is_integer():
        return None
    return int(v)


def _indicator_rules(sf: SheetFrame, raw: RawWorkbook, plan: Plan | None,
                     agency_code: str | None, file: str, skip: set[tuple[str, int]]
                     ) -> list[Problem]:
    """Locked rows (codes/targets as issued), percent ranges and plausible ranges."""
    out: list[Problem] = []
    issued = _issued_indicators(raw, plan, agency_code)
    rows = _records(_plain(sf))
    if issued is not None:
        issued_codes = [c for c, _ in issued]
        issued_target = dict(issued)
        seen = [None if _is_missing(r.get("indicator_code")) else str(r["indicator_code"]).strip()
                for r in rows]
        missing = [c for c in issued_codes if c not in seen]
        for pos, (rec, code) in enumerate(zip(rows, seen, strict=True)):
            row = int(rec["_row"])
            if code is None or ("indicator_code", row) in skip:
                continue
            if code not in issued_target:
                # a changed code: name the issued code this row stood for
                expected = (issued_codes[pos] if pos < len(issued_codes)
                            and issued_codes[pos] in missing else None)
                if expected is not None:
                    missing.remove(expected)
                    out.append(catalog.problem(
                        "structure.locked-cell-changed", file=file, sheet=sf.sheet,
                        cell=sf.cell("indicator_code", row),
                        column=_label(sf, INDICATORS, "indicator_code"),
                        value=_shown(sf, "indicator_code", row, code, CODE), expected=expected))
                elif plan is not None and code not in plan.indicators:
                    out.append(catalog.problem(
                        "indicator.unknown", file=file, sheet=sf.sheet,
                        cell=sf.cell("indicator_code", row),
                        column=_label(sf, INDICATORS, "indicator_code"), value=code))
                continue
            t_issued = issued_target[code]
            t_seen = rec.get("target")
            if ("target", row) in sf.unparsed or ("target", row) in skip:
                continue
            if t_issued is not None and (_is_missing(t_seen) or not isinstance(t_seen, Real)
                                         or abs(float(t_seen) - t_issued) > 1e-9):
                out.append(catalog.problem(
                    "structure.locked-cell-changed", file=file, sheet=sf.sheet,
                    cell=sf.cell("target", row), column=_label(sf, INDICATORS, "target"),
                    value=_shown(sf, "target", row, t_seen, NUMBER),
                    expected=_fmt_num(t_issued)))
        for code in missing:
            out.append(catalog.problem("indicator.missing-row", file=file, sheet=sf.sheet,
                                       column=_label(sf, INDICATORS, "indicator_code"),
                                       value=code))
    if plan is None:
        return out
    for rec in rows:
        row = int(rec["_row"])
        code = None if _is_missing(rec.get("indicator_code")) else str(rec["indicator_code"]).strip()
        ind = plan.indicators.get(code or "")
        res = rec.get("result")
        if ind is None or ("result", row) in sf.unparsed or ("result", row) in skip:
            continue
        if _is_missing(res):
            out.append(catalog.problem("indicator.result-missing", file=file, sheet=sf.sheet,
                                       cell=sf.cell("result", row),
                                       column=_label(sf, INDICATORS, "result"), value=code))
            continue
        if isinstance(res, bool) or not isinstance(res, Real):
            continue
        res = float(res)
        shown = _shown(sf, "result", row, res, NUMBER)
        if ind.unit == "percent" and not 0.0 <= res <= 100.0:
            out.append(catalog.problem("value.out-of-range", file=file, sheet=sf.sheet,
                                       cell=sf.cell("result", row),
                                       column=_label(sf, INDICATORS, "result"), value=shown,
                                       expected="0 - 100"))
            continue
        lo, hi = ind.plausible_min, ind.plausible_max
        if (lo is not None and res < lo) or (hi is not None and res > hi):
            out.append(catalog.problem("plausibility.result-outside-range", file=file,
                                       sheet=sf.sheet, cell=sf.cell("result", row),
                                       column=_label(sf, INDICATORS, "result"), value=shown,
                                       expected=_expected_range(lo, hi, NUMBER)))
    return out


def _filled_inputs(sf: SheetFrame | None, spec: SheetSpec) -> bool:
    """Does any row hold a value in a column the agency fills (not locked by the template)?
    Read from the schema, so a column added to the sheet counts without naming it here."""
    if sf is None:
        return False
    values = _plain(sf)
    inputs = [c.name for c in _spec_columns(spec) if not c.locked]
    return any(not _is_missing(v) and str(v).strip() != ""
               for name in inputs for v in values.get(name) or [])


def _empty_report(frames: dict[str, SheetFrame], file: str) -> list[Problem]:
    """report.empty: no budget line and no indicator input at all (a template with only the
    reporter's name filled is not a report, and must not count as the agency's)."""
    budget_sf, ind_sf = frames.get(BUDGET.key), frames.get(INDICATORS.key)
    if budget_sf is None and ind_sf is None:
        return []  # not a report at all: the missing sheets are reported already
    if _filled_inputs(budget_sf, BUDGET) or _filled_inputs(ind_sf, INDICATORS):
        return []
    sheet = (budget_sf or ind_sf).sheet  # type: ignore[union-attr]
    return [catalog.problem("report.empty", file=file, sheet=sheet)]


def _clean_budget(sf: SheetFrame) -> pd.DataFrame:
    """Budget fields + _row: strategy as int, choices as keys, money as Int64 satang."""
    values = _plain(sf)
    n = len(values["_row"])
    names: list[str] = []
    arrays: list[Any] = []
    for c in _spec_columns(BUDGET):
        clean = values.get(c.name) or [None] * n
        names.append(c.name)
        if c.kind == MONEY:
            arrays.append(_int64([None if v is None else int(v) for v in clean]))
        elif c.name == "strategy":  # without a plan an unrecognised label stays text
            strategy = [_int_or_same(v) for v in clean]
            if n and all(isinstance(v, int) for v in strategy):
                arrays.append(np.array(strategy, dtype="int64"))
            else:
                arrays.append(_objects(strategy))
        else:
            arrays.append(_objects(clean))
    names.append("_row")
    arrays.append(np.array(values["_row"], dtype="int64"))
    return _frame_of(names, arrays, n)


@lru_cache(maxsize=64)
def _columns_index(names: tuple[str, ...]) -> pd.Index:
    """Column labels as an Index, made once per column list (building one infers its
    dtype each time); each frame gets a shallow copy, so a frame's ``columns.name`` stays
    its own."""
    return pd.Index(list(names))


def _int64(values: list[int | None]) -> Any:
    """pd.array(values, dtype="Int64") without its type inference (~5x faster)."""
    try:
        mask = np.array([v is None for v in values], dtype=bool)
        data = np.array([0 if v is None else v for v in values], dtype=np.int64)
    except (OverflowError, TypeError, ValueError):
        return pd.array(values, dtype="Int64")
    return pd.arrays.IntegerArray(data, mask)


def _float64(values: list[float | None]) -> Any:
    """pd.array(values, dtype="Float64") without its type inference (NaN is NA there too)."""
    mask = np.array([v is None or v != v for v in values], dtype=bool)
    data = np.array([0.0 if m else v for v, m in zip(values, mask, strict=True)],
                    dtype=np.float64)
    return pd.arrays.FloatingArray(data, mask)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _frame_of(names: list[str], arrays: list[Any], n: int) -> pd.DataFrame:
    """A frame from ready columns in one step (pd.DataFrame(dict) costs ~1 ms a frame)."""
    index = pd.RangeIndex(n)
    try:
        return pd.DataFrame._from_arrays(arrays, columns=_columns_index(tuple(names)).copy(),
                                         index=index, verify_integrity=False)
    except (AttributeError, TypeError):  # pragma: no cover - a future pandas without it
        return pd.DataFrame({name: pd.Series(a, index=index, copy=False)
                             for name, a in zip(names, arrays, strict=True)}, index=index)


def _int_or_same(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Real) and float(v).is_integer():
        return int(v)
    return v


def _clean_indicators(sf: SheetFrame) -> pd.DataFrame:
    """indicator_code, result (float or None), evidence + _row."""
    values = _plain(sf)
    n = len(values["_row"])

    def col(name: str) -> list[Any]:
        return values.get(name) or [None] * n

    return _frame_of(["indicator_code", "result", "evidence", "_row"], [
        _objects(col("indicator_code")),
        _objects([None if v is None else float(v) for v in col("result")]),
        _objects(col("evidence")),
        np.array(values["_row"], dtype="int64")], n)


def validate_workbook(raw: RawWorkbook, plan: Plan | None,
                      stamp_key: bytes | None = None) -> FileReport:
    """Everything wrong or odd in one read workbook, and its clean data when it has no errors.
    ``stamp_key``: the workspace's (``templates.stamp_key``), for the stamp's checksum.

    Never raises: an unexpected failure inside a rule becomes a file.unreadable problem,
    so one hostile file cannot stop a night's run.
    """
    return validate_workbooks([(raw, plan)], stamp_key=stamp_key)[0]


@dataclass
class _Job:
    """One file on its way through validation (see :func:`validate_workbooks`)."""

    raw: RawWorkbook
    plan: Plan | None
    rep: FileReport
    frames: dict[str, SheetFrame]
    problems: list[Problem]
    column_problems: dict[str, list[Problem]]
    failed: bool = False


def validate_workbooks(items: list[tuple[RawWorkbook, Plan | None]],
                       frames: bool = True, stamp_key: bytes | None = None
                       ) -> list[FileReport]:
    """:func:`validate_workbook` for many files: the column checks of all files that share
    a plan run as one pandera call per sheet (pandera's per-call cost dominates small
    sheets), then each file's rules run on its own. Results are exactly per file.
    ``frames=False``: a clean file's data comes as plain lists (``FileReport.clean_lists``)
    instead of pandas frames, for the ledger rows a worker builds (parallel.py)."""
    jobs = [_start(raw, plan, stamp_key) for raw, plan in items]
    groups: dict[int, list[_Job]] = {}
    for job in jobs:
        if not job.failed:
            groups.setdefault(id(job.plan), []).append(job)
    for group in groups.values():
        choices = plan_choices(group[0].plan)
        for spec in (COVER, BUDGET, INDICATORS):
            members = [j for j in group if spec.key in j.frames]
            if not members:
                continue
            try:
                found = schema_problems_many(
                    [(j.frames[spec.key], j.raw.display_name) for j in members], spec, choices)
            except Exception:  # noqa: BLE001 - retry one by one so one file cannot spoil all
                found = []
                for j in members:
                    try:
                        found.append(schema_problems(j.frames[spec.key], spec,
                                                     j.raw.display_name, choices))
                    except Exception as exc:  # noqa: BLE001
                        _fail(j, exc)
                        found.append([])
            for j, ps in zip(members, found, strict=True):
                j.column_problems[spec.key] = ps
    return [_finish(job, frames) for job in jobs]


def _fail(job: _Job, exc: Exception) -> None:
    job.failed = True
    job.problems.append(catalog.problem("file.unreadable", file=job.raw.display_name,
                                        detail=type(exc).__name__))


def _start(raw: RawWorkbook, plan: Plan | None, stamp_key: bytes | None = None) -> _Job:
    """Identity from the stamp/cover, stamp checks, normalising."""
    rep = FileReport(path=raw.path, display_name=raw.display_name, sha256=raw.sha256,
                     format=raw.format, stamp_found=bool(raw.stamp))
    job = _Job(raw, plan, rep, {}, list(raw.problems), {})
    try:
        stamp = raw.stamp or {}
        rep.template_version = stamp.get("schema_version")
        rep.plan_fingerprint = stamp.get("plan_fingerprint")
        rep.agency_code = stamp.get("agency_code") or None
        rep.fiscal_year = _to_int(stamp.get("fiscal_year"))
        rep.quarter = _to_int(stamp.get("quarter"))
        job.problems += _stamp_problems(raw, raw.display_name, stamp_key)
        if not raw.sheets:
            return job
        from .normalise import normalise_workbook

        job.frames, norm_problems = normalise_workbook(raw, plan)
        job.problems += norm_problems
        cover_sf = job.frames.get("cover")
        if cover_sf is not None:
            cover, _ = _cover_values(cover_sf)
            rep.cover = cover
            rep.agency_code = rep.agency_code or (str(cover["agency_code"]).strip()
                                                   if cover.get("agency_code") else None)
            rep.fiscal_year = rep.fiscal_year or _to_int(cover.get("fiscal_year"))
            rep.quarter = rep.quarter or _to_int(cover.get("quarter"))
    except Exception as exc:  # noqa: BLE001 - the report must exist whatever the file holds
        _fail(job, exc)
    return job


def _finish(job: _Job, frames: bool = True) -> FileReport:
    """The rules across fields, then the verdict and the clean frames (or lists)."""
    rep, raw, plan, file = job.rep, job.raw, job.plan, job.raw.display_name
    problems = job.problems
    if not job.failed:
        try:
            for key in (COVER.key, BUDGET.key, INDICATORS.key):
                problems += job.column_problems.get(key, [])
            cover_sf = job.frames.get("cover")
            if cover_sf is not None:
                problems += _cover_rules(rep, cover_sf, raw, plan, file)
            budget_sf = job.frames.get("budget")
            if budget_sf is not None:
                skip = _cells_of(budget_sf, job.column_problems.get("budget", []))
                problems += _budget_rules(budget_sf, plan, rep.quarter, file, skip)
            ind_sf = job.frames.get("indicators")
            if ind_sf is not None:
                skip = _cells_of(ind_sf, job.column_problems.get("indicators", []))
                problems += _indicator_rules(ind_sf, raw, plan, rep.agency_code, file, skip)
            problems += _empty_report(job.frames, file)
        except Exception as exc:  # noqa: BLE001
            _fail(job, exc)
    if not job.failed and not any(p.is_error for p in problems):
        try:
            budget_sf, ind_sf = job.frames.get("budget"), job.frames.get("indicators")
            if frames:
                rep.budget = _clean_budget(budget_sf) if budget_sf is not None else None
                rep.indicators = _clean_indicators(ind_sf) if ind_sf is not None else None
            else:
                rep.clean_lists = {key: _plain(sf) for key, sf in
                                   (("budget", budget_sf), ("indicators", ind_sf))
                                   if sf is not None}
        except Exception as exc:  # noqa: BLE001
            _fail(job, exc)
            rep.budget = rep.indicators = rep.clean_lists = None
    rep.problems = sorted(unique_problems(problems), key=_reading_order)
    return rep


_SHEET_ORDER = {COVER.name: 1, BUDGET.name: 2, INDICATORS.name: 3}


def _reading_order(p: Problem) -> tuple[int, int, int]:
    """Whole-file problems first, then sheet by sheet in the template's order, row by row."""
    if not p.sheet:
        return (0, 0, 0)
    m = re.match(r"^([A-Z]+)(\d+)", p.cell or "")
    if not m:
        return (_SHEET_ORDER.get(p.sheet, 4), 0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (_SHEET_ORDER.get(p.sheet, 4), int(m.group(2)), col)


def _cells_of(sf: SheetFrame, problems: list[Problem]) -> set[tuple[str, int]]:
    """(field, row) cells already reported: rules skip a value the sender must fix first."""
    by_letter = {letter: f for f, letter in sf.refs.items()}
    out: set[tuple[str, int]] = set()
    for p in problems:
        m = re.match(r"^([A-Z]+)(\d+)$", p.cell or "")
        if m and m.group(1) in by_letter:
            out.add((by_letter[m.group(1)], int(m.group(2))))
    return out


# ---- files on disk --------------------------------------------------------------------------


def _year_of(raw: RawWorkbook) -> int | None:
    """The report's fiscal year before normalising: the stamp's, else the cover cell's."""
    year = _to_int((raw.stamp or {}).get("fiscal_year"))
    if year is not None:
        return year
    cover = raw.sheets.get("cover")
    if cover is None:
        return None
    for _row, cells in cover.rows:
        cell = cells.get("fiscal_year")
        if cell is not None and cell.value is not None:
            text = fcal.to_arabic_digits(str(cell.value))
            m = re.search(r"\d{4}", text)
            return int(m.group(0)) if m else None
    return None


def validate_files(paths: list[Path], plan_file: Path | None = None,
                   workspace: Workspace | None = None,
                   display_names: dict[Path, str] | None = None) -> list[FileReport]:
    """Read and validate each file against its year's plan; never touches the ledger.

    The plan is ``plan_file`` when given, else the workspace's plan/<FY>.xlsx for the
    year in the stamp (or cover); each plan is loaded once. An explicit ``plan_file``
    that does not load raises plan_load.PlanError (a usage error, not the sender's).
    """
    from .plan_load import load_plan
    from .templates import stamp_key

    display_names = display_names or {}
    fixed_plan = load_plan(Path(plan_file)) if plan_file is not None else None
    with tempfile.TemporaryDirectory(prefix="edurollup-validate-") as markers, \
            IsolatedReader(Path(markers), quarantine=False) as reader:  # in a limited child
        key = stamp_key(workspace.state) if workspace is not None else None
        return _validate_paths(paths, fixed_plan, workspace, display_names, reader, key)


def _validate_paths(paths: list[Path], fixed_plan: Plan | None, workspace: Workspace | None,
                    display_names: dict[Path, str], reader: IsolatedReader,
                    key: bytes | None) -> list[FileReport]:
    from .plan_load import PlanError, load_plan

    cache: dict[int, Plan | None] = {}
    reports: list[FileReport | None] = []
    todo: list[tuple[int, RawWorkbook, Plan | None, int | None]] = []
    for path in paths:
        path = Path(path)
        name = display_names.get(path) or path.name
        try:
            raw, _deaths = reader.read(path, name)
        except Exception as exc:  # noqa: BLE001 - the reader promises not to raise; be sure
            rep = FileReport(path=path, display_name=name, sha256=_sha256(path))
            rep.problems.append(catalog.problem("file.unreadable", file=name,
                                                detail=type(exc).__name__))
            reports.append(rep)
            continue
        plan = fixed_plan
        missing_plan: int | None = None
        if plan is None:
            year = _year_of(raw)
            if year is not None and workspace is not None:
                if year not in cache:
                    target = workspace.plan_file(year)
                    try:
                        cache[year] = load_plan(target) if target.exists() else None
                    except PlanError:
                        cache[year] = None
                plan = cache[year]
            if year is not None and plan is None:
                missing_plan = year
        todo.append((len(reports), raw, plan, missing_plan))
        reports.append(None)
    done = validate_workbooks([(raw, plan) for _, raw, plan, _ in todo], stamp_key=key)
    for (i, raw, _plan, missing_plan), rep in zip(todo, done, strict=True):
        if missing_plan is not None:
            rep.problems.insert(0, catalog.problem("intake.plan-mismatch",
                                                   file=raw.display_name, value=missing_plan))
        reports[i] = rep
    return [r for r in reports if r is not None]


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()
