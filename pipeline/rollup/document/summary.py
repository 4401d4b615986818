"""Part 1, the executive summary: the headline figures and the three matters that most
need the committee's attention, each stated from the figures."""

from __future__ import annotations

from typing import Any

from ...consolidate import QuarterFigures, blank
from .edition import Edition
from .style import baht, count, heading, number, para, percent, table

HEADING = "ส่วนที่ 1 บทสรุปสำหรับผู้บริหาร (Executive summary)"
ATTENTION_HEADING = "เรื่องที่ควรนำเสนอคณะกรรมการพิจารณา (Matters for the committee)"


def _points(rate: Any, target: Any) -> float | None:
    """How far a rate is behind its target, in percentage points (as shown: 2 decimals)."""
    if blank(rate) or blank(target):
        return None
    return round(float(target) * 100, 2) - round(float(rate) * 100, 2)


def attention_items(fig: QuarterFigures, limit: int = 3) -> list[str]:
    """The matters furthest from where the plan wants them, worst first: overall and
    capital disbursement behind target, the strategy furthest behind, indicators not
    achieved, agencies that have not reported, projects not started, the strategy with
    the most reported obstacles. Each scored in percentage points (or percent of its
    whole) and stated with its figures."""
    out: list[tuple[float, str]] = []
    t = fig.budget_total
    gap = _points(t["disbursement_rate"], t["target"])
    if gap is not None and gap > 0:
        out.append((gap, f"อัตราเบิกจ่ายสะสมของจังหวัด {percent(t['disbursement_rate'])} ต่ำกว่า"
                         f"เป้าหมายสะสม {percent(t['target'])} อยู่ {gap:.2f} จุด "
                         f"(เบิกจ่าย {baht(t['disbursed'])} จาก {baht(t['allocated'])} บาท)"))
    gap = _points(t["rate_capital"], t["target_capital"])
    if gap is not None and gap > 0:
        out.append((gap, f"รายจ่ายลงทุนเบิกจ่าย {percent(t['rate_capital'])} ต่ำกว่าเป้าหมาย "
                         f"{percent(t['target_capital'])} อยู่ {gap:.2f} จุด"))
    worst: tuple[float, dict[str, Any]] | None = None
    for rec in fig.budget["strategy"].to_dict("records"):
        g = _points(rec.get("disbursement_rate"), rec.get("target"))
        if g is not None and g > 0 and (worst is None or g > worst[0]):
            worst = (g, rec)
    if worst is not None:
        g, rec = worst
        out.append((g * 0.9, f"ยุทธศาสตร์ {rec['label']} เบิกจ่ายต่ำกว่าเป้าหมายมากที่สุด: "
                             f"{percent(rec['disbursement_rate'])} เทียบกับเป้าหมาย "
                             f"{percent(rec['target'])} ({g:.2f} จุด)"))
    achieved, due = fig.indicators_achieved
    if due and achieved < due:
        ind = fig.indicators
        missed = ind[ind["verdict"].isin(["not_achieved", "insufficient"])]
        names = "; ".join(f"{r['code']} {r['name']} (ผล {number(r['figure'])} เป้าหมาย "
                          f"{number(r['target'])})" for r in missed.head(3).to_dict("records"))
        more = f" และอีก {len(missed) - 3} ตัวชี้วัด" if len(missed) > 3 else ""
        out.append((100 * (due - achieved) / due,
                    f"ตัวชี้วัดยังไม่บรรลุเป้าหมาย {due - achieved} จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน "
                    f"ได้แก่ {names}{more}"))
    ct = fig.completeness_total
    behind = int(ct["missing"]) + int(ct["rejected"])
    if ct["expected"] and behind:
        out.append((100 * behind / ct["expected"],
                    f"หน่วยงานยังไม่ส่งรายงาน {ct['missing']} แห่ง และถูกส่งคืนยังไม่แก้ไข "
                    f"{ct['rejected']} แห่ง จาก {ct['expected']} แห่ง (ความครบถ้วน "
                    f"{percent(ct['submitted_rate'])}) รายชื่ออยู่ในภาคผนวก"))
    pc = fig.project_counts
    if pc.get("total") and pc.get("not_started"):
        out.append((100 * pc["not_started"] / pc["total"],
                    f"โครงการยังไม่ได้เริ่มดำเนินการ {pc['not_started']} จาก {pc['total']} โครงการ"))
    nar = fig.narratives
    obstacles = nar[nar["kind"] == "obstacle"] if len(nar) else nar
    if len(obstacles):
        by = obstacles["strategy_no"].dropna().value_counts()
        where = ""
        if len(by):
            no = int(by.index[0])
            s = fig.plan.strategies.get(no)
            where = f" มากที่สุดในยุทธศาสตร์ {s.label if s else no} ({int(by.iloc[0])} เรื่อง)"
        out.append((min(30.0, 2.0 * len(obstacles)),
                    f"หน่วยงานรายงานปัญหาอุปสรรค {len(obstacles)} เรื่อง{where} (ส่วนที่ 4)"))
    out.sort(key=lambda x: -x[0])
    return [text for _, text in out[:limit]]


def key_figures(fig: QuarterFigures) -> list[list[str]]:
    t = fig.budget_total
    achieved, due = fig.indicators_achieved
    ct = fig.completeness_total
    pc = fig.project_counts
    rows = [
        ["งบประมาณที่ได้รับจัดสรร (บาท)", baht(t["allocated"]), ""],
        ["ก่อหนี้ผูกพัน (บาท)", baht(t["committed"]), ""],
        ["เบิกจ่ายสะสม (บาท)", baht(t["disbursed"]), ""],
        ["อัตราเบิกจ่ายสะสม", percent(t["disbursement_rate"]),
         f"เป้าหมาย {percent(t['target'])}"],
        ["ตัวชี้วัดที่บรรลุเป้าหมาย", f"{achieved} จาก {due}", "ตัวชี้วัดที่ถึงรอบรายงาน"],
        ["โครงการที่ดำเนินการแล้วเสร็จ",
         f"{pc.get('done', 0)} จาก {pc.get('total', 0)}" if pc.get("total") else "-",
         "" if pc.get("total") else "แผนนี้ไม่มีทะเบียนโครงการ"],
        ["หน่วยงานที่ส่งรายงาน", f"{count(ct['submitted'])} จาก {count(ct['expected'])}",
         f"ความครบถ้วน {percent(ct['submitted_rate'])}"],
    ]
    return rows


def write_summary(doc: Any, ed: Edition) -> None:
    fig = ed.fig
    heading(doc, HEADING, 1)
    t = fig.budget_total
    achieved, due = fig.indicators_achieved
    state = ("ต่ำกว่าเป้าหมาย" if t.get("behind") else "เป็นไปตามเป้าหมาย"
             if t.get("behind") is False else "ยังไม่มีเป้าหมายให้เทียบ")
    para(doc, (f"{ed.office} สรุปผลการดำเนินงานตามแผนพัฒนาการศึกษาจังหวัด ระยะเวลา "
               f"{ed.period_text} จากรายงานของหน่วยงาน {fig.completeness_total['submitted']} "
               f"จาก {fig.completeness_total['expected']} แห่ง เบิกจ่ายงบประมาณสะสม "
               f"{baht(t['disbursed'])} บาท จากที่ได้รับจัดสรร {baht(t['allocated'])} บาท "
               f"คิดเป็น {percent(t['disbursement_rate'])} {state} "
               f"(เป้าหมายสะสม {percent(t['target'])}) ตัวชี้วัดที่บรรลุเป้าหมาย {achieved} "
               f"จาก {due} ตัวชี้วัดที่ถึงรอบรายงาน"), align="justify", indent_cm=1.25)
    table(doc, ["ตัวเลขสำคัญ (Headline figure)", "ผล (Result)", "หมายเหตุ (Note)"],
          key_figures(fig), [7.5, 4.5, 4.0], "lrl")
    heading(doc, ATTENTION_HEADING, 2)
    items = attention_items(fig)
    if not items:
        para(doc, "ไม่มีผลใดต่ำกว่าเป้าหมาย และทุกหน่วยงานส่งรายงานแล้ว "
                  "(nothing is behind its target and every agency has reported)")
    for i, text in enumerate(items, start=1):
        para(doc, f"{i}. {text}", indent_cm=0.5)
