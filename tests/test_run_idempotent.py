"""A second run with nothing new: no ledger row anywhere, every outbox file byte-identical
with the same mtime, no run report (a run writes one only when it did something), and fast."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from run_helpers import (  # noqa: F401 (session fixture)
    copy_tree,
    demo_ran,
    ledger_counts,
    outbox_snapshot,
)

from pipeline.cli import main

pytestmark = pytest.mark.slow


def test_rerun_changes_nothing(demo_ran, tmp_path):  # noqa: F811
    ws = copy_tree(demo_ran[0], tmp_path / "ws")
    counts = ledger_counts(ws)
    snapshot = outbox_snapshot(ws)
    assert counts["submissions"] > 100 and len(snapshot) > 100
    log_size = (ws.log_dir / "run.log").stat().st_size

    started = time.monotonic()
    result = CliRunner().invoke(main, ["run", "--workspace", str(ws.root)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "ไม่มีอะไรใหม่ (nothing new)" in result.output

    assert ledger_counts(ws) == counts  # every table, including runs and inbox_items
    assert outbox_snapshot(ws) == snapshot  # same bytes, same mtimes, no new run report
    new_log = (ws.log_dir / "run.log").read_bytes()[log_size:].decode("utf-8")
    assert "nothing new" in new_log
    assert elapsed < 10, f"an idle night took {elapsed:.1f} s"

    # --quiet on an idle night prints nothing at all (cron mails only when there is news)
    quiet = CliRunner().invoke(main, ["run", "--workspace", str(ws.root), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert ledger_counts(ws) == counts and outbox_snapshot(ws) == snapshot


def test_the_parsed_plan_is_cached_by_its_bytes_and_the_program(tmp_path, monkeypatch):
    """The run and each worker process load plan/<FY>.xlsx; a 30,000-agency plan takes
    seconds to parse, so the parsed plan is kept in state/ and used while the plan file's
    bytes and the program are the same: the same Plan, loaded once; a changed plan file
    or an unreadable cache file means a fresh load."""
    from dataclasses import replace

    from run_helpers import small_workspace

    from pipeline import plan_load
    from pipeline.plan_workbook import write_plan
    from pipeline.run import Plans

    ws, plan = small_workspace(tmp_path)
    loads: list = []
    real = plan_load.load_plan

    def counting(path):
        loads.append(path)
        return real(path)

    monkeypatch.setattr(plan_load, "load_plan", counting)
    first = Plans(ws).get(2568)
    (cached,) = ws.state.glob("plan-cache-2568-*.pickle")
    again = Plans(ws).get(2568)
    assert len(loads) == 1 and again is not first
    assert again == first and again.path == ws.plan_file(2568)

    write_plan(replace(plan, office_name="สำนักงานใหม่"), ws.plan_file(2568))
    changed = Plans(ws).get(2568)
    assert len(loads) == 2 and changed.office_name == "สำนักงานใหม่"
    (newer,) = ws.state.glob("plan-cache-2568-*.pickle")  # the old one is removed
    assert newer != cached

    newer.write_bytes(b"not a pickle")
    assert Plans(ws).get(2568) == changed and len(loads) == 3

    # edurollup report and status read the same cache (a 30,000-agency plan: 2-4 s a parse)
    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.ledger import Ledger

    Ledger(ws.ledger_path).close()  # an empty ledger: the report and status need one
    outputs = []
    for args, code in ((["report", "--fy", "2568", "--quarter", "1"], 1),
                       (["status", "--fy", "2568", "--quarter", "1"], 0)):
        result = CliRunner().invoke(main, [*args, "--workspace", str(ws.root)])
        assert result.exit_code == code, result.output
        outputs.append(result.output)
    assert len(loads) == 3
    # nothing accepted yet: report says so (issue #16) instead of an empty roll-up
    assert "nothing consolidated for Q1 FY 2568" in outputs[0]
    assert not (ws.outbox / "2568" / "Q1" / "rollup-2568-Q1.xlsx").exists()


def test_the_plan_fingerprint_travels_with_the_cached_plan(tmp_path, monkeypatch):
    """Plan.fingerprint hashes the whole plan (0.6 s at 30,000 agencies) and the run, each
    worker and `edurollup report` need it (stamp check, roll-up "about" sheet, status
    page): it is computed when the cache is written and read back with the plan."""
    from run_helpers import small_workspace

    from pipeline.plan import Plan, plan_fingerprint
    from pipeline.run import Plans

    ws, plan = small_workspace(tmp_path)
    expected = plan.fingerprint
    first = Plans(ws).get(2568)  # parses the workbook and writes the cache
    assert plan_fingerprint(first) == expected

    def no_hashing(self):
        raise AssertionError("the plan was hashed again")

    monkeypatch.setattr(Plan, "fingerprint", property(no_hashing))
    again = Plans(ws).get(2568)  # from the cache
    assert again is not first
    assert plan_fingerprint(again) == expected
