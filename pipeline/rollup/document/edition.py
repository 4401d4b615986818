"""Which report a document is (a quarter's, or the year-end report) and the figures it
presents: the same ``QuarterFigures`` the workbooks were written from, never recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ... import calendar as fcal
from ...consolidate import QuarterFigures
from ...plan import Plan


@dataclass(frozen=True)
class Edition:
    """``figs``: the year's quarters up to the report's (all four for the annual edition),
    each as consolidated for the workbooks."""

    plan: Plan
    fiscal_year: int
    quarter: int | None  # None: the year-end report
    figs: tuple[QuarterFigures, ...]

    @property
    def annual(self) -> bool:
        return self.quarter is None

    @property
    def fig(self) -> QuarterFigures:
        """The figures the document presents: the quarter's; for the year, the latest
        quarter with accepted reports (Q4 once the year is complete), as the annual
        workbook's year verdicts do."""
        if not self.annual:
            return next(f for f in self.figs if f.quarter == self.quarter)
        return next((f for f in reversed(self.figs) if len(f.current)), self.figs[-1])

    @property
    def as_of(self) -> datetime | None:
        return max((f.as_of for f in self.figs if f.as_of), default=None)

    @property
    def title(self) -> str:
        if self.annual:
            return f"รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. {self.fiscal_year}"
        return (f"รายงานผลการดำเนินงานและการใช้จ่ายงบประมาณ ไตรมาสที่ {self.quarter} "
                f"ปีงบประมาณ พ.ศ. {self.fiscal_year}")

    @property
    def title_en(self) -> str:
        if self.annual:
            return f"Annual report, fiscal year {self.fiscal_year}"
        return f"Results and budget use, FY {self.fiscal_year} Q{self.quarter}"

    @property
    def period_text(self) -> str:
        """'1 ต.ค. 2567 – 31 มี.ค. 2568 (6 เดือน)': the cumulative period reported."""
        return fcal.period_text_th(self.fiscal_year, self.fig.quarter)

    @property
    def office(self) -> str:
        return f"{self.plan.office_name} จังหวัด{self.plan.province}"
