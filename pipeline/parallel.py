"""Read and validate the night's workbooks on every core, a little ahead of the serial loop.

Why: reading + normalising + validating is ~2/3 of a cold run's time and depends only on
the file and the plan, so it parallelises; deciding and the ledger stay in the run's own
process, in arrival order (crash safety and per-file reporting are unchanged: a validating
worker only computes, it writes nothing).

The run starts the workers while it is still collecting (``run._Workers``: as soon as 64 new
workbooks are archived) and hands over each later workbook once its original is archived
(:meth:`Prevalidator.add`), so the workers read and validate while the run archives.
Each worker takes a chunk of files, reads them, picks each file's plan the way the run
does, and validates the whole chunk with ``validate.validate_workbooks`` (one pandera call
per sheet for the chunk; results are per file). It returns the ``FileReport``, the year
the file claimed and, for a file without errors, the ledger rows of its accepted data
(``ledger.data_rows_from_lists``: validated with ``frames=False``, the clean columns as
plain lists straight to tuples, no pandas frames); the report then travels without them.

Feedback workbooks (openpyxl: ~20 ms each, most of a rejected file's cost) are not made
here but after the ledger: the run records what each rejected file is owed
(``Ledger.feedback_owed``) and :class:`FeedbackWriter` makes them in one more spawned
process while the run's own process writes the roll-ups, when one core would otherwise
idle; the run makes what that process has not taken once its own work is done.

The raw cells stay in the worker.

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
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

MIN_FILES = 64
CHUNK = 32  # files per task: big enough to batch pandera (~40 % less per file), small enough to spread
AHEAD = 64  # tasks per worker queued ahead of the loop: lets the workers run ahead while the
# run is still collecting (a 30,000-file night collects for ~10 s), and bounds memory (~1-2 KB
# pickled per waiting result: 4,096 files on 2 workers)

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


def _guard(parent: int) -> None:
    """A spawned process dies with the run (and exits if the run died before it armed)."""
    _die_with_parent()
    if os.getppid() != parent:  # the run died before we armed the signal
        os._exit(1)


def _init(root: str, parent: int) -> None:
    _guard(parent)
    from .workspace import Workspace

    _STATE["ws"] = Workspace.open(Path(root))


def _check(items: list[tuple[str, str, str]]) -> list[tuple[str, Any, int | None, Any] | None]:
    """Read and validate one chunk: (sha256, path, display name) -> (sha, report, year,
    the ledger rows of its accepted data or None)."""
    from .ledger import data_rows_from_lists
    from .read import read_workbook
    from .run import PlanBroken, Plans, _fiscal_year_of
    from .validate import validate_workbooks

    out: list[tuple[str, Any, int | None, Any] | None] = [None] * len(items)
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
    try:  # clean data as plain lists: the ledger rows are built from them, no frames
        reports = validate_workbooks([(raw, plan) for _i, raw, plan, _y in todo], frames=False)
    except Exception:  # noqa: BLE001
        return out
    for (i, _raw, _plan, year), report in zip(todo, reports, strict=True):
        rows = None
        if report.clean_lists is not None:  # clean: its ledger rows, built here, no frames
            try:
                rows = data_rows_from_lists(report.clean_lists, report.cover)
            except Exception:  # noqa: BLE001 - the run does this file itself
                continue
            report = replace(report, clean_lists=None)  # the rows say it all
        out[i] = (items[i][0], report, year, rows)
    return out


class Prevalidator:
    """Reports for upcoming workbooks, computed by worker processes in arrival order.

    ``get(sha)`` blocks until that file's chunk is done; None means "do it yourself".
    ``files``: (sha256, archived path, display name)."""

    def __init__(self, root: Path, files: Iterable[tuple[str, Path | str, str]],
                 workers: int) -> None:
        self.seen: set[str] = set()
        self.pending: list[tuple[str, str, str]] = []  # the next chunk, not yet full
        self.chunks: list[list[tuple[str, str, str]]] = []
        self.where: dict[str, int] = {}
        self.futures: dict[int, Future[Any]] = {}
        self.results: dict[str, tuple[Any, int | None, Any]] = {}
        self.next = 0  # the next chunk to submit
        self.wanted = 0  # the chunk the run waits for (or will wait for first)
        self.ahead = max(1, workers * AHEAD)
        self.pool: ProcessPoolExecutor | None = None
        try:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                                            initargs=(str(root), os.getpid()))
        except Exception:  # noqa: BLE001 - no processes here: the run works alone
            self.close()
        for sha, path, name in files:
            self.add(sha, path, name)
        self.done_adding()

    def add(self, sha: str, path: Path | str, name: str) -> None:
        """One more file, in arrival order; a full chunk goes to the workers at once, so
        they can work while the run is still collecting (they read the archived copy)."""
        if sha in self.seen:
            return
        self.seen.add(sha)
        self.pending.append((sha, str(path), name))
        if len(self.pending) >= CHUNK:
            self._seal()

    def done_adding(self) -> None:
        """The last, partial chunk goes too (more files may still be added after it)."""
        if self.pending:
            self._seal()

    def _seal(self) -> None:
        k = len(self.chunks)
        self.chunks.append(self.pending)
        for sha, *_ in self.pending:
            self.where[sha] = k
        self.pending = []
        self._fill(self.wanted)

    def _fill(self, upto: int) -> None:
        if self.pool is None:
            return
        self.wanted = max(self.wanted, upto)
        while self.next < len(self.chunks) and self.next <= self.wanted + self.ahead:
            self.futures[self.next] = self.pool.submit(_check, self.chunks[self.next])
            self.next += 1

    def get(self, sha: str) -> tuple[Any, int | None, Any] | None:
        """(FileReport, year the file claims, ledger rows of its accepted data or None)
        for ``sha``, or None: then the run does the file itself."""
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
                    self.results[item[0]] = (item[1], item[2], item[3])
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


# ---- feedback workbooks, after the ledger ----------------------------------------------------
FEEDBACK_MIN = 16  # owed workbooks worth a process of their own: ~20 ms each, and starting one
# (~0.5 s of imports) happens on the core the roll-ups leave idle


def feedback_process_wanted(n_owed: int) -> bool:
    """Whether ``n_owed`` feedback workbooks get a process of their own: enough of them, and
    worker processes allowed here (``EDUROLLUP_WORKERS``, cores)."""
    return n_owed >= FEEDBACK_MIN and workers_wanted(max(n_owed, MIN_FILES)) > 0


def _write_owed(root: str, owed: Any) -> int:
    """The feedback process's task: one owed workbook, not yet synced (the run syncs the
    filesystem before it strikes the workbook off the ledger)."""
    from .feedback import write_owed

    write_owed(root, owed, durable=False)
    return int(owed.submission_id)


class FeedbackWriter:
    """The night's owed feedback workbooks (``Ledger.feedback_owed``) made by ONE spawned
    process while the run writes the roll-ups on the other core; :meth:`finish` has the
    run's own process make, from the end of the list, those the process has not taken
    (one process, not one per core: the run is at its peak memory then, ~0.75 GB at 30,000
    agencies, and each process costs ~0.1 GB).

    The process is handed two workbooks at a time, the next one as each is done (a future's
    callback), so what it has not taken is still in ``todo`` for the run: nothing is ever
    cancelled (cancelling a future that a dying pool then fails raises in the pool's own
    thread, Python 3.11)."""

    IN_FLIGHT = 2  # the process never waits for its next workbook

    def __init__(self, root: Path, owed: list[Any]) -> None:
        self.root = str(root)
        self.todo: deque[Any] = deque(owed)
        self.given: list[tuple[Any, Future[int]]] = []
        self.lock = threading.Lock()
        self.pool: ProcessPoolExecutor | None = None
        try:
            ctx = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_guard,
                                            initargs=(os.getpid(),))
            for _ in range(self.IN_FLIGHT):
                self._give()
        except Exception:  # noqa: BLE001 - no process: the run makes them all itself
            self.close()

    def _give(self, done: Future[int] | None = None) -> None:
        """Hand the process the next workbook (the first of ``todo``); called again by
        each handed one when it is done, unless the pool broke."""
        if done is not None and isinstance(done.exception(), BrokenExecutor):
            return
        with self.lock:
            if self.pool is None or not self.todo:
                return
            owed = self.todo.popleft()
            try:
                fut = self.pool.submit(_write_owed, self.root, owed)
            except Exception:  # noqa: BLE001 - a broken or closed pool: the run makes it
                self.todo.appendleft(owed)
                return
            self.given.append((owed, fut))
        fut.add_done_callback(self._give)

    def finish(self, write_here: Any) -> Iterable[tuple[Any, BaseException | None]]:
        """Each owed workbook once it is written (owed, None) or failed (owed, exception):
        first those the run makes itself with ``write_here(owed)`` (from the end of what
        the process has not taken), then the process's own."""
        while True:
            with self.lock:
                if not self.todo:
                    break
                owed = self.todo.pop()
            yield owed, attempt(write_here, owed)
        with self.lock:
            given = list(self.given)
        for owed, fut in given:
            try:
                fut.result()
            except BrokenExecutor:  # the process died: the run makes this one itself
                yield owed, attempt(write_here, owed)
                continue
            except Exception as exc:  # noqa: BLE001 - reported by the run, owed again
                yield owed, exc
                continue
            yield owed, None
        self.close()

    def close(self) -> None:
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=False)


def attempt(write: Any, owed: Any) -> BaseException | None:
    """``write(owed)``; the exception it raised, or None."""
    try:
        write(owed)
    except Exception as exc:  # noqa: BLE001 - the caller reports it
        return exc
    return None
