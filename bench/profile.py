"""Where the time goes: the nightly run under py-spy, the run's process and its workers.

    python bench/profile.py --n 30000          # what `make profile N=30000` runs
    python bench/profile.py --n 1000 --rate 100

On the benchmark's corpus (``bench/synth.py``, the same cached files ``bench/run.py``
uses) it runs ``edurollup run`` cold on an empty ledger, then the 1 % resubmitted files,
each under ``py-spy record --subprocesses`` (a sampling profiler: the product runs at its
own speed, workers included), and summarises the samples:

- per pipeline step (collect, archive, read, normalise, validate, feedback, ledger,
  consolidate, write, ...): the step is the innermost ``pipeline`` module on the stack, so
  a library's time counts for the step that called it (openpyxl for feedback, xlsxwriter
  for write); "read: calamine" is the reader's sheet reads (the floor's work) apart from
  its own checks;
- the heaviest ``pipeline`` functions, inclusive, per process kind (the run's own
  process, its workers).

py-spy counts a process that is runnable but waiting for a core as busy, so on a
saturated machine the shares are the reliable part; CPU seconds come from ``bench/run.py``.
Writes ``bench/results/profile-n<N>-<run>.txt`` (the summary) and ``.raw`` (py-spy's
collapsed stacks, for a flame graph). Needs py-spy: ``make profile`` installs the
project's ``bench`` extra.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

RESULTS = HERE / "results"

# the innermost pipeline module on a stack names its step (docs/architecture.md); helper
# modules (atomic, model, catalog, calendar, ...) leave the step to their caller
STEP_OF_MODULE = {
    "collect": "collect", "archive": "archive",
    "read": "read", "safety": "read", "normalise": "normalise", "validate": "validate",
    "feedback": "feedback", "decide": "decide", "ledger": "ledger", "ledger_schema": "ledger",
    "consolidate": "consolidate", "rollup": "write", "status_page": "write",
    "replies": "replies", "plan_load": "plan", "plan": "plan", "parallel": "workers (IPC)",
    "run": "run (own code)",
}
# functions whose own samples are python-calamine's work (it has no Python frames)
CALAMINE_CALLERS = {"_Reader.grid"}
_PROCESS = re.compile(r'process \d+:"[^"]*";?')  # a process's label (its command line)
_IPC_FILE = re.compile(r"^(?:futures/process|multiprocessing/\w+)\.py$")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_PIPELINE_FILE = re.compile(r"(?:^|/)pipeline/(\w+)\.py$")


def _frame(text: str) -> tuple[str, str]:
    """(function, short file) of one collapsed-stack frame: ``func (path/to/file.py:12)``."""
    m = _FRAME.match(text)
    if m is None:
        return text, ""
    parts = m["file"].split("/")
    return m["func"], "/".join(parts[-2:])


def summarise(lines: Iterable[str], rate: int, top: int = 25) -> str:
    """The summary table of py-spy's ``--format raw`` output (one ``frames count`` line per
    distinct stack, frames separated by ``;``, the process first)."""
    kinds: Counter[str] = Counter()
    steps: Counter[tuple[str, str]] = Counter()
    inclusive: Counter[tuple[str, str]] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in _PROCESS.sub("", stack).split(";") if f]
        kind = "workers" if any(f.startswith("spawn_main ") for f in frames) else "run"
        kinds[kind] += n
        total += n
        step = "other"
        seen: set[str] = set()
        for text in frames:
            func, file = _frame(text)
            m = _PIPELINE_FILE.search(file)
            if m is None:
                if step == "other" and _IPC_FILE.search(file):
                    step = "workers (IPC)"  # the run's threads that feed and read the pool
                continue
            if m[1] in STEP_OF_MODULE:
                step = STEP_OF_MODULE[m[1]]
            key = f"{func} ({file})"
            if key not in seen:
                seen.add(key)
                inclusive[(kind, key)] += n
        if any("(<frozen importlib._bootstrap" in f for f in frames):
            step = "imports"  # a module loading, whichever step asked for it
        elif frames and _frame(frames[-1])[0] in CALAMINE_CALLERS:
            step = "read: calamine"  # native code: its samples end in the frame that called it
        steps[(kind, step)] += n
    if not total:
        return "no samples\n"
    out = [f"samples: {total:,} at {rate} Hz = {total / rate:,.1f} s busy "
           f"(run {kinds['run'] / rate:,.1f} s, workers {kinds['workers'] / rate:,.1f} s)", ""]
    out.append(f"{'by step':<22}{'run s':>9}{'workers s':>11}{'share':>8}")
    for step in sorted({s for _k, s in steps}, key=lambda s: -(steps[("run", s)]
                                                               + steps[("workers", s)])):
        r, w = steps[("run", step)], steps[("workers", step)]
        out.append(f"{step:<22}{r / rate:>9.1f}{w / rate:>11.1f}{(r + w) / total:>8.1%}")
    for kind in ("run", "workers"):
        if not kinds[kind]:
            continue
        out += ["", f"heaviest pipeline functions, {kind} (inclusive s, share of {kind})"]
        rows = [(k, v) for (kd, k), v in inclusive.items() if kd == kind]
        rows.sort(key=lambda kv: -kv[1])
        for key, v in rows[:top]:
            out.append(f"{v / rate:>8.1f} {v / kinds[kind]:>6.1%}  {key[:110]}")
    return "\n".join(out) + "\n"


def record(cmd: list[str], raw: Path, rate: int, env: dict[str, str]) -> float:
    """Run ``cmd`` under py-spy (workers too); wall seconds."""
    beside = Path(sys.executable).with_name("py-spy")
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: `make profile` installs it "
                         "(pip install -e '.[bench]')")
    t0 = time.perf_counter()
    subprocess.run([spy, "record", "--subprocesses", "--rate", str(rate), "--format", "raw",
                    "--output", str(raw), "--", *cmd], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=30000, help="agencies (default 30,000)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rate", type=int, default=100, help="samples per second (default 100)")
    ap.add_argument("--top", type=int, default=25, help="functions listed per process kind")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    import synth

    corpus = synth.build_corpus(args.n, args.seed) if args.seed is not None \
        else synth.build_corpus(args.n)
    ws = synth.fresh_workspace(corpus, name="profile")
    args.out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipeline", "run", "--quiet", "--workspace", str(ws)]
    for name in ("cold", "incremental"):
        if name == "incremental":
            synth.drop_resubmissions(corpus, ws)
        os.sync()  # the previous step's writes are not this one's
        raw = args.out / f"profile-n{args.n}-{name}.raw"
        wall = record(cmd, raw, args.rate, env)
        with open(raw, encoding="utf-8", errors="replace") as fh:
            text = (f"edurollup run, {name}, N = {args.n:,}: {wall:.1f} s wall under py-spy\n"
                    + summarise(fh, args.rate, args.top))
        (args.out / f"profile-n{args.n}-{name}.txt").write_text(text, "utf-8")
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
