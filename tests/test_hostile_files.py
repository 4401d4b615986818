"""Bad and hostile attachments become one exact problem of that file, quickly, never an
exception: empty, random bytes, a PDF renamed .xlsx, a truncated download, a password,
a zip bomb, XML entity expansion, a huge sheet, external links and macros."""

from __future__ import annotations

import functools
import io
import random
import struct
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_small_plan

import schemas
from pipeline.cli import main
from pipeline.read import read_workbook
from pipeline.safety import Limits, preflight
from pipeline.templates import build_template

FAST = 2.0  # seconds: every hostile file is refused within this


def template_bytes() -> bytes:
    wb = build_template(make_small_plan(), "1033530001", 2)
    wb[schemas.BUDGET.name]["A5"] = "P-001"
    wb[schemas.BUDGET.name]["F5"] = 1000
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def template() -> bytes:
    return template_bytes()


def rezip(data: bytes, replace: dict[str, bytes] | None = None,
          add: dict[str, bytes] | None = None) -> bytes:
    """The same workbook with some members replaced or added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info)))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def budget_part(data: bytes) -> str:
    from pipeline.read import xlsx_sheet_parts

    return xlsx_sheet_parts(zipfile.ZipFile(io.BytesIO(data)))[schemas.BUDGET.name]


def cfb_encrypted_package() -> bytes:
    """An OLE compound file as Excel writes a password-protected .xlsx: streams
    EncryptionInfo and EncryptedPackage (4 KiB each, so no mini stream)."""
    sector = 512
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(sector)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end, 0)
    for i in range(109):
        struct.pack_into("<I", header, 76 + 4 * i, 0 if i == 0 else free)
    fat = [fatsect, end] + list(range(3, 10)) + [end] + list(range(11, 18)) + [end]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int,
              size: int) -> bytes:
        e = bytearray(128)
        raw = name.encode("utf-16-le")
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw) + 2 if name else 0, kind, 1)
        struct.pack_into("<III", e, 68, left, right, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = (entry("Root Entry", 5, nostream, nostream, 1, end, 0)
                 + entry("EncryptionInfo", 2, nostream, 2, nostream, 2, 4096)
                 + entry("EncryptedPackage", 2, nostream, nostream, nostream, 10, 4096)
                 + entry("", 0, nostream, nostream, nostream, 0, 0))
    info = (b"\x04\x00\x04\x00\x40\x00\x00\x00" + b'<?xml version="1.0"?><encryption '
            b'xmlns="http://schemas.microsoft.com/office/2006/encryption"/>').ljust(4096, b"\0")
    package = random.Random(7).randbytes(4096)
    return bytes(header) + struct.pack("<128I", *fat) + directory + info + package


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
      b'<sheetData><row r="5"><c r="A5" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
      b"</sheetData></worksheet>"
)


@functools.cache
def _with_big_sheet(template: bytes) -> bytes:
    part = budget_part(template)
    src = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    big = b"<worksheet>" + b" " * (40 * 1024 * 1024) + b"</worksheet>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, big if info.filename == part else src.read(info))
    return out.getvalue()


def lying_sizes(template: bytes, declared: int) -> bytes:
    """The budget sheet replaced by 40 MB of XML whose zip entry declares ``declared``
    bytes (local header and central directory both patched)."""
    part = budget_part(template)
    data = bytearray(_with_big_sheet(template))
    name = part.encode()
    for magic, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22),
                                                (b"PK\x01\x02", 28, 46, 24)):
        i = data.find(magic)
        while i >= 0:
            n = struct.unpack_from("<H", data, i + name_len_at)[0]
            if data[i + name_at:i + name_at + n] == name:
                struct.pack_into("<I", data, i + size_at, declared)
            i = data.find(magic, i + 4)
    return bytes(data)


def _huge_ods() -> bytes:
    """An .ods whose repeat counts put a value at row 1,000,002, column 16,001."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="งบประมาณ (Budget)">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p>'
        '</table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16000"/>'
        '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p>'
        "</table:table-cell></table:table-row></table:table></office:spreadsheet>"
        "</office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
    return out.getvalue()


HUGE_ODS = _huge_ods()


def hostile_cases(template: bytes) -> dict[str, tuple[bytes, str]]:
    part = budget_part(template)
    sheet = zipfile.ZipFile(io.BytesIO(template)).read(part)
    huge = sheet.replace(b"</sheetData>", b'<row r="900000"><c r="XFD900000" t="n"><v>1</v></c>'
                                          b"</row></sheetData>")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    # cells without references are placed one after another: 700 rows x 300 cells
    rnd = random.Random(3)
    rows = b"".join(b"<row>" + b"".join(b"<c><v>%d</v></c>" % rnd.randrange(10**9)
                                        for _ in range(300)) + b"</row>" for _ in range(700))
    no_refs = sheet.replace(b"</sheetData>", rows + b"</sheetData>")
    return {
        "lying-size-small": (lying_sizes(template, 5000), "file.zip-bomb"),
        # declared larger than its compressed data: reading stops at the declared size
        # (bounded memory) and the CRC tells the data was not what the zip directory says
        "lying-size-large": (lying_sizes(template, 400_000), "file.unreadable"),
        "cells-without-refs": (rezip(template, {part: no_refs}), "file.too-many-cells"),
        "huge-ods": (HUGE_ODS, "file.too-many-cells"),
        "empty": (b"", "file.empty"),
        "random": (random.Random(1).randbytes(5000), "file.not-a-workbook"),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                "file.not-a-workbook"),
        "truncated": (template[: len(template) // 2], "file.unreadable"),
        "encrypted": (cfb_encrypted_package(), "file.encrypted"),
        "zip-bomb": (bomb.getvalue(), "file.zip-bomb"),
        "billion-laughs": (rezip(template, {part: BILLION_LAUGHS}), "file.hostile-xml"),
        "huge-sheet": (rezip(template, {part: huge}), "file.too-many-cells"),
    }


CASES = ["lying-size-small", "lying-size-large", "cells-without-refs", "huge-ods", "empty", "random", "pdf", "truncated", "encrypted", "zip-bomb", "billion-laughs",
         "huge-sheet"]


@pytest.fixture(scope="module")
def cases(template: bytes) -> dict[str, tuple[bytes, str]]:
    return hostile_cases(template)


@pytest.mark.parametrize("case", CASES)
def test_each_hostile_file_is_one_exact_problem(case: str, cases: dict, tmp_path: Path) -> None:
    data, code = cases[case]
    path = tmp_path / "รายงาน.xlsx"
    path.write_bytes(data)
    started = time.monotonic()
    raw = read_workbook(path, display_name="รายงานไตรมาส2.xlsx")
    spent = time.monotonic() - started
    errors = [p for p in raw.problems if p.is_error]
    assert [p.code for p in errors] == [code]
    assert errors[0].file == "รายงานไตรมาส2.xlsx"
    assert raw.sheets == {}
    assert spent < FAST
    import hashlib

    assert raw.sha256 == hashlib.sha256(data).hexdigest()


def test_pdf_renamed_says_it_is_a_pdf(cases: dict, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(cases["pdf"][0])
    (problem,) = preflight(path)
    assert problem.code == "file.not-a-workbook"
    assert "PDF" in problem.message_en and "PDF" in problem.message_th


def test_limits_are_configurable(template: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(template)
    assert [p.code for p in read_workbook(path, limits=Limits(max_bytes=1000)).problems] == [
        "file.too-large"]
    small = read_workbook(path, limits=Limits(max_cells=20))
    assert [p.code for p in small.problems] == ["file.too-many-cells"]
    assert "200,000" not in small.problems[0].message_en
    assert read_workbook(path).problems == []
    slow = read_workbook(path, limits=Limits(max_seconds=0))
    assert [p.code for p in slow.problems] == ["file.timeout"] and slow.sheets == {}


def test_external_links_and_macros_warn_but_data_is_read(template: bytes, tmp_path: Path) -> None:
    linked = tmp_path / "linked.xlsx"
    linked.write_bytes(rezip(template, add={
        "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.'
                                              b'openxmlformats.org/spreadsheetml/2006/main"/>'}))
    raw = read_workbook(linked)
    assert [p.code for p in raw.problems] == ["file.external-links"]
    assert raw.format == "xlsx"
    assert raw.sheets["budget"].rows[0][1]["allocated"].value == 1000
    macro = tmp_path / "report.xlsm"
    macro.write_bytes(rezip(template, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" * 64}))
    raw = read_workbook(macro)
    assert [(p.code, p.severity) for p in raw.problems] == [("file.macros", "warning")]
    assert raw.format == "xlsm" and raw.has_macros
    assert raw.sheets["budget"].rows[0][1]["project_code"].ref == "A5"


def test_format_comes_from_content_not_extension(template: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(template)
    raw = read_workbook(path)
    assert raw.format == "xlsx" and raw.problems == []


def test_validate_command_reports_hostile_files_without_traceback(cases: dict,
                                                                  tmp_path: Path) -> None:
    paths = []
    for case in ("pdf", "billion-laughs", "encrypted"):
        p = tmp_path / f"{case}.xlsx"
        p.write_bytes(cases[case][0])
        paths.append(str(p))
    result = CliRunner().invoke(main, ["validate", "--json", *paths])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for case in ("pdf", "billion-laughs", "encrypted"):
        assert cases[case][1] in result.output
