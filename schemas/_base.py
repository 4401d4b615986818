"""Column declarations shared by every sheet schema.

A column is declared once, with its Thai and English label, its kind and its input help;
the template writer, the reader (header matching), the validator and the docs all read
that declaration through :func:`columns_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandera.pandas as pa

# Kinds of cell value. The normaliser turns raw cell values into these types.
TEXT = "text"  # str
CODE = "code"  # str, stripped, no inner spaces collapsed
MONEY = "money"  # int satang
PERCENT = "percent"  # float 0..100
NUMBER = "number"  # float
INT = "int"  # int
DATE = "date"  # datetime.date
EMAIL = "email"  # str
CHOICE = "choice"  # str key of an allowed value (see ColumnSpec.choices)
EMAILS = "emails"  # list of e-mail addresses separated by , ; or newline


@dataclass(frozen=True)
class ColumnSpec:
    """What the template, reader, validator and docs need to know about one column."""

    name: str
    th: str
    en: str
    kind: str
    required: bool = False
    locked: bool = False  # pre-filled by the template and protected
    choices: str | None = None  # name of a choice list: "strategy", "budget_source", ...
    help_th: str = ""
    help_en: str = ""
    width: int = 16
    dtype: Any = None
    optional: bool = False  # a file without this column is still read (added later)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def header(self) -> str:
        """The header text the template writes: Thai above English."""
        return f"{self.th}\n{self.en}"


def col(
    th: str,
    en: str,
    kind: str,
    *,
    required: bool = False,
    locked: bool = False,
    choices: str | None = None,
    help_th: str = "",
    help_en: str = "",
    width: int = 16,
    optional: bool = False,
    **checks: Any,
) -> Any:
    """A pandera Field carrying the column's labels and kind in its metadata."""
    meta = {
        "th": th,
        "en": en,
        "kind": kind,
        "required": required,
        "locked": locked,
        "choices": choices,
        "help_th": help_th,
        "help_en": help_en,
        "width": width,
        "optional": optional,
    }
    return pa.Field(nullable=not required, title=f"{th} ({en})", metadata=meta, **checks)


def columns_of(model: type[pa.DataFrameModel]) -> list[ColumnSpec]:
    """The ordered column specs of a schema model (order = template column order)."""
    schema = model.to_schema()
    specs = []
    for name, column in schema.columns.items():
        m = column.metadata or {}
        specs.append(
            ColumnSpec(
                name=name,
                th=m.get("th", name),
                en=m.get("en", name),
                kind=m.get("kind", TEXT),
                required=bool(m.get("required")),
                locked=bool(m.get("locked")),
                choices=m.get("choices"),
                help_th=m.get("help_th", ""),
                help_en=m.get("help_en", ""),
                width=int(m.get("width", 16)),
                dtype=column.dtype,
                optional=bool(m.get("optional")),
            )
        )
    return specs


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of a workbook: its stable key, visible name, layout and schema."""

    key: str
    name: str  # the sheet name as the user sees it
    model: type[pa.DataFrameModel]
    layout: str  # "table" (header row + data rows) or "form" (label in A, value in B)
    header_row: int = 4  # 1-based row of the header (tables) or first field (forms)
    first_col: int = 1  # 1-based column of the first field
    title_th: str = ""
    title_en: str = ""
    optional: bool = False  # a workbook without this sheet is still read (added later)

    @property
    def columns(self) -> list[ColumnSpec]:
        return columns_of(self.model)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)
