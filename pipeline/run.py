"""The nightly job: lock, collect, archive, read, validate, decide, record, roll up, report.

Order matters for crash safety (see docs/operations.md):

1. take the run lock (``lock.py``); a second run waits a little, then exits 75;
2. collect new inbox items (items the ledger marked processed are skipped unread);
3. archive every original by content hash *before* anything else happens to it;
4. per arrival, in arrival order: read + validate against the plan of its year (worker
   processes do this ahead, see parallel.py; they start during step 2-3 once 64 new
   workbooks are archived and read the archived copies), decide; then record arrival +
   submission + problems + accepted data, and for a rejected or quarantined workbook the
   feedback workbook it is owed, up to LEDGER_BATCH arrivals in ONE ledger transaction (a
   crash before its commit loses the whole batch, which the next run redoes); the inbox
   item is marked processed once all its arrivals are recorded (a crash in between is
   harmless: an arrival already in the ledger is recognised and skipped, never counted
   twice);
5. the feedback workbooks the ledger says are owed (deterministic name and bytes), each
   struck off once written, so a crash leaves the rest to the next run: on a big night one
   more process writes them while step 6 runs (parallel.FeedbackWriter), else the run;
6. roll up every quarter whose ledger digest (with the previous quarter's and the plan
   file's) differs from the one stored after its last roll-up, then the year-end report;
   the digest is stored only after the workbook is in place, so a crash re-does it;
7. the status page (when anything it shows changed), then the rest of step 5; reply drafts
   for submissions that have none yet (their feedback workbook attached), optional SMTP
   sending, the run report and the log.

A rerun with nothing new reads no inbox file, writes no ledger row and touches no outbox
file: the run report ``outbox/runs/<UTC time>.json`` is written only when the run did
something (imported, rolled up, wrote a reply or sent one); every run, busy or not, logs a
line to ``state/logs/run.log``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import logging.handlers
import os
import re
import shutil
import signal
import smtplib
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from . import calendar as fcal
from . import replies as replies_mod
from .atomic import sync_filesystem, write_text_atomic
from .lock import EXIT_LOCKED, LockBusy, run_lock
from .model import FeedbackOwed, FileReport, Problem
from .plan import Plan
from .plans import PlanBroken, Plans
from .plans import fiscal_year_of as _fiscal_year_of
from .web.links import clerk_url
from .workspace import Workspace

log = logging.getLogger("edurollup.run")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_PLAN = 3  # a plan workbook of the workspace has errors: nothing was imported
LOG_MAX_BYTES = 10_000_000  # a 30,000-file night logs ~12 MB: the kept files hold a few
LOG_BACKUPS = 5
DIGESTS_FILE = "rollup-digests.json"  # under state/: what each roll-up was built from
LEDGER_BATCH = 200  # arrivals recorded per ledger transaction


# ---- test hooks --------------------------------------------------------------------------------
def _hook(name: str, count: int | None = None) -> None:
    """Crash / pause points for tests (documented in docs/operations.md).

    EDUROLLUP_CRASH_AT="after-archive:3" kills this process with SIGKILL right after the
    3rd original was archived ("after-ledger:N": the N-th arrival is committed, with the
    rest of its batch; "during-ledger:N": the N-th arrival is written into its batch's
    open transaction, not yet committed; "after-feedback:N", "during-rollup",
    "after-rollup", "after-collect", "after-lock", "before-report" likewise).
    EDUROLLUP_PAUSE_AT="after-lock:SECONDS" sleeps there (lets a test hold the lock).
    """
    crash = os.environ.get("EDUROLLUP_CRASH_AT", "")
    if crash:
        point, _, n = crash.partition(":")
        if point == name and (not n or count is None or int(n) == count):
            logging.shutdown()
            os.kill(os.getpid(), signal.SIGKILL)
    pause = os.environ.get("EDUROLLUP_PAUSE_AT", "")
    if pause:
        point, _, secs = pause.partition(":")
        if point == name:
            time.sleep(float(secs or 5))


# ---- the run's record ----------------------------------------------------------------------------
@dataclass
class FileOutcome:
    """One arrival as the run report lists it."""

    name: str
    source: str
    source_path: str
    sender: str | None
    sha256: str
    status: str  # accepted | rejected | quarantined | duplicate | failed
    action: str  # imported | updated (superseded an earlier file) | ignored | rejected | ...
    reason: str = ""
    agency_code: str | None = None
    fiscal_year: int | None = None
    quarter: int | None = None
    late: bool = False
    errors: int = 0
    warnings: int = 0
    submission_id: int | None = None
    supersedes: list[int] = field(default_factory=list)
    feedback: str | None = None
    reply: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)  # code, where, message


@dataclass
class Pending:
    """An arrival decided and waiting for its batch's ledger transaction; ``rows``: its
    accepted data as ledger rows when a worker built them; ``feedback``: the feedback
    workbook it is owed (recorded with it, written after the ledger)."""

    arrival: Any
    report: FileReport | None
    decision: Any
    rows: Any = None
    feedback: FeedbackOwed | None = None

    @property
    def feedback_rel(self) -> str | None:
        """The owed feedback workbook's outbox-relative path (the submission's
        ``feedback_path``), or None."""
        return self.feedback.target if self.feedback is not None else None

    @property
    def entry(self) -> tuple[Any, ...]:
        """The arguments of ``ledger.Entry``."""
        return (self.arrival, self.report, self.decision, self.feedback_rel, self.rows,
                self.feedback)


@dataclass
class RunReport:
    started_at: str
    finished_at: str = ""
    seconds: float = 0.0
    exit_code: int = 0
    items_new: int = 0
    files: list[FileOutcome] = field(default_factory=list)
    rollups: list[str] = field(default_factory=list)
    status_page: str | None = None
    replies_written: list[str] = field(default_factory=list)
    replies_sent: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.files or self.rollups or self.status_page or self.replies_written
                    or self.replies_sent or self.failures)

    def counts(self) -> dict[str, int]:
        c = Counter(f.action for f in self.files)
        return {k: c.get(k, 0) for k in
                ("imported", "updated", "rejected", "quarantined", "ignored", "failed")}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "edurollup.run/1",
            "started_at": self.started_at, "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3), "exit_code": self.exit_code,
            "inbox_items_new": self.items_new,
            "counts": self.counts() | {"files": len(self.files)},
            "files": [vars(f) for f in self.files],
            "rollups": self.rollups, "status_page": self.status_page,
            "replies_written": self.replies_written, "replies_sent": self.replies_sent,
            "failures": self.failures,
        }


# ---- helpers ------------------------------------------------------------------------------------
def _rel(ws: Workspace, path: Path, base: Path | None = None) -> str:
    try:
        return path.resolve().relative_to((base or ws.root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _safe_stem(name: str) -> str:
    stem = Path(name.replace("\\", "/")).stem
    stem = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", stem).strip(" ._") or "file"
    return stem[:60]


def feedback_name(sha256: str, original_name: str) -> str:
    """'<sha12>-<safe stem>-feedback.xlsx': two senders' 'report.xlsx' never collide."""
    return f"{sha256[:12]}-{_safe_stem(original_name)}-feedback.xlsx"


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "-"


class RunLogHandler(logging.handlers.RotatingFileHandler):
    """A rotating log that formats each line once and counts the bytes it writes.

    The stdlib handler formats every record twice and seeks the file before each line to
    decide whether to rotate; a 30,000-file night logs a line per file. Each line is still
    flushed at once (a killed run leaves its log complete up to that line)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._size: int | None = None  # bytes in the current file, once known

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
            length = len(text.encode(self.encoding or "utf-8", "replace"))
            if self.stream is None:
                self.stream = self._open()
            if self._size is None:
                self._size = self.stream.seek(0, 2)
            if self.maxBytes > 0 and self._size and self._size + length > self.maxBytes:
                self.doRollover()  # closes and reopens the stream (a new, empty file)
                if self.stream is None:
                    self.stream = self._open()
                self._size = 0
            self.stream.write(text)
            self.flush()
            self._size += length
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - logging must never stop the run
            self.handleError(record)


def _setup_log(ws: Workspace) -> logging.Handler:
    ws.log_dir.mkdir(parents=True, exist_ok=True)
    handler = RunLogHandler(
        ws.log_dir / "run.log", maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s pid=%(process)d %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handler


def _trace(exc: BaseException) -> str:
    """The traceback text of a caught exception (what traceback.format_exc() said then)."""
    return "".join(traceback.format_exception(exc))


def _merge_problems(report: FileReport | None, decision: Any) -> list[Problem]:
    seen: set[Problem] = set()
    out: list[Problem] = []
    for p in [*(report.problems if report else []), *decision.problems]:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# ---- the steps -------------------------------------------------------------------------------------
class NightlyRun:
    def __init__(self, ws: Workspace, send: bool, quiet: bool) -> None:
        self.ws = ws
        self.send = send
        self.quiet = quiet
        self.plans = Plans(ws)
        self.report = RunReport(started_at=datetime.now(UTC).isoformat(timespec="seconds"))
        self.t0 = time.monotonic()
        self.n_archived = 0
        self.n_recorded = 0
        self.n_written = 0  # arrivals written into ledger batches (committed or not)
        self.n_feedback = 0
        self.archived: dict[str, Path] = {}
        self.pre: Any = None  # parallel.Prevalidator when the night is big enough
        self.solo: Any = None  # isolate.IsolatedReader: this run's own reader child
        self.poison: dict[str, dict[str, Any]] = {}  # sha -> quarantine row (Ledger.poison_list)
        self._memo: dict[str, Any] = {}

    # -- 2. collect + 3. archive
    def collect(self, ledger: Any, archived: Any = None) -> list[Any]:
        """New arrivals, each original archived (atomically, by hash) as soon as it is read;
        inbox items the ledger marked processed are skipped without being read.
        ``archived(arrival)`` is told of each one as soon as its copy is in the archive."""
        from . import archive, collect

        arrivals = []
        batch = archive.Batch(self.ws)  # no fsync per original: one sync below
        for a in collect.iter_arrivals(self.ws, seen=ledger.seen_item):
            self.archived[a.sha256] = archive.store(self.ws, a.sha256, a.data, a.suffix, batch)
            a.data = b""  # from here on the archived copy is read: memory stays flat
            arrivals.append(a)
            self.n_archived += 1
            _hook("after-archive", self.n_archived)
            if archived is not None:
                archived(a)
        batch.sync()  # every original durable before the ledger refers to any of them
        _hook("after-collect")
        return arrivals

    # -- 4. one arrival: decide it (prepare), record it with others (Ledger.record_many),
    #       then say what happened (finish)
    def process(self, ledger: Any, arrival: Any) -> FileOutcome | None:
        """One arrival decided, recorded (its own transaction) and reported."""
        from .ledger import Entry

        pending = self.prepare(ledger, arrival)
        if pending is None:
            return None
        (done,) = ledger.record_many([Entry(*pending.entry)])
        if isinstance(done, Exception):
            raise done
        self.n_recorded += 1
        _hook("after-ledger", self.n_recorded)
        return self.finish(pending, done)

    def prepare(self, ledger: Any, arrival: Any) -> Pending | None:
        """Decide one arrival against the committed ledger (with the feedback workbook it is
        owed, see :meth:`owe_feedback`); None when a run that stopped before marking its
        inbox item recorded it already."""
        from .collect import trusted
        from .decide import decide, duplicate_decision, redecide

        if ledger.find_arrival(arrival) is not None:
            return None  # recorded by a run that stopped before marking its inbox item
        earlier = ledger.find_submission(arrival.sha256)
        report: FileReport | None = None
        owed: FeedbackOwed | None = None
        rows: Any = None  # the accepted data's ledger rows, when a worker built them
        if earlier is not None and not redecide(earlier):
            decision = duplicate_decision(earlier, arrival)
        else:
            plan: Plan | None = None
            if arrival.is_workbook:
                report, plan, rows = self.parse(ledger, arrival)
                if plan is None or (report.fiscal_year and report.fiscal_year != plan.fiscal_year):
                    plan = self.plans.get(report.fiscal_year)
            decision = decide(report, arrival, plan, trusted=trusted(self.ws, arrival))
            self.infer_period(decision, arrival)
            if decision.status in replies_mod.PROBLEM_STATUSES and report is not None:
                owed = self.owe_feedback(report, decision, arrival)
        return Pending(arrival, report, decision, rows, owed)

    def parse(self, ledger: Any, arrival: Any) -> tuple[FileReport, Plan | None, Any]:
        """(report, plan, ledger rows or None) of one workbook: from a worker (parallel.py)
        or read here in the run's own reader child (isolate.py), never in this process. A
        file quarantined as poison is not parsed at all; a death of its child is recorded
        in the ledger (two make it poison: ``Ledger.note_parse_deaths``)."""
        from .isolate import Death, dead_workbook
        from .validate import validate_workbook

        sha, name = arrival.sha256, arrival.original_name
        path = self.archived[sha]
        poison = self.poison.get(sha)
        if poison is not None:
            death = Death(poison["last_code"], poison["last_detail"])
            raw = dead_workbook(path, name, sha, [death], poisoned=True)
            return validate_workbook(raw, None), None, None
        pre = self.pre.get(sha) if self.pre is not None else None
        if pre is not None:  # read (+ validated) by a worker
            report, year, rows, deaths = pre
            if report is not None:
                self.note_deaths(ledger, sha, deaths)
                return report, self.plans.get(year), rows
            raw = dead_workbook(path, name, sha, deaths,
                                poisoned=self.note_deaths(ledger, sha, deaths))
            return validate_workbook(raw, None), None, None
        raw, deaths = self.reader().read(path, name, sha)
        self.note_deaths(ledger, sha, deaths)  # two deaths: raw says poison already
        plan = self.plans.get(_fiscal_year_of(raw, self.plans))
        return validate_workbook(raw, plan, self.stamp_key()), plan, None

    def stamp_key(self) -> bytes | None:
        """The workspace's key for template stamps (``templates.stamp_key``), read once."""
        if "stamp_key" not in self._memo:
            from .templates import stamp_key

            self._memo["stamp_key"] = stamp_key(self.ws.state)
        return self._memo["stamp_key"]

    def reader(self) -> Any:
        """The run's own reader child (started on first use, reused, replaced if it dies)."""
        if self.solo is None:
            from .isolate import IsolatedReader, marker_dir

            self.solo = IsolatedReader(marker_dir(self.ws.state))
        return self.solo

    def note_deaths(self, ledger: Any, sha: str, deaths: list[Any]) -> bool:
        """Record a file's child deaths; True when it is (now) quarantined as poison."""
        if not deaths:
            return False
        log.warning("file %s killed its reader %d time(s): %s", sha[:12], len(deaths),
                    "; ".join(f"{d.code} {d.detail}" for d in deaths))
        ledger.note_parse_deaths([(sha, d.code, d.detail) for d in deaths])
        row = ledger.poisoned(sha)
        if row is not None:
            self.poison[sha] = row
        return row is not None

    def finish(self, pending: Pending, done: Any) -> FileOutcome:
        """The run report's line for an arrival ``Ledger.record_many`` recorded as ``done``."""
        arrival, decision = pending.arrival, pending.decision
        outcome = FileOutcome(
            name=arrival.original_name, source=arrival.source, source_path=arrival.source_path,
            sender=arrival.sender, sha256=arrival.sha256, status="", action="")
        outcome.submission_id = done.submission_id
        outcome.status = decision.status
        outcome.reason = f"{decision.reason_th} / {decision.reason_en}".strip(" /")
        outcome.agency_code = done.agency_code
        outcome.fiscal_year = done.fiscal_year
        outcome.quarter = done.quarter
        outcome.late = bool(getattr(decision, "late", False))
        report, feedback_rel = pending.report, pending.feedback_rel
        probs = decision.problems if decision.status == "duplicate" else _merge_problems(report, decision)
        outcome.errors = sum(1 for p in probs if p.is_error)
        outcome.warnings = len(probs) - outcome.errors
        outcome.problems = [{"code": p.code, "severity": p.severity, "where": p.where,
                             "message_th": p.message_th, "message_en": p.message_en}
                            for p in probs]
        outcome.feedback = feedback_rel
        if decision.status == "duplicate":
            outcome.action = "ignored"
        elif decision.status == "accepted":
            outcome.supersedes = list(done.supersedes)
            if done.status == "superseded":
                outcome.action = "imported"
                outcome.reason = ("รับไว้ แต่มีไฟล์ที่ใหม่กว่าของหน่วยงานนี้แล้ว / accepted, but a newer "
                                  "file of this agency already counts")
                outcome.status = "superseded"
            else:
                outcome.action = "updated" if outcome.supersedes else "imported"
        else:
            outcome.action = decision.status
        return outcome

    def infer_period(self, decision: Any, arrival: Any) -> None:
        """A rejected file that cannot say its year and quarter (corrupt, not a workbook)
        but whose sender is known counts against the quarter last ended when it arrived,
        so the status page shows that agency as rejected (to chase), not missing."""
        if decision.status != "rejected" or not decision.agency_code:
            return
        if decision.fiscal_year is not None and decision.quarter is not None:
            return
        day = fcal.to_thai_date(arrival.received_at)
        fy, q = fcal.fiscal_year_of(day), fcal.quarter_of(day) - 1
        if q == 0:
            fy, q = fy - 1, 4
        plan = self.plans.get(fy)
        if plan is not None and decision.agency_code in plan.agencies:
            decision.fiscal_year, decision.quarter = fy, q

    def owe_feedback(self, report: FileReport, decision: Any, arrival: Any) -> FeedbackOwed:
        """The annotated copy this arrival is owed, under a name of our own (sha + stem):
        recorded in the ledger with the arrival and written after the ledger (see
        :meth:`start_feedback`), so its ~20 ms of openpyxl leave the per-file work."""
        target = self.ws.feedback_dir / feedback_name(arrival.sha256, arrival.original_name)
        return FeedbackOwed(
            0, _rel(self.ws, target, self.ws.outbox),
            _rel(self.ws, self.archived[arrival.sha256]), report.display_name,
            report.format, _merge_problems(report, decision))

    # -- 4b. the feedback workbooks owed (this night's, or those a killed run left)
    def start_feedback(self, ledger: Any) -> Any:
        """Write the owed feedback workbooks now, or, for a big night, start the process
        that writes them beside the roll-ups (parallel.FeedbackWriter): finish with
        :meth:`finish_feedback`."""
        owed = ledger.feedback_owed()
        if not owed:
            return None  # an idle night imports nothing of the readers
        from . import parallel

        if parallel.feedback_process_wanted(len(owed)):
            return parallel.FeedbackWriter(self.ws.root, owed)
        self._feedback_done(ledger, ((o, parallel.attempt(self._write_owed, o)) for o in owed))
        return None

    def finish_feedback(self, ledger: Any, writer: Any) -> None:
        """The rest of the owed feedback workbooks, once the roll-ups are written: what
        the feedback process has not taken is made here (``start_feedback``'s writer)."""
        if writer is not None:
            self._feedback_done(ledger, writer.finish(self._write_owed))

    def _write_owed(self, owed: FeedbackOwed) -> None:
        """One owed feedback workbook, made in the run's reader child (it parses the
        sender's file again); if the child dies on it, the copy is the problems sheet
        alone, made here without opening the file."""
        from .feedback import write_owed, write_owed_later
        from .isolate import ChildDied, guarded

        try:  # synced in _feedback_done
            self.reader().child.call(guarded, write_owed_later, owed.source, owed.display_name,
                                     self.ws.root, owed)
        except ChildDied as died:
            log.warning("feedback copy of %s killed its child (%s): problems sheet only",
                        owed.source, died.death.code)
            write_owed(self.ws.root, owed, durable=False, plain=True)

    def _feedback_done(self, ledger: Any,
                       results: Iterable[tuple[FeedbackOwed, BaseException | None]]) -> None:
        """Strike off the ledger what was written; a failure is reported and stays owed.

        The workbooks are written without an fsync each (two per file, which wait behind
        the roll-ups' large writes); one filesystem sync makes a batch durable before the
        ledger says so."""
        written: list[int] = []

        def strike_off() -> None:
            if written:
                sync_filesystem(self.ws.outbox)
                ledger.feedback_written(written)
                written.clear()

        for owed, exc in results:
            if exc is not None:
                self._failed(f"feedback {owed.target}", exc)
                continue
            written.append(owed.submission_id)
            self.n_feedback += 1
            _hook("after-feedback", self.n_feedback)
            if len(written) >= LEDGER_BATCH:
                strike_off()
        strike_off()

    def _failed(self, what: str, exc: BaseException) -> None:
        """A step that failed: traceback to the log, a line in the report, exit 1 later.
        Its digest is not stored, so the next run tries it again."""
        log.error("%s failed:\n%s", what, traceback.format_exc())
        self.report.failures.append(f"{what}: {type(exc).__name__}: {exc}")

    # -- 5. roll-ups
    def _digests_path(self) -> Path:
        return self.ws.state / DIGESTS_FILE

    def load_digests(self) -> dict[str, str]:
        try:
            return json.loads(self._digests_path().read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def save_digests(self, digests: dict[str, str]) -> None:
        write_text_atomic(self._digests_path(), json.dumps(digests, indent=1, sort_keys=True))

    def rollups(self, ledger: Any) -> tuple[dict[str, str], dict]:
        """Rebuild the roll-ups whose inputs changed; returns every period's key and the
        quarters consolidated on the way ((fy, q) -> QuarterFigures, for the status page).

        Each quarter is consolidated once (after its cross-quarter problems are recorded)
        and its figures go to the quarter roll-up, the annual report and the status page;
        only the latest fiscal year's quarters are kept (memory at 30,000 agencies).
        consolidate/rollup are imported only when something must be rebuilt: an idle night
        stays near-instant."""
        digests = self.load_digests()
        keys: dict[str, str] = {}
        years: dict[int, list[str]] = {}
        figures: dict = {}
        plan_sha = {fy: _file_sha(self.ws.plan_file(fy)) for fy in self.plans.years()}
        for fy, q in ledger.periods():
            if fy not in plan_sha:
                continue  # no plan for that year: its files are quarantined, nothing to roll up
            if not ledger.has_submissions(fy, q, ("accepted", "superseded", "rejected")):
                continue  # only quarantined files (quarter not open, spoofed): nothing to show
            parts = [ledger.period_digest(fy, q), plan_sha[fy]]
            if q > 1:
                parts.append(ledger.period_digest(fy, q - 1))
            parts.append(ledger.period_digest(fy - 1, q))
            key = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
            name = f"{fy}-Q{q}"
            keys[name] = key
            years.setdefault(fy, []).append(key)
            if digests.get(name) == key and ws_has(self.ws.rollup_dir(fy, q)):
                continue
            for old in [k for k in figures if k[0] != fy]:
                del figures[old]
            try:
                from .consolidate import record_cross_quarter_problems
                from .rollup import write_quarter_rollup

                record_cross_quarter_problems(ledger, fy, q, self.plans.get(fy))
                path = write_quarter_rollup(self.ws, fy, q, plan=self.plans.get(fy),
                                            figures=figures)
            except Exception as exc:  # keep going: other quarters, replies, the report
                self._failed(f"roll-up {name}", exc)
                continue
            self.report.rollups.append(_rel(self.ws, Path(path), self.ws.outbox))
            log.info("roll-up %s written: %s", name, path)
            _hook("during-rollup")
            digests[name] = key
            self.save_digests(digests)
        for fy, parts in years.items():
            name = f"{fy}-annual"
            key = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
            keys[name] = key
            if digests.get(name) == key and ws_has(self.ws.rollup_dir(fy)):
                continue
            try:
                from .rollup import write_annual_report

                path = write_annual_report(self.ws, fy, plan=self.plans.get(fy),
                                           figures=figures)
            except Exception as exc:
                self._failed(f"annual report {fy}", exc)
                continue
            self.report.rollups.append(_rel(self.ws, Path(path), self.ws.outbox))
            digests[name] = key
            self.save_digests(digests)
        _hook("after-rollup")
        return keys, figures

    def status_page(self, keys: dict[str, str], figures: dict | None = None) -> None:
        """The status page of the latest quarter, rewritten only when a roll-up key moved;
        ``figures``: the quarters rollups() consolidated (dropped here, they are large)."""
        quarters = sorted((int(k.split("-Q")[0]), int(k.split("-Q")[1]))
                          for k in keys if "-Q" in k)
        if not quarters:
            if figures:
                figures.clear()
            return
        fy, q = quarters[-1]
        key = hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:16]
        digests = self.load_digests()
        target = self.ws.outbox / "status.html"
        if digests.get("status-page") == key and target.exists():
            if figures:
                figures.clear()
            return
        try:
            from .status_page import write_status_page

            path = write_status_page(self.ws, fy, q, datetime.now(UTC), plan=self.plans.get(fy),
                                     figures=figures)
        except Exception as exc:
            self._failed("status page", exc)
            return
        finally:
            if figures:
                figures.clear()
        self.report.status_page = _rel(self.ws, Path(path), self.ws.outbox)
        digests["status-page"] = key
        self.save_digests(digests)

    # -- 6. replies
    def replies(self, ledger: Any) -> dict[str, str]:
        """A draft for every submission with a sender and no draft yet; sha -> draft path."""
        written: dict[str, str] = {}
        statuses = replies_mod.PROBLEM_STATUSES + replies_mod.RECEIPT_STATUSES
        drafts = replies_mod.existing_drafts(self.ws.replies_dir)
        for s in ledger.submissions_with_sender(statuses):
            name = replies_mod.reply_filename(s["sha256"], s.get("agency_code"))
            if name in drafts:
                continue
            plan = self.plans.get(s.get("fiscal_year")) if s.get("fiscal_year") else None
            if plan is None and self.plans.years():
                plan = self.plans.get(self.plans.years()[-1])
            agency = plan.agencies.get(s.get("agency_code") or "") if plan else None
            arrival = next(iter(ledger.arrivals(s["id"])), {})
            feedback = self.ws.outbox / s["feedback_path"] if s.get("feedback_path") else None
            due = None
            if plan is not None and s.get("quarter") and s.get("fiscal_year") == plan.fiscal_year:
                due = fcal.format_thai_date(plan.due_date(int(s["quarter"])))
            facts = replies_mod.ReplyFacts(
                sha256=s["sha256"], original_name=s["original_name"], sender=s["sender"],
                status=s["status"], decided_at=datetime.fromisoformat(s["decided_at"]),
                agency_code=s.get("agency_code"), agency_name=agency.name_th if agency else None,
                fiscal_year=s.get("fiscal_year"), quarter=s.get("quarter"),
                reason=s.get("reason"), late=bool(s.get("late")), due_date=due,
                message_id=arrival.get("message_id"),
                problems=replies_mod.problems_from_rows(ledger.problems(s["id"]),
                                                        s["original_name"]),
                feedback=feedback,
                web_link=clerk_url(self.ws, s.get("agency_code") or "", agency=agency),
            )
            path = replies_mod.write_draft(
                self.ws.replies_dir, facts,
                replies_mod.from_address(self.ws, plan.office_email if plan else None),
                plan.office_name if plan else None)
            if path is not None:
                drafts.add(name)
                rel = _rel(self.ws, path, self.ws.outbox)
                written[s["sha256"]] = rel
                self.report.replies_written.append(rel)
        return written


    def send_replies(self) -> None:
        """SMTP failures fail the run (exit 1) but keep everything else it did."""
        sent: list[Path] = []
        cfg = self.ws.smtp
        try:
            replies_mod.send_pending(self.ws.replies_dir, cfg, sent)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("SMTP %s:%s failed:\n%s", cfg.host, cfg.port, traceback.format_exc())
            self.report.failures.append(f"SMTP {cfg.host}:{cfg.port}: {type(exc).__name__}: {exc}")
            click.echo(f"ส่งอีเมลไม่สำเร็จ (SMTP sending failed) {cfg.host}:{cfg.port}: {exc}; "
                       "ร่างที่ยังไม่ได้ส่งจะส่งในครั้งถัดไป (unsent drafts stay for the next --send)",
                       err=True)
        self.report.replies_sent = [_rel(self.ws, p, self.ws.outbox) for p in sent]
        for p in sent:
            log.info("reply sent: %s", p.name)


def ws_has(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix == ".xlsx" for p in folder.iterdir())


def _progress(items: list[Any], quiet: bool) -> Any:
    if quiet or not sys.stdout.isatty() or not items:
        return _NoBar(items)
    return click.progressbar(items, label="ตรวจไฟล์ (checking files)",
                             item_show_func=lambda a: a.original_name[:40] if a else "")


class _NoBar:
    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __enter__(self) -> list[Any]:
        return self.items

    def __exit__(self, *exc: object) -> None:
        return None


def _summary(report: RunReport) -> str:
    c = report.counts()
    lines = [
        f"รับไฟล์ใหม่ {len(report.files)} ไฟล์ (new files): นำเข้า {c['imported']} (imported), "
        f"ปรับปรุง {c['updated']} (updated), ไม่ผ่าน {c['rejected']} (rejected), "
        f"กักไว้ {c['quarantined']} (quarantined), ซ้ำ {c['ignored']} (duplicates ignored)"
        + (f", ผิดพลาด {c['failed']} (failed)" if c["failed"] else ""),
        f"รายงานสรุปที่สร้างใหม่ {len(report.rollups)} (roll-ups rebuilt); "
        f"ร่างอีเมลตอบกลับ {len(report.replies_written)} (reply drafts)"
        + (f"; ส่งแล้ว {len(report.replies_sent)} (sent)" if report.replies_sent else ""),
    ]
    if not report.busy:
        lines = ["ไม่มีอะไรใหม่ (nothing new)"]
    return "\n".join(lines)


def run_nightly(ws: Workspace, send: bool = False, quiet: bool = False) -> int:
    """Run the nightly job on a workspace. 0 done (rejected files included), 1 failed,
    3 a plan workbook is broken, 75 another run holds the lock."""
    ws.ensure()
    handler = _setup_log(ws)
    try:
        try:
            with run_lock(ws.lock_path):
                _hook("after-lock")
                return _run_locked(ws, send, quiet)
        except LockBusy as exc:
            log.warning("lock busy: %s (holder: %s)", exc.path, exc.holder)
            click.echo(str(exc), err=True)
            return EXIT_LOCKED
    finally:
        log.removeHandler(handler)
        handler.close()


def sweep_leftovers(ws: Workspace) -> int:
    """Remove what a killed run may have left half-written: atomic writes' temporary files
    (``.<name>.<random>.tmp``) and feedback scratch folders. Safe: we hold the lock, and no
    finished file ever has such a name. Returns how many were removed."""
    removed = 0
    for folder in (ws.outbox, ws.archive, ws.state):
        if not folder.is_dir():
            continue
        pattern = folder.glob(".*.tmp") if folder == ws.state else folder.rglob(".*.tmp")
        for tmp in pattern:
            if tmp.is_file():
                tmp.unlink(missing_ok=True)
                removed += 1
    for scratch in ws.state.glob("feedback-*"):
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d leftovers of an interrupted run", removed)
    return removed


def poison_from_killed_runs(ws: Workspace, ledger: Any) -> dict[str, dict[str, Any]]:
    """The files quarantined as poison, after counting the parses a killed run left
    unfinished: a reader child's marker in ``state/parsing/`` that still names a file
    (children die with the run, so only a killed run leaves one) is a death of that
    file, unless it was recorded since. Markers are removed once counted."""
    folder = ws.state / "parsing"
    deaths: list[tuple[str, str, str]] = []
    markers = sorted(folder.iterdir()) if folder.is_dir() else []
    if markers:  # rare: only then the reader's modules (an idle night stays near-instant)
        from .isolate import read_marker

        for marker in markers:
            if not marker.name.endswith(".err"):
                key, _started = read_marker(marker)
                if len(key) == 64 and ledger.find_submission(key) is None:
                    deaths.append((key, "file.reader-crashed",
                                   "a run stopped while reading this file"))
            marker.unlink(missing_ok=True)
    if deaths:
        log.warning("a previous run stopped while reading %d file(s): %s", len(deaths),
                    ", ".join(d[0][:12] for d in deaths))
        ledger.note_parse_deaths(deaths)
    return {row["sha256"]: row for row in ledger.poison_list()}


def release_poison(ws: Workspace, sha256: str | None) -> list[dict[str, Any]]:
    """``edurollup release``: with a SHA-256 (or a unique prefix of 12+ hex digits), let
    the next run collect and parse that quarantined file again; returns what was released
    (empty when nothing matched). Without one, lists the quarantined files. Holds the run
    lock, so a running night never sees the ledger change under it."""
    from .ledger import Ledger

    with run_lock(ws.lock_path), Ledger(ws.ledger_path) as ledger:
        if not sha256:
            return ledger.poison_list()
        row = ledger.release_poison(sha256)
    if row is not None:
        log.info("released poison file %s (%d deaths, last %s)", row["sha256"], row["deaths"],
                 row["last_code"])
    return [row] if row is not None else []


class _Workers:
    """Starts the worker processes (parallel.py) once the night holds enough new workbooks,
    while the run is still collecting, and hands them each later one: the workers read and
    validate the first files while the run archives the rest. None for a small night or
    EDUROLLUP_WORKERS=0."""

    def __init__(self, ws: Workspace, job: NightlyRun, ledger: Any) -> None:
        self.ws, self.job, self.ledger = ws, job, ledger
        self.waiting: list[tuple[str, Path, str]] = []  # until there are enough
        self.pre: Any = None
        self.off = False

    def archived(self, a: Any) -> None:
        """A new arrival is in the archive: to the workers if it is a workbook not seen yet."""
        if self.off or not a.is_workbook or a.sha256 in self.job.poison \
                or self.ledger.find_submission(a.sha256) is not None:
            return
        item = (a.sha256, self.job.archived[a.sha256], a.original_name)
        if self.pre is not None:
            self.pre.add(*item)
            return
        from .parallel import MIN_FILES

        self.waiting.append(item)
        if len(self.waiting) >= MIN_FILES:
            self.start()

    def start(self) -> None:
        from .parallel import Prevalidator, workers_wanted

        workers = workers_wanted(len(self.waiting))
        if not workers:
            self.off = True  # EDUROLLUP_WORKERS=0 or one core: never
            return
        years = self.job.plans.years()
        if years:  # the latest plan parsed here once and cached in state/, before the workers
            try:   # would each parse it (a plan with errors is reported where it is needed)
                self.job.plans.get(years[-1])
            except PlanBroken:
                pass
        self.pre = Prevalidator(self.ws.root, self.waiting, workers)
        self.waiting = []

    def finish(self) -> Any:
        """The Prevalidator with every new workbook of the night, or None."""
        if self.pre is not None:
            self.pre.done_adding()
        return self.pre


def _run_locked(ws: Workspace, send: bool, quiet: bool) -> int:
    from .ledger import Ledger

    sweep_leftovers(ws)
    job = NightlyRun(ws, send, quiet)
    rep = job.report
    code = EXIT_OK
    try:
        with Ledger(ws.ledger_path) as ledger:
            job.poison = poison_from_killed_runs(ws, ledger)
            workers = _Workers(ws, job, ledger)
            arrivals = job.collect(ledger, workers.archived)
            job.pre = workers.finish()
            rep.items_new = len({a.source_path for a in arrivals})
            remaining = Counter(a.source_path for a in arrivals)
            failed_items: set[str] = set()
            # Arrivals are decided one by one in arrival order and recorded LEDGER_BATCH at a
            # time, each batch in one transaction; what the run reports and marks is settled
            # per batch, in arrival order, exactly as if each had its own transaction.
            slots: list[tuple[Any, Pending | Exception | None]] = []
            pending_shas: set[str] = set()

            def fail(arrival: Any, exc: BaseException, trace: str) -> FileOutcome:
                log.error("file %s (%s) failed:\n%s", arrival.source_path,
                          arrival.original_name, trace)
                rep.failures.append(f"{arrival.source_path}: {type(exc).__name__}: {exc}")
                failed_items.add(arrival.source_path)
                return FileOutcome(
                    name=arrival.original_name, source=arrival.source,
                    source_path=arrival.source_path, sender=arrival.sender,
                    sha256=arrival.sha256, status="failed", action="failed",
                    reason=f"{type(exc).__name__}: {exc}")

            def flush() -> None:
                batch = [s for _a, s in slots if isinstance(s, Pending)]
                results: list[Any] = []
                if batch:
                    from .ledger import Entry

                    def written(_i: int) -> None:
                        job.n_written += 1
                        _hook("during-ledger", job.n_written)

                    try:
                        results = ledger.record_many([Entry(*p.entry) for p in batch], written)
                    except Exception as exc:  # noqa: BLE001 - the batch failed as a whole
                        results = [exc] * len(batch)
                done = iter(results)
                marks: list[tuple[str, int, int]] = []
                for arrival, slot in slots:
                    outcome: FileOutcome | None = None
                    if isinstance(slot, Exception):
                        outcome = fail(arrival, slot, _trace(slot))
                    elif isinstance(slot, Pending):
                        result = next(done)
                        if isinstance(result, Exception):
                            outcome = fail(arrival, result, _trace(result))
                        else:
                            job.n_recorded += 1
                            _hook("after-ledger", job.n_recorded)
                            outcome = job.finish(slot, result)
                    if outcome is not None:
                        rep.files.append(outcome)
                        log.info("%s %s %s: %s", outcome.action, outcome.source_path,
                                 outcome.name, outcome.reason)
                    remaining[arrival.source_path] -= 1
                    if remaining[arrival.source_path] == 0 and \
                            arrival.source_path not in failed_items:
                        marks.append(arrival.item_key)
                ledger.mark_items(marks)
                slots.clear()
                pending_shas.clear()

            with _progress(arrivals, quiet) as bar:
                for arrival in bar:
                    if arrival.sha256 in pending_shas:
                        flush()  # decided against the ledger: the earlier copy must be in it
                    try:
                        slot: Pending | Exception | None = job.prepare(ledger, arrival)
                    except PlanBroken:
                        flush()
                        raise
                    except Exception as exc:  # one bad file must not stop the night
                        slot = exc
                    slots.append((arrival, slot))
                    if isinstance(slot, Pending):
                        pending_shas.add(arrival.sha256)
                    if len(slots) >= LEDGER_BATCH:
                        flush()
                flush()
            if job.pre is not None:
                job.pre.close()
            feedback = job.start_feedback(ledger)
            try:
                keys, figures = job.rollups(ledger)
                job.status_page(keys, figures)
            finally:
                job.finish_feedback(ledger, feedback)
            written = job.replies(ledger)
            for f in rep.files:
                f.reply = written.get(f.sha256) if f.action != "ignored" else None
            if send:
                job.send_replies()
            if rep.failures:
                code = EXIT_FAILED
            _hook("before-report")
            rep.exit_code = code
            _finish(ws, job, ledger)
    except PlanBroken as exc:
        log.error("%s", exc)
        click.echo(str(exc), err=True)
        return EXIT_PLAN
    except Exception as exc:
        log.error("run failed:\n%s", traceback.format_exc())
        click.echo(f"การประมวลผลล้มเหลว (the run failed): {type(exc).__name__}: {exc}\n"
                   f"ดูรายละเอียดใน (details in) {ws.log_dir / 'run.log'}", err=True)
        return EXIT_FAILED
    finally:
        if job.pre is not None:  # a failed night must not leave workers behind
            job.pre.close()
        if job.solo is not None:
            job.solo.close()
    if not quiet or rep.busy:
        click.echo(_summary(rep))
    if rep.failures:
        click.echo("บางขั้นตอนไม่สำเร็จ จะลองใหม่ในรอบถัดไป (some steps failed; they will be "
                   "retried next run):\n  " + "\n  ".join(rep.failures)
                   + f"\nดูรายละเอียดใน (details in) {ws.log_dir / 'run.log'}", err=True)
    return code


def _finish(ws: Workspace, job: NightlyRun, ledger: Any) -> None:
    """Run report (only when the run did something) and the log line."""
    rep = job.report
    rep.seconds = time.monotonic() - job.t0
    rep.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    c = rep.counts()
    if not rep.busy:
        log.info("nothing new (%.2f s)", rep.seconds)
        return
    stamp = rep.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    target = ws.runs_dir / f"{stamp}.json"
    n = 1
    while target.exists():  # two busy runs within one second
        n += 1
        target = ws.runs_dir / f"{stamp}-{n}.json"
    summary = json.dumps(rep.to_json(), ensure_ascii=False, indent=2, default=str)
    write_text_atomic(target, summary + "\n")
    with ledger.transaction() as db:
        db.execute("INSERT INTO runs (started_at, finished_at, summary) VALUES (?, ?, ?)",
                   (rep.started_at, rep.finished_at, summary))
    log.info("run done in %.2f s: %s; roll-ups %d; replies %d written, %d sent; report %s",
             rep.seconds, json.dumps(c), len(rep.rollups), len(rep.replies_written),
             len(rep.replies_sent), target.name)
