"""The committee report as a document (.docx, and .pdf through LibreOffice): one module per
section, each reading the same ``QuarterFigures`` the workbooks show."""
