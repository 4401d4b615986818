"""The quarter's summary sheet: headline figures, verdicts per strategy, charts."""

from __future__ import annotations

from typing import Any

from ...consolidate import (
    STATE_LABELS,
    QuarterFigures,
    baht_text,
)
from ..layout import (
    FONT,
    HEADER_HEIGHT,
    HEADER_ROW,
    LABEL_COL,
    SHEETS,
    Col,
    Formats,
    _flag,
    _fmt,
    _page,
    _put,
    _table,
    _titles,
    _traffic,
    headline_text,
    short_labels,
)

STRATEGY_VERDICT_COLS = [
    Col("ยุทธศาสตร์", "Strategy", "label", "wrap", 58),
    Col("ตัวชี้วัด", "Indicators", "indicators", "int", 20),
    Col("ถึงรอบรายงาน", "Due", "due", "int", 20),
    Col("บรรลุ", "Achieved", "achieved", "int", 20),
    Col("ไม่บรรลุ", "Not achieved", "not_achieved", "int", 12),
    Col("ข้อมูลไม่พอ", "Too few reporters", "insufficient", "int", 12),
    Col("ยังไม่ถึงรอบ", "Not due", "not_due", "int", 12),
]


def _indicator_headline(sh: Any, fm: Formats, fig: QuarterFigures, top: int) -> int:
    """The headline sentence and the small table of verdicts per strategy; returns the
    next free row."""
    achieved, due = fig.indicators_achieved
    sh.set_row(top, 30)
    sh.merge_range(top, 0, top, 3, "", fm.big_text)
    sh.write_string(top, 0, headline_text(achieved, due), fm.big_text)
    recs = fig.indicators_by_strategy()
    total = {"label": "รวม (Total)", **{k: sum(r[k] for r in recs) for k in
                                        ("indicators", "due", "achieved", "not_achieved",
                                         "insufficient", "not_due")}}
    end = _table(sh, fm, top + 1, STRATEGY_VERDICT_COLS, recs, total, set_widths=False)
    for c in (4, 5, 6):
        sh.set_column(c, c, 12)
    return end


def _previous_year_row(fig: QuarterFigures) -> list[tuple[str, Any, str, Any, Any]]:
    """This year's disbursement rate beside the previous fiscal year's (the same quarter,
    or its last quarter in the ledger)."""
    py = fig.previous_year
    if not py:
        return []
    label = (f"อัตราเบิกจ่ายปีงบประมาณ {py['fiscal_year']} ไตรมาส {py['quarter']} / "
             f"Rate, FY {py['fiscal_year']} Q{py['quarter']}")
    rate = py["rate"] if py["rate"] == py["rate"] else None
    return [(label, rate, "rate", None,
             "ปีก่อน (previous year)" + ("" if py["quarter"] == fig.quarter else
                                         ", 12 เดือน (12 months)"))]


def _coverage_rows(fig: QuarterFigures) -> list[tuple[str, Any, str, Any, Any]]:
    """What the figures cover: agencies counted, planned budget covered, budget passed on."""
    c = fig.coverage
    if not c:
        return []
    rows: list[tuple[str, Any, str, Any, Any]] = [
        ("หน่วยงานที่นับในตัวเลข / Agencies counted in the figures", c["agencies_counted"],
         "int", None, f"จาก {c['agencies_expected']} หน่วยงาน (of {c['agencies_expected']})")]
    if c.get("planned_total"):
        total = c["planned_total"]
        rows.append(("งบตามแผนของหน่วยงานที่นับ (บาท) / Planned budget covered (baht)",
                     c["planned_covered"], "money", None,
                     f"จาก {baht_text(total)} บาท (of {baht_text(total)})"))
    if c.get("passed_on"):
        rows.append(("โอนจัดสรรให้หน่วยงานที่รายงานเอง ไม่นับซ้ำ (บาท) / Passed on, not "
                     "counted twice (baht)", c["passed_on"], "money", None, None))
    if c.get("revisions"):
        rows.append(("โครงการที่ปรับแผนกลางปี / Projects revised mid-year",
                     len(c["revisions"]), "int", None, None))
    return rows


def _summary_sheet(wb: Any, sh: Any, fm: Formats, fig: QuarterFigures, sub: str,
                   strat_rows: tuple[int, int], comp_rows: tuple[int, int]) -> None:
    _titles(sh, fm, "สรุปผลการดำเนินงานและการใช้จ่ายงบประมาณ (Summary)", sub)
    sh.set_column(0, 0, 58)
    sh.set_column(1, 3, 20)
    t = fig.budget_total
    ct = fig.completeness_total
    hdr = [("ตัวเลขสำคัญ", "Headline figure"), ("ผล", "Result"), ("เป้าหมาย", "Target"),
           ("สถานะ", "Status")]
    sh.set_row(HEADER_ROW, HEADER_HEIGHT)
    for c, (th, en) in enumerate(hdr):
        sh.write_string(HEADER_ROW, c, f"{th}\n{en}", fm.header)
    achieved, due = fig.indicators_achieved
    rows: list[tuple[str, Any, str, Any, Any]] = [
        ("งบประมาณที่ได้รับจัดสรร (บาท) / Allocated (baht)", t["allocated"], "money", None, None),
        ("ก่อหนี้ผูกพัน (บาท) / Committed (baht)", t["committed"], "money", None, None),
        ("เบิกจ่ายสะสม (บาท) / Disbursed (baht)", t["disbursed"], "money", None, None),
        ("ใช้จ่าย ก่อหนี้+เบิกจ่าย (บาท) / Spent (baht)", t["spent"], "money", None, None),
        ("อัตราเบิกจ่ายสะสม / Disbursement rate", t["disbursement_rate"], "rate",
         t["target"], t["behind"]),
        *_previous_year_row(fig),
        ("อัตราใช้จ่าย / Spent rate", t["spent_rate"], "rate", None, None),
        ("อัตราเบิกจ่าย รายจ่ายประจำ / Current spending rate", t["rate_current"], "rate",
         t["target_current"], t["behind_current"]),
        ("อัตราเบิกจ่าย รายจ่ายลงทุน / Capital spending rate", t["rate_capital"], "rate",
         t["target_capital"], t["behind_capital"]),
        ("ตัวชี้วัดที่บรรลุเป้าหมาย / Indicators achieved", achieved, "int", None,
         f"จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน (of {due} due)"),
        ("หน่วยงานที่ต้องส่งรายงาน / Agencies expected", ct["expected"], "int", None, None),
        ("ส่งแล้ว / Submitted", ct["submitted"], "int", None, None),
        ("ความครบถ้วน / Completeness", ct["submitted_rate"], "rate", None, None),
        ("ส่งตรงเวลา / On time", ct["on_time"], "int", None, None),
        ("ส่งล่าช้า / Late", ct["late"], "int", None, None),
        ("ถูกส่งคืน ยังไม่แก้ไข / Rejected, not yet fixed", ct["rejected"], "int", None, None),
        ("ยังไม่ส่ง / Missing", ct["missing"], "int", None, None),
        *_coverage_rows(fig),
    ]
    r = HEADER_ROW + 1
    for label, value, kind, target, behind in rows:
        sh.write_string(r, 0, label, fm.label)
        v = value / 100 if (kind == "money" and value is not None) else value
        _put(sh, r, 1, v, _fmt(fm, kind))
        _put(sh, r, 2, target, fm.rate)
        _put(sh, r, 3, behind if isinstance(behind, str) else _flag(behind), fm.text)
        r += 1
    _traffic(sh, fm, HEADER_ROW + 1, r - 1, 1, 2)
    r = _indicator_headline(sh, fm, fig, r + 1)
    _page(sh, HEADER_ROW, 4)
    sh.fit_to_pages(1, 1)
    # charts: disbursement by strategy against the target; completeness by affiliation
    s_first, s_last = strat_rows
    s_name = SHEETS["strategies"]
    rate_c = 1 + 4
    # short category labels ('ยุทธศาสตร์ที่ 1') from a hidden column: full names were cut
    # on the axis; value labels at the base of each column, clear of the target line
    l_first, l_last = short_labels(sh, s_first, fig.budget["strategy"]["key"].tolist())
    labels = [SHEETS["summary"], l_first, LABEL_COL, l_last, LABEL_COL]
    chart = wb.add_chart({"type": "column"})
    chart.show_hidden_data()
    chart.add_series({
        "name": "อัตราเบิกจ่าย (Disbursement rate)",
        "categories": labels,
        "values": [s_name, s_first, rate_c, s_last, rate_c],
        "fill": {"color": "#4472C4"},
        "data_labels": {"value": True, "num_format": "0.0%", "position": "inside_base",
                        "font": {"name": FONT, "color": "#FFFFFF", "bold": True}},
    })
    line = wb.add_chart({"type": "line"})
    line.add_series({
        "name": "เป้าหมายสะสม (Cumulative target)",
        "categories": labels,
        "values": [s_name, s_first, rate_c + 1, s_last, rate_c + 1],
        "line": {"color": "#C00000", "width": 2.25},
        "marker": {"type": "diamond", "size": 7, "fill": {"color": "#C00000"}},
    })
    chart.combine(line)
    chart.set_title({"name": "อัตราเบิกจ่ายรายยุทธศาสตร์เทียบเป้าหมาย (Disbursement by strategy)",
                     "name_font": {"name": FONT, "size": 14}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "num_font": {"name": FONT},
                      "major_gridlines": {"visible": True, "line": {"color": "#DDDDDD"}}})
    chart.set_x_axis({"num_font": {"name": FONT, "size": 10}})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": 900, "height": 420})
    sh.insert_chart(r + 1, 0, chart)
    c_first, c_last = comp_rows
    c_name = SHEETS["completeness"]
    bar = wb.add_chart({"type": "bar", "subtype": "stacked"})
    colors = {"on_time": "#70AD47", "late": "#FFC000", "rejected": "#C00000",
              "missing": "#A5A5A5"}
    for i, state in enumerate(("on_time", "late", "rejected", "missing")):
        th, en = STATE_LABELS[state]
        bar.add_series({
            "name": f"{th} ({en})",
            "categories": [c_name, c_first, 1, c_last, 1],
            "values": [c_name, c_first, 4 + i, c_last, 4 + i],
            "fill": {"color": colors[state]},
        })
    bar.set_title({"name": "การส่งรายงานรายสังกัด (Completeness by affiliation)",
                   "name_font": {"name": FONT, "size": 14}})
    bar.set_legend({"position": "bottom", "font": {"name": FONT}})
    n_aff = max(1, c_last - c_first + 1)
    bar.set_x_axis({"num_font": {"name": FONT}, "num_format": "0", "min": 0,
                    **({"major_unit": 1} if fig.completeness_total["expected"] <= 12 else {})})
    bar.set_y_axis({"num_font": {"name": FONT, "size": 10}, "reverse": True, "interval_unit": 1})
    bar.set_size({"width": 900, "height": max(300, 120 + 48 * n_aff)})
    sh.insert_chart(r + 23, 0, bar)
