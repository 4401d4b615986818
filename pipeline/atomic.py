"""Crash-safe file writes: write to a temporary name in the same folder, fsync, rename.

A reader (an analyst's Excel, the next run) sees either the old file or the new one,
never half of one. Writers skip the rename when the bytes are unchanged, so an
unchanged night leaves the outbox untouched (same mtime).
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def sync_filesystem(path: Path) -> None:
    """Flush every file written to ``path``'s filesystem to disk: one ``syncfs`` (Linux)
    instead of an fsync per file and folder; ``os.sync()`` where syncfs is missing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    For libraries that want a file name to write to (xlsxwriter, openpyxl).
    Unchanged content leaves the existing file as it was. ``durable=False`` skips the
    fsyncs of the file and its folder: the caller syncs a whole batch later (see
    ``archive.Batch``), before anything durable refers to the file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outbox files are for colleagues too
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        if target.exists() and filecmp.cmp(target, tmp, shallow=False):  # sizes, then chunks
            tmp.unlink()
            return
        os.replace(tmp, target)
        if durable:
            _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(target: Path, data: bytes, durable: bool = True) -> bool:
    """Write ``data`` to ``target`` atomically. Returns False when nothing changed.
    ``durable=False``: no fsync here, the caller syncs later (see :func:`atomic_path`)."""
    target = Path(target)
    if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return False
    with atomic_path(target, durable) as tmp:
        tmp.write_bytes(data)
    return True


def write_new_file(target: Path, data: bytes) -> None:
    """``data`` to ``target``, which the caller knows does not exist yet, atomically (a
    temporary name, then a rename) but without fsync: the caller syncs a batch later.
    Half the system calls of :func:`write_bytes_atomic` (no comparison with an old file,
    no mkstemp + chmod): the archive writes every original of a night this way."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # swept if a run dies
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        with open(fd, "wb", closefd=True) as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(target: Path, text: str) -> bool:
    return write_bytes_atomic(target, text.encode("utf-8"))
