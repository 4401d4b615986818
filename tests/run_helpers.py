"""Helpers for the nightly-run tests: a small workspace, templates filled like a clerk,
e-mails as agencies send them, ledger counts, and the demo workspace built once.

Owned by engineer N (tests/test_run_*.py, test_resubmission_supersedes.py,
test_spoofed_sender_quarantined.py, test_smtp_replies.py import from here).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_small_plan
from indicator_inputs import write_inputs

import schemas
from pipeline.cli import main
from pipeline.plan import Plan
from pipeline.workspace import Workspace

ICT = timezone(timedelta(hours=7))
FIXED = datetime(2025, 1, 1, 0, 0, 0)
REPO = Path(__file__).resolve().parent.parent

Project = tuple[str, str, int, str, str, str, str, str]  # code, name, strategy, source, category, alloc, committed, disbursed


def small_workspace(root: Path, smtp_port: int | None = None) -> tuple[Workspace, Plan]:
    """A workspace with the conftest Sisaket plan written as plan/2568.xlsx."""
    from pipeline.plan_workbook import write_plan

    plan = make_small_plan()
    ws = Workspace.open(root)
    ws.ensure()
    write_plan(plan, ws.plan_file(plan.fiscal_year))
    toml = "[intake]\ntrust_dropped_files = true\n"
    if smtp_port:
        toml += (f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\n'
                 'sender = "plan@sisaket-peo.example.go.th"\n')
    (root / "edurollup.toml").write_text(toml, "utf-8")
    return Workspace.open(root), plan


def filled_report(plan: Plan, agency_code: str, quarter: int, projects: list[Project],
                  results: dict[str, float] | None = None, reporter: str = "นางสาวสมใจ ใจดี",
                  key: bytes | None = None) -> bytes:
    """The agency's template filled the way a clerk does: only the unlocked cells
    (``key``: the workspace key the template was issued with; None: a plain stamp)."""
    from pipeline.templates import build_template

    wb = build_template(plan, agency_code, quarter, key=key)
    cover = wb[schemas.COVER.name]
    names = [c.name for c in schemas.COVER.columns]
    cover.cell(row=schemas.COVER.header_row + names.index("reporter_name"), column=2, value=reporter)
    cover.cell(row=schemas.COVER.header_row + names.index("reporter_position"), column=2,
               value="นักวิเคราะห์นโยบายและแผน")
    budget = wb[schemas.BUDGET.name]
    strategies = {s.no: s.label for s in plan.strategies.values()}
    for i, (code, name, strategy, source, category, alloc, committed, disbursed) in enumerate(
            projects, start=schemas.BUDGET.header_row + 1):
        for j, v in enumerate((code, name, strategies[strategy], source, category,
                               float(alloc), float(committed), float(disbursed),
                               "อยู่ระหว่างดำเนินการ", None), start=1):
            budget.cell(row=i, column=j, value=v)
    ind = wb[schemas.INDICATORS.name]
    results = results or {}
    for r in range(schemas.INDICATORS.header_row + 1, ind.max_row + 1):
        code = ind.cell(row=r, column=1).value
        if code in results:
            write_inputs(ind, r, plan.indicators[code].kind, results[code])
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_email(sender: str, name: str, data: bytes, sent_at: datetime, message_id: str,
                 to: str = "plan@sisaket-peo.example.go.th") -> bytes:
    """An agency's e-mail with the workbook attached (Thai names RFC 2231-encoded)."""
    msg = EmailMessage()
    msg["From"] = f"ธุรการโรงเรียน <{sender}>"
    msg["To"] = to
    msg["Subject"] = f"ส่งรายงาน {name}"
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = message_id
    msg.set_content("เรียน ศึกษาธิการจังหวัด\nส่งรายงานตามแนบครับ\n")
    msg.add_attachment(data, maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename=name)
    return msg.as_bytes()


def drop_email(ws: Workspace, file_name: str, raw: bytes) -> Path:
    path = ws.inbox / file_name
    path.write_bytes(raw)
    return path


def run_cli(ws: Workspace, *args: str) -> object:
    result = CliRunner().invoke(main, ["run", "--workspace", str(ws.root), *args],
                                catch_exceptions=False)
    return result


def ledger_counts(ws: Workspace) -> dict[str, int]:
    """Row count of every ledger table."""
    con = sqlite3.connect(ws.ledger_path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


def ledger_rows(ws: Workspace, sql: str, params: tuple = ()) -> list[dict]:
    con = sqlite3.connect(ws.ledger_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def outbox_snapshot(ws: Workspace, with_mtime: bool = True) -> dict[str, tuple]:
    """path -> (sha256, mtime_ns) of every outbox file."""
    snap = {}
    for p in sorted(ws.outbox.rglob("*")):
        if p.is_file():
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            snap[p.relative_to(ws.outbox).as_posix()] = (
                (digest, p.stat().st_mtime_ns) if with_mtime else (digest,))
    return snap


def subprocess_run(ws: Workspace, *args: str, env: dict[str, str] | None = None,
                   wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    """`python -m pipeline run --workspace WS` as a real process (for locks and kill -9)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    cmd = [sys.executable, "-m", "pipeline", "run", "--workspace", str(ws.root), "--quiet", *args]
    if wait:
        return subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


_SESSION: dict[str, object] = {}


# ---- the demo province, built and run once per test session -------------------------------
@pytest.fixture(scope="session")
def demo_ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """`edurollup demo --workspace DIR` (build + nightly run) once: (root, output, exit code).

    Tests copy it (:func:`copy_tree`) before changing anything.
    """
    # Each test module that imports this fixture gets its own fixture definition, so the
    # session cache is ours: the demo is built and run once per session, not per module.
    if "ran" not in _SESSION:
        root = tmp_path_factory.mktemp("demo-ran")
        result = CliRunner().invoke(main, ["demo", "--workspace", str(root)],
                                    catch_exceptions=False)
        _SESSION["ran"] = (root, result.output, result.exit_code)
    return _SESSION["ran"]


@pytest.fixture(scope="session")
def demo_built(demo_ran: tuple[Path, str, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace as built, before any run: demo_ran without state/ and outbox/."""
    if "built" not in _SESSION:
        root = tmp_path_factory.mktemp("demo-built")
        copy_tree(demo_ran[0], root, ignore=shutil.ignore_patterns("state", "outbox"))
        _SESSION["built"] = root
    return _SESSION["built"]


@pytest.fixture(scope="session")
def demo_reference(demo_built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built demo run once by a real `edurollup run` process that is never interrupted:
    what a crashed-then-rerun workspace must equal (both are fresh processes, as at night)."""
    if "reference" not in _SESSION:
        root = tmp_path_factory.mktemp("demo-reference")
        ws = copy_tree(demo_built, root)
        done = subprocess_run(ws)
        assert done.returncode == 0, done.stderr[-3000:]
        _SESSION["reference"] = root
    return _SESSION["reference"]


def copy_tree(source: Path, target: Path, ignore=None) -> Workspace:
    """A copy with mtimes kept (inbox mtimes are receipt times and inbox-item keys)."""
    shutil.copytree(source, target, dirs_exist_ok=True, copy_function=shutil.copy2,
                    ignore=ignore)
    return Workspace.open(target)


def manifest(root: Path) -> dict:
    import json

    return json.loads((root / "demo-manifest.json").read_text("utf-8"))
