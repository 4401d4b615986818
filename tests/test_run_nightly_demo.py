"""`edurollup demo` on a fresh workspace: every file of demo-manifest.json ends with its
expected status and lateness, in the ledger's submissions table and in
`edurollup status --json`; the outbox has the roll-ups, status page, feedback and replies."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from run_helpers import demo_ran, manifest  # noqa: F401 (session fixture)

from pipeline.cli import main

pytestmark = pytest.mark.slow


def _submission(con: sqlite3.Connection, sha: str) -> dict | None:
    row = con.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
    return dict(row) if row else None


def test_demo_files_end_with_their_expected_status(demo_ran):  # noqa: F811
    root, output, code = demo_ran
    assert code == 0, output
    assert "demo workspace built" in output and "(imported)" in output
    files = manifest(root)["files"]
    assert len(files) >= 100

    con = sqlite3.connect(root / "state" / "ledger.sqlite")
    con.row_factory = sqlite3.Row
    seen_status = set()
    for f in files:
        sub = _submission(con, f["sha256"])
        assert sub is not None, f["path"]
        if f["expected_status"] == "duplicate":
            # the same bytes again: one submission, a second arrival pointing at it
            arrivals = con.execute("SELECT * FROM arrivals WHERE sha256 = ?",
                                   (f["sha256"],)).fetchall()
            assert len(arrivals) == 2 and {a["submission_id"] for a in arrivals} == {sub["id"]}
            assert any(a["source_path"] == f["path"] for a in arrivals)
        else:
            assert sub["status"] == f["expected_status"], (f["path"], sub["reason"])
            assert bool(sub["late"]) == f["expected_late"], f["path"]
        seen_status.add(f["expected_status"])
        for flaw in f["flaws"]:
            if flaw["step"] == "intake" and flaw["expect_code"]:
                if f["expected_status"] == "duplicate":
                    continue
                codes = {r[0] for r in con.execute(
                    "SELECT code FROM problems WHERE submission_id = ?", (sub["id"],))}
                assert flaw["expect_code"] in codes, (f["path"], flaw)
    # the demo exercises every outcome
    assert {"accepted", "rejected", "quarantined", "superseded", "duplicate"} <= seen_status
    assert con.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == len(
        {f["sha256"] for f in files})
    con.close()


def test_demo_status_json_matches_the_manifest(demo_ran):  # noqa: F811
    root, _output, _code = demo_ran
    files = manifest(root)["files"]
    con = sqlite3.connect(root / "state" / "ledger.sqlite")
    con.row_factory = sqlite3.Row
    runner = CliRunner()
    for quarter in (1, 2):
        result = runner.invoke(main, ["status", "--fy", "2568", "--quarter", str(quarter),
                                      "--json", "--workspace", str(root)])
        assert result.exit_code == 0, result.output
        rows = {r["agency_code"]: r for r in json.loads(result.output)}
        checked = 0
        for f in files:
            if f["quarter"] != quarter or f["expected_status"] != "accepted":
                continue
            sub = _submission(con, f["sha256"])
            row = rows[f["agency_code"]]
            assert row["submission_id"] == sub["id"], f["path"]
            assert row["state"] == ("late" if f["expected_late"] else "on_time"), f["path"]
            checked += 1
        assert checked > 50
        accepted_agencies = {f["agency_code"] for f in files
                             if f["quarter"] == quarter and f["expected_status"] == "accepted"}
        for f in files:
            if (f["quarter"] == quarter and f["expected_status"] == "rejected"
                    and f["agency_code"] not in accepted_agencies):
                assert rows[f["agency_code"]]["state"] == "rejected", f["path"]
    con.close()


def test_demo_outbox_is_complete(demo_ran):  # noqa: F811
    root, _output, _code = demo_ran
    outbox = root / "outbox"
    for q in (1, 2):
        assert (outbox / "2568" / f"Q{q}" / f"rollup-2568-Q{q}.xlsx").stat().st_size > 5000
    assert (outbox / "2568" / "annual" / "annual-2568.xlsx").exists()
    assert (outbox / "status.html").exists()
    con = sqlite3.connect(root / "state" / "ledger.sqlite")
    rejected = con.execute("SELECT sha256, agency_code, feedback_path, sender FROM submissions "
                           "WHERE status IN ('rejected', 'quarantined')").fetchall()
    assert rejected
    for sha, agency, feedback, sender in rejected:
        if feedback:  # a workbook we could read: its annotated copy is there
            assert (outbox / feedback).exists()
        if sender:
            assert (outbox / "replies" / f"{sha[:12]}-{agency or 'unknown'}.eml").exists()
    runs = list((outbox / "runs").glob("*.json"))
    assert len(runs) == 1
    assert json.loads(runs[0].read_text("utf-8"))["counts"]["files"] == len(manifest(root)["files"])
    con.close()
