"""A1 column letters <-> column indexes: below the reader and the safety prescan, which
both place cells by their references."""

from __future__ import annotations


def col_letter(index0: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    if index0 < len(_LETTERS):
        return _LETTERS[index0]
    return _col_letter(index0)


def _col_letter(index0: int) -> str:
    letters = ""
    n = index0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = [_col_letter(i) for i in range(702)]  # A..ZZ, the columns a report uses


def col_index(letters: str) -> int:
    """'A' -> 0, 'AA' -> 26."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1
