"""The records that travel between the steps: problems, raw cells, reports.

Kept in one small module so each step can be read, tested and replaced on its own:
read.py makes RawWorkbook, normalise.py turns its RawSheets into typed frames,
validate.py makes a FileReport, the ledger stores it, consolidation reads the ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # annotations only: an idle nightly run never imports pandas (~1 s)
    import pandas as pd

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or odd) in a file, pointing at where the sender can see it."""

    code: str  # stable, from the catalog: "budget.disbursed-over-allocated"
    severity: Severity
    file: str  # the file name as the sender named it
    sheet: str | None = None  # sheet name as in the file
    cell: str | None = None  # "F12"; "12:12" for a whole row; None for the whole file/sheet
    column: str | None = None  # column label as the sender sees it
    value: str | None = None  # the value seen, as text
    message_th: str = ""
    message_en: str = ""
    fix_th: str = ""
    fix_en: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def where(self) -> str:
        """'งบประมาณ (Budget)!F12' or the sheet alone, or '' for the file."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """Drop repeats of one rule at one cell with one value (two checks may see the same fault)."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        key = (p.code, p.sheet, p.cell, p.value)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


@dataclass
class RawCell:
    """A cell as read, before any cleaning: the value, where it is, and its formula if any."""

    value: Any  # str, int, float, bool, date, datetime, time, timedelta or None
    ref: str  # A1 reference in its sheet
    formula: str | None = None  # "=SUM(F5:F9)" when the file keeps formulas we can see
    has_cached_value: bool = True  # False: a formula saved without its result


@dataclass
class RawSheet:
    """One sheet of a SheetSpec as found in a file, with every value's position kept."""

    spec_key: str  # "cover", "budget", "indicators", or a plan sheet key
    sheet: str  # the sheet's name in the file
    header_row: int | None  # 1-based row where the header was found (tables)
    column_refs: dict[str, str]  # field -> column letter as found ("F")
    column_labels: dict[str, str]  # field -> header text as the sender sees it
    rows: list[tuple[int, dict[str, RawCell]]]  # (1-based row, field -> cell); blank rows dropped
    missing_columns: list[str] = field(default_factory=list)  # fields whose header was not found
    extra_columns: list[str] = field(default_factory=list)  # headers we did not expect (ignored)


@dataclass
class RawWorkbook:
    """What read.py gives: the sheets we need, the stamp, and read-level problems."""

    path: Path
    display_name: str  # the name the sender gave the file
    sha256: str
    format: str  # "xlsx", "xlsm", "xlsb", "xls", "ods"
    stamp: dict[str, str] | None  # template stamp, None when not found
    sheets: dict[str, RawSheet]  # by spec key; a missing sheet is absent here + a problem
    problems: list[Problem] = field(default_factory=list)
    has_macros: bool = False


@dataclass
class SheetFrame:
    """A sheet after normalising: one typed column per schema field plus ``_row``.

    Money columns are nullable Int64 satang, percent/number are float, dates are
    ``datetime.date`` objects, choices hold their stable key. ``refs`` lets any later
    step turn (field, row) back into the A1 cell the sender sees.
    """

    spec_key: str
    sheet: str
    frame: pd.DataFrame
    refs: dict[str, str]  # field -> column letter
    labels: dict[str, str]  # field -> column label as the sender sees it
    raw_text: dict[tuple[str, int], str] = field(default_factory=dict)  # (field,row) -> text seen
    # cells the normaliser could not parse (already reported): validators skip them
    unparsed: set[tuple[str, int]] = field(default_factory=set)
    # forms (cover, plan settings): field -> full A1 cell, since each field has its own row
    field_cells: dict[str, str] = field(default_factory=dict)
    # the same columns as plain lists (field -> values, "_row" -> rows; None for a blank),
    # when the normaliser kept them: validation reads these instead of the frame
    values: dict[str, list[Any]] | None = None

    def cell(self, field_name: str, row: int) -> str:
        if field_name in self.field_cells:
            return self.field_cells[field_name]
        return f"{self.refs.get(field_name, '?')}{row}"


@dataclass
class FileReport:
    """Everything validation learned about one file: identity, problems and clean data."""

    path: Path
    display_name: str
    sha256: str
    format: str = ""
    agency_code: str | None = None
    fiscal_year: int | None = None
    quarter: int | None = None
    template_version: str | None = None
    plan_fingerprint: str | None = None  # from the stamp
    stamp_found: bool = False
    cover: dict[str, Any] = field(default_factory=dict)
    budget: pd.DataFrame | None = None  # Budget fields + _row, clean (only when no errors)
    indicators: pd.DataFrame | None = None  # IndicatorResults fields + _row
    narrative: pd.DataFrame | None = None  # Narrative fields + _row (kind key, strategy no)
    problems: list[Problem] = field(default_factory=list)
    # instead of the two frames (validate_workbooks(frames=False), the worker processes):
    # the clean budget and indicators as plain column lists, for ledger.data_rows_from_lists
    clean_lists: dict[str, dict[str, list[Any]]] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class FeedbackOwed:
    """A feedback workbook the run owes a sender (the ledger's ``feedback_owed`` row): all
    :func:`feedback.write_owed` needs to make it from the archived original, so it can be
    made after the ledger, in another process, or by the next run after a crash."""

    submission_id: int  # 0 until the ledger has recorded the submission
    target: str  # outbox-relative path of the workbook
    source: str  # the archived original, relative to the workspace
    display_name: str  # the file name as the sender gave it
    format: str  # the workbook's format from its bytes: xlsx, xlsm, xls, ods, xlsb
    problems: list[Problem]  # what the workbook annotates, in order

    def problems_json(self) -> str:
        import json

        return json.dumps([p.to_dict() for p in self.problems], ensure_ascii=False)

    @staticmethod
    def problems_from_json(text: str) -> list[Problem]:
        import json

        return [Problem(**d) for d in json.loads(text)]
