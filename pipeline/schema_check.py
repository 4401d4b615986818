"""Column checks shared by the plan loader and the submission validator.

:func:`schema_problems` runs a sheet's pandera model (lazy, so every failure of a sheet is
reported at once) and turns each failure case back into (sheet, A1 cell); it works on any
SheetSpec. Both ``plan_load.py`` (plan sheets) and ``validate.py`` (submission sheets)
import it from here, so neither imports the other's module for it: imports run one way
(plan_load -> validate for nothing; validate -> plan_load for loading a file's plan).
The small frame builders (``_frame_of``...) live here because the checks build their one
big frame with them, and validate.py builds the clean frames with the same.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from schemas import ColumnSpec, SheetSpec
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

from . import catalog
from .model import Problem, SheetFrame
from .plan import Plan

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
        elif check.startswith("str_length"):
            p = _make("value.text-too-long", sf, spec, file, f, row, None, kind,
                      detail=f"{len(str(value))} ตัวอักษร / characters; {check}")
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
