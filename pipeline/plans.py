"""The plans a night validates against, by fiscal year, loaded on first use.

Below both the run (``run.py``) and its worker processes (``parallel.py``): each picks a
file's plan the same way, from the year the file claims.
"""

from __future__ import annotations

from typing import Any

from . import calendar as fcal
from .plan import Plan
from .workspace import Workspace


class PlanBroken(Exception):
    """A plan workbook cannot be loaded: importing against it would quarantine good files."""


class Plans:
    """Plans by fiscal year, loaded on first use (a no-change night loads none)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._cache: dict[int, Plan | None] = {}

    def get(self, fiscal_year: int | None) -> Plan | None:
        if fiscal_year is None:
            return None
        if fiscal_year not in self._cache:
            path = self.ws.plan_file(fiscal_year)
            if not path.exists():
                self._cache[fiscal_year] = None
            else:
                from .plan_load import PlanError, load_plan_cached

                try:
                    self._cache[fiscal_year] = load_plan_cached(self.ws.state, path)
                except PlanError as exc:
                    lines = [f"{p.where or p.file} {p.code}: {p.message_th} / {p.message_en}"
                             for p in getattr(exc, "problems", [])[:10]]
                    raise PlanBroken(
                        f"แผน {path.name} มีข้อผิดพลาด ตรวจด้วย `edurollup plan check {path}` / "
                        f"plan {path.name} has errors:\n  " + "\n  ".join(lines)) from exc
        return self._cache[fiscal_year]

    def years(self) -> list[int]:
        return self.ws.plan_years()


def fiscal_year_of(raw: Any, plans: Plans) -> int | None:
    """The year a workbook claims (stamp, else cover); the newest plan's year as a fallback
    (an unreadable file is this year's, not a closed year's: the workspace may also keep
    last year's plan, for year-on-year figures)."""
    stamp = getattr(raw, "stamp", None) or {}
    for key in ("fiscal_year", "fy"):
        value = stamp.get(key)
        if value and str(value).strip().isdigit():
            return int(str(value).strip())
    cover = getattr(raw, "sheets", {}).get("cover")
    if cover is not None:
        for _row, cells in cover.rows:
            cell = cells.get("fiscal_year")
            if cell is not None and cell.value not in (None, ""):
                text = fcal.to_arabic_digits(str(cell.value)).strip()
                text = text.split(".")[0]
                if text.isdigit():
                    year = int(text)
                    return fcal.ce_to_be(year) if fcal.looks_like_ce(year) else year
    years = plans.years()
    return years[-1] if years else None
