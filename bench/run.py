"""Benchmark: the product against a bare calamine read and the naive pandas+pandera stack.

    python bench/run.py                  # N = 1,000 then 30,000
    python bench/run.py --n 1000         # one size (what `make bench N=1000` runs)
    python bench/run.py --n 20 --quick   # a smoke run (small naive sample)
    python bench/run.py --n 30000 --flaw-share 0.2   # a first round: 20 % rejected

For each N, on the same synthetic corpus (``bench/synth.py``, cached under bench/work/):

- floor: python-calamine opening each workbook and reading exactly the sheets the template
  has (cover, budget, indicators, the stamp), every file;
- naive: ``pandas.read_excel`` with its default engine (openpyxl) for those sheets, then the
  schemas' pandera models, one file at a time, on a deterministic sample (the naive stack
  needs ~20-40 ms per file; 30,000 files would take 15+ minutes and say nothing more);
- product: ``edurollup run`` cold on an empty ledger (timed per step, see bench/steps.py),
  then a rerun with nothing new, then a run with 1 % resubmitted files (timed per step
  too), then ``edurollup report`` for the quarter alone; each in its own process, with its
  peak RSS. The rerun and the report run the real ``python -m pipeline`` command (an idle
  night must not pay for the timer's imports).

Prints one table and writes ``bench/results/latest.json`` (and ``n<N>.json`` per size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import synth  # noqa: E402

RESULTS = HERE / "results"
PY = sys.executable
EDUROLLUP = [PY, "-m", "pipeline"]
FY = 2568
NAIVE_SAMPLE = 300
TIME = "/usr/bin/time"
GOALS = {"ratio_to_floor": 3.0, "naive_speedup": 10.0, "cold_s_30000": 60.0, "rerun_s": 2.0,
         "incremental_s": 5.0, "report_s_30000": 30.0, "peak_rss_mb": 1024.0}


# ---- measuring a child process ----------------------------------------------------------------
def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (kB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", "rb") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time, exit code, peak RSS of the process (and its waited-for children, the
    kernel's ru_maxrss) and the peak of the whole process tree's summed RSS (sampled every
    20 ms: a process pool's workers together)."""
    timefile = None
    if Path(TIME).exists():
        # GNU time forks the command from a small process: the child's ru_maxrss would
        # otherwise start at this (pandas-laden) process's RSS, copied at fork
        fd, timefile = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        cmd = [TIME, "-o", timefile, "-f", "%M", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out_chunks = []
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(65536), b""):
        out_chunks.append(chunk)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss_kb = usage.ru_maxrss
    if timefile is not None:
        try:
            maxrss_kb = int(Path(timefile).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        Path(timefile).unlink(missing_ok=True)
    return {"wall_s": round(wall, 3), "exit_code": proc.returncode,
            "max_rss_mb": round(maxrss_kb / 1024, 1),
            "tree_rss_mb": round(max(peak[0], maxrss_kb) / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "output": b"".join(out_chunks).decode("utf-8", "replace")[-2000:]}


# ---- the floor and the naive stack --------------------------------------------------------------
def floor(paths: list[Path]) -> dict[str, Any]:
    """A bare python-calamine read of the template's four sheets, per workbook."""
    from python_calamine import CalamineWorkbook

    import schemas

    names = [s.name for s in schemas.SUBMISSION_SHEETS] + [schemas.STAMP_SHEET]
    cells = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        wb = CalamineWorkbook.from_path(str(p))
        for name in names:
            rows = wb.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
        wb.close()
    s, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"files": len(paths), "seconds": round(s, 3),
            "ms_per_workbook": round(1000 * s / len(paths), 3),
            "cpu_ms_per_workbook": round(1000 * cpu / len(paths), 3), "cells": cells}


def _naive_frame(df: Any, spec: Any) -> Any:
    """The sheet's columns renamed to the schema's fields and coerced by kind (what a
    hand-written loader does before calling pandera)."""
    import pandas as pd

    by_header = {c.header: c for c in spec.columns}
    df = df.rename(columns={h: c.name for h, c in by_header.items()})
    keep = [c.name for c in spec.columns if c.name in df.columns]
    df = df[keep].dropna(how="all")
    for c in spec.columns:
        if c.name not in df.columns:
            continue
        if c.kind == "money":
            num = pd.to_numeric(df[c.name], errors="coerce")
            df[c.name] = (num * 100).round().astype("Int64")
        elif c.kind in ("number", "percent"):
            df[c.name] = pd.to_numeric(df[c.name], errors="coerce")
        elif c.kind == "int" or (c.kind == "choice" and c.name == "strategy"):
            num = pd.to_numeric(df[c.name].astype(str).str.split(".").str[0], errors="coerce")
            df[c.name] = num.astype("Int64")
        elif c.kind in ("text", "code", "choice", "email"):
            df[c.name] = df[c.name].astype("string")
    return df


def naive(paths: list[Path]) -> dict[str, Any]:
    """pandas.read_excel (default engine: openpyxl) + pandera validation, file by file."""
    import pandas as pd
    import pandera.pandas as pa

    import schemas

    specs = [schemas.BUDGET, schemas.INDICATORS]
    models = {s.key: s.model.to_schema() for s in specs}
    for key, schema in models.items():  # let pandera coerce what the loader left as object
        models[key] = schema.update_columns({c: {"coerce": True} for c in schema.columns})
    failures = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for p in paths:
        frames = pd.read_excel(p, sheet_name=[s.name for s in specs] + [schemas.COVER.name],
                               header=None, engine="openpyxl")  # today's default engine
        for spec in specs:
            raw = frames[spec.name]
            df = raw.iloc[spec.header_row:].copy()
            df.columns = list(raw.iloc[spec.header_row - 1])
            try:
                models[spec.key].validate(_naive_frame(df, spec), lazy=True)
            except (pa.errors.SchemaErrors, pa.errors.SchemaError, ValueError, TypeError):
                failures += 1
    s, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"files": len(paths), "seconds": round(s, 3),
            "ms_per_workbook": round(1000 * s / len(paths), 3),
            "cpu_ms_per_workbook": round(1000 * cpu / len(paths), 3), "sheets_failing": failures}


# ---- the product --------------------------------------------------------------------------------
def _runs(ws: Path) -> list[dict[str, Any]]:
    out = []
    for p in sorted((ws / "outbox" / "runs").glob("*.json")):
        try:
            out.append(json.loads(p.read_text("utf-8")))
        except ValueError:
            continue
    return out


def product(corpus: synth.Corpus, log: Any, src: Path = ROOT) -> dict[str, Any]:
    """The four product runs; ``src`` is the checkout whose ``pipeline`` runs (a copy with
    a change, to measure before and after on the same corpus)."""
    ws = synth.fresh_workspace(corpus)
    env = dict(os.environ)
    if src != ROOT:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("EDUROLLUP_CRASH_AT", None)
    env.pop("EDUROLLUP_PAUSE_AT", None)
    steps_file = corpus.root / "steps.json"
    res: dict[str, Any] = {"workspace": str(ws)}

    log("  product: cold run (empty ledger) ...")
    res["cold"] = measure([PY, str(HERE / "steps.py"), str(ws), str(steps_file)], cwd=src, env=env)
    res["cold"]["steps"] = json.loads(steps_file.read_text("utf-8"))
    runs = _runs(ws)
    if runs:
        res["cold"]["counts"] = runs[-1].get("counts")
        res["cold"]["run_report_seconds"] = runs[-1].get("seconds")
        if "timings" in runs[-1]:
            res["cold"]["run_report_timings"] = runs[-1]["timings"]

    log("  product: rerun with nothing new ...")
    res["rerun"] = measure([*EDUROLLUP, "run", "--workspace", str(ws), "--quiet"], cwd=src, env=env)

    n_new = synth.drop_resubmissions(corpus, ws)
    log(f"  product: run with {n_new} resubmitted files ...")
    before = len(_runs(ws))
    inc_steps = corpus.root / "steps-incremental.json"
    res["incremental"] = measure([PY, str(HERE / "steps.py"), str(ws), str(inc_steps)], cwd=src,
                                 env=env)
    res["incremental"]["steps"] = json.loads(inc_steps.read_text("utf-8"))
    res["incremental"]["files"] = n_new
    runs = _runs(ws)
    if len(runs) > before:
        res["incremental"]["counts"] = runs[-1].get("counts")
        if "timings" in runs[-1]:
            res["incremental"]["run_report_timings"] = runs[-1]["timings"]

    log("  product: edurollup report (quarter roll-up alone) ...")
    res["report"] = measure([*EDUROLLUP, "report", "--fy", str(FY), "--quarter", str(synth.QUARTER),
                             "--workspace", str(ws)], cwd=src, env=env)
    rollups = sorted((ws / "outbox").rglob("*.xlsx"))
    res["rollup_files"] = [str(p.relative_to(ws)) for p in rollups
                           if "feedback" not in p.parts][:10]
    return res


# ---- one size -------------------------------------------------------------------------------------
def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_mb": mem, "python": platform.python_version(),
            "os": platform.platform(), "load_avg_start": list(os.getloadavg())}


def bench_one(n: int, seed: int, quick: bool, naive_sample: int, log: Any,
              work: Path = synth.WORK, skip_product: bool = False,
              src: Path = ROOT, flaw_share: float = synth.FLAW_SHARE) -> dict[str, Any]:
    log(f"N = {n:,}: corpus (cached under {work}) ...")
    t0 = time.perf_counter()
    corpus = synth.build_corpus(n, seed, log=log, work=work, bases_wanted=4 if quick else None,
                                flaw_share=flaw_share)
    gen_s = time.perf_counter() - t0
    machine = _machine()
    log(f"  floor: calamine over {n:,} files ...")
    fl = floor(corpus.files)
    k = min(n, naive_sample if not quick else min(naive_sample, 5))
    sample = sorted(random.Random(seed).sample(corpus.files, k))
    log(f"  naive: read_excel(openpyxl) + pandera over a sample of {k} files ...")
    nv = naive(sample)
    if skip_product:
        return {"n": n, "seed": seed, "skip_product": True, "machine": machine,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "floor_ms_per_workbook": fl["ms_per_workbook"],
                "naive_ms_per_workbook": nv["ms_per_workbook"], "naive_sample": k,
                "floor": fl, "naive": nv}
    prod = product(corpus, log, src)
    machine["load_avg_end"] = list(os.getloadavg())
    cold = prod["cold"]["wall_s"]
    product_ms = 1000 * cold / n
    # the same run up to the moment the last arrival is in the ledger (roll-ups not included)
    ledger_s = prod["cold"]["steps"].get("marks", {}).get("through_ledger_s")
    ledger_ms = 1000 * ledger_s / n if ledger_s else None
    steps = prod["cold"]["steps"]["steps_s"]
    peak = max(prod[k]["tree_rss_mb"] for k in ("cold", "rerun", "incremental", "report"))
    return {
        "n": n, "seed": seed, "quick": quick, "product_src": str(src),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "corpus": {"files": len(corpus.files), "flawed": len(corpus.flawed),
                   "flaw_share": flaw_share,
                   "resubmissions": len(corpus.resubmissions), "delivery": "dropped files",
                   "generated_s": round(corpus.generate_s, 1), "this_run_s": round(gen_s, 1)},
        "floor_ms_per_workbook": fl["ms_per_workbook"],
        "naive_ms_per_workbook": nv["ms_per_workbook"],
        "naive_sample": k,
        "product_ms_per_workbook": round(product_ms, 3),
        "ratio_to_floor": round(product_ms / fl["ms_per_workbook"], 2),
        "ratio_to_naive": round(product_ms / nv["ms_per_workbook"], 3),
        "naive_speedup": round(nv["ms_per_workbook"] / product_ms, 2),
        # wall time up to the last arrival recorded (the roll-ups, written once a night
        # whatever N, excluded): "end to end through the ledger" in the words
        "through_ledger": None if ledger_ms is None else {
            "s": ledger_s, "ms_per_workbook": round(ledger_ms, 3),
            "ratio_to_floor": round(ledger_ms / fl["ms_per_workbook"], 2),
            "naive_speedup": round(nv["ms_per_workbook"] / ledger_ms, 2)},
        # CPU time (user+sys, workers included) per workbook: what a loaded machine distorts least
        "cpu_ms_per_workbook": {
            "floor": fl["cpu_ms_per_workbook"], "naive": nv["cpu_ms_per_workbook"],
            "product": round(1000 * prod["cold"]["cpu_s"] / n, 3)},
        "cold_s": cold,
        "rerun_s": prod["rerun"]["wall_s"],
        "incremental_s": prod["incremental"]["wall_s"],
        "report_s": prod["report"]["wall_s"],
        "peak_rss_mb": peak,
        "steps_s": steps,
        "steps_ms_per_workbook": {k: round(1000 * v / n, 3) for k, v in steps.items()},
        # CPU seconds by step over every process of the cold run (workers and feedback
        # process included; bench/steps.py): adds up to the run's CPU
        "cpu_by_step_s": prod["cold"]["steps"].get("cpu_by_step_s"),
        "rss_mb": {k: {"process": prod[k]["max_rss_mb"], "tree": prod[k]["tree_rss_mb"]}
                   for k in ("cold", "rerun", "incremental", "report")},
        "exit_codes": {k: prod[k]["exit_code"] for k in ("cold", "rerun", "incremental", "report")},
        "floor": fl, "naive": nv, "product": prod,
    }


def table(r: dict[str, Any]) -> str:
    n = r["n"]
    rows = [
        ("floor: calamine read, 4 sheets", r["floor"]["seconds"], r["floor_ms_per_workbook"],
         "", "", ""),
        (f"naive: read_excel+pandera ({r['naive_sample']} files)",
         r["naive_ms_per_workbook"] * n / 1000, r["naive_ms_per_workbook"], "", "", "(extrapolated)"),
        ("product: run, cold", r["cold_s"], r["product_ms_per_workbook"],
         r["ratio_to_floor"], r["ratio_to_naive"], r["rss_mb"]["cold"]["tree"]),
        ("product: rerun, nothing new", r["rerun_s"], None, "", "", r["rss_mb"]["rerun"]["tree"]),
        (f"product: run, {r['corpus']['resubmissions']} resubmitted", r["incremental_s"],
         None, "", "", r["rss_mb"]["incremental"]["tree"]),
        ("product: report (quarter roll-up)", r["report_s"], None, "", "",
         r["rss_mb"]["report"]["tree"]),
    ]
    out = [f"\nN = {n:,} workbooks  ({r['machine']['cores']} cores, {r['machine']['cpu']}; "
           f"load {r['machine']['load_avg_start'][0]:.1f} -> {r['machine']['load_avg_end'][0]:.1f})",
           f"{'step':44} {'seconds':>9} {'ms/wb':>8} {'x floor':>8} {'x naive':>8} {'peak RSS MB':>12}"]
    for name, s, ms, xf, xn, rss in rows:
        ms_t = f"{ms:8.2f}" if ms is not None else f"{'':8}"
        out.append(f"{name:44} {s:9.2f} {ms_t} {xf!s:>8} {xn!s:>8} {rss!s:>12}")
    out.append("cold run by step (s, exclusive): " + ", ".join(
        f"{k} {v:.2f}" for k, v in sorted(r["steps_s"].items(), key=lambda kv: -kv[1])))
    main_cpu = r["product"]["cold"]["steps"].get("steps_cpu_s")
    if main_cpu:  # older checkouts' runs (--product-src) do not say
        out.append("cold run, the run's main thread CPU by step (s, exclusive): " + ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(main_cpu.items(), key=lambda kv: -kv[1])))
    whole = r.get("cpu_by_step_s")
    if whole:  # older checkouts' runs do not say
        roles = r["product"]["cold"]["steps"].get("processes", {})
        who = " + ".join(f"{v['processes']} {k}" for k, v in roles.items())
        out.append(f"cold run CPU by step, every process (the run{' + ' + who if who else ''}; "
                   "s, exclusive): " + ", ".join(
                       f"{k} {v:.2f}" for k, v in whole.items() if v >= 0.01))
        if roles:  # CPU well below the time alive: the process waited (for a core, the disk)
            out.append("cold run, spawned processes: " + "; ".join(
                f"{v['processes']} {k}: CPU {v['cpu_s']:.1f} s of {v.get('alive_s', 0):.1f} s alive"
                for k, v in roles.items()))
    inc = r["product"]["incremental"]["steps"]["steps_s"]
    out.append("1 % run by step (s, exclusive): " + ", ".join(
        f"{k} {v:.2f}" for k, v in sorted(inc.items(), key=lambda kv: -kv[1]) if v >= 0.01))
    cpu = r["cpu_ms_per_workbook"]
    out.append(f"CPU ms per workbook: floor {cpu['floor']}, naive {cpu['naive']}, "
               f"product {cpu['product']} (cold run, workers included)")
    tl = r.get("through_ledger")
    if tl:
        out.append(f"cold run up to the last arrival in the ledger (before the roll-ups): "
                   f"{tl['s']:.2f} s, {tl['ms_per_workbook']:.2f} ms/wb, "
                   f"{tl['ratio_to_floor']}x floor, naive {tl['naive_speedup']}x slower")
    split = r["product"]["cold"]["steps"].get("cpu_s")
    if split:
        out.append(f"cold run CPU s: the run's own process {split['run_process']}, "
                   f"workers {split['workers']}")
    out.append(f"naive is {r['naive_speedup']}x slower than the product per workbook; "
               f"peak RSS of any step {r['peak_rss_mb']} MB")
    bad = {k: v for k, v in r["exit_codes"].items() if v}
    if bad:
        out.append(f"NON-ZERO EXIT CODES: {bad}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 30000],
                    help="agencies/workbooks; a comma list runs several sizes (default 1000,30000)")
    ap.add_argument("--seed", type=int, default=2568)
    ap.add_argument("--quick", action="store_true", help="small naive sample (smoke runs)")
    ap.add_argument("--naive-sample", type=int, default=NAIVE_SAMPLE)
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    ap.add_argument("--product-src", type=Path, default=ROOT,
                    help="run the pipeline package of another checkout (before/after a change)")
    ap.add_argument("--skip-product", action="store_true",
                    help="corpus, floor and naive only (when the product runs would not fit)")
    ap.add_argument("--flaw-share", type=float, default=synth.FLAW_SHARE,
                    help="share of files rejected, each owed a feedback workbook (default "
                         f"{synth.FLAW_SHARE}; a first round rejects far more)")
    ap.add_argument("--work", type=Path, default=synth.WORK,
                    help="where corpora and workspaces are cached (default bench/work/)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    results = []
    for n in args.n:
        r = bench_one(n, args.seed, args.quick, args.naive_sample, log, args.work,
                      args.skip_product, args.product_src.resolve(), args.flaw_share)
        if args.skip_product:
            print(json.dumps({k: r[k] for k in ("n", "floor_ms_per_workbook",
                                                "naive_ms_per_workbook")}), flush=True)
            (RESULTS / f"n{n}-floor-naive.json").write_text(json.dumps(r, indent=1), "utf-8")
            continue
        results.append(r)
        print(table(r), flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        if args.out == RESULTS / "latest.json":
            (RESULTS / f"n{n}{synth.flaw_tag(args.flaw_share)}.json").write_text(json.dumps(r, indent=1, ensure_ascii=False), "utf-8")
    if not results:
        return 0
    latest = dict(results[-1])
    latest["sizes"] = [{k: r[k] for k in (
        "n", "floor_ms_per_workbook", "naive_ms_per_workbook", "product_ms_per_workbook",
        "ratio_to_floor", "ratio_to_naive", "cold_s", "rerun_s", "incremental_s", "report_s",
        "peak_rss_mb")} for r in results]
    latest["goals"] = GOALS
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(latest, indent=1, ensure_ascii=False), "utf-8")
    print(f"\nwritten: {args.out}")
    return 0 if all(not any(r["exit_codes"].values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
