"""A cell counts as blank when its text is only spaces or invisible characters.

The reader decides this for every text cell; its quick path for ASCII text must agree
with the full comparison form (NFC, no zero-width characters, any whitespace)."""

from __future__ import annotations

import random

from pipeline.read import _blank, norm_label


def test_blank_text_agrees_with_the_comparison_form():
    chars = [" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000",
             "\u200b", "\u200d", "\ufeff", "\u00ad", "a", "1", "ก", "\u0301", "e\u0301"]
    rng = random.Random(2568)
    for _ in range(50000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(1, 5)))
        assert _blank(text) == (not text.strip() or not norm_label(text)), repr(text)


def test_blank_values():
    assert _blank(None) and _blank("") and _blank("  \u200b ") and _blank("\ufeff")
    assert not _blank(0) and not _blank(0.0) and not _blank("0") and not _blank("ก")
