"""Slow steps show progress on a terminal and stay quiet for cron, pipes and logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from run_helpers import REPO, small_workspace


def _template_all(ws, out, stderr) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "template", "--fy", "2568", "--quarter", "1", "--all",
         "--out", str(out), "--workspace", str(ws.root)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, timeout=300,
        env={**os.environ, "COLUMNS": "100"})


def test_template_all_shows_progress_only_on_a_terminal(tmp_path):
    ws, _ = small_workspace(tmp_path / "ws")
    piped = _template_all(ws, tmp_path / "a", subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == b""  # quiet off a terminal
    assert "wrote 5 templates" in piped.stdout.decode()

    leader, follower = pty.openpty()
    try:
        on_tty = _template_all(ws, tmp_path / "b", follower)
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert on_tty.returncode == 0
    text = seen.decode("utf-8", "replace")
    assert "writing templates" in text and "100%" in text
