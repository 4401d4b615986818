"""One bad file never stops a night, and never stops the next one.

A night with files that kill their reader (through the test-only hook
EDUROLLUP_CHILD_FAULT: an abort, a pyo3-style panic and a hang in the child) among good ones exits
0, decides every file, writes the roll-ups, and records the killers as poison; the same
night with worker processes records exactly the same. A file that was being parsed when
two runs were killed (kill -9 of the real process) is quarantined by its SHA-256 and not
parsed by the next night, until `edurollup release` lets it be read again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import time

import pytest
from click.testing import CliRunner
from run_helpers import subprocess_run
from test_parallel_run_matches_serial import _inbox_files, _ledger, _night

from pipeline import parallel
from pipeline.cli import main
from pipeline.workspace import Workspace


def _with_killers(plan) -> dict[str, bytes]:
    """The night's files, two resubmissions renamed so that the hook kills their reader."""
    files = _inbox_files(plan)
    resent = sorted(n for n in files if "แก้ไข" in n)
    for name, kind in zip(resent[:3], ("abort", "panic", "hang"), strict=True):
        files[name.replace(".xlsx", f"-{kind}-boom.xlsx")] = files.pop(name)
    return files


def _rows(ws: Workspace, sql: str) -> list[tuple]:
    db = sqlite3.connect(ws.ledger_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.mark.slow
def test_a_night_with_reader_killers_decides_every_file(tmp_path, small_plan, monkeypatch):
    files = _with_killers(small_plan)
    killers = {n: hashlib.sha256(b).hexdigest() for n, b in files.items() if "-boom" in n}
    monkeypatch.setenv("EDUROLLUP_CHILD_FAULT",
                       "abort:abort-boom,panic:panic-boom,hang:hang-boom")
    monkeypatch.setenv("EDUROLLUP_CHILD_SECONDS", "2")  # a hung reader is killed after 3 s
    monkeypatch.setattr(parallel, "MIN_FILES", 2)  # workers even for this small night

    monkeypatch.setenv("EDUROLLUP_WORKERS", "2")
    ws = _night(tmp_path / "workers", small_plan, files)  # asserts exit code 0
    with_workers = _ledger(ws)
    monkeypatch.setenv("EDUROLLUP_WORKERS", "0")
    alone = _ledger(_night(tmp_path / "alone", small_plan, files))
    assert with_workers == alone  # the same decisions, problems and feedback files

    statuses = {name: status for name, status, *_ in alone["submissions"]}
    assert set(statuses) == set(files), "every file is decided"
    for name in killers:
        assert statuses[name] == "rejected"
    codes = {}
    for name, code, _sheet, _cell in alone["problems"]:
        codes.setdefault(name, []).append(code)
    for name in killers:
        death = "file.timeout" if "hang" in name else "file.reader-crashed"
        assert codes[name] == sorted(["file.poison-quarantined", death]), codes[name]
    assert sum(1 for s in statuses.values() if s in ("accepted", "superseded")) \
        == len(files) - len(killers) - 1  # the one flawed file is rejected as before
    # the roll-ups are written, and the killers were quarantined by their SHA-256
    assert list((ws.outbox / "2568" / "Q1").glob("rollup-2568-Q1.xlsx"))
    quarantined = _rows(ws, "SELECT sha256, deaths, last_code FROM parse_deaths "
                            "WHERE quarantined_at IS NOT NULL ORDER BY sha256")
    assert quarantined == sorted(
        (sha, 2, "file.timeout" if "hang" in name else "file.reader-crashed")
        for name, sha in killers.items())
    # their feedback workbooks exist (the problems sheet: the file is not opened again)
    feedback = {p.name for p in ws.feedback_dir.glob("*.xlsx")}
    for name, sha in killers.items():
        assert any(f.startswith(sha[:12]) for f in feedback), name
    assert not list((ws.state / "parsing").iterdir()), "markers are removed after a night"


def _kill_while_parsing(ws: Workspace, sha: str) -> None:
    """Start a real run, wait until its reader child is on ``sha``, kill -9 the run."""
    proc = subprocess_run(ws, env={"EDUROLLUP_CHILD_FAULT": "hang:hang-boom",
                                   "EDUROLLUP_WORKERS": "0"}, wait=False)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            folder = ws.state / "parsing"
            if folder.is_dir() and any(  # this run's child's marker names the file
                    m.read_bytes().startswith(sha.encode()) for m in folder.iterdir()
                    if m.name.startswith(f"{proc.pid}-") and not m.name.endswith(".err")):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            raise AssertionError("the run never started parsing the file")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_a_file_that_killed_two_runs_is_not_parsed_again_until_released(tmp_path, small_plan):
    files = {n: b for n, b in sorted(_inbox_files(small_plan).items())[:6]}
    hang_name = next(n for n in files if "แก้ไข" in n)
    data = files.pop(hang_name)
    files[hang_name.replace(".xlsx", "-hang-boom.xlsx")] = data
    sha = hashlib.sha256(data).hexdigest()
    ws = Workspace.open(tmp_path)
    ws.ensure()
    (tmp_path / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = true\n", "utf-8")
    ws = Workspace.open(tmp_path)
    from pipeline.plan_workbook import write_plan

    write_plan(small_plan, ws.plan_file(2568))
    for i, (name, body) in enumerate(sorted(files.items())):
        (ws.inbox / name).write_bytes(body)
        os.utime(ws.inbox / name, (1_736_000_000 + 60 * i,) * 2)

    _kill_while_parsing(ws, sha)
    _kill_while_parsing(ws, sha)  # the second run counted the first's death: one more

    # the third night: the file would abort its reader if it were parsed again
    done = subprocess_run(ws, env={"EDUROLLUP_CHILD_FAULT": "abort:hang-boom"})
    assert done.returncode == 0, done.stderr
    deaths = _rows(ws, f"SELECT deaths, quarantined_at IS NOT NULL, last_detail "
                       f"FROM parse_deaths WHERE sha256 = '{sha}'")
    assert deaths == [(2, 1, "a run stopped while reading this file")], deaths
    (sub,) = _rows(ws, f"SELECT id, status FROM submissions WHERE sha256 = '{sha}'")
    assert sub[1] == "rejected"
    assert [c for (c,) in _rows(ws, f"SELECT code FROM problems WHERE submission_id = {sub[0]} "
                                    "ORDER BY id")] == ["file.reader-crashed",
                                                        "file.poison-quarantined"]
    decided = _rows(ws, "SELECT COUNT(*) FROM submissions")[0][0]
    assert decided == len(files), "every other file was decided as usual"
    assert list((ws.outbox / "2568" / "Q1").glob("rollup-2568-Q1.xlsx"))

    # the office lists it and releases it; the next night reads it again (now unharmed)
    listed = CliRunner().invoke(main, ["release", "--workspace", str(ws.root)])
    assert listed.exit_code == 0 and sha in listed.output, listed.output
    wrong = CliRunner().invoke(main, ["release", "0" * 64, "--workspace", str(ws.root)])
    assert wrong.exit_code == 1
    released = CliRunner().invoke(main, ["release", sha[:12], "--workspace", str(ws.root)])
    assert released.exit_code == 0 and sha in released.output, released.output
    again = subprocess_run(ws)
    assert again.returncode == 0, again.stderr
    assert _rows(ws, f"SELECT status FROM submissions WHERE sha256 = '{sha}'") in (
        [("accepted",)], [("superseded",)])
    assert _rows(ws, f"SELECT deaths, quarantined_at FROM parse_deaths "
                     f"WHERE sha256 = '{sha}'") == [(0, None)]
    assert _rows(ws, "SELECT COUNT(*) FROM submissions")[0][0] == len(files)
