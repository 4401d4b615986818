"""The quarter's narrative: ปัญหาอุปสรรค, ข้อเสนอแนะ, ผลงานเด่น grouped by strategy and
affiliation, each entry with its agency (the text as validated: plain and bounded)."""

from __future__ import annotations

from typing import Any

from schemas.choices import by_key

from ...consolidate import QuarterFigures
from ..layout import HEADER_ROW, Col, Formats, _fmt, _page, _put, _table, _titles

NONE_REPORTED = ("ไม่มีหน่วยงานรายงานปัญหา ข้อเสนอแนะ หรือผลงานเด่น / "
                 "no agency reported problems, suggestions or highlights")
COLS = [
    Col("สังกัด", "Affiliation", "_affiliation", "text", 16),
    Col("หน่วยงาน", "Agency", "agency_name", "wrap", 32),
    Col("ประเภท", "Kind", "_kind", "wrap", 24),
    Col("โครงการ", "Project", "project_code", "text", 11),
    Col("รายละเอียด", "Details", "text", "wrap", 80),
]
KIND_ORDER = {"obstacle": 0, "suggestion": 1, "highlight": 2}


def _narrative_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "ปัญหาอุปสรรค ข้อเสนอแนะ และผลงานเด่น (Problems, suggestions, highlights)",
            sub)
    kinds = {k: f"{c.th} ({c.en})" for k, c in by_key("narrative_kind").items()}
    affs = {k: c.th for k, c in by_key("affiliation").items()}
    nxt = _table(sh, fm, HEADER_ROW, COLS, [])
    entries = fig.narratives.to_dict("records") if len(fig.narratives) else []
    if not entries:
        sh.write_string(nxt, 0, NONE_REPORTED, fm.note)
        _page(sh, HEADER_ROW, len(COLS))
        return
    projects = fig.plan.projects
    for e in entries:  # an entry tied to a plan project sits under the project's strategy
        no = e["strategy_no"]
        if (no is None or no != no or str(no) == "<NA>") and e["project_code"] in projects:
            no = projects[e["project_code"]].strategy_no
        e["_no"] = int(no) if no is not None and str(no) != "<NA>" and no == no else 99
        e["_affiliation"] = affs.get(e["affiliation"], e["affiliation"])
        e["_kind"] = kinds.get(e["kind"], e["kind"])
    entries.sort(key=lambda e: (e["_no"], e["_affiliation"], e["agency_code"],
                                KIND_ORDER.get(e["kind"], 9)))
    fmts = [_fmt(fm, c.kind) for c in COLS]
    r, current = nxt, None
    strategies = fig.plan.strategies
    for e in entries:
        e = {k: (None if v == "" else v) for k, v in e.items()}  # blank, not ""
        if e["_no"] != current:
            current = e["_no"]
            s = strategies.get(current)
            label = (f"ยุทธศาสตร์ที่ {s.label} (strategy {current})" if s else
                     "ไม่ระบุยุทธศาสตร์ (not tied to a strategy)")
            sh.merge_range(r, 0, r, len(COLS) - 1, "", fm.group)
            sh.write_string(r, 0, label, fm.group)
            r += 1
        for c, col in enumerate(COLS):
            _put(sh, r, c, col.value(e), fmts[c])
        lines = max(1, -(-len(str(e["text"])) // 70))
        if lines > 1:
            sh.set_row(r, 22 * lines)
        r += 1
    _page(sh, HEADER_ROW, len(COLS))
