"""Reply e-mails to senders: drafts in outbox/replies/, sent on demand over SMTP.

Every rejected or quarantined submission gets a reply that names each problem's sheet,
cell and fix (Thai with English) with the annotated feedback workbook attached; an
accepted one gets a short receipt (lateness noted). Drafts are plain ``.eml`` files so
the office can read them before anything leaves the machine, and their bytes are
deterministic: Date is the decision time kept in the ledger, Message-ID and the MIME
boundary derive from the file's SHA-256. A draft is written once and never rewritten;
``send_pending`` moves each draft it sent to ``outbox/replies/sent/`` so a rerun never
sends twice.
"""

from __future__ import annotations

import mimetypes
import os
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from . import calendar as fcal
from .atomic import write_bytes_atomic
from .model import Problem
from .workspace import SmtpConfig, Workspace

#: Statuses that get a reply listing problems (and the feedback workbook).
PROBLEM_STATUSES = ("rejected", "quarantined")
#: Statuses that get a receipt. A superseded file was accepted when it arrived: its
#: receipt says so, whatever happened later (so the draft never depends on later files).
RECEIPT_STATUSES = ("accepted", "superseded")
#: Problems listed in the body at most; the workbook attached has them all.
MAX_LISTED = 40

STATUS_TEXT = {
    "accepted": ("รับรายงานแล้ว", "accepted"),
    "superseded": ("รับรายงานแล้ว", "accepted"),
    "rejected": ("ไม่ผ่านการตรวจสอบ ต้องแก้ไขและส่งใหม่", "rejected: please fix and resend"),
    "quarantined": ("ยังไม่นำเข้าระบบ (กักไว้ตรวจสอบ)", "not imported (quarantined)"),
}


@dataclass
class ReplyFacts:
    """What a reply says: the submission as the ledger recorded it."""

    sha256: str
    original_name: str
    sender: str | None  # To:; None for files dropped by office staff (no reply)
    status: str  # accepted | superseded | rejected | quarantined
    decided_at: datetime  # aware; becomes the Date: header
    agency_code: str | None = None
    agency_name: str | None = None
    fiscal_year: int | None = None
    quarter: int | None = None
    reason: str | None = None  # the ledger's short Thai / English reason
    late: bool = False
    due_date: str | None = None  # Thai date text of the due date, for the late note
    message_id: str | None = None  # of the sender's e-mail: In-Reply-To / References
    problems: list[Problem] = field(default_factory=list)
    feedback: Path | None = None  # the annotated workbook to attach
    web_link: str | None = None  # the agency's check-before-you-send page (pipeline/web/)


def reply_filename(sha256: str, agency_code: str | None) -> str:
    """'<sha12>-<agency or unknown>.eml': stable, and safe whatever the sender claimed."""
    code = re.sub(r"[^0-9A-Za-z_-]", "", agency_code or "")[:40] or "unknown"
    return f"{sha256[:12]}-{code}.eml"


def _domain(address: str | None) -> str:
    if address and "@" in address:
        return re.sub(r"[^0-9A-Za-z.-]", "", address.rsplit("@", 1)[1]) or "edurollup.invalid"
    return "edurollup.invalid"


def _period(facts: ReplyFacts) -> tuple[str, str]:
    if facts.fiscal_year and facts.quarter:
        return (f"ไตรมาส {facts.quarter}/{facts.fiscal_year}",
                f"Q{facts.quarter} FY {facts.fiscal_year}")
    return ("", "")


def subject(facts: ReplyFacts) -> str:
    """Thai then English, naming the file and the quarter."""
    th_status, en_status = STATUS_TEXT.get(facts.status, (facts.status, facts.status))
    p_th, p_en = _period(facts)
    name = facts.original_name
    th = f"ผลการตรวจรายงาน{(' ' + p_th) if p_th else ''}: {name} {th_status}"
    en = f"Report check{(' ' + p_en) if p_en else ''}: {name} {en_status}"
    return f"{th} / {en}"


def _problem_lines(problems: list[Problem]) -> list[str]:
    lines: list[str] = []
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.sheet or "", p.cell or ""))
    for n, p in enumerate(ordered[:MAX_LISTED], start=1):
        where = p.where or "ทั้งไฟล์ (whole file)"
        kind = "ข้อผิดพลาด (error)" if p.is_error else "คำเตือน (warning)"
        lines.append(f"{n}. [{kind}] {where}" + (f" — {p.column}" if p.column else ""))
        if p.value not in (None, ""):
            lines.append(f"   ค่าที่พบ (value seen): {p.value}")
        lines.append(f"   {p.message_th}")
        lines.append(f"   {p.message_en}")
        lines.append(f"   วิธีแก้ไข: {p.fix_th}")
        lines.append(f"   How to fix: {p.fix_en}")
    if len(ordered) > MAX_LISTED:
        rest = len(ordered) - MAX_LISTED
        lines.append(f"... และอีก {rest} รายการ ดูในไฟล์แนบ (and {rest} more: see the attached workbook)")
    return lines


def body(facts: ReplyFacts, office_name: str | None = None) -> str:
    """The plain-text body: greeting, verdict, problems with sheet!cell and fix, sign-off."""
    p_th, p_en = _period(facts)
    who = facts.agency_name or facts.agency_code or ""
    lines = [f"เรียน ผู้รายงาน{(' ' + who) if who else ''}", ""]
    if facts.status in RECEIPT_STATUSES:
        lines += [
            f"สำนักงานได้รับรายงาน \"{facts.original_name}\" {p_th} แล้ว และนำเข้าระบบเรียบร้อย",
            f"We received your report \"{facts.original_name}\" {p_en} and it has been recorded.",
        ]
        if facts.late:
            due = f" (กำหนดส่ง {facts.due_date})" if facts.due_date else ""
            due_en = f" (due {facts.due_date})" if facts.due_date else ""
            lines += ["", f"หมายเหตุ: ได้รับหลังกำหนดส่ง{due}",
                      f"Note: received after the due date{due_en}."]
        if facts.problems:
            lines += ["", "ข้อสังเกตที่ควรตรวจสอบ (warnings to check):", *_problem_lines(facts.problems)]
    else:
        th_status, en_status = STATUS_TEXT.get(facts.status, (facts.status, facts.status))
        lines += [
            f"รายงาน \"{facts.original_name}\" {p_th}: {th_status}",
            f"Your report \"{facts.original_name}\" {p_en}: {en_status}.",
        ]
        if facts.reason:
            lines += [f"เหตุผล (reason): {facts.reason}"]
        lines += ["", "รายการที่ต้องแก้ไข (what to fix):", *_problem_lines(facts.problems)]
        if facts.feedback is not None:
            lines += ["", "ไฟล์แนบ: สำเนารายงานของท่านที่ทำเครื่องหมายช่องที่ต้องแก้ไข "
                          "(แผ่นงานแรกคือรายการปัญหา)",
                      "Attached: a copy of your report with the cells to fix highlighted "
                      "(the first sheet lists every problem)."]
        lines += ["", "โปรดแก้ไขในไฟล์เดิมของท่าน แล้วส่งกลับมาทางอีเมลนี้",
                  "Please fix your original file and send it back to this address."]
    if facts.web_link:
        lines += ["", "ตรวจไฟล์ก่อนส่งและส่งรายงานทางเว็บได้ที่ลิงก์เฉพาะของหน่วยงาน (อย่าส่งต่อ):",
                  "Check your file before sending, and submit it, at your agency's own link "
                  "(do not share it):", facts.web_link]
    lines += ["", "ขอแสดงความนับถือ (Regards)", office_name or "สำนักงานศึกษาธิการจังหวัด",
              "", "-- ข้อความนี้สร้างโดยระบบ Edu Roll-up (sent by Edu Roll-up)"]
    return "\n".join(lines) + "\n"


def build_reply(facts: ReplyFacts, from_addr: str, office_name: str | None = None) -> EmailMessage:
    """The reply as an EmailMessage whose bytes depend only on ``facts``."""
    if not facts.sender:
        raise ValueError("a reply needs the sender's address")
    msg = EmailMessage(policy=policy.default)
    msg["From"] = Address(display_name=office_name or "", addr_spec=from_addr)
    msg["To"] = facts.sender
    msg["Subject"] = subject(facts)
    msg["Date"] = format_datetime(facts.decided_at.astimezone(fcal.THAI_TZ))
    msg["Message-ID"] = f"<reply-{facts.sha256[:32]}@{_domain(from_addr)}>"
    if facts.message_id:
        msg["In-Reply-To"] = facts.message_id
        msg["References"] = facts.message_id
    msg["X-Edurollup-Sha256"] = facts.sha256
    msg["X-Edurollup-Status"] = facts.status
    msg.set_content(body(facts, office_name), charset="utf-8")
    if facts.feedback is not None and facts.status in PROBLEM_STATUSES and facts.feedback.exists():
        ctype = mimetypes.guess_type(facts.feedback.name)[0] or "application/octet-stream"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(facts.feedback.read_bytes(), maintype=maintype, subtype=subtype,
                           filename=facts.feedback.name)
        msg.set_boundary(f"=_edurollup_{facts.sha256[:24]}")
    return msg


def draft_exists(replies_dir: Path, name: str) -> bool:
    return (replies_dir / name).exists() or (replies_dir / "sent" / name).exists()


def existing_drafts(replies_dir: Path) -> set[str]:
    """The names :func:`draft_exists` says exist, pending or sent: two folder listings
    instead of two stats per submission."""
    names: set[str] = set()
    for folder in (replies_dir, replies_dir / "sent"):
        try:
            with os.scandir(folder) as it:
                names.update(e.name for e in it
                             if not e.is_symlink() or os.path.exists(e.path))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return names


def write_draft(replies_dir: Path, facts: ReplyFacts, from_addr: str,
                office_name: str | None = None) -> Path | None:
    """Write the draft once (atomically); None when there is nobody to reply to.

    An existing draft (pending or sent) is left alone, so replies never change after the
    fact and a sent one is never queued again.
    """
    if not facts.sender or facts.status not in PROBLEM_STATUSES + RECEIPT_STATUSES:
        return None
    if "@" not in facts.sender:  # a web submission: its receipt was on the clerk's page
        return None
    name = reply_filename(facts.sha256, facts.agency_code)
    target = replies_dir / name
    if draft_exists(replies_dir, name):
        return target if target.exists() else replies_dir / "sent" / name
    write_bytes_atomic(target, build_reply(facts, from_addr, office_name).as_bytes())
    return target


def pending(replies_dir: Path) -> list[Path]:
    """Drafts not sent yet, in name order."""
    if not replies_dir.is_dir():
        return []
    return sorted(p for p in replies_dir.glob("*.eml") if p.is_file())


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    conn = smtplib.SMTP(cfg.host, cfg.port, timeout=30)
    if cfg.starttls:
        conn.starttls()
    if cfg.username:
        conn.login(cfg.username, cfg.password or "")
    return conn


def send_pending(replies_dir: Path, cfg: SmtpConfig, done: list[Path] | None = None) -> list[Path]:
    """Send every pending draft over one SMTP connection; move each sent one to sent/.

    A draft is moved only after the server accepted it, so a failure half-way (raised as
    OSError / smtplib.SMTPException) leaves the rest pending for the next ``--send`` and
    never sends one twice; ``done`` collects the sent ones even when it raises.
    """
    done = [] if done is None else done
    drafts = pending(replies_dir)
    if not drafts:
        return done
    sent_dir = replies_dir / "sent"
    sent_dir.mkdir(parents=True, exist_ok=True)
    conn = _connect(cfg)
    try:
        for draft in drafts:
            msg = message_from_bytes(draft.read_bytes(), policy=policy.default)
            conn.send_message(msg)
            target = sent_dir / draft.name
            os.replace(draft, target)
            done.append(target)
    finally:
        try:
            conn.quit()
        except smtplib.SMTPException:
            conn.close()
    return done


def from_address(ws: Workspace, office_email: str | None) -> str:
    """[smtp].sender in edurollup.toml wins, else the plan's office e-mail."""
    return ws.smtp.sender or office_email or "edurollup@localhost"


def problems_from_rows(rows: Iterable[dict], file: str) -> list[Problem]:
    """Ledger ``problems`` rows back into Problem records for the reply body."""
    out = []
    for r in rows:
        out.append(Problem(
            code=r["code"], severity=r["severity"], file=file, sheet=r.get("sheet"),
            cell=r.get("cell"), column=r.get("column_label"), value=r.get("value"),
            message_th=r.get("message_th") or "", message_en=r.get("message_en") or "",
            fix_th=r.get("fix_th") or "", fix_en=r.get("fix_en") or "",
        ))
    return out
