"""What `edurollup validate` prints: a table per file, a verdict per file, a JSON report.

The console table is for the office clerk reading a terminal; the JSON report
(format "edurollup.validate/1", documented in docs/validation.md) is for tools, which
match on problem codes and never on wording.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

import click

from .model import FileReport, Problem

JSON_FORMAT = "edurollup.validate/1"
_HEAD = ("ตำแหน่ง (Where)", "คอลัมน์ (Column)", "ค่าที่พบ (Value seen)",
         "ปัญหา / วิธีแก้ (Problem / fix)")
_MAX_COL = (38, 34, 24)  # the last column is not cut


def display_width(text: str) -> int:
    """Terminal columns of a string: Thai vowel/tone marks take none, wide CJK two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _fit(text: str, width: int) -> str:
    """Cut to ``width`` columns (with …) and pad with spaces to exactly ``width``."""
    text = " ".join(str(text).split())  # control characters and newlines never break a row
    if display_width(text) > width:
        out = ""
        for ch in text:
            if display_width(out + ch) > width - 1:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - display_width(text))


def _severity_mark(p: Problem) -> str:
    return "✗" if p.is_error else "!"


def _rows(problems: Iterable[Problem]) -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for p in problems:
        where = p.where or "(ทั้งไฟล์ / whole file)"
        lines = [f"{_severity_mark(p)} {p.message_th}", f"  {p.message_en}"]
        if p.fix_th or p.fix_en:
            lines.append(f"  → {p.fix_th}")
            lines.append(f"    {p.fix_en}")
        lines.append(f"  [{p.code}]")
        value = "" if p.value is None else f'"{p.value}"'
        rows.append((where, p.column or "", value, lines))
    return rows


def format_problem_table(problems: list[Problem]) -> str:
    """The problems as a fixed-width table: where, column, value seen, message th/en, fix."""
    rows = _rows(problems)
    widths = [min(m, max([display_width(_HEAD[i])] + [display_width(" ".join(r[i].split()))
                                                       for r in rows]))
              for i, m in enumerate(_MAX_COL)]
    out = ["  " + " │ ".join(_fit(h, w) for h, w in zip(_HEAD, widths, strict=False))
           + " │ " + _HEAD[3]]
    out.append("  " + "─┼─".join("─" * w for w in widths) + "─┼─" + "─" * 30)
    for where, column, value, lines in rows:
        first = [_fit(where, widths[0]), _fit(column, widths[1]), _fit(value, widths[2])]
        blank = [" " * w for w in widths]
        for i, line in enumerate(lines):
            cells = first if i == 0 else blank
            out.append("  " + " │ ".join(cells) + " │ " + " ".join(line.split(" ")))
    return "\n".join(out)


def verdict_line(name: str, problems: list[Problem]) -> str:
    """'✗ file.xlsx: 3 ข้อผิดพลาด (errors), 1 คำเตือน (warnings)'."""
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    if errors:
        return (f"✗ {name}: {errors} ข้อผิดพลาด (errors), {warnings} คำเตือน (warnings)"
                " — ไม่ผ่าน (not valid)")
    return f"✓ {name}: ผ่าน (valid), {warnings} คำเตือน (warnings)"


def print_problems(name: str, problems: list[Problem]) -> None:
    """One file's problems as a table and its verdict (also used by `plan check`)."""
    if problems:
        click.echo(f"\n{name}")
        click.echo(format_problem_table(problems))
    click.echo(verdict_line(name, problems))


def print_reports(reports: list[FileReport]) -> None:
    """Per file a table and a verdict line, then one line for all files (Thai + English)."""
    for r in reports:
        print_problems(r.display_name, r.problems)
    s = _summary(reports)
    mark = "✓" if s["invalid"] == 0 else "✗"
    click.echo(f"{mark} รวม {s['files']} ไฟล์: ผ่าน {s['valid']}, ไม่ผ่าน {s['invalid']}; "
               f"ข้อผิดพลาด {s['errors']}, คำเตือน {s['warnings']} "
               f"(files: {s['files']}, valid: {s['valid']}, invalid: {s['invalid']}, "
               f"errors: {s['errors']}, warnings: {s['warnings']})")


def _summary(reports: list[FileReport]) -> dict[str, int]:
    return {
        "files": len(reports),
        "valid": sum(1 for r in reports if r.valid),
        "invalid": sum(1 for r in reports if not r.valid),
        "errors": sum(len(r.errors) for r in reports),
        "warnings": sum(len(r.warnings) for r in reports),
    }


def report_to_dict(r: FileReport) -> dict[str, Any]:
    """One file's entry of the JSON report (see docs/validation.md)."""
    return {
        "file": r.display_name,
        "path": str(r.path),
        "sha256": r.sha256,
        "format": r.format,
        "valid": r.valid,
        "errors": len(r.errors),
        "warnings": len(r.warnings),
        "agency_code": r.agency_code,
        "fiscal_year": r.fiscal_year,
        "quarter": r.quarter,
        "template_version": r.template_version,
        "problems": [p.to_dict() for p in r.problems],
    }


def reports_to_json(reports: list[FileReport]) -> dict[str, Any]:
    """The documented, stable JSON report: {"format", "files": [...], "summary": {...}}."""
    return {
        "format": JSON_FORMAT,
        "files": [report_to_dict(r) for r in reports],
        "summary": _summary(reports),
    }
