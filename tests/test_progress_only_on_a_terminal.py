"""Slow steps show progress on a terminal and stay quiet for cron, pipes and logs."""

from __future__ import annotations

import os
import pty
import re
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


def test_demo_build_shows_progress_only_on_a_terminal(tmp_path):
    piped = subprocess.run(
        [sys.executable, "-m", "pipeline", "demo", "--no-run", "--workspace",
         str(tmp_path / "piped")], cwd=REPO, capture_output=True, timeout=600,
        env={**os.environ, "COLUMNS": "100"})
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == b""  # quiet off a terminal
    assert "demo workspace built" in piped.stdout.decode()

    # read the terminal while the build runs: a bar redrawn hundreds of times fills the
    # pty's buffer, and a child blocked on a full terminal never finishes
    leader, follower = pty.openpty()
    seen = b""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "demo", "--no-run", "--workspace",
             str(tmp_path / "tty")], cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower,
            env={**os.environ, "COLUMNS": "100"})
        os.close(follower)
        follower = -1
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        returncode = proc.wait(timeout=600)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert returncode == 0
    text = seen.decode("utf-8", "replace")
    assert "making the reports" in text and "100%" in text
    # it moved: the bar was drawn part way (1-99 %), not only at the end
    assert re.search(r"(?<![0-9])[1-9][0-9]?%", text), text[-2000:]
