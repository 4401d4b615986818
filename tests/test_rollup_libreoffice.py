"""The roll-up opens in a real LibreOffice: headless PDF export succeeds, the first pages
render to PNG, the PDF's text is Thai; and openpyxl reads back tables, charts and formats."""

import shutil
import subprocess

import openpyxl
import pytest
from conftest import soffice_or_skip
from rollup_helpers import scenario_copy

from pipeline.rollup import SHEETS, annual_path, rollup_path

pytestmark = pytest.mark.slow


@pytest.fixture
def scenario(tmp_path_factory, tmp_path):
    return scenario_copy(tmp_path_factory, tmp_path)


def _to_pdf(soffice, path, out, tmp_path):
    profile = tmp_path / f"lo-{path.stem}"
    res = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=240)
    pdf = out / f"{path.stem}.pdf"
    assert res.returncode == 0 and pdf.is_file() and pdf.stat().st_size > 5_000, res.stderr
    return pdf


@pytest.mark.parametrize("which", ["quarter", "annual"])
def test_rollup_converts_and_renders_in_libreoffice(scenario, tmp_path, which):
    soffice = soffice_or_skip()
    for tool in ("pdftoppm", "pdftotext"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is NOT installed: run `make sysdeps` (poppler-utils)")
    ws, _, _ = scenario
    path = rollup_path(ws, 2568, 2) if which == "quarter" else annual_path(ws, 2568)
    out = tmp_path / "pdf"
    pdf = _to_pdf(soffice, path, out, tmp_path)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-l", "3", str(pdf), str(out / "page")],
                   check=True, timeout=120)
    pngs = sorted(out.glob("page-*.png"))
    assert len(pngs) >= 2 and all(p.stat().st_size > 5_000 for p in pngs)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    if which == "quarter":
        assert "สรุปผลการดำเนินงานและการใช้จ่ายงบประมาณ" in text
        assert "งบประมาณรายยุทธศาสตร์" in text
        assert "การจัดการศึกษาเพื่อความมั่นคง" in text
    else:
        assert "งบประมาณรายยุทธศาสตร์ ไตรมาส 1-4" in text
        assert "ไตรมาส 2" in text


def test_openpyxl_reads_tables_charts_and_formats(scenario):
    ws, _, _ = scenario
    wb = openpyxl.load_workbook(rollup_path(ws, 2568, 2))
    assert wb[SHEETS["data"]].tables
    assert len(wb[SHEETS["summary"]]._charts) == 2
    agencies = wb[SHEETS["agencies"]]
    header = [c.value for c in agencies[4]]
    money = header.index("จัดสรร (บาท)\nAllocated (baht)")
    rate = header.index("อัตราเบิกจ่าย\nDisbursement rate")
    for row in agencies.iter_rows(min_row=5, max_row=9):
        assert row[money].number_format == "#,##0.00"
        assert row[rate].number_format == "0.00%"
    assert agencies.conditional_formatting
    indicators = wb[SHEETS["indicators"]]
    # verdict traffic lights: achieved green, not achieved red, too few amber, not due grey
    rules = [r for cf in indicators.conditional_formatting for r in cf.rules]
    assert {tuple(r.formula) for r in rules if r.type == "cellIs"} >= {
        ('"บรรลุ (achieved)"',), ('"ไม่บรรลุ (not achieved)"',)}
