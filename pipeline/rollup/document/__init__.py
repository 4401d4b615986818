"""The committee report as a document (.docx, and .pdf through LibreOffice): one module per
section (cover and contents, summary, strategies, budget, narratives, appendix), each
reading the same ``QuarterFigures`` the workbooks show; ``style`` the look, ``charts`` the
images, ``build`` the assembly."""

from .build import (
    NO_PDF_HINT,
    PdfError,
    Written,
    annual_edition,
    build_document,
    docx_to_pdf,
    quarter_edition,
    write_annual_document,
    write_quarter_document,
)
from .edition import Edition

__all__ = ["NO_PDF_HINT", "PdfError", "Edition", "Written", "annual_edition", "build_document",
           "docx_to_pdf", "quarter_edition", "write_annual_document", "write_quarter_document"]
