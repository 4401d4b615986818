"""The committee report as a document: `edurollup report ... --document` writes an editable
.docx and, through LibreOffice, the same as .pdf beside the workbook; every section's
heading is in the PDF, and its figures are the workbook's cells as the workbook shows them
(one consolidation, never recomputed). The CONTRACT-14-15 figures (projects, narratives,
previous year) are presented when filled and said to be empty when not."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import soffice_or_skip
from docx import Document
from docx.shared import Pt
from rollup_helpers import scenario_copy

from pipeline.cli import main
from pipeline.consolidate import consolidate_quarter, empty_narratives, empty_projects
from pipeline.plan_load import load_plan
from pipeline.rollup import ANNUAL_SHEETS, SHEETS, annual_path, rollup_path
from pipeline.rollup.document import (
    NO_PDF_HINT,
    Edition,
    budget,
    build_document,
    narratives,
    strategies,
    summary,
)
from pipeline.rollup.document import build as build_mod
from pipeline.rollup.document.build import SECTIONS
from pipeline.rollup.document.summary import attention_items

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def _squash(text: str) -> str:
    """Without whitespace: Thai has no spaces between words, so a line may break anywhere."""
    return re.sub(r"\s+", "", text)


def _money(v: float) -> str:
    return f"{v:,.2f}"


def _rate(v: float) -> str:
    return f"{v * 100:.2f}%"


def _docx_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def _report(ws, *args):
    return CliRunner().invoke(main, ["report", "--fy", "2568", *args, "--document",
                                     "--workspace", str(ws.root)], catch_exceptions=False)


def _labelled(sheet, label_col: int, first_row: int) -> dict[str, tuple]:
    out = {}
    for row in sheet.iter_rows(min_row=first_row, values_only=True):
        if row[label_col] is not None:
            out[str(row[label_col])] = row
    return out


@pytest.mark.parametrize("which", ["quarter", "annual"])
def test_document_pdf_has_every_section_and_the_workbooks_figures(scenario, which):
    soffice_or_skip()
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.skip("pdftotext / pdftoppm are NOT installed: run `make sysdeps` (poppler-utils)")
    ws, _, _ = scenario
    args = ["--quarter", "2"] if which == "quarter" else ["--annual"]
    result = _report(ws, *args)
    assert result.exit_code == 0, result.output
    book = rollup_path(ws, 2568, 2) if which == "quarter" else annual_path(ws, 2568)
    docx, pdf = book.with_suffix(".docx"), book.with_suffix(".pdf")
    assert str(docx) in result.output and str(pdf) in result.output
    assert docx.stat().st_size > 20_000 and pdf.stat().st_size > 20_000
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = _squash(text)
    assert "\ufffd" not in text
    for heading, _ in SECTIONS:
        assert _squash(heading) in flat, heading
    assert _squash(summary.ATTENTION_HEADING) in flat
    title = ("รายงานผลการดำเนินงานประจำปีงบประมาณ" if which == "annual"
             else "รายงานผลการดำเนินงานและการใช้จ่ายงบประมาณไตรมาสที่2")
    assert title in flat
    assert re.search(r"หน้า\s*3\s*/\s*\d+", text), "page numbers in the footer"

    wb = openpyxl.load_workbook(book, data_only=True)
    if which == "quarter":
        s = _labelled(wb[SHEETS["summary"]], 0, 5)
        allocated = s["งบประมาณที่ได้รับจัดสรร (บาท) / Allocated (baht)"][1]
        disbursed = s["เบิกจ่ายสะสม (บาท) / Disbursed (baht)"][1]
        rate_row = s["อัตราเบิกจ่ายสะสม / Disbursement rate"]
        for figure in (_money(allocated), _money(disbursed), _rate(rate_row[1]),
                       _rate(rate_row[2])):
            assert figure in flat, figure
        strat = _labelled(wb[SHEETS["strategies"]], 0, 5)
        for label, row in strat.items():  # allocated, disbursed, rate of each strategy
            assert _money(row[1]) in flat and _money(row[3]) in flat, label
            if row[5] is not None:
                assert _rate(row[5]) in flat, label
        indicators = wb[SHEETS["indicators"]]
        results = [(r[0], r[5]) for r in indicators.iter_rows(min_row=5, values_only=True)
                   if r[0] and r[5] is not None and isinstance(r[5], float)]
    else:
        ind = wb[ANNUAL_SHEETS["indicators"]]
        results = [(r[0], r[14]) for r in ind.iter_rows(min_row=5, values_only=True)
                   if r[0] and isinstance(r[14], float)]
    assert results, "the scenario has indicator results"
    for code, figure in results:
        assert f"{figure:,.2f}" in flat, code

    # rendered: every page turns into an image; the charts are pictures in the .docx
    pages = subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(book.parent / "pg")],
                           capture_output=True, check=True)
    assert pages.returncode == 0 and list(book.parent.glob("pg-*.png"))
    doc = Document(str(docx))
    assert len(doc.inline_shapes) == 2


def test_document_look_a4_thai_font_rows_kept_whole(scenario):
    ws, _, _ = scenario
    plan = load_plan(ws.plan_file(2568))
    figs = tuple(consolidate_quarter(ws.ledger_path, plan, 2568, q) for q in (1, 2))
    doc = build_document(Edition(plan, 2568, 2, figs))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)  # A4 (twips)
    normal = doc.styles["Normal"]
    assert normal.font.name == "TH Sarabun New" and normal.font.size == Pt(16)
    rfonts = normal.element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cs") \
        == "TH Sarabun New"
    assert doc.tables
    for t in doc.tables:
        for i, row in enumerate(t.rows):
            trpr = row._tr.trPr
            assert trpr is not None and trpr.find(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}cantSplit") \
                is not None
            has_header = trpr.find(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
            assert (has_header is not None) == (i == 0)
    footer = sec.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    text = _docx_text(doc)
    assert "ข้อมูล ณ 18 เม.ย. 2568" in text or re.search(r"ข้อมูล ณ \d+ \S+ 25\d\d", text)


def _filled(fig):
    projects = pd.concat([empty_projects(), pd.DataFrame([
        {"strategy_no": 1, "project_code": "P-001", "project": "โครงการพัฒนาห้องสมุดโรงเรียน",
         "agency_code": "1033530001", "agency_name": "โรงเรียนบ้านหนองแวง",
         "affiliation": "obec_primary", "district": "เมืองศรีสะเกษ", "in_plan": True,
         "planned": 50_000_00, "allocated": 48_000_00, "committed": 0,
         "disbursed": 12_345_67, "rate": 12_345_67 / 48_000_00, "progress": "in_progress",
         "output_target": "1 ห้อง", "output_achieved": "", "remarks": ""},
        {"strategy_no": 2, "project_code": "", "project": "จัดซื้อครุภัณฑ์คอมพิวเตอร์",
         "agency_code": "1033530002", "agency_name": "โรงเรียนบ้านโนนสูง",
         "affiliation": "obec_primary", "district": "กันทรลักษ์", "in_plan": False,
         "planned": pd.NA, "allocated": pd.NA, "committed": pd.NA, "disbursed": pd.NA,
         "rate": float("nan"), "progress": "no_data", "output_target": "",
         "output_achieved": "", "remarks": ""},
    ])], ignore_index=True).astype({"planned": "Int64", "allocated": "Int64",
                                   "committed": "Int64", "disbursed": "Int64"})
    nar = pd.concat([empty_narratives(), pd.DataFrame([
        {"kind": "obstacle", "strategy_no": 1, "project_code": "P-001",
         "agency_code": "1033530001", "agency_name": "โรงเรียนบ้านหนองแวง",
         "affiliation": "obec_primary", "district": "เมืองศรีสะเกษ",
         "text": "งบประมาณโอนล่าช้า ทำให้จัดซื้อไม่ทันภาคเรียน"},
        {"kind": "obstacle", "strategy_no": 1, "project_code": "",
         "agency_code": "1033530002", "agency_name": "โรงเรียนบ้านโนนสูง",
         "affiliation": "obec_primary", "district": "กันทรลักษ์",
         "text": "ครูไม่ครบชั้น ต้องสอนควบชั้น"},
        {"kind": "suggestion", "strategy_no": pd.NA, "project_code": "",
         "agency_code": "1033530002", "agency_name": "โรงเรียนบ้านโนนสูง",
         "affiliation": "obec_primary", "district": "กันทรลักษ์",
         "text": "ควรโอนงบประมาณภายในไตรมาสแรก"},
    ])], ignore_index=True).astype({"strategy_no": "Int64"})
    return dataclasses.replace(
        fig, projects=projects, narratives=nar,
        project_counts={"total": 2, "done": 0, "in_progress": 1, "not_started": 0,
                        "no_data": 1},
        coverage={"agencies_counted": 144, "agencies_expected": 149,
                  "planned_covered": 270_000_000_00, "planned_total": 281_000_000_00,
                  "revisions": [{"agency_code": "1033530001", "project_code": "P-001",
                                 "from_quarter": 2, "allocated_before": 50_000_00,
                                 "allocated_after": 48_000_00}],
                  "passed_on": 1_500_000_00},
        previous_year={"fiscal_year": 2567, "quarter": 2, "allocated": 250_000_000_00,
                       "disbursed": 101_234_567_89, "rate": 101_234_567_89 / 250_000_000_00})


def test_contract_figures_presented_when_filled_and_said_empty_when_not(scenario):
    ws, _, _ = scenario
    plan = load_plan(ws.plan_file(2568))
    figs = [dataclasses.replace(
        consolidate_quarter(ws.ledger_path, plan, 2568, q), projects=empty_projects(),
        narratives=empty_narratives(), previous_year=None) for q in (1, 2)]
    assert not plan.projects  # the small plan has no project register
    empty_text = _squash(_docx_text(build_document(Edition(plan, 2568, 2, tuple(figs)))))
    for message in (strategies.NO_REGISTER, narratives.NONE_REPORTED, budget.NO_PREVIOUS):
        assert _squash(message) in empty_text
    assert _squash("แผนนี้ไม่มีทะเบียนโครงการ") in empty_text

    filled = (figs[0], _filled(figs[1]))
    text = _squash(_docx_text(build_document(Edition(plan, 2568, 2, filled))))
    for message in (narratives.NONE_REPORTED, budget.NO_PREVIOUS):
        assert _squash(message) not in text
    assert _squash("P-001 โครงการพัฒนาห้องสมุดโรงเรียน") in text
    assert "48,000.00" in text and "12,345.67" in text and "25.72%" in text
    assert _squash("จัดซื้อครุภัณฑ์คอมพิวเตอร์ (นอกแผน)") in text
    assert _squash("จัดซื้อครุภัณฑ์คอมพิวเตอร์ (นอกแผน) (โรงเรียนบ้านโนนสูง)") in text
    assert "ไม่มีข้อมูล" in text  # its progress: no accepted report
    assert _squash("4.1 ปัญหาและอุปสรรค (obstacles) 2 เรื่อง") in text
    assert _squash("4.2 ข้อเสนอแนะ (suggestions) 1 เรื่อง") in text
    assert _squash("ไม่ระบุยุทธศาสตร์ (not tied to a strategy) (1 เรื่อง)") in text
    assert _squash("งบประมาณโอนล่าช้า ทำให้จัดซื้อไม่ทันภาคเรียน (โรงเรียนบ้านหนองแวง)") in text
    assert _squash("ปีงบประมาณ 2567 ไตรมาส 2") in text
    assert "250,000,000.00" in text and "101,234,567.89" in text and "40.49%" in text
    assert _squash("0 จาก 2") in text  # projects done, in the headline figures
    assert _squash("144 จาก 149") in text and "270,000,000.00" in text
    assert "1,500,000.00" in text and "50,000.00" in text  # passed on; a revision's before


def test_attention_items_worst_first_stated_from_the_figures(scenario):
    ws, _, _ = scenario
    plan = load_plan(ws.plan_file(2568))
    fig = consolidate_quarter(ws.ledger_path, plan, 2568, 2)
    total = {**fig.budget_total, "disbursement_rate": 0.02, "target": 0.54,
             "rate_capital": 0.50, "target_capital": 0.54}
    items = attention_items(dataclasses.replace(fig, budget_total=total))
    assert len(items) == 3
    # 52 points behind outranks half of the due indicators missed (50), then capital (4)
    assert "2.00%" in items[0] and "54.00%" in items[0] and "52.00 จุด" in items[0]
    assert items[1].startswith("ตัวชี้วัดยังไม่บรรลุเป้าหมาย 2 จาก 4")
    assert "49.00" in items[1] and "50.00" in items[1]
    # exactly on target is not behind: no item about the overall rate
    on = {**total, "disbursement_rate": 0.54, "rate_capital": 0.54}
    assert not any("อัตราเบิกจ่ายสะสมของจังหวัด" in i
                   for i in attention_items(dataclasses.replace(fig, budget_total=on)))
    assert len(attention_items(fig, limit=1)) == 1


def test_without_libreoffice_the_docx_is_written_and_a_line_says_how(scenario, monkeypatch):
    ws, _, _ = scenario
    monkeypatch.setattr(build_mod, "soffice", lambda: None)
    result = _report(ws, "--quarter", "2")
    assert result.exit_code == 0, result.output
    docx = rollup_path(ws, 2568, 2).with_suffix(".docx")
    assert docx.is_file() and not docx.with_suffix(".pdf").exists()
    assert NO_PDF_HINT in result.output


def test_a_libreoffice_that_makes_no_pdf_is_an_error_naming_the_fix(scenario, monkeypatch):
    ws, _, _ = scenario
    monkeypatch.setattr(build_mod, "soffice", lambda: "/bin/false")  # runs, writes nothing
    result = _report(ws, "--quarter", "2")
    assert result.exit_code == 1
    assert "libreoffice-writer-nogui" in result.output and "rollup-2568-Q2.docx" in result.output
    assert rollup_path(ws, 2568, 2).with_suffix(".docx").is_file()
    assert not rollup_path(ws, 2568, 2).with_suffix(".pdf").exists()
