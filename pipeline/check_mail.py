"""``edurollup validate mail.eml``: a message checked as the nightly run would check it,
without the ledger.

Staff want to check a mail as it arrived: its sender (:func:`collect.check_sender`), every
attachment read and validated, then the run's own decision (:func:`decide.decide`: one
clear sender, registered for the agency, a plan for the year, the quarter open, late), so
they see before a run whether it would be accepted, rejected or quarantined, and why.
Nothing is archived or recorded; attachments are written only into a scratch folder the
caller owns (the feedback copies are made from there).
"""

from __future__ import annotations

from pathlib import Path

from .collect import message_arrivals
from .decide import decide
from .model import FileReport, unique_problems
from .plan import Plan
from .plan_load import PlanError, load_plan
from .validate import validate_files
from .workspace import Workspace


def _plan_for(report: FileReport | None, plan_file: Path | None,
              workspace: Workspace | None, cache: dict[Path, Plan | None]) -> Plan | None:
    """The plan the run would decide with: --plan, else the workspace's plan of the year."""
    path = plan_file
    if path is None and report is not None and report.fiscal_year and workspace is not None:
        path = workspace.plan_file(report.fiscal_year)
    if path is None or not path.is_file():
        return None
    if path not in cache:
        try:
            cache[path] = load_plan(path)
        except PlanError:
            cache[path] = None
    return cache[path]


def validate_message(path: Path, scratch: Path, plan_file: Path | None = None,
                     workspace: Workspace | None = None) -> list[FileReport]:
    """One FileReport per attachment of the message at ``path`` (or one for the message
    when nothing is attached), named "<mail>: <attachment>", whose problems are what the
    run's decision would record (the sender's and the intake's with the file's own)."""
    raw = path.read_bytes()
    st = path.stat()
    arrivals = message_arrivals(raw, source="eml", source_path=path.name, size=st.st_size,
                                mtime_ns=st.st_mtime_ns)
    cache: dict[Path, Plan | None] = {}
    reports = []
    for arrival in arrivals:
        name = f"{path.name}: {arrival.original_name}"
        report = None
        if arrival.is_workbook:
            copy = scratch / f"{arrival.sha256[:12]}-{arrival.part_index}-{arrival.safe_name}"
            copy.write_bytes(arrival.data)
            [report] = validate_files([copy], plan_file=plan_file, workspace=workspace,
                                      display_names={copy: name})
        decision = decide(report, arrival, _plan_for(report, plan_file, workspace, cache),
                          trusted=False)
        rep = report or FileReport(path=path, display_name=name, sha256=arrival.sha256)
        rep.problems = unique_problems([*decision.problems, *rep.problems])
        if decision.status != "accepted":
            rep.budget = rep.indicators = rep.clean_lists = None
        reports.append(rep)
    return reports
