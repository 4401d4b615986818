"""Decide what happens to an arrival: accepted, rejected, quarantined or duplicate.

Order of the rules (the first that applies wins):

0. the e-mail does not name one clear sender (``Arrival.sender_problem``: two From:
   fields, two addresses, a parser defect, an encoded address, a Sender: naming someone
   else) -> quarantined (intake.sender-unclear), whatever it holds; nobody gets a reply;
1. not a workbook (PDF, photo, no attachment) -> rejected;
2. sender not registered for the agency the file claims (unless it is a trusted dropped
   file) -> quarantined, whatever the content: a spoofed file is never merged, and its
   problems are kept for the office but it is not treated as the agency's attempt;
3. no plan for the file's fiscal year -> quarantined (intake.plan-mismatch);
4. quarter not open in the plan -> quarantined (intake.period-not-open);
5. any error in the file -> rejected;
6. otherwise accepted (the ledger may then mark it, or an older one, superseded).

Quarantine comes before rejection because those reasons stand whatever the content: no
fix inside the file makes it count. ``late`` is set whenever the period and due date are
known; accepted late files also carry an intake.late warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import calendar as fcal
from .catalog import problem
from .collect import EMPTY_ATTACHMENT, NO_ATTACHMENT, WORKBOOK_SUFFIXES, Arrival
from .model import FileReport, Problem
from .plan import Plan

STATUSES = ("accepted", "rejected", "quarantined", "duplicate")


@dataclass
class Decision:
    """What to do with one arrival, and why (Thai and English).

    ``problems`` is everything the sender (or the office, for quarantine) should see: the
    report's problems followed by the intake's. The ledger stores exactly this list.
    ``agency_code``/``fiscal_year``/``quarter`` say whom and which period it is recorded
    under (the report's, or the sender's only agency when the file could not say).
    """

    status: str  # accepted | rejected | quarantined | duplicate
    reason_th: str
    reason_en: str
    late: bool = False
    problems: list[Problem] = field(default_factory=list)
    agency_code: str | None = None
    fiscal_year: int | None = None
    quarter: int | None = None
    duplicate_of: int | None = None  # submission id, for duplicates

    @property
    def reason(self) -> str:
        return f"{self.reason_th} / {self.reason_en}"

    @property
    def counts(self) -> bool:
        """True when the file's data goes into the roll-up (until a newer one supersedes it)."""
        return self.status == "accepted"


def _sender_agency(plan: Plan | None, sender: str | None) -> str | None:
    """The sender's agency when the sender is registered for exactly one."""
    if plan is None or not sender:
        return None
    matches = plan.agencies_for_sender(sender)
    return matches[0].code if len(matches) == 1 else None


def _not_a_workbook(arrival: Arrival, plan: Plan | None) -> Decision:
    name = arrival.original_name
    if arrival.reason == NO_ATTACHMENT:
        p = problem("intake.no-attachment", file=name, value=arrival.subject or "")
        th, en = "ไม่มีไฟล์แนบ", "no attachment"
    elif arrival.reason == EMPTY_ATTACHMENT:
        p = problem("file.empty", file=name)
        th, en = "ไฟล์ว่างเปล่า", "empty file"
    elif arrival.suffix in WORKBOOK_SUFFIXES:
        p = problem("file.not-a-workbook", file=name, detail=arrival.reason or "")
        th, en = "ไม่ใช่ไฟล์แบบรายงาน", "not a workbook"
    else:
        p = problem("file.unsupported-type", file=name, detail=arrival.reason or "")
        th, en = "ไม่ใช่ไฟล์แบบรายงาน", "not a report workbook"
    return Decision("rejected", th, en, problems=[p],
                    agency_code=_sender_agency(plan, arrival.sender))


def _sender_unclear(report: FileReport | None, arrival: Arrival) -> Decision:
    p = problem("intake.sender-unclear", file=arrival.original_name,
                value=arrival.sender_display or "-", detail=arrival.sender_problem)
    problems = [p, *(report.problems if report else [])]
    return Decision("quarantined", "ผู้ส่งไม่ชัดเจน (หัวอีเมล From ระบุไม่ตรงกัน)",
                    f"sender unclear: {arrival.sender_problem}", problems=problems,
                    agency_code=report.agency_code if report else None,
                    fiscal_year=report.fiscal_year if report else None,
                    quarter=report.quarter if report else None)


def _registered(report: FileReport, arrival: Arrival, plan: Plan | None) -> bool:
    """Is the sender registered for the agency the file claims?"""
    if not arrival.sender:
        return False
    if arrival.source == "web":  # the sender is the agency of the clerk's link (web/)
        return report.agency_code is not None and report.agency_code == arrival.sender
    claimed = report.agency_code
    if plan is not None and claimed and claimed in plan.agencies \
            and plan.fiscal_year == report.fiscal_year:
        return plan.agencies[claimed].is_sender(arrival.sender)
    if plan is not None:
        # the file names no agency of this plan: the sender must at least be someone's
        return bool(plan.agencies_for_sender(arrival.sender))
    return True  # no plan to check against: rule 3 quarantines a file that names a year


def decide(report: FileReport | None, arrival: Arrival, plan: Plan | None,
           trusted: bool) -> Decision:
    """The decision for one arrival (see the module docstring for the rules' order).

    ``plan`` is the plan of the report's fiscal year (None when there is none);
    ``trusted`` is ``collect.trusted(ws, arrival)``: dropped files need no sender.
    """
    if arrival.sender_problem:
        return _sender_unclear(report, arrival)
    if not arrival.is_workbook:
        return _not_a_workbook(arrival, plan)
    name = arrival.original_name
    if report is None:
        p = problem("file.unreadable", file=name, detail="not read")
        return Decision("rejected", "เปิดไฟล์ไม่ได้", "unreadable", problems=[p],
                        agency_code=_sender_agency(plan, arrival.sender))
    fy, quarter = report.fiscal_year, report.quarter
    plan_ok = plan is not None and fy is not None and plan.fiscal_year == fy
    agency = report.agency_code or _sender_agency(plan, arrival.sender)
    base: dict[str, Any] = dict(agency_code=agency, fiscal_year=fy, quarter=quarter)
    problems = list(report.problems)
    due = plan.due_date(quarter) if plan_ok and quarter in (1, 2, 3, 4) else None
    late = due is not None and fcal.is_late(arrival.received_at, due)

    if not trusted and not _registered(report, arrival, plan):
        p = problem("intake.sender-not-registered", file=name,
                    value=arrival.sender or "(unknown / ไม่ทราบ)",
                    expected=report.agency_code or "-")
        return Decision("quarantined", "ผู้ส่งไม่ได้ลงทะเบียนกับหน่วยงาน",
                        "sender not registered for the agency", late,
                        [p, *problems], **base)
    if fy is not None and not plan_ok:
        p = problem("intake.plan-mismatch", file=name, value=fy)
        return Decision("quarantined", f"ไม่มีแผนปีงบประมาณ {fy}", f"no plan for FY {fy}",
                        late, [*problems, p], **base)
    if plan_ok and quarter is not None and quarter not in plan.open_quarters:
        label = (fcal.Period(fy, quarter).label_th if quarter in (1, 2, 3, 4)
                 else f"ไตรมาส {quarter}")
        p = problem("intake.period-not-open", file=name, value=label)
        return Decision("quarantined", "ยังไม่เปิดรับรายงานไตรมาสนี้", "period not open",
                        late, [*problems, p], **base)
    errors = [p for p in problems if p.is_error]
    if errors:
        return Decision("rejected", f"พบข้อผิดพลาด {len(errors)} รายการ",
                        f"{len(errors)} error(s) found", late, problems, **base)
    if late:
        assert due is not None
        problems.append(problem("intake.late", file=name,
                                value=fcal.format_thai_date(fcal.to_thai_date(
                                    arrival.received_at)),
                                expected=fcal.format_thai_date(due)))
        return Decision("accepted", "รับรายงานแล้ว (ส่งหลังกำหนด)", "accepted (late)", True,
                        problems, **base)
    return Decision("accepted", "รับรายงานแล้ว", "accepted", False, problems, **base)


def redecide(previous: dict[str, Any]) -> bool:
    """Should bytes already in the ledger be decided again instead of called a duplicate?

    Yes when they were quarantined: the school whose clerk first sent the file from a
    private address forwards the very same attachment from its registered one, or a
    quarter opens after the file came. ``previous`` is ``Ledger.find_submission(sha)``;
    :meth:`Ledger.record` then updates that submission in place.
    """
    return previous.get("status") == "quarantined"


def duplicate_decision(previous: dict[str, Any], arrival: Arrival) -> Decision:
    """The same bytes arrived again: note it, never process it again.

    ``previous`` is ``Ledger.find_submission(arrival.sha256)``.
    """
    when = datetime.fromisoformat(previous["received_at"])
    seen_th = fcal.format_thai_date(fcal.to_thai_date(when))
    p = problem("intake.duplicate", file=arrival.original_name, value=seen_th)
    return Decision("duplicate", f"ไฟล์ซ้ำกับที่ได้รับแล้ว ({previous['original_name']})",
                    f"same file as already received ({previous['original_name']})",
                    bool(previous.get("late")), [p], agency_code=previous.get("agency_code"),
                    fiscal_year=previous.get("fiscal_year"), quarter=previous.get("quarter"),
                    duplicate_of=int(previous["id"]))
