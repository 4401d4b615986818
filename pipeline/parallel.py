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

import contextlib
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from .feedback import write_owed
from .isolate import (
    POISON_AFTER,
    Child,
    ChildDied,
    ChildLimits,
    Death,
    begin,
    enter_feedback_process,
    idle,
    marker_dir,
)
from .ledger import data_rows_from_lists
from .plans import PlanBroken, Plans, fiscal_year_of
from .read import read_workbook
from .templates import stamp_key
from .validate import validate_workbooks
from .workspace import Workspace

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


def _init(root: str) -> None:
    """A worker's own start, once ``isolate`` armed it (limits, dying with the run)."""
    _STATE["ws"] = ws = Workspace.open(Path(root))
    _STATE["stamp_key"] = stamp_key(ws.state)


def _guard(parent: int) -> None:
    """The feedback process's start: the children's limits, dying with the run."""
    enter_feedback_process(parent)


def _check(items: list[tuple[str, str, str]]
           ) -> list[tuple[str, Any, int | None, Any] | None]:
    """In a worker (an ``isolate.Child``): read and validate one chunk: (sha256, path,
    display name) -> (sha, report, year, the ledger rows of its accepted data or None).
    Each file is marked before it is read (``isolate.begin``: its CPU limit starts then,
    and the parent knows which file it was on if the worker dies)."""
    out: list[tuple[str, Any, int | None, Any] | None] = [None] * len(items)
    if _STATE.get("broken"):
        return out  # a plan does not load: the run will say so on its first file
    plans = _STATE.get("plans")
    if plans is None:
        plans = _STATE["plans"] = Plans(_STATE["ws"])
    todo: list[tuple[int, Any, Any, int | None]] = []
    for i, (sha, path, name) in enumerate(items):
        try:
            begin(sha, name)
            raw = read_workbook(Path(path), display_name=name)
            idle()
            year = fiscal_year_of(raw, plans)
            todo.append((i, raw, plans.get(year), year))
        except PlanBroken:  # do not reload a broken plan for every file
            _STATE["broken"] = True
            return out
        except Exception:  # noqa: BLE001 - the run redoes this file itself
            continue
    idle()
    try:  # clean data as plain lists: the ledger rows are built from them, no frames
        reports = validate_workbooks([(raw, plan) for _i, raw, plan, _y in todo], frames=False,
                                     stamp_key=_STATE.get("stamp_key"))
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


Item = tuple[str, str, str]  # (sha256, archived path, display name)


class Prevalidator:
    """Reports for upcoming workbooks, computed by worker processes in arrival order.

    ``get(sha)`` blocks until that file is done: (report, year, rows, deaths), where a
    file that killed its worker twice has no report and its two deaths; None means "do it
    yourself". ``files``: (sha256, archived path, display name).

    Each worker is an ``isolate.Child`` (address-space and per-file CPU limits, a
    wall-clock watch) fed by one thread of this process. When a worker dies, the thread
    starts a new one, puts the other files of the chunk back at the head of the queue,
    and gives the file it died on one more try alone in a fresh worker; a second death
    makes that file's result its deaths. Every file gets exactly one result."""

    def __init__(self, root: Path, files: Iterable[tuple[str, Path | str, str]],
                 workers: int, limits: ChildLimits | None = None) -> None:
        self.root = str(root)
        self.seen: set[str] = set()
        self.pending: list[Item] = []  # the next chunk, not yet full
        self.chunks: list[list[Item]] = []
        self.where: dict[str, int] = {}
        self.results: dict[str, tuple[Any, int | None, Any, list[Death]] | None] = {}
        self.deaths: dict[str, list[Death]] = {}
        self.again: deque[list[Item]] = deque()  # files put back after a worker died
        self.next = 0  # the next chunk to hand out
        self.wanted = 0  # the chunk the run waits for (or will wait for first)
        self.ahead = max(1, workers * AHEAD)
        self.cond = threading.Condition()
        self.closed = False
        self.children: list[Child] = []
        self.threads: list[threading.Thread] = []
        try:
            markers = marker_dir(Workspace(Path(root)).state)
            limits = limits or ChildLimits.from_env()
            for i in range(workers):
                child = Child(markers, limits, init=_init, init_args=(self.root,))
                self.children.append(child)
                thread = threading.Thread(target=self._feed, args=(child,), daemon=True,
                                          name=f"prevalidator-{i}")
                self.threads.append(thread)
                thread.start()
        except Exception:  # noqa: BLE001 - no processes here: the run works alone
            self.close()
        for sha, path, name in files:
            self.add(sha, path, name)
        self.done_adding()

    @property
    def pool(self) -> bool:
        """Whether workers are running (False once closed)."""
        return bool(self.threads) and not self.closed

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
        with self.cond:
            k = len(self.chunks)
            self.chunks.append(self.pending)
            for sha, *_ in self.pending:
                self.where[sha] = k
            self.pending = []
            self.cond.notify_all()

    def _take(self) -> list[Item] | None:
        """The next work for a worker thread (waits for it); None once closed."""
        with self.cond:
            while True:
                if self.closed:
                    return None
                if self.again:
                    return self.again.popleft()
                if self.next < len(self.chunks) and self.next <= self.wanted + self.ahead:
                    self.next += 1
                    return self.chunks[self.next - 1]
                self.cond.wait()

    def _feed(self, child: Child) -> None:
        """A worker thread: chunks to its child, results back, deaths handled."""
        try:
            while (chunk := self._take()) is not None:
                try:
                    out = child.call(_check, chunk)
                except ChildDied as died:
                    if self.closed:
                        break
                    self._died(chunk, died)
                    continue
                except Exception:  # noqa: BLE001 - cannot start a worker: the run does these
                    out = [None] * len(chunk)
                with self.cond:
                    for (sha, *_), item in zip(chunk, out, strict=True):
                        self.results[sha] = (None if item is None else
                                             (item[1], item[2], item[3], self.deaths.get(sha, [])))
                    self.cond.notify_all()
        finally:
            child.stop()

    def _died(self, chunk: list[Item], died: ChildDied) -> None:
        """A worker died on ``chunk``: the file it was on is tried once more alone (or,
        at its second death, answered with its deaths); the rest go back to the head of
        the queue. A death outside any file (validating) splits the chunk into files."""
        with self.cond:
            culprit = [it for it in chunk if it[0] == died.marker]
            if not culprit:
                if len(chunk) > 1:
                    self.again.extendleft([it] for it in reversed(chunk))
                else:
                    self.results[chunk[0][0]] = None  # the run does it (in its own child)
            else:
                sha = culprit[0][0]
                deaths = self.deaths.setdefault(sha, [])
                deaths.append(died.death)
                rest = [it for it in chunk if it[0] != sha]
                if len(deaths) < POISON_AFTER:
                    self.again.append(culprit)
                else:
                    self.results[sha] = (None, None, None, list(deaths))
                if rest:
                    self.again.appendleft(rest)
            self.cond.notify_all()

    def get(self, sha: str) -> tuple[Any, int | None, Any, list[Death]] | None:
        """(FileReport or None when the file killed its worker twice, year the file
        claims, ledger rows of its accepted data or None, the worker deaths it caused)
        for ``sha``, or None: then the run does the file itself."""
        k = self.where.get(sha)
        if k is None or not self.pool:
            return None
        with self.cond:
            if k > self.wanted:
                self.wanted = k
                self.cond.notify_all()
            while sha not in self.results:
                if self.closed or not any(t.is_alive() for t in self.threads):
                    return None
                self.cond.wait(1.0)
            return self.results.pop(sha)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        for child in self.children:
            proc = child.proc
            if proc is not None and proc.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    proc.kill()  # a busy worker's thread then stops it
        for thread in self.threads:
            thread.join(10)
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
    filesystem before it strikes the workbook off the ledger). The sender's file is parsed
    again here: with the same limits as a reader child (``isolate.begin``)."""
    begin(owed.source, owed.display_name)
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
