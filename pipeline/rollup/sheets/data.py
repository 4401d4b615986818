"""The long-format data sheet (a table for pivots) or a pointer to its CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...consolidate import (
    blank,
)
from ..layout import (
    HEADER_ROW,
    Formats,
    _cell_writers,
    _fmt,
    _page,
    _titles,
    header_height,
    print_heading_only,
)
from ..longdata import DATA_COLUMNS, LongData


def _data_sheet(sh: Any, fm: Formats, data: LongData, sub: str, csv_path: Path | None,
                top: int = HEADER_ROW) -> None:
    _titles(sh, fm, "ข้อมูลรายโครงการแบบยาว สำหรับ PivotTable (Long-format data for pivots)", sub)
    if csv_path is not None:
        sh.write_string(top, 0, (f"ข้อมูลมี {len(data):,} แถว เกินขนาดแผ่นงาน จึงบันทึกเป็นไฟล์ "
                                 f"{csv_path.name} ข้างไฟล์นี้ / {len(data):,} rows: written beside "
                                 f"this workbook as {csv_path.name} (UTF-8 CSV)"), fm.label)
        return
    n = len(data)
    columns = data.columns() if n else {}
    put_string, put_number, _ = _cell_writers(sh)  # up to 850,000 cells
    for c, (key, _th, _en, kind, width) in enumerate(DATA_COLUMNS):
        fmt = _fmt(fm, kind)
        sh.set_column(c, c, width, fmt)
        if not n:
            continue
        series = columns[key]
        if kind in ("money", "int", "year"):
            values = ([int(v) / 100 for v in series] if kind == "money" else
                      [int(v) for v in series])
            for r, v in enumerate(values, start=top + 1):
                put_number(r, c, v, fmt)
        else:
            for r, v in enumerate(series, start=top + 1):
                if blank(v) or v == "":
                    continue
                put_string(r, c, str(v), fmt)
    last = top + max(n, 1)
    sh.add_table(top, 0, last, len(DATA_COLUMNS) - 1, {
        "name": "RollupData", "style": "Table Style Light 9", "autofilter": True,
        "columns": [{"header": f"{th} ({en})", "format": _fmt(fm, kind)}
                    for _, th, en, kind, _ in DATA_COLUMNS],
    })
    sh.set_row(top, header_height([(f"{th} ({en})", width)
                                   for _, th, en, _, width in DATA_COLUMNS]), fm.header)
    _page(sh, top, len(DATA_COLUMNS), 0)
    print_heading_only(sh, fm, top, len(DATA_COLUMNS))
