"""The plan: agencies, strategies, indicators, disbursement targets, projects, settings for one year.

The provincial office keeps it as ``plan/<FY>.xlsx`` (see ``schemas/plan_*.py``).
This module holds the in-memory Plan; ``plan_workbook.py`` writes the workbook and
``plan_load.py`` reads and checks it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from schemas.choices import KINDS

from . import calendar as fcal

ALL_AGENCY_TYPES = "ทั้งหมด"  # "all" in the indicators sheet's agency-types column
EVERY_QUARTER = "ทุกไตรมาส"  # "every quarter" in the indicators sheet's rhythm column


@dataclass(frozen=True)
class Agency:
    code: str
    name_th: str
    agency_type: str  # key from schemas.choices.AGENCY_TYPES
    affiliation: str  # key from schemas.choices.AFFILIATIONS
    district: str
    parent_code: str | None = None
    sender_emails: tuple[str, ...] = ()
    levels: frozenset[str] = frozenset()  # keys of schemas.choices.LEVELS (schools)
    web_link: int = 1  # version of the clerk's web link (rotate: 2, 3...); 0 = revoked

    def is_sender(self, address: str) -> bool:
        return address.strip().lower() in {e.lower() for e in self.sender_emails}


@dataclass(frozen=True)
class Strategy:
    no: int
    name_th: str
    name_en: str = ""

    @property
    def label(self) -> str:
        """What the template's dropdown shows: '1. การจัดการศึกษาเพื่อความมั่นคง'."""
        return f"{self.no}. {self.name_th}"


@dataclass(frozen=True)
class Indicator:
    """One indicator of the plan. ``kind`` (schemas.choices.KINDS) fixes the inputs and the
    provincial rule; ``target`` is the provincial target (the verdict), ``agency_target``
    the optional per-agency one (the agency's own feedback)."""

    code: str
    name_th: str
    unit: str  # key from schemas.choices.UNITS
    direction: str  # "higher" or "lower"
    strategy_no: int
    agency_types: frozenset[str] | None  # None = every agency type
    target: float  # provincial target
    previous_result: float | None = None  # baseline: last year's provincial result
    plausible_min: float | None = None
    plausible_max: float | None = None
    kind: str = ""  # key of schemas.choices.KINDS; must be given (checked below)
    agency_target: float | None = None
    levels: frozenset[str] | None = None  # None = whatever the agency teaches
    report_quarter: int | None = None  # None = every quarter (cumulative); else that one
    academic_year: int | None = None  # BE academic year of an annual result
    min_reporting_pct: float = 50.0  # fewer reporters than this share: too few to judge
    when_empty: str = "error"  # "error" or "warning"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:  # never fall back to a sum or a median silently
            raise ValueError(f"indicator {self.code}: unknown kind {self.kind!r}; "
                             f"one of {', '.join(KINDS)}")

    def applies_to(self, agency: Agency) -> bool:
        """Asked of this agency: its type is listed and, when the indicator names levels,
        the agency teaches one of them."""
        if self.agency_types is not None and agency.agency_type not in self.agency_types:
            return False
        return self.levels is None or bool(self.levels & agency.levels)

    def due_in(self, quarter: int) -> bool:
        """Asked in this quarter's template."""
        return self.report_quarter is None or self.report_quarter == quarter

    def counted_quarter(self, quarter: int) -> int | None:
        """The quarter whose reports give this indicator's figure at ``quarter``: the same
        quarter (every quarter, cumulative), the named quarter once it has come (annual),
        or None (not yet due)."""
        if self.report_quarter is None:
            return quarter
        return self.report_quarter if quarter >= self.report_quarter else None

    def met(self, result: float, target: float | None = None) -> bool:
        goal = self.target if target is None else target
        return result >= goal if self.direction == "higher" else result <= goal


@dataclass(frozen=True)
class DisbursementTarget:
    quarter: int
    overall_pct: float
    current_pct: float | None = None
    capital_pct: float | None = None


@dataclass(frozen=True)
class Project:
    """One project of the plan's register. ``revised_allocation`` from
    ``revised_from_quarter`` on: the mid-year revision (ปรับแผนกลางปี). ``passed_on``: the
    agency passes this budget on to agencies that report it themselves, so provincial
    totals leave it out (โอนจัดสรรให้สถานศึกษา)."""

    code: str
    name_th: str
    strategy_no: int
    agency_code: str
    budget_source: str  # key of schemas.choices.BUDGET_SOURCES
    expenditure_category: str  # key of schemas.choices.EXPENDITURE_CATEGORIES
    planned: int  # satang
    goal: str = ""
    unit: str = ""
    period: str = ""
    output_target: str = ""
    outcome_target: str = ""
    revised_allocation: int | None = None  # satang
    revised_from_quarter: int | None = None
    passed_on: bool = False

    def revised_in(self, quarter: int) -> bool:
        """The revision has taken effect by ``quarter``."""
        return (self.revised_allocation is not None and self.revised_from_quarter is not None
                and quarter >= self.revised_from_quarter)


@dataclass
class Plan:
    province: str
    office_name: str
    office_email: str
    fiscal_year: int
    due_day: int = fcal.DEFAULT_DUE_DAY
    due_date_overrides: dict[int, date] = field(default_factory=dict)
    open_quarters: frozenset[int] = frozenset({1, 2, 3, 4})
    agencies: dict[str, Agency] = field(default_factory=dict)
    strategies: dict[int, Strategy] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    disbursement: dict[int, DisbursementTarget] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    path: Path | None = None

    def due_date(self, quarter: int) -> date:
        return fcal.due_date(self.fiscal_year, quarter, self.due_day,
                             self.due_date_overrides.get(quarter))

    def indicators_for(self, agency: Agency, quarter: int | None = None) -> list[Indicator]:
        """The agency's indicators (of ``quarter``'s template when given), in plan order."""
        return [i for i in self.indicators.values()
                if i.applies_to(agency) and (quarter is None or i.due_in(quarter))]

    def projects_for(self, agency_code: str) -> list[Project]:
        """The agency's projects, in plan order."""
        return [p for p in self.projects.values() if p.agency_code == agency_code]

    def agencies_for_sender(self, address: str) -> list[Agency]:
        return [a for a in self.agencies.values() if a.is_sender(address)]

    @property
    def fingerprint(self) -> str:
        """A hash of the plan's content (not its file bytes: saving in Excel changes those)."""
        def default(o: object) -> object:
            if isinstance(o, (set, frozenset)):
                return sorted(o)
            if isinstance(o, date):
                return o.isoformat()
            if isinstance(o, Path):
                return None
            raise TypeError(type(o))

        content = asdict(self)
        content.pop("path", None)
        if not content.get("projects"):  # a plan without a register keeps its fingerprint
            content.pop("projects", None)
        blob = json.dumps(content, sort_keys=True, default=default, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def plan_fingerprint(plan: Plan) -> str:
    """``plan.fingerprint``, computed once per Plan object and kept on it: it hashes the
    whole plan (0.6 s at 30,000 agencies). Kept in the instance's ``__dict__``, it travels
    with the parsed-plan cache (plan_load.load_plan_cached), so the run, its workers and
    ``edurollup report`` do not hash the plan again. A plan changed in place after its first
    fingerprint keeps the old one: build a new Plan (``dataclasses.replace``) instead."""
    fp = plan.__dict__.get("_fingerprint_memo")
    if fp is None:
        fp = plan.__dict__["_fingerprint_memo"] = plan.fingerprint
    return fp


def plan_path(workspace: Path, fiscal_year: int) -> Path:
    return workspace / "plan" / f"{fiscal_year}.xlsx"
