"""Read and validate the night's workbooks on every core, a little ahead of the serial loop.

Why: reading + normalising + validating is ~2/3 of a cold run's time and depends only on
the file and the plan, so it parallelises; deciding, the feedback copy and the ledger stay
in the run's own process, in arrival order, one ledger transaction per arrival, exactly as
before (crash safety and per-file reporting are unchanged: a worker only computes).

Each worker takes a chunk of files, reads them, picks each file's plan the way the run
does, and validates the whole chunk with ``validate.validate_workbooks`` (one pandera call
per sheet for the chunk; results are per file). It returns the ``FileReport`` and the year
the file claimed; the raw cells stay in the worker.

Safety: workers are *spawned* (not forked), so they do not inherit the run lock's file
descriptor; on Linux each asks the kernel to kill it when the run's process dies
(PR_SET_PDEATHSIG), so a killed run leaves no orphans. Any failure of a worker or of one
file (including a broken plan) makes :meth:`Prevalidator.get` return None, and the run then
does that file itself, the old way, with the old error handling.

Workers: as many as the cores by default; ``EDUROLLUP_WORKERS=N`` sets how many, ``0``
turns them off; small nights (< ``MIN_FILES`` workbooks) never start workers, since
spawning costs ~1-2 s.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

MIN_FILES = 64
CHUNK = 32  # files per task: big enough to batch pandera (~40 % less per file), small enough to spread
AHEAD = 8  # tasks per worker queued ahead of the loop (bounds memory)

_STATE: dict[str, Any] = {}


def workers_wanted(n_files: int) -> int:
    """How many worker processes to use for ``n_files`` workbooks (0 = none).

    Default: as many as the cores (1,000 files on 2 cores: 34.0 s with two workers, 40.3 s
    with one, which then is the bottleneck); ``EDUROLLUP_WORKERS`` overrides (0 = none)."""
    env = os.environ.get("EDUROLLUP_WORKERS", "").strip()
    try:
        wanted = int(env) if env else min(os.cpu_count() or 1, 8)
    except ValueError:
        wanted = 0
    if wanted < 1 or n_files < MIN_FILES or (os.cpu_count() or 1) < 2 and not env:
        return 0
    return min(wanted, 8)


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _init(root: str, parent: int) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the run died before we armed the signal
        os._exit(1)
    from .workspace import Workspace

    _STATE["ws"] = Workspace.open(Path(root))


def _check(items: list[tuple[str, str, str]]) -> list[tuple[str, Any, int | None] | None]:
    """Read and validate one chunk: (sha256, path, display name) -> (sha, report, year)."""
    from .read import read_workbook
    from .run import PlanBroken, Plans, _fiscal_year_of
    from .validate import validate_workbooks

    out: list[tuple[str, Any, int | None] | None] = [None] * len(items)
    if _STATE.get("broken"):
        return out  # a plan does not load: the run will say so on its first file
    plans = _STATE.get("plans")
    if plans is None:
        plans = _STATE["plans"] = Plans(_STATE["ws"])
    todo: list[tuple[int, Any, Any, int | None]] = []
    for i, (_sha, path, name) in enumerate(items):
        try:
            raw = read_workbook(Path(path), display_name=name)
            year = _fiscal_year_of(raw, plans)
            todo.append((i, raw, plans.get(year), year))
        except PlanBroken:  # do not reload a broken plan for every file
            _STATE["broken"] = True
            return out
        except Exception:  # noqa: BLE001 - the run redoes this file itself
            continue
    try:
        reports = validate_workbooks([(raw, plan) for _i, raw, plan, _y in todo])
    except Exception:  # noqa: BLE001
        return out
    for (i, _raw, _plan, year), report in zip(todo, reports, strict=True):
        out[i] = (items[i][0], report, year)
    return out


class Prevalidator:
    """Reports for upcoming workbooks, computed by worker processes in arrival order.

    ``get(sha)`` blocks until that file's chunk is done; None means "do it yourself"."""

    def __init__(self, root: Path, files: Iterable[tuple[str, Path, str]], workers: int) -> None:
        seen: set[str] = set()
        items = []
        for sha, path, name in files:
            if sha not in seen:
                seen.add(sha)
                items.append((sha, str(path), name))
        self.chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
        self.where = {sha: k for k, chunk in enumerate(self.chunks) for sha, _p, _n in chunk}
        self.futures: dict[int, Future[Any]] = {}
        self.results: dict[str, tuple[Any, int | None]] = {}
        self.next = 0
        self.ahead = max(1, workers * AHEAD)
        self.pool: ProcessPoolExecutor | None = None
        try:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                                            initargs=(str(root), os.getpid()))
            self._fill(0)
        except Exception:  # noqa: BLE001 - no processes here: the run works alone
            self.close()

    def _fill(self, upto: int) -> None:
        if self.pool is None:
            return
        while self.next < len(self.chunks) and self.next <= upto + self.ahead:
            self.futures[self.next] = self.pool.submit(_check, self.chunks[self.next])
            self.next += 1

    def get(self, sha: str) -> tuple[Any, int | None] | None:
        """(FileReport, year the file claims) for ``sha``, or None."""
        if sha in self.results:
            return self.results.pop(sha)
        k = self.where.get(sha)
        if k is None or self.pool is None:
            return None
        try:
            self._fill(k)
            fut = self.futures.pop(k, None)
            if fut is None:
                return None
            for item in fut.result():
                if item is not None:
                    self.results[item[0]] = (item[1], item[2])
        except Exception:  # noqa: BLE001 - a broken pool: the run carries on alone
            self.close()
            return None
        return self.results.pop(sha, None)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.futures.clear()
        self.results.clear()

    def __enter__(self) -> Prevalidator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
