"""The CSVs beside a national-scale roll-up are formatted by our own loop (each distinct
value quoted and encoded once), not row by row by csv.writer. Their bytes must still be
exactly what csv.writer writes to a "utf-8-sig" file with CRLF line ends, whatever a
sender typed: commas, quotes, line breaks, formula-like text, Thai, blanks of every kind."""

from __future__ import annotations

import csv
import math

from pipeline.rollup import csv_field_bytes, write_csv_columns

AWKWARD = ["โรงเรียนบ้านหนองแวง", "ก,ข", 'ชื่อ "เล่น"', "บรรทัด\nใหม่", "cr\rlf", "", " นำหน้า",
           "=SUM(A1:A9)", "+66 81", "-", "'0812345678", None, math.nan, 0, 1, 1.0, True, False,
           2568, 85.5, -0.25, 0.0, -0.0, "1", "1.0", "\u200b", "a\tb", '"', ",", "\ufeffbom"]


def _reference(path, header, columns):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        for row in zip(*columns, strict=True):
            w.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v)) else v
                        for v in row])


def test_the_csv_bytes_are_csv_writers(tmp_path):
    n = len(AWKWARD)
    columns = [AWKWARD, list(reversed(AWKWARD)), [AWKWARD[i * 7 % n] for i in range(n)],
               [None] * n, [""] * n]
    header = ["รหัส (Code)", "หน่วยงาน, สังกัด (Agency)", 'ผล "Result"', "ว่าง (Empty)",
              "ว่าง 2"]
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    write_csv_columns(ours, header, columns)
    _reference(theirs, header, columns)
    assert ours.read_bytes() == theirs.read_bytes()
    assert ours.read_bytes().startswith("\ufeff".encode())


def test_equal_values_of_different_types_keep_their_own_text():
    """1, 1.0 and True are equal in Python (one dict key): each must still be written as
    csv.writer writes it."""
    assert csv_field_bytes([1, 1.0, True, 1, True, 1.0]) == [b"1", b"1.0", b"True", b"1",
                                                             b"True", b"1.0"]
    assert csv_field_bytes([None, math.nan, "", "x,y"]) == [b"", b"", b"", b'"x,y"']
    # 0.0 == -0.0 too; a result typed as "-0" must not take the text of an earlier 0
    assert csv_field_bytes([0.0, -0.0, 0, -0.0]) == [b"0.0", b"-0.0", b"0", b"-0.0"]


def test_a_column_of_missing_numbers_stays_cheap():
    """pandas gives a new NaN object per missing float; none may become a memo entry."""
    import pandas as pd

    values = pd.Series([math.nan] * 50_000 + [1.5, None], dtype="float64").tolist()
    values += [pd.NA, pd.NaT, None]
    assert csv_field_bytes(values) == [b""] * 50_000 + [b"1.5", b""] + [b""] * 3


def test_many_rows_go_in_chunks_and_end_with_a_line_end(tmp_path):
    rows = 45_001  # more than two chunks of CSV_CHUNK_ROWS
    columns = [[f"หน่วยงาน {i % 97}" for i in range(rows)], list(range(rows))]
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    write_csv_columns(ours, ["a", "b"], columns)
    _reference(theirs, ["a", "b"], columns)
    assert ours.read_bytes() == theirs.read_bytes()
