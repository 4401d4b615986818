"""The long-format budget data (one row per project line and measure) and its CSVs,
streamed beside the workbook when it is too long for a sheet."""

from __future__ import annotations

import csv
import shutil
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from schemas.choices import CAPITAL_CATEGORIES, by_key

from ..atomic import atomic_path
from ..consolidate import (
    MEASURE_LABELS,
    MEASURES,
    QuarterFigures,
    blank,
)

DATA_ROW_LIMIT = 50_000


# ---- the long-format data -----------------------------------------------------------------------
DATA_COLUMNS = [
    ("fiscal_year", "ปีงบประมาณ", "Fiscal year", "year", 10),
    ("quarter", "ไตรมาส", "Quarter", "int", 8),
    ("agency_code", "รหัสหน่วยงาน", "Agency code", "text", 13),
    ("agency_name", "หน่วยงาน", "Agency", "text", 34),
    ("agency_type", "ประเภทหน่วยงาน", "Agency type", "text", 16),
    ("affiliation", "สังกัด", "Affiliation", "text", 16),
    ("district", "อำเภอ", "District", "text", 14),
    ("strategy", "ยุทธศาสตร์", "Strategy", "text", 30),
    ("project_code", "รหัสโครงการ", "Project code", "text", 12),
    ("project_name", "โครงการ/กิจกรรม", "Project", "text", 36),
    ("budget_source", "แหล่งงบประมาณ", "Budget source", "text", 20),
    ("expenditure_category", "งบรายจ่าย", "Expenditure category", "text", 16),
    ("spending_type", "ประจำ/ลงทุน", "Current / capital", "text", 14),
    ("progress", "สถานะการดำเนินงาน", "Progress", "text", 18),
    ("remarks", "หมายเหตุ", "Remarks", "text", 24),
    ("measure", "รายการ", "Measure", "text", 16),
    ("amount", "จำนวนเงิน (บาท)", "Amount (baht)", "money", 16),
]


class LongData:
    """The long-format budget data: one row per project line and measure (allocated,
    committed, disbursed), pivot-ready, in (fiscal year, quarter, line, measure) order.

    Kept as per-line column lists (each line's attributes once, not three times) and
    expanded row by row as it is written: at 30,000 agencies the 450,000 rows went
    through three frame copies, a concat and a sort before."""

    def __init__(self, figs: Sequence[QuarterFigures]) -> None:
        self.blocks: list[tuple[list[list[Any]], list[list[int]]]] = []
        self.sources: list[QuarterFigures] = []  # the quarter of each block
        for fig in sorted(figs, key=lambda f: (f.fiscal_year, f.quarter)):
            lines = fig.lines
            if not len(lines):
                continue
            self.sources.append(fig)
            n = len(lines)
            plan = fig.plan
            strat = {k: s.label for k, s in plan.strategies.items()}
            types = {c.key: c.th for c in by_key("agency_type").values()}
            base = [
                [fig.fiscal_year] * n,
                [fig.quarter] * n,
                lines["agency_code"].tolist(),
                lines["agency_name"].tolist(),
                lines["agency_type"].map(types).tolist(),
                lines["affiliation"].map(
                    {k: c.th for k, c in by_key("affiliation").items()}).tolist(),
                lines["district"].tolist(),
                lines["strategy_no"].map(
                    {n: strat.get(n, f"{n}. ?") for n in set(lines["strategy_no"])}).tolist(),
                lines["project_code"].tolist(),
                lines["project_name"].tolist(),
                lines["budget_source"].map(
                    {k: c.th for k, c in by_key("budget_source").items()}).tolist(),
                lines["expenditure_category"].map(
                    {k: c.th for k, c in by_key("expenditure_category").items()}).tolist(),
                lines["expenditure_category"].isin(CAPITAL_CATEGORIES).map(
                    {True: "รายจ่ายลงทุน (capital)", False: "รายจ่ายประจำ (current)"}).tolist(),
                lines["progress_status"].map(
                    {k: c.th for k, c in by_key("progress_status").items()}).tolist(),
                lines["remarks"].tolist(),
            ]
            amounts = [[int(v) for v in lines[m].tolist()] for m in MEASURES]
            self.blocks.append((base, amounts))
        self.measures = [f"{th} ({en})" for th, en in (MEASURE_LABELS[m] for m in MEASURES)]
        self.n = sum(len(base[0]) * len(MEASURES) for base, _ in self.blocks)

    def __len__(self) -> int:
        return self.n

    def release(self) -> None:
        """Drop the rows once they are in the CSV; the length stays (the workbook says it)."""
        self.blocks = []
        self.sources = []

    def rows(self, cell: Callable[[Any], Any] | None = None,
             amount: Callable[[int], Any] | None = None) -> Any:
        """Every row as a tuple in DATA_COLUMNS order; ``cell`` maps each attribute value
        (once per line), ``amount`` each amount in satang."""
        for base, amounts in self.blocks:
            if cell is not None:
                base = [[cell(v) for v in col] for col in base]
            if amount is not None:
                amounts = [[amount(v) for v in col] for col in amounts]
            for attrs, *money in zip(zip(*base, strict=True), *amounts, strict=True):
                for label, value in zip(self.measures, money, strict=True):
                    yield (*attrs, label, value)

    def columns(self) -> dict[str, list[Any]]:
        """The rows as column lists (only for data small enough for the data sheet)."""
        keys = [c[0] for c in DATA_COLUMNS]
        cols = list(zip(*self.rows(), strict=True)) or [()] * len(keys)
        return {k: list(c) for k, c in zip(keys, cols, strict=True)}


def long_budget_data(figs: Sequence[QuarterFigures]) -> LongData:
    """One row per project and measure (allocated, committed, disbursed): pivot-ready."""
    return LongData(figs)


# Long-data CSVs written in this process from one quarter's figures:
# id(figures) -> (weak reference, file, (inode, size, mtime) just after writing)
_QUARTER_CSVS: dict[int, tuple[weakref.ref, Path, tuple[int, int, int]]] = {}


def long_data_for(figs: Sequence[QuarterFigures], target: Path, row_limit: int
                  ) -> tuple[LongData, Path | None]:
    """The workbook's long data, and the CSV beside ``target`` it went to when it has more
    than ``row_limit`` rows (then the rows are released: the Data sheet only points to it)."""
    data = long_budget_data(figs)
    if len(data) <= row_limit:
        return data, None
    csv_path = Path(target).with_suffix(".data.csv")
    write_csv(data, csv_path)
    data.release()
    return data, csv_path


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _quarter_csv(fig: QuarterFigures) -> Path | None:
    """The quarter CSV this process wrote from ``fig``, if the file is still that file."""
    hit = _QUARTER_CSVS.get(id(fig))
    if hit is None or hit[0]() is not fig or _signature(hit[1]) != hit[2]:
        return None
    return hit[1]


def write_csv(data: LongData, path: Path) -> None:
    """UTF-8 with BOM (Excel then reads Thai correctly); money as exact baht text.

    The annual report's CSV holds each quarter's rows after one another, exactly as the
    quarter's own CSV does: a quarter whose CSV this process just wrote from the same
    figures (the night's quarter roll-up) is copied from that file rather than formatted
    again."""
    header = [f"{th} ({en})" for _, th, en, _, _ in DATA_COLUMNS]
    head_bytes = len(_csv_head(header))

    def chunks() -> Iterator[bytes | tuple[Path, int]]:
        # a line's 15 attributes are the same in its three rows (one per measure): each
        # line's fields are joined once, and its three rows are those bytes followed by the
        # measure and the amount; each distinct value is quoted and encoded once
        # (csv_field_bytes): 338 MB at 30,000 agencies, 2.2-2.5 -> 1.0-1.4 s
        labels = [b"," + _csv_fields([[m]])[0].encode("utf-8") + b"," for m in data.measures]
        for (base, amounts), fig in zip(data.blocks, data.sources, strict=True):
            done = _quarter_csv(fig)
            if done is not None and done != path:
                yield (done, head_bytes)
                continue
            fields = [csv_field_bytes(col) for col in base]
            for start in range(0, len(fields[0]), CSV_CHUNK_ROWS):
                end = start + CSV_CHUNK_ROWS
                prefixes = list(map(b",".join, zip(*(col[start:end] for col in fields),
                                                    strict=True)))
                money = [[(_baht_plain(v) + "\r\n").encode("ascii") for v in col[start:end]]
                         for col in amounts]
                parts: list[bytes] = []
                for p, *amts in zip(prefixes, *money, strict=True):
                    for label, amount in zip(labels, amts, strict=True):
                        parts += (p, label, amount)
                yield b"".join(parts)

    _write_csv(path, header, chunks())
    if len(data.sources) == 1:
        sig = _signature(path)
        if sig is not None:
            _QUARTER_CSVS[id(data.sources[0])] = (weakref.ref(data.sources[0]), path, sig)


class _Pieces(list):
    """A csv.writer target that keeps each written row as one string."""

    write = list.append


def _csv_fields(rows: Iterable[Sequence[Any]]) -> list[str]:
    """Each row as csv.writer formats it, without its line end: fields joined by commas,
    quoted where they must be (a field holding a comma, a quote or a line break)."""
    pieces = _Pieces()
    csv.writer(pieces, lineterminator="\r\n").writerows(rows)
    return [p[:-2] for p in pieces]


def csv_field_bytes(values: Sequence[Any]) -> list[bytes]:
    """Each value as csv.writer writes it inside a row (blank -> empty, quoted where it
    must be), UTF-8 encoded; each distinct value goes through csv.writer and the encoder
    once (a column of 150,000 project lines holds a few thousand distinct texts)."""
    memo: dict[Any, bytes] = {}
    out: list[bytes] = []
    for v in values:
        if v.__class__ is str:
            key: Any = v
        elif blank(v):  # None, NaN, NA, NaT: each NaN is its own object, never a memo key
            out.append(b"")
            continue
        elif v.__class__ is float and not v:
            key = (float, str(v))  # 0.0 == -0.0, but csv.writer writes "-0.0"
        else:
            key = (v.__class__, v)  # 1, 1.0 and True are equal, but written differently
        b = memo.get(key)
        if b is None:
            # csv.writer writes a row of one empty field as "" (to tell it from no row);
            # inside a row an empty field is nothing
            b = memo[key] = b"" if v == "" else _csv_fields([[v]])[0].encode("utf-8")
        out.append(b)
    return out


CSV_CHUNK_ROWS = 20_000


def write_csv_columns(path: Path, header: list[str], columns: Sequence[Sequence[Any]]) -> None:
    """A UTF-8 CSV with a BOM and CRLF line ends, from column lists, written atomically a
    chunk at a time (at 30,000 agencies ~80-340 MB: never held whole). The bytes are those
    of csv.writer on a "utf-8-sig" file, blanks (None, NaN) written as empty fields."""
    fields = [csv_field_bytes(col) for col in columns]

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(fields[0]) if fields else 0, CSV_CHUNK_ROWS):
            end = start + CSV_CHUNK_ROWS
            rows = map(b",".join, zip(*(col[start:end] for col in fields), strict=True))
            yield b"\r\n".join(rows) + b"\r\n"

    _write_csv(path, header, chunks())


def _csv_head(header: list[str]) -> bytes:
    """The BOM (Excel then reads the Thai as UTF-8) and the header line."""
    return ("\ufeff" + _csv_fields([header])[0] + "\r\n").encode("utf-8")


def _write_csv(path: Path, header: list[str],
               chunks: Iterable[bytes | tuple[Path, int]]) -> None:
    """BOM and header, then each chunk: bytes, or (file, offset): that file's bytes from
    offset on."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(_csv_head(header))
        for chunk in chunks:
            if isinstance(chunk, bytes):
                fh.write(chunk)
                continue
            source, offset = chunk
            with open(source, "rb") as src:
                src.seek(offset)
                shutil.copyfileobj(src, fh, 1 << 20)


def _baht_plain(satang: Any) -> str:
    s = int(satang)
    sign = "-" if s < 0 else ""
    whole, frac = divmod(abs(s), 100)
    return f"{sign}{whole}.{frac:02d}"
