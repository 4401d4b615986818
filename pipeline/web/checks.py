"""One upload checked: the bytes kept under a random name, validated with the same
library function ``edurollup validate`` uses (``validate.validate_files``: the hostile-file
limits and whatever isolation it has come with it), then decided as the intake would decide
it if it were submitted now (``decide.decide``). Nothing here touches the ledger.

Copies live in ``state/web/checks/<id><suffix>`` (never the browser's file name; the
suffix only when it is a workbook's) with ``<id>.json`` beside; they are deleted after
``check_keep_seconds``. The last checks stay in memory for the feedback download and
the submit; an older one is checked again from its copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath

from ..atomic import write_bytes_atomic
from ..collect import WORKBOOK_SUFFIXES, Arrival, classify, safe_name
from ..decide import Decision, decide
from ..model import FileReport, Problem, unique_problems
from ..plan import Plan
from ..plan_load import PlanError, load_plan_cached
from ..validate import validate_files
from ..workspace import Workspace

CHECKS_DIR = ("web", "checks")  # under state/
KEPT_IN_MEMORY = 128
_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class Check:
    """An uploaded file, its report and what the intake would decide."""

    id: str
    agency_code: str
    display_name: str  # the browser's name for it: shown, never used on disk
    sha256: str
    path: Path
    checked_at: datetime
    report: FileReport
    decision: Decision

    @property
    def problems(self) -> list[Problem]:
        """The file's problems and the intake's (wrong agency, period not open, late)."""
        extra = [p for p in self.decision.problems if p.code.startswith("intake.")]
        return unique_problems([*self.report.problems, *extra])

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def submittable(self) -> bool:
        return self.decision.status == "accepted"


def _plan(ws: Workspace, fiscal_year: int | None) -> Plan | None:
    if fiscal_year is None or not ws.plan_file(fiscal_year).exists():
        return None
    try:
        return load_plan_cached(ws.state, ws.plan_file(fiscal_year))
    except PlanError:
        return None


def evaluate(ws: Workspace, check_id: str, agency_code: str, display_name: str, path: Path,
             data: bytes, now: datetime | None = None) -> Check:
    """Validate the copy at ``path`` and decide it as a web submission of ``agency_code``
    arriving ``now``."""
    now = now or datetime.now(UTC)
    (report,) = validate_files([path], workspace=ws, display_names={path: display_name})
    safe = safe_name(display_name)
    kind, reason = classify(safe if PurePath(safe).suffix.lower() in WORKBOOK_SUFFIXES
                            else f"upload{path.suffix}", data)
    arrival = Arrival(source="web", source_path="(check)", part_index=0,
                      original_name=display_name, safe_name=safe, sender=agency_code,
                      sender_display=None, message_id=None, received_at=now, data=b"",
                      sha256=hashlib.sha256(data).hexdigest(), kind=kind, reason=reason)
    decision = decide(report, arrival, _plan(ws, report.fiscal_year), trusted=False)
    return Check(check_id, agency_code, display_name, arrival.sha256, path, now, report,
                 decision)


class CheckStore:
    """Checks of this server: made by :meth:`new`, found again by :meth:`get`."""

    def __init__(self, ws: Workspace, keep_seconds: int) -> None:
        self.ws = ws
        self.folder = ws.state.joinpath(*CHECKS_DIR)
        self.keep_seconds = keep_seconds
        self._recent: OrderedDict[str, Check] = OrderedDict()
        self._lock = threading.Lock()
        self._swept = 0.0

    def new(self, agency_code: str, client_name: str, data: bytes) -> Check:
        """Keep the upload under a random name and check it."""
        self.sweep()
        check_id = secrets.token_hex(16)
        display = safe_name(client_name)
        suffix = PurePath(display).suffix.lower()
        path = self.folder / f"{check_id}{suffix if suffix in WORKBOOK_SUFFIXES else '.bin'}"
        write_bytes_atomic(path, data, durable=False)  # a check is redone, never lost data
        meta = {"agency_code": agency_code, "display_name": display, "file": path.name}
        write_bytes_atomic(self.folder / f"{check_id}.json", json.dumps(meta).encode(),
                           durable=False)
        check = evaluate(self.ws, check_id, agency_code, display, path, data)
        self._remember(check)
        return check

    def get(self, check_id: str, agency_code: str) -> Check | None:
        """The check if it exists and belongs to this agency's link, else None."""
        if not _ID.fullmatch(check_id):
            return None
        with self._lock:
            check = self._recent.get(check_id)
        if check is None:
            try:
                meta = json.loads((self.folder / f"{check_id}.json").read_text("utf-8"))
                path = self.folder / PurePath(str(meta["file"])).name
                data = path.read_bytes()
            except (OSError, ValueError, KeyError):
                return None
            check = evaluate(self.ws, check_id, str(meta["agency_code"]),
                             str(meta["display_name"]), path, data)
            self._remember(check)
        return check if check.agency_code == agency_code else None

    def _remember(self, check: Check) -> None:
        with self._lock:
            self._recent[check.id] = check
            self._recent.move_to_end(check.id)
            while len(self._recent) > KEPT_IN_MEMORY:
                self._recent.popitem(last=False)

    def sweep(self) -> None:
        """Delete copies older than ``keep_seconds`` (at most once a minute)."""
        now = time.time()
        if now - self._swept < 60:
            return
        self._swept = now
        try:
            with os.scandir(self.folder) as it:
                old = [e.path for e in it if e.is_file(follow_symlinks=False)
                       and now - e.stat().st_mtime > self.keep_seconds]
        except OSError:
            return
        for p in old:
            Path(p).unlink(missing_ok=True)
