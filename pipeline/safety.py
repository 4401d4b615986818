"""Hostile-file safety: look at a file's bytes before any parser touches it.

Agencies e-mail whatever they have: empty attachments, PDFs renamed .xlsx, truncated
downloads, password-protected workbooks, and now and then something made to hurt a
parser (zip bombs, XML entity expansion, a sheet with a cell at XFD1048576). Every
such file must become a problem of that file, fast, never a crash of the nightly run.
The checks here read only the zip directory, the first bytes and the XML parts the
reader needs; docs/limits.md lists the defaults and what each one protects against.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog
from .cells import col_letter
from .model import Problem

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one file may cause (docs/limits.md explains each)."""

    max_bytes: int = 20 * MB  # the file as received
    max_uncompressed: int = 200 * MB  # sum of declared sizes of all zip members
    max_ratio: int = 100  # uncompressed / compressed, per zip member over ratio_min_size
    ratio_min_size: int = 1 * MB  # small members may compress well without being bombs
    max_members: int = 2000  # zip members
    max_cells: int = 200_000  # per sheet: rows x columns of its used area
    max_workbook_cells: int = 0  # all the sheets the reader parses, together (0: 5 x max_cells)
    max_seconds: float = 30.0  # wall clock per file, checked between reading steps

    def __post_init__(self) -> None:
        if self.max_workbook_cells <= 0:
            object.__setattr__(self, "max_workbook_cells", 5 * self.max_cells)


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"

# What a non-workbook looks like, by its first bytes: (magic, description).
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG image / รูปภาพ PNG"),
    (b"\xff\xd8\xff", "JPEG image / รูปภาพ JPEG"),
    (b"GIF8", "GIF image / รูปภาพ GIF"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"{\\rtf", "RTF document"),
    (b"MZ", "Windows program / โปรแกรม"),
]

# byte searches (memchr-fast); XML requires these keywords in capitals, lower case kept
# for good measure since any DTD in a workbook part is refused anyway
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity", b"<!Doctype", b"<!Entity")


@dataclass
class Inspection:
    """What the bytes say the file is, before parsing it."""

    format: str  # xlsx, xlsm, xlsb, xls, ods, or "" when it is not a workbook
    problems: list[Problem] = field(default_factory=list)
    zip: zipfile.ZipFile | None = None  # opened once, reused by the reader
    has_macros: bool = False
    external_links: bool = False

    @property
    def fatal(self) -> bool:
        return any(p.is_error for p in self.problems)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _describe_unknown(head: bytes) -> str:
    """A short human description of bytes that are not a workbook."""
    for magic, text in _SIGNATURES:
        if head.startswith(magic):
            return text
    sniff = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sniff.startswith((b"<!doctype html", b"<html")) or b"<table" in sniff:
        return "HTML web page / หน้าเว็บ"
    if sniff.startswith(b"<?xml"):
        return "XML file"
    try:
        sniff.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary content / ข้อมูลที่ไม่รู้จัก"
    if b"," in sniff or b"\t" in sniff:
        return "text / CSV"
    return "text / ข้อความ"


def _problem(code: str, file: str, **params: object) -> Problem:
    return catalog.problem(code, file=file, **params)


def inspect_bytes(data: bytes, file: str, limits: Limits) -> Inspection:
    """Recognise the format from the content (never the extension) and check the zip
    directory, so nothing is decompressed or parsed that could blow up."""
    if not data:
        return Inspection("", [_problem("file.empty", file)])
    if len(data) > limits.max_bytes:
        return Inspection("", [_problem(
            "file.too-large", file,
            detail=f"{len(data) / MB:.1f} MB > {limits.max_bytes / MB:.0f} MB")])
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        return _inspect_ole(data, file)
    if head.startswith(ZIP_MAGICS):
        return _inspect_zip(data, file, limits)
    return Inspection("", [_problem("file.not-a-workbook", file,
                                    detail=_describe_unknown(data[:1024]))])


def _inspect_ole(data: bytes, file: str) -> Inspection:
    """OLE compound file: old .xls, or an encrypted .xlsx (EncryptionInfo/EncryptedPackage)."""
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return Inspection("", [_problem("file.encrypted", file)])
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return Inspection("xls")
    if _utf16("WordDocument") in data:
        detail = "Word 97-2003 document"
    elif _utf16("PowerPoint Document") in data:
        detail = "PowerPoint 97-2003"
    else:
        detail = "OLE compound file without a workbook"
    return Inspection("", [_problem("file.not-a-workbook", file, detail=detail)])


def _inspect_zip(data: bytes, file: str, limits: Limits) -> Inspection:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return Inspection("", [_problem("file.unreadable", file,
                                        detail=f"damaged zip / ไฟล์เสียหาย ({exc})")])
    if len(infos) > limits.max_members:
        return Inspection("", [_problem("file.zip-bomb", file,
                                        detail=f"{len(infos)} members > {limits.max_members}")])
    seen: set[str] = set()
    for info in infos:
        # the packaging standard (OPC, ISO/IEC 29500-2 8.2.3 / 8.3.4) says part names are
        # unique, compared case-insensitively, and a reader shall not accept a package that
        # repeats one: two readers could take different copies
        key = info.filename.lower()
        if key in seen:
            return Inspection("", [_problem("file.malformed-package", file,
                                            detail=f"{info.filename} ×2")])
        seen.add(key)
    total = 0
    for info in infos:
        total += info.file_size
        if info.compress_type != zipfile.ZIP_STORED and (
                info.compress_size > info.file_size + info.file_size // 100 + 1024):
            # deflate never makes data much larger: the declared size is a lie
            return Inspection("", [_problem(
                "file.zip-bomb", file,
                detail=f"{info.filename}: declared {info.file_size} bytes, "
                       f"compressed {info.compress_size}")])
        if (info.file_size > limits.ratio_min_size
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            return Inspection("", [_problem(
                "file.zip-bomb", file,
                detail=f"{info.filename}: {info.file_size // MB} MB "
                       f"from {info.compress_size} bytes")])
    if total > limits.max_uncompressed:
        return Inspection("", [_problem(
            "file.zip-bomb", file,
            detail=f"{total // MB} MB uncompressed > {limits.max_uncompressed // MB} MB")])
    names = {i.filename for i in infos}
    if "mimetype" in names:
        try:
            mime = read_member(zf, "mimetype", 100).strip()
        except Exception as exc:  # noqa: BLE001 - a damaged member is a damaged file
            return Inspection("", [_problem("file.unreadable", file, detail=str(exc))])
        if mime == ODS_MIME:
            return Inspection("ods", zip=zf)
        return Inspection("", [_problem("file.not-a-workbook", file,
                                        detail=mime.decode("ascii", "replace") or "OpenDocument")])
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if any(n.lower().startswith("xl/externallinks/") for n in names):
            ext = True
        else:
            ext = False
        macros = any(n.lower().endswith("vbaproject.bin") for n in names)
        try:
            types = (read_member(zf, "[Content_Types].xml", 20000)
                     if "[Content_Types].xml" in names else b"")
        except Exception:  # noqa: BLE001 - a damaged member is judged when it is read
            types = b""
        macro_enabled = macros or b"macroEnabled.main" in types
        fmt = "xlsb" if "xl/workbook.bin" in names else ("xlsm" if macro_enabled else "xlsx")
        insp = Inspection(fmt, zip=zf, has_macros=macros, external_links=ext)
        if macros:
            insp.problems.append(_problem("file.macros", file))
        if ext:
            insp.problems.append(_problem("file.external-links", file))
        return insp
    if any(n.startswith("word/") for n in names):
        detail = "Word document (.docx)"
    elif any(n.startswith("ppt/") for n in names):
        detail = "PowerPoint (.pptx)"
    else:
        detail = "zip archive / ไฟล์บีบอัด"
    return Inspection("", [_problem("file.not-a-workbook", file, detail=detail)])


def read_member(zf: zipfile.ZipFile, name: str, limit: int | None = None) -> bytes:
    """A zip member's bytes, never more than its declared size (or ``limit``).

    ``ZipFile.read`` inflates a member in one call of up to 2 GB before cutting it to the
    declared size; reading through ``open().read(n)`` keeps every step bounded by n. A
    member whose data does not match its declared size fails its CRC (BadZipFile)."""
    size = zf.getinfo(name).file_size
    with zf.open(name) as fh:
        return fh.read(size if limit is None else min(size, limit))


def xml_is_hostile(part: bytes) -> bool:
    """A DTD in a workbook part: Excel and LibreOffice never write one, and entity
    declarations are how billion-laughs and external-entity attacks start."""
    if b"!" not in part or b"<!" not in part:  # a one-byte search is memchr: ~15x faster
        return False
    return any(marker in part for marker in _DTD_MARKERS)


def check_xml_parts(zf: zipfile.ZipFile, names: list[str], file: str,
                    members: dict[str, bytes] | None = None) -> list[Problem]:
    """file.hostile-xml when any of the named parts carries a DOCTYPE/ENTITY
    (``members``: parts already inflated, by name)."""
    present = set(zf.namelist())
    members = members or {}
    for name in names:
        if name not in present:
            continue
        part = members[name] if name in members else read_member(zf, name)
        if xml_is_hostile(part):
            return [_problem("file.hostile-xml", file, detail=f"DOCTYPE/ENTITY in {name}")]
    return []


# ---- used area before parsing: calamine allocates rows x columns of the used area ----------
_ODS_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_ATTR = re.compile(rb'([\w:-]+)="([^"]*)"')


def _repeat(attrs: dict[bytes, bytes], name: bytes) -> int:
    try:
        return max(1, int(attrs.get(name, b"1")))
    except ValueError:
        return 1


def ods_scan(content_xml: bytes, max_cells: int = Limits.max_cells
             ) -> tuple[dict[str, int], dict[str, dict[str, tuple[str, bool]]]]:
    """Per sheet of an .ods content.xml: the used area (rows x columns up to the last
    filled cell, repeats expanded arithmetically, never in memory) and the formula
    cells (A1 -> (formula, has a saved value))."""

    areas: dict[str, int] = {}
    formulas: dict[str, dict[str, tuple[str, bool]]] = {}
    sheet = ""
    row = col = 0
    row_repeat = 1
    max_row = max_col = 0
    row_filled = False
    for m in _ODS_TAG.finditer(content_xml):
        closing, tag, attr_text, self_closing = m.groups()
        if tag == b"table":
            if closing:
                areas[sheet] = max_row * max_col
            else:
                attrs = dict(_ODS_ATTR.findall(attr_text))
                sheet = html.unescape(attrs.get(b"table:name", b"").decode("utf-8", "replace"))
                formulas[sheet] = {}
                row = col = max_row = max_col = 0
            continue
        if tag == b"table-row":
            if closing:
                if row_filled:
                    max_row = row + row_repeat
                row += row_repeat
            else:
                attrs = dict(_ODS_ATTR.findall(attr_text))
                row_repeat = _repeat(attrs, b"table:number-rows-repeated")
                col = 0
                row_filled = False
                if self_closing:
                    row += row_repeat
            continue
        if closing:
            continue
        attrs = dict(_ODS_ATTR.findall(attr_text))
        n = _repeat(attrs, b"table:number-columns-repeated")
        filled = (b"office:value-type" in attrs or b"table:formula" in attrs
                  or not self_closing)
        if filled:
            row_filled = True
            max_col = max(max_col, col + n)
            formula = attrs.get(b"table:formula")
            if formula is not None and tag == b"table-cell":
                text = ods_formula_text(html.unescape(formula.decode("utf-8", "replace")))
                cached = b"office:value-type" in attrs
                # never more entries than a sheet may have cells (the area check refuses)
                for k in range(min(n, max_cells - len(formulas[sheet]) + 1, 1000)):
                    formulas[sheet][f"{col_letter(col + k)}{row + 1}"] = (text, cached)
        col += n
    return areas, formulas


_ODS_REF = re.compile(r"\[\$?([^\]]*)\]")


def ods_formula_text(text: str) -> str:
    """OpenFormula as a spreadsheet user reads it: 'of:=[.F5]/2' -> '=F5/2'."""
    if text.startswith(("of:", "oooc:", "msoxl:")):
        text = text.split(":", 1)[1]

    def ref(m: re.Match[str]) -> str:
        parts = [p.lstrip("$") for p in m.group(1).split(":")]
        out = []
        for p in parts:
            sheet, _, cell = p.rpartition(".")
            out.append(f"{sheet.strip('$')}!{cell}" if sheet else cell)
        return ":".join(out)

    text = _ODS_REF.sub(ref, text)
    return text if text.startswith("=") else "=" + text


def xlsb_used_cells(sheet_bin: bytes) -> int:
    """Rows x columns of an .xlsb sheet part: the larger of its declared dimension
    (BrtWsDim) and the bounding box of its row and cell records."""
    pos, end = 0, len(sheet_bin)
    rows: list[int] = []
    max_col = -1
    area_declared = 0
    while pos < end:
        rtype = sheet_bin[pos]
        pos += 1
        if rtype & 0x80 and pos < end:
            rtype = (rtype & 0x7F) | ((sheet_bin[pos] & 0x7F) << 7)
            pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= end:
                break
            b = sheet_bin[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        body = sheet_bin[pos:pos + min(size, 16)]
        pos += size
        if rtype == 0 and len(body) >= 4:  # BrtRowHdr: row index
            rows.append(int.from_bytes(body[:4], "little"))
        elif 1 <= rtype <= 13 and len(body) >= 4:  # cell records start with the column
            max_col = max(max_col, int.from_bytes(body[:4], "little"))
        elif rtype == 148 and len(body) >= 16:  # BrtWsDim
            r1, r2, c1, c2 = (int.from_bytes(body[i:i + 4], "little") for i in (0, 4, 8, 12))
            area_declared = (r2 - r1 + 1) * (c2 - c1 + 1)
    area_found = (max(rows) - min(rows) + 1) * (max_col + 1) if rows and max_col >= 0 else 0
    return max(area_found, area_declared)


def preflight(path: Path, limits: Limits | None = None) -> list[Problem]:
    """Every problem the bytes alone reveal (format, size, zip bomb, encryption, macros).

    The reader calls :func:`inspect_bytes` itself to reuse the opened zip; this is the
    stand-alone form for tools and tests."""
    limits = limits or Limits()
    file = path.name
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            return [_problem("file.too-large", file,
                             detail=f"{size / MB:.1f} MB > {limits.max_bytes / MB:.0f} MB")]
        data = path.read_bytes()
    except OSError as exc:
        return [_problem("file.unreadable", file, detail=str(exc))]
    insp = inspect_bytes(data, file, limits)
    if insp.zip is not None:
        parts = [n for n in insp.zip.namelist()
                 if n.endswith((".xml", ".rels")) and (n.startswith("xl/") or n in (
                     "content.xml", "styles.xml"))]
        insp.problems.extend(check_xml_parts(insp.zip, parts, file))
    return insp.problems
