"""Each agency's own indicator results (a CSV beside the workbook when very many)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...consolidate import (
    QuarterFigures,
    blank,
)
from ..layout import HEADER_ROW, Col, Formats, _page, _table, _titles, print_heading_only
from ..longdata import write_csv_columns

AGENCY_RESULTS_LIMIT = 50_000  # per-agency indicator rows listed on the indicators sheet


AGENCY_RESULT_COLS = [
    Col("รหัส", "Code", "indicator_code", "text", 8),
    Col("รหัสหน่วยงาน", "Agency code", "agency_code", "text", 13),
    Col("หน่วยงาน", "Agency", "agency_name", "wrap", 40),
    Col("ตัวตั้ง", "Numerator", "numerator", "number", 11),
    Col("ตัวหาร", "Denominator", "denominator", "number", 11),
    Col("น้ำหนัก", "Weight", "weight", "number", 10),
    Col("มี/ไม่มี", "Yes / no", "answer", "text", 9),
    Col("ผลของหน่วยงาน", "Agency's result", "value", "number", 12),
    Col("เป้าหมายหน่วยงาน", "Agency target", "agency_target", "number", 12),
    Col("บรรลุเป้าหน่วยงาน", "Met agency target", "met", "text", 12),
    Col("หลักฐาน/หมายเหตุ", "Evidence / remarks", "evidence", "wrap", 30),
]


def _agency_results_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str,
                          target: Path | None = None) -> None:
    """Each agency's own results, beside the provincial figures, with the agency target
    where the plan has one; a CSV beside the workbook when there are very many rows."""
    _titles(sh, fm, "ผลตัวชี้วัดรายหน่วยงาน (Each agency's own indicator results)", sub)
    results = agency_results(fig)
    n_results = len(results["indicator_code"])
    cols = AGENCY_RESULT_COLS
    if target is not None and n_results > AGENCY_RESULTS_LIMIT:
        path = target.with_suffix(".indicators.csv")
        # 420,000 rows at 30,000 agencies, streamed; blanks written as empty fields
        write_csv_columns(path, [f"{c.th} ({c.en})" for c in cols],
                          [results[c.key] for c in cols])  # type: ignore[index]
        sh.write_string(HEADER_ROW, 0, (
            f"{n_results:,} แถว บันทึกเป็นไฟล์ {path.name} ข้างไฟล์นี้ / {n_results:,} rows: "
            f"written beside this workbook as {path.name}"), fm.text)
        return
    keys = [c.key for c in cols]
    recs = [dict(zip(keys, row, strict=True))
            for row in zip(*(results[k] for k in keys), strict=True)]  # type: ignore[index]
    end = _table(sh, fm, HEADER_ROW, cols, recs)
    if recs:
        sh.autofilter(HEADER_ROW, 0, end - 1, len(cols) - 1)
    _page(sh, HEADER_ROW, len(cols), 3)
    print_heading_only(sh, fm, HEADER_ROW, len(cols))


def agency_results(fig: QuarterFigures) -> dict[str, list[Any]]:
    """Each agency's own results (fig.agency_indicators) by indicator then agency, as
    column lists (numbers as floats or None; met as a Thai/English label or None)."""
    res = fig.agency_indicators
    keys = [c.key for c in AGENCY_RESULT_COLS]
    if not len(res):
        return {k: [] for k in keys}  # type: ignore[misc]
    met_label = {True: "บรรลุ (met)", False: "ไม่บรรลุ (not met)"}
    out: dict[str, list[Any]] = {}
    for k in keys:
        values = [None if blank(v) else v for v in res[k].tolist()]  # type: ignore[index]
        if k == "met":
            values = [None if v is None else met_label[bool(v)] for v in values]
        elif k in ("numerator", "denominator", "weight", "value", "agency_target"):
            values = [None if v is None else float(v) for v in values]
        out[k] = values  # type: ignore[index]
    return out
