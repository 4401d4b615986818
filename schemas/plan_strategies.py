"""Plan sheet "strategies": the plan's strategies for the year."""

import pandera.pandas as pa
from pandera.typing import Series

from ._base import INT, TEXT, col


class PlanStrategies(pa.DataFrameModel):
    strategy_no: Series[int] = col(
        "ยุทธศาสตร์ที่", "Strategy no.", INT, required=True, unique=True, ge=1, le=20, width=10
    )
    name_th: Series[str] = col("ชื่อยุทธศาสตร์", "Strategy (Thai)", TEXT, required=True, width=60)
    name_en: Series[str] = col("ชื่อภาษาอังกฤษ", "Strategy (English)", TEXT, width=40)
