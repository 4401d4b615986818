"""Indicators: who should report (plan agency types), who did, who met the target (by the
indicator's direction), a provincial figure only where it means something (a sum for
counts and baht, the median and spread for percents and scores), and year-on-year change
from the ledger (same quarter last year) or the plan."""

import statistics
from datetime import UTC, datetime

import openpyxl
import pytest
from rollup_helpers import Report, fill_report, new_ledger, projects_for, record

from pipeline.consolidate import blank, consolidate_quarter
from pipeline.rollup import SHEETS, write_rollup_workbook

S1, S2, AREA, VOC, PRIV = "1033530001", "1033530002", "33010000", "1333000101", "2033000201"
RESULTS = {
    S1: {"1.1": 96.5, "2.1": 52.25, "4.1": 3, "6.1": 99.0},  # 6.1 is not for schools
    S2: {"1.1": 95.0, "2.1": 47.5, "4.1": 7},
    AREA: {"1.1": 90.0, "6.1": 91.0},
    VOC: {"1.1": None, "4.1": 0, "6.1": 85.0},  # 1.1 left empty
}


@pytest.fixture
def fig(tmp_path, small_plan):
    conn = new_ledger(tmp_path / "ledger.sqlite")
    t = datetime(2025, 4, 2, 3, 0, tzinfo=UTC)
    for i, (code, res) in enumerate(RESULTS.items()):
        path = fill_report(small_plan, Report(code, 2568, 2, projects_for(i, 1), res),
                           tmp_path / f"{code}.xlsx")
        record(conn, path, t)
    # last year, same quarter: only indicator 4.1 was reported (by two agencies)
    for code, v in ((S1, 4), (S2, 2)):
        path = fill_report(small_plan, Report(code, 2567, 2, projects_for(9, 1), {"4.1": v}),
                           tmp_path / f"{code}-2567.xlsx")
        record(conn, path, t.replace(year=2024))
    return consolidate_quarter(conn, small_plan, 2568, 2)


def _row(fig, code):
    return fig.indicators.set_index("code").loc[code]


def test_expected_reported_and_met_respect_types_and_direction(fig, small_plan):
    one = _row(fig, "1.1")  # every agency type, higher is better, target 95
    assert one["expected"] == len(small_plan.agencies)
    assert one["reported"] == 3  # the empty result does not count
    assert one["met"] == 2  # 96.5 and 95.0 (equal meets); 90.0 does not
    assert one["share_met"] == 2 / 3
    six = _row(fig, "6.1")  # area offices and vocational colleges only
    assert six["expected"] == 2 and six["reported"] == 2  # the school's 99.0 is ignored
    four = _row(fig, "4.1")  # lower is better, target 5
    assert four["met"] == 2 and four["not_met"] == 1  # 3 and 0 meet, 7 does not


def test_provincial_figure_sum_for_counts_median_for_percents(fig):
    four = _row(fig, "4.1")
    assert four["figure_kind"] == "sum" and four["figure"] == 3 + 7 + 0
    one = _row(fig, "1.1")
    assert one["figure_kind"] == "median"
    assert one["figure"] == statistics.median([96.5, 95.0, 90.0])
    assert one["mean"] == pytest.approx(statistics.fmean([96.5, 95.0, 90.0]))
    assert (one["min"], one["max"]) == (90.0, 96.5)


def test_year_on_year_from_the_ledger_or_the_plan(fig, small_plan):
    four = _row(fig, "4.1")  # ledger FY 2567 Q2: 4 + 2
    assert four["previous_source"] == "ledger" and four["previous"] == 6
    assert four["change"] == 10 - 6 and bool(four["improved"]) is False  # more dropouts
    one = _row(fig, "1.1")  # not in last year's ledger: the plan's previous result
    assert one["previous_source"] == "plan"
    assert one["change"] == pytest.approx(95.0 - small_plan.indicators["1.1"].previous_result)
    assert bool(one["improved"]) is True
    six = _row(fig, "6.1")
    assert blank(six["previous_source"]) and blank(six["change"])  # neither: no change shown


def test_indicator_sheet_shows_the_figures(fig, tmp_path):
    wb = openpyxl.load_workbook(write_rollup_workbook(fig, tmp_path / "r.xlsx"))
    sh = wb[SHEETS["indicators"]]
    header = [c.value.split("\n")[1] if c.value and "\n" in c.value else c.value
              for c in sh[4]]
    rows = {r[0].value: [c.value for c in r] for r in sh.iter_rows(min_row=5, max_row=8)}
    one = dict(zip(header, rows["1.1"], strict=True))
    assert one["Agencies expected"] == 5 and one["Reported"] == 3 and one["Met target"] == 2
    assert one["Share meeting target"] == pytest.approx(2 / 3)
    assert one["How"] == "มัธยฐาน (median)" and one["Provincial figure"] == 95.0
    assert sh["I5"].number_format == "0.00%"
    four = dict(zip(header, rows["4.1"], strict=True))
    assert four["How"] == "ผลรวม (sum)" and four["Provincial figure"] == 10
    assert four["Source"] == "ฐานข้อมูล (ledger)" and four["Change"] == 4
    summary = wb[SHEETS["summary"]]
    share = next(r[1].value for r in summary.iter_rows() if r[0].value and
                 "Indicator results meeting target" in r[0].value)
    t = fig.indicators
    assert share == pytest.approx(t["met"].sum() / t["reported"].sum())
