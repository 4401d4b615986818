"""Where the roll-ups go and the one figures object every sheet and section reads:
a night consolidates each quarter once (``quarter_figures``) and hands the same
``QuarterFigures`` to the workbooks, the report documents and the status page."""

from __future__ import annotations

from pathlib import Path

from ..consolidate import (
    QuarterFigures,
    consolidate_quarter,
)
from ..plan import Plan
from ..plan_load import load_plan_cached
from ..workspace import Workspace


# ---- file names ------------------------------------------------------------------------------
def rollup_path(ws: Workspace, fy: int, q: int) -> Path:
    return ws.rollup_dir(fy, q) / f"rollup-{fy}-Q{q}.xlsx"


def annual_path(ws: Workspace, fy: int) -> Path:
    return ws.rollup_dir(fy) / f"annual-{fy}.xlsx"


def load_plan(ws: Workspace, fy: int) -> Plan:
    return load_plan_cached(ws.state, ws.plan_file(fy))  # the run's parsed plan, if cached


Figures = dict[tuple[int, int], QuarterFigures]


def quarter_figures(ws: Workspace, plan: Plan, fy: int, q: int,
                    figures: Figures | None = None) -> QuarterFigures:
    """The quarter's figures: from ``figures`` when a writer of the same night already
    consolidated them, else from the ledger (and then kept in ``figures``).

    A night consolidates each quarter once and hands the figures to the quarter roll-up,
    the annual report and the status page; the caller keeps ``figures`` only while the
    ledger rows they were computed from do not change."""
    if figures is not None and (fy, q) in figures:
        return figures[(fy, q)]
    fig = consolidate_quarter(ws.ledger_path, plan, fy, q)
    if figures is not None:
        figures[(fy, q)] = fig
    return fig
