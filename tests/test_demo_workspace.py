"""`edurollup demo` builds the Sisaket demo workspace: plan, ~300 reports delivered as
.eml, Maildir and dropped files, flaws, and a manifest that says what to expect.

The workspace is built once for the module through the real CLI (about 300 styled
workbooks, so the module is marked slow); each test then looks at it as a user or a
later step would: e-mails parsed with the stdlib, workbooks opened with openpyxl and
python-calamine, files checked by the product's own reader and validator.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook, SheetVisibleEnum

import schemas
from pipeline import calendar as fcal
from pipeline.cli import main
from pipeline.consolidate import agency_value
from pipeline.demo import DEMO_KEY, build_demo, fill, make_reports, xlsx_bytes
from pipeline.demo_data import make_demo_plan
from pipeline.plan_load import load_plan
from pipeline.read import read_workbook
from pipeline.templates import stamp_key
from pipeline.validate import validate_workbook
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
FLAWS = {"thai-digits", "text-numbers", "be-date-text", "late", "resubmission-corrects",
         "resubmission-supersedes", "unregistered-sender", "wrong-quarter", "corrupt", "ods",
         "formula-injection", "too-many-decimals", "required-missing", "not-allowed",
         "disbursed-over-allocated", "no-stamp", "duplicate", "numerator-over-denominator",
         "missing-weight"}
STATUSES = {"accepted", "rejected", "quarantined", "superseded", "duplicate"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--workspace", str(root), "--no-run"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "demo-manifest.json").read_text("utf-8"))
    assert f"{manifest['counts']['files']} files" in result.output
    return root, manifest


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _message(root: Path, entry: dict):
    return message_from_bytes((root / entry["path"]).read_bytes(), policy=policy.default)


def _workbook_bytes(root: Path, entry: dict) -> bytes:
    """The workbook as the office receives it: the attachment, or the dropped file."""
    if entry["source"] == "dropped":
        return (root / entry["path"]).read_bytes()
    msg = _message(root, entry)
    parts = [p for p in msg.iter_attachments() if p.get_filename() == entry["attachment"]]
    assert len(parts) == 1, (entry["path"], [p.get_filename() for p in msg.iter_attachments()])
    return parts[0].get_content()


def _with_flaw(manifest: dict, flaw: str) -> list[dict]:
    return [f for f in manifest["files"] if any(x["flaw"] == flaw for x in f["flaws"])]


def _open(root: Path, entry: dict) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(_workbook_bytes(root, entry)))


def test_province_plan_and_manifest_shape(demo):
    root, m = demo
    plan = load_plan(root / "plan" / "2568.xlsx")  # the plan as the office would edit it
    assert plan.province == "ศรีสะเกษ" and plan.fiscal_year == 2568 and plan.due_day == 15
    assert plan.office_name == "สำนักงานศึกษาธิการจังหวัดศรีสะเกษ"
    assert plan.open_quarters == frozenset({1, 2})
    assert 140 <= len(plan.agencies) <= 160
    assert len(plan.strategies) == 6
    assert 18 <= len(plan.indicators) <= 22
    assert any(i.direction == "lower" for i in plan.indicators.values())
    assert {a.agency_type for a in plan.agencies.values()} >= {
        "school", "area_office", "vocational", "private_school", "municipal_school",
        "nfe_centre", "bpp_school"}
    assert "กันทรลักษ์" in {a.district for a in plan.agencies.values()}
    for a in plan.agencies.values():
        assert 1 <= len(a.sender_emails) <= 2
        assert all(e.split("@")[1] in ("example.th", "example.ac.th", "example.go.th")
                   for e in a.sender_emails)
    assert plan.disbursement[1].overall_pct == 30.0 and plan.disbursement[2].overall_pct == 54.0

    assert m["seed"] == 2568 and m["fiscal_year"] == 2568 and m["province"] == "ศรีสะเกษ"
    assert m["counts"]["agencies"] == len(plan.agencies)
    assert m["counts"]["files"] == len(m["files"]) >= 2 * len(plan.agencies)
    assert m["counts"]["flawed"] == sum(1 for f in m["files"] if f["flaws"])
    text = (root / "demo-manifest.json").read_text("utf-8")
    assert text == json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    for f in m["files"]:
        assert set(f) == {"path", "attachment", "source", "sender", "received_at",
                          "agency_code", "fiscal_year", "quarter", "sha256",
                          "expected_status", "expected_late", "flaws"}
        assert f["expected_status"] in STATUSES and f["source"] in ("eml", "maildir", "dropped")
        assert f["agency_code"] in plan.agencies
        # this year's Q1-Q2 (and a Q3 sent too early), last year's 12-month report
        assert (f["fiscal_year"], f["quarter"]) in ((2568, 1), (2568, 2), (2568, 3), (2567, 4))
        assert datetime.fromisoformat(f["received_at"]).utcoffset().total_seconds() == 7 * 3600
        for x in f["flaws"]:
            assert x["step"] in ("normalise", "validate", "intake")
            assert (x["expect_code"] is None) == (x["severity"] is None)
    assert {x["flaw"] for f in m["files"] for x in f["flaws"]} == FLAWS
    sources = Counter(f["source"] for f in m["files"])
    assert sources["eml"] > sources["maildir"] > sources["dropped"] >= 1
    # one report per agency per open quarter reaches the ledger as accepted or rejected
    per_agency = Counter((f["agency_code"], f["fiscal_year"], f["quarter"]) for f in m["files"]
                         if f["expected_status"] in ("accepted", "superseded", "rejected"))
    assert {k[1:] for k in per_agency} == {(2568, 1), (2568, 2), (2567, 4)}
    assert len({k for k in per_agency}) == 3 * len(plan.agencies)


def test_every_path_exists_and_the_attachment_is_the_named_workbook(demo):
    root, m = demo
    plan = make_demo_plan()
    for f in m["files"]:
        path = root / f["path"]
        assert path.is_file(), f["path"]
        data = _workbook_bytes(root, f)
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
        received = datetime.fromisoformat(f["received_at"])
        if f["source"] == "dropped":
            assert f["path"].count("/") == 1 and f["sender"] is None and f["attachment"] is None
            assert path.stat().st_mtime == received.timestamp()  # what intake reads
            continue
        if f["source"] == "maildir":
            assert f["path"].startswith(("inbox/mail/new/", "inbox/mail/cur/"))
        msg = _message(root, f)
        assert parsedate_to_datetime(msg["Date"]) == received
        assert msg["Date"].endswith("+0700")
        assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(">")
        name, addr = parseaddr(str(msg["From"]))
        assert addr == f["sender"] and name  # a Thai display name
        part = next(p for p in msg.iter_attachments() if p.get_filename() == f["attachment"])
        want = ODS_MIME if f["attachment"].endswith(".ods") else XLSX_MIME
        assert part.get_content_type() == want
        registered = plan.agencies[f["agency_code"]].is_sender(addr)
        assert registered == (not _is(f, "unregistered-sender")), f["path"]
    raw = (root / _with_flaw(m, "ods")[0]["path"]).read_bytes()
    assert b"filename*=utf-8''" in raw or b"filename=\"=?utf-8?" in raw


def _is(entry: dict, flaw: str) -> bool:
    return any(x["flaw"] == flaw for x in entry["flaws"])


def test_building_again_gives_the_same_bytes_and_touches_nothing(demo, tmp_path):
    root, m = demo
    before = _files(root)
    mtimes = {p: (root / p).stat().st_mtime_ns for p in before}
    again = build_demo(Workspace.open(root))
    assert again == m
    assert _files(root) == before
    assert {p: (root / p).stat().st_mtime_ns for p in before} == mtimes
    other = tmp_path / "elsewhere"
    assert build_demo(Workspace.open(other)) == m
    assert _files(other) == before


def test_workbooks_are_generated_the_same_way_from_scratch(demo):
    """Not from the in-process memo: fill three agencies' templates anew."""
    root, m = demo
    plan = make_demo_plan()
    reports = make_reports(plan)
    clean = [f for f in m["files"] if not f["flaws"] and f["expected_status"] == "accepted"
             and f["quarter"] in (1, 2)]
    for f in clean[:: max(1, len(clean) // 3)][:3]:
        data = xlsx_bytes(fill(plan, reports[(f["agency_code"], f["quarter"])], key=DEMO_KEY))
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    # the demo's stamps are keyed with its workspace's key, which is the fixed demo key
    assert (root / "state" / "secret.key").read_bytes() == DEMO_KEY


def test_thai_digits_are_in_the_named_money_cell(demo):
    root, m = demo
    (f,) = _with_flaw(m, "thai-digits")
    flaw = f["flaws"][0]
    cell = _open(root, f)[flaw["sheet"]][flaw["cell"]]
    assert isinstance(cell.value, str)
    assert any(ch in fcal.THAI_DIGITS for ch in cell.value)
    assert not any(ch.isascii() and ch.isdigit() for ch in cell.value)
    assert flaw["cell"][0] == "F"  # the allocated column of the budget sheet


def test_text_numbers_and_be_date_are_text_as_typed(demo):
    root, m = demo
    (f,) = _with_flaw(m, "text-numbers")
    flaw = f["flaws"][0]
    value = _open(root, f)[flaw["sheet"]][flaw["cell"]].value
    assert isinstance(value, str) and value.endswith(" บาท") and "," in value
    (f,) = _with_flaw(m, "be-date-text")
    flaw = f["flaws"][0]
    value = _open(root, f)[flaw["sheet"]][flaw["cell"]].value
    assert isinstance(value, str) and value.split()[1] in fcal.THAI_MONTHS_ABBR
    assert value.endswith("2568")


def test_project_name_beginning_with_equals_is_a_text_cell(demo):
    root, m = demo
    (f,) = _with_flaw(m, "formula-injection")
    flaw = f["flaws"][0]
    cell = _open(root, f)[flaw["sheet"]][flaw["cell"]]
    assert cell.data_type == "s" and cell.value.startswith("=")
    book = CalamineWorkbook.from_filelike(io.BytesIO(_workbook_bytes(root, f)))
    rows = book.get_sheet_by_name(flaw["sheet"]).to_python()
    row, col = openpyxl.utils.cell.coordinate_from_string(flaw["cell"])
    assert rows[col - 1][openpyxl.utils.column_index_from_string(row) - 1] == cell.value


def test_ods_file_has_the_template_sheets_and_a_hidden_stamp(demo):
    root, m = demo
    (f,) = _with_flaw(m, "ods")
    assert f["attachment"].endswith(".ods") and f["expected_status"] == "accepted"
    book = CalamineWorkbook.from_filelike(io.BytesIO(_workbook_bytes(root, f)))
    names = book.sheet_names
    for spec in schemas.SUBMISSION_SHEETS:
        assert spec.name in names
    assert schemas.STAMP_SHEET in names
    visible = {s.name: s.visible for s in book.sheets_metadata}
    assert visible[schemas.STAMP_SHEET] != SheetVisibleEnum.Visible
    stamp = dict(book.get_sheet_by_name(schemas.STAMP_SHEET).to_python())
    assert stamp["agency_code"] == f["agency_code"] and stamp["quarter"] == "2"


def test_corrupt_file_is_not_a_zip(demo):
    root, m = demo
    (f,) = _with_flaw(m, "corrupt")
    data = _workbook_bytes(root, f)
    assert f["attachment"].endswith(".xlsx") and data[:2] == b"PK"
    assert not zipfile.is_zipfile(io.BytesIO(data))


def test_late_files_arrive_after_the_due_date_and_others_before(demo):
    root, m = demo
    plan = make_demo_plan()
    late = _with_flaw(m, "late")
    assert {f["quarter"] for f in late} == {1, 2}
    for f in m["files"]:
        when = datetime.fromisoformat(f["received_at"])
        if f["source"] != "dropped":
            when = parsedate_to_datetime(_message(root, f)["Date"])
        is_late = fcal.to_thai_date(when) > plan.due_date(f["quarter"])
        assert is_late == f["expected_late"] == (f in late), f["path"]


def test_pasted_copy_has_the_sheets_and_headers_but_no_stamp(demo):
    root, m = demo
    (f,) = _with_flaw(m, "no-stamp")
    wb = _open(root, f)
    assert wb.sheetnames == [s.name for s in schemas.SUBMISSION_SHEETS]
    for spec in (schemas.BUDGET, schemas.INDICATORS):
        header = [c.value for c in wb[spec.name][spec.header_row]][: len(spec.columns)]
        assert header == [c.header for c in spec.columns]


def test_resubmissions_and_duplicates_line_up(demo):
    root, m = demo
    (corrected,) = _with_flaw(m, "resubmission-corrects")
    (newer,) = _with_flaw(m, "resubmission-supersedes")
    (dup,) = _with_flaw(m, "duplicate")
    for later, older_status in ((corrected, "rejected"), (newer, "superseded")):
        (older,) = [f for f in m["files"] if f["agency_code"] == later["agency_code"]
                    and f["quarter"] == later["quarter"] and f is not later]
        assert older["expected_status"] == older_status and later["expected_status"] == "accepted"
        assert older["received_at"] < later["received_at"] and older["sha256"] != later["sha256"]
    (first,) = [f for f in m["files"] if f["sha256"] == dup["sha256"] and f is not dup]
    assert first["received_at"] < dup["received_at"] and dup["expected_status"] == "duplicate"


def test_the_validator_reports_exactly_what_the_manifest_says(demo, tmp_path):
    root, m = demo
    plans = {fy: load_plan(root / "plan" / f"{fy}.xlsx") for fy in (2567, 2568)}
    clean = [f for f in m["files"] if not f["flaws"]]
    sample = [f for f in m["files"] if f["flaws"]] + clean[:: len(clean) // 12]
    for f in sample:
        name = f["attachment"] or Path(f["path"]).name
        path = tmp_path / hashlib.sha1(f["path"].encode()).hexdigest() / name
        path.parent.mkdir()
        path.write_bytes(_workbook_bytes(root, f))
        report = validate_workbook(read_workbook(path, display_name=name),
                                   plans[f["fiscal_year"]], stamp_key(root / "state"))
        got = sorted((p.code, p.severity, p.sheet, p.cell) for p in report.problems)
        want = sorted((x["expect_code"], x["severity"], x["sheet"], x["cell"])
                      for x in f["flaws"] if x["step"] == "validate")
        assert got == want, f["path"]
        if f["expected_status"] in ("accepted", "superseded", "duplicate") and report.quarter:
            assert report.agency_code == f["agency_code"] and report.quarter == f["quarter"]


def test_figures_are_realistic_and_cumulative(demo, tmp_path):
    root, m = demo
    plan = load_plan(root / "plan" / "2568.xlsx")
    by_key = {(f["agency_code"], f["quarter"]): f for f in m["files"]
              if not f["flaws"] and f["expected_status"] == "accepted"}
    agencies = sorted({c for c, q in by_key if (c, 1) in by_key and (c, 2) in by_key})
    for code in agencies[:: len(agencies) // 10]:
        budgets = {}
        for q in (1, 2):
            f = by_key[(code, q)]
            path = tmp_path / f"{code}-{q}.xlsx"
            path.write_bytes(_workbook_bytes(root, f))
            rep = validate_workbook(read_workbook(path), plan, stamp_key(root / "state"))
            assert rep.valid and rep.budget is not None and 2 <= len(rep.budget) <= 8
            b = rep.budget.set_index("project_code")
            assert (b["committed"].fillna(0) + b["disbursed"] <= b["allocated"]).all()
            rate = 100 * b["disbursed"].sum() / b["allocated"].sum()
            target = plan.disbursement[q].overall_pct
            assert target / 3 <= rate and abs(rate - target) <= 25, (code, q, rate)
            lo, hi = _money_range(plan.agencies[code].agency_type)
            assert ((b["allocated"] >= lo * 100) & (b["allocated"] <= hi * 100)).all()
            for r in rep.indicators.to_dict("records"):
                ind = plan.indicators[r["indicator_code"]]
                value = agency_value(ind.kind, r["result"], r["numerator"], r["denominator"],
                                     r["answer"])
                assert value is not None, (code, q, ind.code)
                if ind.plausible_min is not None:
                    assert ind.plausible_min <= value <= ind.plausible_max
            budgets[q] = b
        assert (budgets[2]["disbursed"] >= budgets[1]["disbursed"]).all()
        assert (budgets[2]["committed"].fillna(0) >= budgets[1]["committed"].fillna(0)).all()


def _money_range(agency_type: str) -> tuple[int, int]:
    return (50_000, 5_000_000) if agency_type in ("area_office", "vocational", "office") \
        else (20_000, 2_500_000)


def test_settings_file_is_written_once(demo, tmp_path):
    root, _ = demo
    ws = Workspace.open(root)
    assert ws.trust_dropped_files is True and ws.smtp.port == 8025
    assert ws.smtp.host == "localhost"
    own = tmp_path / "mine"
    own.mkdir()
    (own / "edurollup.toml").write_text("[smtp]\nport = 2525\n", "utf-8")
    build_demo(Workspace.open(own))
    assert (own / "edurollup.toml").read_text("utf-8") == "[smtp]\nport = 2525\n"


def test_the_nightly_run_concludes_what_the_manifest_says(demo, tmp_path):
    """`edurollup demo` then runs the job: every file ends as the manifest expects, with
    exactly the expected problems stored in the ledger."""
    import shutil
    import sqlite3

    from pipeline.run import run_nightly

    root, m = demo
    work = tmp_path / "ws"
    shutil.copytree(root, work)  # copy2 keeps the dropped files' mtimes (their arrival time)
    assert run_nightly(Workspace.open(work), send=False, quiet=True) == 0
    db = sqlite3.connect(work / "state" / "ledger.sqlite")
    for f in m["files"]:
        row = db.execute(
            "SELECT s.id, s.status, s.agency_code, s.late, s.arrival_id = a.id "
            "FROM arrivals a JOIN submissions s ON s.sha256 = a.sha256 "
            "WHERE a.source_path = ?", (f["path"],)).fetchone()
        assert row is not None, f["path"]
        sub_id, status, agency, late, first_arrival = row
        if f["expected_status"] == "duplicate":
            assert not first_arrival, f["path"]
            continue
        assert (status, agency, bool(late)) == (
            f["expected_status"], f["agency_code"], f["expected_late"]), f["path"]
        stored = sorted(db.execute("SELECT code, sheet, cell FROM problems "
                                   "WHERE submission_id = ?", (sub_id,)).fetchall())
        want = sorted((x["expect_code"], x["sheet"], x["cell"]) for x in f["flaws"]
                      if x["expect_code"] and x["flaw"] != "duplicate")
        assert stored == want, f["path"]
    db.close()
