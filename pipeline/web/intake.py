"""A submission from the web page enters the same path as an e-mailed one.

It is written to the queue ``state/web-queue/`` (``<check id>.data`` then
``<check id>.json``, each atomically; the JSON is created exclusively, so a double click
queues it once), which the nightly run's collector reads (``collect.web_arrivals``):
archived first, decided by the same rules, recorded with source "web" and the agency of
the link as the sender. Right after queueing, :class:`IntakeRunner` runs the nightly job
(``edurollup run``, a child process) if its lock is free, and tries again every few
seconds while a run holds it. Nothing is ever recorded by this process itself, so the
ledger has one writer at a time and the queue is never lost or recorded twice.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..collect import WEB_QUEUE
from ..ledger import Ledger
from ..lock import EXIT_LOCKED
from ..workspace import Workspace
from .checks import Check

log = logging.getLogger("edurollup.web")
RETRY_SECONDS = 5.0


def queue_dir(ws: Workspace) -> Path:
    return ws.state / WEB_QUEUE


def item_path(ws: Workspace, check_id: str) -> str:
    """The queue item's workspace-relative path: the ledger's ``source_path`` for it."""
    return f"state/{WEB_QUEUE}/{check_id}.json"


@dataclass
class Queued:
    check_id: str
    agency_code: str
    received_at: datetime
    sha256: str
    display_name: str


def queued(ws: Workspace, check_id: str) -> Queued | None:
    """The queued submission of a check, or None."""
    try:
        meta = json.loads((queue_dir(ws) / f"{check_id}.json").read_text("utf-8"))
        return Queued(check_id, meta["agency_code"], datetime.fromisoformat(meta["received_at"]),
                      meta["sha256"], meta["original_name"])
    except (OSError, ValueError, KeyError):
        return None


def enqueue(ws: Workspace, check: Check, now: datetime | None = None) -> Queued:
    """Queue a checked file for the intake (once per check: a second call returns the
    first's). The data is durable before the JSON that points at it exists."""
    folder = queue_dir(ws)
    folder.mkdir(parents=True, exist_ok=True)
    earlier = queued(ws, check.id)
    if earlier is not None:
        return earlier
    received = now or datetime.now(UTC)
    data_name = f"{check.id}.data"
    write_bytes_atomic(folder / data_name, check.path.read_bytes())
    meta = {"format": "edurollup.web-submission/1", "agency_code": check.agency_code,
            "original_name": check.display_name, "sha256": check.sha256,
            "received_at": received.isoformat(), "data": data_name}
    tmp = folder / f".{check.id}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, folder / f"{check.id}.json")  # exclusive: a racing twin keeps the first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    result = queued(ws, check.id)
    assert result is not None
    return result


def recorded(ws: Workspace, check_id: str) -> dict | None:
    """The ledger's submission for a queued check once the intake recorded it."""
    if not ws.ledger_path.exists():
        return None
    with Ledger(ws.ledger_path) as ledger:
        return ledger.submission_for_item(item_path(ws, check_id))


def received_before(ws: Workspace, sha256: str) -> dict | None:
    """The submission already recorded for these bytes (read only), or None."""
    if not ws.ledger_path.exists():
        return None
    with Ledger(ws.ledger_path) as ledger:
        return ledger.find_submission(sha256)


def waiting(ws: Workspace) -> list[str]:
    """Check ids queued and not yet recorded."""
    try:
        ids = sorted(p.stem for p in queue_dir(ws).glob("*.json"))
    except OSError:
        return []
    if not ids or not ws.ledger_path.exists():
        return ids
    with Ledger(ws.ledger_path) as ledger:
        return [i for i in ids if ledger.submission_for_item(item_path(ws, i)) is None]


class IntakeRunner:
    """Runs the nightly job in a child process when something is queued, one at a time."""

    def __init__(self, ws: Workspace, retry: float = RETRY_SECONDS) -> None:
        self.ws = ws
        self.retry = retry
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="edurollup-intake", daemon=True)
        self.runs = 0  # child runs started (for tests and the log)

    def start(self) -> IntakeRunner:
        self._thread.start()
        self._wake.set()  # a queue left by a stopped server is taken at once
        return self

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=120)

    def _loop(self) -> None:
        pending = False
        while not self._stop.is_set():
            self._wake.wait(timeout=self.retry if pending else None)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if not waiting(self.ws):
                    pending = False
                    continue
                code = self.run_once()
                pending = code == EXIT_LOCKED or bool(waiting(self.ws))
            except Exception:  # noqa: BLE001 - the server must outlive a failed run
                log.exception("intake run failed; retrying")
                pending = True

    def run_once(self) -> int:
        """One ``edurollup run --quiet`` that does not wait for a busy lock (its output is
        in state/logs/run.log); its exit code."""
        self.runs += 1
        env = dict(os.environ, EDUROLLUP_LOCK_WAIT="0")
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--quiet", "--workspace", str(self.ws.root)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, check=False)
        log.info("intake run %d exit %d", self.runs, proc.returncode)
        return proc.returncode
