"""A night that rebuilds roll-ups consolidates each quarter once: the quarter roll-up, the
annual report and the status page share the figures, and the files are the same as when
each writer consolidated on its own."""

from __future__ import annotations

import hashlib

import pytest
from rollup_helpers import scenario_copy
from run_helpers import run_cli

import pipeline.rollup as rollup_mod
import pipeline.rollup.figures as figures_mod

pytestmark = pytest.mark.slow


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_quarter_consolidated_once_and_outputs_unchanged(tmp_path_factory, tmp_path,
                                                             monkeypatch):
    ws, _, _ = scenario_copy(tmp_path_factory, tmp_path)  # Q1 and Q2 reports, run twice
    outputs = [rollup_mod.rollup_path(ws, 2568, 1), rollup_mod.rollup_path(ws, 2568, 2),
               rollup_mod.annual_path(ws, 2568)]
    before = {p.name: _digest(p) for p in outputs}
    page = (ws.outbox / "status.html").read_text("utf-8")

    calls: list[tuple[int, int]] = []
    real = figures_mod.consolidate_quarter

    def counting(ledger, plan, fy, q):
        calls.append((fy, q))
        return real(ledger, plan, fy, q)

    monkeypatch.setattr(figures_mod, "consolidate_quarter", counting)
    (ws.state / "rollup-digests.json").unlink()  # every roll-up is rebuilt
    result = run_cli(ws, "--quiet")
    assert result.exit_code == 0, result.output

    # Q1 and Q2 for their roll-ups (Q2 also for the status page), Q3 and Q4 for the annual
    assert sorted(calls) == [(2568, 1), (2568, 2), (2568, 3), (2568, 4)]
    assert {p.name: _digest(p) for p in outputs} == before
    now = (ws.outbox / "status.html").read_text("utf-8")

    def without_run_time(text: str) -> str:
        start = text.index('<b id="run-time">')
        return text[:start] + text[text.index("</b>", start):]

    assert without_run_time(now) == without_run_time(page)
