"""The command line: thin wrappers that parse options, call one library function, print.

Every command that works on a workspace takes --workspace (default: the current
directory, or EDUROLLUP_WORKSPACE). docs/cli.md is generated from this file's --help
texts (``make docs``) and a test keeps the two in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .workspace import Workspace

workspace_option = click.option(
    "--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
    envvar="EDUROLLUP_WORKSPACE", default=".", show_default=True,
    help="Workspace folder (inbox/, outbox/, state/, plan/).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="edurollup")
def main() -> None:
    """Edu Roll-up: รวบรวมรายงานรายไตรมาสของหน่วยงานการศึกษาระดับจังหวัด
    (quarterly budget and indicator roll-ups for a provincial education office)."""


# ---- plan --------------------------------------------------------------------------------
@main.group()
def plan() -> None:
    """แผน: สร้างและตรวจสอบไฟล์แผน (create and check the plan workbook)."""


@plan.command("new")
@click.option("--fy", "fiscal_year", type=click.IntRange(2500, 2700), required=True,
              help="Fiscal year, Buddhist Era (e.g. 2568).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: plan/<FY>.xlsx in the workspace).")
@workspace_option
def plan_new(fiscal_year: int, out_path: Path | None, workspace_dir: Path) -> None:
    """Write a blank plan workbook with headers, dropdowns and Thai help."""
    from .plan_workbook import write_blank_plan

    target = out_path or Workspace.open(workspace_dir).plan_file(fiscal_year)
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
@click.option("--fy", "fiscal_year", type=click.IntRange(2500, 2700), required=True,
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
    """Write one pre-filled report template per agency."""
    from .plan_load import PlanError, load_plan
    from .templates import issue_key, write_templates

    if bool(agency_codes) == all_agencies:
        raise click.UsageError("give --agency CODE or --all / ระบุ --agency หรือ --all")
    plan_path = plan_file or Workspace.open(workspace_dir).plan_file(fiscal_year)
    try:
        plan_obj = load_plan(plan_path)
    except PlanError as exc:  # a missing or broken plan: say where, no traceback
        from .report import print_problems

        print_problems(plan_path.name, exc.problems)
        sys.exit(1)
    unknown = [c for c in agency_codes if c not in plan_obj.agencies]
    if unknown:
        raise click.UsageError(f"unknown agency / ไม่พบหน่วยงาน: {', '.join(unknown)}")
    codes = list(plan_obj.agencies) if all_agencies else list(agency_codes)
    ws = Workspace.open(workspace_dir)
    key = issue_key(ws.state) if ws.state.is_dir() else None  # stamps keyed in a workspace
    paths = write_templates(plan_obj, quarter, codes, out_dir, key)
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
    """Check report files without touching the ledger. Exit 0 valid, 1 errors, 2 usage."""
    from .plan_load import PlanError
    from .report import print_problems, print_reports, reports_to_json
    from .validate import validate_files

    try:
        reports = validate_files(list(files), plan_file=plan_file,
                                 workspace=Workspace.open(workspace_dir))
    except PlanError as exc:  # the --plan given is not a usable plan: a usage error
        print_problems(plan_file.name if plan_file else "plan", exc.problems)
        sys.exit(2)
    if feedback_dir:
        from .feedback import write_feedback

        for r in reports:
            if r.problems:
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

    code = run_nightly(Workspace.open(workspace_dir), send=send, quiet=quiet)
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
        rows = release_poison(Workspace.open(workspace_dir), sha256)
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
@click.option("--fy", "fiscal_year", type=click.IntRange(2500, 2700), required=True)
@click.option("--quarter", type=click.IntRange(1, 4), required=True)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def status(fiscal_year: int, quarter: int, as_json: bool, workspace_dir: Path) -> None:
    """Who submitted what and when for a quarter: on time, late, missing, rejected."""
    from .status import print_status, quarter_status

    rows = quarter_status(Workspace.open(workspace_dir), fiscal_year, quarter)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print_status(rows)


@main.command()
@click.option("--agency", "agency_code", required=True, help="Agency code.")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def history(agency_code: str, as_json: bool, workspace_dir: Path) -> None:
    """Every submission of one agency, newest first, with its status and problems."""
    from .status import agency_history, print_history

    rows = agency_history(Workspace.open(workspace_dir), agency_code)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        print_history(rows)


@main.command()
@click.option("--fy", "fiscal_year", type=click.IntRange(2500, 2700), required=True)
@click.option("--quarter", type=click.IntRange(1, 4), help="Quarter 1-4.")
@click.option("--annual", is_flag=True, help="The year-end report: every quarter side by side.")
@workspace_option
def report(fiscal_year: int, quarter: int | None, annual: bool, workspace_dir: Path) -> None:
    """Rebuild a quarter's roll-up workbook (or the year-end report) from the ledger."""
    from .rollup import write_annual_report, write_quarter_rollup

    if bool(quarter) == annual:
        raise click.UsageError("give --quarter N or --annual / ระบุ --quarter หรือ --annual")
    ws = Workspace.open(workspace_dir)
    path = (write_annual_report(ws, fiscal_year) if annual
            else write_quarter_rollup(ws, fiscal_year, quarter))
    click.echo(f"เขียนรายงานแล้ว / written: {path}")


@main.command()
@workspace_option
@click.option("--no-run", is_flag=True, help="Build the demo workspace without running the job.")
def demo(workspace_dir: Path, no_run: bool) -> None:
    """Build the demo province (plan, agencies, flawed and clean reports) and run the job."""
    from .demo import build_demo

    ws = Workspace.open(workspace_dir)
    manifest = build_demo(ws)
    click.echo(f"สร้างข้อมูลสาธิตแล้ว / demo workspace built: {ws.root} "
               f"({manifest['counts']['files']} files, manifest: demo-manifest.json)")
    if not no_run:
        from .run import run_nightly

        sys.exit(run_nightly(ws, send=False, quiet=False))
