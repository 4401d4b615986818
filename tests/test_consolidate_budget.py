"""Budget consolidation: the latest accepted file per agency, summed in satang by strategy,
source, category, affiliation, district and agency; rates against the plan's cumulative
targets (overall, current, capital); a cumulative figure that fell is a warning."""

from datetime import UTC, datetime
from decimal import Decimal as D

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rollup_helpers import Project, Report, fill_report, new_ledger, record

from pipeline.consolidate import (
    DIMENSIONS,
    blank,
    consolidate_quarter,
    record_cross_quarter_problems,
)
from pipeline.rollup import SHEETS, write_rollup_workbook

SCHOOL, VOC, AREA = "1033530001", "1333000101", "33010000"


def _p(code, strategy, source, cat, alloc, comm, disb, name="โครงการส่งเสริมการอ่าน"):
    return Project(code, name, strategy, source, cat, D(alloc), D(comm), D(disb))


SCHOOL_Q2 = [_p("S1", 1, "basic", "operating", "100000.01", "10000.00", "60000.00"),
             _p("S2", 2, "strategic", "investment", "200000.00", "50000.50", "20000.00")]
VOC_Q2 = [_p("V1", 1, "other", "personnel", "50000.00", "0", "40000.00")]


@pytest.fixture
def ledger(tmp_path, small_plan):
    conn = new_ledger(tmp_path / "ledger.sqlite")
    t = datetime(2025, 4, 1, 3, 0, tzinfo=UTC)
    # an older accepted school file, superseded by the one after it
    old = [_p("S1", 1, "basic", "operating", "999999.99", "0", "999999.99")]
    record(conn, fill_report(small_plan, Report(SCHOOL, 2568, 2, old), tmp_path / "s0.xlsx"), t)
    record(conn, fill_report(small_plan, Report(SCHOOL, 2568, 2, SCHOOL_Q2), tmp_path / "s.xlsx"),
           t.replace(day=2))
    record(conn, fill_report(small_plan, Report(VOC, 2568, 2, VOC_Q2), tmp_path / "v.xlsx"),
           t.replace(day=3))
    return conn


def _sum(projects, field, pred=lambda p: True):
    return int(sum(getattr(p, field) for p in projects if pred(p)) * 100)


def test_money_by_strategy_in_satang_latest_file_only(ledger, small_plan):
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    table = fig.budget["strategy"].set_index("key")
    assert list(table.index) == sorted(small_plan.strategies)  # every strategy, even empty
    every = SCHOOL_Q2 + VOC_Q2
    for no in small_plan.strategies:
        mine = [p for p in every if p.strategy == no]
        for m in ("allocated", "committed", "disbursed"):
            assert table.loc[no, m] == _sum(mine, m)
        assert table.loc[no, "spent"] == _sum(mine, "committed") + _sum(mine, "disbursed")
    assert fig.budget_total["allocated"] == _sum(every, "allocated")  # not the superseded file
    assert isinstance(fig.budget_total["allocated"], int)


def test_rates_against_the_quarter_targets(ledger, small_plan):
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    t = small_plan.disbursement[2]
    s = fig.budget["strategy"].set_index("key")
    every = SCHOOL_Q2 + VOC_Q2
    s1 = [p for p in every if p.strategy == 1]
    assert s.loc[1, "disbursement_rate"] == _sum(s1, "disbursed") / _sum(s1, "allocated")
    assert s.loc[1, "target"] == t.overall_pct / 100
    assert bool(s.loc[1, "behind"]) is False  # 66.7% >= 54%
    assert bool(s.loc[2, "behind"]) is True  # 10% < 54%
    assert blank(s.loc[3, "disbursement_rate"]) and blank(s.loc[3, "behind"])  # no money
    total = fig.budget_total
    capital = [p for p in every if p.category == "investment"]
    current = [p for p in every if p.category != "investment"]
    assert total["rate_capital"] == _sum(capital, "disbursed") / _sum(capital, "allocated")
    assert total["rate_current"] == _sum(current, "disbursed") / _sum(current, "allocated")
    assert total["target_capital"] == t.capital_pct / 100
    assert total["behind_capital"] is True and total["behind_current"] is False
    assert total["spent_rate"] == (_sum(every, "committed") + _sum(every, "disbursed")) / _sum(
        every, "allocated")


def test_every_dimension_reconciles_to_the_satang(ledger, small_plan):
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    for dim in DIMENSIONS:
        table = fig.budget[dim]
        for m in ("allocated", "committed", "disbursed", "spent"):
            assert int(table[m].sum()) == fig.budget_total[m], (dim, m)
    src = fig.budget["budget_source"].set_index("key")
    assert src.loc["other", "allocated"] == _sum(VOC_Q2, "allocated")
    aff = fig.budget["affiliation"].set_index("key")
    assert aff.loc["ovec", "disbursed"] == _sum(VOC_Q2, "disbursed")
    assert aff.loc["obec_primary", "disbursed"] == _sum(SCHOOL_Q2, "disbursed")
    dist = fig.budget["district"].set_index("key")
    assert dist.loc["เมืองศรีสะเกษ", "allocated"] == _sum(SCHOOL_Q2 + VOC_Q2, "allocated")
    agency = fig.budget["agency"].set_index("key")
    assert agency.loc[AREA, "allocated"] == 0  # registry agency without a file


def test_breakdowns_sheet_shows_each_dimension_with_totals(ledger, small_plan, tmp_path):
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    path = write_rollup_workbook(fig, tmp_path / "r.xlsx")
    sh = openpyxl.load_workbook(path)[SHEETS["breakdowns"]]
    labels = [r[0].value for r in sh.iter_rows() if r[0].value]
    assert "จำแนกตามแหล่งงบประมาณ (by budget source)" in labels
    assert "จำแนกตามอำเภอ (by district)" in labels
    totals = [r for r in sh.iter_rows() if r[0].value == "รวม (Total)"]
    assert len(totals) == 4
    for r in totals:
        assert D(str(r[1].value)) == sum(p.allocated for p in SCHOOL_Q2 + VOC_Q2)


def test_a_cumulative_figure_that_fell_is_recorded_once(ledger, small_plan, tmp_path):
    t = datetime(2025, 1, 5, 3, 0, tzinfo=UTC)
    q1 = [_p("S1", 1, "basic", "operating", "100000.01", "0", "70000.00"),
          _p("S2", 2, "strategic", "investment", "200000.00", "0", "10000.00")]
    record(ledger, fill_report(small_plan, Report(SCHOOL, 2568, 1, q1), tmp_path / "q1.xlsx"), t)
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    fell = [(f.project_code, f.measure, f.row) for f in fig.cross_quarter]
    assert fell == [("S1", "disbursed", 5)]  # 70,000.00 in Q1, 60,000.00 in Q2
    for _ in range(2):  # idempotent
        assert record_cross_quarter_problems(ledger, 2568, 2) == 1
    rows = ledger.execute(
        "SELECT p.code, p.cell, p.value, s.agency_code, s.warnings FROM problems p "
        "JOIN submissions s ON s.id = p.submission_id WHERE p.code LIKE 'crossquarter.%'"
    ).fetchall()
    assert rows == [("crossquarter.cumulative-fell", "H5", "60,000.00", SCHOOL, 1)]
    assert record_cross_quarter_problems(ledger, 2568, 1) == 0  # Q1 has nothing before it


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([SCHOOL, VOC, AREA, "1033530002", "2033000201"]),
                          st.integers(1, 6), st.sampled_from(["basic", "strategic", "other"]),
                          st.sampled_from(["personnel", "operating", "investment", "subsidy",
                                           "other"]),
                          st.integers(0, 10**13), st.integers(0, 10**13), st.integers(0, 10**13)),
                max_size=40))
def test_totals_reconcile_for_any_lines(tmp_path_factory, small_plan, lines):
    """Property: whatever the lines, every dimension sums to the same satang total."""
    conn = new_ledger(tmp_path_factory.mktemp("h") / "ledger.sqlite")
    ids = {}
    for code, *_rest in lines:
        if code not in ids:
            sid = len(ids) + 1
            conn.execute("INSERT INTO arrivals (id, sha256, source, source_path, original_name,"
                         " received_at, collected_at) VALUES (?,?,?,?,?,?,?)",
                         (sid, f"s{sid}", "eml", f"x{sid}", "f.xlsx",
                          "2025-04-01T00:00:00+00:00", "2025-04-01T00:00:00+00:00"))
            conn.execute(
                "INSERT INTO submissions (id, sha256, arrival_id, original_name, received_at,"
                " agency_code, fiscal_year, quarter, status, decided_at) VALUES"
                " (?,?,?,?,?,?,?,?,?,?)", (sid, f"s{sid}", sid, "f.xlsx",
                                           "2025-04-01T00:00:00+00:00", code, 2568, 2,
                                           "accepted", "2025-04-01T00:00:00+00:00"))
            ids[code] = sid
    for n, (code, strategy, source, cat, a, c, d) in enumerate(lines):
        conn.execute("INSERT INTO budget_lines (submission_id, row, project_code, project_name,"
                     " strategy_no, budget_source, expenditure_category, allocated, committed,"
                     " disbursed) VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (ids[code], 5 + n, f"P{n}", "โครงการ", strategy, source, cat, a, c, d))
    conn.commit()
    fig = consolidate_quarter(conn, small_plan, 2568, 2)
    for m, i in (("allocated", 4), ("committed", 5), ("disbursed", 6)):
        expected = sum(line[i] for line in lines)
        assert fig.budget_total[m] == expected
        for dim in DIMENSIONS:
            assert int(fig.budget[dim][m].sum()) == expected, (dim, m)


def test_outstanding_commitments_may_fall_as_they_are_paid(ledger, small_plan, tmp_path):
    # Q1: a PO of 50,000 outstanding; Q2 (SCHOOL_Q2): part of it paid, 10,000 still committed
    t = datetime(2025, 1, 5, 3, 0, tzinfo=UTC)
    q1 = [_p("S1", 1, "basic", "operating", "100000.01", "50000.00", "40000.00"),
          _p("S2", 2, "strategic", "investment", "200000.00", "0", "0")]
    record(ledger, fill_report(small_plan, Report(SCHOOL, 2568, 1, q1), tmp_path / "q1.xlsx"), t)
    fig = consolidate_quarter(ledger, small_plan, 2568, 2)
    assert [f.measure for f in fig.cross_quarter] == []
    assert record_cross_quarter_problems(ledger, 2568, 2) == 0
