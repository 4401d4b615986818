"""The demo province: a Sisaket workspace with a plan, two quarters of reports and flaws.

``build_demo(ws)`` writes ``plan/2568.xlsx`` and ``plan/2567.xlsx``, one filled template
per agency per quarter (FY 2568 Q1 and Q2, and last year's 12-month report, FY 2567 Q4,
so year-on-year comparisons come from the ledger) delivered the three ways the office receives them (.eml files, a
Maildir, files dropped into ``inbox/``), a few realistic flaws, and
``demo-manifest.json``: for every file, what the product should conclude about it. Later
steps' tests check themselves against that manifest, so it must say exactly what a
validator reports (code, sheet, A1 cell) and what intake decides.

Everything comes from a fixed seed and fixed timestamps: building twice gives the same
bytes, and files whose bytes did not change are not rewritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import mailbox
import multiprocessing
import os
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import encoders
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

import schemas
from schemas.choices import (
    BUDGET_SOURCES,
    EXPENDITURE_CATEGORIES,
    NARRATIVE_KINDS,
    PROGRESS_STATUSES,
    YES_NO,
)

from . import calendar as fcal
from . import demo_data as dd
from . import xlstyle as xs
from .atomic import write_bytes_atomic, write_text_atomic
from .consolidate import expected_agencies
from .ods import ods_bytes, sheets_from_openpyxl
from .plan import Agency, Indicator, Plan
from .plan_workbook import write_plan
from .secret import KEY_NAME, install_key, workspace_secret
from .templates import build_template, template_filename
from .workspace import Workspace

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ODS_TYPE = ("application", "vnd.oasis.opendocument.spreadsheet")
MANIFEST_NAME = "demo-manifest.json"
CONFIG_TEXT = """# Edu Roll-up settings for the demo workspace (written by `edurollup demo`)
[intake]
# files dropped straight into inbox/ come from office staff
trust_dropped_files = true

[smtp]
# a local test server, e.g. `python -m aiosmtpd -n -l localhost:8025`
host = "localhost"
port = 8025
"""

_SOURCE = {c.key: c.th for c in BUDGET_SOURCES}
_CATEGORY = {c.key: c.th for c in EXPENDITURE_CATEGORIES}
_STATUS = {c.key: c.th for c in PROGRESS_STATUSES}


# ---- figures an agency reports ---------------------------------------------------------
Project = dd.DemoProject


@dataclass
class Report:
    """What one agency reports for one quarter, before it is typed into the template."""

    agency: Agency
    quarter: int
    projects: list[Project]
    results: dict[str, dict[str, Any]]  # indicator code -> input cells (field -> value)
    reporter: tuple[str, str, str, str]  # name, position, phone, e-mail
    received_at: datetime
    fiscal_year: int = dd.FISCAL_YEAR


def _baht(satang: int) -> float | int:
    """A cell value in baht: a whole number when there are no satang (as a clerk types)."""
    return satang // 100 if satang % 100 == 0 else round(satang / 100, 2)


def _spread(rng: random.Random, projects: list[Project], base: dict[int, int], goal: float,
            quarter: int) -> None:
    """Cumulative disbursement per project so the file's overall rate is ``goal`` (%)."""
    total = sum(p.allocated for p in projects)
    for _ in range(50):
        room = {p.code: p.allocated - base.get(p.code, 0) for p in projects}
        free = sum(room.values())
        need = goal / 100 * total - sum(base.get(p.code, 0) for p in projects)
        share = 0.0 if free <= 0 else max(0.0, min(1.0, need / free))
        for p in projects:
            f = max(0.0, min(1.0, share + rng.gauss(0, 0.12)))
            p.disbursed[quarter] = base.get(p.code, 0) + int(round(room[p.code] * f))
        rate = 100 * sum(p.disbursed[quarter] for p in projects) / total
        if abs(rate - goal) <= 6:
            break


def _commit(rng: random.Random, projects: list[Project]) -> None:
    """Committed (PO) amounts that never fall from Q1 to Q2 and never, with the
    disbursed amount, exceed the allocation: Q2 first, Q1 a part of it."""
    for p in projects:
        p.committed[2] = int(round((p.allocated - p.disbursed[2]) * rng.uniform(0.0, 0.45)))
        p.committed[1] = int(round(p.committed[2] * rng.uniform(0.3, 1.0)))


def _result(rng: random.Random, ind: Indicator, n_expected: int) -> dict[str, Any]:
    """What one agency types for an indicator, by its kind: counts for a percent, a mean
    and its test takers, yes/no, or a value. A count's share is the provincial target
    spread over the agencies asked."""
    t = ind.target
    if ind.kind == "percent_of_counts":
        den = rng.randint(15, 420)
        rate = min(100.0, max(0.0, rng.gauss(t - 1.5, 7)))
        return {"numerator": int(round(den * rate / 100)), "denominator": den}
    if ind.kind == "weighted_mean":
        return {"result": round(min(100.0, max(0.0, rng.gauss(t - 1, 7))), 2),
                "weight": rng.randint(6, 140)}
    if ind.kind == "yes_no":
        return {"answer": "yes" if rng.random() < min(0.98, t / 100 + 0.02) else "no"}
    hi = ind.plausible_max if ind.plausible_max is not None else t * 3
    if ind.kind in ("count", "amount"):
        share = t / max(1, n_expected)
        v = rng.uniform(0, 2 * share) if ind.kind == "amount" else rng.randint(
            0, max(1, round(2 * share)))
        v = round(v, -2) if ind.kind == "amount" else v
        return {"result": min(hi, v)}
    spread = t * 0.2 if ind.unit == "baht" else 4.0
    v = rng.gauss(t * (1.04 if ind.direction == "lower" else 0.99), spread)
    return {"result": round(min(hi, max(0.0, v)), 2)}


def _received(rng: random.Random, plan: Plan, quarter: int) -> datetime:
    """A working-hours arrival between the 3rd and the due date, Thai time."""
    due = plan.due_date(quarter)
    first = due.replace(day=3)
    day = first + timedelta(days=rng.randint(0, (due - first).days))
    return datetime(day.year, day.month, day.day, rng.randint(8, 16), rng.randint(0, 59),
                    rng.randint(0, 59), tzinfo=fcal.THAI_TZ)


def _reporter(rng: random.Random, agency: Agency) -> tuple[str, str, str, str]:
    drawn = rng.choice(["นาย", "นาง", "นางสาว"])
    first = rng.choice(dd.FIRST_NAMES)
    name = f"{dd.title_for(first, drawn)}{first} {rng.choice(dd.LAST_NAMES)}"
    phone = f"045-{rng.randint(600000, 699999)}"
    return name, rng.choice(dd.POSITIONS), phone, agency.sender_emails[0]


def make_reports(plan: Plan) -> dict[tuple[str, int], Report]:
    """Q1 and Q2 figures of every agency (Q2 cumulative, never below Q1)."""
    out = {}
    expected = expected_agencies(plan)
    for agency in plan.agencies.values():
        rng = random.Random(f"{dd.SEED}-{agency.code}")
        projects = dd.make_projects(rng, plan, agency)
        reporter = _reporter(rng, agency)
        base: dict[int, int] = {}
        for q in (1, 2):
            target = plan.disbursement[q].overall_pct
            _spread(rng, projects, base, target + rng.uniform(-10, 10), q)
            base = {p.code: p.disbursed[q] for p in projects}
            results = {i.code: _result(rng, i, len(expected[i.code]))
                       for i in plan.indicators_for(agency, q)}
            out[(agency.code, q)] = Report(agency, q, projects, results, reporter,
                                           _received(rng, plan, q))
        _commit(rng, projects)
    return out


def make_previous_reports(plan: Plan) -> dict[tuple[str, int], Report]:
    """The FY 2567 12-month (Q4) report of every agency: the year's spending and every
    indicator, so this year's roll-ups compare with last year's consolidated figures."""
    out = {}
    expected = expected_agencies(plan)
    for agency in plan.agencies.values():
        rng = random.Random(f"{dd.SEED}-{agency.code}-{plan.fiscal_year}")
        projects = dd.make_projects(rng, plan, agency)
        reporter = _reporter(rng, agency)
        _spread(rng, projects, {}, 100 - rng.uniform(0, 9), 4)
        for p in projects:
            p.committed[4] = 0  # the year is closed: nothing outstanding
        results = {i.code: _result(rng, i, len(expected[i.code]))
                   for i in plan.indicators_for(agency, 4)}
        out[(agency.code, 4)] = Report(agency, 4, projects, results, reporter,
                                       _received(rng, plan, 4), plan.fiscal_year)
    return out


# ---- typing the figures into the template ------------------------------------------------
@dataclass
class Filled:
    """A filled workbook plus where its cells are, so flaws can name them."""

    wb: Workbook
    budget_rows: dict[str, int]  # project code -> sheet row
    cols: dict[str, dict[str, str]]  # sheet key -> field -> column letter
    cover_rows: dict[str, int]  # cover field -> row
    indicator_rows: dict[str, int] = field(default_factory=dict)  # indicator code -> row

    def cell(self, key: str, field_name: str, row: int | None = None) -> str:
        if key == "cover":
            return f"{self.cols['cover'][field_name]}{self.cover_rows[field_name]}"
        return f"{self.cols[key][field_name]}{row}"

    def sheet(self, key: str) -> Any:
        return self.wb[{"cover": schemas.COVER.name, "budget": schemas.BUDGET.name,
                        "indicators": schemas.INDICATORS.name}[key]]


def _table_columns(ws: Any, spec: schemas.SheetSpec) -> dict[str, str]:
    """field -> column letter, from the header row as the template wrote it."""
    by_header = {c.header: c.name for c in spec.columns}
    out = {}
    for cell in ws[spec.header_row]:
        if cell.value in by_header:
            out[by_header[cell.value]] = cell.column_letter
    return out


def _allocated(plan: Plan, p: Project, quarter: int) -> int:
    """The project's allocation in ``quarter``: the plan's revision once it takes effect."""
    reg = plan.projects.get(p.code)
    return reg.revised_allocation if reg is not None and reg.revised_in(quarter) and \
        reg.revised_allocation is not None else p.allocated


def _carried(plan: Plan, report: Report, quarter: int) -> list[dict[str, Any]] | None:
    """What the agency's template for ``quarter`` carries from its previous quarter's
    report (the demo's Q2 templates open with the Q1 amounts)."""
    if quarter < 2 or report.fiscal_year != plan.fiscal_year:
        return None
    prev = quarter - 1
    return [{"project_code": p.code, "project_name": p.name, "strategy_no": p.strategy_no,
             "budget_source": p.source, "expenditure_category": p.category,
             "allocated": _allocated(plan, p, prev), "committed": p.committed.get(prev, 0),
             "disbursed": p.disbursed.get(prev, 0),
             "progress_status": _status(p, prev, _allocated(plan, p, prev))}
            for p in report.projects if prev in p.disbursed]


def _status(p: Project, quarter: int, allocated: int) -> str:
    disb = p.disbursed[quarter]
    return "not_started" if disb == 0 else "done" if disb == allocated else "in_progress"


def _narrative(plan: Plan, report: Report, quarter: int) -> list[tuple[str, str | None,
                                                                       str | None, str]]:
    """What a clerk writes on the narrative sheet: often nothing, sometimes a line or two,
    now and then tied to a project or a strategy."""
    rng = random.Random(f"{dd.SEED}-{report.agency.code}-{quarter}-narrative")
    if rng.random() < 0.45:
        return []
    kinds = {c.key: c.th for c in NARRATIVE_KINDS}
    out = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        kind = rng.choice(["obstacle", "obstacle", "suggestion", "highlight"])
        text = rng.choice({"obstacle": dd.OBSTACLES, "suggestion": dd.SUGGESTIONS,
                           "highlight": dd.HIGHLIGHTS}[kind])
        tie = rng.random()
        project = (rng.choice(report.projects).code if tie < 0.3 and report.projects else None)
        strategy = (plan.strategies[rng.choice(sorted(plan.strategies))].label
                    if 0.3 <= tie < 0.5 else None)
        out.append((kinds[kind], strategy, project, text))
    return out


def fill(plan: Plan, report: Report, quarter: int | None = None,
         key: bytes | None = None) -> Filled:
    """The agency's template for the quarter (carrying the previous quarter's amounts),
    filled like a clerk would (unlocked cells only); ``key``: the workspace key its stamp
    is issued with (None: the plain checksum)."""
    q = quarter or report.quarter
    wb = build_template(plan, report.agency.code, q, key=key,
                        carried=_carried(plan, report, q))
    cover, budget, inds = (wb[s.name] for s in (schemas.COVER, schemas.BUDGET,
                                                 schemas.INDICATORS))
    cover_rows = {}
    for r in range(1, cover.max_row + 1):
        for c in schemas.COVER.columns:
            if cover.cell(row=r, column=1).value == c.header:
                cover_rows[c.name] = r
    name, position, phone, email = report.reporter
    received = fcal.to_thai_date(report.received_at)
    for f, v in (("reporter_name", name), ("reporter_position", position),
                 ("reporter_phone", phone), ("reporter_email", email),
                 ("report_date", received - timedelta(days=1 if received.day % 3 == 0 else 0))):
        cover.cell(row=cover_rows[f], column=2, value=v)
    cols = {"cover": dict.fromkeys(cover_rows, "B"),
            "budget": _table_columns(budget, schemas.BUDGET),
            "indicators": _table_columns(inds, schemas.INDICATORS)}
    bc = cols["budget"]
    rows = {}
    for i, p in enumerate(report.projects):
        r = schemas.BUDGET.header_row + 1 + i
        rows[p.code] = r
        disb, comm = p.disbursed[report.quarter], p.committed[report.quarter]
        allocated = _allocated(plan, p, report.quarter)
        status = _status(p, report.quarter, allocated)
        values = {
            "project_code": p.code, "project_name": p.name,
            "strategy": plan.strategies[p.strategy_no].label,
            "budget_source": _SOURCE[p.source], "expenditure_category": _CATEGORY[p.category],
            "allocated": _baht(allocated), "committed": _baht(comm) if comm else None,
            "disbursed": _baht(disb), "progress_status": _STATUS[status],
        }
        for f, v in values.items():
            if v is not None:
                budget[f"{bc[f]}{r}"] = v
    ic = cols["indicators"]
    rng = random.Random(f"{dd.SEED}-{report.agency.code}-{q}-evidence")
    answers = {c.key: c.th for c in YES_NO}
    ind_rows = {}
    for r in range(schemas.INDICATORS.header_row + 1, inds.max_row + 1):
        code = inds[f"{ic['indicator_code']}{r}"].value
        if code in report.results:
            ind_rows[code] = r
            for name, v in report.results[code].items():
                if name == "answer":
                    v = answers[v]
                elif isinstance(v, float) and v.is_integer():
                    v = int(v)
                inds[f"{ic[name]}{r}"] = v
            ev = rng.choice(dd.EVIDENCE)
            if ev:
                inds[f"{ic['evidence']}{r}"] = ev
    if report.fiscal_year == plan.fiscal_year:
        narr = wb[schemas.NARRATIVE.name]
        for r, entry in enumerate(_narrative(plan, report, q),
                                  start=schemas.NARRATIVE.header_row + 1):
            for c, v in enumerate(entry, start=1):
                if v is not None:
                    set_text(narr, f"{get_column_letter(c)}{r}", v)
    return Filled(wb, rows, cols, cover_rows, ind_rows)


def set_text(ws: Any, ref: str, text: str) -> None:
    """Put text in a cell so that it stays text, even when it begins with '='."""
    ws[ref] = text
    ws[ref].data_type = "s"


def xlsx_bytes(filled: Filled) -> bytes:
    return xs.workbook_bytes(filled.wb)


def no_stamp_bytes(filled: Filled) -> bytes:
    """The submission sheets' values pasted into a fresh workbook: no stamp, no lists."""
    wb = Workbook()
    wb.remove(wb.active)
    for spec in schemas.SUBMISSION_SHEETS:
        src = filled.wb[spec.name]
        dst = wb.create_sheet(spec.name)
        for row in src.iter_rows():
            for c in row:
                if c.value is not None and c.data_type != "f":
                    dst.cell(row=c.row, column=c.column, value=c.value).data_type = c.data_type
        for letter, dim in src.column_dimensions.items():
            dst.column_dimensions[letter].width = dim.width
    return xs.workbook_bytes(wb)


# ---- flaws --------------------------------------------------------------------------------
def _flaw(flaw: str, step: str, code: str | None, severity: str | None, sheet: str | None,
          cell: str | None, note: str) -> dict[str, Any]:
    return {"flaw": flaw, "step": step, "expect_code": code, "severity": severity,
            "sheet": sheet, "cell": cell, "note": note}


def _budget_cell(f: Filled, report: Report, field_name: str, index: int = 0) -> tuple[str, int]:
    row = f.budget_rows[report.projects[index].code]
    return f.cell("budget", field_name, row), row


# ---- delivery ---------------------------------------------------------------------------------
def _stamp(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def eml_bytes(*, sender: tuple[str, str], to: str, subject: str, body: str, received: datetime,
              message_id: str, attachment: bytes, filename: str, mime: tuple[str, str],
              rfc2047_name: bool = False) -> bytes:
    """An e-mail as a mail client would save it: Thai display name and subject (RFC 2047),
    the attachment's Thai file name in RFC 2231 (or RFC 2047, as Outlook writes it)."""
    msg = MIMEMultipart(boundary=f"----=_Part_{hashlib.sha1(message_id.encode()).hexdigest()[:16]}")
    msg["From"] = formataddr(sender, charset="utf-8")
    msg["To"] = to
    msg["Subject"] = Header(subject, "utf-8")
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = message_id
    msg.attach(MIMEText(body, "plain", "utf-8"))
    part = MIMEApplication(attachment, mime[1], _encoder=encoders.encode_base64)
    if rfc2047_name:
        encoded = Header(filename, "utf-8").encode(maxlinelen=10_000)
        part.set_param("name", encoded)
        part.add_header("Content-Disposition", f'attachment; filename="{encoded}"')
    else:
        part.set_param("name", ("utf-8", "", filename))
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    msg.attach(part)
    return msg.as_bytes()


@dataclass
class Delivery:
    """One file as it arrives: the workbook, how, when, from whom, and what to expect."""

    report: Report
    data: bytes
    filename: str
    source: str  # eml | maildir | dropped
    received_at: datetime
    sender: str | None
    sender_name: str | None
    quarter: int
    status: str = "accepted"
    flaws: list[dict[str, Any]] = field(default_factory=list)
    rfc2047: bool = False
    maildir_folder: str = "new"
    path: str = ""


def _message(d: Delivery, n: int) -> bytes:
    a = d.report.agency
    fy = d.report.fiscal_year
    subject = f"ส่งรายงานผลการดำเนินงาน ไตรมาส {d.quarter}/{fy} {a.name_th}"
    body = (f"เรียน ศึกษาธิการจังหวัด{dd.PROVINCE}\n\n"
            f"{a.name_th} ขอส่งแบบรายงานผลการดำเนินงานและการใช้จ่ายงบประมาณ "
            f"ไตรมาส {d.quarter} ปีงบประมาณ {fy} ตามไฟล์แนบ\n\n"
            f"จึงเรียนมาเพื่อโปรดทราบ\n{d.sender_name}\n")
    domain = (d.sender or "example.th").split("@")[-1]
    mime = ODS_TYPE if d.filename.endswith(".ods") else XLSX_TYPE
    return eml_bytes(sender=(d.sender_name or a.name_th, d.sender or ""), to=dd.OFFICE_EMAIL,
                     subject=subject, body=body, received=d.received_at,
                     message_id=f"<demo.{fy}.{n:04d}.{a.code}@{domain}>",
                     attachment=d.data, filename=d.filename, mime=mime, rfc2047_name=d.rfc2047)


def _set_mtime(path: Path, when: datetime) -> None:
    ts = when.timestamp()
    if path.stat().st_mtime != ts:
        os.utime(path, (ts, ts))


def _write(ws: Workspace, deliveries: list[Delivery]) -> None:
    mailbox.Maildir(str(ws.maildir), create=True)  # new/ cur/ tmp/
    for n, d in enumerate(deliveries, start=1):
        stamp = d.received_at.strftime("%Y%m%d-%H%M%S")
        if d.source == "dropped":
            target = ws.inbox / d.filename
            write_bytes_atomic(target, d.data)
        elif d.source == "eml":
            target = ws.inbox / f"{stamp}-{d.report.agency.code}-q{d.quarter}-{n:03d}.eml"
            write_bytes_atomic(target, _message(d, n))
        else:
            key = (f"{int(d.received_at.timestamp())}.M{n:04d}P{d.report.fiscal_year}"
                   f"Q{d.quarter}.demo-mx")
            name = key + (":2,S" if d.maildir_folder == "cur" else "")
            target = ws.maildir / d.maildir_folder / name
            write_bytes_atomic(target, _message(d, n))
        _set_mtime(target, d.received_at)
        d.path = target.relative_to(ws.root).as_posix()


# ---- the demo -------------------------------------------------------------------------------
def _files_for(plan: Plan, rep: Report, kind: str | None, source: str,
               key: bytes | None = None) -> list[Delivery]:
    """The file(s) one agency sends for one quarter: clean, or with the flaw ``kind``;
    stamped with the workspace ``key``."""
    out: list[Delivery] = []
    budget_name, cover_name = schemas.BUDGET.name, schemas.COVER.name
    a, q, code = rep.agency, rep.quarter, rep.agency.code
    drng = random.Random(f"{dd.SEED}-{code}-{q}-delivery")
    fname = template_filename(plan, a, q)
    who = (a.sender_emails[-1] if len(a.sender_emails) > 1 and drng.random() < 0.4
           else a.sender_emails[0])

    def deliver(data: bytes, *, when: datetime = rep.received_at, source: str = "eml",
                name: str = fname, status: str = "accepted",
                flaws: list[dict[str, Any]] | None = None, sender: str | None = who,
                sender_name: str | None = None, quarter: int = q,
                rep: Report = rep, drng: random.Random = drng) -> Delivery:
        d = Delivery(rep, data, name, source, when, None if source == "dropped" else sender,
                     None if source == "dropped" else (sender_name or rep.reporter[0]),
                     quarter, status, list(flaws or []), rfc2047=drng.random() < 0.3,
                     maildir_folder="cur" if drng.random() < 0.3 else "new")
        out.append(d)
        return d

    drng.random()  # the roll that chose the source (see _plan_deliveries)
    if kind is None:
        deliver(xlsx_bytes(fill(plan, rep, key=key)), source=source)
        return out

    f = fill(plan, rep, key=key)
    b = f.sheet("budget")
    if kind == "thai-digits":
        ref, _ = _budget_cell(f, rep, "allocated")
        dref, _ = _budget_cell(f, rep, "disbursed")
        p = rep.projects[0]
        set_text(b, ref, fcal.to_thai_digits(f"{p.allocated / 100:.2f}"))
        set_text(b, dref, fcal.to_thai_digits(f"{p.disbursed[q] / 100:.2f}"))
        deliver(xlsx_bytes(f), flaws=[_flaw(
            "thai-digits", "normalise", None, None, budget_name, ref,
            "ตัวเลขไทยในช่องจำนวนเงิน (อ่านได้ตามปกติ) / Thai digits in money cells "
            "(read as numbers, no problem)")])
    elif kind == "text-numbers":
        first = None
        for i, p in enumerate(rep.projects):
            ref, _ = _budget_cell(f, rep, "allocated", i)
            dref, _ = _budget_cell(f, rep, "disbursed", i)
            set_text(b, ref, f"{p.allocated / 100:,.2f} บาท")
            set_text(b, dref, f"{p.disbursed[q] / 100:,.2f}")
            first = first or ref
        deliver(xlsx_bytes(f), source="maildir", flaws=[_flaw(
            "text-numbers", "normalise", None, None, budget_name, first,
            "จำนวนเงินเป็นข้อความมีจุลภาคและคำว่า บาท / amounts typed as text with "
            "thousands separators and 'บาท' (read as numbers, no problem)")])
    elif kind == "be-date-text":
        ref = f.cell("cover", "report_date")
        day = fcal.to_thai_date(rep.received_at)
        set_text(f.sheet("cover"), ref, fcal.format_thai_date(day))
        deliver(xlsx_bytes(f), flaws=[_flaw(
            "be-date-text", "normalise", None, None, cover_name, ref,
            "วันที่รายงานพิมพ์เป็นข้อความ พ.ศ. / report date typed as Buddhist Era text")])
    elif kind in ("late", "late-q2"):
        due = plan.due_date(q)
        when = datetime(due.year, due.month, due.day, 10, 12, 5,
                        tzinfo=fcal.THAI_TZ) + timedelta(days=5 if q == 1 else 3)
        rep.received_at = when
        f = fill(plan, rep, key=key)
        deliver(xlsx_bytes(f), when=when, source="eml" if q == 1 else "maildir",
                flaws=[_flaw("late", "intake", "intake.late", "warning", None, None,
                             f"ได้รับหลังกำหนดส่ง {fcal.format_thai_date(due)} / received "
                             f"after the due date {due.isoformat()}")])
    elif kind == "resubmission-corrects":
        p = rep.projects[0]
        good = xlsx_bytes(f)
        ref, _ = _budget_cell(f, rep, "disbursed")
        b[ref] = _baht(p.allocated * 10 + 5000)  # an extra zero typed
        cref, _ = _budget_cell(f, rep, "committed")
        b[cref] = None
        early = rep.received_at - timedelta(days=3, hours=2)
        deliver(xlsx_bytes(f), when=early, status="rejected", flaws=[_flaw(
            "disbursed-over-allocated", "validate", "budget.disbursed-over-allocated",
            "error", budget_name, ref,
            "เบิกจ่ายเกินงบจัดสรร (พิมพ์เลขศูนย์เกิน) ส่งแก้ไขภายหลัง / disbursed more than "
            "allocated (an extra zero); corrected file follows")])
        deliver(good, flaws=[_flaw(
            "resubmission-corrects", "intake", None, None, None, None,
            "ไฟล์แก้ไขของไฟล์ที่ถูกปฏิเสธ / corrects the earlier rejected file")])
    elif kind == "resubmission-supersedes":
        p = rep.projects[-1]
        newer = xlsx_bytes(f)
        ref, _ = _budget_cell(f, rep, "disbursed", len(rep.projects) - 1)
        b[ref] = _baht(max(0, p.disbursed[q] - 1_234_500) if p.disbursed[q] else 0)
        b[_budget_cell(f, rep, "committed", len(rep.projects) - 1)[0]] = None
        early = rep.received_at - timedelta(days=2)
        deliver(xlsx_bytes(f), when=early, status="superseded")
        deliver(newer, flaws=[_flaw(
            "resubmission-supersedes", "intake", None, None, None, None,
            "ส่งซ้ำพร้อมยอดเบิกจ่ายที่ปรับปรุง แทนที่ไฟล์ก่อนหน้า / resubmitted with "
            "updated figures; supersedes the earlier accepted file")])
    elif kind == "duplicate":
        data = xlsx_bytes(f)
        deliver(data)
        deliver(data, when=rep.received_at + timedelta(hours=2, minutes=7), status="duplicate",
                flaws=[_flaw("duplicate", "intake", "intake.duplicate", "warning", None, None,
                             "ส่งไฟล์เดิมซ้ำ / the same file sent again")])
    elif kind == "formula-injection":
        ref, _ = _budget_cell(f, rep, "project_name")
        set_text(b, ref, '=HYPERLINK("http://x","คลิก") ' + rep.projects[0].name)
        deliver(xlsx_bytes(f), flaws=[_flaw(
            "formula-injection", "normalise", None, None, budget_name, ref,
            "ชื่อโครงการขึ้นต้นด้วย = ต้องเป็นข้อความเสมอ / a project name that begins with "
            "'=' must stay text everywhere")])
    elif kind == "too-many-decimals":
        ref, _ = _budget_cell(f, rep, "disbursed")
        b[ref] = round(rep.projects[0].disbursed[q] / 100 - 0.005, 3) if \
            rep.projects[0].disbursed[q] else 0.125
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "too-many-decimals", "validate", "money.too-many-decimals", "error",
            budget_name, ref, "จำนวนเงินทศนิยม 3 ตำแหน่ง / money with 3 decimals")])
    elif kind == "unregistered-sender":
        deliver(xlsx_bytes(f))
        other = Report(a, q, rep.projects, rep.results,
                       ("นายธีรวัฒน์ สุขประเสริฐ", "ครูอัตราจ้าง", "089-4412345",
                        "teerawat.s@example.th"), rep.received_at)
        deliver(xlsx_bytes(fill(plan, other, key=key)), when=rep.received_at - timedelta(days=1),
                status="quarantined", sender="teerawat.s@example.th",
                sender_name="ธีรวัฒน์ สุขประเสริฐ", rep=other, flaws=[_flaw(
                    "unregistered-sender", "intake", "intake.sender-not-registered", "error",
                    None, None, "ผู้ส่งไม่ได้ลงทะเบียนกับหน่วยงานนี้ / sender is not "
                    "registered for this agency")])
    elif kind == "wrong-quarter":
        deliver(xlsx_bytes(f))
        # a Q3 template also asks the annual results due in Q3 (O-NET): the clerk fills them
        expected = expected_agencies(plan)
        xrng = random.Random(f"{dd.SEED}-{code}-3")
        extra = {i.code: _result(xrng, i, len(expected[i.code]))
                 for i in plan.indicators_for(a, 3) if i.code not in rep.results}
        wrong = fill(plan, dataclasses.replace(rep, results={**rep.results, **extra}),
                     quarter=3, key=key)
        deliver(xlsx_bytes(wrong), when=rep.received_at - timedelta(days=1), quarter=3,
                name=template_filename(plan, a, 3), status="quarantined", flaws=[_flaw(
                    "wrong-quarter", "intake", "intake.period-not-open", "error", None, None,
                    "ใช้แบบรายงานไตรมาส 3 ซึ่งยังไม่เปิดรับ / a Q3 template; Q3 is not open")])
    elif kind == "corrupt":
        data = xlsx_bytes(f)
        deliver(data[: len(data) * 3 // 5], status="rejected", flaws=[_flaw(
            "corrupt", "validate", "file.unreadable", "error", None, None,
            "ไฟล์เสียหาย (ส่งไม่ครบ) / a truncated, corrupt .xlsx")])
    elif kind == "ods":
        data = ods_bytes(sheets_from_openpyxl(f.wb))
        deliver(data, name=fname[:-5] + ".ods", flaws=[_flaw(
            "ods", "normalise", None, None, None, None,
            "บันทึกจาก LibreOffice เป็น .ods / saved by LibreOffice as .ods")])
    elif kind == "required-missing":
        ref, row = _budget_cell(f, rep, "project_name", len(rep.projects) - 1)
        b[ref] = None
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "required-missing", "validate", "value.required", "error", budget_name, ref,
            "ไม่ได้กรอกชื่อโครงการ / project name left empty")])
    elif kind == "not-allowed":
        ref, _ = _budget_cell(f, rep, "budget_source")
        b[ref] = "งบอุดหนุนรายหัว"
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "not-allowed", "validate", "value.not-allowed", "error", budget_name, ref,
            "แหล่งงบประมาณไม่อยู่ในรายการ / budget source not in the list")])
    elif kind == "disbursed-over-allocated":
        i = len(rep.projects) - 1
        p = rep.projects[i]
        ref, _ = _budget_cell(f, rep, "disbursed", i)
        b[ref] = _baht(p.allocated + 1_250_050)
        b[_budget_cell(f, rep, "committed", i)[0]] = None
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "disbursed-over-allocated", "validate", "budget.disbursed-over-allocated",
            "error", budget_name, ref,
            "เบิกจ่ายสะสมมากกว่างบจัดสรร / disbursed more than allocated")])
    elif kind == "numerator-over-denominator":
        ind = f.sheet("indicators")
        row = f.indicator_rows["1.2"]
        ref = f.cell("indicators", "numerator", row)
        den = rep.results["1.2"]["denominator"]
        ind[ref] = den + 37  # typed the students assessed plus a wrong count
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "numerator-over-denominator", "validate", "indicator.numerator-over-denominator",
            "error", schemas.INDICATORS.name, ref,
            "ตัวตั้งมากกว่าตัวหาร (ตัวชี้วัด 1.2) / numerator above the denominator "
            "(indicator 1.2)")])
    elif kind == "missing-weight":
        ind = f.sheet("indicators")
        row = f.indicator_rows["2.1"]
        ref = f.cell("indicators", "weight", row)
        ind[ref] = None
        deliver(xlsx_bytes(f), status="rejected", flaws=[_flaw(
            "missing-weight", "validate", "indicator.input-missing", "error",
            schemas.INDICATORS.name, ref,
            "ค่าเฉลี่ย O-NET ไม่ได้กรอกจำนวนผู้เข้าสอบ / O-NET mean without its number of "
            "test takers")])
    elif kind == "no-stamp":
        deliver(no_stamp_bytes(f), flaws=[_flaw(
            "no-stamp", "validate", "structure.no-stamp", "warning", None, None,
            "คัดลอกข้อมูลไปวางในไฟล์ใหม่ ไม่มีตราแบบรายงาน / pasted into a new workbook "
            "without the template stamp")])
    return out


Job = tuple[Plan, Report, str | None, str, bytes | None]


def _job(args: Job) -> list[Delivery]:
    return _files_for(*args)


def _run_jobs(args: list[Job], tick: Callable[[int], Any] | None = None
              ) -> list[list[Delivery]]:
    """Fill the workbooks on every CPU (each file depends only on its own inputs, so the
    result is the same as one by one); EDUROLLUP_DEMO_WORKERS=1 forces one process.
    ``tick(1)`` after each agency's quarter is done (a progress bar's update)."""
    tick = tick or (lambda _n: None)
    workers = int(os.environ.get("EDUROLLUP_DEMO_WORKERS") or min(os.cpu_count() or 1, 8))
    if workers > 1:
        try:
            # fork is quick, but forking a process that runs other threads can deadlock
            fork = "fork" in multiprocessing.get_all_start_methods() \
                and threading.active_count() == 1
            ctx = multiprocessing.get_context("fork" if fork else "spawn")
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                out = []
                for ds in pool.map(_job, args, chunksize=8):  # in order, as they finish
                    out.append(ds)
                    tick(1)
                return out
        except (OSError, BrokenProcessPool):
            pass  # no processes here (sandbox, limits): do it in this one
    out = []
    for a in args:
        out.append(_job(a))
        tick(1)
    return out


def _plan_deliveries(plan: Plan, reports: dict[tuple[str, int], Report],
                     previous: Plan, previous_reports: dict[tuple[str, int], Report],
                     key: bytes | None = None,
                     tick: Callable[[int], Any] | None = None) -> list[Delivery]:
    """Every file of the demo, clean and flawed, with what the product should conclude:
    last year's 12-month reports (FY 2567 Q4), then this year's Q1 and Q2."""
    rng = random.Random(dd.SEED)
    codes = sorted(plan.agencies)
    schools = [c for c in codes if plan.agencies[c].agency_type == "school"]
    others = [c for c in codes if c not in schools and c != dd.OFFICE_CODE]
    picks = rng.sample(schools, 18) + rng.sample(others, 3)
    primary = [c for c in schools if c not in picks and "primary" in plan.agencies[c].levels]
    picks += rng.sample(primary, 2)
    flawed_agency = {
        "thai-digits": picks[0], "text-numbers": picks[1], "be-date-text": picks[2],
        "late": picks[3], "resubmission-corrects": picks[4],
        "resubmission-supersedes": picks[5], "duplicate": picks[6],
        "formula-injection": picks[7], "too-many-decimals": picks[8],
        "unregistered-sender": picks[9], "wrong-quarter": picks[10], "corrupt": picks[11],
        "ods": picks[18], "required-missing": picks[12], "not-allowed": picks[13],
        "disbursed-over-allocated": picks[19], "no-stamp": picks[20], "late-q2": picks[14],
        "numerator-over-denominator": picks[21],
    }
    previous_flaws = {(picks[22], 4): "missing-weight"}
    q1_flaws = {"thai-digits", "text-numbers", "be-date-text", "late", "resubmission-corrects",
                "resubmission-supersedes", "duplicate", "formula-injection", "too-many-decimals"}
    special = {(c, 1 if k in q1_flaws else 2): k for k, c in flawed_agency.items()}

    jobs: list[Job] = [(previous, rep, previous_flaws.get(k), "eml", key)
                       for k, rep in sorted(previous_reports.items())]
    dropped_left = 4
    for (code, q), rep in sorted(reports.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        kind = special.get((code, q))
        source = "eml"
        if kind is None:
            drng = random.Random(f"{dd.SEED}-{code}-{q}-delivery")
            if len(rep.agency.sender_emails) > 1:
                drng.random()  # the roll that chose the sender (see _files_for)
            roll = drng.random()
            if code == dd.OFFICE_CODE or (roll < 0.03 and dropped_left > 1):
                source = "dropped"
                dropped_left -= 1
            elif roll < 0.25:
                source = "maildir"
        jobs.append((plan, rep, kind, source, key))
    out = [d for ds in _run_jobs(jobs, tick) for d in ds]
    out.sort(key=lambda d: (d.received_at, d.report.agency.code, d.status))
    return out


# Generating ~300 workbooks takes a while (templates are styled cell by cell); the result
# depends only on the plan, so a second build in the same process reuses it.
_MEMO: dict[str, list[Delivery]] = {}


def _deliveries(plan: Plan, previous: Plan, key: bytes | None = None,
                tick: Callable[[int], Any] | None = None) -> list[Delivery]:
    memo = plan.fingerprint + previous.fingerprint + (key or b"").hex()
    if memo not in _MEMO:
        _MEMO.clear()
        _MEMO[memo] = _plan_deliveries(plan, make_reports(plan), previous,
                                       make_previous_reports(previous), key, tick)
    elif tick is not None:
        tick(3 * len(plan.agencies))  # made already in this process
    return _MEMO[memo]


@contextmanager
def _no_bar(_total: int, _label: str) -> Iterator[Any]:
    yield type("Quiet", (), {"update": staticmethod(lambda _n: None)})()


# The demo's workspace key is fixed and public, so that every build of the demo is
# byte-identical (its templates' stamps are keyed, like an office's). A real workspace
# gets a random key of its own (secret.py); a demo built into a workspace that already
# has one is stamped with that one.
DEMO_KEY = hashlib.sha256(b"edurollup demo province 2568: a public key, never an office's").digest()


def demo_key(ws: Workspace) -> bytes:
    """The key the demo's templates are stamped with: the workspace's, else DEMO_KEY."""
    if not (ws.state / KEY_NAME).exists():
        install_key(ws.state, DEMO_KEY)
    return workspace_secret(ws.state)


def _manifest(plans: dict[int, Plan], deliveries: list[Delivery]) -> dict[str, Any]:
    plan = plans[dd.FISCAL_YEAR]
    files = []
    for d in deliveries:
        fy = d.report.fiscal_year
        files.append({
            "path": d.path,
            "attachment": None if d.source == "dropped" else d.filename,
            "source": d.source,
            "sender": d.sender,
            "received_at": _stamp(d.received_at),
            "agency_code": d.report.agency.code,
            "fiscal_year": fy,
            "quarter": d.quarter,
            "sha256": hashlib.sha256(d.data).hexdigest(),
            "expected_status": d.status,
            "expected_late": fcal.is_late(d.received_at, plans[fy].due_date(d.quarter)),
            "flaws": d.flaws,
        })
    return {
        "seed": dd.SEED,
        "fiscal_year": plan.fiscal_year,
        "province": plan.province,
        "counts": {"agencies": len(plan.agencies), "files": len(files),
                   "flawed": sum(1 for f in files if f["flaws"])},
        "files": files,
    }


def build_demo(ws: Workspace,
               progress: Callable[[int, str], AbstractContextManager[Any]] | None = None
               ) -> dict[str, Any]:
    """Write the demo province into ``ws`` and return the manifest (also demo-manifest.json).
    ``progress(total, label)``: a progress bar (``cliparams.progress``) updated as each
    agency's quarter of files is made (three per agency: FY 2567 Q4, FY 2568 Q1 and Q2)."""
    ws.ensure()
    plan = dd.make_demo_plan()
    previous = dd.make_previous_plan()
    write_plan(previous, ws.plan_file(previous.fiscal_year))
    write_plan(plan, ws.plan_file(plan.fiscal_year))
    cfg = ws.root / "edurollup.toml"
    if not cfg.exists():
        write_text_atomic(cfg, CONFIG_TEXT)
        ws.config = Workspace.open(ws.root).config
    with (progress or _no_bar)(3 * len(plan.agencies),
                               "สร้างไฟล์รายงาน (making the reports)") as bar:
        deliveries = _deliveries(plan, previous, demo_key(ws), bar.update)
    _write(ws, deliveries)
    manifest = _manifest({plan.fiscal_year: plan, previous.fiscal_year: previous}, deliveries)
    write_text_atomic(ws.root / MANIFEST_NAME,
                      json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return manifest


__all__ = ["build_demo", "eml_bytes", "fill", "make_reports", "no_stamp_bytes"]
