"""Indicators: the province's figure by the indicator's kind (never a sum or median of
agencies' rates or averages), reporters against those expected (agency types and levels),
the verdict against the provincial target (บรรลุ / ไม่บรรลุ / ยังไม่ถึงรอบรายงาน /
ข้อมูลไม่พอ), the change against the baseline by direction (last fiscal year's figure from
the ledger, else the plan's), and the same per affiliation and district."""

import dataclasses
import statistics
from datetime import UTC, datetime

import openpyxl
import pytest
from rollup_helpers import Report, fill_report, new_ledger, projects_for, record

from pipeline.consolidate import blank, consolidate_quarter
from pipeline.rollup import SHEETS, write_rollup_workbook

S1, S2, AREA, VOC, PRIV = "1033530001", "1033530002", "33010000", "1333000101", "2033000201"
RESULTS = {
    S1: {"1.1": {"numerator": 193, "denominator": 200},  # 96.5 %
         "2.1": {"result": 52.25, "weight": 40}, "4.1": 3},
    S2: {"1.1": {"numerator": 57, "denominator": 60},  # 95 %
         "2.1": {"result": 47.5, "weight": 10}, "4.1": 7},
    AREA: {"1.1": {"numerator": 45, "denominator": 50}, "6.1": 91.0},  # 90 %
    VOC: {"1.1": None, "4.1": 0, "6.1": 85.0},  # 1.1 left empty
}


def _ledger(tmp_path, plan, q=2):
    conn = new_ledger(tmp_path / "ledger.sqlite")
    t = datetime(2025, 4, 2, 3, 0, tzinfo=UTC)
    for i, (code, res) in enumerate(RESULTS.items()):
        path = fill_report(plan, Report(code, 2568, q, projects_for(i, 1), res),
                           tmp_path / f"{code}.xlsx")
        record(conn, path, t)
    # last fiscal year's 12-month report: only indicator 4.1 (by two agencies)
    for code, v in ((S1, 4), (S2, 2)):
        path = fill_report(plan, Report(code, 2567, 4, projects_for(9, 1), {"4.1": v}),
                           tmp_path / f"{code}-2567.xlsx")
        record(conn, path, t.replace(year=2024, month=10))
    return conn


@pytest.fixture
def fig(tmp_path, small_plan):
    return consolidate_quarter(_ledger(tmp_path, small_plan), small_plan, 2568, 2)


def _row(fig, code):
    return fig.indicators.set_index("code").loc[code]


def test_percent_from_counts_sums_numerators_and_denominators(fig):
    one = _row(fig, "1.1")
    assert one["figure"] == pytest.approx(100 * (193 + 57 + 45) / (200 + 60 + 50))
    # not the median (95.0) nor the mean (93.83) of the agencies' rates
    assert one["figure"] != pytest.approx(statistics.median([96.5, 95.0, 90.0]))
    assert one["expected"] == 5 and one["reported"] == 3  # the empty one does not count
    assert one["verdict"] == "achieved"  # 95.16 >= 95


def test_weighted_mean_uses_the_weights(fig):
    two = _row(fig, "2.1")
    assert two["figure"] == pytest.approx((52.25 * 40 + 47.5 * 10) / 50)  # 51.3
    assert two["verdict"] == "achieved"  # the unweighted mean 49.875 would miss 50
    assert two["expected"] == 3 and two["reported"] == 2  # schools and the private school


def test_count_is_a_sum_and_lower_is_better(fig):
    four = _row(fig, "4.1")
    assert four["figure"] == 3 + 7 + 0
    assert four["verdict"] == "not_achieved"  # 10 dropouts against a target of at most 5


def test_per_agency_average_is_the_mean_over_reporters(fig):
    six = _row(fig, "6.1")
    assert six["figure"] == pytest.approx((91.0 + 85.0) / 2)
    assert six["verdict"] == "not_achieved" and six["expected"] == 2


def test_baseline_from_last_years_ledger_else_the_plan(fig, small_plan):
    four = _row(fig, "4.1")  # FY 2567 Q4 in the ledger: 4 + 2
    assert four["previous_source"] == "ledger" and four["previous"] == 6
    assert four["change"] == 10 - 6 and bool(four["improved"]) is False  # more dropouts
    one = _row(fig, "1.1")  # not in last year's ledger: the plan's baseline
    assert one["previous_source"] == "plan"
    assert one["change"] == pytest.approx(one["figure"] - small_plan.indicators["1.1"]
                                          .previous_result)
    assert bool(one["improved"]) is True
    six = _row(fig, "6.1")
    assert blank(six["previous_source"]) and blank(six["change"])  # neither: no change shown


def test_too_few_reporters_and_not_due(tmp_path, small_plan):
    plan = dataclasses.replace(small_plan, indicators={
        **small_plan.indicators,
        # 3 of 5 reported: below a minimum of 61 %, at a minimum of exactly 60 %
        "1.1": dataclasses.replace(small_plan.indicators["1.1"], min_reporting_pct=61.0),
        "6.1": dataclasses.replace(small_plan.indicators["6.1"], min_reporting_pct=100.0),
        "2.1": dataclasses.replace(small_plan.indicators["2.1"], report_quarter=3)})
    fig = consolidate_quarter(_ledger(tmp_path, plan), plan, 2568, 2)
    assert _row(fig, "1.1")["verdict"] == "insufficient"
    assert _row(fig, "6.1")["verdict"] == "not_achieved"  # 2 of 2: exactly the minimum
    two = _row(fig, "2.1")
    assert two["verdict"] == "not_due" and blank(two["figure"]) and two["reported"] == 0
    assert fig.indicators_achieved == (0, 3)  # 1.1 too few, 4.1 and 6.1 not achieved
    plan60 = dataclasses.replace(plan, indicators={
        **plan.indicators,
        "1.1": dataclasses.replace(plan.indicators["1.1"], min_reporting_pct=60.0)})
    fig60 = consolidate_quarter(tmp_path / "ledger.sqlite", plan60, 2568, 2)
    assert _row(fig60, "1.1")["verdict"] == "achieved"


def test_breakdowns_by_affiliation_and_district(fig):
    b = fig.indicator_breakdown
    one = b[b["code"] == "1.1"].set_index(["dimension", "key"])
    obec = one.loc[("affiliation", "obec_primary")]  # S1, S2, AREA
    assert obec["figure"] == pytest.approx(100 * 295 / 310) and obec["reported"] == 3
    muang = one.loc[("district", "เมืองศรีสะเกษ")]  # S1, AREA, VOC (empty)
    assert muang["figure"] == pytest.approx(100 * (193 + 45) / 250)
    assert muang["reported"] == 2 and muang["expected"] == 3
    ktl = one.loc[("district", "กันทรลักษ์")]
    assert ktl["figure"] == pytest.approx(95.0) and ktl["verdict"] == "achieved"


def test_indicator_sheets_show_the_figures(fig, tmp_path):
    wb = openpyxl.load_workbook(write_rollup_workbook(fig, tmp_path / "r.xlsx"))
    sh = wb[SHEETS["indicators"]]
    header = [c.value.split("\n")[1] if c.value and "\n" in c.value else c.value
              for c in sh[4]]
    rows = {r[0].value: dict(zip(header, [c.value for c in r], strict=True))
            for r in sh.iter_rows(min_row=5, max_row=15) if r[0].value}
    assert rows["ยุทธศาสตร์ที่ 1. การจัดการศึกษาเพื่อความมั่นคง"]["Code"].startswith("ยุทธ")
    one = rows["1.1"]
    assert one["Provincial result"] == pytest.approx(100 * 295 / 310)
    assert one["Verdict"] == "บรรลุ (achieved)" and one["Provincial target"] == 95
    assert (one["Reporters"], one["Expected"]) == (3, 5)
    assert rows["4.1"]["Verdict"] == "ไม่บรรลุ (not achieved)"
    assert rows["4.1"]["Baseline from"].endswith("(ledger)") and rows["4.1"]["Change"] == 4
    summary = wb[SHEETS["summary"]]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert "ตัวชี้วัดที่บรรลุเป้าหมาย 2 จาก 4 ตัวชี้วัดที่ถึงรอบรายงาน" in " ".join(texts)
    per_strategy = {r[0].value: [c.value for c in r[1:7]] for r in summary.iter_rows()
                    if isinstance(r[0].value, str) and r[0].value[:2] in ("1.", "2.", "4.")}
    assert per_strategy["1. การจัดการศึกษาเพื่อความมั่นคง"][:3] == [1, 1, 1]
    b = wb[SHEETS["indicator_breakdowns"]]
    labels = [r[2].value for r in b.iter_rows(min_row=5) if r[0].value == "1.1"]
    assert "สพฐ. (สพป.) (OBEC primary area)" in labels and "กันทรลักษ์" in labels
    a = wb[SHEETS["agency_results"]]
    agency_rows = {(r[0].value, r[1].value): [c.value for c in r] for r in a.iter_rows(min_row=5)}
    s1 = agency_rows[("1.1", S1)]
    assert s1[3:5] == [193, 200] and s1[7] == pytest.approx(96.5)
    assert s1[8] == 95 and s1[9] == "บรรลุ (met)"  # the agency target of 1.1
