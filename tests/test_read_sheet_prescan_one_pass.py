"""The reader's one-pass look for rare markup in a sheet part misses nothing.

Before calamine parses a sheet, the reader checks its XML for a DTD ("<!"), for cells
written without their reference and for formulas. One regex (``_ODD_MARKUP``) now says
whether any of the three is there at all; only then do the separate checks run. These
tests hold it to the three separate patterns on real-looking parts and on many random
ones, so a file is refused, bounded and read exactly as before.
"""

from __future__ import annotations

import random

import pytest

from pipeline.read import _CELL_WITHOUT_REF, _F_START, _ODD_MARKUP


def separately(xml: bytes) -> bool:
    return (b"<!" in xml or _CELL_WITHOUT_REF.search(xml) is not None
            or _F_START.search(xml) is not None)


@pytest.mark.parametrize("xml", [
    b'<sheetData><row r="1"><c r="A1" s="1" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    b'<dataValidation sqref="F5:F154"><formula1>0</formula1></dataValidation>',
    b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>',
    b"<worksheet><!-- a comment --></worksheet>",
    b"<row><c><v>1</v></c></row>",
    b'<row><c s="1"><v>1</v></c></row>',
    b'<row><c r="A1"><f>SUM(B1:B2)</f><v>3</v></c></row>',
    b'<row><c r="A1"><f t="shared" si="0"/></c></row>',
    b'<x:row><x:c r="A1"><x:f>1+1</x:f></x:c></x:row>',
    b'<row><c r="A1"><f\n>1</f></c></row>',
    b'<row><c r="A1" t="e"><v>#DIV/0!</v></c></row>',
    b"<c",
    b"<c ",
    b'<c r="',
])
def test_known_parts(xml):
    assert (_ODD_MARKUP.search(xml) is not None) == separately(xml)


def test_random_parts():
    tokens = [b"<", b"!", b"c", b" ", b">", b"/", b"f", b"r", b"=", b'"', b"x", b":", b"\n",
              b"\t", b"A1", b"<c ", b"<c>", b'<c r="', b"<f", b"<x:f", b"<!", b"<row", b"_",
              b"9", b"<formula1>", b"\xe0\xb8\x81"]
    rng = random.Random(2568)
    for _ in range(20000):
        xml = b"".join(rng.choice(tokens) for _ in range(rng.randint(0, 12)))
        assert (_ODD_MARKUP.search(xml) is not None) == separately(xml), xml
