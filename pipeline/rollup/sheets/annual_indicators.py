"""The year-end report's indicators: each quarter's verdict and the year's."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...consolidate import (
    QuarterFigures,
    blank,
)
from ..layout import (
    HEADER_ROW,
    Formats,
    _fmt,
    _improved_text,
    _page,
    _put,
    _titles,
    _verdict_colours,
    header_height,
    headline_text,
    verdict_text,
)


def year_verdicts(figs: list[QuarterFigures]) -> pd.DataFrame:
    """The year's verdict per indicator: its figure at the latest quarter with accepted
    reports (Q4 when the year is complete; an annual result from the quarter it is
    reported in). This is the year-end evaluation (ประเมินผลตามตัวชี้วัดและค่าเป้าหมาย)."""
    latest = next((f for f in reversed(figs) if len(f.current)), figs[0])
    t = latest.indicators.copy()
    t["as_of_quarter"] = latest.quarter
    return t


def _annual_indicators(sh: Any, fm: Formats, figs: list[QuarterFigures], sub: str) -> None:
    _titles(sh, fm, "ตัวชี้วัด: ผลประจำปีเทียบค่าเป้าหมายจังหวัด (Indicators: the year's verdict)",
            sub)
    year = year_verdicts(figs)
    per_q = [("figure", "ผลจังหวัด", "Provincial", "number", 12),
             ("verdict", "ผลประเมิน", "Verdict", "wrap", 20)]
    fixed = [("code", "รหัส", "Code", "text", 8), ("name", "ตัวชี้วัด", "Indicator", "wrap", 40),
             ("kind_label", "ชนิด", "Kind", "wrap", 14),
             ("unit_label", "หน่วยนับ", "Unit", "wrap", 12),
             ("target", "เป้าหมายจังหวัด", "Provincial target", "number", 14),
             ("previous", "ค่าฐาน", "Baseline", "number", 12)]
    final = [("figure", "ผลประจำปี", "Year's result", "number", 12),
             ("verdict", "ผลประเมินประจำปี", "Year's verdict", "wrap", 20),
             ("reported", "ผู้รายงาน", "Reporters", "int", 9),
             ("expected", "ต้องรายงาน", "Expected", "int", 9),
             ("improved", "เทียบค่าฐาน", "Vs baseline", "wrap", 20)]
    sh.set_row(HEADER_ROW, header_height([(f"{th}\n{en}", width) for _, th, en, _, width
                                          in [*fixed, *per_q, *final]]))
    for c, (_, th, en, _, width) in enumerate(fixed):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
        sh.write_string(HEADER_ROW - 1, c, "", fm.header)
        sh.set_column(c, c, width)
    for qi, fig in enumerate(figs):
        c0 = len(fixed) + qi * len(per_q)
        sh.merge_range(HEADER_ROW - 1, c0, HEADER_ROW - 1, c0 + len(per_q) - 1,
                       f"ไตรมาส {fig.quarter} (Q{fig.quarter})", fm.header)
        for j, (_, th, en, _, width) in enumerate(per_q):
            sh.write_string(HEADER_ROW, c0 + j, f"{th}\n{en}", fm.header)
            sh.set_column(c0 + j, c0 + j, width)
    f0 = len(fixed) + len(figs) * len(per_q)
    as_of = int(year["as_of_quarter"].iloc[0]) if len(year) else 4
    sh.merge_range(HEADER_ROW - 1, f0, HEADER_ROW - 1, f0 + len(final) - 1,
                   f"ผลประจำปี ณ ไตรมาส {as_of} (the year, as of Q{as_of})", fm.header)
    for j, (_, th, en, _, width) in enumerate(final):
        sh.write_string(HEADER_ROW, f0 + j, f"{th}\n{en}", fm.header)
        sh.set_column(f0 + j, f0 + j, width)
    tables = [f.indicators.set_index("code") if len(f.indicators) else None for f in figs]
    r = HEADER_ROW + 1
    for rec in (year.to_dict("records") if len(year) else []):
        for c, (key, _, _, kind, _) in enumerate(fixed):
            _put(sh, r, c, None if blank(rec[key]) else rec[key], _fmt(fm, kind))
        for qi, t in enumerate(tables):
            row = t.loc[rec["code"]] if t is not None and len(figs[qi].current) else None
            for j, (key, _, _, kind, _) in enumerate(per_q):
                v = None if row is None else row[key]
                v = None if blank(v) else (verdict_text(v) if key == "verdict" else float(v))
                _put(sh, r, len(fixed) + qi * len(per_q) + j, v, _fmt(fm, kind))
        for j, (key, _, _, kind, _) in enumerate(final):
            v = rec[key]
            if key == "verdict":
                v = verdict_text(v)
            elif key == "improved":
                v = _improved_text(rec)
            elif blank(v):
                v = None
            elif kind == "int":
                v = int(v)
            else:
                v = float(v)
            _put(sh, r, f0 + j, v, _fmt(fm, kind))
        r += 1
    for qi in range(len(figs)):
        _verdict_colours(sh, fm, HEADER_ROW + 1, r - 1, len(fixed) + qi * len(per_q) + 1)
    _verdict_colours(sh, fm, HEADER_ROW + 1, r - 1, f0 + 1)
    sh.write_string(r + 1, 0, year_headline(figs), fm.big_text)
    _page(sh, HEADER_ROW, f0 + len(final), 2)


def year_headline(figs: list[QuarterFigures]) -> str:
    """'indicators achieved x of N due', for the year as of its latest reported quarter."""
    year = year_verdicts(figs)
    as_of = int(year["as_of_quarter"].iloc[0]) if len(year) else 4
    achieved = int((year["verdict"] == "achieved").sum()) if len(year) else 0
    due = int((year["verdict"] != "not_due").sum()) if len(year) else 0
    return headline_text(achieved, due).replace("this quarter", f"as of Q{as_of}")
