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
