"""The year-end report's budget by strategy, Q1-Q4 side by side, with its chart."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    QuarterFigures,
    blank,
    total_row,
)
from ...plan import Plan
from ..layout import (
    ANNUAL_SHEETS,
    FONT,
    HEADER_ROW,
    LABEL_COL,
    Formats,
    _fmt,
    _page,
    _put,
    _titles,
    _traffic,
    header_height,
    short_labels,
)


def _coverage_rows(sh: Any, fm: Formats, figs: list[QuarterFigures], top: int,
                   width: int) -> None:
    """Under the table, per quarter: what its figures cover (agencies counted, the plan's
    planned baht of those agencies), the revisions in effect and the budget passed on, so
    a change of the allocation between quarters reads as coverage or revision."""
    rows = [("หน่วยงานที่นับ (agencies counted)", "agencies", "text"),
            ("งบตามแผนของหน่วยงานที่นับ (planned baht covered)", "planned_covered", "money"),
            ("ปรับแผนกลางปี: ยอดเปลี่ยน (mid-year revisions, change)", "revised", "money"),
            ("โอนจัดสรรให้หน่วยงานที่รายงานเอง ไม่นับซ้ำ (passed on, not counted twice)",
             "passed_on", "money")]
    sh.write_string(top, 0, "ตัวเลขครอบคลุม (what the figures cover)", fm.label)
    for i, (label, key, kind) in enumerate(rows, start=1):
        sh.write_string(top + i, 0, label, fm.wrap)
        for qi, fig in enumerate(figs):
            c = fig.coverage or {}
            if not c or not len(fig.current):
                value = None
            elif key == "agencies":
                value = f"{c['agencies_counted']} / {c['agencies_expected']}"
            elif key == "revised":
                value = sum(r["allocated_after"] - r["allocated_before"]
                            for r in c["revisions"]) / 100
            else:
                value = c[key] / 100
            _put(sh, top + i, 1 + qi * width, value, _fmt(fm, kind))
    sh.write_string(top + len(rows) + 1, 0,
                    "ยอดจัดสรรที่ต่างกันระหว่างไตรมาสมาจากจำนวนหน่วยงานที่นับและการปรับแผนกลางปี "
                    "(a change of the allocation between quarters comes from coverage and "
                    "revisions)", fm.note)


def _annual_strategies(wb: Any, sh: Any, fm: Formats, plan: Plan, figs: list[QuarterFigures],
                       sub: str) -> None:
    _titles(sh, fm, "งบประมาณรายยุทธศาสตร์ ไตรมาส 1-4 (Budget by strategy, Q1-Q4)", sub)
    per_q = [("allocated", "จัดสรร", "Allocated", "money", 15),
             ("disbursed", "เบิกจ่าย", "Disbursed", "money", 15),
             ("disbursement_rate", "อัตราเบิกจ่าย", "Rate", "rate", 10),
             ("target", "เป้าหมาย", "Target", "rate", 10)]
    sh.set_column(0, 0, 44)
    sh.set_row(HEADER_ROW - 1, 24)
    sh.set_row(HEADER_ROW, header_height([(f"{th}\n{en}", width)
                                          for _, th, en, _, width in per_q]))
    sh.write_string(HEADER_ROW, 0, "ยุทธศาสตร์\nStrategy", fm.header)
    sh.write_string(HEADER_ROW - 1, 0, "", fm.header)
    for qi, fig in enumerate(figs):
        c0 = 1 + qi * len(per_q)
        sh.merge_range(HEADER_ROW - 1, c0, HEADER_ROW - 1, c0 + len(per_q) - 1,
                       f"ไตรมาส {fig.quarter} (Q{fig.quarter}, {3 * fig.quarter} เดือน/months)",
                       fm.header)
        for j, (_, th, en, _, width) in enumerate(per_q):
            sh.write_string(HEADER_ROW, c0 + j, f"{th}\n{en}", fm.header)
            sh.set_column(c0 + j, c0 + j, width)
    tables = [f.budget["strategy"].set_index("key") for f in figs]
    keys = list(tables[0].index)
    r = HEADER_ROW + 1
    for k in [*keys, None]:
        is_total = k is None
        sh.write_string(r, 0, "รวม (Total)" if is_total else str(tables[0].loc[k, "label"]),
                        fm.total_text if is_total else fm.wrap)
        for qi, (fig, t) in enumerate(zip(figs, tables, strict=True)):
            rec = total_row(fig.budget["strategy"], fig.targets) if is_total else t.loc[k]
            empty = not len(fig.current)  # no report yet: blank, not zero
            for j, (key, _, _, kind, _) in enumerate(per_q):
                v = rec[key]
                v = None if blank(v) or (empty and kind == "money") else v
                if kind == "money" and v is not None:
                    v = int(v) / 100
                _put(sh, r, 1 + qi * len(per_q) + j, v, _fmt(fm, kind, is_total))
        r += 1
    for qi in range(len(figs)):
        c = 1 + qi * len(per_q) + 2
        _traffic(sh, fm, HEADER_ROW + 1, r - 1, c, c + 1)
    _coverage_rows(sh, fm, figs, r + 1, len(per_q))
    _page(sh, HEADER_ROW, 1 + 4 * len(per_q), 1)
    # a chart: disbursement rate per quarter, one series per quarter
    chart = wb.add_chart({"type": "column"})
    chart.show_hidden_data()
    name = ANNUAL_SHEETS["strategies"]
    l_first, l_last = short_labels(sh, HEADER_ROW + 1, keys)  # full names were cut on the axis
    for qi, fig in enumerate(figs):
        c = 1 + qi * len(per_q) + 2
        chart.add_series({"name": f"Q{fig.quarter}",
                          "categories": [name, l_first, LABEL_COL, l_last, LABEL_COL],
                          "values": [name, HEADER_ROW + 1, c, r - 2, c]})
    chart.set_title({"name": "อัตราเบิกจ่ายสะสมรายยุทธศาสตร์ (Cumulative disbursement rate)",
                     "name_font": {"name": FONT, "size": 14}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "num_font": {"name": FONT}})
    chart.set_x_axis({"num_font": {"name": FONT, "size": 10}})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": 900, "height": 400})
    sh.insert_chart(r + 2, 0, chart)
