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


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    For libraries that want a file name to write to (xlsxwriter, openpyxl).
    Unchanged content leaves the existing file as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outbox files are for colleagues too
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if target.exists() and filecmp.cmp(target, tmp, shallow=False):  # sizes, then chunks
            tmp.unlink()
            return
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> bool:
    """Write ``data`` to ``target`` atomically. Returns False when nothing changed."""
    target = Path(target)
    if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
        return False
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return True


def write_text_atomic(target: Path, text: str) -> bool:
    return write_bytes_atomic(target, text.encode("utf-8"))
