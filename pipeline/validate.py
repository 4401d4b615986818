"""Validation: the column checks and the report's cross-field rules -> a FileReport.

Two layers, both ending in catalogued Problems at the sender's cell:

* the column checks (``schema_check.schema_problems_many``: pandera, lazy, one call for
  the same sheet of many files, failures grouped back per file), shared with the plan
  loader; they live below both modules so imports run one way (this module loads a
  file's plan through ``plan_load``; ``plan_load`` never imports this one);
* :func:`validate_workbook` adds the rules that need several fields, the stamp or the
  plan: stamp integrity, locked cells, disbursed vs allocated, each indicator's inputs
  by its kind (numerator <= denominator, a weight above 0...), plausibility.

Every rule code is listed in docs/validation.md.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import schemas
from schemas import BUDGET, COVER, INDICATORS, NARRATIVE, SheetSpec
from schemas._base import (
    CODE,
    MONEY,
    NUMBER,
)
from schemas.choices import KINDS

from . import calendar as fcal
from . import catalog
from .isolate import IsolatedReader, file_sha256
from .model import FileReport, Problem, RawWorkbook, SheetFrame, unique_problems
from .plan import Indicator, Plan, plan_fingerprint
from .plan_load import PlanError, load_plan
from .schema_check import (
    _expected_range,
    _fmt_num,
    _frame_of,
    _int64,
    _is_missing,
    _label,
    _objects,
    _plain,
    _records,
    _shown,
    _spec_columns,
    baht_text,
    plan_choices,
    schema_problems,
    schema_problems_many,
)
from .workspace import Workspace

# ---- thresholds (the demo generator stays inside them) ------------------------------------
# overall disbursement rate of a file, in percentage points of allocated
DISBURSEMENT_AHEAD_MARGIN = 35.0  # warn when rate > quarter target + 35 points
DISBURSEMENT_BEHIND_FRACTION = 1 / 3  # warn when rate < quarter target / 3

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


def _issued_indicators(raw: RawWorkbook, plan: Plan | None, agency_code: str | None,
                       quarter: int | None) -> list[tuple[str, float | None]] | None:
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
        return [(i.code, i.agency_target)
                for i in plan.indicators_for(plan.agencies[agency_code], quarter)]
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
                     agency_code: str | None, quarter: int | None, file: str,
                     skip: set[tuple[str, int]]) -> list[Problem]:
    """Locked rows (codes/agency targets as issued), then each row's inputs by its kind."""
    out: list[Problem] = []
    issued = _issued_indicators(raw, plan, agency_code, quarter)
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
        if ind is not None:
            out += _indicator_inputs(sf, ind, rec, row, file, skip)
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


def _indicator_inputs(sf: SheetFrame, ind: Indicator, rec: dict[str, Any], row: int, file: str,
                      skip: set[tuple[str, int]]) -> list[Problem]:
    """The row's inputs as its kind needs them: all or none given, numerator <= denominator,
    a denominator above 0 for a numerator, a weight above 0, and the resulting value within
    the percent and plausible ranges. Each problem at the cell to fix."""
    kind = KINDS[ind.kind]
    if any(n not in sf.refs or (n, row) in sf.unparsed or (n, row) in skip
           for n in kind.inputs):
        return []  # a missing column or a cell already reported: the sender fixes that first
    given = {n: rec.get(n) for n in kind.inputs if not _is_missing(rec.get(n))}
    if any(n != "answer" and (isinstance(v, bool) or not isinstance(v, Real))
           for n, v in given.items()):
        return []

    def at(code: str, name: str, value: Any, **params: Any) -> Problem:
        return catalog.problem(code, file=file, sheet=sf.sheet, cell=sf.cell(name, row),
                               column=_label(sf, INDICATORS, name), indicator=ind.code,
                               value=value, **params)

    if not given:
        first = kind.inputs[0]
        return [catalog.problem("indicator.result-missing", file=file, sheet=sf.sheet,
                                cell=sf.cell(first, row), column=_label(sf, INDICATORS, first),
                                value=ind.code,
                                severity="error" if ind.when_empty == "error" else "warning")]
    missing = [n for n in kind.inputs if n not in given]
    if missing:
        needed = [_label(sf, INDICATORS, n).partition("\n") for n in kind.inputs]
        return [at("indicator.input-missing", n, ind.code, kind_th=kind.th, kind_en=kind.en,
                   needed_th=", ".join(th.strip() for th, _, _ in needed),
                   needed_en=", ".join((en or th).strip() for th, _, en in needed))
                for n in missing]
    value: float | None = None
    value_cell = kind.inputs[0]
    if kind.key == "percent_of_counts":
        num, den = float(given["numerator"]), float(given["denominator"])
        shown_num = _shown(sf, "numerator", row, num, NUMBER)
        if den == 0:
            return ([at("indicator.denominator-zero", "denominator", shown_num)]
                    if num > 0 else [])  # 0 of 0: nobody to count this year
        if num > den:
            return [at("indicator.numerator-over-denominator", "numerator", shown_num,
                       expected=_shown(sf, "denominator", row, den, NUMBER))]
        value = 100.0 * num / den
    elif kind.key == "yes_no":
        return []
    else:
        value = float(given["result"])
        if kind.key == "weighted_mean" and float(given["weight"]) <= 0:
            return [at("indicator.weight-not-positive", "weight",
                       _shown(sf, "weight", row, given["weight"], NUMBER))]
    shown = _fmt_num(round(value, 2)) if kind.key == "percent_of_counts" \
        else _shown(sf, value_cell, row, value, NUMBER)
    if ind.unit == "percent" and not 0.0 <= value <= 100.0:
        return [catalog.problem("value.out-of-range", file=file, sheet=sf.sheet,
                                cell=sf.cell(value_cell, row),
                                column=_label(sf, INDICATORS, value_cell), value=shown,
                                expected="0 - 100")]
    lo, hi = ind.plausible_min, ind.plausible_max
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return [catalog.problem("plausibility.result-outside-range", file=file,
                                sheet=sf.sheet, cell=sf.cell(value_cell, row),
                                column=_label(sf, INDICATORS, value_cell), value=shown,
                                expected=_expected_range(lo, hi, NUMBER))]
    return []


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


def _clean_narrative(sf: SheetFrame) -> pd.DataFrame:
    """kind (key), strategy (int or None), project_code, text + _row: entries with a kind
    and a text (a row missing either is an error of the column checks)."""
    values = _plain(sf)
    n = len(values["_row"])

    def col(name: str) -> list[Any]:
        return values.get(name) or [None] * n

    return _frame_of(["kind", "strategy", "project_code", "text", "_row"], [
        _objects(col("kind")), _objects([_int_or_same(v) for v in col("strategy")]),
        _objects(col("project_code")), _objects(col("text")),
        np.array(values["_row"], dtype="int64")], n)


# budget columns a template pre-fills for a plan project; a row with only these is a
# planned project the agency has nothing to report on yet, not a half-typed line
_PROJECT_IDENTITY = frozenset({"project_code", "project_name", "strategy", "budget_source",
                               "expenditure_category", "output_target"})


def _drop_unreported_projects(raw: RawWorkbook, plan: Plan | None, agency: str | None) -> None:
    """Leave out the budget rows of the agency's plan projects that hold only what the
    template pre-filled (Q1 before any allocation arrived): nothing to check or count."""
    sheet = raw.sheets.get(BUDGET.key)
    if sheet is None or plan is None or not plan.projects or agency is None:
        return
    codes = {p.code for p in plan.projects_for(agency)}
    if not codes:
        return
    sheet.rows = [(row, cells) for row, cells in sheet.rows
                  if not (cells.keys() <= _PROJECT_IDENTITY and "project_code" in cells
                          and str(cells["project_code"].value).strip() in codes)]


def _int_or_same(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, Real) and float(v).is_integer():
        return int(v)
    return v


def _clean_indicators(sf: SheetFrame) -> pd.DataFrame:
    """indicator_code, the inputs (result, numerator, denominator, weight as float or None;
    answer as a yes_no key), evidence + _row."""
    values = _plain(sf)
    n = len(values["_row"])

    def col(name: str) -> list[Any]:
        return values.get(name) or [None] * n

    numbers = ("result", "numerator", "denominator", "weight")
    return _frame_of(["indicator_code", *numbers, "answer", "evidence", "_row"], [
        _objects(col("indicator_code")),
        *(_objects([None if v is None else float(v) for v in col(name)]) for name in numbers),
        _objects(col("answer")),
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
        for spec in (COVER, BUDGET, INDICATORS, NARRATIVE):
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

        _drop_unreported_projects(raw, plan, rep.agency_code)
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
            for key in (COVER.key, BUDGET.key, INDICATORS.key, NARRATIVE.key):
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
                problems += _indicator_rules(ind_sf, raw, plan, rep.agency_code, rep.quarter,
                                             file, skip)
            problems += _empty_report(job.frames, file)
        except Exception as exc:  # noqa: BLE001
            _fail(job, exc)
    if not job.failed and not any(p.is_error for p in problems):
        try:
            budget_sf, ind_sf = job.frames.get("budget"), job.frames.get("indicators")
            narr_sf = job.frames.get(NARRATIVE.key)
            if frames:
                rep.budget = _clean_budget(budget_sf) if budget_sf is not None else None
                rep.indicators = _clean_indicators(ind_sf) if ind_sf is not None else None
                rep.narrative = _clean_narrative(narr_sf) if narr_sf is not None else None
            else:
                rep.clean_lists = {key: _plain(sf) for key, sf in
                                   (("budget", budget_sf), ("indicators", ind_sf),
                                    ("narrative", narr_sf))
                                   if sf is not None}
        except Exception as exc:  # noqa: BLE001
            _fail(job, exc)
            rep.budget = rep.indicators = rep.narrative = rep.clean_lists = None
    rep.problems = sorted(unique_problems(problems), key=_reading_order)
    return rep


_SHEET_ORDER = {COVER.name: 1, BUDGET.name: 2, INDICATORS.name: 3, NARRATIVE.name: 4}


def _reading_order(p: Problem) -> tuple[int, int, int]:
    """Whole-file problems first, then sheet by sheet in the template's order, row by row."""
    if not p.sheet:
        return (0, 0, 0)
    m = re.match(r"^([A-Z]+)(\d+)", p.cell or "")
    if not m:
        return (_SHEET_ORDER.get(p.sheet, 5), 0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (_SHEET_ORDER.get(p.sheet, 5), int(m.group(2)), col)


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
    cache: dict[int, Plan | None] = {}
    reports: list[FileReport | None] = []
    todo: list[tuple[int, RawWorkbook, Plan | None, int | None]] = []
    for path in paths:
        path = Path(path)
        name = display_names.get(path) or path.name
        try:
            raw, _deaths = reader.read(path, name)
        except Exception as exc:  # noqa: BLE001 - the reader promises not to raise; be sure
            rep = FileReport(path=path, display_name=name, sha256=file_sha256(path))
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


