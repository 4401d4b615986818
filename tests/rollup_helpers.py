"""Test helpers for the roll-up tests (engineer C): filled report workbooks and a ledger
filled from them.

``fill_report`` writes a submission workbook the way a clerk leaves it (sheet names and
header rows from schemas/, money typed in baht with satang). ``record`` reads such a file
back with openpyxl and inserts it into a ledger built from ledger_schema's DDL: a small,
independent insert path so the roll-up can be checked against the files themselves.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from indicator_inputs import COLUMN, read_inputs, write_inputs

from pipeline.ledger_schema import MIGRATIONS
from pipeline.plan import Plan
from schemas import BUDGET, COVER, INDICATORS


@dataclass
class Project:
    code: str
    name: str
    strategy: int
    source: str  # budget_source key
    category: str  # expenditure_category key
    allocated: Decimal  # baht
    committed: Decimal
    disbursed: Decimal
    progress: str = "in_progress"
    remarks: str = ""


@dataclass
class Report:
    agency_code: str
    fiscal_year: int
    quarter: int
    projects: list[Project]
    results: dict[str, float | None] = field(default_factory=dict)
    evidence: str = ""


def new_ledger(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    for script in MIGRATIONS:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
    return conn


def fill_report(plan: Plan, rep: Report, path: Path) -> Path:
    """A filled report workbook (Cover, Budget, Indicators) as a clerk would save it."""
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = COVER.name
    agency = plan.agencies[rep.agency_code]
    values = {"agency_code": rep.agency_code, "agency_name": agency.name_th,
              "fiscal_year": rep.fiscal_year, "quarter": rep.quarter,
              "reporter_name": "นางสาวสมศรี ใจดี", "reporter_email": agency.sender_emails[0]}
    for i, c in enumerate(COVER.columns):
        cover.cell(COVER.header_row + i, 1, c.header)
        cover.cell(COVER.header_row + i, 2, values.get(c.name))
    b = wb.create_sheet(BUDGET.name)
    b.cell(1, 1, BUDGET.title_th)
    names = [c.name for c in BUDGET.columns]
    for j, c in enumerate(BUDGET.columns, start=1):
        b.cell(BUDGET.header_row, j, c.header)
    for i, p in enumerate(rep.projects, start=BUDGET.header_row + 1):
        strategy_label = plan.strategies[p.strategy].label
        row = {"project_code": p.code, "project_name": p.name, "strategy": strategy_label,
               "budget_source": p.source, "expenditure_category": p.category,
               "allocated": float(p.allocated), "committed": float(p.committed),
               "disbursed": float(p.disbursed), "progress_status": p.progress,
               "remarks": p.remarks or None}
        for j, n in enumerate(names, start=1):
            cell = b.cell(i, j)
            cell.value = row.get(n)  # columns added later (output target/achieved) stay empty
            if isinstance(row.get(n), str):
                cell.data_type = "s"  # typed text stays text, even "=..."
    ind = wb.create_sheet(INDICATORS.name)
    for j, c in enumerate(INDICATORS.columns, start=1):
        ind.cell(INDICATORS.header_row, j, c.header)
    applicable = [i for i in plan.indicators_for(agency, rep.quarter)]
    for r, i in enumerate(applicable, start=INDICATORS.header_row + 1):
        ind.cell(r, 1, i.code)
        ind.cell(r, 2, i.name_th)
        ind.cell(r, 5, i.agency_target)
        write_inputs(ind, r, i.kind, rep.results.get(i.code))
        ev = ind.cell(r, COLUMN["evidence"], rep.evidence or None)
        if rep.evidence:
            ev.data_type = "s"
    wb.save(path)
    return path


def _satang(v: object) -> int:
    return int(Decimal(str(v if v is not None else 0)) * 100)


def read_report(path: Path) -> dict:
    """What the insert path keeps of a filled report (read back with openpyxl)."""
    wb = openpyxl.load_workbook(path)
    cover = wb[COVER.name]
    fields = {c.name: cover.cell(COVER.header_row + i, 2).value
              for i, c in enumerate(COVER.columns)}
    b = wb[BUDGET.name]
    names = [c.name for c in BUDGET.columns]
    lines = []
    for row in range(BUDGET.header_row + 1, b.max_row + 1):
        vals = {n: b.cell(row, j).value for j, n in enumerate(names, start=1)}
        if vals["project_code"] is None:
            continue
        lines.append({**vals, "_row": row,
                      "strategy": int(str(vals["strategy"]).split(".")[0])})
    ind = wb[INDICATORS.name]
    results = []
    for row in range(INDICATORS.header_row + 1, ind.max_row + 1):
        code = ind.cell(row, 1).value
        if code is None:
            continue
        values = read_inputs(ind, row)
        values["answer"] = {"มี": "yes", "ไม่มี": "no"}.get(values["answer"])
        results.append({"_row": row, "indicator_code": str(code), **values})
    return {"cover": fields, "lines": lines, "results": results}


def record(conn: sqlite3.Connection, path: Path, received_at: datetime, *,
           status: str = "accepted", late: bool = False, sender: str | None = None,
           reason: str | None = None, feedback_path: str | None = None,
           problems: list[dict] | None = None, agency_code: str | None = None,
           fiscal_year: int | None = None, quarter: int | None = None) -> int:
    """Insert one file's submission (and, when accepted, its data) into the ledger."""
    import hashlib

    data = read_report(path)
    c = data["cover"]
    sha = hashlib.sha256(path.read_bytes() + str(received_at).encode()).hexdigest()
    when = received_at.isoformat()
    cur = conn.execute(
        "INSERT INTO arrivals (sha256, source, source_path, original_name, sender, message_id,"
        " received_at, collected_at) VALUES (?,?,?,?,?,?,?,?)",
        (sha, "eml", f"inbox/{path.name}", path.name, sender, None, when, when))
    arrival = cur.lastrowid
    if status == "accepted":  # the newer accepted file supersedes the older one
        conn.execute(
            "UPDATE submissions SET status = 'superseded' WHERE status = 'accepted' AND"
            " agency_code = ? AND fiscal_year = ? AND quarter = ?",
            (agency_code or c["agency_code"], fiscal_year or c["fiscal_year"],
             quarter or c["quarter"]))
    cur = conn.execute(
        "INSERT INTO submissions (sha256, arrival_id, original_name, sender, received_at,"
        " agency_code, fiscal_year, quarter, template_version, plan_fingerprint, status, reason,"
        " late, errors, warnings, feedback_path, decided_at) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (sha, arrival, path.name, sender, when, agency_code or str(c["agency_code"]),
         fiscal_year or int(c["fiscal_year"]), quarter or int(c["quarter"]), "1.0", None,
         status, reason, int(late),
         sum(1 for p in problems or [] if p["severity"] == "error"),
         sum(1 for p in problems or [] if p["severity"] == "warning"), feedback_path, when))
    sid = cur.lastrowid
    for p in problems or []:
        conn.execute(
            "INSERT INTO problems (submission_id, code, severity, sheet, cell, column_label,"
            " value, message_th, message_en, fix_th, fix_en) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (sid, p["code"], p["severity"], p.get("sheet"), p.get("cell"), p.get("column"),
             p.get("value"), p.get("message_th", "ปัญหา"), p.get("message_en", "problem"),
             p.get("fix_th", "แก้ไข"), p.get("fix_en", "fix it")))
    if status == "accepted":
        conn.executemany(
            "INSERT INTO budget_lines (submission_id, row, project_code, project_name,"
            " strategy_no, budget_source, expenditure_category, allocated, committed, disbursed,"
            " progress_status, remarks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, ln["_row"], ln["project_code"], ln["project_name"], ln["strategy"],
              ln["budget_source"], ln["expenditure_category"], _satang(ln["allocated"]),
              _satang(ln["committed"]), _satang(ln["disbursed"]), ln["progress_status"],
              ln["remarks"]) for ln in data["lines"]])
        conn.executemany(
            "INSERT INTO indicator_results (submission_id, row, indicator_code, result, evidence,"
            " numerator, denominator, weight, answer)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            [(sid, r["_row"], r["indicator_code"], r["result"], r["evidence"], r["numerator"],
              r["denominator"], r["weight"], r["answer"]) for r in data["results"]])
    conn.commit()
    return sid


def projects_for(seed: int, n: int = 4, strategies: int = 6) -> list[Project]:
    """Deterministic projects with satang, Thai names, every source and category."""
    sources = ["basic", "strategic", "other"]
    cats = ["personnel", "operating", "investment", "subsidy", "other"]
    out = []
    for i in range(n):
        k = seed * 31 + i * 7
        alloc = Decimal(100_000 + (k * 7919) % 900_000) + Decimal((k * 37) % 100) / 100
        disb = (alloc * Decimal((k % 9) + 1) / 10).quantize(Decimal("0.01"))
        comm = ((alloc - disb) * Decimal(k % 4) / 5).quantize(Decimal("0.01"))
        out.append(Project(
            code=f"P{seed:02d}{i + 1:02d}",
            name=f"โครงการพัฒนาคุณภาพการศึกษา {seed}-{i + 1}",
            strategy=(k % strategies) + 1, source=sources[k % 3], category=cats[k % 5],
            allocated=alloc, committed=comm, disbursed=disb,
        ))
    return out


# ---- a real workspace run through the nightly job --------------------------------------------
@dataclass
class Sent:
    """A report e-mailed in a scenario: its workbook file (kept for recomputing totals)."""

    agency_code: str
    quarter: int
    path: Path
    accepted: bool  # what the scenario expects to count in the roll-up


HTML_HAZARD = '<b onmouseover="alert(1)">ห้าพัน</b>'
HAZARDS = ['=HYPERLINK("http://evil.example/x","คลิก")', "+66 45 612 345", "-งดจัดกิจกรรม-", "@SUM(A1)",
           "=1+1"]


def _project_rows(seed: int, n: int, quarter: int) -> list[tuple]:
    """Deterministic projects in the run helpers' tuple shape, money as baht text."""
    from schemas.choices import BUDGET_SOURCES, EXPENDITURE_CATEGORIES

    rows = []
    for p in projects_for(seed, n):
        factor = Decimal(quarter) / 2  # Q1 half of Q2: cumulative figures grow
        disb = (p.disbursed * factor).quantize(Decimal("0.01"))
        comm = (p.committed * factor).quantize(Decimal("0.01"))
        if disb + comm > p.allocated:
            comm = p.allocated - disb
        src = next(c.th for c in BUDGET_SOURCES if c.key == p.source)
        cat = next(c.th for c in EXPENDITURE_CATEGORIES if c.key == p.category)
        rows.append((p.code, p.name, p.strategy, src, cat, str(p.allocated), str(comm),
                     str(disb)))
    return rows


def _as_text_cells(data: bytes, texts: dict[tuple[int, int], str]) -> bytes:
    """Put text that looks like a formula into budget cells as string cells (a clerk's
    typed text, the way Excel keeps it when the cell is formatted as text)."""
    import io

    from schemas import BUDGET as B

    wb = openpyxl.load_workbook(io.BytesIO(data))
    sh = wb[B.name]
    for (row, col), text in texts.items():
        cell = sh.cell(row=row, column=col)
        cell.value = text
        cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_run_workspace(root: Path, sent_dir: Path) -> tuple:
    """A small workspace where agencies e-mail Q1 and Q2 reports (one resubmitted, one
    late, one rejected, one missing, typed text that looks like formulas), and the
    nightly job runs. Returns (ws, plan, [Sent])."""
    from datetime import datetime

    from run_helpers import ICT, drop_email, filled_report, report_email, run_cli, small_workspace

    ws, plan = small_workspace(root)
    sent_dir.mkdir(parents=True, exist_ok=True)
    codes = sorted(plan.agencies)  # 1033530001, 1033530002, 1333000101, 2033000201, 33010000
    a1, a2, a3, a4, a5 = codes
    results = {"1.1": 96.5, "2.1": 49.0, "4.1": 3, "6.1": 91.25}
    sent: list[Sent] = []
    n = 0

    def send(code: str, q: int, rows: list[tuple], when: datetime, accepted: bool,
             texts: dict | None = None, res: dict | None = None) -> None:
        nonlocal n
        n += 1
        data = filled_report(plan, code, q, rows, res or results)
        if texts:
            data = _as_text_cells(data, texts)
        name = f"report-{code}-Q{q}-{n}.xlsx"
        (sent_dir / name).write_bytes(data)
        sent.append(Sent(code, q, sent_dir / name, accepted))
        drop_email(ws, f"mail-{n:02d}.eml", report_email(
            plan.agencies[code].sender_emails[0], name, data, when, f"<m{n}@school.example.th>"))

    # Q1 (due 15 Jan 2025): four agencies on time
    for i, code in enumerate((a1, a2, a3, a4)):
        send(code, 1, _project_rows(i + 1, 4, 1), datetime(2025, 1, 8 + i, 10, tzinfo=ICT),
             True)
    run_cli(ws)
    # Q2 (due 15 Apr 2025)
    send(a1, 2, _project_rows(1, 4, 2), datetime(2025, 4, 9, 9, tzinfo=ICT), True,
         texts={(5, 2): HAZARDS[0], (6, 2): HAZARDS[1], (7, 10): HAZARDS[2],
                (8, 10): HAZARDS[3], (5, 10): HAZARDS[4]})
    first = _project_rows(2, 4, 2)
    send(a2, 2, first, datetime(2025, 4, 10, 9, tzinfo=ICT), False)  # superseded below
    second = list(first)
    p = list(second[0])
    p[7] = "1.00"  # disbursed fell below Q1's: a cross-quarter warning
    second[0] = tuple(p)
    send(a2, 2, second, datetime(2025, 4, 14, 15, tzinfo=ICT), True)
    send(a3, 2, _project_rows(3, 4, 2), datetime(2025, 4, 17, 11, tzinfo=ICT), True)  # late
    send(a4, 2, _project_rows(4, 4, 2), datetime(2025, 4, 12, 8, tzinfo=ICT), False,
         texts={(6, 6): "หนึ่งแสน", (7, 6): HAZARDS[0], (8, 7): HTML_HAZARD})  # rejected
    # a5 never sends Q2 (nor Q1)
    result = run_cli(ws)
    assert result.exit_code == 0, result.output
    return ws, plan, sent


_SCENARIO: dict[str, Path] = {}


def scenario_copy(tmp_path_factory: object, target: Path) -> tuple:
    """A private copy of the run scenario (built once per test process: the nightly job
    runs twice there, which takes seconds). Returns (ws, plan, [Sent])."""
    import pickle
    import shutil

    from pipeline.workspace import Workspace

    if "root" not in _SCENARIO:
        base = tmp_path_factory.mktemp("rollup-scenario")  # type: ignore[attr-defined]
        ws, plan, sent = build_run_workspace(base / "ws", base / "sent")
        (base / "sent.pickle").write_bytes(pickle.dumps(
            [(s.agency_code, s.quarter, s.path.name, s.accepted) for s in sent]))
        _SCENARIO["root"] = base
    base = _SCENARIO["root"]
    shutil.copytree(base, target, dirs_exist_ok=True, copy_function=shutil.copy2)
    from conftest import make_small_plan

    ws = Workspace.open(target / "ws")
    sent = [Sent(c, q, target / "sent" / name, ok)
            for c, q, name, ok in pickle.loads((target / "sent.pickle").read_bytes())]
    return ws, make_small_plan(), sent


def budget_of_file(path: Path) -> list[dict]:
    """The budget rows of a filled report, money as Decimal baht (openpyxl, not our code)."""
    from schemas import BUDGET as B

    wb = openpyxl.load_workbook(path)
    sh = wb[B.name]
    names = [c.name for c in B.columns]
    out = []
    for row in range(B.header_row + 1, sh.max_row + 1):
        vals = {n: sh.cell(row, j).value for j, n in enumerate(names, start=1)}
        if vals["project_code"] in (None, ""):
            continue
        for m in ("allocated", "committed", "disbursed"):
            vals[m] = Decimal(str(vals[m] if vals[m] is not None else 0))
        vals["strategy_no"] = int(str(vals["strategy"]).split(".")[0])
        out.append(vals)
    return out
