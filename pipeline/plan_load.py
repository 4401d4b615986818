"""Load and check the plan workbook (plan/<FY>.xlsx) the provincial office maintains.

The plan goes through the same reader and normaliser as a submission (so a clerk's
Thai digits and "ร้อยละ 54%" are fine here too), then the pandera column checks of
schema_check.schema_problems, then the rules that span sheets: parent agencies and
strategies must be listed, agency types and levels known, reporting rhythms readable,
cumulative disbursement targets must not fall, open quarters must be 1-4. A plan of the
old shape (no indicator kind column) is refused, naming the columns it lacks. Every problem names its sheet and cell, so the
planning group can fix the workbook from ``edurollup plan check``'s output alone.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from schemas import PLAN_SHEETS, SheetSpec
from schemas.choices import AGENCY_TYPES, KINDS, LEVELS

from . import catalog
from .calendar import to_arabic_digits
from .model import Problem, SheetFrame, unique_problems
from .normalise import Bad, clean_text, norm_key, normalise_workbook, split_emails
from .plan import (
    ALL_AGENCY_TYPES,
    EVERY_QUARTER,
    Agency,
    DisbursementTarget,
    Indicator,
    Plan,
    Project,
    Strategy,
    plan_fingerprint,
)
from .read import read_workbook
from .safety import Limits
from .schema_check import schema_problems

SPECS: dict[str, SheetSpec] = {s.key: s for s in PLAN_SHEETS}
_ALL_WORDS = {norm_key(ALL_AGENCY_TYPES), "all", "ทุกประเภท", "ทั้งหมด (all)"}
_TYPE_LOOKUP = {norm_key(t): c.key for c in AGENCY_TYPES for t in (c.key, c.th, c.en)}
_LEVEL_LOOKUP = {norm_key(t): c.key for c in LEVELS for t in (c.key, c.th, c.en)}
_LEVEL_LOOKUP.update({norm_key("อนุบาล"): "early_childhood", norm_key("ปฐมวัย"): "early_childhood"})
_EVERY_WORDS = {norm_key(EVERY_QUARTER), "every quarter", "ทุกไตรมาส (สะสม)"}
_LIST_SPLIT = re.compile(r"\s*[,;\n]\s*")  # not "/": labels such as "สำนักงาน/หน่วยงานอื่น" hold one


# The plan is the office's own workbook, not a stranger's: a registry of 30,000 agencies
# (x 7 columns = 210,000 cells) must load, so its sheets may hold 10x a submission's
# cells, and reading it may take longer than one submission's 30 s.
PLAN_LIMITS = Limits(max_cells=2_000_000, max_seconds=300.0)


class PlanError(Exception):
    """The plan workbook has errors; ``problems`` lists every one (warnings too)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        first = errors[0] if errors else None
        where = f" ({first.where})" if first and first.where else ""
        super().__init__(
            f"plan has {len(errors)} error(s) / แผนมีข้อผิดพลาด {len(errors)} รายการ"
            + (f": {first.message_en}{where}" if first else ""))


# ---- small parsers the plan needs --------------------------------------------------------------
def parse_agency_types(text: Any) -> frozenset[str] | None:
    """'ทั้งหมด' -> None (every type); 'โรงเรียน, วิทยาลัยอาชีวศึกษา' -> keys. Raises Bad
    naming the first unknown type."""
    return _parse_list(text, _TYPE_LOOKUP, "plan.agency-type-unknown")


_REVOKED_WORDS = {"ยกเลิก", "revoked", "revoke", "off", "ปิด", "0"}


def parse_web_link(text: Any) -> int:
    """The registry's web link cell -> link version: empty or "-" -> 1, "2" -> 2 (a new
    link; the old one stops working), "ยกเลิก" / "revoked" -> 0 (no link). Raises Bad."""
    s = clean_text(text)
    if s is None or s in ("-", "–"):
        return 1
    s = to_arabic_digits(s).strip()
    if norm_key(s) in {norm_key(w) for w in _REVOKED_WORDS}:
        return 0
    if s.endswith(".0"):
        s = s[:-2]
    if s.isdigit() and 1 <= int(s) <= 9999:
        return int(s)
    raise Bad("plan.bad-web-link", value=s)


def parse_levels(text: Any) -> frozenset[str] | None:
    """'ประถมศึกษา, มัธยมศึกษาตอนต้น' -> level keys; empty -> None. Raises Bad naming the
    first unknown level."""
    return _parse_list(text, _LEVEL_LOOKUP, "plan.level-unknown")


def _parse_list(text: Any, lookup: dict[str, str], unknown: str) -> frozenset[str] | None:
    """A list typed in one cell ('a, b' or 'ทั้งหมด') -> its keys; None for empty or all.
    Raises Bad(``unknown``) naming the first item the lookup does not know."""
    s = clean_text(text)
    if s is None or norm_key(s) in _ALL_WORDS:
        return None
    keys = set()
    for part in _LIST_SPLIT.split(s):
        if not part:
            continue
        key = lookup.get(norm_key(part))
        if key is None:
            raise Bad(unknown, value=part)
        keys.add(key)
    return frozenset(keys) or None


def parse_rhythm(text: Any) -> int | None:
    """Empty / 'ทุกไตรมาส' -> None (every quarter); '3' / 'ไตรมาส 3' / 'Q3' -> 3."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    s = clean_text(text)
    if s is None or norm_key(s) in _EVERY_WORDS:
        return None
    try:
        quarters = parse_quarters(s.replace(" ", ""))
    except Bad:
        raise Bad("plan.bad-rhythm", value=s) from None
    if len(quarters) != 1:
        raise Bad("plan.bad-rhythm", value=s)
    return next(iter(quarters))


def parse_quarters(text: Any) -> frozenset[int]:
    """'1,2' / '1-3' / '๑ ๒' / 2 -> quarters; raises Bad for anything outside 1-4."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    s = clean_text(text)
    if s is None:
        raise Bad("plan.bad-quarters", value="")
    quarters: set[int] = set()
    for part in re.split(r"[,;\s]+", to_arabic_digits(s)):
        if not part:
            continue
        m = re.fullmatch(r"(?:q|ไตรมาส)?([1-4])(?:-([1-4]))?", part.casefold())
        if not m:
            raise Bad("plan.bad-quarters", value=s)
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if hi < lo:
            raise Bad("plan.bad-quarters", value=s)
        quarters.update(range(lo, hi + 1))
    if not quarters:
        raise Bad("plan.bad-quarters", value=s)
    return frozenset(quarters)


# ---- reading -------------------------------------------------------------------------------------
def _records(sf: SheetFrame | None) -> list[dict[str, Any]]:
    if sf is None:
        return []
    return [{k: (None if _missing(v) else v) for k, v in rec.items()}
            for rec in sf.frame.to_dict("records")]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _f(v: Any) -> float | None:
    return None if _missing(v) else float(v)


class _Checker:
    def __init__(self, path: Path):
        self.path = path
        self.file = path.name
        self.problems: list[Problem] = []
        self.frames: dict[str, SheetFrame] = {}

    def add(self, code: str, sf: SheetFrame, field_name: str, row: int, value: Any,
            **params: Any) -> None:
        column = SPECS[sf.spec_key].column(field_name).header
        self.problems.append(catalog.problem(
            code, file=self.file, sheet=sf.sheet, cell=sf.cell(field_name, row),
            column=column, value=value, **params))

    def run(self) -> Plan | None:
        raw = read_workbook(self.path, sheets=PLAN_SHEETS, limits=PLAN_LIMITS)
        self.problems.extend(raw.problems)
        if any(p.is_error and p.code.startswith("file.") for p in raw.problems):
            return None
        ind_raw = raw.sheets.get("indicators")
        if ind_raw is not None and "kind" in ind_raw.missing_columns:
            missing = [SPECS["indicators"].column(n) for n in ind_raw.missing_columns]
            self.problems.append(catalog.problem(
                "plan.indicator-columns-missing", file=self.file,
                sheet=SPECS["indicators"].name,
                value=", ".join(f"{c.th} ({c.en})" for c in missing)))
            return None  # nothing silently falls back to a sum or a median
        self.frames, found = normalise_workbook(raw, None, sheets=PLAN_SHEETS)
        self.problems.extend(found)
        for key, sf in self.frames.items():
            self.problems.extend(schema_problems(sf, SPECS[key], self.file))
        plan = self.build()
        return plan

    def build(self) -> Plan | None:
        """The Plan, checking the cross-sheet rules on the way."""
        fr = self.frames
        settings = _records(fr.get("settings"))
        s = settings[0] if settings else {}
        plan = Plan(
            province=s.get("province") or "",
            office_name=s.get("office_name") or "",
            office_email=s.get("office_email") or "",
            fiscal_year=int(s["fiscal_year"]) if s.get("fiscal_year") is not None else 0,
            path=self.path,
        )
        if s.get("due_day") is not None:
            plan.due_day = int(s["due_day"])
        for q in range(1, 5):
            d = s.get(f"due_date_q{q}")
            if isinstance(d, date):
                plan.due_date_overrides[q] = d
        sf = fr.get("settings")
        if sf is not None and len(sf.frame) and "open_quarters" in sf.frame.columns:
            row = int(sf.frame["_row"].iloc[0])
            if s.get("open_quarters") is not None:
                try:
                    plan.open_quarters = parse_quarters(s["open_quarters"])
                except Bad as bad:
                    self.add(bad.code, sf, "open_quarters", row, s["open_quarters"])
        self.strategies(plan)
        self.agencies(plan)
        self.indicators(plan)
        self.disbursement(plan)
        self.projects(plan)
        return plan

    def strategies(self, plan: Plan) -> None:
        for r in _records(self.frames.get("strategies")):
            no = r.get("strategy_no")
            if no is None or no in plan.strategies:
                continue
            plan.strategies[int(no)] = Strategy(int(no), r.get("name_th") or "",
                                                r.get("name_en") or "")

    def agencies(self, plan: Plan) -> None:
        sf = self.frames.get("agencies")
        rows = _records(sf)
        for r in rows:
            code = r.get("agency_code")
            if code is None or code in plan.agencies:
                continue
            try:
                emails = tuple(split_emails(r.get("sender_emails")))
            except Bad:
                emails = ()  # already reported by the normaliser
            try:
                levels = parse_levels(r.get("levels")) or frozenset()
            except Bad as bad:
                assert sf is not None
                self.add(bad.code, sf, "levels", int(r["_row"]), bad.params["value"],
                         allowed=", ".join(c.th for c in LEVELS))
                levels = frozenset()
            try:
                web_link = parse_web_link(r.get("web_link"))
            except Bad as bad:
                assert sf is not None
                self.add(bad.code, sf, "web_link", int(r["_row"]), bad.params["value"])
                web_link = 1
            plan.agencies[code] = Agency(
                code=code, name_th=r.get("name_th") or "", agency_type=r.get("agency_type") or "",
                affiliation=r.get("affiliation") or "", district=r.get("district") or "",
                parent_code=r.get("parent_code"), sender_emails=emails, levels=levels,
                web_link=web_link)
        assert sf is not None or not rows
        for r in rows:
            parent = r.get("parent_code")
            if parent is not None and parent not in plan.agencies and sf is not None:
                self.add("plan.parent-not-listed", sf, "parent_code", int(r["_row"]), parent)

    def indicators(self, plan: Plan) -> None:
        sf = self.frames.get("indicators")
        allowed_types = ", ".join([ALL_AGENCY_TYPES] + [c.th for c in AGENCY_TYPES])
        allowed_no = ", ".join(str(n) for n in sorted(plan.strategies))
        for r in _records(sf):
            assert sf is not None
            row = int(r["_row"])
            try:
                types = parse_agency_types(r.get("agency_types"))
            except Bad as bad:
                self.add(bad.code, sf, "agency_types", row, bad.params["value"],
                         allowed=allowed_types)
                types = None
            try:
                levels = parse_levels(r.get("levels"))
            except Bad as bad:
                self.add(bad.code, sf, "levels", row, bad.params["value"],
                         allowed=", ".join(c.th for c in LEVELS))
                levels = None
            try:
                rhythm = parse_rhythm(r.get("report_quarter"))
            except Bad as bad:
                self.add(bad.code, sf, "report_quarter", row, bad.params["value"])
                rhythm = None
            no = r.get("strategy_no")
            if no is not None and plan.strategies and int(no) not in plan.strategies:
                self.add("plan.strategy-not-listed", sf, "strategy_no", row, int(no),
                         allowed=allowed_no)
            code = r.get("indicator_code")
            if code is None or code in plan.indicators or r.get("kind") not in KINDS:
                continue  # an empty kind is a value.required error of the column check
            min_pct = _f(r.get("min_reporting_pct"))
            year = r.get("academic_year")
            plan.indicators[code] = Indicator(
                code=code, name_th=r.get("name_th") or "", unit=r.get("unit") or "",
                direction=r.get("direction") or "", strategy_no=int(no) if no is not None else 0,
                agency_types=types, target=_f(r.get("target")) or 0.0,
                previous_result=_f(r.get("previous_result")),
                plausible_min=_f(r.get("plausible_min")),
                plausible_max=_f(r.get("plausible_max")),
                kind=r["kind"], agency_target=_f(r.get("agency_target")), levels=levels,
                report_quarter=rhythm, academic_year=int(year) if year is not None else None,
                min_reporting_pct=50.0 if min_pct is None else min_pct,
                when_empty=r.get("when_empty") or "error")

    def disbursement(self, plan: Plan) -> None:
        sf = self.frames.get("disbursement")
        rows = sorted((r for r in _records(sf) if r.get("quarter") is not None),
                      key=lambda r: int(r["quarter"]))
        previous: dict[str, tuple[int, float]] = {}
        for r in rows:
            assert sf is not None
            q = int(r["quarter"])
            for name in ("overall_pct", "current_pct", "capital_pct"):
                v = _f(r.get(name))
                if v is None or not 0 <= v <= 100:  # out of range: the column check says so
                    continue
                before = previous.get(name)
                if before is not None and v < before[1]:
                    self.add("plan.targets-decreasing", sf, name, int(r["_row"]), _num(v),
                             quarter=q, expected=_num(before[1]))
                previous[name] = (q, v)
            overall = _f(r.get("overall_pct"))
            if overall is None or q in plan.disbursement or not 1 <= q <= 4:
                continue
            plan.disbursement[q] = DisbursementTarget(q, overall, _f(r.get("current_pct")),
                                                      _f(r.get("capital_pct")))


    def projects(self, plan: Plan) -> None:
        """The project register: its agency and strategy must be listed, a revision needs
        both its allocation and its quarter."""
        sf = self.frames.get("projects")
        allowed_no = ", ".join(str(n) for n in sorted(plan.strategies))
        for r in _records(sf):
            assert sf is not None
            row = int(r["_row"])
            code, agency, no = r.get("project_code"), r.get("agency_code"), r.get("strategy_no")
            ok = True
            if agency is not None and agency not in plan.agencies:
                self.add("plan.project-agency-not-listed", sf, "agency_code", row, agency)
                ok = False
            if no is not None and plan.strategies and int(no) not in plan.strategies:
                self.add("plan.strategy-not-listed", sf, "strategy_no", row, int(no),
                         allowed=allowed_no)
                ok = False
            revised, from_q = r.get("revised_allocation"), r.get("revised_from_quarter")
            if (revised is None) != (from_q is None):
                missing = "revised_from_quarter" if from_q is None else "revised_allocation"
                self.add("plan.revision-incomplete", sf, missing, row, None)
                ok = False
            if (not ok or code is None or code in plan.projects or agency is None or no is None
                    or r.get("planned") is None or not r.get("budget_source")
                    or not r.get("expenditure_category")):
                continue  # an empty required cell is a value.required error of the column check
            plan.projects[code] = Project(
                code=code, name_th=r.get("name_th") or "", strategy_no=int(no),
                agency_code=agency, budget_source=r["budget_source"],
                expenditure_category=r["expenditure_category"], planned=int(r["planned"]),
                goal=r.get("goal") or "", unit=r.get("unit") or "", period=r.get("period") or "",
                output_target=r.get("output_target") or "",
                outcome_target=r.get("outcome_target") or "",
                revised_allocation=None if revised is None else int(revised),
                revised_from_quarter=None if from_q is None else int(from_q),
                passed_on=r.get("passed_on") == "yes")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _load(path: Path) -> tuple[Plan | None, list[Problem]]:
    checker = _Checker(Path(path))
    try:
        plan = checker.run()
    except Exception as exc:  # noqa: BLE001 - report, never a traceback for a bad workbook
        checker.problems.append(catalog.problem(
            "file.unreadable", file=checker.file, detail=f"{type(exc).__name__}: {exc}"[:300]))
        plan = None
    return plan, unique_problems(checker.problems)


def check_plan(path: Path) -> list[Problem]:
    """Every problem of a plan workbook, each at its sheet and cell (errors and warnings)."""
    return _load(path)[1]


def load_plan(path: Path) -> Plan:
    """The Plan of a plan workbook; raises PlanError (with every problem) on any error."""
    plan, problems = _load(path)
    if plan is None or any(p.is_error for p in problems):
        raise PlanError(problems)
    return plan


@functools.cache
def _code_key() -> str:
    """A hash of this program's source (pipeline and schemas packages): a parsed plan cached
    by another version of the code is never used."""
    import schemas

    h = hashlib.sha256()
    for pkg in (Path(__file__).parent, Path(schemas.__file__).parent):
        for src in sorted(pkg.glob("*.py")):
            h.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()


def load_plan_cached(state: Path, path: Path) -> Plan:
    """:func:`load_plan`, through a cache of the parsed plan in the workspace's ``state/``
    folder keyed by the plan file's bytes and the program's source (a 30,000-agency plan:
    2-5 s to load, 0.1 s to unpickle; the run, each worker process and ``edurollup report``
    load it). A plan with errors is never cached (load_plan raises each time); an
    unreadable cache file is ignored."""
    import pickle

    from .atomic import write_bytes_atomic

    data = path.read_bytes()
    key = hashlib.sha256(data + _code_key().encode()).hexdigest()[:24]
    prefix = "plan-cache-" + (re.sub(r"[^0-9A-Za-z_-]+", "_", path.stem) or "plan") + "-"
    cache = state / f"{prefix}{key}.pickle"
    try:
        plan = pickle.loads(cache.read_bytes())  # noqa: S301 - our own file in state/
        if isinstance(plan, Plan):
            plan.path = path
            return plan
    except Exception:  # noqa: BLE001 - any doubt about the cache: load the plan
        pass
    plan = load_plan(path)
    if path.read_bytes() == data:  # not saved again while we read it
        plan_fingerprint(plan)  # hashed once here, then kept in the cache with the plan
        try:
            write_bytes_atomic(cache, pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL),
                               durable=False)  # a cache: losing it costs one load
            for old in state.glob(f"{prefix}*.pickle"):
                if old != cache:
                    old.unlink(missing_ok=True)
        except OSError:
            pass
    return plan
