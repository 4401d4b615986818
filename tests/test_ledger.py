"""The ledger: one transaction per arrival, superseding by received_at, migrations, WAL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from indicator_inputs import write_inputs

from pipeline.collect import Arrival
from pipeline.decide import decide
from pipeline.ledger import Ledger
from pipeline.ledger_schema import MIGRATIONS
from pipeline.model import FileReport
from pipeline.read import read_workbook
from pipeline.templates import build_template
from pipeline.validate import validate_workbook

SENDER = "nongwaeng@school.example.th"
AGENCY = "1033530001"


def filled_report(plan, tmp: Path, name: str, *, allocated=120000.50, disbursed=60000,
                  reporter="นางสาวสมศรี ใจดี", quarter=2) -> tuple[bytes, FileReport]:
    """A real template for the school, filled in like a clerk would, read and validated."""
    wb = build_template(plan, AGENCY, quarter)
    cover = wb["ปก (Cover)"]
    for row in cover.iter_rows(min_row=1, max_row=30):
        if str(row[0].value or "").startswith("ชื่อ-สกุล"):
            row[1].value = reporter
    budget = wb["งบประมาณ (Budget)"]
    values = ["P001", "โครงการส่งเสริมการอ่าน", plan.strategies[2].label, "งบประมาณพื้นฐาน",
              "งบดำเนินงาน", allocated, 0, disbursed]
    for col, v in enumerate(values, start=1):
        budget.cell(5, col).value = v
    indicators = wb["ตัวชี้วัด (Indicators)"]
    for row, code, v in zip((5, 6, 7), ("1.1", "2.1", "4.1"), (96.5, 51.2, 3), strict=True):
        write_inputs(indicators, row, plan.indicators[code].kind, v)
    path = tmp / name
    wb.save(path)
    report = validate_workbook(read_workbook(path, display_name=name), plan)
    return path.read_bytes(), report


def arrival_of(data: bytes, name: str, received: datetime, n: int) -> Arrival:
    return Arrival(source="eml", source_path=f"inbox/{n}.eml", part_index=1, original_name=name,
                   safe_name=name, sender=SENDER, sender_display="สมศรี", message_id=f"<{n}@x>",
                   received_at=received, data=data)


def count(ledger: Ledger, table: str) -> int:
    return ledger.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_accepted_file_is_recorded_with_its_data_in_satang(tmp_path, small_plan):
    data, report = filled_report(small_plan, tmp_path, "รายงานไตรมาส2.xlsx")
    arrival = arrival_of(data, "รายงานไตรมาส2.xlsx", datetime(2025, 4, 10, 3, 0, tzinfo=UTC), 1)
    decision = decide(report, arrival, small_plan, trusted=False)
    assert decision.status == "accepted"
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        sub_id = ledger.record(arrival, report, decision, None)
        sub = ledger.find_submission(arrival.sha256)
        assert (sub["id"], sub["status"], sub["agency_code"], sub["fiscal_year"],
                sub["quarter"], sub["late"]) == (sub_id, "accepted", AGENCY, 2568, 2, 0)
        lines = ledger.budget_lines(2568, 2)
        assert lines[["agency_code", "row", "project_code", "allocated", "committed",
                      "disbursed", "strategy_no"]].values.tolist() == [
            [AGENCY, 5, "P001", 12000050, 0, 6000000, 2]]
        results = ledger.indicator_results(2568, 2).astype(object)
        results = results.where(results.notna(), None)
        assert results[["indicator_code", "result", "numerator", "denominator", "weight",
                        "answer"]].values.tolist() == [
            ["1.1", None, 96.5, 100.0, None, None],  # a percent from counts
            ["2.1", 51.2, None, None, 10.0, None],  # a mean and its test takers
            ["4.1", 3.0, None, None, None, None]]
        current = ledger.current_submissions(2568, 2)
        assert [(c["id"], c["reporter_name"]) for c in current] == [(sub_id, "นางสาวสมศรี ใจดี")]
        assert ledger.arrivals(sub_id)[0]["sender"] == SENDER
        assert ledger.periods() == [(2568, 2)]


def test_rejected_file_keeps_problems_and_no_data(tmp_path, small_plan):
    data, report = filled_report(small_plan, tmp_path, "r.xlsx", allocated=1000, disbursed=5000)
    arrival = arrival_of(data, "r.xlsx", datetime(2025, 4, 10, tzinfo=UTC), 1)
    decision = decide(report, arrival, small_plan, trusted=False)
    assert decision.status == "rejected"
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        sub_id = ledger.record(arrival, report, decision, "feedback/r-feedback.xlsx")
        codes = {(p["code"], p["cell"]) for p in ledger.problems(sub_id)}
        assert ("budget.disbursed-over-allocated", "H5") in codes
        sub = ledger.find_submission(arrival.sha256)
        assert sub["status"] == "rejected" and sub["errors"] >= 1
        assert sub["feedback_path"] == "feedback/r-feedback.xlsx"
        assert count(ledger, "budget_lines") == 0 and count(ledger, "indicator_results") == 0
        assert ledger.current_submissions(2568, 2) == []


def test_a_rejected_file_owes_its_feedback_until_it_is_written(tmp_path, small_plan):
    """The feedback workbook a rejected file is owed is recorded in the transaction that
    records the file (all its problems, in order) and stays owed until feedback_written; a
    rolled-back entry owes nothing."""
    from pipeline.ledger import Entry
    from pipeline.model import FeedbackOwed

    data, report = filled_report(small_plan, tmp_path, "r.xlsx", allocated=1000, disbursed=5000)
    arrival = arrival_of(data, "r.xlsx", datetime(2025, 4, 10, tzinfo=UTC), 1)
    decision = decide(report, arrival, small_plan, trusted=False)
    owed = FeedbackOwed(0, "feedback/r-feedback.xlsx", "state/archive/ab/ab.xlsx", "r.xlsx",
                        "xlsx", report.problems)
    bad_data, bad = filled_report(small_plan, tmp_path, "bad.xlsx", disbursed=20000)
    bad.budget.loc[0, "project_code"] = None  # budget_lines.project_code is NOT NULL
    bad_arrival = arrival_of(bad_data, "bad.xlsx", datetime(2025, 4, 11, tzinfo=UTC), 2)
    bad_owed = FeedbackOwed(0, "feedback/bad-feedback.xlsx", "state/archive/cd/cd.xlsx",
                            "bad.xlsx", "xlsx", report.problems)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        done, failed = ledger.record_many([
            Entry(arrival, report, decision, owed.target, None, owed),
            Entry(bad_arrival, bad, decide(bad, bad_arrival, small_plan, trusted=False),
                  None, None, bad_owed)])
        assert isinstance(failed, sqlite3.IntegrityError)
        (got,) = ledger.feedback_owed()
        assert got.submission_id == done.submission_id
        assert (got.target, got.source, got.display_name, got.format) == (
            "feedback/r-feedback.xlsx", "state/archive/ab/ab.xlsx", "r.xlsx", "xlsx")
        assert got.problems == report.problems and len(got.problems) >= 1
        assert any(p.code == "budget.disbursed-over-allocated" and p.cell == "H5"
                   for p in got.problems)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:  # owed across runs
        assert [o.submission_id for o in ledger.feedback_owed()] == [done.submission_id]
        ledger.feedback_written([done.submission_id])
        assert ledger.feedback_owed() == []


def test_failure_midway_leaves_nothing(tmp_path, small_plan):
    data, report = filled_report(small_plan, tmp_path, "r.xlsx")
    arrival = arrival_of(data, "r.xlsx", datetime(2025, 4, 10, tzinfo=UTC), 1)
    decision = decide(report, arrival, small_plan, trusted=False)
    report.budget.loc[0, "project_code"] = None  # budget_lines.project_code is NOT NULL
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        with pytest.raises(sqlite3.IntegrityError):
            ledger.record(arrival, report, decision, None)
        for table in ("arrivals", "submissions", "problems", "budget_lines",
                      "indicator_results", "cover"):
            assert count(ledger, table) == 0, table
        assert ledger.find_arrival(arrival) is None


@pytest.mark.parametrize("order", ["older-first", "newer-first"])
def test_newest_received_supersedes_in_either_arrival_order(tmp_path, small_plan, order):
    old_data, old_rep = filled_report(small_plan, tmp_path, "v1.xlsx", disbursed=10000)
    new_data, new_rep = filled_report(small_plan, tmp_path, "v2.xlsx", disbursed=70000)
    old = (arrival_of(old_data, "v1.xlsx", datetime(2025, 4, 1, tzinfo=UTC), 1), old_rep)
    new = (arrival_of(new_data, "v2.xlsx", datetime(2025, 4, 5, tzinfo=UTC), 2), new_rep)
    ids = {}
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        for arrival, rep in ([old, new] if order == "older-first" else [new, old]):
            ids[arrival.original_name] = ledger.record(
                arrival, rep, decide(rep, arrival, small_plan, trusted=False), None)
        subs = {s["original_name"]: s for s in ledger.submissions(2568, 2, AGENCY)}
        assert subs["v2.xlsx"]["status"] == "accepted"
        assert subs["v2.xlsx"]["superseded_by"] is None
        assert subs["v1.xlsx"]["status"] == "superseded"
        assert subs["v1.xlsx"]["superseded_by"] == ids["v2.xlsx"]
        assert ledger.budget_lines(2568, 2)["disbursed"].tolist() == [7000000]
        assert [c["original_name"] for c in ledger.current_submissions(2568, 2)] == ["v2.xlsx"]
        assert count(ledger, "budget_lines") == 2  # the ledger keeps both


def test_a_batch_is_one_transaction_and_a_bad_entry_fails_alone(tmp_path, small_plan):
    """record_many: three arrivals in one transaction, in order; the second is broken (a
    NOT NULL column) and is rolled back alone; the third supersedes the first, and each
    entry says what its row looked like right after it was recorded. Rows the worker
    built (data_rows) are stored as they are."""
    from pipeline.ledger import Entry, Recorded, data_rows

    v1_data, v1 = filled_report(small_plan, tmp_path, "v1.xlsx", disbursed=10000)
    bad_data, bad = filled_report(small_plan, tmp_path, "bad.xlsx", disbursed=20000)
    v2_data, v2 = filled_report(small_plan, tmp_path, "v2.xlsx", disbursed=70000)
    bad.budget.loc[0, "project_code"] = None  # budget_lines.project_code is NOT NULL
    entries = []
    for n, (data, rep, name) in enumerate([(v1_data, v1, "v1.xlsx"), (bad_data, bad, "bad.xlsx"),
                                           (v2_data, v2, "v2.xlsx")], start=1):
        arrival = arrival_of(data, name, datetime(2025, 4, n, tzinfo=UTC), n)
        rows = data_rows(rep) if name == "v2.xlsx" else None
        entries.append(Entry(arrival, rep, decide(rep, arrival, small_plan, trusted=False),
                             None, rows))
    written = []
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        first, failed, second = ledger.record_many(entries, written.append)
        assert written == [0, 2]
        assert isinstance(failed, sqlite3.IntegrityError)
        assert isinstance(first, Recorded) and isinstance(second, Recorded)
        assert (first.status, first.supersedes) == ("accepted", [])
        assert (second.status, second.supersedes) == ("accepted", [first.submission_id])
        assert (second.agency_code, second.fiscal_year, second.quarter) == (AGENCY, 2568, 2)
        assert count(ledger, "arrivals") == 2 and count(ledger, "submissions") == 2
        assert ledger.find_arrival(entries[1].arrival) is None
        subs = {s["original_name"]: s for s in ledger.submissions()}
        assert subs["v1.xlsx"]["superseded_by"] == second.submission_id
        assert ledger.budget_lines(2568, 2)["disbursed"].tolist() == [7000000]
        ledger.mark_items([("inbox/1.eml", 1, 2), ("inbox/3.eml", 3, 4)])
        assert ledger.seen_item("inbox/3.eml", 3, 4) and not ledger.seen_item("inbox/2.eml", 1, 2)


def test_same_arrival_recorded_twice_is_a_no_op(tmp_path, small_plan):
    data, report = filled_report(small_plan, tmp_path, "r.xlsx")
    arrival = arrival_of(data, "r.xlsx", datetime(2025, 4, 10, tzinfo=UTC), 1)
    decision = decide(report, arrival, small_plan, trusted=False)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        first = ledger.record(arrival, report, decision, None)
        digest = ledger.period_digest(2568, 2)
        assert ledger.record(arrival, report, decision, None) == first
        assert count(ledger, "arrivals") == 1 and count(ledger, "submissions") == 1
        assert ledger.period_digest(2568, 2) == digest


def test_period_digest_moves_when_the_period_changes(tmp_path, small_plan):
    d1, r1 = filled_report(small_plan, tmp_path, "a.xlsx", disbursed=1000)
    d2, r2 = filled_report(small_plan, tmp_path, "b.xlsx", disbursed=2000)
    a1 = arrival_of(d1, "a.xlsx", datetime(2025, 4, 1, tzinfo=UTC), 1)
    a2 = arrival_of(d2, "b.xlsx", datetime(2025, 4, 2, tzinfo=UTC), 2)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        empty = ledger.period_digest(2568, 2)
        ledger.record(a1, r1, decide(r1, a1, small_plan, False), None)
        one = ledger.period_digest(2568, 2)
        ledger.record(a2, r2, decide(r2, a2, small_plan, False), None)
        two = ledger.period_digest(2568, 2)
        assert len({empty, one, two}) == 3
        assert ledger.period_digest(2568, 1) == Ledger(tmp_path / "o.sqlite").period_digest(2568, 1)


def test_inbox_items_remember_what_was_processed(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert not ledger.seen_item("inbox/a.xlsx", 10, 123)
        ledger.mark_item("inbox/a.xlsx", 10, 123)
        assert ledger.seen_item("inbox/a.xlsx", 10, 123)
        assert not ledger.seen_item("inbox/a.xlsx", 10, 124)  # touched again: read again
    with Ledger(tmp_path / "ledger.sqlite") as ledger:  # survives reopening
        assert ledger.seen_item("inbox/a.xlsx", 10, 123)


def test_wal_foreign_keys_and_busy_timeout(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert ledger.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
        with pytest.raises(sqlite3.IntegrityError):
            ledger.db.execute("INSERT INTO problems (submission_id, code, severity, message_th, "
                              "message_en, fix_th, fix_en) VALUES (999, 'x', 'error', '', '', "
                              "'', '')")


def test_an_old_version_ledger_is_migrated_with_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    db.execute("INSERT INTO arrivals (id, sha256, source, source_path, original_name, sender, "
               "message_id, received_at, collected_at) VALUES (1, 'ab', 'eml', 'inbox/x.eml', "
               "'รายงาน.xlsx', 'a@b.th', '<m1>', '2025-01-10T02:00:00+00:00', "
               "'2025-01-10T03:00:00+00:00')")
    db.execute("INSERT INTO submissions (id, sha256, arrival_id, original_name, sender, "
               "received_at, agency_code, fiscal_year, quarter, status, decided_at) VALUES "
               "(1, 'ab', 1, 'รายงาน.xlsx', 'a@b.th', '2025-01-10T02:00:00+00:00', '33010000', "
               "2568, 1, 'accepted', '2025-01-10T03:00:00+00:00')")
    db.commit()
    db.close()
    with Ledger(path) as ledger:
        assert ledger.version == len(MIGRATIONS)  # not a hard-coded count: helpers append
        assert ledger.feedback_owed() == []  # 3: the feedback workbooks owed, none yet
        arrivals = ledger.arrivals()
        assert [(a["id"], a["original_name"], a["submission_id"], a["part_index"])
                for a in arrivals] == [(1, "รายงาน.xlsx", 1, 0)]
        assert [s["agency_code"] for s in ledger.submissions(2568, 1)] == ["33010000"]
        ledger.mark_item("inbox/x.eml", 1, 2)
        assert ledger.seen_item("inbox/x.eml", 1, 2)
        columns = {r[1] for r in ledger.db.execute("PRAGMA table_info(indicator_results)")}
        assert {"numerator", "denominator", "weight", "answer"} <= columns  # indicator kinds
    with Ledger(path) as ledger:  # reopening applies nothing twice
        assert ledger.version == len(MIGRATIONS) and len(ledger.arrivals()) == 1


def test_a_ledger_newer_than_the_program_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        Ledger(path)


def test_quarantined_bytes_resent_by_the_registered_sender_are_decided_again(tmp_path,
                                                                               small_plan):
    from pipeline.decide import duplicate_decision, redecide

    data, report = filled_report(small_plan, tmp_path, "r.xlsx")
    private = Arrival(source="eml", source_path="inbox/1.eml", part_index=1, original_name="r.xlsx",
                      safe_name="r.xlsx", sender="somsri.private@gmail.example.com",
                      sender_display=None, message_id="<1@x>",
                      received_at=datetime(2025, 4, 9, tzinfo=UTC), data=data)
    forwarded = arrival_of(data, "Fwd r.xlsx", datetime(2025, 4, 11, tzinfo=UTC), 2)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        first = ledger.record(private, report, decide(report, private, small_plan, False), None)
        assert ledger.find_submission(private.sha256)["status"] == "quarantined"
        assert [p["code"] for p in ledger.problems(first)] == ["intake.sender-not-registered"]
        assert ledger.current_submissions(2568, 2) == []

        earlier = ledger.find_submission(forwarded.sha256)
        assert redecide(earlier)
        second = ledger.record(forwarded, report, decide(report, forwarded, small_plan, False),
                               None)
        assert second == first
        sub = ledger.find_submission(forwarded.sha256)
        assert (sub["status"], sub["sender"], sub["original_name"]) == (
            "accepted", SENDER, "Fwd r.xlsx")
        assert ledger.problems(first) == []
        assert len(ledger.arrivals(first)) == 2
        assert ledger.budget_lines(2568, 2)["submission_id"].tolist() == [first]

        # once accepted, the same bytes again are only a duplicate
        third = arrival_of(data, "again.xlsx", datetime(2025, 4, 12, tzinfo=UTC), 3)
        assert not redecide(ledger.find_submission(third.sha256))
        d = duplicate_decision(ledger.find_submission(third.sha256), third)
        assert ledger.record(third, None, d, None) == first
        assert ledger.find_submission(third.sha256)["status"] == "accepted"
        assert len(ledger.arrivals(first)) == 3


def test_two_processes_opening_an_old_ledger_at_once_migrate_it_once(tmp_path):
    import threading
    import time

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    db.execute("BEGIN IMMEDIATE")  # hold the write lock while both open the ledger
    versions, errors = [], []

    def open_ledger() -> None:
        try:
            with Ledger(path) as ledger:
                versions.append(ledger.version)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_ledger) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # both have read version 1 and wait for the lock
    db.execute("COMMIT")
    for t in threads:
        t.join(30)
    db.close()
    assert errors == [] and versions == [len(MIGRATIONS)] * 2


def test_submissions_with_sender_is_submissions_filtered(tmp_path, small_plan):
    """The reply loop's query: what submissions() lists, with a sender and a given status;
    has_submissions: whether a period has any of some statuses."""
    from dataclasses import replace as copy

    data, report = filled_report(small_plan, tmp_path, "r.xlsx")
    mailed = arrival_of(data, "r.xlsx", datetime(2025, 4, 10, tzinfo=UTC), 1)
    other_data, other = filled_report(small_plan, tmp_path, "s.xlsx", disbursed=5)
    dropped = copy(arrival_of(other_data, "s.xlsx", datetime(2025, 4, 11, tzinfo=UTC), 2),
                   source="dropped", sender=None, sender_display=None, message_id=None)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.record(mailed, report, decide(report, mailed, small_plan, trusted=False), None)
        ledger.record(dropped, other, decide(other, dropped, small_plan, trusted=True), None)
        statuses = ("accepted", "superseded", "rejected", "quarantined")
        want = [s for s in ledger.submissions() if s["sender"] and s["status"] in statuses]
        assert [s["original_name"] for s in want] == ["r.xlsx"]
        assert ledger.submissions_with_sender(statuses) == want
        assert ledger.submissions_with_sender(("rejected",)) == []
        # the roll-up's "anything to show?" check, as an EXISTS query
        assert ledger.has_submissions(2568, 2, ("accepted", "rejected"))
        assert not ledger.has_submissions(2568, 2, ("rejected", "quarantined"))
        assert not ledger.has_submissions(2568, 3, ("accepted",))


def test_rows_from_plain_lists_equal_rows_from_frames(tmp_path, small_plan):
    """Worker processes validate with frames=False and build the ledger rows straight from
    the clean columns (ledger.data_rows_from_lists); every accepted figure must be exactly
    what data_rows makes from the pandas frames, on real filled templates."""
    from pipeline import demo
    from pipeline.ledger import data_rows, data_rows_from_lists
    from pipeline.validate import validate_workbooks

    raws = []
    for (code, q), rep in sorted(demo.make_reports(small_plan).items()):
        path = tmp_path / f"{code}-q{q}.xlsx"
        path.write_bytes(demo.xlsx_bytes(demo.fill(small_plan, rep)))
        raws.append((read_workbook(path), small_plan))
    with_frames = validate_workbooks(raws)
    with_lists = validate_workbooks(raws, frames=False)
    compared = 0
    for framed, listed in zip(with_frames, with_lists, strict=True):
        assert framed.problems == listed.problems
        assert listed.budget is None and listed.indicators is None
        if not framed.valid:
            assert listed.clean_lists is None
            continue
        expected = data_rows(framed)
        got = data_rows_from_lists(listed.clean_lists, listed.cover)
        assert got == expected
        assert all(isinstance(r[7], int) for r in got.budget if r[7] is not None)  # satang
        compared += 1
        assert expected.budget and expected.indicators
    assert compared >= len(small_plan.agencies)
