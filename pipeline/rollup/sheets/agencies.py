"""The quarter's budget by agency, with each agency's report state; an agency without an
accepted report reads as no data (blank, the report column says why), not 0.00."""

from __future__ import annotations

from typing import Any

from schemas.choices import by_key

from ...consolidate import (
    STATE_LABELS,
    QuarterFigures,
    total_row,
)
from ..layout import (
    HEADER_ROW,
    Col,
    Formats,
    _page,
    _table,
    _titles,
    _traffic,
    budget_cols,
    received_cell,
)


def _agencies_sheet(sh: Any, fm: Formats, fig: QuarterFigures, sub: str) -> None:
    _titles(sh, fm, "งบประมาณรายหน่วยงาน (Budget by agency)", sub)
    comp = fig.completeness
    state_of = dict(zip(comp["agency_code"], comp["state"], strict=True))
    received_of = dict(zip(comp["agency_code"], comp["received_at"], strict=True))
    types = {k: c.th for k, c in by_key("agency_type").items()}
    affs = {k: c.th for k, c in by_key("affiliation").items()}  # short: the row stays one line
    states = {k: f"{th} ({en})" for k, (th, en) in STATE_LABELS.items()}
    table = fig.budget["agency"]
    attrs = fig.plan.agencies
    recs = table.to_dict("records")
    for r in recs:
        a = attrs.get(r["key"])
        if a is None:
            continue
        r["_type"] = types.get(a.agency_type, a.agency_type)
        r["_affiliation"] = affs.get(a.affiliation, a.affiliation)
        r["_district"] = a.district
        r["_state"] = states[state_of.get(a.code, "missing")]
        r["_received"] = received_cell(received_of.get(a.code))
        if state_of.get(a.code, "missing") not in ("on_time", "late"):
            # no accepted report: "no data" (blank, the report column says why), never 0.00
            for k in list(r):
                if not k.startswith("_") and k not in ("key", "label"):
                    r[k] = None
    first = [
        Col("รหัสหน่วยงาน", "Agency code", "key", "text", 13),
        Col("หน่วยงาน", "Agency", "label", "wrap", 40),
        Col("ประเภท", "Type", "_type", "text", 16),
        Col("สังกัด", "Affiliation", "_affiliation", "text", 14),
        Col("อำเภอ", "District", "_district", "text", 14),
        Col("การส่งรายงาน", "Report", "_state", "text", 18),
        Col("วันที่ได้รับ", "Received", "_received", "datetime", 20),
    ]
    cols = budget_cols(first)
    nxt = _table(sh, fm, HEADER_ROW, cols, recs, total_row(table, fig.targets))
    n = len(first)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 4, n + 5)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 8, n + 9)
    _traffic(sh, fm, HEADER_ROW + 1, nxt - 1, n + 10, n + 11)
    sh.autofilter(HEADER_ROW, 0, max(HEADER_ROW, nxt - 2), len(cols) - 1)
    _page(sh, HEADER_ROW, len(cols), 2)
