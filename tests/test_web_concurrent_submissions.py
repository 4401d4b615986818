"""20 clerks upload and submit at the same moment while the nightly run holds its lock:
every accepted submission ends up in the ledger exactly once (one web arrival, one
submission each), none is lost, and the queue is empty afterwards."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from run_helpers import ledger_rows
from web_helpers import (
    post_form,
    request,
    running_server,
    upload,
    valid_report,
    web_workspace,
    ws_key,
)

from pipeline.web import intake

pytestmark = pytest.mark.slow
PAUSE = 25  # seconds the nightly run holds the lock


def _lock_held(path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_twenty_submissions_during_a_nightly_run_are_recorded_once(tmp_path):
    ws, plan = web_workspace(tmp_path / "ws")
    codes = sorted(plan.agencies)
    files = [(code, seed, valid_report(plan, code, seed, key=ws_key(ws))) for code in codes for seed in (1, 2, 3, 4)]
    assert len(files) == 20
    with running_server(ws, tmp_path) as server:
        env = dict(os.environ, EDUROLLUP_PAUSE_AT=f"after-lock:{PAUSE}")
        nightly = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--quiet",
                                    "--workspace", str(ws.root)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not _lock_held(ws.lock_path):
            assert time.monotonic() < deadline and nightly.poll() is None
            time.sleep(0.05)

        def clerk(item):
            code, seed, data = item
            link = server.link(code)
            status, _h, page = upload(link + "check", f"รายงาน-{seed}.xlsx", data)
            assert status == 200, page[:500]
            assert 'id="submit-form"' in page, page[:2000]
            check_id = re.search(r"/check/([0-9a-f]{32})/submit", page).group(1)
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
            status, headers, _ = post_form(f"{link}check/{check_id}/submit", {"csrf": csrf})
            assert status == 303, status
            assert headers["location"] == f"/a/{link.split('/a/')[1]}receipt/{check_id}"
            return code, check_id, headers["location"]

        with ThreadPoolExecutor(max_workers=20) as pool:
            done = list(pool.map(clerk, files))
        assert _lock_held(ws.lock_path) and nightly.poll() is None  # all while it ran
        assert len(intake.waiting(ws)) == 20  # queued, none recorded yet

        out, _ = nightly.communicate(timeout=300)
        assert nightly.returncode == 0, out
        deadline = time.monotonic() + 180
        while intake.waiting(ws):
            assert time.monotonic() < deadline, intake.waiting(ws)
            time.sleep(0.5)
        for _code, _check_id, location in done:  # every receipt says recorded
            status, _h, body = request("GET", server.base + location)
            assert status == 200 and 'id="receipt-id"' in body.decode(), body[:800]
        log = server.log_text()

    web = ledger_rows(ws, "SELECT * FROM arrivals WHERE source = 'web'")
    assert len(web) == 20
    assert len({a["source_path"] for a in web}) == 20
    assert sorted(a["source_path"] for a in web) == sorted(
        intake.item_path(ws, c) for _code, c, _loc in done)
    subs = ledger_rows(ws, "SELECT s.* FROM submissions s JOIN arrivals a "
                           "ON a.submission_id = s.id WHERE a.source = 'web'")
    assert len({s["id"] for s in subs}) == 20  # one submission per accepted file
    assert len({s["sha256"] for s in subs}) == 20
    for code in codes:  # the newest counts, the others are kept as superseded
        mine = [s for s in subs if s["agency_code"] == code]
        assert sorted(s["status"] for s in mine) == ["accepted"] + ["superseded"] * 3, mine
        assert {s["sender"] for s in mine} == {code}
    tokens = {server.link(c).split("/a/")[1].strip("/") for c in codes}
    assert not any(t in log for t in tokens)
