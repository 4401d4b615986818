"""The reader's blank test (``read._blank``) strips a fixed set of characters in C instead
of normalising every cell's text: the set must be every whitespace character Python knows
plus the zero-width ones the label normaliser drops, so both agree on every text."""

from __future__ import annotations

import sys

from pipeline import read


def test_the_blank_set_is_all_whitespace_and_the_invisible_characters():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    invisible = set(read._INVISIBLE_RE.pattern.strip("[]"))
    assert set(read._BLANK_CHARS) == spaces | invisible


def test_blank_agrees_with_the_label_normaliser():
    texts = ["", " ", "\u00a0", "\u200b", " \u200b\u3000 ", "\u200b \u200b", "\ufeff\u00ad",
             "x", " ก ", "\u200bก", "0", "-", "\u0e31", "ข้อมูล\u200b", "\t\n", "\x1c"]
    for text in texts:
        assert read._blank(text) == (not read.norm_label(text)), repr(text)
    assert read._blank(None) and not read._blank(0) and not read._blank(0.0)
