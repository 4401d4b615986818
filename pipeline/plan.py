"""The plan: agencies, strategies, indicators, disbursement targets, settings for one year.

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

from . import calendar as fcal

ALL_AGENCY_TYPES = "ทั้งหมด"  # "all" in the indicators sheet's agency-types column


@dataclass(frozen=True)
class Agency:
    code: str
    name_th: str
    agency_type: str  # key from schemas.choices.AGENCY_TYPES
    affiliation: str  # key from schemas.choices.AFFILIATIONS
    district: str
    parent_code: str | None = None
    sender_emails: tuple[str, ...] = ()

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
    code: str
    name_th: str
    unit: str  # key from schemas.choices.UNITS
    direction: str  # "higher" or "lower"
    strategy_no: int
    agency_types: frozenset[str] | None  # None = every agency type
    target: float
    previous_result: float | None = None
    plausible_min: float | None = None
    plausible_max: float | None = None

    def applies_to(self, agency_type: str) -> bool:
        return self.agency_types is None or agency_type in self.agency_types

    def met(self, result: float) -> bool:
        return result >= self.target if self.direction == "higher" else result <= self.target


@dataclass(frozen=True)
class DisbursementTarget:
    quarter: int
    overall_pct: float
    current_pct: float | None = None
    capital_pct: float | None = None


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
    path: Path | None = None

    def due_date(self, quarter: int) -> date:
        return fcal.due_date(self.fiscal_year, quarter, self.due_day,
                             self.due_date_overrides.get(quarter))

    def indicators_for(self, agency: Agency) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.applies_to(agency.agency_type)]

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
