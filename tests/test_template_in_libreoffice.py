"""A template as LibreOffice shows, prints and re-saves it (many offices use it, not Excel)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import make_small_plan, soffice_or_skip

import schemas
from pipeline.read import read_workbook
from pipeline.templates import stamp_checksum, write_templates

pytestmark = pytest.mark.slow

SCHOOL = "1033530001"


def convert(src: Path, fmt: str, out_dir: Path, profile: Path) -> Path:
    """Headless LibreOffice with a private profile (parallel soffice runs collide otherwise)."""
    exe = soffice_or_skip()
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
         "--outdir", str(out_dir), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    ext = fmt.split(":", 1)[0]
    out = out_dir / f"{src.stem}.{ext}"
    assert out.exists() and out.stat().st_size > 0
    return out


def squash(text: str) -> str:
    """pdftotext puts spaces and line breaks inside Thai words (and may reorder stacked
    marks, so the labels checked below have none); compare without whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    # an ASCII file name keeps the test about the content, not the shell
    src = write_templates(make_small_plan(), 2, [SCHOOL], tmp_path_factory.mktemp("tpl"))[0]
    return src.rename(src.with_name("template.xlsx"))


def test_prints_to_pdf_with_thai_text(template, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is NOT installed: run `make sysdeps`")
    pdf = convert(template, "pdf", tmp_path / "pdf", tmp_path / "lo-profile")
    text = squash(subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                                 capture_output=True, text=True, timeout=60).stdout)
    assert squash("โรงเรียนบ้านหนองแวง") in text
    assert squash(schemas.BUDGET.column("budget_source").th) in text
    assert squash(schemas.INDICATORS.column("indicator_name").en) in text
    assert squash("จำนวนนักเรียนออกกลางคัน") in text  # an indicator row
    assert squash("15 เม.ย. 2568") in text  # the due date, shown in the Buddhist Era
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    if pages:
        # one page per sheet: cover, budget, indicators, narrative
        assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) == 4


def test_resaved_by_libreoffice_keeps_stamp_and_inputs(template, tmp_path):
    resaved = convert(template, "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx",
                      tmp_path / "lo-profile")
    raw = read_workbook(resaved)
    assert raw.problems == []
    assert raw.stamp["agency_code"] == SCHOOL
    assert raw.stamp["checksum"] == stamp_checksum(raw.stamp)
    cover = raw.sheets["cover"].rows[0][1]
    assert cover["due_date"].value.isoformat().startswith("2025-04-15")
    wb = openpyxl.load_workbook(resaved)
    assert wb[schemas.STAMP_SHEET].sheet_state != "visible"
    assert wb[schemas.COVER.name]["B10"].protection.locked is False
    assert wb[schemas.COVER.name]["B4"].protection.locked is True
    budget = wb[schemas.BUDGET.name]
    assert budget.protection.sheet
    lists = sorted(dv.formula1 for dv in budget.data_validations.dataValidation
                   if dv.type == "list")
    assert len(lists) == 4 and all(f.lstrip("'").startswith("_lists") for f in lists)
