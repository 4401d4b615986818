"""Parse untrusted files in child processes the OS holds to hard limits.

Why: the readers (calamine in Rust, openpyxl, zipfile) run on bytes any sender chose. A
crafted or broken file can make a reader allocate hundreds of GB and abort, loop forever,
panic (pyo3's PanicException derives from BaseException) or crash outright; no Python
``try`` survives that in the same process. So every parse runs in a :class:`Child`: a
spawned (or forked) process with an address-space limit (``RLIMIT_AS``) and a CPU-second
limit reset before each file (``RLIMIT_CPU``: the kernel sends SIGXCPU), watched by the
parent with a wall-clock limit (a hung child is killed). The parent survives any death
and turns it into a :class:`Death` of that file: ``file.reader-crashed`` (abort, segfault,
panic, any other exit), ``file.reader-memory`` (the memory limit or the kernel's OOM
killer) or ``file.timeout`` (CPU or wall clock).

A child marks which file it is on in a small marker file (``state/parsing/<pid>`` during
a run) before parsing it: the parent learns from it which file killed a child, and the
next run learns from a marker a killed run left behind which file was being parsed then
(see ``ledger.Ledger.note_parse_deaths``: the poison quarantine).

Test hook (docs/operations.md): ``EDUROLLUP_CHILD_FAULT="<kind>:<text>"`` makes a child
misbehave on a file whose display name contains ``<text>`` (kind: abort, segv, panic,
hang, memory, cpu, exit; several separated by commas). Only an environment variable the operator sets can arm it; the
bytes of a file cannot.
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import itertools
import multiprocessing
import os
import resource
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas import SUBMISSION_SHEETS, SheetSpec

from . import catalog
from .model import RawWorkbook
from .read import read_workbook
from .safety import Limits

MIB = 1024 * 1024
MEMORY_LIMIT = 2048 * MIB  # address space of a child (imports take ~0.25 GB of it)
CPU_SECONDS = 30  # CPU seconds per file (RLIMIT_CPU, reset before each file)
WALL_SECONDS = 45.0  # wall clock per file: a child blocked without using CPU is killed
POLL = 0.25  # seconds between the parent's looks at a busy child

# the kinds of death, as problem codes (pipeline/catalog.py)
CRASHED = "file.reader-crashed"
MEMORY = "file.reader-memory"
TIMEOUT = "file.timeout"
POISON = "file.poison-quarantined"
POISON_AFTER = 2  # child deaths in one night that make a file poison (ledger: POISON_DEATHS)


@dataclass(frozen=True)
class ChildLimits:
    """What one child may use: address space (bytes), CPU seconds and wall-clock seconds
    per file. ``EDUROLLUP_CHILD_MEMORY_MB`` / ``EDUROLLUP_CHILD_SECONDS`` override."""

    memory: int = MEMORY_LIMIT
    cpu_seconds: int = CPU_SECONDS
    wall_seconds: float = WALL_SECONDS

    @classmethod
    def from_env(cls) -> ChildLimits:
        mem = os.environ.get("EDUROLLUP_CHILD_MEMORY_MB", "").strip()
        secs = os.environ.get("EDUROLLUP_CHILD_SECONDS", "").strip()
        cpu = int(secs) if secs.isdigit() and int(secs) > 0 else CPU_SECONDS
        return cls(memory=int(mem) * MIB if mem.isdigit() and int(mem) > 0 else MEMORY_LIMIT,
                   cpu_seconds=cpu, wall_seconds=max(cpu * 1.5, cpu + 2.0))


@dataclass(frozen=True)
class Death:
    """How a child died on one file: the problem code and a short detail."""

    code: str
    detail: str


class ChildDied(Exception):
    """The child died on a task (``death`` says how; ``marker`` which file it was on)."""

    def __init__(self, death: Death, marker: str) -> None:
        super().__init__(f"{death.code}: {death.detail}")
        self.death = death
        self.marker = marker


# ---- the child's side ---------------------------------------------------------------------------
_CHILD: dict[str, Any] = {}
_SERIAL = itertools.count(1)  # marker names of this process's children


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when the parent dies (PR_SET_PDEATHSIG), and
    exit if the parent died before that was armed."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def enter_child(parent: int, marker: str, limits: ChildLimits) -> None:
    """Arm a fresh child: die with the parent, address-space limit, stderr to the marker's
    ``.err`` file (what an abort prints tells a memory death from a crash), marker file."""
    die_with_parent(parent)
    faulthandler.disable()  # a fork keeps the parent's: its dumps would go to the parent's output
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files of hostile input
    err = os.open(marker + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(err, 2)
    os.close(err)
    _CHILD["fd"] = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _CHILD["limits"] = limits
    _CHILD["fault"] = os.environ.get("EDUROLLUP_CHILD_FAULT", "")


def enter_feedback_process(parent: int, limits: ChildLimits | None = None) -> None:
    """Arm the run's feedback process (a ``ProcessPoolExecutor`` of one): die with the
    parent, the address-space limit, and per-task CPU limits through :func:`begin`."""
    limits = limits or ChildLimits.from_env()
    die_with_parent(parent)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory, limits.memory))
    _CHILD["limits"] = limits
    _CHILD["fault"] = os.environ.get("EDUROLLUP_CHILD_FAULT", "")


def begin(key: str, name: str = "") -> None:
    """About to parse one file (``key``: its SHA-256, or a path): say so in the marker,
    and allow it ``cpu_seconds`` more CPU from now. A no-op outside a child."""
    limits: ChildLimits | None = _CHILD.get("limits")
    if limits is None:
        return
    _CHILD["key"] = key
    fd = _CHILD.get("fd")
    if fd is not None:
        os.pwrite(fd, f"{key} {time.monotonic():.3f}\n".ljust(96).encode(), 0)
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU,
                           (spent + limits.cpu_seconds, resource.RLIM_INFINITY))
    if _CHILD["fault"]:
        _fault(_CHILD["fault"], name or key)


def idle() -> None:
    """Between files (validating, waiting): no file to blame, no wall clock running."""
    fd = _CHILD.get("fd")
    _CHILD["key"] = ""
    if fd is not None:
        os.pwrite(fd, b"-".ljust(96), 0)


class _InjectedPanic(BaseException):
    """Stands in for pyo3's PanicException (a BaseException) in the test hook."""


def _fault(specs: str, name: str) -> None:
    for spec in specs.split(","):
        kind, _, text = spec.partition(":")
        if text and text in name:
            _misbehave(kind)


def _misbehave(kind: str) -> None:
    if kind == "abort":
        os.abort()
    elif kind == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "panic":
        raise _InjectedPanic("injected panic")
    elif kind == "hang":
        time.sleep(3600)
    elif kind == "memory":
        hoard = [bytearray(64 * MIB) for _ in range(10_000)]  # MemoryError under RLIMIT_AS
        del hoard
    elif kind == "cpu":
        while True:
            pass
    elif kind == "exit":
        os._exit(3)


def _serve(conn: Any, parent: int, marker: str, limits: ChildLimits,
           init: Callable[..., Any] | None = None, init_args: tuple[Any, ...] = ()) -> None:
    """The child's loop: (function, args) in, ("ok", result) or ("error", death) out;
    ``init(*init_args)`` first, once armed (a worker's own start)."""
    enter_child(parent, marker, limits)
    if init is not None:
        init(*init_args)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, args = task
        try:
            result: tuple[str, Any, str] = ("ok", fn(*args), "")
        except MemoryError:
            result = ("error", Death(MEMORY, "MemoryError"), _CHILD.get("key", ""))
        except SystemExit:
            raise
        except BaseException as exc:  # noqa: BLE001 - a panic is a BaseException
            result = ("error", Death(CRASHED, f"{type(exc).__name__}: {exc}"[:300]),
                      _CHILD.get("key", ""))
        idle()
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("error", Death(MEMORY, "MemoryError"), result[2]))


def guarded(fn: Callable[..., Any], key: str, name: str, *args: Any) -> Any:
    """In a child: ``fn(*args)`` as the parse of one file (marked, with its CPU limit)."""
    begin(key, name)
    return fn(*args)


# ---- the parent's side --------------------------------------------------------------------------
def marker_dir(state: Path | None) -> Path:
    """Where children write their markers: ``state/parsing/`` for a run (a killed run's
    markers are read by the next), a private temporary folder otherwise."""
    if state is None:
        return Path(tempfile.mkdtemp(prefix="edurollup-parsing-"))
    folder = Path(state) / "parsing"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_marker(path: Path | str) -> tuple[str, float | None]:
    """(key of the file a child is on or "", when it began) from a marker file."""
    try:
        text = Path(path).read_text("ascii", "replace").strip()
    except OSError:
        return "", None
    key, _, started = text.partition(" ")
    if key in ("", "-"):
        return "", None
    try:
        return key, float(started)
    except ValueError:
        return key, None


def _context(fork: bool) -> Any:
    if fork and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")  # ~10 ms instead of ~1 s of imports
    return multiprocessing.get_context("spawn")


class Child:
    """One limited child process, reused task after task, replaced when it dies.

    ``call(fn, *args)`` runs ``fn(*args)`` in the child and returns its result; when the
    child dies (or reports a MemoryError or a panic), raises :class:`ChildDied` with the
    marker's key of the file it was on. ``fork``: fork instead of spawn when this process
    has one thread (small nights and ``validate``: no second of imports per child)."""

    def __init__(self, markers: Path, limits: ChildLimits | None = None,
                 fork: bool = False, init: Callable[..., Any] | None = None,
                 init_args: tuple[Any, ...] = ()) -> None:
        self.markers = Path(markers)
        self.limits = limits or ChildLimits.from_env()
        self.fork = fork
        self.init, self.init_args = init, init_args
        self.proc: Any = None
        self.conn: Any = None
        self.marker = ""
        self.lock = threading.Lock()
        self.killed_by_us = False

    def start(self) -> None:
        ctx = _context(self.fork)
        parent_end, child_end = ctx.Pipe()
        self.marker = str(self.markers / f"{os.getpid()}-{next(_SERIAL)}")
        self.proc = ctx.Process(target=_serve, daemon=True,
                                args=(child_end, os.getpid(), self.marker, self.limits,
                                      self.init, self.init_args))
        self.proc.start()
        child_end.close()
        self.conn = parent_end
        self.killed_by_us = False

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.proc is None:
            self.start()
        try:
            self.conn.send((fn, args))
        except (OSError, ValueError):
            return self._died()
        while True:
            try:
                ready = self.conn.poll(POLL)
            except (OSError, EOFError):
                ready = True
            if ready:
                try:
                    status, value, key = self.conn.recv()
                except (EOFError, OSError):
                    return self._died()
                if status == "ok":
                    return value
                raise ChildDied(value, key)
            if not self.proc.is_alive():
                return self._died()
            key, started = read_marker(self.marker)
            if started is not None and time.monotonic() - started > self.limits.wall_seconds:
                self.killed_by_us = True
                self.proc.kill()

    def _died(self) -> Any:
        """The child is gone: how, and which file it was on; a new one starts next call."""
        self.proc.join(5)
        code = self.proc.exitcode
        key, _started = read_marker(self.marker)
        death = classify(code, self.killed_by_us, self.marker + ".err", self.limits)
        self.stop()
        raise ChildDied(death, key)

    def stop(self) -> None:
        """End the child (a clean stop when it is idle, else a kill) and drop its files."""
        proc, conn, self.proc, self.conn = self.proc, self.conn, None, None
        if proc is not None:
            if proc.is_alive():
                with contextlib.suppress(OSError, ValueError):
                    conn.send(None)
                proc.join(1)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        if conn is not None:
            conn.close()
        if self.marker:
            for path in (self.marker, self.marker + ".err"):
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def classify(exitcode: int | None, killed_by_us: bool, err_path: str,
             limits: ChildLimits) -> Death:
    """A dead child's exit status (and what it printed last) as a :class:`Death`."""
    tail = ""  # what it printed: the first lines (an abort's reason, then a backtrace) + last
    with contextlib.suppress(OSError):
        with open(err_path, "rb") as fh:
            head = fh.read(8192)
            fh.seek(0, 2)
            fh.seek(max(len(head), fh.tell() - 4096))
            tail = (head + fh.read()).decode("utf-8", "replace")
    if killed_by_us:
        return Death(TIMEOUT, f"> {limits.wall_seconds:.0f} s")
    if exitcode == -signal.SIGXCPU:
        return Death(TIMEOUT, f"> {limits.cpu_seconds} CPU s")
    if "memory allocation of" in tail or "MemoryError" in tail or "out of memory" in tail.lower():
        return Death(MEMORY, f"> {limits.memory // MIB} MB")
    if exitcode == -signal.SIGKILL:  # not us: the kernel's OOM killer
        return Death(MEMORY, "killed by the system (out of memory)")
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return Death(CRASHED, name)
    last = tail.strip().splitlines()[0][:200] if tail.strip() else ""
    return Death(CRASHED, f"exit {exitcode}" + (f": {last}" if last else ""))


# ---- reading a workbook in a child ----------------------------------------------------------------
def dead_workbook(path: Path, name: str, sha256: str, deaths: list[Death],
                  poisoned: bool = False) -> RawWorkbook:
    """What the run and ``validate`` know of a file whose parse killed its child: the
    death's problem, and ``file.poison-quarantined`` when it is set aside."""
    wb = RawWorkbook(path=Path(path), display_name=name, sha256=sha256, format="",
                     stamp=None, sheets={})
    if deaths:
        wb.problems.append(catalog.problem(deaths[-1].code, file=name,
                                           detail=deaths[-1].detail))
    if poisoned:
        wb.problems.append(catalog.problem(POISON, file=name, detail=sha256[:16]))
    return wb


class IsolatedReader:
    """``read_workbook`` in one reused :class:`Child`; a file that kills it is tried once
    more in a fresh child, and a second death makes it poison (``deaths`` says how)."""

    def __init__(self, markers: Path, limits: ChildLimits | None = None,
                 fork: bool = True, quarantine: bool = True) -> None:
        self.child = Child(markers, limits, fork=fork)
        self.quarantine = quarantine  # False for `validate`: nothing is set aside there

    def read(self, path: Path, name: str, sha256: str = "",
             sheets: list[SheetSpec] = SUBMISSION_SHEETS,
             limits: Limits | None = None) -> tuple[RawWorkbook, list[Death]]:
        deaths: list[Death] = []
        while len(deaths) < POISON_AFTER:
            try:
                raw = self.child.call(guarded, read_workbook, sha256 or str(path), name,
                                      Path(path), name, sheets, limits)
                return raw, deaths
            except ChildDied as died:
                deaths.append(died.death)
        return dead_workbook(path, name, sha256 or file_sha256(path), deaths,
                             poisoned=self.quarantine), deaths

    def close(self) -> None:
        self.child.stop()

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()
