"""The year-end report's completeness by quarter and by affiliation."""

from __future__ import annotations

from typing import Any

from ... import calendar as fcal
from ...consolidate import (
    QuarterFigures,
)
from ..layout import HEADER_ROW, Col, Formats, _page, _table, _titles
from .completeness import COMPLETENESS_COLS


def _annual_completeness(sh: Any, fm: Formats, figs: list[QuarterFigures], sub: str) -> None:
    _titles(sh, fm, "ความครบถ้วนของการส่งรายงาน รายไตรมาส (Completeness by quarter)", sub)
    recs = []
    for fig in figs:
        t = dict(fig.completeness_total)
        t["key"] = f"Q{fig.quarter}"
        t["label"] = (f"ไตรมาส {fig.quarter} (กำหนดส่ง "
                      f"{fcal.format_thai_date(fig.plan.due_date(fig.quarter))})")
        if _not_yet(fig):  # a quarter not open and without reports: nothing to count yet
            t = {"key": t["key"], "label": t["label"] + " ยังไม่เปิดรับ (not open)",
                 "expected": t["expected"]}
        recs.append(t)
    nxt = _table(sh, fm, HEADER_ROW, COMPLETENESS_COLS, recs)
    top = nxt + 2
    sh.write_string(top, 0, "ความครบถ้วนรายสังกัด (submitted rate by affiliation)", fm.label)
    cols = [Col("รหัส", "Key", "key"), Col("สังกัด", "Affiliation", "label", "wrap")] + [
        Col(f"ไตรมาส {f.quarter}", f"Q{f.quarter}", f"q{f.quarter}", "rate") for f in figs]
    rows: dict[str, dict[str, Any]] = {}
    for fig in figs:
        for rec in fig.completeness_by["affiliation"].to_dict("records"):
            d = rows.setdefault(rec["key"], {"key": rec["key"], "label": rec["label"]})
            d[f"q{fig.quarter}"] = None if _not_yet(fig) else rec["submitted_rate"]
    _table(sh, fm, top + 1, cols, [rows[k] for k in sorted(rows)], set_widths=False)
    _page(sh, HEADER_ROW, len(COMPLETENESS_COLS), 2)


def _not_yet(fig: QuarterFigures) -> bool:
    return not len(fig.current) and fig.quarter not in fig.plan.open_quarters
