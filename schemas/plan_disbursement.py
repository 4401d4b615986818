"""Plan sheet "disbursement targets": cumulative % to disburse by the end of each quarter."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import INT, PERCENT, col


class PlanDisbursementTargets(pa.DataFrameModel):
    quarter: Series[int] = col(
        "ไตรมาส", "Quarter", INT, required=True, unique=True, ge=1, le=4, width=10
    )
    overall_pct: Series[float] = col(
        "เป้าเบิกจ่ายสะสม ภาพรวม (%)", "Cumulative target, overall (%)", PERCENT,
        required=True, ge=0, le=100, width=18,
    )
    current_pct: Series[float] = col(
        "เป้ารายจ่ายประจำ (%)", "Cumulative target, current (%)", PERCENT, ge=0, le=100, width=18
    )
    capital_pct: Series[float] = col(
        "เป้ารายจ่ายลงทุน (%)", "Cumulative target, capital (%)", PERCENT, ge=0, le=100, width=18
    )
