"""outbox/status.html: who has reported this quarter, at a glance, from a file on disk.

Static HTML (inline CSS, no script, UTF-8) so it opens from a shared folder or an
e-mail attachment without a server. Everything a sender typed (file names, reasons,
problem values) is escaped with html.escape; links to feedback files are relative.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import calendar as fcal
from .atomic import write_text_atomic
from .consolidate import STATE_LABELS, QuarterFigures, blank, choice_label
from .plan import Plan, plan_fingerprint
from .rollup import Figures, be_datetime, be_received, quarter_figures, rollup_path
from .workspace import Workspace

CSS = """
body{font-family:"TH Sarabun New","Sarabun","Laksaman","Garuda",sans-serif;font-size:18px;
margin:24px;color:#222;background:#fff}
h1{font-size:30px;margin:0 0 4px}h2{font-size:24px;margin:28px 0 8px;border-bottom:2px solid #4472c4}
.sub{color:#555;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #ccd;border-radius:8px;padding:10px 16px;min-width:130px;background:#f7f9fc}
.card b{display:block;font-size:34px;line-height:1.1}
.card span{color:#555}
.on_time b{color:#2e7d32}.late b{color:#b26a00}.rejected b{color:#c62828}.missing b{color:#666}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #ccd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#d9e1f2}
tr.on_time td.state{background:#e8f5e9}tr.late td.state{background:#fff3e0}
tr.rejected td.state{background:#ffebee}tr.missing td.state{background:#eeeeee}
td.num{text-align:right}
.foot{color:#666;margin-top:24px;font-size:16px}
"""


def _e(value: Any) -> str:
    return "" if blank(value) else html.escape(str(value), quote=True)


def _href(feedback_path: str | None) -> str | None:
    """A relative link from outbox/status.html to a feedback file recorded in the ledger."""
    if blank(feedback_path) or not str(feedback_path).strip():
        return None
    p = str(feedback_path).replace("\\", "/").lstrip("/")
    if p.startswith("outbox/"):
        p = p[len("outbox/"):]
    if ".." in p.split("/"):
        return None
    return quote(p, safe="/")


def write_status_page(ws: Workspace, fy: int, quarter: int, run_time: datetime,
                      plan: Plan | None = None, figures: Figures | None = None) -> Path:
    """Write outbox/status.html for the quarter; unchanged content is not rewritten.
    ``figures``: the night's consolidated quarters (rollup.quarter_figures)."""
    if plan is None:
        from .plan_load import load_plan_cached

        plan = load_plan_cached(ws.state, ws.plan_file(fy))
    fig = quarter_figures(ws, plan, fy, quarter, figures)
    target = ws.outbox / "status.html"
    rollup = rollup_path(ws, fy, quarter)
    write_text_atomic(target, render_status_page(fig, run_time, rollup.relative_to(ws.outbox)
                                                 if rollup.exists() else None))
    return target


def render_status_page(fig: QuarterFigures, run_time: datetime,
                       rollup_rel: Path | None = None) -> str:
    plan = fig.plan
    period = fcal.Period(fig.fiscal_year, fig.quarter)
    t = fig.completeness_total
    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"th\"><head><meta charset=\"utf-8\">")
    w("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    w(f"<title>สถานะการส่งรายงาน {_e(period.label_th)} (Report status {_e(period.label_en)})"
      "</title>")
    w(f"<style>{CSS}</style></head><body>")
    w(f"<h1>สถานะการส่งรายงาน <small>(Report status)</small> · {_e(period.label_th)} "
      f"({_e(period.label_en)})</h1>")
    due = plan.due_date(fig.quarter)
    w(f"<p class=\"sub\">{_e(plan.office_name)} จังหวัด{_e(plan.province)} · "
      f"{_e(fcal.period_text_th(fig.fiscal_year, fig.quarter))} · กำหนดส่ง (due) "
      f"<b id=\"due\">{_e(fcal.format_thai_date(due))}</b> · ประมวลผลเมื่อ (run at) "
      f"<b id=\"run-time\">{_e(be_datetime(run_time))}</b></p>")
    w("<div class=\"cards\">")
    cards = [("expected", "ต้องส่ง", "expected", t["expected"]),
             ("submitted", "ส่งแล้ว", "submitted", t["submitted"]),
             ("on_time", *STATE_LABELS["on_time"], t["on_time"]),
             ("late", *STATE_LABELS["late"], t["late"]),
             ("rejected", *STATE_LABELS["rejected"], t["rejected"]),
             ("missing", *STATE_LABELS["missing"], t["missing"])]
    for key, th, en, n in cards:
        w(f"<div class=\"card {key}\" id=\"count-{key}\"><b>{n}</b><span>{_e(th)} ({_e(en)})"
          "</span></div>")
    rate = t["submitted_rate"]
    bt = fig.budget_total
    dr = bt["disbursement_rate"]
    w(f"<div class=\"card\" id=\"completeness\"><b>{'-' if rate is None else f'{rate:.0%}'}</b>"
      "<span>ความครบถ้วน (completeness)</span></div>")
    target = "-" if bt["target"] is None else f"{bt['target']:.0%}"
    w(f"<div class=\"card\" id=\"disbursement\"><b>{'-' if dr is None else f'{dr:.1%}'}</b>"
      f"<span>อัตราเบิกจ่าย (disbursed) · เป้า (target) {target}</span></div>")
    w("</div>")
    if rollup_rel is not None:
        w(f"<p>รายงานสรุป (roll-up workbook): <a href=\"{_e(quote(rollup_rel.as_posix()))}\">"
          f"{_e(rollup_rel.as_posix())}</a></p>")

    # who was rejected and why
    w("<h2>ไฟล์ที่ถูกส่งคืน (Rejected files)</h2>")
    subs = fig.submissions
    bad = subs[subs["status"].isin(["rejected", "quarantined"])] if len(subs) else subs
    if not len(bad):
        w("<p id=\"no-rejected\">ไม่มี (none)</p>")
    else:
        probs = fig.problems
        w("<table id=\"rejected\"><tr><th>หน่วยงาน<br>Agency</th><th>ไฟล์<br>File</th>"
          "<th>ได้รับเมื่อ<br>Received</th><th>สถานะ<br>Status</th><th>เหตุผล<br>Reason</th>"
          "<th>ไฟล์แนะนำการแก้ไข<br>Feedback</th></tr>")
        fixed = set(fig.current["agency_code"]) if len(fig.current) else set()
        # each file's itemised problems, in the period's order, grouped once (a mask per
        # rejected file took 4 s for 600 files at 30,000 agencies)
        by_submission: dict[Any, list[dict[str, Any]]] = {}
        if len(probs):
            for p in probs[probs["code"].notna()].to_dict("records"):
                by_submission.setdefault(p["submission_id"], []).append(p)
        for r in bad.sort_values(["received_at", "id"]).to_dict("records"):
            code = r.get("agency_code")
            agency = plan.agencies.get(code or "")
            name = f"{agency.name_th} ({code})" if agency else (code or "-")
            mine = by_submission.get(r["id"], [])
            details = "".join(
                f"<li>{_e(p['sheet'])}{'!' + _e(p['cell']) if p['cell'] else ''} "
                f"{_e(p['message_th'])} / {_e(p['message_en'])}</li>"
                for p in mine[:5])
            more = len(mine) - 5
            if more > 0:
                details += f"<li>… อีก {more} รายการ ({more} more)</li>"
            status = {"rejected": "ส่งคืน (rejected)", "quarantined": "กักไว้ (quarantined)"}[
                r["status"]]
            if code in fixed:
                status += " · แก้ไขแล้ว (fixed since)"
            href = _href(r.get("feedback_path"))
            link = (f"<a href=\"{_e(href)}\">{_e(Path(str(r['feedback_path'])).name)}</a>"
                    if href else "-")
            w(f"<tr class=\"rejected\"><td>{_e(name)}</td><td>{_e(r['original_name'])}</td>"
              f"<td>{_e(be_received(r['received_at']))}</td><td class=\"state\">{_e(status)}</td>"
              f"<td>{_e(r.get('reason'))}<ul>{details}</ul></td><td>{link}</td></tr>")
        w("</table>")

    # every agency of the registry
    w("<h2>หน่วยงานทั้งหมด (Every agency)</h2>")
    w("<table id=\"agencies\"><tr><th>รหัส<br>Code</th><th>หน่วยงาน<br>Agency</th>"
      "<th>สังกัด<br>Affiliation</th><th>อำเภอ<br>District</th><th>สถานะ<br>State</th>"
      "<th>ได้รับเมื่อ<br>Received</th><th>ไฟล์<br>File</th><th>ติดต่อ<br>Contact</th></tr>")
    order = {"rejected": 0, "missing": 1, "late": 2, "on_time": 3}
    comp = fig.completeness.assign(_o=fig.completeness["state"].map(order)).sort_values(
        ["_o", "agency_code"])
    for r in comp.to_dict("records"):
        th, en = STATE_LABELS[r["state"]]
        contact = ""
        if r["state"] in ("missing", "rejected") and not blank(r["emails"]) and r["emails"]:
            contact = ", ".join(
                f"<a href=\"mailto:{_e(quote(e.strip(), safe='@.+-_'))}\">{_e(e.strip())}</a>"
                for e in str(r["emails"]).split(";") if e.strip())
        w(f"<tr class=\"{r['state']}\" id=\"agency-{_e(r['agency_code'])}\">"
          f"<td>{_e(r['agency_code'])}</td><td>{_e(r['agency_name'])}</td>"
          f"<td>{_e(choice_label('affiliation', r['affiliation']))}</td>"
          f"<td>{_e(r['district'])}</td><td class=\"state\">{_e(th)} ({_e(en)})</td>"
          f"<td>{_e(be_received(r['received_at']))}</td><td>{_e(r['file'])}</td>"
          f"<td>{contact}</td></tr>")
    w("</table>")
    w(f"<p class=\"foot\">ข้อมูล ณ (as of) {_e(be_datetime(fig.as_of))} · "
      f"รหัสแผน (plan) {_e(plan_fingerprint(plan))} · Edu Roll-up</p>")
    w("</body></html>\n")
    return "\n".join(out)
