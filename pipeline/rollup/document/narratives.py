"""Part 4, problems, obstacles and suggestions from the agencies' narratives, grouped by
kind and strategy and counted."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .edition import Edition
from .style import bullet, heading, para, table

HEADING = "ส่วนที่ 4 ปัญหา อุปสรรค และข้อเสนอแนะ (Problems and suggestions)"
KINDS = {
    "obstacle": ("ปัญหาและอุปสรรค", "obstacles"),
    "suggestion": ("ข้อเสนอแนะ", "suggestions"),
    "highlight": ("ผลงานเด่น", "highlights"),
}
NONE_REPORTED = "ไม่มีหน่วยงานรายงานปัญหา / no agency reported problems"
SHOWN = 15  # entries per strategy group; the workbook lists them all


def _group_name(ed: Edition, no: Any) -> str:
    if pd.isna(no):
        return "ไม่ระบุยุทธศาสตร์ (not tied to a strategy)"
    s = ed.plan.strategies.get(int(no))
    return f"ยุทธศาสตร์ที่ {s.label if s else int(no)}"


def write_narratives(doc: Any, ed: Edition) -> None:
    nar = ed.fig.narratives
    heading(doc, HEADING, 1)
    if not len(nar):
        para(doc, NONE_REPORTED)
        return
    rows = [[f"{th} ({en})", f"{int((nar['kind'] == k).sum()):,}",
             f"{nar.loc[nar['kind'] == k, 'agency_code'].nunique():,}"]
            for k, (th, en) in KINDS.items()]
    table(doc, ["ประเภท", "จำนวนเรื่อง", "หน่วยงานที่รายงาน"], rows, [7, 4, 4], "lrr")
    for i, (kind, (th, en)) in enumerate(KINDS.items(), start=1):
        mine = nar[nar["kind"] == kind]
        heading(doc, f"4.{i} {th} ({en}) {len(mine):,} เรื่อง", 2)
        if not len(mine):
            para(doc, f"ไม่มีหน่วยงานรายงาน{th} / none reported")
            continue
        keys = mine["strategy_no"].astype("Float64")
        for no in sorted(keys.dropna().unique().tolist()) + ([pd.NA] if keys.isna().any()
                                                               else []):
            group = mine[keys.isna()] if pd.isna(no) else mine[keys == no]
            heading(doc, f"{_group_name(ed, no)} ({len(group):,} เรื่อง)", 3)
            for r in group.head(SHOWN).to_dict("records"):
                bullet(doc, f"{r['text']} ({r['agency_name']})")
            if len(group) > SHOWN:
                para(doc, f"และอีก {len(group) - SHOWN} เรื่อง (and {len(group) - SHOWN} more)",
                     size=14)
