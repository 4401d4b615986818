"""Who submitted what and when: a quarter's status per agency, and one agency's history.

Read straight from the ledger (and the plan's registry, so agencies that sent nothing show
up as missing). The office chases late and missing agencies from ``edurollup status``.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import click

from . import calendar as fcal
from .ledger import Ledger
from .plan import Plan
from .workspace import Workspace

STATES = ("on_time", "late", "rejected", "quarantined", "missing")
STATE_LABELS = {
    "on_time": ("ส่งตรงเวลา", "on time"),
    "late": ("ส่งช้า", "late"),
    "rejected": ("ไม่ผ่านการตรวจ", "rejected"),
    "quarantined": ("กักไว้ตรวจสอบ", "quarantined"),
    "missing": ("ยังไม่ส่ง", "missing"),
}
STATUS_LABELS = {
    "accepted": ("รับแล้ว", "accepted"),
    "superseded": ("ถูกแทนที่", "superseded"),
    "rejected": ("ไม่ผ่านการตรวจ", "rejected"),
    "quarantined": ("กักไว้ตรวจสอบ", "quarantined"),
    "duplicate": ("ไฟล์ซ้ำ", "duplicate"),
}
HISTORY_PROBLEMS = 10  # problems shown per submission in the text table (--json has all)
NOT_IN_REGISTRY = "(ไม่อยู่ในทะเบียน / not in the registry)"


def _load_plan(ws: Workspace, fy: int) -> Plan | None:
    path = ws.plan_file(fy)
    if not path.exists():
        return None
    from .plan_load import PlanError, load_plan_cached

    try:
        return load_plan_cached(ws.state, path)
    except PlanError as exc:
        raise click.ClickException(
            f"{exc}\nตรวจแผนด้วย / check the plan with: edurollup plan check {path}") from exc


def require_plan(ws: Workspace, fy: int) -> Plan:
    """The plan of ``fy``, or exit 1 saying it is missing and how to make one."""
    plan = _load_plan(ws, fy)
    if plan is None:
        have = ", ".join(str(y) for y in ws.plan_years()) or "-"
        raise click.ClickException(
            f"ไม่มีแผนปีงบประมาณ {fy} ({ws.plan_file(fy)}); แผนที่มี: {have}\n"
            f"no plan for FY {fy} ({ws.plan_file(fy)}); plans found: {have}\n"
            f"สร้างแผนด้วย / make one with: edurollup plan new --fy {fy} --workspace {ws.root}")
    return plan


def require_agency(ws: Workspace, code: str) -> None:
    """Exit 1 unless ``code`` is in some year's registry or the ledger has heard of it."""
    for fy in ws.plan_years():
        plan = _load_plan(ws, fy)
        if plan is not None and code in plan.agencies:
            return
    if _ledger_rows(ws, "submissions", None, None, code):
        return
    raise click.ClickException(
        f"ไม่พบหน่วยงานรหัส {code} ในทะเบียนของแผนใด และไม่เคยได้รับรายงานจากรหัสนี้\n"
        f"unknown agency {code}: in no plan's registry, and nothing was ever received from it")


def require_consolidated(ws: Workspace, fy: int, q: int | None) -> None:
    """Exit 1 when no accepted report of the quarter (of any quarter, for the year) is in the
    ledger: a roll-up of nothing would be a wrong answer given in silence."""
    quarters = [q] if q else [1, 2, 3, 4]
    if any(_ledger_rows(ws, "has_submissions", fy, n, ("accepted",)) for n in quarters):
        return
    what_th = f"ไตรมาส {q}/{fy}" if q else f"ปีงบประมาณ {fy}"
    what_en = f"Q{q} FY {fy}" if q else f"FY {fy}"
    raise click.ClickException(
        f"ยังไม่มีรายงานที่รับแล้วสำหรับ{what_th} จึงไม่มีอะไรให้สรุป\n"
        f"nothing consolidated for {what_en}: no accepted report yet\n"
        f"นำเข้ารายงานที่ได้รับด้วย / import what arrived with: edurollup run --workspace {ws.root}\n"
        f"ดูว่าใครส่งอะไรแล้ว / see who sent what: edurollup status --fy {fy} "
        f"--quarter {q or 1} --workspace {ws.root}")


def _ledger_rows(ws: Workspace, query: str, *args: Any) -> Any:
    """Ledger query results, or [] when the workspace has no ledger yet (never creates one)."""
    if not ws.ledger_path.exists():
        return []
    with Ledger(ws.ledger_path) as ledger:
        rows = getattr(ledger, query)(*args)
        if query == "submissions":
            counts = {r[0]: (r[1], r[2]) for r in ledger.db.execute(
                "SELECT s.id, (SELECT COUNT(*) FROM problems p WHERE p.submission_id = s.id), "
                "(SELECT COUNT(*) FROM arrivals a WHERE a.submission_id = s.id) "
                "FROM submissions s")}
            for r in rows:
                r["problems"], r["arrivals"] = counts.get(r["id"], (0, 0))
        return rows


_PROBLEM_FIELDS = ("code", "severity", "sheet", "cell", "value", "message_th", "message_en")


def _problem_lists(ws: Workspace, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each submission's problems as the ledger recorded them, in recorded order."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids or not ws.ledger_path.exists():
        return found
    with Ledger(ws.ledger_path) as ledger:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for p in ledger.db.execute(
                    f"SELECT submission_id, {', '.join(_PROBLEM_FIELDS)} FROM problems WHERE "
                    f"submission_id IN ({','.join('?' * len(chunk))}) ORDER BY submission_id, id",
                    chunk):
                found[p[0]].append(dict(zip(_PROBLEM_FIELDS, p[1:], strict=True)))
    return found


def _state(subs: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """The agency's state for the period from its submissions (newest first)."""
    current = next((s for s in subs if s["status"] == "accepted"), None)
    if current is not None:
        return ("late" if current["late"] else "on_time"), current
    latest = next((s for s in subs if s["status"] in ("rejected", "quarantined")), None)
    if latest is not None:
        return latest["status"], latest
    return "missing", None


def quarter_status(ws: Workspace, fy: int, q: int, plan: Plan | None = None) -> list[dict]:
    """One row per agency of the plan's registry (then any other agency the ledger saw):
    agency_code, name_th, affiliation, district, state (on_time | late | missing | rejected |
    quarantined), submission_id, original_name, received_at, late, errors, warnings,
    feedback_path, reason, sender_emails, due_date."""
    plan = plan or _load_plan(ws, fy)
    subs = _ledger_rows(ws, "submissions", fy, q)
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for s in subs:
        if s["agency_code"]:
            by_agency.setdefault(s["agency_code"], []).append(s)
    due = plan.due_date(q) if plan else fcal.due_date(fy, q)
    registry = list(plan.agencies.values()) if plan else []
    codes = [a.code for a in registry] + sorted(set(by_agency) - {a.code for a in registry})
    rows = []
    for code in codes:
        agency = plan.agencies.get(code) if plan else None
        state, sub = _state(by_agency.get(code, []))
        rows.append({
            "agency_code": code,
            "name_th": agency.name_th if agency else NOT_IN_REGISTRY,
            "affiliation": agency.affiliation if agency else None,
            "district": agency.district if agency else None,
            "state": state,
            "submission_id": sub["id"] if sub else None,
            "original_name": sub["original_name"] if sub else None,
            "received_at": sub["received_at"] if sub else None,
            "late": bool(sub["late"]) if sub else False,
            "errors": sub["errors"] if sub else 0,
            "warnings": sub["warnings"] if sub else 0,
            "feedback_path": sub["feedback_path"] if sub else None,
            "reason": sub["reason"] if sub else None,
            "submissions": len(by_agency.get(code, [])),
            "sender_emails": list(agency.sender_emails) if agency else [],
            "due_date": due.isoformat(),
        })
    return rows


def agency_history(ws: Workspace, code: str) -> list[dict]:
    """Every submission of one agency, newest first: submission_id, fiscal_year, quarter,
    status, reason, late, received_at, original_name, sender, errors, warnings, problems
    (count), problem_list (code, severity, sheet, cell, value, message_th, message_en of
    each, as the ledger recorded them), arrivals (copies received), superseded_by,
    feedback_path."""
    rows = []
    subs = _ledger_rows(ws, "submissions", None, None, code)
    problems = _problem_lists(ws, [s["id"] for s in subs])
    for s in subs:
        rows.append({
            "submission_id": s["id"], "fiscal_year": s["fiscal_year"], "quarter": s["quarter"],
            "status": s["status"], "reason": s["reason"], "late": bool(s["late"]),
            "received_at": s["received_at"], "original_name": s["original_name"],
            "sender": s["sender"], "errors": s["errors"], "warnings": s["warnings"],
            "problems": s["problems"], "problem_list": problems[s["id"]],
            "arrivals": s["arrivals"],
            "superseded_by": s["superseded_by"], "feedback_path": s["feedback_path"],
        })
    return rows


# ---- printing -----------------------------------------------------------------------------------
def _width(text: str) -> int:
    """Columns a string takes in a terminal: Thai vowel and tone marks take none."""
    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cut(text: str, limit: int) -> str:
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _table(headers: list[str], rows: list[list[str]], limits: list[int]) -> list[str]:
    rows = [[_cut(c, lim) for c, lim in zip(r, limits, strict=True)] for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))

    return [line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _when(iso: str | None) -> str:
    if not iso:
        return "-"
    local = datetime.fromisoformat(iso).astimezone(fcal.THAI_TZ)
    return f"{fcal.format_thai_date(local.date())} {local:%H:%M}"


def print_status(rows: list[dict]) -> None:
    """A readable Thai/English table of a quarter's status, with a totals line."""
    headers = ["รหัส/Code", "หน่วยงาน/Agency", "สถานะ/State", "ได้รับ/Received",
               "ไฟล์/File", "ผิด/Err", "สังเกต/Warn"]
    body = []
    for r in rows:
        th, en = STATE_LABELS[r["state"]]
        body.append([r["agency_code"], r["name_th"], f"{th} ({en})", _when(r["received_at"]),
                     r["original_name"] or "-", str(r["errors"]), str(r["warnings"])])
    for text in _table(headers, body, [12, 40, 28, 22, 32, 7, 11]):
        click.echo(text.rstrip())
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    parts = ", ".join(f"{STATE_LABELS[s][0]} ({STATE_LABELS[s][1]}) {counts[s]}" for s in STATES)
    click.echo(f"รวม {len(rows)} หน่วยงาน / total {len(rows)} agencies: {parts}")


def print_history(rows: list[dict]) -> None:
    """A readable Thai/English table of one agency's submissions, with a totals line."""
    headers = ["#", "ปี/FY", "ไตรมาส/Q", "สถานะ/Status", "ได้รับ/Received", "ไฟล์/File",
               "ผิด/สังเกต Err/Warn"]
    body = []
    for r in rows:
        th, en = STATUS_LABELS.get(r["status"], (r["status"], r["status"]))
        late = " ส่งช้า/late" if r["late"] else ""
        body.append([str(r["submission_id"]), str(r["fiscal_year"] or "-"),
                     str(r["quarter"] or "-"), f"{th} ({en}){late}", _when(r["received_at"]),
                     r["original_name"], f"{r['errors']} / {r['warnings']}"])
    for text in _table(headers, body, [6, 6, 9, 36, 22, 36, 14]):
        click.echo(text.rstrip())
    if not rows:
        click.echo("ยังไม่ได้รับรายงานจากหน่วยงานนี้ / nothing received from this agency yet")
    for r in rows:
        if r.get("problem_list"):
            click.echo(f"\n#{r['submission_id']} {r['original_name']}: "
                       f"ปัญหา {len(r['problem_list'])} รายการ / {len(r['problem_list'])} problem(s)")
        for p in r.get("problem_list", [])[:HISTORY_PROBLEMS]:
            where = "!".join(x for x in (p["sheet"], p["cell"]) if x) or "ทั้งไฟล์ (whole file)"
            kind = "ผิด/E" if p["severity"] == "error" else "สังเกต/W"
            click.echo(f"  [{kind}] {where} {p['code']}: {p['message_th']} / {p['message_en']}")
        rest = len(r.get("problem_list", [])) - HISTORY_PROBLEMS
        if rest > 0:
            click.echo(f"  ... อีก {rest} รายการ (and {rest} more: --json lists them all)")
    if any(r.get("problem_list") for r in rows):
        click.echo("")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    parts = ", ".join(f"{STATUS_LABELS[s][0]} ({STATUS_LABELS[s][1]}) {n}"
                      for s, n in counts.items() if s in STATUS_LABELS)
    click.echo(f"รวม {len(rows)} รายการ / total {len(rows)} submissions"
               + (f": {parts}" if parts else ""))
