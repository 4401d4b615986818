"""Test helper: what a clerk types for an indicator, by its kind.

A test may give an indicator's result as a plain number (or None): it is typed into the
inputs of the indicator's kind: a percent from counts as that many out of 100 (96.5 ->
96.5 / 100), a weighted mean with 10 test takers, yes/no as "มี" for a true value, any other
kind as the value itself. A dict gives the input cells by field name.
"""

from __future__ import annotations

from typing import Any

from schemas import INDICATORS

COLUMN = {c.name: j for j, c in enumerate(INDICATORS.columns, start=1)}


def inputs_for(kind: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if kind == "percent_of_counts":
        return {"numerator": value, "denominator": 100}
    if kind == "weighted_mean":
        return {"result": value, "weight": 10}
    if kind == "yes_no":
        return {"answer": "มี" if value else "ไม่มี"}
    return {"result": value}


def write_inputs(ws: Any, row: int, kind: str, value: Any) -> None:
    for name, v in inputs_for(kind, value).items():
        ws.cell(row=row, column=COLUMN[name], value=v)


def read_inputs(ws: Any, row: int) -> dict[str, Any]:
    return {name: ws.cell(row=row, column=COLUMN[name]).value
            for name in ("result", "numerator", "denominator", "weight", "answer", "evidence")}
