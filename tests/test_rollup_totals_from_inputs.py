"""Every total on the summary, strategy and agency sheets equals, to the satang, the sum of
the accepted report files themselves (read back with openpyxl, summed with Decimal here).

The workspace goes through the real nightly job (templates filled like a clerk, e-mailed,
one resubmission, one late, one rejected, one agency missing).
"""

from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
from rollup_helpers import budget_of_file, scenario_copy

from pipeline.rollup import SHEETS, rollup_path

pytestmark = pytest.mark.slow
MEASURES = ("allocated", "committed", "disbursed")


def _baht(cell_value) -> Decimal:
    assert isinstance(cell_value, (int, float)), cell_value
    return Decimal(str(cell_value))


def _expected(sent, quarter):
    by_strategy = defaultdict(lambda: defaultdict(Decimal))
    by_agency = defaultdict(lambda: defaultdict(Decimal))
    total = defaultdict(Decimal)
    for s in sent:
        if s.quarter != quarter or not s.accepted:
            continue
        for row in budget_of_file(s.path):
            for m in MEASURES:
                by_strategy[row["strategy_no"]][m] += row[m]
                by_agency[s.agency_code][m] += row[m]
                total[m] += row[m]
    return by_strategy, by_agency, total


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


@pytest.mark.parametrize("quarter", [1, 2])
def test_rollup_totals_equal_the_accepted_files(scenario, quarter):
    ws, plan, sent = scenario
    by_strategy, by_agency, total = _expected(sent, quarter)
    assert total["allocated"] > 0
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, quarter))

    # summary: headline money and the disbursement rate
    summary = wb[SHEETS["summary"]]
    head = {str(r[0].value).split(" / ")[1]: r[1].value
            for r in summary.iter_rows(min_row=5, max_row=25) if r[0].value and " / " in
            str(r[0].value)}
    assert _baht(head["Allocated (baht)"]) == total["allocated"]
    assert _baht(head["Committed (baht)"]) == total["committed"]
    assert _baht(head["Disbursed (baht)"]) == total["disbursed"]
    assert _baht(head["Spent (baht)"]) == total["committed"] + total["disbursed"]
    assert head["Disbursement rate"] == pytest.approx(
        float(total["disbursed"] / total["allocated"]), abs=1e-12)

    # strategies: one row per plan strategy, then the total
    sh = wb[SHEETS["strategies"]]
    rows = {r[0].value: r for r in sh.iter_rows(min_row=5) if r[0].value}
    assert len([k for k in rows if k != "รวม (Total)"]) == len(plan.strategies)
    for no, strategy in plan.strategies.items():
        r = rows[strategy.label]
        for i, m in enumerate(MEASURES, start=1):
            assert _baht(r[i].value) == by_strategy[no][m], (strategy.label, m)
        assert _baht(r[4].value) == by_strategy[no]["committed"] + by_strategy[no]["disbursed"]
    t = rows["รวม (Total)"]
    for i, m in enumerate(MEASURES, start=1):
        assert _baht(t[i].value) == total[m]

    # agencies: every registry agency; those without an accepted file read as "no data"
    # (blank, the report column says why), never 0.00 (issue #14)
    sh = wb[SHEETS["agencies"]]
    header = [c.value for c in sh[4]]
    col = {m: next(i for i, h in enumerate(header) if h and h.endswith(f"{m.capitalize()} (baht)")
                   or (h and m == "committed" and "Committed / PO" in h)) for m in MEASURES}
    rows = {r[0].value or r[1].value: r for r in sh.iter_rows(min_row=5) if r[1].value}
    accepted = {s.agency_code for s in sent if s.quarter == quarter and s.accepted}
    for code in plan.agencies:
        for m in MEASURES:
            if code in accepted:
                assert _baht(rows[code][col[m]].value) == by_agency[code][m], (code, m)
            else:
                assert rows[code][col[m]].value is None, (code, m)
                assert rows[code][5].value in ("ยังไม่ส่ง (missing)",
                                               "ถูกส่งคืน ยังไม่แก้ไข (rejected, not yet fixed)")
    for m in MEASURES:
        assert _baht(rows["รวม (Total)"][col[m]].value) == total[m]


def test_superseded_and_rejected_files_do_not_count(scenario):
    ws, plan, sent = scenario
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, 2))
    sh = wb[SHEETS["agencies"]]
    rows = {r[0].value: r for r in sh.iter_rows(min_row=5) if r[0].value}
    rejected = next(s for s in sent if s.quarter == 2 and s.agency_code == "2033000201")
    assert not rejected.accepted
    # the rejected agency's row holds no money, although its file had some: no data
    assert rows["2033000201"][7].value is None
    assert "ถูกส่งคืน" in rows["2033000201"][5].value
    superseded, latest = [s for s in sent if s.quarter == 2 and s.agency_code == "1033530002"]
    old = sum(r["disbursed"] for r in budget_of_file(superseded.path))
    new = sum(r["disbursed"] for r in budget_of_file(latest.path))
    assert old != new
    header = [c.value for c in sh[4]]
    disb = next(i for i, h in enumerate(header) if h and "Disbursed (baht)" in h)
    assert _baht(rows["1033530002"][disb].value) == new
