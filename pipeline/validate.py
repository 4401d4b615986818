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

import math
import re
from dataclasses import dataclass
from datetime import date
from numbers import Integral, Real
from typing import Any

import pandas as pd
import pandera.pandas as pa

from schemas import SheetSpec
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

# ---- thresholds (the demo generator stays inside them) ------------------------------------
# overall disbursement rate of a file, in percentage points of allocated
DISBURSEMENT_AHEAD_MARGIN = 35.0  # warn when rate > quarter target + 35 points
DISBURSEMENT_BEHIND_FRACTION = 1 / 3  # warn when rate < quarter target / 3
TEXT_MAX_CHARS = 2000  # a text cell longer than this is an error (value.text-too-long)
# columns that must be unique in a sheet although the schema does not say so
EXTRA_UNIQUE: dict[str, tuple[str, ...]] = {"budget": ("project_code",)}

_EMAIL_RE = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_NUMERIC_KINDS = {MONEY, INT, NUMBER, PERCENT}
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
    try:
        return spec.column(field_name).header
    except KeyError:
        return field_name


def baht_text(satang: Any) -> str:
    """Integer satang as the sender typed baht: 123450 -> '1,234.50' (exact, no floats)."""
    if satang is None or (isinstance(satang, float) and math.isnan(satang)) or satang is pd.NA:
        return ""
    s = int(satang)
    sign = "-" if s < 0 else ""
    baht, st = divmod(abs(s), 100)
    return f"{sign}{baht:,}.{st:02d}"


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


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


def _pandera_schema(spec: SheetSpec, fields: list[str], choices: dict[str, list[Any]]
                    ) -> pa.DataFrameSchema:
    """The spec's model as an untyped schema (types were checked before) plus isin checks."""
    model_schema = spec.model.to_schema()
    columns = {}
    for cs in spec.columns:
        if cs.name not in fields:
            continue
        base = model_schema.columns[cs.name]
        checks = list(base.checks)
        if cs.choices and cs.choices in choices:
            allowed = [_choice_key(c) for c in choices[cs.choices]]
            checks.append(pa.Check.isin(allowed))
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
    return schema_problems_many([(sf, file)], spec, choices)[file]


def schema_problems_many(items: list[tuple[SheetFrame, str]], spec: SheetSpec,
                         choices: dict[str, list[Any]] | None = None) -> dict[str, list[Problem]]:
    """:func:`schema_problems` for the same sheet of many files in ONE pandera call.

    Rows are tagged with their file; failures are grouped back per file, in sheet order.
    """
    if choices is None:
        choices = dict(FIXED_CHOICES)
    result: dict[str, list[Problem]] = {file: [] for _, file in items}
    kinds = {c.name: c.kind for c in spec.columns}
    parts: list[pd.DataFrame] = []
    # every problem keyed by (item no, field, row) so one cell gets one problem
    found: dict[tuple[int, str, int], Problem] = {}
    all_fields: set[str] = set()
    for n, (sf, file) in enumerate(items):
        frame = sf.frame
        fields = [c for c in kinds if c in frame.columns]
        all_fields.update(fields)
        part = pd.DataFrame(index=range(len(frame)))
        part["_item"] = n
        part["_row"] = list(frame["_row"]) if "_row" in frame.columns else list(
            range(1, len(frame) + 1))
        for f in fields:
            kind = kinds[f]
            values = list(frame[f])
            clean: list[Any] = []
            for row, v in zip(part["_row"], values, strict=True):
                if (f, int(row)) in sf.unparsed:
                    clean.append(_SKIP)
                    continue
                if _is_missing(v):
                    clean.append(None)
                    continue
                code, checked = _type_check(v, kind)
                if code:
                    found[(n, f, int(row))] = _make(code, sf, spec, file, f, row, v, kind,
                                                    detail=f"> {TEXT_MAX_CHARS}")
                    clean.append(_SKIP)
                else:
                    clean.append(checked)
            if kind in (MONEY, INT):
                part[f] = pd.array([None if x is _SKIP else x for x in clean], dtype="Int64")
            elif kind in (NUMBER, PERCENT):
                part[f] = pd.array([None if x is _SKIP else float(x) if x is not None else None
                                    for x in clean], dtype="Float64")
            else:
                part[f] = pd.Series([None if x is _SKIP else x for x in clean], dtype=object)
            # a skipped cell must not count as blank for the required check
            part[f + "\0skip"] = [x is _SKIP for x in clean]
        parts.append(part)
    if not parts:
        return result
    big = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    fields = [c.name for c in spec.columns if c.name in all_fields]
    for f in fields:
        if f not in big.columns:  # some files lack the column: nothing to check there
            big[f] = None
            big[f + "\0skip"] = True
    schema = _pandera_schema(spec, fields, choices)
    failures = pd.DataFrame()
    try:
        schema.validate(big[fields], lazy=True)
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    except pa.errors.SchemaError as exc:  # pragma: no cover - lazy mode raises SchemaErrors
        failures = exc.failure_cases if exc.failure_cases is not None else pd.DataFrame()
    col_checks = {f: list(schema.columns[f].checks) for f in fields}
    for rec in failures.to_dict("records") if len(failures) else []:
        f = rec.get("column")
        idx = rec.get("index")
        if f not in kinds or idx is None or _is_missing(idx):
            continue
        idx = int(idx)
        if bool(big.at[idx, f + "\0skip"]):
            continue
        n = int(big.at[idx, "_item"])
        row = int(big.at[idx, "_row"])
        if (n, f, row) in found:
            continue
        sf, file = items[n]
        kind = kinds[f]
        check = str(rec.get("check") or "")
        value = sf.frame[f].iloc[idx - _offset(parts, n)]
        cs = spec.column(f)
        if check == "not_nullable":
            p = _make("value.required", sf, spec, file, f, row, None, kind)
        elif check.startswith("isin"):
            allowed = ", ".join(_choice_label(c) for c in choices.get(cs.choices or "", []))
            p = _make("value.not-allowed", sf, spec, file, f, row, value, kind, allowed=allowed)
        elif check.startswith(("greater_than", "less_than", "in_range")):
            lo, hi = _range_text(col_checks[f])
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
    model_schema = spec.model.to_schema()
    unique_fields = [f for f in fields if model_schema.columns[f].unique]
    unique_fields += [f for f in EXTRA_UNIQUE.get(spec.key, ()) if f in fields]
    for f in unique_fields:
        sub = big[["_item", "_row", f]][big[f].notna() & ~big[f + "\0skip"]]
        if sub.empty:
            continue
        keyed = sub.assign(_k=sub[f].map(_unique_key))
        first = keyed.drop_duplicates(["_item", "_k"]).set_index(["_item", "_k"])["_row"]
        dups = keyed[keyed.duplicated(["_item", "_k"], keep="first")]
        for rec in dups.to_dict("records"):
            n, row = int(rec["_item"]), int(rec["_row"])
            if (n, f, row) in found:
                continue
            sf, file = items[n]
            other = int(first.loc[(rec["_item"], rec["_k"])])
            found[(n, f, row)] = _make("value.duplicate", sf, spec, file, f, row, rec[f],
                                       kinds[f], other=other)
    order = {c: i for i, c in enumerate(kinds)}
    for (n, _f, _r), p in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][2],
                                                                  order.get(kv[0][1], 99))):
        result[items[n][1]].append(p)
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
