"""Who may submit for whom, and when: spoofed senders quarantined whatever the content,
trusted dropped files accepted, closed periods and missing plans quarantined, lateness at
the due date's edge (Thai time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_small_plan
from indicator_inputs import write_inputs

from pipeline.collect import NO_ATTACHMENT, Arrival, classify, trusted
from pipeline.decide import decide, duplicate_decision
from pipeline.read import read_workbook
from pipeline.templates import build_template
from pipeline.validate import validate_workbook
from pipeline.workspace import Workspace

SCHOOL = "1033530001"
REGISTERED = "nongwaeng@school.example.th"
ON_TIME = datetime(2025, 4, 10, 9, 0, tzinfo=UTC)


def report_for(plan, tmp: Path, *, quarter=2, disbursed=1000, name="r.xlsx"):
    wb = build_template(plan, SCHOOL, quarter)
    for row in wb["ปก (Cover)"].iter_rows(min_row=1, max_row=30):
        if str(row[0].value or "").startswith("ชื่อ-สกุล"):
            row[1].value = "นางสาวสมศรี ใจดี"
    budget = wb["งบประมาณ (Budget)"]
    for col, v in enumerate(["P01", "โครงการอาหารกลางวัน", plan.strategies[4].label,
                             "งบประมาณพื้นฐาน", "งบเงินอุดหนุน", 2000, 0, disbursed], start=1):
        budget.cell(5, col).value = v
    ind = wb["ตัวชี้วัด (Indicators)"]
    for row, code, v in ((5, "1.1", 96), (6, "2.1", 51.5), (7, "4.1", 2)):
        write_inputs(ind, row, plan.indicators[code].kind, v)
    path = tmp / name
    wb.save(path)
    return path.read_bytes(), validate_workbook(read_workbook(path, display_name=name), plan)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Filled and validated workbooks, built once per (quarter, disbursed) for the module."""
    plan, cache = make_small_plan(), {}

    def get(quarter: int = 2, disbursed: float = 1000):
        if (quarter, disbursed) not in cache:
            cache[quarter, disbursed] = report_for(plan, tmp_path_factory.mktemp("wb"),
                                                   quarter=quarter, disbursed=disbursed)
        return cache[quarter, disbursed]

    return get


def arrival(data: bytes, sender: str | None, received=ON_TIME, source="eml",
            name="r.xlsx") -> Arrival:
    kind, reason = classify(name, data)
    return Arrival(source=source, source_path=f"inbox/{name}", part_index=1 if sender else 0,
                   original_name=name, safe_name=name, sender=sender, sender_display=None,
                   message_id="<m@x>" if sender else None, received_at=received, data=data,
                   kind=kind, reason=reason)


def codes(decision) -> list[str]:
    return [p.code for p in decision.problems]


def test_registered_sender_is_accepted(made, small_plan):
    data, rep = made()
    d = decide(rep, arrival(data, REGISTERED), small_plan, trusted=False)
    assert (d.status, d.late, d.agency_code, d.fiscal_year, d.quarter) == (
        "accepted", False, SCHOOL, 2568, 2)
    assert "intake.sender-not-registered" not in codes(d)


@pytest.mark.parametrize("sender", ["somchai.fake@gmail.example.com",
                                    "anuban.ktl@school.example.th", None])
def test_spoofed_sender_is_quarantined_never_merged(made, small_plan, sender):
    """A stranger, another agency's registered clerk, or no From: at all."""
    data, rep = made()
    d = decide(rep, arrival(data, sender), small_plan, trusted=False)
    assert d.status == "quarantined" and not d.counts
    assert codes(d)[0] == "intake.sender-not-registered"
    assert d.problems[0].message_en.endswith(f"is not registered for agency {SCHOOL}")


def test_spoofed_sender_is_quarantined_even_when_the_file_has_errors(made, small_plan):
    data, rep = made(disbursed=9999)  # disbursed > allocated
    assert not rep.valid
    d = decide(rep, arrival(data, "intruder@example.com"), small_plan, trusted=False)
    assert d.status == "quarantined"
    assert "budget.disbursed-over-allocated" in codes(d)  # kept for the office to see


def test_registered_sender_with_errors_is_rejected(made, small_plan):
    data, rep = made(disbursed=9999)
    d = decide(rep, arrival(data, REGISTERED.upper()), small_plan, trusted=False)
    assert d.status == "rejected"
    assert d.reason_en.endswith("error(s) found")


def test_trusted_dropped_file_is_accepted_untrusted_is_quarantined(made, small_plan, tmp_path):
    data, rep = made()
    dropped = arrival(data, None, source="dropped")
    ws = Workspace(tmp_path)
    assert trusted(ws, dropped)
    assert decide(rep, dropped, small_plan, trusted(ws, dropped)).status == "accepted"
    (tmp_path / "edurollup.toml").write_text("[intake]\ntrust_dropped_files = false\n")
    strict = Workspace.open(tmp_path)
    d = decide(rep, dropped, small_plan, trusted(strict, dropped))
    assert d.status == "quarantined" and codes(d)[0] == "intake.sender-not-registered"
    # an e-mail is never trusted, whatever the workspace says
    assert not trusted(ws, arrival(data, "x@y.th"))


def test_period_not_open_is_quarantined(made, small_plan):
    data, rep = made(quarter=3)  # plan opens Q1 and Q2 only
    d = decide(rep, arrival(data, REGISTERED), small_plan, trusted=False)
    assert d.status == "quarantined"
    assert codes(d)[-1] == "intake.period-not-open"
    assert d.problems[-1].value == "ปีงบประมาณ 2568 ไตรมาส 3"


def test_no_plan_for_the_year_is_quarantined(made, small_plan):
    data, rep = made()
    for plan in (None, make_small_plan(2569)):
        d = decide(rep, arrival(data, REGISTERED), plan, trusted=plan is None)
        assert d.status == "quarantined", plan
        assert codes(d)[-1] == "intake.plan-mismatch"
        assert d.problems[-1].value == "2568"


THAI = timezone(timedelta(hours=7))


@pytest.mark.parametrize(("received", "late"), [
    (datetime(2025, 4, 15, 23, 59, 59, tzinfo=THAI), False),  # the whole due day counts
    (datetime(2025, 4, 15, 16, 59, 59, tzinfo=UTC), False),   # same instant in UTC
    (datetime(2025, 4, 16, 0, 0, 0, tzinfo=THAI), True),
    (datetime(2025, 4, 15, 17, 0, 0, tzinfo=UTC), True),      # 16 Apr 00:00 in Thailand
])
def test_late_flag_at_the_due_date_edge(made, small_plan, received, late):
    assert small_plan.due_date(2).isoformat() == "2025-04-15"
    data, rep = made()
    d = decide(rep, arrival(data, REGISTERED, received), small_plan, trusted=False)
    assert (d.status, d.late) == ("accepted", late)
    assert ("intake.late" in codes(d)) == late
    if late:
        late_problem = d.problems[codes(d).index("intake.late")]
        assert late_problem.severity == "warning"
        assert "15 เม.ย. 2568" in late_problem.message_th


def test_not_a_workbook_is_rejected_with_a_reason(small_plan):
    pdf = arrival(b"%PDF-1.7 scanned", REGISTERED, name="สแกน.pdf")
    d = decide(None, pdf, small_plan, trusted=False)
    assert (d.status, codes(d), d.agency_code) == ("rejected", ["file.unsupported-type"], SCHOOL)
    assert "PDF" in d.problems[0].message_en
    fake = arrival(b"<html><table><tr><td>1</td></tr></table></html>", REGISTERED,
                   name="export.xls")
    assert codes(decide(None, fake, small_plan, trusted=False)) == ["file.not-a-workbook"]
    empty = Arrival(source="eml", source_path="inbox/m.eml", part_index=0,
                    original_name="ส่งรายงาน", safe_name="message.eml", sender=REGISTERED,
                    sender_display=None, message_id="<m@x>", received_at=ON_TIME,
                    data=b"From: x\r\n\r\nbody", kind="not-a-workbook", reason=NO_ATTACHMENT,
                    subject="ส่งรายงาน")
    d = decide(None, empty, small_plan, trusted=False)
    assert (d.status, codes(d)) == ("rejected", ["intake.no-attachment"])


def test_duplicate_decision_points_at_the_earlier_submission(small_plan):
    again = arrival(b"PK\x03\x04same", REGISTERED)
    earlier = {"id": 7, "received_at": "2025-04-09T18:30:00+00:00", "original_name": "r.xlsx",
               "late": 0, "agency_code": SCHOOL, "fiscal_year": 2568, "quarter": 2}
    d = duplicate_decision(earlier, again)
    assert (d.status, d.duplicate_of, codes(d)) == ("duplicate", 7, ["intake.duplicate"])
    assert d.problems[0].value == "10 เม.ย. 2568"  # 01:30 on 10 April in Thailand
