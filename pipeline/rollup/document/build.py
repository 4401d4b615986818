"""Assemble the report document from its sections and write it beside the workbooks:
``rollup-<FY>-Q<n>.docx`` / ``annual-<FY>.docx``, and the same as .pdf through LibreOffice
(headless, its own profile folder, a time limit) where it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...atomic import atomic_path
from ...consolidate import QuarterFigures
from ...plan import Plan
from ...workspace import Workspace
from ..figures import Figures, annual_path, load_plan, quarter_figures, rollup_path
from . import appendix, budget, narratives, strategies, summary
from .cover import write_contents, write_cover
from .edition import Edition
from .style import new_document, page_break

SECTIONS: list[tuple[str, Callable[[Any, Edition], None]]] = [
    (summary.HEADING, summary.write_summary),
    (strategies.HEADING, strategies.write_strategies),
    (budget.HEADING, budget.write_budget),
    (narratives.HEADING, narratives.write_narratives),
    (appendix.HEADING, appendix.write_appendix),
]
PDF_TIMEOUT = 240  # seconds: a cold LibreOffice start and a few dozen pages
NO_PDF_HINT = ("ไม่พบ LibreOffice จึงเขียนเฉพาะ .docx (ติดตั้งด้วย make sysdeps แล้วสั่งใหม่เพื่อได้ PDF) / "
               "LibreOffice not found: only the .docx was written (make sysdeps, then run "
               "again for the PDF)")


class PdfError(RuntimeError):
    """LibreOffice is there but made no PDF (most often: Writer is not installed)."""

    def __init__(self, docx: Path, why: str) -> None:
        super().__init__(
            f"LibreOffice แปลง {docx.name} เป็น PDF ไม่ได้ ({why}): ติดตั้ง Writer ด้วย make sysdeps "
            f"(libreoffice-writer-nogui) / LibreOffice could not convert {docx.name} to PDF "
            f"({why}): install Writer with make sysdeps (libreoffice-writer-nogui); the .docx "
            "is written")


@dataclass(frozen=True)
class Written:
    docx: Path
    pdf: Path | None  # None: LibreOffice is not installed


def build_document(ed: Edition) -> Any:
    doc = new_document(ed.title, ed.title_en)
    write_cover(doc, ed)
    write_contents(doc, [h for h, _ in SECTIONS])
    for i, (_, write) in enumerate(SECTIONS):
        if i:
            page_break(doc)
        write(doc, ed)
    return doc


def write_docx(ed: Edition, target: Path) -> Path:
    doc = build_document(ed)
    with atomic_path(target) as tmp:
        doc.save(str(tmp))
    return target


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: Path, exe: str | None = None) -> Path | None:
    """The .pdf beside ``docx`` (atomically replaced); None when LibreOffice is missing."""
    exe = exe or soffice()
    if exe is None:
        return None
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="edurollup-pdf-") as tmp:
        profile = Path(tmp) / "profile"
        try:
            subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                            "--norestore", "--convert-to", "pdf", "--outdir", tmp, str(docx)],
                           capture_output=True, timeout=PDF_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(docx, str(exc)) from exc
        made = Path(tmp) / target.name
        if not made.exists():
            raise PdfError(docx, "no PDF written")
        with atomic_path(target) as out:
            shutil.copyfile(made, out)
    return target


def write_edition(ed: Edition, docx: Path, pdf: bool = True) -> Written:
    write_docx(ed, docx)
    return Written(docx, docx_to_pdf(docx) if pdf else None)


def quarter_edition(ws: Workspace, fy: int, q: int, plan: Plan | None = None,
                    figures: Figures | None = None) -> Edition:
    plan = plan or load_plan(ws, fy)
    figs = tuple(quarter_figures(ws, plan, fy, k, figures) for k in range(1, q + 1))
    return Edition(plan, fy, q, figs)


def annual_edition(ws: Workspace, fy: int, plan: Plan | None = None,
                   figures: Figures | None = None) -> Edition:
    plan = plan or load_plan(ws, fy)
    figs: tuple[QuarterFigures, ...] = tuple(quarter_figures(ws, plan, fy, k, figures)
                                             for k in (1, 2, 3, 4))
    return Edition(plan, fy, None, figs)


def write_quarter_document(ws: Workspace, fy: int, q: int, plan: Plan | None = None,
                           figures: Figures | None = None, pdf: bool = True) -> Written:
    """rollup-<FY>-Q<n>.docx (and .pdf) beside the quarter's workbook."""
    ed = quarter_edition(ws, fy, q, plan, figures)
    return write_edition(ed, rollup_path(ws, fy, q).with_suffix(".docx"), pdf)


def write_annual_document(ws: Workspace, fy: int, plan: Plan | None = None,
                          figures: Figures | None = None, pdf: bool = True) -> Written:
    """annual-<FY>.docx (and .pdf), the year-end report, beside the annual workbook."""
    ed = annual_edition(ws, fy, plan, figures)
    return write_edition(ed, annual_path(ws, fy).with_suffix(".docx"), pdf)
