"""Test helper: what a person sees in a roll-up workbook, CSV or status page, as plain data
(cell values, number formats, bold, merged ranges, widths, heights, conditional formats,
tables, filters, print setup, charts), so a restructured writer can be compared with the
output of the writer it replaced (tests/test_rollup_same_content.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

# feedback file names start with the sha of the file a clerk sent, whose bytes carry the
# time the test made it
_SHA_NAME = re.compile(r"\b[0-9a-f]{12}-(?=[^\"<>/]*-feedback\.xlsx)")


def _norm(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return _SHA_NAME.sub("<sha>-", value)
    if isinstance(value, float) and value.is_integer():
        return value  # 3.0 stays a float: the type is part of the content
    return value


def workbook_snapshot(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames, "active": wb.active.title}
    for sh in wb.worksheets:
        cells = []
        for row in sh.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                cells.append([c.coordinate, _norm(c.value), type(c.value).__name__,
                              c.number_format, bool(c.font.b), c.alignment.wrap_text,
                              c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None])
        cf = []
        for rng in sh.conditional_formatting:
            for r in rng.rules:
                cf.append([str(rng.sqref), r.type, list(r.formula or []),
                           r.colorScale is not None])
        out[sh.title] = {
            "cells": cells,
            "merged": sorted(str(m) for m in sh.merged_cells.ranges),
            "widths": {k: d.width for k, d in sorted(sh.column_dimensions.items())
                       if d.width},
            "heights": {str(k): d.height for k, d in sorted(sh.row_dimensions.items())
                        if d.height},
            "default_height": sh.sheet_format.defaultRowHeight,
            "freeze": sh.freeze_panes,
            "cf": cf,
            "tables": {n: sh.tables[n].ref for n in sh.tables},
            "autofilter": sh.auto_filter.ref,
            "print_titles": sh.print_title_rows,
            "print_area": sh.print_area,
            "orientation": sh.page_setup.orientation,
            "paper": sh.page_setup.paperSize,
            "fit": [sh.page_setup.fitToWidth, sh.page_setup.fitToHeight],
            "charts": [type(c).__name__ for c in sh._charts],
        }
    props = wb.properties
    out["properties"] = [props.title, props.creator, _norm(props.created)]
    return out


def text_snapshot(path: Path) -> str:
    return _SHA_NAME.sub("<sha>-", Path(path).read_bytes().decode("utf-8"))
