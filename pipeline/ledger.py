"""The ledger: every arrival, every decision, every problem and the accepted data, in SQLite.

It is the single source of truth for roll-ups and status. One :meth:`Ledger.record` call is
one transaction, so a crash leaves either the whole submission or nothing, and the next run
redoes the item. The schema lives in ``ledger_schema.py`` as numbered migrations applied in
order and counted by ``PRAGMA user_version``.

Query results: :meth:`budget_lines` and :meth:`indicator_results` return pandas DataFrames
(figures for consolidation); every other query returns plain ``list[dict]`` (or ``dict``)
with the ledger's column names.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ledger_schema import MIGRATIONS
from .model import FeedbackOwed, FileReport, Problem

if TYPE_CHECKING:
    import pandas as pd

    from .collect import Arrival
    from .decide import Decision

BUSY_TIMEOUT_MS = 30_000


def iso_utc(value: datetime) -> str:
    """Ledger time text: ISO-8601 in UTC, seconds (sorts as text in time order)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def now_utc() -> str:
    return iso_utc(datetime.now(UTC))


def _isna(value: Any) -> bool:
    """pd.isna, importing pandas only when a frame's values are stored (an idle nightly run
    never imports it: ~1 s of a rerun)."""
    import pandas as pd

    return bool(pd.isna(value))


def _columns(df: pd.DataFrame | None) -> dict[str, list[Any]] | None:
    """A clean frame as plain column lists (``df.to_dict("records")`` costs ~2 ms a frame in
    pandas 3); None for a missing or empty frame. Same Python values (ints, floats, str,
    pd.NA); a frame without ``_row`` gets row 0, as before."""
    if df is None or not len(df):
        return None
    lists = {str(c): df[c].tolist() for c in df.columns}
    lists.setdefault("_row", [None] * len(df))
    return lists


def _int(value: Any, default: int | None = 0) -> int | None:
    """Satang / row numbers from a frame cell (Int64 <NA>, numpy ints) to a Python int."""
    if value is None or (not isinstance(value, str) and _isna(value)):
        return default
    return int(value)


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and _isna(value)):
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _float(value: Any) -> float | None:
    if value is None or (not isinstance(value, str) and _isna(value)):
        return None
    return float(value)


@dataclass
class DataRows:
    """An accepted report's data as ledger rows, without the submission id: budget lines,
    indicator results and the cover. Built from the report's frames by :func:`data_rows`,
    in the worker process that validated the file (parallel.py) or by :meth:`Ledger.record`."""

    budget: list[tuple[Any, ...]]
    indicators: list[tuple[Any, ...]]
    cover: tuple[Any, ...]
    narratives: list[tuple[Any, ...]] = field(default_factory=list)


def data_rows(report: FileReport) -> DataRows:
    """The rows :meth:`Ledger.record` stores for an accepted ``report`` (same values as
    reading its frames at record time)."""
    lists = {key: cols for key, cols in (("budget", _columns(report.budget)),
                                         ("indicators", _columns(report.indicators)),
                                         ("narrative", _columns(report.narrative)))
             if cols is not None}
    return data_rows_from_lists(lists, report.cover)


BUDGET_FIELDS = ("project_code", "project_name", "strategy", "budget_source",
                 "expenditure_category", "allocated", "committed", "disbursed",
                 "progress_status", "remarks", "output_target", "output_achieved")
NARRATIVE_FIELDS = ("kind", "strategy", "project_code", "text")


INDICATOR_FIELDS = ("indicator_code", "result", "evidence", "numerator", "denominator", "weight",
                    "answer")


def data_rows_from_lists(lists: dict[str, dict[str, list[Any]]],
                         cover: dict[str, Any] | None) -> DataRows:
    """The ledger rows of clean data given as plain column lists
    (``FileReport.clean_lists``, or a report's frames through :func:`data_rows`): workers
    build them without pandas frames (tests/test_ledger.py compares both on demo files)."""
    budget: list[tuple[Any, ...]] = []
    b = lists.get("budget")
    if b and b.get("_row"):
        n = len(b["_row"])
        cols = [b.get(name) or [None] * n for name in BUDGET_FIELDS]
        for row, code, name, strategy, source, category, allocated, committed, disbursed, \
                status, remarks, target, achieved in zip(b["_row"], *cols, strict=True):
            budget.append((
                _int(row), _text(code), _text(name), _int(strategy, None),
                _text(source), _text(category), _int(allocated, None), _int(committed),
                _int(disbursed), _text(status), _text(remarks), _text(target),
                _text(achieved)))
    indicators: list[tuple[Any, ...]] = []
    i = lists.get("indicators")
    if i and i.get("_row"):
        n = len(i["_row"])
        codes, results, evidence, nums, dens, weights, answers = (
            i.get(name) or [None] * n for name in INDICATOR_FIELDS)
        indicators = [(_int(row), _text(code), _float(result), _text(ev), _float(num),
                       _float(den), _float(weight), _text(answer))
                      for row, code, result, ev, num, den, weight, answer in zip(
                          i["_row"], codes, results, evidence, nums, dens, weights, answers,
                          strict=True)]
    narratives: list[tuple[Any, ...]] = []
    t = lists.get("narrative")
    if t and t.get("_row"):
        n = len(t["_row"])
        kinds, strategies, projects, texts = (t.get(name) or [None] * n
                                              for name in NARRATIVE_FIELDS)
        narratives = [(_int(row), _text(kind), _int(strategy, None), _text(project),
                       _text(text))
                      for row, kind, strategy, project, text in zip(
                          t["_row"], kinds, strategies, projects, texts, strict=True)
                      if kind is not None and text is not None]
    c = cover or {}
    return DataRows(budget, indicators, (
        _text(c.get("reporter_name")), _text(c.get("reporter_position")),
        _text(c.get("reporter_phone")), _text(c.get("reporter_email")),
        _text(c.get("report_date"))), narratives)


@dataclass
class Entry:
    """One arrival to record with :meth:`Ledger.record_many` (the arguments of
    :meth:`Ledger.record`); ``rows``: its :class:`DataRows` when already built;
    ``feedback``: the feedback workbook it is owed, recorded with it (see
    :meth:`Ledger.feedback_owed`)."""

    arrival: Arrival
    report: FileReport | None
    decision: Decision
    feedback_path: str | None = None
    rows: DataRows | None = None
    feedback: FeedbackOwed | None = None


@dataclass
class Recorded:
    """What :meth:`Ledger.record_many` did with one entry: the submission id and the
    submission row's agency, period and status right after this entry was recorded (a
    later entry of the same batch may supersede it), and the ids it superseded."""

    submission_id: int
    agency_code: str | None
    fiscal_year: int | None
    quarter: int | None
    status: str
    supersedes: list[int]


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, one at a time (executescript would commit
    the transaction that holds the write lock)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""


class Ledger:
    """The SQLite ledger of a workspace (``Ledger(ws.ledger_path)``); use it as a context
    manager, or call :meth:`close`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                  isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self._seen: set[tuple[str, int, int]] | None = None
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.migrate()
        self.db.execute("PRAGMA foreign_keys = ON")

    # ---- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        """Apply the migrations this ledger has not seen yet, each in its own transaction."""
        current = self.version
        if current > len(MIGRATIONS):
            raise RuntimeError(
                f"ledger {self.path} is version {current}, newer than this program "
                f"({len(MIGRATIONS)}) / ฐานข้อมูลเป็นรุ่นใหม่กว่าโปรแกรม: ปรับรุ่นโปรแกรมก่อน")
        if current == len(MIGRATIONS):
            return current
        # Table rebuilds need foreign keys off (set outside a transaction), checked after.
        self.db.execute("PRAGMA foreign_keys = OFF")
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # another process may have migrated while we waited for the write lock
                if self.version < number:
                    for statement in _statements(script):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {number}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"ledger foreign keys broken after migration: {broken[:5]}")
        return self.version

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(sql, tuple(params)).fetchall()]

    # ---- inbox items (fast reruns) --------------------------------------------------------------
    def seen_item(self, source_path: str, size: int, mtime_ns: int) -> bool:
        """True when this inbox item (same path, size and mtime) was processed already.
        Pass it to ``collect(ws, seen=ledger.seen_item)``. The keys are read once into a
        set, so a rerun over 30,000 old items costs no query per item."""
        if self._seen is None:
            self._seen = {(r[0], r[1], r[2]) for r in self.db.execute(
                "SELECT source_path, size, mtime_ns FROM inbox_items")}
        return (source_path, size, mtime_ns) in self._seen

    def mark_item(self, source_path: str, size: int, mtime_ns: int) -> None:
        """Note an inbox item as processed (after every arrival from it is recorded)."""
        self.db.execute(
            "INSERT OR IGNORE INTO inbox_items (source_path, size, mtime_ns, processed_at) "
            "VALUES (?, ?, ?, ?)", (source_path, size, mtime_ns, now_utc()))
        if self._seen is not None:
            self._seen.add((source_path, size, mtime_ns))

    def mark_items(self, keys: list[tuple[str, int, int]]) -> None:
        """:meth:`mark_item` for many items, in one transaction."""
        if not keys:
            return
        now = now_utc()
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO inbox_items (source_path, size, mtime_ns, processed_at) "
                "VALUES (?, ?, ?, ?)", [(*k, now) for k in keys])
        if self._seen is not None:
            self._seen.update(keys)

    # ---- feedback workbooks owed ---------------------------------------------------------------
    def feedback_owed(self) -> list[FeedbackOwed]:
        """The feedback workbooks recorded submissions are owed and no run has written yet
        (this night's, or a killed run's), oldest submission first."""
        rows = self.db.execute(
            "SELECT submission_id, target, source, display_name, format, problems "
            "FROM feedback_owed ORDER BY submission_id").fetchall()
        return [FeedbackOwed(int(r["submission_id"]), r["target"], r["source"],
                             r["display_name"], r["format"],
                             FeedbackOwed.problems_from_json(r["problems"])) for r in rows]

    def feedback_written(self, submission_ids: list[int]) -> None:
        """These submissions' feedback workbooks are in the outbox (one transaction)."""
        if not submission_ids:
            return
        with self.transaction() as db:
            db.executemany("DELETE FROM feedback_owed WHERE submission_id = ?",
                           [(i,) for i in submission_ids])

    # ---- parse deaths and the poison quarantine (docs/operations.md) -----------------------------
    POISON_DEATHS = 2  # deaths (of a reader child, or of a run parsing it) that quarantine a file

    def note_parse_deaths(self, deaths: list[tuple[str, str, str]]) -> list[str]:
        """Record deaths ``(sha256, code, detail)`` in one transaction; returns the SHA-256s
        that reached ``POISON_DEATHS`` with them and are now quarantined."""
        if not deaths:
            return []
        now = now_utc()
        newly: list[str] = []
        with self.transaction() as db:
            for sha, code, detail in deaths:
                db.execute(
                    "INSERT INTO parse_deaths (sha256, deaths, last_code, last_detail, last_at) "
                    "VALUES (?, 1, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET "
                    "deaths = deaths + 1, last_code = excluded.last_code, "
                    "last_detail = excluded.last_detail, last_at = excluded.last_at",
                    (sha, code, detail[:300], now))
                row = db.execute("SELECT deaths, quarantined_at FROM parse_deaths "
                                 "WHERE sha256 = ?", (sha,)).fetchone()
                if row["deaths"] >= self.POISON_DEATHS and row["quarantined_at"] is None:
                    db.execute("UPDATE parse_deaths SET quarantined_at = ? WHERE sha256 = ?",
                               (now, sha))
                    newly.append(sha)
        return newly

    def poisoned(self, sha256: str) -> dict[str, Any] | None:
        """The quarantine row of a file that must not be parsed again, or None."""
        row = self.db.execute("SELECT * FROM parse_deaths WHERE sha256 = ? "
                              "AND quarantined_at IS NOT NULL", (sha256,)).fetchone()
        return dict(row) if row else None

    def poison_list(self) -> list[dict[str, Any]]:
        """Every file quarantined as poison (newest first)."""
        return self._rows("SELECT * FROM parse_deaths WHERE quarantined_at IS NOT NULL "
                          "ORDER BY quarantined_at DESC, sha256")

    def release_poison(self, sha256: str) -> dict[str, Any] | None:
        """Release a quarantined file (by its SHA-256 or a unique prefix of at least 12
        hex digits): its deaths are forgotten, and what its quarantine recorded (the
        rejected submission, its arrivals, their inbox marks) is removed, so that the next
        run collects and parses the file again. Returns the row released, or None when
        nothing matched."""
        prefix = sha256.strip().lower()
        if len(prefix) < 12:
            return None
        rows = self._rows("SELECT * FROM parse_deaths WHERE sha256 LIKE ? "
                          "AND quarantined_at IS NOT NULL", (prefix + "%",))
        if len(rows) != 1:
            return None
        sha = rows[0]["sha256"]
        with self.transaction() as db:
            db.execute("UPDATE parse_deaths SET deaths = 0, quarantined_at = NULL, "
                       "released_at = ? WHERE sha256 = ?", (now_utc(), sha))
            # the arrivals are forgotten and their inbox items unmarked: the next run
            # collects the file again from the inbox and parses it (still in a child)
            paths = [r[0] for r in db.execute(
                "SELECT DISTINCT source_path FROM arrivals WHERE sha256 = ?", (sha,))]
            db.executemany("DELETE FROM inbox_items WHERE source_path = ?",
                           [(p,) for p in paths])
            db.execute("UPDATE arrivals SET submission_id = NULL WHERE sha256 = ?", (sha,))
            sub = db.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
            if sub is not None:
                sid = sub["id"]
                for table in ("problems", "feedback_owed", "cover", "budget_lines",
                              "indicator_results", "narratives"):
                    db.execute(f"DELETE FROM {table} WHERE submission_id = ?", (sid,))
                db.execute("DELETE FROM submissions WHERE id = ?", (sid,))
            db.execute("DELETE FROM arrivals WHERE sha256 = ?", (sha,))
        self._seen = None
        return rows[0]

    # ---- arrivals and submissions ----------------------------------------------------------------
    def find_submission(self, sha256: str) -> dict[str, Any] | None:
        """The submission recorded for these exact bytes, or None (then it is new)."""
        row = self.db.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
        return dict(row) if row else None

    def find_arrival(self, arrival: Arrival) -> dict[str, Any] | None:
        """This very arrival (same inbox item, part and bytes) if already recorded: lets a
        run that crashed after recording skip it instead of calling it a duplicate."""
        row = self.db.execute(
            "SELECT * FROM arrivals WHERE source_path = ? AND part_index = ? AND sha256 = ? "
            "AND COALESCE(message_id, '') = ?",
            (arrival.source_path, arrival.part_index, arrival.sha256,
             arrival.message_id or "")).fetchone()
        return dict(row) if row else None

    def record(self, arrival: Arrival, report: FileReport | None, decision: Decision,
               feedback_path: str | None = None, feedback: FeedbackOwed | None = None) -> int:
        """Record one arrival and its decision in ONE transaction; return the submission id.

        - decision "duplicate" (or bytes already known): only the arrival is added, linked to
          the existing submission, whose id is returned.
        - otherwise: the arrival, the submission (status, reason, late, counts), its problems
          (``decision.problems``: the report's and the intake's), and for "accepted" the data
          (budget lines in satang, indicator results, cover); then superseding: only the
          newest accepted submission (received_at, then id) of an agency for a year and
          quarter stays "accepted", older ones become "superseded" with superseded_by set.
        - bytes that were quarantined before and are decided afresh (see
          :func:`decide.redecide`): the same submission row takes the new arrival and
          decision (its old problems are replaced); both arrivals stay in the ledger.
        - ``feedback``: the feedback workbook this submission is owed, kept in
          ``feedback_owed`` until :meth:`feedback_written` (not for a duplicate).
        Recording the same arrival twice is a no-op that returns the same id.
        """
        already = self.find_arrival(arrival)
        if already is not None and already["submission_id"] is not None:
            return int(already["submission_id"])
        with self.transaction() as db:
            return self._record(db, arrival, report, decision, feedback_path,
                                feedback=feedback).submission_id

    def record_many(self, entries: list[Entry],
                    each: Callable[[int], None] | None = None) -> list[Recorded | Exception]:
        """Record a batch of arrivals in ONE transaction, in order; per entry, what
        :meth:`record` does (and what it returns, with the row's state), or the exception
        that entry raised: a failing entry is rolled back alone (a savepoint) and the
        others are kept. A crash before the commit leaves none of the batch; the caller
        checks :meth:`find_arrival` before, as for :meth:`record`. Entries must not repeat
        bytes (``sha256``) of an earlier entry of the batch: the caller decided each one
        against the committed ledger. ``each(i)`` is called after entry ``i`` is written
        (inside the transaction: a test hook)."""
        out: list[Recorded | Exception] = []
        with self.transaction() as db:
            for i, e in enumerate(entries):
                db.execute("SAVEPOINT entry")
                try:
                    done = self._record(db, e.arrival, e.report, e.decision, e.feedback_path,
                                        e.rows, e.feedback)
                    db.execute("RELEASE entry")
                except Exception as exc:  # noqa: BLE001 - this entry only; the caller reports it
                    db.execute("ROLLBACK TO entry")
                    db.execute("RELEASE entry")
                    out.append(exc)
                    continue
                out.append(done)
                if each is not None:
                    each(i)
        return out

    def _record(self, db: sqlite3.Connection, arrival: Arrival, report: FileReport | None,
                decision: Decision, feedback_path: str | None,
                rows: DataRows | None = None, feedback: FeedbackOwed | None = None) -> Recorded:
        """:meth:`record` inside an open transaction; what the submission row holds
        afterwards comes from the values written, not from selecting the row again (a
        30,000-file night: 4 statements fewer per accepted file)."""
        existing = db.execute("SELECT id, status, agency_code, fiscal_year, quarter "
                              "FROM submissions WHERE sha256 = ?", (arrival.sha256,)).fetchone()
        arrival_id = self._insert_arrival(db, arrival, existing["id"] if existing else None)
        fresh = decision.status != "duplicate"
        values = self._submission_values(arrival, report, decision, feedback_path)
        if existing is not None and fresh and existing["status"] == "quarantined":
            sub_id = int(existing["id"])
            db.execute(
                "UPDATE submissions SET arrival_id = ?, original_name = ?, sender = ?, "
                "received_at = ?, agency_code = ?, fiscal_year = ?, quarter = ?, "
                "template_version = ?, plan_fingerprint = ?, status = ?, reason = ?, "
                "late = ?, errors = ?, warnings = ?, feedback_path = ?, decided_at = ?, "
                "superseded_by = NULL WHERE id = ?", (arrival_id, *values, sub_id))
            db.execute("DELETE FROM problems WHERE submission_id = ?", (sub_id,))
        elif existing is not None or not fresh:
            if existing is None:
                raise ValueError("a duplicate decision needs the earlier submission "
                                 f"of {arrival.sha256[:12]} in the ledger")
            return Recorded(int(existing["id"]), existing["agency_code"],
                            existing["fiscal_year"], existing["quarter"], existing["status"], [])
        else:
            cur = db.execute(
                "INSERT INTO submissions (arrival_id, original_name, sender, received_at, "
                "agency_code, fiscal_year, quarter, template_version, plan_fingerprint, "
                "status, reason, late, errors, warnings, feedback_path, decided_at, sha256) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (arrival_id, *values, arrival.sha256))
            sub_id = int(cur.lastrowid)
            db.execute("UPDATE arrivals SET submission_id = ? WHERE id = ?",
                       (sub_id, arrival_id))
        self._insert_problems(db, sub_id, decision.problems)
        if feedback is not None:
            db.execute("INSERT OR REPLACE INTO feedback_owed (submission_id, target, source, "
                       "display_name, format, problems) VALUES (?,?,?,?,?,?)",
                       (sub_id, feedback.target, feedback.source, feedback.display_name,
                        feedback.format, feedback.problems_json()))
        agency, fy, quarter, status = values[3], values[4], values[5], decision.status
        supersedes: list[int] = []
        if decision.status == "accepted" and report is not None:
            self._insert_data(db, sub_id, rows or data_rows(report))
            status, supersedes = self._supersede(db, sub_id, agency, fy, quarter)
        return Recorded(sub_id, agency, fy, quarter, status, supersedes)

    def _insert_arrival(self, db: sqlite3.Connection, a: Arrival, sub_id: int | None) -> int:
        cur = db.execute(
            "INSERT INTO arrivals (sha256, source, source_path, part_index, original_name, "
            "safe_name, sender, sender_display, message_id, received_at, collected_at, "
            "submission_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.sha256, a.source, a.source_path, a.part_index, a.original_name, a.safe_name,
             a.sender, a.sender_display, a.message_id, iso_utc(a.received_at), now_utc(),
             sub_id))
        return int(cur.lastrowid)

    @staticmethod
    def _submission_values(a: Arrival, report: FileReport | None, d: Decision,
                           feedback_path: str | None) -> tuple[Any, ...]:
        """original_name .. decided_at, in the order record() writes them."""
        errors = sum(1 for p in d.problems if p.severity == "error")
        warnings = len(d.problems) - errors
        agency = d.agency_code or (report.agency_code if report else None)
        fy = d.fiscal_year or (report.fiscal_year if report else None)
        quarter = d.quarter or (report.quarter if report else None)
        return (a.original_name, a.sender, iso_utc(a.received_at), agency, fy, quarter,
                report.template_version if report else None,
                report.plan_fingerprint if report else None, d.status,
                f"{d.reason_th} / {d.reason_en}", int(bool(d.late)), errors, warnings,
                feedback_path, now_utc())

    @staticmethod
    def _insert_problems(db: sqlite3.Connection, sub_id: int, problems: list[Problem]) -> None:
        db.executemany(
            "INSERT INTO problems (submission_id, code, severity, sheet, cell, column_label, "
            "value, message_th, message_en, fix_th, fix_en) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(sub_id, p.code, p.severity, p.sheet, p.cell, p.column, p.value, p.message_th,
              p.message_en, p.fix_th, p.fix_en) for p in problems])

    @staticmethod
    def _insert_data(db: sqlite3.Connection, sub_id: int, rows: DataRows) -> None:
        if rows.budget:
            db.executemany(
                "INSERT INTO budget_lines (submission_id, row, project_code, project_name, "
                "strategy_no, budget_source, expenditure_category, allocated, committed, "
                "disbursed, progress_status, remarks, output_target, output_achieved) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(sub_id, *r) for r in rows.budget])
        if rows.narratives:
            db.executemany(
                "INSERT INTO narratives (submission_id, row, kind, strategy_no, project_code, "
                "text) VALUES (?,?,?,?,?,?)", [(sub_id, *r) for r in rows.narratives])
        if rows.indicators:
            db.executemany(
                "INSERT INTO indicator_results (submission_id, row, indicator_code, result, "
                "evidence, numerator, denominator, weight, answer) VALUES (?,?,?,?,?,?,?,?,?)",
                [(sub_id, *r) for r in rows.indicators])
        db.execute(
            "INSERT INTO cover (submission_id, reporter_name, reporter_position, reporter_phone, "
            "reporter_email, report_date) VALUES (?,?,?,?,?,?)", (sub_id, *rows.cover))

    @staticmethod
    def _supersede(db: sqlite3.Connection, sub_id: int, agency: str | None, fy: int | None,
                   quarter: int | None) -> tuple[str, list[int]]:
        """Keep only the newest accepted submission of the new one's agency and period;
        returns the new one's status afterwards and the ids it superseded (newest first)."""
        if agency is None or fy is None or quarter is None:
            return "accepted", []
        # every accepted-content submission of the period, newest first
        accepted = [r["id"] for r in db.execute(
            "SELECT id FROM submissions WHERE agency_code = ? AND fiscal_year = ? AND quarter = ?"
            " AND status IN ('accepted', 'superseded') ORDER BY received_at DESC, id DESC",
            (agency, fy, quarter)).fetchall()]
        newest, older = accepted[0], accepted[1:]
        if older:
            db.executemany(
                "UPDATE submissions SET status = 'superseded', superseded_by = ? WHERE id = ?",
                [(newest, i) for i in older])
        if newest == sub_id:  # written accepted and superseded by nothing: no update
            return "accepted", older
        db.execute("UPDATE submissions SET status = 'accepted', superseded_by = NULL "
                   "WHERE id = ?", (newest,))
        return "superseded", []

    # ---- queries ------------------------------------------------------------------------------------
    def submissions(self, fy: int | None = None, quarter: int | None = None,
                    agency: str | None = None) -> list[dict[str, Any]]:
        """Submissions (every status), newest received first."""
        where, params = [], []
        for column, value in (("fiscal_year", fy), ("quarter", quarter), ("agency_code", agency)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM submissions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._rows(sql + " ORDER BY received_at DESC, id DESC", params)

    def has_submissions(self, fy: int, quarter: int, statuses: Iterable[str]) -> bool:
        """Whether the period has any submission with one of ``statuses`` (an EXISTS query:
        a rerun at 30,000 agencies need not fetch the period's rows to know)."""
        wanted = list(statuses)
        return bool(self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM submissions WHERE fiscal_year = ? AND quarter = ? "
            f"AND status IN ({','.join('?' * len(wanted))}))", (fy, quarter, *wanted)
        ).fetchone()[0])

    def submissions_with_sender(self, statuses: Iterable[str]) -> list[dict[str, Any]]:
        """Submissions that have a sender and one of ``statuses``, newest received first
        (what :meth:`submissions` lists, filtered in SQL: the reply drafts' candidates)."""
        wanted = list(statuses)
        return self._rows(
            "SELECT * FROM submissions WHERE sender IS NOT NULL AND sender != '' AND status IN "
            f"({','.join('?' * len(wanted))}) ORDER BY received_at DESC, id DESC", wanted)

    def current_submissions(self, fy: int, quarter: int) -> list[dict[str, Any]]:
        """The submission that counts for each agency of a period (status 'accepted'), with
        its cover (reporter_*, report_date), ordered by agency code."""
        return self._rows(
            "SELECT s.*, c.reporter_name, c.reporter_position, c.reporter_phone, "
            "c.reporter_email, c.report_date FROM submissions s "
            "LEFT JOIN cover c ON c.submission_id = s.id "
            "WHERE s.status = 'accepted' AND s.fiscal_year = ? AND s.quarter = ? "
            "ORDER BY s.agency_code", (fy, quarter))

    def budget_lines(self, fy: int, quarter: int) -> pd.DataFrame:
        """Budget lines of the current accepted submissions: a DataFrame with agency_code,
        submission_id, row, project_code, project_name, strategy_no, budget_source,
        expenditure_category, allocated, committed, disbursed (int64 satang),
        progress_status, remarks; ordered by agency_code, row."""
        import pandas as pd

        df = pd.read_sql_query(
            "SELECT s.agency_code, b.* FROM budget_lines b "
            "JOIN submissions s ON s.id = b.submission_id "
            "WHERE s.status = 'accepted' AND s.fiscal_year = ? AND s.quarter = ? "
            "ORDER BY s.agency_code, b.row", self.db, params=(fy, quarter))
        for c in ("allocated", "committed", "disbursed", "strategy_no", "row", "submission_id"):
            df[c] = df[c].astype("int64")
        return df

    def indicator_results(self, fy: int, quarter: int) -> pd.DataFrame:
        """Indicator results of the current accepted submissions: a DataFrame with
        agency_code, submission_id, row, indicator_code, result, numerator, denominator,
        weight (floats, NaN when not reported), answer, evidence; ordered by agency_code, row."""
        import pandas as pd

        df = pd.read_sql_query(
            "SELECT s.agency_code, i.* FROM indicator_results i "
            "JOIN submissions s ON s.id = i.submission_id "
            "WHERE s.status = 'accepted' AND s.fiscal_year = ? AND s.quarter = ? "
            "ORDER BY s.agency_code, i.row", self.db, params=(fy, quarter))
        for c in ("result", "numerator", "denominator", "weight"):
            df[c] = df[c].astype("float64")
        return df

    def problems(self, submission_id: int) -> list[dict[str, Any]]:
        """The problems recorded for a submission, in the order they were found."""
        return self._rows("SELECT * FROM problems WHERE submission_id = ? ORDER BY id",
                          (submission_id,))

    def arrivals(self, submission_id: int | None = None) -> list[dict[str, Any]]:
        """Arrivals (every copy of every file), oldest first; of one submission if given."""
        if submission_id is None:
            return self._rows("SELECT * FROM arrivals ORDER BY id")
        return self._rows("SELECT * FROM arrivals WHERE submission_id = ? ORDER BY id",
                          (submission_id,))

    def submission_for_item(self, source_path: str) -> dict[str, Any] | None:
        """The submission the (first) arrival from this inbox item was recorded under, or
        None while it is not recorded: the web page's receipt for a queued submission.
        ``first_arrival`` is 0 when these bytes had arrived before (a duplicate)."""
        row = self.db.execute(
            "SELECT s.*, a.id = (SELECT MIN(b.id) FROM arrivals b WHERE b.submission_id = s.id) "
            "AS first_arrival FROM arrivals a JOIN submissions s ON s.id = a.submission_id "
            "WHERE a.source_path = ? ORDER BY a.id LIMIT 1", (source_path,)).fetchone()
        return dict(row) if row else None

    def periods(self) -> list[tuple[int, int]]:
        """Every (fiscal_year, quarter) with any submission, in order."""
        return [(int(r[0]), int(r[1])) for r in self.db.execute(
            "SELECT DISTINCT fiscal_year, quarter FROM submissions "
            "WHERE fiscal_year IS NOT NULL AND quarter IS NOT NULL ORDER BY 1, 2")]

    def period_digest(self, fy: int, quarter: int) -> str:
        """A short hash of the period's submissions (ids and statuses) and of how many times
        its files arrived (the About sheet counts repeats): when it is unchanged, the
        period's roll-up need not be rebuilt."""
        h = hashlib.sha256(f"{fy}/{quarter}".encode())
        for r in self.db.execute(
                "SELECT id, status, superseded_by FROM submissions "
                "WHERE fiscal_year = ? AND quarter = ? ORDER BY id", (fy, quarter)):
            h.update(f"|{r[0]}:{r[1]}:{r[2]}".encode())
        arrived = self.db.execute(
            "SELECT COUNT(*) FROM arrivals a JOIN submissions s ON s.id = a.submission_id "
            "WHERE s.fiscal_year = ? AND s.quarter = ?", (fy, quarter)).fetchone()[0]
        h.update(f"|arrivals:{arrived}".encode())
        return h.hexdigest()[:16]
