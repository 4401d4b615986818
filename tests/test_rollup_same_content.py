"""The roll-up outputs keep their content while their writers are restructured for speed:
every sheet's cells (values, types, number formats, bold, wrap, fills), merged ranges,
widths, heights, conditional formats, tables, filters, print setup and charts, the long
CSVs and the status page, built from the fixed run scenario (rollup_helpers), equal the
snapshot taken from the writers before the issue-#6 changes (tests/golden/).

After an intended change of content, regenerate the snapshot and review its diff:
    .venv/bin/python tests/test_rollup_same_content.py --regenerate
"""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "rollup-content.json.gz"

pytestmark = pytest.mark.slow


def snapshot(ws, root: Path, monkeypatch=None) -> dict:
    """Every output of the scenario: the run's workbooks, then (written here) the quarter
    roll-up and the annual report with their long data in CSVs, and the status page."""
    from rollup_snapshot import text_snapshot, workbook_snapshot

    import pipeline.rollup as R
    from pipeline.consolidate import consolidate_quarter
    from pipeline.plan_load import load_plan
    from pipeline.rollup.sheets import by_agency
    from pipeline.status_page import write_status_page

    plan = load_plan(ws.plan_file(2568))
    snap: dict = {}
    for q in (1, 2):
        snap[f"rollup-Q{q}"] = workbook_snapshot(R.rollup_path(ws, 2568, q))
    snap["annual"] = workbook_snapshot(R.annual_path(ws, 2568))
    fig = consolidate_quarter(ws.ledger_path, plan, 2568, 2)
    if monkeypatch is not None:
        monkeypatch.setattr(by_agency, "AGENCY_RESULTS_LIMIT", 3)
    else:
        by_agency.AGENCY_RESULTS_LIMIT = 3
    target = root / "big" / "rollup-2568-Q2.xlsx"
    R.write_rollup_workbook(fig, target, data_row_limit=10)
    snap["big-rollup"] = workbook_snapshot(target)
    snap["big-data.csv"] = text_snapshot(target.with_suffix(".data.csv"))
    snap["big-indicators.csv"] = text_snapshot(target.with_suffix(".indicators.csv"))
    figs = [consolidate_quarter(ws.ledger_path, plan, 2568, q) for q in (1, 2, 3, 4)]
    annual = root / "big" / "annual-2568.xlsx"
    R.write_annual_workbook(plan, 2568, figs, annual, data_row_limit=10)
    snap["big-annual"] = workbook_snapshot(annual)
    snap["big-annual-data.csv"] = text_snapshot(annual.with_suffix(".data.csv"))
    page = write_status_page(ws, 2568, 2, datetime(2025, 4, 18, 1, 30, tzinfo=UTC), plan=plan)
    snap["status.html"] = text_snapshot(page)
    return json.loads(json.dumps(snap, ensure_ascii=False))  # tuples -> lists, as stored


def _first_difference(a, b, path="") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'golden' if k in a else 'now'}"
            d = _first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: {len(a)} items in golden, {len(b)} now"
    elif isinstance(a, str) and a != b:
        i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                 min(len(a), len(b)))
        return f"{path} at char {i}: {a[max(0, i - 80):i + 80]!r} != {b[max(0, i - 80):i + 80]!r}"
    elif a != b:
        return f"{path}: {a!r} != {b!r}"
    return None


def test_outputs_equal_the_snapshot_of_the_previous_writers(tmp_path_factory, tmp_path,
                                                             monkeypatch):
    from rollup_helpers import scenario_copy

    ws, _, _ = scenario_copy(tmp_path_factory, tmp_path)
    now = snapshot(ws, tmp_path, monkeypatch)
    golden = json.loads(gzip.decompress(GOLDEN.read_bytes()).decode("utf-8"))
    diff = _first_difference(golden, now)
    assert diff is None, diff


def test_annual_csv_copied_from_the_nights_quarter_csvs_equals_a_fresh_one(
        tmp_path_factory, tmp_path):
    # a night writes each changed quarter's CSV, then the annual report, whose CSV repeats
    # those quarters' rows: they are copied from the quarter files written from the same
    # figures, unless a file is no longer the one written
    from rollup_helpers import scenario_copy

    import pipeline.rollup as R
    from pipeline.consolidate import consolidate_quarter
    from pipeline.plan_load import load_plan

    ws, _, _ = scenario_copy(tmp_path_factory, tmp_path)
    plan = load_plan(ws.plan_file(2568))
    figs = [consolidate_quarter(ws.ledger_path, plan, 2568, q) for q in (1, 2, 3, 4)]
    for fig in figs[:2]:
        R.write_rollup_workbook(fig, tmp_path / f"Q{fig.quarter}" / "rollup.xlsx",
                                data_row_limit=10)
    R.write_annual_workbook(plan, 2568, figs, tmp_path / "copied" / "annual.xlsx",
                            data_row_limit=10)
    fresh = [consolidate_quarter(ws.ledger_path, plan, 2568, q) for q in (1, 2, 3, 4)]
    R.write_annual_workbook(plan, 2568, fresh, tmp_path / "fresh" / "annual.xlsx",
                            data_row_limit=10)
    copied = (tmp_path / "copied" / "annual.data.csv").read_bytes()
    assert copied == (tmp_path / "fresh" / "annual.data.csv").read_bytes()
    q1 = (tmp_path / "Q1" / "rollup.data.csv").read_bytes()
    q2 = (tmp_path / "Q2" / "rollup.data.csv").read_bytes()
    head = copied.index(b"\r\n") + 2
    assert copied == q1 + q2[head:]  # header, Q1's rows, Q2's rows

    # a quarter file changed since (another process, a person): formatted, not copied
    (tmp_path / "Q1" / "rollup.data.csv").write_bytes(q1.replace(b"2568", b"2999"))
    R.write_annual_workbook(plan, 2568, figs, tmp_path / "again" / "annual.xlsx",
                            data_row_limit=10)
    assert (tmp_path / "again" / "annual.data.csv").read_bytes() == copied


if __name__ == "__main__" and "--regenerate" in sys.argv:
    import shutil
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    from rollup_helpers import build_run_workspace

    root = Path(tempfile.mkdtemp())
    try:
        ws, _, _ = build_run_workspace(root / "ws", root / "sent")
        data = json.dumps(snapshot(ws, root), ensure_ascii=False, indent=0, sort_keys=True)
        GOLDEN.write_bytes(gzip.compress(data.encode("utf-8"), mtime=0))
        print(f"written: {GOLDEN}")
    finally:
        shutil.rmtree(root)
