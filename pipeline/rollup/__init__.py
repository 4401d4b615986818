"""The roll-up workbooks an analyst opens: one per quarter, and the year-end report.

Written with xlsxwriter (native charts, tables, conditional formats) with every
string-conversion option off, so nothing a sender typed can become a formula, a link
or a number. The bytes depend only on the ledger and the plan: the document's
'created' time is the as-of time (the latest accepted submission), xlsxwriter's zip
entries carry a fixed date, and the file goes through atomic_path, so an unchanged
night leaves the file (and its mtime) as it was.

Layout (imports run downwards only): ``layout`` (formats, columns, page setup, names) and
``figures`` (paths, the shared ``QuarterFigures``) and ``longdata`` (the long data and its
CSVs); ``sheets/`` one module per sheet; ``quarter`` and ``annual`` assemble the
workbooks; ``document/`` the committee report's sections (.docx / .pdf).
"""

from .annual import write_annual_report, write_annual_workbook
from .figures import Figures, annual_path, quarter_figures, rollup_path
from .layout import ANNUAL_SHEETS, SHEETS, be_datetime, be_received
from .longdata import DATA_ROW_LIMIT, csv_field_bytes, long_budget_data, write_csv_columns
from .quarter import write_quarter_rollup, write_rollup_workbook

__all__ = [
    "ANNUAL_SHEETS", "DATA_ROW_LIMIT", "SHEETS", "Figures", "annual_path", "be_datetime",
    "be_received", "csv_field_bytes", "long_budget_data", "quarter_figures", "rollup_path",
    "write_annual_report", "write_annual_workbook", "write_csv_columns",
    "write_quarter_rollup", "write_rollup_workbook",
]
