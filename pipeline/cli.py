"""The command line: thin wrappers that parse options, call one library function, print.

Every command that works on a workspace takes --workspace (default: the current
directory, or EDUROLLUP_WORKSPACE) and opens it with ``cliparams.open_workspace``, which
refuses (exit 2) a folder that is not one; ``init`` makes one. docs/cli.md is generated
from this file's --help texts (``make docs``) and a test keeps the two in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cliparams import (
    FISCAL_YEAR,
    BilingualGroup,
    init_workspace,
    open_workspace,
    progress,
    stage,
)

workspace_option = click.option(
    "--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
    envvar="EDUROLLUP_WORKSPACE", default=".", show_default=True,
    help="Workspace folder (inbox/, outbox/, state/, plan/).",
)


@click.group(cls=BilingualGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="edurollup")
def main() -> None:
    """Edu Roll-up: รวบรวมรายงานรายไตรมาสของหน่วยงานการศึกษาระดับจังหวัด
    (quarterly budget and indicator roll-ups for a provincial education office)."""


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Make DIRECTORY a workspace: inbox/, outbox/, state/, plan/ and edurollup.toml."""
    ws = init_workspace(directory)
    click.echo(f"พร้อมใช้งาน / workspace ready: {ws.root}\n"
               f"ขั้นต่อไป / next: edurollup plan new --fy <ปี พ.ศ./BE year> --workspace {ws.root}")


# ---- plan --------------------------------------------------------------------------------
@main.group()
def plan() -> None:
    """แผน: สร้างและตรวจสอบไฟล์แผน (create and check the plan workbook)."""


@plan.command("new")
@click.option("--fy", "fiscal_year", type=FISCAL_YEAR, required=True,
              help="Fiscal year, Buddhist Era (e.g. 2568).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: plan/<FY>.xlsx in the workspace).")
@workspace_option
def plan_new(fiscal_year: int, out_path: Path | None, workspace_dir: Path) -> None:
    """Write a blank plan workbook with headers, dropdowns and Thai help (into the
    workspace, which it makes if needed, unless --out is given)."""
    from .plan_workbook import write_blank_plan

    target = out_path or init_workspace(workspace_dir, settings=False).plan_file(fiscal_year)
    if target.exists():
        raise click.UsageError(f"{target} exists already / มีไฟล์นี้อยู่แล้ว")
    write_blank_plan(fiscal_year, target)
    click.echo(f"เขียนไฟล์แผนแล้ว / plan written: {target}")


@plan.command("check")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def plan_check(plan_file: Path, as_json: bool) -> None:
    """Check a plan workbook; print every problem with its sheet and cell. Exit 1 on errors."""
    from .plan_load import check_plan
    from .report import print_problems

    problems = check_plan(plan_file)
    if as_json:
        click.echo(json.dumps({"file": str(plan_file), "problems": [p.to_dict() for p in problems]},
                              ensure_ascii=False, indent=2))
    else:
        print_problems(plan_file.name, problems)
    sys.exit(1 if any(p.is_error for p in problems) else 0)


# ---- templates ----------------------------------------------------------------------------
@main.command()
@click.option("--fy", "fiscal_year", type=FISCAL_YEAR, required=True,
              help="Fiscal year, Buddhist Era (e.g. 2568).")
@click.option("--quarter", type=click.IntRange(1, 4), required=True, help="Quarter 1-4.")
@click.option("--agency", "agency_codes", multiple=True, help="Agency code (repeatable).")
@click.option("--all", "all_agencies", is_flag=True, help="Every agency in the plan.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder to write the templates into.")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Plan workbook (default: plan/<FY>.xlsx in the workspace).")
@workspace_option
def template(fiscal_year: int, quarter: int, agency_codes: tuple[str, ...], all_agencies: bool,
             out_dir: Path, plan_file: Path | None, workspace_dir: Path) -> None:
    """Write one pre-filled report template per agency: its plan projects carrying the
    amounts of its last accepted report of the year, its indicators, a narrative sheet."""
    from .plan_load import PlanError, load_plan
    from .templates import issue_key, write_templates
    from .web.links import public_links
    from .workspace import is_workspace

    if bool(agency_codes) == all_agencies:
        raise click.UsageError("ระบุ --agency หรือ --all อย่างใดอย่างหนึ่ง / "
                               "give either --agency CODE or --all"
                               + (", not both" if all_agencies else ""))
    if plan_file is None:
        from .status import require_plan

        require_plan(open_workspace(workspace_dir), fiscal_year)  # missing: point to plan new
    plan_path = plan_file or open_workspace(workspace_dir).plan_file(fiscal_year)
    try:
        plan_obj = load_plan(plan_path)
    except PlanError as exc:  # a missing or broken plan: say where, no traceback
        from .report import print_problems

        print_problems(plan_path.name, exc.problems)
        sys.exit(1)
    unknown = [c for c in agency_codes if c not in plan_obj.agencies]
    if unknown:
        raise click.UsageError(f"ไม่พบหน่วยงานในแผน / unknown agency: {', '.join(unknown)}")
    codes = list(plan_obj.agencies) if all_agencies else list(agency_codes)
    in_workspace = plan_file is None or is_workspace(workspace_dir.resolve())
    ws = open_workspace(workspace_dir) if in_workspace else None
    links = public_links(ws, plan_obj) if ws else {}
    key = issue_key(ws.state) if ws and ws.state.is_dir() else None  # stamps keyed
    carried = {}
    if ws and ws.ledger_path.is_file():  # the amounts of each agency's last accepted report
        from .consolidate import carried_lines

        carried = carried_lines(ws.ledger_path, fiscal_year, quarter)
    paths: list[Path] = []
    with progress(len(codes), "เขียนแบบรายงาน (writing templates)") as bar:
        for start in range(0, len(codes), 8):
            chunk = codes[start:start + 8]
            paths += write_templates(plan_obj, quarter, chunk, out_dir, links, key, carried)
            bar.update(len(chunk))
    click.echo(f"เขียนแบบรายงาน {len(paths)} ไฟล์ / wrote {len(paths)} templates to {out_dir}")


# ---- validation ---------------------------------------------------------------------------
@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Plan workbook (default: the workspace's plan for the file's year).")
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON report.")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write an annotated feedback copy of each file with problems here.")
@workspace_option
def validate(files: tuple[Path, ...], plan_file: Path | None, as_json: bool,
             feedback_dir: Path | None, workspace_dir: Path) -> None:
    """Check report files without touching the ledger. Exit 0 valid, 1 errors, 2 usage.

    A mail saved as .eml is checked as the nightly run would check it: its sender, each
    attachment, and the run's decision (registered sender, plan, open quarter)."""
    import tempfile

    from .check_mail import validate_message
    from .plan_load import PlanError
    from .report import print_problems, print_reports, reports_to_json
    from .validate import validate_files
    from .workspace import Workspace, is_workspace

    if plan_file is None:
        ws = open_workspace(workspace_dir)  # the plans are found there
    else:
        ws = Workspace.open(workspace_dir) if is_workspace(workspace_dir.resolve()) else None
    with tempfile.TemporaryDirectory(prefix="edurollup-validate-") as scratch:
        try:
            reports = []
            for f in files:
                if f.suffix.lower() == ".eml":
                    reports += validate_message(f, Path(scratch), plan_file, ws)
                else:
                    reports += validate_files([f], plan_file=plan_file, workspace=ws)
        except PlanError as exc:  # the --plan given is not a usable plan: a usage error
            print_problems(plan_file.name if plan_file else "plan", exc.problems)
            sys.exit(2)
        if feedback_dir:
            from .feedback import write_feedback

            for r in reports:
                if r.problems and r.path.suffix.lower() != ".eml":
                    write_feedback(r, feedback_dir)
    if as_json:
        click.echo(json.dumps(reports_to_json(reports), ensure_ascii=False, indent=2))
    else:
        print_reports(reports)
    sys.exit(1 if any(not r.valid for r in reports) else 0)


# ---- the nightly run and what it records ----------------------------------------------------
@main.command()
@workspace_option
@click.option("--send", is_flag=True, help="Send the reply e-mails over SMTP (edurollup.toml).")
@click.option("--quiet", is_flag=True, help="No progress bar, summary only.")
def run(workspace_dir: Path, send: bool, quiet: bool) -> None:
    """The nightly job: collect, archive, validate, record, roll up, write the outbox."""
    from .run import run_nightly

    code = run_nightly(open_workspace(workspace_dir), send=send, quiet=quiet)
    sys.exit(code)


@main.command()
@click.argument("sha256", required=False)
@workspace_option
def release(sha256: str | None, workspace_dir: Path) -> None:
    """Let the next run read again a file set aside as poison (it stopped the reader twice),
    by its SHA-256 (or its first 12+ hex digits); without one, list the files set aside."""
    from .lock import EXIT_LOCKED, LockBusy
    from .run import release_poison

    try:
        rows = release_poison(open_workspace(workspace_dir), sha256)
    except LockBusy as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_LOCKED)
    if sha256 is None:
        for r in rows:
            click.echo(f"{r['sha256']}  {r['last_code']}  {r['deaths']}  {r['quarantined_at']}")
        click.echo(f"ไฟล์ที่ถูกกักไว้ {len(rows)} ไฟล์ / files set aside: {len(rows)}")
        return
    if not rows:
        click.echo(f"ไม่พบไฟล์ที่ถูกกักไว้ตรงกับ {sha256} / no quarantined file matches {sha256}",
                   err=True)
        sys.exit(1)
    click.echo(f"ปล่อยแล้ว จะอ่านใหม่ในรอบถัดไป / released, the next run reads it again: "
               f"{rows[0]['sha256']}")


@main.command()
@click.option("--fy", "fiscal_year", type=FISCAL_YEAR, required=True,
              help="Fiscal year, Buddhist Era (e.g. 2568).")
@click.option("--quarter", type=click.IntRange(1, 4), required=True, help="Quarter 1-4.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@workspace_option
def status(fiscal_year: int, quarter: int, as_json: bool, workspace_dir: Path) -> None:
    """Who submitted what and when for a quarter: on time, late, missing, rejected.
    Exit 1 when there is no plan for the year."""
    from .status import print_status, quarter_status, require_plan

    ws = open_workspace(workspace_dir)
    rows = quarter_status(ws, fiscal_year, quarter, require_plan(ws, fiscal_year))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print_status(rows)


@main.command()
@click.option("--agency", "agency_code", required=True, help="Agency code.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the rows as JSON, every problem of each submission included.")
@workspace_option
def history(agency_code: str, as_json: bool, workspace_dir: Path) -> None:
    """Every submission of one agency, newest first, with its status and problems.
    Exit 1 for an agency in no plan and never heard from."""
    from .status import agency_history, print_history, require_agency

    ws = open_workspace(workspace_dir)
    require_agency(ws, agency_code)
    rows = agency_history(ws, agency_code)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print_history(rows)


@main.command()
@click.option("--fy", "fiscal_year", type=FISCAL_YEAR, required=True,
              help="Fiscal year, Buddhist Era (e.g. 2568).")
@click.option("--quarter", type=click.IntRange(1, 4), help="Quarter 1-4.")
@click.option("--annual", is_flag=True, help="The year-end report: every quarter side by side.")
@click.option("--document", is_flag=True,
              help="Also write the committee report beside the workbook: an editable .docx "
              "and, where LibreOffice is installed, the same as .pdf.")
@workspace_option
def report(fiscal_year: int, quarter: int | None, annual: bool, document: bool,
           workspace_dir: Path) -> None:
    """Rebuild a quarter's roll-up workbook (or the year-end report) from the ledger, and
    with --document the report for the committee (.docx and .pdf) from the same figures.
    Exit 1 when there is no plan for the year or nothing accepted to roll up."""
    from .rollup import Figures, write_annual_report, write_quarter_rollup
    from .rollup.document import (
        NO_PDF_HINT,
        PdfError,
        write_annual_document,
        write_quarter_document,
    )
    from .status import require_consolidated, require_plan

    if quarter and annual:
        raise click.UsageError("ระบุ --quarter หรือ --annual อย่างใดอย่างหนึ่ง ไม่ใช่ทั้งสอง / "
                               "give either --quarter N or --annual, not both")
    if not quarter and not annual:
        raise click.UsageError("ระบุ --quarter N หรือ --annual / give --quarter N or --annual")
    ws = open_workspace(workspace_dir)
    plan_obj = require_plan(ws, fiscal_year)
    require_consolidated(ws, fiscal_year, quarter)
    figures: Figures = {}  # the workbook and the document share one consolidation
    path = (write_annual_report(ws, fiscal_year, plan_obj, figures) if annual
            else write_quarter_rollup(ws, fiscal_year, quarter, plan_obj, figures))
    click.echo(f"เขียนรายงานแล้ว / written: {path}")
    if not document:
        return
    try:
        written = (write_annual_document(ws, fiscal_year, plan_obj, figures) if annual
                   else write_quarter_document(ws, fiscal_year, quarter, plan_obj, figures))
    except PdfError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"เขียนเอกสารรายงานแล้ว / written: {written.docx}")
    click.echo(f"เขียนเอกสารรายงานแล้ว / written: {written.pdf}" if written.pdf else NO_PDF_HINT)


@main.command()
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep loopback behind a reverse proxy).")
@click.option("--port", type=click.IntRange(1, 65535), default=8617, show_default=True,
              help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads of the server.")
@click.option("--link", "link_agency", metavar="AGENCY",
              help="Print this agency's clerk link and exit.")
@click.option("--base-url", help="Base of printed links (default: [web] public_url, else "
              "http://HOST:PORT).")
@click.option("--hash-password", is_flag=True,
              help="Ask for the office password and print the hash for edurollup.toml.")
def serve(workspace_dir: Path, host: str, port: int, threads: int, link_agency: str | None,
          base_url: str | None, hash_password: bool) -> None:
    """Serve the check-before-you-send page for clerks and the office's live status page."""
    from .web.links import clerk_url

    if hash_password:
        from werkzeug.security import generate_password_hash

        password = click.prompt("office password / รหัสผ่านของสำนักงาน", hide_input=True,
                                confirmation_prompt=True)
        click.echo(f'office_password_hash = "{generate_password_hash(password)}"')
        return
    ws = open_workspace(workspace_dir)
    if link_agency:
        url = clerk_url(ws, link_agency, base_url or f"http://{host}:{port}")
        if url is None:
            raise click.UsageError(f"ลิงก์ของ {link_agency} ถูกยกเลิกแล้ว / "
                                   f"the link of {link_agency} is revoked")
        click.echo(url)
        return
    from .web.server import serve as serve_web

    click.echo(f"Edu Roll-up: http://{host}:{port}/ (clerks: /a/<link>/, office: /office/); "
               "Ctrl+C หยุด (stops)", err=True)
    serve_web(ws.root, host, port, threads)


@main.command()
@workspace_option
@click.option("--no-run", is_flag=True, help="Build the demo workspace without running the job.")
def demo(workspace_dir: Path, no_run: bool) -> None:
    """Build the demo province (plan, agencies, flawed and clean reports) and run the job."""
    from .demo import build_demo

    ws = init_workspace(workspace_dir, settings=False)  # the demo writes its own settings
    stage("กำลังสร้างจังหวัดสาธิต: แผน แบบรายงาน และอีเมลราว 300 ฉบับ (ประมาณครึ่งนาที) ... / "
          "building the demo province: plan, reports and ~300 mails (about half a minute) ...")
    manifest = build_demo(ws, progress)
    click.echo(f"สร้างข้อมูลสาธิตแล้ว / demo workspace built: {ws.root} "
               f"({manifest['counts']['files']} files, manifest: demo-manifest.json)")
    if not no_run:
        from .run import run_nightly
        from .web.links import demo_lines

        code = run_nightly(ws, send=False, quiet=False)
        for line in demo_lines(ws, manifest, "http://127.0.0.1:8617"):  # makes state/secret.key
            click.echo(line)
        sys.exit(code)
