"""The prescan's cheap checks must say exactly what the plain substring tests said: cells
spelt with a namespace prefix (``<x:c r=...>``), error cells (``t="e"``) and a DTD
(``<!``) in any part, whatever else the XML holds (colons in URLs and times, "!" in text)."""

from __future__ import annotations

import random

from pipeline.read import _ERROR_TYPE, has_prefixed_cells
from pipeline.safety import xml_is_hostile

PIECES = [b'<c r="A1" s="1" t="n" />', b"<x:c r=\"B2\"><x:v>1</x:v></x:c>", b"http://x",
          b"10:30", b":c", b"c ", b":", b"<!-- note -->", b"Hello!",
          b'<c r="C3" t="e"><v>#N/A</v></c>',
          b't="e', b'"e"', b"<!DOCTYPE x>", b"<!ENTITY a 'b'>", b"!", b"<", b" ", "ก:c ข".encode(), b":c\n"]


def test_the_fast_checks_agree_with_substring_search():
    rng = random.Random(2568)
    for _ in range(3000):
        xml = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
        assert has_prefixed_cells(xml) == (b":c " in xml), xml
        assert (_ERROR_TYPE.search(xml) is not None) == (b't="e"' in xml), xml
    assert xml_is_hostile(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x/>")
    assert not xml_is_hostile(b"<x>Hello! <!-- a comment --></x>")
    assert not xml_is_hostile(b"<x>no bang here</x>")
