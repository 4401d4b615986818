"""The benchmark harness runs end to end at a tiny size and writes every key it promises."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("n", "floor_ms_per_workbook", "naive_ms_per_workbook", "product_ms_per_workbook",
        "ratio_to_floor", "ratio_to_naive", "cold_s", "rerun_s", "incremental_s", "report_s",
        "peak_rss_mb")


@pytest.mark.slow
def test_bench_small_run_writes_all_keys(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--n", "20", "--quick",
         "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text("utf-8"))
    assert result["n"] == 20
    for key in KEYS:
        assert isinstance(result[key], (int, float)) and result[key] > 0, (key, result[key])
    # every product step ran and exited 0; the cold run imported (or rejected) all 20 files
    assert result["exit_codes"] == {"cold": 0, "rerun": 0, "incremental": 0, "report": 0}
    counts = result["product"]["cold"]["counts"]
    assert counts["imported"] + counts["rejected"] == 20
    assert counts["rejected"] == result["corpus"]["flawed"] == 1
    # the step split covers the run: its parts add up to the cold run's wall time
    steps = result["product"]["cold"]["steps"]
    assert abs(sum(steps["steps_s"].values()) - steps["wall_s"]) < 0.05
    assert steps["steps_s"]["read"] > 0 and steps["steps_s"]["validate"] > 0
    # and the CPU split by step, over every process, adds up to the run's CPU
    whole = result["cpu_by_step_s"]
    assert whole == steps["cpu_by_step_s"] and whole["read"] > 0 and whole["write"] > 0
    cpu = steps["cpu_s"]["run_process"] + steps["cpu_s"]["workers"]
    assert abs(sum(whole.values()) - cpu) < 0.02 * len(whole), (whole, cpu)
    # the printed table names the three stacks
    assert "floor" in proc.stdout and "naive" in proc.stdout and "product" in proc.stdout
    assert "cold run CPU by step, every process" in proc.stdout


@pytest.mark.slow
def test_bench_flaw_share_rejects_that_share(tmp_path: Path) -> None:
    """--flaw-share: a first round's many rejections (each owed a feedback workbook)."""
    out = tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--n", "20", "--quick",
         "--flaw-share", "0.25", "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text("utf-8"))
    assert result["corpus"]["flawed"] == 5 and result["corpus"]["flaw_share"] == 0.25
    counts = result["product"]["cold"]["counts"]
    assert counts["rejected"] == 5 and counts["imported"] == 15
    ws = Path(result["product"]["workspace"])
    assert len(list((ws / "outbox" / "feedback").glob("*-feedback.xlsx"))) == 5
    assert (tmp_path / "work" / "n20-s2568-b4-f0.25" / "meta.json").is_file()
