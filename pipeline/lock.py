"""One nightly run at a time: an exclusive ``fcntl.flock`` on ``state/run.lock``.

Why flock: the kernel drops the lock when the process dies (even on kill -9), so a
crashed run never leaves a stale lock behind that somebody must delete by hand. A
second run waits a little (cron and a person typing ``edurollup run`` may overlap by
seconds), then gives up with :data:`EXIT_LOCKED` without touching anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

#: Exit code of a run that found another run holding the lock (BSD EX_TEMPFAIL: try later).
EXIT_LOCKED = 75
#: Seconds a second run waits for the lock before giving up (env EDUROLLUP_LOCK_WAIT).
DEFAULT_WAIT = 5.0

LOCKED_MESSAGE = (
    "มีการประมวลผลอีกชุดหนึ่งกำลังทำงานอยู่ (ไฟล์ล็อก {path}) ครั้งนี้จึงไม่ได้ทำอะไร "
    "โปรดลองใหม่ภายหลัง / Another run is in progress (lock file {path}); "
    "this run changed nothing. Try again later."
)


class LockBusy(Exception):
    """Another process holds the run lock."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(LOCKED_MESSAGE.format(path=path))
        self.path = path
        self.holder = holder  # what the holder wrote into the lock file (pid, start time)


def lock_wait_seconds() -> float:
    """The wait from EDUROLLUP_LOCK_WAIT, else :data:`DEFAULT_WAIT`."""
    raw = os.environ.get("EDUROLLUP_LOCK_WAIT", "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


@contextlib.contextmanager
def run_lock(path: Path, wait: float | None = None, poll: float = 0.1) -> Iterator[Path]:
    """Hold the exclusive run lock for the ``with`` block, or raise :class:`LockBusy`.

    The lock file itself is never deleted (deleting it would let two runs lock two
    different inodes); its content (pid, start time) is only a hint for people.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = lock_wait_seconds() if wait is None else wait
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = ""
                    with contextlib.suppress(OSError):
                        holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                    raise LockBusy(path, holder) from None
                time.sleep(poll)
        note = f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, note.encode("utf-8"), 0)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
