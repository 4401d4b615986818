"""Completeness and timeliness per affiliation and district: expected (the registry),
on time, late, missing, rejected-and-not-yet-fixed; the agencies to chase with their
contact e-mails, on the completeness sheet and the summary."""

from datetime import UTC, datetime

import openpyxl
import pytest
from rollup_helpers import Report, fill_report, new_ledger, projects_for, record

from pipeline.consolidate import consolidate_quarter
from pipeline.rollup import SHEETS, write_rollup_workbook

S1, S2, AREA, VOC, PRIV = "1033530001", "1033530002", "33010000", "1333000101", "2033000201"


@pytest.fixture
def fig(tmp_path, small_plan):
    conn = new_ledger(tmp_path / "ledger.sqlite")
    t = datetime(2025, 4, 10, 3, 0, tzinfo=UTC)

    def send(code, n, when, **kw):
        path = fill_report(small_plan, Report(code, 2568, 2, projects_for(n, 1)),
                           tmp_path / f"{code}-{n}.xlsx")
        return record(conn, path, when, **kw)

    send(S1, 1, t)  # on time
    send(S2, 2, t, status="rejected", reason="ข้อผิดพลาด 3 รายการ")  # rejected ...
    send(S2, 3, t.replace(day=13))  # ... then fixed, on time
    send(VOC, 4, t.replace(day=20), late=True)  # late
    send(PRIV, 5, t, status="rejected", reason="พบข้อผิดพลาด / errors found",
         feedback_path="feedback/abc-report-feedback.xlsx")  # rejected, not fixed
    send(PRIV, 6, t.replace(day=11), status="quarantined", reason="ผู้ส่งไม่ได้ลงทะเบียน",
         sender="someone@else.example")  # the latest is quarantined
    # AREA sends nothing: missing
    return consolidate_quarter(conn, small_plan, 2568, 2)


def test_each_agency_has_one_state(fig):
    state = dict(zip(fig.completeness["agency_code"], fig.completeness["state"], strict=True))
    assert state == {S1: "on_time", S2: "on_time", VOC: "late", PRIV: "rejected",
                     AREA: "missing"}
    row = fig.completeness.set_index("agency_code").loc[PRIV]
    assert row["reason"] == "ผู้ส่งไม่ได้ลงทะเบียน"  # the latest of its bad files


def test_counts_per_affiliation_and_district(fig):
    aff = fig.completeness_by["affiliation"].set_index("key")
    assert aff.loc["obec_primary", ["expected", "submitted", "on_time", "missing"]].tolist() == [
        3, 2, 2, 1]
    assert aff.loc["ovec", ["late", "submitted"]].tolist() == [1, 1]
    assert aff.loc["opec", ["rejected", "submitted"]].tolist() == [1, 0]
    dist = fig.completeness_by["district"].set_index("key")
    assert dist.loc["เมืองศรีสะเกษ", ["expected", "on_time", "late", "missing"]].tolist() == [
        3, 1, 1, 1]
    total = fig.completeness_total
    assert (total["expected"], total["submitted"], total["rejected"]) == (5, 3, 1)
    assert total["submitted_rate"] == 3 / 5


def test_chase_list_on_the_completeness_sheet(fig, small_plan, tmp_path):
    wb = openpyxl.load_workbook(write_rollup_workbook(fig, tmp_path / "r.xlsx"))
    sh = wb[SHEETS["completeness"]]
    values = [[c.value for c in r] for r in sh.iter_rows()]
    start = next(i for i, r in enumerate(values) if r[0] == "หน่วยงานที่ต้องติดตาม (Agencies to chase)")
    chase = {r[0]: r for r in values[start + 2:] if r[0]}
    assert set(chase) == {AREA, PRIV}
    assert chase[AREA][5] == "; ".join(small_plan.agencies[AREA].sender_emails)
    assert chase[PRIV][4] == "ถูกส่งคืน ยังไม่แก้ไข (rejected, not yet fixed)"
    # by affiliation, first table: OBEC primary row
    obec = next(r for r in values if r[0] == "obec_primary")
    assert obec[2:8] == [3, 2, 2, 0, 0, 1]
    summary = wb[SHEETS["summary"]]
    head = {r[0].value.split(" / ")[1]: r[1].value for r in summary.iter_rows(min_row=5)
            if r[0].value and " / " in r[0].value}
    assert head["Agencies expected"] == 5 and head["Missing"] == 1 and head["Late"] == 1
    assert head["Completeness"] == pytest.approx(0.6)
